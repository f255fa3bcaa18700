//! Enrollment sessions as they are run (DESIGN §7): the slots of a session and their
//! capacity, household invitations into slots, the queue on the day, and the session's
//! figures at its end. The [`planner`](crate::planner) proposes the sessions; this module
//! keeps the rules that hold for every session, planned or entered by hand.

use std::fmt;

use crate::simulation::percentile;

/// The longest slot and the shortest, in minutes.
pub const SLOT_MINUTES: std::ops::RangeInclusive<u32> = 5..=240;
/// Minutes per application a machine may be given (2021 reports: about 10 to 20).
pub const MACHINE_MINUTES: std::ops::RangeInclusive<u32> = 3..=120;
/// How long after the end of their slot an invited person who has not come is released.
pub const NO_SHOW_GRACE_MIN: u32 = 30;

/// Why a session or a slot cannot be laid out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleError {
    Window {
        start_min: u32,
        end_min: u32,
    },
    SlotLength(u32),
    MachineMinutes(u32),
    NoMachines,
    Outside {
        start_min: u32,
        end_min: u32,
        opens_min: u32,
        closes_min: u32,
    },
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Window { start_min, end_min } => write!(
                f,
                "the session must end after it starts, within one day (from {} to {})",
                clock(*start_min),
                clock(*end_min)
            ),
            Self::SlotLength(n) => write!(
                f,
                "a slot lasts {} to {} minutes, not {n}",
                SLOT_MINUTES.start(),
                SLOT_MINUTES.end()
            ),
            Self::MachineMinutes(n) => write!(
                f,
                "a machine takes {} to {} minutes per application, not {n}",
                MACHINE_MINUTES.start(),
                MACHINE_MINUTES.end()
            ),
            Self::NoMachines => write!(f, "a session needs at least one machine"),
            Self::Outside {
                start_min,
                end_min,
                opens_min,
                closes_min,
            } => write!(
                f,
                "the session {}–{} lies outside the site's opening hours {}–{}",
                clock(*start_min),
                clock(*end_min),
                clock(*opens_min),
                clock(*closes_min)
            ),
        }
    }
}

impl std::error::Error for ScheduleError {}

/// Minutes after midnight as `HH:MM`.
pub fn clock(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// `HH:MM` (or `H:MM`, `HHhMM`, `H`) as minutes after midnight; `24:00` is the end of the day.
pub fn parse_clock(text: &str) -> Option<u32> {
    let text = text.trim();
    let (h, m) = match text.split_once([':', 'h', 'H']) {
        Some((h, "")) => (h, "0"),
        Some((h, m)) => (h, m),
        None => (text, "0"),
    };
    if h.is_empty()
        || h.len() > 2
        || m.len() > 2
        || !(h.chars().chain(m.chars())).all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

/// Opening hours of a site, or the window of a session, in minutes after midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Window {
    pub start_min: u32,
    pub end_min: u32,
}

impl Window {
    pub fn new(start_min: u32, end_min: u32) -> Result<Self, ScheduleError> {
        if start_min >= end_min || end_min > 24 * 60 {
            return Err(ScheduleError::Window { start_min, end_min });
        }
        Ok(Self { start_min, end_min })
    }

    pub fn minutes(self) -> u32 {
        self.end_min - self.start_min
    }

    pub fn contains(self, inner: Window) -> bool {
        self.start_min <= inner.start_min && inner.end_min <= self.end_min
    }

    pub fn overlaps(self, other: Window) -> bool {
        self.start_min < other.end_min && other.start_min < self.end_min
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}–{}", clock(self.start_min), clock(self.end_min))
    }
}

/// A slot of a session: its time, what its machines can serve in it, and how many
/// appointments it takes (more than it can serve when invitations allow for no-shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Slot {
    pub number: u32,
    pub window: Window,
    pub capacity: u32,
    pub limit: u32,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Applications the machines can take in `minutes`: Σ minutes ÷ minutes per application,
