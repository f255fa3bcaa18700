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
    #[error(
        "an import ({holder}) has {path} to itself until it ends: start the server then (an import runs beside a server only when the server is up first)"
    )]
    Importing { path: String, holder: String },
    #[error("{0}: start the server then")]
    ImportingPostgres(String),
    #[error(
        "another process (`cancuoc serve`, or an import with the file to itself) has {0}: try again when it ends"
    )]
    Claimed(String),
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

pub use cancuoc_store_postgres::Claimant;

/// A database's claim, held until dropped: the lock file beside an SQLite file, or a
/// PostgreSQL session's advisory lock.
#[expect(dead_code, reason = "held for the lock, never read")]
pub enum Claim {
    File(std::fs::File),
    Postgres(cancuoc_store_postgres::Claim),
}

/// What a claimant writes into an SQLite file's lock file, for the refusal of the next.
const IMPORT_HOLDER: &str = "import";

/// Claims the database for a server or an import. A server's claim keeps imports from
/// having the database to themselves; an SQLite file takes one server (two processes
/// writing one SQLite file queue on its lock and share no throttles), PostgreSQL any
/// number. An import claims it only when no server holds it, and then has the database
/// to itself (`Sharing::Alone`: one transaction, indexes set aside); beside a server it
/// gets `Ok(None)` and shares it. A server while an import has it stops, naming it.
pub async fn claim(url: &str, claimant: Claimant) -> Result<Option<Claim>, BackendError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return cancuoc_store_postgres::claim(url, claimant)
            .await
            .map(|held| held.map(Claim::Postgres))
            .map_err(|e| match e {
                StoreError::Conflict(reason) => BackendError::ImportingPostgres(reason),
                other => BackendError::Store(other),
            });
    }
    Ok(claim_file(url, claimant)?.map(Claim::File))
}

/// Keeps a server's claim for as long as the server runs. A PostgreSQL claim lives on one
/// connection, which a failover or a cut network takes with its lock: it is checked every
/// few seconds and taken again, so that an import does not find the database free under
/// a running node. Returns the claim to hold where nothing needs keeping (SQLite's file).
pub fn keep(url: &str, claim: Option<Claim>) -> Option<Claim> {
    const EVERY: std::time::Duration = std::time::Duration::from_secs(5);
    let Some(Claim::Postgres(mut held)) = claim else {
        return claim;
    };
    let url = url.to_owned();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(EVERY).await;
            // A connection cut without a word answers never: a check that takes the whole
            // interval counts as lost.
            if tokio::time::timeout(EVERY, held.alive())
                .await
                .unwrap_or(false)
            {
                continue;
            }
            match cancuoc_store_postgres::claim(&url, Claimant::Server).await {
                Ok(Some(again)) => held = again,
                Ok(None) => {}
                Err(e) => tracing::warn!("the server's claim on the database is lost: {e}"),
            }
        }
    });
    None
}

/// The lock file beside an SQLite file (`cancuoc_store_sqlite::serve_lock_path`), locked
/// while the returned handle lives; the system lets it go when the process dies.
fn claim_file(url: &str, claimant: Claimant) -> Result<Option<std::fs::File>, BackendError> {
    use std::io::Write as _;
    let Some(path) = url.strip_prefix("sqlite://") else {
        return Ok(None);
    };
    let file = Path::new(path.split('?').next().unwrap_or(path));
    let lock_path = cancuoc_store_sqlite::serve_lock_path(file);
    // `serve --demo` may be about to create the database's folder.
    if let Some(dir) = lock_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| BackendError::CreateDir {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let lock_error = |source| BackendError::Lock {
        path: lock_path.display().to_string(),
        source,
    };
    let mut lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&lock_path)
        .map_err(lock_error)?;
    match lock.try_lock() {
        Ok(()) => {
            let holder = match claimant {
                Claimant::Server => format!("serve {}", std::process::id()),
                Claimant::Import => format!("{IMPORT_HOLDER} {}", std::process::id()),
            };
            lock.set_len(0).map_err(lock_error)?;
            lock.write_all(holder.as_bytes()).map_err(lock_error)?;
            Ok(Some(lock))
        }
        Err(std::fs::TryLockError::WouldBlock) => match claimant {
            Claimant::Import => Ok(None),
            Claimant::Server => {
                // The holder writes its name just after it takes the lock: one read in
                // that moment finds nothing and names no one.
                let holder = std::fs::read_to_string(&lock_path).unwrap_or_default();
                let path = file.display().to_string();
                match holder.strip_prefix(IMPORT_HOLDER) {
                    Some(pid) => Err(BackendError::Importing {
                        path,
                        holder: format!("`cancuoc import forms`, process {}", pid.trim()),
                    }),
                    None if holder.trim().is_empty() => Err(BackendError::Claimed(path)),
                    None => Err(BackendError::Served(path)),
                }
            }
        },
        Err(std::fs::TryLockError::Error(source)) => Err(lock_error(source)),
    }
}

/// Opens the store behind `url`. Only `create` (set by `init` and `serve --demo`) makes a
/// new SQLite file, so that a mistyped path is an error rather than an empty register.
/// `audit_key` keys the audit chain's MACs. `alone`: the caller holds the database's
/// claim as an import (`claim`), so no server runs on it.
pub async fn open(
    url: &str,
    read_url: Option<&str>,
    create: bool,
    alone: bool,
    audit_key: cancuoc_domain::audit::AuditKey,
) -> Result<Arc<dyn Store>, BackendError> {
    let postgres = |u: &str| u.starts_with("postgres://") || u.starts_with("postgresql://");
    if let Some(read_url) = read_url.filter(|r| !r.is_empty()) {
        if !postgres(url) || !postgres(read_url) {
            return Err(BackendError::Replica(redact(read_url)));
        }
        let store =
            cancuoc_store_postgres::connect_with_replica(url, read_url, audit_key, sharing(alone))
                .await?;
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
        let store = cancuoc_store_sqlite::open_with(url, create, audit_key, sharing(alone)).await?;
        Ok(Arc::new(store))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = cancuoc_store_postgres::connect_as(url, audit_key, sharing(alone)).await?;
        Ok(Arc::new(store))
    } else {
        Err(BackendError::Scheme(url.to_owned()))
    }
}

fn sharing(alone: bool) -> cancuoc_store_postgres::Sharing {
    if alone {
        cancuoc_store_postgres::Sharing::Alone
    } else {
        cancuoc_store_postgres::Sharing::Shared
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
