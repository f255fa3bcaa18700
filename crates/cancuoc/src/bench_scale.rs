//! `cancuoc bench scale`: national registers of growing size on PostgreSQL (people spread
//! evenly over the 63 provinces), each measured the same way, so that the figures show
//! how the service grows: ID look-up and name search over HTTP, the national eligible
//! report from the kept counts next to a count of the register, the national progress
//! report over HTTP, and filings with biometrics on two server nodes at once.
//!
//! Each register is built once in a database of its own (`cancuoc_bench_scale_<people>`),
//! with its sample of people in `--work-dir`, and reused by later runs.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cancuoc_app::{App, AppError, QuotaRequest};
use cancuoc_domain::{AdminLevel, Jurisdiction, PoliceUnitCode, Role};
use cancuoc_store::{Access, EligibleQuery};

use crate::bench::{
    BENCH_PASSWORD, BenchServer, Sample, database_url, load_national, lookup_times, open_app,
    percentile, psql, thousands,
};
use crate::commands::{CliError, Result, operator};

const SEED: u64 = 1;
const OFFICER: &str = "bench.scale";
const FILER: &str = "bench.scale.pc06";
const CAMPAIGN: &str = "Benchmark: quy mô quốc gia";
/// Issue 20's goals, in milliseconds at p99.
const LOOKUP_GOAL_MS: f64 = 5.0;
const SEARCH_GOAL_MS: f64 = 30.0;
const REPORT_GOAL_MS: f64 = 50.0;

pub struct ScaleArgs<'a> {
    pub sizes: Vec<u64>,
    pub postgres: &'a str,
    pub work_dir: &'a Path,
    /// Look-ups, searches and reports timed per size.
    pub requests: usize,
    /// Applications filed per size, half on each node.
    pub filings: usize,
}

fn failed(msg: impl Into<String>) -> CliError {
    CliError::failed(msg)
}

/// p50 and p99 of a set of timings, in milliseconds.
#[derive(Debug, Clone, Copy)]
struct Spread {
    p50: f64,
    p99: f64,
}

impl Spread {
    fn of(mut times: Vec<Duration>) -> Self {
        times.sort_unstable();
        Self {
            p50: percentile(&times, 50),
            p99: percentile(&times, 99),
        }
    }
}

/// What one size measured.
struct Figures {
    people: u64,
    database_bytes: u64,
    built_per_second: Option<f64>,
    first_count: Duration,
    by_id: Spread,
    by_name: Spread,
    eligible: Spread,
    eligible_scan_ms: f64,
    plain_count_ms: f64,
    progress: Spread,
    filings: Option<(f64, Spread)>,
}

pub async fn scale(args: &ScaleArgs<'_>) -> Result<ExitCode> {
    std::fs::create_dir_all(args.work_dir)?;
    let mut all = Vec::new();
    for &people in &args.sizes {
        let figures = one_size(people, args).await?;
        print_size(&figures);
        all.push(figures);
    }
    print_growth(&all);
    Ok(ExitCode::SUCCESS)
}

/// The sample kept beside a register: who to look up, and who is left to file for.
#[derive(serde::Serialize, serde::Deserialize)]
struct Kept {
    sample: Sample,
    /// Living people of Hà Tĩnh (province 42) with the application type that fits them.
    applicants: Vec<(String, String)>,
    /// How many of them earlier runs filed for.
    filed: usize,
}

/// A register of `people`, built unless an earlier run left it, with its sample and the
/// rate it was built at (`None` when reused).
async fn register(people: u64, args: &ScaleArgs<'_>) -> Result<(App, String, Kept, Option<f64>)> {
    let name = format!("cancuoc_bench_scale_{people}");
    let url = database_url(args.postgres, &name)?;
    let kept_path = args.work_dir.join(format!("scale-{people}.json"));
    if let Ok(text) = std::fs::read_to_string(&kept_path)
        && let Ok(kept) = serde_json::from_str::<Kept>(&text)
        && kept.sample.people == people
        && let Ok(app) = open_app(&url).await
        && !app.places().is_empty()
    {
        eprintln!("  reusing {name} ({people} people)");
        return Ok((app, url, kept, None));
    }
    psql(args.postgres, &format!("DROP DATABASE IF EXISTS {name}"))?;
    psql(args.postgres, &format!("CREATE DATABASE {name}"))?;
    let app = open_app(&url).await?;
    app.init("2021", Some(BENCH_PASSWORD)).await?;
    let started = Instant::now();
    let (sample, applicants) = load_national(&app, people, SEED).await?;
    let rate = people as f64 / started.elapsed().as_secs_f64().max(1e-9);
    let kept = Kept {
        sample,
        applicants,
        filed: 0,
    };
    save(&kept_path, &kept)?;
    Ok((app, url, kept, Some(rate)))
}