/// summed exactly and rounded down (two 20-minute machines serve 3 in 30 minutes).
pub fn capacity(minutes: u32, machine_minutes: &[u32]) -> u32 {
    let (mut num, mut den) = (0_u64, 1_u64);
    for &m in machine_minutes.iter().filter(|&&m| m > 0) {
        // num/den + minutes/m
        let m = u64::from(m);
        num = num * m + u64::from(minutes) * den;
        den *= m;
        let g = gcd(num, den).max(1);
        (num, den) = (num / g, den / g);
    }
    u32::try_from(num / den).unwrap_or(u32::MAX)
}

/// The slots of a session: `slot_min` each from the start, the last one shorter when the
/// window does not divide evenly. `limit_per_slot` gives the appointments each slot takes
/// (the planner's invitations); without it a slot takes what it can serve.
pub fn layout(
    window: Window,
    slot_min: u32,
    machine_minutes: &[u32],
    limit_per_slot: Option<&[u32]>,
) -> Result<Vec<Slot>, ScheduleError> {
    if !SLOT_MINUTES.contains(&slot_min) {
        return Err(ScheduleError::SlotLength(slot_min));
    }
    if machine_minutes.is_empty() {
        return Err(ScheduleError::NoMachines);
    }
    if let Some(&bad) = machine_minutes
        .iter()
        .find(|m| !MACHINE_MINUTES.contains(m))
    {
        return Err(ScheduleError::MachineMinutes(bad));
    }
    let mut slots = Vec::new();
    let mut start = window.start_min;
    while start < window.end_min {
        let end = (start + slot_min).min(window.end_min);
        let capacity = capacity(end - start, machine_minutes);
        let index = slots.len();
        let limit = limit_per_slot
            .and_then(|limits| limits.get(index).copied())
            .unwrap_or(capacity);
        slots.push(Slot {
            number: u32::try_from(index + 1).unwrap_or(u32::MAX),
            window: Window {
                start_min: start,
                end_min: end,
            },
            capacity,
            limit,
        });
        start = end;
    }
    Ok(slots)
}

/// Free places of one slot of one session, in the order invitations fill them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Room {
    pub session: usize,
    pub slot: u32,
    pub free: u32,
}

/// A household's eligible members, in the order they are named in the letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdDemand<T> {
    pub household: String,
    pub members: Vec<T>,
}

/// A member placed in a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement<T> {
    pub household: String,
    pub member: T,
    pub session: usize,
    pub slot: u32,
}

/// Places households into the rooms, in order, so that a household's members land in
/// one session and in the same or neighbouring slots, and no slot takes more than it
/// has free. A household that does not fit in what is left of a session waits for the
/// next one, and a later, smaller household may take the gap; a household larger than
/// the largest session starts an untouched session and goes on in the next. Households (or
/// their remaining members) that find no room are returned.
pub fn assign_households<T: Clone>(
    households: &[HouseholdDemand<T>],
    rooms: &[Room],
) -> (Vec<Placement<T>>, Vec<HouseholdDemand<T>>) {
    let mut pending: Vec<HouseholdDemand<T>> = households
        .iter()
        .filter(|h| !h.members.is_empty())
        .cloned()
        .collect();
    let sessions = || rooms.chunk_by(|a, b| a.session == b.session);
    let largest = sessions()
        .map(|group| group.iter().map(|r| r.free as usize).sum::<usize>())
        .max()
        .unwrap_or(0);
    let mut placed = Vec::new();
    for group in sessions() {
        if pending.is_empty() {
            break;
        }
        let mut free: Vec<Room> = group.to_vec();
        let whole: usize = free.iter().map(|r| r.free as usize).sum();
        let mut left = whole;
        let mut next = Vec::new();
        for mut household in pending {
            let size = household.members.len();
            let take = if size <= left {
                size
            } else if size > largest && left == whole && whole > 0 {
                whole
            } else {
                next.push(household);
                continue;
            };
            for member in household.members.drain(..take) {
                // `take` never exceeds what is left, so a room with space is always found.
                if let Some(room) = free.iter_mut().find(|r| r.free > 0) {
                    room.free -= 1;
                    placed.push(Placement {
                        household: household.household.clone(),
                        member,
                        session: room.session,
                        slot: room.slot,
                    });
                }
            }
            left -= take;
            if !household.members.is_empty() {
                next.push(household);
            }
        }
        pending = next;
    }
    (placed, pending)
}

