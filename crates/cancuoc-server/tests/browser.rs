//! The console in a real browser: `e2e/console.mjs` (Playwright, `playwright-core`)
//! drives Debian's Chromium against the server started here on a random port. Needs
//! `node`, `/usr/bin/chromium` (or `CHROMIUM`) and `npm ci --prefix e2e`; `.ci/run`
//! installs them. Screenshots go to `target/e2e/`.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests report a failure by panicking"
)]

mod support;

use std::path::PathBuf;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::json;
use support::*;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

#[tokio::test]
async fn the_console_signs_in_finds_a_citizen_and_signs_out_in_chromium() {
    let root = workspace();
    assert!(
        root.join("e2e/node_modules/playwright-core").is_dir(),
        "the browser tests need `npm ci --prefix e2e` (and Debian's chromium); .ci/run does both"
    );
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    // Today's session at Nam Hà, its households invited, for the desk pages.
    let (status, _) = t
        .post(
            &admin,
            "/api/v1/machines",
            json!({"unit": "CAH-436", "label": "Bộ 1", "minutes_per_application": 15}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, site) = t
        .post(
            &admin,
            "/api/v1/sites",
            json!({"unit": "CAH-436", "name": "Trụ sở Công an phường Nam Hà", "kind": "fixed",
                   "commune": "18073", "address": "Số 1 Hà Huy Tập", "opens": "00:00", "closes": "24:00"}),
        )
        .await;
    let day = today();
    let (status, session) = t
        .post(
            &admin,
            "/api/v1/sessions",
            json!({"site": site["id"], "date": day.to_string(), "from": "00:00", "to": "24:00"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let session = session["id"].as_str().unwrap().to_owned();
    let (_, invited) = t
        .post(
            &admin,
            &format!("/api/v1/sessions/{session}/invitations"),
            json!({}),
        )
        .await;
    assert_eq!(invited["invited"], 3, "{invited}");
    // A campaign with Hà Tĩnh's quota shared among its units, and what a commune
    // officer's station would send, for the dashboard to change.
    let province = t
        .officer(&admin, "minh.lv", "PC06-42", "province_officer")
        .await;
    let (status, campaign) = t
        .post(
            &province,
            "/api/v1/campaigns",
            json!({"name": "Chiến dịch 90 ngày", "start": "2021-01-01", "end": "2099-12-31"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{campaign}");
    let campaign = campaign["id"].as_str().unwrap().to_owned();
    let (status, quotas) = t
        .send(
            t.client
                .put(t.url(&format!("/api/v1/campaigns/{campaign}/quotas/CAT-42")))
                .bearer_auth(&province.token)
                .json(&json!({"total": 1000, "daily": 140, "split": "equal"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{quotas}");
    let commune = t
        .officer(&admin, "hong.nt", "CAX-18073", "commune_officer")
        .await;
    t.officer(&admin, "lan.pt", "CAH-436", "district_officer")
        .await;
    t.officer(&admin, "tam.nv", "C06-TTCC", "production_operator")
        .await;
    let out = root.join("target/e2e");
    std::fs::create_dir_all(&out).unwrap();
    let intake = out.join("intake.json");
    std::fs::write(
        &intake,
        json!({"personal_id": "042090001234", "type": "cmnd_switch", "channel": "fixed",
               "old_card_returned": true, "biometrics": biometrics(None)})
        .to_string(),
    )
    .unwrap();
    for (name, image) in [
        ("portrait.jpg", jpeg(480, 640, 30_000)),
        ("finger.jpg", jpeg(800, 750, 20_000)),
        ("flat.jpg", jpeg(1600, 1000, 6_000)),
    ] {
        std::fs::write(out.join(name), image).unwrap();
    }
    let base = t.url("");
    let result = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("e2e/console.mjs")
            .arg(&base)
            .arg("admin")
            .arg(ADMIN_PASSWORD)
            .arg(&out)
            .arg(&session)
            .arg(&campaign)
            .arg(&commune.token)
            .arg(&intake)
            // The station officer who files through the intake page.
            .env("STATION_USER", "hong.nt")
            .env("STATION_PASSWORD", "a-much-longer-password")
            // Who verifies (district) and approves (province) it from the queue.
            .env("DISTRICT_USER", "lan.pt")
            .env("PROVINCE_USER", "minh.lv")
            .env("PRODUCTION_USER", "tam.nv")
            .current_dir(&root)
            .output()
    })
    .await
    .unwrap()
    .expect("node runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(result.status.success(), "{said}");
    assert!(said.contains("every check passed"), "{said}");
}
