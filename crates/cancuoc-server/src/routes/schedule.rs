//! `/api/v1/sites`, `/machines`, `/sessions`, `/plans`: enrollment scheduling and the day
//! itself (DESIGN §7); `/api/v1/public/*`: citizens' bookings, without signing in.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cancuoc_app::{Arrival, CitizenProof};
use uuid::Uuid;

use crate::AppState;
use crate::auth::Authenticated;
use crate::dto::schedule::{
    AppointmentDto, BookRequest, BookingDto, CheckInRequest, CommuneQuery, FiguresDto,
    InvitationReportDto, LettersQuery, MachineDto, MachineRequest, NeedDto, NeedQuery,
    OpenSessionDto, PlanDto, PlanRequest, ProofRequest, QueueDto, SessionDto, SessionListQuery,
    SessionRequest, SiteDto, SiteRequest, UnitQuery, WalkInRequest,
};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, ClientAddress};

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        cancuoc_app::ErrorCode::InvalidInput.as_str(),
        message,
    )
}

pub(crate) fn uuid(id: &str, what: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id.trim()).map_err(|_| invalid(format!("{id:?} is not a {what} id (UUID)")))
}

/// Adds a site to a unit.
#[utoipa::path(
    post,
    path = "/api/v1/sites",
    tag = "scheduling",
    request_body = SiteRequest,
    responses(
        (status = 201, description = "Created", body = SiteDto),
        (status = 400, description = "Invalid input (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 403, description = "Not allowed (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such unit in the caller's jurisdiction (`not_found`)", body = ErrorBody),
        (status = 409, description = "The unit has a site of that name (`conflict`)", body = ErrorBody),
    )
)]
pub(crate) async fn create_site(
    State(state): State<AppState>,
    who: Authenticated,
    ApiJson(r): ApiJson<SiteRequest>,
) -> Result<Response, ApiError> {
    let site = state
        .app
        .create_site(
            &who.caller(),
            &cancuoc_app::SiteRequest {
                unit: r.unit,
                name: r.name,
                kind: r.kind,
                commune: r.commune,
                address: r.address,
                opens: r.opens,
                closes: r.closes,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(SiteDto::from(site))).into_response())
}

/// Sites in the caller's jurisdiction.
#[utoipa::path(
    get,
    path = "/api/v1/sites",
    tag = "scheduling",
    params(UnitQuery),
    responses(
        (status = 200, description = "OK", body = Vec<SiteDto>),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
    )
)]
pub(crate) async fn list_sites(
    State(state): State<AppState>,
    who: Authenticated,
    ApiQuery(q): ApiQuery<UnitQuery>,
) -> Result<Json<Vec<SiteDto>>, ApiError> {
    let sites = state.app.sites(&who.caller(), q.unit.as_deref()).await?;
    Ok(Json(sites.into_iter().map(SiteDto::from).collect()))
}

/// Registers an enrollment kit.
#[utoipa::path(
    post,
    path = "/api/v1/machines",
    tag = "scheduling",
    request_body = MachineRequest,
    responses(
        (status = 201, description = "Created", body = MachineDto),
        (status = 400, description = "Invalid input (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "Not signed in (`unauthenticated`)", body = ErrorBody),
        (status = 404, description = "No such unit in the caller's jurisdiction (`not_found`)", body = ErrorBody),
        (status = 409, description = "The unit has a machine of that label (`conflict`)", body = ErrorBody),
    )
)]
pub(crate) async fn add_machine(
    State(state): State<AppState>,
    who: Authenticated,
    ApiJson(r): ApiJson<MachineRequest>,
) -> Result<Response, ApiError> {
    let machine = state
        .app
        .add_machine(
            &who.caller(),
            &cancuoc_app::MachineRequest {
                unit: r.unit,
                label: r.label,
                minutes_per_application: r.minutes_per_application,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(MachineDto::from(machine))).into_response())
}

