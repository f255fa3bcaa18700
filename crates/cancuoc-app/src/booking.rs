//! Citizen booking (DESIGN §7): a citizen who knows their personal ID and birth date sees
//! their invitation, moves it to another slot with a free place, or books one. Nothing
//! personal is shown without both, the answer to a wrong pair does not say which half was
//! wrong, and repeated failures from one client or for one ID are refused for a while.

use cancuoc_domain::schedule::{AppointmentOrigin, AppointmentState, Window};
use cancuoc_domain::{AdminCode, Jurisdiction, PartialDate, PersonalId, PoliceUnitCode};
use cancuoc_store::{
    Access, Appointment, AppointmentStep, EnrollmentSession, NewAppointment, SessionQuery,
    SessionState,
};
use uuid::Uuid;

use crate::enrollment::local_minute;
use crate::{App, AppError};

/// Wrong ID–birth-date pairs allowed per client and per ID within the window.
const MAX_FAILURES: u32 = 5;
/// Requests allowed per client within the window, right or wrong (against scraping).
const MAX_REQUESTS: u32 = 60;
/// Look-ups of one ID allowed within the window, right or wrong, from anywhere: bounds the
/// guesses a burst of parallel requests can make before the wrong ones are counted.
const MAX_TRIES_PER_ID: u32 = 10;
const WINDOW_MICROS: i64 = 15 * 60 * 1_000_000;
/// How far ahead a citizen can book.
const BOOKING_DAYS: i16 = 60;

/// The citizen doors' throttle: attempts counted in the store's throttle table, so that
/// every server node on one database refuses the same client.
pub(crate) struct Throttle<'a>(pub(crate) &'a dyn cancuoc_store::Store);

impl Throttle<'_> {
    fn refuse() -> AppError {
        AppError::TooManyAttempts {
            seconds: WINDOW_MICROS / 1_000_000,
        }
    }

    /// Counts a request; refuses a client over its budget, a client or an ID with too many
    /// wrong pairs, or an ID tried too often. The request and the try on the ID are recorded
    /// before they are judged, each count taken under the key's own lock, so that a burst of
    /// parallel guesses (from one node or several) cannot all pass one stale count.
    async fn admit(&self, client: &str, id: &str, now: i64) -> Result<(), AppError> {
        let requests = self
            .0
            .record_attempt(&format!("booking-request:{client}"), now, WINDOW_MICROS)
            .await?;
        let tries = match id_key(id) {
            Some(id) => {
                self.0
                    .record_attempt(&format!("booking-try:{id}"), now, WINDOW_MICROS)
                    .await?
            }
            None => 0,
        };
        let failures = self
            .0
            .attempts(&failure_keys(client, id), now, WINDOW_MICROS)
            .await?;
        if requests > MAX_REQUESTS
            || tries > MAX_TRIES_PER_ID
            || failures.iter().any(|(n, _)| *n >= MAX_FAILURES)
        {
            return Err(Self::refuse());
        }
        Ok(())
    }

    /// Counts a request of another public door under its own key and budget.
    pub(crate) async fn admit_requests(
        &self,
        key: &str,
        max: u32,
        now: i64,
    ) -> Result<(), AppError> {
        if self.0.record_attempt(key, now, WINDOW_MICROS).await? > max {
            return Err(Self::refuse());
        }
        Ok(())
    }

    async fn failed(&self, client: &str, id: &str, now: i64) -> Result<(), AppError> {
        for key in failure_keys(client, id) {
            self.0.record_attempt(&key, now, WINDOW_MICROS).await?;
        }
        Ok(())
    }
}

/// Where a wrong pair counts: against the client, and against the ID when it can be one.
fn failure_keys(client: &str, id: &str) -> Vec<String> {
    let mut keys = vec![format!("booking-failure:{client}")];
    keys.extend(id_key(id).map(|id| format!("booking-failure:{id}")));
    keys
}

/// The throttle's key for an ID as typed: only one that can be a personal ID (twelve
/// digits), so that a key stays short whatever is sent; other input counts against the
/// client alone.
fn id_key(id: &str) -> Option<String> {
    (id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())).then(|| format!("id:{id}"))
}

