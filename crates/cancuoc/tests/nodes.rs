//! Several server nodes (issue 20 §1): `cancuoc serve` processes on one PostgreSQL database
//! behave as one service, their throttles counted in the database; an SQLite database
//! takes one server and says so to a second. The PostgreSQL half is skipped (saying so)
//! without `CANCUOC_TEST_POSTGRES`, like the store's suites.

// Test helpers outside #[test] functions: a panic is the failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::io::Write as _;

use serde_json::{Value, json};
use support::*;

#[test]
fn a_second_server_on_one_sqlite_file_stops_and_says_why() {
    let ws = Workspace::new();
    ws.init();
    let _first = ws.serve(&[]);
    let second = ws
        .spawn(
            &["serve", "--listen", "127.0.0.1:0"],
            &[("CANCUOC_ADMIN_PASSWORD", "a-long-admin-password")],
        )
        .wait_with_output()
        .unwrap();
    assert_eq!(second.status.code(), Some(1));
    let said = stderr(&second);
    assert!(
        said.contains("another `cancuoc serve` is serving") && said.contains("PostgreSQL"),
        "{said}"
    );
    // Other commands still open the file (an officer's `cancuoc report` beside the server).
    let out = ws.run(&["audit", "verify"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

async fn post(base: &str, path: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A scratch PostgreSQL database (dropped with the store) and its URL.
async fn scratch_database() -> Option<(cancuoc_store_postgres::PostgresStore, String)> {
    let Ok(admin_url) = std::env::var("CANCUOC_TEST_POSTGRES") else {
        let _ = writeln!(std::io::stderr(), "skipped: CANCUOC_TEST_POSTGRES not set");
        return None;
    };
    let store = cancuoc_store_postgres::connect_scratch(
        &admin_url,
        cancuoc_store::conformance::test_audit_key(),
    )
    .await
    .unwrap();
    let name = store.backend_ref().scratch_name().unwrap().to_owned();
    let (server, _) = admin_url.rsplit_once('/').unwrap();
    Some((store, format!("{server}/{name}")))
}

#[tokio::test]
async fn two_nodes_on_one_postgres_share_their_throttles() {
    let Some((_database, url)) = scratch_database().await else {
        return;
    };
    let ws = Workspace::new();
    let out = ws.run(&["--db", &url, "init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let a = ws.serve(&["--db", &url]);
    let b = ws.serve(&["--db", &url]);
    let (a, b) = (a.base.clone(), b.base.clone());

    // Sign-in: three failures are free, the fourth starts a delay; counted on node A,
    // refused on node B, even with the right password.
    let wrong = json!({"username": "admin", "password": "not-the-password"});
    for attempt in 1..=4 {
        let (status, body) = post(&a, "/api/v1/auth/login", wrong.clone()).await;
        assert_eq!(status, 401, "attempt {attempt} on A: {body}");
    }
    let right = json!({"username": "admin", "password": "a-long-admin-password"});
    let (status, body) = post(&b, "/api/v1/auth/login", right.clone()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("too_many_attempts")),
        "{body}"
    );

    // The citizens' door: five wrong pairs on node B, the sixth refused on node A.
    for attempt in 1..=5 {
        let (status, body) = post(
            &b,
            "/api/v1/public/appointment",
            json!({"personal_id": "042090001234", "birth_date": "01/01/1990"}),
        )
        .await;
        assert_eq!(status, 404, "attempt {attempt} on B: {body}");
    }
    let (status, body) = post(
        &a,
        "/api/v1/public/appointment",
        json!({"personal_id": "042090009999", "birth_date": "01/01/1990"}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("too_many_attempts")),
        "{body}"
    );
}