/// A unit's machines: those of `unit`, else of the caller's own unit.
#[utoipa::path(
    get,
    path = "/api/v1/machines",
    tag = "scheduling",
    params(UnitQuery),
    responses(
        (status = 200, description = "OK", body = Vec<MachineDto>),
        (status = 404, description = "No such unit in the caller's jurisdiction (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn list_machines(
    State(state): State<AppState>,
    who: Authenticated,
    ApiQuery(q): ApiQuery<UnitQuery>,
) -> Result<Json<Vec<MachineDto>>, ApiError> {
    let unit = q.unit.unwrap_or_else(|| who.officer.unit.to_string());
    let machines = state.app.machines(&who.caller(), &unit).await?;
    Ok(Json(machines.into_iter().map(MachineDto::from).collect()))
}

/// Holds a session at a site; its slots are laid out from its machines.
#[utoipa::path(
    post,
    path = "/api/v1/sessions",
    tag = "scheduling",
    request_body = SessionRequest,
    responses(
        (status = 201, description = "Created", body = SessionDto),
        (status = 400, description = "Invalid input (`invalid_input`)", body = ErrorBody),
        (status = 404, description = "No such site, machine or officer (`not_found`)", body = ErrorBody),
        (status = 409, description = "A machine or officer is in another session then (`conflict`)", body = ErrorBody),
    )
)]
pub(crate) async fn create_session(
    State(state): State<AppState>,
    who: Authenticated,
    ApiJson(r): ApiJson<SessionRequest>,
) -> Result<Response, ApiError> {
    let session = state
        .app
        .create_session(
            &who.caller(),
            &cancuoc_app::SessionRequest {
                site: uuid(&r.site, "site")?,
                date: r.date,
                from: r.from,
                to: r.to,
                slot_min: r.slot_min.unwrap_or(30),
                machines: r.machines,
                officers: r.officers,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(SessionDto::from(session))).into_response())
}

/// Sessions between two days in the caller's jurisdiction.
#[utoipa::path(
    get,
    path = "/api/v1/sessions",
    tag = "scheduling",
    params(SessionListQuery),
    responses(
        (status = 200, description = "OK", body = Vec<SessionDto>),
        (status = 400, description = "Invalid input (`invalid_input`)", body = ErrorBody),
    )
)]
pub(crate) async fn list_sessions(
    State(state): State<AppState>,
    who: Authenticated,
    ApiQuery(q): ApiQuery<SessionListQuery>,
) -> Result<Json<Vec<SessionDto>>, ApiError> {
    let to = q.to.clone().unwrap_or_else(|| q.from.clone());
    let sessions = state
        .app
        .enrollment_sessions(&who.caller(), q.unit.as_deref(), &q.from, &to)
        .await?;
    Ok(Json(sessions.into_iter().map(SessionDto::from).collect()))
}

