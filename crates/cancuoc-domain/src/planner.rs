//! The enrollment planner (DESIGN §7): sessions per commune and day for a police unit's
//! machines, so that the eligible are invited before the deadline and neither machines
//! wait for people nor people for machines. Each session is then run through the
//! [`simulation`](crate::simulation) to measure the plan's two wastes.
//!
//! The method is greedy and deterministic: every day, each team of machines goes to the
//! commune with the most people still to invite (remote communes lose the travel time
//! from their day), and each session invites what its machines can serve divided by the
//! show-up rate, spread evenly over its slots.

use jiff::civil::Date;

use crate::AdminUnit;
use crate::simulation::{SessionModel, percentile, simulate};

/// Road distance ÷ straight-line distance, and the speed of a loaded police van.
const ROAD_FACTOR: f64 = 1.3;
const KM_PER_HOUR: f64 = 30.0;

/// Straight-line kilometres between two units' centres, when both are known.
pub fn distance_km(a: &AdminUnit, b: &AdminUnit) -> Option<f64> {
    let (lat1, lon1, lat2, lon2) = (a.latitude?, a.longitude?, b.latitude?, b.longitude?);
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dl = (lon2 - lon1).to_radians();
    let h = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    Some(2.0 * 6371.0 * h.sqrt().asin())
}

/// One-way minutes by road from a unit's base to a commune (0 when a centre is unknown).
pub fn travel_minutes(base: &AdminUnit, commune: &AdminUnit) -> u32 {
    distance_km(base, commune).map_or(0, |km| {
        whole((km * ROAD_FACTOR / KM_PER_HOUR * 60.0).round())
    })
}

/// A commune to serve, with its eligible population.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommuneDemand {
    pub code: String,
    pub name: String,
    pub eligible: u32,
    /// One-way travel from the unit's base, in minutes; a session there starts that much
    /// later and ends that much earlier.
    pub travel_min: u32,
}

/// What the planner is given.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanInput {
    pub communes: Vec<CommuneDemand>,
    pub machines: u32,
    /// Machines that travel and work together as one team.
    pub team_size: u32,
    pub service_min: f64,
    /// The days sessions may be held (weekends included when listed).
    pub days: Vec<Date>,
    /// The working day, in minutes after midnight.
    pub open_min: f64,
    pub close_min: f64,
    pub slot_min: f64,
    pub show_up: f64,
    /// Expected arrivals ÷ what the machines can serve. Below 1 leaves the slack that
    /// keeps a queue from building up over the day (at 1 it grows like a random walk).
    pub target_load: f64,
    pub walk_ins_per_hour: f64,
    pub seed: u64,
}

impl PlanInput {
    /// Sensible defaults: all the unit's machines in one team (one queue for all of them
    /// waits far less than two queues for half each), 30-minute slots, 7:00–17:00, 85%
    /// show-up, invitations for 93% of what the machines can serve.
    pub fn new(communes: Vec<CommuneDemand>, machines: u32, days: Vec<Date>) -> Self {
        Self {
            communes,
            machines,
            team_size: machines.max(1),
            service_min: 15.0,
            days,
            open_min: 420.0,
            close_min: 1020.0,
            slot_min: 30.0,
            show_up: 0.85,
            target_load: 0.93,
            walk_ins_per_hour: 0.0,
            seed: 1,
        }
    }
}

/// A slot of a session and the number of people invited to it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedSlot {
    pub start_min: f64,
    pub invited: u32,
}

impl PlannedSlot {
    /// The time each queue number of the slot is asked to come: spread evenly over the
    /// slot, so that a slot's people do not all stand at the door at its start.
    pub fn appointment_times(&self, slot_min: f64) -> impl Iterator<Item = f64> + '_ {
        let step = slot_min / f64::from(self.invited.max(1));
        (0..self.invited).map(move |k| self.start_min + f64::from(k) * step)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedSession {
    pub commune: String,
    pub date: Date,
    pub start_min: f64,
    pub end_min: f64,
    pub machines: u32,
    pub slots: Vec<PlannedSlot>,
}

impl PlannedSession {
    pub fn invited(&self) -> u32 {
        self.slots.iter().map(|s| s.invited).sum()
    }
}

/// The measured wastes of a plan (or of a baseline on the same sessions).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanFigures {
    pub served: usize,
    pub machine_utilisation: f64,
    pub idle_machine_min: f64,
    pub wait_p50_min: f64,
    pub wait_p95_min: f64,
    pub overtime_min: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub sessions: Vec<PlannedSession>,
    /// Eligible people left without an invitation by the last day.
    pub unserved: u32,
    pub figures: PlanFigures,
    /// Total demand ÷ total capacity per day, rounded up: no plan needs fewer days.
    pub lower_bound_days: u32,
    /// The day the last session is held, if any.
    pub last_day: Option<Date>,
}

