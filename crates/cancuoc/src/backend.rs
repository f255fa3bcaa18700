//! Choosing the store from the database URL, once, at start-up.

use std::path::Path;
use std::sync::Arc;

use cancuoc_store::{Store, StoreError};

pub const DEFAULT_DB: &str = "sqlite://cancuoc-data/cancuoc.db";

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error(
        "unsupported database URL {0:?}: use sqlite://PATH (embedded) or postgres://USER@HOST:PORT/DB"
    )]
    Scheme(String),
    #[error("no database at {0}: run `cancuoc init` first (or pass --db)")]
    Missing(String),
    #[error("cannot create {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "another `cancuoc serve` is serving {0}: an SQLite database has one server node (several nodes share a PostgreSQL database)"
    )]
    Served(String),
    #[error("cannot lock {path}: {source}")]
    Lock {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "a read replica ({0}) is a PostgreSQL hot standby, beside a PostgreSQL --db: SQLite has none"
    )]
    Replica(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Claims an SQLite database for one server: the lock file beside it stays locked while
/// the returned handle lives, so that a second `serve` on the file stops with a reason
/// (two processes writing one SQLite file queue on its lock and share no throttles).
/// PostgreSQL takes any number of server nodes: `None`.
pub fn claim_for_serving(url: &str) -> Result<Option<std::fs::File>, BackendError> {
    let Some(path) = url.strip_prefix("sqlite://") else {
        return Ok(None);
    };
    let file = Path::new(path.split('?').next().unwrap_or(path));
    let mut name = file.file_name().unwrap_or_default().to_owned();
    name.push(".serve-lock");
    let lock_path = file.with_file_name(name);
    // `serve --demo` may be about to create the database's folder.
    if let Some(dir) = lock_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| BackendError::CreateDir {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|source| BackendError::Lock {
            path: lock_path.display().to_string(),
            source,
        })?;
    match lock.try_lock() {
        Ok(()) => Ok(Some(lock)),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err(BackendError::Served(file.display().to_string()))
        }
        Err(std::fs::TryLockError::Error(source)) => Err(BackendError::Lock {
            path: lock_path.display().to_string(),
            source,
        }),
    }
}

/// Opens the store behind `url`. Only `create` (set by `init` and `serve --demo`) makes a
/// new SQLite file, so that a mistyped path is an error rather than an empty register.
/// `audit_key` keys the audit chain's MACs.
pub async fn open(
    url: &str,
    read_url: Option<&str>,
    create: bool,
    audit_key: cancuoc_domain::audit::AuditKey,
) -> Result<Arc<dyn Store>, BackendError> {
    let postgres = |u: &str| u.starts_with("postgres://") || u.starts_with("postgresql://");
    if let Some(read_url) = read_url.filter(|r| !r.is_empty()) {
        if !postgres(url) || !postgres(read_url) {
            return Err(BackendError::Replica(redact(read_url)));
        }
        let store = cancuoc_store_postgres::connect_with_replica(url, read_url, audit_key).await?;
        return Ok(Arc::new(store));
    }
    if let Some(path) = url.strip_prefix("sqlite://") {
        let file = Path::new(path.split('?').next().unwrap_or(path));
        let exists = file.exists();
        if !exists && !create {
            return Err(BackendError::Missing(file.display().to_string()));
        }
        if !exists {
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| BackendError::CreateDir {
                    path: dir.display().to_string(),
                    source,
                })?;
            }
            eprintln!("creating a new database at {}", file.display());
        }
        let store = cancuoc_store_sqlite::open(url, create, audit_key).await?;
        Ok(Arc::new(store))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = cancuoc_store_postgres::connect(url, audit_key).await?;
        Ok(Arc::new(store))
    } else {
        Err(BackendError::Scheme(url.to_owned()))
    }
}

/// The checks `open` makes before it connects: a known scheme, and an SQLite file that
/// exists unless it is to be created.
pub fn precheck(url: &str, create: bool) -> Result<(), BackendError> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let file = Path::new(path.split('?').next().unwrap_or(path));
        if !file.exists() && !create {
            return Err(BackendError::Missing(file.display().to_string()));
        }
        Ok(())
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(())
    } else {
        Err(BackendError::Scheme(url.to_owned()))
    }
}

/// The URL with any password replaced, for printing.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = url.get(scheme_end + 3..at).unwrap_or("");
            match userinfo.split_once(':') {
                Some((user, _)) => format!(
                    "{}{}:***{}",
                    url.get(..scheme_end + 3).unwrap_or(""),
                    user,
                    url.get(at..).unwrap_or("")
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            super::redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("sqlite://a/b.db"), "sqlite://a/b.db");
    }
}
