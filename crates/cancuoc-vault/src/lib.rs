//! The vault: biometrics and portraits encrypted at rest, kept outside the database
//! (DESIGN §8). [`ObjectVault`] implements [`cancuoc_store::Vault`] over any
//! [`object_store::ObjectStore`]; [`ObjectVault::local`] gives the default, a directory.
//!
//! # Envelope encryption
//!
//! Every object gets a fresh random 256-bit *data key* and 96-bit nonce (from the operating
//! system through `getrandom`) and is encrypted with AES-256-GCM; the data key is itself
//! encrypted ("wrapped") with AES-256-GCM under the *master key*, with a nonce of its own.
//! Both encryptions take the object key as associated data, so an object copied or renamed
//! under another key does not open. Random 96-bit nonces are safe here because every data
//! key encrypts exactly one message, and the master key wraps one 32-byte key per object:
//! NIST SP 800-38D §8.3 allows 2^32 random nonces per key, four billion objects.
//!
//! The master key is 32 random bytes kept outside the database: a file written once by
//! [`MasterKey::create`] (hex, mode 0600; `cancuoc init` calls it) or the
//! `CANCUOC_VAULT_KEY` environment variable ([`MasterKey::from_hex`]). Lose it and every
//! object is lost; the database alone reveals nothing.
//!
//! # Stored object, version 1
//!
//! ```text
//! offset  size  field
//!      0     4  magic "CCVT"
//!      4     1  format version, 1
//!      5     8  master key id: the first 8 bytes of SHA-256 of the master key
//!     13    12  nonce of the wrapped data key
//!     25    32  data key, encrypted under the master key
//!     57    16  its GCM tag
//!     73    12  nonce of the data
//!     85     n  the plaintext, encrypted under the data key
//!   85+n    16  its GCM tag
//! ```
//!
//! 101 bytes on top of the plaintext. The key id is not secret (it is a hash of a random
//! key); it lets `open` say "sealed under another master key" rather than "damaged", and
//! lets a future rotation find objects still under an old key. Rotation rewraps the 48
//! bytes at offset 13 and leaves the data alone, since the data's associated data is the
//! object key only.
//!
//! # The key check
//!
//! A vault holds one object of its own, [`KEY_CHECK_OBJECT`] (`vault.check`, next to the
//! objects): a known text sealed under the master key like any object. [`ObjectVault::open_local`]
//! (and [`ObjectVault::check_key`]) opens it before the vault is handed out, so a wrong key
//! (a typo in `CANCUOC_VAULT_KEY`, a `vault.key` from another deployment, a key file
//! recreated after it was lost) is refused at start with a clear error, not found after
//! new biometrics were sealed under it and old ones no longer open. A vault without the
//! check (set up before it existed) gets one, after the key has opened one of the objects
//! it holds; an empty vault gets one at once (what `cancuoc init` does).
//!
//! # Removing and listing
//!
//! [`Vault::remove`] takes away the object of a filing whose transaction failed;
//! [`ObjectVault::objects`] and [`collect_garbage`] find the objects no application refers
//! to and remove those older than a grace period (`cancuoc vault gc`). The grace period is
//! what keeps an object sealed for a filing still in flight.
//!
//! # Durability
//!
//! `seal` returns only when the object is on disk. `object_store`'s `LocalFileSystem`
//! does *not* fsync by default; 0.14.2 has `with_fsync(true)`, which we turn on: a
//! put then writes a staging file, `sync_all`s it, publishes it (for `PutMode::Create`, by
//! a hard link, which fails if the name exists — our `Conflict`) and fsyncs the parent
//! directory, and fsyncs every directory it had to create (object_store 0.14.2
//! `local.rs`: `finish_staged_hard_link`, `create_parent_dirs`). So we program against
//! the `ObjectStore` trait throughout instead of writing files ourselves: the same code
//! serves S3, where a conditional put gives the same create-only rule. (Checked with
//! strace: each seal makes two fsyncs, file and directory, and one `linkat`.)
//!
//! # Cost
//!
//! Encryption runs on the calling task, not on a blocking thread: a 250 KB bundle takes
//! about half a millisecond. `examples/vault_throughput.rs` measured, on the 2-core
//! development machine (release build, 2,000 objects of 250 KB): 551 seals/s one at a
//! time and 959/s eight at a time, against 766/s and 1,540/s for plain write + fsync of
//! the same bytes; 2,043 seals/s into memory (encryption alone); 4,000 opens/s. The disk's
//! fsync, not AES, sets the pace; 300 applications a second fit.
//!
//! # Not here
//!
//! - S3. object_store's `aws` feature brings `aws-lc-rs` (a large C library, built with
//!   cmake); its alternative `aws-base` + `ring` still compiles C and assembly, and the
//!   pure-Rust route (`aws-base` with a hand-written signing provider and a TLS provider)
//!   is more code than it is worth before anyone runs on S3. TODO: add a default-off cargo
//!   feature `s3` enabling `object_store/aws` and an `ObjectVault::s3_from_env()` built on
//!   `AmazonS3Builder::from_env()` (with `conditional_put` for `PutMode::Create`), and time
//!   its cold build against the 15-minute budget in STACK.md.
//! - Key rotation.
//! - Memory hygiene beyond reason: key buffers and cipher states are zeroed when dropped
//!   (temporary copies on the stack may not be); plaintexts belong to the caller.

