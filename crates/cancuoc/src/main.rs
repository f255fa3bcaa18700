//! The `cancuoc` command line: the one place that picks a storage backend (from the
//! database URL) and wires the application together. Everything it does is a use case
//! of `cancuoc-app`; this file parses arguments, prints results and sets exit codes
//! (0 success, 1 the operation failed, 2 bad usage or bad input).

mod application_import;
mod backend;
mod bench;
mod bench_chip;
mod bench_intake;
mod bench_plan;
mod bench_plan_exact;
mod bench_progress;
mod bench_scale;
mod bench_sync;
mod bench_uploads;
mod campaign;
mod card;
mod chip;
mod commands;
mod enrollment;
mod schedule;
mod secrets;
mod station;
mod vault;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cancuoc",
    version,
    about = "Population register and CCCD card platform"
)]
struct Cli {
    /// Database URL: sqlite://PATH or postgres://USER@HOST:PORT/DB.
    #[arg(long, env = "CANCUOC_DB", global = true, default_value = backend::DEFAULT_DB)]
    db: String,
    /// A hot standby of the PostgreSQL database (postgres://…) for the reads that may lag a
    /// little: name searches, reports, counts. Optional; while it is down, they go to --db.
    #[arg(long, env = "CANCUOC_READ_DB", global = true)]
    read_db: Option<String>,
    /// Folder for local secrets (the personal ID allocation key).
    #[arg(
        long,
        env = "CANCUOC_DATA_DIR",
        global = true,
        default_value = "cancuoc-data"
    )]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create or migrate the database, load reference data, create the administrator.
    Init {
        /// Administrative hierarchy: 2021 (the campaign's) or 2025 (after the merger).
        #[arg(long, default_value = "2021", value_parser = ["2021", "2025"])]
        admin_units: String,
    },
    /// Serve the web console and the JSON API.
    Serve {
        #[arg(long, env = "CANCUOC_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Initialise if needed and load a synthetic province when the register is empty.
        #[arg(long)]
        demo: bool,
        /// Development on plain HTTP from another machine only: the session cookie
        /// without `Secure` (browsers accept `Secure` cookies from http://localhost and
        /// http://127.0.0.1 already; behind a TLS proxy never set this).
        #[arg(long, env = "CANCUOC_INSECURE_COOKIES")]
        insecure_cookies: bool,
    },
    /// Load a synthetic population into the register.
    Demo {
        #[arg(long, default_value = "42")]
        province: String,
        #[arg(long, default_value_t = 20_000)]
        people: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Import files.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Personal ID numbers.
    #[command(subcommand)]
    Id(IdCommand),
    /// Card rules that need no database.
    #[command(subcommand)]
    Card(CardCommand),
    /// Machine-readable zones (ICAO 9303 TD1 in Vietnam's layout).
    #[command(subcommand)]
    Mrz(MrzCommand),
    /// The card's chip (ICAO 9303 parts 10 and 11).
    #[command(subcommand)]
    Chip(ChipCommand),
    /// Officers.
    #[command(subcommand)]
    Officer(OfficerCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The biometrics vault.
    #[command(subcommand)]
    Vault(VaultCommand),
    /// The chip's public key infrastructure (ICAO 9303-12): the country signing CA,
    /// Document Signers, the CRL, the production line's key.
    #[command(subcommand)]
    Pki(PkiCommand),
    /// A mobile station: this laptop's own database, enrolled with the central server.
    #[command(subcommand)]
    Station(StationCommand),
    /// The production centre's batches.
    #[command(subcommand)]
    Batch(BatchCommand),
    /// What the production line does with a personalisation package.
    #[command(subcommand)]
    Personalisation(PersonalisationCommand),
    /// Staged collection forms awaiting review.
    #[command(subcommand)]
    Forms(FormsCommand),
    /// Show the effective configuration, secrets redacted.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Measure the performance goals next to their peers (see docs/benchmarks.md).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Enrollment planning: propose sessions and accept them.
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// Enrollment sites (fixed and mobile).
    #[command(subcommand)]
    Site(SiteCommand),
    /// Enrollment machines (kits).
    #[command(subcommand)]
    Machine(MachineCommand),
    /// Enrollment sessions: slots, invitations, and the day itself.
    #[command(subcommand)]
    Session(SessionCommand),
    /// Campaigns (chiến dịch) and their periods.
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// Targets (chỉ tiêu) of police units in a campaign.
    #[command(subcommand)]
    Quota(QuotaCommand),
    /// Campaign reports: progress, the daily report, and the recount of kept counts.
    #[command(subcommand)]
    Report(ReportCommand),
}

#[derive(Subcommand)]
enum ScheduleCommand {
    /// What each unit needs to finish by a day: the machines (and machine-hours a day)
    /// its eligible people need, and the day it finishes with its own machines and at
    /// its pace; a province's units district by district.
    Need {
        #[arg(long)]
        unit: String,
        /// The day everyone should be served by, YYYY-MM-DD.
        #[arg(long)]
        by: String,
        #[arg(long, default_value = "table", value_parser = ["table", "json"])]
        format: String,
    },
    /// Propose sessions per commune and day for a unit's machines, from the register's
    /// eligible population, and measure their idle machine time and waiting times.
    /// With --accept, make them: sites, sessions and household invitations.
    Plan {
        #[arg(long)]
        unit: String,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last day (weekends included).
        #[arg(long)]
        to: String,
        /// Machines to plan with (default: the unit's registered active machines).
        #[arg(long)]
        machines: Option<u32>,
        #[arg(long, default_value_t = cancuoc_app::DEFAULT_SHOW_UP)]
        show_up: f64,
        /// Minutes per application (default: the mean of the unit's machines, else 15).
        #[arg(long)]
        service_min: Option<f64>,
        #[arg(long, default_value_t = cancuoc_app::DEFAULT_HOURS.0)]
        open_hour: f64,
        #[arg(long, default_value_t = cancuoc_app::DEFAULT_HOURS.1)]
        close_hour: f64,
        /// The lunch break, in hours (no session runs through it).
        #[arg(long, default_value_t = cancuoc_app::DEFAULT_LUNCH.0)]
        lunch_from: f64,
        #[arg(long, default_value_t = cancuoc_app::DEFAULT_LUNCH.1)]
        lunch_to: f64,
        /// Work through lunch.
        #[arg(long, conflicts_with_all = ["lunch_from", "lunch_to"])]
        no_lunch: bool,
        /// An hour at which a long day changes shifts (repeat for three shifts), e.g.
        /// --close-hour 23 --shift-change 15.
        #[arg(long = "shift-change")]
        shift_changes: Vec<f64>,
        /// Share of machine time kept for walk-ins (default: what the unit's sessions of
        /// the last fortnight saw).
        #[arg(long)]
        walk_in_share: Option<f64>,
        /// Minutes by road a small commune's people are asked to come to a neighbour's
        /// site instead of the team moving (default 15; 0 keeps every commune at its own).
        #[arg(long, value_name = "MIN")]
        gather_within: Option<u32>,
        #[arg(long, default_value = "table", value_parser = ["table", "json"])]
        format: String,
        /// Create the planned sites and sessions and invite every household.
        #[arg(long)]
        accept: bool,
    },
}

#[derive(Subcommand)]
enum SiteCommand {
    /// Add a fixed site (the unit's office) or a mobile one (a place in a commune).
    Add {
        #[arg(long)]
        unit: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["fixed", "mobile"])]
        kind: String,
        /// GSO code of the commune the site is in.
        #[arg(long)]
        commune: String,
        #[arg(long)]
        address: String,
        #[arg(long, default_value = "07:00")]
        opens: String,
        #[arg(long, default_value = "17:00")]
        closes: String,
    },
    /// Sites in your jurisdiction.
    List {
        #[arg(long)]
        unit: Option<String>,
    },
}

