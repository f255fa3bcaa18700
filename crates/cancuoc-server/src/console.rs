//! The officers' web console (DESIGN §6): server-rendered pages (askama) over the same
//! use cases as the API, signed in by the session cookie, every form carrying the
//! session's CSRF token. Vietnamese by default; `?lang=en` switches to English and is
//! remembered in a cookie.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use cancuoc_app::{AppError, Caller, CitizenSearch};
use cancuoc_domain::Officer;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{clear_cookie_header, same_bytes, session_cookie, session_cookie_header};

const LANG_COOKIE: &str = "cancuoc_lang";

/// No scripts from elsewhere, no framing, forms only to this site.
const CONSOLE_POLICY: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

/// The console's words: (key, Vietnamese, English).
const WORDS: &[(&str, &str, &str)] = &[
    (
        "app",
        "Căn cước công dân — Bảng điều khiển",
        "Citizen identity — Console",
    ),
    ("sign_in", "Đăng nhập", "Sign in"),
    ("sign_out", "Đăng xuất", "Sign out"),
    ("username", "Tên đăng nhập", "Username"),
    ("password", "Mật khẩu", "Password"),
    (
        "wrong_password",
        "Sai tên đăng nhập hoặc mật khẩu.",
        "Wrong username or password.",
    ),
    (
        "throttled",
        "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau.",
        "Too many failed sign-ins. Please try again later.",
    ),
    ("change_password", "Đổi mật khẩu", "Change password"),
    (
        "must_change",
        "Bạn cần đổi mật khẩu trước khi làm việc.",
        "You must change your password before you go on.",
    ),
    ("current_password", "Mật khẩu hiện tại", "Current password"),
    (
        "new_password",
        "Mật khẩu mới (ít nhất 12 ký tự)",
        "New password (at least 12 characters)",
    ),
    ("look_up", "Tra cứu công dân", "Look up a citizen"),
    (
        "query",
        "Số định danh, số CMND hoặc họ tên",
        "Personal ID, old ID card number or name",
    ),
    ("search", "Tìm", "Search"),
    (
        "no_results",
        "Không có kết quả trong địa bàn của bạn.",
        "Nothing found in your jurisdiction.",
    ),
    ("personal_id", "Số định danh cá nhân", "Personal ID"),
    ("full_name", "Họ và tên", "Full name"),
    ("birth_date", "Ngày sinh", "Date of birth"),
    ("sex", "Giới tính", "Sex"),
    ("residence", "Nơi ở hiện tại", "Residence"),
    ("old_id", "Số CMND cũ", "Old ID card"),
    ("household", "Hộ gia đình", "Household"),
    ("relation", "Quan hệ với chủ hộ", "Relation to head"),
    ("card", "Thẻ căn cước", "Identity card"),
    ("no_card", "Chưa có thẻ.", "No card yet."),
    ("issued", "Ngày cấp", "Issued"),
    ("expires", "Có giá trị đến", "Valid until"),
    ("no_expiry", "Không thời hạn", "No expiry"),
    ("status", "Trạng thái", "Status"),
    ("record_status", "Trạng thái hồ sơ", "Record status"),
    (
        "not_found",
        "Không tìm thấy công dân trong địa bàn của bạn.",
        "No such citizen in your jurisdiction.",
    ),
    ("bad_request", "Thông tin chưa hợp lệ", "Not valid"),
    (
        "expired_form",
        "Biểu mẫu đã hết hạn. Vui lòng thử lại.",
        "The form has expired. Please try again.",
    ),
    (
        "failed",
        "Hệ thống đang bận. Vui lòng thử lại sau.",
        "The system is busy. Please try again later.",
    ),
    ("signed_in_as", "Cán bộ", "Officer"),
    ("other_lang", "English", "Tiếng Việt"),
    ("sessions", "Lịch làm thủ tục", "Sessions"),
    ("from", "Từ ngày", "From"),
    ("to", "Đến ngày", "To"),
    ("show", "Xem", "Show"),
    (
        "no_sessions",
        "Không có buổi làm thủ tục nào trong những ngày này.",
        "No session on these days.",
    ),
    ("time", "Giờ", "Time"),
    ("site", "Địa điểm", "Place"),
    ("machines", "Máy", "Machines"),
    ("booked", "Đã hẹn", "Booked"),
    ("open", "Đang mở", "Open"),
    ("closed", "Đã kết thúc buổi", "Closed"),
    ("slots", "Khung giờ", "Slots"),
    ("capacity", "Năng lực", "Capacity"),
    ("limit", "Nhận hẹn", "Takes"),
    ("queue", "Hàng chờ", "Queue"),
    ("being_served", "Đang làm thủ tục", "Being served"),
    ("waiting", "Đang chờ", "Waiting"),
    ("minutes", "phút", "min"),
    ("not_arrived", "Đã hẹn, chưa đến", "Booked, not come"),
    ("number", "Số", "No."),
    ("queue_number", "Số thứ tự", "Queue number"),
    ("check_in", "Xác nhận đến", "Check in"),
    ("walk_in", "Người đến không hẹn", "Walk-in"),
    ("call_next", "Gọi người tiếp theo", "Call next"),
    (
        "release",
        "Giải phóng chỗ người không đến",
        "Release no-shows",
    ),
    ("close", "Kết thúc buổi", "Close the session"),
    ("checked_in", "Đã xác nhận đến", "Checked in"),
    ("walked_in", "Đã xếp vào khung giờ", "Given a slot"),
    ("called", "Mời vào", "Called"),
    ("released", "Số chỗ đã giải phóng", "Places released"),
    ("letters", "Giấy mời", "Invitation letters"),
    ("figures", "Kết quả buổi", "Figures"),
    ("served", "Đã thu nhận", "Served"),
    ("no_shows", "Không đến", "No-shows"),
    ("utilisation", "Công suất máy", "Machine utilisation"),
    (
        "wait_p95",
        "Thời gian chờ (p95, phút)",
        "Waiting (p95, min)",
    ),
    ("applications", "Hồ sơ", "Applications"),
    ("overdue", "Quá hạn", "Overdue"),
    ("receipt", "Số biên nhận", "Receipt"),
    ("kind", "Loại", "Type"),
    ("intake_date", "Ngày nhận", "Received on"),
    ("due_date", "Hẹn trả", "Due"),
    (
        "step",
        "Thao tác với hồ sơ đã chọn",
        "Step for the ticked applications",
    ),
    (
        "reason",
        "Lý do (khi từ chối, yêu cầu bổ sung)",
        "Reason (to reject or ask for correction)",
    ),
    ("apply", "Thực hiện", "Apply"),
    ("select", "Chọn", "Select"),
    ("no_applications", "Không có hồ sơ.", "No applications."),
    ("steps_done", "Đã xử lý", "Done"),
    ("steps_failed", "Không xử lý được", "Not done"),
    ("verify", "Kiểm tra xong", "Verify"),
    ("approve", "Duyệt", "Approve"),
    ("reject", "Từ chối", "Reject"),
    (
        "request_correction",
        "Yêu cầu bổ sung",
        "Ask for correction",
    ),
    ("campaigns", "Chiến dịch", "Campaigns"),
    ("no_campaigns", "Chưa có chiến dịch.", "No campaign yet."),
    ("period", "Thời gian", "Period"),
    ("progress", "Tiến độ", "Progress"),
    ("intake_to_date", "Đã thu nhận", "Received"),
    ("target", "Chỉ tiêu", "Target"),
    (
        "today_vs_daily",
        "Hôm nay / chỉ tiêu ngày",
        "Today / daily target",
    ),
    (
        "pace",
        "Bình quân 7 ngày (hồ sơ/ngày)",
        "7-day pace (a day)",
    ),
    ("projected", "Dự kiến hoàn thành", "Projected completion"),
    ("daily_needed", "Cần mỗi ngày", "Needed a day"),
    (
        "eligible_left",
        "Công dân đủ tuổi chưa có thẻ",
        "Eligible without a card",
    ),
    ("rank", "Xếp hạng", "Rank"),
    ("units", "Đơn vị trực thuộc", "Units below"),
    ("unit", "Đơn vị", "Unit"),
    (
        "chart",
        "Thu nhận cộng dồn so với chỉ tiêu",
        "Intake to date against the target",
    ),
    ("map", "Bản đồ tiến độ", "Progress map"),
    ("on_date", "Ngày", "Date"),
    ("officers", "Cán bộ", "Officers"),
    ("add_officer", "Thêm cán bộ", "Add an officer"),
    ("role", "Vai trò", "Role"),
    ("add", "Thêm", "Add"),
    ("disable", "Khóa tài khoản", "Disable"),
    ("enable", "Mở khóa", "Enable"),
    (
        "one_time_password",
        "Mật khẩu dùng một lần của",
        "One-time password of",
    ),
    ("audit", "Nhật ký truy cập", "Audit trail"),
    ("actor", "Người thực hiện", "Actor"),
    ("action", "Thao tác", "Action"),
    ("record", "Bản ghi", "Record"),
    ("purpose", "Mục đích", "Purpose"),
    ("at", "Thời điểm", "At"),
    ("filter", "Lọc", "Filter"),
    ("verify_chain", "Kiểm tra tính toàn vẹn", "Verify the chain"),
    (
        "chain_holds",
        "Chuỗi nhật ký toàn vẹn, số sự kiện",
        "The chain holds; events",
    ),
    (
        "chain_broken",
        "Chuỗi nhật ký bị phá vỡ",
        "The chain is broken",
    ),
    ("review", "Hồ sơ dân cư chờ duyệt", "Records to review"),
    (
        "no_forms",
        "Không có hồ sơ chờ duyệt.",
        "Nothing to review.",
    ),
    (
        "findings",
        "Thiếu hoặc chưa rõ thông tin",
        "Missing or doubtful fields",
    ),
    (
        "conflict",
        "Khác với dữ liệu chính thức",
        "Differs from the official record",
    ),
    ("possible_duplicate", "Có thể trùng", "Possible duplicate"),
    ("source", "Nguồn", "Source"),
    ("approved", "Đã duyệt", "Approved"),
    ("rejected", "Đã từ chối", "Rejected"),
    ("intake", "Tiếp nhận hồ sơ", "Intake"),
    ("find", "Tra cứu", "Find"),
    ("type", "Loại thủ tục", "Type"),
    ("first_issuance", "Cấp mới", "First issuance"),
    ("cmnd_switch", "Chuyển từ CMND", "From the old ID card"),
    ("renewal", "Cấp đổi", "Renewal"),
    ("reissue", "Cấp lại", "Reissue"),
    (
        "renewal_reason",
        "Lý do cấp đổi, cấp lại",
        "Reason for renewal or reissue",
    ),
    ("channel", "Hình thức", "Channel"),
    ("fixed", "Tại trụ sở", "At the office"),
    ("mobile", "Lưu động", "Mobile"),
    ("station", "Điểm thu nhận", "Station"),
    ("marks", "Đặc điểm nhân dạng", "Identifying marks"),
    (
        "old_card_returned",
        "Đã thu lại CMND cũ",
        "Old ID card taken back",
    ),
    ("portrait", "Ảnh chân dung", "Portrait"),
    ("webcam", "Chụp từ webcam", "Use the webcam"),
    ("webcam_take", "Chụp ảnh", "Take the picture"),
    ("fingerprints", "Vân tay (lăn)", "Fingerprints (rolled)"),
    (
        "missing_reason",
        "hoặc lý do không thu được",
        "or why there is none",
    ),
    ("flats", "Vân tay chụp phẳng", "Flat prints"),
    ("right_four", "Bốn ngón phải", "Right four"),
    ("left_four", "Bốn ngón trái", "Left four"),
    ("thumbs", "Hai ngón cái", "Thumbs"),
    ("file", "Nộp hồ sơ", "File the application"),
    ("filed", "Đã tiếp nhận hồ sơ", "Application filed"),
    ("fee", "Lệ phí", "Fee"),
    ("intake_form", "Phiếu thu nhận (PDF)", "Intake form (PDF)"),
    (
        "appointment_slip",
        "Giấy hẹn trả kết quả (PDF)",
        "Appointment slip (PDF)",
    ),
    (
        "portrait_needed",
        "Cần ảnh chân dung",
        "A portrait is needed",
    ),
    ("none", "—", "—"),
    ("history", "Lịch sử thay đổi", "History of the record"),
    ("version", "Phiên bản", "Version"),
    ("changed", "Thông tin thay đổi", "Changed fields"),
    ("production", "Sản xuất thẻ", "Production"),
    ("batch", "Mẻ sản xuất", "Batch"),
    (
        "start_batch",
        "Mở mẻ hôm nay cho tỉnh",
        "Open today's batch for a province",
    ),
    ("province", "Mã tỉnh", "Province code"),
    ("produce", "Sản xuất", "Produce"),
    ("dispatch", "Chuyển trả", "Dispatch"),
    ("card_proof", "Bản in thử thẻ", "Card proof"),
    ("front", "Mặt trước", "Front"),
    ("back", "Mặt sau", "Back"),
    ("units_page", "Đơn vị công an", "Police units"),
    ("parent_unit", "Đơn vị cấp trên", "Unit above"),
    ("draft", "Nháp", "Draft"),
    ("verified", "Đã xác minh", "Verified"),
    ("official", "Chính thức", "Official"),
    ("pending", "Đang sản xuất", "Being made"),
    ("active", "Đang sử dụng", "Active"),
    ("replaced", "Đã thay thế", "Replaced"),
    ("lost", "Báo mất", "Reported lost"),
    ("revoked", "Đã thu hồi", "Revoked"),
    ("expired", "Hết hạn", "Expired"),
];

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ui {
    english: bool,
}

