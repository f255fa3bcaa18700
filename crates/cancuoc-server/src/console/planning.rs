//! Enrollment planning of a unit (`/lich/ke-hoach`): its sites and machines (added
//! here), a session held by hand, and the planner: a proposal shown day by day with its
//! figures, then accepted (sites, sessions and household invitations made) with one click.

#[allow(
    clippy::wildcard_imports,
    reason = "a page module shares its parent's helpers"
)]
use super::*;
use cancuoc_domain::schedule::clock;

#[derive(Template)]
#[template(path = "console/planning.html")]
pub(crate) struct PlanningPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    unit: String,
    sites: Vec<SiteLine>,
    machines: Vec<(String, u32, bool)>,
    message: Option<String>,
    error: Option<String>,
    /// The plan's parameters as typed, carried into its acceptance.
    plan: PlanFields,
    /// The proposal: its figures, then its sessions day by day.
    proposal: Option<Proposal>,
}

pub(crate) struct SiteLine {
    id: String,
    name: String,
    kind: String,
    place: String,
    hours: String,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct PlanFields {
    from: String,
    to: String,
    machines: String,
    show_up: String,
    /// The lunch break as typed ("11:30", "13:30"); both empty works through.
    lunch_from: String,
    lunch_to: String,
    /// The share of machine time kept for walk-ins, in percent; empty: as observed.
    walk_ins: String,
    /// Minutes by road a small commune's people may be asked to come to a neighbour's
    /// site; empty: the default.
    gather: String,
}

impl PlanFields {
    /// The lunch break the form shows before the officer sets one.
    fn with_default_lunch(mut self) -> Self {
        if self.lunch_from.is_empty() && self.lunch_to.is_empty() {
            let clock = |h: f64| {
                cancuoc_domain::schedule::clock(cancuoc_domain::planner::whole((h * 60.0).round()))
            };
            self.lunch_from = clock(cancuoc_app::DEFAULT_LUNCH.0);
            self.lunch_to = clock(cancuoc_app::DEFAULT_LUNCH.1);
        }
        self
    }

    /// The lunch break in hours, `None` when both fields are empty.
    fn lunch(&self) -> Result<Option<(f64, f64)>, AppError> {
        // The same reading as a site's hours: "11:30", "11h30", "13h".
        let hours =
            |text: &str| cancuoc_domain::schedule::parse_clock(text).map(|m| f64::from(m) / 60.0);
        match (self.lunch_from.trim(), self.lunch_to.trim()) {
            ("", "") => Ok(None),
            (from, to) => match (hours(from), hours(to)) {
                (Some(a), Some(b)) => Ok(Some((a, b))),
                _ => Err(AppError::Invalid(
                    "lunch: a time like 11:30 in both fields, or both empty".into(),
                )),
            },
        }
    }
}

pub(crate) struct Proposal {
    figures: Vec<(&'static str, String)>,
    days: Vec<(String, Vec<ProposedSession>)>,
    /// The digest of what is shown, sent back with its acceptance.
    fingerprint: String,
    /// How many sessions are proposed (the rows of the adjustment form).
    count: usize,
}

/// A proposed session as the calendar shows it, with the fields that adjust it.
pub(crate) struct ProposedSession {
    index: usize,
    commune: String,
    /// `YYYY-MM-DD`, for the date field.
    date: String,
    time: String,
    machines: u32,
    invited: u32,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PlanningQuery {
    unit: Option<String>,
    msg: Option<String>,
    lang: Option<String>,
}

pub(crate) async fn planning(
    State(state): State<AppState>,
    desk: Desk,
    Query(q): Query<PlanningQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let unit = q
        .unit
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| desk.officer.unit.to_string());
    let message = q.msg.filter(|m| !m.is_empty());
    planning_page(
        &state,
        desk,
        ui,
        unit,
        message,
        None,
        PlanFields::default().with_default_lunch(),
        None,
    )
    .await
}

#[allow(
    clippy::too_many_arguments,
    reason = "one page drawn from each of its forms' outcomes"
)]
async fn planning_page(
    state: &AppState,
    desk: Desk,
    ui: Ui,
    unit: String,
    message: Option<String>,
    error: Option<String>,
    plan: PlanFields,
    proposal: Option<Proposal>,
) -> Response {
    let caller = desk.caller();
    let places = state.app.places();
    let (sites, listed) = match state.app.sites(&caller, Some(&unit)).await {
        Ok(sites) => (
            sites
                .into_iter()
                .map(|s| SiteLine {
                    id: s.id.to_string(),
                    name: s.name,
                    kind: ui.name_of(s.kind.as_str()).to_owned(),
                    place: cancuoc_domain::AdminCode::parse(&s.commune).map_or_else(
                        |_| s.address.clone(),
                        |c| format!("{}, {}", s.address, places.place_name(&c)),
                    ),
                    hours: format!("{}–{}", clock(s.hours.start_min), clock(s.hours.end_min)),
                })
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Some(said(ui, &e))),
    };
    let machines = state
        .app
        .machines(&caller, &unit)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|m| (m.label, m.minutes_per_application, m.active))
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page(
        &PlanningPage {
            ui,
            officer: desk.officer,
            csrf: desk.csrf,
            unit,
            sites,
            machines,
            message,
            error: error.or(listed),
            plan,
            proposal,
        },
        status,
        ui,
        false,
    )
}

