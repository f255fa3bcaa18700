//! Sign-in, sessions and passwords as an attacker inside the network would try them
//! (issue 14 §4): kept sessions after a password change, weak or unchanged passwords,
//! guessing the current password, disabling the last administrator, login CSRF, and the
//! response headers that keep personal data in URLs to this site.

mod support;

use reqwest::StatusCode;
use serde_json::json;
use support::*;

#[tokio::test]
async fn a_password_change_closes_every_other_session_and_refuses_weak_passwords() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    let here = t
        .officer(&admin, "lan.pt", "CAH-436", "district_officer")
        .await;
    // The same officer signed in at a second station (or with a stolen token).
    let there = t.login("lan.pt", "a-much-longer-password").await;
    assert_eq!(t.get(&there, "/api/v1/auth/me").await.0, StatusCode::OK);

    let change = |new: &str| {
        t.post(
            &here,
            "/api/v1/auth/password",
            json!({"current": "a-much-longer-password", "new": new}),
        )
    };
    for weak in [
        "a-much-longer-password",
        "Password2026!",
        "matkhau@12345678",
        "123456789012",
        "lan.pt-station-7",
    ] {
        let (status, body) = change(weak).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_input")),
            "{weak}: {body}"
        );
    }
    assert_eq!(
        t.get(&there, "/api/v1/auth/me").await.0,
        StatusCode::OK,
        "a refused change closes nothing"
    );
    let (status, body) = change("Sông Lam chảy qua Hà Tĩnh").await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(t.get(&here, "/api/v1/auth/me").await.0, StatusCode::OK);
    assert_eq!(
        t.get(&there, "/api/v1/auth/me").await.0,
        StatusCode::UNAUTHORIZED,
        "the other session is closed"
    );
}

#[tokio::test]
async fn guessing_the_current_password_is_throttled() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    let officer = t
        .officer(&admin, "lan.pt", "CAH-436", "district_officer")
        .await;
    let mut statuses = Vec::new();
    for i in 0..7 {
        let (status, _) = t
            .post(
                &officer,
                "/api/v1/auth/password",
                json!({"current": format!("guess-number-{i}"), "new": "Sông Lam chảy qua Hà Tĩnh"}),
            )
            .await;
        statuses.push(status);
    }
    assert_eq!(statuses[0], StatusCode::UNAUTHORIZED);
    assert_eq!(statuses[6], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    // Even the right password waits out the window now.
    let (status, _) = t
        .post(
            &officer,
            "/api/v1/auth/password",
            json!({"current": "a-much-longer-password", "new": "Sông Lam chảy qua Hà Tĩnh"}),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_only_administrator_cannot_be_disabled() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    let (status, body) = t
        .post(&admin, "/api/v1/officers/admin/disable", json!({}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_state")),
        "{body}"
    );
    assert_eq!(t.get(&admin, "/api/v1/auth/me").await.0, StatusCode::OK);
    // With a second administrator, still nobody disables their own account; the other
    // administrator may.
    let second = t.officer(&admin, "quan-tri-2", "BCA", "admin").await;
    let (status, body) = t
        .post(&admin, "/api/v1/officers/admin/disable", json!({}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_state")),
        "{body}"
    );
    let (status, body) = t
        .post(&second, "/api/v1/officers/admin/disable", json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    // And now the second is the last one.
    let (status, body) = t
        .post(&second, "/api/v1/officers/quan-tri-2/disable", json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[tokio::test]
async fn another_site_cannot_sign_a_browser_in() {
    let t = spawn_app().await;
    // Another site's page posts the sign-in form with the attacker's credentials: it has
    // neither the form's token nor the cookie that goes with it.
    let browser = client(true);
    let forged = post_form(
        &browser,
        t.url("/dang-nhap"),
        &[
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("csrf", "guessed"),
        ],
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(
        forged
            .headers()
            .get_all("set-cookie")
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("cancuoc_session=")),
        "no session for a forged sign-in"
    );
    // This server's own form signs in.
    let own = sign_in_form(
        &browser,
        t.url("/dang-nhap"),
        &[("username", "admin"), ("password", ADMIN_PASSWORD)],
    )
    .await;
    assert!(
        own.url().path().ends_with("/doi-mat-khau") || own.url().path().ends_with("/tra-cuu"),
        "{}",
        own.url()
    );
}

#[tokio::test]
async fn responses_keep_their_urls_to_this_site_and_are_compressed() {
    let t = spawn_app().await;
    let response = client(false)
        .get(t.url("/api/openapi.json"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers();
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["content-encoding"], "gzip");
    // Plain HTTP for the tests: no HSTS, which only means something over TLS.
    assert!(!headers.contains_key("strict-transport-security"));

    let secure = spawn_app_with(cancuoc_server::ServerConfig::default()).await;
    let response = client(false)
        .get(secure.url("/api/v1/health"))
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
}

/// Scope beyond the register's records: another province's production batch answers as
/// missing, its personal ID numbers are not another province's to draw, and an auditor
/// reads the trail of its own jurisdiction only.
#[tokio::test]
async fn other_provinces_batches_numbers_and_trail_stay_out_of_reach() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    let centre = t
        .officer(&admin, "trung-tam-sx", "C06-TTCC", "production_operator")
        .await;
    let nghe_an = t
        .officer(&admin, "pc06-40", "PC06-40", "province_officer")
        .await;
    let ha_tinh = t
        .officer(&admin, "pc06-42", "PC06-42", "province_officer")
        .await;

    let (status, batch) = t
        .post(&centre, "/api/v1/batches", json!({"province": "42"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{batch}");
    let path = format!("/api/v1/batches/{}", batch["id"].as_str().unwrap());
    assert_eq!(t.get(&ha_tinh, &path).await.0, StatusCode::OK);
    let (status, body) = t.get(&nghe_an, &path).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found")),
        "{body}"
    );

    let allocate = json!({"province": "42", "sex": "female", "birth_year": 2021});
    let (status, body) = t
        .post(&nghe_an, "/api/v1/personal-ids", allocate.clone())
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{body}"
    );
    let (status, body) = t.post(&ha_tinh, "/api/v1/personal-ids", allocate).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Hà Tĩnh's auditor sees its own officers' sign-ins, not Nghệ An's nor the ministry's.
    t.officer(&admin, "kiem-toan-42", "PC06-42", "auditor")
        .await;
    let browser = t.console_as("kiem-toan-42").await;
    let html = t
        .page(&browser, "/quan-tri/nhat-ky?action=auth.login")
        .await;
    assert!(html.contains("pc06-42"), "{html}");
    assert!(
        html.contains("Kết quả") && html.contains("Đã thực hiện"),
        "{html}"
    );
    assert!(
        !html.contains("pc06-40") && !html.contains("trung-tam-sx"),
        "{html}"
    );
}
