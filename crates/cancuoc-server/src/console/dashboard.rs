//! Campaigns and a unit's dashboard (DESIGN §5): figures, a chart, the ranking and a map.

#[allow(
    clippy::wildcard_imports,
    reason = "a page module shares its parent's helpers"
)]
use super::*;

#[derive(Template)]
#[template(path = "console/campaigns.html")]
pub(crate) struct CampaignsPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    campaigns: Vec<(String, String, String)>,
    error: Option<String>,
    /// The new campaign's fields as typed, kept when it is refused.
    typed: (String, String, String),
}

pub(crate) async fn campaigns(
    State(state): State<AppState>,
    desk: Desk,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let (campaigns, error) = match state.app.campaigns(&desk.caller()).await {
        Ok(list) => (
            list.into_iter()
                .map(|c| {
                    (
                        c.id.to_string(),
                        c.name,
                        format!("{} – {}", day(c.period.start), day(c.period.end)),
                    )
                })
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Some(said(ui, &e))),
    };
    page(
        &CampaignsPage {
            ui,
            officer: desk.officer,
            csrf: desk.csrf,
            campaigns,
            error,
            typed: Default::default(),
        },
        StatusCode::OK,
        ui,
        q.lang.is_some(),
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct CampaignForm {
    csrf: String,
    name: String,
    start: String,
    end: String,
}

/// Creates a campaign from the console and opens its dashboard.
pub(crate) async fn create_campaign(
    State(state): State<AppState>,
    desk: Desk,
    headers: HeaderMap,
    Form(form): Form<CampaignForm>,
) -> Response {
    let ui = Ui::of(None, &headers);
    if !csrf_holds(&desk, &form.csrf) {
        return (StatusCode::FORBIDDEN, ui.t(W::expired_form)).into_response();
    }
    match state
        .app
        .create_campaign(&desk.caller(), &form.name, &form.start, &form.end)
        .await
    {
        Ok(campaign) => Redirect::to(&format!("/chien-dich/{}", campaign.id)).into_response(),
        Err(e) => {
            let campaigns = state
                .app
                .campaigns(&desk.caller())
                .await
                .unwrap_or_default()
                .into_iter()
                .map(|c| {
                    (
                        c.id.to_string(),
                        c.name,
                        format!("{} – {}", day(c.period.start), day(c.period.end)),
                    )
                })
                .collect();
            page(
                &CampaignsPage {
                    ui,
                    officer: desk.officer,
                    csrf: desk.csrf,
                    campaigns,
                    error: Some(said(ui, &e)),
                    typed: (form.name, form.start, form.end),
                },
                StatusCode::UNPROCESSABLE_ENTITY,
                ui,
                false,
            )
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct QuotaForm {
    csrf: String,
    unit: String,
    total: String,
    #[serde(default)]
    daily: String,
    /// `none`, `equal` or `eligible`.
    #[serde(default)]
    split: String,
}

/// Sets a unit's targets from its dashboard, and shares them among its units if asked.
pub(crate) async fn set_quota(
    State(state): State<AppState>,
    desk: Desk,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<QuotaForm>,
) -> Response {
    let ui = Ui::of(None, &headers);
    if !csrf_holds(&desk, &form.csrf) {
        return (StatusCode::FORBIDDEN, ui.t(W::expired_form)).into_response();
    }
    let Ok(key) = uuid::Uuid::parse_str(&id) else {
        return Redirect::to("/chien-dich").into_response();
    };
    // Figures typed with thousands separators ("1.000") are read as the officer meant.
    let number = |text: &str| -> Option<u64> {
        let digits: String = text
            .chars()
            .filter(|c| !matches!(c, '.' | ',' | ' '))
            .collect();
        digits.parse().ok()
    };
    let outcome = match number(&form.total) {
        None => Err(ui.t(W::quota_total_needed).to_owned()),
        Some(total) => {
            let request = cancuoc_app::QuotaRequest {
                unit: form.unit.trim().to_owned(),
                total,
                daily: number(&form.daily),
                split: cancuoc_domain::campaign::Split::parse(&form.split),
            };
            state
                .app
                .set_quota(&desk.caller(), key, &request)
                .await
                .map(|written| format!("{}: {}", ui.t(W::quota_set), written.len()))
                .map_err(|e| said(ui, &e))
        }
    };
    let message = outcome.unwrap_or_else(|e| e);
    Redirect::to(&format!(
        "/chien-dich/{key}?unit={}&msg={}",
        url_encode(form.unit.trim()),
        url_encode(&message)
    ))
    .into_response()
}

/// One unit's line of the dashboard.
pub(crate) struct UnitLine {
    code: String,
    name: String,
    rank: String,
    intake: String,
    target: String,
    pct: String,
    today: String,
    /// Today's intake as a share of the daily target.
    today_pct: String,
    /// Whether today's intake met the daily target: a unit on track for the period may
    /// still be behind today.
    today_status: &'static str,
    today_class: &'static str,
    status: &'static str,
    status_class: &'static str,
}

/// A child unit on the map.
pub(crate) struct Dot {
    x: f64,
    y: f64,
    class: &'static str,
    label: String,
    /// The unit's name without "Công an huyện", written beside the dot with its value.
    short: String,
    value: String,
}

/// "Công an huyện Thạch Hà" → "Thạch Hà": the map has room for the place only.
fn short_name(unit_name: &str) -> String {
    const KINDS: [&str; 9] = [
        "Công an tỉnh ",
        "Công an thành phố ",
        "Công an huyện ",
        "Công an quận ",
        "Công an thị xã ",
        "Công an phường ",
        "Công an xã ",
        "Công an thị trấn ",
        "Công an ",
    ];
    KINDS
        .iter()
        .find_map(|kind| unit_name.strip_prefix(kind))
        .unwrap_or(unit_name)
        .to_owned()
}

/// A date on the chart's axis.
pub(crate) struct Tick {
    x: f64,
    label: String,
    /// `start`, `middle` or `end`: the first and last labels stay inside the chart.
    anchor: &'static str,
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
pub(crate) struct DashboardPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    campaign: String,
    campaign_id: String,
    period: String,
    date: String,
    head: UnitLine,
    pace: String,
    projected: String,
    daily_needed: String,
    eligible: String,
    /// The cumulative intake as SVG polyline points, and the target line.
    intake_points: String,
    target_line: Option<(f64, f64, f64, f64)>,
    chart_top: String,
    /// Dates along the chart's axis: the period's first day, its middle, its last.
    ticks: Vec<Tick>,
    children: Vec<UnitLine>,
    dots: Vec<Dot>,
    /// What the last quota form did.
    message: Option<String>,
    /// The officer sets quotas (the form is shown).
    steers: bool,
    /// What each unit needs to finish by the period's end (issue 18 §5), when a plan
    /// made today can still start before it.
    need: Vec<NeedLine>,
    need_by: String,
}

/// One unit's row of the panel "machines needed to finish on time".
pub(crate) struct NeedLine {
    /// No one left to serve: the finishing columns say so.
    done: bool,
    name: String,
    eligible: String,
    machines: String,
    needed: String,
    hours: String,
    finishes: String,
    at_pace: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DashboardQuery {
    unit: Option<String>,
    date: Option<String>,
    msg: Option<String>,
    lang: Option<String>,
}

pub(crate) fn status_of(
    row: &cancuoc_domain::campaign::ProgressRow,
    ui: Ui,
) -> (&'static str, &'static str) {
    match row.status {
        Some(s) => (
            if ui.english { s.as_str() } else { s.vi() },
            match s {
                cancuoc_domain::campaign::Status::OnTrack => "ok",
                cancuoc_domain::campaign::Status::AtRisk => "risk",
                cancuoc_domain::campaign::Status::Behind => "late",
            },
        ),
        None => ("—", "none"),
    }
}

pub(crate) fn line(row: &cancuoc_domain::campaign::ProgressRow, ui: Ui) -> UnitLine {
    let thousands = |n: u64| ui.count(n);
    let (status, status_class) = status_of(row, ui);
    let (today_status, today_class) = match row.met_daily {
        Some(true) => (ui.t(W::met), "ok"),
        Some(false) => (ui.t(W::not_met), "late"),
        None => ("—", "none"),
    };
    UnitLine {
        code: row.unit_code.as_string(),
        name: row.unit_name.clone(),
        rank: row.rank.map_or_else(|| "—".to_owned(), |r| r.to_string()),
        intake: thousands(row.intake_period),
        target: row.target_total.map_or_else(|| "—".to_owned(), thousands),
        pct: ui.percent(row.progress_pct),
        today: match row.target_daily {
            Some(t) => format!("{} / {}", thousands(row.intake_day), thousands(t)),
            None => thousands(row.intake_day),
        },
        today_pct: ui.percent(row.daily_pct),
        today_status,
        today_class,
        status,
        status_class,
    }
}

/// Chart box: 600 × 220 with room for labels.
pub(crate) const CHART_W: f64 = 560.0;
pub(crate) const CHART_H: f64 = 200.0;
pub(crate) const CHART_X: f64 = 30.0;
pub(crate) const CHART_Y: f64 = 10.0;
/// Map box.
pub(crate) const MAP_W: f64 = 360.0;
pub(crate) const MAP_H: f64 = 300.0;

/// The campaign dashboard of a unit: its progress, a chart of intake against the target
/// over the period, its child units ranked, and a map of them coloured by status.
pub(crate) async fn dashboard(
    State(state): State<AppState>,
    desk: Desk,
    Path(id): Path<String>,
    Query(q): Query<DashboardQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let caller = desk.caller();
    let Ok(key) = uuid::Uuid::parse_str(&id) else {
        return Redirect::to("/chien-dich").into_response();
    };
    let report = match state
        .app
        .progress_report(&caller, key, q.unit.as_deref(), q.date.as_deref())
        .await
    {
        Ok(r) => r,
        Err(e) if e.is_system_failure() => return system_failure(ui, &e),
        Err(_) => return Redirect::to("/chien-dich").into_response(),
    };
    let series = match state
        .app
        .intake_series(&caller, key, &report.unit.unit_code, report.date)
        .await
    {
        Ok(series) => series,
        Err(e) if e.is_system_failure() => return system_failure(ui, &e),
        Err(_) => Vec::new(),
    };
    let days_in_period = (report.period.end - report.period.start).get_days().max(1);
    let total = report.unit.target_total.unwrap_or(0);
    let reached: u64 = series.iter().map(|(_, n)| n).sum();
    let top = total.max(reached).max(1);
    let x_of = |d: jiff::civil::Date| {
        CHART_X
            + f64::from((d - report.period.start).get_days()) / f64::from(days_in_period) * CHART_W
    };
    let y_of = |n: u64| CHART_Y + CHART_H - (n as f64) / (top as f64) * CHART_H;
    let mut cumulative = 0;
    let intake_points = series
        .iter()
        .map(|(d, n)| {
            cumulative += n;
            format!("{:.1},{:.1}", x_of(*d), y_of(cumulative))
        })
        .collect::<Vec<_>>()
        .join(" ");
    let target_line = (total > 0).then(|| {
        (
            x_of(report.period.start),
            y_of(0),
            x_of(report.period.end),
            y_of(total),
        )
    });
    let places = state.app.places();
    let located: Vec<(f64, f64, &cancuoc_domain::campaign::ProgressRow)> = report
        .children
        .iter()
        .filter_map(|row| {
            // A PC06 answers for its whole province: it has no place of its own on the map.
            if matches!(row.unit_code, cancuoc_domain::PoliceUnitCode::Pc06(_)) {
                return None;
            }
            let cancuoc_domain::Jurisdiction::Within(area) = row.unit_code.jurisdiction() else {
                return None;
            };
            let (lon, lat) = places.position(&area)?;
            Some((lon, lat, row))
        })
        .collect();
    let dots = if located.is_empty() {
        Vec::new()
    } else {
        let (mut west, mut east, mut south, mut north) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (lon, lat, _) in &located {
            west = west.min(*lon);
            east = east.max(*lon);
            south = south.min(*lat);
            north = north.max(*lat);
        }
        // Equirectangular, a degree of longitude shortened by the cosine of the latitude.
        let squeeze = ((south + north) / 2.0).to_radians().cos();
        let (span_x, span_y) = (
            ((east - west) * squeeze).max(1e-6),
            (north - south).max(1e-6),
        );
        let scale = ((MAP_W - 40.0) / span_x).min((MAP_H - 40.0) / span_y);
        located
            .iter()
            .map(|(lon, lat, row)| Dot {
                x: 20.0 + (lon - west) * squeeze * scale,
                y: 20.0 + (north - lat) * scale,
                class: status_of(row, ui).1,
                label: format!("{}: {}", row.unit_name, ui.percent(row.progress_pct)),
                short: short_name(&row.unit_name),
                value: ui.percent(row.progress_pct),
            })
            .collect()
    };
    let middle = report
        .period
        .start
        .checked_add(jiff::Span::new().days(i64::from(days_in_period / 2)))
        .unwrap_or(report.period.start);
    let ticks = [
        (report.period.start, "start"),
        (middle, "middle"),
        (report.period.end, "end"),
    ]
    .into_iter()
    .map(|(d, anchor)| Tick {
        x: x_of(d),
        label: d.strftime("%d/%m").to_string(),
        anchor,
    })
    .collect();
    let head = line(&report.unit, ui);
    let need = state
        .app
        .finishing_need(
            &caller,
            &report.unit.unit_code.as_string(),
            &report.period.end.to_string(),
        )
        .await
        .map(|n| {
            n.units
                .iter()
                .map(|u| NeedLine {
                    done: u.need.eligible == 0,
                    name: u.name.clone(),
                    eligible: ui.count(u.need.eligible),
                    machines: ui.count(u64::from(u.need.machines)),
                    needed: u
                        .need
                        .machines_needed
                        .map_or_else(|| "> 200".to_owned(), |m| ui.count(u64::from(m))),
                    hours: ui.decimal(u.need.machine_hours_a_day),
                    finishes: u.need.finishes_on.map_or_else(|| "—".to_owned(), day),
                    at_pace: u.finishes_at_pace.map_or_else(|| "—".to_owned(), day),
                })
                .collect()
        })
        .unwrap_or_default();
    let view = DashboardPage {
        ui,
        csrf: desk.csrf.clone(),
        campaign: report.campaign.clone(),
        campaign_id: key.to_string(),
        period: format!("{} – {}", day(report.period.start), day(report.period.end)),
        date: report.date.to_string(),
        pace: ui.decimal(report.unit.pace_7d),
        projected: report
            .unit
            .projected_completion
            .map_or_else(|| "—".to_owned(), day),
        daily_needed: report
            .unit
            .daily_needed
            .map_or_else(|| "—".to_owned(), |n| ui.count(n)),
        eligible: report
            .unit
            .eligible
            .map_or_else(|| "—".to_owned(), |n| ui.count(n)),
        intake_points,
        target_line,
        chart_top: ui.count(top),
        ticks,
        children: {
            let mut ranked: Vec<&cancuoc_domain::campaign::ProgressRow> =
                report.children.iter().collect();
            ranked.sort_by_key(|r| (r.rank.unwrap_or(u32::MAX), r.unit_code.as_string()));
            ranked.into_iter().map(|r| line(r, ui)).collect()
        },
        dots,
        head,
        message: q.msg.filter(|m| !m.is_empty()),
        steers: desk.officer.role.steers_campaigns(),
        officer: desk.officer,
        need,
        need_by: day(report.period.end),
    };
    page(&view, StatusCode::OK, ui, q.lang.is_some())
}
