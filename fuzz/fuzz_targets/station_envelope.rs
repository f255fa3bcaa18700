//! A mobile station's envelope (a packet, an extract) from arbitrary bytes, as the server
//! and the station read what reaches them: framed, then checked under a key. Nothing may
//! panic; whatever opens signs back to the same bytes under the key that verifies it. The
//! same bytes are read as a packet's decrypted plaintext.
#![no_main]

use cancuoc_domain::station::{Envelope, SignerKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = SignerKey::from_bytes([7; 32]);
    if let Ok(opened) = Envelope::open(data) {
        let _ = opened.verify(&key.public());
        let _ = opened.verify(data.get(..32).unwrap_or_default());
        let again = opened.to_owned().sign(&key);
        let reopened = Envelope::open(&again).expect("a signed envelope opens");
        assert_eq!(reopened.to_owned(), opened.to_owned());
        assert!(reopened.verify(&key.public()).is_ok());
    }
    // What a station's key may seal, once decrypted: read whole or refused, never a panic.
    let id = uuid::Uuid::from_bytes([1; 16]);
    let _ = cancuoc_app::station_packet::read_plain(data, id, id, 0);
});
