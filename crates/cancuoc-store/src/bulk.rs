//! The parts of a bulk write that do not depend on SQL: the column values of a record,
//! computed once, and the plan of one chunk of an import. Both backends read what the
//! register holds for a whole chunk in three set queries, let [`PreparedChunk::plan`]
//! decide every row exactly as a row-by-row import would, and write the plan with
//! multi-row statements (SQLite) or `COPY` (PostgreSQL).

use std::collections::{HashMap, HashSet};

use cancuoc_domain::citizen::CitizenData;
use cancuoc_domain::text::fold;
use cancuoc_domain::{Locality, PersonalId, RecordStatus};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    HeldRecord, ImportRow, NewHousehold, Result, RowDecision, StageReason, StoreError, decide_row,
    duplicate_key,
};

/// Rows per chunk of an import: large enough that statement overhead vanishes, small
/// enough that SQLite's limit of 32,766 bound values per statement holds.
pub const IMPORT_CHUNK: usize = 1_000;

/// A record's row in `citizens`: its indexed columns and its data as JSON.
#[derive(Debug, Clone)]
pub struct CitizenColumns {
    pub key: Uuid,
    pub personal_id: String,
    pub old_id_number: Option<String>,
    pub name_key: String,
    pub birth_year: i32,
    pub birth_date: String,
    pub dup_key: String,
    pub household_number: Option<String>,
    pub home_province: Option<String>,
    pub home_district: Option<String>,
    pub home_commune: Option<String>,
    pub status: RecordStatus,
    pub data_json: String,
}

pub fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(format!("serialise: {e}")))
}

impl CitizenColumns {
    pub fn new(
        key: Uuid,
        data: &CitizenData,
        locality: Option<&Locality>,
        status: RecordStatus,
    ) -> Result<Self> {
        let json = to_json(data)?;
        Ok(Self::with_json(key, data, locality, status, json))
    }

    fn with_json(
        key: Uuid,
        data: &CitizenData,
        locality: Option<&Locality>,
        status: RecordStatus,
        data_json: String,
    ) -> Self {
        Self {
            key,
            personal_id: data.personal_id.as_string(),
            old_id_number: data.old_id_number.as_ref().map(|o| o.as_str().to_owned()),
            name_key: fold(&data.full_name),
            birth_year: i32::from(data.birth_date.year()),
            birth_date: data.birth_date.iso(),
            dup_key: duplicate_key(data),
            household_number: data.household_number.clone(),
            home_province: locality.map(|l| l.province.as_str().to_owned()),
            home_district: locality
                .and_then(|l| l.district.as_ref())
                .map(|d| d.as_str().to_owned()),
            home_commune: locality.map(|l| l.commune.as_str().to_owned()),
            status,
            data_json,
        }
    }
}

/// A new record with the source its first history entry names.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub columns: CitizenColumns,
    pub source: String,
}

/// A row to put in the review queue.
#[derive(Debug, Clone)]
pub struct StagedRow {
    pub id: Uuid,
    /// The import file, as its records' provenance names it.
    pub source: String,
    pub row: i64,
    pub reason: StageReason,
    pub personal_id: String,
    pub content_hash: String,
    pub data_json: String,
    pub findings_json: String,
    pub home_province: Option<String>,
    pub home_district: Option<String>,
    pub home_commune: Option<String>,
}

/// What the register holds for a chunk's keys, as the three set queries return it.
#[derive(Debug, Default)]
pub struct RegisterView {
    /// Records by personal ID.
    pub existing: HashMap<String, HeldRecord>,
    /// Personal IDs of records, with where they live, by duplicate key.
    pub by_duplicate_key: HashMap<String, Vec<(String, Option<Locality>)>>,
    /// Content hashes of open (draft or verified) staged forms.
    pub open_staged: HashSet<String>,
}

