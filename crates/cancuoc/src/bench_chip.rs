//! `cancuoc bench chip`: a production batch of cards personalised (every data group, the
//! hashes, the Document Signer's signature, the chip's two key pairs, the package sealed
//! to the line), in cards per second on every core, next to `openssl speed ecdsap256`:
//! P-256 signatures per second on one core, measured in the same run.

use std::process::ExitCode;
use std::time::Instant;

use cancuoc_app::package::{self, Package};
use cancuoc_app::{OsRandom, Random};
use cancuoc_icao::chip::{self, ChipData};
use cancuoc_icao::pki::{Certificate, KeyPair};
use cancuoc_icao::specimen::{self, SpecimenPki};

use crate::commands::{CliError, Result};

fn random_key() -> KeyPair {
    KeyPair::generate(|b| {
        if let Ok(bytes) = OsRandom.bytes(b.len()) {
            b.copy_from_slice(&bytes);
        }
    })
}

/// The specimen PKI, its Document Signer inside its usage period now.
fn signer(now: jiff::Timestamp) -> Result<(Certificate, KeyPair)> {
    let later = now
        .checked_add(jiff::SignedDuration::from_hours(24 * 90))
        .map_err(|e| CliError::failed(e.to_string()))?;
    let pki = SpecimenPki::new(now, later).map_err(|e| CliError::failed(e.to_string()))?;
    Ok((pki.ds, pki.ds_key))
}

/// One card's data: the specimen card under its own personal ID, a 30 KB portrait.
fn card(n: usize, portrait: &[u8]) -> Result<(String, ChipData)> {
    let personal_id = format!("0420{:08}", n % 100_000_000);
    let data = specimen::card(&personal_id, portrait.to_vec())
        .map_err(|e| CliError::failed(e.to_string()))?;
    Ok((personal_id, data))
}

/// Everything production does for one card but the vault and the database.
fn personalise_one(
    n: usize,
    portrait: &[u8],
    ds: &Certificate,
    ds_key: &KeyPair,
    line: &[u8],
    now: jiff::Timestamp,
) -> Result<usize> {
    let (personal_id, data) = card(n, portrait)?;
    let chip_authentication = random_key();
    let active_authentication = random_key();
    let files = chip::personalise(
        &data,
        &chip_authentication,
        &active_authentication,
        ds,
        ds_key,
        now,
    )
    .map_err(|e| CliError::failed(e.to_string()))?;
    let package = Package::new(
        uuid::Uuid::nil(),
        &personal_id,
        &files,
        &chip_authentication,
        &active_authentication,
        &data.mrz,
    );
    let sealed = package::seal(&package, line, |b| {
        if let Ok(bytes) = OsRandom.bytes(b.len()) {
            b.copy_from_slice(&bytes);
        }
    })?;
    Ok(sealed.len())
}

/// `openssl speed` for ECDSA P-256: signatures per second on one core.
fn openssl_signatures_per_second() -> Result<f64> {
    let out = std::process::Command::new("openssl")
        .args(["speed", "-seconds", "3", "ecdsap256"])
        .output()
        .map_err(|e| CliError::failed(format!("openssl speed: {e} (Debian's openssl package)")))?;
    let text = String::from_utf8_lossy(&out.stdout);
    // " 256 bits ecdsa (nistp256)   0.0000s   0.0001s  41234.5  15678.9"
    text.lines()
        .find(|l| l.contains("ecdsa (nistp256)"))
        .and_then(|l| l.split_whitespace().rev().nth(1))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| CliError::failed(format!("openssl speed printed no P-256 figure:\n{text}")))
}

pub fn chip(cards: usize) -> Result<ExitCode> {
    let cards = cards.max(1);
    let now = jiff::Timestamp::now();
    let (ds, ds_key) = signer(now)?;
    let line = random_key().public_key_info();
    let portrait = cancuoc_domain::biometrics::sample_jpeg(480, 640, 30_000);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);

    // The signature alone, on one core: what the peer measures.
    let signatures: u32 = 2_000;
    let started = Instant::now();
    for i in 0..signatures {
        std::hint::black_box(ds_key.sign(&i.to_be_bytes()));
    }
    let our_signatures = f64::from(signatures) / started.elapsed().as_secs_f64();
    // A key pair drawn, on one core: a card needs three (two for the chip, one for the
    // package's ephemeral key).
    let started = Instant::now();
    for _ in 0..signatures {
        std::hint::black_box(random_key());
    }
    let our_key_pairs = f64::from(signatures) / started.elapsed().as_secs_f64();
    // A whole card on one core.
    let sample = 500;
    let started = Instant::now();
    for n in 0..sample {
        personalise_one(n, &portrait, &ds, &ds_key, &line, now)?;
    }
    let card_micros = started.elapsed().as_secs_f64() * 1e6 / sample as f64;

    let started = Instant::now();
    let bytes: Result<Vec<usize>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (ds, ds_key, line, portrait) = (&ds, &ds_key, &line, &portrait);
                scope.spawn(move || -> Result<usize> {
                    let mut total = 0;
                    for n in (t..cards).step_by(threads) {
                        total += personalise_one(n, portrait, ds, ds_key, line, now)?;
                    }
                    Ok(total)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .map_err(|_| CliError::failed("a worker panicked"))?
            })
            .collect()
    });
    let packaged: usize = bytes?.iter().sum();
    let elapsed = started.elapsed().as_secs_f64();
    let per_second = cards as f64 / elapsed;
    let peer = openssl_signatures_per_second()?;
    println!(
        "cancuoc bench chip: {cards} cards personalised in {elapsed:.2} s on {threads} threads: {per_second:.0} cards/s ({:.0} per thread); packages {:.1} KB each",
        per_second / threads as f64,
        packaged as f64 / cards as f64 / 1024.0
    );
    println!(
        "  each card: 5 data groups, EF.COM, EF.CardAccess, EF.SOD signed (1 signature), 2 chip key pairs, 1 package sealed (1 ephemeral key, 1 ECDH)"
    );
    println!(
        "  our P-256 signatures on one core (p256 crate): {our_signatures:.0}/s; key pairs: {our_key_pairs:.0}/s"
    );
    let sign_micros = 1e6 / our_signatures;
    let keys_micros = 3.0 * 1e6 / our_key_pairs;
    println!(
        "  one card on one core: {card_micros:.0} µs, of which the signature {sign_micros:.0} µs ({:.0}%), three key pairs {keys_micros:.0} µs ({:.0}%), the rest (ECDH, hashes, AES-GCM, JSON) {:.0} µs",
        100.0 * sign_micros / card_micros,
        100.0 * keys_micros / card_micros,
        (card_micros - sign_micros - keys_micros).max(0.0)
    );
    println!("  peer: openssl speed ecdsap256, one core: {peer:.0} signatures/s");
    println!(
        "  cards/s ÷ the peer's signatures/s = {:.2} (goal ≥ 0.5); a batch of 10,000 cards takes {:.1} s at this pace (goal < 10 s)",
        per_second / peer,
        10_000.0 / per_second
    );
    Ok(ExitCode::SUCCESS)
}
