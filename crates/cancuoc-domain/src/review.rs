//! The review of staged collection forms, as a state machine (DESIGN §8, "writes follow
//! jurisdiction"): which steps exist, from which state, who may take each, and what must
//! differ between the officers who take them. The store applies only what this decides.
//!
//! ```text
//! draft ──verify──▶ verified ──approve──▶ approved     (the record becomes official)
//!   ▲  ◀──correct──┘   │
//!   └─correct          └──reject──▶ rejected          (draft or verified, reason required)
//! ```
//!
//! Four eyes: an approval changes the register, so the approver is never the officer
//! who verified the form, nor the one who last corrected its data (maker and checker).
//! Jurisdiction: every step needs the form's (new) residence inside the reviewer's
//! jurisdiction; an approval that changes an official record also needs that record's
//! current residence inside it, so a move between two jurisdictions is approved by
//! their common parent.

use serde::{Deserialize, Serialize};

use crate::officer::{Locality, Role};
use crate::police::Jurisdiction;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormStatus {
    /// Staged, waiting for an officer.
    Draft,
    /// Checked by an officer against the citizen's papers.
    Verified,
    /// Applied to the register; the record is official.
    Approved,
    Rejected,
}

impl FormStatus {
    pub const ALL: [FormStatus; 4] = [Self::Draft, Self::Verified, Self::Approved, Self::Rejected];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Verified => "verified",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn is_open(&self) -> bool {
        matches!(self, Self::Draft | Self::Verified)
    }
}

impl std::fmt::Display for FormStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step of the review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStep {
    Verify,
    /// New data replaces the staged data; the form goes back to draft.
    Correct,
    Approve,
    Reject,
}

impl ReviewStep {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Correct => "correct",
            Self::Approve => "approve",
            Self::Reject => "reject",
        }
    }

    /// The state the step leads to from `from`, if it may be taken there.
    pub fn target(self, from: FormStatus) -> Option<FormStatus> {
        use FormStatus::*;
        match (self, from) {
            (Self::Verify, Draft) => Some(Verified),
            (Self::Correct, Draft | Verified) => Some(Draft),
            (Self::Approve, Verified) => Some(Approved),
            (Self::Reject, Draft | Verified) => Some(Rejected),
            _ => None,
        }
    }
}

/// The officer taking a step.
#[derive(Debug, Clone, Copy)]
pub struct Reviewer<'a> {
    pub username: &'a str,
    pub role: Role,
    pub scope: &'a Jurisdiction,
}

/// What the official register holds for the form's personal ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held<'a> {
    /// No record: the form makes a new one.
    Nothing,
    /// An official record living here (`None`: it names no residence).
    At(Option<&'a Locality>),
}

/// The form as the step finds it.
#[derive(Debug, Clone, Copy)]
pub struct FormFacts<'a> {
    pub status: FormStatus,
    pub verified_by: Option<&'a str>,
    pub corrected_by: Option<&'a str>,
    /// Where the form's data places the citizen (for a correction: the corrected data).
    pub residence: Option<&'a Locality>,
    pub held: Held<'a>,
    /// Where other records that look like the same person live (same folded name, birth
    /// date and hometown, another personal ID): approving a second identity for someone
    /// is decided by an officer who can see the first.
    pub look_alikes: &'a [Option<Locality>],
}

impl FormFacts<'_> {
    /// Whether `scope` reaches every record an approval would change or could duplicate;
    /// when it does not, an officer whose jurisdiction covers them all decides.
    pub fn approvable_within(&self, scope: &Jurisdiction) -> Result<(), ReviewError> {
        if let Held::At(place) = self.held
            && !scope.covers_record(place)
        {
            return Err(ReviewError::OutsideJurisdiction(
                "the record lives outside your jurisdiction: a move is approved by an officer whose jurisdiction covers both residences",
            ));
        }
        if self
            .look_alikes
            .iter()
            .any(|place| !scope.covers_record(place.as_ref()))
        {
            return Err(ReviewError::OutsideJurisdiction(
                "a record that may be the same person lives outside your jurisdiction: an officer whose jurisdiction covers both records decides",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("a form that is {from} cannot be {step}")]
    Illegal {
        from: FormStatus,
        step: &'static str,
    },
    #[error("the role {0} does not review citizens' records")]
    WrongRole(&'static str),
    #[error(
        "{0}: the officer who approves a change to the register must not be the one who verified or corrected it"
    )]
    SameOfficer(&'static str),
    #[error("{0}")]
    OutsideJurisdiction(&'static str),
    #[error("a rejection needs a reason")]
    ReasonRequired,
}

impl ReviewError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Illegal { .. } => "illegal_transition",
            Self::WrongRole(_) => "role_not_allowed",
            Self::SameOfficer(_) => "four_eyes_required",
            Self::OutsideJurisdiction(_) => "outside_jurisdiction",
            Self::ReasonRequired => "reason_required",
        }
    }
}

