//! `cancuoc site|machine|session …`: enrollment sites, machines, sessions, invitations
//! and the day itself.

use std::path::Path;
use std::process::ExitCode;

use cancuoc_app::{App, Arrival, LiveQueue, MachineRequest, SessionRequest, SiteRequest};
use cancuoc_domain::schedule::{SessionFigures, clock};
use cancuoc_store::{Appointment, EnrollmentSession};
use serde_json::json;
use uuid::Uuid;

use crate::campaign::{emit, table};
use crate::commands::{CliError, Result, operator};
use crate::{MachineCommand, SessionCommand, SiteCommand};

fn id(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text.trim()).map_err(|_| CliError::usage(format!("{text:?} is not an id")))
}

fn print_json(value: &serde_json::Value) -> Result<ExitCode> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::failed(format!("cannot write JSON: {e}")))?;
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

pub async fn site(app: &App, command: &SiteCommand) -> Result<ExitCode> {
    match command {
        SiteCommand::Add {
            unit,
            name,
            kind,
            commune,
            address,
            opens,
            closes,
        } => {
            let site = app
                .create_site(
                    &operator(),
                    &SiteRequest {
                        unit: unit.clone(),
                        name: name.clone(),
                        kind: kind.clone(),
                        commune: commune.clone(),
                        address: address.clone(),
                        opens: opens.clone(),
                        closes: closes.clone(),
                    },
                )
                .await?;
            println!("{}", site.id);
        }
        SiteCommand::List { unit } => {
            let sites = app.sites(&operator(), unit.as_deref()).await?;
            let rows: Vec<Vec<String>> = sites
                .iter()
                .map(|s| {
                    vec![
                        s.id.to_string(),
                        s.unit.clone(),
                        s.kind.as_str().to_owned(),
                        s.name.clone(),
                        s.commune.clone(),
                        s.hours.to_string(),
                    ]
                })
                .collect();
            print!(
                "{}",
                table(
                    &["Mã", "Đơn vị", "Loại", "Tên", "Xã", "Giờ mở cửa"],
                    &rows,
                    &[false; 6]
                )
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn machine(app: &App, command: &MachineCommand) -> Result<ExitCode> {
    match command {
        MachineCommand::Add {
            unit,
            label,
            minutes,
        } => {
            let machine = app
                .add_machine(
                    &operator(),
                    &MachineRequest {
                        unit: unit.clone(),
                        label: label.clone(),
                        minutes_per_application: *minutes,
                    },
                )
                .await?;
            println!("{}", machine.id);
        }
        MachineCommand::List { unit } => {
            let rows: Vec<Vec<String>> = app
                .machines(&operator(), unit)
                .await?
                .iter()
                .map(|m| {
                    vec![
                        m.label.clone(),
                        m.minutes_per_application.to_string(),
                        if m.active { "có" } else { "không" }.to_owned(),
                        m.id.to_string(),
                    ]
                })
                .collect();
            print!(
                "{}",
                table(
                    &["Máy", "Phút/hồ sơ", "Hoạt động", "Mã"],
                    &rows,
                    &[false, true, false, false]
                )
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn session_json(s: &EnrollmentSession) -> serde_json::Value {
    json!({
        "id": s.id,
        "site": s.site.id,
        "site_name": s.site.name,
        "unit": s.site.unit,
        "commune": s.site.commune,
        "invites": s.invites,
        "date": s.day.to_string(),
        "start": clock(s.window.start_min),
        "end": clock(s.window.end_min),
        "state": s.state.as_str(),
        "machines": s.machines.iter().map(|m| m.label.clone()).collect::<Vec<_>>(),
        "officers": s.officers,
        "slots": s.slots.iter().map(|u| json!({
            "number": u.slot.number,
            "start": clock(u.slot.window.start_min),
            "end": clock(u.slot.window.end_min),
            "capacity": u.slot.capacity,
            "limit": u.slot.limit,
            "held": u.held,
        })).collect::<Vec<_>>(),
    })
}

fn appointment_line(a: &Appointment) -> String {
    format!(
        "số {} · khung {} · {} ({})",
        a.queue_number,
        a.slot,
        a.name,
        a.state.label_vi()
    )
}

fn figures_json(s: &EnrollmentSession, f: &SessionFigures) -> serde_json::Value {
    let round1 = |x: f64| (x * 10.0).round() / 10.0;
    json!({
        "session": s.id,
        "date": s.day.to_string(),
        "state": s.state.as_str(),
        "appointments": f.appointments,
        "served": f.served,
        "no_shows": f.no_shows,
        "walk_ins": f.walk_ins,
        "still_waiting": f.still_waiting,
        "machine_utilisation": (f.machine_utilisation * 1000.0).round() / 1000.0,
        "idle_machine_min": f.idle_machine_min,
        "wait_p50_min": round1(f.wait_p50_min),
        "wait_p95_min": round1(f.wait_p95_min),
    })
}

fn print_figures(s: &EnrollmentSession, f: &SessionFigures, format: &str) -> Result<ExitCode> {
    if format == "json" {
        return print_json(&figures_json(s, f));
    }
    println!(
        "{} {} {}: {} hẹn, {} đã thu nhận, {} không đến, {} đến trực tiếp, {} còn chờ",
        s.site.name,
        s.day,
        s.window,
        f.appointments,
        f.served,
        f.no_shows,
        f.walk_ins,
        f.still_waiting
    );
    println!(
        "công suất máy {:.1}% ({} phút máy rảnh); chờ trung vị {:.1} phút, p95 {:.1} phút",
        f.machine_utilisation * 100.0,
        f.idle_machine_min,
        f.wait_p50_min,
        f.wait_p95_min
    );
    Ok(ExitCode::SUCCESS)
}

fn print_queue(q: &LiveQueue, format: &str) -> Result<ExitCode> {
    let person = |p: &cancuoc_app::QueuedPerson| {
        json!({
            "queue_number": p.queue_number,
            "slot": p.slot,
            "name": p.name,
            "expected_wait_min": p.expected_wait_min,
        })
    };
    if format == "json" {
        let mut value = session_json(&q.session);
        if let Some(map) = value.as_object_mut() {
            map.insert(
                "queue".into(),
                json!({
                    "called": q.called.iter().map(person).collect::<Vec<_>>(),
                    "waiting": q.waiting.iter().map(person).collect::<Vec<_>>(),
                    "booked_not_arrived": q.booked_not_arrived,
                }),
            );
        }
        return print_json(&value);
    }
    let s = &q.session;
    println!(
        "{} — {} {} ({}), {} máy",
        s.site.name,
        s.day,
        s.window,
        s.state.as_str(),
        s.machines.len()
    );
    let rows: Vec<Vec<String>> = s
        .slots
        .iter()
        .map(|u| {
            vec![
                u.slot.number.to_string(),
                u.slot.window.to_string(),
                u.slot.capacity.to_string(),
                u.slot.limit.to_string(),
                u.held.to_string(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["Khung", "Giờ", "Năng lực", "Nhận hẹn", "Đã hẹn"],
            &rows,
            &[true, false, true, true, true]
        )
    );
    for p in &q.called {
        println!("đang làm: số {} {}", p.queue_number, p.name);
    }
    for p in &q.waiting {
        println!(
            "chờ: số {} {} — khoảng {} phút",
            p.queue_number, p.name, p.expected_wait_min
        );
    }
    println!("chưa đến: {}", q.booked_not_arrived);
    Ok(ExitCode::SUCCESS)
}

pub async fn session(app: &App, command: &SessionCommand) -> Result<ExitCode> {
    let caller = operator();
    match command {
        SessionCommand::Add {
            site,
            date,
            from,
            to,
            slot,
            machines,
            officers,
        } => {
            let made = app
                .create_session(
                    &caller,
                    &SessionRequest {
                        site: id(site)?,
                        date: date.clone(),
                        from: from.clone(),
                        to: to.clone(),
                        slot_min: *slot,
                        machines: machines.clone(),
                        officers: officers.clone(),
                    },
                )
                .await?;
            println!("{}", made.id);
            Ok(ExitCode::SUCCESS)
        }
        SessionCommand::List {
            unit,
            from,
            to,
            format,
        } => {
            let to = to.as_deref().unwrap_or(from);
            let sessions = app
                .enrollment_sessions(&caller, unit.as_deref(), from, to)
                .await?;
            if format == "json" {
                return print_json(&json!(
                    sessions.iter().map(session_json).collect::<Vec<_>>()
                ));
            }
            let rows: Vec<Vec<String>> = sessions
                .iter()
                .map(|s| {
                    let limit: u32 = s.slots.iter().map(|u| u.slot.limit).sum();
                    let held: u32 = s.slots.iter().map(|u| u.held).sum();
                    vec![
                        s.id.to_string(),
                        s.day.to_string(),
                        s.window.to_string(),
                        s.site.name.clone(),
                        s.machines.len().to_string(),
                        format!("{held}/{limit}"),
                        s.state.as_str().to_owned(),
                    ]
                })
                .collect();
            print!(
                "{}",
                table(
                    &[
                        "Mã",
                        "Ngày",
                        "Giờ",
                        "Địa điểm",
                        "Máy",
                        "Đã hẹn",
                        "Trạng thái"
                    ],
                    &rows,
                    &[false, false, false, false, true, true, false]
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        SessionCommand::Show {
            id: session,
            format,
        } => {
            let queue = app.live_queue(&caller, id(session)?).await?;
            print_queue(&queue, format)
        }
        SessionCommand::Invite { id: session } => {
            let report = app.invite_for_session(&caller, id(session)?).await?;
            println!(
                "{} people of {} households invited; {} left for later sessions",
                report.invited, report.households, report.left_out
            );
            Ok(ExitCode::SUCCESS)
        }
        SessionCommand::Letters {
            id: session,
            format,
            output,
        } => {
            let letters = app.session_letters(&caller, id(session)?).await?;
            let bytes = if format == "csv" {
                cancuoc_documents::invitation_letters_csv(&letters)
            } else {
                cancuoc_documents::invitation_letters_pdf(&letters)
                    .map_err(|e| CliError::failed(e.to_string()))?
            };
            emit(&bytes, Some(Path::new(output)), true)
        }
        SessionCommand::CheckIn {
            id: session,
            queue,
            personal_id,
        } => {
            let who = match (queue, personal_id) {
                (Some(n), _) => Arrival::QueueNumber(*n),
                (None, Some(pid)) => Arrival::PersonalId(pid.clone()),
                (None, None) => return Err(CliError::usage("give --queue N or --id NUMBER")),
            };
            let a = app.check_in(&caller, id(session)?, &who).await?;
            println!("{}", appointment_line(&a));
            Ok(ExitCode::SUCCESS)
        }
        SessionCommand::WalkIn {
            id: session,
            personal_id,
        } => {
            let a = app.walk_in(&caller, id(session)?, personal_id).await?;
            println!("{}", appointment_line(&a));
            Ok(ExitCode::SUCCESS)
        }
        SessionCommand::Next { id: session } => {
            let a = app.call_next(&caller, id(session)?).await?;
            println!("{}", appointment_line(&a));
            Ok(ExitCode::SUCCESS)
        }
        SessionCommand::Release { id: session } => {
            let n = app.release_no_shows(&caller, id(session)?).await?;
            println!("{n} places released");
            Ok(ExitCode::SUCCESS)
        }
        SessionCommand::Figures {
            id: session,
            format,
        } => {
            let (s, f) = app.session_figures(&caller, id(session)?).await?;
            print_figures(&s, &f, format)
        }
        SessionCommand::Close {
            id: session,
            format,
        } => {
            let (s, f) = app.close_enrollment_session(&caller, id(session)?).await?;
            print_figures(&s, &f, format)
        }
    }
}
