//! A synthetic population for demos, tests and benchmarks.
//!
//! [`generate`] streams the households of one province, each with its members as complete
//! [`CitizenData`] records, from a seed and today's date. The same [`PopulationSpec`] always
//! gives the same households, member for member; asking for more people gives the same
//! households first and then more. Nothing is read from a clock or drawn from the
//! operating system: the randomness is a ChaCha8 stream seeded with [`PopulationSpec::seed`].
//!
//! What it models, and where the figures come from:
//!
//! - **Ages** follow the 5-year age pyramid of the 2019 census (GSO, *Completed results of
//!   the 2019 Viet Nam Population and Housing Census*, 2020) in the rounded shares the
//!   issue for this module gave; see [`AGE_PYRAMID`]. They are checked only against the
//!   census's broad groups: they give 24.1 % under 15 and 7.9 % aged 65 and over, against
//!   its 24.3 % and 7.7 %. Household structure ties ages together, so each age draw is
//!   steered towards the pyramid (see `AgeSteering`); 50,000 people land within a
//!   third of a point of every band. Ages count back from `today`, so the population
//!   has the 2019 shape whatever the year.
//! - **Sex**: 47,881,061 men and 48,327,923 women in the same census, a ratio of 0.99;
//!   boys slightly outnumber girls among children (sex ratio at birth about 111), women
//!   outnumber men among the old.
//! - **Households**: the census counted 26.9 million households averaging 3.5 persons;
//!   sizes follow [`HOUSEHOLD_SIZES`], the shares the issue gave, which average 3.42.
//!   A household is built from up to three generations:
//!   a couple or a single parent with their children, sometimes with the head's (or the
//!   spouse's) parents, sometimes grandparents raising grandchildren, old couples and
//!   people living alone. Spouses are of the other sex and of a plausible age, children
//!   18–40 years younger than their mother, children carry their father's surname.
//!   Relations to the head are the words of the household register ("Chủ hộ", "Vợ",
//!   "Con", "Con dâu", "Cháu", "Mẹ chồng", …).
//! - **Names**: surname frequencies as commonly cited for Vietnam (Nguyễn about 38 %,
//!   Trần 11 %, Lê 9.5 %, …; see [`SURNAMES`]); middle and given names that fit the sex,
//!   with "Văn" and "Thị" more common among the old than the young.
//! - **Ethnicity**: Kinh 85.3 % (2019 census), the others weighted by their 2019
//!   population among whatever [`crate::reference::ethnicities`] lists. **Religion**: none
//!   86.3 %, Catholic 6.1 %, Buddhist 4.8 %, Protestant and Hòa Hảo 1.0 % each, Cao Đài
//!   0.6 % (2019 census), looked up by name in [`crate::reference::religions`], so a
//!   religion the list does not know counts as none.
//! - **Places**: households spread over the given communes, urban ones weighted
//!   [`URBAN_COMMUNE_WEIGHT`] times; address lines read like the region ("Thôn 3",
//!   "Xóm Đông", "Số 12, đường Trần Phú", "Tổ dân phố 5"; "Ấp", "Khu phố" and "hẻm" in
//!   the South). A hometown is mostly the commune lived in or one of its district, a
//!   child's the father's.
//! - **Personal IDs** are valid per DESIGN §3, consistent with sex and birth year, and
//!   unique: a per-prefix counter, starting at 0, through [`SerialPermutation`], as the
//!   register allocates them. Most births were registered in the province itself, a
//!   share elsewhere. Two populations generated with the same `id_key` share numbers, so
//!   load only one per key into a register.
//! - **Records are not all complete**: shares of missing hometowns, ethnicities and
//!   permanent residences, partial birth dates among older people, old 9-digit CMND
//!   numbers for a share of adults, all named constants below, so that the review queue
//!   and the card rules have something to work on.
//!
//! Deliberately left out: deaths, migration histories, ethnic-minority naming customs,
//! people living outside households, and any link to real persons. Every figure here is a
//! modelling choice for believable demos, not statistics to report.

use std::collections::HashMap;

use jiff::civil::Date;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use thiserror::Error;

use crate::admin::{AdminCode, AdminLevel};
use crate::citizen::{
    BloodGroup, CitizenData, MaritalStatus, OldIdNumber, Relative, Residence, Sex,
};
use crate::date::PartialDate;
use crate::personal_id::{IdPrefix, PersonalId, SerialPermutation};
use crate::provinces::PROVINCES;
use crate::reference;

/// Share of people whose birth was registered in another province than the one they live in.
pub const OTHER_PROVINCE_REGISTRATION_SHARE: f64 = 0.10;
/// How many times more households an urban commune (ward, township) gets than a rural one.
pub const URBAN_COMMUNE_WEIGHT: u32 = 3;
/// Share of Kinh households (2019 census: 85.3 % of the population).
pub const KINH_SHARE: f64 = 0.853;
/// Share of records without a hometown (quê quán).
pub const MISSING_HOMETOWN_SHARE: f64 = 0.03;
/// Share of records without an ethnicity.
pub const MISSING_ETHNICITY_SHARE: f64 = 0.02;
/// Share of records without a permanent residence (thường trú).
pub const MISSING_PERMANENT_RESIDENCE_SHARE: f64 = 0.01;
/// People born before this year were old enough to hold the 9-digit CMND.
pub const OLD_CMND_BORN_BEFORE: i16 = 2000;
/// Share of those people (aged 14 or more) whose old CMND number is on record.
pub const OLD_CMND_SHARE: f64 = 0.60;
/// Birth dates of people this old or older may be partial.
pub const PARTIAL_BIRTH_DATE_MIN_AGE: i16 = 45;
/// Share of those older people with a month and year of birth only (about 2 % overall).
pub const MONTH_YEAR_ONLY_SHARE_OF_OLDER: f64 = 0.06;
/// Share of those older people with a year of birth only (about 1 % overall).
pub const YEAR_ONLY_SHARE_OF_OLDER: f64 = 0.03;
/// Share of records with a blood group.
pub const BLOOD_GROUP_RECORDED_SHARE: f64 = 0.25;
/// Share of people aged 18–39 staying temporarily (tạm trú) in another of the communes.
pub const TEMPORARY_RESIDENCE_SHARE: f64 = 0.03;

/// The oldest age generated.
const MAX_AGE: i16 = 100;
/// The oldest and youngest child living with a parent are at most this many years apart.
const MAX_CHILD_SPAN: i16 = 20;
/// A mother is 18 to this many years older than each of her children.
const MAX_MOTHER_AGE_AT_BIRTH: i16 = 40;
/// Earliest and latest `today` accepted: every birth year must have a personal ID prefix
/// (1900–2399) and the 12-digit number exists since 2016.
const TODAY_YEARS: std::ops::RangeInclusive<i16> = 2016..=2299;

/// The 2019 census age pyramid in 5-year bands: first age, last age, share in tenths of a
/// percent (GSO, Completed results of the 2019 Population and Housing Census, rounded).
pub const AGE_PYRAMID: [(i16, i16, u32); 17] = [
    (0, 4, 80),
    (5, 9, 85),
    (10, 14, 76),
    (15, 19, 68),
    (20, 24, 70),
    (25, 29, 81),
    (30, 34, 82),
    (35, 39, 79),
    (40, 44, 73),
    (45, 49, 69),
    (50, 54, 62),
    (55, 59, 56),
    (60, 64, 45),
    (65, 69, 32),
    (70, 74, 19),
    (75, 79, 12),
    (80, MAX_AGE, 16),
];

/// Household sizes in percent, as the issue for this module gave them (the 2019 census
/// averages 3.5 persons; these average 3.42). The last row stands for 6 to 9.
pub const HOUSEHOLD_SIZES: [(u8, u32); 6] = [(1, 12), (2, 20), (3, 21), (4, 25), (5, 12), (6, 10)];

/// Surnames in tenths of a percent. Hoàng/Huỳnh and Vũ/Võ are one name written the
/// northern and the southern way; the tail shares are rough.
pub const SURNAMES: [(&str, u32); 33] = [
    ("Nguyễn", 380),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 70),
    ("Hoàng", 30),
    ("Huỳnh", 20),
    ("Phan", 45),
    ("Vũ", 22),
    ("Võ", 17),
    ("Đặng", 21),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Lý", 5),
    ("Đinh", 11),
    ("Trịnh", 9),
    ("Lương", 7),
    ("Mai", 7),
    ("Cao", 7),
    ("Tạ", 4),
    ("Hà", 7),
    ("Lâm", 5),
    ("Đoàn", 8),
    ("Vương", 3),
    ("Trương", 8),
    ("Chu", 3),
    ("Kiều", 2),
    ("Đào", 7),
    ("Thái", 3),
    ("Tô", 2),
    ("Triệu", 3),
];

/// The traditional middle name for men, given more to the old than to the young.
pub const TRADITIONAL_MALE_MIDDLE: &str = "Văn";
/// The traditional middle name for women, given more to the old than to the young.
pub const TRADITIONAL_FEMALE_MIDDLE: &str = "Thị";

/// Other middle names for men.
pub const MALE_MIDDLE_NAMES: [&str; 20] = [
    "Đức", "Hữu", "Minh", "Quang", "Công", "Xuân", "Thanh", "Quốc", "Đình", "Ngọc", "Trọng",
    "Tiến", "Thế", "Hoàng", "Gia", "Anh", "Bảo", "Duy", "Nhật", "Đăng",
];

/// Other middle names for women.
pub const FEMALE_MIDDLE_NAMES: [&str; 18] = [
    "Ngọc", "Thu", "Thanh", "Kim", "Phương", "Thùy", "Hồng", "Bảo", "Khánh", "Minh", "Mai", "Diệu",
    "Hoài", "Tường", "Ánh", "Hà", "Thúy", "Quỳnh",
];

/// Given names for men.
pub const MALE_GIVEN_NAMES: [&str; 45] = [
    "An", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Dương", "Đạt", "Đức", "Hải", "Hiếu", "Hoàng",
    "Hùng", "Huy", "Hưng", "Khang", "Khánh", "Khoa", "Kiên", "Lâm", "Long", "Lộc", "Mạnh", "Minh",
    "Nam", "Nghĩa", "Nhân", "Phát", "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Tâm", "Thành",
    "Thắng", "Thịnh", "Toàn", "Trung", "Tú", "Tuấn", "Việt", "Vinh", "Vũ",
];