/// What to write for one chunk, and what to report.
#[derive(Debug, Default)]
pub struct ChunkPlan {
    pub records: Vec<NewRecord>,
    pub staged: Vec<StagedRow>,
    /// Households named by the new records, merged (see [`merge_households`]).
    pub households: Vec<NewHousehold>,
    pub unchanged: u64,
    pub stage_reasons: Vec<(usize, StageReason)>,
}

/// A chunk of import rows with the keys its look-ups need, each computed once. It owns
/// its rows so that it can be prepared on another thread while the store writes the
/// chunk before it.
#[derive(Debug)]
pub struct PreparedChunk {
    rows: Vec<ImportRow>,
    json: Vec<String>,
    hashes: Vec<String>,
    duplicate_keys: Vec<String>,
    personal_ids: Vec<String>,
}

pub fn content_hash_of_json(json: &str) -> String {
    hex::encode(Sha256::digest(json.as_bytes()))
}

impl PreparedChunk {
    pub fn new(rows: Vec<ImportRow>) -> Result<Self> {
        let json = rows
            .iter()
            .map(|r| to_json(&r.data))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            hashes: json.iter().map(|j| content_hash_of_json(j)).collect(),
            duplicate_keys: rows.iter().map(|r| duplicate_key(&r.data)).collect(),
            personal_ids: rows
                .iter()
                .map(|r| r.data.personal_id.as_string())
                .collect(),
            rows,
            json,
        })
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// `next`'s rows after this chunk's, for a store that writes larger chunks than
    /// it is given.
    pub fn append(&mut self, mut next: PreparedChunk) {
        self.rows.append(&mut next.rows);
        self.json.append(&mut next.json);
        self.hashes.append(&mut next.hashes);
        self.duplicate_keys.append(&mut next.duplicate_keys);
        self.personal_ids.append(&mut next.personal_ids);
    }

    pub fn personal_ids(&self) -> &[String] {
        &self.personal_ids
    }

    pub fn duplicate_keys(&self) -> &[String] {
        &self.duplicate_keys
    }

    pub fn content_hashes(&self) -> &[String] {
        &self.hashes
    }

    /// Decides every row against the register as it stood before the chunk plus the
    /// rows of the chunk decided before it, which is what one-row-at-a-time would see.
    /// `scope` is the importer's jurisdiction: every row must live inside it (the caller
    /// rejects the others), and findings name only records inside it.
    pub fn plan(
        &self,
        view: &RegisterView,
        source: &str,
        scope: &cancuoc_domain::Jurisdiction,
    ) -> Result<ChunkPlan> {
        let mut plan = ChunkPlan::default();
        let mut inserted: HashMap<&str, (&CitizenData, Option<&Locality>)> = HashMap::new();
        let mut inserted_dups: HashMap<&str, (&str, Option<&Locality>)> = HashMap::new();
        let mut staged_here: HashSet<&str> = HashSet::new();
        let mut households = Vec::new();
        let items = self
            .rows
            .iter()
            .zip(&self.json)
            .zip(&self.hashes)
            .zip(&self.duplicate_keys)
            .zip(&self.personal_ids);
        for ((((row, json), hash), dup_key), pid) in items {
            if !scope.covers_record(row.locality.as_ref()) {
                return Err(StoreError::Invalid(format!(
                    "row {}: the residence lies outside the importer's jurisdiction",
                    row.row
                )));
            }
            let existing = view
                .existing
                .get(pid)
                .map(|h| (&h.data, h.locality.as_ref()))
                .or_else(|| inserted.get(pid.as_str()).copied());
            let duplicate = if existing.is_none() {
                let from_register = view
                    .by_duplicate_key
                    .get(dup_key)
                    .and_then(|ids| ids.iter().find(|(other, _)| other != pid))
                    .map(|(other, place)| (other.as_str(), place.as_ref()));
                from_register.or_else(|| inserted_dups.get(dup_key.as_str()).copied())
            } else {
                None
            };
            let duplicate =
                duplicate.and_then(|(d, place)| PersonalId::parse(d).ok().map(|d| (d, place)));
            let already_staged =
                view.open_staged.contains(hash) || staged_here.contains(hash.as_str());
            match decide_row(
                row,
                existing,
                duplicate.as_ref().map(|(d, place)| (d, *place)),
                already_staged,
                scope,
            ) {
                RowDecision::Unchanged => plan.unchanged += 1,
                RowDecision::Insert => {
                    inserted.insert(pid, (&row.data, row.locality.as_ref()));
                    inserted_dups.insert(dup_key, (pid, row.locality.as_ref()));
                    if let Some(h) = household_of(&row.data) {
                        households.push(h);
                    }
                    plan.records.push(NewRecord {
                        columns: CitizenColumns::with_json(
                            row.new_key,
                            &row.data,
                            row.locality.as_ref(),
                            RecordStatus::Official,
                            json.clone(),
                        ),
                        source: format!("{source} row {}", row.row),
                    });
                }
                RowDecision::Stage { reason, findings } => {
                    staged_here.insert(hash);
                    let l = row.locality.as_ref();
                    plan.staged.push(StagedRow {
                        id: row.new_key,
                        source: source.to_owned(),
                        row: i64::try_from(row.row).unwrap_or(i64::MAX),
                        reason,
                        personal_id: pid.clone(),
                        content_hash: hash.clone(),
                        data_json: json.clone(),
                        findings_json: to_json(&findings)?,
                        home_province: l.map(|l| l.province.as_str().to_owned()),
                        home_district: l
                            .and_then(|l| l.district.as_ref())
                            .map(|d| d.as_str().to_owned()),
                        home_commune: l.map(|l| l.commune.as_str().to_owned()),
                    });
                    plan.stage_reasons.push((row.row, reason));
                }
            }
        }
        plan.households = merge_households(&households);
        Ok(plan)
    }
}

