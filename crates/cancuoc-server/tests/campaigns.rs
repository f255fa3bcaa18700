//! Campaign steering through the API: campaigns, quotas by role and jurisdiction, the
//! progress report as intake happens, and the daily report's files.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests report a failure by panicking"
)]

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::*;

async fn put(t: &TestApp, s: &Session, path: &str, body: Value) -> (StatusCode, Value) {
    t.send(t.client.put(t.url(path)).bearer_auth(&s.token).json(&body))
        .await
}

fn row<'a>(report: &'a Value, unit: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit_code"] == unit)
        .unwrap_or_else(|| panic!("{unit} missing from {report}"))
}

#[tokio::test]
async fn quotas_and_progress_follow_roles_jurisdiction_and_intake() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    let province = t
        .officer(&admin, "minh.lv", "PC06-42", "province_officer")
        .await;
    let district = t
        .officer(&admin, "son.tv", "CAH-445", "district_officer")
        .await;
    let commune = t
        .officer(&admin, "hong.nt", "CAX-18073", "commune_officer")
        .await;

    // A campaign over the whole test run, so that today's intake falls in it.
    let body = json!({"name": "Chiến dịch 90 ngày", "start": "2021-01-01", "end": "2099-12-31"});
    let (status, campaign) = t.post(&province, "/api/v1/campaigns", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{campaign}");
    assert_eq!(
        campaign["unit"], "CAT-42",
        "a province police runs its own campaign"
    );
    let id = campaign["id"].as_str().unwrap().to_owned();
    // Below the province no one creates campaigns.
    let (status, err) = t
        .post(
            &district,
            "/api/v1/campaigns",
            json!({"name": "Huyện", "start": "2021-01-01", "end": "2021-02-01"}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{err}"
    );
    let (status, err) = t.post(&province, "/api/v1/campaigns", body).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    let (status, err) = t
        .post(
            &province,
            "/api/v1/campaigns",
            json!({"name": "Ngược", "start": "2021-06-30", "end": "2021-03-01"}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("before it starts"),
        "{err}"
    );
    let (status, err) = t
        .post(
            &commune,
            "/api/v1/campaigns",
            json!({"name": "X", "start": "2021-01-01", "end": "2021-02-01"}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, list) = t.get(&commune, "/api/v1/campaigns").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);

    // A province's campaign takes quotas for its own units only, whoever asks.
    let (status, err) = put(
        &t,
        &admin,
        &format!("/api/v1/campaigns/{id}/quotas/CAT-40"),
        json!({"total": 10}),
    )
    .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{err}"
    );

    // Shared by eligible population on the campaign's first day: the city has 3 of the
    // province's 5 eligible residents, Thạch Hà 2, the other units none.
    let quotas = format!("/api/v1/campaigns/{id}/quotas");
    let (status, by_people) = put(
        &t,
        &province,
        &format!("{quotas}/CAT-42"),
        json!({"total": 10, "split": "eligible"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{by_people}");
    let share = |unit: &str| {
        by_people
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["unit"] == unit)
            .unwrap()["total"]
            .clone()
    };
    assert_eq!((share("CAH-436"), share("CAH-445")), (json!(6), json!(4)));
    assert_eq!((share("PC06-42"), share("CAH-437")), (json!(0), json!(0)));

    // The province shares 1,000 equally among its 14 units: 71 each and the 6 left over
    // to the first six in code order, 1,000 in all.
    let (status, written) = put(
        &t,
        &province,
        &format!("{quotas}/CAT-42"),
        json!({"total": 1000, "daily": 140, "split": "equal"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{written}");
    let written = written.as_array().unwrap();
    assert_eq!(written.len(), 15);
    assert_eq!(written[0]["unit"], "CAT-42");
    let children: u64 = written[1..]
        .iter()
        .map(|q| q["total"].as_u64().unwrap())
        .sum();
    let daily: u64 = written[1..]
        .iter()
        .map(|q| q["daily"].as_u64().unwrap())
        .sum();
    assert_eq!((children, daily), (1000, 140));
    assert!(written[1..].iter().all(|q| q["daily"] == 10));

    // A district cannot steer the province, nor a unit outside its jurisdiction.
    let (status, err) = put(
        &t,
        &district,
        &format!("{quotas}/CAT-42"),
        json!({"total": 5}),
    )
    .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, err) = put(
        &t,
        &commune,
        &format!("{quotas}/CAX-18073"),
        json!({"total": 5}),
    )
    .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, err) = put(
        &t,
        &province,
        &format!("{quotas}/CAT-42"),
        json!({"total": 5, "daily": 6}),
    )
    .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );
    let (status, err) = put(
        &t,
        &province,
        &format!("{quotas}/CAX-18073"),
        json!({"total": 5, "split": "equal"}),
    )
    .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input")),
        "{err}"
    );

    // Before any intake: everyone eligible, nothing taken.
    let progress = format!("/api/v1/campaigns/{id}/progress?unit=CAT-42");
    let (status, before) = t.get(&province, &progress).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!(before["rows"][0]["unit_code"], "CAT-42");
    assert_eq!(before["rows"][0]["intake_day"], 0);
    assert_eq!(before["rows"][0]["eligible"], 5, "{before}");
    assert_eq!(row(&before, "CAH-436")["eligible"], 3);
    assert_eq!(row(&before, "CAH-445")["eligible"], 2);
    assert_eq!(row(&before, "PC06-42")["eligible"], Value::Null);

    // The commune takes An's application: the city's and the province's figures move.
    let (status, filed) = t
        .post(
            &commune,
            "/api/v1/applications",
            json!({"personal_id": "042090001234", "type": "cmnd_switch", "channel": "fixed"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let (_, after) = t.get(&province, &progress).await;
    let city = row(&after, "CAH-436");
    assert_eq!(city["intake_day"], 1, "{after}");
    assert_eq!(city["intake_period"], 1);
    assert_eq!(city["daily_pct"], 10.0);
    assert_eq!(city["eligible"], 2);
    assert_eq!(city["rank"], 1);
    assert_eq!(row(&after, "CAH-445")["rank"], 2);
    assert_eq!(after["rows"][0]["intake_day"], 1);
    assert_eq!(after["rows"][0]["eligible"], 4);
    assert_eq!(after["rows"][0]["daily_pct"], 0.7);

    // A district officer sees their own unit by default, ranked among its siblings,
    // and nothing above it.
    let (status, own) = t
        .get(&district, &format!("/api/v1/campaigns/{id}/progress"))
        .await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own["rows"][0]["unit_code"], "CAH-445");
    assert_eq!(own["rows"][0]["rank"], 2);
    let (status, err) = t.get(&district, &progress).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, err) = t
        .get(
            &province,
            &format!("/api/v1/campaigns/{id}/progress?date=2021-02-30"),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );
    let (status, _) = t
        .get(&province, "/api/v1/campaigns/not-a-uuid/progress")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The daily report as PDF and XLSX; another format is refused.
    for (format, media) in [("pdf", "application/pdf"), ("xlsx", XLSX)] {
        let response = t
            .client
            .get(t.url(&format!(
                "/api/v1/campaigns/{id}/daily-report?unit=CAT-42&format={format}"
            )))
            .bearer_auth(&province.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], media);
        assert!(
            response.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("bao-cao-ngay-CAT-42-")
        );
        assert!(!response.bytes().await.unwrap().is_empty());
    }
    let (status, err) = t
        .get(
            &province,
            &format!("/api/v1/campaigns/{id}/daily-report?format=doc"),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );
}