/// A non-negative amount rounded down to a whole count, saturating at `u32::MAX`.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "floored and clamped into u32's range first; NaN becomes 0"
)]
pub fn whole(x: f64) -> u32 {
    if x.is_nan() {
        return 0;
    }
    x.floor().clamp(0.0, f64::from(u32::MAX)) as u32
}

/// Minutes a team can work in a commune on a day.
fn working_minutes(input: &PlanInput, travel_min: u32) -> f64 {
    (input.close_min - input.open_min - 2.0 * f64::from(travel_min)).max(0.0)
}

/// People one session of `machines` can serve in `minutes`.
fn capacity(input: &PlanInput, machines: u32, minutes: f64) -> u32 {
    if input.service_min <= 0.0 {
        return 0;
    }
    whole((minutes / input.service_min).floor() * f64::from(machines))
}

/// Proposes sessions and measures them.
pub fn plan(input: &PlanInput) -> Plan {
    let (sessions, unserved) = propose(input);
    let figures = measure(input, &sessions, false);
    let demand: u64 = input.communes.iter().map(|c| u64::from(c.eligible)).sum();
    let per_day = u64::from(capacity(input, input.machines, working_minutes(input, 0)));
    let lower_bound_days = if per_day == 0 {
        0
    } else {
        u32::try_from(demand.div_ceil(per_day)).unwrap_or(u32::MAX)
    };
    Plan {
        last_day: sessions.iter().map(|s| s.date).max(),
        unserved,
        sessions,
        figures,
        lower_bound_days,
    }
}

/// The sessions alone, unmeasured, and the eligible left without an invitation (for a
/// caller that measures the sessions of several units together).
pub fn propose(input: &PlanInput) -> (Vec<PlannedSession>, u32) {
    let teams = (input.machines / input.team_size.max(1)).max(u32::from(input.machines > 0));
    let team_machines = |t: u32| -> u32 {
        // The last team takes the machines left over.
        let size = input.team_size.max(1);
        if t + 1 == teams {
            input.machines - size * (teams - 1)
        } else {
            size
        }
    };
    let mut remaining: Vec<u32> = input.communes.iter().map(|c| c.eligible).collect();
    let mut sessions: Vec<PlannedSession> = Vec::new();
    let show_up = input.show_up.clamp(0.01, 1.0);
    let load = input.target_load.clamp(0.0, 2.0);
    for &day in &input.days {
        for team in 0..teams {
            let Some(best) = (0..remaining.len())
                .filter(|&i| remaining.get(i).is_some_and(|r| *r > 0))
                .max_by(|&a, &b| {
                    remaining
                        .get(a)
                        .cmp(&remaining.get(b))
                        // On a tie the lower index (the first listed) wins.
                        .then(b.cmp(&a))
                })
            else {
                break;
            };
            let machines = team_machines(team);
            let commune = input.communes.get(best);
            let minutes = working_minutes(input, commune.map_or(0, |c| c.travel_min));
            let invite = whole(f64::from(capacity(input, machines, minutes)) * load / show_up)
                .min(remaining.get(best).copied().unwrap_or(0));
            if invite == 0 {
                break;
            }
            if let Some(r) = remaining.get_mut(best) {
                *r -= invite;
            }
            // Two teams in one commune on one day share one session (and one queue).
            if let Some(session) = session_of(&mut sessions, input, day, best) {
                session.machines += machines;
                add_invited(session, invite);
            }
        }
    }
    for session in &mut sessions {
        spread_over_slots(session, input.slot_min);
    }
    (sessions, remaining.iter().sum())
}

