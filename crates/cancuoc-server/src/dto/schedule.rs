//! The JSON shapes of enrollment scheduling: sites, machines, sessions and their slots,
//! appointments and the queue, plans, and citizens' bookings.

use cancuoc_app::{
    Accepted, BookedSlot, Booking, InvitationReport, LiveQueue, OpenSession, QueuedPerson,
};
use cancuoc_domain::planner::{Plan, PlanInput};
use cancuoc_domain::schedule::{SessionFigures, clock};
use cancuoc_store::{Appointment, EnrollmentSession, Machine, Site};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SiteRequest {
    #[schema(example = "CAH-436")]
    pub unit: String,
    #[schema(example = "Nhà văn hóa tổ dân phố 3", min_length = 1, max_length = 200)]
    pub name: String,
    /// `fixed` (the unit's office) or `mobile` (a place in a commune).
    #[schema(example = "mobile")]
    pub kind: String,
    /// GSO code of the commune.
    #[schema(example = "18073", pattern = "^[0-9]{5}$")]
    pub commune: String,
    #[schema(min_length = 1, max_length = 200)]
    pub address: String,
    /// Opening time, HH:MM.
    #[schema(example = "07:00")]
    pub opens: String,
    /// Closing time, HH:MM (24:00 for midnight).
    #[schema(example = "23:00")]
    pub closes: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SiteDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub unit: String,
    pub name: String,
    pub kind: String,
    pub commune: String,
    pub address: String,
    pub opens: String,
    pub closes: String,
}

