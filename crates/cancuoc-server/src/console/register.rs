//! The register of a unit (`/dan-cu`): an area's residents in the order of their names,
//! narrowed to those due a card, those whose records lack a field, those with a form in
//! review, or an age band. It is the list a commune officer walks door to door with, so
//! it downloads as CSV or XLSX with the same filters.

#[allow(
    clippy::wildcard_imports,
    reason = "a page module shares its parent's helpers"
)]
use super::*;

/// Age bands, as ages reached this year (the way the commune's statistics count them).
const BANDS: [(&str, i16, Option<i16>); 5] = [
    ("14-17", 14, Some(17)),
    ("18-30", 18, Some(30)),
    ("31-45", 31, Some(45)),
    ("46-60", 46, Some(60)),
    ("61+", 61, None),
];

/// The filters offered, by the word that names each.
pub(super) const FILTERS: [&str; 4] = ["all_residents", "due_a_card", "missing_fields", "staged"];

/// Most rows one download holds: a district's list, not the nation's.
const EXPORT_ROWS: usize = 20_000;

/// The word of each field of `citizen::EXPECTED_FIELDS`, in its order.
pub(super) const FIELD_WORDS: [&str; 5] = [
    "birth_registration",
    "hometown",
    "ethnicity",
    "religion",
    "permanent_residence",
];

#[derive(Debug, Deserialize)]
pub(crate) struct RegisterQuery {
    /// GSO code of a commune, district or province inside the officer's jurisdiction.
    unit: Option<String>,
    filter: Option<String>,
    band: Option<String>,
    cursor: Option<String>,
    /// `csv` or `xlsx`: the whole list as a file.
    format: Option<String>,
    lang: Option<String>,
}

