//! Setting a deployment up: reference data, the first administrator, the synthetic
//! population of the demo, and the audit chain's verification.

use cancuoc_domain::admin_data::{ADMIN_UNITS_2021, ADMIN_UNITS_2025, parse_admin_units};
use cancuoc_domain::personal_id::{IdPrefix, SerialPermutation};
use cancuoc_domain::police::derive_police_units;
use cancuoc_domain::population::{CommuneInfo, PopulationSpec, SyntheticHousehold, generate};
use cancuoc_domain::{AdminCode, PersonalId, PoliceUnitCode, Role, Sex};
use cancuoc_store::{CitizenColumns, NewCitizen, NewHousehold, PopulationBatch, ReferenceSummary};
use serde::Serialize;

use crate::{App, AppError, Caller};

#[derive(Debug, Clone, Serialize)]
pub struct InitReport {
    pub hierarchy: String,
    pub reference: ReferenceSummary,
    /// The administrator's one-time password when one was generated now.
    pub admin_password: Option<String>,
    pub admin_created: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    pub province: String,
    pub people: u64,
    pub households: u64,
}

/// Follows a demo load: each generated person as it is generated, and the running count
/// of people committed. The command line draws a progress bar; the benchmark samples.
pub trait DemoObserver: Send {
    fn person(&mut self, _record: &CitizenColumns) {}
    fn loaded(&mut self, _people: u64) {}
}

/// An observer that looks at nothing.
#[derive(Debug, Default)]
pub struct Unobserved;

impl DemoObserver for Unobserved {}

/// People loaded per transaction by the demo: large enough to amortise a commit,
/// small enough to keep memory flat for millions of people.
const DEMO_BATCH: usize = 100_000;

impl App {
    /// Loads the chosen hierarchy and its police units, and creates the administrator
    /// `admin` (unit BCA) if there is none. Safe to run again.
    pub async fn init(
        &self,
        hierarchy: &str,
        admin_password: Option<&str>,
    ) -> Result<InitReport, AppError> {
        let reference = self.load_hierarchy(hierarchy).await?;
        let operator = Caller::Operator {
            name: "init".into(),
        };
        let exists = self.store.officer_credentials("admin").await?.is_some();
        let (admin_created, admin_password) = if exists {
            (false, None)
        } else {
            let password = self
                .add_officer(
                    &operator,
                    "admin",
                    "Quản trị hệ thống",
                    &PoliceUnitCode::Ministry,
                    Role::Admin,
                    admin_password,
                )
                .await?;
            (true, admin_password.is_none().then_some(password))
        };
        Ok(InitReport {
            hierarchy: hierarchy.to_owned(),
            reference,
            admin_password,
            admin_created,
        })
    }

    /// Loads the chosen hierarchy and its police units, and the list of remote districts
    /// as the law sets it. Safe to run again.
    pub(crate) async fn load_hierarchy(
        &self,
        hierarchy: &str,
    ) -> Result<cancuoc_store::ReferenceSummary, AppError> {
        let text = match hierarchy {
            "2021" => ADMIN_UNITS_2021,
            "2025" => ADMIN_UNITS_2025,
            other => {
                return Err(AppError::Invalid(format!(
                    "unknown hierarchy {other:?}: choose 2021 or 2025"
                )));
            }
        };
        let admin = parse_admin_units(text)
            .map_err(|e| AppError::Internal(format!("vendored data: {e}")))?;
        let police = derive_police_units(&admin);
        let reference = self
            .store
            .load_reference(hierarchy, &admin, &police)
            .await?;
        self.reload_places().await?;
        let operator = Caller::Operator {
            name: "init".into(),
        };
        self.seed_remote_districts(&operator.access(&*self.clock, "remote districts"))
            .await?;
        Ok(reference)
    }