#[utoipa::path(
    get,
    path = "/api/v1/sessions/{id}",
    tag = "scheduling",
    params(("id" = String, Path, description = "Session id (UUID)", format = "uuid")),
    responses(
        (status = 200, description = "OK", body = SessionDto),
        (status = 404, description = "No such session in the caller's jurisdiction (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn session(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<SessionDto>, ApiError> {
    let s = state
        .app
        .enrollment_session(&who.caller(), uuid(&id, "session")?)
        .await?;
    Ok(Json(s.into()))
}

/// Invites the households of the session's commune into its free places.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/invitations",
    tag = "scheduling",
    params(("id" = String, Path, description = "Session id (UUID)", format = "uuid")),
    responses(
        (status = 200, description = "OK", body = InvitationReportDto),
        (status = 404, description = "No such session (`not_found`)", body = ErrorBody),
        (status = 409, description = "The session is closed (`invalid_state`)", body = ErrorBody),
    )
)]
pub(crate) async fn invite(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<InvitationReportDto>, ApiError> {
    let report = state
        .app
        .invite_for_session(&who.caller(), uuid(&id, "session")?)
        .await?;
    Ok(Json(report.into()))
}

/// The session's appointments, with names (audited).
#[utoipa::path(
    get,
    path = "/api/v1/sessions/{id}/appointments",
    tag = "scheduling",
    params(("id" = String, Path, description = "Session id (UUID)", format = "uuid")),
    responses(
        (status = 200, description = "OK", body = Vec<AppointmentDto>),
        (status = 404, description = "No such session (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn appointments(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<AppointmentDto>>, ApiError> {
    let list = state
        .app
        .session_appointments(&who.caller(), uuid(&id, "session")?)
        .await?;
    Ok(Json(list.into_iter().map(AppointmentDto::from).collect()))
}

/// The invitation letters of a session: one PDF (a page per household) or CSV for mail merge.
#[utoipa::path(
    get,
    path = "/api/v1/sessions/{id}/letters",
    tag = "scheduling",
    params(("id" = String, Path, description = "Session id (UUID)", format = "uuid"), LettersQuery),
    responses(
        (status = 200, description = "The letters", content(
            (Vec<u8> = "application/pdf"),
            (String = "text/csv"),
        )),
        (status = 400, description = "Unknown format (`invalid_input`)", body = ErrorBody),
        (status = 404, description = "No such session (`not_found`)", body = ErrorBody),
        (status = 409, description = "Nobody is invited yet (`invalid_state`)", body = ErrorBody),
        (status = 503, description = "The document was not ready within the time limit (`render_timeout`), or the register cannot be reached for a moment (`unavailable`, with `Retry-After`): try again", body = ErrorBody),
    )
)]
pub(crate) async fn letters(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<LettersQuery>,
) -> Result<Response, ApiError> {
    let format = q.format.as_deref().unwrap_or("pdf");
    if !matches!(format, "pdf" | "csv") {
        return Err(invalid(format!("format: {format:?} is not pdf or csv")));
    }
    let id = uuid(&id, "session")?;
    let letters = state.app.session_letters(&who.caller(), id).await?;
    let date = letters.date;
    let (bytes, media_type) = if format == "csv" {
        (
            cancuoc_documents::invitation_letters_csv(&letters),
            "text/csv; charset=utf-8",
        )
    } else {
        let pdf = state
            .app
            .render(move || cancuoc_documents::invitation_letters_pdf(&letters))
            .await?;
        let pdf = pdf.map_err(|e| match e {
            cancuoc_documents::DocumentError::Empty(what) => {
                ApiError::from(cancuoc_app::AppError::InvalidState(what))
            }
            other => ApiError::from(cancuoc_app::AppError::Internal(other.to_string())),
        })?;
        (pdf, "application/pdf")
    };
    Ok((
        [
            (header::CONTENT_TYPE, media_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"giay-moi-{date}-{id}.{format}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Checks a person in by queue number or personal ID.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/check-ins",
    tag = "scheduling",
    params(("id" = String, Path, description = "Session id (UUID)", format = "uuid")),
    request_body = CheckInRequest,
    responses(
        (status = 200, description = "Checked in", body = AppointmentDto),
        (status = 400, description = "Neither or both given (`invalid_input`)", body = ErrorBody),
        (status = 404, description = "No such appointment in the session (`not_found`)", body = ErrorBody),
        (status = 409, description = "Already checked in, or the session is not today's (`invalid_state`)", body = ErrorBody),
    )
)]
pub(crate) async fn check_in(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
    ApiJson(r): ApiJson<CheckInRequest>,
) -> Result<Json<AppointmentDto>, ApiError> {
    let who_came = match (r.queue_number, r.personal_id) {
        (Some(n), None) => Arrival::QueueNumber(n),
        (None, Some(pid)) => Arrival::PersonalId(pid),
        _ => return Err(invalid("give either queue_number or personal_id")),
    };
    let a = state
        .app
        .check_in(&who.caller(), uuid(&id, "session")?, &who_came)
        .await?;
    Ok(Json(a.into()))
}

/// Someone without an appointment: the next slot with a free place, checked in.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/walk-ins",
    tag = "scheduling",
    params(("id" = String, Path, description = "Session id (UUID)", format = "uuid")),
    request_body = WalkInRequest,
    responses(
        (status = 201, description = "Given a slot", body = AppointmentDto),
        (status = 404, description = "No such citizen or session (`not_found`)", body = ErrorBody),
        (status = 409, description = "No free place left, or the person holds an appointment (`conflict`)", body = ErrorBody),
    )
)]
pub(crate) async fn walk_in(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
    ApiJson(r): ApiJson<WalkInRequest>,
) -> Result<Response, ApiError> {
    let a = state
        .app
        .walk_in(&who.caller(), uuid(&id, "session")?, &r.personal_id)
        .await?;
    Ok((StatusCode::CREATED, Json(AppointmentDto::from(a))).into_response())
}

/// Calls the next person waiting to a free machine.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/next",
    tag = "scheduling",
    params(("id" = String, Path, description = "Session id (UUID)", format = "uuid")),
    responses(
        (status = 200, description = "Called", body = AppointmentDto),
        (status = 404, description = "Nobody is waiting (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn call_next(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<AppointmentDto>, ApiError> {
    let a = state
        .app
        .call_next(&who.caller(), uuid(&id, "session")?)
        .await?;
    Ok(Json(a.into()))
}

/// Releases the places of those booked whose slot ended more than 30 minutes ago.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/no-shows",
    tag = "scheduling",
    params(("id" = String, Path, description = "Session id (UUID)", format = "uuid")),
    responses(
        (status = 200, description = "How many places were released", body = u64),
        (status = 404, description = "No such session (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn release_no_shows(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<u64>, ApiError> {
    let n = state
        .app
        .release_no_shows(&who.caller(), uuid(&id, "session")?)
        .await?;
    Ok(Json(n))
}

/// Who waits, who is being served, and the expected waits.
#[utoipa::path(
    get,
    path = "/api/v1/sessions/{id}/queue",
    tag = "scheduling",
    params(("id" = String, Path, description = "Session id (UUID)", format = "uuid")),
    responses(
        (status = 200, description = "OK", body = QueueDto),
        (status = 404, description = "No such session (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn queue(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<QueueDto>, ApiError> {
    let q = state
        .app
        .live_queue(&who.caller(), uuid(&id, "session")?)
        .await?;
    Ok(Json(q.into()))
}

/// The session's figures so far.
#[utoipa::path(
    get,
    path = "/api/v1/sessions/{id}/figures",
    tag = "scheduling",
    params(("id" = String, Path, description = "Session id (UUID)", format = "uuid")),
    responses(
        (status = 200, description = "OK", body = FiguresDto),
        (status = 404, description = "No such session (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn figures(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<FiguresDto>, ApiError> {
    let f = state
        .app
        .session_figures(&who.caller(), uuid(&id, "session")?)
        .await?;
    Ok(Json(f.into()))
}

/// Ends the day: those still booked are no-shows; returns the final figures.
#[utoipa::path(
    post,
    path = "/api/v1/sessions/{id}/close",
    tag = "scheduling",
    params(("id" = String, Path, description = "Session id (UUID)", format = "uuid")),
    responses(
        (status = 200, description = "Closed", body = FiguresDto),
        (status = 404, description = "No such session (`not_found`)", body = ErrorBody),
        (status = 409, description = "Already closed (`invalid_state`)", body = ErrorBody),
    )
)]
pub(crate) async fn close(
    State(state): State<AppState>,
    who: Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<FiguresDto>, ApiError> {
    let f = state
        .app
        .close_enrollment_session(&who.caller(), uuid(&id, "session")?)
        .await?;
    Ok(Json(f.into()))
}

/// Proposes sessions per commune and day; with `accept`, makes them and invites every
/// household.
#[utoipa::path(
    post,
    path = "/api/v1/plans",
    tag = "scheduling",
    request_body = PlanRequest,
    responses(
        (status = 200, description = "The plan (and what accepting it made)", body = PlanDto),
        (status = 400, description = "Invalid input (`invalid_input`)", body = ErrorBody),
        (status = 404, description = "No such unit in the caller's jurisdiction (`not_found`)", body = ErrorBody),
        (status = 409, description = "A machine is already out that day (`conflict`)", body = ErrorBody),
    )
)]
pub(crate) async fn plan(
    State(state): State<AppState>,
    who: Authenticated,
    ApiJson(r): ApiJson<PlanRequest>,
) -> Result<Json<PlanDto>, ApiError> {
    let defaults = cancuoc_app::PlanRequest::new(r.unit, r.from, r.to);
    let request = cancuoc_app::PlanRequest {
        machines: r.machines,
        show_up: r.show_up.unwrap_or(defaults.show_up),
        service_min: r.service_min,
        open_hour: r.open_hour.unwrap_or(defaults.open_hour),
        close_hour: r.close_hour.unwrap_or(defaults.close_hour),
        lunch: match r.lunch.as_deref() {
            None => defaults.lunch,
            Some([]) => None,
            Some([from, to]) => Some((*from, *to)),
            Some(_) => {
                return Err(cancuoc_app::AppError::Invalid(
                    "lunch: [from, to] in hours, or [] to work through".into(),
                )
                .into());
            }
        },
        shift_changes: r.shift_changes,
        walk_in_share: r.walk_in_share,
        gather_within_min: r.gather_within_min,
        ..defaults
    };
    if r.accept {
        let (input, plan, accepted) = state.app.accept_plan(&who.caller(), &request, None).await?;
        Ok(Json(PlanDto::new(&input, &plan, Some(accepted))))
    } else {
        let (input, plan) = state.app.plan_enrollment(&who.caller(), &request).await?;
        Ok(Json(PlanDto::new(&input, &plan, None)))
    }
}

fn proof(personal_id: String, birth_date: String) -> CitizenProof {
    CitizenProof {
        personal_id,
        birth_date,
    }
}

/// A citizen's own invitation or booking. The answer to a wrong pair does not say which
/// half was wrong; repeated failures are refused for 15 minutes.
#[utoipa::path(
    post,
    path = "/api/v1/public/appointment",
    tag = "booking",
    security(()),
    request_body = ProofRequest,
    responses(
        (status = 200, description = "The citizen's appointment, if any", body = BookingDto),
        (status = 404, description = "No citizen with this ID and birth date (`not_found`)", body = ErrorBody),
        (status = 429, description = "Too many attempts (`too_many_attempts`)", body = ErrorBody),
    )
)]
pub(crate) async fn my_appointment(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    ApiJson(r): ApiJson<ProofRequest>,
) -> Result<Json<BookingDto>, ApiError> {
    let b = state
        .app
        .my_booking(&client, &proof(r.personal_id, r.birth_date))
        .await?;
    Ok(Json(b.into()))
}