impl Ui {
    pub fn t(&self, key: &str) -> &'static str {
        WORDS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map_or("", |(_, vi, en)| if self.english { en } else { vi })
    }

    pub fn lang(&self) -> &'static str {
        if self.english { "en" } else { "vi" }
    }

    pub fn other(&self) -> &'static str {
        if self.english { "vi" } else { "en" }
    }

    /// `?lang=` first, then the cookie, then Vietnamese.
    fn of(query: Option<&str>, headers: &HeaderMap) -> Self {
        let chosen = query.map(str::to_owned).or_else(|| {
            headers
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(name, _)| *name == LANG_COOKIE)
                .map(|(_, value)| value.to_owned())
        });
        Self {
            english: chosen.as_deref() == Some("en"),
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct LangQuery {
    lang: Option<String>,
}

/// A signed-in officer on a page, with the session's CSRF token for its forms.
struct Desk {
    officer: Officer,
    token: String,
    csrf: String,
    must_change_password: bool,
}

impl Desk {
    fn caller(&self) -> Caller {
        Caller::Officer(self.officer.clone())
    }
}

/// The officer behind the session cookie, or the way to the sign-in page.
async fn desk(state: &AppState, headers: &HeaderMap) -> Result<Desk, Response> {
    let to_login = || Redirect::to("/dang-nhap").into_response();
    let token = session_cookie(headers).ok_or_else(to_login)?;
    match state.app.authenticate(&token).await {
        Ok((officer, must_change_password, csrf)) => Ok(Desk {
            officer,
            token,
            csrf,
            must_change_password,
        }),
        Err(_) => Err(to_login()),
    }
}

fn csrf_holds(desk: &Desk, sent: &str) -> bool {
    same_bytes(sent.as_bytes(), desk.csrf.as_bytes())
}

/// A rendered page with the console's headers, remembering a language chosen by query.
fn page(template: &impl Template, status: StatusCode, ui: Ui, chosen: bool) -> Response {
    let html = match template.render() {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, "a console page does not render");
            return (StatusCode::INTERNAL_SERVER_ERROR, ui.t("failed")).into_response();
        }
    };
    let mut response = (
        status,
        [(header::CONTENT_SECURITY_POLICY, CONSOLE_POLICY)],
        Html(html),
    )
        .into_response();
    if chosen
        && let Ok(cookie) = HeaderValue::from_str(&format!(
            "{LANG_COOKIE}={}; Path=/; SameSite=Strict; Max-Age=31536000",
            ui.lang()
        ))
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    ui: Ui,
    error: Option<&'static str>,
    username: String,
}

#[derive(Template)]
#[template(path = "console/password.html")]
struct PasswordPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    error: Option<String>,
    must_change: bool,
}

#[derive(Template)]
#[template(path = "console/search.html")]
struct SearchPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    query: String,
    error: Option<String>,
    results: Option<Vec<FoundCitizen>>,
}

struct FoundCitizen {
    personal_id: String,
    name: String,
    birth_date: String,
    residence: String,
}

