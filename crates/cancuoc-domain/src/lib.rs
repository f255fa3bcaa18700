//! The rules of the population register and the CCCD card, as pure values and functions.
//!
//! Everything here is deterministic: no I/O, no clock, no randomness of its own, no async.
//! Today's date and random sources are passed in by the caller. Storage, HTTP and files
//! live in other crates (see ARCHITECTURE.md).

pub mod admin;
pub mod admin_data;
pub mod application;
pub mod audit;
pub mod biometrics;
pub mod calendar;
pub mod campaign;
pub mod card;
pub mod citizen;
pub mod date;
pub mod fee;
pub mod form;
pub mod officer;
pub mod personal_id;
pub mod planner;
pub mod police;
pub mod population;
pub mod provinces;
pub mod receipt;
pub mod reference;
pub mod remote;
pub mod review;
pub mod schedule;
pub mod simulation;
pub mod station;
pub mod text;

pub use admin::{AdminCode, AdminKind, AdminLevel, AdminUnit};
pub use citizen::{CitizenData, RecordStatus, Sex};
pub use date::PartialDate;
pub use officer::{Locality, Officer, Role};
pub use personal_id::{IdPrefix, PersonalId};
pub use police::{Jurisdiction, PoliceUnit, PoliceUnitCode};
