//! `cancuoc bench progress`: the national progress report over tens of millions of
//! applications, read from the counts kept at intake, next to the plain `GROUP BY` over
//! the applications table in the same run.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use cancuoc_app::{App, AppError, QuotaRequest};
use cancuoc_domain::campaign::Split;
use cancuoc_domain::{AdminLevel, PoliceUnitCode, Role};
use cancuoc_store::SyntheticApplications;
use jiff::civil::{Date, date};

use crate::bench::{
    BENCH_PASSWORD, BenchServer, database_url, open_app, percentile, psql, thousands,
};
use crate::commands::{CliError, Result, operator};

const CAMPAIGN: &str = "Benchmark: cấp CCCD 1/3–30/6/2021";
const OFFICER: &str = "bench.c06";
const GOAL_MS: f64 = 50.0;
/// Rows per loading transaction.
const CHUNK: u64 = 1_000_000;
/// The day the report is asked for: late in the campaign, so the period is long.
const REPORT_DAY: Date = date(2021, 6, 15);

pub struct ProgressArgs<'a> {
    pub applications: u64,
    pub work_dir: &'a Path,
    pub postgres: Option<&'a str>,
    pub runs: usize,
}

fn failed(msg: impl Into<String>) -> CliError {
    CliError::failed(msg)
}