/// Given names for women.
pub const FEMALE_GIVEN_NAMES: [&str; 42] = [
    "Anh", "Ánh", "Châu", "Chi", "Dung", "Duyên", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa",
    "Hồng", "Huệ", "Hương", "Hường", "Lan", "Liên", "Linh", "Loan", "Mai", "My", "Nga", "Ngân",
    "Ngọc", "Nhung", "Nhi", "Oanh", "Phương", "Quỳnh", "Tâm", "Thảo", "Thơ", "Thủy", "Trang",
    "Trinh", "Tuyết", "Uyên", "Vân", "Vy", "Xuân", "Yến",
];

/// Religions by name with their 2019 census shares in tenths of a percent; the rest have
/// none. Alternative spellings are tried in turn against the reference list.
const RELIGION_SHARES: [(&[&str], u32); 5] = [
    (&["Công giáo", "Thiên Chúa giáo"], 61),
    (&["Phật giáo"], 48),
    (&["Tin lành", "Đạo Tin lành"], 10),
    (&["Phật giáo Hòa Hảo", "Hòa Hảo"], 10),
    (&["Cao Đài", "Đạo Cao Đài"], 6),
];

/// The largest ethnic groups after the Kinh, as folded letters-only name keys with their
/// 2019 census population in thousands (approximate); groups not named here weigh
/// [`SMALL_ETHNIC_GROUP`].
const ETHNIC_GROUPS: [(&[&str], u32); 16] = [
    (&["TAY"], 1845),
    (&["THAI"], 1820),
    (&["MUONG"], 1452),
    (&["HMONG", "MONG"], 1393),
    (&["KHMER", "KHOME"], 1320),
    (&["NUNG"], 1083),
    (&["DAO"], 891),
    (&["HOA"], 750),
    (&["GIARAI"], 513),
    (&["EDE"], 399),
    (&["BANA"], 287),
    (&["XODANG"], 213),
    (&["SANCHAY"], 201),
    (&["COHO"], 200),
    (&["SANDIU"], 183),
    (&["CHAM"], 179),
];
const SMALL_ETHNIC_GROUP: u32 = 30;

/// Husband's age minus wife's, in percent of couples.
const SPOUSE_GAPS: [(i16, u32); 14] = [
    (-3, 2),
    (-2, 3),
    (-1, 5),
    (0, 10),
    (1, 12),
    (2, 14),
    (3, 14),
    (4, 12),
    (5, 9),
    (6, 7),
    (7, 5),
    (8, 4),
    (9, 2),
    (10, 1),
];

/// ABO groups as recorded in Vietnam, in percent (O is the most common).
const BLOOD_GROUPS: [(&str, u32); 4] = [("O", 42), ("B", 30), ("A", 21), ("AB", 7)];

const STREETS: [&str; 24] = [
    "Trần Phú",
    "Lê Lợi",
    "Nguyễn Du",
    "Hà Huy Tập",
    "Phan Đình Phùng",
    "Nguyễn Trãi",
    "Lý Thường Kiệt",
    "Hai Bà Trưng",
    "Quang Trung",
    "Hùng Vương",
    "Lê Duẩn",
    "Nguyễn Huệ",
    "Trần Hưng Đạo",
    "Võ Thị Sáu",
    "Điện Biên Phủ",
    "Nguyễn Văn Cừ",
    "Xuân Diệu",
    "Phan Chu Trinh",
    "Bà Triệu",
    "Lê Hồng Phong",
    "Nguyễn Thị Minh Khai",
    "Hoàng Hoa Thám",
    "Tôn Đức Thắng",
    "Ngô Quyền",
];

const HAMLET_NAMES: [&str; 14] = [
    "Đông",
    "Tây",
    "Nam",
    "Bắc",
    "Trung",
    "Thượng",
    "Hạ",
    "Chợ",
    "Mới",
    "Giữa",
    "Đình",
    "Trại",
    "Bến",
    "Cầu",
];

/// Days of the months of a leap year, to draw a day of birth.
const MONTH_DAYS: [u16; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// What [`generate`] is asked for.
#[derive(Clone, Copy)]
pub struct PopulationSpec<'a> {
    /// 2-digit GSO code of the province.
    pub province: &'a str,
    /// The communes the residents live in.
    pub communes: &'a [CommuneInfo],
    /// How many persons to generate.
    pub people: usize,
    pub seed: u64,
    /// Ages and birth dates are counted back from this day.
    pub today: Date,
    /// The deployment's key for [`SerialPermutation`].
    pub id_key: &'a [u8],
}

impl std::fmt::Debug for PopulationSpec<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PopulationSpec")
            .field("province", &self.province)
            .field("communes", &self.communes.len())
            .field("people", &self.people)
            .field("seed", &self.seed)
            .field("today", &self.today)
            .field("id_key", &"<key>")
            .finish()
    }
}

/// A commune residents can be placed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommuneInfo {
    /// 5-digit GSO code.
    pub code: AdminCode,
    /// Its district, where the hierarchy has one.
    pub district: Option<AdminCode>,
    /// A ward or township rather than a rural commune.
    pub urban: bool,
}

/// One household (hộ) with its members, the head first.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticHousehold {
    /// Unique within a generated population: the commune code and a 6-digit sequence.
    pub number: String,
    pub commune: AdminCode,
    /// The address line within the commune ("Thôn 3", "Số 12, đường Trần Phú").
    pub address: String,
    /// Each with `household_number` and `relation_to_head` filled in; the head first.
    pub members: Vec<CitizenData>,
}

/// Why a [`PopulationSpec`] cannot be generated.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PopulationError {
    #[error("{0:?} is not the code of one of the 63 provinces")]
    UnknownProvince(String),
    #[error("a population needs at least one commune")]
    NoCommunes,
    #[error("{0} is not a 5-digit commune code")]
    NotACommune(String),
    #[error("today's year {0} is outside 2016–2299")]
    TodayOutOfRange(i16),
}

/// The households of a synthetic population, generated one at a time.
///
/// The iterator owns what it needs and does not borrow `spec`. It yields nothing when the
/// spec is invalid; use [`Population::new`] to learn why.
pub fn generate(spec: &PopulationSpec) -> impl Iterator<Item = SyntheticHousehold> + use<> {
    Population::new(spec).ok().into_iter().flatten()
}

/// A weighted choice among a fixed set, drawn by binary search of cumulative weights.
#[derive(Debug, Clone)]
struct Weighted<T> {
    items: Vec<T>,
    weights: Vec<u32>,
    cumulative: Vec<u64>,
    fallback: T,
}

impl<T: Copy> Weighted<T> {
    /// `fallback` is returned only when every weight is zero.
    fn new(fallback: T, pairs: impl IntoIterator<Item = (T, u32)>) -> Self {
        let mut items = Vec::new();
        let mut weights = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0u64;
        for (item, weight) in pairs {
            if weight == 0 {
                continue;
            }
            total += u64::from(weight);
            items.push(item);
            weights.push(weight);
            cumulative.push(total);
        }
        Self {
            items,
            weights,
            cumulative,
            fallback,
        }
    }

    fn pick(&self, rng: &mut ChaCha8Rng) -> T {
        let total = self.cumulative.last().copied().unwrap_or(0);
        if total == 0 {
            return self.fallback;
        }
        let x = rng.random_range(0..total);
        let i = self.cumulative.partition_point(|&c| c <= x);
        self.items.get(i).copied().unwrap_or(self.fallback)
    }
}

/// The fixed tables, weighted once.
#[derive(Debug)]
struct Tables {
    surnames: Weighted<&'static str>,
    male_middle: Weighted<&'static str>,
    female_middle: Weighted<&'static str>,
    male_given: Weighted<&'static str>,
    female_given: Weighted<&'static str>,
    sizes: Weighted<u8>,
    /// Ages of people living alone: young, middle-aged, old.
    alone_young: Weighted<i16>,
    alone_middle: Weighted<i16>,
    alone_old: Weighted<i16>,
    /// Husband's age in a couple without children at home.
    young_husband: Weighted<i16>,
    old_husband: Weighted<i16>,
    /// Age of the youngest child living with a parent.
    youngest_child: Weighted<i16>,
    /// Age of the youngest grandchild living with grandparents only.
    youngest_grandchild: Weighted<i16>,
    /// Years between siblings.
    spacing: Weighted<i16>,
    /// Mother's age at the birth of her oldest child at home.
    mother_at_first_birth: Weighted<i16>,
    /// Husband's age minus wife's.
    spouse_gap: Weighted<i16>,
    /// Wife's age minus husband's.
    wife_offset: Weighted<i16>,
    /// Father's age at a child's birth.
    father_at_birth: Weighted<i16>,
    /// Kinh, or one of the other groups of the reference list.
    kinh: &'static str,
    other_ethnicities: Weighted<&'static str>,
    religions: Weighted<&'static str>,
    blood_groups: Vec<BloodGroup>,
    blood_weights: Weighted<usize>,
}

/// Single-year weights of the age pyramid over `ages`, in units of 1/100,000.
fn pyramid_weights(ages: std::ops::RangeInclusive<i16>) -> Vec<(i16, u32)> {
    ages.map(|age| (age, pyramid_weight(age))).collect()
}

fn pyramid_weight(age: i16) -> u32 {
    let Some(&(first, last, share)) = AGE_PYRAMID
        .iter()
        .find(|(first, last, _)| (*first..=*last).contains(&age))
    else {
        return 0;
    };
    if last < MAX_AGE {
        // Tenths of a percent over five single years: × 100 / 5 per 100,000.
        return share * 20;
    }
    // The open band thins out with age, each year 12 % fewer than the one before; then
    // the first of its 21 years holds 12.9 % of the band.
    let years = u32::try_from(age - first).unwrap_or(0);
    let mut weight = share * 100 * 129 / 1000;
    for _ in 0..years {
        weight = weight * 88 / 100;
    }
    weight.max(1)
}