/// Books a slot for a citizen who holds no appointment.
#[utoipa::path(
    post,
    path = "/api/v1/public/bookings",
    tag = "booking",
    security(()),
    request_body = BookRequest,
    responses(
        (status = 201, description = "Booked", body = BookingDto),
        (status = 404, description = "No citizen with this ID and birth date, or no such slot (`not_found`)", body = ErrorBody),
        (status = 409, description = "Already holds an appointment, the slot is full or has begun (`conflict`, `invalid_state`)", body = ErrorBody),
        (status = 429, description = "Too many attempts (`too_many_attempts`)", body = ErrorBody),
    )
)]
pub(crate) async fn book(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    ApiJson(r): ApiJson<BookRequest>,
) -> Result<Response, ApiError> {
    let session = uuid(&r.session, "session")?;
    let b = state
        .app
        .book(
            &client,
            &proof(r.personal_id, r.birth_date),
            session,
            r.slot,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(BookingDto::from(b))).into_response())
}

/// Moves the citizen's appointment to another slot with a free place.
#[utoipa::path(
    put,
    path = "/api/v1/public/appointment",
    tag = "booking",
    security(()),
    request_body = BookRequest,
    responses(
        (status = 200, description = "Moved", body = BookingDto),
        (status = 404, description = "No citizen with this ID and birth date, or no appointment (`not_found`)", body = ErrorBody),
        (status = 409, description = "The slot is full or has begun, or the person has checked in (`conflict`, `invalid_state`)", body = ErrorBody),
        (status = 429, description = "Too many attempts (`too_many_attempts`)", body = ErrorBody),
    )
)]
pub(crate) async fn move_appointment(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    ApiJson(r): ApiJson<BookRequest>,
) -> Result<Json<BookingDto>, ApiError> {
    let session = uuid(&r.session, "session")?;
    let b = state
        .app
        .move_booking(
            &client,
            &proof(r.personal_id, r.birth_date),
            session,
            r.slot,
        )
        .await?;
    Ok(Json(b.into()))
}

