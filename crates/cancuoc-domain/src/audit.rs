//! The legal audit trail: append-only events, each carrying a keyed MAC (HMAC-SHA-256)
//! over its predecessor's MAC and its own fields, and signed checkpoints of the chain's
//! head kept outside the database (DESIGN §8).
//!
//! What the chain proves: with the MAC key outside the database, someone who can write
//! the database but not read that key cannot alter, insert, reorder or remove an event
//! without `verify` naming the first event that fails; with the checkpoints (signed by a
//! second key, in an append-only file outside the database), removing the newest events
//! is found too, down to the last checkpoint. What it does not prove: events appended
//! after the last checkpoint and then removed are not detectable, and whoever holds the
//! MAC key (the running server) can write a consistent false chain.

use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// What happened to the request an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Carried out (a read returned the record, a write was made).
    Done,
    /// Refused: the role may not, or a rule of the register said no.
    Refused,
    /// Nothing was there, or nothing inside the caller's jurisdiction.
    NotFound,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Refused => "refused",
            Self::NotFound => "not_found",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Done, Self::Refused, Self::NotFound]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

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
    /// The record's internal key or natural number (for a list, every key it showed);
    /// never a name.
    pub record_key: String,
    /// Why: the use case, an import file's hash, a search's filters.
    pub purpose: String,
    pub outcome: Outcome,
}

/// An event as stored: its position, time and MACs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub seq: i64,
    /// Microseconds since the Unix epoch, UTC.
    pub at_micros: i64,
    pub draft: AuditDraft,
    pub prev_hash: String,
    pub hash: String,
}

/// The MAC before the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The secret that keys the chain's MACs: kept outside the database (`CANCUOC_AUDIT_KEY`
/// or a 0600 file), so that whoever can only write the database cannot forge an event.
#[derive(Clone, PartialEq, Eq)]
pub struct AuditKey([u8; 32]);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(<redacted>)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the audit key is not 64 hexadecimal characters (32 bytes)")]
pub struct BadAuditKey;

impl AuditKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The well-known key of tests and benchmarks; a deployment always sets its own.
    pub fn development() -> Self {
        Self([42; 32])
    }

    /// A key written as 64 hex digits; surrounding white space is ignored.
    pub fn from_hex(text: &str) -> Result<Self, BadAuditKey> {
        let bytes = hex::decode(text.trim()).map_err(|_| BadAuditKey)?;
        Ok(Self(bytes.try_into().map_err(|_| BadAuditKey)?))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

/// HMAC-SHA-256 under the audit key over the previous MAC and the event's fields, each
/// length-prefixed so that no two different events serialise alike.
pub fn chain_mac(
    key: &AuditKey,
    prev_hash: &str,
    seq: i64,
    at_micros: i64,
    d: &AuditDraft,
) -> String {
    // HMAC pads a key shorter than the hash's block (64 bytes) with zeros; padding it
    // here gives the fixed-size key the infallible constructor takes.
    let mut block = [0u8; 64];
    for (b, k) in block.iter_mut().zip(key.0) {
        *b = k;
    }
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new(&block.into());
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
        d.outcome.as_str(),
    ] {
        mac.update(&(field.len() as u64).to_be_bytes());
        mac.update(field.as_bytes());
    }
    hex::encode(mac.finalize().into_bytes())
}

/// Where a chain breaks, the first place `verify` finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// The event's `prev_hash` is not the MAC of the event before it (one was removed or reordered).
    Link { seq: i64 },
    /// The event's MAC does not match its content under the key (it was altered or forged).
    Mac { seq: i64 },
    /// Sequence numbers skip (an event was removed from the middle).
    Gap { after: i64, next: i64 },
    /// A checkpoint names an event the chain no longer reaches (the newest were removed).
    Truncated { checkpoint: i64, last: Option<i64> },
    /// The event a checkpoint names has another MAC than the checkpoint recorded.
    CheckpointMismatch { seq: i64 },
    /// A checkpoint's signature does not verify (the checkpoint file was altered).
    CheckpointSignature { seq: i64 },
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Link { seq } => write!(
                f,
                "event {seq} does not follow the event before it (removed or reordered)"
            ),
            Self::Mac { seq } => write!(
                f,
                "event {seq} fails its MAC: it was altered or forged after it was written"
            ),
            Self::Gap { after, next } => {
                write!(f, "events between {after} and {next} are missing")
            }
            Self::Truncated { checkpoint, last } => write!(
                f,
                "the checkpoint at event {checkpoint} is past the chain's last event ({}): the newest events were removed",
                last.map_or("none".to_owned(), |l| l.to_string())
            ),
            Self::CheckpointMismatch { seq } => write!(
                f,
                "event {seq} differs from the checkpoint taken of it: the chain was rewritten"
            ),
            Self::CheckpointSignature { seq } => write!(
                f,
                "the checkpoint at event {seq} has a bad signature: the checkpoint file was altered"
            ),
        }
    }
}

