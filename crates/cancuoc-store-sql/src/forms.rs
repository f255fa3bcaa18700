//! Collection-form imports and the review of staged records.

use cancuoc_domain::review::{FormFacts, Held, Reviewer};
use cancuoc_domain::{Locality, RecordStatus, Role};
use cancuoc_store::*;
use futures_util::StreamExt;
use uuid::Uuid;

use crate::citizens::{Provenance, get_anywhere, insert, locality, update};
use crate::{Backend, Query, Row, Tx, TxKind, Value, corrupt, int, key, text};

/// Applies an import chunk by chunk as the chunks arrive, gathered up to the backend's
/// chunk size: the backend reads what the register holds for the chunk, the shared
/// planner decides every row, and the backend's bulk path writes the plan before the
/// next chunk is read. All or nothing either way:
///
/// - PostgreSQL runs it as one bulk transaction; desks do not wait for it. So does SQLite
///   in a process that has the file to itself (no server runs on it).
/// - SQLite shared with a server commits each chunk in its own short write transaction,
///   so that desks get the write lock between chunks; the rows carry the import's run and
///   stay hidden (the views of migration 0012) until the last transaction deletes the
///   run, which shows the whole file at once. A failed run, a dry run, and a run left by
///   a process that died are discarded by deleting their rows, chunk by chunk as well.
///
/// Imports of one database take turns (`Backend::import_turn`): the same file imported
/// twice at once stages nothing twice. A dry run makes the same decisions and keeps
/// nothing.
pub async fn import<B: Backend>(
    backend: &B,
    access: &Access,
    import: ImportStream<'_>,
    dry_run: bool,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<ImportOutcome> {
    let (source, file_hash) = (import.source.clone(), import.file_hash.clone());
    let _turn = backend.import_turn().await?;
    discard_dead_runs(backend).await?;
    let whole_kind = if dry_run { TxKind::Trial } else { TxKind::Bulk };
    // A dry run keeps to one transaction, rolled back: chunks written and then deleted
    // would cost it twice the time and the register's pages in memory.
    let mut whole = if backend.commits_import_chunks() && !dry_run {
        None
    } else {
        Some(backend.begin(whole_kind).await?)
    };
    let run = {
        let mut fresh = None;
        let tx = writer(backend, &mut whole, &mut fresh).await?;
        let run = start_run(tx, &file_hash, access.now_micros).await?;
        end_write(backend, &mut fresh).await?;
        run
    };
    let chunked = whole.is_none();
    let applied = apply_chunks(backend, &mut whole, access, run, import, progress).await;
    match (applied, dry_run) {
        (Ok((outcome, deferred, state)), false) => {
            let mut tx = match whole {
                Some(tx) => tx,
                None => backend.begin(TxKind::Bulk).await?,
            };
            backend.finish_import(&mut tx, state).await?;
            let done = Finished {
                source: &source,
                file_hash: &file_hash,
                outcome: &outcome,
                deferred: &deferred,
            };
            finish_run(&mut tx, access, run, done).await?;
            tx.commit().await?;
            // A large import changes the tables' make-up: the planner hears of it now.
            if outcome.inserted >= 10_000
                && let Err(e) = backend.refresh_statistics().await
            {
                tracing::warn!("statistics not refreshed after the import: {e}");
            }
            Ok(outcome)
        }
        (applied, _) => {
            // Dropped without a commit, a whole transaction is rolled back; a chunked
            // run's committed rows are deleted.
            drop(whole);
            if chunked && let Err(e) = discard_run(backend, run).await {
                // The next import discards it (its run is still listed, its rows hidden).
                tracing::warn!("import run {run} not yet discarded: {e}");
            }
            applied.map(|(outcome, _, _)| outcome)
        }
    }
}

/// Rows a chunked run writes per transaction.
const WRITE_ROWS: usize = 250;

/// The transaction a chunk writes in: the whole import's, or a fresh one of its own
/// (kept in `fresh`, begun if there is none).
async fn writer<'t, B: Backend>(
    backend: &B,
    whole: &'t mut Option<B::Tx>,
    fresh: &'t mut Option<B::Tx>,
) -> Result<&'t mut B::Tx> {
    match whole {
        Some(tx) => Ok(tx),
        None => match fresh {
            Some(tx) => Ok(tx),
            None => Ok(fresh.insert(backend.begin(TxKind::Write).await?)),
        },
    }
}