use std::collections::BTreeSet;
use std::fmt;
use std::fs::OpenOptions;
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit, Nonce, Tag};
use async_trait::async_trait;
use cancuoc_store::{Result, StoreError, Vault};
use futures_util::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use sha2::{Digest, Sha256};
use thiserror::Error;
use zeroize::Zeroizing;

/// The first bytes of every stored object.
pub const MAGIC: &[u8; 4] = b"CCVT";
/// The object layout written by this program.
pub const FORMAT_VERSION: u8 = 1;
/// Bytes a sealed object adds to its plaintext.
pub const OVERHEAD: usize = HEADER_LEN + TAG_LEN;

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const KEY_ID_LEN: usize = 8;
const HEADER_LEN: usize = 4 + 1 + KEY_ID_LEN + NONCE_LEN + KEY_LEN + TAG_LEN + NONCE_LEN;
/// The vault's own object that proves the master key (see the crate documentation).
pub const KEY_CHECK_OBJECT: &str = "vault.check";
/// What the key check holds, sealed. Versioned so that a later check can say more.
const KEY_CHECK_TEXT: &[u8] = b"cancuoc vault key check, version 1";

/// Object keys are record keys like `biometrics/0196f1c2-….bundle`; a limit keeps file
/// names within what every file system accepts.
const MAX_OBJECT_KEY_LEN: usize = 512;

/// Setting up the vault: its key file and its directory.
#[derive(Debug, Error)]
pub enum VaultError {
    #[error("the vault key file {0} exists already: it is not overwritten")]
    KeyFileExists(PathBuf),
    #[error("the vault key file {path} cannot be read or written: {source}")]
    KeyFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the vault key file {path} can be read by other users (mode {mode:o}): run chmod 600 on it"
    )]
    KeyFileMode { path: PathBuf, mode: u32 },
    #[error("the vault key is not 64 hexadecimal characters (32 bytes)")]
    KeyFormat,
    #[error("the system's random number generator failed: {0}")]
    Random(getrandom::Error),
    #[error("the vault directory {path} cannot be used: {reason}")]
    Directory { path: PathBuf, reason: String },
    /// The master key given is not the one the vault was set up with.
    #[error(
        "the vault {vault} does not open with this master key (id {given}): {reason}; \
         give the key it was set up with (CANCUOC_VAULT_KEY or DATA_DIR/vault.key)"
    )]
    WrongKey {
        vault: String,
        given: String,
        reason: String,
    },
    /// The vault's objects cannot be read, listed, written or removed.
    #[error("the vault {vault} cannot be used: {reason}")]
    Objects { vault: String, reason: String },
    /// The register could not say which objects it refers to.
    #[error("the register's references to vault objects cannot be read: {0}")]
    References(String),
}