impl Tables {
    fn new() -> Self {
        let names = |list: &'static [&'static str]| {
            let first = list.first().copied().unwrap_or("");
            Weighted::new(first, list.iter().map(|&n| (n, 1)))
        };
        let range = |ages: std::ops::RangeInclusive<i16>| {
            let first = *ages.start();
            Weighted::new(first, pyramid_weights(ages))
        };
        let (kinh, other_ethnicities) = ethnicity_tables();
        let religions = religion_tables();
        let blood_groups: Vec<BloodGroup> = BLOOD_GROUPS
            .iter()
            .filter_map(|(g, _)| BloodGroup::parse(g))
            .collect();
        let blood_weights = Weighted::new(
            0,
            BLOOD_GROUPS
                .iter()
                .enumerate()
                .map(|(i, (_, w))| (i, *w))
                .take(blood_groups.len()),
        );
        Self {
            surnames: Weighted::new("Nguyễn", SURNAMES),
            male_middle: names(&MALE_MIDDLE_NAMES),
            female_middle: names(&FEMALE_MIDDLE_NAMES),
            male_given: names(&MALE_GIVEN_NAMES),
            female_given: names(&FEMALE_GIVEN_NAMES),
            sizes: Weighted::new(4, HOUSEHOLD_SIZES),
            alone_young: range(18..=34),
            alone_middle: range(35..=59),
            alone_old: range(60..=MAX_AGE),
            young_husband: range(22..=38),
            old_husband: range(50..=90),
            youngest_child: Weighted::new(
                0,
                (0..=30).map(|age| {
                    // The youngest child is young more often than the average
                    // child, and children leave home in their twenties.
                    let stay = match age {
                        0..=4 => 120,
                        5..=17 => 90,
                        18..=21 => 70,
                        22..=25 => 40,
                        _ => 15,
                    };
                    (age, pyramid_weight(age) * stay / 100)
                }),
            ),
            youngest_grandchild: range(0..=20),
            spacing: Weighted::new(
                3,
                [(1, 8), (2, 25), (3, 25), (4, 17), (5, 12), (6, 8), (7, 5)],
            ),
            mother_at_first_birth: Weighted::new(
                24,
                (18..=36).map(|a: i16| {
                    let w = match a {
                        18..=19 => 4,
                        20..=21 => 8,
                        22..=27 => 12,
                        28..=30 => 8,
                        31..=33 => 4,
                        _ => 2,
                    };
                    (a, w)
                }),
            ),
            spouse_gap: Weighted::new(3, SPOUSE_GAPS),
            wife_offset: Weighted::new(-3, SPOUSE_GAPS.map(|(gap, w)| (-gap, w))),
            father_at_birth: Weighted::new(
                28,
                (20..=40).map(|a: i16| {
                    let w = match a {
                        20..=22 => 4,
                        23..=31 => 10,
                        32..=35 => 6,
                        _ => 2,
                    };
                    (a, w)
                }),
            ),
            kinh,
            other_ethnicities,
            religions,
            blood_groups,
            blood_weights,
        }
    }
}

/// The letters of a folded name: "H'Mông" → "HMONG", "Ê-đê" → "EDE".
fn letters_key(name: &str) -> String {
    crate::text::fold(name)
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect()
}

fn ethnicity_tables() -> (&'static str, Weighted<&'static str>) {
    let list = reference::ethnicities();
    let kinh = reference::ethnicity("Kinh").map_or("01", |e| e.code);
    let others = list.iter().filter(|e| e.code != kinh).map(|e| {
        let key = letters_key(e.name);
        let weight = ETHNIC_GROUPS
            .iter()
            .find(|(keys, _)| keys.contains(&key.as_str()))
            .map_or(SMALL_ETHNIC_GROUP, |(_, w)| *w);
        (e.code, weight)
    });
    (kinh, Weighted::new(kinh, others))
}

fn religion_tables() -> Weighted<&'static str> {
    let none = reference::religion("Không").map_or("00", |r| r.code);
    let mut pairs = Vec::new();
    let mut religious = 0;
    for (names, share) in RELIGION_SHARES {
        if let Some(r) = names.iter().find_map(|n| reference::religion(n)) {
            pairs.push((r.code, share));
            religious += share;
        }
    }
    pairs.push((none, 1000u32.saturating_sub(religious)));
    Weighted::new(none, pairs)
}

/// Old CMND numbers: an affine permutation of 0..10⁹ over a counter, so that the numbers
/// of one population are distinct and do not run in sequence.
#[derive(Debug)]
struct CmndSequence {
    multiplier: u64,
    offset: u64,
    next: u64,
}

impl CmndSequence {
    const DOMAIN: u64 = 1_000_000_000;

    fn new(rng: &mut ChaCha8Rng) -> Self {
        // Coprime to 10⁹: odd and not a multiple of 5.
        let mut multiplier = rng.random_range(100_000_000..Self::DOMAIN) | 1;
        if multiplier.is_multiple_of(5) {
            multiplier += 2;
        }
        Self {
            multiplier,
            offset: rng.random_range(0..Self::DOMAIN),
            next: 0,
        }
    }

    fn next_number(&mut self) -> Option<OldIdNumber> {
        if self.next >= Self::DOMAIN {
            return None;
        }
        let n = (self.multiplier * self.next + self.offset) % Self::DOMAIN;
        self.next += 1;
        OldIdNumber::parse(&format!("{n:09}"))
    }
}

/// Keeps the running age distribution on the pyramid.
///
/// Household structure ties ages together (a mother is 18–40 years older than her
/// children, a grandmother as much older than her child), so the ages that come out of it
/// drift from the pyramid. Each draw of an age or an age gap is therefore weighted by how
/// short of its target the resulting age's band is so far: bands that lag get more, bands
/// ahead get less. The correction depends on what was generated before only, so the
/// output stays deterministic and a larger population starts with the same households.
#[derive(Debug)]
struct AgeSteering {
    /// Band of each age 0..=MAX_AGE.
    band_of_age: Vec<usize>,
    /// Target share of each band.
    target: Vec<f64>,
    counts: Vec<u64>,
    total: u64,
    /// Weight factor of each band, refreshed once per household.
    factors: Vec<f64>,
}

impl AgeSteering {
    /// Pseudo-counts that keep the first households from being steered hard.
    const PRIOR: f64 = 2000.0;

    fn new() -> Self {
        let sum: u32 = AGE_PYRAMID.iter().map(|b| b.2).sum();
        let target: Vec<f64> = AGE_PYRAMID
            .iter()
            .map(|b| f64::from(b.2) / f64::from(sum.max(1)))
            .collect();
        let band_of_age = (0..=MAX_AGE)
            .map(|age| {
                AGE_PYRAMID
                    .iter()
                    .position(|(first, last, _)| (*first..=*last).contains(&age))
                    .unwrap_or(0)
            })
            .collect();
        Self {
            band_of_age,
            factors: vec![1.0; target.len()],
            counts: vec![0; target.len()],
            target,
            total: 0,
        }
    }

    fn band(&self, age: i16) -> usize {
        let age = usize::try_from(age.clamp(0, MAX_AGE)).unwrap_or(0);
        self.band_of_age.get(age).copied().unwrap_or(0)
    }

    fn count(&mut self, age: i16) {
        let band = self.band(age);
        if let Some(c) = self.counts.get_mut(band) {
            *c += 1;
        }
        self.total += 1;
    }

    fn refresh(&mut self) {
        // Counts saturate at 4 billion people, which no population reaches.
        let total = f64::from(u32::try_from(self.total).unwrap_or(u32::MAX));
        for ((factor, target), count) in self.factors.iter_mut().zip(&self.target).zip(&self.counts)
        {
            let count = f64::from(u32::try_from(*count).unwrap_or(u32::MAX));
            let ratio = target * (total + Self::PRIOR) / (count + target * Self::PRIOR);
            // A steep response: a band 10 % short gets 1.8 times the weight.
            let squared = ratio * ratio;
            *factor = (squared * squared * squared).clamp(0.02, 50.0);
        }
    }

    fn factor(&self, age: i16) -> f64 {
        self.factors.get(self.band(age)).copied().unwrap_or(1.0)
    }
}

/// The serials handed out so far under one 6-digit prefix.
struct PrefixState {
    prefix: IdPrefix,
    permutation: SerialPermutation,
    next: u32,
}

/// How a household is composed: elders (0–2), a middle generation (0–2) and children.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shape {
    elders: u8,
    middle: u8,
    children: u8,
}

const fn shape(elders: u8, middle: u8, children: u8) -> Shape {
    Shape {
        elders,
        middle,
        children,
    }
}

/// One member before names and numbers are drawn.
#[derive(Debug, Clone, Copy)]
struct Member {
    sex: Sex,
    age: i16,
    surname: &'static str,
    relation: &'static str,
    marital: MaritalStatus,
    father: Option<usize>,
    mother: Option<usize>,
    spouse: Option<usize>,
    /// Whose hometown this member shares (a child, their father's).
    hometown_of: Option<usize>,
}

/// A member with names and numbers drawn.
#[derive(Debug)]
struct Drafted {
    full_name: String,
    id: PersonalId,
    /// Province of birth registration, as the number encodes it.
    registration: usize,
    hometown: Option<AdminCode>,
}

/// The iterator behind [`generate`]; it owns everything it needs.
pub struct Population {
    rng: ChaCha8Rng,
    today: Date,
    province: usize,
    south: bool,
    communes: Vec<CommuneInfo>,
    /// The communes of each district, and each commune's district among them.
    districts: Vec<Vec<usize>>,
    district_of: Vec<Option<usize>>,
    commune_weights: Weighted<usize>,
    household_counters: Vec<u32>,
    remaining: usize,
    id_key: Vec<u8>,
    prefixes: HashMap<(usize, Sex, i16), PrefixState>,
    province_codes: Vec<AdminCode>,
    tables: Tables,
    cmnd: CmndSequence,
    steering: AgeSteering,
    members: Vec<Member>,
    drafted: Vec<Drafted>,
}

