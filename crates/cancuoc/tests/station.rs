//! The mobile station from the command line, against a central server in another process
//! on the loopback (issue 19): enrolment, approval, what the station refuses.

// Test helpers outside #[test] functions: a panic is the failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use serde_json::{Value, json};
use support::*;

/// Signs in on a console through its sign-in form, as a browser does: the form first, for
/// its token and the cookie that goes with it.
async fn console_sign_in(base: &str, username: &str, password: &str) -> reqwest::Client {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let token = sign_in_form_token(&browser, base).await;
    let signed_in = post_form(
        &browser,
        base,
        "/dang-nhap",
        &[
            ("username", username),
            ("password", password),
            ("csrf", &token),
        ],
    )
    .await;
    assert!(
        signed_in.url().path().ends_with("/tra-cuu"),
        "signed in: {}",
        signed_in.url()
    );
    browser
}

async fn page(browser: &reqwest::Client, base: &str, path: &str) -> String {
    let response = browser.get(format!("{base}{path}")).send().await.unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.text().await.unwrap()
}

#[tokio::test]
async fn a_station_enrols_from_its_laptop_and_is_approved_on_the_central_server() {
    let central = Workspace::new();
    central.init();
    let out = central.run(&[
        "officer",
        "add",
        "--username",
        "xa18073",
        "--unit",
        "CAX-18073",
        "--role",
        "commune_officer",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let one_time = stdout(&out).trim().rsplit(' ').next().unwrap().to_owned();
    let out = central.run(&["demo", "--people", "3000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let server = central.serve(&[]);

    let laptop = Workspace::new();
    let enrol = |server: &str| {
        laptop.run(&[
            "station",
            "enrol",
            "--server",
            server,
            "--unit",
            "CAH-436",
            "--name",
            "Tổ lưu động số 1",
        ])
    };
    // Not a server's address, or no server there: said so, and nothing kept.
    let out = enrol("ftp://example.vn");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = enrol("http://127.0.0.1:9");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot reach the server"),
        "{}",
        stderr(&out)
    );

    let out = enrol(&server.base);
    assert!(out.status.success(), "{}", stderr(&out));
    let id = stdout(&out).trim().to_owned();
    assert_eq!(id.len(), 36, "the station's id: {id}");
    let said = stderr(&out);
    let fingerprint = said
        .split("the fingerprint ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .expect("the fingerprint to compare")
        .to_owned();
    // A laptop is one station: enrolling it again is refused.
    let out = enrol(&server.base);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("already"), "{}", stderr(&out));

    // Not approved yet: the server says so, and the station keeps no extract.
    let out = laptop.run(&["station", "pull"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not approved yet"),
        "{}",
        stderr(&out)
    );

    // The central server lists it, pending, with the fingerprint the laptop showed.
    let token = sign_in(&server.base, "admin", "a-long-admin-password").await;
    let (status, listed) = api(&server.base, &token, "/api/v1/stations", None).await;
    assert_eq!(status, 200, "{listed}");
    let station = &listed["items"][0];
    assert_eq!(station["id"], id.as_str());
    assert_eq!(station["status"], "pending");
    assert_eq!(station["fingerprint"], fingerprint.as_str());
    assert_eq!(station["name"], "Tổ lưu động số 1");
    let (status, approved) = api(
        &server.base,
        &token,
        &format!("/api/v1/stations/{id}/approve"),
        Some(json!({"communes": ["18073"], "officers": ["xa18073"]})),
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["status"], "approved");

    // The officer sets their own password, then the station pulls: the commune's
    // residents and households, and the officer who may sign in offline.
    let officer = sign_in(&server.base, "xa18073", &one_time).await;
    let (status, _) = api(
        &server.base,
        &officer,
        "/api/v1/auth/password",
        Some(json!({"current": one_time, "new": "a-much-longer-password"})),
    )
    .await;
    assert_eq!(status, 204);
    let out = laptop.run(&["station", "pull"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    let count = |what: &str| -> u64 {
        said.split(&format!(" {what}"))
            .next()
            .and_then(|before| before.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{what} in {said}"))
    };
    assert!(said.starts_with("extract for 1 communes"), "{said}");
    assert!(count("residents") > 0, "{said}");
    assert!(count("households") > 0, "{said}");
    assert_eq!(count("officers"), 1, "{said}");

    // Garbage collection of the laptop's vault keeps the station's keys and extract, and
    // removes only the keys of the enrolment that never reached the server.
    let gc = laptop.run(&["vault", "gc", "--apply", "--grace-hours", "0"]);
    assert!(gc.status.success(), "{}", stderr(&gc));
    assert!(stderr(&gc).contains("2 removed"), "{}", stderr(&gc));
    let out = laptop.run(&["station", "pull"]);
    assert!(out.status.success(), "after gc: {}", stderr(&out));
    // On the server too: its keys for stations are kept.
    let gc = central.run(&["vault", "gc", "--apply", "--grace-hours", "0"]);
    assert!(gc.status.success(), "{}", stderr(&gc));
    let out = laptop.run(&["station", "pull"]);
    assert!(
        out.status.success(),
        "after the server's gc: {}",
        stderr(&out)
    );

    // The station's status reads the extract back from the vault; altered on the laptop,
    // it is refused.
    let out = laptop.run(&["station", "status", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let status: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(status["station"], id.as_str());
    assert_eq!(status["extract"]["officers"], json!(["xa18073"]));
    assert_eq!(
        status["extract"]["residents"].as_u64(),
        Some(count("residents"))
    );
    assert!(status["extract_expires"].as_str().is_some(), "{status}");
    // Every pull left an extract (the older ones wait for gc): alter them all.
    let kept: Vec<_> = std::fs::read_dir(laptop.path("cancuoc-data/objects/station"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("extract-"))
        .collect();
    assert_eq!(kept.len(), 3, "one extract per pull: {kept:?}");
    for path in kept {
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 1;
        std::fs::write(&path, bytes).unwrap();
    }
    let out = laptop.run(&["station", "status"]);
    assert_ne!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stderr(&out).contains("was altered"), "{}", stderr(&out));

    // A request not signed by the station's key is refused before anything is read.
    let forged = reqwest::Client::new()
        .get(format!("{}/api/v1/stations/{id}/extract", server.base))
        .header(
            "x-cancuoc-station-time",
            jiff::Timestamp::now().as_microsecond().to_string(),
        )
        .header("x-cancuoc-station-signature", "AAAA")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 401);
    let body: Value = forged.json().await.unwrap();
    assert_eq!(body["code"], "station_unauthenticated");

    // Revoked: the station can pull no more.
    let (status, _) = api(
        &server.base,
        &token,
        &format!("/api/v1/stations/{id}/revoke"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200);
    let out = laptop.run(&["station", "pull"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("revoked"), "{}", stderr(&out));
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A capture as the console's intake sends it: a portrait and ten prints, each image
/// distinct so that a mix-up shows.
fn capture(seed: usize) -> (Vec<u8>, Value) {
    use cancuoc_domain::biometrics::sample_jpeg;
    let portrait = sample_jpeg(480, 640, 30_000 + seed);
    let fingers: Vec<Value> = [
        "r_thumb", "r_index", "r_middle", "r_ring", "r_little", "l_thumb", "l_index", "l_middle",
        "l_ring", "l_little",
    ]
    .iter()
    .enumerate()
    .map(|(i, f)| json!({"finger": f, "image": b64(&sample_jpeg(800, 750, 20_000 + i + seed))}))
    .collect();
    let flat = b64(&sample_jpeg(1600, 1000, 6_000));
    let body = json!({
        "portrait": b64(&portrait),
        "fingers": fingers,
        "flats": {"right_four": flat, "left_four": flat, "thumbs": flat},
    });
    (portrait, body)
}

/// The type of a first CCCD: one who holds a 9-digit CMND switches it; one who never had
/// a card asks a first.
fn first_card_kind(citizen: &Value) -> &'static str {
    if citizen["old_id_number"].is_null() {
        "first_issuance"
    } else {
        "cmnd_switch"
    }
}

/// The field: a central server (stopped) and a station enrolled, approved for commune
/// 18073 with the district officer `lan.pt` and pulled, which filed `count` applications
/// with biometrics offline (its server stopped again).
struct Field {
    central: Workspace,
    laptop: Workspace,
    /// Where the central server listened: the station knows it there.
    listen: String,
    people: Vec<String>,
    kinds: Vec<&'static str>,
    portraits: Vec<Vec<u8>>,
    /// The receipt numbers the station gave, one per person.
    receipts: Vec<String>,
}

async fn offline_field(count: usize) -> Field {
    let central = Workspace::new();
    central.init();
    let out = central.run(&[
        "officer",
        "add",
        "--username",
        "lan.pt",
        "--unit",
        "CAH-436",
        "--role",
        "district_officer",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let one_time = stdout(&out).trim().rsplit(' ').next().unwrap().to_owned();
    let out = central.run(&["demo", "--people", "3000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Today's session in commune 18073, its households invited: the station runs it.
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::Offset::constant(7).to_time_zone())
        .date()
        .to_string();
    let made = |args: &[&str]| {
        let out = central.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out).trim().to_owned()
    };
    made(&[
        "machine",
        "add",
        "--unit",
        "CAH-436",
        "--label",
        "Bộ lưu động",
        "--minutes",
        "10",
    ]);
    let site = made(&[
        "site",
        "add",
        "--unit",
        "CAH-436",
        "--name",
        "Nhà văn hóa thôn 1",
        "--kind",
        "mobile",
        "--commune",
        "18073",
        "--address",
        "Thôn 1",
        "--opens",
        "00:00",
        "--closes",
        "23:30",
    ]);
    let session = made(&[
        "session",
        "add",
        "--site",
        &site,
        "--date",
        &today,
        "--from",
        "00:00",
        "--to",
        "23:30",
        "--officers",
        "lan.pt",
        "--machines",
        "Bộ lưu động",
    ]);
    made(&["session", "invite", &session]);
    let server = central.serve(&[]);
    let listen = server.base.trim_start_matches("http://").to_owned();

    let laptop = Workspace::new();
    let out = laptop.run(&[
        "station",
        "enrol",
        "--server",
        &server.base,
        "--unit",
        "CAH-436",
        "--name",
        "Tổ lưu động số 2",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let id = stdout(&out).trim().to_owned();
    let admin = sign_in(&server.base, "admin", "a-long-admin-password").await;
    let (status, approved) = api(
        &server.base,
        &admin,
        &format!("/api/v1/stations/{id}/approve"),
        Some(json!({"communes": ["18073"], "officers": ["lan.pt"]})),
    )
    .await;
    assert_eq!(status, 200, "{approved}");
    let officer = sign_in(&server.base, "lan.pt", &one_time).await;
    let (status, _) = api(
        &server.base,
        &officer,
        "/api/v1/auth/password",
        Some(json!({"current": one_time, "new": "a-much-longer-password"})),
    )
    .await;
    assert_eq!(status, 204);
    // Before the pull, the invited person after those the station will serve applies at
    // the district office: the extract says so, and the station takes no second one.
    let officer = sign_in(&server.base, "lan.pt", "a-much-longer-password").await;
    let (_, invited) = api(
        &server.base,
        &officer,
        &format!("/api/v1/sessions/{session}/appointments"),
        None,
    )
    .await;
    let ahead = invited.get("items").unwrap_or(&invited)[count]["personal_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, citizen) = api(
        &server.base,
        &officer,
        &format!("/api/v1/citizens/{ahead}"),
        None,
    )
    .await;
    let kind = first_card_kind(&citizen);
    let (status, filed) = api(
        &server.base,
        &officer,
        "/api/v1/applications",
        Some(json!({"personal_id": ahead, "type": kind, "channel": "fixed"})),
    )
    .await;
    assert_eq!(status, 201, "{filed}");
    let out = laptop.run(&["station", "pull"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // The network goes: the central server stops, and the station serves its working copy.
    drop(server);
    let station = laptop.serve(&[]);
    let desk = sign_in(&station.base, "lan.pt", "a-much-longer-password").await;
    // The session's queue, offline: the invited check in, are called in turn and filed.
    let (status, listed) = api(
        &station.base,
        &desk,
        &format!("/api/v1/sessions/{session}/appointments"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    let invited = listed
        .get("items")
        .unwrap_or(&listed)
        .as_array()
        .unwrap()
        .clone();
    let people: Vec<String> = invited
        .iter()
        .take(count)
        .map(|a| a["personal_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(people.len(), count, "{listed}");
    let mut kinds = Vec::new();
    for person in &people {
        let (_, citizen) = api(
            &station.base,
            &desk,
            &format!("/api/v1/citizens/{person}"),
            None,
        )
        .await;
        kinds.push(first_card_kind(&citizen));
    }
    let kind_of = |person: &str| {
        people
            .iter()
            .position(|p| p == person)
            .map_or("first_issuance", |i| kinds[i])
    };
    let mut portraits = Vec::new();
    let mut receipts = Vec::new();
    for (i, person) in people.iter().enumerate() {
        let (status, checked) = api(
            &station.base,
            &desk,
            &format!("/api/v1/sessions/{session}/check-ins"),
            Some(json!({"personal_id": person})),
        )
        .await;
        assert_eq!(status, 200, "{checked}");
        let (status, called) = api(
            &station.base,
            &desk,
            &format!("/api/v1/sessions/{session}/next"),
            Some(json!({})),
        )
        .await;
        assert_eq!(status, 200, "{called}");
        assert_eq!(called["personal_id"], person.as_str(), "{called}");
        let (portrait, biometrics) = capture(i);
        portraits.push(portrait);
        let (status, filed) = api(
            &station.base,
            &desk,
            "/api/v1/applications",
            Some(
                json!({"personal_id": person, "type": kind_of(person), "channel": "mobile",
                "biometrics": biometrics}),
            ),
        )
        .await;
        assert_eq!(status, 201, "{filed}");
        // From the station's own block of serials (50,000 and up), never the unit's.
        let receipt = filed["receipt"].as_str().unwrap().to_owned();
        let serial: u32 = receipt[receipt.len() - 6..receipt.len() - 1]
            .parse()
            .unwrap();
        assert!(serial >= 50_000, "{receipt}");
        receipts.push(receipt);
    }
    let (_, listed) = api(
        &station.base,
        &desk,
        &format!("/api/v1/sessions/{session}/appointments"),
        None,
    )
    .await;
    for person in &people {
        let served = listed
            .get("items")
            .unwrap_or(&listed)
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["personal_id"] == person.as_str() && a["state"] == "served");
        assert!(served, "{person} served at the session: {listed}");
    }
    let (status, refused) = api(
        &station.base,
        &desk,
        "/api/v1/applications",
        Some(json!({"personal_id": ahead, "type": kind, "channel": "mobile"})),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("central register"),
        "{refused}"
    );
    let kinds = people.iter().map(|p| kind_of(p)).collect();
    drop(station);
    Field {
        central,
        laptop,
        listen,
        people,
        kinds,
        portraits,
        receipts,
    }
}

#[tokio::test]
async fn a_station_files_offline_and_its_packets_reach_the_server_once() {
    let Field {
        central,
        laptop,
        listen,
        people,
        kinds,
        portraits,
        receipts,
    } = offline_field(3).await;

    let out = laptop.run(&["station", "status", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let standing: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(standing["outbox"], 3, "{standing}");
    assert_eq!(standing["last_push"], Value::Null, "{standing}");

    // Started again, the station files its outbox into the new working copy: a second
    // application for the same citizen is refused there too.
    let station = laptop.serve(&[]);
    let desk = sign_in(&station.base, "lan.pt", "a-much-longer-password").await;
    let (status, again) = api(
        &station.base,
        &desk,
        "/api/v1/applications",
        Some(json!({"personal_id": people[0], "type": kinds[0], "channel": "mobile"})),
    )
    .await;
    assert_eq!(status, 409, "{again}");
    // Stopped, so that its own push every 30 s does not race the one below.
    drop(station);

    // The network is back; meanwhile the third citizen applied at the district office.
    let server = central.serve_on(&listen, &[]);
    let officer = sign_in(&server.base, "lan.pt", "a-much-longer-password").await;
    let (status, direct) = api(
        &server.base,
        &officer,
        "/api/v1/applications",
        Some(json!({"personal_id": people[2], "type": kinds[2], "channel": "fixed"})),
    )
    .await;
    assert_eq!(status, 201, "{direct}");
    let out = laptop.run(&["station", "push", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let pushed: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(pushed["filed"], 2, "{pushed}");
    assert_eq!(pushed["refused"], 1, "{pushed}");
    assert_eq!(pushed["waiting"], 0, "{pushed}");
    // The station's own trail (its officers' look-ups and filings) joined the central
    // chain, which still verifies.
    assert!(pushed["audit_events"].as_u64() >= Some(3), "{pushed}");
    let out = central.run(&["audit", "verify"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    // Pushed again: nothing waits, nothing is sent.
    let out = laptop.run(&["station", "push", "--format", "json"]);
    let pushed: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        (
            pushed["filed"].as_u64(),
            pushed["bytes"].as_u64(),
            pushed["audit_events"].as_u64()
        ),
        (Some(0), Some(0), Some(0))
    );

    let out = laptop.run(&["station", "status", "--format", "json"]);
    let standing: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        (standing["outbox"].as_u64(), standing["refused"].as_u64()),
        (Some(0), Some(1)),
        "{standing}"
    );
    assert!(standing["last_push"].as_str().is_some(), "{standing}");
    let out = laptop.run(&["station", "push"]);
    let said = stdout(&out);
    assert!(said.contains("already_applied"), "{said}");
    assert!(
        said.contains(direct["receipt"].as_str().unwrap()),
        "the winner's receipt: {said}"
    );

    // The refused packet stays at the station until an officer deals with it there: the
    // station served again, its console shows the packet refused and why, with the
    // receipt of the application the server keeps, and the officer marks it resolved.
    let station = laptop.serve(&[]);
    let browser = console_sign_in(&station.base, "lan.pt", "a-much-longer-password").await;
    let look_up = page(&browser, &station.base, "/tra-cuu").await;
    assert!(
        look_up.contains("id=\"station-banner\"") && look_up.contains("href=\"/tram\""),
        "every page says it is a station: {look_up}"
    );
    let html = page(&browser, &station.base, "/tram").await;
    assert!(html.contains("Tổ lưu động số 2"), "{html}");
    assert!(html.contains("data-code=\"already_applied\""), "{html}");
    assert!(html.contains("Bị từ chối"), "{html}");
    assert!(html.contains(people[2].as_str()), "{html}");
    assert!(
        html.contains(direct["receipt"].as_str().unwrap()),
        "the receipt the server keeps instead: {html}"
    );
    // Refused first, before the packets the server filed.
    let refused_row = html
        .find("class=\"packet refused\"")
        .expect("a refused row");
    let filed_row = html.find("class=\"packet filed\"").expect("a filed row");
    assert!(refused_row < filed_row, "{html}");
    let at = html
        .find("action=\"/tram/goi/")
        .expect("a form to resolve it")
        + 8;
    let action = html[at..].split('"').next().unwrap().to_owned();
    let csrf = {
        let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
        html[at..].split('"').next().unwrap().to_owned()
    };
    // Not confirmed: said so, and nothing changes.
    let unconfirmed = post_form(&browser, &station.base, &action, &[("csrf", &csrf)]).await;
    assert_eq!(unconfirmed.status().as_u16(), 422);
    assert!(
        unconfirmed
            .text()
            .await
            .unwrap()
            .contains("Hãy đánh dấu ô xác nhận")
    );
    let resolved = post_form(
        &browser,
        &station.base,
        &action,
        &[("csrf", &csrf), ("confirm", "yes")],
    )
    .await;
    assert!(
        resolved.url().path().ends_with("/tram"),
        "{}",
        resolved.url()
    );
    let html = resolved.text().await.unwrap();
    assert!(html.contains("Đã đánh dấu xử lý gói hồ sơ"), "{html}");
    assert!(html.contains("class=\"packet resolved\""), "{html}");
    assert!(!html.contains("class=\"packet refused\""), "{html}");
    let out = laptop.run(&["station", "status", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let standing: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(standing["refused"], 0, "{standing}");

    // The officer pulls a new extract from the station's page while the network is up:
    // the station now knows the third citizen applied at the district office, and the
    // officer is still signed in on the copy made from it.
    assert!(html.contains("action=\"/tram/tai-ve\""), "{html}");
    let pulled = post_form(&browser, &station.base, "/tram/tai-ve", &[("csrf", &csrf)]).await;
    assert!(pulled.url().path().ends_with("/tram"), "{}", pulled.url());
    let html = pulled.text().await.unwrap();
    assert!(html.contains("Đã tải dữ liệu mới"), "{html}");
    assert!(
        html.contains("id=\"station-standing\""),
        "still signed in: {html}"
    );
    let desk = sign_in(&station.base, "lan.pt", "a-much-longer-password").await;
    let (status, again) = api(
        &station.base,
        &desk,
        "/api/v1/applications",
        Some(json!({"personal_id": people[2], "type": kinds[2], "channel": "mobile"})),
    )
    .await;
    assert_eq!(
        status, 409,
        "the new extract holds the office's application: {again}"
    );
    // The first citizen's application, filed and pushed, is still seen at the station.
    let (status, again) = api(
        &station.base,
        &desk,
        "/api/v1/applications",
        Some(json!({"personal_id": people[0], "type": kinds[0], "channel": "mobile"})),
    )
    .await;
    assert_eq!(status, 409, "{again}");

    // On the central server: each pushed application once, taken at the station by its
    // officer, with the portrait byte for byte.
    let (status, listed) = api(
        &server.base,
        &officer,
        "/api/v1/applications?unit=CAH-436&limit=500",
        None,
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    let items = listed["items"].as_array().unwrap();
    for ((person, portrait), receipt) in people.iter().zip(&portraits).zip(&receipts).take(2) {
        let mine: Vec<&Value> = items
            .iter()
            .filter(|a| a["personal_id"] == person.as_str())
            .collect();
        assert_eq!(mine.len(), 1, "{person} once: {listed}");
        let id = mine[0]["id"].as_str().unwrap();
        let (status, application) = api(
            &server.base,
            &officer,
            &format!("/api/v1/applications/{id}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{application}");
        assert_eq!(application["channel"], "mobile", "{application}");
        assert_eq!(application["station"], "Tổ lưu động số 2", "{application}");
        assert_eq!(application["intake_unit"], "CAH-436", "{application}");
        // The number on the citizen's slip at the station is the server's.
        assert_eq!(application["receipt"], receipt.as_str(), "{application}");
        let bytes = reqwest::Client::new()
            .get(format!(
                "{}/api/v1/applications/{id}/biometrics/portrait",
                server.base
            ))
            .bearer_auth(&officer)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(bytes.as_ref(), portrait.as_slice(), "{person}'s portrait");
    }
    let third: Vec<&Value> = items
        .iter()
        .filter(|a| a["personal_id"] == people[2].as_str())
        .collect();
    assert_eq!(
        third.len(),
        1,
        "the station's packet for {} was refused",
        people[2]
    );
    drop(station);
}

/// Reads a push's progress on its standard error until it is inside a packet (some of its
/// bytes sent, not all); false if the push ended first.
fn inside_a_packet(child: &mut std::process::Child) -> bool {
    use std::io::{BufRead as _, BufReader};
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    while let Some(Ok(line)) = lines.next() {
        // "packet ID: SENT of TOTAL bytes"
        let numbers: Vec<u64> = line
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect();
        if let [sent, total] = numbers[..]
            && sent > 0
            && sent < total
        {
            // The rest is read and dropped, so that the push never writes to a closed pipe.
            std::thread::spawn(move || lines.for_each(drop));
            return true;
        }
    }
    false
}

#[tokio::test]
async fn a_push_cut_by_kill_9_on_either_side_goes_on_and_files_each_packet_once() {
    let field = offline_field(4).await;
    let push = |field: &Field| {
        field.laptop.spawn(
            &["station", "push", "--format", "json"],
            &[("CANCUOC_STATION_CHUNK_BYTES", "4096")],
        )
    };
    let server = field.central.serve_on(&field.listen, &[]);

    // The station is killed inside a packet.
    let mut pushing = push(&field);
    assert!(
        inside_a_packet(&mut pushing),
        "the push reached a packet's middle"
    );
    pushing.kill().unwrap();
    pushing.wait().unwrap();

    // Then the server is killed inside a packet.
    let mut pushing = push(&field);
    assert!(
        inside_a_packet(&mut pushing),
        "the push reached a packet's middle"
    );
    drop(server);
    let out = pushing.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the push says the server is gone"
    );

    // Both come back: the push goes on where the server stopped, and again changes nothing.
    let server = field.central.serve_on(&field.listen, &[]);
    let out = field.laptop.run(&["station", "push", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let pushed: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(pushed["waiting"], 0, "{pushed}");
    assert!(pushed["resumed"].as_u64() >= Some(1), "{pushed}");
    let out = field.laptop.run(&["station", "push", "--format", "json"]);
    let again: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(again["bytes"], 0, "{again}");
    let out = field.laptop.run(&["station", "status", "--format", "json"]);
    let standing: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        (standing["outbox"].as_u64(), standing["refused"].as_u64()),
        (Some(0), Some(0)),
        "{standing}"
    );

    let officer = sign_in(&server.base, "lan.pt", "a-much-longer-password").await;
    let (status, listed) = api(
        &server.base,
        &officer,
        "/api/v1/applications?unit=CAH-436&limit=500",
        None,
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    let items = listed["items"].as_array().unwrap();
    for (person, portrait) in field.people.iter().zip(&field.portraits) {
        let mine: Vec<&Value> = items
            .iter()
            .filter(|a| a["personal_id"] == person.as_str())
            .collect();
        assert_eq!(mine.len(), 1, "{person} once: {listed}");
        let id = mine[0]["id"].as_str().unwrap();
        let bytes = reqwest::Client::new()
            .get(format!(
                "{}/api/v1/applications/{id}/biometrics/portrait",
                server.base
            ))
            .bearer_auth(&officer)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(bytes.as_ref(), portrait.as_slice(), "{person}'s portrait");
    }
}