impl ReviewStep {
    /// Decides a step: the state it leads to, or why it may not be taken.
    pub fn apply(
        self,
        form: &FormFacts<'_>,
        who: &Reviewer<'_>,
        reason: Option<&str>,
    ) -> Result<FormStatus, ReviewError> {
        if !who.role.reviews_records() {
            return Err(ReviewError::WrongRole(who.role.as_str()));
        }
        let to = self.target(form.status).ok_or(ReviewError::Illegal {
            from: form.status,
            step: self.past_participle(),
        })?;
        if !who.scope.covers_record(form.residence) {
            return Err(ReviewError::OutsideJurisdiction(
                "the form's residence lies outside your jurisdiction",
            ));
        }
        match self {
            Self::Reject if reason.is_none_or(|r| r.trim().is_empty()) => {
                return Err(ReviewError::ReasonRequired);
            }
            Self::Approve => {
                if form.verified_by == Some(who.username) {
                    return Err(ReviewError::SameOfficer("you verified this form"));
                }
                if form.corrected_by == Some(who.username) {
                    return Err(ReviewError::SameOfficer("you corrected this form"));
                }
                form.approvable_within(who.scope)?;
            }
            _ => {}
        }
        Ok(to)
    }

    fn past_participle(self) -> &'static str {
        match self {
            Self::Verify => "verified",
            Self::Correct => "corrected",
            Self::Approve => "approved",
            Self::Reject => "rejected",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AdminCode;
    use proptest::prelude::*;

    fn place(province: &str, district: &str, commune: &str) -> Locality {
        Locality {
            province: AdminCode::parse(province).unwrap(),
            district: Some(AdminCode::parse(district).unwrap()),
            commune: AdminCode::parse(commune).unwrap(),
        }
    }

    fn within(code: &str) -> Jurisdiction {
        Jurisdiction::Within(AdminCode::parse(code).unwrap())
    }

    fn facts<'a>(status: FormStatus, residence: &'a Locality, held: Held<'a>) -> FormFacts<'a> {
        FormFacts {
            status,
            verified_by: Some("an"),
            corrected_by: None,
            residence: Some(residence),
            held,
            look_alikes: &[],
        }
    }

    #[test]
    fn the_verifier_never_approves() {
        let here = place("42", "436", "18541");
        let scope = within("436");
        let f = facts(FormStatus::Verified, &here, Held::At(Some(&here)));
        let an = Reviewer {
            username: "an",
            role: Role::DistrictOfficer,
            scope: &scope,
        };
        let binh = Reviewer {
            username: "binh",
            role: Role::DistrictOfficer,
            scope: &scope,
        };
        assert_eq!(
            ReviewStep::Approve.apply(&f, &an, None).unwrap_err().code(),
            "four_eyes_required"
        );
        assert_eq!(
            ReviewStep::Approve.apply(&f, &binh, None),
            Ok(FormStatus::Approved)
        );
        let corrected = FormFacts {
            corrected_by: Some("binh"),
            ..f
        };
        assert_eq!(
            ReviewStep::Approve
                .apply(&corrected, &binh, None)
                .unwrap_err()
                .code(),
            "four_eyes_required"
        );
    }

    #[test]
    fn a_move_is_approved_by_the_common_parent() {
        // Held in district 436, moving into 437 of the same province.
        let old = place("42", "436", "18541");
        let new = place("42", "437", "18600");
        let f = facts(FormStatus::Verified, &new, Held::At(Some(&old)));
        let district = within("437");
        let province = within("42");
        let other_province = within("40");
        let by = |scope| Reviewer {
            username: "chi",
            role: Role::ProvinceOfficer,
            scope,
        };
        assert_eq!(
            ReviewStep::Approve
                .apply(&f, &by(&district), None)
                .unwrap_err()
                .code(),
            "outside_jurisdiction"
        );
        assert_eq!(
            ReviewStep::Approve.apply(&f, &by(&province), None),
            Ok(FormStatus::Approved)
        );
        assert_eq!(
            ReviewStep::Approve
                .apply(&f, &by(&other_province), None)
                .unwrap_err()
                .code(),
            "outside_jurisdiction"
        );
        // The new commune may still verify and reject what it received.
        let draft = FormFacts {
            status: FormStatus::Draft,
            verified_by: None,
            ..f
        };
        assert_eq!(
            ReviewStep::Verify.apply(&draft, &by(&district), None),
            Ok(FormStatus::Verified)
        );
        assert_eq!(
            ReviewStep::Reject.apply(&draft, &by(&district), Some("không đúng")),
            Ok(FormStatus::Rejected)
        );
    }

    #[test]
    fn a_second_identity_is_approved_by_whoever_sees_the_first() {
        // A new record in district 437 that looks like a citizen of district 436.
        let new = place("42", "437", "18600");
        let look_alikes = [Some(place("42", "436", "18541"))];
        let f = FormFacts {
            look_alikes: &look_alikes,
            ..facts(FormStatus::Verified, &new, Held::Nothing)
        };
        let district = within("437");
        let province = within("42");
        let by = |scope| Reviewer {
            username: "chi",
            role: Role::DistrictOfficer,
            scope,
        };
        assert_eq!(
            ReviewStep::Approve
                .apply(&f, &by(&district), None)
                .unwrap_err()
                .code(),
            "outside_jurisdiction"
        );
        assert_eq!(
            ReviewStep::Approve.apply(&f, &by(&province), None),
            Ok(FormStatus::Approved)
        );
        // A look-alike inside the district leaves the decision to the district.
        let near = [Some(place("42", "437", "18601"))];
        let f = FormFacts {
            look_alikes: &near,
            ..f
        };
        assert_eq!(
            ReviewStep::Approve.apply(&f, &by(&district), None),
            Ok(FormStatus::Approved)
        );
        // A look-alike with no residence is seen by the nation only.
        let nowhere = [None];
        let f = FormFacts {
            look_alikes: &nowhere,
            ..f
        };
        assert!(f.approvable_within(&province).is_err());
        assert!(f.approvable_within(&Jurisdiction::Nation).is_ok());
    }

    #[test]
    fn roles_and_reasons() {
        let here = place("42", "436", "18541");
        let nation = Jurisdiction::Nation;
        let f = facts(FormStatus::Draft, &here, Held::Nothing);
        let operator = Reviewer {
            username: "x",
            role: Role::ProductionOperator,
            scope: &nation,
        };
        assert_eq!(
            ReviewStep::Verify
                .apply(&f, &operator, None)
                .unwrap_err()
                .code(),
            "role_not_allowed"
        );
        let officer = Reviewer {
            username: "x",
            role: Role::Admin,
            scope: &nation,
        };
        assert_eq!(
            ReviewStep::Reject.apply(&f, &officer, Some("  ")),
            Err(ReviewError::ReasonRequired)
        );
        assert_eq!(
            ReviewStep::Approve
                .apply(&f, &officer, None)
                .unwrap_err()
                .code(),
            "illegal_transition"
        );
    }

    fn any_status() -> impl Strategy<Value = FormStatus> {
        prop::sample::select(FormStatus::ALL.to_vec())
    }

    fn any_step() -> impl Strategy<Value = ReviewStep> {
        prop::sample::select(vec![
            ReviewStep::Verify,
            ReviewStep::Correct,
            ReviewStep::Approve,
            ReviewStep::Reject,
        ])
    }

    proptest! {
        /// Whatever the state, officers and places: a closed form never moves, an approval
        /// is never by the verifier or the corrector, and never outside the approver's scope.
        #[test]
        fn no_step_breaks_the_rules(
            status in any_status(),
            step in any_step(),
            verified_by in prop::option::of(prop::sample::select(vec!["an", "binh"])),
            corrected_by in prop::option::of(prop::sample::select(vec!["an", "binh"])),
            me in prop::sample::select(vec!["an", "binh", "chi"]),
            scope in prop::sample::select(vec!["42", "436", "437", "18541", "40"]),
            held_in_437 in any::<bool>(),
            new_record in any::<bool>(),
            look_alike_in_437 in prop::option::of(any::<bool>()),
        ) {
            let new = place("42", "436", "18541");
            let old = if held_in_437 { place("42", "437", "18600") } else { new.clone() };
            let held = if new_record { Held::Nothing } else { Held::At(Some(&old)) };
            let look_alike = look_alike_in_437
                .map(|far| if far { place("42", "437", "18601") } else { place("42", "436", "18542") });
            let look_alikes: Vec<Option<Locality>> = look_alike.iter().cloned().map(Some).collect();
            let f = FormFacts {
                status, verified_by, corrected_by, residence: Some(&new), held,
                look_alikes: &look_alikes,
            };
            let scope = within(scope);
            let who = Reviewer { username: me, role: Role::DistrictOfficer, scope: &scope };
            if let Ok(to) = step.apply(&f, &who, Some("lý do")) {
                prop_assert!(status.is_open());
                prop_assert!(scope.covers(&new));
                if to == FormStatus::Approved {
                    prop_assert!(verified_by != Some(me) && corrected_by != Some(me));
                    if !new_record {
                        prop_assert!(scope.covers(&old));
                    }
                    if let Some(other) = &look_alike {
                        prop_assert!(scope.covers(other));
                    }
                }
            }
        }
    }
}
