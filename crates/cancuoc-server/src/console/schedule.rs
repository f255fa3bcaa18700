//! The session calendar and a session's desk (DESIGN §7).

#[allow(
    clippy::wildcard_imports,
    reason = "a page module shares its parent's helpers"
)]
use super::*;

#[derive(Template)]
#[template(path = "console/sessions.html")]
pub(crate) struct SessionsPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    from: String,
    to: String,
    error: Option<String>,
    days: Vec<(String, Vec<SessionRow>)>,
}

pub(crate) struct SessionRow {
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
    desk: Desk,
    Query(q): Query<RangeQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
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
                    state: ui.name_of(s.state.as_str()),
                };
                let label = day(s.day);
                match days.last_mut() {
                    Some((d, rows)) if *d == label => rows.push(row),
                    _ => days.push((label, vec![row])),
                }
            }
        }
        Err(e) => error = Some(said(ui, &e)),
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
pub(crate) struct SessionPage {
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
    desk: Desk,
    Path(id): Path<String>,
    Query(q): Query<SessionPageQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let caller = desk.caller();
    let Ok(key) = uuid::Uuid::parse_str(&id) else {
        return Redirect::to("/lich").into_response();
    };
    let (queue, figures) = match state.app.session_desk(&caller, key).await {
        Ok(desk) => desk,
        Err(e) if e.is_system_failure() => return system_failure(ui, &e),
        Err(_) => return Redirect::to("/lich").into_response(),
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
        utilisation: format!("{}%", ui.decimal(figures.machine_utilisation * 100.0)),
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
    desk: Desk,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<DeskForm>,
) -> Response {
    let ui = Ui::of(None, &headers);
    if !csrf_holds(&desk, &form.csrf) {
        return (StatusCode::FORBIDDEN, ui.t(W::expired_form)).into_response();
    }
    let Ok(key) = uuid::Uuid::parse_str(&id) else {
        return Redirect::to("/lich").into_response();
    };
    let caller = desk.caller();
    let person = |a: cancuoc_store::Appointment| {
        format!("{} {}: {}", ui.t(W::number), a.queue_number, a.name)
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
                .map(|a| format!("{} — {}", ui.t(W::checked_in), person(a)))
        }
        "walk_in" => state
            .app
            .walk_in(&caller, key, &text(&form.personal_id))
            .await
            .map(|a| format!("{} — {}", ui.t(W::walked_in), person(a))),
        "invite" => state.app.invite_for_session(&caller, key).await.map(|r| {
            format!(
                "{}: {} {}, {} {}; {} {}",
                ui.t(W::invitations_made),
                r.households,
                ui.t(W::households),
                r.invited,
                ui.t(W::people),
                r.left_out,
                ui.t(W::left_out)
            )
        }),
        "next" => state
            .app
            .call_next(&caller, key)
            .await
            .map(|a| format!("{} — {}", ui.t(W::called), person(a))),
        "release" => state
            .app
            .release_no_shows(&caller, key)
            .await
            .map(|n| format!("{}: {n}", ui.t(W::released))),
        "close" => state
            .app
            .close_enrollment_session(&caller, key)
            .await
            .map(|_| ui.t(W::closed).to_owned()),
        _ => Err(AppError::Invalid("action".into())),
    };
    let message = match done {
        Ok(m) => m,
        Err(e) => said(ui, &e),
    };
    Redirect::to(&format!("/lich/{key}?msg={}", url_encode(&message))).into_response()
}
