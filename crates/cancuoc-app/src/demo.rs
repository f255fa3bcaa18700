//! The demo at work (`serve --demo`): after the synthetic population, a month of a
//! campaign replayed day by day through the same use cases an officer calls, so that the
//! dashboard, the queues and the forecasts have figures. Each day the district police
//! take applications (portrait and prints), verify yesterday's, the province approves,
//! the production centre makes and sends cards, and the stations receive and hand them
//! over; a few files are sent back for correction, refused or withdrawn. Today ends with
//! an enrollment session whose households are invited and whose queue has begun.
//!
//! Past days run on a [`ReplayClock`] set to each day in turn, so that every record and
//! audit event carries the day it stands for.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use cancuoc_domain::application::{Action, ApplicationState};
use cancuoc_domain::biometrics::{
    Capture, FingerCapture, FingerPosition, FlatPosition, Image, ImageRole,
};
use cancuoc_domain::{AdminCode, PoliceUnitCode, Role};
use cancuoc_store::CitizenColumns;
use jiff::civil::Date;
use uuid::Uuid;

use crate::{App, AppError, Arrival, Caller, Clock, DemoObserver, Intake, StepRequest};

/// Someone of the demo population who may apply for a card.
#[derive(Debug, Clone)]
pub struct DemoApplicant {
    pub personal_id: String,
    pub district: String,
    pub commune: String,
    pub holds_old_card: bool,
}

/// Collects, while the population loads, the living people a demo may file for; passes
/// the load's progress on to `inner`.
pub struct DemoApplicants<'a> {
    pub people: Vec<DemoApplicant>,
    pub inner: &'a mut dyn DemoObserver,
}

impl DemoObserver for DemoApplicants<'_> {
    fn person(&mut self, record: &CitizenColumns) {
        self.inner.person(record);
        let alive = serde_json::from_str::<serde_json::Value>(&record.data_json)
            .ok()
            .is_some_and(|d| d.get("died_on").is_none_or(serde_json::Value::is_null));
        if let (true, Some(district), Some(commune)) = (
            alive,
            record.home_district.clone(),
            record.home_commune.clone(),
        ) {
            self.people.push(DemoApplicant {
                personal_id: record.personal_id.clone(),
                district,
                commune,
                holds_old_card: record.old_id_number.is_some(),
            });
        }
    }
    fn loaded(&mut self, people: u64) {
        self.inner.loaded(people);
    }
}

/// An account the demo made, with its one-time password, to try each role.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub username: String,
    pub role: Role,
    pub unit: PoliceUnitCode,
    pub password: String,
}

/// What the month left behind.
#[derive(Debug, Clone, Default)]
pub struct DemoActivity {
    pub applications: usize,
    /// How many applications stand in each state at the end, in the states' order.
    pub by_state: Vec<(ApplicationState, usize)>,
    pub accounts: Vec<DemoAccount>,
    /// Today's enrollment session, its households invited and its queue begun.
    pub session: Option<Uuid>,
    /// The production line key the demo registered (its private scalar, hexadecimal),
    /// for the line to open the personalisation packages; `None` when one was there.
    pub line_key: Option<String>,
}

/// A clock the demo sets to each day it replays; every reading moves it on two seconds,
/// so that events of one day keep their order.
#[derive(Debug, Default)]
pub struct ReplayClock {
    micros: AtomicI64,
}

/// Vietnam is UTC+7 all year.
const VIETNAM_OFFSET_MICROS: i64 = 7 * 3_600 * 1_000_000;
const TICK_MICROS: i64 = 2_000_000;

impl ReplayClock {
    /// Sets the clock to `date` at 07:30 in Vietnam, when the stations open.
    pub fn open_on(&self, date: Date) {
        let days = i64::from((date - jiff::civil::date(1970, 1, 1)).get_days());
        let midnight = days * 86_400 * 1_000_000;
        let opening = midnight + (7 * 60 + 30) * 60 * 1_000_000 - VIETNAM_OFFSET_MICROS;
        self.micros.store(opening, Ordering::SeqCst);
    }
}

impl Clock for ReplayClock {
    fn now_micros(&self) -> i64 {
        self.micros.fetch_add(TICK_MICROS, Ordering::SeqCst)
    }
    fn today(&self) -> Date {
        jiff::Timestamp::from_microsecond(self.micros.load(Ordering::SeqCst)).map_or(
            Date::ZERO,
            |t| {
                t.to_zoned_datetime(jiff::tz::Offset::constant(7).to_time_zone())
                    .date()
            },
        )
    }
}