fn save(path: &Path, kept: &Kept) -> Result<()> {
    let text = serde_json::to_string(kept).map_err(|e| failed(e.to_string()))?;
    std::fs::write(path, text)?;
    Ok(())
}

async fn one_size(people: u64, args: &ScaleArgs<'_>) -> Result<Figures> {
    eprintln!("{} people:", thousands(people as f64));
    let (app, url, mut kept, built_per_second) = register(people, args).await?;

    // The first count of a register is a recount; the day after, a few thousand people.
    let started = Instant::now();
    app.keep_eligible_current().await?;
    let first_count = started.elapsed();

    let today = app.today();
    let national = EligibleQuery {
        within: None,
        group_by: AdminLevel::Province,
        on: today,
    };
    let access = Access {
        actor: "bench".into(),
        unit: "BCA".into(),
        scope: Jurisdiction::Nation,
        purpose: "bench scale".into(),
        now_micros: jiff::Timestamp::now().as_microsecond(),
    };
    let mut eligible = Vec::with_capacity(args.requests);
    let mut total = 0;
    for _ in 0..args.requests {
        let started = Instant::now();
        let groups = app
            .store()
            .eligible(&access, &national)
            .await
            .map_err(AppError::from)?;
        eligible.push(started.elapsed());
        total = groups.iter().map(|(_, n)| n).sum::<u64>();
    }
    // The peers: the same counts recounted from the register (what `report verify`
    // does, which must agree), and the plain count of the citizens table.
    let mut scans = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let check = app.verify_eligible_counts(&operator()).await?;
        scans.push(started.elapsed());
        if !check.mismatches.is_empty() {
            return Err(failed(format!(
                "the kept eligible counts differ from a recount in {} places",
                check.mismatches.len()
            )));
        }
    }
    scans.sort_unstable();
    let plain_count_ms = plain_count_ms(&url)?;
    eprintln!("  eligible today: {}", thousands(total as f64));

    let progress = progress_times(&app, args.requests).await?;
    let running = BenchServer::start(&app, OFFICER).await?;
    let (by_id, by_name) = lookup_times(&running, &kept.sample, args.requests).await?;
    running.stop().await;

    let filings = two_nodes(&url, &mut kept, args).await?;
    save(&args.work_dir.join(format!("scale-{people}.json")), &kept)?;

    Ok(Figures {
        people,
        database_bytes: database_bytes(&url)?,
        built_per_second,
        first_count,
        by_id: Spread::of(by_id),
        by_name: Spread::of(by_name),
        eligible: Spread::of(eligible),
        eligible_scan_ms: percentile(&scans, 50),
        plain_count_ms,
        progress,
        filings,
    })
}

