//! The station's own page (`/tram`, "Trạm của tôi"), served only by a station's working
//! copy: who the station is, where it stands (packets waiting, refused, the last push,
//! the extract's expiry, why intake is stopped), and its outbox, refused packets first,
//! each marked dealt with here by any officer signed in on the station (audited by the
//! store). On a station every console page also carries a banner with the packets
//! waiting, red while intake is stopped ([`station_context`], [`Ui::station`]).

#[allow(
    clippy::wildcard_imports,
    reason = "a page module shares its parent's helpers"
)]
use super::*;
use axum::extract::Request;
use axum::middleware::Next;
use cancuoc_store::{OutboxPacket, OutboxState};

/// Filed and resolved packets shown at most, the latest first: every packet the station
/// ever made stays in its outbox, and the page must stay quick to read.
const ANSWERED_SHOWN: usize = 200;

/// What every console page of a station says of it, read once per page.
#[derive(Debug, Clone)]
pub(crate) struct StationBanner {
    /// Packets waiting to be pushed; none when the outbox could not be read.
    pub waiting: Option<u64>,
    pub refused: u64,
    pub stopped: bool,
}

tokio::task_local! {
    /// The station the page is drawn on, set around each page request of a station by
    /// [`station_context`]; unset on a central server.
    static STATION: StationBanner;
}

/// The banner of the page being drawn, on a station.
pub(crate) fn current_banner() -> Option<StationBanner> {
    STATION.try_with(Clone::clone).ok()
}

/// On a station, reads where it stands before a page is drawn, so that its nav and banner
/// can say so; elsewhere (and for the API and a page's images) does nothing.
pub(crate) async fn station_context(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let subresource = request
        .headers()
        .get("sec-fetch-dest")
        .and_then(|d| d.to_str().ok())
        .is_some_and(|d| !matches!(d, "document" | "iframe" | "empty"));
    let path = request.uri().path();
    if !state.app.is_station()
        || subresource
        || path.starts_with("/api/")
        || path.starts_with("/static/")
    {
        return next.run(request).await;
    }
    let banner = match state.app.station_standing().await {
        Ok(s) => StationBanner {
            waiting: Some(s.waiting as u64),
            refused: s.refused as u64,
            stopped: s.intake_stopped.is_some(),
        },
        Err(e) => {
            tracing::warn!(error = %e, "the station's standing does not read");
            StationBanner {
                waiting: None,
                refused: 0,
                stopped: false,
            }
        }
    };
    STATION.scope(banner, next.run(request)).await
}

#[derive(Template)]
#[template(path = "console/station.html")]
pub(crate) struct StationPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    name: String,
    id: String,
    unit: String,
    server_url: String,
    waiting: u64,
    refused: u64,
    last_push: Option<String>,
    /// When the extract expires, and whether it has.
    extract_expires: Option<(String, bool)>,
    intake_stopped: Option<String>,
    packets: Vec<PacketLine>,
    /// Whether a packet of the table is refused (and the page says what to do about it).
    any_refused: bool,
    /// Filed and resolved packets left off the table (the oldest).
    left_off: u64,
    message: Option<String>,
    error: Option<String>,
}

pub(crate) struct PacketLine {
    packet: String,
    made: String,
    personal_id: String,
    officer: String,
    size: String,
    /// The state's code (for the row's class) and its word.
    state: &'static str,
    state_word: &'static str,
    refused: bool,
    receipt: Option<String>,
    /// A refusal: its code, its kind in the page's language, and the server's detail.
    code: String,
    reason: String,
    detail: String,
    /// The receipt of the application the server holds instead, when the refusal names it.
    winner: Option<String>,
    /// Resolved: by whom and when.
    resolved: Option<String>,
}

/// A packet's size as an officer reads it: 845 KB, 1,2 MB.
fn size_text(ui: Ui, bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes < MIB {
        format!("{} KB", ui.count(bytes.div_ceil(1024)))
    } else {
        // Packets stay far below 2^53 bytes, where the conversion is exact.
        #[allow(clippy::cast_precision_loss, reason = "a size far below 2^53")]
        let mib = bytes as f64 / MIB as f64;
        format!("{} MB", ui.decimal(mib))
    }
}

