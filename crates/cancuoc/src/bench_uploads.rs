//! `cancuoc bench uploads`: the server's resident memory before and after hostile import
//! files posted to `POST /api/v1/forms/import`, next to the goal that it ends within
//! 100 MB of where it started. The files are written to disk and sent by curl, a process
//! of its own, so that only the server's memory is in this process.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use crate::bench::{BENCH_PASSWORD, BenchServer, open_app};
use crate::commands::{CliError, Result};

const OFFICER: &str = "bench.uploads";
/// Growth of resident memory allowed once the uploads are over.
const GROWTH_GOAL_MB: f64 = 100.0;

const HEADER: &str = "so_dinh_danh,cmnd_cu,ho_ten,ngay_sinh,gioi_tinh,noi_dang_ky_khai_sinh,\
que_quan,dan_toc,ton_giao,quoc_tich,nhom_mau,tinh_trang_hon_nhan,thuong_tru_ma_xa,\
thuong_tru_dia_chi,so_ho,quan_he_chu_ho,ho_ten_cha,ho_ten_me";

fn failed(msg: impl Into<String>) -> CliError {
    CliError::failed(msg)
}

pub struct UploadsArgs<'a> {
    pub uploads: usize,
    pub megabytes: usize,
    pub work_dir: Option<&'a Path>,
}

/// The hostile files, taken in turn.
#[derive(Debug, Clone, Copy)]
enum Hostile {
    /// One line of millions of cells after one good-looking ID.
    WideLine,
    /// Rows whose name is 2,000 characters.
    LongCells,
    /// Millions of one-character rows, past the rows a file may have.
    TinyRows,
    /// Rows that are all rejected (31 February).
    RejectedRows,
    /// Good rows, then a byte that is not UTF-8: written, then undone.
    BreaksOffLate,
}

impl Hostile {
    const ALL: [Self; 5] = [
        Self::WideLine,
        Self::LongCells,
        Self::TinyRows,
        Self::RejectedRows,
        Self::BreaksOffLate,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::WideLine => "one line of millions of cells",
            Self::LongCells => "names of 2,000 characters",
            Self::TinyRows => "millions of one-character rows",
            Self::RejectedRows => "rows that are all rejected",
            Self::BreaksOffLate => "good rows, then a bad byte at the end",
        }
    }

    /// Writes about `bytes` of the file to `path`, a line at a time.
    fn write(self, path: &Path, bytes: usize) -> Result<()> {
        let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
        writeln!(out, "{HEADER}")?;
        let mut written = HEADER.len();
        let mut i = 0usize;
        while written < bytes {
            i += 1;
            let line = match self {
                Self::WideLine => {
                    out.write_all(b"042090000001")?;
                    let block = ",x".repeat(1 << 16);
                    while written < bytes {
                        out.write_all(block.as_bytes())?;
                        written += block.len();
                    }
                    "\n".to_owned()
                }
                Self::LongCells => format!(
                    "042090{:06},,{},01/01/1990,Nam,42,42,Kinh,Không,VNM,,,18073,Tổ 1,,,,\n",
                    i % 1_000_000,
                    "A".repeat(2_000)
                ),
                Self::TinyRows => "x\n".to_owned(),
                Self::RejectedRows => format!(
                    "042090{:06},,Người Thứ {i},31/02/1990,Nam,42,42,Kinh,Không,VNM,,,18073,Tổ 1,,,,\n",
                    i % 1_000_000
                ),
                Self::BreaksOffLate => format!(
                    "042090{:06},,{},01/01/1990,Nam,42,42,Kinh,Không,VNM,,,18073,Tổ 1,,,,\n",
                    i % 1_000_000,
                    name(i)
                ),
            };
            out.write_all(line.as_bytes())?;
            written += line.len();
        }
        if matches!(self, Self::BreaksOffLate) {
            out.write_all(b"042090999999,,Ng\xF0\x28i,01/01/1990,Nam,42,42,Kinh,Kh\xF4ng,VNM\n")?;
        }
        out.flush()?;
        Ok(())
    }
}

/// A name told apart by its syllables (a name may not hold digits).
fn name(i: usize) -> String {
    const SYLLABLES: [&str; 10] = [
        "An", "Bình", "Cường", "Dũng", "Hòa", "Lâm", "Minh", "Nam", "Phúc", "Quân",
    ];
    let mut name = String::from("Nguyễn");
    for digit in format!("{:06}", i % 1_000_000).bytes() {
        name.push(' ');
        name.push_str(
            SYLLABLES
                .get(usize::from(digit - b'0'))
                .copied()
                .unwrap_or_default(),
        );
    }
    name
}