impl std::fmt::Debug for Population {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Population")
            .field("province", &self.province)
            .field("communes", &self.communes.len())
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

impl Population {
    /// Checks the spec and prepares the tables; nothing is generated until iterated.
    pub fn new(spec: &PopulationSpec) -> Result<Self, PopulationError> {
        let province = PROVINCES
            .iter()
            .position(|p| p.code == spec.province)
            .ok_or_else(|| PopulationError::UnknownProvince(spec.province.to_owned()))?;
        if spec.communes.is_empty() {
            return Err(PopulationError::NoCommunes);
        }
        if let Some(c) = spec
            .communes
            .iter()
            .find(|c| c.code.level() != AdminLevel::Commune)
        {
            return Err(PopulationError::NotACommune(c.code.to_string()));
        }
        if !TODAY_YEARS.contains(&spec.today.year()) {
            return Err(PopulationError::TodayOutOfRange(spec.today.year()));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
        let cmnd = CmndSequence::new(&mut rng);
        let commune_weights = Weighted::new(
            0,
            spec.communes.iter().enumerate().map(|(i, c)| {
                let w = if c.urban { URBAN_COMMUNE_WEIGHT } else { 1 };
                (i, w)
            }),
        );
        let mut district_index: HashMap<&AdminCode, usize> = HashMap::new();
        let mut districts: Vec<Vec<usize>> = Vec::new();
        let mut district_of = Vec::with_capacity(spec.communes.len());
        for (i, c) in spec.communes.iter().enumerate() {
            let d = c.district.as_ref().map(|code| {
                *district_index.entry(code).or_insert_with(|| {
                    districts.push(Vec::new());
                    districts.len() - 1
                })
            });
            if let Some(list) = d.and_then(|d| districts.get_mut(d)) {
                list.push(i);
            }
            district_of.push(d);
        }
        Ok(Self {
            rng,
            today: spec.today,
            province,
            // The South (Đông Nam Bộ and the Mekong delta) calls its hamlets "ấp".
            south: spec.province >= "70",
            communes: spec.communes.to_vec(),
            districts,
            district_of,
            commune_weights,
            household_counters: vec![0; spec.communes.len()],
            remaining: spec.people,
            id_key: spec.id_key.to_vec(),
            prefixes: HashMap::new(),
            province_codes: PROVINCES
                .iter()
                .filter_map(|p| AdminCode::parse(p.code).ok())
                .collect(),
            tables: Tables::new(),
            cmnd,
            steering: AgeSteering::new(),
            members: Vec::new(),
            drafted: Vec::new(),
        })
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random::<f64>() < p
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.rng.random_range(0..n)
        }
    }

    fn pick<T: Copy>(&mut self, choose: impl Fn(&Tables) -> &Weighted<T>) -> T {
        choose(&self.tables).pick(&mut self.rng)
    }

    /// `offset` plus a value of the table, steered towards the age pyramid.
    fn age(&mut self, choose: impl Fn(&Tables) -> &Weighted<i16>, offset: i16) -> i16 {
        self.age_capped(choose, offset, i16::MAX)
    }

    /// Like [`Self::age`], with table values above `cap` left out (the smallest value
    /// when all are).
    fn age_capped(
        &mut self,
        choose: impl Fn(&Tables) -> &Weighted<i16>,
        offset: i16,
        cap: i16,
    ) -> i16 {
        let table = choose(&self.tables);
        let weight = |(v, w): (&i16, &u32)| {
            if *v > cap {
                0.0
            } else {
                f64::from(*w) * self.steering.factor(offset + v)
            }
        };
        let total: f64 = table.items.iter().zip(&table.weights).map(weight).sum();
        let smallest = table.items.iter().min().copied().unwrap_or(table.fallback);
        if total <= 0.0 {
            return offset + smallest;
        }
        let mut x = self.rng.random::<f64>() * total;
        for (v, w) in table.items.iter().zip(&table.weights) {
            let w = weight((v, w));
            if x < w {
                return offset + v;
            }
            x -= w;
        }
        offset + smallest
    }

    fn surname(&mut self) -> &'static str {
        self.pick(|t| &t.surnames)
    }

    /// A household size; the open class "6 or more" spreads over 6 to 9.
    fn size(&mut self) -> u8 {
        match self.pick(|t| &t.sizes) {
            6 => pick_slice(&mut self.rng, &[(6, 55), (7, 25), (8, 12), (9, 8)], 6),
            n => n,
        }
    }

    /// How a household of `size` persons is composed.
    fn shape(&mut self, size: u8) -> Shape {
        let big = |n: u8| {
            [
                (shape(0, 2, n.saturating_sub(2)), 15),
                (shape(1, 2, n.saturating_sub(3)), 45),
                (shape(2, 2, n.saturating_sub(4)), 40),
            ]
        };
        let options: &[(Shape, u32)] = match size {
            0 | 1 => &[(shape(0, 1, 0), 1)],
            2 => &[
                (shape(0, 2, 0), 58),
                (shape(0, 1, 1), 24),
                (shape(1, 1, 0), 10),
                (shape(1, 0, 1), 8),
            ],
            3 => &[
                (shape(0, 2, 1), 70),
                (shape(0, 1, 2), 9),
                (shape(1, 2, 0), 7),
                (shape(1, 1, 1), 5),
                (shape(2, 1, 0), 3),
                (shape(2, 0, 1), 3),
                (shape(1, 0, 2), 3),
            ],
            4 => &[
                (shape(0, 2, 2), 70),
                (shape(1, 2, 1), 15),
                (shape(2, 2, 0), 3),
                (shape(0, 1, 3), 4),
                (shape(1, 1, 2), 3),
                (shape(2, 0, 2), 3),
                (shape(2, 1, 1), 2),
            ],
            5 => &[
                (shape(0, 2, 3), 30),
                (shape(1, 2, 2), 38),
                (shape(2, 2, 1), 20),
                (shape(1, 1, 3), 7),
                (shape(2, 0, 3), 5),
            ],
            n => &big(n),
        };
        pick_slice(&mut self.rng, options, shape(0, 1, 0))
    }