/// The key that wraps every object's data key. Never printed: `Debug` shows its id only.
pub struct MasterKey {
    key: Zeroizing<[u8; KEY_LEN]>,
    id: [u8; KEY_ID_LEN],
}

impl MasterKey {
    /// 32 fresh bytes from the operating system.
    pub fn generate() -> Result<Self, VaultError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        getrandom::fill(key.as_mut_slice()).map_err(VaultError::Random)?;
        Ok(Self::from_bytes(key))
    }

    fn from_bytes(key: Zeroizing<[u8; KEY_LEN]>) -> Self {
        let digest = Sha256::digest(key.as_slice());
        let mut id = [0u8; KEY_ID_LEN];
        for (slot, byte) in id.iter_mut().zip(digest.iter()) {
            *slot = *byte;
        }
        Self { key, id }
    }

    /// Generates a key and writes it to `path` as 64 hex digits and a newline, readable by
    /// its owner only (mode 0600 on Unix), flushed to disk with its directory entry. Refuses
    /// to touch a file that exists: overwriting the key would lose every object.
    pub fn create(path: &Path) -> Result<Self, VaultError> {
        let key = Self::generate()?;
        let io = |source| VaultError::KeyFile {
            path: path.to_owned(),
            source,
        };
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(|e| match e.kind() {
            ErrorKind::AlreadyExists => VaultError::KeyFileExists(path.to_owned()),
            _ => io(e),
        })?;
        let mut text = Zeroizing::new(hex::encode(key.key.as_slice()));
        text.push('\n');
        let written = file
            .write_all(text.as_bytes())
            .and_then(|()| file.sync_all());
        if let Err(e) = written {
            // A half-written key must not be taken for a key, nor block the next try.
            let _ = std::fs::remove_file(path);
            return Err(io(e));
        }
        sync_parent_dir(path).map_err(io)?;
        Ok(key)
    }

    /// Reads a key file written by [`MasterKey::create`]. On Unix, a file that others can
    /// read is refused, as ssh refuses a private key.
    pub fn load(path: &Path) -> Result<Self, VaultError> {
        let io = |source| VaultError::KeyFile {
            path: path.to_owned(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = file.metadata().map_err(io)?.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(VaultError::KeyFileMode {
                    path: path.to_owned(),
                    mode,
                });
            }
        }
        let mut text = Zeroizing::new(String::new());
        file.take(1024)
            .read_to_string(&mut text)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidData => VaultError::KeyFormat,
                _ => io(e),
            })?;
        Self::from_hex(&text)
    }

    /// A key written as 64 hex digits, as in `CANCUOC_VAULT_KEY`; surrounding white space
    /// is ignored.
    pub fn from_hex(text: &str) -> Result<Self, VaultError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        hex::decode_to_slice(text.trim(), key.as_mut_slice()).map_err(|_| VaultError::KeyFormat)?;
        Ok(Self::from_bytes(key))
    }

    /// The first 8 bytes of the key's SHA-256, in hex: names the key in objects and logs.
    pub fn id_hex(&self) -> String {
        hex::encode(self.id)
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id_hex())
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Encrypts objects under a [`MasterKey`] and keeps them in an [`ObjectStore`].
pub struct ObjectVault {
    store: Arc<dyn ObjectStore>,
    master: Aes256Gcm,
    key_id: [u8; KEY_ID_LEN],
}

impl ObjectVault {
    pub fn new(store: Arc<dyn ObjectStore>, master: &MasterKey) -> Self {
        Self {
            store,
            master: Aes256Gcm::new(&(*master.key).into()),
            key_id: master.id,
        }
    }

