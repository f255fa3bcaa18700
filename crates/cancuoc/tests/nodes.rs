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
    let said = ws.serve_refused();
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
    let url = store.backend_ref().scratch_url().unwrap().to_owned();
    Some((store, url))
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

    // Sign-in: three failures are free, then each waits a doubling delay (1 s, 2 s, 4 s,
    // 8 s) from the last. The failures alternate between the nodes, each after the delay
    // the other node's failure set; at the end the right password waits, on either node.
    let wrong = json!({"username": "admin", "password": "not-the-password"});
    for attempt in 1..=4 {
        let (status, body) = post(&a, "/api/v1/auth/login", wrong.clone()).await;
        assert_eq!(status, 401, "attempt {attempt} on A: {body}");
    }
    for (attempt, delay, node) in [(5, 1, &b), (6, 2, &a), (7, 4, &b)] {
        // Refused at once on the other node: the delay is the database's.
        let other = if node == &a { &b } else { &a };
        let (status, body) = post(other, "/api/v1/auth/login", wrong.clone()).await;
        assert_eq!(status, 429, "before attempt {attempt}: {body}");
        tokio::time::sleep(std::time::Duration::from_millis(delay * 1000 + 300)).await;
        let (status, body) = post(node, "/api/v1/auth/login", wrong.clone()).await;
        assert_eq!(status, 401, "attempt {attempt}: {body}");
    }
    let right = json!({"username": "admin", "password": "a-long-admin-password"});
    for node in [&a, &b] {
        let (status, body) = post(node, "/api/v1/auth/login", right.clone()).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (429, Some("too_many_attempts")),
            "{body}"
        );
    }

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

fn biometrics() -> Value {
    use base64::Engine as _;
    use cancuoc_domain::biometrics::sample_jpeg;
    let b64 = |bytes: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(bytes);
    let fingers: Vec<Value> = [
        "r_thumb", "r_index", "r_middle", "r_ring", "r_little", "l_thumb", "l_index", "l_middle",
        "l_ring", "l_little",
    ]
    .iter()
    .map(|f| json!({"finger": f, "image": b64(sample_jpeg(800, 750, 20_000))}))
    .collect();
    json!({
        "portrait": b64(sample_jpeg(480, 640, 30_000)),
        "fingers": fingers,
        "flats": {
            "right_four": b64(sample_jpeg(1600, 1000, 6_000)),
            "left_four": b64(sample_jpeg(1600, 1000, 6_000)),
            "thumbs": b64(sample_jpeg(1600, 1000, 6_000)),
        }
    })
}

#[tokio::test]
async fn two_nodes_filing_at_once_keep_every_invariant() {
    let Some((_database, url)) = scratch_database().await else {
        return;
    };
    let ws = Workspace::new();
    let run = |args: &[&str]| {
        let mut all = vec!["--db", url.as_str()];
        all.extend_from_slice(args);
        let out = ws.run(&all);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    run(&["init"]);
    let added = run(&[
        "officer",
        "add",
        "--username",
        "xa18073",
        "--unit",
        "CAX-18073",
        "--role",
        "commune_officer",
    ]);
    let one_time = added.trim().rsplit(' ').next().unwrap().to_owned();
    run(&["demo", "--people", "3000"]);
    let a = ws.serve(&["--db", &url]);
    let b = ws.serve(&["--db", &url]);

    let token = sign_in(&a.base, "xa18073", &one_time).await;
    let (status, _) = api(
        &a.base,
        &token,
        "/api/v1/auth/password",
        Some(json!({"current": one_time, "new": "a-much-longer-password"})),
    )
    .await;
    assert_eq!(status, 204);
    // The session is the database's: node B knows it too.
    let (status, due) = api(
        &b.base,
        &token,
        "/api/v1/citizens?unit=18073&due_a_card=true&limit=12",
        None,
    )
    .await;
    assert_eq!(status, 200, "{due}");
    let people: Vec<(String, &'static str)> = due["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let kind = if c["old_id_number"].is_null() {
                "first_issuance"
            } else {
                "cmnd_switch"
            };
            (c["personal_id"].as_str().unwrap().to_owned(), kind)
        })
        .collect();
    assert!(people.len() >= 8, "{due}");

    // Each person filed on both nodes at the same moment, with portrait and prints.
    let biometrics = biometrics();
    let filings = people.iter().flat_map(|(pid, kind)| {
        [&a.base, &b.base].map(|base| {
            let body = json!({
                "personal_id": pid, "type": kind, "channel": "fixed", "biometrics": biometrics,
            });
            let (base, token, pid) = (base.clone(), token.clone(), pid.clone());
            tokio::spawn(async move {
                let (status, answer) = api(&base, &token, "/api/v1/applications", Some(body)).await;
                (pid, status, answer)
            })
        })
    });
    let mut answers = Vec::new();
    for filing in filings.collect::<Vec<_>>() {
        answers.push(filing.await.unwrap());
    }
    let mut receipts = std::collections::BTreeSet::new();
    for (pid, _) in &people {
        let mine: Vec<&(String, u16, Value)> =
            answers.iter().filter(|(p, _, _)| p == pid).collect();
        let filed: Vec<&Value> = mine
            .iter()
            .filter(|(_, s, _)| *s == 201)
            .map(|(_, _, v)| v)
            .collect();
        assert_eq!(filed.len(), 1, "{pid} filed once: {mine:?}");
        assert!(
            mine.iter().any(|(_, s, _)| *s == 409),
            "{pid}: the second filing is a conflict: {mine:?}"
        );
        assert!(
            receipts.insert(filed[0]["receipt"].as_str().unwrap().to_owned()),
            "receipt numbers are unique: {receipts:?}"
        );
    }
    drop((a, b));
    // The audit chain, appended to by both nodes, holds; the intake counts match a recount.
    run(&["audit", "verify"]);
    run(&["report", "verify"]);
}
