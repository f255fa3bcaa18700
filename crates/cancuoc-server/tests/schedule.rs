//! Enrollment scheduling through the API: a unit's machines, a site and sessions, the
//! household invitations and their letters, the day (check-in, walk-in, the queue,
//! closing) and citizens booking and moving their own appointment.

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

async fn public(
    t: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    t.send(t.client.request(method, t.url(path)).json(&body))
        .await
}

#[tokio::test]
async fn a_session_from_invitations_to_the_end_of_the_day() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    let city = t
        .officer(&admin, "tuan.nv", "CAH-436", "district_officer")
        .await;
    let thach_ha = t
        .officer(&admin, "son.tv", "CAH-445", "district_officer")
        .await;

    for label in ["Bộ 1", "Bộ 2"] {
        let (status, m) = t
            .post(
                &city,
                "/api/v1/machines",
                json!({"unit": "CAH-436", "label": label, "minutes_per_application": 15}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{m}");
    }
    let (status, err) = t
        .post(
            &city,
            "/api/v1/machines",
            json!({"unit": "CAH-436", "label": "Bộ 1", "minutes_per_application": 15}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );
    // Another district's officer cannot equip this unit.
    let (status, _) = t
        .post(
            &thach_ha,
            "/api/v1/machines",
            json!({"unit": "CAH-436", "label": "Bộ 9", "minutes_per_application": 15}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let site_body = json!({
        "unit": "CAH-436", "name": "Trụ sở Công an phường Nam Hà", "kind": "fixed",
        "commune": "18073", "address": "Số 1 Hà Huy Tập", "opens": "00:00", "closes": "24:00"
    });
    let (status, site) = t.post(&city, "/api/v1/sites", site_body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{site}");
    let site_id = site["id"].as_str().unwrap().to_owned();
    let mut outside = site_body.clone();
    outside["commune"] = json!("18565");
    outside["name"] = json!("Ngoài địa bàn");
    let (status, err) = t.post(&city, "/api/v1/sites", outside).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    let mut bad_hours = site_body.clone();
    bad_hours["name"] = json!("Giờ sai");
    bad_hours["opens"] = json!("25:00");
    let (status, err) = t.post(&city, "/api/v1/sites", bad_hours).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input"))
    );

    // Today's session: one machine, all day, 30-minute slots of 2.
    let day = today().to_string();
    let (status, session) = t
        .post(
            &city,
            "/api/v1/sessions",
            json!({"site": site_id, "date": day, "from": "00:00", "to": "24:00", "machines": ["Bộ 1"], "officers": ["tuan.nv"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let id = session["id"].as_str().unwrap().to_owned();
    assert_eq!(session["slots"].as_array().unwrap().len(), 48);
    assert_eq!(session["slots"][0]["capacity"], 2);
    // The same machine cannot be out twice at once.
    let (status, err) = t
        .post(
            &city,
            "/api/v1/sessions",
            json!({"site": site_id, "date": day, "from": "08:00", "to": "09:00", "machines": ["Bộ 1"]}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict")),
        "{err}"
    );
    let (status, _) = t.get(&thach_ha, &format!("/api/v1/sessions/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Invitations: Nam Hà's two households of people due a card (An and Bình of HK001,
    // Cường of HK002); Em is still under review, not official.
    let (status, report) = t
        .post(
            &city,
            &format!("/api/v1/sessions/{id}/invitations"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        (report["households"].as_u64(), report["invited"].as_u64()),
        (Some(2), Some(3))
    );
    let (status, again) = t
        .post(
            &city,
            &format!("/api/v1/sessions/{id}/invitations"),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, again["invited"].as_u64()),
        (StatusCode::OK, Some(0))
    );
    let (_, list) = t
        .get(&city, &format!("/api/v1/sessions/{id}/appointments"))
        .await;
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 3);
    let by_name = |name: &str| list.iter().find(|a| a["name"] == name).unwrap().clone();
    let (an, binh, cuong) = (
        by_name("Nguyễn Văn An"),
        by_name("Nguyễn Thị Bình"),
        by_name("Nguyễn Văn Cường"),
    );
    // One household in one slot (two places), the next in the next.
    assert_eq!(an["household"], "HK001");
    assert_eq!(
        (
            an["slot"].as_u64(),
            binh["slot"].as_u64(),
            cuong["slot"].as_u64()
        ),
        (Some(1), Some(1), Some(2))
    );

    let letters = t
        .client
        .get(t.url(&format!("/api/v1/sessions/{id}/letters?format=csv")))
        .bearer_auth(&city.token)
        .send()
        .await
        .unwrap();
    assert_eq!(letters.status(), StatusCode::OK);
    let csv = letters.text().await.unwrap();
    assert_eq!(
        csv.trim_start_matches('\u{feff}').lines().count(),
        4,
        "{csv}"
    );
    assert!(
        csv.contains("Nguyễn Thị Bình") && csv.contains("HK002"),
        "{csv}"
    );
    let pdf = t
        .client
        .get(t.url(&format!("/api/v1/sessions/{id}/letters")))
        .bearer_auth(&city.token)
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));

    // A citizen sees their invitation only with both halves; a wrong pair says nothing of
    // which half was wrong.
    let (status, mine) = public(
        &t,
        reqwest::Method::POST,
        "/api/v1/public/appointment",
        json!({"personal_id": "042092005555", "birth_date": "03/1992"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["appointment"]["queue_number"], cuong["queue_number"]);
    assert_eq!(
        mine["appointment"]["site_name"],
        "Trụ sở Công an phường Nam Hà"
    );
    let (status, wrong) = public(
        &t,
        reqwest::Method::POST,
        "/api/v1/public/appointment",
        json!({"personal_id": "042092005555", "birth_date": "04/1992"}),
    )
    .await;
    let (status2, unknown) = public(
        &t,
        reqwest::Method::POST,
        "/api/v1/public/appointment",
        json!({"personal_id": "042092005556", "birth_date": "03/1992"}),
    )
    .await;
    assert_eq!(
        (status, status2),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    assert_eq!(wrong["message"], unknown["message"]);
    assert!(!wrong.to_string().contains("Cường"), "{wrong}");

    // Tomorrow's session takes bookings: Cường moves there, Hoa (of Thạch Hà, no
    // invitation) books, and cannot book twice.
    let tomorrow = today().tomorrow().unwrap().to_string();
    let (status, later) = t
        .post(
            &city,
            "/api/v1/sessions",
            json!({"site": site_id, "date": tomorrow, "from": "07:00", "to": "11:00", "machines": ["Bộ 2"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{later}");
    let later_id = later["id"].as_str().unwrap().to_owned();
    let (status, open) = t
        .send(t.client.get(t.url("/api/v1/public/sessions?commune=18073")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        open.as_array()
            .unwrap()
            .iter()
            .any(|s| s["session"] == later_id.as_str()),
        "{open}"
    );
    assert!(!open.to_string().contains("Nguyễn"), "{open}");
    let (status, moved) = public(
        &t,
        reqwest::Method::PUT,
        "/api/v1/public/appointment",
        json!({"personal_id": "042092005555", "birth_date": "03/1992", "session": later_id, "slot": 3}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["appointment"]["start"], "08:00");
    let hoa = json!({"personal_id": "042195008888", "birth_date": "01/01/1995", "session": later_id, "slot": 3});
    let (status, booked) = public(
        &t,
        reqwest::Method::POST,
        "/api/v1/public/bookings",
        hoa.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    assert_eq!(booked["appointment"]["origin"], "booked");
    let (status, err) = public(&t, reqwest::Method::POST, "/api/v1/public/bookings", hoa).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("conflict")),
        "{err}"
    );

    // The day: Bình by her number, An by his ID; An is called first (same slot, came
    // first); Dũng walks in and gets the next free slot.
    let (status, checked) = t
        .post(
            &city,
            &format!("/api/v1/sessions/{id}/check-ins"),
            json!({"personal_id": "042090001234"}),
        )
        .await;
    assert_eq!(
        (status, checked["state"].as_str()),
        (StatusCode::OK, Some("checked_in")),
        "{checked}"
    );
    let (status, checked) = t
        .post(
            &city,
            &format!("/api/v1/sessions/{id}/check-ins"),
            json!({"queue_number": binh["queue_number"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{checked}");
    let (status, err) = t
        .post(
            &city,
            &format!("/api/v1/sessions/{id}/check-ins"),
            json!({"queue_number": binh["queue_number"]}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_state")),
        "{err}"
    );
    let (status, err) = t
        .post(
            &city,
            &format!("/api/v1/sessions/{id}/check-ins"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    // Dũng, of Thạch Hà, walks in; only an officer whose jurisdiction covers him can
    // take him (here the administrator). Cường, booked for tomorrow, came today: his
    // booking moves here.
    let (status, _) = t
        .post(
            &city,
            &format!("/api/v1/sessions/{id}/walk-ins"),
            json!({"personal_id": "042088007777"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, walked) = t
        .post(
            &admin,
            &format!("/api/v1/sessions/{id}/walk-ins"),
            json!({"personal_id": "042088007777"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{walked}");
    assert_eq!(
        (walked["origin"].as_str(), walked["state"].as_str()),
        (Some("walk_in"), Some("checked_in"))
    );
    let (status, came_early) = t
        .post(
            &city,
            &format!("/api/v1/sessions/{id}/walk-ins"),
            json!({"personal_id": "042092005555"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{came_early}");
    assert_eq!(
        (
            came_early["session"].as_str(),
            came_early["origin"].as_str()
        ),
        (Some(id.as_str()), Some("invited"))
    );
    let (status, called) = t
        .post(&city, &format!("/api/v1/sessions/{id}/next"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{called}");
    assert_eq!(called["name"], "Nguyễn Văn An");
    let (status, queue) = t.get(&city, &format!("/api/v1/sessions/{id}/queue")).await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    assert_eq!(queue["called"][0]["name"], "Nguyễn Văn An");
    let waiting: Vec<&str> = queue["waiting"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(waiting[0], "Nguyễn Thị Bình");
    assert_eq!(waiting.len(), 3);
    // One machine, busy with An: each in line waits one more service.
    let waits: Vec<u64> = queue["waiting"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["expected_wait_min"].as_u64().unwrap())
        .collect();
    assert_eq!(waits, [15, 30, 45]);

    // An's application is filed: his appointment is served and linked to it.
    let (status, filed) = t
        .post(
            &city,
            "/api/v1/applications",
            json!({"personal_id": "042090001234", "type": "cmnd_switch", "channel": "fixed",
                   "old_card_returned": true, "biometrics": biometrics(None)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let (_, list) = t
        .get(&city, &format!("/api/v1/sessions/{id}/appointments"))
        .await;
    let an_now = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["personal_id"] == "042090001234")
        .unwrap();
    assert_eq!(an_now["state"], "served");
    assert_eq!(an_now["application"], filed["id"]);
    let (status, so_far) = t
        .get(&city, &format!("/api/v1/sessions/{id}/figures"))
        .await;
    assert_eq!(status, StatusCode::OK, "{so_far}");
    assert_eq!(so_far["served"], 1);
    // One 15-minute application of a 24-hour machine day.
    let utilisation = so_far["machine_utilisation"].as_f64().unwrap();
    assert!((utilisation - 0.010).abs() < 0.0006, "{so_far}");
    assert_eq!(so_far["idle_machine_min"], 24 * 60 - 15);

    let (status, _) = t
        .post(&city, &format!("/api/v1/sessions/{id}/no-shows"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, closed) = t
        .post(&city, &format!("/api/v1/sessions/{id}/close"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["walk_ins"], 1);
    assert_eq!(closed["no_shows"], 0);
    assert_eq!(closed["served"], 1);
    assert_eq!(closed["still_waiting"], 3);
    assert_eq!(closed["appointments"], 4);
    let (status, err) = t
        .post(&city, &format!("/api/v1/sessions/{id}/close"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
}

#[tokio::test]
async fn wrong_pairs_are_throttled() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    for _ in 0..5 {
        let (status, _) = public(
            &t,
            reqwest::Method::POST,
            "/api/v1/public/appointment",
            json!({"personal_id": "042090001234", "birth_date": "01/01/1990"}),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    // Even the right pair is refused for a while now.
    let (status, err) = public(
        &t,
        reqwest::Method::POST,
        "/api/v1/public/appointment",
        json!({"personal_id": "042090001234", "birth_date": "05/03/1990"}),
    )
    .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts")),
        "{err}"
    );
}

#[tokio::test]
async fn a_small_neighbouring_commune_is_invited_to_the_team_site() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    // One eligible resident in Nguyễn Du (18077), three minutes by road from Nam Hà (18073).
    let csv = format!(
        "{HEADER}\n042193001111,,Võ Thị Lan,07/07/1993,Nữ,42,42,Kinh,Không,VNM,,,18077,Tổ 1,HK300,Chủ hộ,,\n"
    );
    let (status, report) = t.import(&admin, &csv, "name=nguyen-du.csv").await;
    assert_eq!(
        (status, report["accepted"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{report}"
    );
    let city = t
        .officer(&admin, "tuan.nv", "CAH-436", "district_officer")
        .await;
    t.post(
        &city,
        "/api/v1/machines",
        json!({"unit": "CAH-436", "label": "Bộ 1", "minutes_per_application": 15}),
    )
    .await;
    let from = today()
        .checked_add(jiff::Span::new().days(cancuoc_app::PLAN_LEAD_DAYS))
        .unwrap();
    let body = json!({"unit": "CAH-436", "from": from.to_string(), "to": from.to_string()});
    let where_invited = |plan: &Value| -> Vec<(String, String)> {
        plan["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["commune"].as_str().unwrap().to_owned(),
                    s["invites"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    // Kept apart, the team drives to Nguyễn Du for one person.
    let mut apart = body.clone();
    apart["gather_within_min"] = json!(0);
    let (status, plan) = t.post(&city, "/api/v1/plans", apart).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert!(
        where_invited(&plan).contains(&("18077".into(), "18077".into())),
        "{plan}"
    );
    // By default the team stays at one site and the other ward's people come to it.
    let mut accept = body.clone();
    accept["accept"] = json!(true);
    let (status, made) = t.post(&city, "/api/v1/plans", accept).await;
    assert_eq!(status, StatusCode::OK, "{made}");
    let seen = where_invited(&made);
    let site = seen[0].0.clone();
    assert!(seen.iter().all(|(s, _)| *s == site), "one site: {made}");
    let mut invited: Vec<&str> = seen.iter().map(|(_, i)| i.as_str()).collect();
    invited.sort_unstable();
    invited.dedup();
    assert_eq!(invited, ["18073", "18077"], "{made}");
    assert_eq!(made["accepted"]["invitations"]["invited"], 4, "{made}");
    assert_eq!(made["accepted"]["sites_created"], 1, "{made}");
    let (_, sessions) = t
        .get(
            &city,
            &format!("/api/v1/sessions?unit=CAH-436&from={from}&to={from}"),
        )
        .await;
    let gathered = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["invites"] != s["site"]["commune"])
        .unwrap_or_else(|| panic!("{sessions}"));
    assert_eq!(gathered["site"]["commune"], site.as_str(), "{gathered}");
    let held: u64 = gathered["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|slot| slot["held"].as_u64().unwrap())
        .sum();
    // Nam Hà has three eligible, Nguyễn Du one: each held where its people were asked.
    let expected = if gathered["invites"] == "18077" { 1 } else { 3 };
    assert_eq!(held, expected, "{gathered}");
    // Nobody of the gathered ward comes; it has no session of its own left, so they are
    // asked back to the next session at the site they were asked to.
    let next_day = from.tomorrow().unwrap();
    let (status, later) = t
        .post(
            &city,
            "/api/v1/sessions",
            json!({"site": gathered["site"]["id"], "date": next_day.to_string(), "from": "07:00", "to": "09:00"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{later}");
    let gathered_id = gathered["id"].as_str().unwrap();
    let (status, closed) = t
        .post(
            &city,
            &format!("/api/v1/sessions/{gathered_id}/close"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["no_shows"], expected, "{closed}");
    let later_id = later["id"].as_str().unwrap();
    let (_, again) = t
        .get(&city, &format!("/api/v1/sessions/{later_id}/appointments"))
        .await;
    assert_eq!(
        again.as_array().map(Vec::len),
        Some(usize::try_from(expected).unwrap()),
        "{again}"
    );
    // A reach beyond an hour is refused with the field named.
    let mut far = body.clone();
    far["gather_within_min"] = json!(90);
    let (status, err) = t.post(&city, "/api/v1/plans", far).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("gather_within_min"),
        "{err}"
    );
}

#[tokio::test]
async fn a_plan_is_proposed_and_accepted_over_the_api() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    let city = t
        .officer(&admin, "tuan.nv", "CAH-436", "district_officer")
        .await;
    let from = today()
        .checked_add(jiff::Span::new().days(cancuoc_app::PLAN_LEAD_DAYS))
        .unwrap();
    let to = from.checked_add(jiff::Span::new().days(6)).unwrap();
    let body = json!({"unit": "CAH-436", "from": from.to_string(), "to": to.to_string()});
    // Without machines there is nothing to plan with.
    let (status, err) = t.post(&city, "/api/v1/plans", body.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert!(
        err["message"].as_str().unwrap().contains("machines"),
        "{err}"
    );
    for label in ["Bộ 1", "Bộ 2"] {
        t.post(
            &city,
            "/api/v1/machines",
            json!({"unit": "CAH-436", "label": label, "minutes_per_application": 15}),
        )
        .await;
    }
    // Tomorrow is too soon to accept: the letters would not arrive in time.
    let tomorrow = today().tomorrow().unwrap();
    let (status, err) = t
        .post(
            &city,
            "/api/v1/plans",
            json!({"unit": "CAH-436", "from": tomorrow.to_string(), "to": tomorrow.to_string(), "accept": true}),
        )
        .await;
    assert_eq!(
        (status, err["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input")),
        "{err}"
    );
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("3 days to reach households"),
        "{err}"
    );
    let (status, plan) = t.post(&city, "/api/v1/plans", body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["eligible"], 3);
    assert!(plan["accepted"].is_null());
    let mut accept = body.clone();
    accept["accept"] = json!(true);
    let (status, made) = t.post(&city, "/api/v1/plans", accept.clone()).await;
    assert_eq!(status, StatusCode::OK, "{made}");
    let accepted = &made["accepted"];
    assert_eq!(accepted["invitations"]["invited"], 3, "{made}");
    assert_eq!(accepted["sites_created"], 1);
    let (_, sessions) = t
        .get(
            &city,
            &format!("/api/v1/sessions?unit=CAH-436&from={from}&to={to}"),
        )
        .await;
    let sessions = sessions.as_array().unwrap();
    assert_eq!(
        sessions.len(),
        usize::try_from(accepted["sessions"].as_u64().unwrap()).unwrap()
    );
    let held: u64 = sessions
        .iter()
        .flat_map(|s| s["slots"].as_array().unwrap())
        .map(|slot| {
            assert!(slot["held"].as_u64() <= slot["limit"].as_u64(), "{slot}");
            slot["held"].as_u64().unwrap()
        })
        .sum();
    assert_eq!(held, 3);
    // Accepting again would send the same machines out twice.
    let (status, err) = t.post(&city, "/api/v1/plans", accept).await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");

    // What it takes to finish: the 3 residents need one machine; the unit has two.
    let (status, need) = t
        .get(
            &city,
            &format!("/api/v1/schedule/need?unit=CAH-436&by={to}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{need}");
    let row = &need["units"][0];
    assert_eq!(row["unit"], "CAH-436", "{need}");
    assert_eq!(row["machines"], 2, "{need}");
    assert_eq!(row["machines_needed"], 1, "{need}");
    assert_eq!(row["lower_bound_machines"], 1, "{need}");
    assert!(
        row["finishes_on"].as_str().unwrap() <= to.to_string().as_str(),
        "{need}"
    );
    let (status, err) = t
        .get(&city, "/api/v1/schedule/need?unit=CAH-436&by=2021-06-30")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .starts_with("by: plans made today start on"),
        "{err}"
    );
    let (status, _) = t
        .get(
            &city,
            &format!("/api/v1/schedule/need?unit=CAH-437&by={to}"),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another district's need is not this officer's"
    );
}

/// Posts a form to the booking page and returns the status and the HTML.
async fn page(t: &TestApp, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let response = post_form(&t.client, t.url(path), form).await;
    let status = response.status();
    assert!(
        response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn the_booking_page_works_without_scripts() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    let city = t
        .officer(&admin, "tuan.nv", "CAH-436", "district_officer")
        .await;
    t.post(
        &city,
        "/api/v1/machines",
        json!({"unit": "CAH-436", "label": "Bộ 1", "minutes_per_application": 15}),
    )
    .await;
    let (_, site) = t
        .post(
            &city,
            "/api/v1/sites",
            json!({"unit": "CAH-436", "name": "Nhà văn hóa tổ 3", "kind": "mobile", "commune": "18073",
                   "address": "Tổ 3, phường Nam Hà", "opens": "07:00", "closes": "17:00"}),
        )
        .await;
    let tomorrow = today().tomorrow().unwrap();
    let (status, session) = t
        .post(
            &city,
            "/api/v1/sessions",
            json!({"site": site["id"], "date": tomorrow.to_string(), "from": "07:00", "to": "09:00"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let session_id = session["id"].as_str().unwrap().to_owned();

    let form = t.client.get(t.url("/dat-lich")).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let html = form.text().await.unwrap();
    assert!(html.contains("<label for=\"personal_id\">"), "{html}");
    assert!(html.contains("lang=\"vi\""));
    let english = t
        .client
        .get(t.url("/dat-lich?lang=en"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("Personal ID number"), "{english}");

    let (status, html) = page(
        &t,
        "/dat-lich",
        &[
            ("personal_id", "042090001234"),
            ("birth_date", "06/03/1990"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Không tìm thấy công dân"), "{html}");
    assert!(!html.contains("Nguyễn Văn An"));

    let proof = [
        ("personal_id", "042090001234"),
        ("birth_date", "05/03/1990"),
    ];
    let (status, html) = page(&t, "/dat-lich", &proof).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Nguyễn Văn An") && html.contains("Bạn chưa có lịch hẹn"),
        "{html}"
    );
    assert!(html.contains(&session_id), "{html}");
    assert!(html.contains("07:30–08:00"), "{html}");

    let choice = [
        proof[0],
        proof[1],
        ("session", session_id.as_str()),
        ("slot", "2"),
    ];
    let (status, html) = page(&t, "/dat-lich/chon", &choice).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Đã ghi nhận lịch hẹn"), "{html}");
    assert!(
        html.contains("Nhà văn hóa tổ 3") && html.contains("07:30–08:00"),
        "{html}"
    );
    // The officer sees the booking in the slot.
    let (_, now) = t
        .get(&city, &format!("/api/v1/sessions/{session_id}"))
        .await;
    assert_eq!(now["slots"][1]["held"], 1);
}

#[tokio::test]
async fn no_shows_are_invited_again_to_the_next_session_of_their_commune() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    let city = t
        .officer(&admin, "tuan.nv", "CAH-436", "district_officer")
        .await;
    t.post(
        &city,
        "/api/v1/machines",
        json!({"unit": "CAH-436", "label": "Bộ 1", "minutes_per_application": 15}),
    )
    .await;
    let (_, site) = t
        .post(
            &city,
            "/api/v1/sites",
            json!({"unit": "CAH-436", "name": "Nhà văn hóa tổ 3", "kind": "mobile", "commune": "18073",
                   "address": "Tổ 3, phường Nam Hà", "opens": "07:00", "closes": "17:00"}),
        )
        .await;
    let session = |day: jiff::civil::Date, from: &str, to: &str| json!({"site": site["id"], "date": day.to_string(), "from": from, "to": to});
    let today = today();
    // A session sooner than a letter can arrive is passed over for the one after.
    let soon = today.tomorrow().unwrap();
    let later = today
        .checked_add(jiff::Span::new().days(cancuoc_app::PLAN_LEAD_DAYS))
        .unwrap();
    let (status, too_soon) = t
        .post(&city, "/api/v1/sessions", session(soon, "07:00", "08:30"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{too_soon}");
    let (status, first) = t
        .post(&city, "/api/v1/sessions", session(today, "07:00", "09:00"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    // The commune's next session a letter can reach in time.
    let (status, next) = t
        .post(&city, "/api/v1/sessions", session(later, "07:00", "08:30"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{next}");
    let (first, next) = (
        first["id"].as_str().unwrap().to_owned(),
        next["id"].as_str().unwrap().to_owned(),
    );
    let (status, report) = t
        .post(
            &city,
            &format!("/api/v1/sessions/{first}/invitations"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["invited"], 3, "{report}");
    // Nobody came.
    let (status, closed) = t
        .post(&city, &format!("/api/v1/sessions/{first}/close"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["no_shows"], 3, "{closed}");
    let (_, again) = t
        .get(&city, &format!("/api/v1/sessions/{next}/appointments"))
        .await;
    let again = again.as_array().unwrap();
    assert_eq!(again.len(), 3, "{again:?}");
    assert!(
        again
            .iter()
            .all(|a| a["origin"] == "invited" && a["state"] == "booked")
    );
    let soon_id = too_soon["id"].as_str().unwrap().to_owned();
    let (_, passed_over) = t
        .get(&city, &format!("/api/v1/sessions/{soon_id}/appointments"))
        .await;
    assert_eq!(
        passed_over.as_array().map(Vec::len),
        Some(0),
        "{passed_over}"
    );
    // The letters of the next session name them, household by household.
    let letters = t
        .client
        .get(t.url(&format!("/api/v1/sessions/{next}/letters?format=csv")))
        .bearer_auth(&city.token)
        .send()
        .await
        .unwrap();
    assert_eq!(letters.status(), StatusCode::OK);
    let csv = letters.text().await.unwrap();
    assert!(
        csv.contains("Nguyễn Văn An") && csv.contains("Nguyễn Văn Cường") && csv.contains("HK002"),
        "{csv}"
    );
}