    /// Generates a synthetic population for a province and loads it as official
    /// records, telling `observer` what it does.
    pub async fn demo(
        &self,
        caller: &Caller,
        province: &str,
        people: usize,
        seed: u64,
        observer: &mut dyn DemoObserver,
    ) -> Result<DemoReport, AppError> {
        let communes = self.communes_for_population(province)?;
        let places = self.places();
        let access = caller.access(&*self.clock, "synthetic population");
        let source = format!("demo province {province} seed {seed}");
        // Generation runs on its own thread, one batch ahead of the store, so that the
        // two halves of the work share the machine's cores instead of taking turns.
        type Generated = Result<(PopulationBatch, u64), AppError>;
        let (sender, mut batches) = tokio::sync::mpsc::channel::<Generated>(2);
        let generator = {
            let (province, today) = (province.to_owned(), self.clock.today());
            let (id_key, random) = (self.config.id_key.clone(), self.random.clone());
            let source = source.clone();
            tokio::task::spawn_blocking(move || {
                let spec = PopulationSpec {
                    province: &province,
                    communes: &communes,
                    people,
                    seed,
                    today,
                    id_key: &id_key,
                };
                let fresh = || PopulationBatch {
                    source: source.clone(),
                    ..PopulationBatch::default()
                };
                let mut batch = fresh();
                let mut households = 0u64;
                for h in generate(&spec) {
                    let locality = places.locality(&h.commune);
                    batch.households.push(NewHousehold {
                        number: h.number.clone(),
                        commune: h.commune.clone(),
                        address: h.address.clone(),
                        head: h.members.first().map(|m| m.personal_id),
                    });
                    households += 1;
                    for member in &h.members {
                        match NewCitizen::new(random.record_key(), member, locality.as_ref()) {
                            Ok(c) => batch.citizens.push(c),
                            Err(e) => {
                                let _ = sender.blocking_send(Err(e.into()));
                                return;
                            }
                        }
                    }
                    if batch.citizens.len() >= DEMO_BATCH {
                        let full = std::mem::replace(&mut batch, fresh());
                        if sender.blocking_send(Ok((full, households))).is_err() {
                            // The loader stopped on an error, which it reports.
                            return;
                        }
                        households = 0;
                    }
                }
                if !batch.citizens.is_empty() {
                    let _ = sender.blocking_send(Ok((batch, households)));
                }
            })
        };
        let mut loaded = 0u64;
        let mut households = 0u64;
        while let Some(generated) = batches.recv().await {
            let (batch, in_batch) = generated?;
            for c in &batch.citizens {
                observer.person(&c.columns);
            }
            loaded += self.store.load_population(&access, &batch).await?;
            households += in_batch;
            observer.loaded(loaded);
        }
        generator
            .await
            .map_err(|e| AppError::Internal(format!("the population generator failed: {e}")))?;
        if let Err(e) = self.store.refresh_statistics().await {
            tracing::warn!("statistics not refreshed after the population load: {e}");
        }
        self.demo_machines(&access, province).await?;
        Ok(DemoReport {
            province: province.to_owned(),
            people: loaded,
            households,
        })
    }

    /// Four enrollment kits for each district police of the province that has none, as
    /// the 2021 reports describe them (15 minutes per application outside the cities), so
    /// that a demo can be planned at once.
    async fn demo_machines(
        &self,
        access: &cancuoc_store::Access,
        province: &str,
    ) -> Result<(), AppError> {
        let places = self.places();
        let Ok(head) = PoliceUnitCode::parse(&format!("CAT-{province}")) else {
            return Ok(());
        };
        for unit in places.police_children(&head) {
            if !matches!(unit, PoliceUnitCode::District(_)) {
                continue;
            }
            let code = unit.as_string();
            if !self.store.machines(&code).await?.is_empty() {
                continue;
            }
            for n in 1..=4 {
                let machine = cancuoc_store::Machine {
                    id: self.random.record_key(),
                    unit: code.clone(),
                    label: format!("Bộ {n}"),
                    minutes_per_application: 15,
                    active: true,
                    created_micros: access.now_micros,
                };
                self.store.add_machine(access, &machine).await?;
            }
        }
        Ok(())
    }

