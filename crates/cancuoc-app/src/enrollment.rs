//! Running enrollment (DESIGN §7): sites, machines and sessions of a police unit, the
//! household invitations that fill a session's slots, and the day itself (check-in,
//! walk-ins, the queue, no-shows and the session's figures).

use cancuoc_domain::schedule::{
    self, AppointmentOrigin, AppointmentState, Attendance, HouseholdDemand, InvitationLetter,
    InvitedMember, Room, SessionFigures, SessionLetters, Waiting, Window,
};
use cancuoc_domain::text::{TextLimit, limits};
use cancuoc_domain::{AdminCode, PartialDate, PersonalId, PoliceUnitCode, Role};
use cancuoc_store::{
    Access, Appointment, AppointmentStep, EnrollmentSession, Invitee, Machine, NewAppointment,
    NewEnrollmentSession, SessionQuery, SessionState, Site, SiteKind, StoreError,
};
use jiff::civil::Date;
use uuid::Uuid;

use crate::applications::{parse_day, require};
use crate::{App, AppError, Caller};

/// Officers of the police units that enrol (not production, not auditors).
pub(crate) fn runs_enrollment(role: Role) -> bool {
    matches!(
        role,
        Role::MinistryOfficer
            | Role::ProvinceOfficer
            | Role::DistrictOfficer
            | Role::CommuneOfficer
            | Role::Admin
    )
}

/// Minutes after midnight in Vietnam (UTC+7, no daylight saving) of a timestamp.
pub fn local_minute(micros: i64) -> u32 {
    let seconds = micros.div_euclid(1_000_000) + 7 * 3600;
    u32::try_from(seconds.rem_euclid(86_400) / 60).unwrap_or(0)
}

fn hours(text: &str, what: &str) -> Result<u32, AppError> {
    schedule::parse_clock(text)
        .ok_or_else(|| AppError::Invalid(format!("{what}: a time of day like 07:00, not {text:?}")))
}

fn window(from: &str, to: &str) -> Result<Window, AppError> {
    Window::new(hours(from, "from")?, hours(to, "to")?)
        .map_err(|e| AppError::Invalid(e.to_string()))
}

fn unit_code(text: &str) -> Result<PoliceUnitCode, AppError> {
    PoliceUnitCode::parse(text.trim()).map_err(|e| AppError::Invalid(format!("unit: {e}")))
}

/// A required free-text field: within its bound (`text_too_long`), and not blank.
fn non_empty(text: &str, limit: TextLimit) -> Result<String, AppError> {
    limit.check(text)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(AppError::Invalid(format!(
            "{}: may not be blank",
            limit.field
        )));
    }
    Ok(text.to_owned())
}

#[derive(Debug, Clone)]
pub struct SiteRequest {
    pub unit: String,
    pub name: String,
    pub kind: String,
    pub commune: String,
    pub address: String,
    pub opens: String,
    pub closes: String,
}

#[derive(Debug, Clone)]
pub struct MachineRequest {
    pub unit: String,
    pub label: String,
    pub minutes_per_application: u32,
}

#[derive(Debug, Clone)]
pub struct SessionRequest {
    pub site: Uuid,
    pub date: String,
    pub from: String,
    pub to: String,
    pub slot_min: u32,
    /// Machine labels of the site's unit; empty for all its active machines.
    pub machines: Vec<String>,
    pub officers: Vec<String>,
}

/// How an officer at the desk names the person in front of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    QueueNumber(u32),
    PersonalId(String),
}

/// Who waits, who is next and how long each can expect to wait.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveQueue {
    pub session: EnrollmentSession,
    pub waiting: Vec<QueuedPerson>,
    /// Being served now.
    pub called: Vec<QueuedPerson>,
    pub booked_not_arrived: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueuedPerson {
    pub queue_number: u32,
    pub slot: u32,
    pub name: String,
    pub expected_wait_min: u32,
}

/// What inviting a commune's households did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InvitationReport {
    pub households: usize,
    pub invited: usize,
    /// People due a card for whom the sessions had no room.
    pub left_out: usize,
}