/// Commits a chunked run's own write transaction, if one is open, and leaves other
/// writers their gap before the run asks for the lock again.
async fn end_write<B: Backend>(backend: &B, fresh: &mut Option<B::Tx>) -> Result<()> {
    if let Some(tx) = fresh.take() {
        tx.commit().await?;
        backend.after_import_write().await;
    }
    Ok(())
}

/// A household head the import names for a household the register already shows: set
/// in the import's last transaction, since until then nothing of the import may show.
type DeferredHead = (String, cancuoc_domain::PersonalId);

async fn apply_chunks<B: Backend>(
    backend: &B,
    whole: &mut Option<B::Tx>,
    access: &Access,
    run: i64,
    import: ImportStream<'_>,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<(ImportOutcome, Vec<DeferredHead>, B::ImportState)> {
    let ImportStream {
        source,
        rows_at_most,
        mut chunks,
        ..
    } = import;
    let mut state = match whole.as_mut() {
        Some(tx) => backend.start_import(tx, rows_at_most).await?,
        None => {
            let mut read = backend.begin(TxKind::Read).await?;
            backend.start_import(&mut read, rows_at_most).await?
        }
    };
    let gather = backend.import_chunk_rows();
    let mut done = 0u64;
    let mut outcome = ImportOutcome::default();
    let mut deferred = Vec::new();
    let mut gathered: Option<PreparedChunk> = None;
    let mut ended = false;
    while !ended {
        match chunks.next().await.transpose()? {
            Some(chunk) => match &mut gathered {
                Some(g) => g.append(chunk),
                None => gathered = Some(chunk),
            },
            None => ended = true,
        }
        let full = gathered.as_ref().is_some_and(|g| g.len() >= gather);
        if !(full || ended) {
            continue;
        }
        let Some(chunk) = gathered.take() else {
            break;
        };
        // A chunked run reads outside the write lock: nobody else writes its rows.
        let view = match whole.as_mut() {
            Some(tx) => backend.register_view(tx, &chunk, &state).await?,
            None => {
                let mut read = backend.begin(TxKind::Read).await?;
                backend.register_view(&mut read, &chunk, &state).await?
            }
        };
        let plan = chunk.plan(&view, &source, &access.scope)?;
        backend.learn(&mut state, &plan);
        let mut fresh = None;
        let tx = writer(backend, whole, &mut fresh).await?;
        let (households, heads) = split_households(tx, &plan.households).await?;
        deferred.extend(heads);
        backend
            .upsert_households(tx, &households, Some(run))
            .await?;
        // A chunked run writes a few hundred rows per transaction: a desk waits for one.
        let slice = if whole.is_some() {
            usize::MAX
        } else {
            WRITE_ROWS
        };
        for records in plan.records.chunks(slice) {
            let tx = writer(backend, whole, &mut fresh).await?;
            backend
                .insert_records(tx, records, Some(run), &access.actor, access.now_micros)
                .await?;
            end_write(backend, &mut fresh).await?;
        }
        for staged in plan.staged.chunks(slice) {
            let tx = writer(backend, whole, &mut fresh).await?;
            backend
                .insert_staged(tx, staged, Some(run), access.now_micros)
                .await?;
            end_write(backend, &mut fresh).await?;
        }
        end_write(backend, &mut fresh).await?;
        outcome.inserted += plan.records.len() as u64;
        outcome.unchanged += plan.unchanged;
        outcome.staged.extend(plan.stage_reasons);
        done += chunk.len() as u64;
        progress(done);
    }
    Ok((outcome, deferred, state))
}

