//! The behaviour every backend must show, written once and run against each of them.
//!
//! A backend's test file calls [`conformance_suite!`](crate::conformance_suite) with an
//! async expression that yields a fresh, empty store; each case below becomes a test.

// This module is a test suite shipped as library code so every backend can run it:
// a panic here is the failure report, as in any test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use cancuoc_domain::admin_data::{ADMIN_UNITS_2021, parse_admin_units};
use cancuoc_domain::audit::{AuditKey, GENESIS_HASH, Outcome, verify_chain};
use cancuoc_domain::citizen::{CitizenData, Residence};
use cancuoc_domain::personal_id::{IdPrefix, SerialPermutation};
use cancuoc_domain::police::derive_police_units;
use cancuoc_domain::review::ReviewError;
use cancuoc_domain::{
    AdminCode, AdminUnit, Jurisdiction, Locality, Officer, PartialDate, PersonalId, PoliceUnitCode,
    RecordStatus, Role, Sex,
};
use uuid::Uuid;

use crate::*;

mod applications;
mod campaigns;
mod imports;
mod schedule;
mod trust;
pub use applications::*;
pub use campaigns::*;
pub use imports::*;
pub use schedule::*;
pub use trust::*;

/// Generates one `#[tokio::test]` per conformance case. `$make` is an async expression
/// evaluating to `Arc<dyn Store>` on a fresh database.
#[macro_export]
macro_rules! conformance_suite {
    ($make:expr) => {
        $crate::conformance_suite!(@cases $make;
            reference_loads_once,
            officers_sessions_and_throttling,
            every_personal_data_read_is_audited_in_a_chain,
            citizens_are_found_by_id_name_and_old_number,
            jurisdiction_hides_other_units,
            search_pages_with_a_cursor,
            import_applies_stages_and_is_idempotent,
            a_large_import_decides_across_chunks_as_row_by_row,
            an_import_under_way_lets_desks_through_and_shows_nothing,
            an_import_that_fails_half_way_leaves_nothing,
            review_verifies_corrects_approves_and_rejects,
            an_import_never_takes_over_a_record_held_elsewhere,
            findings_name_only_records_the_importer_may_read,
            a_second_identity_is_approved_only_by_whoever_sees_the_first,
            an_import_row_outside_the_importers_jurisdiction_is_refused,
            allocated_ids_are_unique_and_skip_taken_numbers,
            population_loads_with_households,
            applications_are_filed_with_receipts_once,
            transitions_follow_roles_states_and_versions,
            concurrent_steps_on_one_application_let_one_win,
            handover_activates_the_card_and_replaces_the_old_one,
            remote_districts_are_added_and_ended_never_deleted,
            stations_are_requested_approved_and_revoked,
            a_station_outbox_keeps_packets_until_answered_and_resolved,
            the_chip_pki_and_a_cards_chip_are_kept,
            application_lists_filter_and_page,
            intake_is_counted_up_the_hierarchy_as_it_is_filed,
            campaigns_and_quotas_are_kept_and_audited,
            eligible_population_is_counted_from_the_register,
            eligible_counts_are_kept_at_write_time,
            eligible_counts_follow_days_moves_and_scopes,
            synthetic_applications_are_counted_like_filed_ones,
            sessions_keep_machines_and_officers_from_double_booking,
            appointments_fill_slots_once_per_person_and_follow_the_day,
        );
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let store: ::std::sync::Arc<dyn $crate::Store> = $make.await;
                $crate::conformance::$case(store).await;
            }
        )*
    };
}

pub(crate) const T0: i64 = 1_615_852_800_000_000; // 2021-03-16 00:00 UTC

pub(crate) fn code(s: &str) -> AdminCode {
    AdminCode::parse(s).unwrap()
}

/// Hà Tĩnh from the vendored 2021 hierarchy, parsed once for the whole suite: the
/// localities below are built from it in every test, some of them thousands of times.
static HA_TINH: std::sync::LazyLock<Vec<AdminUnit>> = std::sync::LazyLock::new(|| {
    let all = parse_admin_units(ADMIN_UNITS_2021).unwrap();
    let districts: Vec<AdminCode> = all
        .iter()
        .filter(|u| u.parent.as_ref().is_some_and(|p| p.as_str() == "42"))
        .map(|u| u.code.clone())
        .collect();
    all.into_iter()
        .filter(|u| {
            u.code.as_str() == "42"
                || districts.contains(&u.code)
                || u.parent.as_ref().is_some_and(|p| districts.contains(p))
        })
        .collect()
});

pub fn ha_tinh() -> Vec<AdminUnit> {
    HA_TINH.clone()
}

pub async fn seeded(store: &Arc<dyn Store>) {
    let admin = ha_tinh();
    let police = derive_police_units(&admin);
    store.load_reference("2021", &admin, &police).await.unwrap();
}

pub fn admin_access(now: i64) -> Access {
    Access {
        actor: "admin".into(),
        unit: "BCA".into(),
        scope: Jurisdiction::Nation,
        purpose: "conformance".into(),
        now_micros: now,
    }
}

fn scoped(unit: &str) -> Access {
    officer_of_unit(unit, &format!("officer-{unit}"))
}

/// An officer of `unit` named `actor`, with the unit's jurisdiction.
pub fn officer_of_unit(unit: &str, actor: &str) -> Access {
    let code = PoliceUnitCode::parse(unit).unwrap();
    Access {
        actor: actor.into(),
        unit: unit.into(),
        scope: code.jurisdiction(),
        purpose: "conformance".into(),
        now_micros: T0 + 1,
    }
}

/// Thạch Hà district (445), commune Thạch Long; Hà Tĩnh city (436), ward Nam Hà.
pub fn thach_ha() -> Locality {
    Locality {
        province: code("42"),
        district: Some(code("445")),
        commune: first_commune_of("445"),
    }
}

pub(crate) fn ha_tinh_city() -> Locality {
    Locality {
        province: code("42"),
        district: Some(code("436")),
        commune: code("18073"),
    }
}

