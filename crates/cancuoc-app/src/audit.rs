//! The audit chain's checks: walking it under the MAC key, and the signed checkpoints of
//! its head kept outside the database (DESIGN §8).

use std::collections::HashMap;
use std::sync::Arc;

use cancuoc_domain::audit::{
    ChainBreak, Checkpoint, CheckpointKey, GENESIS_HASH, month_start_micros, verify_chain,
    verify_checkpoints,
};
use serde::Serialize;

use crate::{App, AppError, Caller};

/// An append-only record of checkpoints outside the database (a file under the data
/// folder in a deployment).
pub trait CheckpointLog: Send + Sync {
    fn append(&self, checkpoint: &Checkpoint) -> Result<(), AppError>;
    /// Every checkpoint, oldest first.
    fn all(&self) -> Result<Vec<Checkpoint>, AppError>;
}

/// Where checkpoints go and the key that signs them.
#[derive(Clone)]
pub(crate) struct Checkpoints {
    pub log: Arc<dyn CheckpointLog>,
    pub key: CheckpointKey,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditVerification {
    /// The first event walked (after archived months, or a month's first).
    pub from_seq: i64,
    pub events: u64,
    /// Checkpoints the chain was checked against.
    pub checkpoints: u64,
    /// The first event that fails and why, in words.
    pub first_break: Option<String>,
    /// The first failing event's sequence number (or the checkpoint's), for tools.
    pub first_break_seq: Option<i64>,
}

/// The checkpoints as published to relying parties: each one and the public key that
/// verifies their signatures.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedCheckpoints {
    /// Ed25519 public key, hex.
    pub public_key: String,
    pub checkpoints: Vec<Checkpoint>,
}

fn seq_of(b: &ChainBreak) -> i64 {
    match b {
        ChainBreak::Link { seq }
        | ChainBreak::Mac { seq }
        | ChainBreak::CheckpointMismatch { seq }
        | ChainBreak::CheckpointSignature { seq } => *seq,
        ChainBreak::Gap { next, .. } => *next,
        ChainBreak::Truncated { checkpoint, .. } => *checkpoint,
    }
}

fn require_auditor(caller: &Caller) -> Result<(), AppError> {
    match caller.officer() {
        Some(o) if !o.role.reads_audit() => Err(AppError::Forbidden(
            "only auditors and administrators read the audit trail".into(),
        )),
        _ => Ok(()),
    }
}

impl App {
    /// Walks the whole audit trail under the MAC key and checks it against every
    /// checkpoint; reports the first event that fails and why. Months archived on
    /// PostgreSQL are out of the table: the walk starts from the last archived event's
    /// hash, kept when its month was detached.
    pub async fn verify_audit(&self) -> Result<AuditVerification, AppError> {
        self.verify_audit_window(None).await
    }

    /// Verifies one month of the trail (Vietnam time, the month holding `month`): its
    /// events from the one before it, and the checkpoints among them. On PostgreSQL this
    /// reads that month's partition only, whatever the trail's age.
    pub async fn verify_audit_month(
        &self,
        month: jiff::civil::Date,
    ) -> Result<AuditVerification, AppError> {
        let first = month.first_of_month();
        let name = format!("audit_events_{:04}_{:02}", first.year(), first.month());
        let (archived, _) = self.store.audit_archived().await?;
        if archived.iter().any(|m| m.name == name) {
            return Err(AppError::InvalidState(format!(
                "{name} is archived: its events left the trail (their first and last hashes are in `audit months`)"
            )));
        }
        let next = first
            .checked_add(jiff::Span::new().months(1))
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        self.verify_audit_window(Some((month_start_micros(first), month_start_micros(next))))
            .await
    }