/// The plan's households split: those the run creates (or its own, created by an earlier
/// chunk), written now; and the heads it names for households the register already
/// shows, kept for the run's end.
async fn split_households<T: Tx>(
    tx: &mut T,
    planned: &[NewHousehold],
) -> Result<(Vec<NewHousehold>, Vec<DeferredHead>)> {
    let mut shown = std::collections::HashSet::new();
    if !planned.is_empty() {
        let mut q = Query::new("SELECT number FROM households WHERE number IN ");
        q.push_list(planned.iter().map(|h| Value::from(&h.number)));
        let tx: &mut dyn Tx = tx;
        for row in q.fetch(tx).await? {
            shown.insert(text(&row, "number")?);
        }
    }
    let mut now = Vec::new();
    let mut later = Vec::new();
    for h in planned {
        if !shown.contains(&h.number) {
            now.push(h.clone());
        } else if let Some(head) = &h.head {
            later.push((h.number.clone(), *head));
        }
    }
    Ok((now, later))
}

/// Lists a new run; its rows are hidden while it is listed.
async fn start_run<T: Tx>(tx: &mut T, file_hash: &str, now: i64) -> Result<i64> {
    let tx: &mut dyn Tx = tx;
    let row = tx
        .fetch_one(
            "INSERT INTO import_runs (file_hash, started_micros) VALUES ($1, $2) RETURNING id",
            &[Value::from(file_hash), now.into()],
        )
        .await?
        .ok_or_else(|| corrupt("import run"))?;
    int(&row, "id")
}

/// What a run brought, for its last transaction.
struct Finished<'a> {
    source: &'a str,
    file_hash: &'a str,
    outcome: &'a ImportOutcome,
    deferred: &'a [DeferredHead],
}

/// The run's last transaction: the heads it names for households already shown, the
/// import's record and audit event, and the run unlisted, which shows its rows.
async fn finish_run<T: Tx>(
    tx: &mut T,
    access: &Access,
    run: i64,
    done: Finished<'_>,
) -> Result<()> {
    let tx: &mut dyn Tx = tx;
    for (number, head) in done.deferred {
        tx.execute(
            "UPDATE household_rows SET head_personal_id = $1 WHERE number = $2",
            &[head.as_string().into(), Value::from(number)],
        )
        .await?;
    }
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    tx.execute(
        "INSERT INTO imports (file_hash, source, at_micros, actor, inserted, unchanged, staged) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            Value::from(done.file_hash),
            Value::from(done.source),
            access.now_micros.into(),
            Value::from(&access.actor),
            count(done.outcome.inserted).into(),
            count(done.outcome.unchanged).into(),
            count(done.outcome.staged.len() as u64).into(),
        ],
    )
    .await?;
    tx.execute("DELETE FROM import_runs WHERE id = $1", &[run.into()])
        .await?;
    crate::eligible::count_new(tx, "c.import_run = $1", vec![run.into()]).await?;
    tx.audit(access, actions::FORMS_IMPORT, "import", done.file_hash)
        .await
}

/// Rows deleted per transaction when a run is discarded.
const DISCARD_ROWS: i64 = 2_000;

/// Deletes a run's rows, a short transaction at a time, then the run itself.
pub async fn discard_run<B: Backend>(backend: &B, run: i64) -> Result<()> {
    loop {
        let mut tx = backend.begin(TxKind::Write).await?;
        let keys = {
            let t: &mut dyn Tx = &mut tx;
            t.fetch(
                "SELECT key FROM citizen_rows WHERE import_run = $1 LIMIT $2",
                &[run.into(), DISCARD_ROWS.into()],
            )
            .await?
        };
        let mut left = keys.len();
        if !keys.is_empty() {
            let keys: Vec<Value> = keys
                .iter()
                .map(|r| key(r, "key").map(Value::from))
                .collect::<Result<_>>()?;
            for table in [
                "citizen_history WHERE citizen_key IN ",
                "citizen_rows WHERE key IN ",
            ] {
                let mut q = Query::new(format!("DELETE FROM {table}"));
                q.push_list(keys.iter().cloned());
                let t: &mut dyn Tx = &mut tx;
                t.execute(&q.sql, &q.args).await?;
            }
        }
        for (table, id) in [("staged_form_rows", "id"), ("household_rows", "number")] {
            let n = tx
                .execute(
                    &format!(
                        "DELETE FROM {table} WHERE {id} IN (SELECT {id} FROM {table} WHERE import_run = $1 LIMIT $2)"
                    ),
                    &[run.into(), DISCARD_ROWS.into()],
                )
                .await?;
            left += usize::try_from(n).unwrap_or(usize::MAX);
        }
        if left == 0 {
            tx.execute("DELETE FROM import_runs WHERE id = $1", &[run.into()])
                .await?;
            tx.commit().await?;
            return Ok(());
        }
        tx.commit().await?;
    }
}