/// What an invited person is asked to bring (first card or change from the 9- or
/// 12-digit ID card; the register already holds the rest).
pub const PAPERS_TO_BRING: [&str; 3] = [
    "Chứng minh nhân dân (9 số hoặc 12 số) hoặc thẻ căn cước công dân cũ, nếu có",
    "Giấy tờ chứng minh thông tin nhân thân có thay đổi so với cơ sở dữ liệu, nếu có",
    "Giấy mời này",
];

/// One household member named in a letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitedMember {
    pub name: String,
    /// As recorded: `dd/mm/yyyy`, `mm/yyyy` or `yyyy`.
    pub birth_date: String,
    pub queue_number: u32,
    pub slot: Window,
}

/// The letter to one household (giấy mời).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationLetter {
    pub household: String,
    pub address: String,
    pub members: Vec<InvitedMember>,
}

/// All letters of one session, with what they share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionLetters {
    /// The police unit that invites, e.g. "Công an huyện Đức Thọ".
    pub unit_name: String,
    pub site_name: String,
    pub site_address: String,
    pub commune_name: String,
    pub date: jiff::civil::Date,
    pub papers: Vec<String>,
    pub letters: Vec<InvitationLetter>,
}

/// Where an appointment stands. Booked, checked in and called are active: a person has
/// at most one active appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppointmentState {
    Booked,
    CheckedIn,
    Called,
    Served,
    NoShow,
    Cancelled,
}

impl AppointmentState {
    pub const ALL: [Self; 6] = [
        Self::Booked,
        Self::CheckedIn,
        Self::Called,
        Self::Served,
        Self::NoShow,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Booked => "booked",
            Self::CheckedIn => "checked_in",
            Self::Called => "called",
            Self::Served => "served",
            Self::NoShow => "no_show",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn is_active(self) -> bool {
        matches!(self, Self::Booked | Self::CheckedIn | Self::Called)
    }

    /// Whether the appointment holds its place in the slot (a no-show or a cancellation
    /// gives it back).
    pub fn holds_place(self) -> bool {
        self.is_active() || self == Self::Served
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Self::Booked => "Đã hẹn",
            Self::CheckedIn => "Đã đến",
            Self::Called => "Đang làm thủ tục",
            Self::Served => "Đã thu nhận",
            Self::NoShow => "Không đến",
            Self::Cancelled => "Đã hủy",
        }
    }
}

/// How an appointment came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentOrigin {
    /// From a household letter.
    Invited,
    /// Booked by the citizen.
    Booked,
    /// Came without an appointment and was given the next free slot.
    WalkIn,
}

