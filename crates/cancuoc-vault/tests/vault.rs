//! The vault against a real directory: what it seals opens, and nothing else does.
#![allow(clippy::panic, reason = "a test reports a wrong outcome by panicking")]

use std::path::Path;
use std::sync::Arc;

use cancuoc_store::{StoreError, Vault};
use cancuoc_vault::{FORMAT_VERSION, MAGIC, MasterKey, OVERHEAD, ObjectVault, VaultError};

type TestResult = anyhow::Result<()>;

/// Bytes that look like nothing in particular, different for each seed.
fn payload(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

fn new_vault(dir: &Path) -> anyhow::Result<(ObjectVault, MasterKey)> {
    let key = MasterKey::generate()?;
    Ok((ObjectVault::local(dir, &key)?, key))
}

fn backend_message(result: Result<Vec<u8>, StoreError>) -> String {
    match result {
        Err(StoreError::Backend(message)) => message,
        other => panic!("expected a backend error, got {other:?}"),
    }
}

#[tokio::test]
async fn what_is_sealed_opens_and_is_encrypted_on_disk() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (vault, _) = new_vault(dir.path())?;
    let plaintext = payload(1, 250_000);
    vault
        .seal("biometrics/2021/app-1.bundle", &plaintext)
        .await?;
    assert_eq!(vault.open("biometrics/2021/app-1.bundle").await?, plaintext);

    let stored = std::fs::read(dir.path().join("biometrics/2021/app-1.bundle"))?;
    assert_eq!(stored.len(), plaintext.len() + OVERHEAD);
    assert_eq!(OVERHEAD, 101);
    assert!(stored.starts_with(MAGIC));
    assert_eq!(stored[4], FORMAT_VERSION);
    assert_eq!(hex::encode(&stored[5..13]), vault.key_id_hex());
    assert!(
        !stored.windows(32).any(|w| w == &plaintext[1_000..1_032]),
        "plaintext visible on disk"
    );
    // Only the object: object_store's staging file is gone.
    let names: Vec<_> = std::fs::read_dir(dir.path().join("biometrics/2021"))?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()?;
    assert_eq!(names, ["app-1.bundle"]);

    vault.seal("empty", b"").await?;
    assert_eq!(vault.open("empty").await?, b"");
    Ok(())
}

#[tokio::test]
async fn the_same_plaintext_seals_differently_each_time() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (vault, _) = new_vault(dir.path())?;
    vault.seal("a", b"same bytes").await?;
    vault.seal("b", b"same bytes").await?;
    let (a, b) = (
        std::fs::read(dir.path().join("a"))?,
        std::fs::read(dir.path().join("b"))?,
    );
    // Fresh data key and nonces per object: everything after the key id differs.
    assert_ne!(a[13..], b[13..]);
    Ok(())
}

#[tokio::test]
async fn another_master_key_does_not_open() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (vault, _) = new_vault(dir.path())?;
    vault.seal("x", b"portrait").await?;
    let (other, other_key) = new_vault(dir.path())?;
    let message = backend_message(other.open("x").await);
    assert!(
        message.contains("sealed under another master key"),
        "{message}"
    );
    assert!(message.contains(&other_key.id_hex()), "{message}");

    // Even with the key id forged to match, the wrapped key does not unwrap.
    let path = dir.path().join("x");
    let mut stored = std::fs::read(&path)?;
    stored[5..13].copy_from_slice(&hex::decode(other_key.id_hex())?);
    std::fs::write(&path, &stored)?;
    let message = backend_message(other.open("x").await);
    assert!(message.contains("does not decrypt"), "{message}");
    Ok(())
}

