//! `cancuoc station`: the mobile station's side (issue 19), run on the team's laptop
//! against its own database and vault. `enrol` makes the station's keys and asks the
//! server to enrol it.

use std::process::ExitCode;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cancuoc_app::App;
use cancuoc_domain::station::fingerprint;
use cancuoc_store::StationIdentity;
use serde::Deserialize;
use uuid::Uuid;

use crate::commands::{CliError, Result};

/// How long the station waits for the server before it says the server cannot be reached.
const HTTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

#[derive(Deserialize)]
struct Enrolled {
    station: EnrolledStation,
    server_extract_key: String,
    server_packet_key: String,
}

#[derive(Deserialize)]
struct EnrolledStation {
    id: Uuid,
    fingerprint: String,
}

#[derive(Deserialize)]
struct ServerError {
    code: String,
    message: String,
}

/// The server's base URL, without a trailing slash; http or https only.
fn base_url(server: &str) -> Result<String> {
    let url = reqwest::Url::parse(server.trim())
        .map_err(|e| CliError::usage(format!("--server {server:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(CliError::usage(format!(
            "--server {server:?}: give the central server's address, e.g. https://cancuoc.example.vn"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// What the server answered, as the officer should read it.
async fn refusal(response: reqwest::Response) -> CliError {
    let status = response.status();
    match response.json::<ServerError>().await {
        Ok(e) => CliError::failed(format!(
            "the server refused ({status}, {}): {}",
            e.code, e.message
        )),
        Err(_) => CliError::failed(format!("the server answered {status}")),
    }
}

/// `cancuoc station enrol`: makes the station's keys (sealed in its vault), asks the
/// server to enrol the station, and keeps what the server answered. Prints the station's
/// id on standard output, and on standard error the fingerprint the approving officer
/// compares.
pub async fn enrol(app: &App, server: &str, unit: &str, name: &str) -> Result<ExitCode> {
    let identity = enrol_station(app, server, unit, name).await?;
    let ours = app
        .station_signing_key(&identity)
        .await
        .map(|k| fingerprint(&k.public()))?;
    println!("{}", identity.id);
    eprintln!(
        "Asked {} to enrol station {:?} of {}.\n\
         An officer of {} approves it in the console (Trạm lưu động) after checking that it shows\n\
         the fingerprint {ours}; then run `cancuoc station pull`.",
        identity.server_url, identity.name, identity.unit, identity.unit
    );
    Ok(ExitCode::SUCCESS)
}

/// Makes the station's keys, asks the server to enrol it, and keeps its identity.
pub async fn enrol_station(
    app: &App,
    server: &str,
    unit: &str,
    name: &str,
) -> Result<StationIdentity> {
    let base = base_url(server)?;
    let keys = app.new_station_keys().await?;
    let body = serde_json::json!({
        "name": name,
        "unit": unit,
        "signing_key": B64.encode(keys.signing.public()),
        "agreement_key": B64.encode(keys.agreement.public_key_info()),
    });
    let client = reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .build()
        .map_err(|e| CliError::failed(e.to_string()))?;
    let response = client
        .post(format!("{base}/api/v1/stations"))
        .json(&body)
        .send()
        .await
        .map_err(|e| CliError::failed(format!("cannot reach the server at {base}: {e}")))?;
    if !response.status().is_success() {
        return Err(refusal(response).await);
    }
    let answer: Enrolled = response
        .json()
        .await
        .map_err(|e| CliError::failed(format!("the server's answer does not read: {e}")))?;
    let ours = fingerprint(&keys.signing.public());
    if answer.station.fingerprint != ours {
        return Err(CliError::failed(format!(
            "the server names another key ({}, ours is {ours}): is {base} the central server?",
            answer.station.fingerprint
        )));
    }
    let decode = |text: &str, what: &str| {
        B64.decode(text)
            .map_err(|_| CliError::failed(format!("the server's {what} is not base64")))
    };
    let identity = StationIdentity {
        id: answer.station.id,
        server_url: base.clone(),
        unit: unit.trim().to_owned(),
        name: name.trim().to_owned(),
        signing_object: keys.signing_object,
        agreement_object: keys.agreement_object,
        server_extract_key: decode(&answer.server_extract_key, "extract key")?,
        server_packet_key: decode(&answer.server_packet_key, "packet key")?,
        enrolled_micros: jiff::Timestamp::now().as_microsecond(),
        extract_object: None,
        extract_expires_micros: None,
        last_push_micros: None,
    };
    app.keep_station_identity(&identity).await?;
    Ok(identity)
}

/// The station's identity, or why this database is none.
async fn identity(app: &App) -> Result<StationIdentity> {
    app.station_identity().await?.ok_or_else(|| {
        CliError::usage(
            "this database is no station: run `cancuoc station enrol --server URL --unit CODE --name NAME` first",
        )
    })
}

/// The station's line to its server: one HTTP client (its connections kept open), the
/// station's key, and every request signed as the server checks it.
pub struct ServerLink {
    client: reqwest::Client,
    identity: StationIdentity,
    key: cancuoc_domain::station::SignerKey,
}

impl ServerLink {
    pub async fn open(app: &App) -> Result<Self> {
        let identity = identity(app).await?;
        let key = app.station_signing_key(&identity).await?;
        let client = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .build()
            .map_err(|e| CliError::failed(e.to_string()))?;
        Ok(Self {
            client,
            identity,
            key,
        })
    }

    /// A signed request, whatever the server answers; a body goes as octets.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<reqwest::Response> {
        self.send_as(method, path, body, "application/octet-stream")
            .await
    }

    /// A signed request with a body of `content_type`, whatever the server answers.
    async fn send_as(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<reqwest::Response> {
        let method_writes = method != reqwest::Method::GET;
        let at = jiff::Timestamp::now().as_microsecond();
        let message = cancuoc_domain::station::request_message(
            self.identity.id.as_bytes(),
            method.as_str(),
            path,
            at,
            &body,
        );
        let base = &self.identity.server_url;
        let mut request = self
            .client
            .request(method, format!("{base}{path}"))
            .header("x-cancuoc-station-time", at.to_string())
            .header(
                "x-cancuoc-station-signature",
                B64.encode(self.key.sign_message(&message)),
            );
        // A write says its type even when empty: the last chunk of a packet the server
        // holds whole is sent empty to have it judged.
        if method_writes {
            request = request
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body);
        }
        request
            .send()
            .await
            .map_err(|e| CliError::failed(format!("cannot reach the server at {base}: {e}")))
    }

    /// Whether the server answers at all (its health, no sign-in).
    async fn reachable(&self) -> bool {
        self.client
            .get(format!("{}/api/v1/health", self.identity.server_url))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    /// A signed request the server must answer with success.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<reqwest::Response> {
        let response = self.send(method, path, body).await?;
        if !response.status().is_success() {
            return Err(refusal(response).await);
        }
        Ok(response)
    }
}

/// The largest chunk a push sends in one request: a packet with a portrait and ten prints
/// mostly goes in one, and a line cut halfway loses no more than this. A station on a
/// poor line sets `CANCUOC_STATION_CHUNK_BYTES` lower (4 KiB to 4 MiB).
pub const PUSH_CHUNK_BYTES: usize = 512 * 1024;

fn chunk_bytes() -> Result<usize> {
    match std::env::var("CANCUOC_STATION_CHUNK_BYTES") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (4096..=4 * 1024 * 1024).contains(n))
            .ok_or_else(|| {
                CliError::usage(format!(
                    "CANCUOC_STATION_CHUNK_BYTES must be a number of bytes from 4096 to 4194304, not {v:?}"
                ))
            }),
        _ => Ok(PUSH_CHUNK_BYTES),
    }
}

/// A packet's state as the server answers it.
#[derive(Deserialize)]
struct PacketState {
    state: String,
    received: Option<u64>,
    application: Option<Uuid>,
    receipt: Option<String>,
    code: Option<String>,
    message: Option<String>,
}

/// What a push did.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Pushed {
    pub filed: usize,
    pub refused: usize,
    /// Bytes sent, counting a chunk sent again.
    pub bytes: u64,
    /// Packets still waiting (none unless the push stopped on an error).
    pub waiting: usize,
    /// Packets the server held part of, sent on from there rather than again.
    pub resumed: usize,
    /// The station's audit events the central chain took.
    pub audit_events: u64,
}

