//! The store conformance suite on PostgreSQL, a brand-new database per test, on the
//! server named by `CANCUOC_TEST_POSTGRES` (e.g. `postgres://postgres@127.0.0.1:5432/postgres`,
//! a role that may create databases). Without that variable every case says it was
//! skipped, on the terminal and not only in captured output, and returns: CI always sets
//! it, and the SQLite suite runs regardless.

// clippy.toml lets #[test] functions unwrap; the helpers around them may too: a panic
// here is the failure report.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::Arc;

use cancuoc_store::Store;

const ENV: &str = "CANCUOC_TEST_POSTGRES";

/// A store on a fresh database, or `None` (after saying so) when no server is configured.
async fn fresh() -> Option<Arc<dyn Store>> {
    let Ok(admin_url) = std::env::var(ENV) else {
        // Straight to the stream, past the test harness's output capture.
        let _ = writeln!(std::io::stderr(), "skipped: {ENV} not set");
        return None;
    };
    let store = cancuoc_store_postgres::connect_scratch(
        &admin_url,
        cancuoc_store::conformance::test_audit_key(),
    )
    .await
    .unwrap();
    Some(Arc::new(store))
}

// The suite awaits its argument; when there is no server the test returns before that.
cancuoc_store::conformance_suite!(match fresh().await {
    Some(store) => std::future::ready(store),
    None => return,
});