    /// Objects as files under `dir` (created if need be), each flushed to disk before
    /// `seal` returns (see the crate documentation on durability). The key is not checked:
    /// a program that seals real biometrics opens its vault with [`ObjectVault::open_local`].
    pub fn local(dir: &Path, master: &MasterKey) -> Result<Self, VaultError> {
        let bad = |reason: String| VaultError::Directory {
            path: dir.to_owned(),
            reason,
        };
        std::fs::create_dir_all(dir).map_err(|e| bad(e.to_string()))?;
        let store = LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| bad(e.to_string()))?
            .with_fsync(true);
        Ok(Self::new(Arc::new(store), master))
    }

    /// [`ObjectVault::local`], then [`ObjectVault::check_key`]: the vault as a program
    /// that seals and opens biometrics should open it, refusing a wrong key at start.
    pub async fn open_local(dir: &Path, master: &MasterKey) -> Result<Self, VaultError> {
        let vault = Self::local(dir, master)?;
        vault.check_key().await?;
        Ok(vault)
    }

    /// Proves that this vault's master key is the one its objects were sealed under, by
    /// opening the key check; writes the check when there is none (after opening one of
    /// the objects, if the vault holds any). Returns whether the check was written now.
    pub async fn check_key(&self) -> Result<bool, VaultError> {
        // Two tries: a check written by another process between our read and our write
        // is read on the second.
        for _ in 0..2 {
            if let Some(sealed) = self.read_raw(KEY_CHECK_OBJECT).await? {
                let opened = self
                    .decrypt(KEY_CHECK_OBJECT, &sealed)
                    .map_err(|e| self.wrong_key(e.to_string()))?;
                if opened != KEY_CHECK_TEXT {
                    return Err(self.wrong_key("its key check holds something else".into()));
                }
                return Ok(false);
            }
            if let Some(first) = self.objects().await?.into_iter().next() {
                let sealed = self.read_raw(&first.key).await?.ok_or_else(|| {
                    self.objects_error(format!("object {} vanished while read", first.key))
                })?;
                self.decrypt(&first.key, &sealed)
                    .map_err(|e| self.wrong_key(e.to_string()))?;
            }
            match self.seal(KEY_CHECK_OBJECT, KEY_CHECK_TEXT).await {
                Ok(()) => return Ok(true),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(self.objects_error(e.to_string())),
            }
        }
        Err(self.objects_error("the key check is written and removed again and again".into()))
    }

    fn wrong_key(&self, reason: String) -> VaultError {
        VaultError::WrongKey {
            vault: self.store.to_string(),
            given: self.key_id_hex(),
            reason,
        }
    }

    fn objects_error(&self, reason: String) -> VaultError {
        VaultError::Objects {
            vault: self.store.to_string(),
            reason,
        }
    }

    /// The stored bytes of an object, `None` when there is none.
    async fn read_raw(&self, object_key: &str) -> Result<Option<Vec<u8>>, VaultError> {
        let path = object_path(object_key).map_err(|e| self.objects_error(e.to_string()))?;
        let read_failed = |e: object_store::Error| {
            self.objects_error(format!("object {object_key} cannot be read: {e}"))
        };
        match self.store.get_opts(&path, GetOptions::default()).await {
            Ok(found) => Ok(Some(found.bytes().await.map_err(read_failed)?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(read_failed(e)),
        }
    }

    /// Every object the vault holds but its own key check, in key order.
    pub async fn objects(&self) -> Result<Vec<StoredObject>, VaultError> {
        let listed: Vec<object_store::ObjectMeta> = self
            .store
            .list(None)
            .try_collect()
            .await
            .map_err(|e| self.objects_error(format!("objects cannot be listed: {e}")))?;
        let mut out: Vec<StoredObject> = listed
            .into_iter()
            .map(|meta| StoredObject {
                key: meta.location.to_string(),
                size: meta.size,
                modified_micros: meta.last_modified.timestamp_micros(),
            })
            .filter(|o| o.key != KEY_CHECK_OBJECT)
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    /// The id of the master key this vault seals under, in hex.
    pub fn key_id_hex(&self) -> String {
        hex::encode(self.key_id)
    }

    fn encrypt(&self, object_key: &str, plaintext: &[u8]) -> Result<Vec<u8>> {
        let failed = |what: &str| StoreError::Backend(format!("vault: {what}"));
        let mut data_key = Zeroizing::new([0u8; KEY_LEN]);
        let mut wrap_nonce = [0u8; NONCE_LEN];
        let mut data_nonce = [0u8; NONCE_LEN];
        getrandom::fill(data_key.as_mut_slice())
            .and_then(|()| getrandom::fill(&mut wrap_nonce))
            .and_then(|()| getrandom::fill(&mut data_nonce))
            .map_err(|e| failed(&format!("the random number generator failed: {e}")))?;
        let aad = object_key.as_bytes();

        let mut out = Vec::with_capacity(plaintext.len() + OVERHEAD);
        out.extend_from_slice(MAGIC);
        out.push(FORMAT_VERSION);
        out.extend_from_slice(&self.key_id);
        out.extend_from_slice(&wrap_nonce);

        let mut wrapped = Zeroizing::new(*data_key);
        let wrap_tag = self
            .master
            .encrypt_inout_detached(&nonce(&wrap_nonce)?, aad, wrapped.as_mut_slice().into())
            .map_err(|_| failed("the data key could not be wrapped"))?;
        out.extend_from_slice(wrapped.as_slice());
        out.extend_from_slice(&wrap_tag);
        out.extend_from_slice(&data_nonce);

        let cipher = Aes256Gcm::new(&(*data_key).into());
        out.extend_from_slice(plaintext);
        let body = out
            .get_mut(HEADER_LEN..)
            .ok_or_else(|| failed("the header is short"))?;
        let tag = cipher
            .encrypt_inout_detached(&nonce(&data_nonce)?, aad, body.into())
            .map_err(|_| failed("the object could not be encrypted"))?;
        out.extend_from_slice(&tag);
        Ok(out)
    }

    fn decrypt(&self, object_key: &str, sealed: &[u8]) -> Result<Vec<u8>> {
        let bad = |what: String| StoreError::Backend(format!("vault object {object_key} {what}"));
        let Some((header, rest)) = Header::parse(sealed) else {
            return Err(bad("is truncated or not a vault object".into()));
        };
        let Some((body, tag)) = rest.split_last_chunk::<TAG_LEN>() else {
            return Err(bad("is truncated".into()));
        };
        let Header {
            magic,
            version,
            key_id,
            wrap_nonce,
            wrapped,
            wrap_tag,
            data_nonce,
        } = header;
        if &magic != MAGIC {
            return Err(bad("is not a vault object".into()));
        }
        if version != FORMAT_VERSION {
            return Err(bad(format!(
                "has format version {version}; this program reads version {FORMAT_VERSION}"
            )));
        }
        if key_id != self.key_id {
            return Err(bad(format!(
                "was sealed under another master key (id {}; this vault's is {})",
                hex::encode(key_id),
                self.key_id_hex()
            )));
        }
        let refused =
            || bad("does not decrypt: it was altered, or copied from another object key".into());
        let aad = object_key.as_bytes();
        let mut data_key = Zeroizing::new(wrapped);
        self.master
            .decrypt_inout_detached(
                &nonce(&wrap_nonce)?,
                aad,
                data_key.as_mut_slice().into(),
                &Tag::<Aes256Gcm>::from(wrap_tag),
            )
            .map_err(|_| refused())?;
        let cipher = Aes256Gcm::new(&(*data_key).into());
        let mut plaintext = body.to_vec();
        cipher
            .decrypt_inout_detached(
                &nonce(&data_nonce)?,
                aad,
                plaintext.as_mut_slice().into(),
                &Tag::<Aes256Gcm>::from(*tag),
            )
            .map_err(|_| refused())?;
        Ok(plaintext)
    }
}

impl fmt::Debug for ObjectVault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectVault")
            .field("store", &self.store.to_string())
            .field("key_id", &self.key_id_hex())
            .finish()
    }
}