/// Checks events in sequence order, continuing from `prev` (the sequence number and MAC
/// of the event before the first one given, or `(None, GENESIS_HASH)`). Returns the last
/// sequence number and MAC, or the first break.
pub fn verify_chain<'a>(
    key: &AuditKey,
    prev: (Option<i64>, String),
    events: impl IntoIterator<Item = &'a AuditEvent>,
) -> Result<(Option<i64>, String), ChainBreak> {
    let (mut last_seq, mut last_hash) = prev;
    for e in events {
        match last_seq {
            Some(s) if e.seq != s + 1 => {
                return Err(ChainBreak::Gap {
                    after: s,
                    next: e.seq,
                });
            }
            // The chain starts at 1: a missing first event is a gap too.
            None if e.seq != 1 => {
                return Err(ChainBreak::Gap {
                    after: 0,
                    next: e.seq,
                });
            }
            _ => {}
        }
        if e.prev_hash != last_hash {
            return Err(ChainBreak::Link { seq: e.seq });
        }
        if chain_mac(key, &e.prev_hash, e.seq, e.at_micros, &e.draft) != e.hash {
            return Err(ChainBreak::Mac { seq: e.seq });
        }
        last_seq = Some(e.seq);
        last_hash = e.hash.clone();
    }
    Ok((last_seq, last_hash))
}

/// A signed statement that the chain's head was `head` at event `seq`, kept outside the
/// database so that removing the newest events is found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub head: String,
    pub at_micros: i64,
    /// Ed25519 over [`Checkpoint::message`], hex.
    pub signature: String,
}

/// The key that signs checkpoints (Ed25519), kept outside the database.
#[derive(Clone)]
pub struct CheckpointKey(ed25519_dalek::SigningKey);

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CheckpointKey(<redacted>)")
    }
}

impl CheckpointKey {
    pub fn from_bytes(secret: [u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(&secret))
    }

    pub fn from_hex(text: &str) -> Result<Self, BadAuditKey> {
        let bytes = hex::decode(text.trim()).map_err(|_| BadAuditKey)?;
        Ok(Self::from_bytes(bytes.try_into().map_err(|_| BadAuditKey)?))
    }

    /// The public key that verifies this key's checkpoints, hex (published for auditors).
    pub fn public_hex(&self) -> String {
        hex::encode(self.0.verifying_key().to_bytes())
    }

    pub fn sign(&self, seq: i64, head: &str, at_micros: i64) -> Checkpoint {
        use ed25519_dalek::Signer;
        let signature = self.0.sign(&Checkpoint::message(seq, head, at_micros));
        Checkpoint {
            seq,
            head: head.to_owned(),
            at_micros,
            signature: hex::encode(signature.to_bytes()),
        }
    }
}

impl Checkpoint {
    /// The bytes signed: a fixed label, then the three fields length-prefixed.
    pub fn message(seq: i64, head: &str, at_micros: i64) -> Vec<u8> {
        let mut out = b"cancuoc audit checkpoint v1".to_vec();
        for field in [&seq.to_string(), head, &at_micros.to_string()] {
            out.extend((field.len() as u64).to_be_bytes());
            out.extend(field.as_bytes());
        }
        out
    }

    /// Whether the signature holds under the public key given as hex.
    pub fn verifies(&self, public_hex: &str) -> bool {
        let Some(public) = hex::decode(public_hex)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .and_then(|b| ed25519_dalek::VerifyingKey::from_bytes(&b).ok())
        else {
            return false;
        };
        let Some(signature) = hex::decode(&self.signature)
            .ok()
            .and_then(|b| <[u8; 64]>::try_from(b).ok())
            .map(|b| ed25519_dalek::Signature::from_bytes(&b))
        else {
            return false;
        };
        public
            .verify_strict(
                &Self::message(self.seq, &self.head, self.at_micros),
                &signature,
            )
            .is_ok()
    }
}

/// Checks the chain's MACs at the checkpoints' events against the checkpoints, in
/// sequence order: `heads` gives the MAC of each event the chain holds at a checkpoint's
/// sequence number, `last` the chain's last event.
/// The first microsecond of the day `first` in Vietnam (UTC+7): where a month of the
/// audit trail begins when `first` is the first of a month.
pub fn month_start_micros(first: jiff::civil::Date) -> i64 {
    let days = i64::from((first - jiff::civil::date(1970, 1, 1)).get_days());
    (days * 86_400 - 7 * 3_600) * 1_000_000
}