/// An application the demo follows, and what becomes of it.
struct Followed {
    key: Uuid,
    district: PoliceUnitCode,
    state: ApplicationState,
    /// The day of its last step: one step a day at most, as offices work.
    moved: Date,
    fate: Fate,
    /// Days a produced card waits at the station before its owner fetches it.
    pickup_after: i32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Card,
    /// Sent back once (a glared portrait), resubmitted, then a card.
    Corrected,
    Rejected,
    Withdrawn,
}

/// The officers of the demo's province: one per district police, the province's PC06,
/// the production centre.
struct Desks {
    districts: BTreeMap<String, Caller>,
    province: Caller,
    production: Caller,
}

/// Vietnamese names for the demo's officers, given in turn.
const OFFICER_NAMES: [&str; 8] = [
    "Nguyễn Văn Hải",
    "Trần Thị Lan",
    "Lê Minh Tuấn",
    "Phạm Thị Hương",
    "Hoàng Văn Nam",
    "Võ Thị Mai",
    "Đặng Quốc Bảo",
    "Bùi Thị Thu",
];

impl App {
    /// This application with another clock (the demo's replay), sharing everything else.
    pub fn with_clock(&self, clock: Arc<dyn Clock>) -> App {
        let mut app = self.clone();
        app.clock = clock;
        app
    }

    /// Replays `days` days of a campaign in `province` ending today, then opens today's
    /// session at the first district's first commune. `people` come from the demo load.
    pub async fn demo_activity(
        &self,
        province: &str,
        people: &[DemoApplicant],
        days: i64,
    ) -> Result<DemoActivity, AppError> {
        let today = self.clock.today();
        let replay = Arc::new(ReplayClock::default());
        let past = self.with_clock(replay.clone());
        let start = today
            .checked_sub(jiff::Span::new().days(days))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        replay.open_on(start);
        let mut activity = DemoActivity::default();
        // The chip's PKI from the first day replayed, so that its Document Signer signs
        // every card of the month, and a production line to seal the packages to.
        let operator = Caller::Operator {
            name: "demo".into(),
        };
        let status = past.pki_status().await?;
        if status.csca().is_none() {
            past.pki_init(&operator).await?;
        }
        if status.line_keys.is_empty() {
            let line = past.new_line_key()?;
            past.add_line_key(&operator, &line.public_key_info())
                .await?;
            activity.line_key = Some(hex::encode(&*line.secret()));
        }
        let desks = past.demo_desks(province, &mut activity.accounts).await?;
        // Each district files for its own residents, in the order they were generated.
        let mut by_district: BTreeMap<String, Vec<DemoApplicant>> = BTreeMap::new();
        for person in people {
            by_district
                .entry(person.district.clone())
                .or_default()
                .push(person.clone());
        }
        let mut waiting: BTreeMap<String, std::vec::IntoIter<DemoApplicant>> = by_district
            .into_iter()
            .map(|(district, list)| (district, list.into_iter()))
            .collect();
        let capture = demo_capture()?;
        let mut followed: Vec<Followed> = Vec::new();
        let mut batches: Vec<Uuid> = Vec::new();
        for offset in 0..=days {
            let day = start
                .checked_add(jiff::Span::new().days(offset))
                .map_err(|e| AppError::Internal(e.to_string()))?;
            // Today runs on the real clock: nothing the demo does lies in the future.
            let app = if day == today {
                self
            } else {
                replay.open_on(day);
                &past
            };
            // The production centre's day begins with what the province approved before.
            app.demo_production(&desks, &mut followed, &mut batches, province, day)
                .await?;
            app.demo_steps(&desks, &mut followed, day).await?;
            app.demo_filings(&desks, &mut waiting, &mut followed, &capture, day)
                .await?;
        }
        activity.applications = followed.len();
        activity.by_state = ApplicationState::ALL
            .into_iter()
            .map(|state| (state, followed.iter().filter(|f| f.state == state).count()))
            .filter(|(_, n)| *n > 0)
            .collect();
        activity.session = self.demo_session(&desks, &mut waiting).await?;
        Ok(activity)
    }