fn first_commune_of(district: &str) -> AdminCode {
    HA_TINH
        .iter()
        .find(|u| u.parent.as_ref().is_some_and(|p| p.as_str() == district))
        .unwrap()
        .code
        .clone()
}

pub fn person(id: &str, name: &str, born: &str, place: &Locality) -> CitizenData {
    let pid = PersonalId::parse(id).unwrap();
    CitizenData {
        personal_id: pid,
        old_id_number: None,
        full_name: name.into(),
        other_names: None,
        birth_date: PartialDate::parse(born).unwrap(),
        sex: pid.sex(),
        birth_registration_place: Some(code("42")),
        hometown: Some(place.district.clone().unwrap()),
        ethnicity: Some("01".into()),
        religion: Some("00".into()),
        nationality: "VNM".into(),
        blood_group: None,
        marital_status: None,
        permanent_residence: Some(Residence {
            commune: place.commune.clone(),
            address: "Thôn 1".into(),
        }),
        temporary_residence: None,
        current_residence: None,
        household_number: None,
        relation_to_head: None,
        father: None,
        mother: None,
        spouse: None,
        legal_representative: None,
        died_on: None,
        missing_since: None,
    }
}

pub(crate) fn row(n: usize, data: CitizenData, locality: Locality) -> ImportRow {
    ImportRow {
        row: n,
        new_key: Uuid::now_v7(),
        data,
        locality: Some(locality),
        findings: Vec::new(),
    }
}

/// `n` people of Thạch Hà, "Người Số i" born 1990 with personal IDs from 042090000000, as
/// import rows from row 2: the large imports of the backends' bulk-path tests.
pub fn numbered_rows(n: usize) -> Vec<ImportRow> {
    let place = thach_ha();
    (0..n)
        .map(|i| {
            let data = person(
                &format!("042090{i:06}"),
                &format!("Người Số {i}"),
                "1990",
                &place,
            );
            row(i + 2, data, place.clone())
        })
        .collect()
}

/// `numbered_rows(n)` whose last row repeats the first one's key: the import fails at its
/// end, after every other chunk was written.
pub fn numbered_rows_failing_at_the_end(n: usize) -> Vec<ImportRow> {
    let mut rows = numbered_rows(n);
    rows[n - 1].new_key = rows[0].new_key;
    rows
}

