//! `cancuoc bench sync` (issue 19): applications with biometrics filed at a station and
//! pushed to the central server as signed, sealed packets, in applications and megabytes
//! a second, next to the peer measured in the same run against the same server: each
//! application with the same images posted as one plain HTTP body to the intake API.
//! Both keep the same number of requests in flight (`station::PACKETS_IN_FLIGHT`).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use cancuoc_app::{Caller, DemoObserver, Intake, StationLimits};
use cancuoc_domain::biometrics::{
    Capture, FingerCapture, FingerPosition, FlatPosition, Image, ImageRole, sample_jpeg,
};
use cancuoc_store::CitizenColumns;

use crate::bench::{BENCH_PASSWORD, BenchServer, open_app, thousands};
use crate::bench_intake::{Applicants, post_all};
use crate::commands::{CliError, Result, operator};

/// The district the station serves.
const DISTRICT: &str = "436";
const STATION_OFFICER: &str = "bench.station";
/// The push must reach half the peer's rate.
const GOAL_RATIO: f64 = 0.5;

fn failed(msg: impl Into<String>) -> CliError {
    CliError::failed(msg)
}

/// Applicants in the station's district (with their communes) and outside it.
#[derive(Default)]
struct Split {
    inside: Applicants,
    communes: std::collections::BTreeSet<String>,
    outside: Applicants,
}

impl DemoObserver for Split {
    fn person(&mut self, r: &CitizenColumns) {
        let inside = r.home_district.as_deref() == Some(DISTRICT);
        let before = self.inside.0.len();
        if inside {
            self.inside.person(r);
            if self.inside.0.len() > before
                && let Some(c) = &r.home_commune
            {
                self.communes.insert(c.clone());
            }
        } else {
            self.outside.person(r);
        }
    }
}

/// The same images as the peer's body (`bench_intake::biometrics`), as a capture.
fn capture() -> Result<Capture> {
    let image = |bytes: Vec<u8>, role: ImageRole| {
        Image::parse(bytes, role).map_err(|e| failed(format!("bench image: {e}")))
    };
    let portrait = image(sample_jpeg(480, 640, 30_000), ImageRole::Portrait)?;
    let mut rolled = Vec::with_capacity(10);
    for finger in FingerPosition::ALL {
        rolled.push(FingerCapture::Rolled(image(
            sample_jpeg(800, 750, 20_000),
            ImageRole::Rolled(finger),
        )?));
    }
    let mut flats = Vec::with_capacity(3);
    for flat in FlatPosition::ALL {
        flats.push(Some(image(
            sample_jpeg(1600, 1000, 6_000),
            ImageRole::Flat(flat),
        )?));
    }
    let (Ok(rolled), Ok(flats)) = (rolled.try_into(), flats.try_into()) else {
        return Err(failed("bench capture"));
    };
    Capture::new(portrait, rolled, flats).map_err(|e| failed(format!("bench capture: {e}")))
}

fn vault(dir: &std::path::Path, name: &str) -> Result<Arc<cancuoc_vault::ObjectVault>> {
    let key = cancuoc_vault::MasterKey::generate().map_err(|e| failed(e.to_string()))?;
    let objects = dir.join(name);
    let _ = std::fs::remove_dir_all(&objects);
    std::fs::create_dir_all(&objects)?;
    Ok(Arc::new(
        cancuoc_vault::ObjectVault::local(&objects, &key).map_err(|e| failed(e.to_string()))?,
    ))
}

