//! Conformance cases for campaigns, quotas, kept intake counts and eligible counts.

use std::collections::HashMap;
use std::sync::Arc;

use cancuoc_domain::application::{Action, ApplicationType};
use cancuoc_domain::campaign::Period;
use cancuoc_domain::{AdminLevel, PartialDate, PoliceUnitCode, Role};
use jiff::civil::date;
use uuid::Uuid;

use super::applications::{DAY, application, people, step};
use super::{T0, admin_access, code, import_people, person, scoped, thach_ha, verify_whole_chain};
use crate::*;

async fn counts_on(store: &Arc<dyn Store>, units: &[&str]) -> HashMap<String, u64> {
    let units: Vec<String> = units.iter().map(|u| (*u).to_owned()).collect();
    store
        .intake_counts(&units, DAY, DAY)
        .await
        .unwrap()
        .into_iter()
        .map(|c| {
            assert_eq!(c.day, DAY);
            (c.unit, c.received)
        })
        .collect()
}

pub async fn intake_is_counted_up_the_hierarchy_as_it_is_filed(store: Arc<dyn Store>) {
    people(&store).await;
    let units = ["CAH-445", "PC06-42", "CAT-42", "BCA", "CAH-436"];
    let filed = store
        .file_applications(
            &scoped("CAH-445"),
            &[
                application("042090000001", None),
                application("042191000002", None),
            ],
        )
        .await
        .unwrap();
    let mut at_pc06 = application("042092000003", None);
    at_pc06.intake_unit = PoliceUnitCode::parse("PC06-42").unwrap();
    at_pc06.place.district = None;
    store
        .file_applications(&scoped("PC06-42"), &[at_pc06])
        .await
        .unwrap();
    let counts = counts_on(&store, &units).await;
    assert_eq!(counts.get("CAH-445"), Some(&2));
    assert_eq!(counts.get("PC06-42"), Some(&1));
    assert_eq!(counts.get("CAT-42"), Some(&3));
    assert_eq!(counts.get("BCA"), Some(&3));
    assert_eq!(counts.get("CAH-436"), None);
    assert!(store.verify_intake_counts().await.unwrap().is_empty());

    // A cancelled application is no intake; a rejected one was still received.
    let mut cancel = step(Action::Cancel, Role::DistrictOfficer);
    cancel.reason = Some("entered twice by mistake".into());
    store
        .transition_application(&scoped("CAH-445"), filed[0].application.key, &cancel)
        .await
        .unwrap();
    let counts = counts_on(&store, &units).await;
    assert_eq!(counts.get("CAH-445"), Some(&1));
    assert_eq!(counts.get("CAT-42"), Some(&2));
    assert_eq!(counts.get("BCA"), Some(&2));
    assert!(store.verify_intake_counts().await.unwrap().is_empty());

    // A rebuild gives the same counts, and nothing outside the days asked for shows.
    assert!(store.rebuild_intake_counts().await.unwrap() >= 4);
    assert_eq!(counts_on(&store, &units).await, counts);
    assert!(store.verify_intake_counts().await.unwrap().is_empty());
    let later = store
        .intake_counts(&["CAT-42".into()], date(2021, 3, 17), date(2021, 3, 31))
        .await
        .unwrap();
    assert!(later.is_empty());
}

