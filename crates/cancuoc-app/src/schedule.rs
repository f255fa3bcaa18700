//! Planning enrollment sessions for a police unit from the register's eligible population
//! (DESIGN §7).

use cancuoc_domain::planner::{
    CommuneDemand, Plan, PlanInput, gather_group, machines_by_session, plan, travel_minutes, whole,
};
use cancuoc_domain::schedule::Window;
use cancuoc_domain::{AdminLevel, PoliceUnitCode, Role};
use cancuoc_store::{EligibleQuery, Machine, Site, SiteKind};
use jiff::civil::Date;

use crate::applications::{parse_day, require};
use crate::enrollment::InvitationReport;
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

/// The proposal an officer saw, by its digest, and the changes they made to it.
#[derive(Debug, Clone, Default)]
pub struct ShownPlan {
    pub fingerprint: String,
    pub adjustments: Vec<cancuoc_domain::planner::Adjustment>,
}

/// Days between accepting a plan and its first session, so that the invitation letters
/// reach the households before the day they name (issue 18 §3).
pub const PLAN_LEAD_DAYS: i64 = 3;

/// What a planning request may set; the rest takes the planner's defaults.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    pub unit: String,
    pub from: String,
    pub to: String,
    /// Machines to plan with; by default the unit's registered active machines.
    pub machines: Option<u32>,
    pub show_up: f64,
    /// Minutes per application; by default the mean of the unit's machines, else 15.
    pub service_min: Option<f64>,
    pub open_hour: f64,
    pub close_hour: f64,
    /// The lunch break in hours (from, to); `None` works through.
    pub lunch: Option<(f64, f64)>,
    /// Hours at which a long day changes shifts (the kits work on, the officers change).
    pub shift_changes: Vec<f64>,
    /// The share of machine time kept for walk-ins; by default what the unit's sessions
    /// of the last fortnight saw (walk-ins ÷ people served), else none.
    pub walk_in_share: Option<f64>,
    /// How far (one way, minutes by road) a small commune's people are asked to come to a
    /// neighbour's site instead of the team moving; by default
    /// [`DEFAULT_GATHER_WITHIN_MIN`], 0 keeps every commune at its own site.
    pub gather_within_min: Option<u32>,
}

/// The people's reach a plan gathers small neighbouring communes within unless the unit
/// sets another: a quarter of an hour by road, about six kilometres.
pub const DEFAULT_GATHER_WITHIN_MIN: u32 = 15;

/// The share of the invited who come, unless the unit sets another (the 2021 campaign's
/// experience, DESIGN §7).
pub const DEFAULT_SHOW_UP: f64 = 0.85;

/// The working day in hours, unless the unit sets another.
pub const DEFAULT_HOURS: (f64, f64) = (7.0, 17.0);

impl PlanRequest {
    /// A request for a unit's days with every default: the unit's machines, 85% show-up,
    /// 07:00 to 17:00 with [`DEFAULT_LUNCH`], no shifts, the observed walk-in share and
    /// [`DEFAULT_GATHER_WITHIN_MIN`]. The CLI, the API, the console and
    /// [`App::finishing_need`] start from it.
    pub fn new(unit: String, from: String, to: String) -> Self {
        Self {
            unit,
            from,
            to,
            machines: None,
            show_up: DEFAULT_SHOW_UP,
            service_min: None,
            open_hour: DEFAULT_HOURS.0,
            close_hour: DEFAULT_HOURS.1,
            lunch: Some(DEFAULT_LUNCH),
            shift_changes: Vec::new(),
            walk_in_share: None,
            gather_within_min: None,
        }
    }
}

/// The lunch break a plan keeps unless the unit sets another: 11:30 to 13:30, the
/// public offices' hours.
pub const DEFAULT_LUNCH: (f64, f64) = (11.5, 13.5);

/// The days of observed sessions a default walk-in share is read from.
const WALK_IN_DAYS: i64 = 14;

