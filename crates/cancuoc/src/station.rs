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
    println!("{}", identity.id);
    eprintln!(
        "Asked {base} to enrol station {:?} of {}.\n\
         An officer of {} approves it in the console (Trạm lưu động) after checking that it shows\n\
         the fingerprint {ours}; then run `cancuoc station pull`.",
        identity.name, identity.unit, identity.unit
    );
    Ok(ExitCode::SUCCESS)
}

/// The station's identity, or why this database is none.
async fn identity(app: &App) -> Result<StationIdentity> {
    app.station_identity().await?.ok_or_else(|| {
        CliError::usage(
            "this database is no station: run `cancuoc station enrol --server URL --unit CODE --name NAME` first",
        )
    })
}

/// A request to the server signed with the station's key, as the server checks it.
async fn signed(
    app: &App,
    identity: &StationIdentity,
    method: reqwest::Method,
    path: &str,
    body: Vec<u8>,
) -> Result<reqwest::Response> {
    let key = app.station_signing_key(identity).await?;
    let at = jiff::Timestamp::now().as_microsecond();
    let message = cancuoc_domain::station::request_message(
        identity.id.as_bytes(),
        method.as_str(),
        path,
        at,
        &body,
    );
    let client = reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .build()
        .map_err(|e| CliError::failed(e.to_string()))?;
    let base = &identity.server_url;
    let response = client
        .request(method, format!("{base}{path}"))
        .header("x-cancuoc-station-time", at.to_string())
        .header(
            "x-cancuoc-station-signature",
            B64.encode(key.sign_message(&message)),
        )
        .body(body)
        .send()
        .await
        .map_err(|e| CliError::failed(format!("cannot reach the server at {base}: {e}")))?;
    if !response.status().is_success() {
        return Err(refusal(response).await);
    }
    Ok(response)
}

/// `cancuoc station pull`: fetches the station's extract, checks it (signed by the server
/// this station trusts, for this station, not expired) and keeps it sealed in the vault.
pub async fn pull(app: &App) -> Result<ExitCode> {
    let identity = identity(app).await?;
    let path = format!("/api/v1/stations/{}/extract", identity.id);
    let response = signed(app, &identity, reqwest::Method::GET, &path, Vec::new()).await?;
    let bytes = response
        .bytes()
        .await
        .map_err(|e| CliError::failed(format!("the extract did not arrive whole: {e}")))?;
    let extract = app.keep_station_extract(&bytes).await?;
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
    let report = serde_json::json!({
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
    Ok(ExitCode::SUCCESS)
}
