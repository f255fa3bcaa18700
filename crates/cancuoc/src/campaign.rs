//! `cancuoc campaign|quota|report`: campaign steering from the command line.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use cancuoc_app::{App, QuotaRequest};
use cancuoc_domain::campaign::{ProgressReport, ProgressRow, Split, Tenths, group_thousands};
use jiff::civil::Date;
use uuid::Uuid;

use crate::commands::{CliError, Result, operator};

fn campaign_id(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s.trim())
        .map_err(|_| CliError::usage(format!("{s:?} is not a campaign id (see `campaign list`)")))
}

pub async fn list(app: &App) -> Result<ExitCode> {
    for c in app.campaigns(&operator()).await? {
        println!(
            "{}  {} – {}  {}",
            c.id,
            vi_date(c.period.start),
            vi_date(c.period.end),
            c.name
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn set_quota(
    app: &App,
    campaign: &str,
    unit: &str,
    total: u64,
    daily: Option<u64>,
    split: Option<&str>,
) -> Result<ExitCode> {
    let split = split
        .map(|s| Split::parse(s).ok_or_else(|| CliError::usage("--split is equal or eligible")))
        .transpose()?;
    let request = QuotaRequest {
        unit: unit.to_owned(),
        total,
        daily,
        split,
    };
    let written = app
        .set_quota(&operator(), campaign_id(campaign)?, &request)
        .await?;
    for q in written {
        let daily = q
            .daily
            .map(|d| format!(", {} a day", group_thousands(d, ',')))
            .unwrap_or_default();
        println!("{}: {}{daily}", q.unit, group_thousands(q.total, ','));
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn report(
    app: &App,
    campaign: &str,
    unit: Option<&str>,
    date: Option<&str>,
) -> Result<ProgressReport> {
    Ok(app
        .progress_report(&operator(), campaign_id(campaign)?, unit, date)
        .await?)
}

pub async fn verify(app: &App) -> Result<ExitCode> {
    let mismatches = app.verify_intake_counts(&operator()).await?;
    let mut agree = true;
    if mismatches.is_empty() {
        println!("intake counts agree with a full recount of the applications");
    } else {
        for m in &mismatches {
            println!(
                "{} {}: kept {}, recounted {}",
                m.unit, m.day, m.kept, m.recounted
            );
        }
        eprintln!("{} unit-days differ from the recount", mismatches.len());
        agree = false;
    }
    let eligible = app.verify_eligible_counts(&operator()).await?;
    match eligible.day {
        None => {
            println!("eligible counts are not kept yet (the server counts them when it starts)")
        }
        Some(day) if eligible.mismatches.is_empty() => println!(
            "eligible counts for {day} agree with a full recount of the register ({} places)",
            eligible.places
        ),
        Some(day) => {
            for m in &eligible.mismatches {
                println!(
                    "eligible {day} {}/{}/{}: kept {}, recounted {}",
                    m.province, m.district, m.commune, m.kept, m.recounted
                );
            }
            eprintln!(
                "{} places' eligible counts differ from the recount",
                eligible.mismatches.len()
            );
            agree = false;
        }
    }
    Ok(if agree {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn vi_date(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
}

fn pct(p: Option<Tenths>) -> String {
    p.map_or_else(|| "—".to_owned(), |t| t.vi())
}

fn num(n: Option<u64>) -> String {
    n.map_or_else(|| "—".to_owned(), |n| group_thousands(n, '.'))
}

/// Writes bytes to `output`, or to standard output when none is given. Binary formats
/// need a file, or a pipe rather than a terminal.
pub(crate) fn emit(bytes: &[u8], output: Option<&Path>, binary: bool) -> Result<ExitCode> {
    match output {
        Some(path) => {
            std::fs::write(path, bytes)
                .map_err(|e| CliError::failed(format!("cannot write {}: {e}", path.display())))?;
            eprintln!("written to {}", path.display());
        }
        None if binary && std::io::stdout().is_terminal() => {
            return Err(CliError::usage(
                "this format is binary: give --output FILE or redirect standard output",
            ));
        }
        None => std::io::stdout().write_all(bytes)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn json(report: &ProgressReport) -> Result<Vec<u8>> {
    let mut text = serde_json::to_vec_pretty(report)
        .map_err(|e| CliError::failed(format!("cannot write JSON: {e}")))?;
    text.push(b'\n');
    Ok(text)
}

/// Columns padded to their widest cell; numbers right-aligned.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>], right: &[bool]) -> String {
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            let pad = " ".repeat(w - width(cell));
            if right.get(i).copied().unwrap_or(false) {
                out.push_str(&pad);
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.push_str(&pad);
            }
        }
        out.trim_end().to_owned() + "\n"
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

fn heading(report: &ProgressReport) -> String {
    format!(
        "{} ({} – {}), ngày {}\n\n",
        report.campaign,
        vi_date(report.period.start),
        vi_date(report.period.end),
        vi_date(report.date)
    )
}

fn progress_cells(r: &ProgressRow) -> Vec<String> {
    vec![
        r.unit_code.to_string(),
        r.unit_name.clone(),
        group_thousands(r.intake_day, '.'),
        group_thousands(r.intake_period, '.'),
        num(r.target_total),
        pct(r.progress_pct),
        num(r.target_daily),
        pct(r.daily_pct),
        r.rank.map_or_else(|| "—".into(), |n| n.to_string()),
        num(r.eligible),
        r.projected_completion.map_or_else(|| "—".into(), vi_date),
        num(r.daily_needed),
        r.status.map_or("—", |s| s.vi()).to_owned(),
    ]
}

pub fn print_progress(
    report: &ProgressReport,
    format: &str,
    output: Option<&Path>,
) -> Result<ExitCode> {
    match format {
        "json" => emit(&json(report)?, output, false),
        "csv" => {
            let bytes = cancuoc_documents::csv_export_of(report.rows())
                .map_err(|e| CliError::failed(format!("cannot write CSV: {e}")))?;
            emit(&bytes, output, false)
        }
        "xlsx" => {
            let bytes = cancuoc_documents::progress_report_xlsx(report)
                .map_err(|e| CliError::failed(e.to_string()))?;
            emit(&bytes, output, true)
        }
        _ => {
            let header = [
                "Mã",
                "Đơn vị",
                "Trong ngày",
                "Lũy kế",
                "Chỉ tiêu",
                "Tiến độ",
                "Chỉ tiêu ngày",
                "Tỷ lệ ngày",
                "Hạng",
                "Đủ điều kiện",
                "Dự kiến đạt",
                "Cần/ngày",
                "Trạng thái",
            ];
            let right = [
                false, false, true, true, true, true, true, true, true, true, false, true, false,
            ];
            let rows: Vec<Vec<String>> = report.rows().map(progress_cells).collect();
            let text = heading(report) + &table(&header, &rows, &right);
            emit(text.as_bytes(), output, false)
        }
    }
}

pub fn print_daily(
    report: &ProgressReport,
    format: &str,
    output: Option<&Path>,
) -> Result<ExitCode> {
    match format {
        "json" => emit(&json(report)?, output, false),
        "xlsx" => {
            let bytes = cancuoc_documents::daily_report_xlsx(report)
                .map_err(|e| CliError::failed(e.to_string()))?;
            emit(&bytes, output, true)
        }
        "pdf" => {
            let bytes = cancuoc_documents::daily_report_pdf(report)
                .map_err(|e| CliError::failed(e.to_string()))?;
            emit(&bytes, output, true)
        }
        _ => {
            let header = ["STT", "Đơn vị", "Chỉ tiêu ngày", "Thu nhận", "Tỷ lệ", "Đạt"];
            let right = [true, false, true, true, true, false];
            let met = |r: &ProgressRow| match r.met_daily {
                Some(true) => "Đạt",
                Some(false) => "Không đạt",
                None => "—",
            };
            let mut rows: Vec<Vec<String>> = report
                .daily_order()
                .into_iter()
                .enumerate()
                .map(|(i, r)| {
                    vec![
                        (i + 1).to_string(),
                        r.unit_name.clone(),
                        num(r.target_daily),
                        group_thousands(r.intake_day, '.'),
                        pct(r.daily_pct),
                        met(r).to_owned(),
                    ]
                })
                .collect();
            let total = &report.unit;
            rows.push(vec![
                String::new(),
                format!("Tổng cộng ({})", total.unit_name),
                num(total.target_daily),
                group_thousands(total.intake_day, '.'),
                pct(total.daily_pct),
                met(total).to_owned(),
            ]);
            let text = format!(
                "{}{}\nCó {}/{} đơn vị đạt chỉ tiêu ngày.\n",
                heading(report),
                table(&header, &rows, &right),
                report.met_daily(),
                report.children.len()
            );
            emit(text.as_bytes(), output, false)
        }
    }
}
