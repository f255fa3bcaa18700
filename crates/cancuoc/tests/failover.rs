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
    target: Arc<Mutex<(SocketAddr, u64)>>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let target = Arc::new(Mutex::new((target, 0u64)));
        let shared = target.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let (to, generation) = *shared.lock().unwrap();
                let current = shared.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(to).await else {
                        return;
                    };
                    let copy = tokio::io::copy_bidirectional(&mut inbound, &mut outbound);
                    let moved = async {
                        while current.lock().unwrap().1 == generation {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    };
                    tokio::select! {
                        _ = copy => {}
                        () = moved => {}
                    }
                });
            }
        });
        Self { port, target }
    }

    fn move_to(&self, to: SocketAddr) {
        let mut target = self.target.lock().unwrap();
        target.0 = to;
        target.1 += 1;
    }
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
    let mut admin = sqlx::PgConnection::connect(&primary).await.unwrap();
    for statement in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&mut admin)
            .await
            .unwrap();
    }

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
    proxy.move_to(address(&standby).await);

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