/// Sessions of a commune open to booking, with their free places. Nothing personal.
#[utoipa::path(
    get,
    path = "/api/v1/public/sessions",
    tag = "booking",
    security(()),
    params(CommuneQuery),
    responses(
        (status = 200, description = "OK", body = Vec<OpenSessionDto>),
        (status = 400, description = "Not a commune code (`invalid_input`)", body = ErrorBody),
    )
)]
pub(crate) async fn open_sessions(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CommuneQuery>,
) -> Result<Json<Vec<OpenSessionDto>>, ApiError> {
    let list = state.app.open_sessions(&q.commune).await?;
    Ok(Json(list.into_iter().map(OpenSessionDto::from).collect()))
}

/// What each unit needs to finish by a day: the machines (and machine-hours a day) its
/// eligible people need, the day it finishes with its own machines and at its pace; a
/// province's units are answered district by district.
#[utoipa::path(
    get,
    path = "/api/v1/schedule/need",
    tag = "scheduling",
    params(NeedQuery),
    responses(
        (status = 200, description = "One row per unit", body = NeedDto),
        (status = 400, description = "Invalid input (`invalid_input`)", body = ErrorBody),
        (status = 403, description = "The role does not plan sessions (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No such unit in the caller's jurisdiction (`not_found`)", body = ErrorBody),
    )
)]
pub(crate) async fn need(
    State(state): State<AppState>,
    who: Authenticated,
    ApiQuery(q): ApiQuery<NeedQuery>,
) -> Result<Json<NeedDto>, ApiError> {
    let report = state
        .app
        .finishing_need(&who.caller(), &q.unit, &q.by)
        .await?;
    Ok(Json(NeedDto::new(&report)))
}