/// After an import of `numbered_rows(n)` into a store whose eligible counts are kept: the
/// last person is found by name, and the kept counts agree with a recount.
pub async fn numbered_rows_landed(store: &Arc<dyn Store>, n: usize) {
    let found = store
        .search_citizens(
            &admin_access(T0),
            &CitizenQuery {
                name_key: Some(format!("NGUOI SO {}", n - 1)),
                limit: 5,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    let check = store.verify_eligible_counts().await.unwrap();
    assert!(check.mismatches.is_empty(), "{:?}", check.mismatches);
    assert!(check.day.is_some() && check.places >= 1, "{check:?}");
}

pub fn batch(rows: Vec<ImportRow>) -> ImportBatch {
    ImportBatch {
        source: "forms.csv".into(),
        file_hash: "abc".into(),
        rows,
    }
}

/// The audit key every store under test is opened with.
pub fn test_audit_key() -> AuditKey {
    AuditKey::development()
}

pub(crate) async fn verify_whole_chain(store: &Arc<dyn Store>) -> usize {
    let events = store.audit_events(0, 100_000).await.unwrap();
    verify_chain(&test_audit_key(), (None, GENESIS_HASH.into()), &events).unwrap();
    events.len()
}

pub async fn import_people(store: &Arc<dyn Store>, people: Vec<(CitizenData, Locality)>) {
    let rows = people
        .into_iter()
        .enumerate()
        .map(|(i, (d, l))| row(i + 2, d, l))
        .collect();
    let out = store
        .import_forms(&admin_access(T0), batch(rows).stream(), &|_| {})
        .await
        .unwrap();
    assert!(out.staged.is_empty(), "{out:?}");
}

pub async fn reference_loads_once(store: Arc<dyn Store>) {
    assert_eq!(store.hierarchy().await.unwrap(), None);
    let admin = ha_tinh();
    let police = derive_police_units(&admin);
    let first = store.load_reference("2021", &admin, &police).await.unwrap();
    assert!(first.changed);
    let again = store.load_reference("2021", &admin, &police).await.unwrap();
    assert!(!again.changed);
    assert_eq!(store.hierarchy().await.unwrap().as_deref(), Some("2021"));
    assert_eq!(store.admin_units().await.unwrap().len(), admin.len());
    let pc06 = store
        .police_unit(&PoliceUnitCode::parse("PC06-42").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pc06.parent.unwrap().as_string(), "CAT-42");
    let districts = store
        .police_units()
        .await
        .unwrap()
        .into_iter()
        .filter(|p| matches!(p.code, PoliceUnitCode::District(_)))
        .count();
    assert_eq!(districts, 13);
}

pub async fn officers_sessions_and_throttling(store: Arc<dyn Store>) {
    seeded(&store).await;
    let officer = Officer {
        username: "an".into(),
        full_name: "Nguyễn Văn An".into(),
        unit: PoliceUnitCode::parse("CAH-445").unwrap(),
        role: Role::DistrictOfficer,
        active: true,
    };
    let new = NewOfficer {
        officer: officer.clone(),
        password_hash: "hash".into(),
        must_change_password: true,
    };
    store.create_officer(&admin_access(T0), &new).await.unwrap();
    assert!(matches!(
        store.create_officer(&admin_access(T0), &new).await,
        Err(StoreError::Conflict(_))
    ));
    let mut unknown_unit = new.clone();
    unknown_unit.officer.username = "binh".into();
    unknown_unit.officer.unit = PoliceUnitCode::parse("CAH-001").unwrap();
    assert!(matches!(
        store.create_officer(&admin_access(T0), &unknown_unit).await,
        Err(StoreError::NotFound(_))
    ));

    let creds = store.officer_credentials("an").await.unwrap().unwrap();
    assert_eq!(creds.officer, officer);
    assert!(creds.must_change_password);
    store
        .set_password(&admin_access(T0), "an", "hash2", false, None)
        .await
        .unwrap();
    assert_eq!(
        store
            .officer_credentials("an")
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "hash2"
    );

    const MINUTE: i64 = 60_000_000;
    const IDLE: i64 = 30 * MINUTE;
    let session = |token: &str| NewSession {
        token_hash: token.into(),
        username: "an".into(),
        created_micros: T0,
        expires_micros: T0 + 8 * 60 * MINUTE,
        csrf_token: format!("csrf-{token}"),
    };
    for token in ["t1", "t2", "t3"] {
        store.create_session(&session(token)).await.unwrap();
    }
    let s = store
        .session_officer("t1", T0 + MINUTE, IDLE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.officer.username, "an");
    assert_eq!(s.csrf_token, "csrf-t1");
    // Used again within the idle time, a session stays; left alone longer, it ends.
    for at in [20, 45, 70] {
        assert!(
            store
                .session_officer("t1", T0 + at * MINUTE, IDLE)
                .await
                .unwrap()
                .is_some(),
            "t1 used at {at} minutes"
        );
    }
    assert!(
        store
            .session_officer("t2", T0 + 31 * MINUTE, IDLE)
            .await
            .unwrap()
            .is_none(),
        "idle for 31 minutes"
    );
    assert!(
        store
            .session_officer("t1", T0 + 8 * 60 * MINUTE, 100 * 60 * MINUTE)
            .await
            .unwrap()
            .is_none(),
        "past its absolute expiry"
    );
    assert!(
        store
            .session_officer("nope", T0, IDLE)
            .await
            .unwrap()
            .is_none()
    );

    // A password change closes every other session of the officer.
    store
        .set_password(&admin_access(T0), "an", "hash3", false, Some("t3"))
        .await
        .unwrap();
    assert!(
        store
            .session_officer("t1", T0 + 71 * MINUTE, IDLE)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .session_officer("t3", T0 + 2 * MINUTE, IDLE)
            .await
            .unwrap()
            .is_some()
    );

    // Disabling an officer ends their sessions.
    store
        .set_officer_active(&admin_access(T0), "an", false)
        .await
        .unwrap();
    assert!(
        store
            .session_officer("t3", T0 + 3 * MINUTE, IDLE)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store
            .set_officer_active(&admin_access(T0), "ghost", false)
            .await,
        Err(StoreError::NotFound(_))
    ));

    // The only active administrator cannot be disabled; with a second one, either can.
    let admin = |name: &str| NewOfficer {
        officer: Officer {
            username: name.into(),
            full_name: "Quản trị".into(),
            unit: PoliceUnitCode::Ministry,
            role: Role::Admin,
            active: true,
        },
        password_hash: "h".into(),
        must_change_password: false,
    };
    store
        .create_officer(&admin_access(T0), &admin("root"))
        .await
        .unwrap();
    assert!(matches!(
        store
            .set_officer_active(&admin_access(T0), "root", false)
            .await,
        Err(StoreError::Invalid(_))
    ));
    store
        .create_officer(&admin_access(T0), &admin("root2"))
        .await
        .unwrap();
    store
        .set_officer_active(&admin_access(T0), "root", false)
        .await
        .unwrap();
    assert!(matches!(
        store
            .set_officer_active(&admin_access(T0), "root2", false)
            .await,
        Err(StoreError::Invalid(_))
    ));

    // Failures count within the window only.
    assert_eq!(store.record_attempt("an", T0, 1000).await.unwrap(), 1);
    assert_eq!(store.record_attempt("an", T0 + 10, 1000).await.unwrap(), 2);
    assert_eq!(
        store.record_attempt("an", T0 + 5000, 1000).await.unwrap(),
        1
    );
    store.clear_attempts("an").await.unwrap();
    assert_eq!(
        store.record_attempt("an", T0 + 5001, 1000).await.unwrap(),
        1
    );
    // Attempts older than a day go whatever their key, so a key never seen again does not
    // stay; the attempts of the window stay.
    const DAY: i64 = 24 * 3_600 * 1_000_000;
    store.record_attempt("once", T0, 1000).await.unwrap();
    store
        .record_attempt("later", T0 + DAY + 1, 1000)
        .await
        .unwrap();
    assert_eq!(
        store
            .attempts(
                &["once".to_owned(), "later".to_owned()],
                T0 + DAY + 1,
                3 * DAY
            )
            .await
            .unwrap(),
        vec![(0, None), (1, Some(T0 + DAY + 1))]
    );

    let list = store.officers(&admin_access(T0)).await.unwrap();
    assert_eq!(list.len(), 3);
    assert!(!list[0].active);
}

pub async fn every_personal_data_read_is_audited_in_a_chain(store: Arc<dyn Store>) {
    seeded(&store).await;
    let p = person("042090000001", "Trần Văn Bình", "01/02/1990", &thach_ha());
    import_people(&store, vec![(p.clone(), thach_ha())]).await;
    let before = verify_whole_chain(&store).await;

    let access = admin_access(T0 + 10);
    store
        .citizen(&access, &p.personal_id)
        .await
        .unwrap()
        .unwrap();
    store
        .citizen(&access, &PersonalId::parse("042090999999").unwrap())
        .await
        .unwrap();
    store
        .search_citizens(
            &access,
            &CitizenQuery {
                name_key: Some("TRAN VAN".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    store
        .citizen_history(&access, &p.personal_id)
        .await
        .unwrap();
    let unknown = PersonalId::parse("042090999998").unwrap();
    assert!(matches!(
        store.citizen_history(&access, &unknown).await,
        Err(StoreError::NotFound(_))
    ));
    let after = verify_whole_chain(&store).await;
    assert_eq!(after, before + 5, "one event per read, found or not");

    let events = store.audit_events(0, 1000).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.draft.action, actions::CITIZEN_HISTORY);
    assert_eq!(last.draft.record_key, "042090999998");
    // Each event says what came of the request: an empty read is not a real one.
    assert_eq!(last.draft.outcome, Outcome::NotFound);
    let found = &events[events.len() - 2];
    assert_eq!(found.draft.action, actions::CITIZEN_HISTORY);
    assert_eq!(found.draft.record_key, "042090000001");
    assert_eq!(found.draft.outcome, Outcome::Done);
    let reads: Vec<Outcome> = events[events.len() - 5..events.len() - 3]
        .iter()
        .map(|e| e.draft.outcome)
        .collect();
    assert_eq!(reads, vec![Outcome::Done, Outcome::NotFound]);
    assert_eq!(found.at_micros, T0 + 10);
    let search = &events[events.len() - 3];
    assert_eq!(search.draft.action, actions::CITIZEN_SEARCH);
    assert_eq!(
        search.draft.record_key, "042090000001",
        "the search names whom it showed"
    );

    let by_actor = store
        .search_audit(&AuditFilter {
            action: Some(actions::CITIZEN_READ.into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_actor.len(), 2);
    assert!(by_actor[0].seq > by_actor[1].seq, "newest first");
    // An auditor's filter by the police units of its jurisdiction.
    let of_units = |units: Vec<&str>| AuditFilter {
        action: Some(actions::CITIZEN_READ.into()),
        units: Some(units.into_iter().map(str::to_owned).collect()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        store
            .search_audit(&of_units(vec!["CAH-445", "BCA"]))
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        store
            .search_audit(&of_units(vec!["CAH-445"]))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .search_audit(&of_units(vec![]))
            .await
            .unwrap()
            .is_empty()
    );

    let standalone = store
        .append_audit(&access, "auth.login", "officer", "admin", Outcome::Refused)
        .await
        .unwrap();
    assert_eq!(standalone.draft.outcome, Outcome::Refused);
    assert_eq!(standalone.prev_hash, last.hash);
    verify_whole_chain(&store).await;
}

pub async fn citizens_are_found_by_id_name_and_old_number(store: Arc<dyn Store>) {
    seeded(&store).await;
    let mut an = person("042090000001", "Nguyễn Văn An", "05/03/1990", &thach_ha());
    an.old_id_number = cancuoc_domain::citizen::OldIdNumber::parse("183456789");
    let anh = person("042090000002", "Nguyễn Văn Anh", "1990", &thach_ha());
    let other = person("042085000003", "Nguyễn Văn An", "03/1985", &ha_tinh_city());
    let mut thi = person("042191000004", "Nguyễn Thị Hoa", "02/02/1991", &thach_ha());
    thi.hometown = None;
    import_people(
        &store,
        vec![
            (an.clone(), thach_ha()),
            (anh, thach_ha()),
            (other, ha_tinh_city()),
            (thi, thach_ha()),
        ],
    )
    .await;
    let access = admin_access(T0);
    let got = store
        .citizen(&access, &an.personal_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.data, an);
    assert_eq!(got.status, RecordStatus::Official);
    assert_eq!(got.version, 1);
    assert_eq!(got.locality, Some(thach_ha()));

    let search = |q: CitizenQuery| {
        let store = store.clone();
        let access = access.clone();
        async move {
            store
                .search_citizens(&access, &CitizenQuery { limit: 50, ..q })
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|c| c.data.personal_id.as_string())
                .collect::<Vec<_>>()
        }
    };
    let by_name = |n: &str| CitizenQuery {
        name_key: Some(cancuoc_domain::text::fold(n)),
        ..Default::default()
    };
    assert_eq!(
        search(by_name("nguyen van an")).await,
        vec!["042085000003", "042090000001"],
        "whole words only: Anh is not An"
    );
    assert_eq!(search(by_name("Nguyễn Văn")).await.len(), 3);
    assert_eq!(
        search(CitizenQuery {
            birth_year: Some(1990),
            ..by_name("nguyen van an")
        })
        .await,
        vec!["042090000001"]
    );
    assert_eq!(
        search(CitizenQuery {
            birth_date: Some(PartialDate::parse("03/1985").unwrap()),
            ..by_name("nguyen van an")
        })
        .await,
        vec!["042085000003"]
    );
    assert_eq!(
        search(CitizenQuery {
            unit: Some(code("436")),
            ..by_name("nguyen")
        })
        .await,
        vec!["042085000003"]
    );
    assert_eq!(
        search(CitizenQuery {
            old_id_number: Some("183456789".into()),
            ..Default::default()
        })
        .await,
        vec!["042090000001"]
    );
    // With neither name nor old number: an area's residents in the order of names, to
    // be narrowed to an age band, to those due a card, or to records lacking a field.
    let thach_ha_district = || CitizenQuery {
        unit: Some(code("445")),
        ..Default::default()
    };
    assert_eq!(
        search(thach_ha_district()).await,
        vec!["042191000004", "042090000001", "042090000002"]
    );
    assert_eq!(
        search(CitizenQuery {
            born_between: Some((1990, 1990)),
            ..thach_ha_district()
        })
        .await,
        vec!["042090000001", "042090000002"]
    );
    assert!(
        search(CitizenQuery {
            born_between: Some((1991, 1990)),
            ..thach_ha_district()
        })
        .await
        .is_empty()
    );
    assert_eq!(
        search(CitizenQuery {
            missing_fields: true,
            ..Default::default()
        })
        .await,
        vec!["042191000004"],
        "only Hoa lacks a hometown"
    );
    // On 1 January 2000 only the one born in March 1985 was 14.
    assert_eq!(
        search(CitizenQuery {
            due_a_card_on: Some(jiff::civil::date(2000, 1, 1)),
            ..Default::default()
        })
        .await,
        vec!["042085000003"]
    );
    assert_eq!(
        search(CitizenQuery {
            due_a_card_on: Some(jiff::civil::date(2021, 3, 1)),
            ..Default::default()
        })
        .await
        .len(),
        4
    );
    assert!(
        search(CitizenQuery {
            staged: true,
            ..Default::default()
        })
        .await
        .is_empty()
    );
    // By words anywhere in the name, in order, each whole: "Văn An" finds both An and
    // not Anh; "Nguyễn Hoa" skips the middle name.
    let by_words = |n: &str| CitizenQuery {
        name_words: true,
        ..by_name(n)
    };
    assert_eq!(
        search(by_words("van an")).await,
        vec!["042085000003", "042090000001"]
    );
    assert_eq!(search(by_words("nguyen hoa")).await, vec!["042191000004"]);
    assert!(search(by_words("hoa nguyen")).await.is_empty(), "in order");
    assert!(search(by_words("an%")).await.is_empty(), "% is a character");
    // Paging a search by words keeps to words.
    let first = store
        .search_citizens(
            &access,
            &CitizenQuery {
                limit: 1,
                ..by_words("nguyen van")
            },
        )
        .await
        .unwrap();
    let second = store
        .search_citizens(
            &access,
            &CitizenQuery {
                limit: 5,
                cursor: first.next_cursor.clone(),
                ..by_name("nguyen van")
            },
        )
        .await
        .unwrap();
    assert_eq!(first.items.len() + second.items.len(), 3);
    // SQL metacharacters are data, not syntax.
    assert!(search(by_name("' OR 1=1 --")).await.is_empty());
    assert!(search(by_name("NGUYEN%")).await.is_empty());
}

pub async fn jurisdiction_hides_other_units(store: Arc<dyn Store>) {
    seeded(&store).await;
    let mut in_thach_ha = person("042090000001", "Lê Văn Cường", "1990", &thach_ha());
    in_thach_ha.household_number = Some("H1".into());
    in_thach_ha.relation_to_head = Some("Chủ hộ".into());
    let in_city = person("042090000002", "Lê Văn Dũng", "1990", &ha_tinh_city());
    import_people(
        &store,
        vec![
            (in_thach_ha.clone(), thach_ha()),
            (in_city.clone(), ha_tinh_city()),
        ],
    )
    .await;
    let commune = format!("CAX-{}", thach_ha().commune);
    for (unit, sees_thach_ha, sees_city) in [
        ("BCA", true, true),
        ("CAT-42", true, true),
        ("PC06-42", true, true),
        ("CAH-445", true, false),
        ("CAH-436", false, true),
        (commune.as_str(), true, false),
        ("CAT-40", false, false),
    ] {
        let a = scoped(unit);
        assert_eq!(
            store
                .citizen(&a, &in_thach_ha.personal_id)
                .await
                .unwrap()
                .is_some(),
            sees_thach_ha,
            "{unit}"
        );
        assert_eq!(
            store
                .citizen(&a, &in_city.personal_id)
                .await
                .unwrap()
                .is_some(),
            sees_city,
            "{unit}"
        );
        let found = store
            .search_citizens(
                &a,
                &CitizenQuery {
                    name_key: Some("LE VAN".into()),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .items
            .len();
        assert_eq!(
            found,
            usize::from(sees_thach_ha) + usize::from(sees_city),
            "{unit}"
        );
        assert_eq!(
            store.household(&a, "H1").await.unwrap().is_some(),
            sees_thach_ha,
            "{unit}"
        );
    }
    let h = store
        .household(&admin_access(T0), "H1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(h.head, Some(in_thach_ha.personal_id));
    assert_eq!(h.members.len(), 1);
}

pub async fn search_pages_with_a_cursor(store: Arc<dyn Store>) {
    seeded(&store).await;
    let people: Vec<_> = (0..25)
        .map(|i| {
            (
                person(
                    &format!("0420900000{i:02}"),
                    "Phạm Minh Tuấn",
                    &format!("{:02}/01/1990", i + 1),
                    &thach_ha(),
                ),
                thach_ha(),
            )
        })
        .collect();
    import_people(&store, people.clone()).await;
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = store
            .search_citizens(
                &admin_access(T0),
                &CitizenQuery {
                    name_key: Some("PHAM MINH TUAN".into()),
                    cursor: cursor.clone(),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        pages += 1;
        seen.extend(page.items.into_iter().map(|c| c.data.personal_id));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    let mut expected: Vec<_> = people.iter().map(|(p, _)| p.personal_id).collect();
    expected.sort();
    assert_eq!(seen, expected);
    assert!(matches!(
        store
            .search_citizens(
                &admin_access(T0),
                &CitizenQuery {
                    name_key: Some("X".into()),
                    cursor: Some("zz".into()),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await,
        Err(StoreError::Invalid(_))
    ));
}

pub async fn import_applies_stages_and_is_idempotent(store: Arc<dyn Store>) {
    seeded(&store).await;
    let official = person("042090000001", "Hoàng Văn Em", "01/01/1990", &thach_ha());
    import_people(&store, vec![(official.clone(), thach_ha())]).await;

    let mut conflicting = official.clone();
    conflicting.full_name = "Hoàng Văn Êm".into();
    let twin = person("042090000009", "Hoàng Văn Em", "01/01/1990", &thach_ha());
    let mut flagged = person("042191000002", "Vũ Thị Lan", "1991", &thach_ha());
    flagged.hometown = None;
    let fresh = person("042192000003", "Đỗ Thị Mai", "1992", &thach_ha());
    let mut flagged_row = row(5, flagged, thach_ha());
    flagged_row.findings = vec!["missing field que_quan".into()];
    let rows = vec![
        row(2, official.clone(), thach_ha()),
        row(3, conflicting, thach_ha()),
        row(4, twin, thach_ha()),
        flagged_row,
        row(6, fresh.clone(), thach_ha()),
    ];
    // The dry run decides every row as the import below does, and writes nothing.
    let dry = store
        .import_forms_dry_run(&admin_access(T0), batch(rows.clone()).stream(), &|_| {})
        .await
        .unwrap();
    assert_eq!((dry.inserted, dry.unchanged), (1, 1));
    assert_eq!(
        dry.staged,
        vec![
            (3, StageReason::Conflict),
            (4, StageReason::PossibleDuplicate),
            (5, StageReason::Findings)
        ]
    );
    assert!(
        store
            .citizen(&admin_access(T0), &fresh.personal_id)
            .await
            .unwrap()
            .is_none()
    );
    let open_forms = FormQuery {
        limit: 10,
        ..Default::default()
    };
    assert!(
        store
            .staged_forms(&admin_access(T0), &open_forms)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let trail = store
        .search_audit(&AuditFilter {
            action: Some(actions::FORMS_IMPORT_DRY_RUN.into()),
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(trail.len(), 1, "the dry run is audited once");
    let out = store
        .import_forms(&admin_access(T0), batch(rows.clone()).stream(), &|_| {})
        .await
        .unwrap();
    assert_eq!(out.inserted, 1);
    assert_eq!(out.unchanged, 1);
    assert_eq!(
        out.staged,
        vec![
            (3, StageReason::Conflict),
            (4, StageReason::PossibleDuplicate),
            (5, StageReason::Findings)
        ]
    );
    assert!(
        store
            .citizen(&admin_access(T0), &fresh.personal_id)
            .await
            .unwrap()
            .is_some()
    );
    // The conflicting row did not touch the official record.
    let kept = store
        .citizen(&admin_access(T0), &official.personal_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.data.full_name, "Hoàng Văn Em");

    let forms = store
        .staged_forms(
            &admin_access(T0),
            &FormQuery {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items;
    assert_eq!(forms.len(), 3);
    let conflict = forms.iter().find(|f| f.row == 3).unwrap();
    assert_eq!(
        conflict.findings,
        vec!["conflicts with official record on ho_ten"]
    );
    let dup = forms.iter().find(|f| f.row == 4).unwrap();
    assert_eq!(dup.findings, vec!["possible duplicate of 042090000001"]);

    // The same file again changes nothing.
    let again = store
        .import_forms(&admin_access(T0), batch(rows).stream(), &|_| {})
        .await
        .unwrap();
    assert_eq!(again.inserted, 0);
    assert_eq!(again.unchanged, 5);
    assert!(again.staged.is_empty());
    let forms_after = store
        .staged_forms(
            &admin_access(T0),
            &FormQuery {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items;
    assert_eq!(forms_after.len(), 3);

    // A failing row undoes the whole import: the same new key twice violates uniqueness.
    let a = person("042193000004", "Bùi Thị Na", "1993", &thach_ha());
    let b = person("042193000005", "Bùi Thị Nga", "1993", &thach_ha());
    let mut second = row(3, b.clone(), thach_ha());
    let first = row(2, a.clone(), thach_ha());
    second.new_key = first.new_key;
    assert!(
        store
            .import_forms(
                &admin_access(T0),
                batch(vec![first, second]).stream(),
                &|_| {}
            )
            .await
            .is_err()
    );
    assert!(
        store
            .citizen(&admin_access(T0), &a.personal_id)
            .await
            .unwrap()
            .is_none()
    );

    // A chunk the caller could not prepare undoes the chunks already written.
    let c = person("042193000006", "Bùi Văn Nam", "1993", &thach_ha());
    let chunks = vec![
        PreparedChunk::new(vec![row(2, c.clone(), thach_ha())]),
        Err(StoreError::Invalid("the checker stopped".into())),
    ];
    let broken = ImportStream {
        source: "broken.csv".into(),
        file_hash: "broken".into(),
        rows_at_most: 2,
        chunks: Box::pin(futures_util::stream::iter(chunks)),
    };
    assert!(
        store
            .import_forms(&admin_access(T0), broken, &|_| {})
            .await
            .is_err()
    );
    assert!(
        store
            .citizen(&admin_access(T0), &c.personal_id)
            .await
            .unwrap()
            .is_none()
    );
}

/// An import spanning several chunks of the bulk path decides each row as if the rows
/// before it, in the same chunk or an earlier one, were already in the register.
pub async fn a_large_import_decides_across_chunks_as_row_by_row(store: Arc<dyn Store>) {
    import_decides_across_chunks(store, 2 * IMPORT_CHUNK + 500).await;
}

/// The case above with `n` rows (at least `2 * IMPORT_CHUNK + 500`), so that a backend
/// can also run it at the size where its bulk path changes.
pub async fn import_decides_across_chunks(store: Arc<dyn Store>, n: usize) {
    assert!(n >= 2 * IMPORT_CHUNK + 500);
    seeded(&store).await;
    let place = thach_ha();
    // Already official before the import: one row conflicts with it, another twins it.
    let held = person("042190990001", "Người Có Sẵn", "1990", &place);
    import_people(&store, vec![(held.clone(), place.clone())]).await;
    let people: Vec<CitizenData> = (0..n)
        .map(|i| {
            person(
                &format!("042090{i:06}"),
                &format!("Người Số {i}"),
                "1990",
                &place,
            )
        })
        .collect();
    let mut rows: Vec<ImportRow> = people
        .iter()
        .enumerate()
        .map(|(i, p)| row(i + 2, p.clone(), place.clone()))
        .collect();
    let twin_of = |i: usize, id: &str| {
        let mut twin = people[i].clone();
        twin.personal_id = PersonalId::parse(id).unwrap();
        twin
    };
    let mut renamed = people[5].clone();
    renamed.full_name = "Người Đổi Tên".into();
    // In the first chunk: a conflict with an earlier row, a twin of an earlier row.
    rows[20] = row(22, renamed, place.clone());
    rows[30] = row(32, twin_of(6, "042090900030"), place.clone());
    // Across chunks: an exact repeat, a twin, a conflict.
    rows[IMPORT_CHUNK + 10] = row(IMPORT_CHUNK + 12, people[10].clone(), place.clone());
    rows[2 * IMPORT_CHUNK + 100] = row(
        2 * IMPORT_CHUNK + 102,
        twin_of(50, "042090900050"),
        place.clone(),
    );
    let mut other_name = people[60].clone();
    other_name.full_name = "Người Khác".into();
    rows[IMPORT_CHUNK + 60] = row(IMPORT_CHUNK + 62, other_name, place.clone());
    // Against the record held before: a conflict, a twin.
    let mut held_renamed = held.clone();
    held_renamed.full_name = "Người Có Tên Khác".into();
    rows[IMPORT_CHUNK + 300] = row(IMPORT_CHUNK + 302, held_renamed, place.clone());
    let mut held_twin = held.clone();
    held_twin.personal_id = PersonalId::parse("042090900400").unwrap();
    rows[IMPORT_CHUNK + 400] = row(IMPORT_CHUNK + 402, held_twin, place.clone());
    // Flagged content, then the same content again in the chunk and in a later one.
    rows[40].findings = vec!["missing field nhom_mau".into()];
    rows[41] = rows[40].clone();
    rows[41].row = 43;
    rows[41].new_key = Uuid::now_v7();
    rows[2 * IMPORT_CHUNK + 200] = ImportRow {
        row: 2 * IMPORT_CHUNK + 202,
        new_key: Uuid::now_v7(),
        ..rows[40].clone()
    };

    let told = std::sync::Mutex::new(Vec::new());
    let out = store
        .import_forms(&admin_access(T0), batch(rows.clone()).stream(), &|n| {
            told.lock().unwrap().push(n)
        })
        .await
        .unwrap();
    // Progress is told as chunks are written (a backend picks its chunk size), rising,
    // up to every row.
    let told = told.into_inner().unwrap();
    assert!(!told.is_empty());
    assert!(told.windows(2).all(|w| w[0] < w[1]), "{told:?}");
    assert_eq!(told.last(), Some(&(n as u64)));
    let mut staged = out.staged.clone();
    staged.sort_unstable_by_key(|(r, _)| *r);
    assert_eq!(
        staged,
        vec![
            (22, StageReason::Conflict),
            (32, StageReason::PossibleDuplicate),
            (42, StageReason::Findings),
            (IMPORT_CHUNK + 62, StageReason::Conflict),
            (IMPORT_CHUNK + 302, StageReason::Conflict),
            (IMPORT_CHUNK + 402, StageReason::PossibleDuplicate),
            (2 * IMPORT_CHUNK + 102, StageReason::PossibleDuplicate),
        ]
    );
    assert_eq!(out.unchanged, 3);
    assert_eq!(out.inserted, (n - 10) as u64);
    let page = store
        .search_citizens(
            &admin_access(T0),
            &CitizenQuery {
                name_key: Some("NGUOI SO 2499".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].data.personal_id.as_string(), "042090002499");

    // Again: everything is either in the register or waiting for review.
    let again = store
        .import_forms(&admin_access(T0), batch(rows).stream(), &|_| {})
        .await
        .unwrap();
    assert_eq!(again.inserted, 0);
    assert!(again.staged.is_empty());
    assert_eq!(again.unchanged, n as u64);
}

pub async fn review_verifies_corrects_approves_and_rejects(store: Arc<dyn Store>) {
    seeded(&store).await;
    let official = person("042090000001", "Ngô Văn Phúc", "1990", &thach_ha());
    import_people(&store, vec![(official.clone(), thach_ha())]).await;
    let mut changed = official.clone();
    changed.full_name = "Ngô Văn Phước".into();
    let stranger = person("042191000002", "Dương Thị Quỳnh", "1991", &ha_tinh_city());
    let mut flagged = row(3, stranger.clone(), ha_tinh_city());
    flagged.findings = vec!["missing field que_quan".into()];
    store
        .import_forms(
            &admin_access(T0),
            batch(vec![row(2, changed.clone(), thach_ha()), flagged]).stream(),
            &|_| {},
        )
        .await
        .unwrap();
    let forms = store
        .staged_forms(
            &admin_access(T0),
            &FormQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items;
    let conflict = forms.iter().find(|f| f.row == 2).unwrap().id;
    let other = forms.iter().find(|f| f.row == 3).unwrap().id;

    // A district officer sees only the forms of their district.
    let thach_ha_officer = scoped("CAH-445");
    let theirs = store
        .staged_forms(
            &thach_ha_officer,
            &FormQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items;
    assert_eq!(
        theirs.iter().map(|f| f.id).collect::<Vec<_>>(),
        vec![conflict]
    );
    let district = Role::DistrictOfficer;
    assert!(matches!(
        store
            .decide_form(&thach_ha_officer, district, other, &FormDecision::Verify)
            .await,
        Err(StoreError::NotFound(_))
    ));

    // Approval needs verification first, and another officer than the verifier.
    let approve = FormDecision::Approve {
        new_key: Uuid::now_v7(),
    };
    assert!(matches!(
        store
            .decide_form(&thach_ha_officer, district, conflict, &approve)
            .await,
        Err(StoreError::Review(ReviewError::Illegal { .. }))
    ));
    let verified = store
        .decide_form(&thach_ha_officer, district, conflict, &FormDecision::Verify)
        .await
        .unwrap();
    assert_eq!(verified.status, FormStatus::Verified);
    assert_eq!(verified.verified_by.as_deref(), Some("officer-CAH-445"));
    assert!(matches!(
        store
            .decide_form(&thach_ha_officer, district, conflict, &approve)
            .await,
        Err(StoreError::Review(ReviewError::SameOfficer(_)))
    ));
    // A role that does not review records may not approve either.
    let checker = officer_of_unit("CAH-445", "checker-CAH-445");
    assert!(matches!(
        store
            .decide_form(&checker, Role::ProductionOperator, conflict, &approve)
            .await,
        Err(StoreError::Review(ReviewError::WrongRole(_)))
    ));
    let approved = store
        .decide_form(&checker, district, conflict, &approve)
        .await
        .unwrap();
    assert_eq!(approved.status, FormStatus::Approved);
    assert_eq!(approved.decided_by.as_deref(), Some("checker-CAH-445"));
    let record = store
        .citizen(&admin_access(T0), &official.personal_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.data.full_name, "Ngô Văn Phước");
    assert_eq!(record.version, 2);
    let history = store
        .citizen_history(&admin_access(T0), &official.personal_id)
        .await
        .unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].changed_fields, vec!["ho_ten"]);
    assert_eq!(history[1].actor, "checker-CAH-445");
    assert_eq!(history[1].source, format!("form {conflict}"));
    assert!(history[0].source.starts_with("forms.csv row "));
    // Each version names where the citizen lived: the superseded one from its kept data,
    // the current one from the record.
    assert_eq!(history[0].residence, residence_of(&official));
    assert_eq!(history[1].residence, residence_of(&record.data));
    assert!(history[0].residence.is_some());
    assert!(matches!(
        store
            .decide_form(&thach_ha_officer, district, conflict, &FormDecision::Verify)
            .await,
        Err(StoreError::Review(ReviewError::Illegal { .. }))
    ));

    // Correction replaces the data and keeps the form open; rejection closes it.
    let mut corrected = stranger.clone();
    corrected.hometown = Some(code("436"));
    let city = scoped("CAH-436");
    let after = store
        .decide_form(
            &city,
            district,
            other,
            &FormDecision::Correct {
                data: Box::new(corrected.clone()),
                locality: Some(ha_tinh_city()),
                findings: vec![],
            },
        )
        .await
        .unwrap();
    assert_eq!(after.status, FormStatus::Draft);
    assert_eq!(after.corrected_by.as_deref(), Some("officer-CAH-436"));
    assert_eq!(after.data, corrected);
    // A correction may not move the form out of the corrector's jurisdiction.
    assert!(matches!(
        store
            .decide_form(
                &city,
                district,
                other,
                &FormDecision::Correct {
                    data: Box::new(corrected.clone()),
                    locality: Some(thach_ha()),
                    findings: vec![],
                },
            )
            .await,
        Err(StoreError::Review(ReviewError::OutsideJurisdiction(_)))
    ));
    assert!(after.findings.is_empty());
    let rejected = store
        .decide_form(
            &city,
            district,
            other,
            &FormDecision::Reject {
                reason: "giấy tờ giả".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(rejected.status, FormStatus::Rejected);
    assert_eq!(rejected.decision_reason.as_deref(), Some("giấy tờ giả"));
    assert!(
        store
            .citizen(&admin_access(T0), &stranger.personal_id)
            .await
            .unwrap()
            .is_none()
    );
    let open = store
        .staged_forms(
            &admin_access(T0),
            &FormQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items;
    assert!(open.is_empty());
    let closed = store
        .staged_forms(
            &admin_access(T0),
            &FormQuery {
                status: Some(FormStatus::Rejected),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items;
    assert_eq!(closed.len(), 1);
    verify_whole_chain(&store).await;
}

pub async fn allocated_ids_are_unique_and_skip_taken_numbers(store: Arc<dyn Store>) {
    seeded(&store).await;
    let prefix = IdPrefix::new("42", Sex::Female, 2021).unwrap();
    let perm = SerialPermutation::new(b"conformance", &prefix);
    // Occupy the number the first counter value maps to.
    let first = PersonalId::from_parts(prefix.clone(), perm.serial(0).unwrap()).unwrap();
    let occupant = person(&first.as_string(), "Lý Thị Sen", "2021", &thach_ha());
    import_people(&store, vec![(occupant, thach_ha())]).await;
    let mut ids = Vec::new();
    for _ in 0..50 {
        ids.push(
            store
                .allocate_personal_id(&admin_access(T0), &prefix, &perm)
                .await
                .unwrap(),
        );
    }
    assert!(!ids.contains(&first));
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 50);
    for id in &ids {
        assert_eq!(id.prefix(), prefix);
        assert!(id.consistent_with(Sex::Female, 2021).is_ok());
    }
}

pub async fn population_loads_with_households(store: Arc<dyn Store>) {
    seeded(&store).await;
    let mut head = person("042070000001", "Trịnh Văn Sơn", "1970", &thach_ha());
    head.household_number = Some("HH-1".into());
    head.relation_to_head = Some("Chủ hộ".into());
    let mut child = person("042100000002", "Trịnh Văn Tùng", "2000", &thach_ha());
    child.household_number = Some("HH-1".into());
    child.relation_to_head = Some("Con".into());
    // Eligible counts kept before the load: the load counts its people.
    store
        .advance_eligible(jiff::civil::date(2021, 3, 16))
        .await
        .unwrap();
    let batch = PopulationBatch {
        households: vec![NewHousehold {
            number: "HH-1".into(),
            commune: thach_ha().commune,
            address: "Thôn 1".into(),
            head: Some(head.personal_id),
        }],
        citizens: vec![
            NewCitizen::new(Uuid::now_v7(), &head, Some(&thach_ha())).unwrap(),
            NewCitizen::new(Uuid::now_v7(), &child, Some(&thach_ha())).unwrap(),
        ],
        source: "demo seed 1".into(),
    };
    assert_eq!(
        store
            .load_population(&admin_access(T0), &batch)
            .await
            .unwrap(),
        2
    );
    let check = store.verify_eligible_counts().await.unwrap();
    assert!(check.mismatches.is_empty(), "{:?}", check.mismatches);
    assert_eq!(check.places, 1);
    let h = store
        .household(&admin_access(T0), "HH-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(h.head, Some(head.personal_id));
    assert_eq!(h.members.len(), 2);
    // Loading the same people again fails whole.
    assert!(matches!(
        store.load_population(&admin_access(T0), &batch).await,
        Err(StoreError::Conflict(_))
    ));
    let history = store
        .citizen_history(&admin_access(T0), &child.personal_id)
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].source, "demo seed 1");
}
