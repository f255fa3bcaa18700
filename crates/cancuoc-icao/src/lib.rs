//! ICAO Doc 9303 machine-readable zones (MRZ) for the Vietnamese chip identity card (CCCD).
//!
//! What it does:
//! - the MRZ character set and check digits (Doc 9303-3 §4.9), [`check_digit`];
//! - holders' names in the MRZ: transliteration of Vietnamese (and the common Latin
//!   letters of Doc 9303-3 §6) to A–Z, the `<<` and `<` separators of Doc 9303-3 §4.6,
//!   and truncation when the name is longer than the field (Doc 9303-4 §4.2.2.1 and
//!   §4.2.3, Doc 9303-5 §4.2.2.3 and §4.2.3), [`mrz_name`] and [`parse_name`];
//! - generic TD1 cards (Doc 9303-5, [`Td1`]) and TD3 passports (Doc 9303-4, [`Td3`]),
//!   encoded and parsed with every check digit;
//! - the Vietnamese TD1 layout of the CCCD ([`VnmCard`], [`ParsedVnm`]), which keeps the
//!   12-digit personal ID in the optional data of line 1 with a check digit of its own;
//! - [`check`], which recognises a layout by its shape and lists every failing field;
//! - the chip (Doc 9303-10, -11, -12): [`der`], the one TLV writer and bounded reader;
//!   [`lds`], every file of the chip written and parsed (EF.COM, DG1, DG2 with its
//!   ISO/IEC 19794-5 facial record, Vietnam's DG13, DG14, DG15, EF.CardAccess); [`sod`],
//!   the security object signed as CMS SignedData; [`pki`], P-256 keys, the CSCA's and
//!   Document Signers' certificates and the CRL; [`chip::personalise`], a card's files
//!   put together and signed; [`passive::verify`], passive authentication naming every
//!   failed check; [`bac_keys`], the Basic Access Control keys.
//!
//! What it does not: no I/O, no clock, no randomness of its own (keys are made from bytes
//! the caller draws), no async. It knows nothing about the
//! register: what the digits of a personal ID mean (province, century, sex) lives in
//! `cancuoc-domain`, which depends on this crate and not the other way round. Two-digit
//! years are returned as written; [`full_year`] expands them only with a pivot the caller
//! chooses. TD2 and visa layouts (Doc 9303-6, -7) are not here.

mod bac;
mod check;
pub mod chip;
mod date;
pub mod der;
mod error;
mod fields;
pub mod lds;
mod lines;
mod name;
pub mod passive;
pub mod pki;
mod report;
pub mod sod;
pub mod specimen;
mod td1;
mod td3;
mod vnm;

pub use bac::{BacError, BacKeys, bac_keys};
pub use check::{InvalidMrzChar, char_value, check_digit};
pub use date::{MrzDate, Sex, full_year};
pub use error::{Field, MrzError, NameError};
pub use name::{MrzName, mrz_name, parse_name, possibly_truncated};
pub use report::{Layout, Report, check};
pub use td1::{TD1_NAME_WIDTH, TD1_WIDTH, Td1, Td1Fields};
pub use td3::{TD3_NAME_WIDTH, TD3_WIDTH, Td3, Td3Fields};
pub use vnm::{BirthDate, NO_EXPIRY, ParsedVnm, VnmCard};
