//! The store conformance suite on SQLite, a fresh database file per test.

// Test helpers outside #[test] functions: a panic is the failure report.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;

use cancuoc_store::Store;

async fn fresh() -> Arc<dyn Store> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store =
        cancuoc_store_sqlite::open(&url, true, cancuoc_store::conformance::test_audit_key())
            .await
            .unwrap();
    // Keep the directory for the life of the test process.
    std::mem::forget(dir);
    Arc::new(store)
}

cancuoc_store::conformance_suite!(fresh());
