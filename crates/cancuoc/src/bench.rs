//! `cancuoc bench`: the register's performance goals, each measured in one run next to
//! the peer it is judged against. Figures go to stdout; nothing here is a test.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cancuoc_app::{App, AppConfig, Caller, CitizenSearch, DemoObserver, OsRandom, SystemClock};
use cancuoc_domain::form::{Column, form_row};
use cancuoc_domain::{PoliceUnitCode, Role, provinces};
use cancuoc_store::CitizenColumns;
use serde::{Deserialize, Serialize};

use crate::commands::{CliError, Result, operator};

pub(crate) const BENCH_PASSWORD: &str = "bench-password-0000";
const BENCH_OFFICER: &str = "bench.ministry";
/// The allocation key of every benchmark database, in process and in the child commands.
const BENCH_ID_KEY: &str = "cancuoc benchmark key";

fn failed(msg: impl Into<String>) -> CliError {
    CliError::failed(msg)
}

pub(crate) async fn open_app(db: &str) -> Result<App> {
    let config = AppConfig {
        id_key: BENCH_ID_KEY.as_bytes().to_vec(),
        ..AppConfig::default()
    };
    let store = crate::backend::open(db, None, true, false, config.audit_key.clone()).await?;
    Ok(App::new(store, Arc::new(SystemClock), Arc::new(OsRandom), config).await?)
}