impl AppointmentOrigin {
    pub const ALL: [Self; 3] = [Self::Invited, Self::Booked, Self::WalkIn];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invited => "invited",
            Self::Booked => "booked",
            Self::WalkIn => "walk_in",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Who takes a place in a slot, which sets how many places the slot has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taker {
    /// An invitation or a booking: up to the slot's limit, which an accepted plan sets to
    /// the number it invites, keeping the rest of the machines' time for walk-ins.
    Appointment,
    /// Someone at the desk without an appointment here, or moving one they hold: up to
    /// what the slot's machines can serve.
    WalkIn,
}

impl Slot {
    /// The places the slot has for `taker`; a place is held by a booked, checked-in,
    /// called or served appointment.
    pub fn places(&self, taker: Taker) -> u32 {
        match taker {
            Taker::Appointment => self.limit,
            Taker::WalkIn => self.capacity.max(self.limit),
        }
    }
}

/// The first slot a walk-in (or a citizen moving an appointment) can still take at
/// `now_min`: it has not ended and its machines can serve one more than its places held.
/// `held` is the places held in each slot, in the slots' order.
pub fn next_free_slot(slots: &[Slot], held: &[u32], now_min: u32) -> Option<u32> {
    slots
        .iter()
        .zip(held)
        .find(|(slot, held)| slot.window.end_min > now_min && **held < slot.places(Taker::WalkIn))
        .map(|(slot, _)| slot.number)
}

/// Whether someone booked into a slot ending at `slot_end_min` and not yet come is a
/// no-show at `now_min`.
pub fn is_no_show(slot_end_min: u32, now_min: u32) -> bool {
    now_min >= slot_end_min + NO_SHOW_GRACE_MIN
}

/// A person waiting in the session's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    pub queue_number: u32,
    pub slot: u32,
    /// When they checked in, in any unit (only the order counts).
    pub arrived_at: i64,
}

/// The order in which checked-in people are called: the earlier slot first (an early
/// arrival does not jump those booked before them), then arrival, then queue number.
pub fn call_order(waiting: &mut [Waiting]) {
    waiting.sort_by_key(|w| (w.slot, w.arrived_at, w.queue_number));
}

/// Minutes the person at `position` (0 = next) can expect to wait with `machines`
/// machines taking `service_min` each, all of them busy.
pub fn expected_wait_min(position: usize, machines: u32, service_min: u32) -> u32 {
    let position = u32::try_from(position).unwrap_or(u32::MAX);
    position
        .saturating_mul(service_min)
        .div_ceil(machines.max(1))
}

/// One appointment as the end-of-day figures see it; times in minutes after midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attendance {
    pub origin: AppointmentOrigin,
    pub state: AppointmentState,
    pub slot_start_min: u32,
    pub arrived_min: Option<u32>,
    /// When a machine took the person (the call, or the filing when no call was made).
    pub served_min: Option<u32>,
}

/// The session's figures at the end of the day.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionFigures {
    pub appointments: u32,
    pub served: u32,
    pub no_shows: u32,
    pub walk_ins: u32,
    pub still_waiting: u32,
    /// Busy machine minutes ÷ available machine minutes.
    pub machine_utilisation: f64,
    pub idle_machine_min: u32,
    pub wait_p50_min: f64,
    pub wait_p95_min: f64,
}

