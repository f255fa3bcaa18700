//! Citizens and households as the register holds them (DESIGN §2).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::admin::AdminCode;
use crate::date::PartialDate;
use crate::personal_id::PersonalId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// "Nam" / "Nữ", as written on forms and cards.
    pub fn vietnamese(&self) -> &'static str {
        match self {
            Self::Male => "Nam",
            Self::Female => "Nữ",
        }
    }

    /// Accepts the Vietnamese words (with or without diacritics) and the API identifiers.
    pub fn parse(s: &str) -> Option<Self> {
        match crate::text::fold(s).as_str() {
            "NAM" | "MALE" | "M" => Some(Self::Male),
            "NU" | "FEMALE" | "F" => Some(Self::Female),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Male => "male",
            Self::Female => "female",
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a record stands on its way to the official register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    Draft,
    Verified,
    Official,
}

impl RecordStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Verified => "verified",
            Self::Official => "official",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(Self::Draft),
            "verified" => Some(Self::Verified),
            "official" => Some(Self::Official),
            _ => None,
        }
    }
}

/// Marital status (tình trạng hôn nhân).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaritalStatus {
    Single,
    Married,
    Divorced,
    Widowed,
}

impl MaritalStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Married => "married",
            Self::Divorced => "divorced",
            Self::Widowed => "widowed",
        }
    }

    /// Accepts the identifiers and the Vietnamese words on the form, diacritics optional.
    pub fn parse(s: &str) -> Option<Self> {
        match crate::text::fold(s).as_str() {
            "SINGLE" | "CHUA KET HON" | "DOC THAN" => Some(Self::Single),
            "MARRIED" | "DA KET HON" | "CO VO" | "CO CHONG" | "CO VO/CHONG" => Some(Self::Married),
            "DIVORCED" | "LY HON" | "DA LY HON" => Some(Self::Divorced),
            "WIDOWED" | "GOA" | "GOA VO" | "GOA CHONG" => Some(Self::Widowed),
            _ => None,
        }
    }

    pub fn vietnamese(&self) -> &'static str {
        match self {
            Self::Single => "Chưa kết hôn",
            Self::Married => "Đã kết hôn",
            Self::Divorced => "Ly hôn",
            Self::Widowed => "Góa",
        }
    }
}

/// Blood group (nhóm máu), ABO with optional Rh.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BloodGroup(String);

impl BloodGroup {
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_uppercase().replace(' ', "");
        let abo = s.trim_end_matches(['+', '-']);
        let rh = &s[abo.len()..];
        let ok = matches!(abo, "A" | "B" | "AB" | "O") && matches!(rh, "" | "+" | "-");
        ok.then_some(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A residence: the commune and the address line within it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Residence {
    pub commune: AdminCode,
    pub address: String,
}

/// A father, mother, spouse or legal representative as the form names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relative {
    pub full_name: String,
    /// A personal ID number or old CMND as written; a relative need not be in the register.
    pub id_number: Option<String>,
    pub nationality: Option<String>,
}

/// The old 9-digit (or 12-digit) identity card number (chứng minh nhân dân).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OldIdNumber(String);

impl OldIdNumber {
    pub fn parse(s: &str) -> Option<Self> {
        let ok = matches!(s.len(), 9 | 12) && s.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OldIdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OldIdNumber(***)")
    }
}

/// Every field of a citizen's record (DESIGN §2). Codes of ethnicity, religion and
/// nationality have been checked against the reference lists before a value is built.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CitizenData {
    pub personal_id: PersonalId,
    pub old_id_number: Option<OldIdNumber>,
    pub full_name: String,
    pub other_names: Option<String>,
    pub birth_date: PartialDate,
    pub sex: Sex,
    /// Province, district or commune where the birth was registered.
    pub birth_registration_place: Option<AdminCode>,
    pub hometown: Option<AdminCode>,
    /// 2-digit code of the 54 ethnic groups.
    pub ethnicity: Option<String>,
    /// Code of the recognised religions, or "00" for none.
    pub religion: Option<String>,
    /// ISO 3166-1 alpha-3.
    pub nationality: String,
    pub blood_group: Option<BloodGroup>,
    pub marital_status: Option<MaritalStatus>,
    pub permanent_residence: Option<Residence>,
    pub temporary_residence: Option<Residence>,
    pub current_residence: Option<Residence>,
    pub household_number: Option<String>,
    pub relation_to_head: Option<String>,
    pub father: Option<Relative>,
    pub mother: Option<Relative>,
    pub spouse: Option<Relative>,
    pub legal_representative: Option<Relative>,
    pub died_on: Option<PartialDate>,
    pub missing_since: Option<PartialDate>,
}

