//! The administrative units in memory: code look-ups for validation and the locality
//! (province, district, commune) of a commune for jurisdiction.

use std::collections::HashMap;

use cancuoc_domain::form::PlaceLookup;
use cancuoc_domain::{
    AdminCode, AdminLevel, AdminUnit, Jurisdiction, Locality, PoliceUnit, PoliceUnitCode,
};

#[derive(Debug, Default)]
pub struct Places {
    units: HashMap<AdminCode, AdminUnit>,
    police: HashMap<PoliceUnitCode, PoliceUnit>,
    /// Each police unit's children, in code order.
    under: HashMap<PoliceUnitCode, Vec<PoliceUnitCode>>,
}

impl Places {
    pub fn new(units: Vec<AdminUnit>) -> Self {
        Self {
            units: units.into_iter().map(|u| (u.code.clone(), u)).collect(),
            ..Self::default()
        }
    }

    /// The same places with the police units that answer for them.
    pub fn with_police(mut self, police: Vec<PoliceUnit>) -> Self {
        let mut under: HashMap<PoliceUnitCode, Vec<PoliceUnitCode>> = HashMap::new();
        for unit in &police {
            if let Some(parent) = &unit.parent {
                under
                    .entry(parent.clone())
                    .or_default()
                    .push(unit.code.clone());
            }
        }
        for children in under.values_mut() {
            children.sort();
        }
        self.under = under;
        self.police = police.into_iter().map(|u| (u.code.clone(), u)).collect();
        self
    }

    pub fn police_unit(&self, code: &PoliceUnitCode) -> Option<&PoliceUnit> {
        self.police.get(code)
    }

    /// Every police unit's code.
    pub fn police_codes(&self) -> impl Iterator<Item = &PoliceUnitCode> {
        self.police.keys()
    }

    /// The units that report to `code`, in code order.
    pub fn police_children(&self, code: &PoliceUnitCode) -> &[PoliceUnitCode] {
        self.under.get(code).map_or(&[], Vec::as_slice)
    }

    /// Whether `code` is `ancestor` or lies under it.
    pub fn admin_within(&self, code: &AdminCode, ancestor: &AdminCode) -> bool {
        let mut at = Some(code.clone());
        while let Some(c) = at {
            if c == *ancestor {
                return true;
            }
            at = self.units.get(&c).and_then(|u| u.parent.clone());
        }
        false
    }

    /// Whether a caller with `scope` may see the police unit `code`: its area lies inside
    /// the scope. The national units are seen only with a national scope.
    pub fn sees(&self, scope: &Jurisdiction, code: &PoliceUnitCode) -> bool {
        match (scope, code.jurisdiction()) {
            (Jurisdiction::Nation, _) => true,
            (Jurisdiction::Within(_), Jurisdiction::Nation) => false,
            (Jurisdiction::Within(outer), Jurisdiction::Within(inner)) => {
                self.admin_within(&inner, outer)
            }
        }
    }

    pub fn get(&self, code: &AdminCode) -> Option<&AdminUnit> {
        self.units.get(code)
    }

    /// A unit's full name ("Phường Nam Hà") by its code as stored; the code itself when
    /// it names no known unit.
    pub fn unit_name(&self, code: &str) -> String {
        AdminCode::parse(code)
            .ok()
            .and_then(|c| self.units.get(&c))
            .map_or_else(|| code.to_owned(), AdminUnit::full_name)
    }