    /// The demo's officer accounts, each with a one-time password.
    async fn demo_desks(
        &self,
        province: &str,
        accounts: &mut Vec<DemoAccount>,
    ) -> Result<Desks, AppError> {
        let admin = Caller::Operator {
            name: "demo".into(),
        };
        let places = self.places();
        let province_code =
            AdminCode::parse(province).map_err(|e| AppError::Invalid(e.to_string()))?;
        let head = PoliceUnitCode::Province(province_code.clone());
        let mut units = vec![
            (
                format!("pc06.{province}"),
                PoliceUnitCode::Pc06(province_code),
                Role::ProvinceOfficer,
            ),
            (
                "ttsx.c06".to_owned(),
                PoliceUnitCode::ProductionCentre,
                Role::ProductionOperator,
            ),
        ];
        for unit in places.police_children(&head) {
            if let PoliceUnitCode::District(code) = unit {
                units.push((
                    format!("cah.{}", code.as_str()),
                    unit.clone(),
                    Role::DistrictOfficer,
                ));
            }
        }
        let mut districts = BTreeMap::new();
        let mut callers = Vec::new();
        for (n, (username, unit, role)) in units.into_iter().enumerate() {
            let name = OFFICER_NAMES.get(n % OFFICER_NAMES.len()).unwrap_or(&"");
            let password = self
                .add_officer(&admin, &username, name, &unit, role, None)
                .await?;
            let caller = Caller::Officer(cancuoc_domain::Officer {
                username: username.clone(),
                full_name: (*name).to_owned(),
                unit: unit.clone(),
                role,
                active: true,
            });
            if let PoliceUnitCode::District(code) = &unit {
                districts.insert(code.as_str().to_owned(), caller.clone());
            }
            callers.push(caller);
            accounts.push(DemoAccount {
                username,
                role,
                unit,
                password,
            });
        }
        let mut callers = callers.into_iter();
        let (Some(province), Some(production)) = (callers.next(), callers.next()) else {
            return Err(AppError::Internal("the demo's desks".into()));
        };
        Ok(Desks {
            districts,
            province,
            production,
        })
    }

    /// The day's steps on files filed before: verify, send back, refuse, withdraw,
    /// resubmit, approve, receive at the station, hand over.
    async fn demo_steps(
        &self,
        desks: &Desks,
        followed: &mut [Followed],
        day: Date,
    ) -> Result<(), AppError> {
        use ApplicationState as S;
        for f in followed.iter_mut() {
            let waited = (day - f.moved).get_days();
            if waited < 1 {
                continue;
            }
            let district = match &f.district {
                PoliceUnitCode::District(code) => desks.districts.get(code.as_str()),
                _ => None,
            };
            let Some(district) = district else { continue };
            let (caller, action, reason) = match (f.state, f.fate) {
                (S::Received, Fate::Corrected) => (
                    district,
                    Action::RequestCorrection,
                    Some("Ảnh chân dung bị lóa sáng, đề nghị chụp lại"),
                ),
                (S::Received, Fate::Rejected) => (
                    district,
                    Action::Reject,
                    Some("Thông tin nhân thân không khớp với Cơ sở dữ liệu quốc gia về dân cư"),
                ),
                (S::Received, Fate::Withdrawn) => (
                    district,
                    Action::Cancel,
                    Some("Công dân xin rút hồ sơ để làm thủ tục tại nơi tạm trú"),
                ),
                (S::Received, Fate::Card) => (district, Action::Verify, None),
                (S::NeedsCorrection, _) => {
                    f.fate = Fate::Card;
                    (
                        district,
                        Action::Resubmit,
                        Some("Đã chụp lại ảnh chân dung"),
                    )
                }
                (S::Verified, _) => (&desks.province, Action::Approve, None),
                (S::Dispatched, _) if waited >= 2 => (district, Action::Receive, None),
                (S::ReadyForPickup, _) if waited >= f.pickup_after => {
                    (district, Action::HandOver, None)
                }
                _ => continue,
            };
            let request = StepRequest {
                action: action.as_str().to_owned(),
                reason: reason.map(str::to_owned),
                expected_version: None,
                old_card_returned: None,
            };
            let record = self.transition(caller, f.key, &request).await?;
            f.state = record.state;
            f.moved = day;
        }
        Ok(())
    }

