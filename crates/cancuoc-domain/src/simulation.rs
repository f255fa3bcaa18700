//! A discrete-event simulation of one enrollment session (DESIGN §7): people arrive (those
//! invited, if they show up, around their slot; walk-ins at random), queue in one line,
//! and are served in arrival order by the first machine free. It measures the two wastes
//! the seed documents name: machines waiting for people (idle machine minutes) and people
//! waiting for machines (minutes from arrival to the start of service).
//!
//! Deterministic for a seed: the planner compares plans on the same random draws.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How a session runs and how people behave.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionModel {
    /// Opening and closing, in minutes after midnight.
    pub open_min: f64,
    pub close_min: f64,
    pub machines: u32,
    /// Mean minutes a machine takes per application.
    pub service_min: f64,
    /// Spread of a service time around the mean, as a fraction (0.2: ±20%, uniform).
    pub service_spread: f64,
    /// The share of invited people who come.
    pub show_up: f64,
    /// Invited people arrive uniformly between this many minutes before their slot…
    pub early_min: f64,
    /// …and this many after it.
    pub late_min: f64,
    /// People who come without an invitation, per hour of opening, at random times.
    pub walk_ins_per_hour: f64,
    /// Whether the queue at closing time is still served (overtime) or sent home.
    pub serve_after_close: bool,
}

impl SessionModel {
    /// A session with machines of `service_min` minutes per application and the
    /// behaviour of people the planner assumes unless told otherwise.
    pub fn new(open_min: f64, close_min: f64, machines: u32, service_min: f64) -> Self {
        Self {
            open_min,
            close_min,
            machines,
            service_min,
            service_spread: 0.2,
            show_up: 0.85,
            early_min: 10.0,
            late_min: 10.0,
            walk_ins_per_hour: 0.0,
            serve_after_close: true,
        }
    }
}

/// What happened in a simulated session.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionOutcome {
    pub invited: usize,
    pub came: usize,
    pub walk_ins: usize,
    pub served: usize,
    /// Sent home at closing (only when the queue is not served after close).
    pub unserved: usize,
    /// Machine minutes spent serving within opening hours.
    pub busy_min: f64,
    /// Machine minutes within opening hours with no one to serve.
    pub idle_min: f64,
    /// Minutes the last machine worked past closing.
    pub overtime_min: f64,
    /// Each served person's wait, sorted: for the invited, from the later of their arrival
    /// and their slot (coming early is their choice); for walk-ins, from arrival.
    pub waits_min: Vec<f64>,
}

impl SessionOutcome {
    /// Busy ÷ available machine minutes within opening hours, 0 to 1.
    pub fn utilisation(&self) -> f64 {
        let available = self.busy_min + self.idle_min;
        if available > 0.0 {
            self.busy_min / available
        } else {
            0.0
        }
    }

    /// The nearest-rank percentile of the waits (0 when no one was served).
    pub fn wait_percentile(&self, percent: u32) -> f64 {
        percentile(&self.waits_min, percent)
    }
}

/// The nearest-rank percentile of sorted values (0 for none).
pub fn percentile(sorted: &[f64], percent: u32) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (usize::try_from(percent).unwrap_or(100).min(100) * sorted.len()).div_ceil(100);
    sorted.get(rank.max(1) - 1).copied().unwrap_or_default()
}

struct Arrival {
    at: f64,
    /// When waiting starts to count.
    waits_from: f64,
}