#[derive(Template)]
#[template(path = "console/citizen.html")]
struct CitizenPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    personal_id: String,
    name: String,
    birth_date: String,
    sex: String,
    old_id: String,
    residence: String,
    record_status: String,
    household: Option<HouseholdView>,
    /// Every card, the latest first.
    cards: Vec<CardView>,
    /// Each version of the record: when, by whom, from where, what changed, and where
    /// the citizen lived by it (the residence history).
    history: Vec<(i64, String, String, String, String, String)>,
}

struct HouseholdView {
    number: String,
    address: String,
    members: Vec<(String, String, String)>,
}

struct CardView {
    issued: String,
    expires: Option<String>,
    status: String,
}

fn day(date: jiff::civil::Date) -> String {
    format!("{:02}/{:02}/{}", date.day(), date.month(), date.year())
}

/// The script that takes the portrait from a webcam where the browser allows it.
pub(crate) async fn webcam_js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/webcam.js"),
    )
}

/// Browsers ask for an icon; there is none.
pub(crate) async fn favicon() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// `/`: the look-up page for a signed-in officer, else sign-in.
pub(crate) async fn home() -> Redirect {
    Redirect::to("/tra-cuu")
}

pub(crate) async fn login_form(Query(q): Query<LangQuery>, headers: HeaderMap) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    page(
        &LoginPage {
            ui,
            error: None,
            username: String::new(),
        },
        StatusCode::OK,
        ui,
        q.lang.is_some(),
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
}

