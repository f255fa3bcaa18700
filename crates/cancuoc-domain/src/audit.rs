//! The legal audit trail: append-only events, each hashed over its predecessor's hash
//! so that a removed or altered event breaks the chain (DESIGN §8).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What an officer did, before the store gives it a place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditDraft {
    /// Username, or `system` for work the command line does on its own.
    pub actor: String,
    /// The actor's police unit code.
    pub unit: String,
    /// A dotted verb such as `citizen.read` or `form.approve`.
    pub action: String,
    /// The kind of record touched (`citizen`, `form`, `officer`, …).
    pub record_kind: String,
    /// The record's internal key or natural number; never a name.
    pub record_key: String,
    /// Why: the use case, an import file's hash, a search's filters.
    pub purpose: String,
}

/// An event as stored: its position, time and hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub seq: i64,
    /// Microseconds since the Unix epoch, UTC.
    pub at_micros: i64,
    pub draft: AuditDraft,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash before the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 over the previous hash and the event's fields, each length-prefixed so
/// that no two different events serialise alike.
pub fn chain_hash(prev_hash: &str, seq: i64, at_micros: i64, d: &AuditDraft) -> String {
    let mut h = Sha256::new();
    let seq_text = seq.to_string();
    let at_text = at_micros.to_string();
    for field in [
        prev_hash,
        &seq_text,
        &at_text,
        &d.actor,
        &d.unit,
        &d.action,
        &d.record_kind,
        &d.record_key,
        &d.purpose,
    ] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Where a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// The event's `prev_hash` is not the hash of the event before it (one was removed or reordered).
    Link { seq: i64 },
    /// The event's hash does not match its content (it was altered).
    Content { seq: i64 },
    /// Sequence numbers skip (an event was removed from the middle).
    Gap { after: i64, next: i64 },
}

/// Checks events in sequence order, continuing from `prev` (the hash of the event before
/// the first one given, or [`GENESIS_HASH`]). Returns the last hash, or the first break.
pub fn verify_chain<'a>(
    prev: (Option<i64>, String),
    events: impl IntoIterator<Item = &'a AuditEvent>,
) -> Result<(Option<i64>, String), ChainBreak> {
    let (mut last_seq, mut last_hash) = prev;
    for e in events {
        if let Some(s) = last_seq
            && e.seq != s + 1
        {
            return Err(ChainBreak::Gap {
                after: s,
                next: e.seq,
            });
        }
        if e.prev_hash != last_hash {
            return Err(ChainBreak::Link { seq: e.seq });
        }
        if chain_hash(&e.prev_hash, e.seq, e.at_micros, &e.draft) != e.hash {
            return Err(ChainBreak::Content { seq: e.seq });
        }
        last_seq = Some(e.seq);
        last_hash = e.hash.clone();
    }
    Ok((last_seq, last_hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEvent> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let draft = AuditDraft {
                    actor: "admin".into(),
                    unit: "BCA".into(),
                    action: "citizen.read".into(),
                    record_kind: "citizen".into(),
                    record_key: format!("k{seq}"),
                    purpose: "test".into(),
                };
                let hash = chain_hash(&prev, seq, seq * 10, &draft);
                let e = AuditEvent {
                    seq,
                    at_micros: seq * 10,
                    draft,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let events = chain(5);
        let (seq, hash) = verify_chain((None, GENESIS_HASH.into()), &events).unwrap();
        assert_eq!(seq, Some(5));
        assert_eq!(hash, events[4].hash);
    }

    #[test]
    fn altered_removed_and_reordered_events_are_found() {
        let mut altered = chain(5);
        altered[2].draft.record_key = "other".into();
        assert_eq!(
            verify_chain((None, GENESIS_HASH.into()), &altered),
            Err(ChainBreak::Content { seq: 3 })
        );

        let mut removed = chain(5);
        removed.remove(2);
        assert_eq!(
            verify_chain((None, GENESIS_HASH.into()), &removed),
            Err(ChainBreak::Gap { after: 2, next: 4 })
        );

        let mut first_removed = chain(3);
        first_removed.remove(0);
        assert_eq!(
            verify_chain((None, GENESIS_HASH.into()), &first_removed),
            Err(ChainBreak::Link { seq: 2 })
        );
    }

    #[test]
    fn fields_cannot_be_shifted_between_each_other() {
        let a = AuditDraft {
            actor: "ab".into(),
            unit: "c".into(),
            action: String::new(),
            record_kind: String::new(),
            record_key: String::new(),
            purpose: String::new(),
        };
        let b = AuditDraft {
            actor: "a".into(),
            unit: "bc".into(),
            ..a.clone()
        };
        assert_ne!(
            chain_hash(GENESIS_HASH, 1, 0, &a),
            chain_hash(GENESIS_HASH, 1, 0, &b)
        );
    }
}
