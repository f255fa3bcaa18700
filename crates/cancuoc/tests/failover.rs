//! Failover (issue 20 §2, docs/scale.md "Failover"): a server node reaches its database
//! through an address that a deployment moves to the promoted standby (a DNS name or a
//! proxy; here a TCP proxy in the test). The standby is promoted, the address is moved, the
//! old connections die, and the same running node carries on: sign-ins, look-ups and
//! writes land on the new primary, and the audit chain verifies there.
//!
//! Needs `CANCUOC_TEST_POSTGRES` (the primary) and `CANCUOC_TEST_POSTGRES_FAILOVER`, a hot
//! standby of it that this test promotes (`.ci/run` makes one on port 5434 each run);
//! skipped, saying so, without them or when that standby was already promoted.

// Test helpers outside #[test] functions: a panic is the failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::Connection as _;
use support::*;
use tokio::net::{TcpListener, TcpStream};

/// Forwards every connection to the current target; `move_to` sends new connections
/// elsewhere and cuts the open ones, as a failed primary does.
struct Proxy {
    port: u16,
    route: Arc<Mutex<Route>>,
}

/// Where new connections go, and how many connections each target generation still has.
struct Route {
    to: SocketAddr,
    generation: u64,
    open: HashMap<u64, usize>,
}

/// One forwarded connection, counted against its generation while it lives.
struct Forwarded {
    route: Arc<Mutex<Route>>,
    generation: u64,
}

impl Drop for Forwarded {
    fn drop(&mut self) {
        if let Some(n) = self.route.lock().unwrap().open.get_mut(&self.generation) {
            *n -= 1;
        }
    }
}