/// Figures of a session: served × minutes per application against the machines' time,
/// and each served person's wait from their arrival (or their slot, if they came early)
/// until a machine took them.
pub fn session_figures(
    window: Window,
    machine_minutes: &[u32],
    attendance: &[Attendance],
) -> SessionFigures {
    let count = |f: &dyn Fn(&Attendance) -> bool| {
        u32::try_from(attendance.iter().filter(|a| f(a)).count()).unwrap_or(u32::MAX)
    };
    let served = count(&|a| a.state == AppointmentState::Served);
    let available: u64 = u64::from(window.minutes()) * machine_minutes.len() as u64;
    // The team's minutes per application: its window over what it can serve in it.
    let per_application = if machine_minutes.is_empty() {
        0.0
    } else {
        machine_minutes.iter().map(|&m| f64::from(m)).sum::<f64>() / machine_minutes.len() as f64
    };
    let busy = (f64::from(served) * per_application).min(available as f64);
    let mut waits: Vec<f64> = attendance
        .iter()
        .filter(|a| a.state == AppointmentState::Served)
        .filter_map(|a| {
            let from = a.arrived_min?.max(a.slot_start_min);
            Some(f64::from(a.served_min?.saturating_sub(from)))
        })
        .collect();
    waits.sort_by(f64::total_cmp);
    SessionFigures {
        appointments: count(&|a| a.state != AppointmentState::Cancelled),
        served,
        no_shows: count(&|a| a.state == AppointmentState::NoShow),
        walk_ins: count(&|a| a.origin == AppointmentOrigin::WalkIn),
        still_waiting: count(&|a| {
            matches!(
                a.state,
                AppointmentState::CheckedIn | AppointmentState::Called
            )
        }),
        machine_utilisation: if available == 0 {
            0.0
        } else {
            busy / available as f64
        },
        idle_machine_min: crate::planner::whole((available as f64 - busy).round()),
        wait_p50_min: percentile(&waits, 50),
        wait_p95_min: percentile(&waits, 95),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn capacity_adds_machines_exactly() {
        assert_eq!(capacity(30, &[15, 15, 15, 15]), 8);
        assert_eq!(capacity(30, &[20, 20]), 3);
        assert_eq!(capacity(30, &[18, 18, 18]), 5);
        assert_eq!(capacity(10, &[15]), 0);
        assert_eq!(capacity(30, &[]), 0);
    }

    #[test]
    fn a_seven_to_eleven_pm_day_in_half_hours() {
        let window =
            Window::new(parse_clock("7:00").unwrap(), parse_clock("23:00").unwrap()).unwrap();
        let slots = layout(window, 30, &[10, 10, 15], None).unwrap();
        assert_eq!(slots.len(), 32);
        assert_eq!(slots[0].capacity, 8);
        assert_eq!(slots[0].limit, 8);
        assert_eq!(clock(slots[31].window.start_min), "22:30");
        // A window that does not divide evenly ends on a shorter slot.
        let slots = layout(Window::new(420, 500).unwrap(), 30, &[15], None).unwrap();
        assert_eq!(
            slots
                .iter()
                .map(|s| (s.window.minutes(), s.capacity))
                .collect::<Vec<_>>(),
            vec![(30, 2), (30, 2), (20, 1)]
        );
        assert_eq!(
            layout(window, 2, &[15], None),
            Err(ScheduleError::SlotLength(2))
        );
        assert_eq!(
            layout(window, 30, &[], None),
            Err(ScheduleError::NoMachines)
        );
        assert_eq!(
            layout(window, 30, &[0], None),
            Err(ScheduleError::MachineMinutes(0))
        );
    }

    #[test]
    fn clocks_read_the_ways_officers_write_them() {
        assert_eq!(parse_clock("07:00"), Some(420));
        assert_eq!(parse_clock("7h30"), Some(450));
        assert_eq!(parse_clock("23"), Some(1380));
        assert_eq!(parse_clock("24:00"), Some(1440));
        for bad in ["", "24:01", "7:60", "-1", "7:5:0", "abc", "007:00"] {
            assert_eq!(parse_clock(bad), None, "{bad}");
        }
    }

    fn household(name: &str, size: usize) -> HouseholdDemand<String> {
        HouseholdDemand {
            household: name.into(),
            members: (0..size).map(|i| format!("{name}-{i}")).collect(),
        }
    }

    fn rooms(sessions: &[&[u32]]) -> Vec<Room> {
        let mut out = Vec::new();
        for (session, slots) in sessions.iter().enumerate() {
            for (i, &free) in slots.iter().enumerate() {
                out.push(Room {
                    session,
                    slot: u32::try_from(i + 1).unwrap(),
                    free,
                });
            }
        }
        out
    }

    #[test]
    fn a_household_that_does_not_fit_waits_and_a_smaller_one_takes_the_gap() {
        let (placed, left) = assign_households(
            &[household("A", 3), household("B", 3), household("C", 1)],
            &rooms(&[&[2, 2], &[2, 2]]),
        );
        let at: Vec<(String, usize, u32)> = placed
            .iter()
            .map(|p| (p.member.clone(), p.session, p.slot))
            .collect();
        assert_eq!(
            at,
            [
                ("A-0", 0, 1),
                ("A-1", 0, 1),
                ("A-2", 0, 2),
                ("C-0", 0, 2),
                ("B-0", 1, 1),
                ("B-1", 1, 1),
                ("B-2", 1, 2),
            ]
            .map(|(m, s, k)| (m.to_owned(), s, k))
        );
        assert!(left.is_empty());
    }

    #[test]
    fn a_household_larger_than_a_session_starts_a_fresh_one_and_goes_on() {
        let (placed, left) = assign_households(
            &[household("A", 1), household("B", 5)],
            &rooms(&[&[1, 1], &[2, 2], &[4]]),
        );
        let b: Vec<usize> = placed
            .iter()
            .filter(|p| p.household == "B")
            .map(|p| p.session)
            .collect();
        assert_eq!(b, [1, 1, 1, 1, 2]);
        assert!(left.is_empty());
        let (_, left) = assign_households(&[household("A", 3)], &rooms(&[&[1]]));
        assert_eq!(
            left,
            vec![HouseholdDemand {
                household: "A".into(),
                members: vec!["A-1".into(), "A-2".into()]
            }]
        );
    }

    proptest! {
        #[test]
        fn invitations_never_overfill_and_keep_households_together(
            sizes in proptest::collection::vec(1_usize..7, 0..40),
            sessions in proptest::collection::vec(proptest::collection::vec(0_u32..6, 1..6), 0..6),
        ) {
            let households: Vec<_> = sizes
                .iter()
                .enumerate()
                .map(|(i, &n)| household(&format!("H{i}"), n))
                .collect();
            let slices: Vec<&[u32]> = sessions.iter().map(Vec::as_slice).collect();
            let rooms = rooms(&slices);
            let (placed, left) = assign_households(&households, &rooms);
            let mut used: BTreeMap<(usize, u32), u32> = BTreeMap::new();
            for p in &placed {
                *used.entry((p.session, p.slot)).or_default() += 1;
            }
            for room in &rooms {
                prop_assert!(used.get(&(room.session, room.slot)).copied().unwrap_or(0) <= room.free);
            }
            // Everyone is placed once or left over, never both, never twice.
            let total: usize = sizes.iter().sum();
            let left_members: usize = left.iter().map(|h| h.members.len()).sum();
            prop_assert_eq!(placed.len() + left_members, total);
            let mut seen = std::collections::BTreeSet::new();
            for p in &placed {
                prop_assert!(seen.insert(p.member.clone()));
            }
            let largest_session = sessions.iter().map(|s| s.iter().sum::<u32>()).max().unwrap_or(0);
            for h in &households {
                let mine: Vec<&Placement<String>> = placed.iter().filter(|p| p.household == h.household).collect();
                if mine.is_empty() || h.members.len() > largest_session as usize {
                    continue;
                }
                // One session, and slots that leave no gap a neighbour could have used.
                prop_assert!(mine.iter().all(|p| p.session == mine[0].session));
                let first = mine.iter().map(|p| p.slot).min().unwrap();
                let last = mine.iter().map(|p| p.slot).max().unwrap();
                // Every slot between its first and last is wholly the household's.
                for r in rooms.iter().filter(|r| r.session == mine[0].session && r.slot > first && r.slot < last) {
                    let own = mine.iter().filter(|p| p.slot == r.slot).count();
                    prop_assert_eq!(own, r.free as usize);
                }
                prop_assert!(!left.iter().any(|l| l.household == h.household));
            }
        }

        #[test]
        fn clock_round_trips(minutes in 0_u32..=1440) {
            prop_assert_eq!(parse_clock(&clock(minutes)), Some(minutes));
        }

        #[test]
        fn clock_parsing_never_panics(text in "\\PC{0,8}") {
            let _ = parse_clock(&text);
        }
    }

    #[test]
    fn walk_ins_take_the_next_slot_that_has_room_and_has_not_ended() {
        let slots = layout(Window::new(420, 540).unwrap(), 30, &[15], None).unwrap();
        assert_eq!(next_free_slot(&slots, &[2, 1, 0, 0], 400), Some(2));
        assert_eq!(next_free_slot(&slots, &[2, 1, 0, 0], 480), Some(3));
        assert_eq!(next_free_slot(&slots, &[2, 2, 2, 2], 420), None);
        assert_eq!(next_free_slot(&slots, &[0, 0, 0, 0], 540), None);
        assert!(!is_no_show(450, 479));
        assert!(is_no_show(450, 480));
    }

    /// A plan invites fewer than the machines serve (its limit); the rest of their time
    /// is for walk-ins: a slot whose invitations are all in still takes one, until the
    /// machines are full.
    #[test]
    fn a_fully_invited_slot_takes_walk_ins_until_its_machines_are_full() {
        let slots = layout(Window::new(420, 480).unwrap(), 30, &[15], Some(&[1, 1])).unwrap();
        assert_eq!(
            slots
                .iter()
                .map(|s| (s.limit, s.capacity))
                .collect::<Vec<_>>(),
            [(1, 2), (1, 2)]
        );
        assert_eq!(slots[0].places(Taker::Appointment), 1);
        assert_eq!(slots[0].places(Taker::WalkIn), 2);
        assert_eq!(next_free_slot(&slots, &[1, 1], 420), Some(1));
        assert_eq!(next_free_slot(&slots, &[2, 1], 420), Some(2));
        assert_eq!(next_free_slot(&slots, &[2, 2], 420), None);
    }

    #[test]
    fn the_queue_calls_earlier_slots_first_then_arrival() {
        let mut queue = vec![
            Waiting {
                queue_number: 9,
                slot: 2,
                arrived_at: 400,
            },
            Waiting {
                queue_number: 3,
                slot: 1,
                arrived_at: 430,
            },
            Waiting {
                queue_number: 1,
                slot: 1,
                arrived_at: 431,
            },
        ];
        call_order(&mut queue);
        assert_eq!(
            queue.iter().map(|w| w.queue_number).collect::<Vec<_>>(),
            [3, 1, 9]
        );
        assert_eq!(expected_wait_min(0, 4, 15), 0);
        assert_eq!(expected_wait_min(5, 4, 15), 19);
        assert_eq!(expected_wait_min(5, 0, 15), 75);
    }

    #[test]
    fn end_of_day_figures() {
        let served = |slot, arrived, at| Attendance {
            origin: AppointmentOrigin::Invited,
            state: AppointmentState::Served,
            slot_start_min: slot,
            arrived_min: Some(arrived),
            served_min: Some(at),
        };
        let mut day = vec![
            served(420, 410, 425), // early: waits from the slot, 5
            served(420, 430, 430), // 0
            served(450, 455, 475), // 20
            Attendance {
                origin: AppointmentOrigin::WalkIn,
                ..served(480, 490, 500) // 10
            },
        ];
        day.push(Attendance {
            state: AppointmentState::NoShow,
            arrived_min: None,
            served_min: None,
            ..served(480, 0, 0)
        });
        let figures = session_figures(Window::new(420, 540).unwrap(), &[15, 15], &day);
        assert_eq!(figures.served, 4);
        assert_eq!(figures.no_shows, 1);
        assert_eq!(figures.walk_ins, 1);
        assert_eq!(figures.appointments, 5);
        // 4 × 15 busy of 2 × 120.
        assert!((figures.machine_utilisation - 0.25).abs() < 1e-9);
        assert_eq!(figures.idle_machine_min, 180);
        assert!((figures.wait_p50_min - 5.0).abs() < 1e-9);
        assert!((figures.wait_p95_min - 20.0).abs() < 1e-9);
    }

    #[test]
    fn states_round_trip() {
        for s in AppointmentState::ALL {
            assert_eq!(AppointmentState::parse(s.as_str()), Some(s));
        }
        for o in AppointmentOrigin::ALL {
            assert_eq!(AppointmentOrigin::parse(o.as_str()), Some(o));
        }
    }
}