/// Discards the runs still listed when an import's turn begins: under the turn, no other
/// import runs, so each was left by a process that died or a discard that failed.
async fn discard_dead_runs<B: Backend>(backend: &B) -> Result<()> {
    let runs = {
        let mut tx = backend.begin(TxKind::Read).await?;
        let t: &mut dyn Tx = &mut tx;
        t.fetch("SELECT id FROM import_runs ORDER BY id", &[])
            .await?
    };
    for row in runs {
        discard_run(backend, int(&row, "id")?).await?;
    }
    Ok(())
}

/// A population load (the demo, benchmarks): households and official records in bulk.
pub async fn load_population<B: Backend>(
    backend: &B,
    tx: &mut B::Tx,
    access: &Access,
    batch: &PopulationBatch,
) -> Result<u64> {
    backend
        .upsert_households(tx, &merge_households(&batch.households), None)
        .await?;
    let records: Vec<NewRecord> = batch
        .citizens
        .iter()
        .map(|c| NewRecord {
            columns: c.columns.clone(),
            source: batch.source.clone(),
        })
        .collect();
    backend
        .insert_records(tx, &records, None, &access.actor, access.now_micros)
        .await?;
    let tx: &mut dyn Tx = tx;
    for some in records.chunks(1_000) {
        let mut keys = Query::new("c.key IN ");
        keys.push_list(some.iter().map(|r| Value::from(r.columns.key)));
        crate::eligible::count_new(tx, &keys.sql, keys.args).await?;
    }
    tx.audit(access, actions::CITIZEN_LOAD, "batch", &batch.source)
        .await?;
    Ok(batch.citizens.len() as u64)
}

const COLUMNS: &str = "id, source, row_number, reason, status, data, findings, home_province, home_district, home_commune,
    created_micros, verified_by, corrected_by, decided_by, decided_micros, decision_reason";

fn form(row: &Row) -> Result<StagedForm> {
    Ok(StagedForm {
        id: key(row, "id")?,
        source: text(row, "source")?,
        row: usize::try_from(int(row, "row_number")?).map_err(|_| corrupt("form row"))?,
        reason: StageReason::parse(&text(row, "reason")?).ok_or_else(|| corrupt("form reason"))?,
        status: FormStatus::parse(&text(row, "status")?).ok_or_else(|| corrupt("form status"))?,
        data: serde_json::from_str(&text(row, "data")?).map_err(|_| corrupt("form data"))?,
        locality: locality(row)?,
        findings: serde_json::from_str(&text(row, "findings")?)
            .map_err(|_| corrupt("form findings"))?,
        created_micros: int(row, "created_micros")?,
        verified_by: row.text("verified_by")?,
        corrected_by: row.text("corrected_by")?,
        decided_by: row.text("decided_by")?,
        decided_micros: row.int("decided_micros")?,
        decision_reason: row.text("decision_reason")?,
        // Set by `with_reach` before a form leaves the store.
        approvable_here: false,
    })
}

/// What approving a form would reach besides the form: the record held under its
/// personal ID, and the records that look like the same person under another one.
#[derive(Default)]
struct Reach {
    held: Option<Option<Locality>>,
    look_alikes: Vec<Option<Locality>>,
}