/// This process's resident memory now and at its peak, in MB (Linux `/proc`).
fn memory_mb() -> Option<(f64, f64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
            .map(|kb| kb * 1024.0 / 1e6)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Posts a file with curl; the status and the answer's `code`.
fn post(base: &str, token: &str, file: &Path, answer: &Path) -> Result<(u16, String)> {
    let out = Command::new("curl")
        .args(["-s", "-o"])
        .arg(answer)
        .args(["-w", "%{http_code}", "-H"])
        .arg(format!("Authorization: Bearer {token}"))
        .args(["-H", "Content-Type: text/csv", "--data-binary"])
        .arg(format!("@{}", file.display()))
        .arg(format!("{base}/forms/import?name=hostile.csv"))
        .output()
        .map_err(|e| failed(format!("curl is needed to send the files: {e}")))?;
    let status: u16 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|_| failed("curl printed no status"))?;
    let body: serde_json::Value =
        serde_json::from_slice(&std::fs::read(answer).unwrap_or_default()).unwrap_or_default();
    let code = body
        .get("code")
        .and_then(|c| c.as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| {
            format!(
                "{} rows, {} rejected",
                body.get("rows").unwrap_or(&serde_json::Value::Null),
                body.get("rejected_rows")
                    .unwrap_or(&serde_json::Value::Null)
            )
        });
    Ok((status, code))
}

pub async fn uploads(args: &UploadsArgs<'_>) -> Result<ExitCode> {
    let (dir, temporary) = match args.work_dir {
        Some(d) => (d.to_path_buf(), false),
        None => (
            std::env::temp_dir().join(format!("cancuoc-bench-uploads-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(&dir)?;
    let outcome = run(args, &dir).await;
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    outcome
}

async fn run(args: &UploadsArgs<'_>, dir: &Path) -> Result<ExitCode> {
    let db_path = dir.join("cancuoc.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db_path.display()));
    }
    let app = open_app(&format!("sqlite://{}", db_path.display())).await?;
    app.init("2021", Some(BENCH_PASSWORD)).await?;
    let running = BenchServer::start_as_province_officer(&app, OFFICER).await?;
    let answer = dir.join("answer.json");
    let file: PathBuf = dir.join("hostile.csv");

    // One ordinary import first, so that the start is a server that has done its work once.
    Hostile::BreaksOffLate.write(&file, 1 << 20)?;
    post(&running.base, &running.token, &file, &answer)?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (before, _) =
        memory_mb().ok_or_else(|| failed("resident memory is read from /proc: Linux only"))?;
    println!(
        "cancuoc bench uploads: {} hostile files of {} MB to POST /api/v1/forms/import (SQLite)",
        args.uploads, args.megabytes
    );
    println!("  resident memory at the start: {before:.0} MB");
    let mut server_errors = 0;
    for n in 0..args.uploads {
        let kind = Hostile::ALL
            .get(n % Hostile::ALL.len())
            .copied()
            .unwrap_or(Hostile::WideLine);
        kind.write(&file, args.megabytes << 20)?;
        let started = Instant::now();
        let (status, code) = post(&running.base, &running.token, &file, &answer)?;
        if status >= 500 {
            server_errors += 1;
        }
        let (now, _) = memory_mb().unwrap_or_default();
        println!(
            "  {:>2}. {:<40} {status} {code:<32} {:>6.2} s  resident {now:.0} MB",
            n + 1,
            kind.name(),
            started.elapsed().as_secs_f64()
        );
    }
    running.stop().await;
    // The allocator gives freed memory back after a short delay.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (after, peak) = memory_mb().unwrap_or_default();
    let growth = after - before;
    println!(
        "  resident memory at the end: {after:.0} MB ({growth:+.0} MB; goal within {GROWTH_GOAL_MB:.0} MB: {}), peak {peak:.0} MB",
        if growth <= GROWTH_GOAL_MB {
            "met"
        } else {
            "missed"
        }
    );
    if server_errors > 0 {
        return Err(failed(format!("{server_errors} uploads were answered 5xx")));
    }
    Ok(ExitCode::SUCCESS)
}
