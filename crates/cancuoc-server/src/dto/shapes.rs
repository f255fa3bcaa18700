//! Schemas written by hand, for request bodies whose valid values one derived object
//! schema cannot state: a choice between fields, a field whose values depend on another,
//! a closed list drawn from the law. The description must refuse what the server refuses
//! (issue 15 §7), so that a client that follows the schema is never turned away.

use cancuoc_domain::provinces::PROVINCES;
use cancuoc_domain::text::limits;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};

use super::schedule::CheckInRequest;
use super::{AllocateIdRequest, NewOfficerRequest};

/// Any police unit code, as every `unit` field and parameter gives it.
pub(crate) const POLICE_UNIT: &str =
    "^(BCA|C06|C06-TTCC|CAT-[0-9]{2}|PC06-[0-9]{2}|CAH-[0-9]{3}|CAX-[0-9]{5})$";

/// Which units each role may belong to (`Role::fits_unit`), as patterns of unit codes.
pub(crate) const UNITS_OF_ROLES: [(&[&str], &str); 6] = [
    (&["commune_officer"], "^CAX-[0-9]{5}$"),
    (&["district_officer"], "^CAH-[0-9]{3}$"),
    (&["province_officer"], "^(CAT|PC06)-[0-9]{2}$"),
    (&["ministry_officer"], "^(BCA|C06)$"),
    (&["production_operator"], "^C06-TTCC$"),
    (&["auditor", "admin"], POLICE_UNIT),
];

fn text(max: usize) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
}

fn pattern(pattern: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
}

fn one_of_strings<'a>(values: impl IntoIterator<Item = &'a str>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
}

/// An object with these properties and no others.
fn closed() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
}

impl utoipa::PartialSchema for NewOfficerRequest {
    fn schema() -> RefOr<Schema> {
        let mut choices = OneOfBuilder::new().description(Some(
            "A new officer. The role decides the unit: a commune officer sits in a commune \
             police post (CAX-), a district officer in a district police (CAH-), a province \
             officer in a province police or its PC06 (CAT-, PC06-), a ministry officer in \
             BCA or C06, a production operator in the card production centre (C06-TTCC); \
             auditors and administrators in any unit.",
        ));
        for (roles, units) in UNITS_OF_ROLES {
            choices = choices.item(
                closed()
                    .property(
                        "username",
                        pattern("^[a-z0-9._-]{1,64}$")
                            .description(Some("1–64 characters of a–z, 0–9, `.`, `_`, `-`."))
                            .examples(["hoa.nt"]),
                    )
                    .required("username")
                    .property("full_name", text(limits::FULL_NAME.max_chars))
                    .required("full_name")
                    .property("unit", pattern(units).examples(["CAX-18073"]))
                    .required("unit")
                    .property("role", one_of_strings(roles.iter().copied()))
                    .required("role"),
            );
        }
        choices.into()
    }
}

impl utoipa::ToSchema for NewOfficerRequest {}

impl utoipa::PartialSchema for CheckInRequest {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .description(Some(
                "Who came: the queue number on their letter, or their personal ID number.",
            ))
            .item(
                closed()
                    .property(
                        "queue_number",
                        ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .format(Some(SchemaFormat::KnownFormat(
                                utoipa::openapi::KnownFormat::Int32,
                            )))
                            .minimum(Some(0))
                            .maximum(Some(u32::MAX)),
                    )
                    .required("queue_number"),
            )
            .item(
                closed()
                    .property(
                        "personal_id",
                        pattern("^[0-9]{12}$").examples(["042090001234"]),
                    )
                    .required("personal_id"),
            )
            .into()
    }
}

impl utoipa::ToSchema for CheckInRequest {}

impl utoipa::PartialSchema for AllocateIdRequest {
    fn schema() -> RefOr<Schema> {
        closed()
            .description(Some(
                "A birth to number: the province where it is registered (one of the 63 codes \
                 of Circular 07/2016/TT-BCA, unchanged by the 2025 mergers), sex and year.",
            ))
            .property(
                "province",
                one_of_strings(PROVINCES.iter().map(|p| p.code)).examples(["42"]),
            )
            .required("province")
            .property("sex", one_of_strings(["male", "female"]))
            .required("sex")
            .property(
                "birth_year",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1900))
                    .maximum(Some(2399))
                    .examples([2021]),
            )
            .required("birth_year")
            .into()
    }
}

impl utoipa::ToSchema for AllocateIdRequest {}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a failed test panics")]

    use cancuoc_domain::{PoliceUnitCode, Role};

    use super::*;

    /// The patterns of the schema say what `Role::fits_unit` says, for a unit of every kind.
    #[test]
    fn each_role_s_units_are_those_the_domain_allows() {
        let units = [
            "BCA",
            "C06",
            "C06-TTCC",
            "CAT-42",
            "PC06-42",
            "CAH-436",
            "CAX-18073",
        ];
        for role in Role::ALL {
            let (_, units_of_role) = UNITS_OF_ROLES
                .iter()
                .find(|(roles, _)| roles.contains(&role.as_str()))
                .unwrap();
            let pattern = regex::Regex::new(units_of_role).unwrap();
            for unit in units {
                let code = PoliceUnitCode::parse(unit).unwrap();
                assert_eq!(
                    pattern.is_match(unit),
                    role.fits_unit(&code),
                    "{} in {unit}",
                    role.as_str()
                );
            }
        }
    }
}
