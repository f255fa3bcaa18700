//! The register's use cases: look-up, search, import of collection forms and review.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cancuoc_domain::form::{self, Column, RawForm, Rejection};
use cancuoc_domain::{AdminCode, PartialDate, PersonalId};
use cancuoc_import::FormFile;
use cancuoc_store::*;
use serde::Serialize;
use uuid::Uuid;

use crate::{App, AppError, Caller};

/// A search as people ask it: a name typed any way, and optional narrowing.
#[derive(Debug, Clone, Default)]
pub struct CitizenSearch {
    pub name: Option<String>,
    pub old_id_number: Option<String>,
    pub birth_year: Option<i16>,
    pub birth_date: Option<String>,
    pub unit: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

/// One rejected row of an import file, as the rejects file lists it.
#[derive(Debug, Clone, Serialize)]
pub struct RejectedRow {
    pub row: usize,
    pub column: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub rows: usize,
    /// Applied to the register as official records.
    pub accepted: u64,
    /// Staged for review (findings, conflicts, possible duplicates).
    pub flagged: u64,
    /// Identical to what the register or the review queue already holds.
    pub unchanged: u64,
    /// One entry per reason; a row may have several.
    pub rejected: Vec<RejectedRow>,
    pub dry_run: bool,
}

impl ImportReport {
    /// Distinct rows rejected.
    pub fn rejected_rows(&self) -> usize {
        let mut rows: Vec<usize> = self.rejected.iter().map(|r| r.row).collect();
        rows.sort_unstable();
        rows.dedup();
        rows.len()
    }
}

/// What an officer does with a staged form.
#[derive(Debug, Clone)]
pub enum FormAction {
    Verify,
    /// Corrected cells by column name; the others keep their value.
    Correct(Vec<(String, String)>),
    Approve,
    Reject(String),
}

fn require_register_role(caller: &Caller) -> Result<(), AppError> {
    match caller {
        Caller::Officer(o) if !o.role.works_the_register() => Err(AppError::Forbidden(format!(
            "role {} does not work with citizens' records",
            o.role.as_str()
        ))),
        _ => Ok(()),
    }
}

impl App {
    /// The register's reads for roles that work it; a refusal is audited too, as refused,
    /// so that the trail tells a refused read from a real one.
    async fn may_read_register(
        &self,
        caller: &Caller,
        action: &str,
        kind: &str,
        key: &str,
        purpose: &str,
    ) -> Result<(), AppError> {
        let Err(refused) = require_register_role(caller) else {
            return Ok(());
        };
        // The key as asked, cut short: it is not validated yet.
        let key: String = key.chars().take(32).collect();
        self.store
            .append_audit(
                &caller.access(&*self.clock, purpose),
                action,
                kind,
                &key,
                cancuoc_domain::audit::Outcome::Refused,
            )
            .await?;
        Err(refused)
    }

