//! The working copy of a mobile station: the same store in memory. The cases a station's
//! work goes through run here too, and the database outlives a connection the pool
//! closes (a rolled-back write closes its connection).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use cancuoc_store::Store;
use cancuoc_store::conformance as case;

async fn fresh() -> Arc<dyn Store> {
    Arc::new(
        cancuoc_store_sqlite::open_in_memory(case::test_audit_key())
            .await
            .unwrap(),
    )
}

#[tokio::test]
async fn population_loads_in_memory() {
    case::population_loads_with_households(fresh().await).await;
}

#[tokio::test]
async fn applications_are_filed_once_in_memory() {
    case::applications_are_filed_with_receipts_once(fresh().await).await;
}

#[tokio::test]
async fn transitions_follow_the_rules_in_memory() {
    case::transitions_follow_roles_states_and_versions(fresh().await).await;
}

#[tokio::test]
async fn appointments_fill_slots_in_memory() {
    case::appointments_fill_slots_once_per_person_and_follow_the_day(fresh().await).await;
}

#[tokio::test]
async fn officers_sign_in_in_memory() {
    case::officers_sessions_and_throttling(fresh().await).await;
}