/// Fields of a record that the collection form should carry (the import flags a row
/// that lacks one, `form::EXPECTED`): a record still without one is on the list of
/// those the commune officer goes back to complete. Names as the record's JSON has them.
pub const EXPECTED_FIELDS: [&str; 5] = [
    "birth_registration_place",
    "hometown",
    "ethnicity",
    "religion",
    "permanent_residence",
];

impl CitizenData {
    /// Which of [`EXPECTED_FIELDS`] this record lacks.
    pub fn missing_fields(&self) -> Vec<&'static str> {
        let present = [
            self.birth_registration_place.is_some(),
            self.hometown.is_some(),
            self.ethnicity.is_some(),
            self.religion.is_some(),
            self.permanent_residence.is_some(),
        ];
        EXPECTED_FIELDS
            .into_iter()
            .zip(present)
            .filter(|(_, there)| !there)
            .map(|(field, _)| field)
            .collect()
    }

    /// The commune whose police answers for this person: where they live now, else
    /// where they are permanently registered, else where they stay temporarily.
    pub fn home_commune(&self) -> Option<&AdminCode> {
        self.current_residence
            .as_ref()
            .or(self.permanent_residence.as_ref())
            .or(self.temporary_residence.as_ref())
            .map(|r| &r.commune)
    }

    /// The names of the fields that differ between two versions of a record.
    pub fn differing_fields(&self, other: &Self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut check = |name: &'static str, same: bool| {
            if !same {
                out.push(name);
            }
        };
        check("so_dinh_danh", self.personal_id == other.personal_id);
        check("cmnd_cu", self.old_id_number == other.old_id_number);
        check("ho_ten", self.full_name == other.full_name);
        check("ten_goi_khac", self.other_names == other.other_names);
        check("ngay_sinh", self.birth_date == other.birth_date);
        check("gioi_tinh", self.sex == other.sex);
        check(
            "noi_dang_ky_khai_sinh",
            self.birth_registration_place == other.birth_registration_place,
        );
        check("que_quan", self.hometown == other.hometown);
        check("dan_toc", self.ethnicity == other.ethnicity);
        check("ton_giao", self.religion == other.religion);
        check("quoc_tich", self.nationality == other.nationality);
        check("nhom_mau", self.blood_group == other.blood_group);
        check(
            "tinh_trang_hon_nhan",
            self.marital_status == other.marital_status,
        );
        check(
            "thuong_tru",
            self.permanent_residence == other.permanent_residence,
        );
        check(
            "tam_tru",
            self.temporary_residence == other.temporary_residence,
        );
        check(
            "noi_o_hien_tai",
            self.current_residence == other.current_residence,
        );
        check("so_ho", self.household_number == other.household_number);
        check(
            "quan_he_chu_ho",
            self.relation_to_head == other.relation_to_head,
        );
        check("cha", self.father == other.father);
        check("me", self.mother == other.mother);
        check("vo_chong", self.spouse == other.spouse);
        check(
            "nguoi_dai_dien",
            self.legal_representative == other.legal_representative,
        );
        check("ngay_mat", self.died_on == other.died_on);
        check("mat_tich", self.missing_since == other.missing_since);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sex_and_marital_status() {
        assert_eq!(Sex::parse("Nữ"), Some(Sex::Female));
        assert_eq!(Sex::parse("nu"), Some(Sex::Female));
        assert_eq!(Sex::parse("Nam"), Some(Sex::Male));
        assert_eq!(Sex::parse("X"), None);
        assert_eq!(
            MaritalStatus::parse("Đã kết hôn"),
            Some(MaritalStatus::Married)
        );
        assert_eq!(MaritalStatus::parse("?"), None);
    }

    #[test]
    fn blood_groups() {
        assert_eq!(BloodGroup::parse("ab+").unwrap().as_str(), "AB+");
        assert_eq!(BloodGroup::parse("O").unwrap().as_str(), "O");
        assert!(BloodGroup::parse("C").is_none());
        assert!(BloodGroup::parse("A++").is_none());
    }

    #[test]
    fn old_numbers_have_9_or_12_digits() {
        assert!(OldIdNumber::parse("183456789").is_some());
        assert!(OldIdNumber::parse("18345678").is_none());
        assert!(OldIdNumber::parse("18345678x").is_none());
    }
}
