//! One application (`/ho-so/{id}`): the citizen, the type, the fee, the due date and the
//! working days left, the portrait and prints (or why a finger is missing) for the roles
//! that may see them, the documents and the card, the whole history, and the steps the
//! officer's role may take from here, each ending step confirmed first.

#[allow(
    clippy::wildcard_imports,
    reason = "a page module shares its parent's helpers"
)]
use super::*;
use cancuoc_domain::application::{Action, ApplicationState};
use cancuoc_domain::biometrics::ImageRole;

#[derive(Template)]
#[template(path = "console/application.html")]
pub(crate) struct ApplicationPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    key: String,
    receipt: String,
    state: String,
    version: i64,
    citizen_name: String,
    personal_id: String,
    facts: Vec<(&'static str, String)>,
    /// Why the application was sent back, while it waits for the correction.
    correction_reason: Option<String>,
    /// What the verifier must look at first (a station's filing whose record changed).
    verifier_note: Option<String>,
    /// (image id, label): the images the capture holds, for a role that sees them.
    images: Vec<(&'static str, String)>,
    /// (finger, reason) of every finger without a print.
    missing_fingers: Vec<(String, String)>,
    sees_biometrics: bool,
    /// (action id, label, needs a reason, ends the application)
    steps: Vec<(&'static str, &'static str, bool, bool)>,
    /// Whether a step needs a reason (the box is shown).
    any_reason: bool,
    /// Whether a step ends the application (the confirmation is shown).
    any_final: bool,
    has_card: bool,
    /// Hand-over is open and the type replaces a card: ask whether the old one came back.
    asks_old_card: bool,
    /// What intake recorded, the choice shown first.
    old_card_returned: bool,
    /// The portrait and prints may be (re)taken here: before verification or while a
    /// correction is asked for, by the intake side.
    retake: bool,
    /// For `biometric_fields.html`.
    fingers: Vec<(&'static str, &'static str)>,
    history: Vec<HistoryLine>,
    message: Option<String>,
    error: Option<String>,
}

pub(crate) struct HistoryLine {
    at: String,
    step: String,
    state: String,
    actor: String,
    reason: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ApplicationQuery {
    msg: Option<String>,
    lang: Option<String>,
}

/// An application state's name in the page's language.
pub(crate) fn state_name(ui: Ui, state: ApplicationState) -> String {
    if ui.english {
        state.as_str().replace('_', " ")
    } else {
        state.vietnamese().to_owned()
    }
}

fn step_name(ui: Ui, action: Action) -> &'static str {
    if ui.english {
        action.english()
    } else {
        action.vietnamese()
    }
}

/// The Vietnamese name of an image of the capture.
fn image_name(role: ImageRole) -> String {
    match role {
        ImageRole::Portrait => "Ảnh chân dung".to_owned(),
        ImageRole::Rolled(finger) => FINGERS
            .iter()
            .find(|(id, _)| *id == finger.id())
            .map_or_else(|| finger.id().to_owned(), |(_, name)| (*name).to_owned()),
        ImageRole::Flat(_) => match role.id() {
            "flat_right_four" => "Bốn ngón tay phải".to_owned(),
            "flat_left_four" => "Bốn ngón tay trái".to_owned(),
            _ => "Hai ngón cái".to_owned(),
        },
    }
}

pub(crate) async fn application(
    State(state): State<AppState>,
    desk: Desk,
    Path(id): Path<String>,
    Query(q): Query<ApplicationQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    application_page(&state, desk, ui, &id, q.msg, None, q.lang.is_some()).await
}

async fn application_page(
    state: &AppState,
    desk: Desk,
    ui: Ui,
    id: &str,
    message: Option<String>,
    error: Option<String>,
    chosen: bool,
) -> Response {
    let caller = desk.caller();
    let found = match uuid::Uuid::parse_str(id) {
        Ok(key) => state.app.application(&caller, key).await,
        Err(_) => Err(AppError::NotFound(id.to_owned())),
    };
    let record = match found {
        Ok(record) => record,
        Err(e) if e.is_system_failure() => return system_failure(ui, &e),
        Err(AppError::Forbidden(_)) => {
            return (StatusCode::FORBIDDEN, ui.t(W::forbidden)).into_response();
        }
        Err(_) => return (StatusCode::NOT_FOUND, ui.t(W::not_found)).into_response(),
    };
    let citizen = state
        .app
        .citizen(&caller, &record.personal_id.as_string())
        .await
        .ok();
    let days_left = state.app.working_days_left(record.due_date).ok();
    let due = match (record.state.is_open(), days_left) {
        (true, Some(left)) if left >= 0 => {
            format!(
                "{} ({left} {})",
                day(record.due_date),
                ui.t(W::working_days_left)
            )
        }
        (true, Some(late)) => format!(
            "{} ({} {} {})",
            day(record.due_date),
            ui.t(W::late_by),
            -late,
            ui.t(W::working_days)
        ),
        _ => day(record.due_date),
    };
    let unit_name = state
        .app
        .places()
        .police_unit(&record.intake_unit)
        .map_or_else(|| record.intake_unit.to_string(), |u| u.name.clone());
    let facts: Vec<(&'static str, String)> = [
        (
            W::kind,
            if ui.english {
                record.kind.to_string()
            } else {
                record.kind.vietnamese().to_owned()
            },
        ),
        (W::intake_unit, unit_name),
        (W::station, record.station.clone().unwrap_or_default()),
        (W::intake_officer, record.officer.clone()),
        (W::intake_date, day(record.intake_date)),
        (W::due_date, due),
        (
            W::fee,
            format!(
                "{} ({})",
                cancuoc_documents::format_vnd(record.fee_vnd),
                record.fee_basis
            ),
        ),
        (
            W::identifying_marks,
            record.identifying_marks.clone().unwrap_or_default(),
        ),
        (
            W::old_card_returned,
            match (record.kind, record.old_card_returned) {
                (cancuoc_domain::application::ApplicationType::FirstIssuance, _) => String::new(),
                (_, true) => ui.t(W::yes).to_owned(),
                (_, false) => ui.t(W::no).to_owned(),
            },
        ),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .map(|(label, value)| (ui.t(label), value))
    .collect();
    let correction_reason = (record.state == ApplicationState::NeedsCorrection)
        .then(|| {
            record
                .history
                .iter()
                .rev()
                .find(|e| e.action == Some(Action::RequestCorrection))
                .and_then(|e| e.reason.clone())
        })
        .flatten();
    let manifest = cancuoc_app::App::biometric_manifest(&record);
    let sees_biometrics = desk.officer.role.sees_biometrics();
    let images = manifest
        .as_ref()
        .filter(|_| sees_biometrics)
        .map(|m| {
            m.images
                .iter()
                .map(|i| (i.role.id(), image_name(i.role)))
                .collect()
        })
        .unwrap_or_default();
    let missing_fingers = manifest
        .as_ref()
        .map(|m| {
            m.missing_fingers
                .iter()
                .map(|f| {
                    (
                        image_name(ImageRole::Rolled(f.finger)),
                        f.reason.label_vi().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let steps: Vec<(&'static str, &'static str, bool, bool)> =
        Action::open_to(desk.officer.role, record.state)
            .into_iter()
            .map(|a| {
                (
                    a.as_str(),
                    step_name(ui, a),
                    a.needs_reason(),
                    a.ends_application(),
                )
            })
            .collect();
    let history = record
        .history
        .iter()
        .map(|e| HistoryLine {
            at: local_time(e.at_micros, "%d/%m/%Y %H:%M"),
            step: e.action.map_or_else(
                || ui.t(W::intake_step).to_owned(),
                |a| step_name(ui, a).to_owned(),
            ),
            state: state_name(ui, e.to),
            actor: format!("{} ({})", e.actor, e.unit),
            reason: e.reason.clone().unwrap_or_default(),
        })
        .collect();
    let view = ApplicationPage {
        ui,
        csrf: desk.csrf,
        key: record.key.to_string(),
        receipt: record.receipt.to_string(),
        state: state_name(ui, record.state),
        version: record.version,
        citizen_name: citizen
            .map(|c| c.data.full_name)
            .unwrap_or_else(|| record.personal_id.as_string()),
        personal_id: record.personal_id.as_string(),
        facts,
        correction_reason,
        verifier_note: record.verifier_note.clone(),
        images,
        missing_fingers,
        sees_biometrics,
        any_reason: steps.iter().any(|s| s.2),
        any_final: steps.iter().any(|s| s.3),
        old_card_returned: record.old_card_returned,
        asks_old_card: record.kind != cancuoc_domain::application::ApplicationType::FirstIssuance
            && steps.iter().any(|s| s.0 == Action::HandOver.as_str()),
        steps,
        has_card: matches!(
            record.state,
            ApplicationState::Produced
                | ApplicationState::Dispatched
                | ApplicationState::ReadyForPickup
                | ApplicationState::HandedOver
        ),
        retake: desk.officer.role.takes_intake()
            && matches!(
                record.state,
                ApplicationState::Received | ApplicationState::NeedsCorrection
            ),
        fingers: FINGERS.to_vec(),
        history,
        message: message.filter(|m| !m.is_empty()),
        error,
        officer: desk.officer,
    };
    let status = if view.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page(&view, status, ui, chosen)
}

/// One step from the application page. A step that ends the application (hand-over,
/// rejection, cancellation) goes through only with its confirmation ticked; the version
/// shown on the page goes along, so a step taken meanwhile by someone else is not
/// taken twice.
pub(crate) async fn application_step(
    State(state): State<AppState>,
    desk: Desk,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let ui = Ui::of(None, &headers);
    let field = |name: &str| form_field(&pairs, name);
    if !csrf_holds(&desk, &field("csrf")) {
        return (StatusCode::FORBIDDEN, ui.t(W::expired_form)).into_response();
    }
    let Ok(key) = uuid::Uuid::parse_str(&id) else {
        return (StatusCode::NOT_FOUND, ui.t(W::not_found)).into_response();
    };
    let action = field("action");
    let ends = Action::parse(&action).is_some_and(Action::ends_application);
    let action_is_hand_over = Action::parse(&action) == Some(Action::HandOver);
    if ends && field("confirm") != "yes" {
        let error = Some(ui.t(W::confirm_needed).to_owned());
        return application_page(&state, desk, ui, &id, None, error, false).await;
    }
    let request = cancuoc_app::StepRequest {
        action,
        reason: Some(field("reason")).filter(|r| !r.is_empty()),
        expected_version: field("version").parse().ok(),
        // Only the hand-over form asks, and only for a type that replaces a card.
        old_card_returned: (action_is_hand_over && !field("old_card").is_empty())
            .then(|| field("old_card") == "yes"),
    };
    match state.app.transition(&desk.caller(), key, &request).await {
        Ok(done) => Redirect::to(&format!(
            "/ho-so/{key}?msg={}",
            url_encode(&format!(
                "{}: {}",
                ui.t(W::step_taken),
                state_name(ui, done.state)
            ))
        ))
        .into_response(),
        Err(e) => {
            let error = Some(said(ui, &e));
            application_page(&state, desk, ui, &id, None, error, false).await
        }
    }
}

/// One image of the capture, for the roles that verify and produce; every read is
/// audited by the use case.
pub(crate) async fn application_image(
    State(state): State<AppState>,
    desk: Desk,
    Path((id, image)): Path<(String, String)>,
) -> Response {
    let Ok(key) = uuid::Uuid::parse_str(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state.app.biometric_image(&desk.caller(), key, &image).await {
        Ok((media_type, bytes)) => (
            [
                (header::CONTENT_TYPE, media_type),
                (header::CACHE_CONTROL, "no-store"),
            ],
            bytes,
        )
            .into_response(),
        Err(AppError::Forbidden(_)) => StatusCode::FORBIDDEN.into_response(),
        Err(e) if e.is_system_failure() => crate::error::status_of(e.code()).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The portrait and prints taken again (after "Yêu cầu bổ sung"), or for the first time
/// for an application filed without them (an offline station's import).
pub(crate) async fn application_biometrics(
    State(state): State<AppState>,
    desk: Desk,
    Path(id): Path<String>,
    headers: HeaderMap,
    multipart: axum::extract::Multipart,
) -> Response {
    let ui = Ui::of(None, &headers);
    let Some(mut form) = MultipartForm::read(multipart).await else {
        return (StatusCode::BAD_REQUEST, ui.t(W::bad_request)).into_response();
    };
    if !csrf_holds(&desk, &form.field("csrf")) {
        return (StatusCode::FORBIDDEN, ui.t(W::expired_form)).into_response();
    }
    let Ok(key) = uuid::Uuid::parse_str(&id) else {
        return (StatusCode::NOT_FOUND, ui.t(W::not_found)).into_response();
    };
    let added = match form.capture(ui) {
        Ok(capture) => state
            .app
            .add_biometrics(&desk.caller(), key, &capture)
            .await
            .map_err(|e| said(ui, &e)),
        Err(e) => Err(format!("{}: {e}", ui.t(W::biometrics_refused))),
    };
    match added {
        Ok(_) => Redirect::to(&format!(
            "/ho-so/{key}?msg={}",
            url_encode(ui.t(W::biometrics_taken))
        ))
        .into_response(),
        Err(e) => application_page(&state, desk, ui, &id, None, Some(e), false).await,
    }
}