#[async_trait]
impl Vault for ObjectVault {
    async fn seal(&self, object_key: &str, plaintext: &[u8]) -> Result<()> {
        let path = object_path(object_key)?;
        let sealed = self.encrypt(object_key, plaintext)?;
        let options = PutOptions::from(PutMode::Create);
        match self
            .store
            .put_opts(&path, PutPayload::from(sealed), options)
            .await
        {
            Ok(_) => Ok(()),
            Err(object_store::Error::AlreadyExists { .. }) => Err(StoreError::Conflict(format!(
                "vault object {object_key} exists already"
            ))),
            Err(e) => Err(StoreError::Backend(format!(
                "vault object {object_key} was not stored: {e}"
            ))),
        }
    }

    async fn open(&self, object_key: &str) -> Result<Vec<u8>> {
        let path = object_path(object_key)?;
        let read_failed = |e: object_store::Error| {
            StoreError::Backend(format!("vault object {object_key} cannot be read: {e}"))
        };
        let sealed = match self.store.get_opts(&path, GetOptions::default()).await {
            Ok(found) => found.bytes().await.map_err(read_failed)?,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(StoreError::NotFound(format!("vault object {object_key}")));
            }
            Err(e) => return Err(read_failed(e)),
        };
        self.decrypt(object_key, &sealed)
    }

    async fn remove(&self, object_key: &str) -> Result<()> {
        if object_key == KEY_CHECK_OBJECT {
            return Err(StoreError::Invalid(
                "the vault's key check is not removed".into(),
            ));
        }
        let path = object_path(object_key)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(StoreError::Backend(format!(
                "vault object {object_key} was not removed: {e}"
            ))),
        }
    }
}

