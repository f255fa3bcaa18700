//! Police units (đơn vị công an): who takes applications, holds quotas and employs
//! officers. Their codes are derived from GSO codes so that people can read them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use crate::admin::{AdminCode, AdminKind, AdminLevel, AdminUnit};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "{0:?} is not a police unit code (BCA, C06, C06-TTCC, CAT-42, PC06-42, CAH-436, CAX-18541)"
)]
pub struct PoliceUnitCodeError(pub String);

/// What a police unit is, with the administrative unit it answers for.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PoliceUnitCode {
    /// Bộ Công an.
    Ministry,
    /// Cục Cảnh sát QLHC về TTXH (C06), which runs the register nationally.
    C06,
    /// The national card production centre under C06.
    ProductionCentre,
    /// Công an tỉnh / thành phố.
    Province(AdminCode),
    /// The PC06 department of a province police.
    Pc06(AdminCode),
    /// Công an huyện / quận / thị xã / thành phố.
    District(AdminCode),
    /// Công an xã / phường / thị trấn.
    Commune(AdminCode),
}

/// The part of the country a unit answers for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Jurisdiction {
    Nation,
    /// The subtree under this administrative unit.
    Within(AdminCode),
}

impl PoliceUnitCode {
    pub fn parse(s: &str) -> Result<Self, PoliceUnitCodeError> {
        let err = || PoliceUnitCodeError(s.to_owned());
        let code = |rest: &str, level: AdminLevel| {
            AdminCode::parse(rest)
                .ok()
                .filter(|c| c.level() == level)
                .ok_or_else(err)
        };
        match s {
            "BCA" => return Ok(Self::Ministry),
            "C06" => return Ok(Self::C06),
            "C06-TTCC" => return Ok(Self::ProductionCentre),
            _ => {}
        }
        let (kind, rest) = s.split_once('-').ok_or_else(err)?;
        match kind {
            "CAT" => Ok(Self::Province(code(rest, AdminLevel::Province)?)),
            "PC06" => Ok(Self::Pc06(code(rest, AdminLevel::Province)?)),
            "CAH" => Ok(Self::District(code(rest, AdminLevel::District)?)),
            "CAX" => Ok(Self::Commune(code(rest, AdminLevel::Commune)?)),
            _ => Err(err()),
        }
    }

    pub fn as_string(&self) -> String {
        match self {
            Self::Ministry => "BCA".into(),
            Self::C06 => "C06".into(),
            Self::ProductionCentre => "C06-TTCC".into(),
            Self::Province(c) => format!("CAT-{c}"),
            Self::Pc06(c) => format!("PC06-{c}"),
            Self::District(c) => format!("CAH-{c}"),
            Self::Commune(c) => format!("CAX-{c}"),
        }
    }

    pub fn jurisdiction(&self) -> Jurisdiction {
        match self {
            Self::Ministry | Self::C06 | Self::ProductionCentre => Jurisdiction::Nation,
            Self::Province(c) | Self::Pc06(c) | Self::District(c) | Self::Commune(c) => {
                Jurisdiction::Within(c.clone())
            }
        }
    }
}

impl fmt::Display for PoliceUnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

impl fmt::Debug for PoliceUnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PoliceUnitCode({})", self.as_string())
    }
}

impl std::str::FromStr for PoliceUnitCode {
    type Err = PoliceUnitCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for PoliceUnitCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_string())
    }
}

impl<'de> Deserialize<'de> for PoliceUnitCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A police unit as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoliceUnit {
    pub code: PoliceUnitCode,
    pub name: String,
    pub parent: Option<PoliceUnitCode>,
}