impl Reach {
    fn facts<'a>(&'a self, form: &'a StagedForm, residence: Option<&'a Locality>) -> FormFacts<'a> {
        FormFacts {
            status: form.status,
            verified_by: form.verified_by.as_deref(),
            corrected_by: form.corrected_by.as_deref(),
            residence,
            held: match &self.held {
                Some(place) => Held::At(place.as_ref()),
                None => Held::Nothing,
            },
            look_alikes: &self.look_alikes,
        }
    }
}

/// The reach of each form, in two queries whatever the number of forms.
async fn reach(tx: &mut dyn Tx, forms: &[&StagedForm]) -> Result<Vec<Reach>> {
    let mut reaches: Vec<Reach> = look_alikes(tx, forms)
        .await?
        .into_iter()
        .map(|look_alikes| Reach {
            held: None,
            look_alikes,
        })
        .collect();
    if forms.is_empty() {
        return Ok(reaches);
    }
    let ids: Vec<String> = forms
        .iter()
        .map(|f| f.data.personal_id.as_string())
        .collect();
    let mut q = Query::new(
        "SELECT personal_id, home_province, home_district, home_commune FROM citizens WHERE personal_id IN ",
    );
    q.push_list(ids.iter().map(Value::from));
    for row in q.fetch(tx).await? {
        let pid = text(&row, "personal_id")?;
        let place = locality(&row)?;
        for (r, id) in reaches.iter_mut().zip(&ids) {
            if *id == pid {
                r.held = Some(place.clone());
            }
        }
    }
    Ok(reaches)
}

/// For each form, where the records that look like the same person under another
/// personal ID live (same duplicate key), in one query.
async fn look_alikes(tx: &mut dyn Tx, forms: &[&StagedForm]) -> Result<Vec<Vec<Option<Locality>>>> {
    let mut found = vec![Vec::new(); forms.len()];
    if forms.is_empty() {
        return Ok(found);
    }
    let keys: Vec<String> = forms.iter().map(|f| duplicate_key(&f.data)).collect();
    let ids: Vec<String> = forms
        .iter()
        .map(|f| f.data.personal_id.as_string())
        .collect();
    let mut q = Query::new(
        "SELECT dup_key, personal_id, home_province, home_district, home_commune FROM citizens WHERE dup_key IN ",
    );
    q.push_list(keys.iter().map(Value::from));
    for row in q.fetch(tx).await? {
        let (key, pid) = (text(&row, "dup_key")?, text(&row, "personal_id")?);
        let place = locality(&row)?;
        for ((places, k), id) in found.iter_mut().zip(&keys).zip(&ids) {
            if *k == key && *id != pid {
                places.push(place.clone());
            }
        }
    }
    Ok(found)
}

/// Marks each open form with whether the caller's jurisdiction reaches all an approval
/// would; a closed form is approved by nobody.
async fn with_reach(
    tx: &mut dyn Tx,
    access: &Access,
    mut forms: Vec<StagedForm>,
) -> Result<Vec<StagedForm>> {
    let open: Vec<&StagedForm> = forms.iter().filter(|f| f.status.is_open()).collect();
    let reaches = reach(tx, &open).await?;
    let approvable: Vec<bool> = open
        .iter()
        .zip(&reaches)
        .map(|(f, r)| {
            r.facts(f, f.locality.as_ref())
                .approvable_within(&access.scope)
                .is_ok()
        })
        .collect();
    let mut approvable = approvable.into_iter();
    for f in forms.iter_mut().filter(|f| f.status.is_open()) {
        f.approvable_here = approvable.next().unwrap_or(false);
    }
    Ok(forms)
}

/// A staged form inside the caller's jurisdiction, as the table holds it.
async fn find(tx: &mut dyn Tx, access: &Access, id: Uuid) -> Result<Option<StagedForm>> {
    let mut q = Query::new(format!("SELECT {COLUMNS} FROM staged_forms WHERE id = $1"));
    q.args.push(id.into());
    if let Some(f) = access.scope_filter() {
        q.push(&format!(" AND {} = $?", f.column), f.code);
    }
    q.fetch(tx).await?.first().map(form).transpose()
}

