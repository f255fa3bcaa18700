//! The read replica: a hot standby streaming from the primary, for the reads that may lag
//! a little (the register's searches, reports, counts). It is optional and may be down: a
//! read that cannot start on it starts on the primary, and the replica is not tried again
//! for a few seconds, so that a stopped standby costs one failed connection, not one per
//! request. A standby that answers but no longer streams from the primary, or whose replay
//! has fallen far behind what it received, counts as down too: checked at most once a
//! second, so that a broken link cannot serve ever older answers.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

/// How long a replica that failed is left alone.
const RETRY_AFTER: Duration = Duration::from_secs(5);
/// How long a read waits for a replica connection before it goes to the primary.
const CONNECT_WAIT: Duration = Duration::from_secs(2);
const MAX_CONNECTIONS: u32 = 16;
/// How often the standby's replication is checked.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// Received but not yet replayed WAL beyond which the standby is too far behind.
const MOST_BEHIND_BYTES: i64 = 64 * 1024 * 1024;

/// True on a standby that streams from its primary and has replayed nearly all it received
/// (or on a server that is no standby at all: nothing to lag behind).
const FRESH: &str = "SELECT NOT pg_is_in_recovery()
    OR (EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')
        AND COALESCE(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0) < $1)";

pub(crate) struct Replica {
    pool: PgPool,
    /// When the replica last failed, if it did within [`RETRY_AFTER`].
    failed_at: Mutex<Option<Instant>>,
    /// When its replication was last found sound.
    checked_at: Mutex<Option<Instant>>,
}

impl Replica {
    /// Connects lazily: the server starts whether or not the standby is up.
    pub(crate) fn new(options: PgConnectOptions) -> Self {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(CONNECT_WAIT)
            .connect_lazy_with(options);
        Self {
            pool,
            failed_at: Mutex::new(None),
            checked_at: Mutex::new(None),
        }
    }

    fn resting(&self) -> bool {
        let failed = match self.failed_at.lock() {
            Ok(f) => *f,
            Err(poisoned) => *poisoned.into_inner(),
        };
        failed.is_some_and(|at| at.elapsed() < RETRY_AFTER)
    }

    fn due_a_check(&self) -> bool {
        let checked = match self.checked_at.lock() {
            Ok(c) => *c,
            Err(poisoned) => *poisoned.into_inner(),
        };
        checked.is_none_or(|at| at.elapsed() >= CHECK_EVERY)
    }

    fn note_checked(&self) {
        match self.checked_at.lock() {
            Ok(mut c) => *c = Some(Instant::now()),
            Err(poisoned) => *poisoned.into_inner() = Some(Instant::now()),
        }
    }

    fn note_failure(&self) {
        match self.failed_at.lock() {
            Ok(mut f) => *f = Some(Instant::now()),
            Err(poisoned) => *poisoned.into_inner() = Some(Instant::now()),
        }
    }

    /// A transaction on the replica, or `None` when it is down (the caller reads from the
    /// primary).
    pub(crate) async fn begin(&self) -> Option<Transaction<'static, Postgres>> {
        if self.resting() {
            return None;
        }
        let mut tx = match self.pool.begin().await {
            Ok(tx) => tx,
            Err(e) => {
                tracing::warn!("read replica unavailable, reading from the primary: {e}");
                self.note_failure();
                return None;
            }
        };
        if self.due_a_check() {
            let fresh: Result<bool, _> = sqlx::query_scalar(FRESH)
                .bind(MOST_BEHIND_BYTES)
                .fetch_one(&mut *tx)
                .await;
            match fresh {
                Ok(true) => self.note_checked(),
                Ok(false) => {
                    tracing::warn!(
                        "read replica not streaming or too far behind, reading from the primary"
                    );
                    self.note_failure();
                    return None;
                }
                Err(e) => {
                    tracing::warn!("read replica unavailable, reading from the primary: {e}");
                    self.note_failure();
                    return None;
                }
            }
        }
        Some(tx)
    }
}
