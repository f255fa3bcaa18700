//! Intake at the station on one page (Circular 60/2021 Art. 5).

#[allow(
    clippy::wildcard_imports,
    reason = "a page module shares its parent's helpers"
)]
use super::*;

#[derive(Template)]
#[template(path = "console/intake.html")]
pub(crate) struct IntakePage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    personal_id: String,
    citizen: Option<(String, String, String)>,
    /// What the officer should know before taking anything: an open application, a card
    /// still valid. Each with a link to it.
    warnings: Vec<(String, String)>,
    /// The fields of a filing that failed, given back as they were typed.
    kept: KeptFields,
    error: Option<String>,
    idempotency_key: String,
    fingers: Vec<(&'static str, &'static str)>,
    filed: Option<FiledView>,
    /// (code, label) of the reasons a renewal and a re-issue take.
    renewal_reasons: Vec<(&'static str, String)>,
    reissue_reasons: Vec<(&'static str, String)>,
}

/// A reason's label in the page's language: the law's wording in Vietnamese.
fn reason_label(ui: Ui, code: &'static str, vietnamese: &'static str) -> String {
    if ui.english {
        code.replace('_', " ")
    } else {
        vietnamese.to_owned()
    }
}

/// The text fields of the intake form, as sent.
#[derive(Debug, Default)]
pub(crate) struct KeptFields {
    kind: String,
    reason: String,
    channel: String,
    station: String,
    identifying_marks: String,
    old_card_returned: bool,
}

pub(crate) struct FiledView {
    key: String,
    receipt: String,
    due: String,
    fee: String,
}

/// Finger ids with their Vietnamese names, in the order prints are taken.
pub(crate) const FINGERS: [(&str, &str); 10] = [
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

pub(crate) fn intake_page(ui: Ui, desk: Desk, personal_id: String) -> IntakePage {
    IntakePage {
        ui,
        officer: desk.officer,
        csrf: desk.csrf,
        personal_id,
        citizen: None,
        warnings: Vec::new(),
        kept: KeptFields::default(),
        error: None,
        idempotency_key: uuid::Uuid::now_v7().to_string(),
        fingers: FINGERS.to_vec(),
        filed: None,
        renewal_reasons: cancuoc_domain::application::RenewalReason::ALL
            .iter()
            .map(|r| (r.as_str(), reason_label(ui, r.as_str(), r.vietnamese())))
            .collect(),
        reissue_reasons: cancuoc_domain::application::ReissueReason::ALL
            .iter()
            .map(|r| (r.as_str(), reason_label(ui, r.as_str(), r.vietnamese())))
            .collect(),
    }
}

/// The station's flow on one page (Circular 60/2021 Art. 5): the citizen looked up, the
/// type chosen, the portrait and prints uploaded, then the receipt with its papers.
pub(crate) async fn intake_form(
    State(state): State<AppState>,
    desk: Desk,
    Query(q): Query<IntakeQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let caller = desk.caller();
    let personal_id = q.id.unwrap_or_default().trim().to_owned();
    let mut view = intake_page(ui, desk, personal_id.clone());
    if !personal_id.is_empty() {
        look_up(&state, &caller, ui, &mut view).await;
    }
    page(&view, StatusCode::OK, ui, q.lang.is_some())
}

/// The citizen of the form and what the officer must know before taking anything: an
/// open application (the filing would be refused) or a card that is still valid.
async fn look_up(state: &AppState, caller: &Caller, ui: Ui, view: &mut IntakePage) {
    let found = match state.app.citizen(caller, &view.personal_id).await {
        Ok(c) => c,
        Err(e) => {
            let word = if e.is_system_failure() {
                W::failed
            } else {
                W::not_found
            };
            view.error = Some(ui.t(word).to_owned());
            return;
        }
    };
    view.citizen = Some((
        found.data.full_name.clone(),
        found.data.birth_date.vietnamese(),
        found
            .data
            .old_id_number
            .as_ref()
            .map(|o| o.as_str().to_owned())
            .unwrap_or_default(),
    ));
    let theirs = cancuoc_store::ApplicationQuery {
        personal_id: Some(found.data.personal_id),
        limit: 50,
        ..Default::default()
    };
    let open_ones = state.app.applications(caller, &theirs).await;
    let card = state.app.card(caller, &view.personal_id).await;
    // A warning that cannot be read says so rather than going missing.
    let unread = [open_ones.as_ref().err(), card.as_ref().err()];
    if unread
        .into_iter()
        .flatten()
        .any(AppError::is_system_failure)
    {
        view.error = Some(ui.t(W::failed).to_owned());
    }
    if let Ok(page) = open_ones {
        for open in page.items.iter().filter(|a| a.state.is_open()) {
            view.warnings.push((
                format!(
                    "{} {} ({}, {} {})",
                    ui.t(W::open_application),
                    open.receipt,
                    state_name(ui, open.state),
                    ui.t(W::intake_date),
                    day(open.intake_date)
                ),
                format!("/ho-so/{}", open.key),
            ));
        }
    }
    let today = state.app.today();
    if let Ok(card) = card
        && let cancuoc_domain::application::HeldCard::Active { expiry } = card.held(today)
    {
        let until = expiry.map_or_else(|| ui.t(W::no_expiry).to_owned(), day);
        view.warnings.push((
            format!("{}: {until}", ui.t(W::valid_card)),
            format!("/the/{}", view.personal_id),
        ));
    }
}

/// Files the application from the uploaded form.
pub(crate) async fn intake(
    State(state): State<AppState>,
    desk: Desk,
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
    let capture = form.capture(ui);
    let field = |name: &str| form.field(name);
    let personal_id = field("personal_id");
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
                receipt: None,
            };
            state
                .app
                .file_application(&caller, &request)
                .await
                .map_err(|e| {
                    let status = if e.is_system_failure() {
                        crate::error::status_of(e.code())
                    } else {
                        StatusCode::UNPROCESSABLE_ENTITY
                    };
                    let message = match (&e, ui.station()) {
                        // A station whose guard-rails stop intake says why and how to go
                        // on, not that the application's state forbids the step.
                        (AppError::InvalidState(why), Some(s)) if s.stopped => {
                            format!("{}: {why}", ui.t(W::intake_stopped))
                        }
                        _ => said(ui, &e),
                    };
                    (status, message)
                })
        }
        Err(e) => Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{}: {e}", ui.t(W::biometrics_refused)),
        )),
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
        Err((status, e)) => {
            // Everything typed comes back, under the same idempotency key: a retry that
            // reaches a filing already made returns it rather than a second one.
            view.kept = KeptFields {
                kind: field("kind"),
                reason: field("reason"),
                channel: field("channel"),
                station: field("station"),
                identifying_marks: field("identifying_marks"),
                old_card_returned: field("old_card_returned") == "1",
            };
            if let Some(key) = Some(field("idempotency_key")).filter(|k| !k.is_empty()) {
                view.idempotency_key = key;
            }
            look_up(&state, &caller, ui, &mut view).await;
            view.error = Some(e);
            page(&view, status, ui, false)
        }
    }
}