#[derive(Subcommand)]
enum MachineCommand {
    /// Register an enrollment kit with its minutes per application.
    Add {
        #[arg(long)]
        unit: String,
        #[arg(long)]
        label: String,
        #[arg(long, default_value_t = 15)]
        minutes: u32,
    },
    List {
        #[arg(long)]
        unit: String,
    },
}

#[derive(Subcommand)]
enum SessionCommand {
    /// Hold a session at a site: a day, a time window, machines and officers.
    Add {
        #[arg(long)]
        site: String,
        #[arg(long)]
        date: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long, default_value_t = 30)]
        slot: u32,
        /// Machine labels, comma-separated (default: all the unit's active machines).
        #[arg(long, value_delimiter = ',')]
        machines: Vec<String>,
        /// Officers' usernames, comma-separated.
        #[arg(long, value_delimiter = ',')]
        officers: Vec<String>,
    },
    /// Sessions between two days.
    List {
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: Option<String>,
        #[arg(long, default_value = "table", value_parser = ["table", "json"])]
        format: String,
    },
    /// A session's slots and live queue.
    Show {
        id: String,
        #[arg(long, default_value = "table", value_parser = ["table", "json"])]
        format: String,
    },
    /// Invite the households of the session's commune into its free places.
    Invite { id: String },
    /// The session's invitation letters: one PDF, or CSV for mail merge.
    Letters {
        id: String,
        #[arg(long, default_value = "pdf", value_parser = ["pdf", "csv"])]
        format: String,
        #[arg(long)]
        output: String,
    },
    /// Check a person in by queue number or personal ID.
    CheckIn {
        id: String,
        #[arg(
            long,
            conflicts_with = "personal_id",
            required_unless_present = "personal_id"
        )]
        queue: Option<u32>,
        #[arg(long = "id")]
        personal_id: Option<String>,
    },
    /// Someone without an appointment: the next free slot.
    WalkIn {
        id: String,
        #[arg(long = "id")]
        personal_id: String,
    },
    /// Call the next person to a free machine.
    Next { id: String },
    /// Release the places of those booked who did not come.
    Release { id: String },
    /// The session's figures so far.
    Figures {
        id: String,
        #[arg(long, default_value = "table", value_parser = ["table", "json"])]
        format: String,
    },
    /// End the day: the rest are no-shows; prints the figures.
    Close {
        id: String,
        #[arg(long, default_value = "table", value_parser = ["table", "json"])]
        format: String,
    },
}