/// The receipt number a refusal's message names, if any ("… an open application
/// (CAH-436-20210316-00042O)").
fn receipt_in(message: &str) -> Option<String> {
    message
        .split(|c: char| c.is_whitespace() || "(),;:".contains(c))
        .find(|word| cancuoc_domain::receipt::ReceiptNumber::parse(word).is_ok())
        .map(str::to_owned)
}

fn line(ui: Ui, p: OutboxPacket) -> PacketLine {
    let when = |micros: i64| local_time(micros, "%d/%m/%Y %H:%M");
    let code = p.code.clone().unwrap_or_default();
    let detail = p.message.clone().unwrap_or_default();
    let reason = if code.is_empty() {
        String::new()
    } else {
        W::named(&format!("refusal_{code}")).map_or_else(|| code.clone(), |w| ui.t(w).to_owned())
    };
    PacketLine {
        packet: p.packet.to_string(),
        made: when(p.made_micros),
        officer: p.officer,
        size: size_text(ui, p.size_bytes),
        state: p.state.as_str(),
        state_word: ui.name_of(&format!("packet_{}", p.state.as_str())),
        refused: p.state == OutboxState::Refused,
        receipt: p.receipt,
        winner: (code == "already_applied")
            .then(|| receipt_in(&detail))
            .flatten(),
        code,
        reason,
        detail,
        resolved: match (p.resolved_by, p.resolved_micros) {
            (Some(by), Some(at)) => Some(format!("{by}, {}", when(at))),
            _ => None,
        },
        personal_id: p.personal_id,
    }
}

/// The outbox as the page lists it: refused packets first (the oldest first: they have
/// waited longest), then those waiting (in the order they go up), then the latest filed
/// and resolved.
fn ordered(outbox: Vec<OutboxPacket>) -> (Vec<OutboxPacket>, usize) {
    let (mut refused, mut waiting, mut answered) = (Vec::new(), Vec::new(), Vec::new());
    for p in outbox {
        match p.state {
            OutboxState::Refused => refused.push(p),
            OutboxState::Waiting => waiting.push(p),
            OutboxState::Filed | OutboxState::Resolved => answered.push(p),
        }
    }
    answered.reverse();
    let left_off = answered.len().saturating_sub(ANSWERED_SHOWN);
    answered.truncate(ANSWERED_SHOWN);
    refused.extend(waiting);
    refused.extend(answered);
    (refused, left_off)
}

pub(crate) async fn station(
    State(state): State<AppState>,
    desk: Desk,
    Query(q): Query<MessageQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let message = q.msg.filter(|m| !m.is_empty());
    station_page(&state, desk, ui, message, None, q.lang.is_some()).await
}

async fn station_page(
    state: &AppState,
    desk: Desk,
    ui: Ui,
    message: Option<String>,
    error: Option<String>,
    chosen: bool,
) -> Response {
    let read = async {
        let identity = state
            .app
            .station_identity()
            .await?
            .ok_or_else(|| AppError::NotFound("this server is no station".into()))?;
        let standing = state.app.station_standing().await?;
        let outbox = state.app.station_outbox().await?;
        Ok::<_, AppError>((identity, standing, outbox))
    };
    let (identity, standing, outbox) = match read.await {
        Ok(read) => read,
        Err(e) => {
            tracing::error!(error = %e, "the station's page does not read");
            return (StatusCode::INTERNAL_SERVER_ERROR, ui.t(W::failed)).into_response();
        }
    };
    let places = state.app.places();
    let now = state.app.clock().now_micros();
    let (packets, left_off) = ordered(outbox);
    let packets: Vec<PacketLine> = packets.into_iter().map(|p| line(ui, p)).collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page(
        &StationPage {
            ui,
            csrf: desk.csrf,
            officer: desk.officer,
            id: identity.id.to_string(),
            unit: format!(
                "{} ({})",
                places.unit_name(identity.unit.trim_start_matches("CAH-")),
                identity.unit
            ),
            name: identity.name,
            server_url: identity.server_url,
            waiting: standing.waiting as u64,
            refused: standing.refused as u64,
            last_push: standing
                .last_push_micros
                .map(|at| local_time(at, "%d/%m/%Y %H:%M")),
            extract_expires: standing
                .extract_expires_micros
                .map(|at| (local_time(at, "%d/%m/%Y %H:%M"), at <= now)),
            intake_stopped: standing.intake_stopped,
            any_refused: packets.iter().any(|p| p.refused),
            packets,
            left_off: left_off as u64,
            message,
            error,
        },
        status,
        ui,
        chosen,
    )
}