/// Runs one statement through psql and returns what it printed.
fn psql_output(url: &str, sql: &str) -> Result<String> {
    let out = Command::new("psql")
        .args(["-X", "-qAt", "-v", "ON_ERROR_STOP=1", url, "-c", sql])
        .output()
        .map_err(|e| failed(format!("psql: {e}")))?;
    if !out.status.success() {
        return Err(failed(format!(
            "psql: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The server's own time for `SELECT count(*) FROM citizens` (median of 3).
fn plain_count_ms(url: &str) -> Result<f64> {
    let mut times = Vec::new();
    for _ in 0..3 {
        let plan = psql_output(
            url,
            "EXPLAIN (ANALYZE, TIMING OFF) SELECT count(*) FROM citizens",
        )?;
        let ms = plan
            .lines()
            .find_map(|l| l.trim().strip_prefix("Execution Time: "))
            .and_then(|l| l.trim_end_matches(" ms").parse::<f64>().ok())
            .ok_or_else(|| failed(format!("no execution time in {plan}")))?;
        times.push(Duration::from_secs_f64(ms / 1e3));
    }
    times.sort_unstable();
    Ok(percentile(&times, 50))
}

fn database_bytes(url: &str) -> Result<u64> {
    psql_output(url, "SELECT pg_database_size(current_database())")?
        .trim()
        .parse()
        .map_err(|_| failed("pg_database_size"))
}

/// The national progress report (BCA and its 63 provinces, with each one's eligible
/// population) over HTTP, as a leader's dashboard asks for it.
async fn progress_times(app: &App, requests: usize) -> Result<Spread> {
    let unit = PoliceUnitCode::C06;
    match app
        .add_officer(
            &operator(),
            OFFICER,
            "Benchmark",
            &unit,
            Role::MinistryOfficer,
            Some(BENCH_PASSWORD),
        )
        .await
    {
        Ok(_) | Err(AppError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let campaign = match app
        .campaigns(&operator())
        .await?
        .into_iter()
        .find(|c| c.name == CAMPAIGN)
    {
        Some(c) => c,
        None => {
            let start = app.today();
            let end = start
                .checked_add(jiff::Span::new().days(120))
                .map_err(|e| failed(e.to_string()))?;
            let c = app
                .create_campaign(&operator(), CAMPAIGN, &start.to_string(), &end.to_string())
                .await?;
            app.set_quota(
                &operator(),
                c.id,
                &QuotaRequest {
                    unit: "BCA".into(),
                    total: 1_000_000,
                    daily: Some(10_000),
                    split: Some(cancuoc_domain::campaign::Split::Eligible),
                },
            )
            .await?;
            c
        }
    };
    let server = BenchServer::start(app, OFFICER).await?;
    let url = format!(
        "{}/campaigns/{}/progress?unit=BCA",
        server.base, campaign.id
    );
    let url = reqwest::Url::parse(&url).map_err(|e| failed(e.to_string()))?;
    let client = reqwest::Client::new();
    let mut times = Vec::with_capacity(requests);
    // The first 20 warm the connection and the caches.
    for i in 0..requests + 20 {
        let took = server.get_timed(&client, url.clone()).await?;
        if i >= 20 {
            times.push(took);
        }
    }
    server.stop().await;
    Ok(Spread::of(times))
}

/// Applications with biometrics filed through two server nodes (two apps, each with its
/// own connection pool, behind two listeners) on the one database, half on each, four
/// requests in flight per node. Each run files for people earlier runs left alone.
async fn two_nodes(
    url: &str,
    kept: &mut Kept,
    args: &ScaleArgs<'_>,
) -> Result<Option<(f64, Spread)>> {
    let left = kept.applicants.len().saturating_sub(kept.filed);
    let n = args.filings.min(left);
    if n < 2 {
        eprintln!("  no one left to file for: build the register again for filings");
        return Ok(None);
    }
    let mine: Vec<(String, &'static str)> = kept
        .applicants
        .iter()
        .skip(kept.filed)
        .take(n)
        .map(|(pid, kind)| {
            let kind = if kind == "cmnd_switch" {
                "cmnd_switch"
            } else {
                "first_issuance"
            };
            (pid.clone(), kind)
        })
        .collect();
    kept.filed += n;
    let objects = args.work_dir.join("scale-objects");
    std::fs::create_dir_all(&objects)?;
    let key = cancuoc_vault::MasterKey::generate().map_err(|e| failed(e.to_string()))?;
    let node = || async {
        let vault =
            cancuoc_vault::ObjectVault::local(&objects, &key).map_err(|e| failed(e.to_string()))?;
        Ok::<_, CliError>(open_app(url).await?.with_vault(Arc::new(vault)))
    };
    let (node_a, node_b) = (node().await?, node().await?);
    let unit = PoliceUnitCode::parse("PC06-42").map_err(|e| failed(e.to_string()))?;
    match node_a
        .add_officer(
            &operator(),
            FILER,
            "Benchmark",
            &unit,
            Role::ProvinceOfficer,
            Some(BENCH_PASSWORD),
        )
        .await
    {
        Ok(_) | Err(AppError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let a = BenchServer::start(&node_a, FILER).await?;
    let b = BenchServer::start(&node_b, FILER).await?;
    let (first, second) = mine.split_at(n / 2);
    let (on_a, on_b) = tokio::join!(
        crate::bench_intake::post_all(&a.base, &a.token, first, 4),
        crate::bench_intake::post_all(&b.base, &b.token, second, 4),
    );
    a.stop().await;
    b.stop().await;
    let (on_a, on_b) = (on_a?, on_b?);
    let took = on_a.took.max(on_b.took);
    let mut latencies = on_a.latencies;
    latencies.extend(on_b.latencies);
    Ok(Some((
        n as f64 / took.as_secs_f64().max(1e-9),
        Spread::of(latencies),
    )))
}

fn goal(p99: f64, goal_ms: f64) -> String {
    format!(
        "goal p99 < {goal_ms} ms: {}",
        if p99 < goal_ms { "met" } else { "missed" }
    )
}

fn print_size(f: &Figures) {
    println!(
        "{} people on PostgreSQL ({:.1} GB){}",
        thousands(f.people as f64),
        f.database_bytes as f64 / 1e9,
        f.built_per_second.map_or_else(
            || ", built by an earlier run".to_owned(),
            |r| format!(", built at {} people/s", thousands(r))
        )
    );
    println!(
        "  GET /citizens/{{id}}                    p50 {:>8.3} ms  p99 {:>8.3} ms  {}",
        f.by_id.p50,
        f.by_id.p99,
        goal(f.by_id.p99, LOOKUP_GOAL_MS)
    );
    println!(
        "  GET /citizens?name=…                  p50 {:>8.3} ms  p99 {:>8.3} ms  {}",
        f.by_name.p50,
        f.by_name.p99,
        goal(f.by_name.p99, SEARCH_GOAL_MS)
    );
    println!(
        "  national eligible, kept counts        p50 {:>8.3} ms  p99 {:>8.3} ms  {}",
        f.eligible.p50,
        f.eligible.p99,
        goal(f.eligible.p99, REPORT_GOAL_MS)
    );
    println!(
        "    peers: recounted from the register, agreeing, {:.0} ms (median of 3); plain count(*) of citizens {:.0} ms (server time, median of 3)",
        f.eligible_scan_ms, f.plain_count_ms
    );
    println!(
        "    first count of the kept counts (or moving them to today): {:.1} s",
        f.first_count.as_secs_f64()
    );
    println!(
        "  GET /campaigns/{{id}}/progress?unit=BCA p50 {:>8.3} ms  p99 {:>8.3} ms  {}",
        f.progress.p50,
        f.progress.p99,
        goal(f.progress.p99, REPORT_GOAL_MS)
    );
    match f.filings {
        Some((rate, spread)) => println!(
            "  filings with biometrics, two nodes    {} /s (p50 {:.1} ms, p99 {:.1} ms)",
            thousands(rate),
            spread.p50,
            spread.p99
        ),
        None => println!("  filings: not measured (no applicants left)"),
    }
}

/// Each figure at every size against the smallest, next to how much the size and its
/// logarithm grew.
fn print_growth(all: &[Figures]) {
    let Some(base) = all.first() else { return };
    if all.len() < 2 {
        return;
    }
    println!(
        "growth against {} people (size ×, log size ×):",
        thousands(base.people as f64)
    );
    for f in all.iter().skip(1) {
        let size = f.people as f64 / base.people as f64;
        let log = (f.people as f64).ln() / (base.people as f64).ln();
        let ratio = |a: f64, b: f64| a / b.max(1e-9);
        println!(
            "  {} people (size ×{:.1}, log ×{:.2}): ID p99 ×{:.2}, name p99 ×{:.2}, eligible p99 ×{:.2}, progress p99 ×{:.2}, count of the register ×{:.2}",
            thousands(f.people as f64),
            size,
            log,
            ratio(f.by_id.p99, base.by_id.p99),
            ratio(f.by_name.p99, base.by_name.p99),
            ratio(f.eligible.p99, base.eligible.p99),
            ratio(f.progress.p99, base.progress.p99),
            ratio(f.eligible_scan_ms, base.eligible_scan_ms),
        );
    }
}
