//! The JSON API end to end: the real server on port 0 against a fresh SQLite file.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests report a failure by panicking"
)]

mod support;

use cancuoc_server::ServerConfig;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, SET_COOKIE};
use serde_json::{Value, json};
use support::*;
use unicode_normalization::UnicodeNormalization;

#[tokio::test]
async fn health_openapi_and_authentication_required() {
    let t = spawn_app().await;
    let (status, body) = t.send(t.client.get(t.url("/api/v1/health"))).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));

    let (status, spec) = t.send(t.client.get(t.url("/api/openapi.json"))).await;
    assert_eq!(status, StatusCode::OK);
    let paths = spec["paths"].as_object().unwrap();
    for path in [
        "/api/v1/citizens/{personal_id}",
        "/api/v1/citizens",
        "/api/v1/forms/import",
        "/api/v1/forms/{id}/decision",
        "/api/v1/auth/login",
        "/api/v1/officers",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from {:?}",
            paths.keys()
        );
    }
    assert!(spec["components"]["schemas"]["CitizenDto"].is_object());
    assert!(spec["components"]["securitySchemes"]["bearer"].is_object());

    let (status, body) = t
        .send(t.client.get(t.url("/api/v1/citizens/042090001234")))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthenticated");
    let (status, body) = t
        .send(
            t.client
                .get(t.url("/api/v1/auth/me"))
                .bearer_auth("not-a-token"),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    let (status, body) = t
        .send(
            t.client
                .get(t.url("/api/v1/auth/me"))
                .header(AUTHORIZATION, "Basic YWRtaW46eA=="),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );

    let (status, body) = t.send(t.client.get(t.url("/api/v1/nothing-here"))).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, body) = t.send(t.client.delete(t.url("/api/v1/health"))).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );
}

