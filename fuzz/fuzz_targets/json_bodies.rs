//! JSON request bodies from arbitrary bytes, read and turned into the use case's input as
//! their routes do it: an application at intake (with its biometric images in base64),
//! the biometrics sent later, a decision on a staged form (a correction carries the
//! form's cells), and a station's enrolment request (its keys in base64). None may panic;
//! serde_json bounds the nesting at 128 levels.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cancuoc_server::fuzzing::application_body(data);
    cancuoc_server::fuzzing::biometrics_body(data);
    cancuoc_server::fuzzing::decision_body(data);
    cancuoc_server::fuzzing::station_request_body(data);
});