/// Simulates a session where each invited person holds a slot starting at the given
/// minute after midnight.
pub fn simulate(model: &SessionModel, slots_min: &[f64], seed: u64) -> SessionOutcome {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut arrivals = Vec::with_capacity(slots_min.len());
    for &slot in slots_min {
        // Every draw is taken whether or not the person comes, so that two models that
        // differ only in the show-up rate see the same arrival times.
        let comes = rng.random::<f64>() < model.show_up;
        let offset = rng.random::<f64>() * (model.early_min + model.late_min) - model.early_min;
        if comes {
            let at = slot + offset;
            arrivals.push(Arrival {
                at,
                waits_from: at.max(slot),
            });
        }
    }
    let came = arrivals.len();
    let hours = ((model.close_min - model.open_min) / 60.0).max(0.0);
    let mut walk_ins = 0;
    if model.walk_ins_per_hour > 0.0 {
        // A Poisson process: exponential gaps between arrivals.
        let mut at = model.open_min;
        loop {
            let u: f64 = rng.random::<f64>();
            at += -(1.0 - u).ln() * 60.0 / model.walk_ins_per_hour;
            if at >= model.close_min || walk_ins as f64 >= model.walk_ins_per_hour * hours * 10.0 {
                break;
            }
            arrivals.push(Arrival { at, waits_from: at });
            walk_ins += 1;
        }
    }
    arrivals.sort_by(|a, b| a.at.total_cmp(&b.at));

    // The minute each machine is next free, the earliest first.
    let mut free: BinaryHeap<Reverse<Minute>> = (0..model.machines.max(1))
        .map(|_| Reverse(Minute(model.open_min)))
        .collect();
    let mut waits = Vec::with_capacity(arrivals.len());
    let (mut busy, mut unserved, mut last_end) = (0.0, 0, model.open_min);
    for arrival in &arrivals {
        let Some(Reverse(Minute(machine_free))) = free.pop() else {
            break;
        };
        let start = arrival.at.max(machine_free).max(model.open_min);
        if start >= model.close_min && !model.serve_after_close {
            unserved += 1;
            free.push(Reverse(Minute(machine_free)));
            continue;
        }
        let spread = (rng.random::<f64>() * 2.0 - 1.0) * model.service_spread;
        let service = (model.service_min * (1.0 + spread)).max(0.0);
        let end = start + service;
        // Only the part inside opening hours counts as busy; the rest is overtime.
        busy += (end.min(model.close_min) - start.min(model.close_min)).max(0.0);
        last_end = f64::max(last_end, end);
        waits.push((start - arrival.waits_from).max(0.0));
        free.push(Reverse(Minute(end)));
    }
    waits.sort_by(f64::total_cmp);
    let available = f64::from(model.machines) * (model.close_min - model.open_min).max(0.0);
    SessionOutcome {
        invited: slots_min.len(),
        came,
        walk_ins,
        served: waits.len(),
        unserved,
        busy_min: busy,
        idle_min: (available - busy).max(0.0),
        overtime_min: (last_end - model.close_min).max(0.0),
        waits_min: waits,
    }
}

/// A minute on the clock, ordered totally so that it can sit in a heap.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Minute(f64);

impl Eq for Minute {}
impl PartialOrd for Minute {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Minute {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 7:30–11:30 with two machines of 15 minutes each.
    fn morning() -> SessionModel {
        SessionModel::new(450.0, 690.0, 2, 15.0)
    }

    fn exact(mut model: SessionModel) -> SessionModel {
        model.service_spread = 0.0;
        model.show_up = 1.0;
        model.early_min = 0.0;
        model.late_min = 0.0;
        model
    }

    /// Two people every 15 minutes: what two machines of 15 minutes take.
    fn matched_slots(model: &SessionModel) -> Vec<f64> {
        let mut slots = Vec::new();
        let mut t = model.open_min;
        while t + model.service_min <= model.close_min {
            slots.extend([t, t]);
            t += model.service_min;
        }
        slots
    }

    #[test]
    fn a_plan_that_matches_the_machines_wastes_nothing() {
        let model = exact(morning());
        let slots = matched_slots(&model);
        let out = simulate(&model, &slots, 1);
        assert_eq!(out.served, 32);
        assert_eq!(out.idle_min, 0.0);
        assert!((out.utilisation() - 1.0).abs() < 1e-9);
        assert_eq!(out.wait_percentile(95), 0.0);
        assert_eq!(out.overtime_min, 0.0);
    }

