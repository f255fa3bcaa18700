//! Collection-form imports and the review of staged records.

use cancuoc_domain::review::{FormFacts, Held, Reviewer};
use cancuoc_domain::{Locality, RecordStatus, Role};
use cancuoc_store::*;
use futures_util::StreamExt;
use uuid::Uuid;

use crate::citizens::{Provenance, get_anywhere, insert, locality, update};
use crate::{Backend, Query, Row, Tx, Value, corrupt, int, key, text};

/// Applies an import chunk by chunk as the chunks arrive, gathered up to the backend's
/// chunk size: the backend reads what the register holds for the chunk, the shared
/// planner decides every row, and the backend's bulk path writes the plan before the
/// next chunk is read. Runs in one bulk transaction, which holds the write lock (the
/// audit lock on PostgreSQL) from its start: two imports never interleave, and the same
/// file imported twice at once stages nothing twice.
pub async fn import<B: Backend>(
    backend: &B,
    tx: &mut B::Tx,
    access: &Access,
    import: ImportStream<'_>,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> Result<ImportOutcome> {
    let ImportStream {
        source,
        file_hash,
        rows_at_most,
        mut chunks,
    } = import;
    let mut state = backend.start_import(tx, rows_at_most).await?;
    let gather = backend.import_chunk_rows();
    let mut done = 0u64;
    let mut outcome = ImportOutcome::default();
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
        let view = backend.register_view(tx, &chunk, &state).await?;
        let plan = chunk.plan(&view, &source, &access.scope)?;
        backend.learn(&mut state, &plan);
        backend.upsert_households(tx, &plan.households).await?;
        backend
            .insert_records(tx, &plan.records, &access.actor, access.now_micros)
            .await?;
        backend
            .insert_staged(tx, &plan.staged, access.now_micros)
            .await?;
        outcome.inserted += plan.records.len() as u64;
        outcome.unchanged += plan.unchanged;
        outcome.staged.extend(plan.stage_reasons);
        done += chunk.len() as u64;
        progress(done);
    }
    backend.finish_import(tx, state).await?;
    let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let tx: &mut dyn Tx = tx;
    tx.execute(
        "INSERT INTO imports (file_hash, source, at_micros, actor, inserted, unchanged, staged) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            Value::from(&file_hash),
            Value::from(&source),
            access.now_micros.into(),
            Value::from(&access.actor),
            count(outcome.inserted).into(),
            count(outcome.unchanged).into(),
            count(outcome.staged.len() as u64).into(),
        ],
    )
    .await?;
    tx.audit(access, actions::FORMS_IMPORT, "import", &file_hash)
        .await?;
    Ok(outcome)
}

/// A population load (the demo, benchmarks): households and official records in bulk.
pub async fn load_population<B: Backend>(
    backend: &B,
    tx: &mut B::Tx,
    access: &Access,
    batch: &PopulationBatch,
) -> Result<u64> {
    backend
        .upsert_households(tx, &merge_households(&batch.households))
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
        .insert_records(tx, &records, &access.actor, access.now_micros)
        .await?;
    let tx: &mut dyn Tx = tx;
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
                "UPDATE staged_forms SET status = $1, verified_by = $2, decided_by = $2, decided_micros = $3
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
                "UPDATE staged_forms SET status = $1, personal_id = $2, content_hash = $3, data = $4, findings = $5,
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
        "INSERT INTO households (number, commune, address, head_personal_id) VALUES ($1, $2, $3, $4)
         ON CONFLICT (number) DO UPDATE
            SET head_personal_id = COALESCE(excluded.head_personal_id, households.head_personal_id)",
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
        "UPDATE staged_forms SET status = $1, decided_by = $2, decided_micros = $3,
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
