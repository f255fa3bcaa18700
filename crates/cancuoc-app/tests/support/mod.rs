//! An application on a fresh SQLite register in a temporary folder, as the binary builds
//! it, for the integration tests of this crate.

use std::sync::Arc;

use cancuoc_app::{App, AppConfig, OsRandom, SystemClock};

/// The register's folder lives as long as the returned guard.
#[allow(dead_code)] // Each test binary uses one of the two.
pub async fn app_on_sqlite() -> (App, tempfile::TempDir) {
    app_on_sqlite_with(AppConfig::default()).await
}

pub async fn app_on_sqlite_with(config: AppConfig) -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cancuoc.db").display());
    let store = cancuoc_store_sqlite::open(&url, true, config.audit_key.clone())
        .await
        .unwrap();
    let app = App::new(
        Arc::new(store),
        Arc::new(SystemClock),
        Arc::new(OsRandom),
        config,
    )
    .await
    .unwrap();
    (app, dir)
}