/// A staged form inside the caller's jurisdiction; `audited` appends the read.
pub async fn get(
    tx: &mut dyn Tx,
    access: &Access,
    id: Uuid,
    audited: bool,
) -> Result<Option<StagedForm>> {
    let found = match find(tx, access, id).await? {
        Some(f) => with_reach(tx, access, vec![f]).await?.pop(),
        None => None,
    };
    if audited {
        tx.audit_outcome(
            access,
            actions::FORM_READ,
            "form",
            &id.to_string(),
            crate::citizens::outcome_of(&found),
        )
        .await?;
    }
    Ok(found)
}

pub async fn list(tx: &mut dyn Tx, access: &Access, query: &FormQuery) -> Result<Page<StagedForm>> {
    let malformed = || StoreError::Invalid("malformed cursor".into());
    let mut q = Query::new(format!("SELECT {COLUMNS} FROM staged_forms WHERE 1 = 1"));
    match query.status {
        Some(s) => {
            q.push(" AND status = $?", s.as_str());
        }
        None => {
            q.raw(" AND status IN ('draft', 'verified')");
        }
    }
    if let Some(f) = access.scope_filter() {
        q.push(&format!(" AND {} = $?", f.column), f.code);
    }
    if let Some(unit) = &query.unit {
        let f = ScopeFilter::for_code(unit);
        q.push(&format!(" AND {} = $?", f.column), f.code);
    }
    if let Some(cursor) = &query.cursor {
        let parts = decode_cursor(cursor, 2)?;
        let (Some(created), Some(id)) = (parts.first(), parts.get(1)) else {
            return Err(malformed());
        };
        let created: i64 = created.parse().map_err(|_| malformed())?;
        let id = Uuid::parse_str(id).map_err(|_| malformed())?;
        // UUIDs order as their bytes, which is the order of their lower-case hex text.
        q.push(" AND (created_micros, id) > ($?", created);
        q.push(", $?)", id);
    }
    let limit = query.limit.clamp(1, 100);
    q.push(
        " ORDER BY created_micros, id LIMIT $?",
        i64::from(limit) + 1,
    );
    let rows = q.fetch(tx).await?;
    let take = usize::try_from(limit).unwrap_or(100);
    let items = rows
        .iter()
        .take(take)
        .map(form)
        .collect::<Result<Vec<_>>>()?;
    let items = with_reach(tx, access, items).await?;
    let next_cursor = if rows.len() > take {
        items
            .last()
            .map(|f| encode_cursor(&[&f.created_micros.to_string(), &f.id.to_string()]))
    } else {
        None
    };
    let keys: Vec<String> = items.iter().map(|f| f.id.to_string()).collect();
    tx.audit(access, actions::FORM_LIST, "form", &keys.join(","))
        .await?;
    Ok(Page { items, next_cursor })
}