    pub async fn citizen(
        &self,
        caller: &Caller,
        personal_id: &str,
    ) -> Result<CitizenRecord, AppError> {
        self.may_read_register(
            caller,
            actions::CITIZEN_READ,
            "citizen",
            personal_id,
            "citizen look-up",
        )
        .await?;
        let pid = PersonalId::parse(personal_id).map_err(|e| AppError::Invalid(e.to_string()))?;
        self.store
            .citizen(&caller.access(&*self.clock, "citizen look-up"), &pid)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("citizen {pid}")))
    }

    pub async fn citizen_history(
        &self,
        caller: &Caller,
        personal_id: &str,
    ) -> Result<Vec<HistoryEntry>, AppError> {
        self.may_read_register(
            caller,
            actions::CITIZEN_HISTORY,
            "citizen",
            personal_id,
            "citizen history",
        )
        .await?;
        let pid = PersonalId::parse(personal_id).map_err(|e| AppError::Invalid(e.to_string()))?;
        Ok(self
            .store
            .citizen_history(&caller.access(&*self.clock, "citizen history"), &pid)
            .await?)
    }

    pub async fn search_citizens(
        &self,
        caller: &Caller,
        s: &CitizenSearch,
    ) -> Result<Page<CitizenRecord>, AppError> {
        cancuoc_domain::text::limits::SEARCH_NAME.check_opt(s.name.as_deref())?;
        self.may_read_register(
            caller,
            actions::CITIZEN_SEARCH,
            "citizen",
            "",
            "citizen search",
        )
        .await?;
        let name_key = s
            .name
            .as_deref()
            .map(cancuoc_domain::text::fold)
            .filter(|n| !n.is_empty());
        let old_id = s
            .old_id_number
            .as_deref()
            .map(str::trim)
            .filter(|o| !o.is_empty());
        if name_key.is_none() && old_id.is_none() {
            return Err(AppError::Invalid(
                "give a name or an old ID card number to search by".into(),
            ));
        }
        if let Some(n) = &name_key
            && n.chars().count() > 100
        {
            return Err(AppError::Invalid(
                "a name has at most 100 characters".into(),
            ));
        }
        let birth_date = s
            .birth_date
            .as_deref()
            .map(PartialDate::parse)
            .transpose()
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let unit = s
            .unit
            .as_deref()
            .map(|u| AdminCode::parse(u).map_err(|e| AppError::Invalid(e.to_string())))
            .transpose()?;
        let query = CitizenQuery {
            name_key,
            old_id_number: old_id.map(str::to_owned),
            birth_year: s.birth_year,
            birth_date,
            unit,
            cursor: s.cursor.clone(),
            limit: s.limit.unwrap_or(20).clamp(1, 100),
        };
        self.store
            .search_citizens(&caller.access(&*self.clock, "citizen search"), &query)
            .await
            .map_err(|e| match e {
                StoreError::Invalid(m) => AppError::Invalid(m),
                other => other.into(),
            })
    }

    pub async fn household(&self, caller: &Caller, number: &str) -> Result<Household, AppError> {
        self.may_read_register(
            caller,
            actions::HOUSEHOLD_READ,
            "household",
            number,
            "household look-up",
        )
        .await?;
        self.store
            .household(&caller.access(&*self.clock, "household look-up"), number)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("household {number}")))
    }

    /// Validates every row of a read import file and, unless `dry_run`, applies the
    /// accepted rows in one transaction. Rejected rows never stop the others. `progress`
    /// is told how many of the file's rows are done so far (rejected ones count as done),
    /// so that it reaches `rows` of the report.
    ///
    /// Validation and the preparation of each chunk's JSON, hashes and keys run on a
    /// blocking thread a few chunks ahead of the store, which writes the chunks before:
    /// on two cores the checks cost almost nothing next to the writes.
    pub async fn import_forms(
        &self,
        caller: &Caller,
        source: &str,
        file_hash: &str,
        file: Arc<FormFile>,
        dry_run: bool,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<ImportReport, AppError> {
        require_register_role(caller)?;
        let places = self.places();
        if places.is_empty() {
            return Err(AppError::InvalidState(
                "no administrative units are loaded: run `cancuoc init` first".into(),
            ));
        }
        let mut report = ImportReport {
            rows: file.rows.len() + count_rows(&file.row_errors),
            dry_run,
            ..ImportReport::default()
        };
        for (row, rejection) in &file.row_errors {
            report.rejected.push(rejected(*row, rejection));
        }
        let access = caller.access(&*self.clock, "collection form import");
        let checker = RowChecker {
            places,
            random: self.random.clone(),
            today: self.clock.today(),
            scope: access.scope.clone(),
        };
        let unreadable = report.rejected_rows() as u64;
        let rejected_so_far = Arc::new(AtomicU64::new(unreadable));
        let (chunks, producer) = checker.spawn(file.clone(), rejected_so_far.clone());
        let import = ImportStream {
            source: source.to_owned(),
            file_hash: file_hash.to_owned(),
            rows_at_most: file.rows.len(),
            chunks,
        };
        let progress = |written| progress(written + rejected_so_far.load(Ordering::Relaxed));
        // A dry run decides every row exactly as the import would, against the register.
        let outcome = if dry_run {
            self.store
                .import_forms_dry_run(&access, import, &progress)
                .await
        } else {
            self.store.import_forms(&access, import, &progress).await
        };
        // The checker stops as soon as the store stops taking chunks.
        let rejected_rows = producer
            .await
            .map_err(|e| AppError::Internal(format!("import checker: {e}")))?;
        let outcome = outcome?;
        report.rejected.extend(rejected_rows);
        report.accepted = outcome.inserted;
        report.flagged = outcome.staged.len() as u64;
        report.unchanged = outcome.unchanged;
        Ok(report)
    }

    pub async fn staged_forms(
        &self,
        caller: &Caller,
        unit: Option<&str>,
        status: Option<&str>,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<Page<StagedForm>, AppError> {
        require_register_role(caller)?;
        let query = FormQuery {
            unit: unit
                .map(|u| AdminCode::parse(u).map_err(|e| AppError::Invalid(e.to_string())))
                .transpose()?,
            status: status
                .map(|s| {
                    FormStatus::parse(s).ok_or_else(|| {
                        AppError::Invalid(format!(
                            "status {s:?} is not one of draft, verified, approved, rejected"
                        ))
                    })
                })
                .transpose()?,
            cursor,
            limit: limit.unwrap_or(20).clamp(1, 100),
        };
        self.store
            .staged_forms(&caller.access(&*self.clock, "review queue"), &query)
            .await
            .map_err(|e| match e {
                StoreError::Invalid(m) => AppError::Invalid(m),
                other => other.into(),
            })
    }

    pub async fn staged_form(&self, caller: &Caller, id: &str) -> Result<StagedForm, AppError> {
        require_register_role(caller)?;
        let id = parse_form_id(id)?;
        self.store
            .staged_form(&caller.access(&*self.clock, "review"), id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("staged form {id}")))
    }

    pub async fn decide_form(
        &self,
        caller: &Caller,
        id: &str,
        action: FormAction,
    ) -> Result<StagedForm, AppError> {
        require_register_role(caller)?;
        let id = parse_form_id(id)?;
        let access = caller.access(&*self.clock, "review");
        let decision = match action {
            FormAction::Verify => FormDecision::Verify,
            FormAction::Approve => FormDecision::Approve {
                new_key: self.random.record_key(),
            },
            FormAction::Reject(reason) => {
                cancuoc_domain::text::limits::REASON.check(&reason)?;
                let reason = cancuoc_domain::text::clean(&reason);
                if reason.is_empty() {
                    return Err(AppError::Invalid("a rejection needs a reason".into()));
                }
                FormDecision::Reject { reason }
            }
            FormAction::Correct(cells) => {
                let current = self
                    .store
                    .staged_form(&access, id)
                    .await?
                    .ok_or_else(|| AppError::NotFound(format!("staged form {id}")))?;
                let cells_now = form::form_row(&current.data);
                let mut raw = RawForm::from_cells(current.row, &cells_now);
                for (name, value) in &cells {
                    let column = Column::from_header(name)
                        .ok_or_else(|| AppError::Invalid(format!("unknown field {name:?}")))?;
                    raw.set(column, value);
                }
                let places = self.places();
                let valid =
                    form::validate(&raw, &*places, self.clock.today()).map_err(|rejections| {
                        AppError::Invalid(
                            rejections
                                .iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join("; "),
                        )
                    })?;
                let locality = valid.data.home_commune().and_then(|c| places.locality(c));
                FormDecision::Correct {
                    findings: valid.findings.iter().map(ToString::to_string).collect(),
                    data: Box::new(valid.data),
                    locality,
                }
            }
        };
        Ok(self
            .store
            .decide_form(&access, caller.role(), id, &decision)
            .await?)
    }
}

