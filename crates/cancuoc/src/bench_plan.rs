//! `cancuoc bench plan`: the enrollment planner on a Hà Tĩnh-sized province, next to a
//! walk-in baseline on the same sessions and the lower bound on the days needed.

use std::process::ExitCode;
use std::time::Instant;

use cancuoc_domain::admin_data::{ADMIN_UNITS_2021, parse_admin_units};
use cancuoc_domain::campaign::allocate;
use cancuoc_domain::planner::{
    CommuneDemand, PlanInput, PlannedSession, gather_group, measure, propose, travel_minutes, whole,
};
use cancuoc_domain::{AdminLevel, AdminUnit};
use jiff::civil::{Date, date};
use rand::{RngExt, SeedableRng};

use crate::bench::thousands;
use crate::commands::{CliError, Result};

pub struct PlanArgs {
    pub province: String,
    pub eligible: u64,
    pub machines: u32,
    pub service_min: f64,
    pub open_hour: f64,
    pub close_hour: f64,
    pub show_up: f64,
    pub load: f64,
    pub seed: u64,
    pub instances: std::path::PathBuf,
    /// CP-SAT's time limit per instance; `None` runs the planner alone.
    pub solver: Option<std::time::Duration>,
}

const GOAL_SECONDS: f64 = 10.0;
const GOAL_UTILISATION: f64 = 0.90;
const GOAL_P95_MIN: f64 = 15.0;
pub fn plan_bench(args: &PlanArgs) -> Result<ExitCode> {
    let units = parse_admin_units(ADMIN_UNITS_2021).map_err(|e| CliError::failed(e.to_string()))?;
    let province = units
        .iter()
        .find(|u| u.code.as_str() == args.province && u.code.level() == AdminLevel::Province)
        .ok_or_else(|| CliError::usage(format!("no province {}", args.province)))?;
    let districts: Vec<&AdminUnit> = units
        .iter()
        .filter(|u| u.parent.as_ref() == Some(&province.code))
        .collect();
    let mut days: Vec<Date> = Vec::new();
    let mut day = date(2021, 3, 1);
    while day <= date(2021, 6, 30) {
        days.push(day);
        day = day
            .tomorrow()
            .map_err(|e| CliError::failed(e.to_string()))?;
    }
    // Each commune's eligible population: the province's total shared by random weights
    // between 0.5 and 1.5, the same for a seed.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed);
    let mut by_district: Vec<(&AdminUnit, Vec<(CommuneDemand, f64)>)> = Vec::new();
    for d in &districts {
        let communes = units
            .iter()
            .filter(|u| u.parent.as_ref() == Some(&d.code))
            .map(|c| {
                let demand = CommuneDemand {
                    code: c.code.as_str().to_owned(),
                    name: c.name.clone(),
                    eligible: 0,
                    travel_min: travel_minutes(d, c),
                    gather_group: gather_group(c),
                };
                (demand, 0.5 + rng.random::<f64>())
            })
            .collect();
        by_district.push((d, communes));
    }
    let communes_total: usize = by_district.iter().map(|(_, cs)| cs.len()).sum();
    let template = |communes: Vec<CommuneDemand>, machines: u32| {
        let mut input = PlanInput::new(communes, machines, days.clone());
        input.service_min = args.service_min;
        input.open_min = args.open_hour * 60.0;
        input.close_min = args.close_hour * 60.0;
        input.show_up = args.show_up;
        input.target_load = args.load;
        input.seed = args.seed;
        input
    };
    // The province's PC06 brings its machines to the district with the most people.
    let units_count = districts.len() + 1;
    let started = Instant::now();
    let mut inputs = Vec::new();
    let largest = by_district
        .iter()
        .enumerate()
        .max_by(|a, b| {
            let sum = |cs: &Vec<(CommuneDemand, f64)>| cs.iter().map(|(_, w)| w).sum::<f64>();
            sum(&a.1.1).total_cmp(&sum(&b.1.1))
        })
        .map_or(0, |(i, _)| i);
    // Shared out exactly (largest remainder), weights in thousandths.
    let weights: Vec<u64> = by_district
        .iter()
        .flat_map(|(_, cs)| cs.iter().map(|(_, w)| u64::from(whole(w * 1000.0))))
        .collect();
    let mut shares = allocate(args.eligible, &weights).into_iter();
    for (i, (_, communes)) in by_district.iter().enumerate() {
        let demand: Vec<CommuneDemand> = communes
            .iter()
            .map(|(c, _)| CommuneDemand {
                eligible: u32::try_from(shares.next().unwrap_or(0)).unwrap_or(u32::MAX),
                ..c.clone()
            })
            .collect();
        let machines = if i == largest {
            2 * args.machines
        } else {
            args.machines
        };
        inputs.push(template(demand, machines));
    }
    // Each unit's sessions, then all of them measured together once.
    let mut sessions: Vec<PlannedSession> = Vec::new();
    let mut unserved: u64 = 0;
    for input in &inputs {
        let (proposed, left) = propose(input);
        sessions.extend(proposed);
        unserved += u64::from(left);
    }
    let whole = template(Vec::new(), args.machines);
    let figures = measure(&whole, &sessions, false);
    let took = started.elapsed().as_secs_f64();
    let baseline = measure(&whole, &sessions, true);

    let eligible: u64 = inputs
        .iter()
        .flat_map(|i| i.communes.iter().map(|c| u64::from(c.eligible)))
        .sum();
    let invited: u64 = sessions.iter().map(|s| u64::from(s.invited())).sum();
    let machines_total = u64::from(args.machines) * u64::try_from(units_count).unwrap_or(0);
    let per_machine_day = ((args.close_hour - args.open_hour) * 60.0 / args.service_min).floor();
    let per_day = per_machine_day * machines_total as f64;
    let lower_bound = (eligible as f64 / per_day.max(1.0)).ceil();
    let last = sessions.iter().map(|s| s.date).max();
    println!(
        "plan: province {} ({}), {} eligible in {} communes, {} units × {} machines, 1 Mar – 30 Jun 2021 ({} days), {:02.0}:00–{:02.0}:00, {} min per application, show-up {}",
        province.code.as_str(),
        province.name,
        thousands(eligible as f64),
        communes_total,
        units_count,
        args.machines,
        days.len(),
        args.open_hour,
        args.close_hour,
        args.service_min,
        args.show_up
    );
    println!(
        "  planned and simulated in {took:.2} s (goal < {GOAL_SECONDS} s: {}): {} sessions, {} invited, {} not invited by 30 June, last session {}",
        if took < GOAL_SECONDS { "met" } else { "missed" },
        thousands(sessions.len() as f64),
        thousands(invited as f64),
        thousands(unserved as f64),
        last.map_or_else(|| "none".to_owned(), |d| d.to_string()),
    );
    let met = figures.machine_utilisation > GOAL_UTILISATION && figures.wait_p95_min < GOAL_P95_MIN;
    println!(
        "  with appointments: machine utilisation {:.1}%, wait p50 {:.1} min, p95 {:.1} min, {} served; goal > 90% and p95 < 15 min: {}",
        figures.machine_utilisation * 100.0,
        figures.wait_p50_min,
        figures.wait_p95_min,
        thousands(figures.served as f64),
        if met { "met" } else { "missed" }
    );
    println!(
        "  walk-in baseline, same sessions, same expected arrivals at random: utilisation {:.1}%, wait p50 {:.1} min, p95 {:.1} min",
        baseline.machine_utilisation * 100.0,
        baseline.wait_p50_min,
        baseline.wait_p95_min
    );
    println!(
        "  lower bound: {} eligible ÷ {} a day ({} machines × {} each) = {} days; the period has {}",
        thousands(eligible as f64),
        thousands(per_day),
        machines_total,
        per_machine_day,
        lower_bound,
        days.len()
    );
    crate::bench_plan_exact::exact_comparison(&args.instances, args.solver, args.seed)?;
    Ok(ExitCode::SUCCESS)
}
