//! A card's chip, put together: every file of the LDS from the card's data, the chip's own
//! key pairs and the Document Signer's signature over the data groups.

use std::collections::BTreeMap;

use jiff::Timestamp;
use thiserror::Error;

use crate::lds::{Com, Dg1, Dg2, Dg13, Dg15, ElementaryFile, SecurityInfos};
use crate::pki::{Certificate, KeyPair};
use crate::sod::{self, LdsSecurityObject};

/// What goes on one card's chip.
#[derive(Debug, Clone)]
pub struct ChipData {
    /// The MRZ lines exactly as printed on the card.
    pub mrz: [String; 3],
    pub portrait: Dg2,
    pub citizen: Dg13,
}

/// Why the production centre cannot sign.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignError {
    #[error(
        "the Document Signer {serial} may sign from {from} until {until}, not at {at}: start a new one (cancuoc pki rotate)"
    )]
    OutsideUsagePeriod {
        serial: String,
        from: Timestamp,
        until: Timestamp,
        at: Timestamp,
    },
    #[error("the Document Signer's certificate does not belong to its private key")]
    KeyMismatch,
}

/// The chip's files, by file.
pub type ChipFiles = BTreeMap<ElementaryFile, Vec<u8>>;

/// Every file of the chip: the data groups, EF.COM, EF.CardAccess, and EF.SOD signed at
/// `at` by the Document Signer, which must be inside its private key usage period.
pub fn personalise(
    data: &ChipData,
    chip_authentication: &KeyPair,
    active_authentication: &KeyPair,
    ds_certificate: &Certificate,
    ds_key: &KeyPair,
    at: Timestamp,
) -> Result<ChipFiles, SignError> {
    let from = ds_certificate
        .usage_from
        .unwrap_or(ds_certificate.not_before);
    let until = ds_certificate
        .usage_until
        .unwrap_or(ds_certificate.not_after);
    if at < from || at > until {
        return Err(SignError::OutsideUsagePeriod {
            serial: ds_certificate.serial_hex(),
            from,
            until,
            at,
        });
    }
    if ds_certificate.public_key != ds_key.public_key_info() {
        return Err(SignError::KeyMismatch);
    }
    let mut files = ChipFiles::new();
    files.insert(ElementaryFile::Com, Com::vietnamese_card().encode());
    files.insert(
        ElementaryFile::CardAccess,
        SecurityInfos::new(vec![SecurityInfos::pace()]).encode_card_access(),
    );
    files.insert(ElementaryFile::Dg1, Dg1::from_lines(&data.mrz).encode());
    files.insert(ElementaryFile::Dg2, data.portrait.encode());
    files.insert(ElementaryFile::Dg13, data.citizen.encode());
    files.insert(
        ElementaryFile::Dg14,
        SecurityInfos::chip(chip_authentication.public_key_info()).encode_dg14(),
    );
    files.insert(
        ElementaryFile::Dg15,
        Dg15 {
            public_key: active_authentication.public_key_info(),
        }
        .encode(),
    );
    let object = LdsSecurityObject::of(
        ElementaryFile::DATA_GROUPS
            .into_iter()
            .filter_map(|f| Some((f.data_group()?, files.get(&f)?.as_slice()))),
    );
    files.insert(
        ElementaryFile::Sod,
        sod::sign(&object, ds_certificate, ds_key, at),
    );
    Ok(files)
}

/// The PACE card access number of a Vietnamese card: the last six digits of the personal
/// ID (no separate CAN is printed).
pub fn card_access_number(personal_id: &str) -> Option<&str> {
    (personal_id.len() == 12 && personal_id.bytes().all(|b| b.is_ascii_digit()))
        .then(|| &personal_id[6..])
}
