//! The citizens' booking page at `/dat-lich`: plain HTML forms over the same use cases as
//! `/api/v1/public/*`, so it works on any phone without scripts. Vietnamese, with an
//! English switch (`?lang=en`).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use cancuoc_app::{AppError, Booking, CitizenProof, OpenSession};
use cancuoc_domain::schedule::AppointmentState;
use serde::Deserialize;
use uuid::Uuid;

use crate::AppState;
use crate::extract::ClientAddress;

/// The page's words in one language.
struct Words {
    lang: &'static str,
    other_lang: &'static str,
    other_lang_name: &'static str,
    title: &'static str,
    intro: &'static str,
    personal_id: &'static str,
    birth_date: &'static str,
    look_up: &'static str,
    hello: &'static str,
    your_appointment: &'static str,
    no_appointment: &'static str,
    place: &'static str,
    date: &'static str,
    time: &'static str,
    queue_number: &'static str,
    state: &'static str,
    move_to: &'static str,
    book: &'static str,
    no_sessions: &'static str,
    free: &'static str,
    back: &'static str,
    booked: &'static str,
    not_found: &'static str,
    too_many: &'static str,
    full: &'static str,
    too_late: &'static str,
    bad_request: &'static str,
    failed: &'static str,
}

const VI: Words = Words {
    lang: "vi",
    other_lang: "en",
    other_lang_name: "English",
    title: "Lịch hẹn cấp căn cước công dân",
    intro: "Nhập số định danh cá nhân và ngày sinh để xem giấy mời, đổi giờ hẹn hoặc đặt lịch.",
    personal_id: "Số định danh cá nhân (12 số)",
    birth_date: "Ngày sinh (ngày/tháng/năm)",
    look_up: "Xem lịch hẹn",
    hello: "Xin chào",
    your_appointment: "Lịch hẹn của bạn",
    no_appointment: "Bạn chưa có lịch hẹn.",
    place: "Địa điểm",
    date: "Ngày",
    time: "Giờ",
    queue_number: "Số thứ tự",
    state: "Trạng thái",
    move_to: "Đổi sang khung giờ khác",
    book: "Đặt lịch",
    no_sessions: "Hiện chưa có buổi làm thủ tục còn chỗ tại xã, phường nơi bạn ở.",
    free: "chỗ trống",
    back: "Quay lại",
    booked: "Đã ghi nhận lịch hẹn của bạn.",
    not_found: "Không tìm thấy công dân có số định danh và ngày sinh này.",
    too_many: "Bạn đã thử quá nhiều lần. Vui lòng thử lại sau 15 phút.",
    full: "Khung giờ này đã đủ người hoặc bạn đã có lịch hẹn. Vui lòng chọn khung giờ khác.",
    too_late: "Khung giờ này không còn nhận đặt lịch, hoặc bạn đã làm thủ tục.",
    bad_request: "Thông tin gửi lên không hợp lệ.",
    failed: "Hệ thống đang bận. Vui lòng thử lại sau.",
};

const EN: Words = Words {
    lang: "en",
    other_lang: "vi",
    other_lang_name: "Tiếng Việt",
    title: "Citizen identity card appointments",
    intro: "Enter your personal ID number and date of birth to see your invitation, move it or book a slot.",
    personal_id: "Personal ID number (12 digits)",
    birth_date: "Date of birth (dd/mm/yyyy)",
    look_up: "See my appointment",
    hello: "Hello",
    your_appointment: "Your appointment",
    no_appointment: "You have no appointment yet.",
    place: "Place",
    date: "Date",
    time: "Time",
    queue_number: "Queue number",
    state: "State",
    move_to: "Move to another slot",
    book: "Book a slot",
    no_sessions: "No session with free places in your commune for now.",
    free: "free",
    back: "Back",
    booked: "Your appointment is recorded.",
    not_found: "No citizen with this personal ID number and date of birth.",
    too_many: "Too many attempts. Please try again in 15 minutes.",
    full: "This slot is full, or you already hold an appointment. Please choose another.",
    too_late: "This slot no longer takes bookings, or you have already checked in.",
    bad_request: "The form was not filled in correctly.",
    failed: "The system is busy. Please try again later.",
};

#[derive(Debug, Deserialize)]
pub(crate) struct Lang {
    lang: Option<String>,
}

impl Lang {
    fn words(&self) -> &'static Words {
        if self.lang.as_deref() == Some("en") {
            &EN
        } else {
            &VI
        }
    }
}

struct AppointmentView {
    site_name: String,
    site_address: String,
    date: String,
    time: String,
    queue_number: u32,
    state: String,
}

struct BookingView {
    name: String,
    appointment: Option<AppointmentView>,
    /// Only someone not yet checked in may book or move.
    can_choose: bool,
}

struct SlotView {
    number: u32,
    time: String,
    free: u32,
}

struct SessionView {
    id: String,
    date: String,
    site_name: String,
    site_address: String,
    slots: Vec<SlotView>,
}

#[derive(Template)]
#[template(path = "booking.html")]
struct BookingPage {
    t: &'static Words,
    error: Option<&'static str>,
    notice: Option<&'static str>,
    booking: Option<BookingView>,
    sessions: Vec<SessionView>,
    proof_id: String,
    proof_birth: String,
}

fn day(date: jiff::civil::Date) -> String {
    format!("{:02}/{:02}/{}", date.day(), date.month(), date.year())
}