/// The session of a commune on a day, opened on first use.
fn session_of<'a>(
    sessions: &'a mut Vec<PlannedSession>,
    input: &PlanInput,
    day: Date,
    commune: usize,
) -> Option<&'a mut PlannedSession> {
    let c = input.communes.get(commune)?;
    let position = sessions
        .iter()
        .rposition(|s| s.date == day && s.commune == c.code);
    let index = match position {
        Some(i) => i,
        None => {
            let travel = f64::from(c.travel_min);
            sessions.push(PlannedSession {
                commune: c.code.clone(),
                date: day,
                start_min: input.open_min + travel,
                end_min: (input.close_min - travel).max(input.open_min + travel),
                machines: 0,
                // One placeholder holding the count until the slots are laid out.
                slots: vec![PlannedSlot {
                    start_min: input.open_min + travel,
                    invited: 0,
                }],
            });
            sessions.len() - 1
        }
    };
    sessions.get_mut(index)
}

fn add_invited(session: &mut PlannedSession, n: u32) {
    if let Some(slot) = session.slots.first_mut() {
        slot.invited += n;
    }
}

/// Spreads a session's invitations evenly over its slots, the remainder to the first.
fn spread_over_slots(session: &mut PlannedSession, slot_min: f64) {
    let total = session.invited();
    let length = (session.end_min - session.start_min).max(0.0);
    let count = if slot_min > 0.0 {
        whole(length / slot_min).max(1)
    } else {
        1
    };
    let (each, extra) = (total / count, total % count);
    session.slots = (0..count)
        .map(|i| PlannedSlot {
            start_min: session.start_min + f64::from(i) * slot_min,
            invited: each + u32::from(i < extra),
        })
        .collect();
}

/// Runs every session through the simulation. With `walk_in_only`, nobody holds an
/// appointment: the same expected number of people arrive at random over the day.
pub fn measure(input: &PlanInput, sessions: &[PlannedSession], walk_in_only: bool) -> PlanFigures {
    let mut waits = Vec::new();
    let (mut busy, mut idle, mut overtime, mut served) = (0.0, 0.0, 0.0, 0);
    for (n, session) in sessions.iter().enumerate() {
        let mut model = SessionModel::new(
            session.start_min,
            session.end_min,
            session.machines,
            input.service_min,
        );
        model.show_up = input.show_up;
        let hours = ((session.end_min - session.start_min) / 60.0).max(1e-9);
        let slots: Vec<f64> = if walk_in_only {
            model.walk_ins_per_hour = f64::from(session.invited()) * input.show_up / hours;
            Vec::new()
        } else {
            model.walk_ins_per_hour = input.walk_ins_per_hour;
            session
                .slots
                .iter()
                .flat_map(|s| s.appointment_times(input.slot_min))
                .collect()
        };
        let seed = input.seed.wrapping_add(u64::try_from(n).unwrap_or(0));
        let out = simulate(&model, &slots, seed);
        busy += out.busy_min;
        idle += out.idle_min;
        overtime += out.overtime_min;
        served += out.served;
        waits.extend(out.waits_min);
    }
    waits.sort_by(f64::total_cmp);
    PlanFigures {
        served,
        machine_utilisation: if busy + idle > 0.0 {
            busy / (busy + idle)
        } else {
            0.0
        },
        idle_machine_min: idle,
        wait_p50_min: percentile(&waits, 50),
        wait_p95_min: percentile(&waits, 95),
        overtime_min: overtime,
    }
}

/// An officer's change to one proposed session before the plan is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjustment {
    /// The session's place in [`Plan::sessions`].
    pub index: usize,
    /// `false` drops the session: its households are not invited.
    pub keep: bool,
    /// Another day of the plan for the session.
    pub date: Option<Date>,
    /// Another number of machines for the session.
    pub machines: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdjustError {
    #[error("session {0}: the plan proposes no such session")]
    NoSuchSession(usize),
    #[error("session {index}: {date} is not one of the plan's days")]
    OutsideDays { index: usize, date: Date },
    #[error("session {index}: between 1 and {most} machines")]
    Machines { index: usize, most: u32 },
}

