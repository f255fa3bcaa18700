//! The chip of a produced card, end to end over HTTP: read back as a reader would, checked
//! by our passive authentication, `openssl cms -verify` and PyPI asn1crypto; the batch's
//! personalisation packages opened with the line's key; revocation and rotation.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test helpers: a panic is the failure report"
)]

mod support;

use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::*;

const AN: &str = "042090001234";

/// A portrait the test can recognise in DG2.
fn portrait() -> Vec<u8> {
    jpeg(480, 640, 31_234)
}

/// Files An's first card and takes it through approval and production in a batch;
/// returns the batch id.
async fn produce_an(t: &TestApp) -> (String, Session) {
    let admin = t.admin().await;
    import_people(t, &admin).await;
    let district = t
        .officer(&admin, "son.tv", "CAH-436", "district_officer")
        .await;
    let province = t
        .officer(&admin, "minh.lv", "PC06-42", "province_officer")
        .await;
    let centre = t
        .officer(&admin, "tam.nv", "C06-TTCC", "production_operator")
        .await;
    let mut body = json!({"personal_id": AN, "type": "cmnd_switch", "channel": "fixed"});
    body["biometrics"] = biometrics(Some(portrait()));
    let (status, filed) = t.post(&district, "/api/v1/applications", body).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let id = filed["id"].as_str().unwrap().to_owned();
    for (who, action) in [(&district, "verify"), (&province, "approve")] {
        let (status, body) = t
            .post(
                who,
                &format!("/api/v1/applications/{id}/transitions"),
                json!({"action": action}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
    }
    let (status, started) = t
        .post(&centre, "/api/v1/batches", json!({"province": "42"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let batch = started["id"].as_str().unwrap().to_owned();
    let (status, produced) = t
        .post(
            &centre,
            &format!("/api/v1/batches/{batch}/produce"),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, produced["done"].as_u64()),
        (StatusCode::OK, Some(1)),
        "{produced}"
    );
    (batch, centre)
}

fn write_chip(dir: &Path, ef: &Value, csca_pem: &str) {
    for (name, data) in ef.as_object().unwrap() {
        let bytes = B64.decode(data.as_str().unwrap()).unwrap();
        std::fs::write(dir.join(format!("EF.{name}")), bytes).unwrap();
    }
    std::fs::write(dir.join("csca.pem"), csca_pem).unwrap();
    std::fs::write(dir.join("portrait.jpg"), portrait()).unwrap();
    let sod = std::fs::read(dir.join("EF.SOD")).unwrap();
    let sod = cancuoc_icao::sod::Sod::parse(&sod).unwrap();
    std::fs::write(dir.join("sod.der"), sod.content_info).unwrap();
}

fn openssl_verifies(dir: &Path) -> bool {
    Command::new("openssl")
        .args(["cms", "-verify", "-inform", "DER", "-in"])
        .arg(dir.join("sod.der"))
        .arg("-CAfile")
        .arg(dir.join("csca.pem"))
        .args(["-purpose", "any", "-out"])
        .arg(dir.join("lds.der"))
        .output()
        .expect("openssl")
        .status
        .success()
}

async fn public_get(t: &TestApp, path: &str) -> (StatusCode, Vec<u8>) {
    let response = client(false).get(t.url(path)).send().await.unwrap();
    (response.status(), response.bytes().await.unwrap().to_vec())
}

async fn verify(t: &TestApp, ef: &Value) -> Value {
    let response = client(false)
        .post(t.url("/api/v1/chip/verify"))
        .json(&json!({"ef": ef}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn failed_checks(verification: &Value) -> Vec<String> {
    verification["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| c["check"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_produced_card_carries_a_signed_chip_that_anyone_can_check() {
    let t = spawn_app().await;
    let (batch, centre) = produce_an(&t).await;

    let (status, chip) = t.get(&centre, &format!("/api/v1/cards/{AN}/chip")).await;
    assert_eq!(status, StatusCode::OK, "{chip}");
    let ef = chip["ef"].clone();
    let names: Vec<&str> = ef.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "COM",
            "CardAccess",
            "DG1",
            "DG13",
            "DG14",
            "DG15",
            "DG2",
            "SOD"
        ]
    );

    // The CSCA and the CRL are public.
    let (status, csca) = public_get(&t, "/api/v1/pki/csca").await;
    assert_eq!(status, StatusCode::OK);
    let csca = String::from_utf8(csca).unwrap();
    assert!(csca.starts_with("-----BEGIN CERTIFICATE-----"), "{csca}");
    let (status, crl) = public_get(&t, "/api/v1/pki/crl").await;
    assert_eq!(status, StatusCode::OK);
    assert!(cancuoc_icao::pki::Crl::parse(&crl).is_ok());

    // openssl and asn1crypto agree with the files.
    let dir = tempfile::tempdir().unwrap();
    write_chip(dir.path(), &ef, &csca);
    assert!(
        openssl_verifies(dir.path()),
        "openssl cms -verify refused EF.SOD"
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/check_chip.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["hashes_match"], true, "{report}");
    assert_eq!(report["portrait_is_the_file"], true, "{report}");
    assert_eq!(report["dg13"]["1"][0], AN);
    // Typed in NFD at import, kept and signed in NFC.
    assert_eq!(report["dg13"]["2"][0], "Nguyễn Văn An");
    assert_eq!(report["dg13_is_nfc"], true);
    assert_eq!(
        report["dg13"]["13"],
        json!(["Nguyễn Văn Bình", "Trần Thị Cúc"])
    );
    assert_eq!(report["dg13"]["15"][0], "123456789");
    let (_, card) = t.get(&centre, &format!("/api/v1/cards/{AN}")).await;
    assert_eq!(
        report["mrz"],
        card["mrz"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect::<String>()
    );

    // Passive authentication for anyone, without signing in.
    let verification = verify(&t, &ef).await;
    assert_eq!(verification["valid"], true, "{verification}");
    // The console's card page shows the chip decoded and the verdict, in Vietnamese.
    let browser = client(true);
    sign_in_form(
        &browser,
        t.url("/dang-nhap"),
        &[
            ("username", "tam.nv"),
            ("password", "a-much-longer-password"),
        ],
    )
    .await;
    let page = browser
        .get(t.url(&format!("/the/{AN}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("dữ liệu chip đúng như Bộ Công an đã ký"),
        "{html}"
    );
    assert!(
        html.contains("Nguyễn Văn An") && html.contains("123456789"),
        "{html}"
    );
    assert!(!html.contains("Không đạt"), "{html}");
    assert_eq!(verification["dg13"]["full_name"], "Nguyễn Văn An");
    assert_eq!(verification["mrz"], card["mrz"]);
    // One byte of the portrait changed: the hash of DG2 says so.
    let mut forged = ef.clone();
    let mut dg2 = B64.decode(ef["DG2"].as_str().unwrap()).unwrap();
    let last = dg2.len() - 1;
    dg2[last] ^= 1;
    forged["DG2"] = json!(B64.encode(&dg2));
    let verification = verify(&t, &forged).await;
    assert_eq!(verification["valid"], false);
    assert_eq!(failed_checks(&verification), ["hash_dg2"], "{verification}");
    let (status, body) = t
        .send(
            client(false)
                .post(t.url("/api/v1/chip/verify"))
                .json(&json!({"ef": {"DG99": "AA=="}})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_input")),
        "{body}"
    );

    // The personalisation packages: the production centre's only, sealed to the line.
    let admin = t.admin().await;
    let district = t
        .officer(&admin, "lan.nt", "CAH-436", "district_officer")
        .await;
    let path = format!("/api/v1/batches/{batch}/personalisation");
    let (status, body) = t.get(&district, &path).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{body}"
    );
    let (status, download) = t.get(&centre, &path).await;
    assert_eq!(status, StatusCode::OK, "{download}");
    let packages = download["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 1);
    assert_eq!(packages[0]["personal_id"], AN);
    let sealed = B64
        .decode(packages[0]["package"].as_str().unwrap())
        .unwrap();
    let package = cancuoc_app::package::open(&sealed, &t.line_key).unwrap();
    let files = package.chip_files().unwrap();
    for (file, bytes) in &files {
        assert_eq!(
            B64.encode(bytes),
            ef[file.name()].as_str().unwrap(),
            "{file} in the package is the chip's"
        );
    }
    assert_eq!(package.access.can, &AN[6..]);
    assert_eq!(
        package.access.document_number,
        &card["mrz"][0].as_str().unwrap()[5..14]
    );
    let fids: Vec<(&str, &str)> = package
        .files
        .iter()
        .map(|f| (f.name.as_str(), f.fid.as_str()))
        .collect();
    assert!(
        fids.contains(&("EF.COM", "011E"))
            && fids.contains(&("EF.SOD", "011D"))
            && fids.contains(&("EF.DG13", "010D"))
    );
    // The private keys in the package are the halves of the public keys on the chip.
    let active = cancuoc_icao::pki::KeyPair::from_secret(
        &hex::decode(&package.active_authentication_private_key).unwrap(),
    )
    .unwrap();
    let dg15 =
        cancuoc_icao::lds::Dg15::parse(&files[&cancuoc_icao::lds::ElementaryFile::Dg15]).unwrap();
    assert_eq!(dg15.public_key, active.public_key_info());
    let chip_auth = cancuoc_icao::pki::KeyPair::from_secret(
        &hex::decode(&package.chip_authentication_private_key).unwrap(),
    )
    .unwrap();
    let dg14 = cancuoc_icao::lds::SecurityInfos::parse_dg14(
        &files[&cancuoc_icao::lds::ElementaryFile::Dg14],
    )
    .unwrap();
    assert_eq!(
        dg14.chip_authentication_key(),
        Some(chip_auth.public_key_info().as_slice())
    );
    // Another key does not open it.
    let stranger = cancuoc_icao::pki::KeyPair::generate(|b| b.fill(9));
    assert!(cancuoc_app::package::open(&sealed, &stranger).is_err());

    // Revoking the Document Signer: the chip no longer passes, and production stops
    // until a new one is started; cards signed by the new one pass.
    let operator = cancuoc_app::Caller::Operator {
        name: "test".into(),
    };
    let status = t.app.pki_status().await.unwrap();
    let signer = status
        .current_signer(jiff::Timestamp::now().as_microsecond())
        .unwrap()
        .serial;
    t.app.pki_revoke_ds(&operator, signer).await.unwrap();
    let verification = verify(&t, &ef).await;
    assert_eq!(
        failed_checks(&verification),
        ["not_revoked"],
        "{verification}"
    );
    let html = browser
        .get(t.url(&format!("/the/{AN}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("dữ liệu chip KHÔNG hợp lệ"), "{html}");
    assert!(
        html.contains("Chứng thư ký chưa bị thu hồi</td><td><strong>Không đạt"),
        "{html}"
    );
    let reason = verification["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "not_revoked")
        .unwrap()["reason"]
        .clone();
    assert!(reason.as_str().unwrap().contains("revoked"), "{reason}");
    let rotated = t.app.pki_rotate(&operator).await.unwrap();
    assert!(rotated.serial > signer);
}

#[tokio::test]
async fn production_refuses_to_sign_without_a_document_signer_in_its_usage_period() {
    let t = spawn_app().await;
    let operator = cancuoc_app::Caller::Operator {
        name: "test".into(),
    };
    let status = t.app.pki_status().await.unwrap();
    let signer = status
        .current_signer(jiff::Timestamp::now().as_microsecond())
        .unwrap()
        .serial;
    t.app.pki_revoke_ds(&operator, signer).await.unwrap();
    let admin = t.admin().await;
    import_people(&t, &admin).await;
    let district = t
        .officer(&admin, "son.tv", "CAH-436", "district_officer")
        .await;
    let province = t
        .officer(&admin, "minh.lv", "PC06-42", "province_officer")
        .await;
    let centre = t
        .officer(&admin, "tam.nv", "C06-TTCC", "production_operator")
        .await;
    let mut body = json!({"personal_id": AN, "type": "cmnd_switch", "channel": "fixed"});
    body["biometrics"] = biometrics(None);
    let (_, filed) = t.post(&district, "/api/v1/applications", body).await;
    let id = filed["id"].as_str().unwrap().to_owned();
    for (who, action) in [
        (&district, "verify"),
        (&province, "approve"),
        (&centre, "start_production"),
    ] {
        let (status, body) = t
            .post(
                who,
                &format!("/api/v1/applications/{id}/transitions"),
                json!({"action": action}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
    }
    let (status, body) = t
        .post(
            &centre,
            &format!("/api/v1/applications/{id}/transitions"),
            json!({"action": "produce"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_state")),
        "{body}"
    );
    assert!(
        body["message"].as_str().unwrap().contains("pki rotate"),
        "{body}"
    );
    // Nothing was produced, and nothing was left in the vault for it.
    let (status, _) = t.get(&centre, &format!("/api/v1/cards/{AN}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    t.app.pki_rotate(&operator).await.unwrap();
    let (status, body) = t
        .post(
            &centre,
            &format!("/api/v1/applications/{id}/transitions"),
            json!({"action": "produce"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A card produced by a single step has its chip too, signed by the new signer.
    let (status, chip) = t.get(&centre, &format!("/api/v1/cards/{AN}/chip")).await;
    assert_eq!(status, StatusCode::OK, "{chip}");
    let verification = verify(&t, &chip["ef"]).await;
    assert_eq!(verification["valid"], true, "{verification}");
    assert_eq!(verification["document_signer"]["serial"], "03");
}
