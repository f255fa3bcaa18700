//! Administrative units (đơn vị hành chính) keyed by their GSO codes.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// The level of a unit, read from the length of its GSO code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminLevel {
    /// 2 digits.
    Province,
    /// 3 digits (no longer used after 1 July 2025).
    District,
    /// 5 digits.
    Commune,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0:?} is not a GSO code (2 digits for a province, 3 for a district, 5 for a commune)")]
pub struct AdminCodeError(pub String);

/// A GSO code of any level.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AdminCode(String);

impl AdminCode {
    pub fn parse(s: &str) -> Result<Self, AdminCodeError> {
        let ok = matches!(s.len(), 2 | 3 | 5) && s.bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(AdminCodeError(s.to_owned()))
        }
    }

    pub fn level(&self) -> AdminLevel {
        match self.0.len() {
            2 => AdminLevel::Province,
            3 => AdminLevel::District,
            _ => AdminLevel::Commune,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AdminCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AdminCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AdminCode({})", self.0)
    }
}

impl std::str::FromStr for AdminCode {
    type Err = AdminCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for AdminCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for AdminCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The kind of a unit as the law names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminKind {
    /// Tỉnh.
    Province,
    /// Thành phố trực thuộc trung ương.
    Municipality,
    /// Quận.
    UrbanDistrict,
    /// Huyện.
    RuralDistrict,
    /// Thị xã.
    Town,
    /// Thành phố thuộc tỉnh.
    ProvincialCity,
    /// Phường.
    Ward,
    /// Xã.
    Commune,
    /// Thị trấn.
    Township,
    /// Đặc khu (special zone, from 2025).
    SpecialZone,
}

impl AdminKind {
    /// The identifier used in files and the database.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::Municipality => "municipality",
            Self::UrbanDistrict => "urban_district",
            Self::RuralDistrict => "rural_district",
            Self::Town => "town",
            Self::ProvincialCity => "provincial_city",
            Self::Ward => "ward",
            Self::Commune => "commune",
            Self::Township => "township",
            Self::SpecialZone => "special_zone",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Province,
            Self::Municipality,
            Self::UrbanDistrict,
            Self::RuralDistrict,
            Self::Town,
            Self::ProvincialCity,
            Self::Ward,
            Self::Commune,
            Self::Township,
            Self::SpecialZone,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// The Vietnamese word that precedes the unit's name.
    pub fn vietnamese(&self) -> &'static str {
        match self {
            Self::Province => "Tỉnh",
            Self::Municipality | Self::ProvincialCity => "Thành phố",
            Self::UrbanDistrict => "Quận",
            Self::RuralDistrict => "Huyện",
            Self::Town => "Thị xã",
            Self::Ward => "Phường",
            Self::Commune => "Xã",
            Self::Township => "Thị trấn",
            Self::SpecialZone => "Đặc khu",
        }
    }
}

/// One administrative unit of a hierarchy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminUnit {
    pub code: AdminCode,
    /// The name without its kind ("Hà Tĩnh", not "Tỉnh Hà Tĩnh").
    pub name: String,
    pub kind: AdminKind,
    pub parent: Option<AdminCode>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

impl AdminUnit {
    /// "Huyện Thạch Hà".
    pub fn full_name(&self) -> String {
        format!("{} {}", self.kind.vietnamese(), self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_by_level() {
        assert_eq!(
            AdminCode::parse("42").unwrap().level(),
            AdminLevel::Province
        );
        assert_eq!(
            AdminCode::parse("436").unwrap().level(),
            AdminLevel::District
        );
        assert_eq!(
            AdminCode::parse("18541").unwrap().level(),
            AdminLevel::Commune
        );
        assert!(AdminCode::parse("4").is_err());
        assert!(AdminCode::parse("1854").is_err());
        assert!(AdminCode::parse("4a").is_err());
    }

    #[test]
    fn kinds_round_trip() {
        for k in ["province", "ward", "township", "special_zone"] {
            assert_eq!(AdminKind::parse(k).map(|k| k.as_str()), Some(k));
        }
        assert_eq!(AdminKind::parse("tinh"), None);
    }
}
