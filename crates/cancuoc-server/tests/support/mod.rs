//! The test harness of the API tests: the real server on port 0 against a fresh SQLite
//! file, a client that keeps cookies, signed-in sessions and the register's test people.

#![allow(
    dead_code,
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "each test binary uses part of the harness; tests report a failure by panicking"
)]

use std::sync::Arc;

use cancuoc_app::{App, AppConfig, OsRandom, SystemClock};
use cancuoc_server::{ServerConfig, serve};
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use unicode_normalization::UnicodeNormalization;

pub const ADMIN_PASSWORD: &str = "admin-password-123";
pub const CSV: &str = "text/csv";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A running server and a client for it; the server stops and the database goes
/// away when this is dropped.
pub struct TestApp {
    pub base: String,
    /// Keeps cookies, like a browser.
    pub client: reqwest::Client,
    /// The production line's key: the personalisation packages open with it.
    pub line_key: cancuoc_icao::pki::KeyPair,
    /// The application behind the server, for what only an operator at the server does
    /// (the chip's PKI).
    pub app: App,
    _shutdown: oneshot::Sender<()>,
    _dir: TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(ServerConfig {
        // Plain HTTP on loopback: the cookie jar would not send a Secure cookie back.
        secure_cookies: false,
        ..ServerConfig::default()
    })
    .await
}