#[tokio::test]
async fn login_wrong_password_and_throttling() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    assert_eq!(admin.body["must_change_password"], false);
    assert_eq!(admin.body["officer"]["username"], "admin");
    assert_eq!(admin.body["officer"]["unit"], "BCA");
    assert_eq!(admin.body["officer"]["role"], "admin");
    let (status, me) = t.get(&admin, "/api/v1/auth/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["officer"]["username"], "admin");
    assert_eq!(me["csrf_token"], admin.csrf.as_str());

    let wrong = || {
        t.client
            .post(t.url("/api/v1/auth/login"))
            .json(&json!({"username": "admin", "password": "not-the-password"}))
    };
    // Three failures are free; after the fourth, each attempt from this address waits a
    // growing delay (1 s, then 2 s, …), so the fifth, at once, is throttled.
    for attempt in 1..=4 {
        let (status, body) = t.send(wrong()).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}: {body}"
        );
        assert_eq!(body["code"], "unauthenticated");
    }
    let response = wrong().send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "too_many_attempts");
    assert!(body["details"]["retry_after_seconds"].as_u64().unwrap() > 0);
    // Even the right password waits now.
    let (status, body) = t
        .send(
            t.client
                .post(t.url("/api/v1/auth/login"))
                .json(&json!({"username": "admin", "password": ADMIN_PASSWORD})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts"))
    );
    // The session opened before still works.
    assert_eq!(t.get(&admin, "/api/v1/auth/me").await.0, StatusCode::OK);

    let (status, _) = t
        .send(
            t.client
                .post(t.url("/api/v1/auth/logout"))
                .bearer_auth(&admin.token),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get(&admin, "/api/v1/auth/me").await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn commune_officer_sees_only_their_commune() {
    let t = spawn_app().await;
    let admin = t.admin().await;

    // A dry run decides every row as the import will (Lê Văn Em's missing hometown
    // stages him), and changes nothing.
    let (status, report) = t
        .import(&admin, &people_csv(), "dry_run=true&name=nam-ha.csv")
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["dry_run"], true);
    assert_eq!(
        (
            &report["accepted"],
            &report["flagged"],
            &report["rejected_rows"]
        ),
        (&json!(5), &json!(1), &json!(1)),
        "{report}"
    );
    let (status, _) = t.get(&admin, "/api/v1/citizens/042090001234").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, forms) = t.get(&admin, "/api/v1/forms").await;
    assert_eq!(forms["items"], json!([]), "the dry run staged nothing");

    import_people(&t, &admin).await;
    // Against a register that holds the file, the dry run says what a second import
    // will: nothing new, six rows unchanged.
    let (_, dry) = t
        .import(&admin, &people_csv(), "dry_run=true&name=nam-ha.csv")
        .await;
    assert_eq!(
        (dry["accepted"].as_u64(), dry["unchanged"].as_u64()),
        (Some(0), Some(6)),
        "{dry}"
    );
    // Importing the same file again changes nothing.
    let (status, again) = t.import(&admin, &people_csv(), "name=nam-ha.csv").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (again["accepted"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(6)),
        "{again}"
    );

    let officer = t
        .officer(&admin, "hong.nt", "CAX-18073", "commune_officer")
        .await;

    // Only administrators manage officers.
    let (status, body) = t.get(&officer, "/api/v1/officers").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, officers) = t.get(&admin, "/api/v1/officers").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(officers["items"].as_array().unwrap().len(), 2);

    // Their commune: yes. Ngọc Sơn, 18565: indistinguishable from absent.
    let (status, an) = t.get(&officer, "/api/v1/citizens/042090001234").await;
    assert_eq!(status, StatusCode::OK, "{an}");
    assert_eq!(an["full_name"], "Nguyễn Văn An");
    let (status, body) = t.get(&officer, "/api/v1/citizens/042088007777").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, absent) = t.get(&officer, "/api/v1/citizens/042088000001").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(absent["code"], body["code"]);
    let (status, dung) = t.get(&admin, "/api/v1/citizens/042088007777").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(dung["permanent_residence"]["commune_code"], "18565");
    assert_eq!(dung["locality"]["district"], "445");

    let (_, mine) = t.get(&officer, "/api/v1/citizens?name=nguyen").await;
    assert_eq!(
        names(&mine),
        ["Nguyễn Thị Bình", "Nguyễn Văn An", "Nguyễn Văn Cường"]
    );
    let (_, all) = t.get(&admin, "/api/v1/citizens?name=nguyen").await;
    assert_eq!(
        names(&all),
        [
            "Nguyễn Thị Bình",
            "Nguyễn Văn An",
            "Nguyễn Văn Cường",
            "Nguyễn Văn Dũng"
        ]
    );
    let (status, hk) = t.get(&officer, "/api/v1/households/HK100").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{hk}");

    // A disabled officer's session stops working.
    let (status, _) = t
        .send(
            t.client
                .post(t.url("/api/v1/officers/hong.nt/disable"))
                .bearer_auth(&admin.token),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get(&officer, "/api/v1/auth/me").await.0,
        StatusCode::UNAUTHORIZED
    );

    // Auditors verify the chain; commune officers may not.
    let (status, body) = t.get(&admin, "/api/v1/audit/verify").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["events"].as_u64().unwrap() > 10, "{body}");
    assert_eq!(body["first_break"], Value::Null);
    assert_eq!(body["checkpoints"], 1, "{body}");

    // The signed checkpoints are exported with the key that verifies them.
    let (status, body) = t.get(&admin, "/api/v1/audit/checkpoints").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let public = body["public_key"].as_str().unwrap();
    let first = &body["checkpoints"][0];
    let checkpoint = cancuoc_domain::audit::Checkpoint {
        seq: first["seq"].as_i64().unwrap(),
        head: first["head"].as_str().unwrap().to_owned(),
        at_micros: first["at_micros"].as_i64().unwrap(),
        signature: first["signature"].as_str().unwrap().to_owned(),
    };
    assert!(checkpoint.verifies(public), "{body}");
    let (status, body) = t.get(&officer, "/api/v1/audit/checkpoints").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

