//! Turning rows back into domain values. A row that does not parse is corrupt data:
//! it is reported as a backend failure, never passed on half-read.
//!
//! UUID and JSONB columns are selected as text (`key::text AS key`, `data::text AS data`)
//! and bound as text with a cast (`$1::uuid`, `$2::jsonb`), so the backend needs no sqlx
//! type features beyond `postgres`.

use cancuoc_domain::citizen::CitizenData;
use cancuoc_domain::{AdminCode, Locality, RecordStatus};
use cancuoc_store::{CitizenRecord, StoreError};
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;

pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Backend(format!("corrupt {what} in the database"))
}

pub(crate) fn col<T>(row: &PgRow, name: &str) -> Result<T, StoreError>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(name).map_err(crate::backend)
}

pub(crate) fn uuid(row: &PgRow, name: &str) -> Result<Uuid, StoreError> {
    let s: String = col(row, name)?;
    Uuid::parse_str(&s).map_err(|_| corrupt(name))
}

pub(crate) fn locality(row: &PgRow) -> Result<Option<Locality>, StoreError> {
    let province: Option<String> = col(row, "home_province")?;
    let district: Option<String> = col(row, "home_district")?;
    let commune: Option<String> = col(row, "home_commune")?;
    let code = |s: String| AdminCode::parse(&s).map_err(|_| corrupt("locality"));
    match (province, commune) {
        (Some(p), Some(c)) => Ok(Some(Locality {
            province: code(p)?,
            district: district.map(code).transpose()?,
            commune: code(c)?,
        })),
        _ => Ok(None),
    }
}

pub(crate) fn citizen_data(row: &PgRow) -> Result<CitizenData, StoreError> {
    let json: String = col(row, "data")?;
    serde_json::from_str(&json).map_err(|_| corrupt("citizen data"))
}

pub(crate) fn status(row: &PgRow) -> Result<RecordStatus, StoreError> {
    let s: String = col(row, "status")?;
    RecordStatus::parse(&s).ok_or_else(|| corrupt("record status"))
}

pub(crate) const CITIZEN_COLUMNS: &str = "key::text AS key, status, version, data::text AS data, home_province, \
     home_district, home_commune, updated_micros, name_key, personal_id";

pub(crate) fn citizen(row: &PgRow) -> Result<CitizenRecord, StoreError> {
    Ok(CitizenRecord {
        key: uuid(row, "key")?,
        status: status(row)?,
        version: col(row, "version")?,
        data: citizen_data(row)?,
        locality: locality(row)?,
        updated_micros: col(row, "updated_micros")?,
    })
}

/// A count or row number as a BIGINT.
pub(crate) fn big(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}