/// An object as the vault lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub key: String,
    /// Bytes as stored (the plaintext and [`OVERHEAD`]).
    pub size: u64,
    /// When it was written, microseconds since the Unix epoch (UTC).
    pub modified_micros: i64,
}

/// What the register refers to: the one thing garbage collection needs from it, kept
/// behind a trait so that the vault knows nothing of applications or of the store.
#[async_trait]
pub trait References: Send + Sync {
    /// Of `objects` (object keys), those the register refers to. An object it does not
    /// name is garbage once past the grace period, so an error here must not be an
    /// empty answer.
    async fn referenced(
        &self,
        objects: &[String],
    ) -> std::result::Result<BTreeSet<String>, Box<dyn std::error::Error + Send + Sync>>;
}

/// How `collect_garbage` runs.
#[derive(Debug, Clone, Copy)]
pub struct GcOptions {
    /// Now, microseconds since the Unix epoch (UTC): the caller's clock.
    pub now_micros: i64,
    /// Objects written less than this long ago are kept even when nothing refers to them:
    /// a filing seals its object before its transaction commits.
    pub grace_micros: i64,
    /// Remove the orphans past the grace period; otherwise only list them.
    pub apply: bool,
}

/// An object nothing refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    pub object: StoredObject,
    /// Written longer ago than the grace period.
    pub past_grace: bool,
    /// Removed by this run.
    pub removed: bool,
}

/// What garbage collection found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Objects the vault holds (its key check aside).
    pub objects: usize,
    /// Of which the register refers to.
    pub referenced: usize,
    /// The others, in key order.
    pub orphans: Vec<Orphan>,
}