/// The page's forms: a site, a machine, a session, a plan to look at, a plan to accept.
/// Whatever the form, a refusal draws the page again with the reason and the plan's
/// fields as typed.
pub(crate) async fn planning_action(
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
    let caller = desk.caller();
    let unit = field("unit");
    let done = |message: String| {
        Redirect::to(&format!(
            "/lich/ke-hoach?unit={}&msg={}",
            url_encode(&unit),
            url_encode(&message)
        ))
        .into_response()
    };
    let fields = PlanFields {
        from: field("from"),
        to: field("to"),
        machines: field("machines"),
        show_up: field("show_up"),
        lunch_from: field("lunch_from"),
        lunch_to: field("lunch_to"),
        walk_ins: field("walk_ins"),
        gather: field("gather"),
    };
    let (lunch, lunch_error) = match fields.lunch() {
        Ok(lunch) => (lunch, None),
        Err(e) => (None, Some(e)),
    };
    // "10", "10%" or "7,5"; empty takes what the unit's sessions saw.
    let typed = fields.walk_ins.replace(',', ".");
    let typed = typed.trim().trim_end_matches('%').trim();
    let (walk_in_share, walk_in_error) = match typed.parse::<f64>() {
        _ if typed.is_empty() => (None, None),
        Ok(p) => (Some(p / 100.0), None),
        Err(_) => (
            None,
            Some(AppError::Invalid(
                "walk_in_share: a percentage like 10, or empty".into(),
            )),
        ),
    };
    let (gather_within_min, gather_error) = match fields.gather.trim() {
        "" => (None, None),
        typed => match typed.parse::<u32>() {
            Ok(m) => (Some(m), None),
            Err(_) => (
                None,
                Some(AppError::Invalid(
                    "gather_within_min: whole minutes like 15, 0 to keep every commune at its own site, or empty".into(),
                )),
            ),
        },
    };
    let form_error = lunch_error.or(walk_in_error).or(gather_error);
    let plan = || {
        let defaults =
            cancuoc_app::PlanRequest::new(unit.clone(), fields.from.clone(), fields.to.clone());
        cancuoc_app::PlanRequest {
            machines: fields.machines.parse().ok(),
            // Typed as a percentage: "85" is a share of 0.85.
            show_up: fields
                .show_up
                .replace(',', ".")
                .parse::<f64>()
                .map_or(defaults.show_up, |p| p / 100.0),
            lunch,
            walk_in_share,
            gather_within_min,
            ..defaults
        }
    };
    let action = field("action");
    let outcome: Result<Response, AppError> = match action.as_str() {
        "plan" | "accept" if form_error.is_some() => {
            Err(form_error.unwrap_or_else(|| AppError::Invalid("plan".into())))
        }
        "site" => {
            let request = cancuoc_app::SiteRequest {
                unit: unit.clone(),
                name: field("name"),
                kind: field("kind"),
                commune: field("commune"),
                address: field("address"),
                opens: field("opens"),
                closes: field("closes"),
            };
            state
                .app
                .create_site(&caller, &request)
                .await
                .map(|site| done(format!("{}: {}", ui.t(W::site_added), site.name)))
        }
        "machine" => {
            let request = cancuoc_app::MachineRequest {
                unit: unit.clone(),
                label: field("label"),
                minutes_per_application: field("minutes").parse().unwrap_or(0),
            };
            state
                .app
                .add_machine(&caller, &request)
                .await
                .map(|machine| done(format!("{}: {}", ui.t(W::machine_added), machine.label)))
        }
        "session" => {
            let request = cancuoc_app::SessionRequest {
                site: uuid::Uuid::parse_str(&field("site")).unwrap_or_default(),
                date: field("date"),
                from: field("from"),
                to: field("to"),
                slot_min: 30,
                machines: Vec::new(),
                officers: Vec::new(),
            };
            state
                .app
                .create_session(&caller, &request)
                .await
                .map(|session| Redirect::to(&format!("/lich/{}", session.id)).into_response())
        }
        "accept" => match adjustments_of(&field) {
            Err(e) => Err(e),
            Ok(shown) => state
                .app
                .accept_plan(&caller, &plan(), Some(&shown))
                .await
                .map(|(_, _, accepted)| {
                    done(format!(
                        "{}: {} {}, {} {}, {} {}",
                        ui.t(W::plan_accepted),
                        accepted.sessions,
                        ui.t(W::sessions_made),
                        accepted.invitations.households,
                        ui.t(W::households_invited),
                        accepted.sites_created,
                        ui.t(W::sites_made),
                    ))
                }),
        },
        "plan" => match state.app.plan_enrollment(&caller, &plan()).await {
            Ok((_, proposed)) => {
                let proposal = proposal_of(ui, &state.app.places(), &proposed);
                return planning_page(&state, desk, ui, unit, None, None, fields, Some(proposal))
                    .await;
            }
            Err(e) => Err(e),
        },
        _ => return (StatusCode::BAD_REQUEST, ui.t(W::bad_request)).into_response(),
    };
    match outcome {
        Ok(response) => response,
        Err(e) => {
            let error = Some(said(ui, &e));
            planning_page(&state, desk, ui, unit, None, error, fields, None).await
        }
    }
}

