//! Enrollment sites, machines, sessions with their slots, and appointments (DESIGN §7).

use cancuoc_domain::schedule::{AppointmentOrigin, AppointmentState, Slot, Taker, Window};
use jiff::civil::Date;
use serde::Serialize;
use uuid::Uuid;

/// A fixed site is a police unit's office; a mobile one a place in a commune the unit's
/// team goes to (a commune hall, a school).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    Fixed,
    Mobile,
}

impl SiteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::Mobile => "mobile",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Fixed, Self::Mobile]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub id: Uuid,
    pub unit: String,
    pub name: String,
    pub kind: SiteKind,
    /// The commune the site is in (GSO code).
    pub commune: String,
    pub address: String,
    pub hours: Window,
    pub created_by: String,
    pub created_micros: i64,
}

/// An enrollment kit (camera, fingerprint scanner, laptop) of a police unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    pub id: Uuid,
    pub unit: String,
    pub label: String,
    pub minutes_per_application: u32,
    pub active: bool,
    pub created_micros: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    Open,
    Closed,
}

impl SessionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Open, Self::Closed]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// A session to create: its slots are laid out by the caller
/// ([`cancuoc_domain::schedule::layout`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEnrollmentSession {
    pub id: Uuid,
    pub site: Uuid,
    pub day: Date,
    pub window: Window,
    pub slot_min: u32,
    pub machines: Vec<Uuid>,
    pub officers: Vec<String>,
    pub slots: Vec<Slot>,
    /// A neighbouring commune whose households the session invites instead of the
    /// site's own (`None`: the site's commune).
    pub invites: Option<String>,
}

/// A slot and the places its appointments hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotUse {
    pub slot: Slot,
    pub held: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentSession {
    pub id: Uuid,
    pub site: Site,
    pub day: Date,
    pub window: Window,
    pub slot_min: u32,
    pub state: SessionState,
    /// The commune whose households are invited: the site's own, or a small neighbour
    /// the plan gathered at the site.
    pub invites: String,
    /// The assigned machines with their minutes per application.
    pub machines: Vec<Machine>,
    pub officers: Vec<String>,
    pub slots: Vec<SlotUse>,
}

impl EnrollmentSession {
    pub fn machine_minutes(&self) -> Vec<u32> {
        self.machines
            .iter()
            .map(|m| m.minutes_per_application)
            .collect()
    }
}

/// Which sessions to list: those of units within the caller's jurisdiction, on the days
/// given, optionally of one commune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionQuery {
    pub from: Date,
    pub to: Date,
    pub commune: Option<String>,
    pub unit: Option<String>,
}

/// An appointment to make in a slot; the store gives it the next queue number of the
/// session and refuses it when the slot is full or the person already holds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAppointment {
    pub id: Uuid,
    pub session: Uuid,
    pub slot: u32,
    pub personal_id: String,
    pub household: Option<String>,
    pub origin: AppointmentOrigin,
    /// The room it takes: a first invitation or a booking up to the slot's limit; a
    /// walk-in, or a no-show invited again, up to what the slot's machines serve.
    pub room: Taker,
    /// A walk-in is checked in as they are given the slot.
    pub arrived_micros: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub id: Uuid,
    pub session: Uuid,
    pub slot: u32,
    pub queue_number: u32,
    pub personal_id: String,
    pub household: Option<String>,
    pub origin: AppointmentOrigin,
    pub state: AppointmentState,
    pub created_micros: i64,
    pub arrived_micros: Option<i64>,
    pub called_micros: Option<i64>,
    pub served_micros: Option<i64>,
    pub application: Option<Uuid>,
    /// From the register, for the session's lists and letters.
    pub name: String,
    pub birth_date: String,
}

/// A step in an appointment's day. The store checks the appointment is still in the
/// state the step starts from, so two officers cannot both act on one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppointmentStep {
    CheckIn,
    Call,
    Cancel,
    /// Into another slot (of the same or another open session) with a free place.
    Move {
        session: Uuid,
        slot: u32,
    },
}

/// A person the register says is due a card and holds no appointment, with their
/// household, for invitations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitee {
    pub personal_id: String,
    pub name: String,
    pub birth_date: String,
    pub household: Option<String>,
    pub household_address: Option<String>,
}
