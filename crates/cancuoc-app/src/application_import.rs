//! Applications typed in by stations that worked offline, imported from a CSV file with
//! the rules of the forms import: every rejected row reported with its reason, the
//! accepted rows filed in one transaction or none, and the same file twice changes nothing.

use std::collections::HashMap;

use cancuoc_import::Table;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::applications::Intake;
use crate::{App, AppError, Caller, RejectedRow};

/// The columns of an applications file; the first five are required.
pub const APPLICATION_COLUMNS: [&str; 10] = [
    "personal_id",
    "type",
    "intake_unit",
    "intake_date",
    "channel",
    "reason",
    "station",
    "identifying_marks",
    "exemption",
    "old_card_returned",
];
const REQUIRED: usize = 5;

#[derive(Debug, Clone, Default, Serialize)]
pub struct ApplicationImportReport {
    pub rows: usize,
    /// Filed now.
    pub accepted: u64,
    /// Filed by an earlier import of the same rows.
    pub unchanged: u64,
    pub rejected: Vec<RejectedRow>,
    pub dry_run: bool,
}

/// A problem with the whole file: nothing is imported.
fn file_error(message: String) -> AppError {
    AppError::Invalid(message)
}

fn yes_no(value: &str) -> Option<bool> {
    match cancuoc_domain::text::fold(value).as_str() {
        "" | "0" | "NO" | "FALSE" | "KHONG" | "K" => Some(false),
        "1" | "YES" | "TRUE" | "CO" | "C" | "X" => Some(true),
        _ => None,
    }
}

/// The column an error message names (`"intake_date: …"`), if it names one.
fn column_of(message: &str) -> Option<String> {
    let (head, _) = message.split_once(':')?;
    APPLICATION_COLUMNS.contains(&head).then(|| head.to_owned())
}

impl App {
    /// Validates every row and, unless `dry_run`, files the accepted ones in one
    /// transaction. A row's identity (citizen, type, reason, unit, day) makes its
    /// idempotency key and its application id, so a second import of the same rows
    /// finds them filed and changes nothing.
    pub async fn import_applications(
        &self,
        caller: &Caller,
        table: &Table,
        dry_run: bool,
    ) -> Result<ApplicationImportReport, AppError> {
        let mut position = HashMap::new();
        for (i, header) in table.header.iter().enumerate() {
            let name = header.trim().to_ascii_lowercase();
            if !APPLICATION_COLUMNS.contains(&name.as_str()) {
                return Err(file_error(format!(
                    "column {} {header:?} is not a column of an applications file ({})",
                    i + 1,
                    APPLICATION_COLUMNS.join(", ")
                )));
            }
            if position.insert(name, i).is_some() {
                return Err(file_error(format!("column {header:?} appears twice")));
            }
        }
        let missing: Vec<&str> = APPLICATION_COLUMNS
            .iter()
            .take(REQUIRED)
            .filter(|c| !position.contains_key(**c))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(file_error(format!(
                "required columns missing: {}",
                missing.join(", ")
            )));
        }
        let access = caller.access(&*self.clock, "application import");
        let today = self.clock.today();
        let remote = self.remote_list().await?;
        let mut report = ApplicationImportReport {
            rows: table.rows.len(),
            dry_run,
            ..ApplicationImportReport::default()
        };
        let mut batch = Vec::new();
        // Rows whose application an earlier import filed and which is still open.
        let mut seen_before = 0u64;
        let mut first_row_of: HashMap<String, usize> = HashMap::new();
        for (row, cells) in &table.rows {
            let cell = |name: &str| {
                position
                    .get(name)
                    .and_then(|&i| cells.get(i))
                    .map(|s| s.trim().to_owned())
                    .unwrap_or_default()
            };
            let optional = |name: &str| Some(cell(name)).filter(|s| !s.is_empty());
            let reject = |column: Option<&str>, reason: String| RejectedRow {
                row: *row,
                column: column.map(str::to_owned),
                reason,
            };
            if cells.len() > table.header.len() {
                report.rejected.push(reject(
                    None,
                    format!(
                        "the row has {} cells, the header {}",
                        cells.len(),
                        table.header.len()
                    ),
                ));
                continue;
            }
            let Some(returned) = yes_no(&cell("old_card_returned")) else {
                report.rejected.push(reject(
                    Some("old_card_returned"),
                    format!("{:?} is neither yes nor no", cell("old_card_returned")),
                ));
                continue;
            };
            let identity = [
                cell("personal_id"),
                cell("type"),
                cell("reason"),
                cell("intake_unit"),
                cell("intake_date"),
            ]
            .join("|");
            let digest = Sha256::digest(identity.as_bytes());
            let mut id_bytes = [0u8; 16];
            for (slot, byte) in id_bytes.iter_mut().zip(digest.iter()) {
                *slot = *byte;
            }
            let key = Uuid::new_v8(id_bytes);
            let intake = Intake {
                personal_id: cell("personal_id"),
                kind: cell("type"),
                reason: optional("reason"),
                channel: cell("channel"),
                intake_unit: optional("intake_unit"),
                intake_date: Some(cell("intake_date")).filter(|d| !d.is_empty()),
                station: optional("station"),
                identifying_marks: optional("identifying_marks"),
                exemption: optional("exemption"),
                old_card_returned: returned,
                idempotency_key: Some(format!("import:{}", hex::encode(digest))),
                capture: None,
                receipt: None,
            };
            if intake.intake_date.is_none() {
                report
                    .rejected
                    .push(reject(Some("intake_date"), "missing".into()));
                continue;
            }
            let prepared = match self.prepare(caller, &intake, today, &remote) {
                Ok(mut new) => {
                    new.key = key;
                    self.fit(&access, &new).await.map(|open| (new, open))
                }
                Err(e) => Err(e),
            };
            match prepared {
                Ok((new, open)) => {
                    if let Some(first) = first_row_of.get(&cell("personal_id")) {
                        report.rejected.push(reject(
                            Some("personal_id"),
                            format!("the citizen already has an application on row {first}"),
                        ));
                        continue;
                    }
                    if open.is_some_and(|o| o != key) {
                        report.rejected.push(reject(
                            Some("personal_id"),
                            "the citizen already has an open application".into(),
                        ));
                        continue;
                    }
                    if open == Some(key) {
                        seen_before += 1;
                    }
                    first_row_of.insert(cell("personal_id"), *row);
                    batch.push(new);
                }
                Err(AppError::NotFound(what)) => report.rejected.push(reject(
                    Some("personal_id"),
                    format!("{what} is not in the register (or not in your jurisdiction)"),
                )),
                Err(AppError::TypeNotAllowed(why)) => {
                    report.rejected.push(reject(Some("type"), why))
                }
                Err(
                    e @ (AppError::Invalid(_) | AppError::Forbidden(_) | AppError::Conflict(_)),
                ) => {
                    let message = e.to_string();
                    report
                        .rejected
                        .push(reject(column_of(&message).as_deref(), message));
                }
                Err(other) => return Err(other),
            }
        }
        if dry_run {
            let rows = u64::try_from(batch.len()).unwrap_or(u64::MAX);
            report.accepted = rows.saturating_sub(seen_before);
            report.unchanged = seen_before;
            return Ok(report);
        }
        if !batch.is_empty() {
            let filed = self.store.file_applications(&access, &batch).await?;
            for f in filed {
                if f.replayed {
                    report.unchanged += 1;
                } else {
                    report.accepted += 1;
                }
            }
        }
        Ok(report)
    }
}
