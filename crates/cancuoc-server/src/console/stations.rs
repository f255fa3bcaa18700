//! Mobile stations (`/tram-luu-dong`): the stations of the officer's area with the
//! fingerprint of each one's key, approved here with the communes it serves and the
//! officers who may use it once the officer has compared the fingerprint with the one the
//! station's screen shows, and revoked here. Each step is audited by the store.

#[allow(
    clippy::wildcard_imports,
    reason = "a page module shares its parent's helpers"
)]
use super::*;
use cancuoc_domain::station::fingerprint;
use cancuoc_store::{StationRecord, StationStatus};

#[derive(Template)]
#[template(path = "console/stations.html")]
pub(crate) struct StationsPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    stations: Vec<StationLine>,
    message: Option<String>,
    error: Option<String>,
}

pub(crate) struct StationLine {
    id: String,
    name: String,
    unit: String,
    fingerprint: String,
    status: W,
    revoked: bool,
    /// Asked for, not yet approved: revoking it refuses the request.
    pending: bool,
    requested: String,
    decided: String,
    /// (code, name, granted) of the district's communes.
    communes: Vec<(String, String, bool)>,
    /// (username, "full name (unit)", granted) of the officers who may be allowed.
    officers: Vec<(String, String, bool)>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct StationsQuery {
    msg: Option<String>,
    lang: Option<String>,
}

fn status_word(status: StationStatus) -> W {
    match status {
        StationStatus::Pending => W::station_pending,
        StationStatus::Approved => W::station_approved,
        StationStatus::Revoked => W::station_revoked,
    }
}

pub(crate) async fn stations(
    State(state): State<AppState>,
    desk: Desk,
    Query(q): Query<StationsQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let message = q.msg.filter(|m| !m.is_empty());
    stations_page(&state, desk, ui, message, None).await
}

async fn line(state: &AppState, desk: &Desk, s: StationRecord) -> Result<StationLine, AppError> {
    let places = state.app.places();
    let (communes, officers) = if s.status == StationStatus::Revoked {
        (Vec::new(), Vec::new())
    } else {
        state.app.station_choices(&desk.caller(), &s).await?
    };
    let when = |micros: i64| local_time(micros, "%d/%m/%Y %H:%M");
    let decided = match (
        &s.revoked_by,
        s.revoked_micros,
        &s.approved_by,
        s.approved_micros,
    ) {
        (Some(by), Some(at), _, _) | (None, None, Some(by), Some(at)) => {
            format!("{by}, {}", when(at))
        }
        _ => String::new(),
    };
    Ok(StationLine {
        id: s.id.to_string(),
        fingerprint: fingerprint(&s.signing_key),
        unit: places.unit_name(s.unit.trim_start_matches("CAH-")),
        status: status_word(s.status),
        revoked: s.status == StationStatus::Revoked,
        pending: s.status == StationStatus::Pending,
        requested: when(s.requested_micros),
        decided,
        communes: communes
            .into_iter()
            .map(|c| {
                let granted = s.communes.iter().any(|g| g == c.as_str());
                (c.as_str().to_owned(), places.unit_name(c.as_str()), granted)
            })
            .collect(),
        officers: officers
            .into_iter()
            .map(|o| {
                let granted = s.officers.contains(&o.username);
                let label = format!("{} ({})", o.full_name, o.unit.as_string());
                (o.username, label, granted)
            })
            .collect(),
        name: s.name,
    })
}

async fn stations_page(
    state: &AppState,
    desk: Desk,
    ui: Ui,
    message: Option<String>,
    error: Option<String>,
) -> Response {
    let mut lines = Vec::new();
    let mut failed = None;
    match state.app.stations(&desk.caller()).await {
        Ok(list) => {
            for s in list {
                match line(state, &desk, s).await {
                    Ok(l) => lines.push(l),
                    Err(e) => failed = Some(said(ui, &e)),
                }
            }
        }
        Err(e) => failed = Some(said(ui, &e)),
    }
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if failed.is_some() && lines.is_empty() {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::OK
    };
    page(
        &StationsPage {
            ui,
            csrf: desk.csrf,
            stations: lines,
            message,
            error: error.or(failed),
            officer: desk.officer,
        },
        status,
        ui,
        false,
    )
}

/// Approves a station (after the fingerprint is confirmed) or revokes it.
pub(crate) async fn station_action(
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
    let Ok(id) = uuid::Uuid::parse_str(&field("id")) else {
        return (StatusCode::BAD_REQUEST, ui.t(W::bad_request)).into_response();
    };
    let caller = desk.caller();
    let ticked = |name: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    };
    let outcome = match field("action").as_str() {
        "approve" if field("fingerprint_checked") != "yes" => {
            Err(ui.t(W::station_check_fingerprint).to_owned())
        }
        "approve" => state
            .app
            .approve_station(&caller, id, &ticked("commune"), &ticked("officer"))
            .await
            .map(|_| ui.t(W::station_approved_done))
            .map_err(|e| said(ui, &e)),
        "revoke" if field("revoke_confirmed") != "yes" => {
            Err(ui.t(W::station_confirm_revoke).to_owned())
        }
        "revoke" => state
            .app
            .revoke_station(&caller, id)
            .await
            .map(|_| ui.t(W::station_revoked_done))
            .map_err(|e| said(ui, &e)),
        _ => return (StatusCode::BAD_REQUEST, ui.t(W::bad_request)).into_response(),
    };
    match outcome {
        Ok(done) => {
            Redirect::to(&format!("/tram-luu-dong?msg={}", url_encode(done))).into_response()
        }
        Err(error) => stations_page(&state, desk, ui, None, Some(error)).await,
    }
}