pub(crate) async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let ui = Ui::of(None, &headers);
    match state.app.login(form.username.trim(), &form.password).await {
        Ok(session) => {
            let next = if session.must_change_password {
                "/doi-mat-khau"
            } else {
                "/tra-cuu"
            };
            let cookie = session_cookie_header(&session.token, state.config.secure_cookies);
            let mut response = Redirect::to(next).into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Err(e) => {
            // The form again with the reason, as a page (a 4xx document would read as a
            // broken page in the browser).
            let message = match e {
                AppError::TooManyAttempts { .. } => "throttled",
                _ => "wrong_password",
            };
            page(
                &LoginPage {
                    ui,
                    error: Some(ui.t(message)),
                    username: form.username,
                },
                StatusCode::OK,
                ui,
                false,
            )
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let desk = match desk(&state, &headers).await {
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    if !csrf_holds(&desk, &form.csrf) {
        return (
            StatusCode::FORBIDDEN,
            Ui::of(None, &headers).t("expired_form"),
        )
            .into_response();
    }
    let _ = state.app.logout(&desk.token).await;
    let mut response = Redirect::to("/dang-nhap").into_response();
    if let Ok(value) = HeaderValue::from_str(&clear_cookie_header(state.config.secure_cookies)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

pub(crate) async fn password_form(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    page(
        &PasswordPage {
            ui,
            must_change: desk.must_change_password,
            officer: desk.officer,
            csrf: desk.csrf,
            error: None,
        },
        StatusCode::OK,
        ui,
        q.lang.is_some(),
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
}

pub(crate) async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let ui = Ui::of(None, &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    if !csrf_holds(&desk, &form.csrf) {
        return (StatusCode::FORBIDDEN, ui.t("expired_form")).into_response();
    }
    match state
        .app
        .change_password(&desk.officer, &form.current, &form.new)
        .await
    {
        Ok(()) => Redirect::to("/tra-cuu").into_response(),
        Err(e) => {
            let status = match e {
                AppError::BadCredentials => StatusCode::UNAUTHORIZED,
                _ => StatusCode::BAD_REQUEST,
            };
            page(
                &PasswordPage {
                    ui,
                    must_change: desk.must_change_password,
                    officer: desk.officer,
                    csrf: desk.csrf,
                    error: Some(format!("{}: {e}", ui.t("bad_request"))),
                },
                status,
                ui,
                false,
            )
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct SearchQuery {
    q: Option<String>,
    lang: Option<String>,
}

/// What the officer typed: 12 digits is a personal ID (straight to the citizen), 9 an
/// old ID card number, anything else a name (diacritics optional).
pub(crate) async fn search(
    State(state): State<AppState>,
    Query(q): Query<SearchQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) if d.must_change_password => return Redirect::to("/doi-mat-khau").into_response(),
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let query = q.q.unwrap_or_default().trim().to_owned();
    let digits = !query.is_empty() && query.bytes().all(|b| b.is_ascii_digit());
    if digits && query.len() == 12 {
        // A language chosen with the search goes along to the citizen's page.
        let lang = q
            .lang
            .as_deref()
            .map_or_else(String::new, |l| format!("?lang={}", url_encode(l)));
        return Redirect::to(&format!("/cong-dan/{query}{lang}")).into_response();
    }
    let (mut error, mut results) = (None, None);
    if !query.is_empty() {
        let search = CitizenSearch {
            name: (!digits).then(|| query.clone()),
            old_id_number: digits.then(|| query.clone()),
            birth_year: None,
            birth_date: None,
            unit: None,
            cursor: None,
            limit: Some(50),
        };
        match state.app.search_citizens(&desk.caller(), &search).await {
            Ok(found) => {
                results = Some(
                    found
                        .items
                        .into_iter()
                        .map(|c| FoundCitizen {
                            personal_id: c.data.personal_id.as_string(),
                            birth_date: c.data.birth_date.vietnamese(),
                            residence: c
                                .data
                                .current_residence
                                .as_ref()
                                .or(c.data.permanent_residence.as_ref())
                                .map(|r| r.address.clone())
                                .unwrap_or_default(),
                            name: c.data.full_name,
                        })
                        .collect(),
                );
            }
            Err(e) => error = Some(format!("{}: {e}", ui.t("bad_request"))),
        }
    }
    page(
        &SearchPage {
            ui,
            officer: desk.officer,
            csrf: desk.csrf,
            query,
            error,
            results,
        },
        StatusCode::OK,
        ui,
        q.lang.is_some(),
    )
}

pub(crate) async fn citizen(
    State(state): State<AppState>,
    Path(personal_id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) if d.must_change_password => return Redirect::to("/doi-mat-khau").into_response(),
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let caller = desk.caller();
    let record = match state.app.citizen(&caller, &personal_id).await {
        Ok(r) => r,
        Err(AppError::Internal(_)) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, ui.t("failed")).into_response();
        }
        Err(_) => {
            let not_found = SearchPage {
                ui,
                officer: desk.officer,
                csrf: desk.csrf,
                query: personal_id,
                error: Some(ui.t("not_found").to_owned()),
                results: None,
            };
            return page(&not_found, StatusCode::NOT_FOUND, ui, false);
        }
    };
    let data = &record.data;
    let household = match &data.household_number {
        Some(number) => state
            .app
            .household(&caller, number)
            .await
            .ok()
            .map(|h| HouseholdView {
                number: h.number,
                address: h.address,
                members: h
                    .members
                    .into_iter()
                    .map(|m| {
                        (
                            m.personal_id.as_string(),
                            m.full_name,
                            m.relation_to_head.unwrap_or_default(),
                        )
                    })
                    .collect(),
            }),
        None => None,
    };
    // Officers whose role reads no cards see the section empty.
    let cards = state
        .app
        .card_history(&caller, &personal_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| CardView {
            issued: day(c.issue_date),
            expires: c.expiry_date.map(day),
            status: ui.t(c.status.as_str()).to_owned(),
        })
        .collect();
    let places = state.app.places();
    let history = state
        .app
        .citizen_history(&caller, &personal_id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|h| {
            let at = jiff::Timestamp::from_microsecond(h.at_micros)
                .map(|t| {
                    t.to_zoned_datetime(jiff::tz::Offset::constant(7).to_time_zone())
                        .strftime("%d/%m/%Y %H:%M")
                        .to_string()
                })
                .unwrap_or_default();
            (
                h.version,
                at,
                h.actor,
                h.source,
                h.changed_fields.join(", "),
                h.residence.map_or_else(String::new, |r| {
                    let commune = places
                        .get(&r.commune)
                        .map_or_else(|| r.commune.as_str().to_owned(), |u| u.full_name());
                    format!("{}, {commune}", r.address)
                }),
            )
        })
        .collect();
    let residence = data
        .current_residence
        .as_ref()
        .or(data.permanent_residence.as_ref())
        .or(data.temporary_residence.as_ref())
        .map(|r| r.address.clone())
        .unwrap_or_default();
    let view = CitizenPage {
        ui,
        csrf: desk.csrf,
        personal_id: data.personal_id.as_string(),
        name: data.full_name.clone(),
        birth_date: data.birth_date.vietnamese(),
        sex: if ui.english {
            data.sex.as_str().to_owned()
        } else {
            data.sex.vietnamese().to_owned()
        },
        old_id: data
            .old_id_number
            .as_ref()
            .map(|o| o.as_str().to_owned())
            .unwrap_or_default(),
        residence,
        record_status: ui.t(record.status.as_str()).to_owned(),
        household,
        cards,
        history,
        officer: desk.officer,
    };
    page(&view, StatusCode::OK, ui, q.lang.is_some())
}

// ---- scheduling -------------------------------------------------------------------

#[derive(Template)]
#[template(path = "console/sessions.html")]
struct SessionsPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    from: String,
    to: String,
    error: Option<String>,
    days: Vec<(String, Vec<SessionRow>)>,
}

struct SessionRow {
    id: String,
    time: String,
    site: String,
    machines: usize,
    held: u32,
    limit: u32,
    state: &'static str,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RangeQuery {
    from: Option<String>,
    to: Option<String>,
    lang: Option<String>,
}

/// The plan calendar: the sessions in the officer's jurisdiction, day by day.
pub(crate) async fn sessions(
    State(state): State<AppState>,
    Query(q): Query<RangeQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) if d.must_change_password => return Redirect::to("/doi-mat-khau").into_response(),
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let today = state.app.today();
    let from = q
        .from
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| today.to_string());
    let to = q.to.filter(|t| !t.is_empty()).unwrap_or_else(|| {
        today
            .checked_add(jiff::Span::new().days(13))
            .unwrap_or(today)
            .to_string()
    });
    let (mut days, mut error): (Vec<(String, Vec<SessionRow>)>, Option<String>) =
        (Vec::new(), None);
    match state
        .app
        .enrollment_sessions(&desk.caller(), None, &from, &to)
        .await
    {
        Ok(list) => {
            for s in list {
                let row = SessionRow {
                    id: s.id.to_string(),
                    time: s.window.to_string(),
                    site: s.site.name.clone(),
                    machines: s.machines.len(),
                    held: s.slots.iter().map(|u| u.held).sum(),
                    limit: s.slots.iter().map(|u| u.slot.limit).sum(),
                    state: ui.t(s.state.as_str()),
                };
                let label = day(s.day);
                match days.last_mut() {
                    Some((d, rows)) if *d == label => rows.push(row),
                    _ => days.push((label, vec![row])),
                }
            }
        }
        Err(e) => error = Some(format!("{}: {e}", ui.t("bad_request"))),
    }
    page(
        &SessionsPage {
            ui,
            officer: desk.officer,
            csrf: desk.csrf,
            from,
            to,
            error,
            days,
        },
        StatusCode::OK,
        ui,
        q.lang.is_some(),
    )
}

#[derive(Template)]
#[template(path = "console/session.html")]
struct SessionPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    id: String,
    title: String,
    open: bool,
    message: Option<String>,
    slots: Vec<(String, u32, u32, u32)>,
    called: Vec<(u32, String)>,
    waiting: Vec<(u32, String, u32)>,
    booked_not_arrived: u32,
    served: u32,
    no_shows: u32,
    utilisation: String,
    wait_p95: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SessionPageQuery {
    msg: Option<String>,
    lang: Option<String>,
}

/// A session's slots, its live queue and figures, and the desk's actions.
pub(crate) async fn session(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<SessionPageQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) if d.must_change_password => return Redirect::to("/doi-mat-khau").into_response(),
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let caller = desk.caller();
    let Ok(key) = uuid::Uuid::parse_str(&id) else {
        return Redirect::to("/lich").into_response();
    };
    let (queue, figures) = match (
        state.app.live_queue(&caller, key).await,
        state.app.session_figures(&caller, key).await,
    ) {
        (Ok(q), Ok((_, f))) => (q, f),
        _ => return Redirect::to("/lich").into_response(),
    };
    let s = &queue.session;
    let view = SessionPage {
        ui,
        csrf: desk.csrf.clone(),
        id: s.id.to_string(),
        title: format!("{} — {} {}", s.site.name, day(s.day), s.window),
        open: s.state == cancuoc_store::SessionState::Open,
        message: q.msg.filter(|m| !m.is_empty()),
        slots: s
            .slots
            .iter()
            .map(|u| {
                (
                    u.slot.window.to_string(),
                    u.slot.capacity,
                    u.slot.limit,
                    u.held,
                )
            })
            .collect(),
        called: queue
            .called
            .iter()
            .map(|p| (p.queue_number, p.name.clone()))
            .collect(),
        waiting: queue
            .waiting
            .iter()
            .map(|p| (p.queue_number, p.name.clone(), p.expected_wait_min))
            .collect(),
        booked_not_arrived: queue.booked_not_arrived,
        served: figures.served,
        no_shows: figures.no_shows,
        utilisation: format!("{:.1}%", figures.machine_utilisation * 100.0),
        wait_p95: format!("{:.0}", figures.wait_p95_min),
        officer: desk.officer,
    };
    page(&view, StatusCode::OK, ui, q.lang.is_some())
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeskForm {
    csrf: String,
    action: String,
    queue_number: Option<String>,
    personal_id: Option<String>,
}

/// One action at the desk, then back to the session page with what happened.
pub(crate) async fn session_action(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<DeskForm>,
) -> Response {
    let ui = Ui::of(None, &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    if !csrf_holds(&desk, &form.csrf) {
        return (StatusCode::FORBIDDEN, ui.t("expired_form")).into_response();
    }
    let Ok(key) = uuid::Uuid::parse_str(&id) else {
        return Redirect::to("/lich").into_response();
    };
    let caller = desk.caller();
    let person = |a: cancuoc_store::Appointment| {
        format!("{} {}: {}", ui.t("number"), a.queue_number, a.name)
    };
    let text = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let done: Result<String, AppError> = match form.action.as_str() {
        "check_in" => {
            let who = match text(&form.queue_number).parse::<u32>() {
                Ok(n) => cancuoc_app::Arrival::QueueNumber(n),
                Err(_) => cancuoc_app::Arrival::PersonalId(text(&form.personal_id)),
            };
            state
                .app
                .check_in(&caller, key, &who)
                .await
                .map(|a| format!("{} — {}", ui.t("checked_in"), person(a)))
        }
        "walk_in" => state
            .app
            .walk_in(&caller, key, &text(&form.personal_id))
            .await
            .map(|a| format!("{} — {}", ui.t("walked_in"), person(a))),
        "next" => state
            .app
            .call_next(&caller, key)
            .await
            .map(|a| format!("{} — {}", ui.t("called"), person(a))),
        "release" => state
            .app
            .release_no_shows(&caller, key)
            .await
            .map(|n| format!("{}: {n}", ui.t("released"))),
        "close" => state
            .app
            .close_enrollment_session(&caller, key)
            .await
            .map(|_| ui.t("closed").to_owned()),
        _ => Err(AppError::Invalid("action".into())),
    };
    let message = match done {
        Ok(m) => m,
        Err(e) => format!("{}: {e}", ui.t("bad_request")),
    };
    Redirect::to(&format!("/lich/{key}?msg={}", url_encode(&message))).into_response()
}

// ---- application queues -----------------------------------------------------------

/// The states a unit's queue is read by, with their Vietnamese and English names.
const QUEUE_STATES: &[(&str, &str, &str)] = &[
    ("received", "Đã tiếp nhận", "Received"),
    ("verified", "Đã kiểm tra", "Verified"),
    ("approved", "Đã duyệt", "Approved"),
    ("in_production", "Đang sản xuất", "In production"),
    ("produced", "Đã sản xuất", "Produced"),
    ("dispatched", "Đã chuyển", "Dispatched"),
    ("ready_for_pickup", "Chờ trả thẻ", "Ready for pickup"),
    ("needs_correction", "Cần bổ sung", "Needs correction"),
];

#[derive(Template)]
#[template(path = "console/applications.html")]
struct ApplicationsPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    states: Vec<(&'static str, &'static str, bool)>,
    state: String,
    overdue: bool,
    message: Option<String>,
    rows: Vec<ApplicationRow>,
}

struct ApplicationRow {
    key: String,
    receipt: String,
    personal_id: String,
    kind: &'static str,
    intake_date: String,
    due_date: String,
    state: String,
    late: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct QueueQuery {
    state: Option<String>,
    overdue: Option<String>,
    msg: Option<String>,
    lang: Option<String>,
}

/// The unit's applications in one state (or overdue), with a step for those ticked.
pub(crate) async fn applications(
    State(state): State<AppState>,
    Query(q): Query<QueueQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) if d.must_change_password => return Redirect::to("/doi-mat-khau").into_response(),
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let today = state.app.today();
    let chosen = q
        .state
        .as_deref()
        .and_then(cancuoc_domain::application::ApplicationState::parse)
        .unwrap_or(cancuoc_domain::application::ApplicationState::Received);
    let overdue = q.overdue.as_deref() == Some("1");
    let query = cancuoc_store::ApplicationQuery {
        intake_unit: None,
        province: None,
        batch: None,
        state: (!overdue).then_some(chosen),
        overdue_on: overdue.then_some(today),
        cursor: None,
        limit: 200,
    };
    let (rows, mut message) = match state.app.applications(&desk.caller(), &query).await {
        Ok(page) => (
            page.items
                .into_iter()
                .map(|a| ApplicationRow {
                    key: a.key.to_string(),
                    receipt: a.receipt.to_string(),
                    personal_id: a.personal_id.as_string(),
                    kind: a.kind.kind(),
                    intake_date: day(a.intake_date),
                    due_date: day(a.due_date),
                    state: QUEUE_STATES
                        .iter()
                        .find(|(k, _, _)| *k == a.state.as_str())
                        .map_or_else(
                            || a.state.as_str().to_owned(),
                            |(_, vi, en)| (if ui.english { *en } else { *vi }).to_owned(),
                        ),
                    late: a.due_date < today,
                })
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Some(format!("{}: {e}", ui.t("bad_request")))),
    };
    if message.is_none() {
        message = q.msg.filter(|m| !m.is_empty());
    }
    page(
        &ApplicationsPage {
            ui,
            officer: desk.officer,
            csrf: desk.csrf,
            states: QUEUE_STATES
                .iter()
                .map(|(k, vi, en)| {
                    (
                        *k,
                        if ui.english { *en } else { *vi },
                        *k == chosen.as_str() && !overdue,
                    )
                })
                .collect(),
            state: chosen.as_str().to_owned(),
            overdue,
            message,
            rows,
        },
        StatusCode::OK,
        ui,
        q.lang.is_some(),
    )
}

/// One step (verify, approve, reject with a reason…) on every ticked application; each
/// is its own transaction, and the page says how many went through and why others did not.
pub(crate) async fn applications_step(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let ui = Ui::of(None, &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    if !csrf_holds(&desk, &field("csrf")) {
        return (StatusCode::FORBIDDEN, ui.t("expired_form")).into_response();
    }
    let request = cancuoc_app::StepRequest {
        action: field("action"),
        reason: Some(field("reason")).filter(|r| !r.is_empty()),
        expected_version: None,
    };
    let caller = desk.caller();
    let (mut done, mut failed) = (0_usize, Vec::new());
    for key in pairs.iter().filter(|(k, _)| k == "key").map(|(_, v)| v) {
        let Ok(key) = uuid::Uuid::parse_str(key) else {
            continue;
        };
        match state.app.transition(&caller, key, &request).await {
            Ok(_) => done += 1,
            Err(e) => failed.push(e.to_string()),
        }
    }
    failed.dedup();
    let mut message = format!("{}: {done}", ui.t("steps_done"));
    if !failed.is_empty() {
        message.push_str(&format!(
            "; {}: {}",
            ui.t("steps_failed"),
            failed.join("; ")
        ));
    }
    let back = field("state");
    Redirect::to(&format!(
        "/ho-so?state={}&msg={}",
        url_encode(&back),
        url_encode(&message)
    ))
    .into_response()
}

/// Percent-encoding for a query value.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

// ---- campaign dashboard -------------------------------------------------------------

#[derive(Template)]
#[template(path = "console/campaigns.html")]
struct CampaignsPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    campaigns: Vec<(String, String, String)>,
    error: Option<String>,
}

pub(crate) async fn campaigns(
    State(state): State<AppState>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) if d.must_change_password => return Redirect::to("/doi-mat-khau").into_response(),
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let (campaigns, error) = match state.app.campaigns(&desk.caller()).await {
        Ok(list) => (
            list.into_iter()
                .map(|c| {
                    (
                        c.id.to_string(),
                        c.name,
                        format!("{} – {}", day(c.period.start), day(c.period.end)),
                    )
                })
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Some(format!("{}: {e}", ui.t("bad_request")))),
    };
    page(
        &CampaignsPage {
            ui,
            officer: desk.officer,
            csrf: desk.csrf,
            campaigns,
            error,
        },
        StatusCode::OK,
        ui,
        q.lang.is_some(),
    )
}

/// One unit's line of the dashboard.
struct UnitLine {
    code: String,
    name: String,
    rank: String,
    intake: String,
    target: String,
    pct: String,
    today: String,
    status: &'static str,
    status_class: &'static str,
}

/// A child unit on the map.
struct Dot {
    x: f64,
    y: f64,
    class: &'static str,
    label: String,
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    campaign: String,
    campaign_id: String,
    period: String,
    date: String,
    head: UnitLine,
    pace: String,
    projected: String,
    daily_needed: String,
    eligible: String,
    /// The cumulative intake as SVG polyline points, and the target line.
    intake_points: String,
    target_line: Option<(f64, f64, f64, f64)>,
    chart_top: String,
    children: Vec<UnitLine>,
    dots: Vec<Dot>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DashboardQuery {
    unit: Option<String>,
    date: Option<String>,
    lang: Option<String>,
}

fn status_of(row: &cancuoc_domain::campaign::ProgressRow, ui: Ui) -> (&'static str, &'static str) {
    match row.status {
        Some(s) => (
            if ui.english { s.as_str() } else { s.vi() },
            match s {
                cancuoc_domain::campaign::Status::OnTrack => "ok",
                cancuoc_domain::campaign::Status::AtRisk => "risk",
                cancuoc_domain::campaign::Status::Behind => "late",
            },
        ),
        None => ("—", "none"),
    }
}

fn line(row: &cancuoc_domain::campaign::ProgressRow, ui: Ui) -> UnitLine {
    let thousands =
        |n: u64| cancuoc_domain::campaign::group_thousands(n, if ui.english { ',' } else { '.' });
    let pct = |p: Option<cancuoc_domain::campaign::Tenths>| {
        p.map_or_else(
            || "—".to_owned(),
            |t| if ui.english { t.en() } else { t.vi() },
        )
    };
    let (status, status_class) = status_of(row, ui);
    UnitLine {
        code: row.unit_code.as_string(),
        name: row.unit_name.clone(),
        rank: row.rank.map_or_else(|| "—".to_owned(), |r| r.to_string()),
        intake: thousands(row.intake_period),
        target: row.target_total.map_or_else(|| "—".to_owned(), thousands),
        pct: pct(row.progress_pct),
        today: match row.target_daily {
            Some(t) => format!("{} / {}", thousands(row.intake_day), thousands(t)),
            None => thousands(row.intake_day),
        },
        status,
        status_class,
    }
}

/// Chart box: 600 × 220 with room for labels.
const CHART_W: f64 = 560.0;
const CHART_H: f64 = 200.0;
const CHART_X: f64 = 30.0;
const CHART_Y: f64 = 10.0;
/// Map box.
const MAP_W: f64 = 360.0;
const MAP_H: f64 = 300.0;

/// The campaign dashboard of a unit: its progress, a chart of intake against the target
/// over the period, its child units ranked, and a map of them coloured by status.
pub(crate) async fn dashboard(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<DashboardQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) if d.must_change_password => return Redirect::to("/doi-mat-khau").into_response(),
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let caller = desk.caller();
    let Ok(key) = uuid::Uuid::parse_str(&id) else {
        return Redirect::to("/chien-dich").into_response();
    };
    let report = match state
        .app
        .progress_report(&caller, key, q.unit.as_deref(), q.date.as_deref())
        .await
    {
        Ok(r) => r,
        Err(_) => return Redirect::to("/chien-dich").into_response(),
    };
    let series = state
        .app
        .intake_series(&caller, key, &report.unit.unit_code, report.date)
        .await
        .unwrap_or_default();
    let days_in_period = (report.period.end - report.period.start).get_days().max(1);
    let total = report.unit.target_total.unwrap_or(0);
    let reached: u64 = series.iter().map(|(_, n)| n).sum();
    let top = total.max(reached).max(1);
    let x_of = |d: jiff::civil::Date| {
        CHART_X
            + f64::from((d - report.period.start).get_days()) / f64::from(days_in_period) * CHART_W
    };
    let y_of = |n: u64| CHART_Y + CHART_H - (n as f64) / (top as f64) * CHART_H;
    let mut cumulative = 0;
    let intake_points = series
        .iter()
        .map(|(d, n)| {
            cumulative += n;
            format!("{:.1},{:.1}", x_of(*d), y_of(cumulative))
        })
        .collect::<Vec<_>>()
        .join(" ");
    let target_line = (total > 0).then(|| {
        (
            x_of(report.period.start),
            y_of(0),
            x_of(report.period.end),
            y_of(total),
        )
    });
    let places = state.app.places();
    let located: Vec<(f64, f64, &cancuoc_domain::campaign::ProgressRow)> = report
        .children
        .iter()
        .filter_map(|row| {
            let cancuoc_domain::Jurisdiction::Within(area) = row.unit_code.jurisdiction() else {
                return None;
            };
            let unit = places.get(&area)?;
            Some((unit.longitude?, unit.latitude?, row))
        })
        .collect();
    let dots = if located.is_empty() {
        Vec::new()
    } else {
        let (mut west, mut east, mut south, mut north) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (lon, lat, _) in &located {
            west = west.min(*lon);
            east = east.max(*lon);
            south = south.min(*lat);
            north = north.max(*lat);
        }
        // Equirectangular, a degree of longitude shortened by the cosine of the latitude.
        let squeeze = ((south + north) / 2.0).to_radians().cos();
        let (span_x, span_y) = (
            ((east - west) * squeeze).max(1e-6),
            (north - south).max(1e-6),
        );
        let scale = ((MAP_W - 40.0) / span_x).min((MAP_H - 40.0) / span_y);
        located
            .iter()
            .map(|(lon, lat, row)| Dot {
                x: 20.0 + (lon - west) * squeeze * scale,
                y: 20.0 + (north - lat) * scale,
                class: status_of(row, ui).1,
                label: format!(
                    "{}: {}",
                    row.unit_name,
                    row.progress_pct.map_or_else(
                        || "—".to_owned(),
                        |t| if ui.english { t.en() } else { t.vi() }
                    )
                ),
            })
            .collect()
    };
    let head = line(&report.unit, ui);
    let view = DashboardPage {
        ui,
        csrf: desk.csrf.clone(),
        campaign: report.campaign.clone(),
        campaign_id: key.to_string(),
        period: format!("{} – {}", day(report.period.start), day(report.period.end)),
        date: report.date.to_string(),
        pace: format!("{:.1}", report.unit.pace_7d),
        projected: report
            .unit
            .projected_completion
            .map_or_else(|| "—".to_owned(), day),
        daily_needed: report
            .unit
            .daily_needed
            .map_or_else(|| "—".to_owned(), |n| n.to_string()),
        eligible: report
            .unit
            .eligible
            .map_or_else(|| "—".to_owned(), |n| n.to_string()),
        intake_points,
        target_line,
        chart_top: cancuoc_domain::campaign::group_thousands(
            top,
            if ui.english { ',' } else { '.' },
        ),
        children: {
            let mut ranked: Vec<&cancuoc_domain::campaign::ProgressRow> =
                report.children.iter().collect();
            ranked.sort_by_key(|r| (r.rank.unwrap_or(u32::MAX), r.unit_code.as_string()));
            ranked.into_iter().map(|r| line(r, ui)).collect()
        },
        dots,
        head,
        officer: desk.officer,
    };
    page(&view, StatusCode::OK, ui, q.lang.is_some())
}

// ---- administration ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "console/officers.html")]
struct OfficersPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    message: Option<String>,
    officers: Vec<Officer>,
    roles: Vec<&'static str>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct MessageQuery {
    msg: Option<String>,
    lang: Option<String>,
}

pub(crate) async fn officers(
    State(state): State<AppState>,
    Query(q): Query<MessageQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) if d.must_change_password => return Redirect::to("/doi-mat-khau").into_response(),
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let (officers, error) = match state.app.officers(&desk.caller()).await {
        Ok(list) => (list, None),
        Err(e) => (Vec::new(), Some(format!("{}: {e}", ui.t("bad_request")))),
    };
    page(
        &OfficersPage {
            ui,
            officer: desk.officer,
            csrf: desk.csrf,
            message: error.or(q.msg.filter(|m| !m.is_empty())),
            officers,
            roles: cancuoc_domain::Role::ALL
                .iter()
                .map(|r| r.as_str())
                .collect(),
        },
        StatusCode::OK,
        ui,
        q.lang.is_some(),
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct OfficerForm {
    csrf: String,
    action: String,
    username: String,
    full_name: Option<String>,
    unit: Option<String>,
    role: Option<String>,
}

/// Adds an officer (the one-time password is shown once, to hand over in person), or
/// disables or enables one.
pub(crate) async fn officer_action(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<OfficerForm>,
) -> Response {
    let ui = Ui::of(None, &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    if !csrf_holds(&desk, &form.csrf) {
        return (StatusCode::FORBIDDEN, ui.t("expired_form")).into_response();
    }
    let caller = desk.caller();
    let username = form.username.trim();
    let done: Result<String, AppError> = match form.action.as_str() {
        "add" => {
            let unit =
                cancuoc_domain::PoliceUnitCode::parse(form.unit.as_deref().unwrap_or("").trim())
                    .map_err(|e| AppError::Invalid(format!("unit: {e}")));
            let role = cancuoc_domain::Role::parse(form.role.as_deref().unwrap_or("").trim())
                .ok_or_else(|| AppError::Invalid("role".into()));
            match (unit, role) {
                (Ok(unit), Ok(role)) => state
                    .app
                    .add_officer(
                        &caller,
                        username,
                        form.full_name.as_deref().unwrap_or("").trim(),
                        &unit,
                        role,
                        None,
                    )
                    .await
                    .map(|otp| format!("{} {username}: {otp}", ui.t("one_time_password"))),
                (Err(e), _) | (_, Err(e)) => Err(e),
            }
        }
        "disable" | "enable" => state
            .app
            .set_officer_active(&caller, username, form.action == "enable")
            .await
            .map(|()| format!("{}: {username}", ui.t(&form.action))),
        _ => Err(AppError::Invalid("action".into())),
    };
    let message = done.unwrap_or_else(|e| format!("{}: {e}", ui.t("bad_request")));
    Redirect::to(&format!("/quan-tri/can-bo?msg={}", url_encode(&message))).into_response()
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    actor: String,
    action: String,
    record: String,
    message: Option<String>,
    events: Vec<(i64, String, String, String, String, String, String)>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    record: Option<String>,
    msg: Option<String>,
    lang: Option<String>,
}

/// The audit trail, newest first, by actor, action or record.
pub(crate) async fn audit(
    State(state): State<AppState>,
    Query(q): Query<AuditQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) if d.must_change_password => return Redirect::to("/doi-mat-khau").into_response(),
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let filter = cancuoc_store::AuditFilter {
        actor: given(&q.actor),
        action: given(&q.action),
        record_key: given(&q.record),
        since_micros: None,
        until_micros: None,
        before: None,
        limit: 200,
    };
    let (events, error) = match state.app.audit_log(&desk.caller(), &filter).await {
        Ok(list) => (
            list.into_iter()
                .map(|e| {
                    let at = jiff::Timestamp::from_microsecond(e.at_micros)
                        .map(|t| {
                            t.to_zoned_datetime(jiff::tz::Offset::constant(7).to_time_zone())
                                .strftime("%d/%m/%Y %H:%M:%S")
                                .to_string()
                        })
                        .unwrap_or_default();
                    (
                        e.seq,
                        at,
                        e.draft.actor,
                        e.draft.unit,
                        e.draft.action,
                        format!("{} {}", e.draft.record_kind, e.draft.record_key),
                        e.draft.purpose,
                    )
                })
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Some(format!("{}: {e}", ui.t("bad_request")))),
    };
    page(
        &AuditPage {
            ui,
            officer: desk.officer,
            csrf: desk.csrf,
            actor: filter.actor.unwrap_or_default(),
            action: filter.action.unwrap_or_default(),
            record: filter.record_key.unwrap_or_default(),
            message: error.or(q.msg.filter(|m| !m.is_empty())),
            events,
        },
        StatusCode::OK,
        ui,
        q.lang.is_some(),
    )
}

/// Walks the whole chain and says whether it holds.
pub(crate) async fn audit_verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let ui = Ui::of(None, &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    if !csrf_holds(&desk, &form.csrf) {
        return (StatusCode::FORBIDDEN, ui.t("expired_form")).into_response();
    }
    let message = if desk.officer.role.reads_audit() {
        match state.app.verify_audit().await {
            Ok(v) => match v.first_break {
                None => format!("{}: {}", ui.t("chain_holds"), v.events),
                Some(b) => format!("{}: {b}", ui.t("chain_broken")),
            },
            Err(e) => format!("{}: {e}", ui.t("bad_request")),
        }
    } else {
        ui.t("bad_request").to_owned()
    };
    Redirect::to(&format!("/quan-tri/nhat-ky?msg={}", url_encode(&message))).into_response()
}

// ---- review of staged records --------------------------------------------------------

#[derive(Template)]
#[template(path = "console/review.html")]
struct ReviewPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    message: Option<String>,
    forms: Vec<StagedView>,
}

struct StagedView {
    id: String,
    name: String,
    personal_id: String,
    birth_date: String,
    reason: String,
    status: String,
    source: String,
    findings: Vec<String>,
    verified: bool,
}

/// Records staged by imports, with what an officer must look at, to verify, approve or
/// reject.
pub(crate) async fn review(
    State(state): State<AppState>,
    Query(q): Query<MessageQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) if d.must_change_password => return Redirect::to("/doi-mat-khau").into_response(),
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let (forms, error) = match state
        .app
        .staged_forms(&desk.caller(), None, None, None, Some(100))
        .await
    {
        Ok(page) => (
            page.items
                .into_iter()
                .map(|f| StagedView {
                    id: f.id.to_string(),
                    name: f.data.full_name.clone(),
                    personal_id: f.data.personal_id.as_string(),
                    birth_date: f.data.birth_date.vietnamese(),
                    reason: ui.t(f.reason.as_str()).to_owned(),
                    status: ui.t(f.status.as_str()).to_owned(),
                    source: format!("{} · {}", f.source, f.row),
                    verified: f.status == cancuoc_store::FormStatus::Verified,
                    findings: f.findings,
                })
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Some(format!("{}: {e}", ui.t("bad_request")))),
    };
    page(
        &ReviewPage {
            ui,
            officer: desk.officer,
            csrf: desk.csrf,
            message: error.or(q.msg.filter(|m| !m.is_empty())),
            forms,
        },
        StatusCode::OK,
        ui,
        q.lang.is_some(),
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct ReviewForm {
    csrf: String,
    id: String,
    action: String,
    reason: Option<String>,
}

pub(crate) async fn review_decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ReviewForm>,
) -> Response {
    let ui = Ui::of(None, &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    if !csrf_holds(&desk, &form.csrf) {
        return (StatusCode::FORBIDDEN, ui.t("expired_form")).into_response();
    }
    let action = match form.action.as_str() {
        "verify" => Ok(cancuoc_app::FormAction::Verify),
        "approve" => Ok(cancuoc_app::FormAction::Approve),
        "reject" => Ok(cancuoc_app::FormAction::Reject(
            form.reason.unwrap_or_default().trim().to_owned(),
        )),
        _ => Err(AppError::Invalid("action".into())),
    };
    let done = match action {
        Ok(action) => state
            .app
            .decide_form(&desk.caller(), &form.id, action)
            .await
            .map(|f| format!("{}: {}", f.data.full_name, ui.t(f.status.as_str()))),
        Err(e) => Err(e),
    };
    let message = done.unwrap_or_else(|e| format!("{}: {e}", ui.t("bad_request")));
    Redirect::to(&format!("/ho-so-cho-duyet?msg={}", url_encode(&message))).into_response()
}

// ---- intake at the station ---------------------------------------------------------

#[derive(Template)]
#[template(path = "console/intake.html")]
struct IntakePage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    personal_id: String,
    citizen: Option<(String, String, String)>,
    error: Option<String>,
    idempotency_key: String,
    fingers: Vec<(&'static str, &'static str)>,
    filed: Option<FiledView>,
}

struct FiledView {
    key: String,
    receipt: String,
    due: String,
    fee: String,
}

/// Finger ids with their Vietnamese names, in the order prints are taken.
const FINGERS: [(&str, &str); 10] = [
    ("r_thumb", "Ngón cái phải"),
    ("r_index", "Ngón trỏ phải"),
    ("r_middle", "Ngón giữa phải"),
    ("r_ring", "Ngón nhẫn phải"),
    ("r_little", "Ngón út phải"),
    ("l_thumb", "Ngón cái trái"),
    ("l_index", "Ngón trỏ trái"),
    ("l_middle", "Ngón giữa trái"),
    ("l_ring", "Ngón nhẫn trái"),
    ("l_little", "Ngón út trái"),
];

#[derive(Debug, Deserialize)]
pub(crate) struct IntakeQuery {
    id: Option<String>,
    lang: Option<String>,
}

fn intake_page(ui: Ui, desk: Desk, personal_id: String) -> IntakePage {
    IntakePage {
        ui,
        officer: desk.officer,
        csrf: desk.csrf,
        personal_id,
        citizen: None,
        error: None,
        idempotency_key: uuid::Uuid::now_v7().to_string(),
        fingers: FINGERS.to_vec(),
        filed: None,
    }
}

/// The station's flow on one page (Circular 60/2021 Art. 5): the citizen looked up, the
/// type chosen, the portrait and prints uploaded, then the receipt with its papers.
pub(crate) async fn intake_form(
    State(state): State<AppState>,
    Query(q): Query<IntakeQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) if d.must_change_password => return Redirect::to("/doi-mat-khau").into_response(),
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let caller = desk.caller();
    let personal_id = q.id.unwrap_or_default().trim().to_owned();
    let mut view = intake_page(ui, desk, personal_id.clone());
    if !personal_id.is_empty() {
        match state.app.citizen(&caller, &personal_id).await {
            Ok(c) => {
                view.citizen = Some((
                    c.data.full_name.clone(),
                    c.data.birth_date.vietnamese(),
                    c.data
                        .old_id_number
                        .as_ref()
                        .map(|o| o.as_str().to_owned())
                        .unwrap_or_default(),
                ));
            }
            Err(_) => view.error = Some(ui.t("not_found").to_owned()),
        }
    }
    page(&view, StatusCode::OK, ui, q.lang.is_some())
}

