//! The console in a real browser: `e2e/console.mjs` (Playwright, `playwright-core`)
//! drives Debian's Chromium against the server started here on a random port. Needs
//! `node`, `/usr/bin/chromium` (or `CHROMIUM`) and `npm ci --prefix e2e`; `.ci/run`
//! installs them. Screenshots go to `target/e2e/`.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests report a failure by panicking"
)]

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::*;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

#[tokio::test]
async fn every_officer_does_their_whole_job_in_the_console_in_chromium() {
    let root = workspace();
    assert!(
        root.join("e2e/node_modules/playwright-core").is_dir(),
        "the browser tests need `npm ci --prefix e2e` (and Debian's chromium); .ci/run does both"
    );
    let t = spawn_app().await;
    // The register the officers work on: Nam Hà's residents (and one form staged for
    // review), as an import would have left it. Everything after this is the console's.
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    let out = root.join("target/e2e");
    std::fs::create_dir_all(&out).unwrap();
    // What no Vietnamese page may show: the console's English phrases.
    std::fs::write(
        out.join("english.json"),
        serde_json::to_string(&cancuoc_server::console_english_phrases()).unwrap(),
    )
    .unwrap();
    // The scanner's files the intake page uploads.
    for (name, image) in [
        ("finger.jpg", jpeg(800, 750, 20_000)),
        ("flat.jpg", jpeg(1600, 1000, 6_000)),
    ] {
        std::fs::write(out.join(name), image).unwrap();
    }
    let base = t.url("");
    let result = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("e2e/console.mjs")
            .arg(&base)
            .arg(ADMIN_PASSWORD)
            .arg(&out)
            .current_dir(&root)
            .output()
    })
    .await
    .unwrap()
    .expect("node runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(result.status.success(), "{said}");
    assert!(said.contains("every check passed"), "{said}");
}