/// Marks a refused packet dealt with, once the officer confirms it.
pub(crate) async fn resolve_packet(
    State(state): State<AppState>,
    desk: Desk,
    Path(packet): Path<String>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let ui = Ui::of(None, &headers);
    let field = |name: &str| form_field(&pairs, name);
    if !csrf_holds(&desk, &field("csrf")) {
        return (StatusCode::FORBIDDEN, ui.t(W::expired_form)).into_response();
    }
    let Ok(packet) = uuid::Uuid::parse_str(&packet) else {
        return (StatusCode::BAD_REQUEST, ui.t(W::bad_request)).into_response();
    };
    if field("confirm") != "yes" {
        let error = ui.t(W::packet_confirm_needed).to_owned();
        return station_page(&state, desk, ui, None, Some(error), false).await;
    }
    match state
        .app
        .resolve_station_packet(&desk.caller(), packet)
        .await
    {
        Ok(done) => Redirect::to(&format!(
            "/tram?msg={}",
            url_encode(&format!(
                "{} {}",
                ui.t(W::packet_resolved_done),
                done.personal_id
            ))
        ))
        .into_response(),
        Err(e) => {
            let error = said(ui, &e);
            station_page(&state, desk, ui, None, Some(error), false).await
        }
    }
}

/// Fetches a new extract from the central server and serves the working copy made from
/// it: the residents, sessions and officers as the server holds them now, with the
/// outbox's packets filed into it again. The officer who asked stays signed in.
pub(crate) async fn pull_extract(
    State(state): State<AppState>,
    desk: Desk,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let ui = Ui::of(None, &headers);
    if !csrf_holds(&desk, &form_field(&pairs, "csrf")) {
        return (StatusCode::FORBIDDEN, ui.t(W::expired_form)).into_response();
    }
    let Some(reload) = state.reload.as_ref().and_then(std::sync::Weak::upgrade) else {
        let error = ui.t(W::pull_unavailable).to_owned();
        return station_page(&state, desk, ui, None, Some(error), false).await;
    };
    match reload.reload(&state.app).await {
        Ok(copy) => {
            if let Err(e) = copy
                .carry_session(&desk.token, &desk.csrf, &desk.officer.username)
                .await
            {
                tracing::warn!(error = %e, "the session was not carried to the new copy");
            }
            Redirect::to(&format!("/tram?msg={}", url_encode(ui.t(W::pull_done)))).into_response()
        }
        Err(why) => {
            let error = format!("{}: {why}", ui.t(W::pull_failed));
            station_page(&state, desk, ui, None, Some(error), false).await
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a failed test panics")]

    use super::*;

    #[test]
    fn sizes_and_receipts_read_as_an_officer_reads_them() {
        let vi = Ui { english: false };
        assert_eq!(size_text(vi, 0), "0 KB");
        assert_eq!(size_text(vi, 1), "1 KB");
        assert_eq!(size_text(vi, 845 * 1024), "845 KB");
        assert_eq!(size_text(vi, 1_258_291), "1,2 MB");
        let receipt = cancuoc_domain::receipt::ReceiptNumber::new(
            cancuoc_domain::PoliceUnitCode::parse("CAH-436").unwrap(),
            jiff::civil::date(2021, 3, 16),
            42,
        )
        .unwrap()
        .to_string();
        assert_eq!(
            receipt_in(&format!(
                "the citizen already has an open application ({receipt})"
            )),
            Some(receipt)
        );
        assert_eq!(receipt_in("no receipt here"), None);
    }
}