impl App {
    fn enrollment_access(&self, caller: &Caller, purpose: &str) -> Result<Access, AppError> {
        require(caller, runs_enrollment, "manage enrollment")?;
        Ok(caller.access(self.clock.as_ref(), purpose))
    }

    /// A police unit the caller may act for, or not found.
    fn visible_unit(&self, access: &Access, unit: &str) -> Result<PoliceUnitCode, AppError> {
        let code = unit_code(unit)?;
        let places = self.places();
        if places.police_unit(&code).is_none() || !places.sees(&access.scope, &code) {
            return Err(AppError::NotFound(format!("police unit {code}")));
        }
        Ok(code)
    }

    pub async fn create_site(
        &self,
        caller: &Caller,
        request: &SiteRequest,
    ) -> Result<Site, AppError> {
        let name = non_empty(&request.name, limits::SITE_NAME)?;
        let address = non_empty(&request.address, limits::ADDRESS_LINE)?;
        let access = self.enrollment_access(caller, "site.create")?;
        let unit = self.visible_unit(&access, &request.unit)?;
        let kind = SiteKind::parse(request.kind.trim())
            .ok_or_else(|| AppError::Invalid("kind: fixed or mobile".into()))?;
        let commune = AdminCode::parse(request.commune.trim())
            .map_err(|e| AppError::Invalid(format!("commune: {e}")))?;
        let places = self.places();
        let in_area = match unit.jurisdiction() {
            cancuoc_domain::Jurisdiction::Nation => true,
            cancuoc_domain::Jurisdiction::Within(area) => places.admin_within(&commune, &area),
        };
        if commune.level() != cancuoc_domain::AdminLevel::Commune || places.get(&commune).is_none()
        {
            return Err(AppError::Invalid(format!(
                "commune: {commune} is not a known commune"
            )));
        }
        if !in_area {
            return Err(AppError::Invalid(format!(
                "commune: {commune} lies outside the area of {unit}"
            )));
        }
        let site = Site {
            id: self.random.record_key(),
            unit: unit.as_string(),
            name,
            kind,
            commune: commune.as_str().to_owned(),
            address,
            hours: window(&request.opens, &request.closes)?,
            created_by: access.actor.clone(),
            created_micros: access.now_micros,
        };
        self.store.create_site(&access, &site).await?;
        Ok(site)
    }

    pub async fn sites(&self, caller: &Caller, unit: Option<&str>) -> Result<Vec<Site>, AppError> {
        let access = self.enrollment_access(caller, "site.list")?;
        let unit = unit.map(|u| self.visible_unit(&access, u)).transpose()?;
        Ok(self
            .store
            .sites(&access, unit.map(|u| u.as_string()).as_deref())
            .await?)
    }

    pub async fn add_machine(
        &self,
        caller: &Caller,
        request: &MachineRequest,
    ) -> Result<Machine, AppError> {
        let label = non_empty(&request.label, limits::MACHINE_LABEL)?;
        let access = self.enrollment_access(caller, "machine.add")?;
        let unit = self.visible_unit(&access, &request.unit)?;
        if !schedule::MACHINE_MINUTES.contains(&request.minutes_per_application) {
            return Err(AppError::Invalid(format!(
                "minutes_per_application: {} to {}",
                schedule::MACHINE_MINUTES.start(),
                schedule::MACHINE_MINUTES.end()
            )));
        }
        let machine = Machine {
            id: self.random.record_key(),
            unit: unit.as_string(),
            label,
            minutes_per_application: request.minutes_per_application,
            active: true,
            created_micros: access.now_micros,
        };
        self.store.add_machine(&access, &machine).await?;
        Ok(machine)
    }

    pub async fn machines(&self, caller: &Caller, unit: &str) -> Result<Vec<Machine>, AppError> {
        let access = self.enrollment_access(caller, "machine.list")?;
        let unit = self.visible_unit(&access, unit)?;
        Ok(self.store.machines(&unit.as_string()).await?)
    }