fn parse_form_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id).map_err(|_| AppError::Invalid(format!("{id:?} is not a form id")))
}

/// What validating an import row needs, owned so that it can move to another thread.
struct RowChecker {
    places: Arc<crate::places::Places>,
    random: Arc<dyn crate::Random>,
    today: jiff::civil::Date,
    /// The importer's jurisdiction: a row must live inside it.
    scope: cancuoc_domain::Jurisdiction,
}

/// Chunks that wait for the store: enough to keep it busy, few enough to bound memory.
const CHUNKS_AHEAD: usize = 4;

impl RowChecker {
    fn check(&self, raw: &RawForm) -> Result<ImportRow, Vec<RejectedRow>> {
        match form::validate(raw, &*self.places, self.today) {
            Ok(valid) => {
                let locality = valid
                    .data
                    .home_commune()
                    .and_then(|c| self.places.locality(c));
                if !self.scope.covers_record(locality.as_ref()) {
                    return Err(vec![RejectedRow {
                        row: raw.row,
                        column: Some(residence_column(&valid.data).to_owned()),
                        reason: match &locality {
                            Some(l) => format!(
                                "the residence (commune {}) lies outside your jurisdiction",
                                l.commune
                            ),
                            None => "the row names no residence inside your jurisdiction".into(),
                        },
                    }]);
                }
                Ok(ImportRow {
                    row: valid.row,
                    new_key: self.random.record_key(),
                    data: valid.data,
                    locality,
                    findings: valid.findings.iter().map(ToString::to_string).collect(),
                })
            }
            Err(rejections) => Err(rejections.iter().map(|r| rejected(raw.row, r)).collect()),
        }
    }