    fn sex(&mut self, male_share: f64) -> Sex {
        if self.chance(male_share) {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    fn marital(&mut self, options: &[(MaritalStatus, u32)]) -> MaritalStatus {
        pick_slice(&mut self.rng, options, MaritalStatus::Single)
    }

    /// Draws the ages, sexes and ties of a household of `shape` into `self.members`, the
    /// head first.
    fn compose(&mut self, shape: Shape) {
        use MaritalStatus::{Divorced, Married, Single, Widowed};

        // Children, oldest first, born within MAX_CHILD_SPAN years.
        let mut kids: Vec<i16> = Vec::with_capacity(usize::from(shape.children));
        if shape.children > 0 {
            let youngest = if shape.middle == 0 || shape.elders > 0 {
                self.age(|t| &t.youngest_grandchild, 0)
            } else {
                self.age(|t| &t.youngest_child, 0)
            };
            let mut age = youngest;
            kids.push(age);
            for later in (0..shape.children.saturating_sub(1)).rev() {
                // Leave at least a year for each sibling still to come.
                let room = (MAX_CHILD_SPAN - (age - youngest) - i16::from(later)).max(1);
                age = self.age_capped(|t| &t.spacing, age, room).min(MAX_AGE);
                kids.push(age);
            }
            kids.reverse();
        }
        let oldest_kid = kids.first().copied();
        let span = oldest_kid.zip(kids.last()).map_or(0, |(o, y)| o - y);

        // The middle generation: ages, sexes and marital status of up to two adults.
        let mut middle: Vec<Slot> = Vec::with_capacity(2);
        match (shape.middle, oldest_kid) {
            (0, _) => {}
            (1, Some(oldest)) => {
                let (sex, age) = if self.chance(0.68) {
                    let cap = MAX_MOTHER_AGE_AT_BIRTH - span;
                    let age = self.age_capped(|t| &t.mother_at_first_birth, oldest, cap);
                    (Sex::Female, age)
                } else {
                    let cap = MAX_MOTHER_AGE_AT_BIRTH + 5 - span;
                    (
                        Sex::Male,
                        self.age_capped(|t| &t.father_at_birth, oldest, cap),
                    )
                };
                let marital = self.marital(&[(Divorced, 50), (Widowed, 35), (Single, 15)]);
                middle.push(Slot::new(sex, age, 1, marital));
            }
            (1, None) if shape.elders > 0 => {
                // A grown-up child still living with a parent.
                let sex = self.sex(0.6);
                let age = if self.chance(0.7) {
                    self.age(|t| &t.alone_young, 0)
                } else {
                    self.age(|t| &t.alone_middle, 0)
                };
                let marital = self.marital(&[(Single, 85), (Divorced, 15)]);
                middle.push(Slot::new(sex, age, 1, marital));
            }
            (1, None) => {
                // Living alone.
                let (age, male_share, marital) = match self.below(100) {
                    0..35 => (
                        self.age(|t| &t.alone_young, 0),
                        0.60,
                        &[(Single, 92), (Divorced, 8)][..],
                    ),
                    35..60 => (
                        self.age(|t| &t.alone_middle, 0),
                        0.56,
                        &[(Single, 35), (Divorced, 40), (Widowed, 25)][..],
                    ),
                    _ => (
                        self.age(|t| &t.alone_old, 0),
                        0.43,
                        &[(Widowed, 82), (Divorced, 9), (Single, 9)][..],
                    ),
                };
                let sex = self.sex(male_share);
                let marital = self.marital(marital);
                middle.push(Slot::new(sex, age, 1, marital));
            }
            (_, oldest) => {
                let (husband, wife) = match oldest {
                    Some(oldest) => {
                        let cap = MAX_MOTHER_AGE_AT_BIRTH - span;
                        let wife = self.age_capped(|t| &t.mother_at_first_birth, oldest, cap);
                        let husband = self.age(|t| &t.spouse_gap, wife);
                        (husband.max(oldest + 18), wife)
                    }
                    None => {
                        let husband = if shape.elders > 0 || self.chance(0.3) {
                            self.age(|t| &t.young_husband, 0)
                        } else {
                            self.age(|t| &t.old_husband, 0)
                        };
                        (husband, self.age(|t| &t.wife_offset, husband))
                    }
                };
                middle.push(Slot::new(Sex::Male, husband.max(18), 1, Married));
                middle.push(Slot::new(Sex::Female, wife.max(18), 1, Married));
            }
        }

        // The elders are the parents of one of the middle generation (the link), or the
        // grandparents of children whose parents live elsewhere.
        let link = match middle.len() {
            0 => None,
            1 => Some(0),
            _ => Some(if self.chance(0.85) { 0 } else { 1 }),
        };
        let link_age = match (link.and_then(|i| middle.get(i)), oldest_kid) {
            (Some(slot), _) => slot.age,
            (None, Some(oldest)) => oldest + self.pick(|t| &t.mother_at_first_birth),
            (None, None) => 30,
        };
        let mut elders: Vec<Slot> = Vec::with_capacity(2);
        if shape.elders >= 2 {
            let man = self.age(|t| &t.father_at_birth, link_age);
            let woman = self
                .age(|t| &t.wife_offset, man)
                .clamp(link_age + 18, link_age + MAX_MOTHER_AGE_AT_BIRTH);
            elders.push(Slot::new(Sex::Male, man.min(MAX_AGE), 0, Married));
            elders.push(Slot::new(Sex::Female, woman.min(MAX_AGE), 0, Married));
        } else if shape.elders == 1 {
            let sex = self.sex(0.37);
            let age = match sex {
                Sex::Male => self.age(|t| &t.father_at_birth, link_age),
                Sex::Female => self.age(|t| &t.mother_at_first_birth, link_age),
            };
            let marital = self.marital(&[(Widowed, 88), (Divorced, 7), (Single, 5)]);
            elders.push(Slot::new(sex, age.min(MAX_AGE), 0, marital));
        }
        if let Some(slot) = link.and_then(|i| middle.get_mut(i)) {
            slot.link = !elders.is_empty();
        }

        // The head: the middle generation's man or woman, or an elder.
        let head_is_elder = match (elders.is_empty(), middle.is_empty()) {
            (true, _) => false,
            (false, true) => true,
            (false, false) => {
                let oldest_elder = elders.iter().map(|s| s.age).max().unwrap_or(0);
                !self.chance(if oldest_elder >= 70 { 0.6 } else { 0.35 })
            }
        };
        let head_generation = if head_is_elder { 0 } else { 1 };
        let head_generation_len = if head_is_elder {
            elders.len()
        } else {
            middle.len()
        };
        let head_index = match head_generation_len {
            2 => usize::from(!self.chance(if head_is_elder { 0.9 } else { 0.75 })),
            _ => 0,
        };

        let children: Vec<Slot> = kids
            .iter()
            .map(|&age| Slot::new(self.sex(0.53), age, 2, Single))
            .collect();
        let generations: [&[Slot]; 3] = [&elders, &middle, &children];

        // Order: head, spouse, then down the generations, then up.
        let mut order: Vec<(u8, usize)> = Vec::with_capacity(8);
        order.push((head_generation, head_index));
        if head_generation_len == 2 {
            order.push((head_generation, 1 - head_index));
        }
        if head_is_elder {
            let links = middle.iter().enumerate().filter(|(_, s)| s.link);
            let others = middle.iter().enumerate().filter(|(_, s)| !s.link);
            order.extend(links.chain(others).map(|(i, _)| (1, i)));
            order.extend((0..children.len()).map(|i| (2, i)));
        } else {
            order.extend((0..children.len()).map(|i| (2, i)));
            order.extend((0..elders.len()).map(|i| (0, i)));
        }
        let position = |generation: u8, sex: Sex| {
            order.iter().position(|&(g, i)| {
                g == generation
                    && generations
                        .get(usize::from(g))
                        .and_then(|s| s.get(i))
                        .is_some_and(|s| s.sex == sex)
            })
        };
        let elder_man = position(0, Sex::Male);
        let elder_woman = position(0, Sex::Female);
        let middle_man = position(1, Sex::Male);
        let middle_woman = position(1, Sex::Female);
        let first_child = order.iter().position(|&(g, _)| g == 2);

        // Surnames: a lineage from the elder man (or an absent grandfather); children
        // take their father's, present or not.
        let lineage = self.surname();
        let middle_surnames: Vec<&'static str> = middle
            .iter()
            .map(|s| if s.link { lineage } else { self.surname() })
            .collect();
        let children_surname = match (middle_man, middle_woman) {
            (Some(_), _) => middle
                .iter()
                .zip(&middle_surnames)
                .find(|(s, _)| s.sex == Sex::Male)
                .map_or(lineage, |(_, n)| *n),
            (None, Some(_)) => {
                if self.chance(0.1) {
                    middle_surnames.first().copied().unwrap_or(lineage)
                } else {
                    self.surname()
                }
            }
            (None, None) => {
                if self.chance(0.7) {
                    lineage
                } else {
                    self.surname()
                }
            }
        };
        let children_share_lineage = middle.is_empty() && children_surname == lineage;
        let middle_man_is_link = middle.iter().any(|s| s.sex == Sex::Male && s.link);

        let head = generations
            .get(usize::from(head_generation))
            .and_then(|s| s.get(head_index))
            .copied()
            .unwrap_or(Slot::new(Sex::Male, 40, 1, Married));
        self.members.clear();
        for (pos, &(generation, index)) in order.iter().enumerate() {
            let Some(slot) = generations
                .get(usize::from(generation))
                .and_then(|s| s.get(index))
                .copied()
            else {
                continue;
            };
            let (surname, father, mother, hometown_of) = match generation {
                0 => {
                    let surname = if slot.sex == Sex::Male {
                        lineage
                    } else {
                        self.surname()
                    };
                    (surname, None, None, None)
                }
                1 => {
                    let surname = middle_surnames.get(index).copied().unwrap_or(lineage);
                    if slot.link {
                        (surname, elder_man, elder_woman, elder_man)
                    } else {
                        (surname, None, None, None)
                    }
                }
                _ => {
                    let root = match middle_man {
                        Some(_) if middle_man_is_link && elder_man.is_some() => elder_man,
                        Some(m) => Some(m),
                        None if children_share_lineage && elder_man.is_some() => elder_man,
                        None => first_child.filter(|&f| f != pos),
                    };
                    (children_surname, middle_man, middle_woman, root)
                }
            };
            let spouse = if generation < 2 && slot.marital == Married {
                order
                    .iter()
                    .position(|&(g, i)| g == generation && i != index)
            } else {
                None
            };
            self.members.push(Member {
                sex: slot.sex,
                age: slot.age,
                surname,
                relation: relation(&head, head_generation, &slot, pos == 0),
                marital: slot.marital,
                father,
                mother,
                spouse,
                hometown_of,
            });
        }
    }
}

/// One member of a household while it is composed.
#[derive(Debug, Clone, Copy)]
struct Slot {
    sex: Sex,
    age: i16,
    /// 0 elders, 1 the middle generation, 2 children.
    generation: u8,
    marital: MaritalStatus,
    /// A member of the middle generation whose parents are the household's elders.
    link: bool,
}

impl Slot {
    fn new(sex: Sex, age: i16, generation: u8, marital: MaritalStatus) -> Self {
        Self {
            sex,
            age,
            generation,
            marital,
            link: false,
        }
    }
}

/// The relation to the head as the household register writes it.
fn relation(head: &Slot, head_generation: u8, other: &Slot, is_head: bool) -> &'static str {
    let by_sex = |male: &'static str, female: &'static str| match other.sex {
        Sex::Male => male,
        Sex::Female => female,
    };
    if is_head {
        return "Chủ hộ";
    }
    match (head_generation, other.generation) {
        (g, o) if g == o => by_sex("Chồng", "Vợ"),
        (0, 1) if other.link => "Con",
        (0, 1) => by_sex("Con rể", "Con dâu"),
        (0, _) => "Cháu",
        (_, 2) => "Con",
        (_, _) if head.link => by_sex("Cha", "Mẹ"),
        (_, _) => match head.sex {
            Sex::Male => by_sex("Cha vợ", "Mẹ vợ"),
            Sex::Female => by_sex("Cha chồng", "Mẹ chồng"),
        },
    }
}

/// [`PersonalId::from_parts`] without its two allocations: this runs once per person.
fn personal_id(prefix: &IdPrefix, serial: u32) -> Option<PersonalId> {
    let prefix = prefix.as_str().as_bytes();
    if prefix.len() != 6 || serial >= SerialPermutation::DOMAIN {
        return None;
    }
    let mut digits = [b'0'; 12];
    for (d, p) in digits.iter_mut().zip(prefix) {
        *d = *p;
    }
    let mut rest = serial;
    for d in digits.iter_mut().rev().take(6) {
        *d = b'0' + u8::try_from(rest % 10).ok()?;
        rest /= 10;
    }
    PersonalId::parse(std::str::from_utf8(&digits).ok()?).ok()
}

/// A weighted choice from a short list, without building a table.
fn pick_slice<T: Copy>(rng: &mut ChaCha8Rng, options: &[(T, u32)], fallback: T) -> T {
    let total: u64 = options.iter().map(|(_, w)| u64::from(*w)).sum();
    if total == 0 {
        return fallback;
    }
    let mut x = rng.random_range(0..total);
    for (item, weight) in options {
        let w = u64::from(*weight);
        if x < w {
            return *item;
        }
        x -= w;
    }
    fallback
}

impl Population {
    /// Middle and given name that fit the sex; "Văn" and "Thị" fade with the generations.
    fn names(&mut self, sex: Sex, birth_year: i16) -> (&'static str, &'static str) {
        let traditional = match birth_year {
            ..1960 => (0.70, 0.85),
            1960..1980 => (0.55, 0.70),
            1980..1995 => (0.40, 0.50),
            1995..2010 => (0.22, 0.30),
            _ => (0.10, 0.12),
        };
        let middle = match sex {
            Sex::Male if self.chance(traditional.0) => TRADITIONAL_MALE_MIDDLE,
            Sex::Female if self.chance(traditional.1) => TRADITIONAL_FEMALE_MIDDLE,
            Sex::Male => self.pick(|t| &t.male_middle),
            Sex::Female => self.pick(|t| &t.female_middle),
        };
        let mut given = middle;
        // "Minh Minh" is not a name: draw again (a few tries suffice).
        for _ in 0..4 {
            given = match sex {
                Sex::Male => self.pick(|t| &t.male_given),
                Sex::Female => self.pick(|t| &t.female_given),
            };
            if given != middle {
                break;
            }
        }
        (middle, given)
    }

