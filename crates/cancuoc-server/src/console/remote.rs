//! The list of mountain, border and island districts (`/dia-ban-dac-biet`): what a
//! province police keeps for its own districts, each entry with its legal basis and
//! dates, added and ended here (audited). Filings read it from the next one on.

#[allow(
    clippy::wildcard_imports,
    reason = "a page module shares its parent's helpers"
)]
use super::*;
use cancuoc_domain::PoliceUnitCode;
use cancuoc_domain::remote::RemoteKind;

#[derive(Template)]
#[template(path = "console/remote.html")]
pub(crate) struct RemotePage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    /// The province shown, by code and name; none for the whole country.
    province: Option<(String, String)>,
    entries: Vec<RemoteLine>,
    /// (code, name) of the province's districts, for the form.
    districts: Vec<(String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    /// Whether the officer may change the list.
    keeps: bool,
    typed: RemoteFields,
    message: Option<String>,
    error: Option<String>,
}

pub(crate) struct RemoteLine {
    id: String,
    district: String,
    kind: &'static str,
    basis: String,
    from: String,
    to: String,
    by: String,
    in_force: bool,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct RemoteFields {
    district: String,
    kind: String,
    basis: String,
    from: String,
    to: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RemoteQuery {
    province: Option<String>,
    msg: Option<String>,
    lang: Option<String>,
}

/// The province an officer answers for (a district's or a commune's, up the hierarchy);
/// the administrator and the ministry choose one.
fn province_of(
    places: &cancuoc_app::Places,
    officer: &Officer,
    asked: Option<&str>,
) -> Option<AdminCode> {
    match &officer.unit {
        PoliceUnitCode::Province(code) | PoliceUnitCode::Pc06(code) => Some(code.clone()),
        PoliceUnitCode::District(code) | PoliceUnitCode::Commune(code) => {
            let mut at = places.get(code)?;
            // Three levels at most: a loop in bad reference data must not hang a page.
            for _ in 0..3 {
                if at.code.level() == cancuoc_domain::AdminLevel::Province {
                    return Some(at.code.clone());
                }
                at = places.get(at.parent.as_ref()?)?;
            }
            None
        }
        _ => asked.and_then(|p| AdminCode::parse(p.trim()).ok()),
    }
}

pub(crate) async fn remote_districts(
    State(state): State<AppState>,
    desk: Desk,
    Query(q): Query<RemoteQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let province = province_of(&state.app.places(), &desk.officer, q.province.as_deref());
    let message = q.msg.filter(|m| !m.is_empty());
    remote_page(
        &state,
        desk,
        ui,
        province,
        message,
        None,
        RemoteFields::default(),
    )
    .await
}

async fn remote_page(
    state: &AppState,
    desk: Desk,
    ui: Ui,
    province: Option<AdminCode>,
    message: Option<String>,
    error: Option<String>,
    typed: RemoteFields,
) -> Response {
    let places = state.app.places();
    let today = state.app.today();
    let (records, listed) = match state.app.remote_districts(province.as_ref()).await {
        Ok(records) => (records, None),
        Err(e) => (Vec::new(), Some(said(ui, &e))),
    };
    let name_of = |code: &str| places.unit_name(code);
    let entries = records
        .into_iter()
        .map(|r| RemoteLine {
            id: r.id.to_string(),
            district: name_of(&r.entry.district),
            kind: r.entry.kind.vietnamese(),
            basis: r.entry.basis.clone(),
            from: day(r.entry.valid_from),
            to: r.entry.valid_to.map(day).unwrap_or_default(),
            by: r.ended_by.map_or_else(
                || r.created_by.clone(),
                |ended| format!("{}, {ended}", r.created_by),
            ),
            in_force: r.entry.in_force_on(today),
        })
        .collect();
    let districts = province
        .as_ref()
        .map(|p| {
            places
                .police_children(&PoliceUnitCode::Province(p.clone()))
                .iter()
                .filter_map(|u| match u {
                    PoliceUnitCode::District(code) => {
                        Some((code.as_str().to_owned(), name_of(code.as_str())))
                    }
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    page(
        &RemotePage {
            ui,
            csrf: desk.csrf,
            province: province.map(|p| (p.as_str().to_owned(), name_of(p.as_str()))),
            entries,
            districts,
            kinds: RemoteKind::ALL
                .into_iter()
                .map(|k| (k.as_str(), k.vietnamese()))
                .collect(),
            keeps: desk.officer.role.keeps_remote_districts(),
            typed,
            message,
            error: error.or(listed),
            officer: desk.officer,
        },
        status,
        ui,
        false,
    )
}

/// Adds an entry, or ends one on the day typed next to it.
pub(crate) async fn remote_district_action(
    State(state): State<AppState>,
    desk: Desk,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let ui = Ui::of(None, &headers);
    let field = |name: &str| form_field(&pairs, name);
    if !csrf_holds(&desk, &field("csrf")) {
        return (StatusCode::FORBIDDEN, ui.t(W::expired_form)).into_response();
    }
    let province = province_of(&state.app.places(), &desk.officer, Some(&field("province")));
    let caller = desk.caller();
    let typed = RemoteFields {
        district: field("district"),
        kind: field("kind"),
        basis: field("basis"),
        from: field("from"),
        to: field("to"),
    };
    let outcome = match field("action").as_str() {
        "add" => {
            let request = cancuoc_app::RemoteDistrictRequest {
                district: typed.district.clone(),
                kind: typed.kind.clone(),
                basis: typed.basis.clone(),
                valid_from: typed.from.clone(),
                valid_to: Some(typed.to.clone()),
            };
            state
                .app
                .add_remote_district(&caller, &request)
                .await
                .map(|_| ui.t(W::remote_added))
        }
        "end" => match uuid::Uuid::parse_str(&field("id")) {
            Ok(id) => state
                .app
                .end_remote_district(&caller, id, &field("last_day"))
                .await
                .map(|_| ui.t(W::remote_ended)),
            Err(_) => Err(AppError::NotFound("entry".into())),
        },
        _ => return (StatusCode::BAD_REQUEST, ui.t(W::bad_request)).into_response(),
    };
    match outcome {
        Ok(done) => Redirect::to(&format!(
            "/dia-ban-dac-biet?province={}&msg={}",
            province.as_ref().map_or("", AdminCode::as_str),
            url_encode(done)
        ))
        .into_response(),
        Err(e) => {
            // The list's own refusals, not the words of an application's steps.
            let error = Some(match e.code() {
                cancuoc_app::ErrorCode::Conflict => ui.t(W::remote_overlap).to_owned(),
                cancuoc_app::ErrorCode::InvalidState => ui.t(W::remote_bad_dates).to_owned(),
                _ => said(ui, &e),
            });
            remote_page(&state, desk, ui, province, None, error, typed).await
        }
    }
}