#[tokio::test]
async fn a_flipped_byte_anywhere_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (vault, _) = new_vault(dir.path())?;
    let plaintext = payload(2, 1_000);
    vault.seal("x", &plaintext).await?;
    let path = dir.path().join("x");
    let good = std::fs::read(&path)?;
    // Magic, version, key id, both nonces, wrapped key, both tags, the data.
    for at in [
        0,
        4,
        5,
        12,
        13,
        24,
        25,
        56,
        57,
        72,
        73,
        84,
        85,
        500,
        good.len() - 17,
        good.len() - 1,
    ] {
        let mut bad = good.clone();
        bad[at] ^= 0x01;
        std::fs::write(&path, &bad)?;
        let message = backend_message(vault.open("x").await);
        assert!(
            message.starts_with("vault object x "),
            "byte {at}: {message}"
        );
    }
    for cut in [0, 10, 84, 85, 100, good.len() - 1] {
        std::fs::write(&path, &good[..cut])?;
        backend_message(vault.open("x").await);
    }
    std::fs::write(&path, &good)?;
    assert_eq!(vault.open("x").await?, plaintext);
    Ok(())
}

#[tokio::test]
async fn an_object_moved_under_another_key_does_not_open() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (vault, _) = new_vault(dir.path())?;
    vault.seal("app-1", b"citizen one").await?;
    vault.seal("app-2", b"citizen two").await?;
    std::fs::copy(dir.path().join("app-1"), dir.path().join("app-2"))?;
    let message = backend_message(vault.open("app-2").await);
    assert_eq!(
        message,
        "vault object app-2 does not decrypt: it was altered, or copied from another object key"
    );
    Ok(())
}

