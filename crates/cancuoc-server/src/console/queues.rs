//! The application queue of a unit, by state or overdue, with a bulk step.

#[allow(
    clippy::wildcard_imports,
    reason = "a page module shares its parent's helpers"
)]
use super::*;
use cancuoc_domain::application::ApplicationState;

/// The states a unit's queue is read by (the open ones), in the order of the work.
pub(crate) const QUEUE_STATES: [ApplicationState; 8] = [
    ApplicationState::Received,
    ApplicationState::Verified,
    ApplicationState::Approved,
    ApplicationState::InProduction,
    ApplicationState::Produced,
    ApplicationState::Dispatched,
    ApplicationState::ReadyForPickup,
    ApplicationState::NeedsCorrection,
];

/// Rows of a page of the queue.
const PAGE_ROWS: u32 = 50;

#[derive(Template)]
#[template(path = "console/applications.html")]
pub(crate) struct ApplicationsPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    states: Vec<(&'static str, String, bool)>,
    state: String,
    overdue: bool,
    message: Option<String>,
    rows: Vec<ApplicationRow>,
    /// How many applications the list has in all pages.
    total: Option<u64>,
    /// The link to the next page, if there is one.
    next: Option<String>,
}

pub(crate) struct ApplicationRow {
    key: String,
    receipt: String,
    personal_id: String,
    name: String,
    kind: String,
    intake_date: String,
    due_date: String,
    state: String,
    late: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct QueueQuery {
    /// A receipt number: straight to its application.
    receipt: Option<String>,
    state: Option<String>,
    overdue: Option<String>,
    cursor: Option<String>,
    msg: Option<String>,
    lang: Option<String>,
}

/// The unit's applications in one state (or overdue), with a step for those ticked.
pub(crate) async fn applications(
    State(state): State<AppState>,
    desk: Desk,
    Query(q): Query<QueueQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let today = state.app.today();
    let mut not_found = None;
    if let Some(receipt) = q
        .receipt
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        let by_receipt = cancuoc_store::ApplicationQuery {
            receipt: Some(receipt.to_owned()),
            limit: 1,
            ..Default::default()
        };
        match state.app.applications(&desk.caller(), &by_receipt).await {
            Ok(page) if !page.items.is_empty() => {
                let key = page
                    .items
                    .first()
                    .map(|a| a.key.to_string())
                    .unwrap_or_default();
                return Redirect::to(&format!("/ho-so/{key}")).into_response();
            }
            _ => not_found = Some(format!("{}: {receipt}", ui.t(W::no_such_receipt))),
        }
    }
    let chosen = q
        .state
        .as_deref()
        .and_then(cancuoc_domain::application::ApplicationState::parse)
        .unwrap_or(cancuoc_domain::application::ApplicationState::Received);
    let overdue = q.overdue.as_deref() == Some("1");
    let query = cancuoc_store::ApplicationQuery {
        intake_unit: None,
        personal_id: None,
        receipt: None,
        province: None,
        batch: None,
        state: (!overdue).then_some(chosen),
        overdue_on: overdue.then_some(today),
        cursor: q.cursor.clone().filter(|c| !c.is_empty()),
        limit: PAGE_ROWS,
    };
    let caller = desk.caller();
    let total = state.app.count_applications(&caller, &query).await.ok();
    let (rows, next, mut message) = match state.app.applications(&caller, &query).await {
        Ok(page) => (
            page.items
                .into_iter()
                .map(|a| ApplicationRow {
                    key: a.key.to_string(),
                    receipt: a.receipt.to_string(),
                    personal_id: a.personal_id.as_string(),
                    name: a.full_name.unwrap_or_default(),
                    kind: if ui.english {
                        a.kind.to_string()
                    } else {
                        a.kind.vietnamese().to_owned()
                    },
                    intake_date: day(a.intake_date),
                    due_date: day(a.due_date),
                    state: state_name(ui, a.state),
                    late: a.due_date < today,
                })
                .collect(),
            page.next_cursor.map(|c| {
                if overdue {
                    format!("/ho-so?overdue=1&cursor={c}")
                } else {
                    format!("/ho-so?state={}&cursor={c}", chosen.as_str())
                }
            }),
            None,
        ),
        Err(e) => (Vec::new(), None, Some(said(ui, &e))),
    };
    if message.is_none() {
        message = not_found.or(q.msg.filter(|m| !m.is_empty()));
    }
    page(
        &ApplicationsPage {
            ui,
            officer: desk.officer,
            csrf: desk.csrf,
            states: QUEUE_STATES
                .into_iter()
                .map(|s| (s.as_str(), state_name(ui, s), s == chosen && !overdue))
                .collect(),
            state: chosen.as_str().to_owned(),
            overdue,
            message,
            rows,
            total,
            next,
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
    desk: Desk,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let ui = Ui::of(None, &headers);
    let field = |name: &str| form_field(&pairs, name);
    if !csrf_holds(&desk, &field("csrf")) {
        return (StatusCode::FORBIDDEN, ui.t(W::expired_form)).into_response();
    }
    let request = cancuoc_app::StepRequest {
        action: field("action"),
        reason: Some(field("reason")).filter(|r| !r.is_empty()),
        expected_version: None,
        old_card_returned: None,
    };
    let caller = desk.caller();
    let keys: Vec<uuid::Uuid> = pairs
        .iter()
        .filter(|(k, _)| k == "key")
        .filter_map(|(_, v)| uuid::Uuid::parse_str(v).ok())
        .collect();
    let (mut done, mut failed) = (0_usize, Vec::new());
    for (_, outcome) in state.app.transition_many(&caller, &keys, &request).await {
        match outcome {
            Ok(_) => done += 1,
            Err(e) => failed.push(said(ui, &e)),
        }
    }
    failed.dedup();
    let mut message = format!("{}: {done}", ui.t(W::steps_done));
    if !failed.is_empty() {
        message.push_str(&format!(
            "; {}: {}",
            ui.t(W::steps_failed),
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
