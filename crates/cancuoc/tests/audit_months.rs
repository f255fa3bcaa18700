//! The audit trail's months on PostgreSQL from the command line (issue 20 §3): listed
//! with their first and last events, one month verified on its own, months long past
//! detached for archive, the trail left verified from the kept hash, and a kept hash
//! altered behind the archive's back found. Skipped (saying so) without
//! `CANCUOC_TEST_POSTGRES`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::sync::Arc;

use cancuoc_domain::audit::{AuditKey, Outcome, month_start_micros};
use cancuoc_store::Store;
use support::*;

const KEY: [u8; 32] = [9; 32];

fn vn(y: i16, m: i8, d: i8) -> i64 {
    month_start_micros(jiff::civil::date(y, m, d)) + 3_600_000_000
}

#[tokio::test]
async fn months_of_the_trail_are_listed_verified_and_archived() {
    let Ok(admin_url) = std::env::var("CANCUOC_TEST_POSTGRES") else {
        let _ = writeln!(std::io::stderr(), "skipped: CANCUOC_TEST_POSTGRES not set");
        return;
    };
    let pg = cancuoc_store_postgres::connect_scratch(&admin_url, AuditKey::from_bytes(KEY))
        .await
        .unwrap();
    let url = pg.backend_ref().scratch_url().unwrap().to_owned();
    let store: Arc<dyn Store> = Arc::new(pg.clone());
    // Events of March and April 2021, before anything of today.
    store
        .prepare_audit_months(jiff::civil::date(2021, 3, 1))
        .await
        .unwrap();
    for (at, who) in [
        (vn(2021, 3, 10), "an"),
        (vn(2021, 3, 20), "binh"),
        (vn(2021, 4, 5), "chi"),
        (vn(2021, 4, 25), "dung"),
    ] {
        store
            .append_audit(
                &cancuoc_store::conformance::admin_access(at),
                "auth.login",
                "officer",
                who,
                Outcome::Done,
            )
            .await
            .unwrap();
    }

    let ws = Workspace::new();
    std::fs::create_dir_all(ws.path("cancuoc-data")).unwrap();
    let key_file = ws.path("cancuoc-data/audit.key");
    std::fs::write(&key_file, hex::encode(KEY)).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let run = |args: &[&str]| {
        let mut all = vec!["--db", url.as_str()];
        all.extend_from_slice(args);
        ws.run(&all)
    };
    let ok = |args: &[&str]| {
        let out = run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        stdout(&out)
    };
    ok(&["init"]);
    assert!(ok(&["audit", "verify"]).contains("audit trail intact"));

    let months = ok(&["audit", "months"]);
    let march = months
        .lines()
        .find(|l| l.starts_with("audit_events_2021_03"))
        .unwrap_or_else(|| panic!("{months}"));
    assert!(march.contains("2 events"), "{march}");
    let april = ok(&["audit", "verify", "--month", "2021-04"]);
    assert!(april.contains("intact from event 3: 2 events"), "{april}");

    let archived = ok(&["audit", "archive", "--before", "2021-05"]);
    assert!(
        archived.contains("detached audit_events_2021_03 (2 events)"),
        "{archived}"
    );
    assert!(
        archived.contains("detached audit_events_2021_04 (2 events)"),
        "{archived}"
    );
    let months = ok(&["audit", "months"]);
    assert!(
        months
            .lines()
            .any(|l| l.starts_with("audit_events_2021_04") && l.ends_with("archived")),
        "{months}"
    );
    let whole = ok(&["audit", "verify"]);
    assert!(whole.contains("intact from event 5"), "{whole}");
    // An archived month is no longer in the trail to verify.
    let out = run(&["audit", "verify", "--month", "2021-03"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("is archived"), "{}", stderr(&out));

    let psql = |sql: &str| {
        let status = std::process::Command::new("psql")
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", &url, "-c", sql])
            .status()
            .unwrap();
        assert!(status.success(), "{sql}");
    };
    let broken = |why: &str| {
        let out = run(&["audit", "verify"]);
        assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
        assert!(stdout(&out).contains(why), "{}", stdout(&out));
    };
    // A row added to the archive to start the walk past events still in the table.
    let (seq, hash): (i64, String) = {
        let events = store.audit_events(0, 100).await.unwrap();
        let e = events.iter().find(|e| e.seq == 6).unwrap();
        (e.seq, e.hash.clone())
    };
    psql(&format!(
        "INSERT INTO audit_archive VALUES ('forged', 0, 1, 5, 'x', {seq}, '{hash}', 2, 0)"
    ));
    broken("does not follow the one before it");
    psql("DELETE FROM audit_archive WHERE name = 'forged'");
    ok(&["audit", "verify"]);
    // The hash kept for the last archived month, altered: no signed checkpoint holds it.
    psql(&format!(
        "UPDATE audit_archive SET last_hash = '{}' WHERE name = 'audit_events_2021_04'",
        "ab".repeat(32)
    ));
    broken("not the one a signed checkpoint holds");
}