#[tokio::test]
async fn sealing_a_key_twice_is_a_conflict_and_keeps_the_first() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (vault, _) = new_vault(dir.path())?;
    vault.seal("app-1", b"first").await?;
    match vault.seal("app-1", b"second").await {
        Err(StoreError::Conflict(message)) => {
            assert_eq!(message, "vault object app-1 exists already");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(vault.open("app-1").await?, b"first");
    Ok(())
}

#[tokio::test]
async fn a_missing_object_is_not_found() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (vault, _) = new_vault(dir.path())?;
    match vault.open("biometrics/none").await {
        Err(StoreError::NotFound(what)) => assert_eq!(what, "vault object biometrics/none"),
        other => panic!("expected not found, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn keys_that_could_leave_the_vault_are_invalid() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (vault, _) = new_vault(dir.path())?;
    let long = "a".repeat(513);
    for key in [
        "",
        "/etc/passwd",
        "../x",
        "a/../b",
        "a//b",
        "a/",
        "./a",
        "a#1",
        "a b",
        "ảnh",
        &long,
    ] {
        assert!(
            matches!(vault.seal(key, b"x").await, Err(StoreError::Invalid(_))),
            "{key:?}"
        );
        assert!(
            matches!(vault.open(key).await, Err(StoreError::Invalid(_))),
            "{key:?}"
        );
    }
    vault
        .seal("biometrics/0196f1c2-7d1e.v1_bundle", b"x")
        .await?;
    Ok(())
}

#[tokio::test]
async fn many_seals_at_once_all_open() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (vault, _) = new_vault(dir.path())?;
    let vault: Arc<dyn Vault> = Arc::new(vault);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..64u64 {
        let vault = Arc::clone(&vault);
        tasks.spawn(async move { vault.seal(&format!("p/{i}"), &payload(i, 10_000)).await });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    for i in 0..64u64 {
        assert_eq!(vault.open(&format!("p/{i}")).await?, payload(i, 10_000));
    }
    Ok(())
}

#[cfg(unix)]
#[test]
fn the_key_file_is_private_and_never_overwritten() -> TestResult {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir()?;
    let path = dir.path().join("vault.key");
    let created = MasterKey::create(&path)?;
    let text = std::fs::read_to_string(&path)?;
    assert_eq!(text.len(), 65);
    assert!(text.ends_with('\n'));
    assert!(text.trim_end().bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        std::fs::metadata(&path)?.permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(MasterKey::load(&path)?.id_hex(), created.id_hex());
    assert_eq!(MasterKey::from_hex(&text)?.id_hex(), created.id_hex());

    match MasterKey::create(&path) {
        Err(VaultError::KeyFileExists(p)) => assert_eq!(p, path),
        other => panic!("expected the file to be kept, got {other:?}"),
    }
    assert_eq!(std::fs::read_to_string(&path)?, text);

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
    let err = MasterKey::load(&path).unwrap_err().to_string();
    assert!(
        err.contains("can be read by other users (mode 644)"),
        "{err}"
    );
    Ok(())
}

#[test]
fn a_key_must_be_64_hex_digits_and_never_prints() -> TestResult {
    let hex_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    let key = MasterKey::from_hex(&format!("  {hex_key}\n"))?;
    let shown = format!("{key:?}");
    assert!(
        !shown.contains(hex_key) && !shown.contains("00112233"),
        "{shown}"
    );
    assert!(shown.contains("<redacted>"));
    // The id is the first 8 bytes of SHA-256 of the 32 key bytes.
    use sha2::Digest;
    let digest = sha2::Sha256::digest(hex::decode(hex_key)?);
    assert_eq!(key.id_hex(), hex::encode(&digest[..8]));
    for bad in [
        "",
        "00",
        &hex_key[..63],
        &format!("{hex_key}00"),
        &hex_key.replace('a', "g"),
    ] {
        assert!(
            matches!(MasterKey::from_hex(bad), Err(VaultError::KeyFormat)),
            "{bad:?}"
        );
    }
    let missing = MasterKey::load(Path::new("/nonexistent/vault.key")).unwrap_err();
    assert!(matches!(missing, VaultError::KeyFile { .. }), "{missing}");
    Ok(())
}

/// Issue 14 §4: a vault set up with one key refuses another at start, before anything is
/// sealed under it.
#[tokio::test]
async fn a_wrong_key_is_refused_at_open() -> TestResult {
    let dir = tempfile::tempdir()?;
    let key = MasterKey::generate()?;
    let vault = ObjectVault::open_local(dir.path(), &key).await?;
    assert!(dir.path().join(cancuoc_vault::KEY_CHECK_OBJECT).is_file());
    vault.seal("applications/a/biometrics.ccbd", b"x").await?;
    drop(vault);

    // The same key opens it again (the check is read, not written).
    ObjectVault::open_local(dir.path(), &key).await?;

    let other = MasterKey::generate()?;
    match ObjectVault::open_local(dir.path(), &other).await {
        Err(VaultError::WrongKey { given, reason, .. }) => {
            assert_eq!(given, other.id_hex());
            assert!(reason.contains(&key.id_hex()), "{reason}");
        }
        other => panic!("expected a wrong-key error, got {other:?}"),
    }
    let message = ObjectVault::open_local(dir.path(), &other)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        message.contains("does not open with this master key"),
        "{message}"
    );
    // Nothing was written under the wrong key.
    assert_eq!(files(dir.path())?, 2);
    Ok(())
}

/// A vault from before the key check: the key must open one of its objects before the
/// check is written, so a wrong key is refused there too.
#[tokio::test]
async fn a_vault_without_a_check_gets_one_only_under_its_own_key() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (old, key) = new_vault(dir.path())?;
    old.seal("applications/a/biometrics.ccbd", b"x").await?;

    let other = MasterKey::generate()?;
    assert!(matches!(
        ObjectVault::open_local(dir.path(), &other).await,
        Err(VaultError::WrongKey { .. })
    ));
    assert!(!dir.path().join(cancuoc_vault::KEY_CHECK_OBJECT).exists());

    let vault = ObjectVault::open_local(dir.path(), &key).await?;
    assert!(dir.path().join(cancuoc_vault::KEY_CHECK_OBJECT).is_file());
    assert!(!vault.check_key().await?, "written once");
    Ok(())
}

/// Files under `dir`, at any depth.
fn files(dir: &Path) -> std::io::Result<usize> {
    let mut count = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            count += files(&entry.path())?;
        } else {
            count += 1;
        }
    }
    Ok(count)
}