impl GcReport {
    pub fn removed(&self) -> usize {
        self.orphans.iter().filter(|o| o.removed).count()
    }
}

/// Finds the objects the register does not refer to and, with `apply`, removes those
/// older than the grace period. The references are asked for after the listing, so an
/// object sealed and committed in between is seen as referenced; one sealed after the
/// listing is not looked at.
pub async fn collect_garbage(
    vault: &ObjectVault,
    references: &dyn References,
    options: GcOptions,
) -> Result<GcReport, VaultError> {
    let objects = vault.objects().await?;
    let keys: Vec<String> = objects.iter().map(|o| o.key.clone()).collect();
    let referenced = references
        .referenced(&keys)
        .await
        .map_err(|e| VaultError::References(e.to_string()))?;
    let mut report = GcReport {
        objects: objects.len(),
        ..GcReport::default()
    };
    for object in objects {
        if referenced.contains(&object.key) {
            report.referenced += 1;
            continue;
        }
        let age = options.now_micros.saturating_sub(object.modified_micros);
        let past_grace = age > options.grace_micros;
        let removed = if options.apply && past_grace {
            vault
                .remove(&object.key)
                .await
                .map_err(|e| vault.objects_error(e.to_string()))?;
            true
        } else {
            false
        };
        report.orphans.push(Orphan {
            object,
            past_grace,
            removed,
        });
    }
    Ok(report)
}

/// Object keys are relative paths of ASCII letters, digits, `-`, `_` and `.`, between
/// single slashes, no part `.` or `..`: they name files on disk and objects in S3 alike,
/// and must never reach outside the vault or collide with `LocalFileSystem`'s staging
/// files (`name#1`).
fn object_path(object_key: &str) -> Result<ObjectPath> {
    let parts_ok = object_key.split('/').all(|part| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    });
    if !parts_ok || object_key.len() > MAX_OBJECT_KEY_LEN {
        return Err(StoreError::Invalid(format!(
            "vault object key {object_key:?} is not a relative path of letters, digits, '-', '_' \
             and '.' (at most {MAX_OBJECT_KEY_LEN} characters)"
        )));
    }
    ObjectPath::parse(object_key).map_err(|e| {
        StoreError::Invalid(format!("vault object key {object_key:?} is invalid: {e}"))
    })
}

fn nonce(bytes: &[u8]) -> Result<Nonce<Aes256Gcm>> {
    Nonce::<Aes256Gcm>::try_from(bytes)
        .map_err(|_| StoreError::Backend("vault: a nonce has the wrong length".into()))
}

/// The fixed fields before the encrypted data (see the crate documentation).
struct Header {
    magic: [u8; 4],
    version: u8,
    key_id: [u8; KEY_ID_LEN],
    wrap_nonce: [u8; NONCE_LEN],
    wrapped: [u8; KEY_LEN],
    wrap_tag: [u8; TAG_LEN],
    data_nonce: [u8; NONCE_LEN],
}

impl Header {
    /// The header and what follows it, or `None` when the data is shorter than a header.
    fn parse(bytes: &[u8]) -> Option<(Self, &[u8])> {
        let (magic, rest) = bytes.split_first_chunk()?;
        let (version, rest) = rest.split_first()?;
        let (key_id, rest) = rest.split_first_chunk()?;
        let (wrap_nonce, rest) = rest.split_first_chunk()?;
        let (wrapped, rest) = rest.split_first_chunk()?;
        let (wrap_tag, rest) = rest.split_first_chunk()?;
        let (data_nonce, rest) = rest.split_first_chunk()?;
        let header = Self {
            magic: *magic,
            version: *version,
            key_id: *key_id,
            wrap_nonce: *wrap_nonce,
            wrapped: *wrapped,
            wrap_tag: *wrap_tag,
            data_nonce: *data_nonce,
        };
        Some((header, rest))
    }
}

fn sync_parent_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        std::fs::File::open(parent)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}