    /// The production centre's day: yesterday's produced cards dispatched, the batch in
    /// production printed, and the approved files of the province put into a new batch.
    async fn demo_production(
        &self,
        desks: &Desks,
        followed: &mut [Followed],
        batches: &mut Vec<Uuid>,
        province: &str,
        day: Date,
    ) -> Result<(), AppError> {
        let mut moved: BTreeMap<Uuid, ApplicationState> = BTreeMap::new();
        for &batch in batches.iter() {
            for (action, to) in [
                (Action::Dispatch, ApplicationState::Dispatched),
                (Action::Produce, ApplicationState::Produced),
            ] {
                let outcome = self.advance_batch(&desks.production, batch, action).await?;
                for key in outcome.done {
                    moved.entry(key).or_insert(to);
                }
            }
        }
        if followed
            .iter()
            .any(|f| f.state == ApplicationState::Approved)
        {
            let outcome = self
                .start_batch(&desks.production, province, usize::MAX)
                .await?;
            if !batches.contains(&outcome.batch.id) {
                batches.push(outcome.batch.id);
            }
            for key in outcome.done {
                moved.insert(key, ApplicationState::InProduction);
            }
        }
        for f in followed.iter_mut() {
            if let Some(&state) = moved.get(&f.key) {
                f.state = state;
                f.moved = day;
            }
        }
        Ok(())
    }

