//! The console's pages over HTTP (a cookie-keeping client, no browser): sign-in by form,
//! CSRF on every form, and the application queue's bulk step.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests report a failure by panicking"
)]

mod support;

use reqwest::StatusCode;
use serde_json::json;
use support::*;

#[tokio::test]
async fn a_district_officer_verifies_the_days_applications_from_the_queue() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    let commune = t
        .officer(&admin, "hong.nt", "CAX-18073", "commune_officer")
        .await;
    let district = t
        .officer(&admin, "lan.pt", "CAH-436", "district_officer")
        .await;
    let (status, filed) = t
        .post(
            &commune,
            "/api/v1/applications",
            json!({"personal_id": "042090001234", "type": "cmnd_switch", "channel": "fixed",
                   "old_card_returned": true, "biometrics": biometrics(None)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let receipt = filed["receipt"].as_str().unwrap().to_owned();

    let browser = client(true);
    // Not signed in: the queue sends to the sign-in page.
    let page = browser.get(t.url("/ho-so")).send().await.unwrap();
    assert!(page.url().path().ends_with("/dang-nhap"), "{}", page.url());
    let wrong = sign_in_form(
        &browser,
        t.url("/dang-nhap"),
        &[("username", "lan.pt"), ("password", "not-it")],
    )
    .await;
    assert!(wrong.text().await.unwrap().contains("Sai tên đăng nhập"));
    let signed_in = sign_in_form(
        &browser,
        t.url("/dang-nhap"),
        &[
            ("username", "lan.pt"),
            ("password", "a-much-longer-password"),
        ],
    )
    .await;
    assert!(
        signed_in.url().path().ends_with("/tra-cuu"),
        "{}",
        signed_in.url()
    );

    let queue = browser.get(t.url("/ho-so")).send().await.unwrap();
    let html = queue.text().await.unwrap();
    assert!(html.contains(&receipt), "{html}");
    // The queue counts its applications, names each citizen and says the type in words.
    assert!(html.contains("Tổng số: 1"), "{html}");
    assert!(html.contains("Nguyễn Văn An"), "{html}");
    assert!(html.contains("Chuyển từ CMND sang CCCD"), "{html}");
    assert!(!html.contains("cmnd_switch</td>"), "{html}");
    let csrf = csrf_of(&html);
    let key = filed["id"].as_str().unwrap();

    // A form with another token is refused and changes nothing.
    let forged = post_form(
        &browser,
        t.url("/ho-so"),
        &[
            ("csrf", "forged"),
            ("state", "received"),
            ("action", "verify"),
            ("key", key),
        ],
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let done = post_form(
        &browser,
        t.url("/ho-so"),
        &[
            ("csrf", &csrf),
            ("state", "received"),
            ("action", "verify"),
            ("key", key),
        ],
    )
    .await;
    let html = done.text().await.unwrap();
    assert!(html.contains("Đã xử lý: 1"), "{html}");
    assert!(!html.contains(&receipt), "no longer received: {html}");
    // A district officer may not approve: the queue says why.
    let verified = browser
        .get(t.url("/ho-so?state=verified"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(verified.contains(&receipt), "{verified}");
    let refused = post_form(
        &browser,
        t.url("/ho-so"),
        &[
            ("csrf", &csrf),
            ("state", "verified"),
            ("action", "approve"),
            ("key", key),
        ],
    )
    .await;
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("Đã xử lý: 0") && html.contains("Không xử lý được"),
        "{html}"
    );
    let (_, app) = t
        .get(&district, &format!("/api/v1/applications/{key}"))
        .await;
    assert_eq!(app["state"], "verified");
}

#[tokio::test]
async fn a_staged_record_is_verified_and_approved_from_the_review_page() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    let district = t
        .officer(&admin, "lan.pt", "CAH-436", "district_officer")
        .await;
    let browser = t.console_as("lan.pt").await;
    let html = t.page(&browser, "/ho-so-cho-duyet").await;
    // Lê Văn Em's row had no hometown: staged with that finding, said in Vietnamese.
    assert!(
        html.contains("Lê Văn Em") && html.contains("Thiếu Quê quán"),
        "{html}"
    );
    assert!(!html.contains("missing field"), "{html}");
    let csrf = csrf_of(&html);
    let at = html.find("name=\"id\" value=\"").unwrap() + 17;
    let id = html[at..].split('"').next().unwrap().to_owned();
    let verified = post_form(
        &browser,
        t.url("/ho-so-cho-duyet"),
        &[("csrf", &csrf), ("id", &id), ("action", "verify")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(verified.contains("Lê Văn Em: Đã xác minh"), "{verified}");
    // The verifier is shown no approve button, only that another officer approves.
    assert!(
        verified.contains("chờ một cán bộ khác phê duyệt")
            && !verified.contains("value=\"approve\""),
        "{verified}"
    );
    // Four eyes: the officer who verified is told, in Vietnamese, to leave it to another.
    let refused = post_form(
        &browser,
        t.url("/ho-so-cho-duyet"),
        &[("csrf", &csrf), ("id", &id), ("action", "approve")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(refused.contains("không được tự phê duyệt"), "{refused}");
    t.officer(&admin, "minh.nv", "CAH-436", "district_officer")
        .await;
    let checker = t.console_as("minh.nv").await;
    let html = t.page(&checker, "/ho-so-cho-duyet").await;
    let csrf = csrf_of(&html);
    assert!(
        html.contains("value=\"approve\"") && html.contains("lan.pt"),
        "the checker sees who verified and may approve: {html}"
    );
    let approved = post_form(
        &checker,
        t.url("/ho-so-cho-duyet"),
        &[("csrf", &csrf), ("id", &id), ("action", "approve")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(approved.contains("Lê Văn Em: Đã duyệt"), "{approved}");
    let (status, citizen) = t.get(&district, "/api/v1/citizens/042091009999").await;
    assert_eq!(status, StatusCode::OK, "{citizen}");
    assert_eq!(citizen["status"], "official", "{citizen}");
}

/// Thạch Hà's district imports Nguyễn Văn An of Nam Hà (city of Hà Tĩnh) as moved into
/// Ngọc Sơn: a colleague there is told that an officer above approves, with no button to
/// press; the province sees the button and approves.
#[tokio::test]
async fn a_move_in_is_left_to_the_officer_above_on_the_review_page() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    let importer = t
        .officer(&admin, "thu.lt", "CAH-445", "district_officer")
        .await;
    let moved = format!(
        "{HEADER}\n042090001234,123456789,Nguyễn Văn An,05/03/1990,Nam,42,42,Kinh,Không,VNM,O+,Đã kết hôn,18565,Thôn Trung,,,Nguyễn Văn Bình,Trần Thị Cúc\n"
    );
    let (status, report) = t.import(&importer, &moved, "name=chuyen-den.csv").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["flagged"], 1, "{report}");
    let (_, forms) = t.get(&importer, "/api/v1/forms").await;
    let id = forms["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(forms["items"][0]["reason"], "move_in", "{forms}");
    assert_eq!(forms["items"][0]["approvable_here"], false, "{forms}");
    let (status, body) = t
        .post(
            &importer,
            &format!("/api/v1/forms/{id}/decision"),
            json!({"action": "verify"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    t.officer(&admin, "hai.nv", "CAH-445", "district_officer")
        .await;
    let colleague = t.console_as("hai.nv").await;
    let html = t.page(&colleague, "/ho-so-cho-duyet").await;
    assert!(
        html.contains("cán bộ cấp trên quản lý cả hai nơi phê duyệt")
            && !html.contains("value=\"approve\""),
        "{html}"
    );
    t.officer(&admin, "tam.vt", "PC06-42", "province_officer")
        .await;
    let province = t.console_as("tam.vt").await;
    let html = t.page(&province, "/ho-so-cho-duyet").await;
    assert!(html.contains("value=\"approve\""), "{html}");
    let approved = post_form(
        &province,
        t.url("/ho-so-cho-duyet"),
        &[
            ("csrf", &csrf_of(&html)),
            ("id", &id),
            ("action", "approve"),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(approved.contains("Nguyễn Văn An: Đã duyệt"), "{approved}");
    let (status, _) = t.get(&importer, "/api/v1/citizens/042090001234").await;
    assert_eq!(status, StatusCode::OK, "the citizen now lives in Thạch Hà");
}

/// A new officer's one-time password is shown once, in the answer to the form, and never
/// travels in a URL (a redirect's query would stay in the browser's history).
#[tokio::test]
async fn a_one_time_password_is_never_put_into_a_url() {
    let t = spawn_app().await;
    let browser = client(true);
    sign_in_form(
        &browser,
        t.url("/dang-nhap"),
        &[("username", "admin"), ("password", ADMIN_PASSWORD)],
    )
    .await;
    let html = t.page(&browser, "/quan-tri/can-bo").await;
    let answer = post_form(
        &browser,
        t.url("/quan-tri/can-bo"),
        &[
            ("csrf", &csrf_of(&html)),
            ("action", "add"),
            ("username", "moi.cb"),
            ("full_name", "Cán Bộ Mới"),
            ("unit", "CAX-18073"),
            ("role", "commune_officer"),
        ],
    )
    .await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert!(!answer.url().as_str().contains("msg="), "{}", answer.url());
    let html = answer.text().await.unwrap();
    let shown = "Mật khẩu dùng một lần của moi.cb: ";
    let at = html.find(shown).expect(&html) + shown.len();
    let otp: String = html[at..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    assert_eq!(otp.len(), 16, "{html}");
    let (status, body) = t
        .send(
            client(false)
                .post(t.url("/api/v1/auth/login"))
                .json(&json!({"username": "moi.cb", "password": otp})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the shown password signs in: {body}"
    );
}

#[tokio::test]
async fn sign_in_is_throttled_and_an_old_id_card_number_finds_its_citizen() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    t.officer(&admin, "lan.pt", "CAH-436", "district_officer")
        .await;
    let browser = client(true);
    let signed_in = sign_in_form(
        &browser,
        t.url("/dang-nhap"),
        &[
            ("username", "lan.pt"),
            ("password", "a-much-longer-password"),
        ],
    )
    .await;
    assert!(signed_in.url().path().ends_with("/tra-cuu"));
    // Nine digits: the old ID card number (CMND) Nguyễn Văn An held.
    let found = browser
        .get(t.url("/tra-cuu?q=123456789"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(found.contains("/cong-dan/042090001234"), "{found}");
    // Results name the commune, so that namesakes can be told apart.
    assert!(found.contains("Số 5, Hà Huy Tập, Phường Nam Hà"), "{found}");
    // A name without its middle word, with the birth year after it, still finds him.
    let found = browser
        .get(t.url("/tra-cuu?q=nguyen%20an%201990"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(found.contains("/cong-dan/042090001234"), "{found}");
    let wrong_year = browser
        .get(t.url("/tra-cuu?q=nguyen%20an%201991"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !wrong_year.contains("/cong-dan/042090001234"),
        "{wrong_year}"
    );
    // Twelve digits go straight to the citizen; English on request.
    let page = browser
        .get(t.url("/tra-cuu?q=042090001234&lang=en"))
        .send()
        .await
        .unwrap();
    assert!(page.url().path().ends_with("/cong-dan/042090001234"));
    assert!(page.text().await.unwrap().contains("Household HK001"));
    // The citizen page in Vietnamese: the form's facts with each place named in full,
    // and the page's title is the name alone.
    let html = browser
        .get(t.url("/cong-dan/042090001234?lang=vi"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let title = html
        .split("<title>")
        .nth(1)
        .and_then(|rest| rest.split("</title>").next())
        .unwrap();
    assert!(title.starts_with("Nguyễn Văn An ·"), "{title}");
    assert!(!title.contains('<'), "{title}");
    for fact in [
        "<dt>Quê quán</dt><dd>Tỉnh Hà Tĩnh</dd>",
        "<dt>Dân tộc</dt><dd>Kinh</dd>",
        "<dt>Họ, chữ đệm và tên cha</dt><dd>Nguyễn Văn Bình</dd>",
        "<dt>Họ, chữ đệm và tên mẹ</dt><dd>Trần Thị Cúc</dd>",
        "Số 5, Hà Huy Tập, Phường Nam Hà, Thành phố Hà Tĩnh, Tỉnh Hà Tĩnh",
    ] {
        assert!(html.contains(fact), "{fact} in {html}");
    }
    assert!(html.contains("Không có hồ sơ."), "{html}");

    let stranger = client(true);
    for _ in 0..4 {
        let wrong = sign_in_form(
            &stranger,
            t.url("/dang-nhap"),
            &[("username", "lan.pt"), ("password", "guess")],
        )
        .await;
        assert!(wrong.text().await.unwrap().contains("Sai tên đăng nhập"));
    }
    let refused = sign_in_form(
        &stranger,
        t.url("/dang-nhap"),
        &[
            ("username", "lan.pt"),
            ("password", "a-much-longer-password"),
        ],
    )
    .await;
    let html = refused.text().await.unwrap();
    assert!(html.contains("Đăng nhập sai quá nhiều lần"), "{html}");
}

#[tokio::test]
async fn a_commune_lists_its_residents_filters_them_and_downloads_the_list() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    t.officer(&admin, "xa.namha", "CAX-18073", "commune_officer")
        .await;
    let browser = client(true);
    sign_in_form(
        &browser,
        t.url("/dang-nhap"),
        &[
            ("username", "xa.namha"),
            ("password", "a-much-longer-password"),
        ],
    )
    .await;
    let get = |path: &str| {
        let request = browser.get(t.url(path));
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let headers = response.headers().clone();
            (status, headers, response.bytes().await.unwrap().to_vec())
        }
    };
    let html = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();

    // Nam Hà's official residents, in the order of names; Ngọc Sơn's are not the commune's.
    let (status, _, page) = get("/dan-cu").await;
    let page = html(page);
    assert_eq!(status, StatusCode::OK, "{page}");
    let at = |name: &str| {
        page.find(name)
            .unwrap_or_else(|| panic!("{name} in {page}"))
    };
    assert!(at("Nguyễn Thị Bình") < at("Nguyễn Văn An"));
    assert!(at("Nguyễn Văn An") < at("Nguyễn Văn Cường"));
    assert!(!page.contains("Nguyễn Văn Dũng"), "{page}");
    assert!(page.contains("Phường Nam Hà"), "{page}");

    // Nobody in Nam Hà is 14 to 17; every one of them is due a card, none lacks a field.
    let (_, _, band) = get("/dan-cu?band=14-17").await;
    assert!(html(band).contains("Không có ai trong danh sách."));
    let (_, _, due) = get("/dan-cu?filter=due_a_card").await;
    let due = html(due);
    for name in ["Nguyễn Thị Bình", "Nguyễn Văn An", "Nguyễn Văn Cường"] {
        assert!(due.contains(name), "{name} in {due}");
    }
    let (_, _, missing) = get("/dan-cu?filter=missing_fields").await;
    assert!(html(missing).contains("Không có ai trong danh sách."));

    // The same list as a file, with the byte order mark Excel needs.
    let (status, headers, csv) = get("/dan-cu?filter=due_a_card&format=csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[reqwest::header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"dan-cu-all-")
    );
    assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    let csv = html(csv);
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.contains("Nguyễn Văn An,042090001234"), "{csv}");
    let (status, headers, xlsx) = get("/dan-cu?format=xlsx&unit=18073").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[reqwest::header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("dan-cu-18073-")
    );
    assert!(xlsx.starts_with(b"PK"), "a ZIP container");

    // Another commune's code is outside the officer's area.
    let (_, _, outside) = get("/dan-cu?unit=18565").await;
    assert!(!html(outside).contains("Nguyễn Văn Dũng"));
}

#[tokio::test]
async fn an_application_is_seen_sent_back_mended_and_cancelled_from_its_page() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    let commune = t
        .officer(&admin, "hong.nt", "CAX-18073", "commune_officer")
        .await;
    t.officer(&admin, "lan.pt", "CAH-436", "district_officer")
        .await;
    let (status, filed) = t
        .post(
            &commune,
            "/api/v1/applications",
            json!({"personal_id": "042090001234", "type": "cmnd_switch", "channel": "fixed",
                   "old_card_returned": true, "biometrics": biometrics(None)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let key = filed["id"].as_str().unwrap().to_owned();
    let receipt = filed["receipt"].as_str().unwrap().to_owned();
    let page_of = format!("/ho-so/{key}");
    let sign_in = |username: &'static str| {
        let browser = client(true);
        let url = t.url("/dang-nhap");
        async move {
            sign_in_form(
                &browser,
                url,
                &[
                    ("username", username),
                    ("password", "a-much-longer-password"),
                ],
            )
            .await;
            browser
        }
    };
    let text = |r: reqwest::Response| async move { r.text().await.unwrap() };

    // The district finds it by its receipt number and sees the portrait it checks.
    let district = sign_in("lan.pt").await;
    let found = district
        .get(t.url(&format!("/ho-so?receipt={receipt}")))
        .send()
        .await
        .unwrap();
    assert!(found.url().path().ends_with(&page_of), "{}", found.url());
    let html = text(found).await;
    assert!(html.contains("Nguyễn Văn An"), "{html}");
    assert!(html.contains("Đã tiếp nhận"), "{html}");
    assert!(
        html.contains(&format!("/ho-so/{key}/anh/portrait")),
        "{html}"
    );
    let portrait = district
        .get(t.url(&format!("/ho-so/{key}/anh/portrait")))
        .send()
        .await
        .unwrap();
    assert_eq!(portrait.status(), StatusCode::OK);
    assert_eq!(portrait.headers()["content-type"], "image/jpeg");
    // Without a reason, the refusal says so in Vietnamese.
    let csrf = csrf_of(&html);
    let no_reason = post_form(
        &district,
        t.url(&page_of),
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("action", "request_correction"),
        ],
    )
    .await;
    let refused = text(no_reason).await;
    assert!(refused.contains("Bước này cần ghi lý do."), "{refused}");
    assert!(!refused.contains("needs a reason"), "{refused}");
    // It asks for a correction, with the reason.
    let asked = post_form(
        &district,
        t.url(&page_of),
        &[
            ("csrf", &csrf),
            ("version", "1"),
            ("action", "request_correction"),
            ("reason", "Ảnh chân dung bị mờ, chụp lại"),
        ],
    )
    .await;
    assert!(text(asked).await.contains("Cần bổ sung"));

    // The commune sees why, and no portrait (its role does not see biometrics).
    let commune_browser = sign_in("hong.nt").await;
    let html = text(commune_browser.get(t.url(&page_of)).send().await.unwrap()).await;
    assert!(html.contains("Ảnh chân dung bị mờ, chụp lại"), "{html}");
    assert!(!html.contains("/anh/portrait"), "{html}");
    let image = commune_browser
        .get(t.url(&format!("/ho-so/{key}/anh/portrait")))
        .send()
        .await
        .unwrap();
    assert_eq!(image.status(), StatusCode::FORBIDDEN);
    // It takes the portrait again, with the ten prints, then sends the file back.
    assert!(html.contains("Chụp lại ảnh chân dung"), "{html}");
    let csrf = csrf_of(&html);
    let retaken_portrait = jpeg(600, 800, 40_000);
    let mut files = vec![("portrait".to_owned(), retaken_portrait.clone())];
    for finger in FINGERS {
        files.push((format!("finger_{finger}"), jpeg(800, 750, 20_000)));
    }
    for flat in ["flat_right_four", "flat_left_four", "flat_thumbs"] {
        files.push((flat.to_owned(), jpeg(1600, 1000, 6_000)));
    }
    let (content_type, body) = multipart_body(&[("csrf", &csrf)], &files);
    let retaken = commune_browser
        .post(t.url(&format!("/ho-so/{key}/sinh-trac")))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let html = text(retaken).await;
    assert!(html.contains("Đã lưu ảnh chân dung và vân tay"), "{html}");
    // The district now sees the new portrait.
    let seen = district
        .get(t.url(&format!("/ho-so/{key}/anh/portrait")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(seen.as_ref(), retaken_portrait.as_slice());
    let csrf = csrf_of(&html);
    let resubmitted = post_form(
        &commune_browser,
        t.url(&page_of),
        &[("csrf", &csrf), ("action", "resubmit")],
    )
    .await;
    let html = text(resubmitted).await;
    assert!(html.contains("Đã tiếp nhận"), "{html}");

    // Cancelling ends the application: not without the confirmation ticked.
    let csrf = csrf_of(&html);
    let unconfirmed = post_form(
        &commune_browser,
        t.url(&page_of),
        &[
            ("csrf", &csrf),
            ("action", "cancel"),
            ("reason", "Công dân xin rút hồ sơ"),
        ],
    )
    .await;
    assert_eq!(unconfirmed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(unconfirmed).await.contains("hãy đánh dấu ô xác nhận"));
    let cancelled = post_form(
        &commune_browser,
        t.url(&page_of),
        &[
            ("csrf", &csrf),
            ("action", "cancel"),
            ("reason", "Công dân xin rút hồ sơ"),
            ("confirm", "yes"),
        ],
    )
    .await;
    let html = text(cancelled).await;
    assert!(html.contains("Đã hủy"), "{html}");
    // The history names every step, who took it and why.
    for line in [
        "Yêu cầu bổ sung",
        "Gửi lại sau bổ sung",
        "Hủy hồ sơ",
        "lan.pt",
        "hong.nt",
    ] {
        assert!(html.contains(line), "{line} in {html}");
    }
}

#[tokio::test]
async fn intake_warns_of_an_open_application_and_a_refused_filing_keeps_the_fields() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    let commune = t
        .officer(&admin, "hong.nt", "CAX-18073", "commune_officer")
        .await;
    let (status, filed) = t
        .post(
            &commune,
            "/api/v1/applications",
            json!({"personal_id": "042090001234", "type": "cmnd_switch", "channel": "fixed",
                   "biometrics": biometrics(None)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let browser = client(true);
    sign_in_form(
        &browser,
        t.url("/dang-nhap"),
        &[
            ("username", "hong.nt"),
            ("password", "a-much-longer-password"),
        ],
    )
    .await;
    // The look-up says at once that An's card is already on its way.
    let html = browser
        .get(t.url("/tiep-nhan?id=042090001234"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Công dân đang có hồ sơ chưa xong"), "{html}");
    // A renewal's or a re-issue's reason is chosen by its wording in the law, not typed.
    assert!(
        html.contains("<option value=\"renewal_age\">Đủ tuổi phải đổi thẻ"),
        "{html}"
    );
    assert!(
        html.contains("<option value=\"lost\">Bị mất thẻ</option>"),
        "{html}"
    );
    assert!(
        html.contains(&format!("/ho-so/{}", filed["id"].as_str().unwrap())),
        "{html}"
    );

    // Cường's filing without prints is refused; what was typed comes back.
    let html = browser
        .get(t.url("/tiep-nhan?id=042092005555"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Công dân đang có hồ sơ chưa xong"), "{html}");
    let csrf = csrf_of(&html);
    let needle = "name=\"idempotency_key\" value=\"";
    let key_at = html.find(needle).unwrap() + needle.len();
    let idempotency_key = html[key_at..].split('"').next().unwrap().to_owned();
    let (content_type, body) = multipart_body(
        &[
            ("csrf", &csrf),
            ("personal_id", "042092005555"),
            ("idempotency_key", &idempotency_key),
            ("kind", "first_issuance"),
            ("channel", "mobile"),
            ("station", "Điểm thu nhận lưu động số 2"),
            ("identifying_marks", "Nốt ruồi trên mép trái"),
            ("old_card_returned", "1"),
        ],
        &[("portrait".to_owned(), jpeg(480, 640, 30_000))],
    );
    let refused = browser
        .post(t.url("/tiep-nhan"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    for kept in [
        "value=\"Điểm thu nhận lưu động số 2\"",
        "value=\"Nốt ruồi trên mép trái\"",
        "<option value=\"mobile\" selected>",
        "<option value=\"first_issuance\" selected>",
        &format!("name=\"idempotency_key\" value=\"{idempotency_key}\""),
        "id=\"citizen-name\"",
    ] {
        assert!(html.contains(kept), "{kept} in {html}");
    }
    assert!(html.contains("class=\"error\""), "{html}");
}

#[tokio::test]
async fn administration_keeps_a_refused_form_and_cannot_lock_itself_out() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    let browser = client(true);
    sign_in_form(
        &browser,
        t.url("/dang-nhap"),
        &[("username", "admin"), ("password", ADMIN_PASSWORD)],
    )
    .await;
    let get = |path: &str| {
        let request = browser.get(t.url(path));
        async move { request.send().await.unwrap() }
    };
    // /quan-tri/ is the officers page; an unknown address is a page, not JSON.
    let admin_home = get("/quan-tri/").await;
    assert!(admin_home.url().path().ends_with("/quan-tri/can-bo"));
    let html = admin_home.text().await.unwrap();
    // Units are chosen from the hierarchy; roles are named in Vietnamese.
    assert!(html.contains("<datalist id=\"police-units\">"), "{html}");
    assert!(html.contains("<option value=\"CAH-436\">"), "{html}");
    assert!(
        html.contains("<option value=\"commune_officer\">Cán bộ Công an cấp xã</option>"),
        "{html}"
    );
    // The administrator's own row offers no way to disable the account.
    assert!(
        !html.contains("name=\"username\" value=\"admin\""),
        "{html}"
    );
    let missing = get("/khong-co-trang-nay").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.text().await.unwrap().contains("Không có trang này"));

    // A role that does not fit its unit: refused, and the form comes back as typed.
    let csrf = csrf_of(&html);
    let refused = post_form(
        &browser,
        t.url("/quan-tri/can-bo"),
        &[
            ("csrf", &csrf),
            ("action", "add"),
            ("username", "lan.pt"),
            ("full_name", "Phạm Thị Lan"),
            ("unit", "CAH-436"),
            ("role", "commune_officer"),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    for kept in [
        "value=\"lan.pt\"",
        "value=\"Phạm Thị Lan\"",
        "value=\"CAH-436\"",
        "<option value=\"commune_officer\" selected>",
    ] {
        assert!(html.contains(kept), "{kept} in {html}");
    }

    // Disabling an officer signs them out everywhere: it takes the confirmation.
    t.officer(&admin, "lan.pt", "CAH-436", "district_officer")
        .await;
    let form = get("/quan-tri/can-bo").await.text().await.unwrap();
    assert!(
        form.contains("name=\"confirm\" value=\"yes\" required"),
        "{form}"
    );
    let csrf = csrf_of(&form);
    let disable = |confirm: &'static str| {
        let csrf = csrf.clone();
        let browser = &browser;
        let url = t.url("/quan-tri/can-bo");
        async move {
            let mut fields = vec![
                ("csrf", csrf.as_str()),
                ("action", "disable"),
                ("username", "lan.pt"),
            ];
            if !confirm.is_empty() {
                fields.push(("confirm", confirm));
            }
            post_form(browser, url, &fields).await.text().await.unwrap()
        }
    };
    let unconfirmed = disable("").await;
    assert!(
        unconfirmed.contains("Hãy đánh dấu xác nhận"),
        "{unconfirmed}"
    );
    t.login("lan.pt", "a-much-longer-password").await;
    disable("yes").await;
    let (status, _) = t
        .send(
            t.client
                .post(t.url("/api/v1/auth/login"))
                .json(&json!({"username": "lan.pt", "password": "a-much-longer-password"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A new password typed differently twice changes nothing.
    let form = get("/doi-mat-khau").await.text().await.unwrap();
    let csrf = csrf_of(&form);
    let differ = post_form(
        &browser,
        t.url("/doi-mat-khau"),
        &[
            ("csrf", &csrf),
            ("current", ADMIN_PASSWORD),
            ("new", "Sông Lam chảy qua Hà Tĩnh"),
            ("confirm", "Sông Lam chảy qua Hà Tĩnh!"),
        ],
    )
    .await;
    assert!(
        differ
            .text()
            .await
            .unwrap()
            .contains("Hai lần nhập mật khẩu mới không giống nhau")
    );
    assert_eq!(
        t.login("admin", ADMIN_PASSWORD).await.body["officer"]["username"],
        "admin"
    );
}

#[tokio::test]
async fn a_province_creates_a_campaign_and_shares_its_quota_from_the_console() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    t.officer(&admin, "minh.lv", "CAT-42", "province_officer")
        .await;
    let browser = t.console_as("minh.lv").await;
    let html = t.page(&browser, "/chien-dich").await;
    let csrf = csrf_of(&html);
    // A campaign that ends before it starts is refused; what was typed stays.
    let refused = post_form(
        &browser,
        t.url("/chien-dich"),
        &[
            ("csrf", &csrf),
            ("name", "Cao điểm 90 ngày"),
            ("start", "2021-06-30"),
            ("end", "2021-03-01"),
        ],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("value=\"Cao điểm 90 ngày\""), "{html}");
    let created = post_form(
        &browser,
        t.url("/chien-dich"),
        &[
            ("csrf", &csrf),
            ("name", "Cao điểm 90 ngày"),
            ("start", "2021-03-01"),
            ("end", "2021-06-30"),
        ],
    )
    .await;
    let dashboard = created.url().path().to_owned();
    assert!(dashboard.starts_with("/chien-dich/"), "{dashboard}");
    let html = created.text().await.unwrap();
    assert!(html.contains("id=\"quota\""), "{html}");
    // 1.000 for the province, shared equally among its 14 units.
    let csrf = csrf_of(&html);
    let set = post_form(
        &browser,
        t.url(&format!("{dashboard}/chi-tieu")),
        &[
            ("csrf", &csrf),
            ("unit", "CAT-42"),
            ("total", "1.000"),
            ("daily", "140"),
            ("split", "equal"),
        ],
    )
    .await;
    let html = set.text().await.unwrap();
    assert!(html.contains("Đã giao chỉ tiêu, số đơn vị: 15"), "{html}");
    assert!(html.contains("0 / 1.000"), "{html}");
    assert!(html.contains("Công an huyện Thạch Hà"), "{html}");
    // A campaign over long ago: no plan made today can help it finish.
    assert!(!html.contains("id=\"need\""), "{html}");
    // One that runs on: the machines each district needs to finish by its end.
    let end = today().checked_add(jiff::Span::new().days(60)).unwrap();
    let running = post_form(
        &browser,
        t.url("/chien-dich"),
        &[
            ("csrf", &csrf),
            ("name", "Thu nhận đến cuối năm"),
            ("start", &today().to_string()),
            ("end", &end.to_string()),
        ],
    )
    .await;
    let html = running.text().await.unwrap();
    let panel = &html[html.find("id=\"need\"").expect("the need panel")..];
    assert!(
        panel.contains("Số máy cần để hoàn thành đúng hạn"),
        "{panel}"
    );
    assert!(panel.contains("Công an huyện Thạch Hà"), "{panel}");
    assert!(
        panel.contains(&end.strftime("%d/%m/%Y").to_string()),
        "{panel}"
    );
}

#[tokio::test]
async fn a_district_plans_and_accepts_its_sessions_from_the_console() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    t.officer(&admin, "lan.pt", "CAH-436", "district_officer")
        .await;
    let browser = t.console_as("lan.pt").await;
    let html = t.page(&browser, "/lich/ke-hoach").await;
    assert!(html.contains("CAH-436"), "{html}");
    let csrf = csrf_of(&html);
    let post = |pairs: Vec<(&'static str, String)>| {
        let browser = browser.clone();
        let url = t.url("/lich/ke-hoach");
        async move {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let response = post_form(&browser, url, &pairs).await;
            (response.status(), response.text().await.unwrap())
        }
    };
    let (_, html) = post(vec![
        ("csrf", csrf.clone()),
        ("unit", "CAH-436".into()),
        ("action", "machine".into()),
        ("label", "Bộ 1".into()),
        ("minutes", "15".into()),
    ])
    .await;
    assert!(html.contains("Đã thêm máy: Bộ 1"), "{html}");
    // A site outside the district's area is refused with the reason.
    let (status, html) = post(vec![
        ("csrf", csrf.clone()),
        ("unit", "CAH-436".into()),
        ("action", "site".into()),
        ("name", "Nhà văn hóa".into()),
        ("kind", "fixed".into()),
        ("commune", "18565".into()),
        ("address", "Thôn Trung".into()),
        ("opens", "07:30".into()),
        ("closes", "17:00".into()),
    ])
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    let (_, html) = post(vec![
        ("csrf", csrf.clone()),
        ("unit", "CAH-436".into()),
        ("action", "site".into()),
        ("name", "Nhà văn hóa tổ dân phố 3".into()),
        ("kind", "fixed".into()),
        ("commune", "18073".into()),
        ("address", "Số 5, Hà Huy Tập".into()),
        ("opens", "07:30".into()),
        ("closes", "17:00".into()),
    ])
    .await;
    assert!(html.contains("Đã thêm điểm thu nhận"), "{html}");
    assert!(html.contains("Phường Nam Hà"), "{html}");

    // The planner's proposal, day by day, then accepted.
    let from = today().checked_add(jiff::Span::new().days(7)).unwrap();
    let to = from.checked_add(jiff::Span::new().days(6)).unwrap();
    let plan = |action: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("unit", "CAH-436".into()),
            ("action", action.into()),
            ("from", from.to_string()),
            ("to", to.to_string()),
            ("machines", "1".into()),
            ("show_up", "85".into()),
            ("lunch_from", "11:30".into()),
            ("lunch_to", "13:30".into()),
        ]
    };
    // The lunch break the unit sets: the form shows the offices' hours first.
    let page = t.page(&browser, "/lich/ke-hoach?unit=CAH-436").await;
    assert!(
        page.contains("name=\"lunch_from\" type=\"time\" value=\"11:30\""),
        "{page}"
    );
    let mut late_lunch = plan("plan");
    late_lunch.retain(|(k, _)| *k != "lunch_to");
    late_lunch.push(("lunch_to", "13g".into()));
    let (status, html) = post(late_lunch).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    // Refused, with what was typed kept for correcting.
    assert!(html.contains("role=\"alert\""), "{html}");
    assert!(
        html.contains("name=\"lunch_to\" type=\"time\" value=\"13g\""),
        "{html}"
    );
    // The neighbours' reach in whole minutes: anything else is refused and kept.
    let mut wordy = plan("plan");
    wordy.push(("gather", "mười lăm".into()));
    let (status, html) = post(wordy).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        html.contains("Giá trị không hợp lệ ở ô «Mời người dân xã nhỏ lân cận»"),
        "{html}"
    );
    assert!(
        html.contains(
            "name=\"gather\" inputmode=\"numeric\" placeholder=\"15\" value=\"mười lăm\""
        ),
        "{html}"
    );
    let (status, html) = post(plan("plan")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"proposal\""), "{html}");
    assert!(html.contains("value=\"accept\""), "{html}");
    // Each proposed session can be kept or dropped, moved, or given other machines.
    let value_of = |name: &str| {
        let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap() + name.len() + 15;
        html[at..].split('"').next().unwrap().to_owned()
    };
    let fingerprint = value_of("fingerprint");
    assert_eq!(value_of("sessions"), "1", "Nam Hà's one session: {html}");
    assert_eq!(value_of("date_0"), from.to_string());
    let moved = from.checked_add(jiff::Span::new().days(2)).unwrap();
    let accept = |fingerprint: String| {
        let mut fields = plan("accept");
        fields.extend([
            ("fingerprint", fingerprint),
            ("sessions", "1".into()),
            ("keep_0", "yes".into()),
            ("date_0", moved.to_string()),
            ("machines_0", "1".into()),
        ]);
        fields
    };
    // A form that claims a billion sessions is refused, not believed.
    let mut huge = accept(fingerprint.clone());
    huge.retain(|(k, _)| *k != "sessions");
    huge.push(("sessions", "1000000000".into()));
    let (status, _) = post(huge).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A plan other than the one shown is not accepted.
    let (status, html) = post(accept("0000000000000000".into())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    let (_, html) = post(accept(fingerprint)).await;
    assert!(html.contains("Đã duyệt kế hoạch"), "{html}");
    let on = |day: jiff::civil::Date| {
        let browser = browser.clone();
        let t = &t;
        async move {
            t.page(&browser, &format!("/lich?from={day}&to={day}"))
                .await
        }
    };
    assert!(
        on(moved).await.contains("/lich/"),
        "the session moved two days on"
    );
    assert!(
        !on(from).await.contains("href=\"/lich/0"),
        "and not held on its first day"
    );
}

#[tokio::test]
async fn a_province_lists_a_mountain_district_and_the_next_filing_takes_twenty_days() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    t.officer(&admin, "minh.lv", "PC06-42", "province_officer")
        .await;
    let district = t
        .officer(&admin, "son.tv", "CAH-445", "district_officer")
        .await;
    let file = |who: &'static str| {
        let district = &district;
        let t = &t;
        async move {
            let (status, filed) = t
                .post(
                    district,
                    "/api/v1/applications",
                    json!({"personal_id": who, "type": "first_issuance",
                           "channel": "fixed", "intake_date": "2021-03-16"}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{filed}");
            filed["due_date"].as_str().unwrap().to_owned()
        }
    };
    // Thạch Hà (445) is not listed yet: a rural district's 15 working days.
    assert_eq!(file("042088007777").await, "2021-04-06");

    let browser = t.console_as("minh.lv").await;
    let html = t.page(&browser, "/dia-ban-dac-biet").await;
    // The island districts a register starts with are not Hà Tĩnh's: its list is empty,
    // and only its own districts are offered.
    assert!(html.contains("Chưa có huyện nào trong danh sách"), "{html}");
    assert!(
        html.contains("<option value=\"445\">Huyện Thạch Hà</option>"),
        "{html}"
    );
    assert!(!html.contains("value=\"536\""), "{html}");
    let csrf = csrf_of(&html);
    let add = |basis: &'static str, from: &'static str, to: &'static str| {
        let (browser, csrf, url) = (&browser, csrf.clone(), t.url("/dia-ban-dac-biet"));
        async move {
            post_form(
                browser,
                url,
                &[
                    ("csrf", &csrf),
                    ("action", "add"),
                    ("province", "42"),
                    ("district", "445"),
                    ("kind", "mountain"),
                    ("basis", basis),
                    ("from", from),
                    ("to", to),
                ],
            )
            .await
        }
    };
    // An entry that ends before it starts is refused, and the form keeps what was typed.
    let refused = add(
        "Quyết định 861/QĐ-TTg ngày 04/6/2021",
        "2016-01-01",
        "2015-01-01",
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("value=\"Quyết định 861/QĐ-TTg ngày 04/6/2021\""),
        "{html}"
    );
    let added = add("Quyết định 861/QĐ-TTg ngày 04/6/2021", "2016-01-01", "").await;
    let html = added.text().await.unwrap();
    assert!(html.contains("Đã thêm huyện vào danh sách"), "{html}");
    assert!(
        html.contains("Huyện Thạch Hà</td><td>Miền núi, vùng cao</td>"),
        "{html}"
    );

    // The next filing takes the 20 working days of a listed district.
    assert_eq!(file("042195008888").await, "2021-04-13");

    // Another province's district, or a district officer, cannot change the list.
    let outside = post_form(
        &browser,
        t.url("/dia-ban-dac-biet"),
        &[
            ("csrf", &csrf),
            ("action", "add"),
            ("district", "536"),
            ("kind", "island"),
            ("basis", "QĐ"),
            ("from", "2016-01-01"),
        ],
    )
    .await;
    assert_eq!(outside.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let officer = t.console_as("son.tv").await;
    let html = t.page(&officer, "/dia-ban-dac-biet").await;
    assert!(!html.contains("id=\"add-remote\""), "{html}");
    // A district's officer reads its own province's list (district 445 is in 42, not 44).
    assert!(html.contains("· Tỉnh Hà Tĩnh</h1>"), "{html}");
    assert!(html.contains("Huyện Thạch Hà</td>"), "{html}");

    // Ending the entry is audited with adding it.
    let html = t.page(&browser, "/dia-ban-dac-biet").await;
    let id_at = html.find("name=\"id\" value=\"").unwrap() + 17;
    let id = html[id_at..].split('"').next().unwrap().to_owned();
    let ended = post_form(
        &browser,
        t.url("/dia-ban-dac-biet"),
        &[
            ("csrf", &csrf),
            ("action", "end"),
            ("province", "42"),
            ("id", &id),
            ("last_day", "2024-06-30"),
        ],
    )
    .await;
    let html = ended.text().await.unwrap();
    assert!(html.contains("Đã kết thúc áp dụng"), "{html}");
    assert!(html.contains("30/06/2024"), "{html}");
    let auditor = client(true);
    sign_in_form(
        &auditor,
        t.url("/dang-nhap"),
        &[("username", "admin"), ("password", ADMIN_PASSWORD)],
    )
    .await;
    let trail = t
        .page(&auditor, "/quan-tri/nhat-ky?action=remote_district.end")
        .await;
    assert!(trail.contains("minh.lv"), "{trail}");
    // A new register starts with the island districts, Lý Sơn (Quảng Ngãi) among them.
    let islands = t.page(&auditor, "/dia-ban-dac-biet?province=51").await;
    assert!(
        islands.contains("Huyện Lý Sơn</td><td>Hải đảo</td>"),
        "{islands}"
    );
}

#[tokio::test]
async fn a_page_left_open_after_signing_out_does_not_spoil_the_sign_in_form() {
    let t = spawn_app().await;
    let browser = client(true);
    // An image of the old page is refused, not answered with the sign-in form…
    let image = browser
        .get(t.url("/ho-so/01890000-0000-7000-8000-000000000000/anh/portrait"))
        .header("Sec-Fetch-Dest", "image")
        .send()
        .await
        .unwrap();
    assert_eq!(image.status(), StatusCode::UNAUTHORIZED);
    // …and the sign-in form drawn again keeps the token of the one on screen.
    let first = t.page(&browser, "/dang-nhap").await;
    let second = t.page(&browser, "/dang-nhap").await;
    assert_eq!(csrf_of(&first), csrf_of(&second));
    // A page itself still leads to sign-in.
    let page = browser.get(t.url("/ho-so")).send().await.unwrap();
    assert!(page.url().path().ends_with("/dang-nhap"), "{}", page.url());
}

/// `/tram` is a station's own page: a central server has no such page, signed in or not,
/// and says nothing of a station on its pages.
#[tokio::test]
async fn a_central_server_has_no_station_page() {
    let t = spawn_app().await;
    let admin = t.admin().await;
    t.officer(&admin, "lan.pt", "CAH-436", "district_officer")
        .await;
    let anonymous = client(true);
    let browser = t.console_as("lan.pt").await;
    for who in [&anonymous, &browser] {
        let page = who.get(t.url("/tram")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::NOT_FOUND);
        assert!(page.text().await.unwrap().contains("Không có trang này"));
    }
    let html = t.page(&browser, "/tra-cuu").await;
    assert!(!html.contains("href=\"/tram\""), "{html}");
    assert!(!html.contains("id=\"station-banner\""), "{html}");
    let resolve = post_form(
        &browser,
        t.url("/tram/goi/0190c3a8-7e59-7cc1-9c9b-2a5f3c1d4e6f/xu-ly"),
        &[("csrf", &csrf_of(&html)), ("confirm", "yes")],
    )
    .await;
    assert_eq!(resolve.status(), StatusCode::NOT_FOUND);
}
