//! The command line's test workspace: the real binary run in a temporary folder, and a
//! server started from it on a free port of the loopback.

// Test helpers: a panic is the failure report; not every test file uses every helper.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    dead_code
)]

use std::path::PathBuf;
use std::process::{Child, Command, Output};

pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_cancuoc"))
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("CANCUOC_DB")
            .env_remove("CANCUOC_ID_KEY")
            .env("CANCUOC_ADMIN_PASSWORD", "a-long-admin-password")
            .output()
            .unwrap()
    }

    pub fn init(&self) {
        let out = self.run(&["init"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

impl Workspace {
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_cancuoc"))
            .args(args)
            .current_dir(self.dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }
}

impl Workspace {
    /// Starts a command in the workspace with `envs`, its standard error piped.
    pub fn spawn(&self, args: &[&str], envs: &[(&str, &str)]) -> Child {
        Command::new(env!("CARGO_BIN_EXE_cancuoc"))
            .args(args)
            .envs(envs.iter().copied())
            .current_dir(self.dir.path())
            .env_remove("CANCUOC_DB")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Starts `cancuoc serve`, which must stop at once with exit code 1: what it said.
    pub fn serve_refused(&self) -> String {
        let refused = self
            .spawn(
                &["serve", "--listen", "127.0.0.1:0"],
                &[("CANCUOC_ADMIN_PASSWORD", "a-long-admin-password")],
            )
            .wait_with_output()
            .unwrap();
        assert_eq!(refused.status.code(), Some(1));
        stderr(&refused)
    }
}

/// A `cancuoc serve` of a workspace, killed when dropped.
pub struct Server {
    pub base: String,
    pub child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Workspace {
    /// Starts `cancuoc serve` on a free port of the loopback with `extra` arguments and
    /// waits until it says where it serves.
    pub fn serve(&self, extra: &[&str]) -> Server {
        self.serve_on("127.0.0.1:0", extra)
    }

    /// Starts `cancuoc serve` on `listen` (a server started again on its port).
    pub fn serve_on(&self, listen: &str, extra: &[&str]) -> Server {
        use std::io::{BufRead as _, BufReader};
        let mut child = Command::new(env!("CARGO_BIN_EXE_cancuoc"))
            .args(["serve", "--listen", listen, "--insecure-cookies"])
            .args(extra)
            .current_dir(self.dir.path())
            .env_remove("CANCUOC_DB")
            .env("CANCUOC_ADMIN_PASSWORD", "a-long-admin-password")
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let base = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|l| {
                l.split_once("serving on ")
                    .and_then(|(_, rest)| rest.split_whitespace().next().map(str::to_owned))
            })
            .expect("the server says where it serves");
        // The rest of its log goes nowhere, so that a full pipe never stops it.
        std::thread::spawn(move || lines.for_each(drop));
        Server { base, child }
    }
}

/// Signs in on a server's API; returns the bearer token.
pub async fn sign_in(base: &str, username: &str, password: &str) -> String {
    let body: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["token"].as_str().expect("signed in").to_owned()
}

/// A request with a bearer token: a POST of `body` as JSON, or a GET without one.
pub async fn api(
    base: &str,
    token: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let client = reqwest::Client::new();
    let request = match body {
        Some(b) => client.post(format!("{base}{path}")).json(&b),
        None => client.get(format!("{base}{path}")),
    };
    let response = request.bearer_auth(token).send().await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

/// Posts a console form (`application/x-www-form-urlencoded`).
pub async fn post_form(
    browser: &reqwest::Client,
    base: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    let body = fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    browser
        .post(format!("{base}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The console's sign-in form read as a browser reads it: its token, and (in the client's
/// cookie store) the cookie that goes with it.
pub async fn sign_in_form_token(browser: &reqwest::Client, base: &str) -> String {
    let response = browser
        .get(format!("{base}/dang-nhap"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let form = response.text().await.unwrap();
    let at = form
        .find("name=\"csrf\" value=\"")
        .expect("the sign-in form")
        + 19;
    form[at..].split('"').next().unwrap().to_owned()
}
