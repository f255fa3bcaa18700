//! Conformance cases for applications and cards.

use std::sync::Arc;

use cancuoc_domain::application::{
    Action, ApplicationState, ApplicationType, Channel, HeldCard, Misfit, RenewalReason,
    TransitionError,
};
use cancuoc_domain::citizen::OldIdNumber;
use cancuoc_domain::{Jurisdiction, PersonalId, PoliceUnitCode, Role};
use jiff::civil::{Date, date};
use uuid::Uuid;

use super::{
    T0, admin_access, code, import_people, person, scoped, seeded, thach_ha, verify_whole_chain,
};
use crate::*;

pub(super) const DAY: Date = date(2021, 3, 16);

fn pid(s: &str) -> PersonalId {
    PersonalId::parse(s).unwrap()
}

/// Thạch Hà district police takes the application.
pub fn application(id: &str, idem: Option<&str>) -> NewApplication {
    NewApplication {
        key: Uuid::now_v7(),
        personal_id: pid(id),
        kind: ApplicationType::CmndSwitch,
        channel: Channel::Mobile,
        intake_unit: PoliceUnitCode::parse("CAH-445").unwrap(),
        place: UnitPlace {
            province: code("42"),
            district: Some(code("445")),
            commune: None,
        },
        station: Some("Thạch Long".into()),
        intake_date: DAY,
        due_date: date(2021, 3, 25),
        fee_vnd: 15_000,
        fee_basis: "Thông tư 112/2020/TT-BTC".into(),
        exemption: None,
        identifying_marks: Some("Nốt ruồi cách 2 cm trên đuôi mắt trái".into()),
        old_card_returned: true,
        biometrics: Some(r#"{"object":"applications/x/biometrics.ccbd"}"#.into()),
        idempotency_key: idem.map(str::to_owned),
        receipt: None,
    }
}

fn district() -> Access {
    scoped("CAH-445")
}

fn officer_of(unit: &str, actor: &str) -> Access {
    Access {
        actor: actor.into(),
        ..scoped(unit)
    }
}

pub fn step(action: Action, role: Role) -> Step {
    Step {
        action,
        role,
        reason: None,
        expected_version: None,
        card: None,
        batch: None,
        old_card_returned: None,
    }
}

fn card_for(id: &str, issued: Date) -> NewCard {
    NewCard {
        issue_date: issued,
        expiry_date: Some(date(2038, 3, 16)),
        mrz: [
            format!("IDVNM{}", &id[3..]),
            "line two".into(),
            "NGUYEN<<VAN<AN".into(),
        ],
        qr_payload: format!("{id}||Nguyễn Văn An"),
        chip: None,
    }
}

/// The register seeded with three citizens of Thạch Hà who hold an old CMND.
pub async fn people(store: &Arc<dyn Store>) {
    super::seeded(store).await;
    let place = thach_ha();
    // Each holds an old CMND, so the fixture's `cmnd_switch` fits them.
    let with_cmnd = |id: &str, name: &str, born: &str, cmnd: &str| {
        let mut data = person(id, name, born, &place);
        data.old_id_number = OldIdNumber::parse(cmnd);
        (data, place.clone())
    };
    import_people(
        store,
        vec![
            with_cmnd("042090000001", "Nguyễn Văn An", "01/01/1990", "183000001"),
            with_cmnd("042191000002", "Trần Thị Bình", "02/02/1991", "183000002"),
            with_cmnd("042092000003", "Lê Văn Cường", "03/03/1992", "183000003"),
        ],
    )
    .await;
}

/// Runs an application from where it stands through every step up to `last`, with the
/// roles of DESIGN §4.
async fn run_to(store: &Arc<dyn Store>, key: Uuid, id: &str, last: Action) -> ApplicationRecord {
    let path = [
        (Action::Verify, Role::DistrictOfficer, "CAH-445"),
        (Action::Approve, Role::ProvinceOfficer, "PC06-42"),
        (
            Action::StartProduction,
            Role::ProductionOperator,
            "C06-TTCC",
        ),
        (Action::Produce, Role::ProductionOperator, "C06-TTCC"),
        (Action::Dispatch, Role::ProductionOperator, "C06-TTCC"),
        (Action::Receive, Role::DistrictOfficer, "CAH-445"),
        (Action::HandOver, Role::DistrictOfficer, "CAH-445"),
    ];
    let mut record = store.application(&district(), key).await.unwrap();
    for (action, role, unit) in path {
        let state = record.as_ref().unwrap().state;
        if action.target(state).is_none() {
            continue;
        }
        let mut s = step(action, role);
        if action == Action::Produce {
            s.card = Some(card_for(id, DAY));
        }
        let access = officer_of(unit, &format!("{unit}-officer"));
        record = Some(
            store
                .transition_application(&access, key, &s)
                .await
                .unwrap(),
        );
        if action == last {
            break;
        }
    }
    record.unwrap()
}

pub async fn applications_are_filed_with_receipts_once(store: Arc<dyn Store>) {
    people(&store).await;
    let first = application("042090000001", Some("station-7:0001"));
    let filed = store
        .file_applications(&district(), std::slice::from_ref(&first))
        .await
        .unwrap();
    let a = &filed[0].application;
    assert!(!filed[0].replayed);
    assert_eq!(a.state, ApplicationState::Received);
    assert_eq!(a.receipt.unit().as_string(), "CAH-445");
    assert_eq!((a.receipt.day(), a.receipt.serial()), (DAY, 1));
    assert_eq!(a.officer, "officer-CAH-445");
    assert_eq!(a.fee_vnd, 15_000);
    assert_eq!(a.history.len(), 1);
    assert_eq!(a.history[0].action, None);
    // What filing returns is exactly what the register holds.
    let read = store
        .application(&district(), a.key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&read, a);
    assert_eq!(a.verifier_note, None);

    // A note for the verifier: kept, the same note again changes nothing, another is added.
    let noted = store
        .note_for_verifier(&district(), a.key, "record changed: ho_ten")
        .await
        .unwrap();
    assert_eq!(
        noted.verifier_note.as_deref(),
        Some("record changed: ho_ten")
    );
    let again = store
        .note_for_verifier(&district(), a.key, "record changed: ho_ten")
        .await
        .unwrap();
    assert_eq!(again, noted);
    let both = store
        .note_for_verifier(&district(), a.key, "moved")
        .await
        .unwrap();
    assert_eq!(
        both.verifier_note.as_deref(),
        Some("record changed: ho_ten\nmoved")
    );
    let events = store.audit_events(0, 100_000).await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.draft.action == actions::APPLICATION_NOTE)
            .count(),
        2
    );
    let a = &both;

    // The retry of a lost response: same key, nothing new.
    let again = store
        .file_applications(
            &district(),
            &[application("042090000001", Some("station-7:0001"))],
        )
        .await
        .unwrap();
    assert!(again[0].replayed);
    assert_eq!(again[0].application.key, a.key);

    // One open application per citizen.
    let err = store
        .file_applications(&district(), &[application("042090000001", None)])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

    // A type that does not fit the citizen is refused inside the transaction.
    let mut first = application("042191000002", None);
    first.kind = ApplicationType::FirstIssuance;
    let err = store
        .file_applications(&district(), &[first])
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Misfit(Misfit::HoldsCmnd)),
        "{err:?}"
    );

    // The same key for another citizen is refused, not replayed.
    let err = store
        .file_applications(
            &district(),
            &[application("042191000002", Some("station-7:0001"))],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

    // A batch is all or nothing: the good row before the bad one is not kept.
    let err = store
        .file_applications(
            &district(),
            &[
                application("042191000002", None),
                application("042090000001", None),
            ],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let facts = store
        .intake_facts(
            &district(),
            &[pid("042191000002"), pid("042090000001")],
            DAY,
        )
        .await
        .unwrap();
    assert_eq!(facts[0].as_ref().unwrap().open_application, None);
    assert_eq!(facts[1].as_ref().unwrap().open_application, Some(a.key));
    assert_eq!(facts[1].as_ref().unwrap().card, HeldCard::None);

    // Serials count per unit and day; an unknown citizen is not found.
    let second = store
        .file_applications(&district(), &[application("042191000002", None)])
        .await
        .unwrap();
    assert_eq!(second[0].application.receipt.serial(), 2);

    // A station's number is kept when it is the unit's and the day's, from the
    // stations' serials; any other is refused.
    let given = |unit: &str, serial: u32| {
        let mut new = application("042092000003", None);
        new.receipt = Some(
            cancuoc_domain::receipt::ReceiptNumber::new(
                PoliceUnitCode::parse(unit).unwrap(),
                DAY,
                serial,
            )
            .unwrap(),
        );
        new
    };
    for wrong in [given("CAH-445", 49_999), given("CAH-436", 50_007)] {
        let err = store
            .file_applications(&district(), &[wrong])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    }
    let kept = store
        .file_applications(&district(), &[given("CAH-445", 50_007)])
        .await
        .unwrap();
    assert_eq!(kept[0].application.receipt.serial(), 50_007);
    let err = store
        .file_applications(&district(), &[application("042099999999", None)])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");

    // Another district's officer neither sees the application nor the citizen.
    let other = scoped("CAH-436");
    assert!(store.application(&other, a.key).await.unwrap().is_none());
    assert!(
        store
            .application(&district(), a.key)
            .await
            .unwrap()
            .is_some()
    );
    let hidden = store
        .intake_facts(&other, &[pid("042090000001")], DAY)
        .await
        .unwrap();
    assert!(hidden[0].is_none());
    verify_whole_chain(&store).await;
}

pub async fn transitions_follow_roles_states_and_versions(store: Arc<dyn Store>) {
    people(&store).await;
    let filed = store
        .file_applications(&district(), &[application("042090000001", None)])
        .await
        .unwrap();
    let key = filed[0].application.key;

    let err = store
        .transition_application(
            &district(),
            key,
            &step(Action::Approve, Role::DistrictOfficer),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Transition(TransitionError::WrongRole { .. })
        ),
        "{err:?}"
    );
    let err = store
        .transition_application(
            &district(),
            key,
            &step(Action::HandOver, Role::DistrictOfficer),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Transition(TransitionError::Illegal { .. })),
        "{err:?}"
    );
    let err = store
        .transition_application(
            &district(),
            key,
            &step(Action::RequestCorrection, Role::DistrictOfficer),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Transition(TransitionError::ReasonRequired { .. })
        ),
        "{err:?}"
    );

    let mut correction = step(Action::RequestCorrection, Role::DistrictOfficer);
    correction.reason = Some("Ảnh chân dung bị mờ".into());
    correction.expected_version = Some(1);
    let sent_back = store
        .transition_application(&district(), key, &correction)
        .await
        .unwrap();
    assert_eq!(sent_back.state, ApplicationState::NeedsCorrection);
    assert_eq!(sent_back.version, 2);

    // A step that names an old version loses.
    let mut stale = step(Action::Resubmit, Role::DistrictOfficer);
    stale.expected_version = Some(1);
    let err = store
        .transition_application(&district(), key, &stale)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");

    let back = store
        .transition_application(
            &district(),
            key,
            &step(Action::Resubmit, Role::DistrictOfficer),
        )
        .await
        .unwrap();
    assert_eq!(back.state, ApplicationState::Received);
    let history: Vec<_> = back
        .history
        .iter()
        .map(|e| (e.action, e.from, e.to, e.reason.clone()))
        .collect();
    assert_eq!(
        history,
        vec![
            (None, None, ApplicationState::Received, None),
            (
                Some(Action::RequestCorrection),
                Some(ApplicationState::Received),
                ApplicationState::NeedsCorrection,
                Some("Ảnh chân dung bị mờ".into())
            ),
            (
                Some(Action::Resubmit),
                Some(ApplicationState::NeedsCorrection),
                ApplicationState::Received,
                None
            ),
        ]
    );
    // Without biometrics there is nothing to verify; once added, verification goes on.
    let mut bare = application("042191000002", None);
    bare.biometrics = None;
    let bare = store.file_applications(&district(), &[bare]).await.unwrap()[0]
        .application
        .key;
    let err = store
        .transition_application(
            &district(),
            bare,
            &step(Action::Verify, Role::DistrictOfficer),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let added = store
        .set_biometrics(&district(), bare, r#"{"object":"y"}"#)
        .await
        .unwrap();
    assert_eq!(added.version, 2);
    assert!(
        store
            .transition_application(
                &district(),
                bare,
                &step(Action::Verify, Role::DistrictOfficer)
            )
            .await
            .is_ok()
    );
    let err = store
        .set_biometrics(&district(), bare, r#"{"object":"z"}"#)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");

    // Outside the jurisdiction the application does not exist.
    let err = store
        .transition_application(
            &scoped("CAH-436"),
            key,
            &step(Action::Verify, Role::DistrictOfficer),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
}

pub async fn concurrent_steps_on_one_application_let_one_win(store: Arc<dyn Store>) {
    people(&store).await;
    let filed = store
        .file_applications(&district(), &[application("042090000001", None)])
        .await
        .unwrap();
    let key = filed[0].application.key;
    // Both officers saw version 1: whichever commits first wins.
    let mut verify = step(Action::Verify, Role::DistrictOfficer);
    verify.expected_version = Some(1);
    let mut cancel = step(Action::Cancel, Role::DistrictOfficer);
    cancel.reason = Some("Công dân rút hồ sơ".into());
    cancel.expected_version = Some(1);
    let (a, b) = futures_util::future::join(
        store.transition_application(&district(), key, &verify),
        store.transition_application(&district(), key, &cancel),
    )
    .await;
    assert!(a.is_ok() != b.is_ok(), "exactly one wins: {a:?} {b:?}");
    let loser = a.err().or(b.err()).unwrap();
    assert!(
        matches!(
            loser,
            StoreError::Conflict(_) | StoreError::Transition(TransitionError::Illegal { .. })
        ),
        "{loser:?}"
    );
    let now = store.application(&district(), key).await.unwrap().unwrap();
    assert_eq!(now.version, 2);
    assert_eq!(now.history.len(), 2);

    // Two approvals without a version: the second finds the step already taken.
    let other = store
        .file_applications(&district(), &[application("042191000002", None)])
        .await
        .unwrap()[0]
        .application
        .key;
    run_to(&store, other, "042191000002", Action::Verify).await;
    let approve = step(Action::Approve, Role::ProvinceOfficer);
    let province = officer_of("PC06-42", "pc06");
    let (a, b) = futures_util::future::join(
        store.transition_application(&province, other, &approve),
        store.transition_application(&province, other, &approve),
    )
    .await;
    assert!(a.is_ok() != b.is_ok(), "exactly one wins: {a:?} {b:?}");
    let loser = a.err().or(b.err()).unwrap();
    assert!(
        matches!(
            loser,
            StoreError::Transition(TransitionError::Illegal { .. })
        ),
        "{loser:?}"
    );
}

pub async fn handover_activates_the_card_and_replaces_the_old_one(store: Arc<dyn Store>) {
    people(&store).await;
    let id = "042090000001";
    let first = store
        .file_applications(&district(), &[application(id, None)])
        .await
        .unwrap()[0]
        .application
        .key;
    let produced = run_to(&store, first, id, Action::Produce).await;
    assert_eq!(produced.state, ApplicationState::Produced);
    let card = store.card(&district(), &pid(id)).await.unwrap().unwrap();
    assert_eq!(card.status, CardStatus::Pending);
    assert_eq!(card.application, first);
    assert_eq!(card.mrz[2], "NGUYEN<<VAN<AN");

    // Produce needs the card's data.
    let second_person = "042191000002";
    let k2 = store
        .file_applications(&district(), &[application(second_person, None)])
        .await
        .unwrap()[0]
        .application
        .key;
    run_to(&store, k2, second_person, Action::StartProduction).await;
    let production = officer_of("C06-TTCC", "centre");
    let err = store
        .transition_application(
            &production,
            k2,
            &step(Action::Produce, Role::ProductionOperator),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");

    let handed = run_to(&store, first, id, Action::HandOver).await;
    assert_eq!(handed.state, ApplicationState::HandedOver);
    let card = store.card(&district(), &pid(id)).await.unwrap().unwrap();
    assert_eq!(card.status, CardStatus::Active);
    let facts = store
        .intake_facts(&district(), &[pid(id)], DAY)
        .await
        .unwrap();
    let facts = facts[0].as_ref().unwrap();
    assert_eq!(
        facts.card,
        HeldCard::Active {
            expiry: Some(date(2038, 3, 16))
        }
    );
    assert_eq!(facts.open_application, None);

    // A renewal runs to handover: the new card is active, the first one replaced.
    let mut renewal = application(id, None);
    renewal.kind = ApplicationType::Renewal(RenewalReason::Damaged);
    let k3 = store
        .file_applications(&district(), &[renewal])
        .await
        .unwrap()[0]
        .application
        .key;
    run_to(&store, k3, id, Action::HandOver).await;
    let current = store.card(&district(), &pid(id)).await.unwrap().unwrap();
    assert_eq!(
        (current.application, current.status),
        (k3, CardStatus::Active)
    );

    // Lost: the active card is marked, and intake sees an inactive card.
    let lost = store.report_card_lost(&district(), &pid(id)).await.unwrap();
    assert_eq!(lost.status, CardStatus::Lost);
    // The card history: the renewed card (now lost) first, then the one it replaced.
    let history = store.cards(&district(), &pid(id)).await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|c| (c.application, c.status))
            .collect::<Vec<_>>()[0],
        (k3, CardStatus::Lost)
    );
    assert!(history.len() >= 2, "{history:?}");
    assert!(
        history[1..]
            .iter()
            .all(|c| c.status == CardStatus::Replaced),
        "{history:?}"
    );
    assert!(
        store
            .cards(&scoped("CAH-436"), &pid(id))
            .await
            .unwrap()
            .is_empty()
    );
    let facts = store
        .intake_facts(&district(), &[pid(id)], DAY)
        .await
        .unwrap();
    assert_eq!(facts[0].as_ref().unwrap().card, HeldCard::Inactive);
    let err = store
        .report_card_lost(&district(), &pid(id))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let n = verify_whole_chain(&store).await;
    assert!(n > 20);
}

pub async fn application_lists_filter_and_page(store: Arc<dyn Store>) {
    people(&store).await;
    let ids = ["042090000001", "042191000002", "042092000003"];
    let mut keys = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let mut a = application(id, None);
        a.due_date = date(2021, 3, 20 + i8::try_from(i).unwrap());
        keys.push(
            store.file_applications(&district(), &[a]).await.unwrap()[0]
                .application
                .key,
        );
    }
    store
        .transition_application(
            &district(),
            keys[0],
            &step(Action::Verify, Role::DistrictOfficer),
        )
        .await
        .unwrap();

    let all = |q: ApplicationQuery| {
        let store = store.clone();
        async move { store.applications(&district(), &q).await.unwrap() }
    };
    let page = all(ApplicationQuery {
        limit: 50,
        ..Default::default()
    })
    .await;
    assert_eq!(page.items.iter().map(|s| s.key).collect::<Vec<_>>(), keys);
    let verified = all(ApplicationQuery {
        state: Some(ApplicationState::Verified),
        limit: 50,
        ..Default::default()
    })
    .await;
    assert_eq!(verified.items.len(), 1);
    // The count of a list is of all its pages; the list names each citizen.
    let count = |q: ApplicationQuery| {
        let store = store.clone();
        async move { store.count_applications(&district(), &q).await.unwrap() }
    };
    assert_eq!(count(ApplicationQuery::default()).await, 3);
    assert_eq!(
        count(ApplicationQuery {
            state: Some(ApplicationState::Verified),
            ..Default::default()
        })
        .await,
        1
    );
    assert!(page.items.iter().all(|s| s.full_name.is_some()), "{page:?}");
    // The list's audit event names whom it showed.
    let events = store.audit_events(0, 10_000).await.unwrap();
    let listed = events.last().unwrap();
    assert_eq!(listed.draft.action, actions::APPLICATION_LIST);
    assert_eq!(listed.draft.record_key, "042090000001");
    let of_one = all(ApplicationQuery {
        personal_id: Some(pid(ids[1])),
        limit: 50,
        ..Default::default()
    })
    .await;
    assert_eq!(
        of_one.items.iter().map(|s| s.key).collect::<Vec<_>>(),
        [keys[1]]
    );
    // On 22 March two are past due (20 and 21 March).
    let overdue = all(ApplicationQuery {
        overdue_on: Some(date(2021, 3, 22)),
        intake_unit: Some(PoliceUnitCode::parse("CAH-445").unwrap()),
        limit: 50,
        ..Default::default()
    })
    .await;
    assert_eq!(overdue.items.len(), 2);

    // Paging one at a time visits each exactly once, in due-date order.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = all(ApplicationQuery {
            limit: 1,
            cursor: cursor.clone(),
            ..Default::default()
        })
        .await;
        seen.extend(page.items.iter().map(|s| s.key));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, keys);

    // Another district sees nothing; the nation sees all.
    let other = store
        .applications(
            &scoped("CAH-436"),
            &ApplicationQuery {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(other.items.is_empty());
    let nation = Access {
        scope: Jurisdiction::Nation,
        ..admin_access(T0)
    };
    let everything = store
        .applications(
            &nation,
            &ApplicationQuery {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(everything.items.len(), 3);
    // A receipt number finds its one application; an unknown one finds none.
    let second = store
        .application(&district(), keys[1])
        .await
        .unwrap()
        .unwrap();
    let by_receipt = all(ApplicationQuery {
        receipt: Some(second.receipt.to_string()),
        limit: 50,
        ..Default::default()
    })
    .await;
    assert_eq!(
        by_receipt.items.iter().map(|s| s.key).collect::<Vec<_>>(),
        [keys[1]]
    );
    let unknown = all(ApplicationQuery {
        receipt: Some("CAH-445-20210316-9999".into()),
        limit: 50,
        ..Default::default()
    })
    .await;
    assert!(unknown.items.is_empty(), "{unknown:?}");
}

/// The list of remote districts: added, listed, a second overlapping entry refused, ended
/// on a day and not twice, each change audited.
pub async fn remote_districts_are_added_and_ended_never_deleted(store: Arc<dyn Store>) {
    use cancuoc_domain::remote::{RemoteDistrict, RemoteKind};
    seeded(&store).await;
    let before = store.audit_events(0, 100_000).await.unwrap().len();
    let entry = |from: Date, to: Option<Date>| RemoteDistrictRecord {
        id: Uuid::now_v7(),
        entry: RemoteDistrict::new(
            "447",
            RemoteKind::Mountain,
            "Quyết định 861/QĐ-TTg",
            from,
            to,
        )
        .unwrap(),
        created_by: "minh.lv".into(),
        created_micros: T0,
        ended_by: None,
    };
    let province = admin_access(T0);
    let first = entry(date(2021, 6, 4), None);
    store.add_remote_district(&province, &first).await.unwrap();
    let err = store
        .add_remote_district(&province, &entry(date(2022, 1, 1), None))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    // An entry that ends before the listed one begins does not overlap it.
    let earlier = entry(date(2016, 1, 1), Some(date(2021, 6, 3)));
    store
        .add_remote_district(&province, &earlier)
        .await
        .unwrap();
    let listed = store.remote_districts().await.unwrap();
    assert_eq!(listed, vec![earlier.clone(), first.clone()]);
    // An entry with an end of its own ends earlier, never later (into the next one).
    let err = store
        .end_remote_district(&province, earlier.id, date(2022, 1, 1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");

    let err = store
        .end_remote_district(&province, first.id, date(2021, 6, 1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let ended = store
        .end_remote_district(&province, first.id, date(2024, 6, 30))
        .await
        .unwrap();
    assert_eq!(ended.entry.valid_to, Some(date(2024, 6, 30)));
    assert_eq!(ended.ended_by.as_deref(), Some("admin"));
    let err = store
        .end_remote_district(&province, first.id, date(2024, 7, 1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let err = store
        .end_remote_district(&province, Uuid::now_v7(), date(2024, 7, 1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    // Added twice and ended once, each in the audit chain.
    let events = store.audit_events(0, 100_000).await.unwrap();
    let actions: Vec<&str> = events[before..]
        .iter()
        .map(|e| e.draft.action.as_str())
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| a.starts_with("remote_district."))
            .count(),
        3,
        "{actions:?}"
    );
    assert_eq!(store.remote_districts().await.unwrap().len(), 2);
}

fn certificate(serial: i64, kind: PkiKind) -> PkiCertificateRecord {
    PkiCertificateRecord {
        serial,
        kind,
        certificate: vec![0x30, 0x03, 0x02, 0x01, u8::try_from(serial).unwrap_or(0)],
        not_before_micros: 1,
        not_after_micros: 100,
        usage_from_micros: 1,
        usage_until_micros: 50,
        key_object: format!("pki/{}-{serial}.key", kind.as_str()),
        revoked_micros: None,
        created_micros: serial,
    }
}

pub async fn the_chip_pki_and_a_cards_chip_are_kept(store: Arc<dyn Store>) {
    people(&store).await;
    let centre = officer_of("C06-TTCC", "centre");
    store
        .add_pki_certificate(&centre, &certificate(1, PkiKind::Csca))
        .await
        .unwrap();
    store
        .add_pki_certificate(&centre, &certificate(2, PkiKind::DocumentSigner))
        .await
        .unwrap();
    let taken = store
        .add_pki_certificate(&centre, &certificate(2, PkiKind::DocumentSigner))
        .await
        .unwrap_err();
    assert!(matches!(taken, StoreError::Conflict(_)), "{taken:?}");
    let certificates = store.pki_certificates().await.unwrap();
    assert_eq!(
        certificates,
        vec![
            certificate(1, PkiKind::Csca),
            certificate(2, PkiKind::DocumentSigner)
        ]
    );

    assert_eq!(store.latest_crl().await.unwrap(), None);
    let crl = |number: i64| CrlRecord {
        number,
        crl: vec![0x30, 0x00, u8::try_from(number).unwrap_or(0)],
        issued_micros: number * 10,
    };
    store.add_crl(&centre, &crl(1)).await.unwrap();
    // The CSCA is not revoked through this door, and a revocation keeps its CRL.
    let csca = store
        .revoke_document_signer(&centre, 1, &crl(2))
        .await
        .unwrap_err();
    assert!(matches!(csca, StoreError::Invalid(_)), "{csca:?}");
    assert_eq!(store.latest_crl().await.unwrap(), Some(crl(1)));
    store
        .revoke_document_signer(&centre, 2, &crl(2))
        .await
        .unwrap();
    assert_eq!(store.latest_crl().await.unwrap(), Some(crl(2)));
    let again = store
        .revoke_document_signer(&centre, 2, &crl(3))
        .await
        .unwrap_err();
    assert!(matches!(again, StoreError::Conflict(_)), "{again:?}");
    assert_eq!(store.latest_crl().await.unwrap(), Some(crl(2)));
    let revoked = store.pki_certificates().await.unwrap();
    assert!(revoked[1].revoked_micros.is_some());
    assert!(revoked[0].revoked_micros.is_none());
    let unknown = store
        .revoke_document_signer(&centre, 99, &crl(3))
        .await
        .unwrap_err();
    assert!(matches!(unknown, StoreError::NotFound(_)), "{unknown:?}");

    let line = LineKeyRecord {
        id: Uuid::from_u128(7),
        public_key: vec![1, 2, 3],
        registered_micros: 5,
        registered_by: "centre".into(),
    };
    store.add_line_key(&centre, &line).await.unwrap();
    assert_eq!(store.line_keys().await.unwrap(), vec![line.clone()]);

    // A card produced with its chip: the chip is read back with the card's holder.
    let id = "042090000001";
    let key = store
        .file_applications(&district(), &[application(id, None)])
        .await
        .unwrap()[0]
        .application
        .key;
    run_to(&store, key, id, Action::StartProduction).await;
    assert_eq!(store.card_chip(&centre, key).await.unwrap(), None);
    let chip = NewChip {
        ds_serial: 2,
        files_object: format!("applications/{key}/chip.lds"),
        package_object: format!("applications/{key}/personalisation.ccpp"),
        line_key: line.id,
        chip_authentication_key: vec![4, 5],
        active_authentication_key: vec![6, 7],
    };
    let mut produce = step(Action::Produce, Role::ProductionOperator);
    produce.card = Some(NewCard {
        chip: Some(chip.clone()),
        ..card_for(id, DAY)
    });
    store
        .transition_application(&centre, key, &produce)
        .await
        .unwrap();
    let kept = store.card_chip(&centre, key).await.unwrap().unwrap();
    assert_eq!(kept.chip, chip);
    assert_eq!(kept.personal_id, pid(id));
    assert_eq!(kept.application, key);
}

/// A change to a record made official as desks do it: imported, which stages it, then
/// verified and approved by two officers of `unit` with `role`.
async fn approve_change(
    store: &Arc<dyn Store>,
    data: cancuoc_domain::CitizenData,
    place: &cancuoc_domain::Locality,
    unit: &str,
    role: Role,
) {
    store
        .import_forms(
            &admin_access(T0),
            super::batch(vec![super::row(2, data, place.clone())]).stream(),
            &|_| {},
        )
        .await
        .unwrap();
    let form = store
        .staged_forms(
            &admin_access(T0),
            &FormQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items[0]
        .id;
    store
        .decide_form(
            &officer_of(unit, "verifier"),
            role,
            form,
            &FormDecision::Verify,
        )
        .await
        .unwrap();
    let approve = FormDecision::Approve {
        new_key: Uuid::now_v7(),
    };
    store
        .decide_form(&officer_of(unit, "approver"), role, form, &approve)
        .await
        .unwrap();
}

/// The national eligible count as the kept counts give it on their day, checked against
/// a recount of the register every time.
async fn kept_eligible(store: &Arc<dyn Store>, on: Date) -> u64 {
    let check = store.verify_eligible_counts().await.unwrap();
    assert_eq!(check.day, Some(on));
    assert!(check.mismatches.is_empty(), "{:?}", check.mismatches);
    let groups = store
        .eligible(
            &admin_access(T0),
            &EligibleQuery {
                within: None,
                group_by: cancuoc_domain::AdminLevel::Province,
                on,
            },
        )
        .await
        .unwrap();
    groups.iter().map(|(_, n)| n).sum()
}

pub async fn eligible_counts_are_kept_at_write_time(store: Arc<dyn Store>) {
    seeded(&store).await;
    let first = store.advance_eligible(DAY).await.unwrap();
    assert_eq!((first.from, first.recounted, first.moved), (None, true, 0));
    let place = thach_ha();
    let born = |id: &str, date: &str| (person(id, "Hồ Thị Lan", date, &place), place.clone());
    import_people(
        &store,
        vec![
            born("042190000021", "01/01/1990"),
            born("042191000022", "02/02/1991"),
            // 14 on 17 March 2021, the day after DAY.
            born("042307000023", "17/03/2007"),
            // March 2007 counts as its last day: 14 from 1 April 2021.
            born("042307000024", "03/2007"),
        ],
    )
    .await;
    // The import's records are counted when the import shows them.
    assert_eq!(kept_eligible(&store, DAY).await, 2);

    // Filing takes its citizen out; a cancellation brings them back.
    let mut filed = application("042190000021", None);
    filed.kind = ApplicationType::FirstIssuance;
    let key = store
        .file_applications(&district(), &[filed.clone()])
        .await
        .unwrap()[0]
        .application
        .key;
    assert_eq!(kept_eligible(&store, DAY).await, 1);
    let mut cancel = step(Action::Cancel, Role::DistrictOfficer);
    cancel.reason = Some("entered twice by mistake".into());
    store
        .transition_application(&district(), key, &cancel)
        .await
        .unwrap();
    assert_eq!(kept_eligible(&store, DAY).await, 2);

    // A card handed over keeps them out until it expires (18 March).
    filed.key = Uuid::now_v7();
    let key = store
        .file_applications(&district(), &[filed])
        .await
        .unwrap()[0]
        .application
        .key;
    run_to(&store, key, "042190000021", Action::StartProduction).await;
    let mut produce = step(Action::Produce, Role::ProductionOperator);
    produce.card = Some(NewCard {
        expiry_date: Some(date(2021, 3, 18)),
        ..card_for("042190000021", DAY)
    });
    store
        .transition_application(&officer_of("C06-TTCC", "centre"), key, &produce)
        .await
        .unwrap();
    run_to(&store, key, "042190000021", Action::HandOver).await;
    assert_eq!(kept_eligible(&store, DAY).await, 1);

    // The days move people in: a birthday, a card expiring, a month of birth ending.
    let next = store.advance_eligible(date(2021, 3, 17)).await.unwrap();
    assert_eq!(
        (next.from, next.recounted, next.moved),
        (Some(DAY), false, 1)
    );
    assert_eq!(kept_eligible(&store, date(2021, 3, 17)).await, 2);
    let again = store.advance_eligible(date(2021, 3, 17)).await.unwrap();
    assert_eq!(again.moved, 0);
    store.advance_eligible(date(2021, 3, 19)).await.unwrap();
    assert_eq!(kept_eligible(&store, date(2021, 3, 19)).await, 3);
    store.advance_eligible(date(2021, 4, 1)).await.unwrap();
    assert_eq!(kept_eligible(&store, date(2021, 4, 1)).await, 4);
    // Another day than the kept one is counted from the register, and agrees.
    let scanned: u64 = store
        .eligible(
            &admin_access(T0),
            &EligibleQuery {
                within: None,
                group_by: cancuoc_domain::AdminLevel::Province,
                on: date(2021, 3, 17),
            },
        )
        .await
        .unwrap()
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!(scanned, 2);

    // A death recorded through review takes them out.
    let mut died = person("042191000022", "Hồ Thị Lan", "02/02/1991", &place);
    died.died_on = Some(cancuoc_domain::PartialDate::parse("20/03/2021").unwrap());
    approve_change(&store, died, &place, "CAH-445", Role::DistrictOfficer).await;
    assert_eq!(kept_eligible(&store, date(2021, 4, 1)).await, 3);

    // A node whose clock is behind leaves the counts on their day.
    let back = store.advance_eligible(DAY).await.unwrap();
    assert_eq!(
        (back.to, back.recounted, back.moved),
        (date(2021, 4, 1), false, 0)
    );
    assert_eq!(kept_eligible(&store, date(2021, 4, 1)).await, 3);
}

/// The edges of a day's move, a move between places and the kept counts read by area and
/// by a scoped officer, each against a recount.
pub async fn eligible_counts_follow_days_moves_and_scopes(store: Arc<dyn Store>) {
    seeded(&store).await;
    store.advance_eligible(date(2021, 3, 16)).await.unwrap();
    let place = thach_ha();
    let city = super::ha_tinh_city();
    let born = |id: &str, date: &str, at: &cancuoc_domain::Locality| {
        (person(id, "Võ Văn Tâm", date, at), at.clone())
    };
    import_people(
        &store,
        vec![
            born("042190000031", "01/01/1990", &place),
            // A year alone counts as its last day: 14 from 1 January 2022.
            born("042307000032", "2007", &place),
            // Born on 29 February: 14 on 28 February 2022 (2022 has no 29 February).
            born("042308000033", "29/02/2008", &city),
            born("042191000034", "02/02/1991", &city),
        ],
    )
    .await;
    assert_eq!(kept_eligible(&store, DAY).await, 2);

    // A card that expires on 17 March is valid on the 17th and not on the 18th.
    let mut filed = application("042190000031", None);
    filed.kind = ApplicationType::FirstIssuance;
    let key = store
        .file_applications(&district(), &[filed])
        .await
        .unwrap()[0]
        .application
        .key;
    run_to(&store, key, "042190000031", Action::StartProduction).await;
    let mut produce = step(Action::Produce, Role::ProductionOperator);
    produce.card = Some(NewCard {
        expiry_date: Some(date(2021, 3, 17)),
        ..card_for("042190000031", DAY)
    });
    store
        .transition_application(&officer_of("C06-TTCC", "centre"), key, &produce)
        .await
        .unwrap();
    run_to(&store, key, "042190000031", Action::HandOver).await;
    assert_eq!(kept_eligible(&store, DAY).await, 1);
    let day = |d| {
        let store = store.clone();
        async move { store.advance_eligible(d).await.unwrap() }
    };
    assert_eq!(day(date(2021, 3, 17)).await.moved, 0);
    assert_eq!(kept_eligible(&store, date(2021, 3, 17)).await, 1);
    assert_eq!(day(date(2021, 3, 18)).await.moved, 1);
    assert_eq!(kept_eligible(&store, date(2021, 3, 18)).await, 2);
    // Across the year's end, and a 29 February birthday in a common year (14 on the 28th).
    day(date(2021, 12, 31)).await;
    assert_eq!(kept_eligible(&store, date(2021, 12, 31)).await, 2);
    assert_eq!(day(date(2022, 1, 1)).await.moved, 1);
    assert_eq!(kept_eligible(&store, date(2022, 1, 1)).await, 3);
    day(date(2022, 2, 27)).await;
    assert_eq!(kept_eligible(&store, date(2022, 2, 27)).await, 3);
    assert_eq!(day(date(2022, 2, 28)).await.moved, 1);
    day(date(2022, 3, 1)).await;
    let on = date(2022, 3, 1);
    assert_eq!(kept_eligible(&store, on).await, 4);

    // A move between districts, through review, moves the count with them.
    let moved = person("042191000034", "Võ Văn Tâm", "02/02/1991", &place);
    // The province reviews it: its officers see both the old residence and the new.
    approve_change(&store, moved, &place, "PC06-42", Role::ProvinceOfficer).await;
    assert_eq!(kept_eligible(&store, on).await, 4);
    let by_district: std::collections::HashMap<Option<String>, u64> = store
        .eligible(
            &admin_access(T0),
            &EligibleQuery {
                within: Some(code("42")),
                group_by: cancuoc_domain::AdminLevel::District,
                on,
            },
        )
        .await
        .unwrap()
        .into_iter()
        .collect();
    // Thạch Hà (445): 031 (card expired), 032, and 034 moved in; the city (436): 033.
    assert_eq!(
        by_district.get(&Some("445".into())),
        Some(&3),
        "{by_district:?}"
    );
    assert_eq!(
        by_district.get(&Some("436".into())),
        Some(&1),
        "{by_district:?}"
    );
    // A district officer reads their own district whatever they ask for.
    let theirs = store
        .eligible(
            &scoped("CAH-436"),
            &EligibleQuery {
                within: Some(code("42")),
                group_by: cancuoc_domain::AdminLevel::District,
                on,
            },
        )
        .await
        .unwrap();
    assert_eq!(theirs, vec![(Some("436".into()), 1)]);
    // By commune within a district.
    let communes = store
        .eligible(
            &admin_access(T0),
            &EligibleQuery {
                within: Some(code("445")),
                group_by: cancuoc_domain::AdminLevel::Commune,
                on,
            },
        )
        .await
        .unwrap();
    assert_eq!(communes, vec![(Some(place.commune.as_str().to_owned()), 3)]);
}
