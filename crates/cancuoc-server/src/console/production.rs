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
    chip: Option<ChipView>,
    /// Why the chip could not be read, when it is there but did not open.
    chip_error: Option<String>,
}

/// The chip's contents decoded and passive authentication's verdict, for the card page.
pub(crate) struct ChipView {
    valid: bool,
    /// Each check: what it is, whether it passed, and (in English) why not.
    checks: Vec<(String, bool, Option<String>)>,
    signer: String,
    signed_at: String,
    mrz: Vec<String>,
    fields: Vec<(&'static str, String)>,
}

impl ChipView {
    fn new(ui: Ui, v: cancuoc_icao::passive::Verification) -> ChipView {
        use cancuoc_icao::passive::CheckKind;
        let checks = v
            .checks
            .iter()
            .map(|c| {
                let label = match c.kind {
                    CheckKind::SecurityObject => ui.t(W::check_security_object).to_owned(),
                    CheckKind::Signature => ui.t(W::check_signature).to_owned(),
                    CheckKind::Chain => ui.t(W::check_chain).to_owned(),
                    CheckKind::UsagePeriod => ui.t(W::check_usage_period).to_owned(),
                    CheckKind::NotRevoked => ui.t(W::check_not_revoked).to_owned(),
                    CheckKind::DataGroupHash(file) => format!("{}: {file}", ui.t(W::check_hash)),
                    CheckKind::MrzCheckDigits => ui.t(W::check_mrz).to_owned(),
                };
                // The reasons are written for engineers, in English; the Vietnamese page
                // names the failed check, which says what is wrong.
                let reason = c.failure.clone().filter(|_| ui.lang() == "en");
                (label, c.failure.is_none(), reason)
            })
            .collect();
        let d = v.dg13.clone().unwrap_or_default();
        let fields = vec![
            (ui.t(W::personal_id), d.personal_id),
            (ui.t(W::full_name), d.full_name),
            (ui.t(W::birth_date), d.birth_date),
            (ui.t(W::sex), d.sex),
            (ui.t(W::nationality), d.nationality),
            (ui.t(W::ethnicity), d.ethnicity),
            (ui.t(W::religion), d.religion),
            (ui.t(W::hometown), d.hometown),
            (ui.t(W::permanent_residence), d.permanent_residence),
            (ui.t(W::identifying_marks), d.identifying_marks),
            (ui.t(W::issued), d.issue_date),
            (ui.t(W::expires), d.expiry),
            (ui.t(W::father), d.father),
            (ui.t(W::mother), d.mother),
            (ui.t(W::spouse), d.spouse),
            (ui.t(W::old_id), d.old_id),
        ];
        ChipView {
            valid: v.is_valid(),
            checks,
            signer: v
                .document_signer
                .as_ref()
                .map(|ds| {
                    format!(
                        "{} ({} {})",
                        ds.subject_text(),
                        ui.t(W::chip_serial),
                        ds.serial_hex()
                    )
                })
                .unwrap_or_default(),
            signed_at: v
                .signing_time
                .map(|t| {
                    jiff::tz::Offset::constant(7)
                        .to_datetime(t)
                        .strftime("%d/%m/%Y %H:%M")
                        .to_string()
                })
                .unwrap_or_default(),
            mrz: v
                .dg1
                .as_ref()
                .map(|d| d.lines().into_iter().map(str::to_owned).collect())
                .unwrap_or_default(),
            fields,
        }
    }
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
    let card = match state.app.card(&desk.caller(), &personal_id).await {
        Err(e) if e.is_system_failure() => return system_failure(ui, &e),
        found => found.ok(),
    };
    let card = card.map(|c| CardView {
        issued: day(c.issue_date),
        expires: c.expiry_date.map(day),
        status: ui.name_of(c.status.as_str()).to_owned(),
    });
    let status = if card.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    // The chip as a reader would get it, checked as a bank would check it.
    let (chip, chip_error) = match card {
        Some(_) => match state.app.card_chip(&desk.caller(), &personal_id).await {
            Ok((_, files)) => match state.app.verify_chip(&files).await {
                Ok(v) => (Some(ChipView::new(ui, v)), None),
                Err(e) => (None, Some(said(ui, &e))),
            },
            // A card produced before the chip existed has none.
            Err(AppError::NotFound(_)) => (None, None),
            Err(e) => (None, Some(said(ui, &e))),
        },
        None => (None, None),
    };
    page(
        &CardPage {
            ui,
            officer: desk.officer,
            csrf: desk.csrf,
            personal_id,
            card,
            chip,
            chip_error,
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