#[tokio::test]
async fn password_change_comes_first() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    let (status, created) = t
        .post(
            &admin,
            "/api/v1/officers",
            json!({"username": "kiem.tv", "full_name": "Trần Văn Kiểm", "unit": "BCA", "role": "auditor"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let otp = created["one_time_password"].as_str().unwrap();
    let auditor = t.login("kiem.tv", otp).await;
    let (status, body) = t.get(&auditor, "/api/v1/audit/verify").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("password_change_required"))
    );
    let (status, me) = t.get(&auditor, "/api/v1/auth/me").await;
    assert_eq!(
        (status, &me["must_change_password"]),
        (StatusCode::OK, &json!(true))
    );
    let (status, body) = t
        .post(
            &auditor,
            "/api/v1/auth/password",
            json!({"current": otp, "new": "short"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );
    let (status, _) = t
        .post(
            &auditor,
            "/api/v1/auth/password",
            json!({"current": otp, "new": "a-much-longer-password"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = t.get(&auditor, "/api/v1/audit/verify").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["first_break"], Value::Null);
    // An auditor does not work the register.
    let (status, body) = t.get(&auditor, "/api/v1/citizens?name=an").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    // Officer creation checks: taken username, role that does not fit the unit.
    let (status, body) = t
        .post(
            &admin,
            "/api/v1/officers",
            json!({"username": "kiem.tv", "full_name": "X", "unit": "BCA", "role": "auditor"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    let (status, body) = t
        .post(
            &admin,
            "/api/v1/officers",
            json!({"username": "x", "full_name": "X", "unit": "CAH-436", "role": "commune_officer"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );
}

#[tokio::test]
async fn citizen_fields_search_and_pagination() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;

    let (status, an) = t.get(&admin, "/api/v1/citizens/042090001234").await;
    assert_eq!(status, StatusCode::OK, "{an}");
    assert_eq!(an["personal_id"], "042090001234");
    assert_eq!(an["full_name"], "Nguyễn Văn An");
    assert_eq!(
        an["full_name"].as_str().unwrap(),
        nfd("Nguyễn Văn An").nfc().collect::<String>()
    );
    assert_eq!(an["birth_date"], "1990-03-05");
    assert_eq!(an["sex"], "male");
    assert_eq!(an["old_id_number"], "123456789");
    assert_eq!(an["other_names"], Value::Null);
    assert_eq!(an["birth_registration_place"], "42");
    assert_eq!(an["hometown"], "42");
    assert_eq!(an["ethnicity"], "01");
    assert_eq!(an["religion"], "00");
    assert_eq!(an["nationality"], "VNM");
    assert_eq!(an["blood_group"], "O+");
    assert_eq!(an["marital_status"], "married");
    assert_eq!(
        an["permanent_residence"],
        json!({"commune_code": "18073", "address": "Số 5, Hà Huy Tập"})
    );
    assert_eq!(an["temporary_residence"], Value::Null);
    assert_eq!(an["current_residence"], Value::Null);
    assert_eq!(an["household_number"], "HK001");
    assert_eq!(an["relation_to_head"], "Chủ hộ");
    assert_eq!(an["father"]["full_name"], "Nguyễn Văn Bình");
    assert_eq!(an["mother"]["full_name"], "Trần Thị Cúc");
    assert_eq!(an["spouse"], Value::Null);
    assert_eq!(an["legal_representative"], Value::Null);
    assert_eq!(an["status"], "official");
    assert_eq!(an["version"], 1);
    assert_eq!(
        an["locality"],
        json!({"province": "42", "district": "436", "commune": "18073"})
    );
    let updated = an["updated_at"].as_str().unwrap();
    assert!(updated.parse::<jiff::Timestamp>().is_ok(), "{updated}");
    assert!(updated.ends_with('Z'), "{updated}");

    let (_, binh) = t.get(&admin, "/api/v1/citizens/042185004321").await;
    assert_eq!(
        (binh["birth_date"].as_str(), binh["sex"].as_str()),
        (Some("1985"), Some("female"))
    );
    let (_, cuong) = t.get(&admin, "/api/v1/citizens/042092005555").await;
    assert_eq!(cuong["birth_date"], "1992-03");

    let (status, history) = t.get(&admin, "/api/v1/citizens/042090001234/history").await;
    assert_eq!(status, StatusCode::OK, "{history}");
    assert_eq!(history["items"][0]["version"], 1);
    assert_eq!(
        history["items"][0]["residence"],
        json!({"commune_code": "18073", "address": "Số 5, Hà Huy Tập"})
    );

    let (status, hk) = t.get(&admin, "/api/v1/households/HK001").await;
    assert_eq!(status, StatusCode::OK, "{hk}");
    assert_eq!(hk["commune_code"], "18073");
    assert_eq!(hk["members"].as_array().unwrap().len(), 2, "{hk}");

    // Typed without diacritics, found with them (the file had the name in NFD).
    let (status, found) = t
        .get(&admin, "/api/v1/citizens?name=nguyen%20van%20an")
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(names(&found), ["Nguyễn Văn An"]);
    assert_eq!(found["items"][0]["birth_date"], "1990-03-05");
    let (_, found) = t
        .get(
            &admin,
            "/api/v1/citizens?name=NGUY%E1%BB%84N%20v%C4%83n&birth_year=1992",
        )
        .await;
    assert_eq!(names(&found), ["Nguyễn Văn Cường"]);
    let (_, found) = t
        .get(&admin, "/api/v1/citizens?old_id_number=123456789")
        .await;
    assert_eq!(names(&found), ["Nguyễn Văn An"]);

    // Pages of two, following the cursor.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut path = "/api/v1/citizens?name=nguyen&limit=2".to_owned();
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = t.get(&admin, &path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page["items"].as_array().unwrap().len() <= 2);
        seen.extend(names(&page));
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
        assert!(pages < 10, "the cursor does not end");
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "Nguyễn Thị Bình",
            "Nguyễn Văn An",
            "Nguyễn Văn Cường",
            "Nguyễn Văn Dũng"
        ]
    );
    assert!(pages >= 2);
    let (status, body) = t
        .get(&admin, "/api/v1/citizens?name=nguyen&cursor=zz")
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );

    // SQL and pattern metacharacters are text like any other.
    for name in [
        "'; DROP TABLE citizens; --",
        "%",
        "_",
        "\" OR 1=1 --",
        "nguyen%",
        "\\",
    ] {
        let (status, page) = t
            .send(
                t.client
                    .get(
                        reqwest::Url::parse_with_params(
                            &t.url("/api/v1/citizens"),
                            [("name", name)],
                        )
                        .unwrap(),
                    )
                    .bearer_auth(&admin.token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{name}: {page}");
        assert_eq!(page["items"], json!([]), "{name}");
        assert_eq!(page["next_cursor"], Value::Null);
    }
    assert_eq!(
        names(&t.get(&admin, "/api/v1/citizens?name=nguyen").await.1).len(),
        4
    );

    // Invalid input.
    let (status, body) = t.get(&admin, "/api/v1/citizens/12345").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );
    let (status, body) = t.get(&admin, "/api/v1/citizens/04209000123X").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );
    for cursor in ["zz", "00", "abc"] {
        let (status, body) = t
            .get(&admin, &format!("/api/v1/citizens?cursor={cursor}"))
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_input")),
            "{cursor}"
        );
    }

    // With neither name nor old ID number: a commune's register, in the order of names.
    let (status, commune) = t.get(&admin, "/api/v1/citizens?unit=18073&limit=100").await;
    assert_eq!(status, StatusCode::OK, "{commune}");
    let listed = commune["items"].as_array().unwrap();
    assert!(
        names(&commune).contains(&"Nguyễn Văn An".to_owned()),
        "{commune}"
    );
    assert!(
        listed.iter().all(|c| c["locality"]["commune"] == "18073"),
        "{commune}"
    );
    let (_, everyone) = t.get(&admin, "/api/v1/citizens?limit=100").await;
    assert!(
        everyone["items"].as_array().unwrap().len() > listed.len(),
        "{everyone}"
    );
    let keys: Vec<String> = names(&everyone)
        .iter()
        .map(|n| cancuoc_domain::text::fold(n))
        .collect();
    assert!(keys.is_sorted(), "{keys:?}");
    let (status, body) = t.get(&admin, "/api/v1/citizens?name=an&limit=many").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_query"))
    );
    let (status, body) = t.get(&admin, "/api/v1/citizens?nam=an").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_query"))
    );
    let (status, body) = t
        .get(&admin, "/api/v1/citizens?name=an&birth_date=1990-13")
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );

    // Personal ID allocation.
    let (status, body) = t
        .post(
            &admin,
            "/api/v1/personal-ids",
            json!({"province": "42", "sex": "female", "birth_year": 2021}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["personal_id"].as_str().unwrap();
    assert!(id.starts_with("042321") && id.len() == 12, "{id}");
    let (status, body) = t
        .post(
            &admin,
            "/api/v1/personal-ids",
            json!({"province": "42", "sex": "other", "birth_year": 2021}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body"))
    );
}

#[tokio::test]
async fn staged_form_review_flow() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;

    let (status, page) = t.get(&admin, "/api/v1/forms").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    let form = &items[0];
    let id = form["id"].as_str().unwrap().to_owned();
    assert_eq!(form["source"], "nam-ha.csv");
    assert_eq!(form["row"], 7);
    assert_eq!(form["reason"], "findings");
    assert_eq!(form["status"], "draft");
    assert!(
        form["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f.as_str().unwrap().contains("que_quan")),
        "{form}"
    );
    assert_eq!(form["citizen"]["personal_id"], "042091009999");
    assert_eq!(form["citizen"]["full_name"], "Lê Văn Em");
    assert_eq!(form["citizen"]["birth_date"], "1991-02-02");
    assert_eq!(form["citizen"]["hometown"], Value::Null);

    // Not in the register until approved.
    assert_eq!(
        t.get(&admin, "/api/v1/citizens/042091009999").await.0,
        StatusCode::NOT_FOUND
    );

    let decision = format!("/api/v1/forms/{id}/decision");
    let decide = |body: Value| t.post(&admin, &decision, body);
    let (status, body) = decide(json!({"action": "verify", "comment": "ok"})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body"))
    );
    let (status, body) = decide(json!({"action": "reject"})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );
    let (status, body) = decide(json!({"action": "correct", "fields": {"khong_co": "x"}})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );

    let (status, corrected) =
        decide(json!({"action": "correct", "fields": {"que_quan": "42"}})).await;
    assert_eq!(status, StatusCode::OK, "{corrected}");
    assert_eq!(corrected["citizen"]["hometown"], "42");
    assert_eq!(corrected["status"], "draft");

    let (status, verified) = decide(json!({"action": "verify"})).await;
    assert_eq!(status, StatusCode::OK, "{verified}");
    assert_eq!(verified["status"], "verified");
    assert_eq!(verified["decided_by"], "admin");

    assert_eq!(verified["verified_by"], "admin");

    // Four eyes: the verifier does not approve; a second officer of the province does.
    let (status, body) = decide(json!({"action": "approve"})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("four_eyes_required")),
        "{body}"
    );
    let checker = t
        .officer(&admin, "kiem-duyet", "PC06-42", "province_officer")
        .await;
    let (status, approved) = t
        .post(&checker, &decision, json!({"action": "approve"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["decided_by"], "kiem-duyet");
    let (status, form) = t.get(&admin, &format!("/api/v1/forms/{id}")).await;
    assert_eq!(
        (status, form["status"].as_str()),
        (StatusCode::OK, Some("approved"))
    );

    // Decided forms leave the open queue; the record is official now.
    let (_, page) = t.get(&admin, "/api/v1/forms").await;
    assert_eq!(page["items"], json!([]));
    let (_, page) = t.get(&admin, "/api/v1/forms?status=approved").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (status, em) = t.get(&admin, "/api/v1/citizens/042091009999").await;
    assert_eq!(status, StatusCode::OK, "{em}");
    assert_eq!(
        (em["status"].as_str(), em["hometown"].as_str()),
        (Some("official"), Some("42"))
    );

    // A decided form takes no further decision.
    let (status, body) = decide(json!({"action": "approve"})).await;
    assert!(status == StatusCode::CONFLICT, "{status} {body}");

    let (status, body) = t.get(&admin, "/api/v1/forms/not-a-uuid").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );
    let (status, body) = t
        .get(&admin, "/api/v1/forms/00000000-0000-7000-8000-000000000000")
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, body) = t.get(&admin, "/api/v1/forms?status=pending").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_query"))
    );

    let (status, body) = t.get(&admin, "/api/v1/audit/verify").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["first_break"], Value::Null);
}

#[tokio::test]
async fn cookie_sessions_need_the_csrf_token_for_writes() {
    let t = spawn_app().await;
    let response = t
        .client
        .post(t.url("/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let login: Value = response.json().await.unwrap();
    let csrf = login["csrf_token"].as_str().unwrap().to_owned();
    let token = login["token"].as_str().unwrap().to_owned();
    assert!(
        cookie.starts_with(&format!("cancuoc_session={token};")),
        "{cookie}"
    );
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");

    // The jar sends the cookie: reads need nothing more.
    let (status, me) = t.send(t.client.get(t.url("/api/v1/auth/me"))).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["csrf_token"], csrf.as_str());

    let allocate = || {
        t.client
            .post(t.url("/api/v1/personal-ids"))
            .json(&json!({"province": "42", "sex": "male", "birth_year": 1990}))
    };
    let (status, body) = t.send(allocate()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("invalid_csrf_token"))
    );
    let (status, body) = t.send(allocate().header("X-CSRF-Token", "0000")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("invalid_csrf_token"))
    );
    let (status, body) = t.send(allocate().header("X-CSRF-Token", &csrf)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // A bearer token needs no CSRF token (no cookie jar here).
    let plain = client(false);
    let (status, body) = t
        .send(
            plain
                .post(t.url("/api/v1/personal-ids"))
                .bearer_auth(&token)
                .json(&json!({"province": "42", "sex": "male", "birth_year": 1990})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // A cookie sent by hand works like the jar's.
    let (status, _) = t
        .send(
            plain
                .get(t.url("/api/v1/auth/me"))
                .header(COOKIE, format!("lang=vi; cancuoc_session={token}")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Signing out needs the token too, and clears the cookie.
    let (status, body) = t.send(t.client.post(t.url("/api/v1/auth/logout"))).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("invalid_csrf_token"))
    );
    let response = t
        .client
        .post(t.url("/api/v1/auth/logout"))
        .header("X-CSRF-Token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(
        response.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let (status, _) = t.send(t.client.get(t.url("/api/v1/auth/me"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = t
        .send(plain.get(t.url("/api/v1/auth/me")).bearer_auth(&token))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn malformed_requests_get_the_error_shape() {
    let t = spawn_app().await;
    let login = t.url("/api/v1/auth/login");
    let expect = |status: StatusCode, code: &'static str| (status, Some(code));

    // Larger than the 1 MiB default.
    let big = format!(
        r#"{{"username": "admin", "password": "{}"}}"#,
        "x".repeat(1024 * 1024 + 10)
    );
    let (status, body) = t
        .send(
            t.client
                .post(&login)
                .header(CONTENT_TYPE, "application/json")
                .body(big),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        expect(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    );

    let (status, body) = t
        .send(
            t.client
                .post(&login)
                .json(&json!({"username": "admin", "password": "x", "role": "admin"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        expect(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
    );
    assert!(body["message"].as_str().unwrap().contains("role"), "{body}");
    let (status, body) = t
        .send(t.client.post(&login).json(&json!({"username": "admin"})))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        expect(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body")
    );
    let (status, body) = t
        .send(
            t.client
                .post(&login)
                .header(CONTENT_TYPE, "application/json")
                .body("{\"username\": "),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        expect(StatusCode::BAD_REQUEST, "invalid_json")
    );
    let (status, body) = t.send(t.client.post(&login).body("username=admin")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        expect(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );

    let admin = t.admin().await;
    let import = |content_type: &'static str, body: &'static str| {
        t.client
            .post(t.url("/api/v1/forms/import?name=x.csv"))
            .bearer_auth(&admin.token)
            .header(CONTENT_TYPE, content_type)
            .body(body)
    };
    let (status, body) = t.send(import("application/json", "{}")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        expect(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );
    let (status, body) = t.send(import(CSV, "ho_ten,ten_sai\nAn,x\n")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        expect(StatusCode::BAD_REQUEST, "invalid_file")
    );
    assert!(
        body["message"].as_str().unwrap().contains("header"),
        "{body}"
    );
    let (status, body) = t.send(import(CSV, "")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        expect(StatusCode::BAD_REQUEST, "invalid_file")
    );
    let (status, body) = t.send(import(XLSX, "not a zip")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        expect(StatusCode::BAD_REQUEST, "invalid_file")
    );
    // A file past a limit is answered with the limit's own code.
    let wide: &'static str =
        Box::leak(format!("so_dinh_danh,ho_ten{}ghi_chu\n", ",".repeat(100)).into_boxed_str());
    let (status, body) = t.send(import(CSV, wide)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        expect(StatusCode::BAD_REQUEST, "too_many_columns")
    );
    let (status, body) = t
        .send(
            t.client
                .post(t.url("/api/v1/forms/import?dry_run=perhaps"))
                .bearer_auth(&admin.token)
                .header(CONTENT_TYPE, CSV)
                .body(people_csv()),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        expect(StatusCode::BAD_REQUEST, "invalid_query")
    );
    // Imports take more than the default limit.
    let mut large = people_csv();
    let filler = "042090001234,123456789,Nguyễn Văn An,05/03/1990,Nam,42,42,Kinh,Không,VNM,O+,Đã kết hôn,18073,\"Số 5, Hà Huy Tập\",HK001,Chủ hộ,Nguyễn Văn Bình,Trần Thị Cúc\n";
    while large.len() < 1024 * 1024 + 1024 {
        large.push_str(filler);
    }
    let (status, body) = t
        .send(
            t.client
                .post(t.url("/api/v1/forms/import?dry_run=true"))
                .bearer_auth(&admin.token)
                .header(CONTENT_TYPE, CSV)
                .body(large),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["dry_run"], true);
}

#[tokio::test]
async fn a_smaller_body_limit_applies_everywhere_but_imports() {
    let t = spawn_app_with(ServerConfig {
        body_limit_bytes: 256,
        secure_cookies: true,
        ..ServerConfig::default()
    })
    .await;
    let response = t
        .client
        .post(t.url("/api/v1/auth/login"))
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .ends_with("; Secure")
    );
    let token = response.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = t
        .send(
            t.client
                .post(t.url("/api/v1/personal-ids"))
                .bearer_auth(&token)
                .json(&json!({"province": "42", "sex": "male", "birth_year": 1990, "pad": "x".repeat(300)})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
    let (status, body) = t
        .send(
            t.client
                .post(t.url("/api/v1/forms/import?dry_run=true"))
                .bearer_auth(&token)
                .header(CONTENT_TYPE, CSV)
                .body(people_csv()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn imports_an_xlsx_workbook() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    let csv = people_csv();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, line) in csv.lines().take(3).enumerate() {
        // The first rows have no quoted commas: split them as they are.
        let line = line.replace("\"Số 5, Hà Huy Tập\"", "Số 5 Hà Huy Tập");
        for (c, cell) in line.split(',').enumerate() {
            if !cell.is_empty() {
                let row = u32::try_from(r).unwrap();
                let col = u16::try_from(c).unwrap();
                sheet.write_string(row, col, cell).unwrap();
            }
        }
    }
    let bytes = book.save_to_buffer().unwrap();
    let (status, report) = t
        .send(
            t.client
                .post(t.url("/api/v1/forms/import?name=nam-ha.xlsx"))
                .bearer_auth(&admin.token)
                .header(CONTENT_TYPE, XLSX)
                .body(bytes),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        (report["rows"].as_u64(), report["accepted"].as_u64()),
        (Some(2), Some(2)),
        "{report}"
    );
    let (status, binh) = t.get(&admin, "/api/v1/citizens/042185004321").await;
    assert_eq!(status, StatusCode::OK, "{binh}");
    assert_eq!(binh["permanent_residence"]["address"], "Số 5 Hà Huy Tập");
}

/// An import answer lists the first thousand reasons and says how many it left out: a
/// file of bad rows cannot make an answer larger than itself many times over.
#[tokio::test]
async fn an_import_answer_lists_a_bounded_number_of_rejects() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    let mut csv = format!("{HEADER}\n");
    for i in 0..1_500 {
        csv.push_str(&format!(
            "04209000{i:04}X,,Người Sai,01/01/1990,Nam,42,42,Kinh,Không,VNM,,,18073,Tổ 1,,,,\n"
        ));
    }
    let (status, report) = t.import(&admin, &csv, "name=sai.csv").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["rejected_rows"], 1_500);
    assert_eq!(report["rejected"].as_array().unwrap().len(), 1_000);
    assert_eq!(report["rejected_left_out"], 500);
}

/// An upload is read row by row from disk while the store writes the rows before: a
/// file that turns out unreadable after thousands of good rows (here a byte that is not
/// UTF-8 in its last line) applies none of them.
#[tokio::test]
async fn a_file_that_breaks_off_late_applies_nothing() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    // Names told apart by their syllables (a name may not hold digits).
    let syllables = [
        "An", "Bình", "Cường", "Dũng", "Hòa", "Lâm", "Minh", "Nam", "Phúc", "Quân",
    ];
    let name = |i: usize| {
        let mut parts = vec!["Nguyễn"];
        for digit in format!("{i:04}").bytes() {
            parts.push(syllables[usize::from(digit - b'0')]);
        }
        parts.join(" ")
    };
    let mut csv = format!("{HEADER}\n");
    for i in 1..=2_500 {
        csv.push_str(&format!(
            "042090{i:06},,{},01/01/1990,Nam,42,42,Kinh,Không,VNM,,,18073,Tổ 1,,,,\n",
            name(i)
        ));
    }
    // Without the broken line, every row would be applied.
    let (status, report) = t.import(&admin, &csv, "dry_run=true").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["accepted"], 2_500, "{report}");
    let mut bytes = csv.into_bytes();
    bytes.extend_from_slice(
        b"042090999999,,Ng\xF0\x28\x8C\xBCi,01/01/1990,Nam,42,42,Kinh,Kh\xF4ng,VNM,,,18073,,,,,\n",
    );
    let (status, body) = t
        .send(
            t.client
                .post(t.url("/api/v1/forms/import?name=broken.csv"))
                .bearer_auth(&admin.token)
                .header(CONTENT_TYPE, CSV)
                .body(bytes),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_file")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("line 2502"),
        "{body}"
    );
    for id in ["042090000001", "042090001500", "042090002500"] {
        let (status, _) = t.get(&admin, &format!("/api/v1/citizens/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id} was applied");
    }
    let (status, forms) = t.get(&admin, "/api/v1/forms").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(forms["items"].as_array().map(Vec::len), Some(0), "{forms}");
}

/// A query parameter left blank is no parameter, as an HTML form sends it: a blank cursor
/// or state is the first page of every state, not a malformed value.
#[tokio::test]
async fn blank_query_values_are_absent_values() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    for path in [
        "/api/v1/forms?status=&cursor=&limit=5",
        "/api/v1/forms?unit=&status=",
    ] {
        let (status, body) = t.get(&admin, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert!(body["items"].is_array(), "{path}: {body}");
    }
    let (status, body) = t.get(&admin, "/api/v1/forms?status=maybe").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_query")),
        "{body}"
    );
}

/// Deeply nested JSON costs nothing: serde_json refuses nesting past 128 levels while it
/// parses, before the body meets its type; the server goes on serving.
#[tokio::test]
async fn deeply_nested_json_is_refused() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    for depth in [200, 100_000] {
        let body = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let (status, answer) = t
            .send(
                t.client
                    .post(t.url("/api/v1/applications"))
                    .bearer_auth(&admin.token)
                    .header(CONTENT_TYPE, "application/json")
                    .body(body),
            )
            .await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_json")),
            "depth {depth}: {answer}"
        );
    }
    let (status, _) = t.get(&admin, "/api/v1/auth/me").await;
    assert_eq!(status, StatusCode::OK);
}
