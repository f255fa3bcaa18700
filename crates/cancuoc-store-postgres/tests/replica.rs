//! The read replica (issue 20 §2), on a real hot standby: `CANCUOC_TEST_POSTGRES_REPLICA`
//! names a streaming standby of the server behind `CANCUOC_TEST_POSTGRES` (`.ci/run` makes
//! one with `pg_basebackup -R` on port 5433). Skipped, saying so, without both.

// clippy.toml lets #[test] functions unwrap; the helpers around them may too: a panic
// here is the failure report.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cancuoc_domain::audit::{GENESIS_HASH, verify_chain};
use cancuoc_domain::{AdminCode, Locality};
use cancuoc_store::conformance::{admin_access, ha_tinh, person, seeded, test_audit_key};
use cancuoc_store::*;
use sqlx::{ConnectOptions, Connection};
use uuid::Uuid;

const PRIMARY: &str = "CANCUOC_TEST_POSTGRES";
const REPLICA: &str = "CANCUOC_TEST_POSTGRES_REPLICA";
const T0: i64 = 1_615_852_800_000_000;
/// How far behind the primary a standby on the same machine may be.
const LAG_BOUND: Duration = Duration::from_secs(5);

fn on_database(server_url: &str, database: &str) -> String {
    cancuoc_store_postgres::url_with_database(server_url, database).unwrap()
}

/// A scratch database on the primary (kept while the first store lives), a store that reads
/// from `replica_server`'s copy of it, and the database's name.
async fn scratch_with_replica(
    replica_server: &str,
) -> Option<(Arc<dyn Store>, Arc<dyn Store>, String)> {
    let (Ok(primary), Ok(_)) = (std::env::var(PRIMARY), std::env::var(REPLICA)) else {
        let _ = writeln!(std::io::stderr(), "skipped: {PRIMARY} or {REPLICA} not set");
        return None;
    };
    let scratch = cancuoc_store_postgres::connect_scratch(&primary, test_audit_key())
        .await
        .unwrap();
    let name = scratch.backend_ref().scratch_name().unwrap().to_owned();
    let store = cancuoc_store_postgres::connect_with_replica(
        &on_database(&primary, &name),
        &on_database(replica_server, &name),
        test_audit_key(),
        cancuoc_store_postgres::Sharing::Shared,
    )
    .await
    .unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    seeded(&store).await;
    Some((Arc::new(scratch), store, name))
}

