//! `cancuoc import applications FILE.csv`: applications from stations that worked offline.

use std::path::Path;
use std::process::ExitCode;

use cancuoc_app::App;

use crate::commands::{CliError, Result, operator};

pub async fn run(
    app: &App,
    file: &Path,
    dry_run: bool,
    rejects: Option<&Path>,
) -> Result<ExitCode> {
    let bytes = std::fs::read(file)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", file.display())))?;
    let table =
        cancuoc_import::parse_csv_table(&bytes).map_err(|e| CliError::usage(e.to_string()))?;
    let report = app
        .import_applications(&operator(), &table, dry_run)
        .await?;
    if let Some(out) = rejects {
        write_rejects(out, &table, &report.rejected)?;
    }
    let rejected_rows = {
        let mut rows: Vec<usize> = report.rejected.iter().map(|r| r.row).collect();
        rows.dedup();
        rows.len()
    };
    eprintln!(
        "{}{} rows: accepted {}, unchanged {}, rejected {}",
        if dry_run {
            "dry run, nothing changed: "
        } else {
            ""
        },
        report.rows,
        report.accepted,
        report.unchanged,
        rejected_rows
    );
    for r in report.rejected.iter().take(20) {
        let column = r
            .column
            .as_deref()
            .map(|c| format!(", {c}"))
            .unwrap_or_default();
        eprintln!("  row {}{column}: {}", r.row, r.reason);
    }
    if report.rejected.len() > 20 {
        eprintln!("  … {} more (see --rejects)", report.rejected.len() - 20);
    }
    Ok(
        if report.accepted + report.unchanged == 0 && rejected_rows > 0 {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        },
    )
}

/// Each rejected row as it was in the file, with `row`, `column` and `reason` added.
fn write_rejects(
    out: &Path,
    table: &cancuoc_import::Table,
    rejected: &[cancuoc_app::RejectedRow],
) -> Result<()> {
    let fail = |e: csv::Error| CliError::failed(format!("cannot write {}: {e}", out.display()));
    // Through the export writer: the rows' own cells go back to a spreadsheet.
    let file = std::fs::File::create(out)
        .map_err(|e| CliError::failed(format!("cannot write {}: {e}", out.display())))?;
    let mut w = cancuoc_documents::CsvExport::new(file).map_err(fail)?;
    let mut header = table.header.clone();
    header.extend(["row", "column", "reason"].map(str::to_owned));
    w.write_record(&header).map_err(fail)?;
    for r in rejected {
        let mut record: Vec<String> = table
            .rows
            .iter()
            .find(|(row, _)| *row == r.row)
            .map(|(_, cells)| cells.clone())
            .unwrap_or_default();
        record.resize(table.header.len(), String::new());
        record.extend([
            r.row.to_string(),
            r.column.clone().unwrap_or_default(),
            r.reason.clone(),
        ]);
        w.write_record(&record).map_err(fail)?;
    }
    w.into_inner().map_err(fail)?;
    Ok(())
}