#[derive(Subcommand)]
enum CampaignCommand {
    /// Create a campaign; prints its id.
    Create {
        #[arg(long)]
        name: String,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        start: String,
        /// Last day, YYYY-MM-DD.
        #[arg(long)]
        end: String,
    },
    /// List the campaigns.
    List,
}

#[derive(Subcommand)]
enum QuotaCommand {
    /// Set a unit's target and, with --split, share it out among the units under it so
    /// that their targets add up exactly.
    Set {
        #[arg(long)]
        campaign: String,
        /// Police unit code: BCA, CAT-42, PC06-42, CAH-436, CAX-18541.
        #[arg(long)]
        unit: String,
        /// Target for the whole period.
        #[arg(long)]
        total: u64,
        /// Target per day.
        #[arg(long)]
        daily: Option<u64>,
        /// Share among the child units: equally, or by their eligible population.
        #[arg(long, value_parser = ["equal", "eligible"])]
        split: Option<String>,
    },
}

#[derive(Subcommand)]
enum ReportCommand {
    /// A unit and its child units on a date: intake, progress, rank, eligible, forecast.
    Progress {
        #[arg(long)]
        campaign: String,
        /// Police unit code (default: the whole country).
        #[arg(long)]
        unit: Option<String>,
        /// YYYY-MM-DD (default: today in Vietnam).
        #[arg(long)]
        date: Option<String>,
        #[arg(long, default_value = "table", value_parser = ["table", "json", "csv", "xlsx"])]
        format: String,
        /// Write here instead of standard output (required for xlsx).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// The daily report a unit sends up: each child's intake against its daily target,
    /// best first, the units that met it, and the total.
    Daily {
        #[arg(long)]
        campaign: String,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        date: Option<String>,
        #[arg(long, default_value = "table", value_parser = ["table", "json", "xlsx", "pdf"])]
        format: String,
        /// Write here instead of standard output (required for xlsx and pdf).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Recount every unit's intake per day from the applications, and every place's
    /// eligible population from the register, and compare them with the counts kept at
    /// write time; exits 1 and lists the differences if any.
    Verify,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// A production batch personalised in memory (data groups, hashes, the DS signature,
    /// the chip's key pairs, the sealed package), in cards per second on every core, next
    /// to `openssl speed ecdsap256` on one core.
    Chip {
        #[arg(long, default_value_t = 10_000)]
        cards: usize,
    },
    /// The enrollment planner on a whole province (synthetic eligible population per
    /// commune, every district police unit and PC06), next to a walk-in baseline on the
    /// same sessions and the lower bound on the days needed; then on small districts and a
    /// mop-up district, next to CP-SAT's optimum (python3 with PyPI ortools).
    Plan {
        #[arg(long, default_value = "42")]
        province: String,
        #[arg(long, default_value_t = 1_100_000)]
        eligible: u64,
        /// Machines per unit.
        #[arg(long, default_value_t = 4)]
        machines: u32,
        /// Minutes per application.
        #[arg(long, default_value_t = 15.0)]
        service_min: f64,
        #[arg(long, default_value_t = 7.0)]
        open_hour: f64,
        #[arg(long, default_value_t = 17.0)]
        close_hour: f64,
        #[arg(long, default_value_t = 0.85)]
        show_up: f64,
        /// Expected arrivals ÷ machine capacity the planner invites for.
        #[arg(long, default_value_t = 0.93)]
        load: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where the small and mop-up instances are written as JSON, with the solver script.
        #[arg(long, default_value = "cancuoc-bench/plan")]
        instances: std::path::PathBuf,
        /// CP-SAT's time limit per instance, in seconds.
        #[arg(long, default_value_t = 120)]
        solver_seconds: u64,
        /// Plan the small instances without running CP-SAT beside the planner.
        #[arg(long)]
        no_solver: bool,
    },
    /// The national progress report over many applications (default 50 million), read
    /// from the counts kept at intake, next to a GROUP BY over the applications table.
    /// The database is kept in --work-dir and reused by the next run.
    Progress {
        #[arg(long, default_value_t = 50_000_000)]
        applications: u64,
        #[arg(long, default_value = "cancuoc-bench")]
        work_dir: PathBuf,
        /// Also on PostgreSQL (a database on this server is created for it).
        #[arg(long)]
        postgres: Option<String>,
        /// Reports timed after the first.
        #[arg(long, default_value_t = 30)]
        runs: usize,
    },
    /// Applications with biometrics filed at a mobile station and pushed to the server as
    /// packets, next to the same applications posted as one plain HTTP body each.
    Sync {
        #[arg(long, default_value_t = 1_000)]
        applications: usize,
    },
    /// Applications a second through the HTTP API with ~250 KB of biometrics each, next
    /// to the raw write + fsync bandwidth of the same bytes (and PostgreSQL with --postgres).
    Intake {
        #[arg(long, default_value_t = 3_000)]
        applications: usize,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 16)]
        clients: usize,
        /// Keep the database and the vault here (default: a temporary folder).
        #[arg(long)]
        work_dir: Option<PathBuf>,
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Rows per second of `import forms` on generated forms, next to `sqlite3 .import`
    /// (and `psql \copy` with --postgres) of the same CSV.
    Import {
        #[arg(long, default_value_t = 1_000_000)]
        people: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Keep the generated files here (default: a temporary folder, removed after).
        #[arg(long)]
        work_dir: Option<PathBuf>,
        /// Also measure PostgreSQL: a URL to a server where databases may be created.
        #[arg(long)]
        postgres: Option<String>,
    },
    /// The server's resident memory before and after hostile import files (a line of
    /// millions of cells, 2,000-character names, millions of tiny rows, rejected rows, a
    /// file that breaks off at its end), sent by curl; goal: within 100 MB of the start.
    Uploads {
        #[arg(long, default_value_t = 10)]
        uploads: usize,
        #[arg(long, default_value_t = 50)]
        megabytes: usize,
        /// Keep the database and the files here (default: a temporary folder).
        #[arg(long)]
        work_dir: Option<PathBuf>,
    },
    /// National registers of growing size on PostgreSQL (spread over the 63 provinces),
    /// each measured alike: ID look-up and name search over HTTP, the national eligible
    /// report from the kept counts next to a count of the register and a plain count(*),
    /// the national progress report over HTTP, filings with biometrics on two server
    /// nodes. Each register is built once (database cancuoc_bench_scale_<people>) and
    /// reused by later runs.
    Scale {
        /// Register sizes, comma-separated.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "1000000,3000000,10000000"
        )]
        people: Vec<u64>,
        /// A server where databases may be created.
        #[arg(long)]
        postgres: String,
        #[arg(long, default_value = "cancuoc-bench")]
        work_dir: PathBuf,
        /// Look-ups, searches and reports timed per size.
        #[arg(long, default_value_t = 2_000)]
        requests: usize,
        /// Applications filed per size, half on each node.
        #[arg(long, default_value_t = 1_000)]
        filings: usize,
    },
    /// p50/p99 of ID look-up and name search through the HTTP API, next to the same
    /// calls in process; the register is built once in --work-dir and reused.
    Lookup {
        #[arg(long, default_value_t = 10_000_000)]
        people: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value = "cancuoc-bench")]
        work_dir: PathBuf,
        #[arg(long, default_value_t = 2_000)]
        requests: usize,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Card applications taken by stations that worked offline (CSV UTF-8, columns
    /// personal_id, type, intake_unit, intake_date, channel; optional reason, station,
    /// identifying_marks, exemption, old_card_returned).
    Applications {
        file: PathBuf,
        /// Validate and report without filing anything.
        #[arg(long)]
        dry_run: bool,
        /// Write every rejected row here with `row`, `column` and `reason` added.
        #[arg(long)]
        rejects: Option<PathBuf>,
    },
    /// Collection forms (phiếu thu thập thông tin dân cư), CSV UTF-8 or XLSX.
    Forms {
        file: PathBuf,
        /// Validate and report without changing the register.
        #[arg(long)]
        dry_run: bool,
        /// Write every rejected row here with `row`, `column` and `reason` added.
        #[arg(long)]
        rejects: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum IdCommand {
    /// Explain a personal ID number or say why it is not one.
    Check {
        number: String,
        #[arg(long)]
        json: bool,
    },
    /// Allocate a new personal ID number.
    Allocate {
        /// 2-digit GSO code of the province of birth registration.
        #[arg(long)]
        province: String,
        #[arg(long, value_parser = ["male", "female"])]
        sex: String,
        #[arg(long)]
        birth_year: i16,
    },
}

#[derive(Subcommand)]
enum CardCommand {
    /// The expiry of a card by the holder's birth date and the issue date (2014 or 2023
    /// law, chosen by the issue date); prints `none` for a card that never expires.
    Expiry {
        /// Birth date: YYYY-MM-DD, dd/mm/yyyy, mm/yyyy or yyyy.
        #[arg(long)]
        born: String,
        /// Issue date: YYYY-MM-DD or dd/mm/yyyy.
        #[arg(long)]
        issued: String,
        #[arg(long)]
        json: bool,
    },
    /// Write the chip's public files of a person's latest card into DIR as EF.COM,
    /// EF.CardAccess, EF.DG1 … EF.SOD, exactly as a reader gets them.
    Chip {
        personal_id: String,
        #[arg(long)]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum PkiCommand {
    /// Create the country signing CA (ECDSA P-256, its key sealed in the vault), its first
    /// Document Signer and an empty CRL.
    Init,
    /// Start a new Document Signer for the next usage period; the old ones stay valid for
    /// the cards they signed.
    Rotate,
    /// Revoke a Document Signer by serial number and issue the CRL that lists it.
    RevokeDs { serial: i64 },
    /// Issue the CRL again (due every 90 days; `rotate` issues one too).
    Crl,
    /// List the certificates, the CRL and the production line keys.
    Status,
    /// Write the CSCA certificate (PEM), the CRL (DER) and the Document Signers'
    /// certificates (PEM, one file each, named by serial).
    Export {
        #[arg(long)]
        csca: Option<PathBuf>,
        #[arg(long)]
        crl: Option<PathBuf>,
        #[arg(long)]
        ds_dir: Option<PathBuf>,
    },
    /// Generate a production line's key pair: the private key goes to FILE (mode 0600,
    /// for the line), the public key is registered; packages are sealed to it from now.
    LineKey {
        #[arg(long)]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum StationCommand {
    /// Make this station's keys (sealed in its vault) and ask the central server to enrol
    /// it; prints the station's id. An officer of the unit approves it in the console.
    Enrol {
        /// The central server, e.g. https://cancuoc.example.vn
        #[arg(long)]
        server: String,
        /// The district police unit the station belongs to, e.g. CAH-436.
        #[arg(long)]
        unit: String,
        /// The team's name, e.g. "Tổ lưu động số 1".
        #[arg(long)]
        name: String,
    },
    /// Fetch the station's extract from the server (residents, households and officers of
    /// its communes), check that the server signed it for this station, and keep it
    /// sealed in the vault.
    Pull,
    /// Send the packets filed at the station to the server, resuming any it holds part
    /// of, and keep each answer (filed with its receipt, or refused with a reason).
    Push {
        #[arg(long, default_value = "table", value_parser = ["table", "json"])]
        format: String,
    },
    /// Try a station against a central server on this machine started with `serve
    /// --demo` (CANCUOC_ADMIN_PASSWORD set to its administrator's password): enrol, make
    /// a district officer for the station, approve it for the district's communes, pull,
    /// and serve the station's console.
    Demo {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
        #[arg(long, default_value = "CAH-436")]
        unit: String,
        #[arg(long, default_value = "127.0.0.1:8081")]
        listen: String,
    },
    /// The station's state: its id, its server, and its extract (read and checked again:
    /// one altered on the laptop is refused).
    Status {
        #[arg(long, default_value = "table", value_parser = ["table", "json"])]
        format: String,
    },
}

#[derive(Subcommand)]
enum BatchCommand {
    /// Write every card's sealed personalisation package of a batch into DIR as
    /// PERSONAL_ID.ccpk.
    Personalisation {
        id: String,
        #[arg(long)]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum PersonalisationCommand {
    /// Open a sealed package with the line's private key and write the chip's files into
    /// DIR, with the chip's private keys and access data in DIR/keys.json.
    Open {
        package: PathBuf,
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum ChipCommand {
    /// Print the Basic Access Control keys K_seed, K_enc and K_mac (ICAO 9303-11, with
    /// DES parity) for a document number and two MRZ dates.
    BacKeys {
        /// The document number as the MRZ prints it (up to nine characters).
        #[arg(long)]
        document: String,
        /// Birth date, YYMMDD.
        #[arg(long)]
        birth: String,
        /// Expiry date, YYMMDD.
        #[arg(long)]
        expiry: String,
    },
    /// Passive authentication of the chip files in DIR (EF.SOD, EF.DG1 …, as `card chip`
    /// writes them): exit 0 when valid, 1 naming every failed check. Trusts --csca and
    /// --crl when given, DIR/csca.pem and DIR/crl.der when there, else the register's.
    Verify {
        dir: PathBuf,
        #[arg(long)]
        csca: Option<PathBuf>,
        #[arg(long)]
        crl: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum MrzCommand {
    /// Read {"personal_id", "full_name", "birth_date", "sex", "expiry_date" or null} as
    /// JSON on stdin and print the card's three MRZ lines.
    Encode,
    /// Read MRZ lines on stdin (TD1, TD3 or the Vietnamese TD1); exit 0 when every check
    /// digit holds, 2 naming each failing field otherwise.
    Check,
}

#[derive(Subcommand)]
enum OfficerCommand {
    /// Add an officer; prints a one-time password.
    Add {
        #[arg(long)]
        username: String,
        /// Police unit code: BCA, C06, C06-TTCC, CAT-42, PC06-42, CAH-436, CAX-18541.
        #[arg(long)]
        unit: String,
        /// commune_officer, district_officer, province_officer, ministry_officer,
        /// production_operator, auditor or admin.
        #[arg(long)]
        role: String,
        #[arg(long, default_value = "")]
        full_name: String,
    },
    List,
    /// Disable an officer and close their sessions (the only active administrator
    /// cannot be disabled).
    Disable {
        username: String,
    },
    /// Enable a disabled officer again.
    Enable {
        username: String,
    },
    /// Give an officer a new one-time password (printed), to be changed at the next
    /// sign-in; their sessions end.
    ResetPassword {
        username: String,
    },
}

#[derive(Subcommand)]
enum VaultCommand {
    /// List the objects no application refers to (a dry run); with --apply, remove those
    /// older than the grace period.
    Gc {
        /// Remove the unreferenced objects past the grace period.
        #[arg(long)]
        apply: bool,
        /// Hours an unreferenced object is kept: a filing seals its object before its
        /// transaction commits.
        #[arg(long, default_value_t = 24)]
        grace_hours: u32,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the chain's MACs and its signed checkpoints; exits 1 at the first event
    /// that fails, naming it and why. Months archived on PostgreSQL are skipped: the walk
    /// starts from the last archived event's hash.
    Verify {
        /// Only this month (YYYY-MM, Vietnam time): its events from the one before it.
        #[arg(long)]
        month: Option<String>,
    },
    /// The trail's months (PostgreSQL partitions) with their first and last events.
    Months,
    /// Detach the months before --before (YYYY-MM) from the trail for archive
    /// (PostgreSQL), keeping each one's first and last hashes; the month holding the
    /// chain's last event stays. Export a detached table (pg_dump -t NAME), then drop it.
    Archive {
        #[arg(long)]
        before: String,
    },
    /// Sign the chain's head into DATA_DIR/audit-checkpoints.jsonl (the server also
    /// does it every 10 minutes and when it stops).
    Checkpoint,
}

#[derive(Subcommand)]
enum FormsCommand {
    /// List open staged forms (or those with --status).
    List {
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Decide on a staged form: verify, approve or reject (with --reason).
    Decide {
        id: String,
        #[arg(value_parser = ["verify", "approve", "reject"])]
        action: String,
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    Print,
}

/// An import makes and frees many small allocations (a million parsed rows, their JSON,
/// the SQL values): glibc's malloc and free were a tenth of its profile, and it ran
/// faster with mimalloc (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    commands::init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(e.exit_code())
        }
    }
}
