//! Officers, their roles and what each role may do (DESIGN §8).

use serde::{Deserialize, Serialize};

use crate::admin::AdminCode;
use crate::police::{Jurisdiction, PoliceUnitCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    CommuneOfficer,
    DistrictOfficer,
    ProvinceOfficer,
    MinistryOfficer,
    ProductionOperator,
    Auditor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::CommuneOfficer,
        Role::DistrictOfficer,
        Role::ProvinceOfficer,
        Role::MinistryOfficer,
        Role::ProductionOperator,
        Role::Auditor,
        Role::Admin,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::CommuneOfficer => "commune_officer",
            Self::DistrictOfficer => "district_officer",
            Self::ProvinceOfficer => "province_officer",
            Self::MinistryOfficer => "ministry_officer",
            Self::ProductionOperator => "production_operator",
            Self::Auditor => "auditor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the role reads and writes citizens' records in its jurisdiction.
    pub fn works_the_register(&self) -> bool {
        matches!(
            self,
            Self::CommuneOfficer
                | Self::DistrictOfficer
                | Self::ProvinceOfficer
                | Self::MinistryOfficer
                | Self::Admin
        )
    }

    /// Whether the role creates campaigns and sets quotas: the ministry, provinces,
    /// districts and the administrator.
    pub fn steers_campaigns(&self) -> bool {
        matches!(
            self,
            Self::MinistryOfficer | Self::ProvinceOfficer | Self::DistrictOfficer | Self::Admin
        )
    }

    /// Whether the role keeps the province's list of mountain, border and island
    /// districts: the province police and the administrator.
    pub fn keeps_remote_districts(&self) -> bool {
        matches!(self, Self::ProvinceOfficer | Self::Admin)
    }

    /// Whether the role approves and revokes mobile stations: the police of districts and
    /// above, and the administrator.
    pub fn manages_stations(&self) -> bool {
        matches!(
            self,
            Self::DistrictOfficer | Self::ProvinceOfficer | Self::MinistryOfficer | Self::Admin
        )
    }

    /// Whether the role files applications and takes portraits and prints: the police of
    /// communes, districts and provinces.
    pub fn takes_intake(&self) -> bool {
        matches!(
            self,
            Self::CommuneOfficer | Self::DistrictOfficer | Self::ProvinceOfficer
        )
    }

    /// Whether the role sees portraits and fingerprints: those who verify, approve and
    /// produce cards.
    pub fn sees_biometrics(&self) -> bool {
        matches!(
            self,
            Self::DistrictOfficer | Self::ProvinceOfficer | Self::ProductionOperator
        )
    }

    /// Whether the role decides on staged records (verify, correct, approve, reject).
    pub fn reviews_records(&self) -> bool {
        self.works_the_register()
    }

    /// Whether the role manages officers.
    pub fn manages_officers(&self) -> bool {
        matches!(self, Self::Admin)
    }

    /// Whether the role reads the audit trail.
    pub fn reads_audit(&self) -> bool {
        matches!(self, Self::Auditor | Self::Admin)
    }

    /// Whether an officer of this role may belong to `unit`.
    pub fn fits_unit(&self, unit: &PoliceUnitCode) -> bool {
        use PoliceUnitCode as U;
        match self {
            Self::CommuneOfficer => matches!(unit, U::Commune(_)),
            Self::DistrictOfficer => matches!(unit, U::District(_)),
            Self::ProvinceOfficer => matches!(unit, U::Province(_) | U::Pc06(_)),
            Self::MinistryOfficer => matches!(unit, U::Ministry | U::C06),
            Self::ProductionOperator => matches!(unit, U::ProductionCentre),
            Self::Auditor | Self::Admin => true,
        }
    }
}

/// An officer as the application sees them after login.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Officer {
    pub username: String,
    pub full_name: String,
    pub unit: PoliceUnitCode,
    pub role: Role,
    pub active: bool,
}

/// The administrative chain of a commune: its district (when the hierarchy has one)
/// and its province. Jurisdiction checks compare against these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Locality {
    pub province: AdminCode,
    pub district: Option<AdminCode>,
    pub commune: AdminCode,
}

impl Jurisdiction {
    /// Whether a place lies inside this jurisdiction.
    pub fn covers(&self, place: &Locality) -> bool {
        match self {
            Jurisdiction::Nation => true,
            Jurisdiction::Within(code) => {
                *code == place.province
                    || place.district.as_ref() == Some(code)
                    || *code == place.commune
            }
        }
    }

    /// Whether a record's place lies inside this jurisdiction: a record that names no
    /// residence belongs to no jurisdiction below the nation.
    pub fn covers_record(&self, place: Option<&Locality>) -> bool {
        match place {
            Some(p) => self.covers(p),
            None => matches!(self, Jurisdiction::Nation),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> AdminCode {
        AdminCode::parse(s).unwrap()
    }

    #[test]
    fn jurisdiction_covers_its_subtree_only() {
        let place = Locality {
            province: code("42"),
            district: Some(code("436")),
            commune: code("18541"),
        };
        let unit = |s: &str| PoliceUnitCode::parse(s).unwrap().jurisdiction();
        assert!(unit("BCA").covers(&place));
        assert!(unit("CAT-42").covers(&place));
        assert!(unit("PC06-42").covers(&place));
        assert!(unit("CAH-436").covers(&place));
        assert!(unit("CAX-18541").covers(&place));
        assert!(!unit("CAX-18544").covers(&place));
        assert!(!unit("CAH-437").covers(&place));
        assert!(!unit("CAT-40").covers(&place));
    }

    #[test]
    fn roles_fit_units() {
        let u = |s: &str| PoliceUnitCode::parse(s).unwrap();
        assert!(Role::CommuneOfficer.fits_unit(&u("CAX-18541")));
        assert!(!Role::CommuneOfficer.fits_unit(&u("CAH-436")));
        assert!(Role::ProvinceOfficer.fits_unit(&u("PC06-42")));
        assert!(Role::ProductionOperator.fits_unit(&u("C06-TTCC")));
        assert!(!Role::ProductionOperator.fits_unit(&u("CAT-42")));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
