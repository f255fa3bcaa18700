//! The administrative units in memory: code look-ups for validation and the locality
//! (province, district, commune) of a commune for jurisdiction.

use std::collections::HashMap;

use cancuoc_domain::form::PlaceLookup;
use cancuoc_domain::{AdminCode, AdminLevel, AdminUnit, Locality};

#[derive(Debug, Default)]
pub struct Places {
    units: HashMap<AdminCode, AdminUnit>,
}

impl Places {
    pub fn new(units: Vec<AdminUnit>) -> Self {
        Self {
            units: units.into_iter().map(|u| (u.code.clone(), u)).collect(),
        }
    }

    pub fn get(&self, code: &AdminCode) -> Option<&AdminUnit> {
        self.units.get(code)
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
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
