//! `cancuoc bench intake`: applications a second through the HTTP API with realistic
//! biometrics (a 30 KB portrait, ten 20 KB rolled prints and three flats, about 250 KB),
//! on SQLite and optionally PostgreSQL, next to the raw write bandwidth of the same bytes
//! to the same disk (write + fsync of file and directory, as the vault does), measured in
//! the same run with the same concurrency.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use cancuoc_app::{App, DemoObserver};
use cancuoc_domain::biometrics::sample_jpeg;
use cancuoc_store::CitizenColumns;

use crate::bench::{
    BENCH_PASSWORD, BenchServer, database_url, open_app, percentile, psql, thousands,
};
use crate::commands::{CliError, Result, operator};

pub struct IntakeArgs<'a> {
    pub applications: usize,
    pub clients: usize,
    pub work_dir: Option<&'a Path>,
    pub postgres: Option<&'a str>,
}

const OFFICER: &str = "bench.pc06";
/// The 2021 campaign's national peak was near 1 million applications a day; the goal
/// asks one 2-core node for 300 a second.
const GOAL_PER_SECOND: f64 = 300.0;

fn failed(msg: impl Into<String>) -> CliError {
    CliError::failed(msg)
}

/// Who may apply, and with which type: a CMND holder switches, anyone else is a first issuance.
#[derive(Default)]
pub(crate) struct Applicants(pub Vec<(String, &'static str)>);

/// The application type that fits a generated person (`cmnd_switch` for a holder of an
/// old ID card, else `first_issuance`); `None` for someone who has died.
pub(crate) fn applies_as(r: &CitizenColumns) -> Option<&'static str> {
    let alive = serde_json::from_str::<serde_json::Value>(&r.data_json)
        .ok()
        .is_some_and(|d| d.get("died_on").is_none_or(serde_json::Value::is_null));
    alive.then(|| {
        if r.old_id_number.is_some() {
            "cmnd_switch"
        } else {
            "first_issuance"
        }
    })
}

impl DemoObserver for Applicants {
    fn person(&mut self, r: &CitizenColumns) {
        if let Some(kind) = applies_as(r) {
            self.0.push((r.personal_id.clone(), kind));
        }
    }
}

/// One application's biometrics as the API takes them, about 250 KB before base64.
pub(crate) fn biometrics() -> (serde_json::Value, usize) {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let portrait = sample_jpeg(480, 640, 30_000);
    let finger = sample_jpeg(800, 750, 20_000);
    let flat = sample_jpeg(1600, 1000, 6_000);
    let names = [
        "r_thumb", "r_index", "r_middle", "r_ring", "r_little", "l_thumb", "l_index", "l_middle",
        "l_ring", "l_little",
    ];
    let bytes = portrait.len() + 10 * finger.len() + 3 * flat.len();
    let fingers: Vec<serde_json::Value> = names
        .iter()
        .map(|f| serde_json::json!({"finger": f, "image": b64(&finger)}))
        .collect();
    let value = serde_json::json!({
        "portrait": b64(&portrait),
        "fingers": fingers,
        "flats": {"right_four": b64(&flat), "left_four": b64(&flat), "thumbs": b64(&flat)},
    });
    (value, bytes)
}

pub(crate) struct Measured {
    pub took: Duration,
    pub latencies: Vec<Duration>,
    /// Request bodies sent, in bytes.
    pub bytes: u64,
}

/// Posts every application with `clients` requests in flight.
pub(crate) async fn post_all(
    base: &str,
    token: &str,
    applicants: &[(String, &'static str)],
    clients: usize,
) -> Result<Measured> {
    let (bio, _) = biometrics();
    let bodies: Vec<String> = applicants
        .iter()
        .map(|(pid, kind)| {
            serde_json::json!({"personal_id": pid, "type": kind, "channel": "fixed", "biometrics": bio})
                .to_string()
        })
        .collect();
    let bytes = bodies.iter().map(|b| b.len() as u64).sum();
    let bodies = Arc::new(bodies);
    let client = reqwest::Client::new();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (client, bodies, next) = (client.clone(), bodies.clone(), next.clone());
        let url = format!("{base}/applications");
        let token = token.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let t = Instant::now();
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .map_err(|e| failed(format!("intake: {e}")))?;
                let status = response.status();
                if status != reqwest::StatusCode::CREATED {
                    let text = response.text().await.unwrap_or_default();
                    return Err(failed(format!("intake answered {status}: {text}")));
                }
                latencies.push(t.elapsed());
            }
            Ok::<_, CliError>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.map_err(|e| failed(e.to_string()))??);
    }
    Ok(Measured {
        took: started.elapsed(),
        latencies,
        bytes,
    })
}

