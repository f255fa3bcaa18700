//! Card applications through the API: intake, the state machine by role, bulk steps,
//! production, handover, lost cards, and the errors of each.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests report a failure by panicking"
)]

mod support;

use cancuoc_domain::PartialDate;
use cancuoc_domain::card;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::*;
use unicode_normalization::UnicodeNormalization;

const AN: &str = "042090001234";
const HOA: &str = "042195008888";

async fn step(t: &TestApp, s: &Session, id: &str, body: Value) -> (StatusCode, Value) {
    t.post(s, &format!("/api/v1/applications/{id}/transitions"), body)
        .await
}

#[tokio::test]
async fn an_application_from_intake_to_handover() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    let commune = t
        .officer(&admin, "hong.nt", "CAX-18073", "commune_officer")
        .await;
    let district = t
        .officer(&admin, "lan.pt", "CAH-436", "district_officer")
        .await;
    let province = t
        .officer(&admin, "minh.lv", "PC06-42", "province_officer")
        .await;
    let centre = t
        .officer(&admin, "tam.nv", "C06-TTCC", "production_operator")
        .await;
    let elsewhere = t
        .officer(&admin, "son.tv", "CAH-445", "district_officer")
        .await;

    // Intake at the commune, with an idempotency key.
    let portrait = jpeg(480, 640, 30_000);
    let request = json!({"personal_id": AN, "type": "cmnd_switch", "channel": "mobile",
        "station": "Nhà văn hóa tổ 1", "identifying_marks": "Sẹo chấm cách 1 cm dưới cằm",
        "old_card_returned": true, "biometrics": biometrics(Some(portrait.clone()))});
    let send = || {
        t.send(
            t.client
                .post(t.url("/api/v1/applications"))
                .bearer_auth(&commune.token)
                .header("Idempotency-Key", "tablet-3:0042")
                .json(&request),
        )
    };
    let (status, filed) = send().await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let id = filed["id"].as_str().unwrap().to_owned();
    let receipt = filed["receipt"].as_str().unwrap();
    assert!(receipt.starts_with("CAX-18073-"), "{filed}");
    assert_eq!(filed["state"], "received");
    assert_eq!(filed["version"], 1);
    assert_eq!(filed["type"], "cmnd_switch");
    assert_eq!(filed["fee_vnd"], 30_000, "{filed}");
    assert!(filed["due_date"].as_str().unwrap() > filed["intake_date"].as_str().unwrap());
    assert_eq!(filed["history"][0]["action"], "intake");

    // The retry of a lost response changes nothing.
    let (status, again) = send().await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], id);

    // The portrait comes back, decrypted, to those who verify; not to the commune.
    let response = t
        .client
        .get(t.url(&format!("/api/v1/applications/{id}/biometrics/portrait")))
        .bearer_auth(&district.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert_eq!(response.bytes().await.unwrap().to_vec(), portrait);
    let (status, body) = t
        .get(
            &commune,
            &format!("/api/v1/applications/{id}/biometrics/portrait"),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let thumb = t
        .client
        .get(t.url(&format!("/api/v1/applications/{id}/biometrics/r_thumb")))
        .bearer_auth(&district.token)
        .send()
        .await
        .unwrap();
    assert_eq!(thumb.status(), StatusCode::OK);
    assert_eq!(
        thumb.bytes().await.unwrap().len(),
        jpeg(800, 750, 20_000).len()
    );

    // The intake form carries the portrait and the ten prints for the district; the
    // commune's copy says each finger was taken, without the images it may not see.
    let images_on_form = |who: &Session| {
        let request = t
            .client
            .get(t.url(&format!("/api/v1/applications/{id}/documents/intake-form")))
            .bearer_auth(&who.token);
        async move {
            let pdf = request.send().await.unwrap().bytes().await.unwrap();
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("form.pdf");
            std::fs::write(&path, &pdf).unwrap();
            let list = std::process::Command::new("pdfimages")
                .arg("-list")
                .arg(&path)
                .output()
                .unwrap();
            let text = std::process::Command::new("pdftotext")
                .arg(&path)
                .arg("-")
                .output()
                .unwrap();
            (
                String::from_utf8(list.stdout)
                    .unwrap()
                    .lines()
                    .skip(2)
                    .count(),
                String::from_utf8(text.stdout).unwrap(),
            )
        }
    };
    let (images, _) = images_on_form(&district).await;
    assert_eq!(images, 11, "the portrait and ten rolled prints");
    let (images, text) = images_on_form(&commune).await;
    assert_eq!(images, 0);
    assert!(text.contains("Đã thu nhận"), "{text}");

    // A type that does not fit, and a second open application.
    let (status, body) = t
        .post(
            &commune,
            "/api/v1/applications",
            json!({"personal_id": AN, "type": "first_issuance", "channel": "fixed"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("type_not_allowed")),
        "{body}"
    );
    let (status, body) = t
        .post(
            &commune,
            "/api/v1/applications",
            json!({"personal_id": AN, "type": "cmnd_switch", "channel": "fixed"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict")),
        "{body}"
    );

    // Out of order, wrong role, missing reason, stale version.
    let (status, body) = step(&t, &district, &id, json!({"action": "hand_over"})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("illegal_transition")),
        "{body}"
    );
    let (status, body) = step(&t, &commune, &id, json!({"action": "approve"})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("role_not_allowed")),
        "{body}"
    );
    let (status, body) = step(&t, &district, &id, json!({"action": "reject"})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("reason_required")),
        "{body}"
    );
    let (status, verified) = step(
        &t,
        &district,
        &id,
        json!({"action": "verify", "version": 1}),
    )
    .await;
    assert_eq!(
        (status, verified["state"].as_str()),
        (StatusCode::OK, Some("verified")),
        "{verified}"
    );
    let (status, body) = step(
        &t,
        &district,
        &id,
        json!({"action": "request_correction", "reason": "x", "version": 1}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict")),
        "{body}"
    );

    // Another district does not see it.
    let (status, _) = t
        .get(&elsewhere, &format!("/api/v1/applications/{id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The province approves a list; an unknown id is refused on its own.
    let unknown = "01890000-0000-7000-8000-000000000000";
    let (status, bulk) = t
        .post(
            &province,
            "/api/v1/applications/transitions",
            json!({"ids": [id, unknown], "action": "approve"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{bulk}");
    assert_eq!(
        (bulk["done"].as_u64(), bulk["refused"].as_u64()),
        (Some(1), Some(1)),
        "{bulk}"
    );
    assert_eq!(bulk["items"][0]["state"], "approved");
    assert_eq!(bulk["items"][1]["error"]["code"], "not_found");

    for action in ["start_production", "produce", "dispatch"] {
        let (status, body) = step(&t, &centre, &id, json!({"action": action})).await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
    }
    let (status, card) = t.get(&district, &format!("/api/v1/cards/{AN}")).await;
    assert_eq!(status, StatusCode::OK, "{card}");
    assert_eq!(card["status"], "pending");
    let issued = card["issue_date"].as_str().unwrap();
    let expected = card::expiry(
        PartialDate::parse("05/03/1990").unwrap(),
        issued.parse().unwrap(),
    )
    .unwrap()
    .map(|d| d.to_string());
    assert_eq!(card["expiry_date"].as_str().map(str::to_owned), expected);
    let mrz: Vec<&str> = card["mrz"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(mrz.len(), 3);
    assert!(mrz[0].starts_with("IDVNM090001234"), "{mrz:?}");
    assert!(mrz[2].starts_with("NGUYEN<<VAN<AN<"), "{mrz:?}");
    assert!(cancuoc_icao::check(&mrz).unwrap().is_valid());
    let qr = card["qr_payload"].as_str().unwrap();
    assert!(
        qr.starts_with(&format!(
            "{AN}|123456789|Nguyễn Văn An|05031990|Nam|Số 5, Hà Huy Tập, "
        )),
        "{qr}"
    );

    // The card's proof: the QR on the rendered front reads back as the stored payload.
    let response = t
        .client
        .get(t.url(&format!("/api/v1/cards/{AN}/image/front?width=2000")))
        .bearer_auth(&district.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "image/svg+xml; charset=utf-8"
    );
    let svg = response.text().await.unwrap();
    // Issued today, under the 2023 Law on Identification: "Căn cước".
    assert!(
        svg.contains(">CĂN CƯỚC<") && svg.contains("NGUYỄN VĂN AN"),
        "{svg}"
    );
    assert!(
        svg.contains(&format!("data:image/jpeg;base64,{}", b64(&portrait))),
        "the portrait is on the card"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("front.svg");
    std::fs::write(&file, &svg).unwrap();
    let png = dir.path().join("front.png");
    let rendered = std::process::Command::new("rsvg-convert")
        .arg("-o")
        .arg(&png)
        .arg(&file)
        .status()
        .unwrap();
    assert!(rendered.success());
    let decoded = std::process::Command::new("zbarimg")
        .args(["--raw", "--quiet", "-Sbinary"])
        .arg(&png)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(decoded.stdout)
            .unwrap()
            .trim_end_matches('\n'),
        qr
    );
    let (status, body) = t
        .get(&district, &format!("/api/v1/cards/{AN}/image/side"))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );
    let response = t
        .client
        .get(t.url(&format!("/api/v1/cards/{AN}/image/back")))
        .bearer_auth(&district.token)
        .send()
        .await
        .unwrap();
    let back = response.text().await.unwrap();
    assert!(back.contains(&mrz[1].replace('<', "&lt;")), "{back}");

    // Whether the old card came back is said at hand-over, not at any other step.
    let (status, body) = step(
        &t,
        &district,
        &id,
        json!({"action": "receive", "old_card_returned": false}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input")),
        "{body}"
    );
    let (status, body) = step(&t, &district, &id, json!({"action": "receive"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["old_card_returned"], true,
        "as intake recorded: {body}"
    );
    let (status, body) = step(
        &t,
        &district,
        &id,
        json!({"action": "hand_over", "old_card_returned": false}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["old_card_returned"], false,
        "the CMND did not come back: {body}"
    );
    let (_, card) = t.get(&district, &format!("/api/v1/cards/{AN}")).await;
    assert_eq!(card["status"], "active");
    let (status, done) = t
        .get(&district, &format!("/api/v1/applications/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = done["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "intake",
            "verify",
            "approve",
            "start_production",
            "produce",
            "dispatch",
            "receive",
            "hand_over"
        ]
    );

    // The citizen page of the station's officer offers to report the card lost; it is
    // not done without the confirmation.
    let console = t.console_as("hong.nt").await;
    let page = t.page(&console, &format!("/cong-dan/{AN}")).await;
    assert!(page.contains("id=\"lost\""), "{page}");
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = page[at..].split('"').next().unwrap().to_owned();
    let unconfirmed = post_form(
        &console,
        t.url(&format!("/cong-dan/{AN}/mat-the")),
        &[("csrf", &csrf)],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        unconfirmed.contains("Hãy đánh dấu ô xác nhận"),
        "{unconfirmed}"
    );
    let (_, card) = t.get(&district, &format!("/api/v1/cards/{AN}")).await;
    assert_eq!(card["status"], "active");

    // Lost (from the console, confirmed), then the re-issue that follows.
    let reported = post_form(
        &console,
        t.url(&format!("/cong-dan/{AN}/mat-the")),
        &[("csrf", &csrf), ("confirm", "yes")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(reported.contains("Đã ghi nhận mất thẻ"), "{reported}");
    assert!(!reported.contains("id=\"lost\""), "{reported}");
    let (_, lost) = t.get(&district, &format!("/api/v1/cards/{AN}")).await;
    assert_eq!(lost["status"], "lost", "{lost}");
    let (status, again) = t
        .post(&commune, &format!("/api/v1/cards/{AN}/lost"), json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{again}");
    let (status, reissue) = t
        .post(
            &commune,
            "/api/v1/applications",
            json!({"personal_id": AN, "type": "reissue", "reason": "lost", "channel": "fixed"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reissue}");
    assert_eq!(reissue["fee_vnd"], 70_000);
    assert_eq!(reissue["reason"], "lost");
}

#[tokio::test]
async fn offline_intake_dates_lists_and_bad_requests() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    let district = t
        .officer(&admin, "son.tv", "CAH-445", "district_officer")
        .await;

    // A station that worked offline on 16 March 2021: 15 working days in a rural
    // district, no holiday in between, so due on 6 April 2021; first issuance is free.
    let (status, filed) = t
        .post(
            &district,
            "/api/v1/applications",
            json!({"personal_id": HOA, "type": "first_issuance",
            "channel": "mobile", "intake_date": "2021-03-16"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    assert_eq!(filed["due_date"], "2021-04-06");
    assert_eq!(filed["fee_vnd"], 0);
    // A first card replaces none: there is no old card to take back.
    let (status, body) = t
        .post(
            &district,
            &format!(
                "/api/v1/applications/{}/transitions",
                filed["id"].as_str().unwrap()
            ),
            json!({"action": "hand_over", "old_card_returned": true}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_state")),
        "{body}"
    );
    assert!(
        filed["receipt"]
            .as_str()
            .unwrap()
            .starts_with("CAH-445-20210316-00001")
    );

    // The intake papers, as PDF: pdftotext finds the name and the due date.
    let id = filed["id"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (document, due) in [
        ("intake-form", "06/04/2021"),
        ("appointment-slip", "ngày 06 tháng 4 năm 2021"),
    ] {
        let response = t
            .client
            .get(t.url(&format!("/api/v1/applications/{id}/documents/{document}")))
            .bearer_auth(&district.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{document}");
        assert_eq!(response.headers()["content-type"], "application/pdf");
        let file = dir.path().join(format!("{document}.pdf"));
        std::fs::write(&file, response.bytes().await.unwrap()).unwrap();
        let text = std::process::Command::new("pdftotext")
            .args(["-layout"])
            .arg(&file)
            .arg("-")
            .output()
            .unwrap();
        let text: String = String::from_utf8(text.stdout).unwrap().nfc().collect();
        assert!(text.contains("Trần Thị Hoa"), "{document}: {text}");
        assert!(text.contains(due), "{document}: {text}");
        assert!(
            text.contains(filed["receipt"].as_str().unwrap()),
            "{document}: {text}"
        );
    }
    let (status, _) = t
        .get(
            &district,
            &format!("/api/v1/applications/{id}/documents/passport"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Long past due: the overdue list has it, the list by state too.
    let (status, overdue) = t.get(&district, "/api/v1/applications?overdue=true").await;
    assert_eq!(status, StatusCode::OK, "{overdue}");
    assert_eq!(overdue["items"].as_array().unwrap().len(), 1);
    assert_eq!(overdue["items"][0]["personal_id"], HOA);
    let (_, verified) = t
        .get(&district, "/api/v1/applications?state=verified")
        .await;
    assert_eq!(verified["items"], json!([]));

    let bad = [
        (
            json!({"personal_id": HOA, "type": "passport", "channel": "fixed"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"personal_id": "12", "type": "first_issuance", "channel": "fixed"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"personal_id": HOA, "type": "renewal", "channel": "fixed"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"personal_id": HOA, "type": "first_issuance", "channel": "fixed", "intake_date": "2999-01-01"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"personal_id": "042099999999", "type": "first_issuance", "channel": "fixed"}),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"personal_id": HOA, "type": "first_issuance", "channel": "fixed", "extra": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (body, expected) in bad {
        let (status, answer) = t
            .post(&district, "/api/v1/applications", body.clone())
            .await;
        assert_eq!(status, expected, "{body} → {answer}");
    }
    let (status, body) = t.get(&district, "/api/v1/applications/not-a-uuid").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );
    let (status, body) = t.get(&district, "/api/v1/applications?state=lost").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // Administrators run the system, not the intake.
    let (status, body) = t
        .post(
            &admin,
            "/api/v1/applications",
            json!({"personal_id": HOA, "type": "first_issuance", "channel": "fixed"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{body}"
    );
}

#[tokio::test]
async fn the_production_centre_works_in_daily_batches_per_province() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    let district = t
        .officer(&admin, "son.tv", "CAH-445", "district_officer")
        .await;
    let province = t
        .officer(&admin, "minh.lv", "PC06-42", "province_officer")
        .await;
    let centre = t
        .officer(&admin, "tam.nv", "C06-TTCC", "production_operator")
        .await;
    // Two citizens of Ngọc Sơn (Thạch Hà), taken in, verified and approved.
    let mut ids = Vec::new();
    for pid in ["042088007777", HOA] {
        let (status, filed) = t
            .post(
                &district,
                "/api/v1/applications",
                json!({"personal_id": pid, "type": "first_issuance", "channel": "mobile"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{filed}");
        let id = filed["id"].as_str().unwrap().to_owned();
        // Filed without biometrics (as an offline station would): verification waits for them.
        let (status, body) = step(&t, &district, &id, json!({"action": "verify"})).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some("invalid_state")),
            "{body}"
        );
        let (status, body) = t
            .send(
                t.client
                    .put(t.url(&format!("/api/v1/applications/{id}/biometrics")))
                    .bearer_auth(&district.token)
                    .json(&biometrics(None)),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["version"], 2, "{body}");
        assert_eq!(
            step(&t, &district, &id, json!({"action": "verify"}))
                .await
                .0,
            StatusCode::OK
        );
        assert_eq!(
            step(&t, &province, &id, json!({"action": "approve"}))
                .await
                .0,
            StatusCode::OK
        );
        ids.push(id);
    }

    let (status, body) = t
        .post(&district, "/api/v1/batches", json!({"province": "42"}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{body}"
    );
    let (status, body) = t
        .post(&centre, "/api/v1/batches", json!({"province": "99"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let (status, started) = t
        .post(&centre, "/api/v1/batches", json!({"province": "42"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    assert_eq!(started["done"], 2, "{started}");
    let batch = started["id"].as_str().unwrap().to_owned();
    // The same day again: the same batch, nothing left to start.
    let (_, again) = t
        .post(&centre, "/api/v1/batches", json!({"province": "42"}))
        .await;
    assert_eq!(
        (again["id"].as_str(), again["done"].as_u64()),
        (Some(batch.as_str()), Some(0))
    );

    let (status, produced) = t
        .post(
            &centre,
            &format!("/api/v1/batches/{batch}/produce"),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, produced["done"].as_u64()),
        (StatusCode::OK, Some(2)),
        "{produced}"
    );
    let (_, status_now) = t.get(&centre, &format!("/api/v1/batches/{batch}")).await;
    assert_eq!(status_now["states"], json!({"produced": 2}), "{status_now}");
    let (status, card) = t.get(&centre, &format!("/api/v1/cards/{HOA}")).await;
    assert_eq!(
        (status, card["status"].as_str()),
        (StatusCode::OK, Some("pending")),
        "{card}"
    );

    let (_, dispatched) = t
        .post(
            &centre,
            &format!("/api/v1/batches/{batch}/dispatch"),
            json!({}),
        )
        .await;
    assert_eq!(dispatched["done"], 2, "{dispatched}");
    let (_, status_now) = t.get(&district, &format!("/api/v1/batches/{batch}")).await;
    assert_eq!(
        status_now["states"],
        json!({"dispatched": 2}),
        "{status_now}"
    );
    let (status, body) = t
        .post(
            &centre,
            &format!("/api/v1/batches/{batch}/approve"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (_, one) = t
        .get(&district, &format!("/api/v1/applications/{}", ids[0]))
        .await;
    assert_eq!(one["state"], "dispatched");
}

#[tokio::test]
async fn bad_biometrics_are_refused_with_a_reason_and_nothing_is_filed() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    let district = t
        .officer(&admin, "son.tv", "CAH-445", "district_officer")
        .await;
    let file = |bio: Value| {
        t.post(
            &district,
            "/api/v1/applications",
            json!({"personal_id": HOA, "type": "first_issuance", "channel": "fixed", "biometrics": bio}),
        )
    };
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend(std::iter::repeat_n(b'x', 5_000));
    let mut truncated = jpeg(480, 640, 30_000);
    truncated.truncate(15);
    let mut no_reason = biometrics(None);
    no_reason["fingers"][9] = json!({"finger": "l_little"});
    let mut amputated = biometrics(None);
    amputated["fingers"][9] = json!({"finger": "l_little", "missing": "amputated"});
    let mut swapped = biometrics(None);
    swapped["fingers"][0]["finger"] = json!("l_thumb");
    let mut not_base64 = biometrics(None);
    not_base64["portrait"] = json!("***");
    let cases = [
        (biometrics(Some(pdf)), "looks like a PDF"),
        (biometrics(Some(truncated)), "truncated"),
        (biometrics(Some(jpeg(100, 100, 3_000))), "portrait"),
        (no_reason, "l_little"),
        (swapped, "r_thumb"),
        (not_base64, "base64"),
    ];
    for (bio, expected) in cases {
        let (status, body) = file(bio).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_input")),
            "{body}"
        );
        assert!(
            body["message"].as_str().unwrap().contains(expected),
            "{expected}: {body}"
        );
    }
    let (_, none) = t.get(&district, "/api/v1/applications").await;
    assert_eq!(none["items"], json!([]), "nothing was filed");
    // A missing finger with its reason is fine.
    let (status, body) = file(amputated).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// Every free-text field has a bound (issue 15): a station of 10,000 characters once
/// made an intake-form PDF that took a minute and a half to draw. Each is refused with
/// `text_too_long`, before anything is written, looked up or hashed.
#[tokio::test]
async fn free_text_fields_are_bounded() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    let commune = t
        .officer(&admin, "hong.nt", "CAX-18073", "commune_officer")
        .await;
    let long = "Nhà văn hóa ".repeat(1_000);
    let too_long = |(status, body): (StatusCode, serde_json::Value), field: &str| {
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["code"], "text_too_long", "{body}");
        assert!(
            body["message"].as_str().unwrap().starts_with(field),
            "{body}"
        );
    };
    let intake = json!({"personal_id": AN, "type": "cmnd_switch", "channel": "fixed",
        "station": long, "biometrics": biometrics(None)});
    too_long(
        t.post(&commune, "/api/v1/applications", intake).await,
        "station",
    );
    let intake = json!({"personal_id": AN, "type": "cmnd_switch", "channel": "fixed",
        "identifying_marks": "x".repeat(201), "biometrics": biometrics(None)});
    too_long(
        t.post(&commune, "/api/v1/applications", intake).await,
        "identifying_marks",
    );
    let (_, listed) = t.get(&commune, "/api/v1/applications").await;
    assert_eq!(listed["items"], json!([]), "nothing was filed");

    too_long(
        t.post(
            &admin,
            "/api/v1/officers",
            json!({"username": "moi.cb", "full_name": "Nguyễn ".repeat(20),
                "unit": "CAX-18073", "role": "commune_officer"}),
        )
        .await,
        "full_name",
    );
    let (status, body) = t
        .send(
            t.client
                .post(t.url("/api/v1/auth/login"))
                .json(&json!({"username": "admin", "password": "p".repeat(300)})),
        )
        .await;
    too_long((status, body), "password");
    too_long(
        t.post(
            &admin,
            "/api/v1/campaigns",
            json!({"name": "Chiến dịch ".repeat(30), "start": "2021-03-01", "end": "2021-06-30"}),
        )
        .await,
        "name",
    );
}
