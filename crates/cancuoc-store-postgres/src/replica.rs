//! The read replica: a hot standby streaming from the primary, for the reads that may lag
//! a little (name searches, reports, counts, lists). It is optional and may be down: a
//! read that cannot start on it starts on the primary, and the replica is not tried again
//! for a few seconds, so that a stopped standby costs one failed connection, not one per
//! request.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

/// How long a replica that failed is left alone.
const RETRY_AFTER: Duration = Duration::from_secs(5);
/// How long a read waits for a replica connection before it goes to the primary.
const CONNECT_WAIT: Duration = Duration::from_secs(2);
const MAX_CONNECTIONS: u32 = 16;

pub(crate) struct Replica {
    pool: PgPool,
    /// When the replica last failed, if it did within [`RETRY_AFTER`].
    failed_at: Mutex<Option<Instant>>,
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
        }
    }

    fn resting(&self) -> bool {
        let failed = match self.failed_at.lock() {
            Ok(f) => *f,
            Err(poisoned) => *poisoned.into_inner(),
        };
        failed.is_some_and(|at| at.elapsed() < RETRY_AFTER)
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
        match self.pool.begin().await {
            Ok(tx) => Some(tx),
            Err(e) => {
                tracing::warn!("read replica unavailable, reading from the primary: {e}");
                self.note_failure();
                None
            }
        }
    }
}