    /// Checks the file's rows on a blocking thread, sending each chunk's accepted rows,
    /// prepared, as the store asks for them; the thread returns the rejected rows in
    /// file order and counts each rejected row in `rejected_so_far` as it goes.
    fn spawn(
        self,
        file: Arc<FormFile>,
        rejected_so_far: Arc<AtomicU64>,
    ) -> (
        futures_util::stream::BoxStream<'static, cancuoc_store::Result<PreparedChunk>>,
        tokio::task::JoinHandle<Vec<RejectedRow>>,
    ) {
        let (sender, receiver) = tokio::sync::mpsc::channel(CHUNKS_AHEAD);
        let producer = tokio::task::spawn_blocking(move || {
            let mut rejected_rows = Vec::new();
            for part in file.rows.chunks(IMPORT_CHUNK) {
                let mut rows = Vec::with_capacity(part.len());
                for raw in part {
                    match self.check(raw) {
                        Ok(row) => rows.push(row),
                        Err(r) => {
                            rejected_rows.extend(r);
                            rejected_so_far.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                if rows.is_empty() {
                    continue;
                }
                let chunk = PreparedChunk::new(rows);
                let failed = chunk.is_err();
                if sender.blocking_send(chunk).is_err() || failed {
                    break;
                }
            }
            rejected_rows
        });
        let chunks = futures_util::stream::unfold(receiver, |mut r| async move {
            r.recv().await.map(|chunk| (chunk, r))
        });
        (Box::pin(chunks), producer)
    }
}

/// The column of the residence a record is placed by (`CitizenData::home_commune`).
fn residence_column(data: &cancuoc_domain::CitizenData) -> &'static str {
    if data.current_residence.is_some() {
        Column::NoiOHienTaiMaXa.name()
    } else if data.permanent_residence.is_some() {
        Column::ThuongTruMaXa.name()
    } else if data.temporary_residence.is_some() {
        Column::TamTruMaXa.name()
    } else {
        Column::NoiOHienTaiMaXa.name()
    }
}

fn rejected(row: usize, r: &Rejection) -> RejectedRow {
    RejectedRow {
        row,
        column: r.column.map(|c| c.name().to_owned()),
        reason: r.reason.clone(),
    }
}

fn count_rows(errors: &[(usize, Rejection)]) -> usize {
    let mut rows: Vec<usize> = errors.iter().map(|(r, _)| *r).collect();
    rows.sort_unstable();
    rows.dedup();
    rows.len()
}