impl App {
    /// Proposes sessions for every commune of the unit's area from the first to the last
    /// day (weekends included), with each commune's eligible population on the first day.
    pub async fn plan_enrollment(
        &self,
        caller: &Caller,
        request: &PlanRequest,
    ) -> Result<(PlanInput, Plan), AppError> {
        let input = self.plan_input(caller, request).await?;
        let proposed = plan(&input);
        Ok((input, proposed))
    }

    /// What the planner is given for a request: the unit's communes with their eligible
    /// people on the first day, the journeys, the machines, hours and behaviour.
    async fn plan_input(
        &self,
        caller: &Caller,
        request: &PlanRequest,
    ) -> Result<PlanInput, AppError> {
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
        let registered: Vec<Machine> = self
            .store
            .machines(&unit.as_string())
            .await?
            .into_iter()
            .filter(|m| m.active)
            .collect();
        let machines = match request.machines {
            Some(n) => n,
            None if registered.is_empty() => {
                return Err(AppError::Invalid(format!(
                    "machines: {unit} has no machines registered; add them (machine add) or say how many to plan with"
                )));
            }
            None => u32::try_from(registered.len()).unwrap_or(u32::MAX),
        };
        if machines == 0 || machines > 200 {
            return Err(AppError::Invalid("machines: between 1 and 200".into()));
        }
        let used = registered
            .iter()
            .take(usize::try_from(machines).unwrap_or(usize::MAX));
        let service_min = request.service_min.unwrap_or_else(|| {
            let minutes: Vec<f64> = used.map(|m| f64::from(m.minutes_per_application)).collect();
            if minutes.is_empty() {
                15.0
            } else {
                minutes.iter().sum::<f64>() / minutes.len() as f64
            }
        });
        if !(1.0..=120.0).contains(&service_min) {
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
        if let Some((from, to)) = request.lunch
            && !(request.open_hour < from && from < to && to < request.close_hour)
        {
            return Err(AppError::Invalid(
                "lunch: a break that starts after opening and ends before closing".into(),
            ));
        }
        if request
            .shift_changes
            .iter()
            .any(|h| !(request.open_hour < *h && *h < request.close_hour))
        {
            return Err(AppError::Invalid(
                "shift_changes: each change between opening and closing".into(),
            ));
        }
        if request
            .walk_in_share
            .is_some_and(|w| !(0.0..=0.5).contains(&w))
        {
            return Err(AppError::Invalid(
                "walk_in_share: a share between 0 and 0.5".into(),
            ));
        }
        if request.gather_within_min.is_some_and(|m| m > 60) {
            return Err(AppError::Invalid(
                "gather_within_min: at most 60 minutes by road, or 0 to keep every commune at its own site".into(),
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
        let mut found: Vec<(&cancuoc_domain::AdminUnit, u32)> = groups
            .into_iter()
            .filter_map(|(code, n)| {
                let commune = places.get(&cancuoc_domain::AdminCode::parse(&code?).ok()?)?;
                Some((commune, u32::try_from(n).unwrap_or(u32::MAX)))
            })
            .collect();
        found.sort_by(|a, b| a.0.code.cmp(&b.0.code));
        let communes: Vec<CommuneDemand> = found
            .iter()
            .map(|(commune, eligible)| CommuneDemand {
                code: commune.code.as_str().to_owned(),
                name: commune.full_name(),
                eligible: *eligible,
                travel_min: travel_minutes(base, commune),
                gather_group: gather_group(commune),
            })
            .collect();
        let between_min = found
            .iter()
            .map(|(a, _)| found.iter().map(|(b, _)| travel_minutes(a, b)).collect())
            .collect();
        let walk_in_share = match request.walk_in_share {
            Some(share) => share,
            None => self.observed_walk_in_share(&access, &unit).await?,
        };
        let mut days: Vec<Date> = Vec::new();
        let mut day = from;
        while day <= to && days.len() < MAX_DAYS {
            days.push(day);
            day = match day.tomorrow() {
                Ok(next) => next,
                Err(_) => break,
            };
        }
        let mut input = PlanInput::new(communes, machines, days);
        input.show_up = request.show_up;
        input.service_min = service_min;
        input.open_min = request.open_hour * 60.0;
        input.close_min = request.close_hour * 60.0;
        input.lunch = request.lunch.map(|(from, to)| (from * 60.0, to * 60.0));
        input.between_min = between_min;
        input.shift_changes = request.shift_changes.iter().map(|h| h * 60.0).collect();
        input.walk_in_share = walk_in_share;
        input.gather_within_min = request
            .gather_within_min
            .unwrap_or(DEFAULT_GATHER_WITHIN_MIN);
        Ok(input)
    }
}

impl App {
    /// Walk-ins ÷ people served in the unit's sessions of the last fortnight, at most a
    /// half; 0 before any session has been held.
    async fn observed_walk_in_share(
        &self,
        access: &cancuoc_store::Access,
        unit: &PoliceUnitCode,
    ) -> Result<f64, AppError> {
        let today = self.clock.today();
        let from = today
            .checked_sub(jiff::Span::new().days(WALK_IN_DAYS))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let (walk_ins, served) = self
            .store
            .walk_in_counts(access, &unit.as_string(), from, today)
            .await?;
        Ok(if served == 0 {
            0.0
        } else {
            (walk_ins as f64 / served as f64).min(0.5)
        })
    }
}

/// One unit's row of what it takes to finish.
#[derive(Debug, Clone)]
pub struct UnitNeed {
    pub unit: PoliceUnitCode,
    pub name: String,
    /// Applications received a day over the last week.
    pub pace_per_day: f64,
    /// The day the unit finishes at that pace (`None` with no pace).
    pub finishes_at_pace: Option<Date>,
    pub need: cancuoc_domain::planner::Need,
}

/// What each unit needs to finish by a day (issue 18 §5).
#[derive(Debug, Clone)]
pub struct NeedReport {
    pub by: Date,
    /// The first day a plan made now can hold sessions (after the lead time).
    pub first_day: Date,
    pub units: Vec<UnitNeed>,
}

/// The days of intake the pace is read from.
const PACE_DAYS: i64 = 7;

impl App {
    /// The machines each unit needs to serve its eligible people by `by`, and the day
    /// it finishes with its own machines and at its pace; a province (or its PC06)
    /// is answered district by district.
    pub async fn finishing_need(
        &self,
        caller: &Caller,
        unit: &str,
        by: &str,
    ) -> Result<NeedReport, AppError> {
        require(caller, plans_sessions, "read what units need to finish")?;
        let unit = PoliceUnitCode::parse(unit.trim())
            .map_err(|e| AppError::Invalid(format!("unit: {e}")))?;
        let by = parse_day(by, "by")?;
        let today = self.clock.today();
        let first_day = today
            .checked_add(jiff::Span::new().days(PLAN_LEAD_DAYS))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        if by < first_day {
            return Err(AppError::Invalid(format!(
                "by: plans made today start on {first_day} (letters take {PLAN_LEAD_DAYS} days); choose that day or later"
            )));
        }
        let last = first_day
            .checked_add(jiff::Span::new().days(i64::try_from(MAX_DAYS).unwrap_or(366) - 1))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        if by > last {
            return Err(AppError::Invalid(format!(
                "by: a plan covers at most {MAX_DAYS} days, so {last} at the latest"
            )));
        }
        let places = self.places();
        let units: Vec<PoliceUnitCode> = match &unit {
            PoliceUnitCode::Province(code) | PoliceUnitCode::Pc06(code) => places
                .police_children(&PoliceUnitCode::Province(code.clone()))
                .iter()
                .filter(|u| matches!(u, PoliceUnitCode::District(_)))
                .cloned()
                .collect(),
            other => vec![other.clone()],
        };
        let week_ago = today
            .checked_sub(jiff::Span::new().days(PACE_DAYS))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let codes: Vec<String> = units.iter().map(PoliceUnitCode::as_string).collect();
        let mut received: std::collections::HashMap<String, u64> = Default::default();
        for c in self.store.intake_counts(&codes, week_ago, today).await? {
            *received.entry(c.unit).or_default() += c.received;
        }
        let mut rows = Vec::with_capacity(units.len());
        for u in units {
            let machines = u32::try_from(
                self.store
                    .machines(&u.as_string())
                    .await?
                    .iter()
                    .filter(|m| m.active)
                    .count(),
            )
            .unwrap_or(u32::MAX);
            let request = PlanRequest {
                // The input needs one; the unit's own count is put back below.
                machines: Some(machines.clamp(1, 200)),
                ..PlanRequest::new(u.as_string(), first_day.to_string(), by.to_string())
            };
            let mut input = self.plan_input(caller, &request).await?;
            input.machines = machines;
            input.team_size = machines.max(1);
            let need = cancuoc_domain::planner::need(&input);
            let pace_per_day =
                received.get(&u.as_string()).copied().unwrap_or(0) as f64 / PACE_DAYS as f64;
            let finishes_at_pace = if need.eligible == 0 {
                Some(today)
            } else if pace_per_day > 0.0 {
                let days = (need.eligible as f64 / pace_per_day).ceil();
                // Beyond what a calendar holds: no day to name.
                jiff::Span::new()
                    .try_days(i64::from(whole(days)))
                    .ok()
                    .and_then(|span| today.checked_add(span).ok())
            } else {
                None
            };
            rows.push(UnitNeed {
                name: places
                    .police_unit(&u)
                    .map_or_else(|| u.as_string(), |p| p.name.clone()),
                unit: u,
                pace_per_day,
                finishes_at_pace,
                need,
            });
        }
        Ok(NeedReport {
            by,
            first_day,
            units: rows,
        })
    }
}

/// "Phường Nam Hà" as written inside a sentence: "phường Nam Hà".
fn in_running_text(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

/// What accepting a plan made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub sites_created: usize,
    pub sessions: usize,
    pub invitations: InvitationReport,
}

impl App {
    /// Plans, then makes the plan real: a mobile site in every commune that has none,
    /// the sessions with the unit's machines and the planned invitations per slot as
    /// each slot's limit, and invitations to the households of each commune.
    pub async fn accept_plan(
        &self,
        caller: &Caller,
        request: &PlanRequest,
        shown: Option<&ShownPlan>,
    ) -> Result<(PlanInput, Plan, Accepted), AppError> {
        let (input, mut proposed) = self.plan_enrollment(caller, request).await?;
        if let Some(shown) = shown {
            if proposed.fingerprint() != shown.fingerprint {
                return Err(AppError::Conflict(
                    "the register changed since the plan was shown: propose it again".into(),
                ));
            }
            proposed = proposed
                .adjusted(&shown.adjustments, &input.days, input.machines)
                .map_err(|e| AppError::Invalid(e.to_string()))?;
        }
        let access = caller.access(self.clock.as_ref(), "schedule.accept");
        let earliest = self
            .clock
            .today()
            .checked_add(jiff::Span::new().days(PLAN_LEAD_DAYS))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        if input.days.first().is_some_and(|d| *d < earliest) {
            return Err(AppError::Invalid(format!(
                "from: invitation letters take {PLAN_LEAD_DAYS} days to reach households, so an accepted plan starts on {earliest} or later"
            )));
        }
        let unit = PoliceUnitCode::parse(request.unit.trim())
            .map_err(|e| AppError::Invalid(format!("unit: {e}")))?;
        let machines: Vec<Machine> = self
            .store
            .machines(&unit.as_string())
            .await?
            .into_iter()
            .filter(|m| m.active)
            .take(usize::try_from(input.machines).unwrap_or(usize::MAX))
            .collect();
        if machines.len() < usize::try_from(input.machines).unwrap_or(usize::MAX) {
            return Err(AppError::Invalid(format!(
                "machines: the plan uses {} but {unit} has {} active machines registered",
                input.machines,
                machines.len()
            )));
        }
        // Every day's teams fit the unit's machines, checked before anything is written.
        let taken = machines_by_session(&proposed.sessions, input.team_size, input.machines)
            .map_err(|day| {
                AppError::Invalid(format!(
                    "machines: the sessions of {day} need more machines at once than {unit} has"
                ))
            })?;
        let hours = Window::new(whole(input.open_min), whole(input.close_min))
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let mut sites: Vec<Site> = self.store.sites(&access, Some(&unit.as_string())).await?;
        // A commune's mobile site keeps its hours: a session outside them (an evening
        // shift) is refused before anything is written.
        let windows = proposed
            .sessions
            .iter()
            .map(|planned| {
                Window::new(whole(planned.start_min), whole(planned.end_min.round()))
                    .map_err(|e| AppError::Invalid(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for (planned, &window) in proposed.sessions.iter().zip(&windows) {
            if let Some(site) = sites
                .iter()
                .find(|s| s.commune == planned.commune && s.kind == SiteKind::Mobile)
                && !site.hours.contains(window)
            {
                return Err(AppError::Invalid(format!(
                    "hours: {} is open {}–{}; the plan holds a session there on {} from {} to {}: widen the site's hours or plan within them",
                    site.name,
                    cancuoc_domain::schedule::clock(site.hours.start_min),
                    cancuoc_domain::schedule::clock(site.hours.end_min),
                    planned.date,
                    cancuoc_domain::schedule::clock(window.start_min),
                    cancuoc_domain::schedule::clock(window.end_min),
                )));
            }
        }
        let places = self.places();
        let mut sites_created = 0;
        let mut new_sessions = Vec::new();
        for ((planned, taken), &window) in proposed.sessions.iter().zip(&taken).zip(&windows) {
            let site = match sites
                .iter()
                .find(|s| s.commune == planned.commune && s.kind == SiteKind::Mobile)
            {
                Some(site) => site.clone(),
                None => {
                    let name = in_running_text(&places.unit_name(&planned.commune));
                    let site = Site {
                        id: self.random.record_key(),
                        unit: unit.as_string(),
                        name: format!("Điểm lưu động {name}"),
                        kind: SiteKind::Mobile,
                        commune: planned.commune.clone(),
                        address: format!("Trụ sở Ủy ban nhân dân {name}"),
                        hours,
                        created_by: access.actor.clone(),
                        created_micros: access.now_micros,
                    };
                    self.store.create_site(&access, &site).await?;
                    sites_created += 1;
                    sites.push(site.clone());
                    site
                }
            };
            let team: Vec<Machine> = taken
                .iter()
                .filter_map(|m| machines.get(usize::try_from(*m).ok()?).cloned())
                .collect();
            let limits: Vec<u32> = planned.slots.iter().map(|s| s.invited).collect();
            let slot_min = whole(input.slot_min);
            let mut new = self.new_session(
                &site,
                (planned.date, window),
                slot_min,
                &team,
                Vec::new(),
                Some(&limits),
            )?;
            new.invites = (planned.invites != planned.commune).then(|| planned.invites.clone());
            new_sessions.push(new);
        }
        self.store.create_sessions(&access, &new_sessions).await?;
        let mut made = Vec::with_capacity(new_sessions.len());
        for new in &new_sessions {
            if let Some(session) = self.store.enrollment_session(&access, new.id).await? {
                made.push(session);
            }
        }
        let invitations = self.invite_households(&access, &made).await?;
        Ok((
            input,
            proposed,
            Accepted {
                sites_created,
                sessions: made.len(),
                invitations,
            },
        ))
    }
}