/// Takes one review step, as `cancuoc_domain::review` decides it.
pub async fn decide(
    tx: &mut dyn Tx,
    access: &Access,
    role: Role,
    id: Uuid,
    decision: &FormDecision,
) -> Result<StagedForm> {
    let Some(current) = find(tx, access, id).await? else {
        return Err(StoreError::NotFound(format!("staged form {id}")));
    };
    // The record the form would change and its look-alikes, wherever they live: an
    // approval must reach them all.
    let (held, reach) = match decision {
        FormDecision::Approve { .. } => {
            let held = get_anywhere(tx, &current.data.personal_id).await?;
            let reach = Reach {
                held: held.as_ref().map(|r| r.locality.clone()),
                look_alikes: look_alikes(tx, &[&current])
                    .await?
                    .pop()
                    .unwrap_or_default(),
            };
            (held, reach)
        }
        _ => (None, Reach::default()),
    };
    let residence = match decision {
        FormDecision::Correct { locality, .. } => locality.as_ref(),
        _ => current.locality.as_ref(),
    };
    let facts = reach.facts(&current, residence);
    let reviewer = Reviewer {
        username: &access.actor,
        role,
        scope: &access.scope,
    };
    let reason = match decision {
        FormDecision::Reject { reason } => Some(reason.as_str()),
        _ => None,
    };
    let to = decision.step().apply(&facts, &reviewer, reason)?;
    let now = access.now_micros;
    match decision {
        FormDecision::Verify => {
            tx.execute(
                "UPDATE staged_form_rows SET status = $1, verified_by = $2, decided_by = $2, decided_micros = $3
                 WHERE id = $4",
                &[to.as_str().into(), Value::from(&access.actor), now.into(), id.into()],
            )
            .await?;
        }
        FormDecision::Correct {
            data,
            locality,
            findings,
        } => {
            let place = |f: fn(&cancuoc_domain::Locality) -> Option<String>| {
                Value::Text(locality.as_ref().and_then(f))
            };
            tx.execute(
                "UPDATE staged_form_rows SET status = $1, personal_id = $2, content_hash = $3, data = $4, findings = $5,
                    home_province = $6, home_district = $7, home_commune = $8, verified_by = NULL,
                    corrected_by = $9, decided_by = $9, decided_micros = $10
                 WHERE id = $11",
                &[
                    to.as_str().into(),
                    data.personal_id.as_string().into(),
                    content_hash(data).into(),
                    Value::Json(Some(to_json(data.as_ref())?)),
                    Value::Json(Some(to_json(findings)?)),
                    place(|l| Some(l.province.as_str().to_owned())),
                    place(|l| l.district.as_ref().map(|d| d.as_str().to_owned())),
                    place(|l| Some(l.commune.as_str().to_owned())),
                    Value::from(&access.actor),
                    now.into(),
                    id.into(),
                ],
            )
            .await?;
        }
        FormDecision::Approve { new_key } => {
            let source = format!("form {id}");
            let p = Provenance {
                actor: &access.actor,
                source: &source,
                at_micros: now,
            };
            match &held {
                Some(existing) => {
                    update(
                        tx,
                        existing,
                        &current.data,
                        current.locality.as_ref(),
                        RecordStatus::Official,
                        &p,
                    )
                    .await?
                }
                None => {
                    insert(
                        tx,
                        *new_key,
                        &current.data,
                        current.locality.as_ref(),
                        RecordStatus::Official,
                        &p,
                    )
                    .await?
                }
            }
            if let Some(h) = household_of(&current.data) {
                upsert_household(tx, &h).await?;
            }
            set_status(tx, id, to, access, None).await?;
        }
        FormDecision::Reject { reason } => {
            set_status(tx, id, to, access, Some(reason)).await?;
        }
    }
    tx.audit(
        access,
        &format!("{}.{}", actions::FORM_DECIDE, decision.name()),
        "form",
        &id.to_string(),
    )
    .await?;
    get(tx, access, id, false)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("staged form {id}")))
}

/// One household, created or updated (a head already recorded is kept unless this one
/// names one).
pub async fn upsert_household(tx: &mut dyn Tx, h: &NewHousehold) -> Result<()> {
    tx.execute(
        "INSERT INTO household_rows (number, commune, address, head_personal_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (number) DO UPDATE
            SET head_personal_id = COALESCE(excluded.head_personal_id, household_rows.head_personal_id)",
        &[
            Value::from(&h.number),
            h.commune.as_str().into(),
            Value::from(&h.address),
            Value::Text(h.head.as_ref().map(cancuoc_domain::PersonalId::as_string)),
        ],
    )
    .await?;
    Ok(())
}

async fn set_status(
    tx: &mut dyn Tx,
    id: Uuid,
    status: FormStatus,
    access: &Access,
    reason: Option<&String>,
) -> Result<()> {
    tx.execute(
        "UPDATE staged_form_rows SET status = $1, decided_by = $2, decided_micros = $3,
            decision_reason = COALESCE($4, decision_reason) WHERE id = $5",
        &[
            status.as_str().into(),
            Value::from(&access.actor),
            access.now_micros.into(),
            Value::Text(reason.cloned()),
            id.into(),
        ],
    )
    .await?;
    Ok(())
}
