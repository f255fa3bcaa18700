//! The SQLite bulk path: an import commits chunk by chunk, and one that fails leaves
//! nothing in the tables, its indexes as they were; a large import asks the database only
//! about keys it may hold.

// Test helpers outside #[test] functions: a panic is the failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use cancuoc_store::Store;
use cancuoc_store::conformance::{
    admin_access, batch, numbered_rows, numbered_rows_failing_at_the_end, numbered_rows_landed,
    seeded,
};
use cancuoc_store_sqlite::Sharing;
use sqlx::Connection;

const T0: i64 = 1_615_852_800_000_000;
const ROWS: usize = 50_000;

/// The indexes of the file as `sqlite_master` holds them, read over a separate connection.
async fn indexes(url: &str) -> Vec<(String, String)> {
    let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
    sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
}

/// Rows of the tables an import writes, the hidden ones included, and the runs listed.
async fn rows_left(url: &str) -> (i64, i64, i64) {
    let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM citizen_rows), (SELECT count(*) FROM citizen_history),
            (SELECT count(*) FROM import_runs)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_large_import_that_fails_leaves_no_row_and_the_indexes_as_they_were() {
    fails_and_succeeds(Sharing::Shared).await;
}

/// With the file to itself, a large import is one transaction that sets the secondary
/// indexes aside and builds them again: the same outcome, the indexes exactly as the
/// migrations made them, nothing left by a failure.
#[tokio::test]
async fn a_large_import_alone_sets_indexes_aside_and_leaves_them_as_they_were() {
    fails_and_succeeds(Sharing::Alone).await;
}

async fn fails_and_succeeds(sharing: Sharing) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bulk.db").display());
    let store: Arc<dyn Store> = Arc::new(
        cancuoc_store_sqlite::open_with(
            &url,
            true,
            cancuoc_store::conformance::test_audit_key(),
            sharing,
        )
        .await
        .unwrap(),
    );
    seeded(&store).await;
    store
        .advance_eligible(jiff::civil::date(2021, 3, 16))
        .await
        .unwrap();
    let before = indexes(&url).await;
    assert!(before.iter().any(|(name, _)| name == "citizens_by_name"));

    // A large import that fails at its last row, after its other chunks were committed,
    // leaves nothing, hidden rows included.
    let failing = numbered_rows_failing_at_the_end(ROWS);
    assert!(
        store
            .import_forms(&admin_access(T0), batch(failing).stream(), &|_| {})
            .await
            .is_err()
    );
    assert_eq!(indexes(&url).await, before);
    assert_eq!(rows_left(&url).await, (0, 0, 0));

    let out = store
        .import_forms(
            &admin_access(T0),
            batch(numbered_rows(ROWS)).stream(),
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!(out.inserted, ROWS as u64);
    assert_eq!(indexes(&url).await, before);
    // An index made again is entered last in the schema: alone, the five set aside are.
    let last: Vec<String> = {
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query_scalar("SELECT name FROM sqlite_master ORDER BY rowid DESC LIMIT 5")
            .fetch_all(&mut conn)
            .await
            .unwrap()
    };
    let mut rebuilt = last.clone();
    rebuilt.sort();
    let set_aside = [
        "citizen_rows_by_birth_date",
        "citizens_by_commune",
        "citizens_by_household",
        "citizens_by_name",
        "citizens_by_old_id",
    ];
    assert_eq!(rebuilt == set_aside, sharing == Sharing::Alone, "{last:?}");
    // Found, and the eligible counts kept at write time agree with a recount either way.
    numbered_rows_landed(&store, ROWS).await;
}

/// At the size where the bulk path sets indexes aside and keeps the register's keys in
/// memory, an import decides every row as the small case does.
#[tokio::test]
async fn a_large_import_decides_as_row_by_row_with_its_keys_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("decide.db").display());
    let store: Arc<dyn Store> = Arc::new(
        cancuoc_store_sqlite::open(&url, true, cancuoc_store::conformance::test_audit_key())
            .await
            .unwrap(),
    );
    cancuoc_store::conformance::import_decides_across_chunks(store, ROWS + 500).await;
}

/// A writer of another process (here another connection) holds the write lock for a
/// while: a desk's audited read waits for it and goes through as soon as it is let go.
/// SQLite's own busy handler would have slept from 228 ms to 328 ms, 88 ms too long.
#[tokio::test]
async fn a_desk_waits_for_a_writer_of_another_process_and_then_goes_through() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("busy.db").display());
    let store: Arc<dyn Store> = Arc::new(
        cancuoc_store_sqlite::open(&url, true, cancuoc_store::conformance::test_audit_key())
            .await
            .unwrap(),
    );
    seeded(&store).await;
    let pid = cancuoc_domain::PersonalId::parse("042090000001").unwrap();

    let mut other = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let held = std::time::Duration::from_millis(240);
    let release = tokio::spawn(async move {
        tokio::time::sleep(held).await;
        sqlx::raw_sql("COMMIT").execute(&mut other).await.unwrap();
        other
    });
    let started = std::time::Instant::now();
    let found = store.citizen(&admin_access(T0), &pid).await;
    let waited = started.elapsed();
    assert!(matches!(found, Ok(None)), "{found:?}");
    assert!(waited >= held, "{waited:?}");
    // Polled every millisecond: through within a few of the release.
    assert!(
        waited < held + std::time::Duration::from_millis(50),
        "{waited:?}"
    );
    release.await.unwrap();
}
