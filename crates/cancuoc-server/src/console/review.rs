//! Records staged by imports, to verify, approve or reject.

#[allow(
    clippy::wildcard_imports,
    reason = "a page module shares its parent's helpers"
)]
use super::*;

#[derive(Template)]
#[template(path = "console/review.html")]
pub(crate) struct ReviewPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    message: Option<String>,
    forms: Vec<StagedView>,
}

pub(crate) struct StagedView {
    id: String,
    name: String,
    personal_id: String,
    birth_date: String,
    reason: String,
    status: String,
    source: String,
    findings: Vec<String>,
    verified: bool,
    /// Who verified the data, shown so that a second officer approves.
    verified_by: Option<String>,
    /// The signed-in officer verified or corrected it: another officer approves.
    mine: bool,
    /// The signed-in officer's jurisdiction reaches every record approval touches.
    approvable_here: bool,
}

/// Records staged by imports, with what an officer must look at, to verify, approve or
/// reject.
pub(crate) async fn review(
    State(state): State<AppState>,
    desk: Desk,
    Query(q): Query<MessageQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
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
                    reason: ui.name_of(f.reason.as_str()).to_owned(),
                    status: ui.name_of(f.status.as_str()).to_owned(),
                    source: format!("{} · {}", f.source, f.row),
                    verified: f.status == cancuoc_store::FormStatus::Verified,
                    mine: [&f.verified_by, &f.corrected_by]
                        .into_iter()
                        .any(|by| by.as_deref() == Some(desk.officer.username.as_str())),
                    verified_by: f.verified_by.clone(),
                    approvable_here: f.approvable_here,
                    findings: if ui.english {
                        f.findings
                    } else {
                        f.findings
                            .iter()
                            .map(|m| cancuoc_domain::form::finding_vietnamese(m))
                            .collect()
                    },
                })
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Some(said(ui, &e))),
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
    desk: Desk,
    headers: HeaderMap,
    Form(form): Form<ReviewForm>,
) -> Response {
    let ui = Ui::of(None, &headers);
    if !csrf_holds(&desk, &form.csrf) {
        return (StatusCode::FORBIDDEN, ui.t(W::expired_form)).into_response();
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
            .map(|f| format!("{}: {}", f.data.full_name, ui.name_of(f.status.as_str()))),
        Err(e) => Err(e),
    };
    let message = done.unwrap_or_else(|e| match e.code() {
        // The rules an officer meets in the review, said in the officer's language.
        code @ (cancuoc_app::ErrorCode::FourEyesRequired
        | cancuoc_app::ErrorCode::OutsideJurisdiction) => ui.name_of(code.as_str()).to_owned(),
        _ => said(ui, &e),
    });
    Redirect::to(&format!("/ho-so-cho-duyet?msg={}", url_encode(&message))).into_response()
}