    /// A place as an address ends: "Xã Thạch Hạ, Huyện Thạch Hà, Tỉnh Hà Tĩnh", from the
    /// unit up to its province; the bare code when the unit is not known.
    pub fn place_name(&self, code: &AdminCode) -> String {
        let mut names = Vec::new();
        let mut at = self.units.get(code);
        // Three levels at most: a loop in bad reference data must not hang a page.
        while let Some(unit) = at.filter(|_| names.len() < 3) {
            names.push(unit.full_name());
            at = unit.parent.as_ref().and_then(|p| self.units.get(p));
        }
        if names.is_empty() {
            code.as_str().to_owned()
        } else {
            names.join(", ")
        }
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// Where a unit lies, as (longitude, latitude): its own point, or, for a unit the
    /// reference data gives none (Lộc Hà district in 2021), the mean of its communes'.
    pub fn position(&self, code: &AdminCode) -> Option<(f64, f64)> {
        let unit = self.units.get(code)?;
        if let (Some(lon), Some(lat)) = (unit.longitude, unit.latitude) {
            return Some((lon, lat));
        }
        let points: Vec<(f64, f64)> = self
            .units
            .values()
            .filter(|u| u.parent.as_ref() == Some(code))
            .filter_map(|u| Some((u.longitude?, u.latitude?)))
            .collect();
        let n = f64::from(u32::try_from(points.len()).ok().filter(|n| *n > 0)?);
        let (lon, lat) = points
            .iter()
            .fold((0.0, 0.0), |(x, y), (lon, lat)| (x + lon, y + lat));
        Some((lon / n, lat / n))
    }

    /// The chain above a commune; `None` for an unknown code or one that is not a commune.
    pub fn locality(&self, commune: &AdminCode) -> Option<Locality> {
        let unit = self.units.get(commune)?;
        if commune.level() != AdminLevel::Commune {
            return None;
        }
        let parent = unit.parent.clone()?;
        match parent.level() {
            AdminLevel::Province => Some(Locality {
                province: parent,
                district: None,
                commune: commune.clone(),
            }),
            _ => {
                let province = self.units.get(&parent)?.parent.clone()?;
                Some(Locality {
                    province,
                    district: Some(parent),
                    commune: commune.clone(),
                })
            }
        }
    }

    /// The communes under a province, with their district and whether they are urban.
    pub fn communes_of(&self, province: &AdminCode) -> Vec<(AdminCode, Option<AdminCode>, bool)> {
        let mut out: Vec<_> = self
            .units
            .values()
            .filter(|u| u.code.level() == AdminLevel::Commune)
            .filter_map(|u| {
                let l = self.locality(&u.code)?;
                (l.province == *province).then(|| {
                    let urban = matches!(
                        u.kind,
                        cancuoc_domain::AdminKind::Ward | cancuoc_domain::AdminKind::Township
                    );
                    (u.code.clone(), l.district, urban)
                })
            })
            .collect();
        out.sort();
        out
    }
}

impl PlaceLookup for Places {
    fn admin_unit_exists(&self, code: &AdminCode) -> bool {
        self.units.contains_key(code)
    }
    fn is_commune(&self, code: &AdminCode) -> bool {
        code.level() == AdminLevel::Commune && self.units.contains_key(code)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a failed test panics")]

    use cancuoc_domain::{AdminKind, AdminUnit};

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
    fn a_place_is_named_up_to_its_province() {
        let places = Places::new(vec![
            unit("42", "Hà Tĩnh", AdminKind::Province, None),
            unit("436", "Thạch Hà", AdminKind::RuralDistrict, Some("42")),
            unit("18073", "Thạch Hạ", AdminKind::Commune, Some("436")),
        ]);
        let code = |c| AdminCode::parse(c).unwrap();
        assert_eq!(
            places.place_name(&code("18073")),
            "Xã Thạch Hạ, Huyện Thạch Hà, Tỉnh Hà Tĩnh"
        );
        assert_eq!(places.place_name(&code("42")), "Tỉnh Hà Tĩnh");
        assert_eq!(places.place_name(&code("99999")), "99999");
    }

    #[test]
    fn a_district_without_a_point_lies_amid_its_communes() {
        let at = |mut u: AdminUnit, lat, lon| {
            u.latitude = Some(lat);
            u.longitude = Some(lon);
            u
        };
        let places = Places::new(vec![
            at(
                unit("42", "Hà Tĩnh", AdminKind::Province, None),
                18.3,
                105.9,
            ),
            unit("448", "Lộc Hà", AdminKind::RuralDistrict, Some("42")),
            at(
                unit("18568", "Lộc Hà", AdminKind::Township, Some("448")),
                18.4,
                105.8,
            ),
            at(
                unit("18571", "Thạch Bằng", AdminKind::Commune, Some("448")),
                18.6,
                106.0,
            ),
            unit("449", "Nowhere", AdminKind::RuralDistrict, Some("42")),
        ]);
        let code = |c| AdminCode::parse(c).unwrap();
        let (lon, lat) = places.position(&code("448")).unwrap();
        assert!(
            (lon - 105.9).abs() < 1e-9 && (lat - 18.5).abs() < 1e-9,
            "{lon} {lat}"
        );
        assert_eq!(places.position(&code("42")), Some((105.9, 18.3)));
        assert_eq!(
            places.position(&code("449")),
            None,
            "no commune with a point"
        );
    }
}