    /// Lays out a session's slots from its machines and checks it against the site.
    pub(crate) fn new_session(
        &self,
        site: &Site,
        (day, window): (Date, Window),
        slot_min: u32,
        machines: &[Machine],
        officers: Vec<String>,
        limits: Option<&[u32]>,
    ) -> Result<NewEnrollmentSession, AppError> {
        if !site.hours.contains(window) {
            return Err(AppError::Invalid(
                schedule::ScheduleError::Outside {
                    start_min: window.start_min,
                    end_min: window.end_min,
                    opens_min: site.hours.start_min,
                    closes_min: site.hours.end_min,
                }
                .to_string(),
            ));
        }
        let minutes: Vec<u32> = machines.iter().map(|m| m.minutes_per_application).collect();
        let slots = schedule::layout(window, slot_min, &minutes, limits)
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        Ok(NewEnrollmentSession {
            id: self.random.record_key(),
            site: site.id,
            day,
            window,
            slot_min,
            machines: machines.iter().map(|m| m.id).collect(),
            officers,
            slots,
            invites: None,
        })
    }

    async fn site(&self, access: &Access, id: Uuid) -> Result<Site, AppError> {
        self.store
            .sites(access, None)
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| AppError::NotFound(format!("site {id}")))
    }

    pub async fn create_session(
        &self,
        caller: &Caller,
        request: &SessionRequest,
    ) -> Result<EnrollmentSession, AppError> {
        let access = self.enrollment_access(caller, "enrollment_session.create")?;
        let site = self.site(&access, request.site).await?;
        let day = parse_day(&request.date, "date")?;
        if day < self.clock.today() {
            return Err(AppError::Invalid("date: the day has passed".into()));
        }
        let all = self.store.machines(&site.unit).await?;
        let machines: Vec<Machine> = if request.machines.is_empty() {
            all.into_iter().filter(|m| m.active).collect()
        } else {
            request
                .machines
                .iter()
                .map(|label| {
                    all.iter()
                        .find(|m| m.label == label.trim())
                        .cloned()
                        .ok_or_else(|| {
                            AppError::NotFound(format!("machine {label:?} of {}", site.unit))
                        })
                })
                .collect::<Result<_, _>>()?
        };
        let mut officers: Vec<String> = request
            .officers
            .iter()
            .map(|o| o.trim().to_owned())
            .collect();
        officers.sort();
        officers.dedup();
        let new = self.new_session(
            &site,
            (day, window(&request.from, &request.to)?),
            request.slot_min,
            &machines,
            officers,
            None,
        )?;
        self.store
            .create_sessions(&access, std::slice::from_ref(&new))
            .await?;
        self.enrollment_session(caller, new.id).await
    }

    pub async fn enrollment_sessions(
        &self,
        caller: &Caller,
        unit: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<Vec<EnrollmentSession>, AppError> {
        let access = self.enrollment_access(caller, "enrollment_session.list")?;
        let unit = unit.map(|u| self.visible_unit(&access, u)).transpose()?;
        let (from, to) = (parse_day(from, "from")?, parse_day(to, "to")?);
        Ok(self
            .store
            .enrollment_sessions(
                &access,
                &SessionQuery {
                    from,
                    to,
                    commune: None,
                    unit: unit.map(|u| u.as_string()),
                },
            )
            .await?)
    }

    pub async fn enrollment_session(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<EnrollmentSession, AppError> {
        let access = self.enrollment_access(caller, "enrollment_session.read")?;
        self.store
            .enrollment_session(&access, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("enrollment session {id}")))
    }

    /// The session's appointments with the people's names (audited).
    pub async fn session_appointments(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<Vec<Appointment>, AppError> {
        let access = self.enrollment_access(caller, "appointment.list")?;
        if self.store.enrollment_session(&access, id).await?.is_none() {
            return Err(AppError::NotFound(format!("enrollment session {id}")));
        }
        Ok(self.store.appointments(&access, id).await?)
    }

    /// Invites the households of each session's commune into the sessions' free places,
    /// the earliest session first, with the people due a card on the first session's day.
    pub(crate) async fn invite_households(
        &self,
        access: &Access,
        sessions: &[EnrollmentSession],
    ) -> Result<InvitationReport, AppError> {
        self.invite(access, sessions, None).await
    }

    /// Invites into `sessions` the households of the communes they invite, or with
    /// `again` only those people of that commune (no-shows asked back), into any of the
    /// sessions, taking the room the machines still have.
    async fn invite(
        &self,
        access: &Access,
        sessions: &[EnrollmentSession],
        again: Option<(&str, &std::collections::HashSet<String>)>,
    ) -> Result<InvitationReport, AppError> {
        let mut by_commune: std::collections::BTreeMap<&str, Vec<&EnrollmentSession>> =
            Default::default();
        for s in sessions.iter().filter(|s| s.state == SessionState::Open) {
            let commune = again.map_or(s.invites.as_str(), |(commune, _)| commune);
            by_commune.entry(commune).or_default().push(s);
        }
        let again = again.map(|(_, people)| people);
        let mut report = InvitationReport::default();
        let mut appointments = Vec::new();
        for (commune, mut list) in by_commune {
            list.sort_by_key(|s| (s.day, s.window.start_min));
            let Some(first) = list.first() else { continue };
            let mut invitees = self.store.invitees(access, commune, first.day).await?;
            if let Some(only) = again {
                invitees.retain(|i| only.contains(&i.personal_id));
            }
            let households = group_households(invitees);
            report.households += households.len();
            let rooms: Vec<Room> = list
                .iter()
                .enumerate()
                .flat_map(|(i, s)| {
                    s.slots.iter().map(move |u| Room {
                        session: i,
                        slot: u.slot.number,
                        free: if again.is_some() {
                            u.slot.places(schedule::Taker::WalkIn)
                        } else {
                            u.slot.limit
                        }
                        .saturating_sub(u.held),
                    })
                })
                .collect();
            let (placed, left) = schedule::assign_households(&households, &rooms);
            report.invited += placed.len();
            report.left_out += left.iter().map(|h| h.members.len()).sum::<usize>();
            for p in placed {
                let Some(session) = list.get(p.session) else {
                    continue;
                };
                appointments.push(NewAppointment {
                    id: self.random.record_key(),
                    session: session.id,
                    slot: p.slot,
                    personal_id: p.member.personal_id,
                    household: p.member.household,
                    origin: AppointmentOrigin::Invited,
                    room: if again.is_some() {
                        schedule::Taker::WalkIn
                    } else {
                        schedule::Taker::Appointment
                    },
                    arrived_micros: None,
                });
            }
        }
        if again.is_none() {
            self.store.make_appointments(access, &appointments).await?;
            return Ok(report);
        }
        // Asked back after the session closed: household by household, so that a place
        // taken meanwhile (a walk-in, a booking) costs that household its invitation, not
        // everyone's.
        let mut households: std::collections::BTreeMap<
            (Uuid, Option<String>),
            Vec<NewAppointment>,
        > = Default::default();
        for a in appointments {
            households
                .entry((a.session, a.household.clone()))
                .or_default()
                .push(a);
        }
        for group in households.values() {
            match self.store.make_appointments(access, group).await {
                Ok(_) => {}
                Err(cancuoc_store::StoreError::Conflict(_)) => {
                    report.invited = report.invited.saturating_sub(group.len());
                    report.left_out += group.len();
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(report)
    }

    /// Fills a session's free places with invitations to the households of its commune.
    pub async fn invite_for_session(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<InvitationReport, AppError> {
        let access = self.enrollment_access(caller, "invitation.make")?;
        let session = self
            .store
            .enrollment_session(&access, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("enrollment session {id}")))?;
        if session.state != SessionState::Open {
            return Err(AppError::InvalidState("the session is closed".into()));
        }
        self.invite_households(&access, std::slice::from_ref(&session))
            .await
    }

    /// The letters of a session, one per household, for printing or mail merge.
    pub async fn session_letters(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> Result<SessionLetters, AppError> {
        let access = self.enrollment_access(caller, "invitation.print")?;
        let session = self
            .store
            .enrollment_session(&access, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("enrollment session {id}")))?;
        let appointments = self.store.appointments(&access, id).await?;
        let places = self.places();
        let commune = places.unit_name(&session.site.commune);
        let unit_name = PoliceUnitCode::parse(&session.site.unit)
            .ok()
            .and_then(|u| places.police_unit(&u).map(|p| p.name.clone()))
            .unwrap_or_else(|| session.site.unit.clone());
        let slot_window = |n: u32| {
            session
                .slots
                .iter()
                .find(|s| s.slot.number == n)
                .map_or(session.window, |s| s.slot.window)
        };
        let mut letters: Vec<InvitationLetter> = Vec::new();
        for a in appointments
            .iter()
            .filter(|a| a.origin == AppointmentOrigin::Invited && a.state.is_active())
        {
            let member = InvitedMember {
                name: a.name.clone(),
                birth_date: PartialDate::parse(&a.birth_date)
                    .map_or_else(|_| a.birth_date.clone(), |d| d.vietnamese()),
                queue_number: a.queue_number,
                slot: slot_window(a.slot),
            };
            let household = a
                .household
                .clone()
                .unwrap_or_else(|| format!("—{}", a.queue_number));
            match letters.iter_mut().find(|l| l.household == household) {
                Some(letter) => letter.members.push(member),
                None => letters.push(InvitationLetter {
                    household,
                    address: String::new(),
                    members: vec![member],
                }),
            }
        }
        for letter in &mut letters {
            let found = match self.store.household(&access, &letter.household).await {
                Ok(found) => found,
                Err(e @ (StoreError::Unavailable(_) | StoreError::Backend(_))) => {
                    return Err(e.into());
                }
                // A household out of the caller's sight: the letter goes without an address.
                Err(_) => None,
            };
            if let Some(h) = found {
                letter.address = h.address;
            }
        }
        Ok(SessionLetters {
            unit_name,
            site_name: session.site.name.clone(),
            site_address: session.site.address.clone(),
            commune_name: commune,
            date: session.day,
            papers: schedule::PAPERS_TO_BRING
                .iter()
                .map(|p| (*p).to_owned())
                .collect(),
            letters,
        })
    }

    /// The session, checking it is open and held today.
    async fn todays_session(
        &self,
        access: &Access,
        id: Uuid,
    ) -> Result<EnrollmentSession, AppError> {
        let session = self
            .store
            .enrollment_session(access, id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("enrollment session {id}")))?;
        if session.state != SessionState::Open {
            return Err(AppError::InvalidState("the session is closed".into()));
        }
        if session.day != self.clock.today() {
            return Err(AppError::InvalidState(format!(
                "the session is on {}, not today",
                session.day
            )));
        }
        Ok(session)
    }

    /// Checks a person in by their queue number or personal ID.
    pub async fn check_in(
        &self,
        caller: &Caller,
        session: Uuid,
        who: &Arrival,
    ) -> Result<Appointment, AppError> {
        let access = self.enrollment_access(caller, "appointment.check_in")?;
        self.todays_session(&access, session).await?;
        let appointments = self.store.appointments(&access, session).await?;
        let found = appointments.iter().find(|a| match who {
            Arrival::QueueNumber(n) => a.queue_number == *n,
            Arrival::PersonalId(pid) => a.personal_id == pid.trim() && a.state.is_active(),
        });
        let Some(found) = found else {
            return Err(AppError::NotFound("an appointment in this session".into()));
        };
        Ok(self
            .store
            .step_appointment(&access, found.id, AppointmentStep::CheckIn)
            .await?)
    }

    /// Someone who came without an appointment here: the next slot with a free place,
    /// checked in. An appointment they hold in this session is simply checked in; one
    /// booked at another session moves here.
    pub async fn walk_in(
        &self,
        caller: &Caller,
        session: Uuid,
        personal_id: &str,
    ) -> Result<Appointment, AppError> {
        let access = self.enrollment_access(caller, "appointment.walk_in")?;
        let pid = PersonalId::parse(personal_id.trim())
            .map_err(|e| AppError::Invalid(format!("personal_id: {e}")))?;
        let found = self.todays_session(&access, session).await?;
        let held_by = self
            .store
            .active_appointment(&access, &pid.as_string())
            .await?;
        if let Some(a) = &held_by {
            if a.session == session {
                // Came without their letter: the appointment they hold here.
                return Ok(self
                    .store
                    .step_appointment(&access, a.id, AppointmentStep::CheckIn)
                    .await?);
            }
            if a.state != AppointmentState::Booked {
                return Err(AppError::Conflict(
                    "the person is already checked in at another session".into(),
                ));
            }
        }
        let slots: Vec<schedule::Slot> = found.slots.iter().map(|s| s.slot).collect();
        let held: Vec<u32> = found.slots.iter().map(|s| s.held).collect();
        let now = local_minute(access.now_micros);
        let slot = schedule::next_free_slot(&slots, &held, now).ok_or_else(|| {
            AppError::Conflict(
                "the session's machines have no time left today: every slot still to come is taken"
                    .into(),
            )
        })?;
        if let Some(a) = held_by {
            // Booked for another day or place and came here: the booking moves here.
            self.store
                .step_appointment(&access, a.id, AppointmentStep::Move { session, slot })
                .await?;
            return Ok(self
                .store
                .step_appointment(&access, a.id, AppointmentStep::CheckIn)
                .await?);
        }
        let citizen = self
            .store
            .citizen(&access, &pid)
            .await?
            .ok_or_else(|| AppError::NotFound("citizen".into()))?;
        let made = self
            .store
            .make_appointments(
                &access,
                &[NewAppointment {
                    id: self.random.record_key(),
                    session,
                    slot,
                    personal_id: pid.as_string(),
                    household: citizen.data.household_number.clone(),
                    origin: AppointmentOrigin::WalkIn,
                    room: schedule::Taker::WalkIn,
                    arrived_micros: Some(access.now_micros),
                }],
            )
            .await?;
        made.into_iter()
            .next()
            .ok_or_else(|| AppError::Internal("walk-in not recorded".into()))
    }

    /// Calls the next person waiting to a free machine.
    pub async fn call_next(&self, caller: &Caller, session: Uuid) -> Result<Appointment, AppError> {
        let access = self.enrollment_access(caller, "appointment.call")?;
        self.todays_session(&access, session).await?;
        let appointments = self.store.appointments(&access, session).await?;
        let mut waiting = waiting_of(&appointments);
        schedule::call_order(&mut waiting);
        let next = waiting
            .first()
            .and_then(|w| {
                appointments
                    .iter()
                    .find(|a| a.queue_number == w.queue_number)
            })
            .ok_or_else(|| AppError::NotFound("anyone waiting".into()))?;
        Ok(self
            .store
            .step_appointment(&access, next.id, AppointmentStep::Call)
            .await?)
    }

    /// Releases the places of those booked whose slot ended more than the grace period
    /// ago and who have not come.
    pub async fn release_no_shows(&self, caller: &Caller, session: Uuid) -> Result<u64, AppError> {
        let access = self.enrollment_access(caller, "appointment.no_show")?;
        let found = self.todays_session(&access, session).await?;
        let now = local_minute(access.now_micros);
        let over: Vec<u32> = found
            .slots
            .iter()
            .filter(|s| schedule::is_no_show(s.slot.window.end_min, now))
            .map(|s| s.slot.number)
            .collect();
        Ok(self.store.mark_no_shows(&access, session, &over).await?)
    }

    /// A session and its appointments, read once for the queue and the figures.
    async fn session_and_appointments(
        &self,
        access: &Access,
        session: Uuid,
    ) -> Result<(EnrollmentSession, Vec<Appointment>), AppError> {
        let found = self
            .store
            .enrollment_session(access, session)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("enrollment session {session}")))?;
        let appointments = self.store.appointments(access, session).await?;
        Ok((found, appointments))
    }

    pub async fn live_queue(&self, caller: &Caller, session: Uuid) -> Result<LiveQueue, AppError> {
        let access = self.enrollment_access(caller, "appointment.queue")?;
        let (found, appointments) = self.session_and_appointments(&access, session).await?;
        Ok(queue_of(found, &appointments))
    }

    /// The session's figures so far (or final, once closed).
    pub async fn session_figures(
        &self,
        caller: &Caller,
        session: Uuid,
    ) -> Result<(EnrollmentSession, SessionFigures), AppError> {
        let access = self.enrollment_access(caller, "enrollment_session.figures")?;
        let (found, appointments) = self.session_and_appointments(&access, session).await?;
        let figures = figures_of(&found, &appointments);
        Ok((found, figures))
    }

    /// The desk's view of a session: its live queue and its figures so far, from one read.
    pub async fn session_desk(
        &self,
        caller: &Caller,
        session: Uuid,
    ) -> Result<(LiveQueue, SessionFigures), AppError> {
        let access = self.enrollment_access(caller, "enrollment_session.desk")?;
        let (found, appointments) = self.session_and_appointments(&access, session).await?;
        let figures = figures_of(&found, &appointments);
        Ok((queue_of(found, &appointments), figures))
    }

    /// Closes the session: those still booked are no-shows; returns the final figures.
    pub async fn close_enrollment_session(
        &self,
        caller: &Caller,
        session: Uuid,
    ) -> Result<(EnrollmentSession, SessionFigures), AppError> {
        let access = self.enrollment_access(caller, "enrollment_session.close")?;
        self.store.close_session(&access, session).await?;
        self.invite_no_shows_again(&access, session).await?;
        self.session_figures(caller, session).await
    }

    /// Those invited to a closed session who did not come, and are still due a card,
    /// are invited to the next sessions of their commune with room (issue 18 §3): their
    /// households' letters for those sessions name them.
    async fn invite_no_shows_again(
        &self,
        access: &Access,
        closed: Uuid,
    ) -> Result<InvitationReport, AppError> {
        let Some(session) = self.store.enrollment_session(access, closed).await? else {
            return Ok(InvitationReport::default());
        };
        let missed: std::collections::HashSet<String> = self
            .store
            .appointments(access, closed)
            .await?
            .into_iter()
            .filter(|a| {
                a.state == AppointmentState::NoShow && a.origin == AppointmentOrigin::Invited
            })
            .map(|a| a.personal_id)
            .collect();
        if missed.is_empty() {
            return Ok(InvitationReport::default());
        }
        // Not before their letter can reach them.
        let from = session
            .day
            .tomorrow()
            .map_err(|e| AppError::Internal(e.to_string()))?
            .max(
                self.clock
                    .today()
                    .checked_add(jiff::Span::new().days(crate::PLAN_LEAD_DAYS))
                    .map_err(|e| AppError::Internal(e.to_string()))?,
            );
        let to = from
            .checked_add(jiff::Span::new().days(NO_SHOW_LOOKAHEAD_DAYS))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        // Their commune's next sessions and, for a commune gathered at a neighbour's site,
        // that site's: a small commune often has no session of its own left.
        let mut next: Vec<EnrollmentSession> = Vec::new();
        let mut places = vec![session.invites.clone()];
        if session.site.commune != session.invites {
            places.push(session.site.commune.clone());
        }
        for commune in places {
            let found = self
                .store
                .enrollment_sessions(
                    access,
                    &cancuoc_store::SessionQuery {
                        from,
                        to,
                        commune: Some(commune),
                        unit: None,
                    },
                )
                .await?;
            next.extend(found.into_iter().filter(|s| {
                s.state == SessionState::Open
                    && (s.invites == session.invites || s.site.id == session.site.id)
            }));
        }
        next.sort_by_key(|s| s.id);
        next.dedup_by_key(|s| s.id);
        self.invite(access, &next, Some((&session.invites, &missed)))
            .await
    }
}

/// How far ahead a no-show's next session is looked for.
const NO_SHOW_LOOKAHEAD_DAYS: i64 = 60;

/// The team's minutes per application: the mean of the session's machines.
fn team_minutes(session: &EnrollmentSession) -> u32 {
    let minutes = session.machine_minutes();
    minutes.iter().sum::<u32>() / u32::try_from(minutes.len().max(1)).unwrap_or(1)
}

fn queue_of(session: EnrollmentSession, appointments: &[Appointment]) -> LiveQueue {
    let mut waiting = waiting_of(appointments);
    schedule::call_order(&mut waiting);
    let machines = u32::try_from(session.machines.len()).unwrap_or(u32::MAX);
    let per = team_minutes(&session);
    let name_of = |n: u32| {
        appointments
            .iter()
            .find(|a| a.queue_number == n)
            .map(|a| a.name.clone())
            .unwrap_or_default()
    };
    let called: Vec<QueuedPerson> = appointments
        .iter()
        .filter(|a| a.state == AppointmentState::Called)
        .map(|a| QueuedPerson {
            queue_number: a.queue_number,
            slot: a.slot,
            name: a.name.clone(),
            expected_wait_min: 0,
        })
        .collect();
    // Those being served keep their machines busy for the first in line.
    let busy = called.len();
    LiveQueue {
        waiting: waiting
            .iter()
            .enumerate()
            .map(|(i, w)| QueuedPerson {
                queue_number: w.queue_number,
                slot: w.slot,
                name: name_of(w.queue_number),
                expected_wait_min: schedule::expected_wait_min(i + busy, machines, per),
            })
            .collect(),
        called,
        booked_not_arrived: u32::try_from(
            appointments
                .iter()
                .filter(|a| a.state == AppointmentState::Booked)
                .count(),
        )
        .unwrap_or(u32::MAX),
        session,
    }
}

pub(crate) fn figures_of(
    session: &EnrollmentSession,
    appointments: &[Appointment],
) -> SessionFigures {
    let per = team_minutes(session);
    let attendance: Vec<Attendance> = appointments
        .iter()
        .map(|a| Attendance {
            origin: a.origin,
            state: a.state,
            slot_start_min: session
                .slots
                .iter()
                .find(|s| s.slot.number == a.slot)
                .map_or(session.window.start_min, |s| s.slot.window.start_min),
            arrived_min: a.arrived_micros.map(local_minute),
            // A machine took them when called; without a call, one service before the
            // filing.
            served_min: a
                .called_micros
                .map(local_minute)
                .or_else(|| a.served_micros.map(|m| local_minute(m).saturating_sub(per))),
        })
        .collect();
    schedule::session_figures(session.window, &session.machine_minutes(), &attendance)
}

fn waiting_of(appointments: &[Appointment]) -> Vec<Waiting> {
    appointments
        .iter()
        .filter(|a| a.state == AppointmentState::CheckedIn)
        .map(|a| Waiting {
            queue_number: a.queue_number,
            slot: a.slot,
            arrived_at: a.arrived_micros.unwrap_or(0),
        })
        .collect()
}

/// Invitees (ordered household by household) as households; people without a
/// household are each their own.
fn group_households(invitees: Vec<Invitee>) -> Vec<HouseholdDemand<Invitee>> {
    let mut out: Vec<HouseholdDemand<Invitee>> = Vec::new();
    for person in invitees {
        let key = person
            .household
            .clone()
            .unwrap_or_else(|| format!("person:{}", person.personal_id));
        match out.last_mut() {
            Some(last) if last.household == key => last.members.push(person),
            _ => out.push(HouseholdDemand {
                household: key,
                members: vec![person],
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_minutes_are_vietnam_time() {
        // 2021-03-16 00:00 UTC is 07:00 in Hà Nội.
        assert_eq!(local_minute(1_615_852_800_000_000), 420);
        assert_eq!(local_minute(1_615_852_800_000_000 + 17 * 3_600_000_000), 0);
        assert_eq!(local_minute(-1), 419);
    }
}
