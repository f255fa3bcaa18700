//! `cancuoc bench scale` end to end at a small size on PostgreSQL: two registers built,
//! every figure printed with its goal or peer, the kept eligible counts agreeing with a
//! recount, and a second run reusing the registers. Skipped (saying so) without
//! `CANCUOC_TEST_POSTGRES`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::Write as _;
use std::process::Command;

use support::*;

fn drop_databases(admin_url: &str, sizes: &[&str]) {
    for size in sizes {
        let status = Command::new("psql")
            .args([
                "-X",
                "-q",
                admin_url,
                "-c",
                "SET client_min_messages = warning",
                "-c",
                &format!("DROP DATABASE IF EXISTS cancuoc_bench_scale_{size} WITH (FORCE)"),
            ])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

#[test]
fn bench_scale_measures_each_size_alike_and_reuses_its_registers() {
    let Ok(admin_url) = std::env::var("CANCUOC_TEST_POSTGRES") else {
        let _ = writeln!(std::io::stderr(), "skipped: CANCUOC_TEST_POSTGRES not set");
        return;
    };
    // Sizes no benchmark uses, so that a real run's registers are never touched.
    let sizes = ["701", "1403"];
    drop_databases(&admin_url, &sizes);
    let ws = Workspace::new();
    let work = ws.path("scale");
    let run = || {
        ws.run(&[
            "bench",
            "scale",
            "--people",
            &sizes.join(","),
            "--postgres",
            &admin_url,
            "--work-dir",
            work.to_str().unwrap(),
            "--requests",
            "20",
            "--filings",
            "6",
        ])
    };
    let out = run();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for line in [
        "701 people on PostgreSQL",
        "1,403 people on PostgreSQL",
        "built at",
        "GET /citizens/{id}",
        "GET /citizens?name=…",
        "national eligible, kept counts",
        "recounted from the register, agreeing",
        "plain count(*) of citizens",
        "GET /campaigns/{id}/progress?unit=BCA",
        "filings with biometrics, two nodes",
        "growth against 701 people",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
    assert!(text.contains("goal p99 < 5 ms"), "{text}");
    // A second run reuses the registers and files for other people.
    let out = run();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("built by an earlier run"),
        "{}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("reusing cancuoc_bench_scale_701"));
    drop_databases(&admin_url, &sizes);
}
