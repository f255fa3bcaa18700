//! Prints pseudo-random valid Vietnamese identity card MRZs, for checking them with another
//! implementation (`scripts/check_mrz.py`):
//!
//! ```text
//! cargo run -p cancuoc-icao --example generate_mrz -- 1000 7 | python3 scripts/check_mrz.py
//! ```
//!
//! Arguments: how many, and a seed; the same seed prints the same zones. Each zone is three
//! lines, zones are separated by a blank line. The names are varied Vietnamese names with
//! diacritics (some decomposed, some long enough to be truncated, some of one word); birth
//! dates are complete, month and year, or year only; some cards do not expire.

use std::process::ExitCode;

use cancuoc_icao::{BirthDate, MrzError, Sex, VnmCard};
use jiff::civil::Date;
use unicode_normalization::UnicodeNormalization;

/// splitmix64: tiny, deterministic, and good enough to vary test data; no dependency.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = u64::try_from(high - low + 1).unwrap_or(1);
        low + i64::try_from(self.below(span)).unwrap_or(0)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let count = u64::try_from(items.len()).unwrap_or(1);
        let index = usize::try_from(self.below(count)).unwrap_or(0);
        items.get(index).copied().unwrap_or("An")
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const FAMILY: &[&str] = &[
    "Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan",
    "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Lương", "Mai",
    "Cao", "Tạ", "Quách", "Âu", "Ông", "Ưng",
];
const COMPOUND_FAMILY: &[&str] = &["Tôn Nữ", "Công Tằng Tôn Nữ", "Tôn Thất", "Nguyễn Phước"];
const MIDDLE: &[&str] = &[
    "Văn",
    "Thị",
    "Hữu",
    "Đức",
    "Ngọc",
    "Minh",
    "Thanh",
    "Quốc",
    "Xuân",
    "Thu",
    "Hoàng",
    "Gia",
    "Bảo",
    "Khánh",
    "Phương",
    "Thị Thu",
    "Thị Ngọc",
    "Văn Quốc",
];
const GIVEN: &[&str] = &[
    "An", "Anh", "Ánh", "Bình", "Châu", "Cường", "Dũng", "Duyên", "Đạt", "Đào", "Giang", "Hà",
    "Hạnh", "Hiếu", "Hoà", "Hùng", "Hương", "Huyền", "Khoa", "Khuê", "Lan", "Linh", "Long", "Mai",
    "My", "Nam", "Nga", "Nghĩa", "Ngọc", "Nhung", "Phúc", "Phương", "Quân", "Quỳnh", "Sơn", "Tâm",
    "Thảo", "Thắng", "Thủy", "Trang", "Trung", "Tuấn", "Tuyết", "Uyên", "Việt", "Xuân", "Yến",
    "Ơn",
];
/// First three digits of the personal ID: the province or city of birth registration.
const PROVINCES: &[&str] = &[
    "001", "002", "004", "008", "011", "015", "022", "025", "026", "030", "031", "033", "036",
    "038", "040", "042", "044", "046", "048", "049", "051", "052", "056", "058", "064", "066",
    "068", "075", "077", "079", "080", "082", "086", "087", "089", "091", "092", "094", "096",
];

fn full_name(rng: &mut SplitMix64) -> String {
    let family = if rng.chance(4) {
        rng.pick(COMPOUND_FAMILY)
    } else {
        rng.pick(FAMILY)
    };
    let mut words = vec![family.to_owned()];
    if rng.chance(3) {
        // A single-word name.
        return decorate(rng, words.join(" "));
    }
    for _ in 0..rng.between(0, 2) {
        words.push(rng.pick(MIDDLE).to_owned());
    }
    for _ in 0..rng.between(1, 2) {
        words.push(rng.pick(GIVEN).to_owned());
    }
    if rng.chance(4) {
        // Long enough that the 30 positions of line 3 must truncate it.
        for _ in 0..4 {
            words.push(rng.pick(GIVEN).to_owned());
        }
    }
    decorate(rng, words.join(" "))
}

/// Typed the ways names arrive: decomposed, lower case, with doubled spaces.
fn decorate(rng: &mut SplitMix64, name: String) -> String {
    let name = if rng.chance(20) {
        name.nfd().collect()
    } else {
        name
    };
    let name = if rng.chance(10) {
        name.to_lowercase()
    } else {
        name
    };
    if rng.chance(10) {
        name.replace(' ', "  ")
    } else {
        name
    }
}

fn card(rng: &mut SplitMix64) -> Result<VnmCard, MrzError> {
    let year = i16::try_from(rng.between(1935, 2011)).unwrap_or(1990);
    let month = i8::try_from(rng.between(1, 12)).unwrap_or(1);
    let day = i8::try_from(rng.between(1, 28)).unwrap_or(1);
    let (birth, month_day) = match rng.below(100) {
        0..8 => (BirthDate::new(year, None, None)?, (12, 31)),
        8..15 => (BirthDate::new(year, Some(month), None)?, (month, 28)),
        _ => (BirthDate::new(year, Some(month), Some(day))?, (month, day)),
    };
    let female = rng.chance(50);
    let sex = if female { Sex::Female } else { Sex::Male };
    // The fourth digit tells century and sex: 0/1 for the 1900s, 2/3 for the 2000s.
    let century = if year >= 2000 { 2 } else { 0 } + u8::from(female);
    let personal_id = format!(
        "{}{century}{:02}{:06}",
        rng.pick(PROVINCES),
        year.rem_euclid(100),
        rng.below(1_000_000)
    );
    // A card is valid until its holder turns 25, 40 or 60, and has no expiry from 60 on;
    // one issued within two years of a milestone runs to the next one.
    let issued = rng.between(2016.max(i64::from(year) + 14), 2025);
    let milestone = [25i64, 40, 60]
        .into_iter()
        .find(|age| i64::from(year) + age > issued + 2);
    let expiry = match milestone {
        Some(age) => {
            let expiry_year = i16::try_from(i64::from(year) + age).unwrap_or(2050);
            let (m, d) = month_day;
            Date::new(expiry_year, m, d).ok()
        }
        None => None,
    };
    VnmCard::new(&personal_id, &full_name(rng), birth, sex, expiry)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(count), Some(seed)) = (
        args.first().and_then(|a| a.parse::<usize>().ok()),
        args.get(1).and_then(|a| a.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: generate_mrz COUNT SEED");
        return ExitCode::from(2);
    };
    let mut rng = SplitMix64(seed);
    for index in 0..count {
        match card(&mut rng) {
            Ok(card) => {
                if index > 0 {
                    println!();
                }
                for line in card.encode() {
                    println!("{line}");
                }
            }
            Err(error) => {
                eprintln!("card {index}: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