/// The police units of a hierarchy: the ministry, C06 and its production centre, and for
/// every province its police and PC06, every district its police, every commune its police.
/// Commune police report to the district police, or to the province police where the
/// hierarchy has no districts (2025).
pub fn derive_police_units(admin: &[AdminUnit]) -> Vec<PoliceUnit> {
    let mut out = vec![
        PoliceUnit {
            code: PoliceUnitCode::Ministry,
            name: "Bộ Công an".into(),
            parent: None,
        },
        PoliceUnit {
            code: PoliceUnitCode::C06,
            name: "Cục Cảnh sát quản lý hành chính về trật tự xã hội (C06)".into(),
            parent: Some(PoliceUnitCode::Ministry),
        },
        PoliceUnit {
            code: PoliceUnitCode::ProductionCentre,
            name: "Trung tâm Căn cước công dân quốc gia".into(),
            parent: Some(PoliceUnitCode::C06),
        },
    ];
    for unit in admin {
        let lower_kind = lower_first(&unit.full_name());
        match unit.code.level() {
            AdminLevel::Province => {
                out.push(PoliceUnit {
                    code: PoliceUnitCode::Province(unit.code.clone()),
                    name: format!("Công an {lower_kind}"),
                    parent: Some(PoliceUnitCode::Ministry),
                });
                out.push(PoliceUnit {
                    code: PoliceUnitCode::Pc06(unit.code.clone()),
                    name: format!("Phòng PC06 Công an {lower_kind}"),
                    parent: Some(PoliceUnitCode::Province(unit.code.clone())),
                });
            }
            AdminLevel::District => out.push(PoliceUnit {
                code: PoliceUnitCode::District(unit.code.clone()),
                name: format!("Công an {lower_kind}"),
                parent: unit.parent.clone().map(PoliceUnitCode::Province),
            }),
            AdminLevel::Commune => out.push(PoliceUnit {
                code: PoliceUnitCode::Commune(unit.code.clone()),
                name: format!("Công an {lower_kind}"),
                parent: unit.parent.clone().map(|p| match p.level() {
                    AdminLevel::Province => PoliceUnitCode::Province(p),
                    _ => PoliceUnitCode::District(p),
                }),
            }),
        }
    }
    out
}

fn lower_first(s: &str) -> String {
    // "Tỉnh Hà Tĩnh" → "tỉnh Hà Tĩnh": only the kind word is lowered.
    match s.split_once(' ') {
        Some((kind, rest)) if AdminKind::parse(kind).is_none() => {
            let lowered: String = kind.chars().flat_map(char::to_lowercase).collect();
            let mut words = vec![lowered];
            // Two-word kinds ("Thành phố", "Thị xã", "Thị trấn") lower their second word too.
            let mut rest = rest.to_owned();
            if let Some((second, tail)) = rest.clone().split_once(' ')
                && matches!(second, "phố" | "xã" | "trấn")
            {
                words.push(second.to_owned());
                rest = tail.to_owned();
            }
            words.push(rest);
            words.join(" ")
        }
        _ => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str, name: &str, kind: AdminKind, parent: Option<&str>) -> AdminUnit {
        AdminUnit {
            code: AdminCode::parse(code).unwrap(),
            name: name.into(),
            kind,
            parent: parent.map(|p| AdminCode::parse(p).unwrap()),
            latitude: None,
            longitude: None,
        }
    }

    #[test]
    fn codes_round_trip() {
        for s in [
            "BCA",
            "C06",
            "C06-TTCC",
            "CAT-42",
            "PC06-42",
            "CAH-436",
            "CAX-18541",
        ] {
            assert_eq!(PoliceUnitCode::parse(s).unwrap().as_string(), s);
        }
        for s in ["CAT-436", "CAH-42", "CAX-1854", "XYZ-42", "", "cat-42"] {
            assert!(PoliceUnitCode::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn derives_the_hierarchy() {
        let admin = vec![
            unit("42", "Hà Tĩnh", AdminKind::Province, None),
            unit("436", "Thạch Hà", AdminKind::RuralDistrict, Some("42")),
            unit("18541", "Thạch Long", AdminKind::Commune, Some("436")),
        ];
        let police = derive_police_units(&admin);
        let find = |c: &str| {
            police
                .iter()
                .find(|p| p.code.as_string() == c)
                .unwrap()
                .clone()
        };
        assert_eq!(find("CAT-42").name, "Công an tỉnh Hà Tĩnh");
        assert_eq!(find("PC06-42").parent.unwrap().as_string(), "CAT-42");
        assert_eq!(find("CAH-436").name, "Công an huyện Thạch Hà");
        assert_eq!(find("CAH-436").parent.unwrap().as_string(), "CAT-42");
        assert_eq!(find("CAX-18541").parent.unwrap().as_string(), "CAH-436");
        assert_eq!(police.len(), 3 + 2 + 1 + 1);
    }

    #[test]
    fn names_lower_two_word_kinds() {
        assert_eq!(lower_first("Thành phố Hà Tĩnh"), "thành phố Hà Tĩnh");
        assert_eq!(lower_first("Thị xã Kỳ Anh"), "thị xã Kỳ Anh");
        assert_eq!(lower_first("Xã Thạch Long"), "xã Thạch Long");
    }
}
