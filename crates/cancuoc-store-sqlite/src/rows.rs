//! Turning rows back into domain values. A row that does not parse is corrupt data:
//! it is reported as a backend failure, never passed on half-read.

use cancuoc_domain::citizen::CitizenData;
use cancuoc_domain::{AdminCode, Locality, RecordStatus};
use cancuoc_store::{CitizenRecord, StoreError};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Backend(format!("corrupt {what} in the database"))
}

pub(crate) fn col<T>(row: &SqliteRow, name: &str) -> Result<T, StoreError>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(name).map_err(crate::backend)
}

pub(crate) fn uuid(row: &SqliteRow, name: &str) -> Result<Uuid, StoreError> {
    let s: String = col(row, name)?;
    Uuid::parse_str(&s).map_err(|_| corrupt(name))
}

pub(crate) fn locality(row: &SqliteRow) -> Result<Option<Locality>, StoreError> {
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

pub(crate) fn citizen_data(row: &SqliteRow) -> Result<CitizenData, StoreError> {
    let json: String = col(row, "data")?;
    serde_json::from_str(&json).map_err(|_| corrupt("citizen data"))
}

pub(crate) fn status(row: &SqliteRow) -> Result<RecordStatus, StoreError> {
    let s: String = col(row, "status")?;
    RecordStatus::parse(&s).ok_or_else(|| corrupt("record status"))
}

pub(crate) const CITIZEN_COLUMNS: &str = "key, status, version, data, home_province, home_district, home_commune, updated_micros, name_key, personal_id";

pub(crate) fn citizen(row: &SqliteRow) -> Result<CitizenRecord, StoreError> {
    Ok(CitizenRecord {
        key: uuid(row, "key")?,
        status: status(row)?,
        version: col(row, "version")?,
        data: citizen_data(row)?,
        locality: locality(row)?,
        updated_micros: col(row, "updated_micros")?,
    })
}
