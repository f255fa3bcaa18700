//! The register's use cases: look-up, search, import of collection forms and review.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use cancuoc_domain::form::{self, Column, RawForm, Rejection};
use cancuoc_domain::{AdminCode, PartialDate, PersonalId};
use cancuoc_import::{FileError, FormReader, ReadRow};
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
    /// Born in these years, both included: an age band.
    pub born_between: Option<(i16, i16)>,
    pub birth_date: Option<String>,
    pub unit: Option<String>,
    /// Only those due a card today: 14 and over, with neither a valid card nor an open
    /// application (the list a commune officer walks door to door with).
    pub due_a_card: bool,
    /// Only records lacking a field the collection form should carry.
    pub missing_fields: bool,
    /// Only citizens with a collection form waiting for review.
    pub staged: bool,
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
    /// Distinct rows rejected.
    pub rejected_rows: usize,
    /// Reasons given for them, all counted; a row may have several.
    pub rejected_reasons: usize,
    /// The first [`ImportRequest::rejects_kept`] reasons, in file order.
    pub rejected: Vec<RejectedRow>,
    /// The cells of the rejected rows that could be read, with `keep_rejected_forms`.
    #[serde(skip)]
    pub rejected_forms: Vec<RawForm>,
    pub dry_run: bool,
}

/// An import file and what to do with it.
#[derive(Debug)]
pub struct ImportRequest {
    /// File name as given, for provenance.
    pub source: String,
    /// SHA-256 of the file's bytes.
    pub file_hash: String,
    pub file: FormReader,
    /// Decide every row as the import would, and write nothing.
    pub dry_run: bool,
    /// Reasons kept in the report; the rest are counted. A file of a million bad rows
    /// must not hold a million reasons in a server's memory.
    pub rejects_kept: usize,
    /// Keep the cells of rejected rows, for a rejects file.
    pub keep_rejected_forms: bool,
}