pub async fn sync(applications: usize) -> Result<ExitCode> {
    let dir = std::env::temp_dir().join(format!("cancuoc-bench-sync-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let outcome = run(&dir, applications).await;
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}

async fn run(dir: &std::path::Path, applications: usize) -> Result<ExitCode> {
    println!(
        "cancuoc bench sync: {applications} applications with ~250 KB of biometrics each, pushed by a station in packets, {} requests in flight for both",
        crate::station::PACKETS_IN_FLIGHT
    );
    let central = open_app(&format!("sqlite://{}", dir.join("central.db").display())).await?;
    central.init("2021", Some(BENCH_PASSWORD)).await?;
    let central = central.with_vault(vault(dir, "central-objects")?);
    // District 436 holds about a twelfth of the province's people, two thirds of them
    // of age: enough applicants inside it, and as many outside for the peer.
    let mut split = Split::default();
    central
        .demo(&operator(), "42", applications * 24 + 2_000, 11, &mut split)
        .await?;
    if split.inside.0.len() < applications || split.outside.0.len() < applications {
        return Err(failed("too few applicants generated"));
    }
    split.inside.0.truncate(applications);
    split.outside.0.truncate(applications);
    central
        .add_officer(
            &operator(),
            STATION_OFFICER,
            "Benchmark station officer",
            &cancuoc_domain::PoliceUnitCode::parse(&format!("CAH-{DISTRICT}"))
                .map_err(|e| failed(e.to_string()))?,
            cancuoc_domain::Role::DistrictOfficer,
            Some(BENCH_PASSWORD),
        )
        .await?;
    let running = BenchServer::start_as_province_officer(&central, "bench.peer").await?;
    let root = running.base.trim_end_matches("/api/v1").to_owned();

    // The station: its own database and vault, enrolled, approved for the district's
    // communes where the applicants live, pulled, and its working copy in memory.
    let home = open_app(&format!("sqlite://{}", dir.join("station.db").display()))
        .await?
        .with_vault(vault(dir, "station-objects")?);
    let identity =
        crate::station::enrol_station(&home, &root, &format!("CAH-{DISTRICT}"), "Bench").await?;
    let communes: Vec<String> = split.communes.iter().cloned().collect();
    central
        .approve_station(
            &operator(),
            identity.id,
            &communes,
            &[STATION_OFFICER.to_owned()],
        )
        .await?;
    crate::station::pull_extract(&home).await?;
    let working = cancuoc_store_sqlite::open_in_memory(cancuoc_app::AppConfig::default().audit_key)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let copy = home
        .station_working_copy(
            Arc::new(working),
            StationLimits {
                max_waiting: applications + 1,
                ..StationLimits::default()
            },
        )
        .await?;
    let officer = copy
        .store()
        .officer_credentials(STATION_OFFICER)
        .await
        .map_err(|e| failed(e.to_string()))?
        .map(|c| c.officer)
        .ok_or_else(|| failed("the station's officer is not in its extract"))?;
    let caller = Caller::Officer(officer);
    let capture = capture()?;
    let started = Instant::now();
    for (personal_id, kind) in &split.inside.0 {
        copy.file_application(
            &caller,
            &Intake {
                personal_id: personal_id.clone(),
                kind: (*kind).to_owned(),
                reason: None,
                channel: "mobile".into(),
                intake_unit: None,
                intake_date: None,
                station: None,
                identifying_marks: None,
                exemption: None,
                old_card_returned: false,
                idempotency_key: None,
                capture: Some(capture.clone()),
                receipt: None,
            },
        )
        .await?;
    }
    let filing = started.elapsed();
    println!(
        "  filed at the station (working copy in memory, packets sealed into the outbox): {} /s",
        thousands(applications as f64 / filing.as_secs_f64().max(1e-9))
    );

    let link = crate::station::ServerLink::open(&home).await?;
    let started = Instant::now();
    let pushed = crate::station::push_outbox(&home, &link, &|_, _, _| {}).await?;
    let push = started.elapsed();
    if pushed.filed != applications {
        return Err(failed(format!(
            "the server filed {} of {applications} packets ({} refused)",
            pushed.filed, pushed.refused
        )));
    }
    let peer = post_all(
        &running.base,
        &running.token,
        &split.outside.0,
        crate::station::PACKETS_IN_FLIGHT,
    )
    .await?;
    running.stop().await;

    let rate = |n: usize, secs: f64| n as f64 / secs.max(1e-9);
    let ours = rate(applications, push.as_secs_f64());
    let theirs = rate(applications, peer.took.as_secs_f64());
    let ratio = ours / theirs;
    println!(
        "  station push: {applications} packets, {:.1} MB in {:.2} s = {} applications/s, {:.1} MB/s",
        pushed.bytes as f64 / 1e6,
        push.as_secs_f64(),
        thousands(ours),
        pushed.bytes as f64 / 1e6 / push.as_secs_f64().max(1e-9)
    );
    println!(
        "  peer, one plain HTTP body per application (POST /api/v1/applications, JSON with base64 images): {:.1} MB in {:.2} s = {} applications/s, {:.1} MB/s",
        peer.bytes as f64 / 1e6,
        peer.took.as_secs_f64(),
        thousands(theirs),
        peer.bytes as f64 / 1e6 / peer.took.as_secs_f64().max(1e-9)
    );
    println!(
        "  the push reaches {ratio:.2}× the peer's applications a second; goal ≥ {GOAL_RATIO}×: {}",
        if ratio >= GOAL_RATIO { "met" } else { "missed" }
    );
    Ok(ExitCode::SUCCESS)
}