    /// A day of birth `age` years before today.
    fn birth_date(&mut self, age: i16) -> Date {
        let mut day_of_year = u16::try_from(self.below(366)).unwrap_or(0);
        let mut month = 1i8;
        for days in MONTH_DAYS {
            if day_of_year < days {
                break;
            }
            day_of_year -= days;
            month += 1;
        }
        let day = i8::try_from(day_of_year + 1).unwrap_or(1);
        let not_yet = (month, day) > (self.today.month(), self.today.day());
        let year = self.today.year() - age - i16::from(not_yet);
        // 29 February of a common year becomes the 28th.
        Date::new(year, month, day)
            .or_else(|_| Date::new(year, month, 28))
            .unwrap_or(self.today)
    }

    /// The next personal ID number for a birth registered in `province`; when that
    /// prefix is exhausted, the next province's.
    fn allocate_id(&mut self, province: usize, sex: Sex, year: i16) -> Option<(PersonalId, usize)> {
        let count = PROVINCES.len();
        for step in 0..count {
            let p = (province + step) % count;
            let state = match self.prefixes.entry((p, sex, year)) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    let prefix = IdPrefix::new(PROVINCES.get(p)?.code, sex, year)?;
                    let permutation = SerialPermutation::new(&self.id_key, &prefix);
                    v.insert(PrefixState {
                        prefix,
                        permutation,
                        next: 0,
                    })
                }
            };
            // Each generating province draws from its own residue class of the
            // permutation's inputs, so that populations generated for different provinces
            // (with the same key) never share a number.
            let input = u32::try_from(count)
                .ok()
                .and_then(|c| state.next.checked_mul(c))
                .zip(u32::try_from(self.province).ok())
                .and_then(|(base, own)| base.checked_add(own));
            if let Some(serial) = input.and_then(|i| state.permutation.serial(i)) {
                state.next += 1;
                return personal_id(&state.prefix, serial).map(|id| (id, p));
            }
        }
        None
    }

    /// Where a member's birth was registered: mostly here.
    fn registration_province(&mut self) -> usize {
        if self.chance(OTHER_PROVINCE_REGISTRATION_SHARE) {
            let other = self.below(PROVINCES.len() - 1);
            if other >= self.province {
                other + 1
            } else {
                other
            }
        } else {
            self.province
        }
    }

    /// A hometown for someone whose birth was registered in `province`: for a birth
    /// registered here, a commune, usually the one they live in or another of its
    /// district; else the other province.
    fn hometown(&mut self, province: usize, commune: usize) -> Option<AdminCode> {
        if province != self.province {
            return self.province_codes.get(province).cloned();
        }
        let neighbours = self
            .district_of
            .get(commune)
            .copied()
            .flatten()
            .and_then(|d| self.districts.get(d))
            .map_or(0, Vec::len);
        let c = match self.below(10) {
            0..5 => commune,
            5..8 if neighbours > 1 => {
                let i = self.below(neighbours);
                self.district_of
                    .get(commune)
                    .copied()
                    .flatten()
                    .and_then(|d| self.districts.get(d)?.get(i).copied())
                    .unwrap_or(commune)
            }
            _ => self.below(self.communes.len()),
        };
        self.communes.get(c).map(|c| c.code.clone())
    }

    /// The address line of a house in an urban or rural commune.
    fn address(&mut self, urban: bool) -> String {
        let street = |this: &mut Self| STREETS.get(this.below(STREETS.len())).copied();
        if urban {
            let n = 1 + self.below(300);
            match self.below(100) {
                0..45 => format!("Số {n}, đường {}", street(self).unwrap_or("Trần Phú")),
                45..60 => {
                    let lane = if self.south { "hẻm" } else { "ngõ" };
                    let m = 1 + self.below(120);
                    let s = street(self).unwrap_or("Lê Lợi");
                    format!("Số {n}, {lane} {m}, đường {s}")
                }
                _ => {
                    let block = if self.south {
                        "Khu phố"
                    } else {
                        "Tổ dân phố"
                    };
                    format!("{block} {}", 1 + self.below(25))
                }
            }
        } else {
            let word = if self.south {
                "Ấp"
            } else if self.chance(0.6) {
                "Thôn"
            } else {
                "Xóm"
            };
            if self.chance(0.6) {
                format!("{word} {}", 1 + self.below(15))
            } else {
                let name = HAMLET_NAMES
                    .get(self.below(HAMLET_NAMES.len()))
                    .copied()
                    .unwrap_or("Đông");
                format!("{word} {name}")
            }
        }
    }

    fn household(&mut self) -> Option<SyntheticHousehold> {
        if self.remaining == 0 {
            return None;
        }
        self.steering.refresh();
        let size = self.size();
        let shape = self.shape(size);
        self.compose(shape);

        let commune_index = self.commune_weights.pick(&mut self.rng);
        let commune = self.communes.get(commune_index)?.clone();
        let counter = self.household_counters.get_mut(commune_index)?;
        *counter += 1;
        let number = format!("{}{:06}", commune.code, *counter);
        let address = self.address(commune.urban);
        let ethnicity = if self.chance(KINH_SHARE) {
            self.tables.kinh
        } else {
            self.pick(|t| &t.other_ethnicities)
        };
        let religion = self.pick(|t| &t.religions);
        let residence = Residence {
            commune: commune.code.clone(),
            address: address.clone(),
        };

        let keep = self.members.len().min(self.remaining);
        let members = std::mem::take(&mut self.members);
        let mut drafted = std::mem::take(&mut self.drafted);
        drafted.clear();

        // Where each was registered at birth, and the hometowns of those who pass theirs on.
        let registrations: Vec<usize> = members
            .iter()
            .map(|_| self.registration_province())
            .collect();
        let mut hometowns: Vec<Option<AdminCode>> = Vec::with_capacity(members.len());
        for (m, &province) in members.iter().zip(&registrations) {
            hometowns.push(match m.hometown_of {
                None => self.hometown(province, commune_index),
                Some(_) => None,
            });
        }
        for (i, m) in members.iter().enumerate() {
            if let Some(root) = m.hometown_of {
                let inherited = hometowns.get(root).cloned().flatten();
                if let Some(slot) = hometowns.get_mut(i) {
                    *slot = inherited;
                }
            }
        }

        let mut births = Vec::with_capacity(keep);
        for (i, m) in members.iter().take(keep).enumerate() {
            let born = self.birth_date(m.age);
            let province = registrations.get(i).copied().unwrap_or(self.province);
            let Some((id, registration)) = self.allocate_id(province, m.sex, born.year()) else {
                // Every number of this sex and birth year is taken: nothing more to give.
                self.remaining = 0;
                break;
            };
            let (middle, given) = self.names(m.sex, born.year());
            drafted.push(Drafted {
                full_name: format!("{} {middle} {given}", m.surname),
                id,
                registration,
                hometown: hometowns.get(i).cloned().flatten(),
            });
            births.push(born);
            self.steering.count(m.age);
        }

        let relative = |j: Option<usize>| {
            let d = drafted.get(j?)?;
            Some(Relative {
                full_name: d.full_name.clone(),
                id_number: Some(d.id.as_string()),
                nationality: Some("VNM".to_owned()),
            })
        };
        let mut out = Vec::with_capacity(drafted.len());
        for ((m, d), born) in members.iter().zip(&drafted).zip(&births) {
            let birth_date = self.partial_birth_date(m.age, *born);
            let old_id_number =
                if born.year() < OLD_CMND_BORN_BEFORE && m.age >= 14 && self.chance(OLD_CMND_SHARE)
                {
                    self.cmnd.next_number()
                } else {
                    None
                };
            let permanent =
                (!self.chance(MISSING_PERMANENT_RESIDENCE_SHARE)).then(|| residence.clone());
            let temporary = if (18..40).contains(&m.age)
                && self.communes.len() > 1
                && self.chance(TEMPORARY_RESIDENCE_SHARE)
            {
                let other =
                    (commune_index + 1 + self.below(self.communes.len() - 1)) % self.communes.len();
                let urban = self.communes.get(other).is_some_and(|c| c.urban);
                let address = self.address(urban);
                self.communes.get(other).map(|c| Residence {
                    commune: c.code.clone(),
                    address,
                })
            } else {
                None
            };
            let current = temporary.clone().unwrap_or_else(|| residence.clone());
            let hometown = if self.chance(MISSING_HOMETOWN_SHARE) {
                None
            } else {
                d.hometown.clone()
            };
            let ethnicity = (!self.chance(MISSING_ETHNICITY_SHARE)).then(|| ethnicity.to_owned());
            let blood_group = if self.chance(BLOOD_GROUP_RECORDED_SHARE) {
                let i = self.pick(|t| &t.blood_weights);
                self.tables.blood_groups.get(i).cloned()
            } else {
                None
            };
            out.push(CitizenData {
                personal_id: d.id,
                old_id_number,
                full_name: d.full_name.clone(),
                other_names: None,
                birth_date,
                sex: m.sex,
                birth_registration_place: self.province_codes.get(d.registration).cloned(),
                hometown,
                ethnicity,
                religion: Some(religion.to_owned()),
                nationality: "VNM".to_owned(),
                blood_group,
                marital_status: Some(m.marital),
                permanent_residence: permanent,
                temporary_residence: temporary,
                current_residence: Some(current),
                household_number: Some(number.clone()),
                relation_to_head: Some(m.relation.to_owned()),
                father: relative(m.father),
                mother: relative(m.mother),
                spouse: relative(m.spouse),
                legal_representative: None,
                died_on: None,
                missing_since: None,
            });
        }
        self.members = members;
        self.drafted = drafted;
        self.remaining = self.remaining.saturating_sub(out.len());
        if out.is_empty() {
            return None;
        }
        Some(SyntheticHousehold {
            number,
            commune: commune.code,
            address,
            members: out,
        })
    }

    /// Older people's papers sometimes lack the day, or the day and month, of birth.
    fn partial_birth_date(&mut self, age: i16, born: Date) -> PartialDate {
        let full = PartialDate::full(born);
        if age < PARTIAL_BIRTH_DATE_MIN_AGE {
            return full;
        }
        let x = self.rng.random::<f64>();
        if x < YEAR_ONLY_SHARE_OF_OLDER {
            PartialDate::new(born.year(), None, None).unwrap_or(full)
        } else if x < YEAR_ONLY_SHARE_OF_OLDER + MONTH_YEAR_ONLY_SHARE_OF_OLDER {
            PartialDate::new(born.year(), Some(born.month()), None).unwrap_or(full)
        } else {
            full
        }
    }
}

impl Iterator for Population {
    type Item = SyntheticHousehold;