/// Runs a command to completion and returns its wall time and its output; a failure is
/// an error that quotes its stderr.
fn run(cmd: &mut Command) -> Result<(Duration, std::process::Output)> {
    let started = Instant::now();
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| failed(format!("cannot run {:?}: {e}", cmd.get_program())))?;
    let took = started.elapsed();
    if !out.status.success() {
        return Err(failed(format!(
            "{:?} failed ({}): {}",
            cmd.get_program(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok((took, out))
}

/// A command's wall time and its stderr, for the summary it prints.
fn timed(cmd: &mut Command) -> Result<(Duration, String)> {
    let (took, out) = run(cmd)?;
    Ok((took, String::from_utf8_lossy(&out.stderr).into_owned()))
}

/// The sum of the statement times the sqlite3 shell prints with `.timer on`: the
/// statements' own work, without the checkpoint the shell runs when it closes (the
/// import does not wait for a checkpoint either).
fn statement_time(cmd: &mut Command) -> Result<Duration> {
    let (_, out) = run(cmd)?;
    let seconds: f64 = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("Run Time: real "))
        .filter_map(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
        .sum();
    Ok(Duration::from_secs_f64(seconds))
}

fn rate(rows: u64, took: Duration) -> f64 {
    rows as f64 / took.as_secs_f64().max(1e-9)
}

pub(crate) fn thousands(n: f64) -> String {
    let s = format!("{:.0}", n);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn self_exe() -> Result<PathBuf> {
    std::env::current_exe().map_err(|e| failed(format!("cannot find this program: {e}")))
}

/// `cancuoc` itself on another database, as a user would run it.
fn cancuoc(db: &str, data_dir: &Path) -> Result<Command> {
    let mut cmd = Command::new(self_exe()?);
    cmd.arg("--db")
        .arg(db)
        .arg("--data-dir")
        .arg(data_dir)
        .env("CANCUOC_ADMIN_PASSWORD", BENCH_PASSWORD)
        .env("CANCUOC_ID_KEY", BENCH_ID_KEY);
    Ok(cmd)
}

/// Writes `people` generated persons of province 42 as a collection-form CSV.
fn write_forms(app: &App, path: &Path, people: usize, seed: u64) -> Result<u64> {
    let file = std::fs::File::create(path)?;
    let mut csv = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
    let header: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
    csv.write_record(&header)
        .map_err(|e| failed(e.to_string()))?;
    let mut rows = 0u64;
    for h in app.synthetic_population("42", people, seed)? {
        for m in &h.members {
            csv.write_record(form_row(m).iter())
                .map_err(|e| failed(e.to_string()))?;
            rows += 1;
        }
    }
    csv.flush()?;
    Ok(rows)
}

pub struct ImportArgs<'a> {
    pub people: usize,
    pub seed: u64,
    pub work_dir: Option<&'a Path>,
    pub postgres: Option<&'a str>,
}

/// Import rows per second, next to `sqlite3 .import` (and `psql \copy`) of the same file.
pub async fn import(args: &ImportArgs<'_>) -> Result<ExitCode> {
    let (dir, temporary) = match args.work_dir {
        Some(d) => (d.to_path_buf(), false),
        None => (
            std::env::temp_dir().join(format!("cancuoc-bench-import-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir)?;
    let result = run_import(args, &dir).await;
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

async fn run_import(args: &ImportArgs<'_>, dir: &Path) -> Result<ExitCode> {
    let data_dir = dir.join("data");
    let csv_path = dir.join("forms.csv");
    let gen_db = format!("sqlite://{}", dir.join("generator.db").display());
    let generator = open_app(&gen_db).await?;
    generator.init("2021", Some(BENCH_PASSWORD)).await?;
    let rows = write_forms(&generator, &csv_path, args.people, args.seed)?;
    let bytes = std::fs::metadata(&csv_path)?.len();
    println!(
        "cancuoc bench import: {} collection-form rows ({} columns, {:.1} MB of CSV, seed {})",
        thousands(rows as f64),
        Column::ALL.len(),
        bytes as f64 / 1e6,
        args.seed
    );

    // The floor a user would try first: the sqlite3 shell into a plain table.
    let raw_db = dir.join("raw.db");
    let _ = std::fs::remove_file(&raw_db);
    let mut shell = Command::new("sqlite3");
    shell.arg(&raw_db).arg(format!(
        ".import --csv '{}' forms",
        sql_quoted_path(&csv_path)
    ));
    let (peer, _) = timed(&mut shell).map_err(|e| {
        failed(format!(
            "the sqlite3 command line is needed as the peer: {e}"
        ))
    })?;
    report_peer("SQLite", "sqlite3 .import", rows, peer);
    // With no server on the file the import has it to itself: one transaction.
    let alone_db = format!("sqlite://{}", dir.join("alone.db").display());
    let _ = std::fs::remove_file(dir.join("alone.db"));
    timed(cancuoc(&alone_db, &data_dir)?.arg("init"))?;
    let (alone, summary) = timed(
        cancuoc(&alone_db, &data_dir)?
            .args(["import", "forms"])
            .arg(&csv_path),
    )?;
    report_import(
        "import, no server (one transaction)",
        rows,
        peer,
        alone,
        &summary,
    );
    // Beside a serving node (this process) it commits chunk by chunk, so desks go on.
    let ours_db = format!("sqlite://{}", dir.join("cancuoc.db").display());
    timed(cancuoc(&ours_db, &data_dir)?.arg("init"))?;
    let (ours, summary, lookups, dry_run) = {
        let _serving = crate::backend::claim(&ours_db, crate::backend::Claimant::Server).await?;
        let dry_run = dry_run_memory(
            cancuoc(&ours_db, &data_dir)?
                .args(["import", "forms", "--dry-run"])
                .arg(&csv_path),
        )?;
        let (ours, summary, lookups) = import_with_lookups(
            cancuoc(&ours_db, &data_dir)?
                .args(["import", "forms"])
                .arg(&csv_path),
            &ours_db,
            dir,
        )
        .await?;
        (ours, summary, lookups, dry_run)
    };
    report_import(
        "import beside a server (chunked)",
        rows,
        peer,
        ours,
        &summary,
    );
    println!("{dry_run}");
    lookups.report();
    let floor_db = dir.join("floor.db");
    timed(cancuoc(&format!("sqlite://{}", floor_db.display()), &data_dir)?.arg("init"))?;
    let script = dir.join("floor.sql");
    std::fs::write(&script, sqlite_floor_script(&raw_db))?;
    let floor = statement_time(
        Command::new("sqlite3")
            .arg(&floor_db)
            .arg(format!(".read '{}'", sql_quoted_path(&script))),
    )?;
    report_floor(rows, peer, floor);
    report_against_floor("no server", rows, alone, floor, None);
    report_against_floor("beside a server", rows, ours, floor, None);

    if let Some(url) = args.postgres {
        let raw_url = database_url(url, "cancuoc_bench_raw")?;
        let alone_url = database_url(url, "cancuoc_bench_alone")?;
        let ours_url = database_url(url, "cancuoc_bench_ours")?;
        for name in [
            "cancuoc_bench_raw",
            "cancuoc_bench_alone",
            "cancuoc_bench_ours",
        ] {
            psql(url, &format!("DROP DATABASE IF EXISTS {name}"))?;
            psql(url, &format!("CREATE DATABASE {name}"))?;
        }
        let columns: Vec<String> = Column::ALL
            .iter()
            .map(|c| format!("{} text", c.name()))
            .collect();
        psql(
            &raw_url,
            &format!("CREATE TABLE forms ({})", columns.join(", ")),
        )?;
        let copy = format!(
            "\\copy forms FROM '{}' WITH (FORMAT csv, HEADER true)",
            sql_quoted_path(&csv_path)
        );
        let (peer, _) = timed(Command::new("psql").args([
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            &raw_url,
            "-c",
            &copy,
        ]))?;
        report_peer("PostgreSQL", "psql \\copy", rows, peer);
        // With no server holding the database's claim the import has it to itself.
        timed(cancuoc(&alone_url, &data_dir)?.arg("init"))?;
        let (alone, summary) = timed(
            cancuoc(&alone_url, &data_dir)?
                .args(["import", "forms"])
                .arg(&csv_path),
        )?;
        report_import(
            "import, no server (indexes set aside)",
            rows,
            peer,
            alone,
            &summary,
        );
        // Beside a serving node (this process) every index stays for the desks.
        timed(cancuoc(&ours_url, &data_dir)?.arg("init"))?;
        let (ours, summary, lookups) = {
            let _serving =
                crate::backend::claim(&ours_url, crate::backend::Claimant::Server).await?;
            import_with_lookups(
                cancuoc(&ours_url, &data_dir)?
                    .args(["import", "forms"])
                    .arg(&csv_path),
                &ours_url,
                dir,
            )
            .await?
        };
        report_import(
            "import beside a server (indexes kept)",
            rows,
            peer,
            ours,
            &summary,
        );
        lookups.report();
        // The floor: a fresh register with the plain table beside it, filled untimed.
        let floor_url = database_url(url, "cancuoc_bench_floor")?;
        psql(url, "DROP DATABASE IF EXISTS cancuoc_bench_floor")?;
        psql(url, "CREATE DATABASE cancuoc_bench_floor")?;
        timed(cancuoc(&floor_url, &data_dir)?.arg("init"))?;
        psql(
            &floor_url,
            &format!("CREATE TABLE forms ({})", columns.join(", ")),
        )?;
        // Empty cells as empty text, as the sqlite3 shell reads them, not NULL.
        let names: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
        let copy_text = copy.replace(
            "HEADER true)",
            &format!("HEADER true, FORCE_NOT_NULL ({}))", names.join(", ")),
        );
        timed(Command::new("psql").args([
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            &floor_url,
            "-c",
            &copy_text,
        ]))?;
        let (floor, _) = timed(Command::new("psql").args([
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            &floor_url,
            "-c",
            &postgres_floor_script(),
        ]))?;
        report_floor(rows, peer, floor);
        report_against_floor("no server", rows, alone, floor, Some(POSTGRES_RATE_GOAL));
        report_against_floor(
            "beside a server",
            rows,
            ours,
            floor,
            Some(POSTGRES_RATE_GOAL),
        );
        for name in [
            "cancuoc_bench_raw",
            "cancuoc_bench_alone",
            "cancuoc_bench_ours",
            "cancuoc_bench_floor",
        ] {
            psql(url, &format!("DROP DATABASE IF EXISTS {name}"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The memory a dry run of the whole file peaks at must not grow with the file.
const DRY_RUN_MEMORY_GOAL_MB: f64 = 300.0;

/// Runs a dry run of the import under GNU time: the line that gives its peak resident
/// memory next to the goal, or says that GNU time is missing.
fn dry_run_memory(cmd: &mut Command) -> Result<String> {
    const TIME: &str = "/usr/bin/time";
    if !Path::new(TIME).exists() {
        return Ok(format!(
            "    dry-run memory: not measured ({TIME} is missing: apt-get install time)"
        ));
    }
    let mut timed_cmd = Command::new(TIME);
    timed_cmd
        .args(["-f", "peak_kb=%M"])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            timed_cmd.env(key, value);
        }
    }
    let (took, stderr) = timed(&mut timed_cmd)?;
    let peak_mb = stderr
        .lines()
        .filter_map(|l| l.trim().strip_prefix("peak_kb="))
        .find_map(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb * 1024.0 / 1e6)
        .ok_or_else(|| failed(format!("{TIME} printed no peak: {stderr}")))?;
    Ok(format!(
        "    {:<44} {:>7.2} s  peak {:.0} MB resident (goal under {:.0} MB: {})",
        "cancuoc import forms --dry-run",
        took.as_secs_f64(),
        peak_mb,
        DRY_RUN_MEMORY_GOAL_MB,
        if peak_mb < DRY_RUN_MEMORY_GOAL_MB {
            "met"
        } else {
            "missed"
        }
    ))
}

/// Look-ups and filings made while an import ran: how long each took, and how many
/// failed (an answer the desk would see as an error of the system, not a refusal).
#[derive(Default)]
struct Lookups {
    latencies: Vec<Duration>,
    failed: usize,
    filings: Vec<Duration>,
    filings_failed: usize,
}

/// What a desk officer meets during an import: a look-up's p99 must stay under 50 ms,
/// and so must a filing's, the other thing a desk does all day.
const LOOKUP_GOAL_MS: f64 = 50.0;

impl Lookups {
    fn report(mut self) {
        Self::line(
            "a citizen look-up during the import",
            &mut self.latencies,
            self.failed,
        );
        Self::line(
            "an application filed during the import",
            &mut self.filings,
            self.filings_failed,
        );
    }

    fn line(what: &str, latencies: &mut [Duration], failed: usize) {
        latencies.sort_unstable();
        let made = latencies.len() + failed;
        let p99 = percentile(latencies, 99);
        println!(
            "    {what:<44} {made} made, {failed} failed, p50 {:.1} ms, p99 {p99:.1} ms (goal p99 < {LOOKUP_GOAL_MS} ms, none failed: {})",
            percentile(latencies, 50),
            if failed == 0 && p99 < LOOKUP_GOAL_MS {
                "met"
            } else {
                "missed"
            }
        );
    }
}

/// People of another province than the import's, to file applications for while it
/// runs: none of them can collide with the imported rows.
#[derive(Default)]
struct Applicants(Vec<String>);

impl DemoObserver for Applicants {
    fn person(&mut self, r: &CitizenColumns) {
        self.0.push(r.personal_id.clone());
    }
}

/// A first issuance at Hà Nội's PC06 for `personal_id`, as a desk files it.
fn filing(personal_id: &str) -> cancuoc_app::Intake {
    cancuoc_app::Intake {
        personal_id: personal_id.to_owned(),
        kind: "first_issuance".into(),
        reason: None,
        channel: "fixed".into(),
        intake_unit: Some("PC06-01".into()),
        intake_date: None,
        station: None,
        identifying_marks: None,
        exemption: None,
        old_card_returned: false,
        idempotency_key: None,
        capture: None,
        receipt: None,
    }
}

/// Runs an import command and, while it runs, looks a citizen up through the app on the
/// same database every 50 ms, as an officer at a desk would (an audited read). The
/// app is opened before the import starts.
async fn import_with_lookups(
    cmd: &mut Command,
    db: &str,
    dir: &Path,
) -> Result<(Duration, String, Lookups)> {
    let app = open_app(db).await?;
    let caller = operator();
    let mut applicants = Applicants::default();
    app.demo(&caller, "01", 3_000, 11, &mut applicants).await?;
    let mut applicants = applicants.0.into_iter();
    let err_path = dir.join("import.stderr");
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err_path)?)
        .spawn()
        .map_err(|e| failed(format!("cannot run {:?}: {e}", cmd.get_program())))?;
    let mut lookups = Lookups::default();
    while child.try_wait()?.is_none() {
        let t = Instant::now();
        match app.citizen(&caller, "042090001234").await {
            Ok(_) | Err(cancuoc_app::AppError::NotFound(_)) => lookups.latencies.push(t.elapsed()),
            Err(_) => lookups.failed += 1,
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
        if let Some(personal_id) = applicants.next() {
            let t = Instant::now();
            match app.file_application(&caller, &filing(&personal_id)).await {
                // A refusal (a child, someone who died) is an answer the desk expects.
                Ok(_)
                | Err(
                    cancuoc_app::AppError::TypeNotAllowed(_)
                    | cancuoc_app::AppError::Invalid(_)
                    | cancuoc_app::AppError::InvalidState(_)
                    | cancuoc_app::AppError::Conflict(_),
                ) => lookups.filings.push(t.elapsed()),
                Err(_) => lookups.filings_failed += 1,
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let status = child.wait()?;
    let took = started.elapsed();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    if !status.success() {
        return Err(failed(format!(
            "the import failed ({status}): {}",
            stderr.trim()
        )));
    }
    Ok((took, stderr, lookups))
}

fn report_peer(store: &str, peer_name: &str, rows: u64, peer: Duration) {
    println!("  {store}");
    println!(
        "    {:<44} {:>7.2} s {:>10} rows/s",
        format!("{peer_name} (plain table, no checks)"),
        peer.as_secs_f64(),
        thousands(rate(rows, peer))
    );
}

/// One import's line, its speed next to the peer's, and its summary.
fn report_import(what: &str, rows: u64, peer: Duration, ours: Duration, summary: &str) {
    println!(
        "    {:<44} {:>7.2} s {:>10} rows/s   {:.2} × the peer's speed",
        what,
        ours.as_secs_f64(),
        thousands(rate(rows, ours)),
        peer.as_secs_f64() / ours.as_secs_f64().max(1e-9),
    );
    if let Some(line) = summary.lines().find(|l| l.contains("accepted")) {
        println!("    {}", line.trim());
    }
}

/// A path inside single quotes of SQL or a shell dot-command.
fn sql_quoted_path(path: &Path) -> String {
    path.display().to_string().replace('\'', "''")
}

/// The floor of the register's own writes: the same rows put into its tables and
/// indexes by the database itself, in one statement per table, from the peer's plain
/// table. No CSV is read and nothing is validated, folded, hashed or looked up, so no
/// import of these rows into this schema can be faster. The values have the shapes and
/// sizes an import writes (a record's data as JSON, its folded name, duplicate key,
/// history entry and household).
fn report_floor(rows: u64, peer: Duration, floor: Duration) {
    println!(
        "    {:<44} {:>7.2} s {:>10} rows/s   {:.2} × the peer's speed: the register's own writes, nothing checked",
        "floor: the register's tables filled in SQL",
        floor.as_secs_f64(),
        thousands(rate(rows, floor)),
        peer.as_secs_f64() / floor.as_secs_f64().max(1e-9),
    );
}

/// The import's speed as a share of the floor's (issue 20: at least 0.8), and, where
/// given, against a goal in rows per second.
fn report_against_floor(
    what: &str,
    rows: u64,
    ours: Duration,
    floor: Duration,
    rate_goal: Option<f64>,
) {
    let share = floor.as_secs_f64() / ours.as_secs_f64().max(1e-9);
    let verdict = |met: bool| if met { "met" } else { "missed" };
    let mut line = format!(
        "    {what}: {share:.2} × the floor (goal ≥ {FLOOR_SHARE_GOAL:.2}: {})",
        verdict(share >= FLOOR_SHARE_GOAL)
    );
    if let Some(goal) = rate_goal {
        line.push_str(&format!(
            ", {} rows/s (goal ≥ {}: {})",
            thousands(rate(rows, ours)),
            thousands(goal),
            verdict(rate(rows, ours) >= goal)
        ));
    }
    println!("{line}");
}

/// The share of the floor's speed an import must reach on either store (issue 20).
const FLOOR_SHARE_GOAL: f64 = 0.8;
/// Rows per second a validated import into PostgreSQL must reach (issue 20).
const POSTGRES_RATE_GOAL: f64 = 50_000.0;

/// `(key, value)` pairs of a record's data as the import stores it, for `json_object`
/// (SQLite) or `jsonb_build_object` (PostgreSQL) over the peer's table.
fn floor_data(function: &str) -> String {
    let residence = |commune: &str, address: &str| {
        format!(
            "CASE WHEN {commune} = '' THEN NULL ELSE {function}('commune', {commune}, 'address', {address}) END"
        )
    };
    let pairs = [
        ("personal_id", "so_dinh_danh".to_owned()),
        ("old_id_number", "nullif(cmnd_cu, '')".to_owned()),
        ("full_name", "ho_ten".to_owned()),
        ("other_names", "nullif(ten_goi_khac, '')".to_owned()),
        ("birth_date", FLOOR_ISO_DATE.to_owned()),
        (
            "sex",
            "CASE gioi_tinh WHEN 'Nam' THEN 'male' ELSE 'female' END".to_owned(),
        ),
        (
            "birth_registration_place",
            "noi_dang_ky_khai_sinh".to_owned(),
        ),
        ("hometown", "nullif(que_quan, '')".to_owned()),
        ("ethnicity", "dan_toc".to_owned()),
        ("religion", "ton_giao".to_owned()),
        ("nationality", "quoc_tich".to_owned()),
        ("blood_group", "nullif(nhom_mau, '')".to_owned()),
        ("marital_status", "tinh_trang_hon_nhan".to_owned()),
        (
            "permanent_residence",
            residence("thuong_tru_ma_xa", "thuong_tru_dia_chi"),
        ),
        (
            "temporary_residence",
            residence("tam_tru_ma_xa", "tam_tru_dia_chi"),
        ),
        (
            "current_residence",
            residence("noi_o_hien_tai_ma_xa", "noi_o_hien_tai_dia_chi"),
        ),
        ("household_number", "nullif(so_ho, '')".to_owned()),
        ("relation_to_head", "nullif(quan_he_chu_ho, '')".to_owned()),
        (
            "father",
            format!(
                "CASE WHEN ho_ten_cha = '' THEN NULL ELSE {function}('full_name', ho_ten_cha, 'id_number', nullif(so_dinh_danh_cha, ''), 'nationality', NULL) END"
            ),
        ),
        (
            "mother",
            format!(
                "CASE WHEN ho_ten_me = '' THEN NULL ELSE {function}('full_name', ho_ten_me, 'id_number', nullif(so_dinh_danh_me, ''), 'nationality', NULL) END"
            ),
        ),
        (
            "spouse",
            format!(
                "CASE WHEN ho_ten_vo_chong = '' THEN NULL ELSE {function}('full_name', ho_ten_vo_chong, 'id_number', nullif(so_dinh_danh_vo_chong, ''), 'nationality', NULL) END"
            ),
        ),
        ("legal_representative", "NULL".to_owned()),
        ("died_on", "NULL".to_owned()),
        ("missing_since", "NULL".to_owned()),
    ];
    let args: Vec<String> = pairs.iter().map(|(k, v)| format!("'{k}', {v}")).collect();
    format!("{function}({})", args.join(", "))
}

/// `dd/mm/yyyy`, `mm/yyyy` or `yyyy` as ISO.
const FLOOR_ISO_DATE: &str = "CASE length(ngay_sinh)
    WHEN 10 THEN substr(ngay_sinh, 7, 4) || '-' || substr(ngay_sinh, 4, 2) || '-' || substr(ngay_sinh, 1, 2)
    WHEN 7 THEN substr(ngay_sinh, 4, 4) || '-' || substr(ngay_sinh, 1, 2)
    ELSE ngay_sinh END";
/// The year: the last four characters of each of those forms.
const FLOOR_BIRTH_YEAR: &str = "CAST(substr(ngay_sinh, length(ngay_sinh) - 3) AS INTEGER)";

/// The citizens' columns from the peer's table, the key numbered in file order.
fn floor_citizens(key: &str, function: &str, from: &str) -> String {
    format!(
        "INSERT INTO citizen_rows (key, personal_id, old_id_number, name_key, birth_year, birth_date, dup_key,
            household_number, home_province, home_district, home_commune, status, version, data, updated_micros)
         SELECT {key}, so_dinh_danh, nullif(cmnd_cu, ''), upper(ho_ten), {FLOOR_BIRTH_YEAR},
            {FLOOR_ISO_DATE}, upper(ho_ten) || '|' || {FLOOR_ISO_DATE} || '|' || que_quan, nullif(so_ho, ''),
            (SELECT d.parent_code FROM admin_units c JOIN admin_units d ON d.code = c.parent_code WHERE c.code = thuong_tru_ma_xa),
            (SELECT c.parent_code FROM admin_units c WHERE c.code = thuong_tru_ma_xa),
            thuong_tru_ma_xa, 'official', 1, {data}, 0
         FROM {from};",
        data = floor_data(function),
    )
}

/// The secondary indexes the SQLite floor drops and builds again after its inserts (the
/// cheapest way plain SQL has), as the latest migrations define them (0002, 0004).
const FLOOR_INDEXES: [&str; 4] = [
    "citizens_by_name",
    "citizens_by_old_id",
    "citizens_by_household",
    "citizens_by_commune",
];
const FLOOR_INDEX_DEFINITIONS: &str = "
    CREATE INDEX citizens_by_name ON citizen_rows (name_key, birth_year, personal_id);
    CREATE INDEX citizens_by_old_id ON citizen_rows (old_id_number) WHERE old_id_number IS NOT NULL;
    CREATE INDEX citizens_by_household ON citizen_rows (household_number) WHERE household_number IS NOT NULL;
    CREATE INDEX citizens_by_commune ON citizen_rows (home_commune, name_key, birth_year, personal_id);";

fn sqlite_floor_script(raw_db: &Path) -> String {
    let drops: String = FLOOR_INDEXES
        .iter()
        .map(|name| format!("DROP INDEX {name};\n"))
        .collect();
    format!(
        "PRAGMA cache_size = -1048576;
PRAGMA temp_store = memory;
PRAGMA wal_autocheckpoint = 0;
PRAGMA synchronous = FULL;
ATTACH '{raw}' AS raw;
.timer on
BEGIN IMMEDIATE;
{drops}{citizens}
INSERT INTO citizen_history (citizen_key, version, at_micros, actor, source, status, changed_fields, data)
    SELECT key, 1, 0, 'admin', 'forms.csv row ' || rowid, 'official', '[]', NULL FROM citizen_rows;
INSERT OR IGNORE INTO household_rows (number, commune, address, head_personal_id)
    SELECT so_ho, thuong_tru_ma_xa, thuong_tru_dia_chi, NULL FROM raw.forms WHERE so_ho <> '';
{indexes}
COMMIT;
",
        raw = sql_quoted_path(raw_db),
        citizens = floor_citizens(
            "printf('00000000-0000-7000-8000-%012x', rowid)",
            "json_object",
            "raw.forms"
        ),
        indexes = FLOOR_INDEX_DEFINITIONS,
    )
}

fn postgres_floor_script() -> String {
    format!(
        "BEGIN;
{citizens}
INSERT INTO citizen_history (citizen_key, version, at_micros, actor, source, status, changed_fields, data)
    SELECT key, 1, 0, 'admin', 'forms.csv', 'official', '[]'::jsonb, NULL FROM citizen_rows;
INSERT INTO household_rows (number, commune, address, head_personal_id)
    SELECT so_ho, thuong_tru_ma_xa, thuong_tru_dia_chi, NULL FROM forms WHERE so_ho <> ''
    ON CONFLICT DO NOTHING;
COMMIT;",
        citizens = floor_citizens(
            "('00000000-0000-7000-8000-' || lpad(to_hex(n), 12, '0'))::uuid",
            "jsonb_build_object",
            "(SELECT row_number() OVER () AS n, * FROM forms) AS numbered"
        ),
    )
}

/// The same server with another database name.
pub(crate) fn database_url(url: &str, name: &str) -> Result<String> {
    cancuoc_store_postgres::url_with_database(url, name)
        .map_err(|_| failed(format!("{url:?} is not a postgres:// URL")))
}

pub(crate) fn psql(url: &str, sql: &str) -> Result<()> {
    timed(Command::new("psql").args(["-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", sql]))
        .map_err(|e| failed(format!("psql is needed for the PostgreSQL peer: {e}")))?;
    Ok(())
}

/// Someone to look up and how to find them by name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Sampled {
    pub personal_id: String,
    pub name_key: String,
    pub birth_year: i32,
    /// The application type that fits them: `cmnd_switch` for a holder of an old ID
    /// card, else `first_issuance`; `None` for someone who has died.
    #[serde(default)]
    pub applies_as: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Sample {
    pub people: u64,
    pub seed: u64,
    pub people_sampled: Vec<Sampled>,
}

/// A uniform sample of the loaded people (reservoir sampling), drawn with a fixed-seed
/// SplitMix64 so that two runs look up the same people.
struct Reservoir {
    seen: u64,
    state: u64,
    keep: usize,
    items: Vec<Sampled>,
}

impl Reservoir {
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl DemoObserver for Reservoir {
    fn person(&mut self, r: &CitizenColumns) {
        self.seen += 1;
        let item = Sampled {
            personal_id: r.personal_id.clone(),
            name_key: r.name_key.clone(),
            birth_year: r.birth_year,
            applies_as: crate::bench_intake::applies_as(r).map(str::to_owned),
        };
        if self.items.len() < self.keep {
            self.items.push(item);
        } else {
            let at = self.next() % self.seen;
            if let Some(slot) = usize::try_from(at).ok().and_then(|i| self.items.get_mut(i)) {
                *slot = item;
            }
        }
    }
}

pub struct LookupArgs<'a> {
    pub people: u64,
    pub seed: u64,
    pub work_dir: &'a Path,
    pub requests: usize,
}

/// Loads (once) a register of `people` spread over the 63 provinces and keeps a sample
/// of them beside it, so that later runs reuse the database.
async fn lookup_register(args: &LookupArgs<'_>) -> Result<(App, Sample)> {
    let dir = args.work_dir;
    std::fs::create_dir_all(dir)?;
    let db_path = dir.join("lookup.db");
    let sample_path = dir.join("lookup-sample.json");
    let db = format!("sqlite://{}", db_path.display());
    if let Ok(text) = std::fs::read_to_string(&sample_path)
        && let Ok(sample) = serde_json::from_str::<Sample>(&text)
        && sample.people == args.people
        && sample.seed == args.seed
        && db_path.exists()
    {
        eprintln!("reusing {} ({} people)", db_path.display(), sample.people);
        return Ok((open_app(&db).await?, sample));
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db_path.display()));
    }
    let _ = std::fs::remove_file(&sample_path);
    let app = open_app(&db).await?;
    app.init("2021", Some(BENCH_PASSWORD)).await?;
    let (sample, _) = load_national(&app, args.people, args.seed).await?;
    let text = serde_json::to_string(&sample).map_err(|e| failed(e.to_string()))?;
    std::fs::write(&sample_path, text)?;
    Ok((app, sample))
}

/// Living people of one province kept while a register loads, with the application type
/// that fits each: people to file for.
struct ProvinceApplicants<'a> {
    sample: &'a mut Reservoir,
    province: &'a str,
    keep: usize,
    applicants: Vec<(String, String)>,
}

impl DemoObserver for ProvinceApplicants<'_> {
    fn person(&mut self, r: &CitizenColumns) {
        self.sample.person(r);
        if self.applicants.len() < self.keep
            && r.home_province.as_deref() == Some(self.province)
            && let Some(kind) = crate::bench_intake::applies_as(r)
        {
            self.applicants
                .push((r.personal_id.clone(), kind.to_owned()));
        }
    }
}

/// Loads `people` synthetic people spread evenly over the 63 provinces into a register
/// just made, and returns a uniform sample of 20,000 of them and up to 20,000 living
/// people of Hà Tĩnh (42) to file for.
pub(crate) async fn load_national(
    app: &App,
    people: u64,
    seed: u64,
) -> Result<(Sample, Vec<(String, String)>)> {
    let args = LookupArgs {
        people,
        seed,
        work_dir: Path::new(""),
        requests: 0,
    };
    let mut reservoir = Reservoir {
        seen: 0,
        state: args.seed,
        keep: 20_000,
        items: Vec::new(),
    };
    let started = Instant::now();
    let count = u64::try_from(provinces::PROVINCES.len()).unwrap_or(63);
    let mut loaded = 0u64;
    let mut observer = ProvinceApplicants {
        sample: &mut reservoir,
        province: "42",
        keep: 20_000,
        applicants: Vec::new(),
    };
    for (i, p) in (0u64..).zip(provinces::PROVINCES.iter()) {
        let share = args.people / count + u64::from(i < args.people % count);
        let report = app
            .demo(
                &operator(),
                p.code,
                usize::try_from(share).unwrap_or(usize::MAX),
                args.seed,
                &mut observer,
            )
            .await?;
        loaded += report.people;
        eprintln!(
            "  loaded province {} ({} people, {} in all, {:.0} s)",
            p.code,
            report.people,
            loaded,
            started.elapsed().as_secs_f64()
        );
    }
    let applicants = observer.applicants;
    Ok((
        Sample {
            people: args.people,
            seed: args.seed,
            people_sampled: reservoir.items,
        },
        applicants,
    ))
}

/// The nearest-rank percentile, in milliseconds.
pub(crate) fn percentile(sorted: &[Duration], percent: usize) -> f64 {
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted
        .get(rank - 1)
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
}

fn line(what: &str, mut times: Vec<Duration>, goal_ms: Option<f64>) {
    times.sort_unstable();
    let (p50, p99) = (percentile(&times, 50), percentile(&times, 99));
    let goal = goal_ms.map_or(String::new(), |g| {
        format!(
            "   goal p99 < {g} ms: {}",
            if p99 < g { "met" } else { "missed" }
        )
    });
    println!(
        "    {what:<46} n={:<6} p50 {p50:>7.3} ms   p99 {p99:>7.3} ms{goal}",
        times.len()
    );
}

/// p50 and p99 of ID look-up and name search through the HTTP API, next to the same
/// calls made in process (no HTTP, no JSON), on a register of `people` citizens.
/// The server of a benchmark on a free port, signed in as `username`: the API's base URL,
/// a bearer token, and the handle that stops it.
pub(crate) struct BenchServer {
    pub base: String,
    pub token: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl BenchServer {
    /// Adds `username`, an officer of Hà Tĩnh's PC06, and serves the app signed in as them.
    pub(crate) async fn start_as_province_officer(app: &App, username: &str) -> Result<Self> {
        let unit = PoliceUnitCode::parse("PC06-42").map_err(|e| failed(e.to_string()))?;
        app.add_officer(
            &operator(),
            username,
            "Benchmark",
            &unit,
            Role::ProvinceOfficer,
            Some(BENCH_PASSWORD),
        )
        .await?;
        Self::start(app, username).await
    }

    pub(crate) async fn start(app: &App, username: &str) -> Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(cancuoc_server::serve(
            listener,
            app.clone(),
            cancuoc_server::ServerConfig {
                secure_cookies: false,
                ..cancuoc_server::ServerConfig::default()
            },
            async {
                let _ = stopped.await;
            },
        ));
        let base = format!("http://{addr}/api/v1");
        let login: serde_json::Value = reqwest::Client::new()
            .post(format!("{base}/auth/login"))
            .json(&serde_json::json!({"username": username, "password": BENCH_PASSWORD}))
            .send()
            .await
            .map_err(|e| failed(format!("login: {e}")))?
            .json()
            .await
            .map_err(|e| failed(format!("login: {e}")))?;
        let token = login
            .get("token")
            .and_then(|t| t.as_str())
            .ok_or_else(|| failed(format!("login answered {login}")))?
            .to_owned();
        Ok(Self {
            base,
            token,
            stop,
            server,
        })
    }

    /// One signed-in GET, timed to the last byte of its body; an answer that is not a
    /// success is an error quoting it.
    pub(crate) async fn get_timed(
        &self,
        client: &reqwest::Client,
        url: reqwest::Url,
    ) -> Result<Duration> {
        let started = Instant::now();
        let response = client
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| failed(e.to_string()))?;
        let took = started.elapsed();
        if !status.is_success() {
            return Err(failed(format!(
                "{status}: {}",
                String::from_utf8_lossy(&body)
            )));
        }
        Ok(took)
    }

    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.server.await;
    }
}

pub async fn lookup(args: &LookupArgs<'_>) -> Result<ExitCode> {
    let (app, sample) = lookup_register(args).await?;
    if sample.people_sampled.is_empty() {
        return Err(failed("the register is empty"));
    }
    let unit = PoliceUnitCode::parse("C06").map_err(|e| failed(e.to_string()))?;
    match app
        .add_officer(
            &operator(),
            BENCH_OFFICER,
            "Benchmark",
            &unit,
            Role::MinistryOfficer,
            Some(BENCH_PASSWORD),
        )
        .await
    {
        Ok(_) | Err(cancuoc_app::AppError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let running = BenchServer::start(&app, BENCH_OFFICER).await?;
    let (by_id, by_name) = lookup_times(&running, &sample, args.requests).await?;
    let n = args.requests;
    let pick = |i: usize| sample.people_sampled.get(i % sample.people_sampled.len());

    // The same calls in process: what the HTTP layer adds on top.
    let caller = Caller::Operator {
        name: "bench".into(),
    };
    let mut app_id = Vec::with_capacity(n);
    let mut app_name = Vec::with_capacity(n);
    for i in 0..n {
        let Some(s) = pick(i) else { continue };
        let started = Instant::now();
        app.citizen(&caller, &s.personal_id).await?;
        app_id.push(started.elapsed());
        let started = Instant::now();
        app.search_citizens(
            &caller,
            &CitizenSearch {
                name: Some(s.name_key.clone()),
                birth_year: (i % 2 == 0).then(|| i16::try_from(s.birth_year).unwrap_or(0)),
                limit: Some(20),
                ..CitizenSearch::default()
            },
        )
        .await?;
        app_name.push(started.elapsed());
    }
    running.stop().await;

    let size: u64 = ["", "-wal"]
        .iter()
        .filter_map(|s| {
            std::fs::metadata(format!("{}{s}", args.work_dir.join("lookup.db").display())).ok()
        })
        .map(|m| m.len())
        .sum();
    println!(
        "cancuoc bench lookup: {} citizens on SQLite ({:.1} GB), one client, keep-alive, {} requests each",
        thousands(sample.people as f64),
        size as f64 / 1e9,
        n
    );
    println!("  through the HTTP API (ministry officer, every call audited)");
    line("GET /api/v1/citizens/{personal_id}", by_id, Some(2.0));
    line(
        "GET /api/v1/citizens?name=…[&birth_year=…]",
        by_name,
        Some(20.0),
    );
    println!("  the same calls in process (no HTTP, no JSON): the peer");
    line("App::citizen", app_id, None);
    line("App::search_citizens", app_name, None);
    let _ = std::io::stdout().flush();
    Ok(ExitCode::SUCCESS)
}

/// ID look-ups and name searches of sampled people through the HTTP API of a running
/// server, one client over one keep-alive connection, after 200 warm-up requests.
pub(crate) async fn lookup_times(
    running: &BenchServer,
    sample: &Sample,
    n: usize,
) -> Result<(Vec<Duration>, Vec<Duration>)> {
    let base = running.base.clone();
    let url = |path: &str, query: &[(&str, String)]| {
        reqwest::Url::parse_with_params(&format!("{base}{path}"), query)
            .map_err(|e| failed(e.to_string()))
    };
    let client = reqwest::Client::new();

    let pick = |i: usize| sample.people_sampled.get(i % sample.people_sampled.len());
    let get = |url: reqwest::Url| running.get_timed(&client, url);
    // Warm the connection, the page cache and the statement caches first.
    for i in 0..200.min(n) {
        if let Some(s) = pick(i + n) {
            get(url(&format!("/citizens/{}", s.personal_id), &[])?).await?;
        }
    }
    let mut by_id = Vec::with_capacity(n);
    let mut by_name = Vec::with_capacity(n);
    for i in 0..n {
        let Some(s) = pick(i) else { continue };
        by_id.push(get(url(&format!("/citizens/{}", s.personal_id), &[])?).await?);
        // Half the name searches narrow by birth year, as officers usually do.
        let mut query = vec![("name", s.name_key.clone()), ("limit", "20".to_owned())];
        if i % 2 == 0 {
            query.push(("birth_year", s.birth_year.to_string()));
        }
        by_name.push(get(url("/citizens", &query)?).await?);
    }

    Ok((by_id, by_name))
}
