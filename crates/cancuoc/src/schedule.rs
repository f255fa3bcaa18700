//! `cancuoc schedule plan`: sessions per commune and day for a unit, with their wastes.

use std::process::ExitCode;

use cancuoc_app::{App, PlanRequest};
use cancuoc_domain::planner::{Plan, PlanInput};
use serde_json::json;

use crate::commands::{CliError, Result, operator};

fn clock(minutes: f64) -> String {
    let total = cancuoc_domain::planner::whole(minutes.round());
    format!("{:02}:{:02}", total / 60, total % 60)
}

pub async fn plan(
    app: &App,
    request: &PlanRequest,
    format: &str,
    accept: bool,
) -> Result<ExitCode> {
    let (input, plan, accepted) = if accept {
        let (input, plan, accepted) = app.accept_plan(&operator(), request, None).await?;
        (input, plan, Some(accepted))
    } else {
        let (input, plan) = app.plan_enrollment(&operator(), request).await?;
        (input, plan, None)
    };
    match format {
        "json" => {
            let mut value = as_json(&input, &plan);
            if let (Some(a), Some(map)) = (&accepted, value.as_object_mut()) {
                map.insert(
                    "accepted".into(),
                    json!({
                        "sites_created": a.sites_created,
                        "sessions": a.sessions,
                        "households": a.invitations.households,
                        "invited": a.invitations.invited,
                        "left_out": a.invitations.left_out,
                    }),
                );
            }
            let text = serde_json::to_string_pretty(&value)
                .map_err(|e| CliError::failed(format!("cannot write JSON: {e}")))?;
            println!("{text}");
        }
        _ => {
            print_table(&input, &plan);
            if let Some(a) = accepted {
                println!(
                    "accepted: {} sessions ({} new sites); {} people of {} households invited, {} left for later sessions",
                    a.sessions,
                    a.sites_created,
                    a.invitations.invited,
                    a.invitations.households,
                    a.invitations.left_out
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn name_of<'a>(input: &'a PlanInput, code: &'a str) -> &'a str {
    input
        .communes
        .iter()
        .find(|c| c.code == code)
        .map_or(code, |c| c.name.as_str())
}

fn as_json(input: &PlanInput, plan: &Plan) -> serde_json::Value {
    let sessions: Vec<serde_json::Value> = plan
        .sessions
        .iter()
        .map(|s| {
            json!({
                "commune": s.commune,
                "commune_name": name_of(input, &s.commune),
                "invites": s.invites,
                "date": s.date.to_string(),
                "start": clock(s.start_min),
                "end": clock(s.end_min),
                "machines": s.machines,
                "invited": s.invited(),
                "slots": s.slots.iter().map(|slot| json!({
                    "start": clock(slot.start_min),
                    "invited": slot.invited,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let round1 = |x: f64| (x * 10.0).round() / 10.0;
    json!({
        "sessions": sessions,
        "eligible": input.communes.iter().map(|c| u64::from(c.eligible)).sum::<u64>(),
        "invited": plan.sessions.iter().map(|s| u64::from(s.invited())).sum::<u64>(),
        "unserved": plan.unserved,
        "machine_utilisation": round1(plan.figures.machine_utilisation * 100.0) / 100.0,
        "wait_p50_min": round1(plan.figures.wait_p50_min),
        "wait_p95_min": round1(plan.figures.wait_p95_min),
        "idle_machine_min": plan.figures.idle_machine_min.round(),
        "lower_bound_days": plan.lower_bound_days,
        "last_day": plan.last_day.map(|d| d.to_string()),
        "show_up": input.show_up,
    })
}

fn print_table(input: &PlanInput, plan: &Plan) {
    let eligible: u64 = input.communes.iter().map(|c| u64::from(c.eligible)).sum();
    println!(
        "{} communes, {eligible} eligible, {} machines, {} days: {} sessions, {} not invited in time (at least {} days needed)",
        input.communes.len(),
        input.machines,
        input.days.len(),
        plan.sessions.len(),
        plan.unserved,
        plan.lower_bound_days
    );
    println!(
        "machine utilisation {:.1}%, wait p50 {:.1} min, p95 {:.1} min (show-up {})",
        plan.figures.machine_utilisation * 100.0,
        plan.figures.wait_p50_min,
        plan.figures.wait_p95_min,
        input.show_up
    );
    println!();
    println!("Ngày        Giờ          Máy  Mời  Xã/phường");
    for s in &plan.sessions {
        // A neighbour gathered at the site: "Xã Xuân Hội: người dân Xã Xuân Trường".
        let gathered = if s.invites == s.commune {
            String::new()
        } else {
            format!(": người dân {}", name_of(input, &s.invites))
        };
        println!(
            "{}  {}–{}  {:>3}  {:>3}  {}{gathered}",
            s.date,
            clock(s.start_min),
            clock(s.end_min),
            s.machines,
            s.invited(),
            name_of(input, &s.commune)
        );
    }
}

/// `cancuoc schedule need`: one row per unit, as a table or as the API's JSON.
pub async fn need(app: &App, unit: &str, by: &str, format: &str) -> Result<ExitCode> {
    let report = app.finishing_need(&operator(), unit, by).await?;
    let dto = cancuoc_server::NeedDto::new(&report);
    if format == "json" {
        let text = serde_json::to_string_pretty(&dto)
            .map_err(|e| CliError::failed(format!("cannot write JSON: {e}")))?;
        println!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "to serve everyone by {} (plans start {}): machines at 7:00–17:00 with lunch, 85% show-up, no-shows invited again",
        dto.by, dto.first_day
    );
    println!(
        "{:<10} {:<28} {:>9} {:>8} {:>7} {:>6} {:>8} {:>11} {:>8} {:>11}",
        "unit",
        "name",
        "eligible",
        "machines",
        "needed",
        "bound",
        "m·h/day",
        "finishes",
        "pace/day",
        "at pace"
    );
    for u in &dto.units {
        println!(
            "{:<10} {:<28} {:>9} {:>8} {:>7} {:>6} {:>8.1} {:>11} {:>8.1} {:>11}",
            u.unit,
            u.name.chars().take(28).collect::<String>(),
            u.eligible,
            u.machines,
            u.machines_needed
                .map_or_else(|| "> 200".to_owned(), |m| m.to_string()),
            u.lower_bound_machines,
            u.machine_hours_a_day,
            u.finishes_on.as_deref().unwrap_or("—"),
            u.pace_per_day,
            u.finishes_at_pace.as_deref().unwrap_or("—"),
        );
    }
    Ok(ExitCode::SUCCESS)
}