fn state_label(state: AppointmentState, t: &Words) -> String {
    if t.lang == "vi" {
        state.label_vi().to_owned()
    } else {
        state.as_str().replace('_', " ")
    }
}

/// No scripts, no outside resources, forms only to this site.
const PAGE_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

fn render(page: &BookingPage, status: StatusCode) -> Response {
    match page.render() {
        Ok(html) => (
            status,
            [(axum::http::header::CONTENT_SECURITY_POLICY, PAGE_POLICY)],
            Html(html),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "the booking page does not render");
            (StatusCode::INTERNAL_SERVER_ERROR, page.t.failed).into_response()
        }
    }
}

fn blank(t: &'static Words) -> BookingPage {
    BookingPage {
        t,
        error: None,
        notice: None,
        booking: None,
        sessions: Vec::new(),
        proof_id: String::new(),
        proof_birth: String::new(),
    }
}

/// The error as the page says it, with its status.
fn explain(e: &AppError, t: &'static Words) -> (StatusCode, &'static str) {
    match e {
        AppError::NotFound(_) => (StatusCode::NOT_FOUND, t.not_found),
        AppError::TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, t.too_many),
        AppError::Conflict(_) => (StatusCode::CONFLICT, t.full),
        AppError::InvalidState(_) => (StatusCode::CONFLICT, t.too_late),
        AppError::Invalid(_) => (StatusCode::BAD_REQUEST, t.bad_request),
        _ => (crate::error::status_of(e.code()), t.failed),
    }
}

fn sessions_view(open: Vec<OpenSession>) -> Vec<SessionView> {
    open.into_iter()
        .map(|s| SessionView {
            id: s.session.to_string(),
            date: day(s.date),
            site_name: s.site_name,
            site_address: s.site_address,
            slots: s
                .slots
                .iter()
                .map(|slot| SlotView {
                    number: slot.number,
                    time: slot.time.to_string(),
                    free: slot.free,
                })
                .collect(),
        })
        .collect()
}

/// The page for a proven citizen: their appointment and the slots they may choose.
async fn booking_page(
    state: &AppState,
    t: &'static Words,
    booking: Booking,
    proof: CitizenProof,
    notice: Option<&'static str>,
) -> Response {
    let can_choose = booking
        .appointment
        .as_ref()
        .is_none_or(|a| a.state == AppointmentState::Booked);
    let sessions = match (&booking.commune, can_choose) {
        (Some(commune), true) => match state.app.open_sessions(commune).await {
            Ok(open) => sessions_view(open),
            // "No session to choose" would be untrue; the page says to try later.
            Err(e) if e.is_system_failure() => return failure(t, &e),
            Err(_) => Vec::new(),
        },
        _ => Vec::new(),
    };
    let page = BookingPage {
        notice,
        booking: Some(BookingView {
            name: booking.name,
            appointment: booking.appointment.map(|a| AppointmentView {
                site_name: a.site_name,
                site_address: a.site_address,
                date: day(a.date),
                time: a.time.to_string(),
                queue_number: a.queue_number,
                state: state_label(a.state, t),
            }),
            can_choose,
        }),
        sessions,
        proof_id: proof.personal_id,
        proof_birth: proof.birth_date,
        ..blank(t)
    };
    render(&page, StatusCode::OK)
}

fn failure(t: &'static Words, e: &AppError) -> Response {
    let (status, message) = explain(e, t);
    render(
        &BookingPage {
            error: Some(message),
            ..blank(t)
        },
        status,
    )
}

/// The form.
pub(crate) async fn form(Query(lang): Query<Lang>) -> Response {
    render(&blank(lang.words()), StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub(crate) struct ProofForm {
    personal_id: String,
    birth_date: String,
}

/// The citizen's appointment and the slots of their commune.
pub(crate) async fn look_up(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    Query(lang): Query<Lang>,
    Form(form): Form<ProofForm>,
) -> Response {
    let t = lang.words();
    let proof = CitizenProof {
        personal_id: form.personal_id.trim().to_owned(),
        birth_date: form.birth_date.trim().to_owned(),
    };
    match state.app.my_booking(&client, &proof).await {
        Ok(booking) => booking_page(&state, t, booking, proof, None).await,
        Err(e) => failure(t, &e),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChoiceForm {
    personal_id: String,
    birth_date: String,
    session: String,
    slot: u32,
}

/// Books the chosen slot, or moves the appointment there.
pub(crate) async fn choose(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    Query(lang): Query<Lang>,
    Form(form): Form<ChoiceForm>,
) -> Response {
    let t = lang.words();
    let Ok(session) = Uuid::parse_str(form.session.trim()) else {
        return failure(t, &AppError::Invalid("session".into()));
    };
    let proof = CitizenProof {
        personal_id: form.personal_id.trim().to_owned(),
        birth_date: form.birth_date.trim().to_owned(),
    };
    let current = match state.app.my_booking(&client, &proof).await {
        Ok(b) => b,
        Err(e) => return failure(t, &e),
    };
    let done = if current.appointment.is_some() {
        state
            .app
            .move_booking(&client, &proof, session, form.slot)
            .await
    } else {
        state.app.book(&client, &proof, session, form.slot).await
    };
    match done {
        Ok(booking) => booking_page(&state, t, booking, proof, Some(t.booked)).await,
        Err(e) => failure(t, &e),
    }
}
