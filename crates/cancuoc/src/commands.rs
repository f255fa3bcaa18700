//! What each subcommand does.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use cancuoc_app::{App, AppConfig, AppError, Caller, FormAction, OsRandom, SystemClock};
use cancuoc_domain::form::{COLUMN_COUNT, Column};
use cancuoc_domain::personal_id::{PersonalId, Registration};
use cancuoc_domain::{PoliceUnitCode, Role, Sex, provinces};
use sha2::{Digest, Sha256};

use crate::backend;
use crate::{
    AuditCommand, BenchCommand, CampaignCommand, CardCommand, ChipCommand, Cli, Command,
    ConfigCommand, FormsCommand, IdCommand, ImportCommand, MrzCommand, OfficerCommand,
    PersonalisationCommand, QuotaCommand, ReportCommand, ScheduleCommand, StationCommand,
    VaultCommand,
};

/// A failure with the exit code it deserves.
#[derive(Debug)]
pub struct CliError {
    code: u8,
    error: anyhow::Error,
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        self.code
    }
    pub fn usage(msg: impl Into<String>) -> Self {
        Self {
            code: 2,
            error: anyhow::anyhow!(msg.into()),
        }
    }
    /// The operation itself failed (exit 1).
    pub fn failed(msg: impl Into<String>) -> Self {
        Self {
            code: 1,
            error: anyhow::anyhow!(msg.into()),
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

impl From<AppError> for CliError {
    fn from(e: AppError) -> Self {
        use cancuoc_app::ErrorCode as C;
        let code = match e.code() {
            C::InvalidInput | C::NotFound | C::Forbidden | C::Conflict | C::InvalidState => 2,
            // EX_TEMPFAIL (sysexits.h): the same command may succeed when run again.
            C::Unavailable => 75,
            _ => 1,
        };
        let error = match &e {
            AppError::Internal(detail) | AppError::Unavailable(detail) => {
                anyhow::anyhow!("{e}: {detail}")
            }
            _ => anyhow::anyhow!(e.to_string()),
        };
        Self { code, error }
    }
}

impl From<backend::BackendError> for CliError {
    fn from(e: backend::BackendError) -> Self {
        let code = match e {
            backend::BackendError::Scheme(_)
            | backend::BackendError::Missing(_)
            | backend::BackendError::Replica(_) => 2,
            _ => 1,
        };
        Self {
            code,
            error: e.into(),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        Self {
            code: 1,
            error: e.into(),
        }
    }
}

pub type Result<T, E = CliError> = std::result::Result<T, E>;

/// Logs go to stderr, filtered by `CANCUOC_LOG`. By default sqlx's slow-statement
/// warnings are left out: bulk writes and the background WAL checkpoint are slow on
/// purpose. `CANCUOC_LOG=sqlx::query=warn` brings them back.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CANCUOC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,sqlx::query=error"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

pub fn operator() -> Caller {
    Caller::Operator {
        name: std::env::var("USER").unwrap_or_else(|_| "operator".into()),
    }
}

/// The biometrics vault: objects under DATA_DIR/objects, sealed under the master key of
/// `CANCUOC_VAULT_KEY` or DATA_DIR/vault.key (which `init` creates). The key is checked
/// against the vault's key check before anything else runs, so a wrong key stops the
/// program at start. Without a key, commands that need no biometrics still run, unless
/// the vault was set up: then the key is missing, and that is refused too.
pub(crate) async fn open_vault(
    data_dir: &Path,
    create: bool,
) -> Result<Option<Arc<cancuoc_vault::ObjectVault>>> {
    use cancuoc_vault::{KEY_CHECK_OBJECT, MasterKey, ObjectVault};
    let fail = |e: cancuoc_vault::VaultError| CliError::failed(e.to_string());
    let objects = data_dir.join("objects");
    let key = match std::env::var("CANCUOC_VAULT_KEY") {
        Ok(k) if !k.is_empty() => Some(
            MasterKey::from_hex(&k)
                .map_err(|e| CliError::usage(format!("CANCUOC_VAULT_KEY: {e}")))?,
        ),
        _ => {
            let path = data_dir.join("vault.key");
            if path.exists() {
                Some(MasterKey::load(&path).map_err(fail)?)
            } else if objects.join(KEY_CHECK_OBJECT).exists() {
                // `init` must not make a new key for a vault set up under another one.
                return Err(CliError::failed(format!(
                    "the vault {} was set up with a master key, but neither CANCUOC_VAULT_KEY \
                     nor {} is there: give the key it was set up with",
                    objects.display(),
                    path.display()
                )));
            } else if create {
                std::fs::create_dir_all(data_dir)?;
                Some(MasterKey::create(&path).map_err(fail)?)
            } else {
                None
            }
        }
    };
    match key {
        Some(key) => {
            let vault = ObjectVault::open_local(&objects, &key)
                .await
                .map_err(fail)?;
            Ok(Some(Arc::new(vault)))
        }
        None => Ok(None),
    }
}

/// `CANCUOC_SESSION_IDLE_MINUTES`: how long an unused session stays open (30 by default).
fn session_idle_micros(default: i64) -> Result<i64> {
    match std::env::var("CANCUOC_SESSION_IDLE_MINUTES") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|m| (1..=24 * 60).contains(m))
            .map(|m| i64::from(m) * 60_000_000)
            .ok_or_else(|| {
                CliError::usage(format!(
                    "CANCUOC_SESSION_IDLE_MINUTES must be a whole number of minutes from 1 to 1440, not {v:?}"
                ))
            }),
        _ => Ok(default),
    }
}

async fn app(cli: &Cli, create: bool) -> Result<App> {
    app_with(cli, create, false).await
}

/// `app`; `alone`: the process holds an SQLite file's claim as an import.
async fn app_with(cli: &Cli, create: bool, alone: bool) -> Result<App> {
    let audit_key = match crate::secrets::audit_key(&cli.data_dir, create) {
        Ok(key) => key,
        Err(e) => {
            // A wrong URL or a missing database says so before a missing key does.
            backend::precheck(&cli.db, create)?;
            return Err(e);
        }
    };
    let store = backend::open(
        &cli.db,
        cli.read_db.as_deref(),
        create,
        alone,
        audit_key.clone(),
    )
    .await?;
    let defaults = AppConfig::default();
    let config = AppConfig {
        id_key: crate::secrets::id_key(&cli.data_dir, create)?,
        audit_key,
        session_idle_micros: session_idle_micros(defaults.session_idle_micros)?,
        ..defaults
    };
    let mut app = App::new(store, Arc::new(SystemClock), Arc::new(OsRandom), config).await?;
    if let Some(key) = crate::secrets::checkpoint_key(&cli.data_dir, create)? {
        let log = crate::secrets::FileCheckpointLog::in_dir(&cli.data_dir);
        app = app.with_checkpoints(Arc::new(log), key);
    }
    Ok(match open_vault(&cli.data_dir, create).await? {
        Some(v) => app.with_vault(v),
        None => app,
    })
}

pub async fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Id(IdCommand::Check { number, json }) => id_check(number, *json),
        Command::Card(CardCommand::Expiry { born, issued, json }) => {
            crate::card::expiry(born, issued, *json)
        }
        Command::Chip(ChipCommand::BacKeys {
            document,
            birth,
            expiry,
        }) => {
            let keys = cancuoc_icao::bac_keys(document, birth, expiry)
                .map_err(|e| CliError::usage(e.to_string()))?;
            let hex = |key: &[u8; 16]| hex::encode_upper(key);
            println!("K_seed {}", hex(&keys.seed));
            println!("K_enc  {}", hex(&keys.enc));
            println!("K_mac  {}", hex(&keys.mac));
            Ok(ExitCode::SUCCESS)
        }
        Command::Card(CardCommand::Chip {
            personal_id,
            output,
        }) => {
            let app = app(&cli, false).await?;
            crate::chip::card_chip(&app, personal_id, output).await
        }
        Command::Chip(ChipCommand::Verify {
            dir,
            csca,
            crl,
            json,
        }) => {
            // The register is opened only when no CSCA is given: anyone with the CSCA
            // certificate verifies a chip without a database.
            let register = if csca.is_none() && !dir.join("csca.pem").exists() {
                Some(app(&cli, false).await?)
            } else {
                None
            };
            crate::chip::verify(
                register.as_ref(),
                dir,
                csca.as_deref(),
                crl.as_deref(),
                *json,
            )
            .await
        }
        Command::Station(StationCommand::Enrol { server, unit, name }) => {
            let app = app(&cli, true).await?;
            crate::station::enrol(&app, server, unit, name).await
        }
        Command::Station(StationCommand::Status { format }) => {
            let app = app(&cli, false).await?;
            crate::station::status(&app, format).await
        }
        Command::Station(StationCommand::Push { format }) => {
            let app = app(&cli, false).await?;
            crate::station::push(&app, format).await
        }
        Command::Station(StationCommand::Demo {
            server,
            unit,
            listen,
        }) => {
            let app = app(&cli, true).await?;
            crate::station::demo(&cli, &app, server, unit, listen).await
        }
        Command::Station(StationCommand::Pull) => {
            let app = app(&cli, false).await?;
            crate::station::pull(&app).await
        }
        Command::Pki(command) => {
            let app = app(&cli, false).await?;
            crate::chip::pki(&app, command).await
        }
        Command::Batch(command) => {
            let app = app(&cli, false).await?;
            crate::chip::batch(&app, command).await
        }
        Command::Personalisation(PersonalisationCommand::Open {
            package,
            key,
            output,
        }) => crate::chip::open_package(package, key, output),
        Command::Mrz(command) => {
            let mut input = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut input)
                .map_err(|e| CliError::usage(format!("cannot read stdin: {e}")))?;
            match command {
                MrzCommand::Encode => crate::card::mrz_encode(&input),
                MrzCommand::Check => crate::card::mrz_check(&input),
            }
        }
        Command::Config(ConfigCommand::Print) => {
            println!("db = {:?}", backend::redact(&cli.db));
            if let Some(read_db) = &cli.read_db {
                println!("read_db = {:?}", backend::redact(read_db));
            }
            println!("data_dir = {:?}", cli.data_dir.display().to_string());
            let vault_from_env = std::env::var("CANCUOC_VAULT_KEY").is_ok_and(|k| !k.is_empty());
            println!(
                "vault_key = \"<redacted, from {}>\"",
                if vault_from_env {
                    "CANCUOC_VAULT_KEY"
                } else {
                    "the data folder (vault.key)"
                }
            );
            let key_from_env = std::env::var("CANCUOC_ID_KEY").is_ok_and(|k| !k.is_empty());
            println!(
                "id_key = \"<redacted, from {}>\"",
                if key_from_env {
                    "CANCUOC_ID_KEY"
                } else {
                    "the data folder"
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { admin_units } => {
            let app = app(&cli, true).await?;
            let password = std::env::var("CANCUOC_ADMIN_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty());
            let report = app.init(admin_units, password.as_deref()).await?;
            eprintln!(
                "reference data: {} administrative units and {} police units ({} hierarchy{})",
                report.reference.admin_units,
                report.reference.police_units,
                report.hierarchy,
                if report.reference.changed {
                    ""
                } else {
                    ", already loaded"
                }
            );
            match (&report.admin_password, report.admin_created) {
                (Some(p), _) => println!(
                    "administrator `admin` created; one-time password (change it at first sign-in): {p}"
                ),
                (None, true) => {
                    println!("administrator `admin` created with CANCUOC_ADMIN_PASSWORD")
                }
                (None, false) if password.is_some() => eprintln!(
                    "administrator `admin` already exists: CANCUOC_ADMIN_PASSWORD is ignored \
                     (cancuoc officer reset-password admin gives a new one-time password)"
                ),
                (None, false) => eprintln!("administrator `admin` already exists"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            listen,
            demo,
            insecure_cookies,
        } => serve(&cli, listen, *demo, *insecure_cookies).await,
        Command::Campaign(CampaignCommand::Create { name, start, end }) => {
            let app = app(&cli, false).await?;
            let campaign = app.create_campaign(&operator(), name, start, end).await?;
            println!("{}", campaign.id);
            Ok(ExitCode::SUCCESS)
        }
        Command::Schedule(ScheduleCommand::Plan {
            unit,
            from,
            to,
            machines,
            show_up,
            service_min,
            open_hour,
            close_hour,
            lunch_from,
            lunch_to,
            no_lunch,
            shift_changes,
            walk_in_share,
            gather_within,
            format,
            accept,
        }) => {
            let app = app(&cli, false).await?;
            let request = cancuoc_app::PlanRequest {
                unit: unit.clone(),
                from: from.clone(),
                to: to.clone(),
                machines: *machines,
                show_up: *show_up,
                service_min: *service_min,
                open_hour: *open_hour,
                close_hour: *close_hour,
                lunch: (!*no_lunch).then_some((*lunch_from, *lunch_to)),
                shift_changes: shift_changes.clone(),
                walk_in_share: *walk_in_share,
                gather_within_min: *gather_within,
            };
            crate::schedule::plan(&app, &request, format, *accept).await
        }
        Command::Schedule(ScheduleCommand::Need { unit, by, format }) => {
            let app = app(&cli, false).await?;
            crate::schedule::need(&app, unit, by, format).await
        }
        Command::Site(command) => crate::enrollment::site(&app(&cli, false).await?, command).await,
        Command::Machine(command) => {
            crate::enrollment::machine(&app(&cli, false).await?, command).await
        }
        Command::Session(command) => {
            crate::enrollment::session(&app(&cli, false).await?, command).await
        }
        Command::Campaign(CampaignCommand::List) => {
            let app = app(&cli, false).await?;
            crate::campaign::list(&app).await
        }
        Command::Quota(QuotaCommand::Set {
            campaign,
            unit,
            total,
            daily,
            split,
        }) => {
            let app = app(&cli, false).await?;
            crate::campaign::set_quota(&app, campaign, unit, *total, *daily, split.as_deref()).await
        }
        Command::Report(ReportCommand::Progress {
            campaign,
            unit,
            date,
            format,
            output,
        }) => {
            let app = app(&cli, false).await?;
            let report =
                crate::campaign::report(&app, campaign, unit.as_deref(), date.as_deref()).await?;
            crate::campaign::print_progress(&report, format, output.as_deref())
        }
        Command::Report(ReportCommand::Daily {
            campaign,
            unit,
            date,
            format,
            output,
        }) => {
            let app = app(&cli, false).await?;
            let report =
                crate::campaign::report(&app, campaign, unit.as_deref(), date.as_deref()).await?;
            crate::campaign::print_daily(&report, format, output.as_deref())
        }
        Command::Report(ReportCommand::Verify) => {
            let app = app(&cli, false).await?;
            crate::campaign::verify(&app).await
        }
        Command::Bench(BenchCommand::Import {
            people,
            seed,
            work_dir,
            postgres,
        }) => {
            crate::bench::import(&crate::bench::ImportArgs {
                people: *people,
                seed: *seed,
                work_dir: work_dir.as_deref(),
                postgres: postgres.as_deref(),
            })
            .await
        }
        Command::Bench(BenchCommand::Plan {
            province,
            eligible,
            machines,
            service_min,
            open_hour,
            close_hour,
            show_up,
            load,
            seed,
            instances,
            solver_seconds,
            no_solver,
        }) => crate::bench_plan::plan_bench(&crate::bench_plan::PlanArgs {
            province: province.clone(),
            eligible: *eligible,
            machines: *machines,
            service_min: *service_min,
            open_hour: *open_hour,
            close_hour: *close_hour,
            show_up: *show_up,
            load: *load,
            seed: *seed,
            instances: instances.clone(),
            solver: (!*no_solver).then(|| std::time::Duration::from_secs(*solver_seconds)),
        }),
        Command::Bench(BenchCommand::Progress {
            applications,
            work_dir,
            postgres,
            runs,
        }) => {
            crate::bench_progress::progress(&crate::bench_progress::ProgressArgs {
                applications: *applications,
                work_dir,
                postgres: postgres.as_deref(),
                runs: (*runs).max(1),
            })
            .await
        }
        Command::Bench(BenchCommand::Intake {
            applications,
            clients,
            work_dir,
            postgres,
        }) => {
            crate::bench_intake::intake(&crate::bench_intake::IntakeArgs {
                applications: *applications,
                clients: (*clients).max(1),
                work_dir: work_dir.as_deref(),
                postgres: postgres.as_deref(),
            })
            .await
        }
        Command::Bench(BenchCommand::Sync { applications }) => {
            crate::bench_sync::sync((*applications).max(1)).await
        }
        Command::Bench(BenchCommand::Chip { cards }) => crate::bench_chip::chip(*cards),
        Command::Bench(BenchCommand::Uploads {
            uploads,
            megabytes,
            work_dir,
        }) => {
            crate::bench_uploads::uploads(&crate::bench_uploads::UploadsArgs {
                uploads: *uploads,
                megabytes: *megabytes,
                work_dir: work_dir.as_deref(),
            })
            .await
        }
        Command::Bench(BenchCommand::Scale {
            people,
            postgres,
            work_dir,
            requests,
            filings,
        }) => {
            crate::bench_scale::scale(&crate::bench_scale::ScaleArgs {
                sizes: people.clone(),
                postgres,
                work_dir,
                requests: *requests,
                filings: *filings,
            })
            .await
        }
        Command::Bench(BenchCommand::Lookup {
            people,
            seed,
            work_dir,
            requests,
        }) => {
            crate::bench::lookup(&crate::bench::LookupArgs {
                people: *people,
                seed: *seed,
                work_dir,
                requests: *requests,
            })
            .await
        }
        Command::Demo {
            province,
            people,
            seed,
        } => {
            let app = app(&cli, false).await?;
            demo(&app, province, *people, *seed).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(ImportCommand::Forms {
            file,
            dry_run,
            rejects,
        }) => {
            // With no server on the database the import has it to itself: one
            // transaction, indexes set aside (`Sharing::Alone`). A dry run keeps nothing,
            // so it never turns a server away.
            backend::precheck(&cli.db, false)?;
            let claim = if *dry_run {
                None
            } else {
                backend::claim(&cli.db, backend::Claimant::Import).await?
            };
            let app = app_with(&cli, false, claim.is_some()).await?;
            import_forms(&app, file, *dry_run, rejects.as_deref()).await
        }
        Command::Import(ImportCommand::Applications {
            file,
            dry_run,
            rejects,
        }) => {
            let app = app(&cli, false).await?;
            crate::application_import::run(&app, file, *dry_run, rejects.as_deref()).await
        }
        Command::Id(IdCommand::Allocate {
            province,
            sex,
            birth_year,
        }) => {
            let app = app(&cli, false).await?;
            let sex = Sex::parse(sex).ok_or_else(|| CliError::usage("sex is male or female"))?;
            let id = app
                .allocate_personal_id(&operator(), province, sex, *birth_year)
                .await?;
            println!("{id}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Officer(cmd) => {
            let app = app(&cli, false).await?;
            officer(&app, cmd).await
        }
        Command::Audit(AuditCommand::Verify { month }) => {
            let app = app(&cli, false).await?;
            let v = match month {
                Some(m) => app.verify_audit_month(parse_month(m)?).await?,
                None => app.verify_audit().await?,
            };
            let from = if v.from_seq > 1 {
                format!(" from event {}", v.from_seq)
            } else {
                String::new()
            };
            match v.first_break {
                None => {
                    println!(
                        "audit trail intact{from}: {} events, {} checkpoints",
                        v.events, v.checkpoints
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Some(b) => {
                    println!(
                        "audit trail BROKEN ({} events, {} checkpoints checked): {b}",
                        v.events, v.checkpoints
                    );
                    Ok(ExitCode::from(1))
                }
            }
        }
        Command::Audit(AuditCommand::Months) => {
            let app = app(&cli, false).await?;
            let months = app.audit_months(&operator()).await?;
            if months.is_empty() {
                println!("the audit trail is one table (SQLite): no months to list");
            }
            for m in &months {
                let seq = |e: &Option<(i64, String)>| {
                    e.as_ref().map_or("—".to_owned(), |(s, _)| s.to_string())
                };
                let hash = |e: &Option<(i64, String)>| {
                    e.as_ref()
                        .map_or("—".to_owned(), |(_, h)| h.chars().take(16).collect())
                };
                println!(
                    "{:<22} {:>10} events  first {:>10} (after {})  last {:>10} ({}){}",
                    m.name,
                    m.events,
                    seq(&m.first),
                    hash(&m.first),
                    seq(&m.last),
                    hash(&m.last),
                    if m.archived { "  archived" } else { "" }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(AuditCommand::Archive { before }) => {
            let app = app(&cli, false).await?;
            let done = app
                .archive_audit_months(&operator(), parse_month(before)?)
                .await?;
            if done.is_empty() {
                println!("no month before {before} left to archive");
            }
            for m in &done {
                println!(
                    "detached {} ({} events): export it with pg_dump -t {}, then DROP TABLE {}",
                    m.name, m.events, m.name, m.name
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(AuditCommand::Checkpoint) => {
            let app = app(&cli, false).await?;
            match app.write_checkpoint().await? {
                Some(c) => println!("checkpoint at event {}: {}", c.seq, c.head),
                None => println!("nothing new to checkpoint"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Forms(cmd) => {
            let app = app(&cli, false).await?;
            forms(&app, cmd).await
        }
        Command::Vault(VaultCommand::Gc { apply, grace_hours }) => {
            let app = app(&cli, false).await?;
            let vault = open_vault(&cli.data_dir, false).await?.ok_or_else(|| {
                CliError::failed("no vault here: neither CANCUOC_VAULT_KEY nor DATA_DIR/vault.key")
            })?;
            crate::vault::gc(&app, &vault, *apply, *grace_hours).await
        }
    }
}

fn id_check(number: &str, json: bool) -> Result<ExitCode> {
    let id = PersonalId::parse(number.trim())
        .map_err(|e| CliError::usage(format!("{number:?} is not a personal ID number: {e}")))?;
    let (code, name) = match id.registration() {
        Registration::Province(code) => (
            format!("0{code}"),
            provinces::by_code(code).map(|p| p.name).unwrap_or(""),
        ),
        Registration::Abroad => (
            id.registration_code(),
            "đăng ký khai sinh ở nước ngoài (foreign-registered)",
        ),
    };
    if json {
        let out = serde_json::json!({
            "personal_id": id.as_string(),
            "province_code": code,
            "province_name": name,
            "sex": id.sex().as_str(),
            "birth_year": id.birth_year(),
            "century": (id.birth_year() / 100) * 100,
        });
        println!("{out}");
    } else {
        println!("số định danh:      {id}");
        println!("nơi đăng ký khai sinh: {code} {name}");
        println!(
            "giới tính:         {} ({})",
            id.sex().vietnamese(),
            id.sex()
        );
        println!("năm sinh:          {}", id.birth_year());
        println!("thế kỷ:            {}", (id.birth_year() / 100) + 1);
    }
    Ok(ExitCode::SUCCESS)
}

fn progress_bar(total: u64, what: &str) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "{what} {{bar:40}} {{pos}}/{{len}} ({{per_sec}}, {{eta}} left)"
    )) {
        bar.set_style(style);
    }
    Some(bar)
}

/// Moves a progress bar as a demo load commits.
struct BarObserver(Option<indicatif::ProgressBar>);

impl cancuoc_app::DemoObserver for BarObserver {
    fn loaded(&mut self, people: u64) {
        if let Some(b) = &self.0 {
            b.set_position(people);
        }
    }
}

/// Loads the demo population; answers the people who may apply for a card.
async fn demo(
    app: &App,
    province: &str,
    people: usize,
    seed: u64,
) -> Result<Vec<cancuoc_app::DemoApplicant>, AppError> {
    let mut bar = BarObserver(progress_bar(people as u64, "people"));
    let started = std::time::Instant::now();
    let mut applicants = cancuoc_app::DemoApplicants {
        people: Vec::new(),
        inner: &mut bar,
    };
    let report = app
        .demo(&operator(), province, people, seed, &mut applicants)
        .await?;
    let applicants = applicants.people;
    if let Some(b) = bar.0 {
        b.finish_and_clear();
    }
    eprintln!(
        "loaded {} people in {} households into province {} in {:.1} s",
        report.people,
        report.households,
        report.province,
        started.elapsed().as_secs_f64()
    );
    Ok(applicants)
}

/// The demo's month of work: applications in every state, the accounts to try each
/// role with, today's session, and collection forms waiting for review.
async fn demo_month(cli: &Cli, app: &App, people: &[cancuoc_app::DemoApplicant]) -> Result<()> {
    let started = std::time::Instant::now();
    let activity = app.demo_activity("42", people, 30).await?;
    let states: Vec<String> = activity
        .by_state
        .iter()
        .map(|(state, n)| format!("{} {n}", state.as_str()))
        .collect();
    eprintln!(
        "demo month: {} applications over 30 days ({}) in {:.1} s",
        activity.applications,
        states.join(", "),
        started.elapsed().as_secs_f64()
    );
    if let Some(session) = activity.session {
        eprintln!("today's enrollment session {session}: households invited, queue begun");
    }
    // Forms a commune sent in with fields missing, for the review queue; the file stays
    // in the data directory as an example of the import format.
    let communes: Vec<&str> = people.iter().map(|p| p.commune.as_str()).take(1).collect();
    let commune = communes.first().copied().unwrap_or("18073");
    let forms = cli.data_dir.join("demo-phieu-thu-thap.csv");
    std::fs::write(&forms, demo_forms(commune))
        .map_err(|e| CliError::failed(format!("cannot write {}: {e}", forms.display())))?;
    import_forms(app, &forms, false, None).await?;
    if let Some(secret) = &activity.line_key {
        let path = cli.data_dir.join("production-line.key");
        crate::secrets::write_secret(&path, format!("{secret}\n").as_bytes())?;
        eprintln!(
            "chip PKI created; the production line's key is in {} (cancuoc personalisation open)",
            path.display()
        );
    }
    println!("demo accounts (one-time passwords, changed at first sign-in):");
    for account in &activity.accounts {
        println!(
            "  {:<14} {:<20} {:<20} {}",
            account.username,
            account.role.as_str(),
            account.unit,
            account.password
        );
    }
    Ok(())
}

/// Collection forms of a commune with gaps an officer must go and fill: no hometown, no
/// ethnicity, no religion, and the same person written twice under two numbers.
fn demo_forms(commune: &str) -> String {
    use Column as C;
    let header = Column::ALL.map(Column::name).join(",");
    let person = |id: &str, name: &str, born: &str, sex: &str, gaps: &[Column]| {
        let given = [
            (C::SoDinhDanh, id),
            (C::HoTen, name),
            (C::NgaySinh, born),
            (C::GioiTinh, sex),
            (C::NoiDangKyKhaiSinh, "42"),
            (C::QueQuan, "42"),
            (C::DanToc, "Kinh"),
            (C::TonGiao, "Không"),
            (C::QuocTich, "VNM"),
            (C::ThuongTruMaXa, commune),
            (C::ThuongTruDiaChi, "Thôn 3"),
        ];
        Column::ALL
            .map(|column| {
                given
                    .iter()
                    .find(|(c, _)| *c == column && !gaps.contains(c))
                    .map_or("", |(_, value)| *value)
            })
            .join(",")
    };
    let rows = [
        person(
            "042095900001",
            "Trần Văn Khánh",
            "12/04/1995",
            "Nam",
            &[C::QueQuan],
        ),
        person(
            "042198900002",
            "Nguyễn Thị Loan",
            "1998",
            "Nữ",
            &[C::DanToc],
        ),
        person(
            "042087900003",
            "Phan Văn Long",
            "03/07/1987",
            "Nam",
            &[C::TonGiao],
        ),
        person("042093900004", "Hồ Văn Nghĩa", "20/10/1993", "Nam", &[]),
        person(
            "042093900005",
            "Hồ Văn Nghĩa",
            "20/10/1993",
            "Nam",
            &[C::NoiDangKyKhaiSinh],
        ),
    ];
    std::iter::once(header)
        .chain(rows)
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The demo's campaign at work: a peak period around today for Hà Tĩnh, its quota shared
/// among the province's units by eligible population, so that the dashboard and the
/// ranking have targets (the population's load registers the districts' machines).
async fn demo_campaign(app: &App) -> Result<(), AppError> {
    let today = app.today();
    let day = |days: i64| {
        today
            .checked_add(jiff::Span::new().days(days))
            .unwrap_or(today)
            .to_string()
    };
    let campaign = app
        .create_campaign(
            &operator(),
            "Cấp CCCD gắn chip — đợt cao điểm",
            &day(-30),
            &day(60),
        )
        .await?;
    let province =
        PoliceUnitCode::parse("CAT-42").map_err(|e| AppError::Internal(e.to_string()))?;
    app.set_quota(
        &operator(),
        campaign.id,
        &cancuoc_app::QuotaRequest {
            unit: province.to_string(),
            total: 12_000,
            daily: Some(140),
            split: Some(cancuoc_domain::campaign::Split::Eligible),
        },
    )
    .await?;
    eprintln!(
        "demo campaign {}: Hà Tĩnh's quota shared among its units by eligible population",
        campaign.id
    );
    Ok(())
}

/// How often a running server signs the audit chain's head.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

pub(crate) async fn serve(
    cli: &Cli,
    listen: &str,
    demo_mode: bool,
    insecure_cookies: bool,
) -> Result<ExitCode> {
    // Before anything is opened: a second server is refused before it migrates or makes
    // secrets.
    let claim = crate::backend::claim(&cli.db, crate::backend::Claimant::Server).await?;
    let _claim = crate::backend::keep(&cli.db, claim);
    let app = app(cli, demo_mode).await?;
    // On a station's own database the server serves the station's working copy, loaded
    // from its sealed extract into memory, and pushes its outbox while the server is
    // reachable.
    let (app, station) = if app.station_identity().await?.is_some() {
        if demo_mode {
            return Err(CliError::usage(
                "this database is a station's: serve it without --demo",
            ));
        }
        let copy = crate::station::working_copy(&cli.data_dir, &app).await?;
        (copy, Some(app))
    } else {
        (app, None)
    };
    if demo_mode {
        if app.places().is_empty() {
            let password = std::env::var("CANCUOC_ADMIN_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty());
            let report = app.init("2021", password.as_deref()).await?;
            if let Some(p) = report.admin_password {
                println!("administrator `admin`, one-time password: {p}");
            }
        }
        // The demo population is deterministic for its seed and key: loading it a second
        // time meets its own personal ID numbers, which says it is there already.
        match demo(&app, "42", 20_000, 1).await {
            Ok(people) => {
                demo_campaign(&app).await?;
                demo_month(cli, &app, &people).await?;
            }
            Err(AppError::Conflict(_)) => eprintln!("demo population already loaded"),
            Err(e) => return Err(e.into()),
        }
    }
    if !app.places().is_empty() {
        app.ensure_remote_districts().await?;
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| CliError::usage(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener.local_addr()?;
    eprintln!("cancuoc serving on http://{addr} (API under /api/v1, OpenAPI at /api/openapi.json)");
    // The audit chain's head is signed into the checkpoint file every few minutes and
    // once more when the server stops, so that removing the newest events is found; the
    // same tick keeps the eligible counts on today. A station's working copy is in
    // memory: its chain ends with the process.
    let checkpointed = station.is_none();
    let checkpointing = app.clone();
    let ticker = tokio::spawn(async move {
        if !checkpointed {
            return;
        }
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = checkpointing.write_checkpoint().await {
                tracing::warn!("audit checkpoint failed: {e}");
            }
            // A day after midnight, the kept eligible counts take in the birthdays and
            // card expiries of the new day (the first tick builds them if need be).
            if let Err(e) = checkpointing.keep_eligible_current().await {
                tracing::warn!("eligible counts not moved to today: {e}");
            }
            // The audit trail's months are made ahead (PostgreSQL partitions).
            if let Err(e) = checkpointing.prepare_audit_months().await {
                tracing::warn!("audit months not made ahead: {e}");
            }
        }
    });
    // The copy served, which the station's console may replace with one from a new
    // extract; the audit mirror and the last copy at shutdown follow it.
    let (served, serving) = tokio::sync::watch::channel(app.clone());
    let fresh = station
        .as_ref()
        .map(|home| crate::station::fresh_copy(cli.data_dir.clone(), home.clone(), served));
    let pusher = station.map(|home| {
        (
            tokio::spawn(crate::station::push_while_serving(home)),
            tokio::spawn(crate::station::mirror_while_serving(serving.clone())),
        )
    });
    let shutdown = async move {
        stop_requested().await;
        ticker.abort();
        if let Some((push, mirror)) = pusher {
            push.abort();
            mirror.abort();
        }
    };
    // The session cookie is `Secure` unless development says otherwise: a loopback
    // address is no sign of plain HTTP, since a TLS proxy in front also talks to it there.
    let config = cancuoc_server::ServerConfig {
        secure_cookies: !insecure_cookies,
        ..cancuoc_server::ServerConfig::default()
    };
    match fresh {
        Some(fresh) => {
            cancuoc_server::serve_station(listener, app, config, fresh, shutdown).await?
        }
        None => cancuoc_server::serve(listener, app, config, shutdown).await?,
    }
    // Signed once the requests in flight have finished, so that their events are in it.
    // On a station, the last of its working copy's audit events go to its own chain.
    let last_checkpoint = serving.borrow().clone();
    if let Err(e) = last_checkpoint.mirror_station_audit().await {
        tracing::warn!("the station's audit events were not copied: {e}");
    }
    if checkpointed && let Err(e) = last_checkpoint.write_checkpoint().await {
        tracing::warn!("audit checkpoint failed: {e}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C at a terminal, or SIGTERM, which is how systemd, containers and `kill` stop
/// a service: either one stops the server gracefully, with its last checkpoint.
async fn stop_requested() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

async fn import_forms(
    app: &App,
    file: &Path,
    dry_run: bool,
    rejects: Option<&Path>,
) -> Result<ExitCode> {
    let hash = file_hash(file)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", file.display())))?;
    let reader =
        cancuoc_import::FormReader::open(file).map_err(|e| CliError::usage(e.to_string()))?;
    // Lines or the sheet's last row: about the rows, for the bar only.
    let bar = progress_bar(reader.rows_at_most() as u64, "rows");
    let source = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.display().to_string());
    let request = cancuoc_app::ImportRequest {
        source,
        file_hash: hash,
        file: reader,
        dry_run,
        // Without a rejects file, the first ones are shown and the rest counted.
        rejects_kept: if rejects.is_some() {
            usize::MAX
        } else {
            REJECTS_SHOWN
        },
        keep_rejected_forms: rejects.is_some(),
    };
    let report = app
        .import_forms(&operator(), request, &|written| {
            if let Some(b) = &bar {
                b.set_position(written);
            }
        })
        .await
        .map_err(|e| match e {
            AppError::File(e) => CliError::usage(e.to_string()),
            other => other.into(),
        })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Some(out) = rejects {
        write_rejects(out, &report.rejected_forms, &report.rejected)?;
    }
    let rejected_rows = report.rejected_rows;
    eprintln!(
        "{}{} rows: accepted {}, flagged for review {}, unchanged {}, rejected {}",
        if dry_run {
            "dry run, nothing changed: "
        } else {
            ""
        },
        report.rows,
        report.accepted,
        report.flagged,
        report.unchanged,
        rejected_rows
    );
    for r in report.rejected.iter().take(REJECTS_SHOWN) {
        eprintln!(
            "  row {}{}: {}",
            r.row,
            r.column
                .as_deref()
                .map(|c| format!(", {c}"))
                .unwrap_or_default(),
            r.reason
        );
    }
    if report.rejected_reasons > REJECTS_SHOWN {
        eprintln!(
            "  … {} more (see --rejects)",
            report.rejected_reasons - REJECTS_SHOWN
        );
    }
    let applied = report.accepted + report.flagged + report.unchanged;
    Ok(if applied == 0 && rejected_rows > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// Reasons an import prints; `--rejects` writes them all.
const REJECTS_SHOWN: usize = 20;

/// The SHA-256 of a file, read in blocks.
fn file_hash(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut block = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut block)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(block.get(..n).unwrap_or_default());
    }
}

fn write_rejects(
    out: &Path,
    forms: &[cancuoc_domain::form::RawForm],
    rejected: &[cancuoc_app::RejectedRow],
) -> Result<()> {
    let by_row: HashMap<usize, &cancuoc_domain::form::RawForm> =
        forms.iter().map(|r| (r.row, r)).collect();
    let cannot = |e: &dyn std::fmt::Display| CliError {
        code: 1,
        error: anyhow::anyhow!("cannot write {}: {e}", out.display()),
    };
    // The rows go back to a spreadsheet as they were typed: through the export writer,
    // so that a rejected formula stays text there (issue 14 §6).
    let file = std::fs::File::create(out).map_err(|e| cannot(&e))?;
    let mut w = cancuoc_documents::CsvExport::new(file).map_err(|e| cannot(&e))?;
    let mut header: Vec<&str> = Column::ALL.iter().map(|c| c.name()).collect();
    header.extend(["row", "column", "reason"]);
    let write_err = |e: csv::Error| cannot(&e);
    w.write_record(&header).map_err(write_err)?;
    for r in rejected {
        let mut record: Vec<String> = Vec::with_capacity(COLUMN_COUNT + 3);
        for c in Column::ALL {
            record.push(
                by_row
                    .get(&r.row)
                    .and_then(|raw| raw.get(c))
                    .unwrap_or("")
                    .to_owned(),
            );
        }
        record.push(r.row.to_string());
        record.push(r.column.clone().unwrap_or_default());
        record.push(r.reason.clone());
        w.write_record(&record).map_err(write_err)?;
    }
    w.into_inner().map_err(write_err)?;
    Ok(())
}

async fn officer(app: &App, cmd: &OfficerCommand) -> Result<ExitCode> {
    match cmd {
        OfficerCommand::Add {
            username,
            unit,
            role,
            full_name,
        } => {
            let unit = PoliceUnitCode::parse(unit).map_err(|e| CliError::usage(e.to_string()))?;
            let role = Role::parse(role).ok_or_else(|| {
                CliError::usage(format!(
                    "unknown role {role:?}: one of {}",
                    Role::ALL.map(|r| r.as_str()).join(", ")
                ))
            })?;
            let name = if full_name.is_empty() {
                username.as_str()
            } else {
                full_name.as_str()
            };
            let password = app
                .add_officer(&operator(), username, name, &unit, role, None)
                .await?;
            println!(
                "officer {username} ({}, {unit}) created; one-time password: {password}",
                role.as_str()
            );
        }
        OfficerCommand::List => {
            for o in app.officers(&operator()).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    o.username,
                    o.role.as_str(),
                    o.unit,
                    if o.active { "active" } else { "disabled" },
                    o.full_name
                );
            }
        }
        OfficerCommand::Disable { username } => {
            app.set_officer_active(&operator(), username, false).await?;
            println!("officer {username} disabled; their sessions are closed");
        }
        OfficerCommand::Enable { username } => {
            app.set_officer_active(&operator(), username, true).await?;
            println!("officer {username} enabled");
        }
        OfficerCommand::ResetPassword { username } => {
            let password = app.reset_password(&operator(), username).await?;
            println!(
                "officer {username}: one-time password (change it at first sign-in): {password}"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn forms(app: &App, cmd: &FormsCommand) -> Result<ExitCode> {
    match cmd {
        FormsCommand::List {
            unit,
            status,
            limit,
        } => {
            let page = app
                .staged_forms(
                    &operator(),
                    unit.as_deref(),
                    status.as_deref(),
                    None,
                    Some(*limit),
                )
                .await?;
            for f in page.items {
                println!(
                    "{}\t{}\t{}\t{} row {}\t{}",
                    f.id,
                    f.status.as_str(),
                    f.reason.as_str(),
                    f.source,
                    f.row,
                    f.findings.join("; ")
                );
            }
        }
        FormsCommand::Decide { id, action, reason } => {
            let action = match action.as_str() {
                "verify" => FormAction::Verify,
                "approve" => FormAction::Approve,
                _ => FormAction::Reject(
                    reason
                        .clone()
                        .ok_or_else(|| CliError::usage("a rejection needs --reason"))?,
                ),
            };
            let f = app.decide_form(&operator(), id, action).await?;
            println!("form {} is now {}", f.id, f.status.as_str());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A month given as YYYY-MM: its first day.
fn parse_month(s: &str) -> Result<jiff::civil::Date> {
    jiff::civil::Date::strptime("%Y-%m-%d", format!("{}-01", s.trim()))
        .map_err(|_| CliError::usage(format!("{s:?} is not a month (YYYY-MM)")))
}