pub async fn spawn_app_with(config: ServerConfig) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cancuoc.db").display());
    let store =
        cancuoc_store_sqlite::open(&url, true, cancuoc_store::conformance::test_audit_key())
            .await
            .unwrap();
    let app = App::new(
        Arc::new(store),
        Arc::new(SystemClock),
        Arc::new(OsRandom),
        AppConfig::default(),
    )
    .await
    .unwrap();
    let key = cancuoc_vault::MasterKey::generate().unwrap();
    let objects = dir.path().join("objects");
    std::fs::create_dir_all(&objects).unwrap();
    let vault = cancuoc_vault::ObjectVault::local(&objects, &key).unwrap();
    let app = app.with_vault(Arc::new(vault)).with_checkpoints(
        Arc::new(MemoryCheckpoints::default()),
        cancuoc_domain::audit::CheckpointKey::from_bytes([5; 32]),
    );
    app.init("2021", Some(ADMIN_PASSWORD)).await.unwrap();
    // The chip's PKI and a production line, as `cancuoc pki init` and `pki line-key` make them.
    let operator = cancuoc_app::Caller::Operator {
        name: "test".into(),
    };
    app.pki_init(&operator).await.unwrap();
    let line_key = app.new_line_key().unwrap();
    app.add_line_key(&operator, &line_key.public_key_info())
        .await
        .unwrap();
    // The chain's head after set-up, signed as a running server does every few minutes.
    app.write_checkpoint().await.unwrap().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let served = app.clone();
    tokio::spawn(async move {
        serve(listener, served, config, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    TestApp {
        base: format!("http://{addr}"),
        client: client(true),
        line_key,
        app,
        _shutdown: tx,
        _dir: dir,
    }
}

/// Checkpoints kept in memory for the life of the test server.
#[derive(Default)]
struct MemoryCheckpoints(std::sync::Mutex<Vec<cancuoc_domain::audit::Checkpoint>>);

impl cancuoc_app::CheckpointLog for MemoryCheckpoints {
    fn append(
        &self,
        checkpoint: &cancuoc_domain::audit::Checkpoint,
    ) -> Result<(), cancuoc_app::AppError> {
        self.0.lock().unwrap().push(checkpoint.clone());
        Ok(())
    }

    fn all(&self) -> Result<Vec<cancuoc_domain::audit::Checkpoint>, cancuoc_app::AppError> {
        Ok(self.0.lock().unwrap().clone())
    }
}

pub fn client(cookies: bool) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .cookie_store(cookies)
        .build()
        .unwrap()
}

/// A signed-in session.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub csrf: String,
    pub body: Value,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn login(&self, username: &str, password: &str) -> Session {
        let (status, body) = self
            .send(
                self.client
                    .post(self.url("/api/v1/auth/login"))
                    .json(&json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        Session {
            token: body["token"].as_str().unwrap().to_owned(),
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
            body,
        }
    }

    pub async fn admin(&self) -> Session {
        self.login("admin", ADMIN_PASSWORD).await
    }

    /// Sends and reads the JSON body (`Null` when empty); every error has the shape.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.send().await.unwrap();
        let status = response.status();
        assert!(
            response.headers().contains_key("x-request-id"),
            "no request id"
        );
        let text = response.text().await.unwrap();
        let body: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        if !status.is_success() {
            assert!(body["code"].is_string(), "error without code: {body}");
            assert!(body["message"].is_string(), "error without message: {body}");
            assert!(
                body.get("details").is_some(),
                "error without details: {body}"
            );
        }
        (status, body)
    }

    pub async fn get(&self, s: &Session, path: &str) -> (StatusCode, Value) {
        self.send(self.client.get(self.url(path)).bearer_auth(&s.token))
            .await
    }

    pub async fn post(&self, s: &Session, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(
            self.client
                .post(self.url(path))
                .bearer_auth(&s.token)
                .json(&body),
        )
        .await
    }

    pub async fn import(&self, s: &Session, csv: &str, query: &str) -> (StatusCode, Value) {
        self.send(
            self.client
                .post(self.url(&format!("/api/v1/forms/import?{query}")))
                .bearer_auth(&s.token)
                .header(CONTENT_TYPE, "text/csv; charset=utf-8")
                .body(csv.to_owned()),
        )
        .await
    }

    /// Creates an officer, signs in with the one-time password and sets a new one.
    pub async fn officer(
        &self,
        admin: &Session,
        username: &str,
        unit: &str,
        role: &str,
    ) -> Session {
        let (status, created) = self
            .post(
                admin,
                "/api/v1/officers",
                json!({"username": username, "full_name": "Nguyễn Thị Hồng", "unit": unit, "role": role}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["username"], username);
        let otp = created["one_time_password"].as_str().unwrap().to_owned();
        let session = self.login(username, &otp).await;
        assert_eq!(session.body["must_change_password"], true);
        assert_eq!(session.body["officer"]["unit"], unit);
        assert_eq!(session.body["officer"]["role"], role);
        let (status, body) = self
            .post(
                &session,
                "/api/v1/auth/password",
                json!({"current": otp, "new": "a-much-longer-password"}),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        session
    }
}

pub fn nfd(s: &str) -> String {
    s.nfd().collect()
}

pub const HEADER: &str = "so_dinh_danh,cmnd_cu,ho_ten,ngay_sinh,gioi_tinh,noi_dang_ky_khai_sinh,que_quan,\
dan_toc,ton_giao,quoc_tich,nhom_mau,tinh_trang_hon_nhan,thuong_tru_ma_xa,thuong_tru_dia_chi,so_ho,\
quan_he_chu_ho,ho_ten_cha,ho_ten_me";

/// Nam Hà (18073) in the city of Hà Tĩnh (district 436), and Ngọc Sơn (18565) in
/// Thạch Hà (district 445). Row 2 types its name in NFD; row 7 lacks a hometown
/// (staged for review); row 8 has a bad personal ID (rejected).
pub fn people_csv() -> String {
    let an = nfd("Nguyễn Văn An");
    [
        HEADER.to_owned(),
        format!(
            "042090001234,123456789,{an},05/03/1990,Nam,42,42,Kinh,Không,VNM,O+,Đã kết hôn,18073,\"Số 5, Hà Huy Tập\",HK001,Chủ hộ,Nguyễn Văn Bình,Trần Thị Cúc"
        ),
        "042185004321,,Nguyễn Thị Bình,1985,Nữ,42,42,01,00,VNM,,,18073,\"Số 5, Hà Huy Tập\",HK001,Vợ,,".to_owned(),
        "042092005555,,Nguyễn Văn Cường,03/1992,Nam,42,42,Kinh,Không,VNM,,,18073,Tổ 3,HK002,Chủ hộ,,".to_owned(),
        "042088007777,,Nguyễn Văn Dũng,12/12/1988,Nam,42,445,Kinh,Không,VNM,,,18565,Thôn Trung,HK100,Chủ hộ,,"
            .to_owned(),
        "042195008888,,Trần Thị Hoa,01/01/1995,Nữ,42,445,Kinh,Không,VNM,,,18565,Thôn Bắc,HK101,Chủ hộ,,".to_owned(),
        "042091009999,,Lê Văn Em,02/02/1991,Nam,42,,Kinh,Không,VNM,,,18073,Tổ 4,,,,".to_owned(),
        "04209100999X,,Phạm Văn Giỏi,02/02/1991,Nam,42,42,Kinh,Không,VNM,,,18073,Tổ 4,,,,".to_owned(),
    ]
    .join("\n")
        + "\n"
}

/// Imports [`people_csv`] as `s` and checks the report.
pub async fn import_people(t: &TestApp, s: &Session) {
    let (status, report) = t.import(s, &people_csv(), "name=nam-ha.csv").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["rows"], 7, "{report}");
    assert_eq!(report["accepted"], 5, "{report}");
    assert_eq!(report["flagged"], 1, "{report}");
    assert_eq!(report["rejected_rows"], 1, "{report}");
    assert_eq!(report["rejected"][0]["row"], 8, "{report}");
    assert_eq!(report["rejected"][0]["column"], "so_dinh_danh", "{report}");
    assert_eq!(report["dry_run"], false);
    assert_eq!(report["file_hash"].as_str().unwrap().len(), 64);
}

pub fn names(page: &Value) -> Vec<String> {
    let mut out: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["full_name"].as_str().unwrap().to_owned())
        .collect();
    out.sort();
    out
}

pub use cancuoc_domain::biometrics::sample_jpeg as jpeg;

pub fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub const FINGERS: [&str; 10] = [
    "r_thumb", "r_index", "r_middle", "r_ring", "r_little", "l_thumb", "l_index", "l_middle",
    "l_ring", "l_little",
];

/// A realistic capture, about 250 KB: a 30 KB portrait, ten rolled prints of 20 KB and
/// the three flats; `portrait` replaces the portrait's bytes when given.
pub fn biometrics(portrait: Option<Vec<u8>>) -> Value {
    let portrait = portrait.unwrap_or_else(|| jpeg(480, 640, 30_000));
    let fingers: Vec<Value> = FINGERS
        .iter()
        .map(|f| json!({"finger": f, "image": b64(&jpeg(800, 750, 20_000))}))
        .collect();
    json!({
        "portrait": b64(&portrait),
        "fingers": fingers,
        "flats": {
            "right_four": b64(&jpeg(1600, 1000, 6_000)),
            "left_four": b64(&jpeg(1600, 1000, 6_000)),
            "thumbs": b64(&jpeg(1600, 1000, 6_000)),
        }
    })
}

/// Today in Vietnam (UTC+7), as the server's clock sees it.
pub fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::Offset::constant(7).to_time_zone())
        .date()
}