#[derive(Template)]
#[template(path = "console/register.html")]
pub(crate) struct RegisterPage {
    ui: Ui,
    officer: Officer,
    csrf: String,
    unit: String,
    /// (value, label, chosen)
    filters: Vec<(&'static str, &'static str, bool)>,
    bands: Vec<(&'static str, bool)>,
    error: Option<String>,
    rows: Vec<RegisterRow>,
    /// The query string of this list without its cursor, for the next page and downloads.
    query: String,
    next_cursor: Option<String>,
}

pub(crate) struct RegisterRow {
    personal_id: String,
    name: String,
    birth_date: String,
    residence: String,
    /// The fields the record lacks, by their names on the form.
    missing: String,
}

pub(crate) async fn register(
    State(state): State<AppState>,
    desk: Desk,
    Query(q): Query<RegisterQuery>,
    headers: HeaderMap,
) -> Response {
    let ui = Ui::of(q.lang.as_deref(), &headers);
    let filter = q
        .filter
        .as_deref()
        .and_then(|f| FILTERS.into_iter().find(|known| *known == f))
        .unwrap_or("all_residents");
    let band = q
        .band
        .as_deref()
        .and_then(|b| BANDS.into_iter().find(|(known, _, _)| *known == b));
    let unit = q.unit.as_deref().map(str::trim).unwrap_or_default();
    let this_year = state.app.today().year();
    let search = CitizenSearch {
        unit: (!unit.is_empty()).then(|| unit.to_owned()),
        due_a_card: filter == "due_a_card",
        missing_fields: filter == "missing_fields",
        staged: filter == "staged",
        born_between: band.map(|(_, youngest, oldest)| {
            (
                oldest.map_or(1800, |oldest| this_year - oldest),
                this_year - youngest,
            )
        }),
        cursor: q.cursor.clone().filter(|c| !c.is_empty()),
        limit: Some(100),
        ..CitizenSearch::default()
    };
    let query = format!(
        "unit={}&filter={filter}&band={}",
        url_encode(unit),
        url_encode(band.map_or("", |(b, _, _)| b))
    );
    let places = state.app.places();
    let row = |c: cancuoc_store::CitizenRecord| RegisterRow {
        personal_id: c.data.personal_id.as_string(),
        birth_date: c.data.birth_date.vietnamese(),
        residence: c
            .data
            .current_residence
            .as_ref()
            .or(c.data.permanent_residence.as_ref())
            .or(c.data.temporary_residence.as_ref())
            .map(|r| residence_line(&places, r))
            .unwrap_or_default(),
        missing: c
            .data
            .missing_fields()
            .into_iter()
            .filter_map(|field| {
                cancuoc_domain::citizen::EXPECTED_FIELDS
                    .iter()
                    .position(|f| *f == field)
                    .and_then(|i| FIELD_WORDS.get(i))
                    .map(|word| ui.name_of(word))
            })
            .collect::<Vec<_>>()
            .join(", "),
        name: c.data.full_name,
    };
    if let Some(format) = q.format.as_deref().filter(|f| matches!(*f, "csv" | "xlsx")) {
        return download(&state, &desk, ui, search, format, unit, row).await;
    }
    let (rows, next_cursor, error) = match state.app.search_citizens(&desk.caller(), &search).await
    {
        Ok(found) => (
            found.items.into_iter().map(row).collect(),
            found.next_cursor,
            None,
        ),
        Err(e) => (Vec::new(), None, Some(said(ui, &e))),
    };
    let view = RegisterPage {
        ui,
        csrf: desk.csrf,
        unit: unit.to_owned(),
        filters: FILTERS
            .into_iter()
            .map(|f| (f, ui.name_of(f), f == filter))
            .collect(),
        bands: BANDS
            .into_iter()
            .map(|(b, _, _)| (b, band.is_some_and(|(chosen, _, _)| chosen == b)))
            .collect(),
        error,
        rows,
        query,
        next_cursor,
        officer: desk.officer,
    };
    page(&view, StatusCode::OK, ui, q.lang.is_some())
}

/// The whole list (up to [`EXPORT_ROWS`]) as a CSV or XLSX file.
async fn download(
    state: &AppState,
    desk: &Desk,
    ui: Ui,
    mut search: CitizenSearch,
    format: &str,
    unit: &str,
    row: impl Fn(cancuoc_store::CitizenRecord) -> RegisterRow,
) -> Response {
    let mut rows = Vec::new();
    search.cursor = None;
    loop {
        match state.app.search_citizens(&desk.caller(), &search).await {
            Ok(found) => {
                rows.extend(found.items.into_iter().map(&row));
                match found.next_cursor {
                    Some(next) if rows.len() < EXPORT_ROWS => search.cursor = Some(next),
                    _ => break,
                }
            }
            Err(e) if e.is_system_failure() => return system_failure(ui, &e),
            Err(e) => {
                return (StatusCode::BAD_REQUEST, said(ui, &e)).into_response();
            }
        }
    }
    rows.truncate(EXPORT_ROWS);
    let today = state.app.today();
    let table = cancuoc_documents::TextTable {
        title: format!("{} {}", ui.t(W::register_list), unit),
        author: desk.officer.unit.to_string(),
        date: today,
        sheet_name: "Dan cu".into(),
        headings: [
            (W::number, 6.0),
            (W::full_name, 28.0),
            (W::personal_id, 15.0),
            (W::birth_date, 12.0),
            (W::lives_at, 48.0),
            (W::missing, 30.0),
        ]
        .into_iter()
        .map(|(word, width)| (ui.t(word).to_owned(), width))
        .collect(),
        rows: rows
            .into_iter()
            .zip(1..)
            .map(|(r, n): (RegisterRow, u32)| {
                vec![
                    n.to_string(),
                    r.name,
                    r.personal_id,
                    r.birth_date,
                    r.residence,
                    r.missing,
                ]
            })
            .collect(),
    };
    let xlsx = format == "xlsx";
    let made = state
        .app
        .render(move || {
            if xlsx {
                cancuoc_documents::table_xlsx(&table)
            } else {
                cancuoc_documents::table_csv(&table)
            }
        })
        .await;
    let bytes = match made {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "a register list does not render");
            return (StatusCode::INTERNAL_SERVER_ERROR, ui.t(W::failed)).into_response();
        }
        Err(_) => return (StatusCode::SERVICE_UNAVAILABLE, ui.t(W::failed)).into_response(),
    };
    let media_type = if xlsx {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    } else {
        "text/csv; charset=utf-8"
    };
    // Only a code goes into the header; anything else typed in the box does not.
    let name = if !unit.is_empty() && unit.bytes().all(|b| b.is_ascii_digit()) {
        unit
    } else {
        "all"
    };
    (
        [
            (header::CONTENT_TYPE, media_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"dan-cu-{name}-{today}.{format}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}