    #[test]
    fn half_the_people_leave_half_the_machine_time_idle() {
        let model = exact(morning());
        let slots: Vec<f64> = matched_slots(&model).into_iter().step_by(2).collect();
        let out = simulate(&model, &slots, 1);
        assert_eq!(out.served, 16);
        assert!((out.utilisation() - 0.5).abs() < 1e-9);
        assert!((out.idle_min - 240.0).abs() < 1e-9);
        assert_eq!(out.wait_percentile(95), 0.0);
    }

    #[test]
    fn everyone_at_opening_queues() {
        let model = exact(morning());
        let slots = vec![450.0; 8];
        let out = simulate(&model, &slots, 1);
        // Pairs start at 0, 15, 30 and 45 minutes.
        assert_eq!(
            out.waits_min,
            vec![0.0, 0.0, 15.0, 15.0, 30.0, 30.0, 45.0, 45.0]
        );
        assert_eq!(out.wait_percentile(50), 15.0);
        assert_eq!(out.wait_percentile(95), 45.0);
    }

    #[test]
    fn the_queue_at_closing_is_served_late_or_sent_home() {
        let mut model = exact(morning());
        let slots = vec![680.0; 6];
        let out = simulate(&model, &slots, 1);
        assert_eq!((out.served, out.unserved), (6, 0));
        // Three rounds of 15 minutes from 11:20: the last ends at 12:05.
        assert!((out.overtime_min - 35.0).abs() < 1e-9);
        model.serve_after_close = false;
        let out = simulate(&model, &slots, 1);
        assert_eq!((out.served, out.unserved), (2, 4));
    }

    #[test]
    fn early_arrivals_do_not_count_as_waiting() {
        let mut model = exact(morning());
        model.early_min = 20.0;
        let out = simulate(&model, &[480.0], 7);
        assert_eq!(out.waits_min, vec![0.0]);
    }

    #[test]
    fn show_up_and_walk_ins_are_drawn_from_the_seed() {
        let mut model = morning();
        model.walk_ins_per_hour = 3.0;
        let slots = matched_slots(&model);
        let a = simulate(&model, &slots, 42);
        assert_eq!(a, simulate(&model, &slots, 42));
        assert_ne!(a, simulate(&model, &slots, 43));
        assert!(a.came < slots.len() && a.came > slots.len() / 2, "{a:?}");
        assert!(a.walk_ins > 0);
        assert_eq!(a.served, a.came + a.walk_ins);
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&values, 50), 10.0);
        assert_eq!(percentile(&values, 95), 19.0);
        assert_eq!(percentile(&values, 100), 20.0);
        assert_eq!(percentile(&[], 95), 0.0);
    }

    proptest! {
        #[test]
        fn every_arrival_is_accounted_for(
            machines in 1u32..6,
            people in 0usize..200,
            show_up in 0.0f64..=1.0,
            walk_ins in 0.0f64..20.0,
            after_close: bool,
            seed: u64,
        ) {
            let mut model = SessionModel::new(420.0, 1020.0, machines, 12.0);
            model.show_up = show_up;
            model.walk_ins_per_hour = walk_ins;
            model.serve_after_close = after_close;
            let slots: Vec<f64> = (0..people).map(|i| 420.0 + (i % 40) as f64 * 15.0).collect();
            let out = simulate(&model, &slots, seed);
            prop_assert_eq!(out.served + out.unserved, out.came + out.walk_ins);
            prop_assert!(out.came <= out.invited);
            let u = out.utilisation();
            prop_assert!((0.0..=1.0 + 1e-9).contains(&u));
            prop_assert!(out.waits_min.iter().all(|w| *w >= 0.0));
            prop_assert!(out.wait_percentile(50) <= out.wait_percentile(95));
            let available = f64::from(machines) * 600.0;
            prop_assert!((out.busy_min + out.idle_min - available).abs() < 1e-6);
            if !after_close {
                // Only a service started before closing runs over.
                prop_assert!(out.overtime_min <= 12.0 * 1.2 + 1e-9);
            }
        }
    }
}
