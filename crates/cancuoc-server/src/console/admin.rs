//! Administration: officers, police units, the audit trail.

#[allow(
    clippy::wildcard_imports,
    reason = "a page module shares its parent's helpers"
)]
use super::*;

#[derive(Template)]
#[template(path = "console/officers.html")]
pub(crate) struct OfficersPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    message: Option<String>,
    error: Option<String>,
    officers: Vec<Officer>,
    roles: Vec<&'static str>,
    /// (code, name) of the police units an officer may be added to: every unit in the
    /// administrator's jurisdiction, communes only within a province (a nation's ten
    /// thousand commune posts are typed by code).
    units: Vec<(String, String)>,
    /// The new officer's fields as typed, kept when the form is refused.
    typed: NewOfficerFields,
}

#[derive(Debug, Default)]
pub(crate) struct NewOfficerFields {
    username: String,
    full_name: String,
    unit: String,
    role: String,
}

pub(crate) async fn officers(
    State(state): State<AppState>,
    desk: Desk,
    Query(q): Query<MessageQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let chosen = q.lang.is_some();
    let message = q.msg.filter(|m| !m.is_empty());
    officers_page(
        &state,
        desk,
        ui,
        message,
        None,
        NewOfficerFields::default(),
        chosen,
    )
    .await
}

async fn officers_page(
    state: &AppState,
    desk: Desk,
    ui: Ui,
    message: Option<String>,
    refused: Option<String>,
    typed: NewOfficerFields,
    chosen: bool,
) -> Response {
    let (officers, listed) = match state.app.officers(&desk.caller()).await {
        Ok(list) => (list, None),
        Err(e) => (Vec::new(), Some(said(ui, &e))),
    };
    let places = state.app.places();
    let scope = desk.officer.unit.jurisdiction();
    let within_a_province = matches!(&scope, cancuoc_domain::Jurisdiction::Within(_));
    let mut units: Vec<(String, String)> = places
        .police_codes()
        .filter(|code| places.sees(&scope, code))
        .filter(|code| {
            within_a_province || !matches!(code, cancuoc_domain::PoliceUnitCode::Commune(_))
        })
        .filter_map(|code| places.police_unit(code))
        .map(|unit| (unit.code.to_string(), unit.name.clone()))
        .collect();
    units.sort();
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page(
        &OfficersPage {
            ui,
            officer: desk.officer,
            csrf: desk.csrf,
            message,
            error: listed.or(refused),
            officers,
            roles: cancuoc_domain::Role::ALL
                .iter()
                .map(|r| r.as_str())
                .collect(),
            units,
            typed,
        },
        status,
        ui,
        chosen,
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
    /// Ticked next to "disable": the officer is signed out at once, so it is confirmed.
    confirm: Option<String>,
}

/// Adds an officer (the one-time password is shown once, to hand over in person), or
/// disables or enables one.
pub(crate) async fn officer_action(
    State(state): State<AppState>,
    desk: Desk,
    headers: HeaderMap,
    Form(form): Form<OfficerForm>,
) -> Response {
    let ui = Ui::of(None, &headers);
    if !csrf_holds(&desk, &form.csrf) {
        return (StatusCode::FORBIDDEN, ui.t(W::expired_form)).into_response();
    }
    let caller = desk.caller();
    let username = form.username.trim();
    let done: Result<String, AppError> = match form.action.as_str() {
        "add" => {
            let added = {
                let unit = cancuoc_domain::PoliceUnitCode::parse(
                    form.unit.as_deref().unwrap_or("").trim(),
                )
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
                        .map(|otp| format!("{} {username}: {otp}", ui.t(W::one_time_password))),
                    (Err(e), _) | (_, Err(e)) => Err(e),
                }
            };
            // The one-time password is shown in this answer only (never cached), not put
            // into a redirect's URL where the browser's history would keep it. A refusal
            // gives the form back as it was typed.
            let typed = NewOfficerFields {
                username: username.to_owned(),
                full_name: form.full_name.clone().unwrap_or_default(),
                unit: form.unit.clone().unwrap_or_default(),
                role: form.role.clone().unwrap_or_default(),
            };
            return match added {
                Ok(shown) => {
                    officers_page(
                        &state,
                        desk,
                        ui,
                        Some(shown),
                        None,
                        NewOfficerFields::default(),
                        false,
                    )
                    .await
                }
                Err(e) => {
                    let refused = said(ui, &e);
                    officers_page(&state, desk, ui, None, Some(refused), typed, false).await
                }
            };
        }
        "disable" if form.confirm.as_deref() != Some("yes") => {
            Ok(ui.t(W::confirm_disable_needed).to_owned())
        }
        "disable" | "enable" => state
            .app
            .set_officer_active(&caller, username, form.action == "enable")
            .await
            .map(|()| format!("{}: {username}", ui.name_of(&form.action))),
        _ => Err(AppError::Invalid("action".into())),
    };
    let message = done.unwrap_or_else(|e| said(ui, &e));
    Redirect::to(&format!("/quan-tri/can-bo?msg={}", url_encode(&message))).into_response()
}