    /// The day's intake: a few residents at each district police, on Sundays fewer.
    async fn demo_filings(
        &self,
        desks: &Desks,
        waiting: &mut BTreeMap<String, std::vec::IntoIter<DemoApplicant>>,
        followed: &mut Vec<Followed>,
        capture: &Capture,
        day: Date,
    ) -> Result<(), AppError> {
        let sunday = day.weekday() == jiff::civil::Weekday::Sunday;
        let day_number = i64::from(day.day()) + i64::from(day.month()) * 31;
        for (n, (district, caller)) in desks.districts.iter().enumerate() {
            let Some(people) = waiting.get_mut(district) else {
                continue;
            };
            let seed = day_number + i64::try_from(n).unwrap_or(0) * 7;
            let count = if sunday { 1 } else { 2 + seed.rem_euclid(3) };
            let mut filed = 0;
            while filed < count {
                let Some(person) = people.next() else { break };
                let intake = Intake {
                    personal_id: person.personal_id.clone(),
                    kind: if person.holds_old_card {
                        "cmnd_switch"
                    } else {
                        "first_issuance"
                    }
                    .to_owned(),
                    reason: None,
                    // Mobile teams go out to the communes on even days.
                    channel: if seed % 2 == 0 { "mobile" } else { "fixed" }.to_owned(),
                    intake_unit: None,
                    intake_date: None,
                    station: None,
                    identifying_marks: None,
                    exemption: None,
                    old_card_returned: person.holds_old_card,
                    idempotency_key: None,
                    capture: Some(capture.clone()),
                    receipt: None,
                };
                match self.file_application(caller, &intake).await {
                    Ok(filed_now) => {
                        let index = followed.len();
                        followed.push(Followed {
                            key: filed_now.application.key,
                            district: PoliceUnitCode::District(
                                AdminCode::parse(district)
                                    .map_err(|e| AppError::Internal(e.to_string()))?,
                            ),
                            state: filed_now.application.state,
                            moved: day,
                            fate: match index % 40 {
                                7 | 23 => Fate::Corrected,
                                13 => Fate::Rejected,
                                31 => Fate::Withdrawn,
                                _ => Fate::Card,
                            },
                            pickup_after: 1 + i32::try_from(index % 5).unwrap_or(0),
                        });
                        filed += 1;
                    }
                    // A child under 14, someone whose card is not due: the desk moves on.
                    Err(
                        AppError::TypeNotAllowed(_)
                        | AppError::Invalid(_)
                        | AppError::InvalidState(_)
                        | AppError::Conflict(_),
                    ) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// Today's session at the first district's first commune with people left to come:
    /// households invited, the first three checked in and the first called.
    async fn demo_session(
        &self,
        desks: &Desks,
        waiting: &mut BTreeMap<String, std::vec::IntoIter<DemoApplicant>>,
    ) -> Result<Option<Uuid>, AppError> {
        let Some((district, caller)) = desks.districts.iter().next() else {
            return Ok(None);
        };
        let Some(commune) = waiting
            .get(district)
            .and_then(|rest| rest.as_slice().first())
            .map(|p| p.commune.clone())
        else {
            return Ok(None);
        };
        let places = self.places();
        let name = places.unit_name(&commune);
        let site = self
            .create_site(
                caller,
                &crate::SiteRequest {
                    unit: format!("CAH-{district}"),
                    name: format!("Điểm thu nhận {name}"),
                    kind: "mobile".into(),
                    commune: commune.clone(),
                    address: format!("Nhà văn hóa {name}"),
                    opens: "07:00".into(),
                    closes: "21:00".into(),
                },
            )
            .await?;
        let session = self
            .create_session(
                caller,
                &crate::SessionRequest {
                    site: site.id,
                    date: self.clock.today().to_string(),
                    from: "07:00".into(),
                    to: "21:00".into(),
                    slot_min: 30,
                    machines: Vec::new(),
                    officers: Vec::new(),
                },
            )
            .await?;
        self.invite_for_session(caller, session.id).await?;
        for number in 1..=3 {
            // A queue number the invitations did not reach is simply not there.
            match self
                .check_in(caller, session.id, &Arrival::QueueNumber(number))
                .await
            {
                Ok(_) | Err(AppError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        match self.call_next(caller, session.id).await {
            Ok(_) | Err(AppError::NotFound(_) | AppError::InvalidState(_)) => {}
            Err(e) => return Err(e),
        }
        Ok(Some(session.id))
    }
}

/// The biometrics every demo application carries: a drawn portrait (a face on a light
/// background, JPEG as the chip takes it) and ridge patterns for the prints (PNG), real
/// images the console shows.
fn demo_capture() -> Result<Capture, AppError> {
    let image = |bytes: Vec<u8>, role: ImageRole| {
        Image::parse(bytes, role).map_err(|e| AppError::Internal(format!("demo image: {e}")))
    };
    let portrait = image(portrait_jpeg(), ImageRole::Portrait)?;
    let print = rolled_png();
    let mut rolled = Vec::with_capacity(10);
    for finger in FingerPosition::ALL {
        rolled.push(FingerCapture::Rolled(image(
            print.clone(),
            ImageRole::Rolled(finger),
        )?));
    }
    let slap = flat_png();
    let mut flats = Vec::with_capacity(3);
    for flat in FlatPosition::ALL {
        flats.push(Some(image(slap.clone(), ImageRole::Flat(flat))?));
    }
    let (Ok(rolled), Ok(flats)) = (rolled.try_into(), flats.try_into()) else {
        return Err(AppError::Internal("demo capture".into()));
    };
    Capture::new(portrait, rolled, flats)
        .map_err(|e| AppError::Internal(format!("demo capture: {e}")))
}

/// A 300 × 400 portrait: a face with eyes and mouth, and shoulders, in grey on a pale
/// background; a sparse grain keeps it above the smallest file a real photo makes.
fn portrait_jpeg() -> Vec<u8> {
    gray_jpeg(300, 400, |x, y| {
        let (fx, fy) = (f64::from(x), f64::from(y));
        let inside = |cx: f64, cy: f64, rx: f64, ry: f64| {
            ((fx - cx) / rx).powi(2) + ((fy - cy) / ry).powi(2)
        };
        let face = inside(150.0, 165.0, 66.0, 86.0);
        let base = if inside(122.0, 150.0, 10.0, 5.0) <= 1.0
            || inside(178.0, 150.0, 10.0, 5.0) <= 1.0
            || inside(150.0, 210.0, 20.0, 4.0) <= 1.0
        {
            60.0
        } else if inside(150.0, 100.0, 72.0, 40.0) <= 1.0 && fy < 115.0 {
            40.0 // hair
        } else if face <= 1.0 {
            210.0 - 45.0 * face
        } else if inside(150.0, 430.0, 145.0, 170.0) <= 1.0 {
            75.0
        } else {
            236.0 - fy / 40.0
        };
        let speck = if (x * 7 + y * 13) % 29 == 0 {
            grain(x, y, 8)
        } else {
            0.0
        };
        shade(base + speck)
    })
}

/// A 256 × 256 rolled print: whorl ridges in an oval.
fn rolled_png() -> Vec<u8> {
    gray_png(256, 256, |x, y| {
        ridges(f64::from(x) - 128.0, f64::from(y) - 128.0, 100.0, 120.0)
    })
}

/// A 600 × 400 slap of four fingers side by side.
fn flat_png() -> Vec<u8> {
    gray_png(600, 400, |x, y| {
        let finger = (f64::from(x) / 150.0).floor();
        let cx = finger * 150.0 + 75.0;
        ridges(f64::from(x) - cx, f64::from(y) - 210.0, 60.0, 150.0)
    })
}

/// Dark ridges and pale valleys, as a scanner at 500 ppi binarises them.
fn ridges(dx: f64, dy: f64, rx: f64, ry: f64) -> u8 {
    if (dx / rx).powi(2) + (dy / ry).powi(2) > 1.0 {
        return 250;
    }
    let r = (dx * dx + dy * dy * 0.8).sqrt() + 6.0 * (dy.atan2(dx) * 3.0).sin();
    if (r / 3.4).sin() > 0.0 { 70 } else { 230 }
}

fn grain(x: u32, y: u32, amplitude: i32) -> f64 {
    let h = x.wrapping_mul(374_761_393) ^ y.wrapping_mul(668_265_263);
    let h = (h ^ (h >> 13)).wrapping_mul(1_274_126_177);
    f64::from(i32::try_from(h % 1000).unwrap_or(0) * amplitude / 500 - amplitude)
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "clamped to a byte first"
)]
fn shade(value: f64) -> u8 {
    value.clamp(0.0, 255.0) as u8
}

/// An 8-bit greyscale JPEG at quality 90.
fn gray_jpeg(width: u16, height: u16, pixel: impl Fn(u32, u32) -> u8) -> Vec<u8> {
    let mut pixels = Vec::with_capacity(usize::from(width) * usize::from(height));
    for y in 0..u32::from(height) {
        pixels.extend((0..u32::from(width)).map(|x| pixel(x, y)));
    }
    let mut out = Vec::new();
    // Encoding into memory fails only on sizes the encoder does not take; these fit.
    let _ = jpeg_encoder::Encoder::new(&mut out, 90).encode(
        &pixels,
        width,
        height,
        jpeg_encoder::ColorType::Luma,
    );
    out
}

/// An 8-bit greyscale PNG, compressed by zlib.
fn gray_png(width: u32, height: u32, pixel: impl Fn(u32, u32) -> u8) -> Vec<u8> {
    let mut raw = Vec::with_capacity(((width + 1) * height) as usize);
    for y in 0..height {
        raw.push(0); // no filter
        raw.extend((0..width).map(|x| pixel(x, y)));
    }
    let mut deflate = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to memory cannot fail.
    let _ = deflate.write_all(&raw);
    let data = deflate.finish().unwrap_or_default();
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 0, 0, 0, 0]);
    for (kind, body) in [(b"IHDR", &header), (b"IDAT", &data), (b"IEND", &Vec::new())] {
        png.extend_from_slice(&u32::try_from(body.len()).unwrap_or(0).to_be_bytes());
        let mut crc = Vec::with_capacity(4 + body.len());
        crc.extend_from_slice(kind);
        crc.extend_from_slice(body);
        png.extend_from_slice(&crc);
        png.extend_from_slice(&crc32(&crc).to_be_bytes());
    }
    png
}

/// CRC-32 (ISO 3309) as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests report a failure by panicking")]
mod tests {
    use super::*;

    #[test]
    fn the_demo_pictures_pass_intake_checks() {
        let capture = demo_capture().unwrap();
        assert_eq!(capture.portrait().width(), 300);
        let sizes: Vec<usize> = capture.images().map(|i| i.bytes().len()).collect();
        // A month of demo applications must not fill a disk: under 60 KB a set.
        assert!(sizes.iter().sum::<usize>() < 60_000, "{sizes:?}");
    }

    #[test]
    fn the_replay_clock_tells_the_day_it_was_set_to() {
        let clock = ReplayClock::default();
        let day = jiff::civil::date(2021, 3, 20);
        clock.open_on(day);
        assert_eq!(clock.today(), day);
        let first = clock.now_micros();
        assert!(clock.now_micros() > first);
    }

    #[test]
    fn png_chunks_carry_the_standard_crc() {
        // The CRC of "IEND" with no data, as every PNG ends.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }
}