/// Files the application from the uploaded form.
pub(crate) async fn intake(
    State(state): State<AppState>,
    headers: HeaderMap,
    mut multipart: axum::extract::Multipart,
) -> Response {
    let ui = Ui::of(None, &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let mut text: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut files: std::collections::HashMap<String, Vec<u8>> = std::collections::HashMap::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let is_file = field.file_name().is_some();
                match field.bytes().await {
                    Ok(bytes) if is_file => {
                        if !bytes.is_empty() {
                            files.insert(name, bytes.to_vec());
                        }
                    }
                    Ok(bytes) => {
                        text.insert(name, String::from_utf8_lossy(&bytes).trim().to_owned());
                    }
                    Err(_) => {
                        return (StatusCode::BAD_REQUEST, ui.t("bad_request")).into_response();
                    }
                }
            }
            Ok(None) => break,
            Err(_) => return (StatusCode::BAD_REQUEST, ui.t("bad_request")).into_response(),
        }
    }
    let field = |name: &str| text.get(name).cloned().unwrap_or_default();
    if !csrf_holds(&desk, &field("csrf")) {
        return (StatusCode::FORBIDDEN, ui.t("expired_form")).into_response();
    }
    let personal_id = field("personal_id");
    let fingers = FINGERS
        .iter()
        .map(|(id, _)| crate::dto::applications::FingerInput {
            finger: (*id).to_owned(),
            image: files.remove(&format!("finger_{id}")),
            missing: Some(field(&format!("missing_{id}"))).filter(|m| !m.is_empty()),
            text: None,
        })
        .collect();
    let flats = [
        files.remove("flat_right_four"),
        files.remove("flat_left_four"),
        files.remove("flat_thumbs"),
    ];
    let capture = match files.remove("portrait") {
        Some(portrait) => crate::dto::applications::build_capture(portrait, fingers, flats),
        None => Err(ui.t("portrait_needed").to_owned()),
    };
    let caller = desk.caller();
    let filed = match capture {
        Ok(capture) => {
            let request = cancuoc_app::Intake {
                personal_id: personal_id.clone(),
                kind: field("kind"),
                reason: Some(field("reason")).filter(|r| !r.is_empty()),
                channel: field("channel"),
                intake_unit: None,
                intake_date: None,
                station: Some(field("station")).filter(|s| !s.is_empty()),
                identifying_marks: Some(field("identifying_marks")).filter(|s| !s.is_empty()),
                exemption: None,
                old_card_returned: field("old_card_returned") == "1",
                idempotency_key: Some(field("idempotency_key")).filter(|s| !s.is_empty()),
                capture: Some(capture),
            };
            state
                .app
                .file_application(&caller, &request)
                .await
                .map_err(|e| e.to_string())
        }
        Err(e) => Err(e),
    };
    let mut view = intake_page(ui, desk, personal_id);
    match filed {
        Ok(f) => {
            let a = f.application;
            view.filed = Some(FiledView {
                key: a.key.to_string(),
                receipt: a.receipt.to_string(),
                due: day(a.due_date),
                fee: cancuoc_documents::format_vnd(a.fee_vnd),
            });
            page(&view, StatusCode::OK, ui, false)
        }
        Err(e) => {
            view.error = Some(format!("{}: {e}", ui.t("bad_request")));
            page(&view, StatusCode::OK, ui, false)
        }
    }
}