async fn standby(database: &str) -> sqlx::PgConnection {
    let url = on_database(&std::env::var(REPLICA).unwrap(), database);
    let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
    // The database reaches the standby a moment after it is created on the primary, and
    // its tables a moment after they are made there.
    let started = Instant::now();
    loop {
        match options.connect().await {
            Ok(mut c) => {
                let migrated: Option<String> =
                    sqlx::query_scalar("SELECT to_regclass('citizens')::text")
                        .fetch_one(&mut c)
                        .await
                        .unwrap();
                if migrated.is_some() || database == "postgres" {
                    return c;
                }
                assert!(started.elapsed() < LAG_BOUND, "standby: no tables yet");
                c.close().await.unwrap();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => {
                assert!(started.elapsed() < LAG_BOUND, "standby: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

fn thach_ha() -> Locality {
    let commune = ha_tinh()
        .into_iter()
        .find(|u| u.parent.as_ref().is_some_and(|p| p.as_str() == "445"))
        .unwrap()
        .code;
    Locality {
        province: AdminCode::parse("42").unwrap(),
        district: Some(AdminCode::parse("445").unwrap()),
        commune,
    }
}

async fn make_official(store: &Arc<dyn Store>, pid: &str, name: &str) {
    store
        .import_forms(
            &admin_access(T0),
            ImportBatch {
                source: format!("{pid}.csv"),
                file_hash: pid.to_owned(),
                rows: vec![ImportRow {
                    row: 2,
                    new_key: Uuid::now_v7(),
                    data: person(pid, name, "1980", &thach_ha()),
                    locality: Some(thach_ha()),
                    findings: Vec::new(),
                }],
            }
            .stream(),
            &|_| {},
        )
        .await
        .unwrap();
}

async fn found_by_name(store: &Arc<dyn Store>, name: &str) -> usize {
    store
        .search_citizens(
            &admin_access(T0),
            &CitizenQuery {
                name_key: Some(cancuoc_domain::text::fold(name)),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items
        .len()
}

#[tokio::test]
async fn name_searches_read_the_standby_and_see_writes_within_a_bounded_lag() {
    let Ok(replica) = std::env::var(REPLICA) else {
        let _ = writeln!(std::io::stderr(), "skipped: {REPLICA} not set");
        return;
    };
    // A run stopped midway may have left replay paused: resumed first, through the
    // standby's own database, since the scratch one reaches the standby only by replay.
    let mut server = standby("postgres").await;
    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(&mut server)
        .await
        .unwrap();
    server.close().await.unwrap();
    let Some((_scratch, store, database)) = scratch_with_replica(&replica).await else {
        return;
    };
    let mut standby = standby(&database).await;

    make_official(&store, "042180000031", "Lò Thị Sớm").await;
    let started = Instant::now();
    while found_by_name(&store, "Lò Thị Sớm").await == 0 {
        assert!(started.elapsed() < LAG_BOUND, "not on the standby in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // With the standby's replay paused, a new record is on the primary only: the look-up
    // by ID (which must see writes) finds it, the name search (which may lag) does not,
    // until replay resumes.
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&mut standby)
        .await
        .unwrap();
    make_official(&store, "042180000032", "Lò Thị Muộn").await;
    let pid = cancuoc_domain::PersonalId::parse("042180000032").unwrap();
    assert!(
        store
            .citizen(&admin_access(T0), &pid)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(found_by_name(&store, "Lò Thị Muộn").await, 0);
    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(&mut standby)
        .await
        .unwrap();
    let resumed = Instant::now();
    while found_by_name(&store, "Lò Thị Muộn").await == 0 {
        assert!(resumed.elapsed() < LAG_BOUND, "not on the standby in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Every search served by the standby left its event in the primary's chain, unbroken:
    // one more search, one more event.
    let searches = |events: &[cancuoc_domain::audit::AuditEvent]| {
        events
            .iter()
            .filter(|e| e.draft.action.contains("search"))
            .count()
    };
    let before = searches(&store.audit_events(0, 1_000_000).await.unwrap());
    assert!(before > 0);
    assert_eq!(found_by_name(&store, "Lò Thị Muộn").await, 1);
    let events = store.audit_events(0, 1_000_000).await.unwrap();
    verify_chain(&test_audit_key(), (None, GENESIS_HASH.into()), &events).unwrap();
    assert_eq!(searches(&events), before + 1);
    // The other lagging reads run on the standby too, where nothing may write or lock.
    assert_eq!(
        store
            .count_applications(&admin_access(T0), &ApplicationQuery::default())
            .await
            .unwrap(),
        0
    );
    let day = jiff::civil::date(2021, 3, 16);
    assert!(
        store
            .intake_counts(&["C06".to_owned()], day, day)
            .await
            .unwrap()
            .is_empty()
    );
    standby.close().await.unwrap();
}

#[tokio::test]
async fn reads_go_to_the_primary_while_the_standby_is_down() {
    // Nothing listens on port 1: the standby is down from the start.
    let Some((_scratch, store, _)) =
        scratch_with_replica("postgres://postgres@127.0.0.1:1/postgres").await
    else {
        return;
    };
    make_official(&store, "042180000041", "Lò Văn Vẫn").await;
    for _ in 0..3 {
        assert_eq!(found_by_name(&store, "Lò Văn Vẫn").await, 1);
    }
    let counted = store
        .count_applications(&admin_access(T0), &ApplicationQuery::default())
        .await
        .unwrap();
    assert_eq!(counted, 0);
}