pub async fn progress(args: &ProgressArgs<'_>) -> Result<ExitCode> {
    std::fs::create_dir_all(args.work_dir)?;
    println!(
        "national progress report (BCA and its 63 provinces) over {} applications, 705 districts, 1 Mar – 30 Jun 2021, asked for {REPORT_DAY}",
        thousands(args.applications as f64)
    );
    let path = args
        .work_dir
        .join(format!("progress-{}.db", args.applications));
    run_one("SQLite", &format!("sqlite://{}", path.display()), args).await?;
    if let Some(url) = args.postgres {
        let name = format!("cancuoc_bench_progress_{}", args.applications);
        let target = database_url(url, &name)?;
        if open_app(&target).await.is_err() {
            psql(url, &format!("CREATE DATABASE {name}"))?;
        }
        run_one("PostgreSQL", &target, args).await?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Loads the applications unless an earlier run left them (the database is kept so that
/// the report can be measured again without an hour of loading).
async fn prepare(app: &App, store_name: &str, args: &ProgressArgs<'_>) -> Result<uuid::Uuid> {
    if let Some(c) = app
        .campaigns(&operator())
        .await?
        .into_iter()
        .find(|c| c.name == CAMPAIGN)
    {
        eprintln!("  {store_name}: reusing the applications loaded by an earlier run");
        return Ok(c.id);
    }
    app.init("2021", Some(BENCH_PASSWORD)).await?;
    let places = app.places();
    let mut units = Vec::new();
    for unit in app.store().admin_units().await.map_err(AppError::from)? {
        if unit.code.level() == AdminLevel::District
            && let Some(province) = &unit.parent
        {
            units.push((
                PoliceUnitCode::District(unit.code.clone()).as_string(),
                province.as_str().to_owned(),
                Some(unit.code.as_str().to_owned()),
            ));
        }
    }
    units.sort();
    let mut days = Vec::new();
    let mut day = date(2021, 3, 1);
    while day <= date(2021, 6, 30) {
        days.push(day);
        day = day.tomorrow().map_err(|e| failed(e.to_string()))?;
    }
    let started = Instant::now();
    let mut loaded = 0;
    while loaded < args.applications {
        let count = CHUNK.min(args.applications - loaded);
        let spec = SyntheticApplications {
            first: loaded + 1,
            count,
            units: units.clone(),
            days: days.clone(),
        };
        loaded += app
            .store()
            .load_synthetic_applications(&spec)
            .await
            .map_err(AppError::from)?;
        eprintln!(
            "  {store_name}: {} applications loaded ({}/s)",
            thousands(loaded as f64),
            thousands(loaded as f64 / started.elapsed().as_secs_f64().max(1e-9))
        );
    }
    let rebuilt = Instant::now();
    let rows = app
        .store()
        .rebuild_intake_counts()
        .await
        .map_err(AppError::from)?;
    println!(
        "  {store_name:<10} load {} applications: {:.0} s; kept counts rebuilt by a full recount: {:.1} s ({} unit-day rows)",
        thousands(loaded as f64),
        started.elapsed().as_secs_f64() - rebuilt.elapsed().as_secs_f64(),
        rebuilt.elapsed().as_secs_f64(),
        thousands(rows as f64)
    );
    let campaign = app
        .create_campaign(&operator(), CAMPAIGN, "2021-03-01", "2021-06-30")
        .await?;
    let provinces: Vec<PoliceUnitCode> = places
        .police_children(&PoliceUnitCode::Ministry)
        .iter()
        .filter(|c| matches!(c, PoliceUnitCode::Province(_)))
        .cloned()
        .collect();
    let per_province = args.applications / 63;
    let quota = |unit: &PoliceUnitCode, total: u64, split| QuotaRequest {
        unit: unit.as_string(),
        total,
        daily: Some(total.div_ceil(122)),
        split,
    };
    app.set_quota(
        &operator(),
        campaign.id,
        &quota(&PoliceUnitCode::Ministry, args.applications, None),
    )
    .await?;
    for p in &provinces {
        app.set_quota(
            &operator(),
            campaign.id,
            &quota(p, per_province, Some(Split::Equal)),
        )
        .await?;
    }
    Ok(campaign.id)
}

async fn run_one(store_name: &str, db: &str, args: &ProgressArgs<'_>) -> Result<()> {
    let app = open_app(db).await?;
    let campaign = prepare(&app, store_name, args).await?;
    let day = REPORT_DAY.to_string();
    let caller = operator();
    let report = || app.progress_report(&caller, campaign, Some("BCA"), Some(&day));

    let cold = Instant::now();
    let first = report().await?;
    let cold = cold.elapsed();
    let mut times = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        let started = Instant::now();
        std::hint::black_box(report().await?);
        times.push(started.elapsed());
    }
    times.sort_unstable();

    // The peer: the same intake figures by scanning the applications.
    let mut scans = Vec::new();
    let mut scanned = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        scanned = app
            .store()
            .scan_intake_by_province(date(2021, 3, 1), REPORT_DAY)
            .await
            .map_err(AppError::from)?;
        scans.push(started.elapsed());
    }
    scans.sort_unstable();
    let scan_ms = percentile(&scans, 50);

    // Both ways must give the same figures.
    let by_report: u64 = first.children.iter().map(|r| r.intake_period).sum();
    let by_scan: u64 = scanned.iter().map(|s| s.in_period).sum();
    let day_by_report: u64 = first.children.iter().map(|r| r.intake_day).sum();
    let day_by_scan: u64 = scanned.iter().map(|s| s.on_day).sum();
    if (by_report, day_by_report) != (by_scan, day_by_scan) {
        return Err(failed(format!(
            "the report ({by_report} over the period, {day_by_report} on the day) disagrees with the scan ({by_scan}, {day_by_scan})"
        )));
    }

    let http = http_times(&app, campaign, args.runs).await?;
    let p99 = percentile(&times, 99);
    println!(
        "  {store_name:<10} report from kept counts, in process: {} rows, p50 {:.2} ms, p99 {:.2} ms, first call {:.1} ms; goal < {GOAL_MS} ms: {}",
        first.children.len() + 1,
        percentile(&times, 50),
        p99,
        cold.as_secs_f64() * 1e3,
        if p99 < GOAL_MS { "met" } else { "missed" }
    );
    println!(
        "  {:<10} GET /api/v1/campaigns/{{id}}/progress?unit=BCA: p50 {:.2} ms, p99 {:.2} ms",
        "",
        percentile(&http, 50),
        percentile(&http, 99)
    );
    println!(
        "  {:<10} peer, GROUP BY over the applications ({} in the period): {:.0} ms (median of 3); the report is {:.0}× faster",
        "",
        thousands(by_scan as f64),
        scan_ms,
        scan_ms / percentile(&times, 50).max(1e-6)
    );
    Ok(())
}

async fn http_times(app: &App, campaign: uuid::Uuid, runs: usize) -> Result<Vec<Duration>> {
    let c06 = PoliceUnitCode::C06;
    if app
        .add_officer(
            &operator(),
            OFFICER,
            "Benchmark",
            &c06,
            Role::MinistryOfficer,
            Some(BENCH_PASSWORD),
        )
        .await
        .is_err()
    {
        // Added by an earlier run on the same database.
    }
    let server = BenchServer::start(app, OFFICER).await?;
    let url = format!(
        "{}/campaigns/{campaign}/progress?unit=BCA&date={REPORT_DAY}",
        server.base
    );
    let url = reqwest::Url::parse(&url).map_err(|e| failed(e.to_string()))?;
    let client = reqwest::Client::new();
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        match server.get_timed(&client, url.clone()).await {
            Ok(took) => times.push(took),
            Err(e) => {
                server.stop().await;
                return Err(failed(format!("progress answered {e}")));
            }
        }
    }
    server.stop().await;
    times.sort_unstable();
    Ok(times)
}