/// The household a new record names, with the record as its head when it says so.
pub fn household_of(data: &CitizenData) -> Option<NewHousehold> {
    let (Some(number), Some(residence)) = (&data.household_number, &data.permanent_residence)
    else {
        return None;
    };
    let is_head = data
        .relation_to_head
        .as_deref()
        .is_some_and(|r| fold(r) == "CHU HO");
    Some(NewHousehold {
        number: number.clone(),
        commune: residence.commune.clone(),
        address: residence.address.clone(),
        head: is_head.then_some(data.personal_id),
    })
}

/// Households with repeated numbers merged the way one upsert after another would
/// merge them: the first occurrence's commune and address, the last head named.
pub fn merge_households(households: &[NewHousehold]) -> Vec<NewHousehold> {
    let mut out: Vec<NewHousehold> = Vec::with_capacity(households.len());
    let mut at: HashMap<&str, usize> = HashMap::new();
    for h in households {
        match at.get(h.number.as_str()).and_then(|&i| out.get_mut(i)) {
            Some(existing) => {
                if h.head.is_some() {
                    existing.head = h.head;
                }
            }
            None => {
                at.insert(&h.number, out.len());
                out.push(h.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cancuoc_domain::AdminCode;

    fn household(number: &str, head: Option<&str>) -> NewHousehold {
        NewHousehold {
            number: number.to_owned(),
            commune: AdminCode::parse("18541").unwrap_or_else(|_| unreachable!()),
            address: format!("address of {number}"),
            head: head.and_then(|h| PersonalId::parse(h).ok()),
        }
    }

    #[test]
    fn merged_households_keep_the_first_place_and_the_last_head() {
        let merged = merge_households(&[
            household("A", None),
            household("B", Some("042090000001")),
            household("A", Some("042090000002")),
            household("A", None),
        ]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].number, "A");
        assert_eq!(
            merged[0].head.map(|h| h.as_string()).as_deref(),
            Some("042090000002")
        );
        assert_eq!(merged[1].number, "B");
    }
}
