//! The list of mountain, border and island districts behind the 20-working-day limit of
//! the 2014 law (issue 16 §10): kept by each province police for its own districts, every
//! change audited, and read by every filing, so a change applies from the next one on.

use cancuoc_domain::remote::{RemoteDistrict, RemoteKind, shipped};
use cancuoc_domain::{AdminCode, AdminLevel, PoliceUnitCode};
use cancuoc_store::{Access, RemoteDistrictRecord};
use uuid::Uuid;

use crate::applications::parse_day;
use crate::{App, AppError, Caller};

/// An entry as an officer gives it.
#[derive(Debug, Clone, Default)]
pub struct RemoteDistrictRequest {
    /// The district's code (GSO), e.g. `447`.
    pub district: String,
    /// `mountain`, `border` or `island`.
    pub kind: String,
    /// The decision that classifies the district.
    pub basis: String,
    /// `YYYY-MM-DD`.
    pub valid_from: String,
    /// `YYYY-MM-DD`, or empty while in force.
    pub valid_to: Option<String>,
}

impl App {
    /// The entries of one province's districts (every province when `None`), current and
    /// ended. Anyone signed in may read the list: it is the law's application, not
    /// personal data.
    pub async fn remote_districts(
        &self,
        province: Option<&AdminCode>,
    ) -> Result<Vec<RemoteDistrictRecord>, AppError> {
        let places = self.places();
        Ok(self
            .store
            .remote_districts()
            .await?
            .into_iter()
            .filter(|r| {
                province.is_none_or(|p| {
                    AdminCode::parse(&r.entry.district)
                        .ok()
                        .and_then(|d| places.get(&d))
                        .is_some_and(|d| d.parent.as_ref() == Some(p))
                })
            })
            .collect())
    }

    /// The entries every filing reads for its time limit.
    pub(crate) async fn remote_list(&self) -> Result<Vec<RemoteDistrict>, AppError> {
        Ok(self
            .store
            .remote_districts()
            .await?
            .into_iter()
            .map(|r| r.entry)
            .collect())
    }

    /// Adds a district of the caller's province to the list.
    pub async fn add_remote_district(
        &self,
        caller: &Caller,
        request: &RemoteDistrictRequest,
    ) -> Result<RemoteDistrictRecord, AppError> {
        let access = self.remote_access(caller, "remote_district.add")?;
        let district = self.district_in_scope(&access, request.district.trim())?;
        let kind = RemoteKind::parse(request.kind.trim()).ok_or_else(|| {
            AppError::Invalid(format!(
                "kind: {:?} is not mountain, border or island",
                request.kind
            ))
        })?;
        let valid_from = parse_day(&request.valid_from, "valid_from")?;
        let valid_to = request
            .valid_to
            .as_deref()
            .filter(|d| !d.trim().is_empty())
            .map(|d| parse_day(d, "valid_to"))
            .transpose()?;
        let entry = RemoteDistrict::new(
            district.as_str(),
            kind,
            &request.basis,
            valid_from,
            valid_to,
        )
        .map_err(|e| AppError::Invalid(e.to_string()))?;
        let record = self.list_entry(&access, entry).await?;
        Ok(record)
    }

    /// Ends an entry of the caller's province: it stays in force on `last_day`.
    pub async fn end_remote_district(
        &self,
        caller: &Caller,
        id: Uuid,
        last_day: &str,
    ) -> Result<RemoteDistrictRecord, AppError> {
        let access = self.remote_access(caller, "remote_district.end")?;
        let last_day = parse_day(last_day, "valid_to")?;
        let current = self
            .store
            .remote_districts()
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| AppError::NotFound(format!("remote district entry {id}")))?;
        self.district_in_scope(&access, &current.entry.district)?;
        Ok(self
            .store
            .end_remote_district(&access, id, last_day)
            .await?)
    }

    /// A register made before the list existed gets the island districts when it is next
    /// served, so that their 20-day limit is not lost on upgrade.
    pub async fn ensure_remote_districts(&self) -> Result<(), AppError> {
        let operator = Caller::Operator {
            name: "serve".into(),
        };
        self.seed_remote_districts(&operator.access(&*self.clock, "remote districts"))
            .await
    }

    /// The island districts a new register starts with, unless it has a list already.
    pub(crate) async fn seed_remote_districts(&self, access: &Access) -> Result<(), AppError> {
        if !self.store.remote_districts().await?.is_empty() {
            return Ok(());
        }
        for entry in shipped() {
            self.list_entry(access, entry).await?;
        }
        Ok(())
    }

    /// Writes an entry under the caller's name (audited by the store).
    async fn list_entry(
        &self,
        access: &Access,
        entry: RemoteDistrict,
    ) -> Result<RemoteDistrictRecord, AppError> {
        let record = RemoteDistrictRecord {
            id: self.random.record_key(),
            entry,
            created_by: access.actor.clone(),
            created_micros: access.now_micros,
            ended_by: None,
        };
        self.store.add_remote_district(access, &record).await?;
        Ok(record)
    }

    fn remote_access(&self, caller: &Caller, purpose: &str) -> Result<Access, AppError> {
        if let Some(o) = caller.officer()
            && !o.role.keeps_remote_districts()
        {
            return Err(AppError::Forbidden(
                "the list of remote districts is kept by the province police".into(),
            ));
        }
        Ok(caller.access(&*self.clock, purpose))
    }

    /// A district of the loaded hierarchy within the caller's jurisdiction.
    fn district_in_scope(&self, access: &Access, code: &str) -> Result<AdminCode, AppError> {
        let places = self.places();
        let district = AdminCode::parse(code)
            .ok()
            .filter(|c| {
                places
                    .get(c)
                    .is_some_and(|u| u.code.level() == AdminLevel::District)
            })
            .ok_or_else(|| {
                AppError::Invalid(format!("district: {code:?} is not a district code"))
            })?;
        if !places.sees(&access.scope, &PoliceUnitCode::District(district.clone())) {
            // As elsewhere, what lies outside the caller's area is not there for them.
            return Err(AppError::NotFound(format!("district {code}")));
        }
        Ok(district)
    }
}