#[tokio::test]
async fn remove_takes_an_object_away_and_a_second_remove_is_no_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (vault, _) = new_vault(dir.path())?;
    vault.seal("applications/a/biometrics.ccbd", b"x").await?;
    vault.remove("applications/a/biometrics.ccbd").await?;
    assert!(matches!(
        vault.open("applications/a/biometrics.ccbd").await,
        Err(StoreError::NotFound(_))
    ));
    vault.remove("applications/a/biometrics.ccbd").await?;
    assert!(matches!(
        vault.remove(cancuoc_vault::KEY_CHECK_OBJECT).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        vault.remove("../outside").await,
        Err(StoreError::Invalid(_))
    ));
    Ok(())
}

/// The register of the gc tests: a fixed set of referenced keys.
struct Referenced(Vec<&'static str>);

#[async_trait::async_trait]
impl cancuoc_vault::References for Referenced {
    async fn referenced(
        &self,
        objects: &[String],
    ) -> Result<std::collections::BTreeSet<String>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(objects
            .iter()
            .filter(|o| self.0.contains(&o.as_str()))
            .cloned()
            .collect())
    }
}

/// A dry run lists the orphans and removes nothing; `apply` removes only the orphans past
/// the grace period, never a referenced object nor the key check.
#[tokio::test]
async fn gc_removes_only_orphans_past_the_grace_period() -> TestResult {
    use cancuoc_vault::{GcOptions, collect_garbage};
    let dir = tempfile::tempdir()?;
    let key = MasterKey::generate()?;
    let vault = ObjectVault::open_local(dir.path(), &key).await?;
    for name in ["kept", "orphan-old", "orphan-new"] {
        vault
            .seal(&format!("applications/{name}/biometrics.ccbd"), b"x")
            .await?;
    }
    let objects = vault.objects().await?;
    assert_eq!(objects.len(), 3, "the key check is not listed");
    let written = objects.iter().map(|o| o.modified_micros).max().unwrap_or(0);
    let hour: i64 = 3_600_000_000;
    let register = Referenced(vec!["applications/kept/biometrics.ccbd"]);
    // "orphan-old" is made old by asking as if a day had passed, with a grace period that
    // leaves "orphan-new" (written a day later, in this test's story) inside it: the story
    // is told through the clock given, the files' times are what they are.
    let old_path = dir.path().join("applications/orphan-old/biometrics.ccbd");
    let two_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(48 * 3600);
    std::fs::File::options()
        .write(true)
        .open(&old_path)?
        .set_modified(two_days_ago)?;
    let options = GcOptions {
        now_micros: written,
        grace_micros: 24 * hour,
        apply: false,
    };

    let dry = collect_garbage(&vault, &register, options).await?;
    assert_eq!(dry.objects, 3);
    assert_eq!(dry.referenced, 1);
    let listed: Vec<(&str, bool, bool)> = dry
        .orphans
        .iter()
        .map(|o| (o.object.key.as_str(), o.past_grace, o.removed))
        .collect();
    assert_eq!(
        listed,
        [
            ("applications/orphan-new/biometrics.ccbd", false, false),
            ("applications/orphan-old/biometrics.ccbd", true, false),
        ]
    );
    assert_eq!(files(dir.path())?, 4);

    let applied = collect_garbage(
        &vault,
        &register,
        GcOptions {
            apply: true,
            ..options
        },
    )
    .await?;
    assert_eq!(applied.removed(), 1);
    assert!(!old_path.exists());
    assert_eq!(files(dir.path())?, 3);
    assert_eq!(vault.open("applications/kept/biometrics.ccbd").await?, b"x");
    assert_eq!(
        vault
            .open("applications/orphan-new/biometrics.ccbd")
            .await?,
        b"x"
    );
    ObjectVault::open_local(dir.path(), &key).await?;
    Ok(())
}