/// A form body as a browser sends it (`application/x-www-form-urlencoded`).
pub fn form_body(pairs: &[(&str, &str)]) -> String {
    let one = |text: &str| -> String {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", one(k), one(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Posts a form with `client`, redirects followed.
impl TestApp {
    /// A browser signed in to the console as an officer whose password is
    /// `a-much-longer-password` (as [`TestApp::officer`] leaves it).
    pub async fn console_as(&self, username: &str) -> reqwest::Client {
        let browser = client(true);
        sign_in_form(
            &browser,
            self.url("/dang-nhap"),
            &[
                ("username", username),
                ("password", "a-much-longer-password"),
            ],
        )
        .await;
        browser
    }

    /// A console page's HTML as `browser` gets it.
    pub async fn page(&self, browser: &reqwest::Client, path: &str) -> String {
        browser
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

/// The CSRF token the page's forms carry.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

/// Posts the console's sign-in form as a browser does: the form is fetched first, for
/// its token and the cookie that goes with it (login CSRF).
pub async fn sign_in_form(
    client: &reqwest::Client,
    url: String,
    pairs: &[(&str, &str)],
) -> reqwest::Response {
    let html = client
        .get(url.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("the sign-in form's token")
        + 19;
    let token = html[at..].split('"').next().unwrap().to_owned();
    let mut with_token = pairs.to_vec();
    with_token.push(("csrf", &token));
    post_form(client, url, &with_token).await
}

pub async fn post_form(
    client: &reqwest::Client,
    url: String,
    pairs: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(url)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_body(pairs))
        .send()
        .await
        .unwrap()
}

/// A `multipart/form-data` body as a browser sends a form with files: its content type
/// (with the boundary) and its bytes.
pub fn multipart_body(fields: &[(&str, &str)], files: &[(String, Vec<u8>)]) -> (String, Vec<u8>) {
    let boundary = "----cancuoc-test-boundary-7f3a";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