    /// The communes of a province, as the population generator wants them.
    fn communes_for_population(&self, province: &str) -> Result<Vec<CommuneInfo>, AppError> {
        let code = AdminCode::parse(province).map_err(|e| AppError::Invalid(e.to_string()))?;
        let communes: Vec<CommuneInfo> = self
            .places()
            .communes_of(&code)
            .into_iter()
            .map(|(code, district, urban)| CommuneInfo {
                code,
                district,
                urban,
            })
            .collect();
        if communes.is_empty() {
            return Err(AppError::Invalid(format!(
                "province {province} has no communes in the loaded hierarchy"
            )));
        }
        Ok(communes)
    }

    /// The synthetic population of a province as the generator yields it, household by
    /// household, without loading it: what the import benchmark writes out as forms.
    pub fn synthetic_population(
        &self,
        province: &str,
        people: usize,
        seed: u64,
    ) -> Result<impl Iterator<Item = SyntheticHousehold> + use<>, AppError> {
        let communes = self.communes_for_population(province)?;
        Ok(generate(&PopulationSpec {
            province,
            communes: &communes,
            people,
            seed,
            today: self.clock.today(),
            id_key: &self.config.id_key,
        }))
    }

    /// Allocates a new personal ID number for a birth registered in `province`.
    pub async fn allocate_personal_id(
        &self,
        caller: &Caller,
        province: &str,
        sex: Sex,
        birth_year: i16,
    ) -> Result<PersonalId, AppError> {
        if let Caller::Officer(o) = caller
            && !o.role.works_the_register()
        {
            return Err(AppError::Forbidden(
                "this role does not register births".into(),
            ));
        }
        // A province's numbers are drawn by that province's own units or by the ministry.
        if let Some(o) = caller.officer()
            && let cancuoc_domain::Jurisdiction::Within(scope) = o.unit.jurisdiction()
        {
            let inside = cancuoc_domain::AdminCode::parse(province)
                .is_ok_and(|p| self.places().admin_within(&scope, &p));
            if !inside {
                return Err(AppError::Forbidden(format!(
                    "personal ID numbers of province {province} are allocated by that province or the ministry"
                )));
            }
        }
        let prefix = IdPrefix::new(province, sex, birth_year).ok_or_else(|| {
            AppError::Invalid(format!(
                "no personal ID prefix for province {province:?} and birth year {birth_year}"
            ))
        })?;
        let permutation = SerialPermutation::new(&self.config.id_key, &prefix);
        Ok(self
            .store
            .allocate_personal_id(
                &caller.access(&*self.clock, "personal ID allocation"),
                &prefix,
                &permutation,
            )
            .await?)
    }

    /// The audit trail, newest first, filtered; for auditors and administrators.
    pub async fn audit_log(
        &self,
        caller: &Caller,
        filter: &cancuoc_store::AuditFilter,
    ) -> Result<Vec<cancuoc_domain::audit::AuditEvent>, AppError> {
        if let Some(o) = caller.officer()
            && !o.role.reads_audit()
        {
            return Err(AppError::Forbidden(
                "only auditors and administrators read the audit trail".into(),
            ));
        }
        // An auditor reads the events of officers in its own jurisdiction; the ministry's
        // auditors and the administrators read all.
        let mut filter = filter.clone();
        if let Some(o) = caller.officer()
            && o.role != cancuoc_domain::Role::Admin
            && let scope @ cancuoc_domain::Jurisdiction::Within(_) = o.unit.jurisdiction()
        {
            let places = self.places();
            let units = places
                .police_codes()
                .filter(|code| places.sees(&scope, code))
                .map(|code| code.as_string())
                .collect();
            filter.units = Some(units);
        }
        Ok(self.store.search_audit(&filter).await?)
    }
}