    async fn verify_audit_window(
        &self,
        window: Option<(i64, i64)>,
    ) -> Result<AuditVerification, AppError> {
        const PAGE: u32 = 10_000;
        let anchor = self
            .store
            .audit_anchor(window.map(|(from, _)| from))
            .await?;
        let after_anchor = anchor.as_ref().map_or(0, |(seq, _)| *seq);
        // Checkpoints of events before the anchor name events not walked here.
        let mut checkpoints = match &self.checkpoints {
            Some(c) => c.log.all()?,
            None => Vec::new(),
        };
        checkpoints.retain(|c| c.seq > after_anchor);
        // The chain's MAC at each sequence number a checkpoint names.
        let mut heads: HashMap<i64, String> =
            checkpoints.iter().map(|c| (c.seq, String::new())).collect();
        let mut state = match anchor {
            Some((seq, hash)) => (Some(seq), hash),
            None => (None, GENESIS_HASH.to_owned()),
        };
        let mut report = AuditVerification {
            from_seq: after_anchor + 1,
            ..AuditVerification::default()
        };
        let broken = |mut report: AuditVerification, b: ChainBreak| {
            report.first_break_seq = Some(seq_of(&b));
            report.first_break = Some(b.to_string());
            report
        };
        if window.is_none()
            && let Some((seq, why)) = self.archive_break(after_anchor).await?
        {
            report.first_break_seq = Some(seq);
            report.first_break = Some(why);
            return Ok(report);
        }
        // A month ends with the last event logged before the next one begins.
        let last_of_window = match window {
            Some((_, to)) => Some(
                self.store
                    .audit_anchor(Some(to))
                    .await?
                    .map_or(0, |(seq, _)| seq),
            ),
            None => None,
        };
        let mut after = after_anchor;
        loop {
            let mut events = self.store.audit_events(after, PAGE).await?;
            let ends_window = last_of_window.is_some_and(|end| events.iter().any(|e| e.seq >= end));
            if let Some(end) = last_of_window {
                events.retain(|e| e.seq <= end);
            }
            let Some(last) = events.last() else {
                break;
            };
            after = last.seq;
            report.events += events.len() as u64;
            for e in &events {
                if let Some(h) = heads.get_mut(&e.seq) {
                    h.clone_from(&e.hash);
                }
            }
            match verify_chain(&self.config.audit_key, state, &events) {
                Ok(next) => state = next,
                Err(b) => return Ok(broken(report, b)),
            }
            if ends_window {
                break;
            }
        }
        if let Some(end) = last_of_window {
            // The month's last event is the one the next month's first links to: its
            // last events cannot go unseen.
            if let Some(next) = self.store.audit_events(end, 1).await?.first() {
                let linked = match state.0 {
                    Some(last) => next.seq == last + 1 && next.prev_hash == state.1,
                    None => next.seq == 1 && next.prev_hash == GENESIS_HASH,
                };
                if !linked {
                    report.first_break_seq = Some(next.seq);
                    report.first_break = Some(format!(
                        "event {} after the month does not follow its last event",
                        next.seq
                    ));
                    return Ok(report);
                }
            }
            // A month's walk checks the checkpoints inside it, not the chain's length.
            checkpoints.retain(|c| state.0.is_some_and(|last| c.seq <= last));
        }
        report.checkpoints = checkpoints.len() as u64;
        if let Some(c) = &self.checkpoints {
            let result = verify_checkpoints(
                &checkpoints,
                &c.key.public_hex(),
                |seq| {
                    heads
                        .get(&seq)
                        .map(String::as_str)
                        .filter(|h| !h.is_empty())
                },
                state.0,
            );
            if let Err(b) = result {
                return Ok(broken(report, b));
            }
        }
        Ok(report)
    }

    /// What is wrong with the months archived, if anything: they must follow one another
    /// from the chain's first event, the table must go on from the last of them, and that
    /// last hash must be the one a signed checkpoint holds (written when it was archived),
    /// so that rows added to `audit_archive` cannot start the walk past events.
    async fn archive_break(&self, anchor: i64) -> Result<Option<(i64, String)>, AppError> {
        let (archived, first_in_table) = self.store.audit_archived().await?;
        let Some(last) = archived.last() else {
            return Ok(None);
        };
        let mut expected = (1, GENESIS_HASH.to_owned());
        for m in &archived {
            let (Some(first), Some(end)) = (&m.first, &m.last) else {
                continue;
            };
            if first.0 != expected.0 || first.1 != expected.1 {
                return Ok(Some((
                    first.0,
                    format!(
                        "archived month {} does not follow the one before it",
                        m.name
                    ),
                )));
            }
            expected = (end.0 + 1, end.1.clone());
        }
        if expected.0 != anchor + 1 {
            return Ok(Some((
                anchor,
                "the archived months do not end where the walk starts".into(),
            )));
        }
        if let Some(first) = first_in_table
            && first != expected.0
        {
            return Ok(Some((
                first,
                format!(
                    "the trail's first event is {first}, the archived months end at {}",
                    expected.0 - 1
                ),
            )));
        }
        let Some((seq, hash)) = &last.last else {
            return Ok(None);
        };
        let Some(c) = &self.checkpoints else {
            return Ok(Some((
                *seq,
                "archived months with no checkpoint key to check them".into(),
            )));
        };
        let public = c.key.public_hex();
        let signed = c
            .log
            .all()?
            .iter()
            .any(|cp| cp.seq == *seq && cp.head == *hash && cp.verifies(&public));
        if !signed {
            return Ok(Some((
                *seq,
                format!(
                    "the archive's last hash (event {seq}) is not the one a signed checkpoint holds"
                ),
            )));
        }
        Ok(None)
    }