/// What the thread that reads and checks an import file found, besides the chunks.
#[derive(Debug, Default)]
struct Checked {
    rows: usize,
    rejected_rows: usize,
    rejected_reasons: usize,
    rejected: Vec<RejectedRow>,
    rejected_forms: Vec<RawForm>,
    /// The file could not be read to its end: nothing may be applied.
    file_error: Option<FileError>,
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
        // "Đặng Thị Hà 1969": a year typed after the name is the birth year.
        let (name, typed_year) = match s.name.as_deref().map(str::trim) {
            Some(name) => match name.rsplit_once(char::is_whitespace) {
                Some((rest, year))
                    if year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    (Some(rest), year.parse::<i16>().ok())
                }
                _ => (Some(name), None),
            },
            None => (None, None),
        };
        let name_key = name
            .map(cancuoc_domain::text::fold)
            .filter(|n| !n.is_empty());
        let old_id = s
            .old_id_number
            .as_deref()
            .map(str::trim)
            .filter(|o| !o.is_empty());
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
            name_words: false,
            old_id_number: old_id.map(str::to_owned),
            birth_year: s.birth_year.or(typed_year),
            born_between: s.born_between,
            birth_date,
            unit,
            due_a_card_on: s.due_a_card.then(|| self.clock.today()),
            missing_fields: s.missing_fields,
            staged: s.staged,
            cursor: s.cursor.clone(),
            limit: s.limit.unwrap_or(20).clamp(1, 100),
        };
        let access = caller.access(&*self.clock, "citizen search");
        let found = self.store.search_citizens(&access, &query).await;
        // Nothing from the start of the name: the words anywhere in it, in order ("dang
        // ha", "thi ha"). Its cursor carries the mode to the next pages.
        let found = match found {
            Ok(page)
                if page.items.is_empty() && query.cursor.is_none() && query.name_key.is_some() =>
            {
                let by_words = CitizenQuery {
                    name_words: true,
                    ..query
                };
                self.store.search_citizens(&access, &by_words).await
            }
            other => other,
        };
        found.map_err(|e| match e {
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

    /// Reads, validates every row of an import file and, unless `dry_run`, applies the
    /// accepted rows in one transaction. Rejected rows never stop the others; a file that
    /// cannot be read to its end applies nothing. `progress` is told how many of the
    /// file's rows are done so far (rejected ones count as done), so that it reaches
    /// `rows` of the report.
    ///
    /// Reading, validation and the preparation of each chunk's JSON, hashes and keys run
    /// on a blocking thread a few chunks ahead of the store, which writes the chunks
    /// before: on two cores the checks cost almost nothing next to the writes, and memory
    /// holds those few chunks, whatever the file's size.
    pub async fn import_forms(
        &self,
        caller: &Caller,
        request: ImportRequest,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<ImportReport, AppError> {
        require_register_role(caller)?;
        let places = self.places();
        if places.is_empty() {
            return Err(AppError::InvalidState(
                "no administrative units are loaded: run `cancuoc init` first".into(),
            ));
        }
        let access = caller.access(&*self.clock, "collection form import");
        let checker = RowChecker {
            places,
            random: self.random.clone(),
            today: self.clock.today(),
            scope: access.scope.clone(),
        };
        let ImportRequest {
            source,
            file_hash,
            file,
            dry_run,
            rejects_kept,
            keep_rejected_forms,
        } = request;
        let rows_at_most = file.rows_at_most();
        let rejected_so_far = Arc::new(AtomicU64::new(0));
        let (chunks, producer) = checker.spawn(
            file,
            Kept {
                reasons: rejects_kept,
                forms: keep_rejected_forms,
            },
            rejected_so_far.clone(),
        );
        let import = ImportStream {
            source,
            file_hash,
            rows_at_most,
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
        let checked = producer
            .await
            .map_err(|e| AppError::Internal(format!("import checker: {e}")))?;
        // A file that broke off failed the store's transaction: the file is the reason.
        if let Some(error) = checked.file_error {
            return Err(AppError::File(error));
        }
        let outcome = outcome?;
        Ok(ImportReport {
            rows: checked.rows,
            accepted: outcome.inserted,
            flagged: outcome.staged.len() as u64,
            unchanged: outcome.unchanged,
            rejected_rows: checked.rejected_rows,
            rejected_reasons: checked.rejected_reasons,
            rejected: checked.rejected,
            rejected_forms: checked.rejected_forms,
            dry_run,
        })
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

    /// Reads and checks the file's rows on a blocking thread, sending each chunk's
    /// accepted rows, prepared, as the store asks for them; the thread counts each
    /// rejected row in `rejected_so_far` as it goes and returns what it rejected. A file
    /// that breaks off sends an error, which fails the store's transaction.
    fn spawn(
        self,
        file: FormReader,
        kept: Kept,
        rejected_so_far: Arc<AtomicU64>,
    ) -> (
        futures_util::stream::BoxStream<'static, cancuoc_store::Result<PreparedChunk>>,
        tokio::task::JoinHandle<Checked>,
    ) {
        let (sender, receiver) = tokio::sync::mpsc::channel(CHUNKS_AHEAD);
        // A panic while reading must fail the store's transaction too: the stream would
        // otherwise just end, and the rows before the panic would be committed.
        let on_panic = sender.clone();
        let producer = tokio::task::spawn_blocking(move || {
            let read_all = std::panic::AssertUnwindSafe(move || {
                self.read_all(&file, &sender, &kept, &rejected_so_far)
            });
            match std::panic::catch_unwind(read_all) {
                Ok(checked) => checked,
                Err(panic) => {
                    let _ = on_panic.blocking_send(Err(StoreError::Backend(
                        "the import's reader failed".into(),
                    )));
                    std::panic::resume_unwind(panic)
                }
            }
        });
        let chunks = futures_util::stream::unfold(receiver, |mut r| async move {
            r.recv().await.map(|chunk| (chunk, r))
        });
        (Box::pin(chunks), producer)
    }

    /// The producer's work: reads every row, checks it, and sends the accepted rows in
    /// chunks; stops as soon as the store takes no more.
    fn read_all(
        &self,
        file: &FormReader,
        sender: &tokio::sync::mpsc::Sender<cancuoc_store::Result<PreparedChunk>>,
        kept: &Kept,
        rejected_so_far: &AtomicU64,
    ) -> Checked {
        let mut checked = Checked::default();
        let mut rows = Vec::with_capacity(IMPORT_CHUNK);
        let mut stopped = false;
        // Sends the chunk gathered so far; false once the store takes no more.
        let send = |rows: &mut Vec<ImportRow>| {
            if rows.is_empty() {
                return true;
            }
            let chunk = PreparedChunk::new(std::mem::take(rows));
            let failed = chunk.is_err();
            sender.blocking_send(chunk).is_ok() && !failed
        };
        let read = file.read(&mut |read| {
            checked.rows += 1;
            let outcome = match read {
                ReadRow::Form(raw) => match self.check(&raw) {
                    Ok(row) => Ok(row),
                    Err(reasons) => Err((reasons, Some(raw))),
                },
                ReadRow::Unreadable { row, reasons } => {
                    Err((reasons.iter().map(|r| rejected(row, r)).collect(), None))
                }
            };
            match outcome {
                Ok(row) => rows.push(row),
                Err((reasons, raw)) => {
                    checked.reject(reasons, raw, kept);
                    rejected_so_far.fetch_add(1, Ordering::Relaxed);
                }
            }
            if sender.is_closed() || (rows.len() >= IMPORT_CHUNK && !send(&mut rows)) {
                stopped = true;
                return std::ops::ControlFlow::Break(());
            }
            std::ops::ControlFlow::Continue(())
        });
        match read {
            Ok(()) if !stopped => {
                send(&mut rows);
            }
            Ok(()) => {}
            Err(error) => {
                // Fails the import's transaction; the caller reports the file's error.
                let _ = sender.blocking_send(Err(StoreError::Invalid(
                    "the import file could not be read to its end".into(),
                )));
                checked.file_error = Some(error);
            }
        }
        checked
    }
}

/// What of the rejected rows an import keeps, beyond counting them.
#[derive(Debug, Clone, Copy)]
struct Kept {
    reasons: usize,
    forms: bool,
}

impl Checked {
    fn reject(&mut self, reasons: Vec<RejectedRow>, raw: Option<RawForm>, kept: &Kept) {
        self.rejected_rows += 1;
        self.rejected_reasons += reasons.len();
        let room = kept.reasons.saturating_sub(self.rejected.len());
        self.rejected.extend(reasons.into_iter().take(room));
        if kept.forms
            && let Some(raw) = raw
        {
            self.rejected_forms.push(raw);
        }
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