/// Sends every waiting packet, oldest first, and keeps each answer. A packet the server
/// holds part of goes on from there; one it has answered is answered again without its
/// bytes being sent. When nothing is left waiting, the push is recorded.
pub async fn push_outbox(
    app: &App,
    link: &ServerLink,
    progress: &(dyn Fn(Uuid, u64, u64) + Sync),
) -> Result<Pushed> {
    use cancuoc_store::OutboxState;
    use futures_util::StreamExt as _;
    let chunk_limit = chunk_bytes()?;
    let waiting: Vec<_> = app
        .station_outbox()
        .await?
        .into_iter()
        .filter(|p| p.state == OutboxState::Waiting)
        .collect();
    let mut sent = futures_util::stream::iter(waiting)
        .map(|packet| push_packet(app, link, packet, chunk_limit, progress))
        .buffer_unordered(PACKETS_IN_FLIGHT);
    let mut pushed = Pushed::default();
    // Every packet in flight is let finish, so that the answers that came are all kept;
    // the first error is reported after.
    let mut failure = None;
    while let Some(one) = sent.next().await {
        match one {
            Ok(one) => {
                pushed.bytes += one.bytes;
                pushed.resumed += usize::from(one.resumed);
                match one.state {
                    OutboxState::Filed => pushed.filed += 1,
                    _ => pushed.refused += 1,
                }
            }
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
    }
    if let Some(e) = failure {
        return Err(e);
    }
    // The trail goes up after the packets; a batch the server refuses is said and
    // tried again next time, without holding back what the packets did.
    match push_audit(app, link).await {
        Ok(n) => pushed.audit_events = n,
        Err(e) => tracing::warn!("the station's audit events did not go up: {e}"),
    }
    pushed.waiting = app
        .station_outbox()
        .await?
        .iter()
        .filter(|p| p.state == OutboxState::Waiting)
        .count();
    // A push counts when the server was reached and nothing is left waiting.
    if pushed.waiting == 0 && (pushed.filed + pushed.refused > 0 || link.reachable().await) {
        app.station_pushed().await?;
    }
    Ok(pushed)
}

/// Sends the station's own audit events the server has not taken, 500 a request, so
/// that they join the central chain; returns how many it appended.
async fn push_audit(app: &App, link: &ServerLink) -> Result<u64> {
    #[derive(Deserialize)]
    struct Taken {
        appended: u64,
        held: i64,
    }
    let path = format!("/api/v1/stations/{}/audit", link.identity.id);
    let mut appended = 0;
    loop {
        // At most 500 events, and about 256 KB, a request.
        let mut events = app.station_audit_to_send(500).await?;
        let mut size = 0;
        let fits = events
            .iter()
            .take_while(|e| {
                size += e.draft.record_key.len() + e.draft.purpose.len() + 300;
                size <= 256 * 1024
            })
            .count()
            .max(1);
        events.truncate(fits);
        let Some(last) = events.last().map(|e| e.seq) else {
            return Ok(appended);
        };
        let body = serde_json::json!({
            "events": events.iter().map(|e| serde_json::json!({
                "seq": e.seq,
                "at_micros": e.at_micros,
                "actor": e.draft.actor,
                "unit": e.draft.unit,
                "action": e.draft.action,
                "record_kind": e.draft.record_kind,
                "record_key": e.draft.record_key,
                "purpose": e.draft.purpose,
                "outcome": e.draft.outcome.as_str(),
            })).collect::<Vec<_>>(),
        });
        let bytes = serde_json::to_vec(&body).map_err(|e| CliError::failed(e.to_string()))?;
        let response = link
            .send_as(reqwest::Method::POST, &path, bytes, "application/json")
            .await?;
        if !response.status().is_success() {
            return Err(refusal(response).await);
        }
        let taken: Taken = response
            .json()
            .await
            .map_err(|e| CliError::failed(format!("the server's answer does not read: {e}")))?;
        appended += taken.appended;
        app.station_audit_taken(taken.held).await?;
        if taken.held < last {
            return Err(CliError::failed(format!(
                "the server took the station's audit events up to {}, not {last}",
                taken.held
            )));
        }
    }
}

/// How often a serving station copies its working copy's audit events to its own chain.
const MIRROR_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// While a station serves: its working copy's audit events (in memory) are copied into
/// the station's own chain on disk every few seconds, and once more when it stops.
/// `working` follows the copy served, which a pull from the console replaces.
pub async fn mirror_while_serving(working: tokio::sync::watch::Receiver<App>) {
    let mut tick = tokio::time::interval(MIRROR_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let current = working.borrow().clone();
        if let Err(e) = current.mirror_station_audit().await {
            tracing::warn!("the station's audit events were not copied: {e}");
        }
    }
}

/// Packets sent at once: while the server files one, the station reads and signs the
/// next, and a line's latency is paid once for several.
pub const PACKETS_IN_FLIGHT: usize = 4;

/// What pushing one packet did.
struct PushedPacket {
    state: cancuoc_store::OutboxState,
    bytes: u64,
    resumed: bool,
}

/// Sends one packet, in chunks, from where the server stands, and keeps its answer.
async fn push_packet(
    app: &App,
    link: &ServerLink,
    packet: cancuoc_store::OutboxPacket,
    chunk_limit: usize,
    progress: &(dyn Fn(Uuid, u64, u64) + Sync),
) -> Result<PushedPacket> {
    use cancuoc_store::PacketOutcome;
    let unreadable =
        |e: reqwest::Error| CliError::failed(format!("the server's answer does not read: {e}"));
    let bytes = app.station_packet_bytes(&packet).await?;
    let path = format!(
        "/api/v1/stations/{}/packets/{}",
        link.identity.id, packet.packet
    );
    let total = bytes.len() as u64;
    let mut sent = 0u64;
    // Sent whole from the start: a packet the server already holds some or all of is
    // answered 409 (held bytes) or with its answer, and goes on from there.
    let mut from = 0u64;
    let mut resumed = false;
    let mut last_received = None;
    let answer = loop {
        let start = usize::try_from(from).unwrap_or(usize::MAX).min(bytes.len());
        let end = start.saturating_add(chunk_limit).min(bytes.len());
        let chunk = bytes.get(start..end).unwrap_or_default().to_vec();
        sent += chunk.len() as u64;
        let response = link
            .send(
                reqwest::Method::PUT,
                &format!("{path}?offset={from}&total={total}"),
                chunk,
            )
            .await?;
        let state: PacketState = if response.status() == reqwest::StatusCode::CONFLICT {
            // The server holds bytes of it from a push cut off: go on from there.
            resumed = true;
            link.call(reqwest::Method::GET, &path, Vec::new())
                .await?
                .json()
                .await
                .map_err(unreadable)?
        } else if response.status().is_success() {
            response.json().await.map_err(unreadable)?
        } else {
            return Err(refusal(response).await);
        };
        match state.state.as_str() {
            "partial" => {
                let received = state.received.unwrap_or(0);
                progress(packet.packet, received, total);
                // Held whole but unjudged (the server stopped in between), the empty chunk
                // at the end has it judged; two answers at the same place are a fault.
                if last_received == Some(received) {
                    return Err(CliError::failed(format!(
                        "the server holds packet {} at {received} of {total} bytes and takes no more",
                        packet.packet
                    )));
                }
                last_received = Some(received);
                from = received;
            }
            "filed" => {
                break PacketOutcome::Filed {
                    application: state.application.unwrap_or_default(),
                    receipt: state.receipt.unwrap_or_default(),
                };
            }
            "refused" => {
                break PacketOutcome::Refused {
                    code: state.code.unwrap_or_default(),
                    message: state.message.unwrap_or_default(),
                };
            }
            other => {
                return Err(CliError::failed(format!(
                    "the server answered packet {} with state {other:?}",
                    packet.packet
                )));
            }
        }
    };
    let kept = app.answer_station_packet(packet.packet, &answer).await?;
    Ok(PushedPacket {
        state: kept.state,
        bytes: sent,
        resumed,
    })
}

/// `cancuoc station push`: sends the outbox's waiting packets and prints what the server
/// answered; refused packets are listed with their reasons.
pub async fn push(app: &App, format: &str) -> Result<ExitCode> {
    let link = ServerLink::open(app).await?;
    let pushed = push_outbox(app, &link, &|packet, sent, total| {
        // Progress is for a person watching: a closed standard error must not stop it.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "packet {packet}: {sent} of {total} bytes"
        );
    })
    .await?;
    if format == "json" {
        println!(
            "{}",
            serde_json::to_string(&pushed).map_err(|e| CliError::failed(e.to_string()))?
        );
    } else {
        println!(
            "pushed: {} filed, {} refused ({} bytes sent); {} waiting",
            pushed.filed, pushed.refused, pushed.bytes, pushed.waiting
        );
        for p in app.station_outbox().await? {
            if p.state == cancuoc_store::OutboxState::Refused {
                println!(
                    "refused  {}  {}  {}: {}",
                    p.packet,
                    p.personal_id,
                    p.code.as_deref().unwrap_or(""),
                    p.message.as_deref().unwrap_or("")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `cancuoc station pull`: fetches the station's extract, checks it (signed by the server
/// this station trusts, for this station, not expired) and keeps it sealed in the vault.
pub async fn pull(app: &App) -> Result<ExitCode> {
    let extract = pull_extract(app).await?;
    let expires = app
        .station_identity()
        .await?
        .and_then(|i| i.extract_expires_micros)
        .and_then(|m| jiff::Timestamp::from_microsecond(m).ok())
        .map(|t| t.to_string())
        .unwrap_or_default();
    println!(
        "extract for {} communes: {} residents in {} households, {} officers; good until {expires}",
        extract.communes.len(),
        extract.residents.len(),
        extract.households.len(),
        extract.officers.len(),
    );
    Ok(ExitCode::SUCCESS)
}

/// Fetches the station's extract, checks it and keeps it sealed in the vault.
pub async fn pull_extract(app: &App) -> Result<cancuoc_app::StationExtract> {
    let link = ServerLink::open(app).await?;
    let path = format!("/api/v1/stations/{}/extract", link.identity.id);
    let response = link.call(reqwest::Method::GET, &path, Vec::new()).await?;
    let bytes = response
        .bytes()
        .await
        .map_err(|e| CliError::failed(format!("the extract did not arrive whole: {e}")))?;
    Ok(app.keep_station_extract(&bytes).await?)
}

/// `cancuoc station status`: who the station is and what its extract holds, the extract
/// read from the vault and checked again as when it was pulled.
pub async fn status(app: &App, format: &str) -> Result<ExitCode> {
    let identity = identity(app).await?;
    let micros_text = |m: Option<i64>| {
        m.and_then(|m| jiff::Timestamp::from_microsecond(m).ok())
            .map(|t| t.to_string())
    };
    let extract = match identity.extract_object {
        Some(_) => Some(app.station_extract_kept().await?),
        None => None,
    };
    let standing = app.station_standing().await?;
    let report = serde_json::json!({
        "outbox": standing.waiting,
        "refused": standing.refused,
        "last_push": micros_text(standing.last_push_micros),
        "intake_stopped": standing.intake_stopped,
        "station": identity.id,
        "name": identity.name,
        "unit": identity.unit,
        "server": identity.server_url,
        "extract_expires": micros_text(identity.extract_expires_micros),
        "extract": extract.as_ref().map(|e| serde_json::json!({
            "communes": e.communes,
            "residents": e.residents.len(),
            "households": e.households.len(),
            "officers": e.officers.iter().map(|o| o.username.clone()).collect::<Vec<_>>(),
        })),
    });
    if format == "json" {
        println!("{report}");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "station   {} ({}, {})",
        identity.id, identity.name, identity.unit
    );
    println!("server    {}", identity.server_url);
    match &extract {
        Some(e) => println!(
            "extract   {} residents in {} households of {}, officers {}; good until {}",
            e.residents.len(),
            e.households.len(),
            e.communes.join(", "),
            e.officers
                .iter()
                .map(|o| o.username.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            micros_text(identity.extract_expires_micros).unwrap_or_default()
        ),
        None => println!("extract   none yet: run `cancuoc station pull`"),
    }
    println!(
        "outbox    {} waiting, {} refused; last push {}",
        standing.waiting,
        standing.refused,
        micros_text(standing.last_push_micros).unwrap_or_else(|| "never".into())
    );
    if let Some(why) = &standing.intake_stopped {
        println!("intake    stopped: {why}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The working copy a station serves: a store in memory, loaded from the extract kept
/// sealed in the vault, with the outbox's packets filed again.
pub async fn working_copy(data_dir: &std::path::Path, home: &App) -> Result<App> {
    let audit_key = crate::secrets::audit_key(data_dir, false)?;
    let working = cancuoc_store_sqlite::open_in_memory(audit_key)
        .await
        .map_err(|e| CliError::failed(format!("the working copy: {e}")))?;
    let copy = home
        .station_working_copy(
            std::sync::Arc::new(working),
            cancuoc_app::StationLimits::default(),
        )
        .await?;
    let standing = copy.station_standing().await?;
    eprintln!(
        "station {}: working copy loaded; {} packets waiting, {} refused",
        identity(home).await?.name,
        standing.waiting,
        standing.refused
    );
    if let Some(why) = standing.intake_stopped {
        eprintln!("intake is stopped: {why}");
    }
    Ok(copy)
}

/// What the station's console runs to load a new extract: pull it, make the working copy
/// from it, and have the audit mirror follow the new copy. The served copy is swapped by
/// the server once this answers.
pub fn fresh_copy(
    data_dir: std::path::PathBuf,
    home: App,
    served: tokio::sync::watch::Sender<App>,
) -> cancuoc_server::FreshCopy {
    let served = std::sync::Arc::new(served);
    std::sync::Arc::new(move || {
        let (data_dir, home, served) = (data_dir.clone(), home.clone(), served.clone());
        Box::pin(async move {
            pull_extract(&home).await.map_err(|e| e.to_string())?;
            let copy = working_copy(&data_dir, &home)
                .await
                .map_err(|e| e.to_string())?;
            served.send_replace(copy.clone());
            Ok(copy)
        })
    })
}

/// How often a serving station tries to push its waiting packets.
const PUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// While a station serves: pushes whatever waits every half minute, so that packets go
/// up as soon as the server can be reached; a failure is logged and tried again.
pub async fn push_while_serving(home: App) {
    let mut tick = tokio::time::interval(PUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // Every tick, packets or not: the station's trail goes up too, and a push that
        // reaches the server counts for the 7-day rule.
        let pushed = match ServerLink::open(&home).await {
            Ok(link) => push_outbox(&home, &link, &|_, _, _| {}).await,
            Err(e) => Err(e),
        };
        match pushed {
            Ok(p) => tracing::info!(
                filed = p.filed,
                refused = p.refused,
                waiting = p.waiting,
                "station push"
            ),
            Err(e) => tracing::info!("station push not done: {e}"),
        }
    }
}

/// The officer `station demo` makes on the central server for the station, and the
/// password it gives them: a demonstration's, printed, never a real one.
const DEMO_OFFICER_PASSWORD: &str = "tram-luu-dong-thu";

/// `cancuoc station demo`: on a laptop, against a central server started with
/// `serve --demo` on the same machine, everything a district officer and the team would
/// do to put a station to work, then the station's own server: enrol, make a district
/// officer for the station (signing in as `admin` with `CANCUOC_ADMIN_PASSWORD`), approve
/// the station for every commune of its district, pull, and serve the working copy.
pub async fn demo(
    cli: &crate::Cli,
    app: &App,
    server: &str,
    unit: &str,
    listen: &str,
) -> Result<ExitCode> {
    let base = base_url(server)?;
    let district = unit
        .trim()
        .strip_prefix("CAH-")
        .filter(|d| d.len() == 3 && d.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            CliError::usage(format!(
                "--unit {unit:?}: a district police unit, e.g. CAH-436"
            ))
        })?
        .to_owned();
    let admin_password = std::env::var("CANCUOC_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| {
            CliError::usage(
                "set CANCUOC_ADMIN_PASSWORD to the central server's administrator password (the one `serve --demo` was started with)",
            )
        })?;
    let client = reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .build()
        .map_err(|e| CliError::failed(e.to_string()))?;
    let api = |path: &str| format!("{base}/api/v1{path}");
    let unreachable =
        |e: reqwest::Error| CliError::failed(format!("cannot reach the server at {base}: {e}"));
    let sign_in = |username: String, password: String| {
        let client = client.clone();
        let url = api("/auth/login");
        async move {
            let response = client
                .post(url)
                .json(&serde_json::json!({"username": username, "password": password}))
                .send()
                .await
                .map_err(unreachable)?;
            if !response.status().is_success() {
                return Err(refusal(response).await);
            }
            let body: serde_json::Value = response.json().await.map_err(unreachable)?;
            body.get("token")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| CliError::failed("the server's sign-in answer has no token"))
        }
    };
    let admin = sign_in("admin".into(), admin_password).await?;

    let identity = match app.station_identity().await? {
        Some(identity) => identity,
        None => enrol_station(app, &base, unit, "Tổ lưu động thử nghiệm").await?,
    };
    let officer = format!("luudong.{district}");
    let made = client
        .post(api("/officers"))
        .bearer_auth(&admin)
        .json(
            &serde_json::json!({"username": officer, "full_name": "Cán bộ tổ lưu động",
            "unit": unit.trim(), "role": "district_officer"}),
        )
        .send()
        .await
        .map_err(unreachable)?;
    if made.status().is_success() {
        let body: serde_json::Value = made.json().await.map_err(unreachable)?;
        let one_time = body
            .get("one_time_password")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let token = sign_in(officer.clone(), one_time.clone()).await?;
        let changed = client
            .post(api("/auth/password"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"current": one_time, "new": DEMO_OFFICER_PASSWORD}))
            .send()
            .await
            .map_err(unreachable)?;
        if !changed.status().is_success() {
            return Err(refusal(changed).await);
        }
    } else if made.status() != reqwest::StatusCode::CONFLICT {
        return Err(refusal(made).await);
    }
    let units =
        cancuoc_domain::admin_data::parse_admin_units(cancuoc_domain::admin_data::ADMIN_UNITS_2021)
            .map_err(|e| CliError::failed(e.to_string()))?;
    let communes: Vec<String> = units
        .iter()
        .filter(|u| u.parent.as_ref().is_some_and(|p| p.as_str() == district))
        .map(|u| u.code.as_str().to_owned())
        .collect();
    let approved = client
        .post(api(&format!("/stations/{}/approve", identity.id)))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"communes": communes, "officers": [officer]}))
        .send()
        .await
        .map_err(unreachable)?;
    if !approved.status().is_success() && approved.status() != reqwest::StatusCode::CONFLICT {
        return Err(refusal(approved).await);
    }
    let extract = pull_extract(app).await?;
    println!(
        "station {} approved for {} communes of {unit}: {} residents pulled.\n\
         Its console: http://{listen} (sign in as {officer}, password {DEMO_OFFICER_PASSWORD}).\n\
         Stop the central server to work offline; `cancuoc station push` (or the station itself, \
         every 30 s) sends what was filed.",
        identity.id,
        communes.len(),
        extract.residents.len()
    );
    crate::commands::serve(cli, listen, false, true).await
}
