//! The demo at work (issue 16 §8): two weeks of a campaign replayed on a small synthetic
//! province leave applications in every state, each step dated the day it stands for,
//! the biometrics readable, and today's session with its queue begun.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests report a failure by panicking"
)]

mod support;

use std::sync::Arc;

use cancuoc_app::{Caller, DemoApplicants, Unobserved};
use cancuoc_domain::application::ApplicationState;
use cancuoc_store::ApplicationQuery;

#[tokio::test]
async fn two_weeks_of_demo_leave_applications_in_every_state() {
    let (app, dir) = support::app_on_sqlite().await;
    let key = cancuoc_vault::MasterKey::generate().unwrap();
    let vault = cancuoc_vault::ObjectVault::open_local(&dir.path().join("objects"), &key)
        .await
        .unwrap();
    let app = app.with_vault(Arc::new(vault));
    app.init("2021", Some("admin-password-123")).await.unwrap();
    let operator = Caller::Operator {
        name: "test".into(),
    };
    let mut quiet = Unobserved;
    let mut applicants = DemoApplicants {
        people: Vec::new(),
        inner: &mut quiet,
    };
    app.demo(&operator, "42", 3_000, 5, &mut applicants)
        .await
        .unwrap();
    let people = applicants.people;
    let activity = app.demo_activity("42", &people, 14).await.unwrap();

    let states: Vec<ApplicationState> = activity.by_state.iter().map(|(s, _)| *s).collect();
    assert_eq!(states, ApplicationState::ALL.to_vec(), "{activity:?}");
    assert_eq!(
        activity.by_state.iter().map(|(_, n)| n).sum::<usize>(),
        activity.applications
    );
    // One account for each role the month needed, each with a password to hand over.
    let roles: Vec<&str> = activity.accounts.iter().map(|a| a.role.as_str()).collect();
    for role in [
        "province_officer",
        "production_operator",
        "district_officer",
    ] {
        assert!(roles.contains(&role), "{roles:?}");
    }
    assert!(activity.accounts.iter().all(|a| a.password.len() >= 12));

    // A handed-over file went through every step, one day after another, in the past.
    let store = app.store();
    let access = cancuoc_store::Access {
        actor: "test".into(),
        unit: "BCA".into(),
        scope: cancuoc_domain::Jurisdiction::Nation,
        purpose: "test".into(),
        now_micros: 0,
    };
    let handed = store
        .applications(
            &access,
            &ApplicationQuery {
                state: Some(ApplicationState::HandedOver),
                ..ApplicationQuery::default()
            },
        )
        .await
        .unwrap();
    let first = store
        .application(&access, handed.items[0].key)
        .await
        .unwrap()
        .unwrap();
    let today = app.today();
    assert!(first.intake_date < today, "{first:?}");
    assert!(first.history.len() >= 8, "{:?}", first.history);
    for pair in first.history.windows(2) {
        assert!(pair[0].at_micros < pair[1].at_micros, "{:?}", first.history);
    }
    let caller = Caller::Officer(cancuoc_domain::Officer {
        username: "pc06.42".into(),
        full_name: "Test".into(),
        unit: cancuoc_domain::PoliceUnitCode::parse("PC06-42").unwrap(),
        role: cancuoc_domain::Role::ProvinceOfficer,
        active: true,
    });
    let portrait = app
        .biometric_image(&caller, first.key, "portrait")
        .await
        .unwrap();
    // JPEG, as the chip's DG2 takes it.
    assert_eq!(portrait.0, "image/jpeg");
    assert!(portrait.1.starts_with(&[0xFF, 0xD8]), "a JPEG portrait");

    // The card handed over carries its chip, signed on the day it was produced by the
    // Document Signer the demo's PKI started on its first day; the line's key opens it.
    let (chip, files) = app
        .card_chip(&caller, &first.personal_id.as_string())
        .await
        .unwrap();
    let verification = app.verify_chip(&files).await.unwrap();
    assert!(
        verification.is_valid(),
        "{:?}",
        verification.failures().collect::<Vec<_>>()
    );
    let dg2 =
        cancuoc_icao::lds::Dg2::parse(&files[&cancuoc_icao::lds::ElementaryFile::Dg2]).unwrap();
    assert_eq!(
        dg2.image, portrait.1,
        "DG2 holds the intake portrait byte for byte"
    );
    assert!(verification.signing_time.unwrap().as_microsecond() < chip.created_micros + 1);
    assert!(activity.line_key.is_some());

    // Today's session: households invited, people waiting, one called in.
    let session = activity.session.expect("today's session");
    let queue = app.live_queue(&caller, session).await.unwrap();
    assert_eq!(queue.session.day, today);
    assert!(!queue.waiting.is_empty(), "{queue:?}");
    assert_eq!(queue.called.len(), 1, "{queue:?}");
}