pub fn verify_checkpoints<'a>(
    checkpoints: impl IntoIterator<Item = &'a Checkpoint>,
    public_hex: &str,
    head_at: impl Fn(i64) -> Option<&'a str>,
    last: Option<i64>,
) -> Result<(), ChainBreak> {
    for c in checkpoints {
        if !c.verifies(public_hex) {
            return Err(ChainBreak::CheckpointSignature { seq: c.seq });
        }
        if last.is_none_or(|l| l < c.seq) {
            return Err(ChainBreak::Truncated {
                checkpoint: c.seq,
                last,
            });
        }
        if head_at(c.seq) != Some(c.head.as_str()) {
            return Err(ChainBreak::CheckpointMismatch { seq: c.seq });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> AuditKey {
        AuditKey::from_bytes([7; 32])
    }

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
                    outcome: Outcome::Done,
                };
                let hash = chain_mac(&key(), &prev, seq, seq * 10, &draft);
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

    fn start() -> (Option<i64>, String) {
        (None, GENESIS_HASH.into())
    }

    #[test]
    fn an_intact_chain_verifies() {
        let events = chain(5);
        let (seq, hash) = verify_chain(&key(), start(), &events).unwrap();
        assert_eq!(seq, Some(5));
        assert_eq!(hash, events[4].hash);
    }

    #[test]
    fn altered_removed_and_reordered_events_are_found() {
        let mut altered = chain(5);
        altered[2].draft.record_key = "other".into();
        assert_eq!(
            verify_chain(&key(), start(), &altered),
            Err(ChainBreak::Mac { seq: 3 })
        );

        let mut removed = chain(5);
        removed.remove(2);
        assert_eq!(
            verify_chain(&key(), start(), &removed),
            Err(ChainBreak::Gap { after: 2, next: 4 })
        );

        let mut first_removed = chain(3);
        first_removed.remove(0);
        assert_eq!(
            verify_chain(&key(), start(), &first_removed),
            Err(ChainBreak::Gap { after: 0, next: 2 })
        );
    }

    #[test]
    fn a_chain_rewritten_without_the_key_fails_its_mac() {
        // An insider rewrites event 3 and recomputes every later MAC, as plain SHA-256
        // would have let them, but under a key of their own.
        let mut forged = chain(5);
        let wrong = AuditKey::from_bytes([8; 32]);
        forged[2].draft.outcome = Outcome::Refused;
        let mut prev = forged[1].hash.clone();
        for e in forged.iter_mut().skip(2) {
            e.prev_hash = prev.clone();
            e.hash = chain_mac(&wrong, &e.prev_hash, e.seq, e.at_micros, &e.draft);
            prev = e.hash.clone();
        }
        assert_eq!(
            verify_chain(&key(), start(), &forged),
            Err(ChainBreak::Mac { seq: 3 })
        );
    }

    #[test]
    fn checkpoints_find_a_truncated_or_rewritten_head() {
        let events = chain(5);
        let signer = CheckpointKey::from_bytes([9; 32]);
        let public = signer.public_hex();
        let at_4 = signer.sign(4, &events[3].hash, 99);
        let head_at = |seq: i64| {
            events
                .iter()
                .find(|e| e.seq == seq)
                .map(|e| e.hash.as_str())
        };
        assert_eq!(
            verify_checkpoints([&at_4], &public, head_at, Some(5)),
            Ok(())
        );
        // The two newest events removed: the chain ends at 3, before the checkpoint.
        assert_eq!(
            verify_checkpoints([&at_4], &public, head_at, Some(3)),
            Err(ChainBreak::Truncated {
                checkpoint: 4,
                last: Some(3)
            })
        );
        // A checkpoint of another head, or one whose file was edited.
        let other = signer.sign(4, &events[2].hash, 99);
        assert_eq!(
            verify_checkpoints([&other], &public, head_at, Some(5)),
            Err(ChainBreak::CheckpointMismatch { seq: 4 })
        );
        let mut edited = at_4.clone();
        edited.seq = 2;
        assert_eq!(
            verify_checkpoints([&edited], &public, head_at, Some(5)),
            Err(ChainBreak::CheckpointSignature { seq: 2 })
        );
        let stranger = CheckpointKey::from_bytes([10; 32]);
        assert!(!at_4.verifies(&stranger.public_hex()));
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
            outcome: Outcome::Done,
        };
        let b = AuditDraft {
            actor: "a".into(),
            unit: "bc".into(),
            ..a.clone()
        };
        assert_ne!(
            chain_mac(&key(), GENESIS_HASH, 1, 0, &a),
            chain_mac(&key(), GENESIS_HASH, 1, 0, &b)
        );
        let refused = AuditDraft {
            outcome: Outcome::Refused,
            ..a.clone()
        };
        assert_ne!(
            chain_mac(&key(), GENESIS_HASH, 1, 0, &a),
            chain_mac(&key(), GENESIS_HASH, 1, 0, &refused)
        );
    }

    #[test]
    fn keys_read_from_hex_and_never_print() {
        let k = AuditKey::from_hex(&"ab".repeat(32)).unwrap();
        assert_eq!(k.to_hex(), "ab".repeat(32));
        assert!(!format!("{k:?}").contains("ab"));
        assert_eq!(AuditKey::from_hex("abc"), Err(BadAuditKey));
    }
}
