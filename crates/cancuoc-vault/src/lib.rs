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
//! - Key rotation, deleting objects, and listing them.
//! - Memory hygiene beyond reason: key buffers and cipher states are zeroed when dropped
//!   (temporary copies on the stack may not be); plaintexts belong to the caller.

use std::fmt;
use std::fs::OpenOptions;
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, KeyInit, Nonce, Tag};
use async_trait::async_trait;
use cancuoc_store::{Result, StoreError, Vault};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, ObjectStore, PutMode, PutOptions, PutPayload};
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
    /// `seal` returns (see the crate documentation on durability).
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
