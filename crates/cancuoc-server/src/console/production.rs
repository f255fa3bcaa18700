//! The production centre's batches and each card's proof.

#[allow(
    clippy::wildcard_imports,
    reason = "a page module shares its parent's helpers"
)]
use super::*;

#[derive(Template)]
#[template(path = "console/production.html")]
pub(crate) struct ProductionPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    message: Option<String>,
    batch: Option<BatchView>,
}

pub(crate) struct BatchView {
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
    desk: Desk,
    Query(q): Query<ProductionQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
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
                            personal_id: None,
                            receipt: None,
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
                        ui.t(W::batch),
                        status.batch.province.as_str(),
                        day(status.batch.day)
                    ),
                    states: status
                        .states
                        .iter()
                        .map(|(s, n)| (state_name(ui, *s), *n))
                        .collect(),
                    cards: listed
                        .into_iter()
                        .map(|a| {
                            (
                                a.personal_id.as_string(),
                                a.receipt.to_string(),
                                state_name(ui, a.state),
                            )
                        })
                        .collect(),
                })
            }
            Err(e) => {
                message = Some(said(ui, &e));
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
    desk: Desk,
    headers: HeaderMap,
    Form(form): Form<ProductionForm>,
) -> Response {
    let ui = Ui::of(None, &headers);
    if !csrf_holds(&desk, &form.csrf) {
        return (StatusCode::FORBIDDEN, ui.t(W::expired_form)).into_response();
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
                ui.t(W::steps_done),
                o.done.len(),
                ui.t(W::steps_failed),
                o.refused.len()
            );
            Redirect::to(&format!(
                "/san-xuat?batch={}&msg={}",
                o.batch.id,
                url_encode(&message)
            ))
            .into_response()
        }
        Err(e) => {
            Redirect::to(&format!("/san-xuat?msg={}", url_encode(&said(ui, &e)))).into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "console/card.html")]
pub(crate) struct CardPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    personal_id: String,
    card: Option<CardView>,
}

/// A card's proof: front and back as the production centre will print them.
pub(crate) async fn card(
    State(state): State<AppState>,
    desk: Desk,
    Path(personal_id): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let card = state
        .app
        .card(&desk.caller(), &personal_id)
        .await
        .ok()
        .map(|c| CardView {
            issued: day(c.issue_date),
            expires: c.expiry_date.map(day),
            status: ui.name_of(c.status.as_str()).to_owned(),
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
pub(crate) struct UnitsPage {
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
    desk: Desk,
    Query(q): Query<UnitQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
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
            Some(said(ui, &e)),
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