/// The citizen's own view of their appointment.
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    pub name: String,
    /// Where they live (GSO code), to offer the sessions of their commune.
    pub commune: Option<String>,
    pub appointment: Option<BookedSlot>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BookedSlot {
    pub session: Uuid,
    pub slot: u32,
    pub queue_number: u32,
    pub state: AppointmentState,
    pub origin: AppointmentOrigin,
    pub date: jiff::civil::Date,
    pub time: Window,
    pub site_name: String,
    pub site_address: String,
}

/// A session open to booking, with its slots' free places (nothing personal).
#[derive(Debug, Clone, PartialEq)]
pub struct OpenSession {
    pub session: Uuid,
    pub date: jiff::civil::Date,
    pub site_name: String,
    pub site_address: String,
    pub commune: String,
    pub slots: Vec<OpenSlot>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OpenSlot {
    pub number: u32,
    pub time: Window,
    pub free: u32,
}

/// The pair a citizen proves themselves with.
#[derive(Debug, Clone)]
pub struct CitizenProof {
    pub personal_id: String,
    /// `dd/mm/yyyy` (or `mm/yyyy`, `yyyy` when that is all the register holds).
    pub birth_date: String,
}

/// What the proof tells about the person.
struct Proven {
    name: String,
    commune: Option<String>,
}

fn no_match() -> AppError {
    AppError::NotFound("a citizen with this personal ID number and date of birth".into())
}

impl App {
    fn portal_access(&self, purpose: &str) -> Access {
        Access {
            actor: "citizen-portal".into(),
            unit: PoliceUnitCode::Ministry.as_string(),
            scope: Jurisdiction::Nation,
            purpose: purpose.to_owned(),
            now_micros: self.clock.now_micros(),
        }
    }

    /// Checks the pair; a wrong pair counts against the client and the ID.
    async fn prove(
        &self,
        client: &str,
        proof: &CitizenProof,
        purpose: &str,
    ) -> Result<(Access, PersonalId, Proven), AppError> {
        let access = self.portal_access(purpose);
        let id = proof.personal_id.trim();
        let throttle = Throttle(self.store.as_ref());
        throttle.admit(client, id, access.now_micros).await?;
        // A wrong pair counts against the client and the ID before it is answered.
        let fail = async || match throttle.failed(client, id, access.now_micros).await {
            Ok(()) => no_match(),
            Err(e) => e,
        };
        let (Ok(pid), Ok(birth)) = (PersonalId::parse(id), PartialDate::parse(&proof.birth_date))
        else {
            return Err(fail().await);
        };
        match self.store.citizen(&access, &pid).await? {
            Some(c) if c.data.birth_date == birth && c.data.died_on.is_none() => Ok((
                access,
                pid,
                Proven {
                    commune: c.data.home_commune().map(|code| code.as_str().to_owned()),
                    name: c.data.full_name,
                },
            )),
            _ => Err(fail().await),
        }
    }

    fn booked_slot(a: &Appointment, session: &EnrollmentSession) -> BookedSlot {
        BookedSlot {
            session: a.session,
            slot: a.slot,
            queue_number: a.queue_number,
            state: a.state,
            origin: a.origin,
            date: session.day,
            time: session
                .slots
                .iter()
                .find(|s| s.slot.number == a.slot)
                .map_or(session.window, |s| s.slot.window),
            site_name: session.site.name.clone(),
            site_address: session.site.address.clone(),
        }
    }

    /// The citizen's invitation or booking, if they hold one.
    pub async fn my_booking(
        &self,
        client: &str,
        proof: &CitizenProof,
    ) -> Result<Booking, AppError> {
        let (access, pid, who) = self.prove(client, proof, "citizen.booking.read").await?;
        let appointment = match self
            .store
            .active_appointment(&access, &pid.as_string())
            .await?
        {
            Some(a) => {
                let session = self
                    .store
                    .enrollment_session(&access, a.session)
                    .await?
                    .ok_or_else(|| AppError::Internal("appointment without a session".into()))?;
                Some(Self::booked_slot(&a, &session))
            }
            None => None,
        };
        Ok(Booking {
            name: who.name,
            commune: who.commune,
            appointment,
        })
    }