/// A multipart form of the console: its text fields and its files, read whole (the route
/// bounds the body).
pub(crate) struct MultipartForm {
    text: std::collections::HashMap<String, String>,
    files: std::collections::HashMap<String, Vec<u8>>,
}

impl MultipartForm {
    /// `None` when the body is not a readable multipart form.
    pub(crate) async fn read(mut multipart: axum::extract::Multipart) -> Option<Self> {
        let mut form = Self {
            text: std::collections::HashMap::new(),
            files: std::collections::HashMap::new(),
        };
        while let Some(field) = multipart.next_field().await.ok()? {
            let name = field.name().unwrap_or_default().to_owned();
            let is_file = field.file_name().is_some();
            let bytes = field.bytes().await.ok()?;
            if is_file {
                // A file input left empty sends an empty part.
                if !bytes.is_empty() {
                    form.files.insert(name, bytes.to_vec());
                }
            } else {
                form.text
                    .insert(name, String::from_utf8_lossy(&bytes).trim().to_owned());
            }
        }
        Some(form)
    }

    pub(crate) fn field(&self, name: &str) -> String {
        self.text.get(name).cloned().unwrap_or_default()
    }

    /// The portrait, the ten fingers (each a print or a missing reason) and the flats of
    /// `biometric_fields.html`, checked as the API checks them.
    pub(crate) fn capture(
        &mut self,
        ui: Ui,
    ) -> Result<cancuoc_domain::biometrics::Capture, String> {
        let fingers = FINGERS
            .iter()
            .map(|(id, _)| crate::dto::applications::FingerInput {
                finger: (*id).to_owned(),
                image: self.files.remove(&format!("finger_{id}")),
                missing: Some(self.field(&format!("missing_{id}"))).filter(|m| !m.is_empty()),
                text: None,
            })
            .collect();
        let flats = [
            self.files.remove("flat_right_four"),
            self.files.remove("flat_left_four"),
            self.files.remove("flat_thumbs"),
        ];
        match self.files.remove("portrait") {
            Some(portrait) => crate::dto::applications::build_capture(portrait, fingers, flats)
                .map_err(|p| {
                    if ui.english {
                        p.english()
                    } else {
                        p.vietnamese()
                    }
                }),
            None => Err(ui.t(W::portrait_needed).to_owned()),
        }
    }
}
