//! Mobile stations over HTTP (issue 19): a station asks to be enrolled with no sign-in, an
//! officer of its district approves it with communes and officers after comparing its
//! key's fingerprint, in the API and in the console, and revokes it; each step is refused
//! where it should be, with a reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is the failure report"
)]

mod support;

use cancuoc_domain::station::{SignerKey, fingerprint};
use cancuoc_icao::pki::KeyPair;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::*;

/// A station's enrolment request with fresh keys drawn from `seed`.
fn request(seed: u8, unit: &str) -> (Value, String) {
    let signing = SignerKey::from_bytes([seed; 32]);
    let agreement = KeyPair::generate(|b| b.fill(seed.wrapping_add(1)));
    let body = json!({
        "name": "Tổ lưu động số 1",
        "unit": unit,
        "signing_key": b64(&signing.public()),
        "agreement_key": b64(&agreement.public_key_info()),
    });
    (body, fingerprint(&signing.public()))
}

async fn ask(t: &TestApp, body: Value) -> (StatusCode, Value) {
    t.send(t.client.post(t.url("/api/v1/stations")).json(&body))
        .await
}

#[tokio::test]
async fn a_station_is_asked_for_approved_in_its_district_and_revoked() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    let district = t
        .officer(&admin, "son.tv", "CAH-436", "district_officer")
        .await;
    let commune = t
        .officer(&admin, "hoa.pt", "CAX-18073", "commune_officer")
        .await;
    let elsewhere = t
        .officer(&admin, "lan.nt", "CAH-445", "district_officer")
        .await;

    // Asked with no sign-in: pending, with the fingerprint the laptop shows and the
    // server's two keys.
    let (body, print) = request(11, "CAH-436");
    let (status, asked) = ask(&t, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{asked}");
    assert_eq!(asked["station"]["status"], "pending");
    assert_eq!(asked["station"]["fingerprint"], print.as_str());
    assert_eq!(asked["station"]["unit"], "CAH-436");
    let extract_key = asked["server_extract_key"].as_str().unwrap();
    assert_eq!(b64_decode(extract_key).len(), 32);
    assert!(b64_decode(asked["server_packet_key"].as_str().unwrap()).len() > 60);
    let id = asked["station"]["id"].as_str().unwrap().to_owned();
    // The same key again, a unit that is no district's, a key that is no key: refused.
    let (status, again) = ask(&t, body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, wrong) = ask(&t, request(12, "CAT-42").0).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{wrong}");
    assert!(
        wrong["message"].as_str().unwrap().contains("unit"),
        "{wrong}"
    );
    let mut bad_key = request(13, "CAH-436").0;
    bad_key["signing_key"] = json!(b64(&[1, 2, 3]));
    let (status, wrong) = ask(&t, bad_key).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{wrong}");
    assert!(
        wrong["message"].as_str().unwrap().contains("signing_key"),
        "{wrong}"
    );
    // A second request keeps the server's keys: a station pins them.
    let (status, second) = ask(&t, request(14, "CAH-436").0).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["server_extract_key"], extract_key);

    // Listed in its district and its province, not in another district; a commune
    // officer does not manage stations.
    let (status, listed) = t.get(&district, "/api/v1/stations").await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    let (_, other) = t.get(&elsewhere, "/api/v1/stations").await;
    assert_eq!(other["items"], json!([]));
    let (status, _) = t.get(&commune, "/api/v1/stations").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let approve = format!("/api/v1/stations/{id}/approve");
    let grant =
        |communes: Value, officers: Value| json!({"communes": communes, "officers": officers});
    // Another district's officer does not find it; a commune of another district, an
    // officer of another district, and nothing granted are refused with the field named.
    let (status, _) = t
        .post(
            &elsewhere,
            &approve,
            grant(json!(["18073"]), json!(["son.tv"])),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for (communes, officers, field) in [
        (json!(["18922"]), json!(["son.tv"]), "communes"),
        (json!(["18073"]), json!(["lan.nt"]), "officers"),
        (json!([]), json!(["son.tv"]), "communes"),
        (json!(["18073"]), json!([]), "officers"),
    ] {
        let (status, refused) = t.post(&district, &approve, grant(communes, officers)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
        assert!(
            refused["message"].as_str().unwrap().starts_with(field),
            "{refused}"
        );
    }
    let (status, approved) = t
        .post(
            &district,
            &approve,
            grant(
                json!(["18073", "18076", "18073"]),
                json!(["hoa.pt", "son.tv"]),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["communes"], json!(["18073", "18076"]));
    assert_eq!(approved["officers"], json!(["hoa.pt", "son.tv"]));
    assert_eq!(approved["approved_by"], "son.tv");

    let revoke = format!("/api/v1/stations/{id}/revoke");
    let (status, revoked) = t.post(&district, &revoke, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["revoked_by"], "son.tv");
    let (status, _) = t.post(&district, &revoke, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = t
        .post(
            &district,
            &approve,
            grant(json!(["18073"]), json!(["son.tv"])),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = t
        .post(&district, "/api/v1/stations/not-an-id/revoke", json!({}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The audit chain still holds after every step.
    let (_, verified) = t.get(&admin, "/api/v1/audit/verify").await;
    assert_eq!(verified["first_break"], Value::Null, "{verified}");
}

#[tokio::test]
async fn the_console_approves_a_station_only_once_its_fingerprint_is_confirmed() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    t.officer(&admin, "son.tv", "CAH-436", "district_officer")
        .await;
    t.officer(&admin, "hoa.pt", "CAX-18073", "commune_officer")
        .await;
    let (body, print) = request(21, "CAH-436");
    let (_, asked) = ask(&t, body).await;
    let id = asked["station"]["id"].as_str().unwrap().to_owned();

    let browser = t.console_as("son.tv").await;
    let html = t.page(&browser, "/tram-luu-dong").await;
    assert!(
        html.contains("href=\"/tram-luu-dong\""),
        "the menu leads here: {html}"
    );
    assert!(html.contains("Chờ duyệt"), "{html}");
    assert!(html.contains(&print), "{html}");
    assert!(
        html.contains("Phường Nam Hà"),
        "the district's communes: {html}"
    );
    assert!(
        html.contains("value=\"hoa.pt\""),
        "its intake officers: {html}"
    );
    let csrf = csrf_of(&html);
    let post = |pairs: Vec<(&'static str, String)>| {
        let (browser, url) = (&browser, t.url("/tram-luu-dong"));
        async move {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(browser, url, &pairs).await
        }
    };
    let approve = |confirmed: bool| {
        let mut pairs = vec![
            ("csrf", csrf.clone()),
            ("action", "approve".to_owned()),
            ("id", id.clone()),
            ("commune", "18073".to_owned()),
            ("officer", "hoa.pt".to_owned()),
        ];
        if confirmed {
            pairs.push(("fingerprint_checked", "yes".to_owned()));
        }
        pairs
    };
    let refused = post(approve(false)).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("Hãy đối chiếu mã khóa"), "{html}");
    let done = post(approve(true)).await;
    assert_eq!(done.status(), StatusCode::OK);
    let html = done.text().await.unwrap();
    assert!(html.contains("Đã duyệt trạm"), "{html}");
    assert!(
        html.contains("name=\"commune\" value=\"18073\" checked"),
        "the granted commune stays ticked: {html}"
    );
    // Revoking asks for a confirmation too.
    let revoke = |confirmed: bool| {
        let mut pairs = vec![
            ("csrf", csrf.clone()),
            ("action", "revoke".to_owned()),
            ("id", id.clone()),
        ];
        if confirmed {
            pairs.push(("revoke_confirmed", "yes".to_owned()));
        }
        pairs
    };
    assert_eq!(
        post(revoke(false)).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let html = post(revoke(true)).await.text().await.unwrap();
    assert!(html.contains("Đã thu hồi trạm"), "{html}");
    assert!(!html.contains("class=\"approve-station\""), "{html}");

    // A commune officer has no such page.
    let commune = t.console_as("hoa.pt").await;
    let html = t.page(&commune, "/tram-luu-dong").await;
    assert!(!html.contains("href=\"/tram-luu-dong\""), "{html}");
    assert!(!html.contains(&print), "{html}");
}

fn b64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

/// A capture the server accepts: a portrait, every finger missing.
fn capture(pad: usize) -> cancuoc_domain::biometrics::Capture {
    use cancuoc_domain::biometrics::{
        Capture, FingerCapture, Image, ImageRole, MissingReason, sample_jpeg,
    };
    let portrait = Image::parse(sample_jpeg(480, 640, pad), ImageRole::Portrait).unwrap();
    let missing = || FingerCapture::Missing(MissingReason::parse("amputated", None).unwrap());
    Capture::new(
        portrait,
        std::array::from_fn(|_| missing()),
        [None, None, None],
    )
    .unwrap()
}

#[tokio::test]
async fn a_packet_is_read_only_when_signed_by_a_station_trusted_when_it_was_made() {
    use cancuoc_app::station_packet::{PacketIntake, StationPacket, seal_packet};
    let t = spawn_app().await;
    let admin = t.admin().await;
    let district = t
        .officer(&admin, "son.tv", "CAH-436", "district_officer")
        .await;
    t.officer(&admin, "hoa.pt", "CAX-18073", "commune_officer")
        .await;
    let station_key = SignerKey::from_bytes([41; 32]);
    let (mut body, _) = request(41, "CAH-436");
    body["signing_key"] = json!(b64(&station_key.public()));
    let (_, asked) = ask(&t, body).await;
    let id = asked["station"]["id"].as_str().unwrap().to_owned();
    let station = uuid::Uuid::parse_str(&id).unwrap();
    let server_key = b64_decode(asked["server_packet_key"].as_str().unwrap());
    let packet = |made_micros: i64| StationPacket {
        packet: uuid::Uuid::now_v7(),
        station,
        officer: "hoa.pt".into(),
        made_micros,
        register_version: Some(1),
        intake: PacketIntake {
            personal_id: "042090001234".into(),
            kind: "cmnd_switch".into(),
            reason: None,
            identifying_marks: None,
            exemption: None,
            old_card_returned: true,
            receipt: None,
        },
        capture: Some(capture(30_000)),
    };
    let seal = |p: &StationPacket, key: &SignerKey| {
        seal_packet(p, key, &server_key, |b| b.fill(3)).unwrap()
    };
    let now = || jiff::Timestamp::now().as_microsecond();
    let code = |answer: Result<_, cancuoc_app::station_packet::PacketRefusal>| match answer {
        Ok(_) => "read",
        Err(refusal) => {
            assert!(!refusal.message.is_empty());
            refusal.code
        }
    };

    // Made while the station waits for approval: refused.
    let early = packet(now());
    let bytes = seal(&early, &station_key);
    assert_eq!(
        code(t.app.open_station_packet(&bytes).await.unwrap()),
        "station_not_approved"
    );
    let (status, _) = t
        .post(
            &district,
            &format!("/api/v1/stations/{id}/approve"),
            json!({"communes": ["18073"], "officers": ["hoa.pt"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Made once approved: read whole, biometrics byte for byte.
    let good = packet(now());
    let bytes = seal(&good, &station_key);
    let (read_station, read) = t.app.open_station_packet(&bytes).await.unwrap().unwrap();
    assert_eq!(read_station.id, station);
    assert_eq!(read, good);

    // A byte changed anywhere in the body, signed by another key, or naming a station
    // never enrolled: refused, each with its reason.
    let mut tampered = bytes.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x10;
    assert_eq!(
        code(t.app.open_station_packet(&tampered).await.unwrap()),
        "bad_signature"
    );
    let stranger = SignerKey::from_bytes([42; 32]);
    assert_eq!(
        code(
            t.app
                .open_station_packet(&seal(&good, &stranger))
                .await
                .unwrap()
        ),
        "bad_signature"
    );
    let unknown = StationPacket {
        station: uuid::Uuid::now_v7(),
        ..packet(now())
    };
    assert_eq!(
        code(
            t.app
                .open_station_packet(&seal(&unknown, &station_key))
                .await
                .unwrap()
        ),
        "unknown_station"
    );
    assert_eq!(
        code(t.app.open_station_packet(b"not a packet").await.unwrap()),
        "malformed"
    );
    // Signed by the station but sealed to another key than the server's: refused too.
    let other = KeyPair::generate(|b| b.fill(99)).public_key_info();
    let misdirected = seal_packet(&packet(now()), &station_key, &other, |b| b.fill(5)).unwrap();
    assert_eq!(
        code(t.app.open_station_packet(&misdirected).await.unwrap()),
        "does_not_decrypt"
    );

    // Revoked: a packet made before the revocation is still the station's, one made after
    // is refused.
    let before = seal(&packet(now()), &station_key);
    let (status, _) = t
        .post(
            &district,
            &format!("/api/v1/stations/{id}/revoke"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        code(t.app.open_station_packet(&before).await.unwrap()),
        "read"
    );
    let after = seal(&packet(now() + 1), &station_key);
    assert_eq!(
        code(t.app.open_station_packet(&after).await.unwrap()),
        "station_revoked"
    );
}

/// Sends a chunk of a packet as a station does: signed by its key.
async fn put_chunk(
    t: &TestApp,
    station: &str,
    key: &SignerKey,
    packet: uuid::Uuid,
    offset: usize,
    total: usize,
    bytes: &[u8],
) -> (StatusCode, Value) {
    let path = format!("/api/v1/stations/{station}/packets/{packet}?offset={offset}&total={total}");
    let at = jiff::Timestamp::now().as_microsecond();
    let id = uuid::Uuid::parse_str(station).unwrap();
    let message = cancuoc_domain::station::request_message(id.as_bytes(), "PUT", &path, at, bytes);
    t.send(
        t.client
            .put(t.url(&path))
            .header("content-type", "application/octet-stream")
            .header("x-cancuoc-station-time", at.to_string())
            .header(
                "x-cancuoc-station-signature",
                b64(&key.sign_message(&message)),
            )
            .body(bytes.to_vec()),
    )
    .await
}

#[tokio::test]
async fn a_pushed_packet_is_filed_once_under_the_station_and_replays_are_answered_the_same() {
    use cancuoc_app::station_packet::{PacketIntake, StationPacket, seal_packet};
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    let district = t
        .officer(&admin, "son.tv", "CAH-436", "district_officer")
        .await;
    t.officer(&admin, "hoa.pt", "CAX-18073", "commune_officer")
        .await;
    let key = SignerKey::from_bytes([51; 32]);
    let (mut body, _) = request(51, "CAH-436");
    body["signing_key"] = json!(b64(&key.public()));
    let (_, asked) = ask(&t, body).await;
    let id = asked["station"]["id"].as_str().unwrap().to_owned();
    let server_key = b64_decode(asked["server_packet_key"].as_str().unwrap());
    let (status, _) = t
        .post(
            &district,
            &format!("/api/v1/stations/{id}/approve"),
            json!({"communes": ["18073"], "officers": ["hoa.pt"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let taken = capture(40_000);
    let packet = |personal_id: &str| StationPacket {
        packet: uuid::Uuid::now_v7(),
        station: uuid::Uuid::parse_str(&id).unwrap(),
        officer: "hoa.pt".into(),
        made_micros: jiff::Timestamp::now().as_microsecond(),
        register_version: Some(1),
        intake: PacketIntake {
            personal_id: personal_id.into(),
            kind: "cmnd_switch".into(),
            reason: None,
            identifying_marks: Some("Nốt ruồi dưới mắt trái".into()),
            exemption: None,
            old_card_returned: true,
            receipt: None,
        },
        capture: Some(taken.clone()),
    };
    // The number the station gave: its officer's unit's, the station's day, from the
    // station's block (the first approved in the unit: 50,000 up).
    let given = |p: &StationPacket, serial: u32| {
        let day = jiff::Timestamp::from_microsecond(p.made_micros)
            .unwrap()
            .to_zoned_datetime(jiff::tz::Offset::constant(7).to_time_zone())
            .date();
        cancuoc_domain::receipt::ReceiptNumber::new(
            cancuoc_domain::PoliceUnitCode::parse("CAX-18073").unwrap(),
            day,
            serial,
        )
        .unwrap()
    };
    // A number outside the station's block is refused.
    let mut stray = packet("042090001234");
    stray.intake.receipt = Some(given(&stray, 51_000));
    let bytes = seal_packet(&stray, &key, &server_key, |b| b.fill(7)).unwrap();
    let (_, refused) = put_chunk(&t, &id, &key, stray.packet, 0, bytes.len(), &bytes).await;
    assert_eq!(refused["code"], "mismatch", "{refused}");
    let mut an = packet("042090001234");
    an.intake.receipt = Some(given(&an, 50_003));
    let bytes = seal_packet(&an, &key, &server_key, |b| b.fill(9)).unwrap();
    let half = bytes.len() / 2;

    // The first half, then a chunk from the wrong place (refused, naming where the upload
    // stands), then the rest: filed.
    let (status, state) = put_chunk(&t, &id, &key, an.packet, 0, bytes.len(), &bytes[..half]).await;
    assert_eq!(status, StatusCode::OK, "{state}");
    assert_eq!(state, json!({"state": "partial", "received": half}));
    let (status, state) = put_chunk(
        &t,
        &id,
        &key,
        an.packet,
        half + 1,
        bytes.len(),
        &bytes[half + 1..],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{state}");
    assert!(
        state["message"]
            .as_str()
            .unwrap()
            .contains(&format!("holds {half} bytes"))
    );
    let (status, filed) =
        put_chunk(&t, &id, &key, an.packet, half, bytes.len(), &bytes[half..]).await;
    assert_eq!(status, StatusCode::OK, "{filed}");
    assert_eq!(filed["state"], "filed", "{filed}");
    let receipt = filed["receipt"].as_str().unwrap().to_owned();
    assert_eq!(receipt, an.intake.receipt.as_ref().unwrap().to_string());
    let application = filed["application"].as_str().unwrap().to_owned();

    // Sent again whole: answered the same, nothing filed twice.
    let (_, again) = put_chunk(&t, &id, &key, an.packet, 0, bytes.len(), &bytes).await;
    assert_eq!(again, filed);
    let (_, listed) = t.get(&district, "/api/v1/applications").await;
    let mine: Vec<&Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["personal_id"] == "042090001234")
        .collect();
    assert_eq!(mine.len(), 1, "{listed}");

    // Filed as taken at the station, by its officer, with the portrait byte for byte.
    let (status, record) = t
        .get(&district, &format!("/api/v1/applications/{application}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(record["receipt"], receipt.as_str(), "{record}");
    assert_eq!(record["channel"], "mobile", "{record}");
    assert_eq!(record["station"], "Tổ lưu động số 1", "{record}");
    assert_eq!(record["officer"], "hoa.pt", "{record}");
    let station_day = jiff::Timestamp::from_microsecond(an.made_micros)
        .unwrap()
        .to_zoned_datetime(jiff::tz::Offset::constant(7).to_time_zone())
        .date()
        .to_string();
    assert_eq!(record["intake_date"], station_day.as_str(), "{record}");
    // Taken when the station made the packet, not when it reached the server.
    let intake_at: jiff::Timestamp = record["intake_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(intake_at.as_microsecond(), an.made_micros, "{record}");
    assert_eq!(record["history"][0]["at"], record["intake_at"], "{record}");
    let portrait = t
        .client
        .get(t.url(&format!(
            "/api/v1/applications/{application}/biometrics/portrait"
        )))
        .bearer_auth(&district.token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(portrait.as_ref(), taken.portrait().bytes());

    // The same citizen filed at the station again: refused with the first one's receipt.
    let second = packet("042090001234");
    let bytes = seal_packet(&second, &key, &server_key, |b| b.fill(8)).unwrap();
    let (_, refused) = put_chunk(&t, &id, &key, second.packet, 0, bytes.len(), &bytes).await;
    assert_eq!(refused["state"], "refused", "{refused}");
    assert_eq!(refused["code"], "already_applied", "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains(&receipt),
        "{refused}"
    );

    // A packet altered on the way: refused, and so it stays.
    let third = packet("042090001234");
    let mut bytes = seal_packet(&third, &key, &server_key, |b| b.fill(7)).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    let (_, refused) = put_chunk(&t, &id, &key, third.packet, 0, bytes.len(), &bytes).await;
    assert_eq!(refused["code"], "bad_signature", "{refused}");

    // Cường moves within the commune after the station's extract (version 1): his packet,
    // checked against version 1, is filed and flagged for the verifier with what changed.
    let moved = format!(
        "{HEADER}\n042092005555,,Nguyễn Văn Cường,03/1992,Nam,42,42,Kinh,Không,VNM,,,18073,Tổ 9,HK002,Chủ hộ,,\n"
    );
    let (status, report) = t.import(&admin, &moved, "name=chuyen-to.csv").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let (_, forms) = t.get(&admin, "/api/v1/forms").await;
    let staged = forms["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["citizen"]["personal_id"] == "042092005555");
    if let Some(form) = staged {
        // A change to an official record waits for two officers.
        let decision = format!("/api/v1/forms/{}/decision", form["id"].as_str().unwrap());
        let (status, body) = t.post(&admin, &decision, json!({"action": "verify"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let checker = t
            .officer(&admin, "kiem-duyet", "PC06-42", "province_officer")
            .await;
        let (status, body) = t
            .post(&checker, &decision, json!({"action": "approve"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, cuong) = t.get(&admin, "/api/v1/citizens/042092005555").await;
    assert_eq!(cuong["version"], 2, "{cuong}");
    let flagged = StationPacket {
        intake: PacketIntake {
            kind: "first_issuance".into(),
            old_card_returned: false,
            ..packet("042092005555").intake
        },
        ..packet("042092005555")
    };
    let bytes = seal_packet(&flagged, &key, &server_key, |b| b.fill(6)).unwrap();
    let (_, filed) = put_chunk(&t, &id, &key, flagged.packet, 0, bytes.len(), &bytes).await;
    assert_eq!(filed["state"], "filed", "{filed}");
    let (_, record) = t
        .get(
            &district,
            &format!(
                "/api/v1/applications/{}",
                filed["application"].as_str().unwrap()
            ),
        )
        .await;
    let note = record["verifier_note"].as_str().unwrap_or_default();
    assert!(note.contains("phiên bản 1 → 2"), "{record}");
    assert!(note.contains("thuong_tru"), "what changed: {note}");
    // Sent again, answered the same, and the note not doubled.
    let (_, again) = put_chunk(&t, &id, &key, flagged.packet, 0, bytes.len(), &bytes).await;
    assert_eq!(again, filed);
    let (_, record) = t
        .get(
            &district,
            &format!(
                "/api/v1/applications/{}",
                filed["application"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(record["verifier_note"].as_str(), Some(note), "{record}");

    // A packet dated after the server's clock, or of a type a station does not take, is
    // refused with its reason.
    let late = StationPacket {
        made_micros: jiff::Timestamp::now().as_microsecond() + 3_600_000_000,
        ..packet("042185004321")
    };
    let bytes = seal_packet(&late, &key, &server_key, |b| b.fill(5)).unwrap();
    let (_, refused) = put_chunk(&t, &id, &key, late.packet, 0, bytes.len(), &bytes).await;
    assert_eq!(refused["code"], "bad_time", "{refused}");
    let renewal = StationPacket {
        intake: PacketIntake {
            kind: "renewal".into(),
            reason: Some("expiring".into()),
            ..packet("042185004321").intake
        },
        ..packet("042185004321")
    };
    let bytes = seal_packet(&renewal, &key, &server_key, |b| b.fill(4)).unwrap();
    let (_, refused) = put_chunk(&t, &id, &key, renewal.packet, 0, bytes.len(), &bytes).await;
    assert_eq!(refused["code"], "not_filed", "{refused}");

    // A packet the server holds whole but never judged (it stopped in between) is judged
    // when the station sends the empty chunk at its end.
    let held = StationPacket {
        intake: PacketIntake {
            kind: "first_issuance".into(),
            old_card_returned: false,
            ..packet("042185004321").intake
        },
        ..packet("042185004321")
    };
    let bytes = seal_packet(&held, &key, &server_key, |b| b.fill(3)).unwrap();
    let station_id = uuid::Uuid::parse_str(&id).unwrap();
    t.app
        .store()
        .append_packet_upload(station_id, held.packet, 0, bytes.len() as u64, &bytes)
        .await
        .unwrap();
    let (status, judged) =
        put_chunk(&t, &id, &key, held.packet, bytes.len(), bytes.len(), b"").await;
    assert_eq!(status, StatusCode::OK, "{judged}");
    assert_eq!(judged["state"], "filed", "{judged}");

    // A request not signed by the station's key is refused before anything is kept.
    let stranger = SignerKey::from_bytes([52; 32]);
    let (status, body) = put_chunk(&t, &id, &stranger, uuid::Uuid::now_v7(), 0, 3, b"abc").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "station_unauthenticated");
}
