//! Basic Access Control keys (ICAO 9303-11 §4.3.2 and Appendix D.1): the chip's reader
//! derives them from the document number, the birth date and the expiry date printed in
//! the MRZ, each with its check digit. K_seed is the first 16 bytes of the SHA-1 of that
//! "MRZ information"; K_enc and K_mac are the first 16 bytes of SHA-1(K_seed ‖ counter),
//! counter 1 and 2, each byte's lowest bit set for odd parity (two-key 3DES keys).

use sha1::{Digest, Sha1};
use thiserror::Error;

use crate::check_digit;

/// The three keys of Basic Access Control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacKeys {
    pub seed: [u8; 16],
    pub enc: [u8; 16],
    pub mac: [u8; 16],
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BacError {
    #[error("document number: 1 to 9 characters of A–Z, 0–9 and <, as in the MRZ")]
    Document,
    #[error("{0}: six digits YYMMDD, as in the MRZ")]
    Date(&'static str),
}

/// The keys for a document number (padded with `<` to nine characters, as the MRZ
/// prints it) and two MRZ dates.
pub fn bac_keys(document: &str, birth: &str, expiry: &str) -> Result<BacKeys, BacError> {
    let document = document.trim();
    if document.is_empty() || document.chars().count() > 9 {
        return Err(BacError::Document);
    }
    let document = format!("{document:<<9}");
    let document_check = check_digit(&document).map_err(|_| BacError::Document)?;
    let date = |value: &str, name: &'static str| {
        let value = value.trim();
        if value.len() == 6 && value.bytes().all(|b| b.is_ascii_digit()) {
            check_digit(value)
                .map(|c| format!("{value}{c}"))
                .map_err(|_| BacError::Date(name))
        } else {
            Err(BacError::Date(name))
        }
    };
    let information = format!(
        "{document}{document_check}{}{}",
        date(birth, "birth")?,
        date(expiry, "expiry")?
    );
    let seed = first_16(&Sha1::digest(information.as_bytes()));
    let derive = |counter: u8| {
        let mut hasher = Sha1::new();
        hasher.update(seed);
        hasher.update([0, 0, 0, counter]);
        with_odd_parity(first_16(&hasher.finalize()))
    };
    Ok(BacKeys {
        seed,
        enc: derive(1),
        mac: derive(2),
    })
}

fn first_16(digest: &[u8]) -> [u8; 16] {
    let mut key = [0u8; 16];
    for (k, d) in key.iter_mut().zip(digest) {
        *k = *d;
    }
    key
}

/// DES keys carry a parity bit in each byte: the lowest, set so that the byte has an odd
/// number of ones.
fn with_odd_parity(mut key: [u8; 16]) -> [u8; 16] {
    for byte in &mut key {
        let high = *byte & 0xFE;
        *byte = if high.count_ones() % 2 == 0 {
            high | 1
        } else {
            high
        };
    }
    key
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed test panics")]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02X}")).collect()
    }

    #[test]
    fn the_worked_example_of_part_11_gives_its_keys() {
        let keys = bac_keys("L898902C<", "690806", "940623").unwrap();
        assert_eq!(hex(&keys.seed), "239AB9CB282DAF66231DC5A4DF6BFBAE");
        assert_eq!(hex(&keys.enc), "AB94FDECF2674FDFB9B391F85D7F76F2");
        assert_eq!(hex(&keys.mac), "7962D9ECE03D1ACD4C76089DCE131543");
        // The MRZ's filler may be left off: the number is padded as printed.
        assert_eq!(bac_keys("L898902C", "690806", "940623").unwrap(), keys);
    }

    #[test]
    fn bad_fields_are_refused_by_name() {
        assert_eq!(bac_keys("", "690806", "940623"), Err(BacError::Document));
        assert_eq!(
            bac_keys("L898902C<1", "690806", "940623"),
            Err(BacError::Document)
        );
        assert_eq!(
            bac_keys("l8989", "690806", "940623"),
            Err(BacError::Document)
        );
        assert_eq!(
            bac_keys("L898902C", "6908", "940623"),
            Err(BacError::Date("birth"))
        );
        assert_eq!(
            bac_keys("L898902C", "690806", "94O623"),
            Err(BacError::Date("expiry"))
        );
    }

    #[test]
    fn every_key_byte_has_odd_parity() {
        let keys = bac_keys("C11T002JM", "960812", "231015").unwrap();
        for byte in keys.enc.iter().chain(&keys.mac) {
            assert_eq!(byte.count_ones() % 2, 1, "{byte:02X}");
        }
    }
}
