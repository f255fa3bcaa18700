//! The audit chain's checks: walking it under the MAC key, and the signed checkpoints of
//! its head kept outside the database (DESIGN §8).

use std::collections::HashMap;
use std::sync::Arc;

use cancuoc_domain::audit::{
    ChainBreak, Checkpoint, CheckpointKey, GENESIS_HASH, verify_chain, verify_checkpoints,
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
    /// checkpoint; reports the first event that fails and why.
    pub async fn verify_audit(&self) -> Result<AuditVerification, AppError> {
        const PAGE: u32 = 10_000;
        let checkpoints = match &self.checkpoints {
            Some(c) => c.log.all()?,
            None => Vec::new(),
        };
        // The chain's MAC at each sequence number a checkpoint names.
        let mut heads: HashMap<i64, String> =
            checkpoints.iter().map(|c| (c.seq, String::new())).collect();
        let mut state = (None, GENESIS_HASH.to_owned());
        let mut report = AuditVerification {
            checkpoints: checkpoints.len() as u64,
            ..AuditVerification::default()
        };
        let broken = |mut report: AuditVerification, b: ChainBreak| {
            report.first_break_seq = Some(seq_of(&b));
            report.first_break = Some(b.to_string());
            report
        };
        let mut after = 0;
        loop {
            let events = self.store.audit_events(after, PAGE).await?;
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
        }
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