    /// Sessions of a commune open to booking from today for the next weeks, with free
    /// places in slots that have not begun. Public: no personal data.
    pub async fn open_sessions(&self, commune: &str) -> Result<Vec<OpenSession>, AppError> {
        let code = AdminCode::parse(commune.trim())
            .map_err(|e| AppError::Invalid(format!("commune: {e}")))?;
        let access = self.portal_access("citizen.booking.sessions");
        let today = self.clock.today();
        let to = today
            .checked_add(jiff::Span::new().days(BOOKING_DAYS))
            .unwrap_or(today);
        let sessions = self
            .store
            .enrollment_sessions(
                &access,
                &SessionQuery {
                    from: today,
                    to,
                    commune: Some(code.as_str().to_owned()),
                    unit: None,
                },
            )
            .await?;
        let now = local_minute(access.now_micros);
        Ok(sessions
            .into_iter()
            .filter(|s| s.state == SessionState::Open)
            .map(|s| OpenSession {
                session: s.id,
                date: s.day,
                site_name: s.site.name.clone(),
                site_address: s.site.address.clone(),
                commune: s.site.commune.clone(),
                slots: s
                    .slots
                    .iter()
                    .filter(|u| s.day > today || u.slot.window.start_min > now)
                    .map(|u| OpenSlot {
                        number: u.slot.number,
                        time: u.slot.window,
                        free: u.slot.limit.saturating_sub(u.held),
                    })
                    .filter(|o| o.free > 0)
                    .collect(),
            })
            .filter(|o| !o.slots.is_empty())
            .collect())
    }

    /// A slot the citizen may still take: the session open and not past, the slot not
    /// begun.
    async fn bookable(
        &self,
        access: &Access,
        session: Uuid,
        slot: u32,
    ) -> Result<EnrollmentSession, AppError> {
        let found = self
            .store
            .enrollment_session(access, session)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("enrollment session {session}")))?;
        let today = self.clock.today();
        let begun = found
            .slots
            .iter()
            .find(|s| s.slot.number == slot)
            .map(|s| {
                found.day < today
                    || (found.day == today
                        && s.slot.window.start_min <= local_minute(access.now_micros))
            })
            .ok_or_else(|| AppError::NotFound(format!("slot {slot} of the session")))?;
        if found.state != SessionState::Open || begun {
            return Err(AppError::InvalidState(
                "this slot can no longer be booked".into(),
            ));
        }
        Ok(found)
    }

    /// Books a slot for a citizen who holds no appointment.
    pub async fn book(
        &self,
        client: &str,
        proof: &CitizenProof,
        session: Uuid,
        slot: u32,
    ) -> Result<Booking, AppError> {
        let (access, pid, who) = self.prove(client, proof, "citizen.booking.make").await?;
        let found = self.bookable(&access, session, slot).await?;
        if self
            .store
            .active_appointment(&access, &pid.as_string())
            .await?
            .is_some()
        {
            return Err(AppError::Conflict(
                "you already hold an appointment: move it instead".into(),
            ));
        }
        let made = self
            .store
            .make_appointments(
                &access,
                &[NewAppointment {
                    id: self.random.record_key(),
                    session,
                    slot,
                    personal_id: pid.as_string(),
                    household: None,
                    origin: AppointmentOrigin::Booked,
                    room: cancuoc_domain::schedule::Taker::Appointment,
                    arrived_micros: None,
                }],
            )
            .await?;
        Ok(Booking {
            name: who.name,
            commune: who.commune,
            appointment: made.first().map(|a| Self::booked_slot(a, &found)),
        })
    }

    /// Moves the citizen's appointment (not yet checked in) to another slot.
    pub async fn move_booking(
        &self,
        client: &str,
        proof: &CitizenProof,
        session: Uuid,
        slot: u32,
    ) -> Result<Booking, AppError> {
        let (access, pid, who) = self.prove(client, proof, "citizen.booking.move").await?;
        let found = self.bookable(&access, session, slot).await?;
        let current = self
            .store
            .active_appointment(&access, &pid.as_string())
            .await?
            .ok_or_else(|| AppError::NotFound("an appointment to move".into()))?;
        let moved = self
            .store
            .step_appointment(&access, current.id, AppointmentStep::Move { session, slot })
            .await?;
        Ok(Booking {
            name: who.name,
            commune: who.commune,
            appointment: Some(Self::booked_slot(&moved, &found)),
        })
    }
}