impl From<Site> for SiteDto {
    fn from(s: Site) -> Self {
        Self {
            id: s.id.to_string(),
            unit: s.unit,
            name: s.name,
            kind: s.kind.as_str().to_owned(),
            commune: s.commune,
            address: s.address,
            opens: clock(s.hours.start_min),
            closes: clock(s.hours.end_min),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MachineRequest {
    #[schema(
        example = "CAH-436",
        pattern = "^(BCA|C06|C06-TTCC|CAT-[0-9]{2}|PC06-[0-9]{2}|CAH-[0-9]{3}|CAX-[0-9]{5})$"
    )]
    pub unit: String,
    #[schema(example = "Bộ 1", min_length = 1, max_length = 50)]
    pub label: String,
    /// Minutes one application takes on this kit (about 10 in cities, 15–20 elsewhere).
    #[schema(example = 15, minimum = 3, maximum = 120)]
    pub minutes_per_application: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MachineDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub unit: String,
    pub label: String,
    pub minutes_per_application: u32,
    pub active: bool,
}

impl From<Machine> for MachineDto {
    fn from(m: Machine) -> Self {
        Self {
            id: m.id.to_string(),
            unit: m.unit,
            label: m.label,
            minutes_per_application: m.minutes_per_application,
            active: m.active,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct UnitQuery {
    /// Police unit code.
    #[param(pattern = "^(BCA|C06|C06-TTCC|CAT-[0-9]{2}|PC06-[0-9]{2}|CAH-[0-9]{3}|CAX-[0-9]{5})$")]
    pub unit: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SessionRequest {
    #[schema(format = "uuid")]
    pub site: String,
    #[schema(example = "2021-03-20")]
    pub date: String,
    #[schema(example = "07:00")]
    pub from: String,
    #[schema(example = "11:00")]
    pub to: String,
    /// Minutes per slot (default 30).
    pub slot_min: Option<u32>,
    /// Machine labels of the site's unit (default: all its active machines).
    #[serde(default)]
    pub machines: Vec<String>,
    /// Usernames of the officers on duty.
    #[serde(default)]
    pub officers: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SlotDto {
    pub number: u32,
    pub start: String,
    pub end: String,
    /// What the machines can serve in the slot.
    pub capacity: u32,
    /// Appointments the slot takes (above capacity when planned for no-shows).
    pub limit: u32,
    /// Places held by appointments.
    pub held: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SessionDto {
    #[schema(format = "uuid")]
    pub id: String,
    pub site: SiteDto,
    pub date: String,
    pub start: String,
    pub end: String,
    pub slot_min: u32,
    /// `open` or `closed`.
    pub state: String,
    pub machines: Vec<MachineDto>,
    pub officers: Vec<String>,
    pub slots: Vec<SlotDto>,
    /// The commune whose households are invited: the site's own, or a small neighbour a
    /// plan gathered at the site.
    pub invites: String,
}

impl From<EnrollmentSession> for SessionDto {
    fn from(s: EnrollmentSession) -> Self {
        Self {
            id: s.id.to_string(),
            date: s.day.to_string(),
            start: clock(s.window.start_min),
            end: clock(s.window.end_min),
            slot_min: s.slot_min,
            state: s.state.as_str().to_owned(),
            slots: s
                .slots
                .iter()
                .map(|u| SlotDto {
                    number: u.slot.number,
                    start: clock(u.slot.window.start_min),
                    end: clock(u.slot.window.end_min),
                    capacity: u.slot.capacity,
                    limit: u.slot.limit,
                    held: u.held,
                })
                .collect(),
            machines: s.machines.into_iter().map(MachineDto::from).collect(),
            officers: s.officers,
            invites: s.invites,
            site: s.site.into(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct SessionListQuery {
    #[param(pattern = "^(BCA|C06|C06-TTCC|CAT-[0-9]{2}|PC06-[0-9]{2}|CAH-[0-9]{3}|CAX-[0-9]{5})$")]
    pub unit: Option<String>,
    /// First day, YYYY-MM-DD.
    #[param(pattern = "^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$")]
    pub from: String,
    /// Last day (default: the first).
    #[param(pattern = "^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$")]
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct InvitationReportDto {
    pub households: usize,
    pub invited: usize,
    /// People due a card for whom there was no room.
    pub left_out: usize,
}

impl From<InvitationReport> for InvitationReportDto {
    fn from(r: InvitationReport) -> Self {
        Self {
            households: r.households,
            invited: r.invited,
            left_out: r.left_out,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct LettersQuery {
    /// `pdf` (default) or `csv`.
    #[param(pattern = "^(pdf|csv)$")]
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AppointmentDto {
    #[schema(format = "uuid")]
    pub id: String,
    #[schema(format = "uuid")]
    pub session: String,
    pub slot: u32,
    pub queue_number: u32,
    pub personal_id: String,
    pub name: String,
    pub household: Option<String>,
    /// `invited`, `booked` or `walk_in`.
    pub origin: String,
    /// `booked`, `checked_in`, `called`, `served`, `no_show` or `cancelled`.
    pub state: String,
    #[schema(format = "uuid")]
    pub application: Option<String>,
}

impl From<Appointment> for AppointmentDto {
    fn from(a: Appointment) -> Self {
        Self {
            id: a.id.to_string(),
            session: a.session.to_string(),
            slot: a.slot,
            queue_number: a.queue_number,
            personal_id: a.personal_id,
            name: a.name,
            household: a.household,
            origin: a.origin.as_str().to_owned(),
            state: a.state.as_str().to_owned(),
            application: a.application.map(|k| k.to_string()),
        }
    }
}

/// Its schema is written in [`super::shapes`]: one of the two fields, never both.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckInRequest {
    /// The number on the letter…
    pub queue_number: Option<u32>,
    /// …or the personal ID number.
    pub personal_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WalkInRequest {
    #[schema(example = "042090001234", pattern = "^[0-9]{12}$")]
    pub personal_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct QueuedPersonDto {
    pub queue_number: u32,
    pub slot: u32,
    pub name: String,
    pub expected_wait_min: u32,
}

impl From<&QueuedPerson> for QueuedPersonDto {
    fn from(p: &QueuedPerson) -> Self {
        Self {
            queue_number: p.queue_number,
            slot: p.slot,
            name: p.name.clone(),
            expected_wait_min: p.expected_wait_min,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct QueueDto {
    pub session: SessionDto,
    /// Being served now.
    pub called: Vec<QueuedPersonDto>,
    /// In the order they will be called.
    pub waiting: Vec<QueuedPersonDto>,
    pub booked_not_arrived: u32,
}

impl From<LiveQueue> for QueueDto {
    fn from(q: LiveQueue) -> Self {
        Self {
            called: q.called.iter().map(QueuedPersonDto::from).collect(),
            waiting: q.waiting.iter().map(QueuedPersonDto::from).collect(),
            booked_not_arrived: q.booked_not_arrived,
            session: q.session.into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FiguresDto {
    #[schema(format = "uuid")]
    pub session: String,
    pub state: String,
    pub appointments: u32,
    pub served: u32,
    pub no_shows: u32,
    pub walk_ins: u32,
    pub still_waiting: u32,
    /// Busy ÷ available machine minutes, 0 to 1.
    pub machine_utilisation: f64,
    pub idle_machine_min: u32,
    pub wait_p50_min: f64,
    pub wait_p95_min: f64,
}

impl From<(EnrollmentSession, SessionFigures)> for FiguresDto {
    fn from((s, f): (EnrollmentSession, SessionFigures)) -> Self {
        Self {
            session: s.id.to_string(),
            state: s.state.as_str().to_owned(),
            appointments: f.appointments,
            served: f.served,
            no_shows: f.no_shows,
            walk_ins: f.walk_ins,
            still_waiting: f.still_waiting,
            machine_utilisation: (f.machine_utilisation * 1000.0).round() / 1000.0,
            idle_machine_min: f.idle_machine_min,
            wait_p50_min: f.wait_p50_min,
            wait_p95_min: f.wait_p95_min,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlanRequest {
    #[schema(example = "CAH-436")]
    pub unit: String,
    #[schema(example = "2021-03-01")]
    pub from: String,
    #[schema(example = "2021-06-30")]
    pub to: String,
    /// Default: the unit's registered active machines.
    #[schema(minimum = 1, maximum = 200)]
    pub machines: Option<u32>,
    /// Share of the invited who come (default 0.85).
    #[schema(minimum = 0.05, maximum = 1.0)]
    pub show_up: Option<f64>,
    /// Minutes per application (default: the unit's machines' mean, else 15).
    #[schema(minimum = 1.0, maximum = 120.0)]
    pub service_min: Option<f64>,
    /// Working day in hours (default 7 to 17), closing at least an hour after opening.
    #[schema(minimum = 0.0, maximum = 23.0)]
    pub open_hour: Option<f64>,
    #[schema(minimum = 1.0, maximum = 24.0)]
    pub close_hour: Option<f64>,
    /// The lunch break in hours, `[from, to]` (default `[11.5, 13.5]`); `[]` works through.
    #[schema(max_items = 2)]
    pub lunch: Option<Vec<f64>>,
    /// Hours at which a long day changes shifts, e.g. `[15]` for 07:00–15:00 and
    /// 15:00–23:00 with `close_hour` 23: the kits work on, the sessions split.
    #[schema(max_items = 4)]
    #[serde(default)]
    pub shift_changes: Vec<f64>,
    /// Share of machine time kept for walk-ins (default: what the unit's sessions of
    /// the last fortnight saw, else 0).
    #[schema(minimum = 0.0, maximum = 0.5)]
    pub walk_in_share: Option<f64>,
    /// Minutes by road a small commune's people are asked to come to a neighbouring
    /// commune's site instead of the team moving (default 15; 0 keeps every commune at
    /// its own site).
    #[schema(minimum = 0, maximum = 60)]
    pub gather_within_min: Option<u32>,
    /// Make the plan: sites, sessions and household invitations.
    #[serde(default)]
    pub accept: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PlannedSessionDto {
    /// The commune whose site holds the session.
    pub commune: String,
    /// The commune whose people are invited: the site's own, or a small neighbour
    /// gathered there.
    pub invites: String,
    pub date: String,
    pub start: String,
    pub end: String,
    pub machines: u32,
    pub invited: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AcceptedDto {
    pub sites_created: usize,
    pub sessions: usize,
    pub invitations: InvitationReportDto,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PlanDto {
    pub sessions: Vec<PlannedSessionDto>,
    pub eligible: u64,
    pub unserved: u32,
    pub machine_utilisation: f64,
    pub wait_p50_min: f64,
    pub wait_p95_min: f64,
    pub idle_machine_min: f64,
    pub lower_bound_days: u32,
    pub accepted: Option<AcceptedDto>,
}

impl PlanDto {
    pub fn new(input: &PlanInput, plan: &Plan, accepted: Option<Accepted>) -> Self {
        let minutes = |m: f64| clock(cancuoc_domain::planner::whole(m.round()));
        Self {
            sessions: plan
                .sessions
                .iter()
                .map(|s| PlannedSessionDto {
                    commune: s.commune.clone(),
                    invites: s.invites.clone(),
                    date: s.date.to_string(),
                    start: minutes(s.start_min),
                    end: minutes(s.end_min),
                    machines: s.machines,
                    invited: s.invited(),
                })
                .collect(),
            eligible: input.communes.iter().map(|c| u64::from(c.eligible)).sum(),
            unserved: plan.unserved,
            machine_utilisation: plan.figures.machine_utilisation,
            wait_p50_min: plan.figures.wait_p50_min,
            wait_p95_min: plan.figures.wait_p95_min,
            idle_machine_min: plan.figures.idle_machine_min,
            lower_bound_days: plan.lower_bound_days,
            accepted: accepted.map(|a| AcceptedDto {
                sites_created: a.sites_created,
                sessions: a.sessions,
                invitations: a.invitations.into(),
            }),
        }
    }
}

/// What a citizen proves themselves with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProofRequest {
    #[schema(example = "042090001234")]
    pub personal_id: String,
    /// dd/mm/yyyy (or mm/yyyy, yyyy when that is all the register holds).
    #[schema(example = "05/03/1990")]
    pub birth_date: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BookRequest {
    pub personal_id: String,
    pub birth_date: String,
    #[schema(format = "uuid")]
    pub session: String,
    pub slot: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BookedSlotDto {
    #[schema(format = "uuid")]
    pub session: String,
    pub slot: u32,
    pub queue_number: u32,
    pub state: String,
    pub origin: String,
    pub date: String,
    pub start: String,
    pub end: String,
    pub site_name: String,
    pub site_address: String,
}

impl From<BookedSlot> for BookedSlotDto {
    fn from(b: BookedSlot) -> Self {
        Self {
            session: b.session.to_string(),
            slot: b.slot,
            queue_number: b.queue_number,
            state: b.state.as_str().to_owned(),
            origin: b.origin.as_str().to_owned(),
            date: b.date.to_string(),
            start: clock(b.time.start_min),
            end: clock(b.time.end_min),
            site_name: b.site_name,
            site_address: b.site_address,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BookingDto {
    pub name: String,
    /// The commune they live in (GSO code): where to look for sessions.
    pub commune: Option<String>,
    pub appointment: Option<BookedSlotDto>,
}

impl From<Booking> for BookingDto {
    fn from(b: Booking) -> Self {
        Self {
            name: b.name,
            commune: b.commune,
            appointment: b.appointment.map(BookedSlotDto::from),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct CommuneQuery {
    /// GSO code of the commune.
    #[param(pattern = "^[0-9]{5}$")]
    pub commune: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OpenSlotDto {
    pub number: u32,
    pub start: String,
    pub end: String,
    pub free: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OpenSessionDto {
    #[schema(format = "uuid")]
    pub session: String,
    pub date: String,
    pub site_name: String,
    pub site_address: String,
    pub commune: String,
    pub slots: Vec<OpenSlotDto>,
}

impl From<OpenSession> for OpenSessionDto {
    fn from(o: OpenSession) -> Self {
        Self {
            session: o.session.to_string(),
            date: o.date.to_string(),
            site_name: o.site_name,
            site_address: o.site_address,
            commune: o.commune,
            slots: o
                .slots
                .iter()
                .map(|s| OpenSlotDto {
                    number: s.number,
                    start: clock(s.time.start_min),
                    end: clock(s.time.end_min),
                    free: s.free,
                })
                .collect(),
        }
    }
}

/// What each unit needs to finish by a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeedDto {
    /// The day asked about.
    pub by: String,
    /// The first day a plan made today can hold sessions (after the letters' lead time).
    pub first_day: String,
    pub units: Vec<UnitNeedDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitNeedDto {
    #[schema(example = "CAH-436")]
    pub unit: String,
    pub name: String,
    /// People without a valid card still to serve.
    pub eligible: u64,
    /// The unit's active machines.
    pub machines: u32,
    /// The fewest machines whose plan serves everyone by the day (null: more than 200).
    pub machines_needed: Option<u32>,
    /// Eligible ÷ what a machine serves in the days left: no plan needs fewer.
    pub lower_bound_machines: u32,
    /// Machine-hours a day the people need over the days left.
    pub machine_hours_a_day: f64,
    /// The last day of a plan with the unit's own machines (null: not within two years).
    pub finishes_on: Option<String>,
    /// Applications received a day over the last week.
    pub pace_per_day: f64,
    /// The day the eligible are served at that pace (null: no intake this week).
    pub finishes_at_pace: Option<String>,
    /// The plan with the machines needed, simulated: its machine use and waits.
    pub plan_machine_utilisation: Option<f64>,
    pub plan_wait_p95_min: Option<f64>,
    pub plan_last_day: Option<String>,
}

impl NeedDto {
    pub fn new(report: &cancuoc_app::NeedReport) -> Self {
        Self {
            by: report.by.to_string(),
            first_day: report.first_day.to_string(),
            units: report
                .units
                .iter()
                .map(|u| {
                    let plan = u.need.plan.as_ref();
                    UnitNeedDto {
                        unit: u.unit.as_string(),
                        name: u.name.clone(),
                        eligible: u.need.eligible,
                        machines: u.need.machines,
                        machines_needed: u.need.machines_needed,
                        lower_bound_machines: u.need.lower_bound_machines,
                        machine_hours_a_day: (u.need.machine_hours_a_day * 10.0).round() / 10.0,
                        finishes_on: u.need.finishes_on.map(|d| d.to_string()),
                        pace_per_day: (u.pace_per_day * 10.0).round() / 10.0,
                        finishes_at_pace: u.finishes_at_pace.map(|d| d.to_string()),
                        plan_machine_utilisation: plan.map(|p| p.figures.machine_utilisation),
                        plan_wait_p95_min: plan.map(|p| p.figures.wait_p95_min),
                        plan_last_day: plan.and_then(|p| p.last_day).map(|d| d.to_string()),
                    }
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct NeedQuery {
    /// A district's police unit, or a province's (answered district by district).
    #[param(
        example = "CAH-436",
        pattern = "^(BCA|C06|C06-TTCC|CAT-[0-9]{2}|PC06-[0-9]{2}|CAH-[0-9]{3}|CAX-[0-9]{5})$"
    )]
    pub unit: String,
    /// The day everyone should be served by: from the first day a plan made today can
    /// start (3 days on) to 366 days after it.
    #[param(example = "2027-06-30", format = Date)]
    pub by: String,
}
