//! The deployment's secrets outside the database: the audit chain's MAC key, the key that
//! signs its checkpoints, and the append-only checkpoint file (DESIGN §8). Each secret comes
//! from its environment variable or from a file in the data folder that `init` creates,
//! readable by its owner only (0600).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use cancuoc_app::{AppError, CheckpointLog};
use cancuoc_domain::audit::{AuditKey, Checkpoint, CheckpointKey};

use crate::commands::{CliError, Result};

/// A 32-byte secret as hex: `env` when set, else the file at `path`, created with fresh
/// random bytes (mode 0600) when `create` is set; `None` when there is neither.
fn secret_hex(env: &str, path: &Path, create: bool) -> Result<Option<String>> {
    if let Ok(value) = std::env::var(env)
        && !value.trim().is_empty()
    {
        return Ok(Some(value));
    }
    match std::fs::read_to_string(path) {
        Ok(text) => {
            refuse_open_permissions(path)?;
            Ok(Some(text))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes)
                .map_err(|e| CliError::failed(format!("no randomness: {e}")))?;
            let text = hex::encode(bytes);
            write_secret(path, text.as_bytes())?;
            Ok(Some(text))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Writes a secret file readable by its owner only (0600 on Unix), flushed to disk with
/// its directory entry; an existing file is never overwritten (a lost key loses what it
/// protects).
pub(crate) fn write_secret(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    if let Err(e) = file.write_all(bytes).and_then(|()| file.sync_all()) {
        // A half-written key must not be taken for a key.
        let _ = std::fs::remove_file(path);
        return Err(e.into());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// The personal ID allocation key: `CANCUOC_ID_KEY`, or DATA_DIR/id-allocation.key,
/// created the first time. Commands that only read need no key: without one they get an
/// empty placeholder.
pub fn id_key(data_dir: &Path, create: bool) -> Result<Vec<u8>> {
    let path = data_dir.join("id-allocation.key");
    Ok(secret_hex("CANCUOC_ID_KEY", &path, create)?
        .map(String::into_bytes)
        .unwrap_or_default())
}

/// A secret file others can read is refused, as the vault key is.
fn refuse_open_permissions(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(CliError::failed(format!(
                "the secret file {} can be read by other users (mode {mode:o}): run chmod 600 on it",
                path.display()
            )));
        }
    }
    Ok(())
}

/// The audit chain's MAC key: `CANCUOC_AUDIT_KEY` or DATA_DIR/audit.key.
pub fn audit_key(data_dir: &Path, create: bool) -> Result<AuditKey> {
    let path = data_dir.join("audit.key");
    let text = secret_hex("CANCUOC_AUDIT_KEY", &path, create)?.ok_or_else(|| {
        CliError::usage(format!(
            "no audit key: set CANCUOC_AUDIT_KEY or run `cancuoc init`, which creates {}",
            path.display()
        ))
    })?;
    AuditKey::from_hex(&text).map_err(|e| CliError::usage(format!("audit key: {e}")))
}

/// The checkpoint signing key: `CANCUOC_AUDIT_CHECKPOINT_KEY` or
/// DATA_DIR/audit-checkpoint.key; `None` when there is neither and none is to be made.
pub fn checkpoint_key(data_dir: &Path, create: bool) -> Result<Option<CheckpointKey>> {
    let path = data_dir.join("audit-checkpoint.key");
    secret_hex("CANCUOC_AUDIT_CHECKPOINT_KEY", &path, create)?
        .map(|text| {
            CheckpointKey::from_hex(&text)
                .map_err(|e| CliError::usage(format!("checkpoint key: {e}")))
        })
        .transpose()
}

/// Checkpoints as JSON lines in DATA_DIR/audit-checkpoints.jsonl, appended and synced one
/// at a time, never rewritten.
pub struct FileCheckpointLog {
    path: PathBuf,
    /// One appender at a time inside this process.
    writing: Mutex<()>,
}

impl FileCheckpointLog {
    pub fn in_dir(data_dir: &Path) -> Self {
        Self {
            path: data_dir.join("audit-checkpoints.jsonl"),
            writing: Mutex::new(()),
        }
    }
}

fn io(what: &str, path: &Path, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("{what} {}: {e}", path.display()))
}

impl CheckpointLog for FileCheckpointLog {
    fn append(&self, checkpoint: &Checkpoint) -> std::result::Result<(), AppError> {
        let _turn = self
            .writing
            .lock()
            .map_err(|_| AppError::Internal("checkpoint writer poisoned".into()))?;
        let mut line = serde_json::to_string(checkpoint)
            .map_err(|e| io("cannot encode a checkpoint for", &self.path, e))?;
        line.push('\n');
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&self.path)
            .map_err(|e| io("cannot open", &self.path, e))?;
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| io("cannot append to", &self.path, e))
    }

    fn all(&self) -> std::result::Result<Vec<Checkpoint>, AppError> {
        let file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io("cannot read", &self.path, e)),
        };
        let mut out = Vec::new();
        for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| io("cannot read", &self.path, e))?;
            if line.trim().is_empty() {
                continue;
            }
            out.push(serde_json::from_str(&line).map_err(|e| {
                AppError::InvalidState(format!(
                    "the checkpoint file {} is damaged at line {}: {e}",
                    self.path.display(),
                    n + 1
                ))
            })?);
        }
        Ok(out)
    }
}
