//! Entry points of the fuzz targets (`fuzz/`): a JSON request body read and turned into
//! its use case's input exactly as its route does it, with no server, store or clock.
//! Whatever the bytes, nothing here may panic; a body is refused with an error.

use crate::dto::DecisionRequest;
use crate::dto::applications::{ApplicationRequest, BiometricsDto};

/// `POST /api/v1/applications`: an application as a station files it.
pub fn application_body(bytes: &[u8]) {
    if let Ok(request) = serde_json::from_slice::<ApplicationRequest>(bytes) {
        let _ = request.into_intake(None);
    }
}

/// `PUT /api/v1/applications/{id}/biometrics`: the portrait and the fingerprints.
pub fn biometrics_body(bytes: &[u8]) {
    if let Ok(body) = serde_json::from_slice::<BiometricsDto>(bytes) {
        let _ = body.into_capture();
    }
}

/// `POST /api/v1/forms/{id}/decision`: an officer's step on a staged form.
pub fn decision_body(bytes: &[u8]) {
    if let Ok(body) = serde_json::from_slice::<DecisionRequest>(bytes) {
        let _ = crate::routes::forms::form_action(body);
    }
}

/// `POST /api/v1/stations`: a station's enrolment request, sent with no sign-in.
pub fn station_request_body(bytes: &[u8]) {
    if let Ok(body) = serde_json::from_slice::<crate::dto::station::StationRequestDto>(bytes) {
        let _ = body.request();
    }
}