    /// Makes the audit trail's partitions of this month and the next two (PostgreSQL).
    pub async fn prepare_audit_months(&self) -> Result<Vec<String>, AppError> {
        Ok(self.store.prepare_audit_months(self.clock.today()).await?)
    }

    /// Every month of the audit trail with its first and last events.
    pub async fn audit_months(
        &self,
        caller: &Caller,
    ) -> Result<Vec<cancuoc_store::AuditMonth>, AppError> {
        require_auditor(caller)?;
        Ok(self.store.audit_months().await?)
    }

    /// Detaches the months before `before` for archive (PostgreSQL), from the command
    /// line on the server.
    pub async fn archive_audit_months(
        &self,
        caller: &Caller,
        before: jiff::civil::Date,
    ) -> Result<Vec<cancuoc_store::AuditMonth>, AppError> {
        if caller.officer().is_some() {
            return Err(AppError::Forbidden(
                "months of the audit trail are archived from the command line on the server".into(),
            ));
        }
        let c = self.checkpoints.as_ref().ok_or_else(|| {
            AppError::InvalidState(
                "archiving needs the checkpoint key, which signs where the archive ends".into(),
            )
        })?;
        // Only a sound trail is archived: what is detached leaves the walk for good.
        let v = self.verify_audit().await?;
        if let Some(why) = v.first_break {
            return Err(AppError::InvalidState(format!(
                "the audit trail does not verify ({why}): nothing archived"
            )));
        }
        let access = caller.access(self.clock.as_ref(), "audit archive");
        let done = self.store.archive_audit_months(&access, before).await?;
        if let Some((seq, hash)) = done
            .iter()
            .rev()
            .find_map(|m| m.last.clone())
            .filter(|_| !done.is_empty())
        {
            c.log
                .append(&c.key.sign(seq, &hash, self.clock.now_micros()))?;
        }
        Ok(done)
    }

    /// Signs the chain's current head and appends it to the checkpoint log; `None` when
    /// the chain is empty or already checkpointed at its head.
    pub async fn write_checkpoint(&self) -> Result<Option<Checkpoint>, AppError> {
        let c = self.checkpoints.as_ref().ok_or_else(|| {
            AppError::InvalidState("no checkpoint key is configured: run `cancuoc init`".into())
        })?;
        let newest = self
            .store
            .search_audit(&cancuoc_store::AuditFilter {
                limit: 1,
                ..Default::default()
            })
            .await?;
        let Some(head) = newest.first() else {
            return Ok(None);
        };
        if c.log.all()?.last().is_some_and(|last| last.seq == head.seq) {
            return Ok(None);
        }
        let checkpoint = c.key.sign(head.seq, &head.hash, self.clock.now_micros());
        c.log.append(&checkpoint)?;
        Ok(Some(checkpoint))
    }

    /// Every checkpoint with the key that verifies it, for auditors and relying parties.
    pub fn published_checkpoints(&self, caller: &Caller) -> Result<PublishedCheckpoints, AppError> {
        require_auditor(caller)?;
        let c = self
            .checkpoints
            .as_ref()
            .ok_or_else(|| AppError::InvalidState("no checkpoint key is configured".into()))?;
        Ok(PublishedCheckpoints {
            public_key: c.key.public_hex(),
            checkpoints: c.log.all()?,
        })
    }
}
