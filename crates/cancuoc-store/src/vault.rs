//! Where biometric images and portraits are kept: outside the database, encrypted.

use async_trait::async_trait;

use crate::Result;

/// An object store that encrypts what it keeps (DESIGN §8: AES-256-GCM, a data key per
/// object wrapped by a master key that lives outside the database).
///
/// `seal` returns only when the object is durable. Objects are written before the
/// database transaction that names them commits, so a failed transaction can leave an
/// unreferenced object behind, never a reference to a missing one; the app removes it
/// when the transaction fails, and `cancuoc vault gc` finds what a crash left.
#[async_trait]
pub trait Vault: Send + Sync {
    /// Encrypts `plaintext` and stores it under `object_key`, replacing nothing: a key
    /// that exists already is a `Conflict`.
    async fn seal(&self, object_key: &str, plaintext: &[u8]) -> Result<()>;
    /// Reads and decrypts an object; `NotFound` when there is none, `Backend` when it does
    /// not decrypt (tampered, or sealed under another master key).
    async fn open(&self, object_key: &str) -> Result<Vec<u8>>;
    /// Removes an object: the one sealed for a filing whose transaction failed, or one
    /// that garbage collection found unreferenced. Removing an object that is not there
    /// is not an error, so that a cleanup can be retried.
    async fn remove(&self, object_key: &str) -> Result<()>;
}