// ---- production -----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "console/production.html")]
struct ProductionPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    message: Option<String>,
    batch: Option<BatchView>,
}

struct BatchView {
    id: String,
    title: String,
    states: Vec<(String, u64)>,
    cards: Vec<(String, String, String)>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ProductionQuery {
    batch: Option<String>,
    msg: Option<String>,
    lang: Option<String>,
}

/// The production centre's day: a province's approved applications into a batch, made,
/// dispatched, and each card's proof to look at.
pub(crate) async fn production(
    State(state): State<AppState>,
    Query(q): Query<ProductionQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) if d.must_change_password => return Redirect::to("/doi-mat-khau").into_response(),
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let caller = desk.caller();
    let mut message = q.msg.filter(|m| !m.is_empty());
    let batch = match q.batch.as_deref().map(uuid::Uuid::parse_str) {
        Some(Ok(id)) => match state.app.batch(&caller, id).await {
            Ok(status) => {
                let listed = state
                    .app
                    .applications(
                        &caller,
                        &cancuoc_store::ApplicationQuery {
                            intake_unit: None,
                            province: None,
                            batch: Some(id),
                            state: None,
                            overdue_on: None,
                            cursor: None,
                            limit: 200,
                        },
                    )
                    .await
                    .map(|p| p.items)
                    .unwrap_or_default();
                Some(BatchView {
                    id: id.to_string(),
                    title: format!(
                        "{} {} · {}",
                        ui.t("batch"),
                        status.batch.province.as_str(),
                        day(status.batch.day)
                    ),
                    states: status
                        .states
                        .iter()
                        .map(|(s, n)| {
                            (
                                QUEUE_STATES
                                    .iter()
                                    .find(|(k, _, _)| *k == s.as_str())
                                    .map_or_else(
                                        || s.as_str().to_owned(),
                                        |(_, vi, en)| {
                                            (if ui.english { *en } else { *vi }).to_owned()
                                        },
                                    ),
                                *n,
                            )
                        })
                        .collect(),
                    cards: listed
                        .into_iter()
                        .map(|a| {
                            (
                                a.personal_id.as_string(),
                                a.receipt.to_string(),
                                a.state.as_str().to_owned(),
                            )
                        })
                        .collect(),
                })
            }
            Err(e) => {
                message = Some(format!("{}: {e}", ui.t("bad_request")));
                None
            }
        },
        _ => None,
    };
    page(
        &ProductionPage {
            ui,
            officer: desk.officer,
            csrf: desk.csrf,
            message,
            batch,
        },
        StatusCode::OK,
        ui,
        q.lang.is_some(),
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct ProductionForm {
    csrf: String,
    action: String,
    province: Option<String>,
    batch: Option<String>,
}

pub(crate) async fn production_step(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ProductionForm>,
) -> Response {
    let ui = Ui::of(None, &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    if !csrf_holds(&desk, &form.csrf) {
        return (StatusCode::FORBIDDEN, ui.t("expired_form")).into_response();
    }
    let caller = desk.caller();
    let outcome = match form.action.as_str() {
        "start" => {
            state
                .app
                .start_batch(&caller, form.province.as_deref().unwrap_or("").trim(), 500)
                .await
        }
        "produce" | "dispatch" => {
            let action = if form.action == "produce" {
                cancuoc_domain::application::Action::Produce
            } else {
                cancuoc_domain::application::Action::Dispatch
            };
            match form.batch.as_deref().map(uuid::Uuid::parse_str) {
                Some(Ok(id)) => state.app.advance_batch(&caller, id, action).await,
                _ => Err(AppError::Invalid("batch".into())),
            }
        }
        _ => Err(AppError::Invalid("action".into())),
    };
    match outcome {
        Ok(o) => {
            let message = format!(
                "{}: {}; {}: {}",
                ui.t("steps_done"),
                o.done.len(),
                ui.t("steps_failed"),
                o.refused.len()
            );
            Redirect::to(&format!(
                "/san-xuat?batch={}&msg={}",
                o.batch.id,
                url_encode(&message)
            ))
            .into_response()
        }
        Err(e) => Redirect::to(&format!(
            "/san-xuat?msg={}",
            url_encode(&format!("{}: {e}", ui.t("bad_request")))
        ))
        .into_response(),
    }
}

#[derive(Template)]
#[template(path = "console/card.html")]
struct CardPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    personal_id: String,
    card: Option<CardView>,
}

/// A card's proof: front and back as the production centre will print them.
pub(crate) async fn card(
    State(state): State<AppState>,
    Path(personal_id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) if d.must_change_password => return Redirect::to("/doi-mat-khau").into_response(),
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let card = state
        .app
        .card(&desk.caller(), &personal_id)
        .await
        .ok()
        .map(|c| CardView {
            issued: day(c.issue_date),
            expires: c.expiry_date.map(day),
            status: ui.t(c.status.as_str()).to_owned(),
        });
    let status = if card.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    page(
        &CardPage {
            ui,
            officer: desk.officer,
            csrf: desk.csrf,
            personal_id,
            card,
        },
        status,
        ui,
        q.lang.is_some(),
    )
}

#[derive(Template)]
#[template(path = "console/units.html")]
struct UnitsPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    head: (String, String),
    parent: Option<String>,
    children: Vec<(String, String)>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct UnitQuery {
    unit: Option<String>,
    lang: Option<String>,
}

/// The police units: a unit, the one above it and those under it, to walk the hierarchy.
pub(crate) async fn units(
    State(state): State<AppState>,
    Query(q): Query<UnitQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let desk = match desk(&state, &headers).await {
        Ok(d) if d.must_change_password => return Redirect::to("/doi-mat-khau").into_response(),
        Ok(d) => d,
        Err(to_login) => return to_login,
    };
    let (head, parent, children, error) = match state
        .app
        .police_unit_tree(&desk.caller(), q.unit.as_deref())
        .await
    {
        Ok((head, children)) => (
            (head.code.as_string(), head.name.clone()),
            head.parent.map(|p| p.as_string()),
            children
                .into_iter()
                .map(|c| (c.code.as_string(), c.name))
                .collect(),
            None,
        ),
        Err(e) => (
            (String::new(), String::new()),
            None,
            Vec::new(),
            Some(format!("{}: {e}", ui.t("bad_request"))),
        ),
    };
    page(
        &UnitsPage {
            ui,
            officer: desk.officer,
            csrf: desk.csrf,
            head,
            parent,
            children,
            error,
        },
        StatusCode::OK,
        ui,
        q.lang.is_some(),
    )
}