impl Plan {
    /// A digest of the sessions proposed (commune, day, hours, machines, invitations):
    /// what an officer accepts must be the plan they were shown, not one the register
    /// has changed meanwhile.
    pub fn fingerprint(&self) -> String {
        // FNV-1a, 64 bits: a check against change, not against an adversary.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for s in &self.sessions {
            let line = format!(
                "{}|{}|{}|{}|{}|{};",
                s.commune,
                s.date,
                whole(s.start_min),
                whole(s.end_min),
                s.machines,
                s.invited()
            );
            for byte in line.bytes() {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("{hash:016x}")
    }

    /// The plan as the officer adjusted it: sessions dropped, moved to another of the
    /// plan's `days`, or run with another number of the unit's `machines`. Fewer machines
    /// invite fewer people, slot by slot in proportion; more machines invite no more (the
    /// planner already invited everyone it found room for). Sessions stay in day order.
    pub fn adjusted(
        mut self,
        adjustments: &[Adjustment],
        days: &[Date],
        machines: u32,
    ) -> Result<Self, AdjustError> {
        let mut dropped = vec![false; self.sessions.len()];
        for a in adjustments {
            let session = self
                .sessions
                .get_mut(a.index)
                .ok_or(AdjustError::NoSuchSession(a.index))?;
            if let Some(date) = a.date {
                if !days.contains(&date) {
                    return Err(AdjustError::OutsideDays {
                        index: a.index,
                        date,
                    });
                }
                session.date = date;
            }
            if let Some(n) = a.machines {
                if n == 0 || n > machines {
                    return Err(AdjustError::Machines {
                        index: a.index,
                        most: machines,
                    });
                }
                if n < session.machines {
                    let (old, new) = (f64::from(session.machines), f64::from(n));
                    for slot in &mut session.slots {
                        slot.invited = whole(f64::from(slot.invited) * new / old);
                    }
                }
                session.machines = n;
            }
            if let Some(flag) = dropped.get_mut(a.index) {
                *flag = !a.keep;
            }
        }
        let mut kept: Vec<PlannedSession> = self
            .sessions
            .into_iter()
            .zip(dropped)
            .filter(|(_, gone)| !gone)
            .map(|(s, _)| s)
            .collect();
        kept.sort_by(|a, b| {
            a.date
                .cmp(&b.date)
                .then(a.start_min.total_cmp(&b.start_min))
        });
        self.last_day = kept.iter().map(|s| s.date).max();
        self.sessions = kept;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn commune(code: &str, eligible: u32, travel_min: u32) -> CommuneDemand {
        CommuneDemand {
            code: code.into(),
            name: format!("Xã {code}"),
            eligible,
            travel_min,
        }
    }

    fn days(n: i8) -> Vec<Date> {
        (1..=n).map(|d| date(2021, 3, d)).collect()
    }

    #[test]
    fn everyone_is_invited_once_when_there_is_time() {
        let input = PlanInput::new(
            vec![commune("18073", 500, 0), commune("18076", 300, 30)],
            4,
            days(10),
        );
        let p = plan(&input);
        assert_eq!(p.unserved, 0);
        let invited: u32 = p.sessions.iter().map(PlannedSession::invited).sum();
        assert_eq!(invited, 800);
        for c in ["18073", "18076"] {
            let n: u32 = p
                .sessions
                .iter()
                .filter(|s| s.commune == c)
                .map(PlannedSession::invited)
                .sum();
            assert_eq!(n, if c == "18073" { 500 } else { 300 });
        }
        // A remote commune's session is shortened by the journey both ways.
        let remote = p.sessions.iter().find(|s| s.commune == "18076").unwrap();
        assert_eq!((remote.start_min, remote.end_min), (450.0, 990.0));
        // 4 machines of 15 minutes over 10 hours serve 160 a day: 800 need 5 days at least.
        assert_eq!(p.lower_bound_days, 5);
    }

    #[test]
    fn sessions_never_invite_beyond_what_their_machines_serve_at_the_show_up_rate() {
        let input = PlanInput::new(vec![commune("18073", 100_000, 0)], 4, days(3));
        let p = plan(&input);
        for s in &p.sessions {
            // One team of 4 machines serves 160 a day; at a target load of 93% and 85%
            // show-up it invites ⌊160 × 0.93 / 0.85⌋ = 175.
            assert_eq!(s.machines, 4);
            assert_eq!(s.invited(), 175);
            assert_eq!(s.slots.len(), 20);
            let max = s.slots.iter().map(|x| x.invited).max().unwrap();
            let min = s.slots.iter().map(|x| x.invited).min().unwrap();
            assert!(max - min <= 1);
        }
        assert_eq!(p.unserved, 100_000 - 3 * 175);
        assert_eq!(p.last_day, Some(date(2021, 3, 3)));
    }

    #[test]
    fn travel_is_estimated_from_the_centres() {
        let unit = |lat: Option<f64>, lon: f64| AdminUnit {
            code: crate::AdminCode::parse("18565").unwrap(),
            name: "Ngọc Sơn".into(),
            kind: crate::AdminKind::Commune,
            parent: None,
            latitude: lat,
            longitude: Some(lon),
        };
        // 0.1° of longitude at 18.35° N is 10.55 km: 13.7 km by road, 27 minutes.
        assert_eq!(
            travel_minutes(&unit(Some(18.35), 105.8), &unit(Some(18.35), 105.9)),
            27
        );
        assert_eq!(
            travel_minutes(&unit(None, 105.8), &unit(Some(18.35), 105.9)),
            0
        );
    }

    #[test]
    fn a_slot_spreads_its_queue_numbers_over_its_minutes() {
        let slot = PlannedSlot {
            start_min: 480.0,
            invited: 4,
        };
        let times: Vec<f64> = slot.appointment_times(30.0).collect();
        assert_eq!(times, vec![480.0, 487.5, 495.0, 502.5]);
        let empty = PlannedSlot {
            start_min: 480.0,
            invited: 0,
        };
        assert_eq!(empty.appointment_times(30.0).count(), 0);
    }

    #[test]
    fn appointments_waste_less_than_walk_ins() {
        // More people than the machines can serve in 20 days: every session is full.
        let communes = (0..6)
            .map(|i| commune(&format!("1807{i}"), 2_000, 20))
            .collect();
        let input = PlanInput::new(communes, 4, days(20));
        let p = plan(&input);
        assert!(p.unserved > 0);
        let baseline = measure(&input, &p.sessions, true);
        assert!(
            p.figures.wait_p95_min < baseline.wait_p95_min,
            "{p:?} {baseline:?}"
        );
        assert!(
            p.figures.wait_p50_min < baseline.wait_p50_min,
            "{p:?} {baseline:?}"
        );
        assert!(p.figures.machine_utilisation > baseline.machine_utilisation);
        assert!(p.figures.machine_utilisation > 0.85, "{:?}", p.figures);
    }

    proptest! {
        #[test]
        fn invitations_add_up_to_the_eligible(
            eligible in proptest::collection::vec(0u32..3_000, 1..8),
            machines in 1u32..9,
            n_days in 1i8..25,
        ) {
            let communes = eligible.iter().enumerate().map(|(i, e)| commune(&format!("{}", 18000 + i), *e, u32::try_from(i * 15 % 90).unwrap())).collect();
            let input = PlanInput::new(communes, machines, days(n_days));
            let p = plan(&input);
            let invited: u64 = p.sessions.iter().map(|s| u64::from(s.invited())).sum();
            let total: u64 = eligible.iter().map(|e| u64::from(*e)).sum();
            prop_assert_eq!(invited + u64::from(p.unserved), total);
            for s in &p.sessions {
                prop_assert!(s.machines >= 1 && s.machines <= machines);
                prop_assert!(s.start_min <= s.end_min);
                let cap = capacity(&input, s.machines, s.end_min - s.start_min);
                prop_assert!(f64::from(s.invited()) <= f64::from(cap) / input.show_up + 1.0);
            }
            // No two sessions for one commune on one day.
            let mut keys: Vec<_> = p.sessions.iter().map(|s| (s.date, s.commune.clone())).collect();
            keys.sort();
            let before = keys.len();
            keys.dedup();
            prop_assert_eq!(before, keys.len());
        }
    }

    proptest! {
        /// The exact optimum of the planner's model, for small instances: every session
        /// in commune c invites at most k_c, so c needs ⌈d_c ÷ k_c⌉ team-days whatever
        /// the order, and T teams cannot do them in fewer than ⌈Σ ÷ T⌉ days. The greedy
        /// plan takes exactly that many, with no day left idle before its last.
        #[test]
        fn the_greedy_plan_takes_the_fewest_days_possible(
            demands in proptest::collection::vec(0_u32..2_000, 1..6),
            travel in proptest::collection::vec(0_u32..90, 6),
            teams in 1_u32..4,
        ) {
            let communes: Vec<CommuneDemand> = demands
                .iter()
                .zip(&travel)
                .enumerate()
                .map(|(i, (&d, &t))| commune(&format!("{:05}", 18_000 + i), d, t))
                .collect();
            let first = date(2021, 3, 1);
            let days: Vec<Date> = (0..400).map(|i| first.checked_add(jiff::Span::new().days(i)).unwrap()).collect();
            let mut input = PlanInput::new(communes, 2 * teams, days.clone());
            input.team_size = 2;
            let (sessions, unserved) = propose(&input);
            prop_assert_eq!(unserved, 0);
            let per_session = |c: &CommuneDemand| {
                whole(
                    f64::from(capacity(&input, 2, working_minutes(&input, c.travel_min)))
                        * input.target_load
                        / input.show_up,
                )
            };
            let team_days: u32 = input
                .communes
                .iter()
                .map(|c| c.eligible.div_ceil(per_session(c)))
                .sum();
            let optimum = team_days.div_ceil(teams);
            let used: std::collections::BTreeSet<Date> = sessions.iter().map(|s| s.date).collect();
            prop_assert_eq!(u32::try_from(used.len()).unwrap(), optimum);
            if let Some(last) = used.last() {
                prop_assert_eq!(days.iter().position(|d| d == last).map(|i| i + 1), Some(used.len()));
            }
        }
    }

    #[test]
    fn an_adjusted_plan_drops_moves_and_thins_sessions() {
        let day = |d| jiff::civil::date(2021, 4, d);
        let session = |commune: &str, d, machines, invited| PlannedSession {
            commune: commune.into(),
            date: day(d),
            start_min: 420.0,
            end_min: 480.0,
            machines,
            slots: vec![
                PlannedSlot {
                    start_min: 420.0,
                    invited,
                },
                PlannedSlot {
                    start_min: 450.0,
                    invited,
                },
            ],
        };
        let plan = Plan {
            sessions: vec![
                session("18073", 5, 4, 8),
                session("18076", 5, 4, 8),
                session("18079", 6, 4, 8),
            ],
            unserved: 0,
            figures: PlanFigures {
                served: 0,
                machine_utilisation: 0.0,
                idle_machine_min: 0.0,
                wait_p50_min: 0.0,
                wait_p95_min: 0.0,
                overtime_min: 0.0,
            },
            lower_bound_days: 1,
            last_day: Some(day(6)),
        };
        let days = [day(5), day(6), day(7)];
        let shown = plan.fingerprint();
        let adjusted = plan
            .clone()
            .adjusted(
                &[
                    Adjustment {
                        index: 0,
                        keep: false,
                        date: None,
                        machines: None,
                    },
                    Adjustment {
                        index: 1,
                        keep: true,
                        date: Some(day(7)),
                        machines: Some(2),
                    },
                ],
                &days,
                4,
            )
            .unwrap();
        let communes: Vec<&str> = adjusted
            .sessions
            .iter()
            .map(|s| s.commune.as_str())
            .collect();
        assert_eq!(communes, ["18079", "18076"], "dropped, then in day order");
        assert_eq!(adjusted.sessions[1].date, day(7));
        assert_eq!(
            adjusted.sessions[1].invited(),
            8,
            "half the machines, half the people"
        );
        assert_eq!(adjusted.last_day, Some(day(7)));
        assert_ne!(adjusted.fingerprint(), shown);
        assert_eq!(plan.fingerprint(), shown, "the same plan, the same digest");

        let refuse = |a: Adjustment| plan.clone().adjusted(&[a], &days, 4).unwrap_err();
        let base = Adjustment {
            index: 0,
            keep: true,
            date: None,
            machines: None,
        };
        assert_eq!(
            refuse(Adjustment {
                index: 9,
                ..base.clone()
            }),
            AdjustError::NoSuchSession(9)
        );
        assert!(matches!(
            refuse(Adjustment {
                date: Some(day(9)),
                ..base.clone()
            }),
            AdjustError::OutsideDays { .. }
        ));
        assert!(matches!(
            refuse(Adjustment {
                machines: Some(5),
                ..base
            }),
            AdjustError::Machines { most: 4, .. }
        ));
    }
}
