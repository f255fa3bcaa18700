//! Conformance cases for enrollment sites, sessions, slots and appointments.

use std::sync::Arc;

use cancuoc_domain::citizen::OldIdNumber;
use cancuoc_domain::schedule::{AppointmentOrigin, AppointmentState, Window, layout};
use cancuoc_domain::{Officer, PoliceUnitCode, Role};
use uuid::Uuid;

use super::applications::{DAY, application};
use super::{T0, admin_access, ha_tinh_city, person, scoped, seeded, thach_ha, verify_whole_chain};
use crate::*;

fn site(unit: &str, name: &str, commune: &str) -> Site {
    Site {
        id: Uuid::now_v7(),
        unit: unit.into(),
        name: name.into(),
        kind: SiteKind::Mobile,
        commune: commune.into(),
        address: "Nhà văn hóa thôn 1".into(),
        hours: Window::new(7 * 60, 23 * 60).unwrap(),
        created_by: "officer".into(),
        created_micros: T0,
    }
}

fn machine(unit: &str, label: &str, minutes: u32) -> Machine {
    Machine {
        id: Uuid::now_v7(),
        unit: unit.into(),
        label: label.into(),
        minutes_per_application: minutes,
        active: true,
        created_micros: T0,
    }
}

fn session(
    site: &Site,
    machines: &[&Machine],
    officers: &[&str],
    from: u32,
    to: u32,
    limits: Option<&[u32]>,
) -> NewEnrollmentSession {
    let window = Window::new(from, to).unwrap();
    let minutes: Vec<u32> = machines.iter().map(|m| m.minutes_per_application).collect();
    NewEnrollmentSession {
        id: Uuid::now_v7(),
        site: site.id,
        day: DAY,
        window,
        slot_min: 30,
        machines: machines.iter().map(|m| m.id).collect(),
        officers: officers.iter().map(|o| (*o).to_owned()).collect(),
        slots: layout(window, 30, &minutes, limits).unwrap(),
        invites: None,
    }
}

async fn officer(store: &Arc<dyn Store>, username: &str, unit: &str) {
    store
        .create_officer(
            &admin_access(T0),
            &NewOfficer {
                officer: Officer {
                    username: username.into(),
                    full_name: "Phan Văn Hải".into(),
                    unit: PoliceUnitCode::parse(unit).unwrap(),
                    role: Role::DistrictOfficer,
                    active: true,
                },
                password_hash: "hash".into(),
                must_change_password: false,
            },
        )
        .await
        .unwrap();
}