impl Proxy {
    async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let route = Arc::new(Mutex::new(Route {
            to: target,
            generation: 0,
            open: HashMap::new(),
        }));
        let shared = route.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let (to, generation) = {
                    let mut route = shared.lock().unwrap();
                    let generation = route.generation;
                    *route.open.entry(generation).or_default() += 1;
                    (route.to, generation)
                };
                let forwarded = Forwarded {
                    route: shared.clone(),
                    generation,
                };
                tokio::spawn(async move {
                    {
                        let moved = async {
                            while forwarded.route.lock().unwrap().generation == generation {
                                tokio::time::sleep(Duration::from_millis(5)).await;
                            }
                        };
                        let forward = async move {
                            if let Ok(mut outbound) = TcpStream::connect(to).await {
                                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound)
                                    .await;
                            }
                        };
                        tokio::select! {
                            () = forward => {}
                            () = moved => {}
                        }
                    }
                    // Both ends are closed by now: only then is the connection not counted.
                    drop(forwarded);
                });
            }
        });
        Self { port, route }
    }

    /// Sends new connections to `to` and returns once every older connection is cut, so
    /// that nothing the node sends afterwards reaches the old primary.
    async fn move_to(&self, to: SocketAddr) {
        let generation = {
            let mut route = self.route.lock().unwrap();
            route.to = to;
            route.generation += 1;
            route.generation
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let cut = self
                .route
                .lock()
                .unwrap()
                .open
                .iter()
                .all(|(g, n)| *g == generation || *n == 0);
            if cut {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the old connections were not cut"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// Makes the database `name` anew on the server of `url`; returns the connection that
/// made it, to drop it at the end.
async fn fresh_database(url: &str, name: &str) -> sqlx::PgConnection {
    let mut admin = sqlx::PgConnection::connect(url).await.unwrap();
    for statement in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    admin
}

async fn address(url: &str) -> SocketAddr {
    let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
    tokio::net::lookup_host((options.get_host(), options.get_port()))
        .await
        .unwrap()
        .next()
        .unwrap()
}

/// The URL with its host and port replaced by the proxy's.
fn through(url: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let user = authority.rsplit_once('@').map(|(u, _)| format!("{u}@"));
    format!(
        "{scheme}://{}127.0.0.1:{port}/{path}",
        user.unwrap_or_default()
    )
}

fn with_database(url: &str, name: &str) -> String {
    cancuoc_store_postgres::url_with_database(url, name).unwrap()
}

// The proxy's tasks run while the test waits on the command line's processes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_carries_on_after_its_standby_is_promoted() {
    let (Ok(primary), Ok(standby)) = (
        std::env::var("CANCUOC_TEST_POSTGRES"),
        std::env::var("CANCUOC_TEST_POSTGRES_FAILOVER"),
    ) else {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: CANCUOC_TEST_POSTGRES and CANCUOC_TEST_POSTGRES_FAILOVER not both set"
        );
        return;
    };
    let mut on_standby = sqlx::PgConnection::connect(&standby).await.unwrap();
    let in_recovery: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(&mut on_standby)
        .await
        .unwrap();
    if !in_recovery {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: {standby} was already promoted (.ci/run makes it again)"
        );
        return;
    }
    let name = format!("cancuoc_failover_{}", std::process::id());
    let mut admin = fresh_database(&primary, &name).await;

    let proxy = Proxy::start(address(&primary).await).await;
    let through_proxy = with_database(&through(&primary, proxy.port), &name);
    let ws = Workspace::new();
    let out = ws.run(&["--db", &through_proxy, "init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = ws.run(&["--db", &through_proxy, "demo", "--people", "200"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let node = ws.serve(&["--db", &through_proxy]);
    let token = sign_in(&node.base, "admin", "a-long-admin-password").await;
    let (status, page) = api(&node.base, &token, "/api/v1/citizens?limit=3", None).await;
    assert_eq!(status, 200, "{page}");
    let someone = page["items"][0]["personal_id"].as_str().unwrap().to_owned();

    // The standby has everything the primary committed, then becomes the primary, and the
    // address moves to it: the node's open connections die.
    let mut on_primary = sqlx::PgConnection::connect(&with_database(&primary, &name))
        .await
        .unwrap();
    let written: String = sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
        .fetch_one(&mut on_primary)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let caught_up: bool =
            sqlx::query_scalar("SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn")
                .bind(&written)
                .fetch_one(&mut on_standby)
                .await
                .unwrap();
        if caught_up {
            break;
        }
        assert!(Instant::now() < deadline, "the standby did not catch up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let promoted: bool = sqlx::query_scalar("SELECT pg_promote(true, 60)")
        .fetch_one(&mut on_standby)
        .await
        .unwrap();
    assert!(promoted);
    proxy.move_to(address(&standby).await).await;

    // The same node, not restarted: a look-up, a new sign-in (a write) and a write of the
    // officer's own, all on the new primary. A request that met a dead connection may
    // fail once while the pool replaces it.
    let deadline = Instant::now() + Duration::from_secs(30);
    let (status, found) = loop {
        let (status, found) = api(
            &node.base,
            &token,
            &format!("/api/v1/citizens/{someone}"),
            None,
        )
        .await;
        if status == 200 || Instant::now() > deadline {
            break (status, found);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(status, 200, "{found}");
    let again = sign_in(&node.base, "admin", "a-long-admin-password").await;
    let (status, body) = api(
        &node.base,
        &again,
        "/api/v1/auth/logout",
        Some(serde_json::json!({})),
    )
    .await;
    assert!(status < 300, "{status} {body}");
    // The node took its claim again on the new primary: an import does not find the
    // database free under it.
    let on_new = with_database(&standby, &name);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let import =
            cancuoc_store_postgres::claim(&on_new, cancuoc_store_postgres::Claimant::Import)
                .await
                .unwrap();
        if import.is_none() {
            break;
        }
        drop(import);
        assert!(
            Instant::now() < deadline,
            "the node did not claim the new primary"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    drop(node);

    // The writes are the new primary's, and the chain holds there.
    let mut on_new_primary = sqlx::PgConnection::connect(&with_database(&standby, &name))
        .await
        .unwrap();
    let sign_ins: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = 'auth.login'")
            .fetch_one(&mut on_new_primary)
            .await
            .unwrap();
    assert!(sign_ins >= 2, "{sign_ins}");
    let out = ws.run(&["--db", &with_database(&standby, &name), "audit", "verify"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    drop(on_new_primary);
    let drop_database = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(drop_database.clone()))
        .execute(&mut admin)
        .await;
    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(drop_database))
        .execute(&mut on_standby)
        .await;
}

/// A request's answer with its `Retry-After` header; `cookie` sends the token as the
/// console's session cookie instead of a bearer token, and redirects are not followed.
async fn answer(
    base: &str,
    path: &str,
    token: &str,
    cookie: bool,
) -> (u16, Option<String>, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let request = client.get(format!("{base}{path}"));
    let request = if cookie {
        request.header("cookie", format!("cancuoc_session={token}"))
    } else {
        request.bearer_auth(token)
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, retry_after, response.text().await.unwrap())
}

// While the database cannot be reached, a node says so (503 `unavailable`, Retry-After)
// on the API, the console and the sign-in, instead of "internal error", "wrong password"
// or a trip back to the sign-in page; when it can be reached again, the node carries on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_says_when_the_register_is_out_of_reach_and_carries_on() {
    let Ok(primary) = std::env::var("CANCUOC_TEST_POSTGRES") else {
        let _ = writeln!(std::io::stderr(), "skipped: CANCUOC_TEST_POSTGRES not set");
        return;
    };
    let name = format!("cancuoc_out_of_reach_{}", std::process::id());
    let mut admin = fresh_database(&primary, &name).await;
    let database = address(&primary).await;
    let proxy = Proxy::start(database).await;
    let through_proxy = with_database(&through(&primary, proxy.port), &name);
    let ws = Workspace::new();
    let out = ws.run(&["--db", &through_proxy, "init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let node = ws.serve(&["--db", &through_proxy]);
    let token = sign_in(&node.base, "admin", "a-long-admin-password").await;
    let list = "/api/v1/citizens?limit=3";
    let (status, _, body) = answer(&node.base, list, &token, false).await;
    assert_eq!(status, 200, "{body}");

    // Nothing listens where the address now leads: open connections are cut, and the
    // proxy closes each new one at once (as a host that is gone but still routed would).
    let nowhere = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    proxy.move_to(nowhere).await;
    let (status, retry_after, body) = answer(&node.base, list, &token, false).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(retry_after.as_deref(), Some("5"));
    let error: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["code"], "unavailable", "{body}");
    assert!(!body.contains(&name), "the detail stays in the log: {body}");
    let (status, _, body) = answer(&node.base, "/tra-cuu", &token, true).await;
    assert_eq!(
        status, 503,
        "the console keeps the officer signed in: {body}"
    );
    assert!(body.contains("thử lại"), "{body}");
    let refused = reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", node.base))
        .json(&serde_json::json!({"username": "admin", "password": "a-long-admin-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 503);
    // The console's sign-in form: "busy, try again", not "wrong password".
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let csrf = sign_in_form_token(&browser, &node.base).await;
    let said = post_form(
        &browser,
        &node.base,
        "/dang-nhap",
        &[
            ("username", "admin"),
            ("password", "a-long-admin-password"),
            ("csrf", &csrf),
        ],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(said.contains("Hệ thống đang bận"), "{said}");
    assert!(!said.contains("Sai tên đăng nhập"), "{said}");

    // The database is back: the same node, the same session.
    proxy.move_to(database).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let (status, body) = loop {
        let (status, _, body) = answer(&node.base, list, &token, false).await;
        if status == 200 || Instant::now() > deadline {
            break (status, body);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = answer(&node.base, "/tra-cuu", &token, true).await;
    assert_eq!(status, 200, "{body}");
    drop(node);
    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await;
}