/// The planner's proposal as the page shows it: its figures, then a calendar of sessions.
fn proposal_of(
    ui: Ui,
    places: &cancuoc_app::Places,
    plan: &cancuoc_domain::planner::Plan,
) -> Proposal {
    let f = &plan.figures;
    let figures: Vec<(&'static str, String)> = [
        (W::planned_sessions, ui.count(plan.sessions.len() as u64)),
        (
            W::invited_total,
            ui.count(plan.sessions.iter().map(|s| u64::from(s.invited())).sum()),
        ),
        (W::unserved, ui.count(u64::from(plan.unserved))),
        (
            W::utilisation,
            format!("{}%", ui.decimal(f.machine_utilisation * 100.0)),
        ),
        (W::wait_p95, ui.decimal(f.wait_p95_min)),
        (
            W::last_day,
            plan.last_day.map_or_else(|| "—".to_owned(), day),
        ),
    ]
    .into_iter()
    .map(|(word, value)| (ui.t(word), value))
    .collect();
    let mut days: Vec<(String, Vec<ProposedSession>)> = Vec::new();
    for (index, session) in plan.sessions.iter().enumerate() {
        let label = day(session.date);
        // Whole minutes of the working day; the planner keeps them as fractions.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "minutes of a day, between 0 and 1440"
        )]
        let minutes = |m: f64| m.clamp(0.0, 1440.0).round() as u32;
        let name = |code: &str| places.unit_name(code);
        // A small neighbour gathered at the site: "Xã Xuân Hội: người dân Xã Xuân Trường".
        let commune = if session.invites == session.commune {
            name(&session.commune)
        } else {
            format!(
                "{}: {} {}",
                name(&session.commune),
                ui.t(W::people_of),
                name(&session.invites)
            )
        };
        let line = ProposedSession {
            index,
            commune,
            date: session.date.to_string(),
            time: format!(
                "{}–{}",
                clock(minutes(session.start_min)),
                clock(minutes(session.end_min))
            ),
            machines: session.machines,
            invited: session.invited(),
        };
        match days.last_mut() {
            Some((last, lines)) if *last == label => lines.push(line),
            _ => days.push((label, vec![line])),
        }
    }
    Proposal {
        figures,
        days,
        fingerprint: plan.fingerprint(),
        count: plan.sessions.len(),
    }
}

/// The most sessions a proposal shown in the console can hold (a year of every commune of
/// a large district, twice over).
const MAX_PROPOSED_SESSIONS: usize = 5_000;

/// The officer's changes to the calendar shown: each row kept or not, its day and its
/// machines as the fields hold them.
fn adjustments_of(field: &impl Fn(&str) -> String) -> Result<cancuoc_app::ShownPlan, AppError> {
    // A unit's plan is a few hundred sessions; the number comes from the form, so it is
    // bounded before anything is made of it.
    let count: usize = field("sessions").parse().unwrap_or(0);
    if count > MAX_PROPOSED_SESSIONS {
        return Err(AppError::Invalid(format!(
            "sessions: at most {MAX_PROPOSED_SESSIONS}"
        )));
    }
    let mut adjustments = Vec::with_capacity(count);
    for index in 0..count {
        let date = field(&format!("date_{index}"));
        let date = (!date.is_empty())
            .then(|| {
                date.parse::<jiff::civil::Date>().map_err(|_| {
                    AppError::Invalid(format!("session {index}: {date:?} is not a date"))
                })
            })
            .transpose()?;
        let machines = field(&format!("machines_{index}"));
        let machines = (!machines.is_empty())
            .then(|| {
                machines.parse::<u32>().map_err(|_| {
                    AppError::Invalid(format!("session {index}: {machines:?} machines"))
                })
            })
            .transpose()?;
        adjustments.push(cancuoc_domain::planner::Adjustment {
            index,
            keep: field(&format!("keep_{index}")) == "yes",
            date,
            machines,
        });
    }
    Ok(cancuoc_app::ShownPlan {
        fingerprint: field("fingerprint"),
        adjustments,
    })
}