/// The peer: the same bytes per application written to the same disk, each as a file
/// that is synced with its directory, `clients` at a time.
async fn raw_writes(dir: &Path, count: usize, bytes: usize, clients: usize) -> Result<Duration> {
    let dir = dir.join("raw");
    std::fs::create_dir_all(&dir)?;
    let payload = Arc::new(vec![0x5Au8; bytes]);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (dir, payload, next) = (dir.clone(), payload.clone(), next.clone());
        tasks.push(tokio::task::spawn_blocking(move || {
            use std::io::Write as _;
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let path = dir.join(format!("{i}.bin"));
                let mut f = std::fs::File::create(&path)?;
                f.write_all(&payload)?;
                f.sync_all()?;
                std::fs::File::open(&dir)?.sync_all()?;
            }
            Ok::<_, std::io::Error>(())
        }));
    }
    for task in tasks {
        task.await.map_err(|e| failed(e.to_string()))??;
    }
    let took = started.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(took)
}

/// A register with enough applicants, an officer of Hà Tĩnh's PC06, a vault, a server.
async fn run_one(store_name: &str, db: &str, dir: &Path, args: &IntakeArgs<'_>) -> Result<()> {
    let app = open_app(db).await?;
    app.init("2021", Some(BENCH_PASSWORD)).await?;
    let key = cancuoc_vault::MasterKey::generate().map_err(|e| failed(e.to_string()))?;
    let objects = dir.join(format!("objects-{store_name}"));
    let _ = std::fs::remove_dir_all(&objects);
    std::fs::create_dir_all(&objects)?;
    let vault =
        cancuoc_vault::ObjectVault::local(&objects, &key).map_err(|e| failed(e.to_string()))?;
    let app: App = app.with_vault(Arc::new(vault));
    let mut applicants = Applicants::default();
    // Some generated people have died; a few more than needed cover them.
    let people = args.applications + args.applications / 10 + 100;
    app.demo(&operator(), "42", people, 7, &mut applicants)
        .await?;
    applicants.0.truncate(args.applications);
    if applicants.0.len() < args.applications {
        return Err(failed("too few living applicants generated"));
    }
    let running = BenchServer::start_as_province_officer(&app, OFFICER).await?;

    let measured = post_all(&running.base, &running.token, &applicants.0, args.clients).await?;
    running.stop().await;
    let (_, bytes) = biometrics();
    let raw = raw_writes(dir, args.applications, bytes, args.clients).await?;

    let n = args.applications as f64;
    let ours = n / measured.took.as_secs_f64().max(1e-9);
    let peer = n / raw.as_secs_f64().max(1e-9);
    let mut latencies = measured.latencies;
    latencies.sort_unstable();
    println!(
        "  {store_name:<10} POST /api/v1/applications: {} applications in {:.2} s = {} /s (p50 {:.1} ms, p99 {:.1} ms); goal ≥ {} /s: {}",
        args.applications,
        measured.took.as_secs_f64(),
        thousands(ours),
        percentile(&latencies, 50),
        percentile(&latencies, 99),
        GOAL_PER_SECOND,
        if ours >= GOAL_PER_SECOND {
            "met"
        } else {
            "missed"
        }
    );
    println!(
        "  {:<10} peer, raw write + fsync of the same {} KB per application: {} /s ({:.0} MB/s); intake reaches {:.2}× of it",
        "",
        bytes / 1000,
        thousands(peer),
        peer * bytes as f64 / 1e6,
        ours / peer
    );
    Ok(())
}

pub async fn intake(args: &IntakeArgs<'_>) -> Result<ExitCode> {
    let (dir, temporary) = match args.work_dir {
        Some(d) => (d.to_owned(), false),
        None => (
            std::env::temp_dir().join(format!("cancuoc-bench-intake-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir)?;
    let outcome = run_both(&dir, args).await;
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    outcome
}

async fn run_both(dir: &Path, args: &IntakeArgs<'_>) -> Result<ExitCode> {
    println!(
        "cancuoc bench intake: {} applications with ~250 KB of biometrics each, {} clients, durable commits",
        args.applications, args.clients
    );
    let sqlite = dir.join("intake.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", sqlite.display()));
    }
    run_one(
        "SQLite",
        &format!("sqlite://{}", sqlite.display()),
        dir,
        args,
    )
    .await?;
    if let Some(url) = args.postgres {
        let db = database_url(url, "cancuoc_bench_intake")?;
        psql(url, "DROP DATABASE IF EXISTS cancuoc_bench_intake")?;
        psql(url, "CREATE DATABASE cancuoc_bench_intake")?;
        run_one("PostgreSQL", &db, dir, args).await?;
    }
    Ok(ExitCode::SUCCESS)
}