#[derive(Template)]
#[template(path = "console/audit.html")]
pub(crate) struct AuditPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    actor: String,
    action: String,
    record: String,
    message: Option<String>,
    events: Vec<AuditRow>,
}

/// One event as the trail's table shows it.
struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    unit: String,
    action: String,
    outcome: &'static str,
    record: String,
    purpose: String,
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
    desk: Desk,
    Query(q): Query<AuditQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
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
        units: None,
        limit: 200,
    };
    let (events, error) = match state.app.audit_log(&desk.caller(), &filter).await {
        Ok(list) => (
            list.into_iter()
                .map(|e| {
                    let at = local_time(e.at_micros, "%d/%m/%Y %H:%M:%S");
                    AuditRow {
                        seq: e.seq,
                        at,
                        actor: e.draft.actor,
                        unit: e.draft.unit,
                        action: audit_action_name(ui, &e.draft.action),
                        outcome: ui.name_of(&format!("outcome_{}", e.draft.outcome.as_str())),
                        record: format!("{} {}", e.draft.record_kind, e.draft.record_key),
                        purpose: e.draft.purpose,
                    }
                })
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Some(said(ui, &e))),
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

/// What each action of the audit trail is, in Vietnamese, by its stable code.
const AUDIT_ACTIONS: &[(&str, &str)] = &[
    ("application.create", "Tiếp nhận hồ sơ"),
    ("application.list", "Xem danh sách hồ sơ"),
    ("application.read", "Xem hồ sơ"),
    ("application.transition", "Xử lý hồ sơ"),
    ("appointment.call", "Mời vào thu nhận"),
    ("appointment.check_in", "Xác nhận công dân đến"),
    ("appointment.list", "Xem danh sách lịch hẹn"),
    ("appointment.make", "Đặt lịch hẹn"),
    ("appointment.no_show", "Ghi nhận không đến"),
    ("appointment.queue", "Xem hàng chờ"),
    ("appointment.read", "Xem lịch hẹn"),
    ("appointment.step", "Cập nhật lịch hẹn"),
    ("appointment.walk_in", "Xếp công dân đến không hẹn"),
    ("audit.archive", "Tách tháng nhật ký để lưu trữ"),
    ("auth.login", "Đăng nhập"),
    ("auth.login_failed", "Đăng nhập sai"),
    ("auth.login_throttled", "Đăng nhập bị tạm chặn"),
    ("batch.open", "Mở lô sản xuất"),
    ("biometrics.add", "Lưu ảnh và vân tay"),
    ("biometrics.read", "Xem ảnh và vân tay"),
    ("campaign.create", "Tạo chiến dịch"),
    ("card.activate", "Kích hoạt thẻ"),
    ("card.chip.read", "Đọc dữ liệu chip của thẻ"),
    ("card.produce", "Sản xuất thẻ"),
    ("card.read", "Xem thẻ"),
    ("card.report_lost", "Báo mất thẻ"),
    ("citizen.booking.make", "Công dân đặt lịch"),
    ("citizen.booking.move", "Công dân đổi lịch"),
    ("citizen.booking.read", "Công dân xem lịch hẹn"),
    ("citizen.booking.sessions", "Công dân xem buổi thu nhận"),
    ("citizen.bulk_load", "Nạp dữ liệu dân cư"),
    ("citizen.history", "Xem lịch sử thay đổi công dân"),
    ("citizen.read", "Xem thông tin công dân"),
    ("citizen.search", "Tìm kiếm công dân"),
    ("eligible.count", "Đếm dân số đủ điều kiện"),
    ("enrollment_session.close", "Kết thúc buổi thu nhận"),
    ("enrollment_session.create", "Tạo buổi thu nhận"),
    ("enrollment_session.desk", "Mở bàn thu nhận"),
    ("enrollment_session.figures", "Xem kết quả buổi"),
    ("enrollment_session.list", "Xem lịch làm thủ tục"),
    ("enrollment_session.read", "Xem buổi thu nhận"),
    ("form.decide", "Xử lý phiếu thu thập"),
    ("form.list", "Xem danh sách phiếu"),
    ("form.read", "Xem phiếu thu thập"),
    ("forms.import", "Nhập phiếu thu thập"),
    ("forms.import.dry_run", "Kiểm tra thử tệp phiếu"),
    ("household.read", "Xem hộ gia đình"),
    ("invitation.make", "Lập giấy mời"),
    ("invitation.print", "In giấy mời"),
    ("invitees.read", "Xem danh sách được mời"),
    ("machine.add", "Thêm máy thu nhận"),
    ("machine.list", "Xem danh sách máy"),
    ("officer.create", "Tạo tài khoản cán bộ"),
    ("officer.list", "Xem danh sách cán bộ"),
    ("officer.set_active", "Khóa hoặc mở tài khoản"),
    ("officer.set_password", "Đổi mật khẩu"),
    ("personal_id.allocate", "Cấp số định danh"),
    ("pki.certificate.add", "Cấp chứng thư số (CSCA, DS)"),
    ("pki.crl.issue", "Phát hành danh sách thu hồi"),
    ("pki.document_signer.revoke", "Thu hồi chứng thư ký (DS)"),
    ("pki.line_key.add", "Đăng ký khóa dây chuyền cá thể hóa"),
    ("station.request", "Đề nghị đăng ký trạm lưu động"),
    ("station.approve", "Duyệt trạm lưu động"),
    ("station.packet.make", "Lập gói hồ sơ tại trạm"),
    ("application.verifier_note", "Ghi chú cho người xác minh"),
    ("station.packet.resolve", "Xử lý gói hồ sơ bị từ chối"),
    (
        "station.packet.discard",
        "Hủy gói hồ sơ không nộp được tại trạm",
    ),
    ("station.revoke", "Thu hồi trạm lưu động"),
    ("station.extract", "Trạm lưu động tải dữ liệu dân cư"),
    (
        "station.server_key.add",
        "Tạo khóa máy chủ cho trạm lưu động",
    ),
    ("quota.set", "Giao chỉ tiêu"),
    (
        "remote_district.add",
        "Thêm huyện miền núi, biên giới, hải đảo",
    ),
    (
        "remote_district.end",
        "Kết thúc áp dụng huyện miền núi, biên giới, hải đảo",
    ),
    ("schedule.accept", "Duyệt kế hoạch thu nhận"),
    ("schedule.plan", "Lập kế hoạch thu nhận"),
    ("site.create", "Tạo điểm thu nhận"),
    ("site.list", "Xem điểm thu nhận"),
];

/// An audit action as the page's language says it: in Vietnamese its name, the stable
/// code in English (the code is what a filter and an export use).
fn audit_action_name(ui: Ui, code: &str) -> String {
    if ui.english {
        return code.to_owned();
    }
    AUDIT_ACTIONS
        .iter()
        .find(|(known, _)| *known == code)
        .map_or_else(|| code.to_owned(), |(_, name)| (*name).to_owned())
}

/// Walks the whole chain and says whether it holds.
pub(crate) async fn audit_verify(
    State(state): State<AppState>,
    desk: Desk,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let ui = Ui::of(None, &headers);
    if !csrf_holds(&desk, &form.csrf) {
        return (StatusCode::FORBIDDEN, ui.t(W::expired_form)).into_response();
    }
    let message = if desk.officer.role.reads_audit() {
        match state.app.verify_audit().await {
            Ok(v) => match v.first_break {
                None => format!("{}: {}", ui.t(W::chain_holds), v.events),
                Some(b) => format!("{}: {b}", ui.t(W::chain_broken)),
            },
            Err(e) => said(ui, &e),
        }
    } else {
        ui.t(W::bad_request).to_owned()
    };
    Redirect::to(&format!("/quan-tri/nhat-ky?msg={}", url_encode(&message))).into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a failed test panics")]

    /// Every action the code appends to the trail has a Vietnamese name: the action
    /// codes written in the use cases and the store are found in their sources.
    #[test]
    fn every_audit_action_has_a_vietnamese_name() {
        let code = regex::Regex::new(r#""([a-z_]+(?:\.[a-z_]+)+)""#).unwrap();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut missing = Vec::new();
        for dir in ["cancuoc-app/src", "cancuoc-store-sql/src"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                for found in code.captures_iter(&text).filter_map(|c| c.get(1)) {
                    let name = found.as_str();
                    // Column names ("c.data") and usernames are no actions.
                    let is_action = name
                        .split('.')
                        .next()
                        .is_some_and(|object| object.len() > 2 && object != "lan");
                    if is_action && !super::AUDIT_ACTIONS.iter().any(|(known, _)| *known == name) {
                        missing.push(name.to_owned());
                    }
                }
            }
        }
        let text = std::fs::read_to_string(root.join("cancuoc-store/src/types.rs")).unwrap();
        for found in code.captures_iter(&text).filter_map(|c| c.get(1)) {
            if !super::AUDIT_ACTIONS
                .iter()
                .any(|(known, _)| *known == found.as_str())
            {
                missing.push(found.as_str().to_owned());
            }
        }
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "{missing:?}");
    }
}