pub async fn campaigns_and_quotas_are_kept_and_audited(store: Arc<dyn Store>) {
    super::seeded(&store).await;
    let access = admin_access(T0);
    let campaign = Campaign {
        id: Uuid::now_v7(),
        name: "Cấp CCCD gắn chip 2021".into(),
        unit: "CAT-42".into(),
        period: Period::new(date(2021, 3, 1), date(2021, 6, 30)).unwrap(),
        created_by: "admin".into(),
        created_micros: T0,
    };
    store.create_campaign(&access, &campaign).await.unwrap();
    let twin = Campaign {
        id: Uuid::now_v7(),
        ..campaign.clone()
    };
    let err = store.create_campaign(&access, &twin).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(store.campaigns().await.unwrap(), vec![campaign.clone()]);
    assert_eq!(
        store.campaign(campaign.id).await.unwrap(),
        Some(campaign.clone())
    );
    assert_eq!(store.campaign(Uuid::now_v7()).await.unwrap(), None);

    let quota = |unit: &str, total: u64, daily: Option<u64>| Quota {
        unit: unit.into(),
        total,
        daily,
    };
    store
        .set_quotas(
            &access,
            campaign.id,
            &[
                quota("CAT-42", 1_000_000, Some(8_400)),
                quota("CAH-445", 70_000, Some(600)),
            ],
        )
        .await
        .unwrap();
    // An unknown unit fails the whole call: the valid quota before it is not written.
    let err = store
        .set_quotas(
            &access,
            campaign.id,
            &[quota("CAH-436", 5, None), quota("CAH-999", 5, None)],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    let err = store
        .set_quotas(&access, Uuid::now_v7(), &[quota("CAT-42", 1, None)])
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    // Setting again replaces.
    store
        .set_quotas(&access, campaign.id, &[quota("CAH-445", 72_000, None)])
        .await
        .unwrap();
    let mut got = store
        .quotas(
            campaign.id,
            &["CAT-42".into(), "CAH-445".into(), "CAH-436".into()],
        )
        .await
        .unwrap();
    got.sort_by(|a, b| a.unit.cmp(&b.unit));
    assert_eq!(
        got,
        vec![
            quota("CAH-445", 72_000, None),
            quota("CAT-42", 1_000_000, Some(8_400))
        ]
    );
    let events = store.audit_events(0, 1000).await.unwrap();
    let quota_events: Vec<_> = events
        .iter()
        .filter(|e| e.draft.action == actions::QUOTA_SET)
        .collect();
    assert_eq!(quota_events.len(), 3);
    assert!(
        quota_events
            .iter()
            .any(|e| e.draft.record_key == format!("{}/CAH-445", campaign.id))
    );
    assert!(
        events
            .iter()
            .any(|e| e.draft.action == actions::CAMPAIGN_CREATE)
    );
    verify_whole_chain(&store).await;
}

pub async fn eligible_population_is_counted_from_the_register(store: Arc<dyn Store>) {
    super::seeded(&store).await;
    let here = thach_ha();
    let city = super::ha_tinh_city();
    let with = |id: &str, born: &str, change: fn(&mut cancuoc_domain::CitizenData)| {
        let mut p = person(id, "Phạm Thị Dung", born, &here);
        change(&mut p);
        (p, here.clone())
    };
    import_people(
        &store,
        vec![
            with("042190000011", "01/01/1990", |_| {}),
            // Exactly 14 on the day; one day short; partial dates read as their last day.
            with("042307000012", "16/03/2007", |_| {}),
            with("042307000013", "17/03/2007", |_| {}),
            with("042307000014", "03/2007", |_| {}),
            with("042307000015", "02/2007", |_| {}),
            with("042180000016", "1980", |p| {
                p.died_on = Some(PartialDate::parse("01/01/2020").unwrap());
            }),
            with("042185000017", "1985", |p| p.nationality = "LAO".into()),
            with("042090000018", "1990", |_| {}),
            (
                person("042190000019", "Lê Thị Hoa", "05/05/1990", &city),
                city.clone(),
            ),
        ],
    )
    .await;
    // An open application takes its citizen out of the count.
    let mut app = application("042090000018", None);
    app.kind = ApplicationType::FirstIssuance;
    store
        .file_applications(&scoped("CAH-445"), &[app])
        .await
        .unwrap();

    let query = EligibleQuery {
        within: Some(code("42")),
        group_by: AdminLevel::District,
        on: DAY,
    };
    let groups: HashMap<Option<String>, u64> = store
        .eligible(&admin_access(T0), &query)
        .await
        .unwrap()
        .into_iter()
        .collect();
    // 011, 012 and 015 in Thạch Hà; 019 in Hà Tĩnh city.
    assert_eq!(groups.get(&Some("445".into())), Some(&3), "{groups:?}");
    assert_eq!(groups.get(&Some("436".into())), Some(&1), "{groups:?}");
    assert_eq!(groups.len(), 2, "{groups:?}");

    // A district officer counts only their district, whatever they ask for.
    let groups = store.eligible(&scoped("CAH-436"), &query).await.unwrap();
    assert_eq!(groups, vec![(Some("436".into()), 1)]);

    // By commune within the district.
    let by_commune = store
        .eligible(
            &admin_access(T0),
            &EligibleQuery {
                within: Some(code("445")),
                group_by: AdminLevel::Commune,
                on: DAY,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        by_commune,
        vec![(Some(here.commune.as_str().to_owned()), 3)]
    );
    let events = store.audit_events(0, 1000).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.draft.action == actions::ELIGIBLE_COUNT)
    );
}

pub async fn synthetic_applications_are_counted_like_filed_ones(store: Arc<dyn Store>) {
    super::seeded(&store).await;
    let spec = SyntheticApplications {
        first: 1,
        count: 1000,
        units: vec![
            ("CAH-445".into(), "42".into(), Some("445".into())),
            ("PC06-42".into(), "42".into(), None),
        ],
        days: vec![date(2021, 3, 15), DAY],
    };
    assert_eq!(
        store.load_synthetic_applications(&spec).await.unwrap(),
        1000
    );
    let next = SyntheticApplications {
        first: 1001,
        count: 10,
        ..spec.clone()
    };
    assert_eq!(store.load_synthetic_applications(&next).await.unwrap(), 10);
    store.rebuild_intake_counts().await.unwrap();
    assert!(store.verify_intake_counts().await.unwrap().is_empty());
    let counts = store
        .intake_counts(
            &["CAT-42".into(), "CAH-445".into(), "PC06-42".into()],
            date(2021, 3, 15),
            DAY,
        )
        .await
        .unwrap();
    let sum = |unit: &str| -> u64 {
        counts
            .iter()
            .filter(|c| c.unit == unit)
            .map(|c| c.received)
            .sum()
    };
    assert_eq!(sum("CAT-42"), 1010);
    assert_eq!(sum("CAH-445") + sum("PC06-42"), 1010);
    assert_eq!(sum("CAH-445"), 505);
    // The scan over the applications agrees with the kept counts.
    let scanned = store
        .scan_intake_by_province(date(2021, 3, 15), DAY)
        .await
        .unwrap();
    let on_day: u64 = counts
        .iter()
        .filter(|c| c.unit == "CAT-42" && c.day == DAY)
        .map(|c| c.received)
        .sum();
    assert_eq!(
        scanned,
        vec![ScannedIntake {
            place: "42".into(),
            on_day,
            in_period: 1010,
        }]
    );
    // Never into a register that holds people.
    import_people(
        &store,
        vec![(
            person("042090000001", "Nguyễn Văn An", "1990", &thach_ha()),
            thach_ha(),
        )],
    )
    .await;
    let err = store
        .load_synthetic_applications(&SyntheticApplications {
            first: 5000,
            ..spec
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
}
