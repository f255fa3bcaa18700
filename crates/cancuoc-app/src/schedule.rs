//! Planning enrollment sessions for a police unit from the register's eligible population
//! (DESIGN §7).

use cancuoc_domain::planner::{CommuneDemand, Plan, PlanInput, plan, travel_minutes};
use cancuoc_domain::{AdminLevel, PoliceUnitCode, Role};
use cancuoc_store::EligibleQuery;
use jiff::civil::Date;

use crate::applications::{parse_day, require};
use crate::{App, AppError, Caller};

/// The longest period one plan covers.
const MAX_DAYS: usize = 366;

fn plans_sessions(role: Role) -> bool {
    matches!(
        role,
        Role::MinistryOfficer
            | Role::ProvinceOfficer
            | Role::DistrictOfficer
            | Role::CommuneOfficer
            | Role::Admin
    )
}

/// What a planning request may set; the rest takes the planner's defaults.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    pub unit: String,
    pub from: String,
    pub to: String,
    pub machines: u32,
    pub show_up: f64,
    pub service_min: f64,
    pub open_hour: f64,
    pub close_hour: f64,
}

impl App {
    /// Proposes sessions for every commune of the unit's area from the first to the last
    /// day (weekends included), with each commune's eligible population on the first day.
    pub async fn plan_enrollment(
        &self,
        caller: &Caller,
        request: &PlanRequest,
    ) -> Result<(PlanInput, Plan), AppError> {
        require(caller, plans_sessions, "plan enrollment sessions")?;
        let unit = PoliceUnitCode::parse(request.unit.trim())
            .map_err(|e| AppError::Invalid(format!("unit: {e}")))?;
        let from = parse_day(&request.from, "from")?;
        let to = parse_day(&request.to, "to")?;
        if to < from {
            return Err(AppError::Invalid(
                "to: the last day is before the first".into(),
            ));
        }
        if !(0.05..=1.0).contains(&request.show_up) {
            return Err(AppError::Invalid(
                "show_up: a share between 0.05 and 1".into(),
            ));
        }
        if request.machines == 0 || request.machines > 200 {
            return Err(AppError::Invalid("machines: between 1 and 200".into()));
        }
        if !(1.0..=120.0).contains(&request.service_min) {
            return Err(AppError::Invalid(
                "minutes per application: between 1 and 120".into(),
            ));
        }
        if !(0.0..24.0).contains(&request.open_hour)
            || !(request.open_hour + 1.0..=24.0).contains(&request.close_hour)
        {
            return Err(AppError::Invalid(
                "hours: opening before closing, at least an hour apart, within the day".into(),
            ));
        }
        let area = match unit.jurisdiction() {
            cancuoc_domain::Jurisdiction::Within(code) => code,
            cancuoc_domain::Jurisdiction::Nation => {
                return Err(AppError::Invalid(format!(
                    "{unit} has no communes of its own to plan: choose a province, district or commune unit"
                )));
            }
        };
        let places = self.places();
        let access = caller.access(self.clock.as_ref(), "schedule.plan");
        if !places.sees(&access.scope, &unit) {
            return Err(AppError::NotFound(format!("police unit {unit}")));
        }
        let base = places
            .get(&area)
            .ok_or_else(|| AppError::NotFound(format!("administrative unit {area}")))?;
        let groups = self
            .store
            .eligible(
                &access,
                &EligibleQuery {
                    within: Some(area.clone()),
                    group_by: AdminLevel::Commune,
                    on: from,
                },
            )
            .await?;
        let mut communes: Vec<CommuneDemand> = groups
            .into_iter()
            .filter_map(|(code, n)| {
                let commune = places.get(&cancuoc_domain::AdminCode::parse(&code?).ok()?)?;
                Some(CommuneDemand {
                    code: commune.code.as_str().to_owned(),
                    name: commune.full_name(),
                    eligible: u32::try_from(n).unwrap_or(u32::MAX),
                    travel_min: travel_minutes(base, commune),
                })
            })
            .collect();
        communes.sort_by(|a, b| a.code.cmp(&b.code));
        let mut days: Vec<Date> = Vec::new();
        let mut day = from;
        while day <= to && days.len() < MAX_DAYS {
            days.push(day);
            day = match day.tomorrow() {
                Ok(next) => next,
                Err(_) => break,
            };
        }
        let mut input = PlanInput::new(communes, request.machines, days);
        input.show_up = request.show_up;
        input.service_min = request.service_min;
        input.open_min = request.open_hour * 60.0;
        input.close_min = request.close_hour * 60.0;
        let proposed = plan(&input);
        Ok((input, proposed))
    }
}
