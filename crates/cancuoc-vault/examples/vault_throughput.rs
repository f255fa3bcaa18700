//! How fast the vault seals, next to what the disk itself can do.
//!
//! Seals 2,000 objects of 250 KB (a typical biometric bundle) into a temporary directory,
//! then writes the same bytes as plain files with `write` + `fsync` of the file and of its
//! directory (the durability `seal` promises), same count, same disk, same run. Both are
//! measured one at a time and 8 at a time (as concurrent requests would), and the
//! encryption alone is measured against memory.
//!
//!     cargo run --release -p cancuoc-vault --example vault_throughput
//!
//! `VAULT_BENCH_DIR` picks the disk (default: the system temporary directory);
//! `VAULT_BENCH_OBJECTS` the count.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cancuoc_store::Vault;
use cancuoc_vault::{MasterKey, ObjectVault};
use object_store::memory::InMemory;

const OBJECT_BYTES: usize = 250_000;
const IN_FLIGHT: usize = 8;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count: usize = std::env::var("VAULT_BENCH_OBJECTS")
        .ok()
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(2_000);
    let base = std::env::var_os("VAULT_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(&base)?;
    let data: Arc<Vec<u8>> = Arc::new(
        (0..OBJECT_BYTES)
            .map(|i| u8::try_from((i.wrapping_mul(2_654_435_761) >> 13) & 0xFF).unwrap_or(0))
            .collect(),
    );
    let master = MasterKey::generate()?;
    println!(
        "vault_throughput: {count} objects of {OBJECT_BYTES} bytes in {} ({} CPUs)",
        base.display(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let vault: Arc<dyn Vault> = Arc::new(ObjectVault::local(&dir.path().join("v1"), &master)?);
    let took = seal_all(&vault, count, 1, &data).await?;
    report("vault seal, one at a time", count, took);
    let took = raw_all(&dir.path().join("r1"), count, 1, &data).await?;
    report("raw write+fsync, one at a time", count, took);

    let vault: Arc<dyn Vault> = Arc::new(ObjectVault::local(&dir.path().join("v8"), &master)?);
    let took = seal_all(&vault, count, IN_FLIGHT, &data).await?;
    report("vault seal, 8 at a time", count, took);
    let took = raw_all(&dir.path().join("r8"), count, IN_FLIGHT, &data).await?;
    report("raw write+fsync, 8 at a time", count, took);

    let started = Instant::now();
    for i in 0..count {
        let plain = vault.open(&key(i)).await?;
        anyhow::ensure!(plain.len() == OBJECT_BYTES);
    }
    report("vault open, one at a time", count, started.elapsed());

    let memory: Arc<dyn Vault> = Arc::new(ObjectVault::new(Arc::new(InMemory::new()), &master));
    let took = seal_all(&memory, count, 1, &data).await?;
    report("vault seal into memory (encryption only)", count, took);
    Ok(())
}

fn key(i: usize) -> String {
    format!("biometrics/{i:05}.bundle")
}

fn report(what: &str, count: usize, took: Duration) {
    let secs = took.as_secs_f64();
    let as_f64 = |n: usize| u32::try_from(n).map_or(f64::MAX, f64::from);
    let objects = as_f64(count) / secs;
    let megabytes = as_f64(count) * as_f64(OBJECT_BYTES) / 1e6 / secs;
    println!("  {what:<42} {objects:>8.0} objects/s {megabytes:>8.1} MB/s  ({secs:.2} s)");
}

async fn seal_all(
    vault: &Arc<dyn Vault>,
    count: usize,
    in_flight: usize,
    data: &Arc<Vec<u8>>,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..count {
        if tasks.len() >= in_flight
            && let Some(done) = tasks.join_next().await
        {
            done??;
        }
        let (vault, data) = (Arc::clone(vault), Arc::clone(data));
        tasks.spawn(async move { vault.seal(&key(i), &data).await });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(started.elapsed())
}

async fn raw_all(
    dir: &Path,
    count: usize,
    in_flight: usize,
    data: &Arc<Vec<u8>>,
) -> anyhow::Result<Duration> {
    std::fs::create_dir_all(dir.join("biometrics"))?;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..count {
        if tasks.len() >= in_flight
            && let Some(done) = tasks.join_next().await
        {
            done??;
        }
        let (path, data) = (dir.join(key(i)), Arc::clone(data));
        tasks.spawn_blocking(move || -> std::io::Result<()> {
            let mut file = std::fs::File::create_new(&path)?;
            file.write_all(&data)?;
            file.sync_all()?;
            let parent = path.parent().unwrap_or(Path::new("."));
            std::fs::File::open(parent)?.sync_all()
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(started.elapsed())
}