pub async fn sessions_keep_machines_and_officers_from_double_booking(store: Arc<dyn Store>) {
    seeded(&store).await;
    let district = scoped("CAH-445");
    let commune = thach_ha().commune.as_str().to_owned();
    let hall = site("CAH-445", "Nhà văn hóa Thạch Long", &commune);
    store.create_site(&district, &hall).await.unwrap();
    assert!(matches!(
        store
            .create_site(
                &district,
                &site("CAH-445", "Nhà văn hóa Thạch Long", &commune)
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .create_site(&district, &site("CAH-445", "Nowhere", "99999"))
            .await,
        Err(StoreError::NotFound(_))
    ));
    let fast = machine("CAH-445", "Bộ 1", 15);
    let slow = machine("CAH-445", "Bộ 2", 20);
    let spare = machine("CAH-445", "Bộ 3", 15);
    let elsewhere = machine("CAH-436", "Bộ 1", 15);
    for m in [&fast, &slow, &spare, &elsewhere] {
        store.add_machine(&district, m).await.unwrap();
    }
    assert!(matches!(
        store
            .add_machine(&district, &machine("CAH-445", "Bộ 1", 10))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.machines("CAH-445").await.unwrap(),
        vec![fast.clone(), slow.clone(), spare.clone()]
    );
    officer(&store, "hai", "CAH-445").await;

    let morning = session(&hall, &[&fast, &slow], &["hai"], 420, 540, None);
    store
        .create_sessions(&district, std::slice::from_ref(&morning))
        .await
        .unwrap();
    // A good session and one that takes a busy machine: neither is made.
    // The afternoon gathers a small neighbouring commune's people at the hall.
    let neighbour = super::HA_TINH
        .iter()
        .filter(|u| u.parent.as_ref().is_some_and(|p| p.as_str() == "445"))
        .nth(1)
        .unwrap()
        .code
        .as_str()
        .to_owned();
    let mut afternoon = session(&hall, &[&fast], &[], 780, 900, None);
    afternoon.invites = Some(neighbour.clone());
    let clash = session(&hall, &[&fast], &[], 510, 600, None);
    assert!(matches!(
        store
            .create_sessions(&district, &[afternoon.clone(), clash])
            .await,
        Err(StoreError::Conflict(_))
    ));
    let busy_officer = session(&hall, &[&spare], &["hai"], 480, 600, None);
    assert!(matches!(
        store.create_sessions(&district, &[busy_officer]).await,
        Err(StoreError::Conflict(_))
    ));
    let foreign = session(&hall, &[&elsewhere], &[], 780, 900, None);
    assert!(matches!(
        store.create_sessions(&district, &[foreign]).await,
        Err(StoreError::Invalid(_))
    ));
    // Another district's commune is not the site's to gather.
    let mut across = session(&hall, &[&spare], &[], 780, 900, None);
    across.invites = Some(ha_tinh_city().commune.as_str().to_owned());
    assert!(matches!(
        store.create_sessions(&district, &[across]).await,
        Err(StoreError::Invalid(_))
    ));
    let unknown_officer = session(&hall, &[&spare], &["nobody"], 780, 900, None);
    assert!(matches!(
        store.create_sessions(&district, &[unknown_officer]).await,
        Err(StoreError::NotFound(_))
    ));
    store
        .create_sessions(&district, &[afternoon])
        .await
        .unwrap();

    let query = SessionQuery {
        from: DAY,
        to: DAY,
        commune: None,
        unit: None,
    };
    let listed = store.enrollment_sessions(&district, &query).await.unwrap();
    assert_eq!(listed.len(), 2);
    let first = &listed[0];
    assert_eq!(first.id, morning.id);
    assert_eq!(first.site, hall);
    assert_eq!(first.machine_minutes(), vec![15, 20]);
    assert_eq!(first.officers, vec!["hai".to_owned()]);
    assert_eq!(first.state, SessionState::Open);
    assert_eq!(first.invites, commune);
    assert_eq!(listed[1].invites, neighbour);
    // A commune's sessions are those held there and those its people are invited to.
    let of = |c: &str| SessionQuery {
        commune: Some(c.to_owned()),
        ..query.clone()
    };
    let ids = |list: Vec<EnrollmentSession>| list.into_iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store
            .enrollment_sessions(&district, &of(&neighbour))
            .await
            .unwrap()),
        vec![listed[1].id]
    );
    assert_eq!(
        ids(store
            .enrollment_sessions(&district, &of(&commune))
            .await
            .unwrap()),
        vec![morning.id, listed[1].id]
    );
    // 30 ÷ 15 + 30 ÷ 20 = 3.5 a slot, 3 whole.
    assert_eq!(
        first
            .slots
            .iter()
            .map(|s| (s.slot.capacity, s.held))
            .collect::<Vec<_>>(),
        vec![(3, 0); 4]
    );
    // Another district's police sees neither the sessions nor the site.
    let city = scoped("CAH-436");
    assert!(
        store
            .enrollment_sessions(&city, &query)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .enrollment_session(&city, morning.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.sites(&city, None).await.unwrap().is_empty());
    assert_eq!(
        store.sites(&district, Some("CAH-445")).await.unwrap(),
        vec![hall.clone()]
    );
    verify_whole_chain(&store).await;
    // Officers of another district are not the site unit's to staff; a commune police
    // officer under the district is.
    officer(&store, "la", "CAH-436").await;
    let borrowed = session(&hall, &[&spare], &["la"], 780, 900, None);
    assert!(matches!(
        store.create_sessions(&district, &[borrowed]).await,
        Err(StoreError::NotFound(_))
    ));
    let commune_police = format!("CAX-{commune}");
    officer(&store, "xa", &commune_police).await;
    let local = session(&hall, &[&spare], &["xa"], 420, 480, None);
    store.create_sessions(&district, &[local]).await.unwrap();
}

pub async fn appointments_fill_slots_once_per_person_and_follow_the_day(store: Arc<dyn Store>) {
    seeded(&store).await;
    let place = thach_ha();
    let mut people = Vec::new();
    for (id, name, born, cmnd) in [
        ("042070000011", "Trịnh Văn Sơn", "12/05/1970", "183000011"),
        ("042175000012", "Lê Thị Hoa", "03/09/1975", "183000012"),
        ("042112000013", "Trịnh Văn Tùng", "2012", ""),
    ] {
        let mut p = person(id, name, born, &place);
        p.old_id_number = OldIdNumber::parse(cmnd);
        p.household_number = Some("HH-7".into());
        people.push(p);
    }
    // Someone of another district, due a card too, never among Thạch Long's invitees.
    let outsider = person("042080000014", "Võ Văn Nam", "1980", &ha_tinh_city());
    let batch = PopulationBatch {
        households: vec![NewHousehold {
            number: "HH-7".into(),
            commune: place.commune.clone(),
            address: "Thôn 3, xã Thạch Long".into(),
            head: Some(people[0].personal_id),
        }],
        citizens: people
            .iter()
            .map(|p| NewCitizen::new(Uuid::now_v7(), p, Some(&place)).unwrap())
            .chain([NewCitizen::new(Uuid::now_v7(), &outsider, Some(&ha_tinh_city())).unwrap()])
            .collect(),
        source: "conformance".into(),
    };
    store
        .load_population(&admin_access(T0), &batch)
        .await
        .unwrap();

    let district = scoped("CAH-445");
    let commune = place.commune.as_str().to_owned();
    let invitees = store.invitees(&district, &commune, DAY).await.unwrap();
    // The child of 9 is not yet due a card.
    assert_eq!(
        invitees
            .iter()
            .map(|i| i.personal_id.as_str())
            .collect::<Vec<_>>(),
        ["042070000011", "042175000012"]
    );
    assert_eq!(invitees[0].household.as_deref(), Some("HH-7"));
    assert_eq!(
        invitees[0].household_address.as_deref(),
        Some("Thôn 3, xã Thạch Long")
    );
    assert_eq!(invitees[0].name, "Trịnh Văn Sơn");

    let hall = site("CAH-445", "Nhà văn hóa Thạch Long", &commune);
    store.create_site(&district, &hall).await.unwrap();
    let kit = machine("CAH-445", "Bộ 1", 15);
    store.add_machine(&district, &kit).await.unwrap();
    let day = session(&hall, &[&kit], &[], 420, 480, Some(&[1, 2]));
    store
        .create_sessions(&district, std::slice::from_ref(&day))
        .await
        .unwrap();
    let new = |id: &str, slot: u32| NewAppointment {
        id: Uuid::now_v7(),
        session: day.id,
        slot,
        personal_id: id.into(),
        household: Some("HH-7".into()),
        origin: AppointmentOrigin::Invited,
        room: cancuoc_domain::schedule::Taker::Appointment,
        arrived_micros: None,
    };
    // Slot 1 takes one appointment: the pair fails whole.
    assert!(matches!(
        store
            .make_appointments(&district, &[new("042070000011", 1), new("042175000012", 1)])
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        store
            .appointments(&district, day.id)
            .await
            .unwrap()
            .is_empty()
    );
    let made = store
        .make_appointments(&district, &[new("042070000011", 1), new("042175000012", 2)])
        .await
        .unwrap();
    assert_eq!(
        made.iter().map(|a| a.queue_number).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(made[0].name, "Trịnh Văn Sơn");
    assert_eq!(made[0].state, AppointmentState::Booked);
    // One active appointment per person.
    assert!(matches!(
        store
            .make_appointments(&district, &[new("042070000011", 2)])
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        store
            .invitees(&district, &commune, DAY)
            .await
            .unwrap()
            .is_empty()
    );
    let found = store
        .active_appointment(&district, "042175000012")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.session, found.slot), (day.id, 2));
    // Outside the jurisdiction an appointment does not exist.
    assert!(
        store
            .active_appointment(&scoped("CAH-436"), "042175000012")
            .await
            .unwrap()
            .is_none()
    );

    // The day: check in, call, and the filed application closes the appointment.
    let at = |minutes: i64| Access {
        now_micros: T0 + minutes * 60_000_000,
        ..district.clone()
    };
    let son = made[0].id;
    let checked = store
        .step_appointment(&at(425), son, AppointmentStep::CheckIn)
        .await
        .unwrap();
    assert_eq!(checked.state, AppointmentState::CheckedIn);
    assert_eq!(checked.arrived_micros, Some(T0 + 425 * 60_000_000));
    assert!(matches!(
        store
            .step_appointment(&at(426), son, AppointmentStep::CheckIn)
            .await,
        Err(StoreError::Invalid(_))
    ));
    store
        .step_appointment(&at(430), son, AppointmentStep::Call)
        .await
        .unwrap();
    let filed = store
        .file_applications(&at(445), &[application("042070000011", None)])
        .await
        .unwrap();
    let listed = store.appointments(&district, day.id).await.unwrap();
    assert_eq!(listed[0].state, AppointmentState::Served);
    assert_eq!(listed[0].application, Some(filed[0].application.key));
    assert_eq!(listed[0].served_micros, Some(T0 + 445 * 60_000_000));

    // Slot 1 takes no more invitations (its limit is 1, and a served person keeps the
    // place), but its machine has time for a second person (capacity 2): Hoa, who holds an
    // appointment, may move there, and back; once she is there it takes no one else.
    let mut another = new("042070000011", 1);
    another.id = Uuid::now_v7();
    assert!(matches!(
        store.make_appointments(&at(431), &[another]).await,
        Err(StoreError::Conflict(_))
    ));
    let hoa = made[1].id;
    let move_to = |slot| AppointmentStep::Move {
        session: day.id,
        slot,
    };
    let moved = store
        .step_appointment(&at(431), hoa, move_to(1))
        .await
        .unwrap();
    assert_eq!(moved.slot, 1);
    let mut walk_in_full = new("042070000011", 1);
    walk_in_full.id = Uuid::now_v7();
    walk_in_full.origin = AppointmentOrigin::WalkIn;
    walk_in_full.room = cancuoc_domain::schedule::Taker::WalkIn;
    walk_in_full.arrived_micros = Some(T0 + 432 * 60_000_000);
    assert!(matches!(
        store.make_appointments(&at(432), &[walk_in_full]).await,
        Err(StoreError::Conflict(_))
    ));
    store
        .step_appointment(&at(433), hoa, move_to(2))
        .await
        .unwrap();
    // She does not come: released, she is due an invitation again and her place is free.
    assert_eq!(
        store.mark_no_shows(&at(520), day.id, &[2]).await.unwrap(),
        1
    );
    let listed = store.appointments(&district, day.id).await.unwrap();
    assert_eq!(listed[1].state, AppointmentState::NoShow);
    assert_eq!(
        store
            .invitees(&district, &commune, DAY)
            .await
            .unwrap()
            .len(),
        1
    );
    let now = store
        .enrollment_session(&district, day.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.slots.iter().map(|s| s.held).collect::<Vec<_>>(), [1, 0]);

    // A walk-in arrives checked in; closing leaves nobody booked; a closed session takes
    // no one.
    let mut walk_in = new("042175000012", 2);
    walk_in.origin = AppointmentOrigin::WalkIn;
    walk_in.room = cancuoc_domain::schedule::Taker::WalkIn;
    walk_in.arrived_micros = Some(T0 + 455 * 60_000_000);
    let walked = store.make_appointments(&at(455), &[walk_in]).await.unwrap();
    assert_eq!(walked[0].state, AppointmentState::CheckedIn);
    assert_eq!(walked[0].queue_number, 3);
    assert_eq!(store.close_session(&at(600), day.id).await.unwrap(), 0);
    // The planner's walk-in share reads counts of closed sessions, naming no one.
    let served = store
        .appointments(&district, day.id)
        .await
        .unwrap()
        .iter()
        .filter(|a| a.state == AppointmentState::Served)
        .count();
    assert_eq!(
        store
            .walk_in_counts(&district, "CAH-445", DAY, DAY)
            .await
            .unwrap(),
        (1, u64::try_from(served).unwrap())
    );
    assert_eq!(
        store
            .walk_in_counts(&district, "CAH-436", DAY, DAY)
            .await
            .unwrap(),
        (0, 0),
        "another unit's sessions"
    );
    assert!(matches!(
        store.close_session(&at(600), day.id).await,
        Err(StoreError::Invalid(_))
    ));
    let mut late = new("042070000011", 2);
    late.id = Uuid::now_v7();
    assert!(matches!(
        store.make_appointments(&at(601), &[late]).await,
        Err(StoreError::Invalid(_))
    ));
    verify_whole_chain(&store).await;
}
