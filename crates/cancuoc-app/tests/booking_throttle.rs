//! The citizens' booking door against a real register (issue 20 §1): its budgets count in
//! the store's throttle table, per client, per ID and per look-up of an ID, whichever node
//! a request reaches.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests report a failure by panicking"
)]

mod support;

use cancuoc_app::{App, AppError, Caller, CitizenProof, DemoApplicant, DemoApplicants, Unobserved};

fn proof(id: &str, birth_date: &str) -> CitizenProof {
    CitizenProof {
        personal_id: id.to_owned(),
        birth_date: birth_date.to_owned(),
    }
}

fn refused<T: std::fmt::Debug>(answer: &Result<T, AppError>) -> bool {
    matches!(answer, Err(AppError::TooManyAttempts { .. }))
}

/// A register with a small demo population, and the living people a demo may file for.
async fn register() -> (App, tempfile::TempDir, Vec<DemoApplicant>) {
    let (app, dir) = support::app_on_sqlite().await;
    app.init("2021", Some("admin-password-123")).await.unwrap();
    let mut quiet = Unobserved;
    let mut applicants = DemoApplicants {
        people: Vec::new(),
        inner: &mut quiet,
    };
    app.demo(&operator(), "42", 300, 3, &mut applicants)
        .await
        .unwrap();
    (app, dir, applicants.people)
}

fn operator() -> Caller {
    Caller::Operator {
        name: "test".into(),
    }
}

/// A resident's birth date as a citizen types it.
async fn born(app: &App, id: &str) -> String {
    app.citizen(&operator(), id)
        .await
        .unwrap()
        .data
        .birth_date
        .vietnamese()
}

/// A register and one of its residents with their birth date.
async fn register_with_one() -> (App, tempfile::TempDir, String, String) {
    let (app, dir, people) = register().await;
    let id = people[0].personal_id.clone();
    let born = born(&app, &id).await;
    (app, dir, id, born)
}

#[tokio::test]
async fn wrong_pairs_lock_the_client_and_the_id_for_a_while() {
    let (app, _dir, id, born) = register_with_one().await;
    for _ in 0..5 {
        let answer = app.my_booking("1.2.3.4", &proof(&id, "01/01/1901")).await;
        assert!(matches!(answer, Err(AppError::NotFound(_))), "{answer:?}");
    }
    // The client is refused for any ID now, and the ID for any client, even with the right
    // pair; an unrelated client and ID are not.
    assert!(refused(
        &app.my_booking("1.2.3.4", &proof("042090009999", "01/01/1990"))
            .await
    ));
    assert!(refused(
        &app.my_booking("5.6.7.8", &proof(&id, &born)).await
    ));
    let other = app
        .my_booking("5.6.7.8", &proof("042090009999", "01/01/1990"))
        .await;
    assert!(matches!(other, Err(AppError::NotFound(_))), "{other:?}");
}

#[tokio::test]
async fn one_id_is_looked_up_ten_times_at_most_from_anywhere() {
    let (app, _dir, id, born) = register_with_one().await;
    // Right pairs, each from another address: no failure is counted, the look-ups are.
    for client in 0..10 {
        let answer = app
            .my_booking(&format!("10.0.0.{client}"), &proof(&id, &born))
            .await;
        assert!(answer.is_ok(), "look-up {client}: {answer:?}");
    }
    assert!(refused(
        &app.my_booking("10.0.1.1", &proof(&id, &born)).await
    ));
}

#[tokio::test]
async fn a_client_has_a_budget_of_sixty_requests() {
    let (app, _dir, people) = register().await;
    // Sixty right pairs of sixty people from one address: no failure, one look-up each.
    for person in people.iter().take(60) {
        let id = &person.personal_id;
        let answer = app
            .my_booking("9.9.9.9", &proof(id, &born(&app, id).await))
            .await;
        assert!(answer.is_ok(), "{id}: {answer:?}");
    }
    let next = &people[60].personal_id;
    assert!(refused(
        &app.my_booking("9.9.9.9", &proof(next, "01/01/1990")).await
    ));
}

#[tokio::test]
async fn the_public_chip_check_has_a_budget_per_client() {
    let (app, _dir) = support::app_on_sqlite().await;
    app.init("2021", Some("admin-password-123")).await.unwrap();
    let files = std::collections::BTreeMap::new();
    for request in 0..cancuoc_app::PUBLIC_VERIFICATIONS {
        let answer = app.verify_chip_public("9.9.9.9", &files).await;
        assert!(!refused(&answer), "request {request}: {answer:?}");
    }
    assert!(refused(&app.verify_chip_public("9.9.9.9", &files).await));
    assert!(!refused(&app.verify_chip_public("9.9.9.8", &files).await));
}