    fn next(&mut self) -> Option<SyntheticHousehold> {
        self.household()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::from(self.remaining > 0), Some(self.remaining))
    }
}

impl std::iter::FusedIterator for Population {}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::sync::LazyLock;

    use super::*;
    use crate::personal_id::Registration;

    fn today() -> Date {
        // The day of the Hà Tĩnh figures in DESIGN §5.
        jiff::civil::date(2021, 3, 16)
    }

    /// One urban and three rural communes of Thạch Hà (Hà Tĩnh).
    fn communes() -> Vec<CommuneInfo> {
        [
            ("18541", true),
            ("18544", false),
            ("18547", false),
            ("18550", false),
        ]
        .iter()
        .map(|(code, urban)| CommuneInfo {
            code: AdminCode::parse(code).unwrap(),
            district: AdminCode::parse("436").ok(),
            urban: *urban,
        })
        .collect()
    }

    fn spec(communes: &[CommuneInfo], people: usize, seed: u64) -> PopulationSpec<'_> {
        PopulationSpec {
            province: "42",
            communes,
            people,
            seed,
            today: today(),
            id_key: b"test key",
        }
    }

    /// People in the population the statistical tests share; their tolerances are
    /// several standard errors wide at this size, and debug builds stay fast.
    const PEOPLE: usize = 50_000;

    static POPULATION: LazyLock<Vec<SyntheticHousehold>> =
        LazyLock::new(|| generate(&spec(&communes(), PEOPLE, 42)).collect());

    fn people() -> impl Iterator<Item = &'static CitizenData> {
        POPULATION.iter().flat_map(|h| &h.members)
    }

    fn share(part: usize, whole: usize) -> f64 {
        let part = u32::try_from(part).unwrap();
        let whole = u32::try_from(whole).unwrap();
        f64::from(part) / f64::from(whole)
    }

    /// The share of people for whom `f` holds.
    fn share_of(f: impl Fn(&CitizenData) -> bool) -> f64 {
        let (yes, all) = people().fold((0, 0), |(y, a), p| (y + usize::from(f(p)), a + 1));
        share(yes, all)
    }

    /// Completed years on today; a partial date counts from its last possible day.
    fn age(birth: &PartialDate) -> i16 {
        let b = birth.latest();
        let t = today();
        t.year() - b.year() - i16::from((b.month(), b.day()) > (t.month(), t.day()))
    }

    fn words(name: &str) -> Vec<&str> {
        name.split(' ').collect()
    }

    #[test]
    fn the_same_spec_gives_the_same_population() {
        let c = communes();
        let a: Vec<_> = generate(&spec(&c, 5_000, 1)).collect();
        let b: Vec<_> = generate(&spec(&c, 5_000, 1)).collect();
        assert_eq!(a, b);
        let other: Vec<_> = generate(&spec(&c, 5_000, 2)).collect();
        assert_ne!(a.first(), other.first());
    }

    #[test]
    fn more_people_extend_the_same_population() {
        let c = communes();
        let small: Vec<_> = generate(&spec(&c, 2_000, 5)).collect();
        let large: Vec<_> = generate(&spec(&c, 5_000, 5)).collect();
        let whole = small.len() - 1; // the last may be cut short
        assert_eq!(small[..whole], large[..whole]);
        assert_eq!(small[whole].number, large[whole].number);
    }

    #[test]
    fn yields_exactly_the_people_asked_for() {
        let c = communes();
        for n in [0, 1, 2, 7, 1_000] {
            let count: usize = generate(&spec(&c, n, 3)).map(|h| h.members.len()).sum();
            assert_eq!(count, n);
        }
        assert_eq!(people().count(), PEOPLE);
        assert!(POPULATION.iter().all(|h| !h.members.is_empty()));
    }

    #[test]
    fn personal_ids_are_valid_unique_and_consistent() {
        let mut seen = HashSet::new();
        let mut here = 0;
        for p in people() {
            assert!(seen.insert(p.personal_id), "{:?} repeated", p.personal_id);
            p.personal_id
                .consistent_with(p.sex, p.birth_date.year())
                .unwrap();
            let Registration::Province(code) = p.personal_id.registration() else {
                panic!("{:?} is not registered in a province", p.personal_id);
            };
            assert_eq!(
                p.birth_registration_place.as_ref().map(AdminCode::as_str),
                Some(code)
            );
            here += usize::from(code == "42");
        }
        let local = share(here, seen.len());
        assert!((0.88..0.92).contains(&local), "{local}");
    }

    #[test]
    fn surnames_follow_vietnamese_frequencies() {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for p in people() {
            let surname = words(&p.full_name)[0];
            assert!(SURNAMES.iter().any(|(s, _)| *s == surname), "{surname}");
            *counts.entry(surname).or_default() += 1;
        }
        let total = people().count();
        let of = |s: &str| share(counts.get(s).copied().unwrap_or(0), total);
        assert!(
            (0.35..0.41).contains(&of("Nguyễn")),
            "Nguyễn {}",
            of("Nguyễn")
        );
        assert!((0.09..0.13).contains(&of("Trần")), "Trần {}", of("Trần"));
        assert!((0.08..0.11).contains(&of("Lê")), "Lê {}", of("Lê"));
        assert!((0.055..0.085).contains(&of("Phạm")), "Phạm {}", of("Phạm"));
        assert!(of("Kiều") > 0.0);
    }

    #[test]
    fn ages_follow_the_2019_pyramid() {
        let total: u32 = AGE_PYRAMID.iter().map(|b| b.2).sum();
        let mut bands = [0usize; AGE_PYRAMID.len()];
        for p in people() {
            let a = age(&p.birth_date);
            assert!((0..=MAX_AGE).contains(&a), "{a}");
            let band = AGE_PYRAMID
                .iter()
                .position(|(first, last, _)| (*first..=*last).contains(&a))
                .unwrap();
            bands[band] += 1;
        }
        let n = people().count();
        for ((first, last, target), count) in AGE_PYRAMID.iter().zip(bands) {
            let target = f64::from(*target) / f64::from(total);
            let got = share(count, n);
            assert!(
                (got - target).abs() < 0.01,
                "ages {first}–{last}: {got:.4} against {target:.4}"
            );
        }
        let children = share_of(|p| age(&p.birth_date) < 15);
        assert!((0.225..0.255).contains(&children), "{children}");
    }

    #[test]
    fn the_open_age_band_keeps_its_share() {
        let sum: u32 = pyramid_weights(80..=MAX_AGE).iter().map(|w| w.1).sum();
        assert!((1550..1650).contains(&sum), "{sum}");
        assert_eq!(pyramid_weight(0), 1600);
        assert_eq!(pyramid_weight(MAX_AGE + 1), 0);
    }

    #[test]
    fn sexes_are_near_parity() {
        let men = people().filter(|p| p.sex == Sex::Male).count();
        let women = people().count() - men;
        let ratio = share(men, women);
        assert!((0.96..1.03).contains(&ratio), "{ratio}");
    }

    #[test]
    fn households_have_census_sizes() {
        // The last household may be cut short.
        let whole = &POPULATION[..POPULATION.len() - 1];
        let sizes: Vec<usize> = whole.iter().map(|h| h.members.len()).collect();
        let mean = share(sizes.iter().sum(), sizes.len());
        assert!((3.2..3.8).contains(&mean), "{mean}");
        assert!(sizes.iter().all(|s| (1..=9).contains(s)));
        let of = |n: usize| share(sizes.iter().filter(|&&s| s == n).count(), sizes.len());
        assert!((0.10..0.14).contains(&of(1)), "{}", of(1));
        assert!((0.23..0.27).contains(&of(4)), "{}", of(4));
    }

    #[test]
    fn names_fit_the_sex_and_the_generation() {
        let mut traditional: HashMap<(Sex, bool), (usize, usize)> = HashMap::new();
        for p in people() {
            let w = words(&p.full_name);
            assert_eq!(w.len(), 3, "{}", p.full_name);
            let (middle, given) = (w[1], w[2]);
            let (trad, middles, givens) = match p.sex {
                Sex::Male => (
                    TRADITIONAL_MALE_MIDDLE,
                    &MALE_MIDDLE_NAMES[..],
                    &MALE_GIVEN_NAMES[..],
                ),
                Sex::Female => (
                    TRADITIONAL_FEMALE_MIDDLE,
                    &FEMALE_MIDDLE_NAMES[..],
                    &FEMALE_GIVEN_NAMES[..],
                ),
            };
            assert!(
                middle == trad || middles.contains(&middle),
                "{}",
                p.full_name
            );
            assert!(givens.contains(&given), "{}", p.full_name);
            assert_ne!(middle, given);
            let year = p.birth_date.year();
            if !(1970..2010).contains(&year) {
                let e = traditional.entry((p.sex, year < 1970)).or_default();
                e.0 += usize::from(middle == trad);
                e.1 += 1;
            }
        }
        let rate = |sex, old| {
            let (t, n) = traditional[&(sex, old)];
            share(t, n)
        };
        assert!(rate(Sex::Female, true) > 0.7, "{}", rate(Sex::Female, true));
        assert!(
            rate(Sex::Female, false) < 0.2,
            "{}",
            rate(Sex::Female, false)
        );
        assert!(rate(Sex::Male, true) > 0.55, "{}", rate(Sex::Male, true));
        assert!(rate(Sex::Male, false) < 0.2, "{}", rate(Sex::Male, false));
    }

    #[test]
    fn households_are_built_sensibly() {
        let relations = [
            "Chủ hộ",
            "Vợ",
            "Chồng",
            "Con",
            "Con dâu",
            "Con rể",
            "Cháu",
            "Cha",
            "Mẹ",
            "Cha vợ",
            "Mẹ vợ",
            "Cha chồng",
            "Mẹ chồng",
        ];
        let mut numbers = HashSet::new();
        for h in POPULATION.iter() {
            assert!(numbers.insert(h.number.clone()), "{} repeated", h.number);
            assert!(h.number.starts_with(h.commune.as_str()));
            assert_eq!(h.number.len(), 11);
            let find = |r: &Option<Relative>| {
                let id = r.as_ref()?.id_number.as_ref()?;
                h.members.iter().find(|m| m.personal_id.as_string() == *id)
            };
            for (i, m) in h.members.iter().enumerate() {
                let relation = m.relation_to_head.as_deref().unwrap();
                assert!(relations.contains(&relation), "{relation}");
                assert_eq!(i == 0, relation == "Chủ hộ");
                assert_eq!(m.household_number.as_ref(), Some(&h.number));
                if let Some(r) = &m.permanent_residence {
                    assert_eq!(r.commune, h.commune);
                    assert_eq!(r.address, h.address);
                }
                assert_eq!(m.nationality, "VNM");
                assert!(m.died_on.is_none());
                let expected_sex = match relation {
                    "Vợ" | "Con dâu" | "Mẹ" | "Mẹ vợ" | "Mẹ chồng" => {
                        Some(Sex::Female)
                    }
                    "Chồng" | "Con rể" | "Cha" | "Cha vợ" | "Cha chồng" => Some(Sex::Male),
                    _ => None,
                };
                assert!(expected_sex.is_none_or(|s| s == m.sex), "{relation}");
                if age(&m.birth_date) < 18 {
                    assert_eq!(m.marital_status, Some(MaritalStatus::Single));
                }
                if let Some(spouse) = find(&m.spouse) {
                    assert_ne!(spouse.sex, m.sex);
                    assert_eq!(m.marital_status, Some(MaritalStatus::Married));
                    let back = spouse.spouse.as_ref().unwrap();
                    assert_eq!(back.id_number, Some(m.personal_id.as_string()));
                    assert!(age(&spouse.birth_date) >= 18);
                }
                let born = m.birth_date.year();
                if let Some(mother) = find(&m.mother) {
                    assert_eq!(mother.sex, Sex::Female);
                    let gap = born - mother.birth_date.year();
                    assert!((17..=41).contains(&gap), "mother {gap} years older");
                }
                if let Some(father) = find(&m.father) {
                    assert_eq!(father.sex, Sex::Male);
                    let gap = born - father.birth_date.year();
                    assert!(gap >= 17, "father {gap} years older");
                    assert_eq!(words(&m.full_name)[0], words(&father.full_name)[0]);
                }
            }
        }
        // The household register's words, in believable proportions.
        let of = |r: &str| share_of(|p| p.relation_to_head.as_deref() == Some(r));
        assert!((0.25..0.33).contains(&of("Chủ hộ")));
        assert!(of("Con") > 0.25);
        assert!(of("Vợ") > of("Chồng"));
        assert!(of("Con dâu") > of("Con rể"));
        for r in ["Cháu", "Cha", "Mẹ", "Mẹ chồng", "Cha vợ"] {
            assert!(of(r) > 0.0, "{r}");
        }
    }

    #[test]
    fn residents_live_in_the_given_communes() {
        let c = communes();
        let codes: HashSet<&AdminCode> = c.iter().map(|c| &c.code).collect();
        let mut households: HashMap<&AdminCode, usize> = HashMap::new();
        for h in POPULATION.iter() {
            assert!(codes.contains(&h.commune));
            *households.entry(&h.commune).or_default() += 1;
            for m in &h.members {
                let current = m.current_residence.as_ref().unwrap();
                assert!(codes.contains(&current.commune));
                assert!(codes.contains(m.home_commune().unwrap()));
                if let Some(t) = &m.temporary_residence {
                    assert_ne!(t.commune, h.commune);
                    assert_eq!(t, current);
                }
            }
        }
        // One urban commune against three rural ones: about three times as many households.
        let urban = households[&c[0].code];
        let rural = households[&c[1].code] + households[&c[2].code] + households[&c[3].code];
        let ratio = share(urban * 3, rural);
        assert!((2.6..3.4).contains(&ratio), "{ratio}");
        let temporary = share_of(|p| p.temporary_residence.is_some());
        assert!((0.003..0.02).contains(&temporary), "{temporary}");
    }

    #[test]
    fn hometowns_are_communes_here_or_other_provinces() {
        let c = communes();
        let codes: HashSet<&AdminCode> = c.iter().map(|c| &c.code).collect();
        let mut own_commune = 0;
        for h in POPULATION.iter() {
            for m in &h.members {
                let Some(hometown) = &m.hometown else {
                    continue;
                };
                match hometown.level() {
                    AdminLevel::Commune => assert!(codes.contains(hometown)),
                    AdminLevel::Province => assert_ne!(hometown.as_str(), "42"),
                    AdminLevel::District => panic!("{hometown:?}"),
                }
                own_commune += usize::from(*hometown == h.commune);
                let father = m.father.as_ref().and_then(|f| {
                    let id = f.id_number.as_ref()?;
                    h.members.iter().find(|p| p.personal_id.as_string() == *id)
                });
                if let Some(father_hometown) = father.and_then(|f| f.hometown.as_ref()) {
                    assert_eq!(hometown, father_hometown);
                }
            }
        }
        let own = share(own_commune, people().count());
        assert!((0.4..0.8).contains(&own), "{own}");
    }

    #[test]
    fn populations_of_different_provinces_share_no_personal_id() {
        let c = communes();
        let ids = |province| {
            generate(&PopulationSpec {
                province,
                ..spec(&c, 20_000, 1)
            })
            .flat_map(|h| h.members)
            .map(|m| m.personal_id)
            .collect::<std::collections::HashSet<_>>()
        };
        let (ha_tinh, ha_noi) = (ids("42"), ids("01"));
        // Some people of each are registered at birth in the other's province.
        assert!(ha_noi.iter().any(|id| id.as_string().starts_with("042")));
        assert!(ha_tinh.iter().any(|id| id.as_string().starts_with("001")));
        assert_eq!(ha_tinh.intersection(&ha_noi).count(), 0);
    }

    #[test]
    fn addresses_read_like_the_region() {
        for h in POPULATION.iter().take(2_000) {
            let urban = h.commune.as_str() == "18541";
            let ok = if urban {
                h.address.starts_with("Số ") || h.address.starts_with("Tổ dân phố ")
            } else {
                h.address.starts_with("Thôn ") || h.address.starts_with("Xóm ")
            };
            assert!(ok, "{}", h.address);
        }
        let c = communes();
        let south = PopulationSpec {
            province: "79",
            ..spec(&c, 2_000, 9)
        };
        for h in generate(&south) {
            assert!(
                ["Số ", "Khu phố ", "Ấp "]
                    .iter()
                    .any(|p| h.address.starts_with(p)),
                "{}",
                h.address
            );
            assert!(!h.address.contains("ngõ"));
        }
    }

    #[test]
    fn some_records_are_incomplete() {
        let hometown = share_of(|p| p.hometown.is_none());
        assert!((0.02..0.04).contains(&hometown), "{hometown}");
        let ethnicity = share_of(|p| p.ethnicity.is_none());
        assert!((0.013..0.027).contains(&ethnicity), "{ethnicity}");
        let permanent = share_of(|p| p.permanent_residence.is_none());
        assert!((0.005..0.015).contains(&permanent), "{permanent}");

        let month_year =
            share_of(|p| p.birth_date.month().is_some() && p.birth_date.day().is_none());
        assert!((0.01..0.03).contains(&month_year), "{month_year}");
        let year_only = share_of(|p| p.birth_date.month().is_none());
        assert!((0.004..0.016).contains(&year_only), "{year_only}");
        assert!(
            people()
                .filter(|p| p.birth_date.day().is_none())
                .all(|p| age(&p.birth_date) >= PARTIAL_BIRTH_DATE_MIN_AGE - 1)
        );
    }

    #[test]
    fn older_adults_often_have_an_old_cmnd() {
        let mut numbers = HashSet::new();
        let (mut eligible, mut with) = (0, 0);
        for p in people() {
            if let Some(n) = &p.old_id_number {
                assert_eq!(n.as_str().len(), 9);
                assert!(numbers.insert(n.as_str().to_owned()), "CMND repeated");
            }
            if p.birth_date.year() < OLD_CMND_BORN_BEFORE {
                eligible += 1;
                with += usize::from(p.old_id_number.is_some());
            } else {
                assert!(p.old_id_number.is_none());
            }
        }
        let rate = share(with, eligible);
        assert!((0.57..0.63).contains(&rate), "{rate}");
    }

    #[test]
    fn codes_come_from_the_reference_lists() {
        for p in people() {
            if let Some(e) = &p.ethnicity {
                assert!(reference::ethnicity(e).is_some(), "{e}");
            }
            let r = p.religion.as_deref().unwrap();
            assert!(reference::religion(r).is_some(), "{r}");
        }
        let kinh = share_of(|p| p.ethnicity.as_deref() == Some("01"));
        assert!(kinh > 0.8, "{kinh}");
        let blood = share_of(|p| p.blood_group.is_some());
        assert!((0.23..0.27).contains(&blood), "{blood}");
    }

    #[test]
    fn birth_dates_are_real_and_past() {
        assert!(people().all(|p| p.birth_date.earliest() <= today()));
        // 29 February birthdays exist, for the card validity rules to meet.
        assert!(
            people().any(|p| p.birth_date.month() == Some(2) && p.birth_date.day() == Some(29))
        );
    }

    #[test]
    fn invalid_specs_are_refused() {
        let c = communes();
        let check = |spec: PopulationSpec, error: PopulationError| {
            assert_eq!(Population::new(&spec).unwrap_err(), error);
            assert_eq!(generate(&spec).count(), 0);
        };
        check(
            PopulationSpec {
                province: "03",
                ..spec(&c, 10, 1)
            },
            PopulationError::UnknownProvince("03".into()),
        );
        check(spec(&[], 10, 1), PopulationError::NoCommunes);
        let district = [CommuneInfo {
            code: AdminCode::parse("436").unwrap(),
            district: None,
            urban: false,
        }];
        check(
            spec(&district, 10, 1),
            PopulationError::NotACommune("436".into()),
        );
        check(
            PopulationSpec {
                today: jiff::civil::date(1999, 1, 1),
                ..spec(&c, 10, 1)
            },
            PopulationError::TodayOutOfRange(1999),
        );
    }

    #[test]
    fn a_single_commune_is_enough() {
        let one = &communes()[1..2];
        let people: Vec<CitizenData> = generate(&spec(one, 500, 4))
            .flat_map(|h| h.members)
            .collect();
        assert_eq!(people.len(), 500);
        assert!(people.iter().all(|p| p.temporary_residence.is_none()));
    }
}
