//! Sign-in throttling as someone guessing an officer's password from another machine would
//! meet it (issue 14 §4): growing delays per client address and per username at that
//! address, never a lock that refuses the right password at the officer's own station, and
//! the same answer for a delayed attempt whether the username exists or not.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests report a failure by panicking"
)]

mod support;

use cancuoc_app::{App, AppError};

const PASSWORD: &str = "admin-password-123";

async fn app() -> (App, tempfile::TempDir) {
    let (app, dir) = support::app_on_sqlite().await;
    app.init("2021", Some(PASSWORD)).await.unwrap();
    (app, dir)
}

#[tokio::test]
async fn a_guesser_elsewhere_never_locks_the_officer_out_of_their_own_station() {
    let (app, _dir) = app().await;
    let guesser = "10.66.0.9";
    let mut answers = Vec::new();
    for i in 0..8 {
        answers.push(app.login("admin", &format!("guess-{i}"), guesser).await);
    }
    assert!(
        answers
            .iter()
            .take(4)
            .all(|a| matches!(a, Err(AppError::BadCredentials)))
    );
    assert!(
        answers
            .iter()
            .skip(4)
            .all(|a| matches!(a, Err(AppError::TooManyAttempts { seconds }) if *seconds >= 1)),
        "{answers:?}"
    );
    // The guesser's address waits even with the right password…
    assert!(matches!(
        app.login("admin", PASSWORD, guesser).await,
        Err(AppError::TooManyAttempts { .. })
    ));
    // …and for any username, known or not: the answer tells nothing about accounts.
    assert!(matches!(
        app.login("no-such-officer", "whatever-it-is", guesser)
            .await,
        Err(AppError::TooManyAttempts { .. })
    ));
    // The officer at their own station signs in.
    let session = app.login("admin", PASSWORD, "10.42.0.7").await.unwrap();
    assert_eq!(session.officer.username, "admin");
}

#[tokio::test]
async fn many_usernames_from_one_address_are_throttled_too() {
    let (app, _dir) = app().await;
    let sprayer = "10.66.0.10";
    let mut throttled = 0;
    for i in 0..10 {
        if let Err(AppError::TooManyAttempts { .. }) = app
            .login(&format!("officer-{i}"), "Password-Spray-1", sprayer)
            .await
        {
            throttled += 1;
        }
    }
    assert!(throttled >= 5, "{throttled} of 10 throttled");
}

/// A read refused by role is in the trail, marked refused, not passed off as a real read.
#[tokio::test]
async fn a_refused_read_is_audited_as_refused() {
    let (app, _dir) = app().await;
    let operator = cancuoc_app::Caller::Operator {
        name: "test".into(),
    };
    let unit = cancuoc_domain::PoliceUnitCode::parse("C06-TTCC").unwrap();
    app.add_officer(
        &operator,
        "san-xuat",
        "Trung tâm sản xuất",
        &unit,
        cancuoc_domain::Role::ProductionOperator,
        Some("Sông Lam chảy qua Hà Tĩnh"),
    )
    .await
    .unwrap();
    let session = app
        .login("san-xuat", "Sông Lam chảy qua Hà Tĩnh", "10.42.0.8")
        .await
        .unwrap();
    let producer = cancuoc_app::Caller::Officer(session.officer);
    assert!(matches!(
        app.citizen(&producer, "042090001234").await,
        Err(AppError::Forbidden(_))
    ));
    let events = app
        .audit_log(
            &operator,
            &cancuoc_store::AuditFilter {
                action: Some("citizen.read".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let refused = events.first().unwrap();
    assert_eq!(refused.draft.actor, "san-xuat");
    assert_eq!(refused.draft.record_key, "042090001234");
    assert_eq!(
        refused.draft.outcome,
        cancuoc_domain::audit::Outcome::Refused
    );
    assert_eq!(app.verify_audit().await.unwrap().first_break, None);
}

/// Guessing cannot flood the audit trail (issue 15 §8): a run of wrong passwords for one
/// officer from one address writes one event when it starts and one when it is slowed
/// down; throttled attempts write none, and none of them costs a password hash.
#[tokio::test]
async fn a_run_of_guesses_is_two_audit_events() {
    let (app, _dir) = app().await;
    for i in 0..12 {
        let _ = app
            .login("admin", &format!("guess-{i}"), "10.66.0.11")
            .await;
    }
    let operator = cancuoc_app::Caller::Operator {
        name: "test".into(),
    };
    let count = |action: &'static str| {
        let app = &app;
        let operator = &operator;
        async move {
            app.audit_log(
                operator,
                &cancuoc_store::AuditFilter {
                    action: Some(action.into()),
                    limit: 100,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .len()
        }
    };
    assert_eq!(count("auth.login_failed").await, 1);
    assert_eq!(count("auth.login_throttled").await, 1);
}
