//! The vendored administrative-unit hierarchies and their CSV format.
//!
//! Three files ship in `data/` at the repository root (see `data/README.md` for their
//! origin and `scripts/vendor_reference_data.py` for how they are made):
//!
//! - [`ADMIN_UNITS_2021`]: the hierarchy the 2021 campaign ran on, 63 provinces,
//!   705 districts, 10,599 communes;
//! - [`ADMIN_UNITS_2025`]: the hierarchy from 1 July 2025, 34 provinces and 3,321
//!   communes, no district level;
//! - [`ADMIN_MAPPING_2025`]: which new commune each old one went to.
//!
//! The text is embedded at compile time; parsing it is pure. This module does not
//! decide which hierarchy is in force or load anything into a store: the store and
//! the binary do.
//!
//! The format is CSV as in RFC 4180 with one record per line (no line breaks inside
//! fields), a fixed header, UTF-8 in NFC.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use thiserror::Error;

use crate::admin::{AdminCode, AdminCodeError, AdminKind, AdminLevel, AdminUnit};

/// `code,name,kind,parent_code,latitude,longitude`, the 2021 hierarchy.
pub const ADMIN_UNITS_2021: &str = include_str!("../../../data/admin-units-2021.csv");
/// Same columns, the hierarchy from 1 July 2025.
pub const ADMIN_UNITS_2025: &str = include_str!("../../../data/admin-units-2025.csv");
/// `old_commune_code,new_commune_code,new_province_code`.
pub const ADMIN_MAPPING_2025: &str = include_str!("../../../data/admin-units-2025-mapping.csv");

const UNITS_HEADER: &str = "code,name,kind,parent_code,latitude,longitude";
const MAPPING_HEADER: &str = "old_commune_code,new_commune_code,new_province_code";

/// One row of the old→new mapping of 1 July 2025.
///
/// An old commune split among several new ones has one row per new commune.
/// `old_commune` is a district code for the five island districts that had no
/// communes (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AdminMapping {
    pub old_commune: AdminCode,
    pub new_commune: AdminCode,
    pub new_province: AdminCode,
}

/// A malformed hierarchy or mapping file: where, and why.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("line {line}: {reason}")]
pub struct AdminDataError {
    /// 1-based; the header is line 1.
    pub line: usize,
    pub reason: AdminDataReason,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum AdminDataReason {
    #[error("the file is empty")]
    Empty,
    #[error("expected the header {expected:?}")]
    Header { expected: &'static str },
    #[error("a quote is unterminated or stray")]
    Quote,
    #[error("expected {expected} fields, found {found}")]
    FieldCount { expected: usize, found: usize },
    #[error(transparent)]
    Code(#[from] AdminCodeError),
    #[error("unknown kind {0:?}")]
    Kind(String),
    #[error("the name is empty")]
    EmptyName,
    #[error("kind {kind} does not fit the {level:?} code {code}")]
    KindLevel {
        kind: &'static str,
        level: AdminLevel,
        code: AdminCode,
    },
    #[error("{0:?} is not a coordinate in range")]
    Coordinate(String),
    #[error("latitude and longitude must both be given or both be empty")]
    HalfCoordinate,
    #[error("code {0} appears twice")]
    Duplicate(AdminCode),
    #[error("{0} is a province and cannot have a parent")]
    ProvinceWithParent(AdminCode),
    #[error("{0} has no parent")]
    MissingParent(AdminCode),
    #[error("parent {parent} is not above {code}")]
    ParentLevel { code: AdminCode, parent: AdminCode },
    #[error("parent {0} is not in the file")]
    UnknownParent(AdminCode),
    #[error("{code} is not a {expected:?} code")]
    WrongLevel {
        code: AdminCode,
        expected: AdminLevel,
    },
    #[error("the pair {old} → {new} appears twice")]
    DuplicatePair { old: AdminCode, new: AdminCode },
}

impl AdminDataError {
    fn at(line: usize, reason: impl Into<AdminDataReason>) -> Self {
        Self {
            line,
            reason: reason.into(),
        }
    }
}

/// Parses a hierarchy file (`code,name,kind,parent_code,latitude,longitude`).
///
/// Besides the syntax it checks that the hierarchy holds together: codes are unique,
/// each kind fits the length of its code, provinces have no parent, every other unit
/// has a parent of a higher level that is in the file (in any order). Units come back
/// in file order.
pub fn parse_admin_units(csv_text: &str) -> Result<Vec<AdminUnit>, AdminDataError> {
    let mut units = Vec::new();
    // code → line, for duplicates and for the parent check after the loop.
    let mut lines: HashMap<AdminCode, usize> = HashMap::new();
    for (line, text) in records(csv_text, UNITS_HEADER)? {
        let unit = parse_unit(text).map_err(|r| AdminDataError::at(line, r))?;
        if lines.insert(unit.code.clone(), line).is_some() {
            return Err(AdminDataError::at(
                line,
                AdminDataReason::Duplicate(unit.code),
            ));
        }
        units.push(unit);
    }
    for unit in &units {
        if let Some(parent) = &unit.parent
            && !lines.contains_key(parent)
        {
            let line = lines.get(&unit.code).copied().unwrap_or_default();
            return Err(AdminDataError::at(
                line,
                AdminDataReason::UnknownParent(parent.clone()),
            ));
        }
    }
    Ok(units)
}

/// Parses a mapping file (`old_commune_code,new_commune_code,new_province_code`).
///
/// `new_commune_code` must be a 5-digit code, `new_province_code` a 2-digit one,
/// `old_commune_code` a commune or district code; a pair may not repeat. Whether the
/// codes exist in the hierarchies is for the caller to check against them.
pub fn parse_admin_mapping(csv_text: &str) -> Result<Vec<AdminMapping>, AdminDataError> {
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for (line, text) in records(csv_text, MAPPING_HEADER)? {
        let row = parse_mapping(text).map_err(|r| AdminDataError::at(line, r))?;
        if !seen.insert((row.old_commune.clone(), row.new_commune.clone())) {
            return Err(AdminDataError::at(
                line,
                AdminDataReason::DuplicatePair {
                    old: row.old_commune,
                    new: row.new_commune,
                },
            ));
        }
        rows.push(row);
    }
    Ok(rows)
}

fn parse_unit(text: &str) -> Result<AdminUnit, AdminDataReason> {
    let [code, name, kind, parent, lat, lon] = fields::<6>(text)?;
    let code = AdminCode::parse(&code)?;
    let name = crate::text::clean(&name);
    if name.is_empty() {
        return Err(AdminDataReason::EmptyName);
    }
    let kind = AdminKind::parse(&kind).ok_or_else(|| AdminDataReason::Kind(kind.into_owned()))?;
    if kind_level(kind) != code.level() {
        return Err(AdminDataReason::KindLevel {
            kind: kind.as_str(),
            level: code.level(),
            code,
        });
    }
    let parent = if parent.is_empty() {
        None
    } else {
        Some(AdminCode::parse(&parent)?)
    };
    match (&parent, code.level()) {
        (Some(_), AdminLevel::Province) => {
            return Err(AdminDataReason::ProvinceWithParent(code));
        }
        (None, AdminLevel::District | AdminLevel::Commune) => {
            return Err(AdminDataReason::MissingParent(code));
        }
        (Some(p), level) if p.level() >= level => {
            return Err(AdminDataReason::ParentLevel {
                code,
                parent: p.clone(),
            });
        }
        _ => {}
    }
    let latitude = coordinate(&lat, 90.0)?;
    let longitude = coordinate(&lon, 180.0)?;
    if latitude.is_some() != longitude.is_some() {
        return Err(AdminDataReason::HalfCoordinate);
    }
    Ok(AdminUnit {
        code,
        name,
        kind,
        parent,
        latitude,
        longitude,
    })
}

fn parse_mapping(text: &str) -> Result<AdminMapping, AdminDataReason> {
    let [old, new, province] = fields::<3>(text)?;
    let old_commune = AdminCode::parse(&old)?;
    if old_commune.level() == AdminLevel::Province {
        return Err(AdminDataReason::WrongLevel {
            code: old_commune,
            expected: AdminLevel::Commune,
        });
    }
    let new_commune = at_level(AdminCode::parse(&new)?, AdminLevel::Commune)?;
    let new_province = at_level(AdminCode::parse(&province)?, AdminLevel::Province)?;
    Ok(AdminMapping {
        old_commune,
        new_commune,
        new_province,
    })
}

fn at_level(code: AdminCode, expected: AdminLevel) -> Result<AdminCode, AdminDataReason> {
    if code.level() == expected {
        Ok(code)
    } else {
        Err(AdminDataReason::WrongLevel { code, expected })
    }
}

/// The level whose codes a kind goes with.
fn kind_level(kind: AdminKind) -> AdminLevel {
    match kind {
        AdminKind::Province | AdminKind::Municipality => AdminLevel::Province,
        AdminKind::UrbanDistrict
        | AdminKind::RuralDistrict
        | AdminKind::Town
        | AdminKind::ProvincialCity => AdminLevel::District,
        AdminKind::Ward | AdminKind::Commune | AdminKind::Township | AdminKind::SpecialZone => {
            AdminLevel::Commune
        }
    }
}

fn coordinate(s: &str, limit: f64) -> Result<Option<f64>, AdminDataReason> {
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() <= limit => Ok(Some(v)),
        _ => Err(AdminDataReason::Coordinate(s.to_owned())),
    }
}

/// Exactly `N` fields of one record.
fn fields<const N: usize>(text: &str) -> Result<[Cow<'_, str>; N], AdminDataReason> {
    let found = split_record(text).ok_or(AdminDataReason::Quote)?;
    let count = found.len();
    found.try_into().map_err(|_| AdminDataReason::FieldCount {
        expected: N,
        found: count,
    })
}

/// The data records of a file after its header, numbered from 2, blank lines skipped.
fn records<'a>(
    csv_text: &'a str,
    header: &'static str,
) -> Result<impl Iterator<Item = (usize, &'a str)>, AdminDataError> {
    let mut lines = csv_text
        .lines()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate()
        .map(|(i, l)| (i.saturating_add(1), l));
    match lines.next() {
        None => Err(AdminDataError::at(1, AdminDataReason::Empty)),
        Some((_, first)) if first.trim_start_matches('\u{feff}') == header => {
            Ok(lines.filter(|(_, l)| !l.trim().is_empty()))
        }
        Some(_) => Err(AdminDataError::at(
            1,
            AdminDataReason::Header { expected: header },
        )),
    }
}

/// Splits one CSV record (RFC 4180, no line breaks inside fields). Fields are
/// borrowed unless they hold an escaped quote. `None` when a quote is unterminated
/// or stray.
pub(crate) fn split_record(line: &str) -> Option<Vec<Cow<'_, str>>> {
    let mut out = Vec::new();
    let mut rest = line;
    loop {
        if let Some(quoted) = rest.strip_prefix('"') {
            // A quoted field runs to the first quote that is not doubled.
            let mut owned: Option<String> = None;
            let mut body = quoted;
            let after = loop {
                let q = body.find('"')?;
                let before = body.get(..q)?;
                let after = body.get(q + 1..)?;
                if let Some(more) = after.strip_prefix('"') {
                    let v = owned.get_or_insert_with(String::new);
                    v.push_str(before);
                    v.push('"');
                    body = more;
                } else {
                    out.push(match owned {
                        Some(mut v) => {
                            v.push_str(before);
                            Cow::Owned(v)
                        }
                        // No doubled quote met, so `before` is the whole content.
                        None => Cow::Borrowed(before),
                    });
                    break after;
                }
            };
            match after.strip_prefix(',') {
                Some(next) => rest = next,
                None if after.is_empty() => return Some(out),
                None => return None,
            }
        } else {
            match rest.find(',') {
                Some(i) => {
                    let field = rest.get(..i)?;
                    if field.contains('"') {
                        return None;
                    }
                    out.push(Cow::Borrowed(field));
                    rest = rest.get(i.saturating_add(1)..)?;
                }
                None => {
                    if rest.contains('"') {
                        return None;
                    }
                    out.push(Cow::Borrowed(rest));
                    return Some(out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> AdminCode {
        AdminCode::parse(s).unwrap()
    }

    fn units_2021() -> Vec<AdminUnit> {
        parse_admin_units(ADMIN_UNITS_2021).unwrap()
    }

    fn units_2025() -> Vec<AdminUnit> {
        parse_admin_units(ADMIN_UNITS_2025).unwrap()
    }

    fn count(units: &[AdminUnit], level: AdminLevel) -> usize {
        units.iter().filter(|u| u.code.level() == level).count()
    }

    #[test]
    fn hierarchy_2021_counts() {
        let units = units_2021();
        assert_eq!(count(&units, AdminLevel::Province), 63);
        assert_eq!(count(&units, AdminLevel::District), 705);
        assert_eq!(count(&units, AdminLevel::Commune), 10_599);
        let municipalities: Vec<_> = units
            .iter()
            .filter(|u| u.kind == AdminKind::Municipality)
            .map(|u| u.code.as_str())
            .collect();
        assert_eq!(municipalities, ["01", "31", "48", "79", "92"]);
        // Coordinates: every province, most districts and communes (see data/README.md).
        let placed = units.iter().filter(|u| u.latitude.is_some()).count();
        assert!(placed >= 10_700, "{placed}");
        assert!(
            units
                .iter()
                .filter(|u| u.code.level() == AdminLevel::Province)
                .all(|u| u.latitude.is_some())
        );
    }

    #[test]
    fn hierarchy_2025_counts() {
        let units = units_2025();
        assert_eq!(count(&units, AdminLevel::Province), 34);
        assert_eq!(count(&units, AdminLevel::District), 0);
        assert_eq!(count(&units, AdminLevel::Commune), 3_321);
        assert_eq!(
            units
                .iter()
                .filter(|u| u.kind == AdminKind::SpecialZone)
                .count(),
            13
        );
        assert_eq!(
            units
                .iter()
                .filter(|u| u.kind == AdminKind::Municipality)
                .count(),
            6
        );
        assert!(units.iter().all(|u| u.latitude.is_some()));
    }

    #[test]
    fn every_parent_exists_and_is_one_level_up() {
        for units in [units_2021(), units_2025()] {
            let by_code: HashMap<_, _> = units.iter().map(|u| (u.code.clone(), u)).collect();
            for u in &units {
                match &u.parent {
                    None => assert_eq!(u.code.level(), AdminLevel::Province, "{u:?}"),
                    Some(p) => {
                        let parent = by_code.get(p).unwrap();
                        assert!(parent.code.level() < u.code.level(), "{u:?}");
                    }
                }
            }
        }
        // In 2021 every commune sits under a district, in 2025 under a province.
        assert!(
            units_2021()
                .iter()
                .filter(|u| u.code.level() == AdminLevel::Commune)
                .all(|u| u.parent.as_ref().unwrap().level() == AdminLevel::District)
        );
        assert!(
            units_2025()
                .iter()
                .filter(|u| u.code.level() == AdminLevel::Commune)
                .all(|u| u.parent.as_ref().unwrap().level() == AdminLevel::Province)
        );
    }

    #[test]
    fn ha_tinh_has_thirteen_districts() {
        let units = units_2021();
        let ha_tinh = units.iter().find(|u| u.code == code("42")).unwrap();
        assert_eq!(ha_tinh.full_name(), "Tỉnh Hà Tĩnh");
        let districts: Vec<(&str, &str)> = units
            .iter()
            .filter(|u| u.parent.as_ref() == Some(&ha_tinh.code))
            .map(|u| (u.name.as_str(), u.kind.as_str()))
            .collect();
        let expected = [
            ("Hà Tĩnh", "provincial_city"),
            ("Hồng Lĩnh", "town"),
            ("Hương Sơn", "rural_district"),
            ("Đức Thọ", "rural_district"),
            ("Vũ Quang", "rural_district"),
            ("Nghi Xuân", "rural_district"),
            ("Can Lộc", "rural_district"),
            ("Hương Khê", "rural_district"),
            ("Thạch Hà", "rural_district"),
            ("Cẩm Xuyên", "rural_district"),
            ("Kỳ Anh", "rural_district"),
            ("Lộc Hà", "rural_district"),
            ("Kỳ Anh", "town"),
        ];
        assert_eq!(districts.len(), 13);
        for e in expected {
            assert!(districts.contains(&e), "{e:?} missing from {districts:?}");
        }
        let city = units.iter().find(|u| u.code == code("436")).unwrap();
        assert_eq!(city.full_name(), "Thành phố Hà Tĩnh");
        assert_eq!(city.parent, Some(code("42")));
    }

    #[test]
    fn names_are_clean() {
        for u in units_2021().iter().chain(units_2025().iter()) {
            assert_eq!(crate::text::clean(&u.name), u.name);
            // Names come without the kind word; Phường Đúc (Huế) is really called so.
            let prefixed = u.name.starts_with(&format!("{} ", u.kind.vietnamese()));
            assert_eq!(prefixed, u.code.as_str() == "19780", "{u:?}");
        }
    }

    #[test]
    fn mapping_2025_fits_both_hierarchies() {
        let mapping = parse_admin_mapping(ADMIN_MAPPING_2025).unwrap();
        assert_eq!(mapping.len(), 10_602);
        let new: HashMap<_, _> = units_2025()
            .into_iter()
            .map(|u| (u.code.clone(), u))
            .collect();
        let old: HashSet<_> = units_2021().into_iter().map(|u| u.code).collect();
        for m in &mapping {
            let commune = new.get(&m.new_commune).unwrap();
            assert_eq!(commune.parent.as_ref(), Some(&m.new_province), "{m:?}");
        }
        let targets: HashSet<_> = mapping.iter().map(|m| &m.new_commune).collect();
        assert_eq!(targets.len(), 3_321);
        // The mapping starts from the hierarchy of early 2025: three communes created
        // after 2021 are not in the 2021 file (see data/README.md).
        let mut unknown: Vec<_> = mapping
            .iter()
            .map(|m| m.old_commune.as_str())
            .filter(|c| !old.contains(&code(c)))
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        assert_eq!(unknown, ["03980", "03983", "03984"]);
        // Nam Hà ward (18073) of Hà Tĩnh city went to a ward of Hà Tĩnh province (42).
        assert!(
            mapping
                .iter()
                .any(|m| m.old_commune == code("18073") && m.new_province == code("42"))
        );
        // Côn Đảo district (755) became a special zone of Hồ Chí Minh City.
        let con_dao = mapping
            .iter()
            .find(|m| m.old_commune == code("755"))
            .unwrap();
        assert_eq!(con_dao.new_province, code("79"));
        assert_eq!(
            new.get(&con_dao.new_commune).unwrap().kind,
            AdminKind::SpecialZone
        );
    }

    #[test]
    fn split_communes_have_one_row_per_new_commune() {
        let mapping = parse_admin_mapping(ADMIN_MAPPING_2025).unwrap();
        let mut per_old: HashMap<&AdminCode, usize> = HashMap::new();
        for m in &mapping {
            *per_old.entry(&m.old_commune).or_default() += 1;
        }
        assert_eq!(per_old.len(), 10_040);
        assert!(per_old.values().any(|&n| n > 1));
    }

    #[test]
    fn errors_name_the_line() {
        let head = format!("{UNITS_HEADER}\n");
        let err = |body: &str| parse_admin_units(&format!("{head}{body}")).unwrap_err();

        assert_eq!(
            parse_admin_units("").unwrap_err().reason,
            AdminDataReason::Empty
        );
        assert_eq!(parse_admin_units("code,name\n").unwrap_err().line, 1);

        let e = err("42,Hà Tĩnh,province,,,\n4x2,Bad,province,,,\n");
        assert_eq!(e.line, 3);
        assert!(matches!(e.reason, AdminDataReason::Code(_)));
        assert_eq!(
            e.to_string(),
            "line 3: \"4x2\" is not a GSO code (2 digits for a province, 3 for a district, 5 for a commune)"
        );

        let e = err("42,Hà Tĩnh,tinh,,,\n");
        assert_eq!(
            (e.line, e.reason),
            (2, AdminDataReason::Kind("tinh".into()))
        );

        let e = err("42,Hà Tĩnh,province,,,\n436,Hà Tĩnh,provincial_city,42,18.3\n");
        assert_eq!(
            (e.line, e.reason),
            (
                3,
                AdminDataReason::FieldCount {
                    expected: 6,
                    found: 5
                }
            )
        );

        let e = err("436,Hà Tĩnh,provincial_city,42,,\n");
        assert_eq!(
            (e.line, e.reason),
            (2, AdminDataReason::UnknownParent(code("42")))
        );

        let e = err("42,Hà Tĩnh,ward,,,\n");
        assert!(matches!(e.reason, AdminDataReason::KindLevel { .. }));

        let e = err("42,Hà Tĩnh,province,,,\n42,Hà Tĩnh,province,,,\n");
        assert_eq!(
            (e.line, e.reason),
            (3, AdminDataReason::Duplicate(code("42")))
        );

        let e = err("42,Hà Tĩnh,province,,91.0,105.0\n");
        assert_eq!(e.reason, AdminDataReason::Coordinate("91.0".into()));
        let e = err("42,Hà Tĩnh,province,,18.0,\n");
        assert_eq!(e.reason, AdminDataReason::HalfCoordinate);
        let e = err("18541,Hương Vĩnh,commune,,,\n");
        assert_eq!(e.reason, AdminDataReason::MissingParent(code("18541")));
        let e = err("42,\"Hà Tĩnh,province,,,\n");
        assert_eq!(e.reason, AdminDataReason::Quote);

        let e = parse_admin_mapping(&format!("{MAPPING_HEADER}\n18541,18541,420\n")).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(matches!(e.reason, AdminDataReason::WrongLevel { .. }));
    }

    #[test]
    fn parents_may_come_later_and_quotes_and_crlf_are_read() {
        let text = format!(
            "{UNITS_HEADER}\r\n436,\"Hà Tĩnh, \"\"city\"\"\",provincial_city,42,,\r\n\r\n42,Hà Tĩnh,province,,18.24,105.68\r\n"
        );
        let units = parse_admin_units(&text).unwrap();
        assert_eq!(units.len(), 2);
        assert_eq!(units.first().unwrap().name, "Hà Tĩnh, \"city\"");
        assert_eq!(units.get(1).unwrap().latitude, Some(18.24));
    }

    #[test]
    fn split_record_follows_rfc_4180() {
        let s = |l: &str| {
            split_record(l).map(|v| v.into_iter().map(Cow::into_owned).collect::<Vec<_>>())
        };
        assert_eq!(s("a,b,,c").unwrap(), ["a", "b", "", "c"]);
        assert_eq!(s("\"a,b\",c").unwrap(), ["a,b", "c"]);
        assert_eq!(s("\"a\"\"b\",\"\"").unwrap(), ["a\"b", ""]);
        assert_eq!(s("").unwrap(), [""]);
        assert_eq!(s("a,").unwrap(), ["a", ""]);
        assert!(s("\"a").is_none());
        assert!(s("a\"b,c").is_none());
        assert!(s("\"a\"b,c").is_none());
        assert!(matches!(
            split_record("\"plain\",x").unwrap().first(),
            Some(Cow::Borrowed("plain"))
        ));
    }
}
