//! The chip's PKI and the cards' chips: certificates and CRLs kept as base64 DER text (one
//! column type on both backends), private keys never (they are vault objects).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use cancuoc_store::{
    Access, ChipRecord, CrlRecord, LineKeyRecord, NewChip, PkiCertificateRecord, PkiKind, Result,
    StoreError, actions,
};
use uuid::Uuid;

use crate::{Row, Tx, Value, corrupt, int, key, text};

fn bytes(row: &Row, name: &str) -> Result<Vec<u8>> {
    B64.decode(text(row, name)?).map_err(|_| corrupt(name))
}

const CERTIFICATE_COLUMNS: &str = "serial, kind, certificate, not_before_micros, not_after_micros,
    usage_from_micros, usage_until_micros, key_object, revoked_micros, created_micros";

fn certificate(row: &Row) -> Result<PkiCertificateRecord> {
    Ok(PkiCertificateRecord {
        serial: int(row, "serial")?,
        kind: PkiKind::parse(&text(row, "kind")?).ok_or_else(|| corrupt("certificate kind"))?,
        certificate: bytes(row, "certificate")?,
        not_before_micros: int(row, "not_before_micros")?,
        not_after_micros: int(row, "not_after_micros")?,
        usage_from_micros: int(row, "usage_from_micros")?,
        usage_until_micros: int(row, "usage_until_micros")?,
        key_object: text(row, "key_object")?,
        revoked_micros: row.int("revoked_micros")?,
        created_micros: int(row, "created_micros")?,
    })
}

pub async fn certificates(tx: &mut dyn Tx) -> Result<Vec<PkiCertificateRecord>> {
    tx.fetch(
        &format!(
            "SELECT {CERTIFICATE_COLUMNS} FROM pki_certificates ORDER BY created_micros, serial"
        ),
        &[],
    )
    .await?
    .iter()
    .map(certificate)
    .collect()
}

pub async fn add_certificate(
    tx: &mut dyn Tx,
    access: &Access,
    record: &PkiCertificateRecord,
) -> Result<()> {
    tx.execute(
        &format!(
            "INSERT INTO pki_certificates ({CERTIFICATE_COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ),
        &[
            Value::from(record.serial),
            Value::from(record.kind.as_str()),
            Value::from(B64.encode(&record.certificate)),
            Value::from(record.not_before_micros),
            Value::from(record.not_after_micros),
            Value::from(record.usage_from_micros),
            Value::from(record.usage_until_micros),
            Value::from(record.key_object.as_str()),
            Value::from(record.revoked_micros),
            Value::from(record.created_micros),
        ],
    )
    .await?;
    tx.audit(
        access,
        actions::PKI_CERTIFICATE_ADD,
        record.kind.as_str(),
        &record.serial.to_string(),
    )
    .await
}

pub async fn revoke_document_signer(
    tx: &mut dyn Tx,
    access: &Access,
    serial: i64,
    crl: &CrlRecord,
) -> Result<()> {
    let row = tx
        .fetch_one(
            &format!("SELECT {CERTIFICATE_COLUMNS} FROM pki_certificates WHERE serial = $1"),
            &[Value::from(serial)],
        )
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("certificate with serial {serial}")))?;
    let current = certificate(&row)?;
    if current.kind != PkiKind::DocumentSigner {
        return Err(StoreError::Invalid(format!(
            "serial: {serial} is the country signing CA, not a Document Signer"
        )));
    }
    if current.revoked_micros.is_some() {
        return Err(StoreError::Conflict(format!(
            "the Document Signer {serial} is revoked already"
        )));
    }
    tx.execute(
        "UPDATE pki_certificates SET revoked_micros = $1 WHERE serial = $2",
        &[Value::from(access.now_micros), Value::from(serial)],
    )
    .await?;
    tx.audit(access, actions::PKI_DS_REVOKE, "ds", &serial.to_string())
        .await?;
    add_crl(tx, access, crl).await
}

pub async fn add_crl(tx: &mut dyn Tx, access: &Access, crl: &CrlRecord) -> Result<()> {
    tx.execute(
        "INSERT INTO pki_crls (number, crl, issued_micros) VALUES ($1, $2, $3)",
        &[
            Value::from(crl.number),
            Value::from(B64.encode(&crl.crl)),
            Value::from(crl.issued_micros),
        ],
    )
    .await?;
    tx.audit(
        access,
        actions::PKI_CRL_ISSUE,
        "crl",
        &crl.number.to_string(),
    )
    .await
}

pub async fn latest_crl(tx: &mut dyn Tx) -> Result<Option<CrlRecord>> {
    tx.fetch_one(
        "SELECT number, crl, issued_micros FROM pki_crls ORDER BY number DESC LIMIT 1",
        &[],
    )
    .await?
    .map(|row| {
        Ok(CrlRecord {
            number: int(&row, "number")?,
            crl: bytes(&row, "crl")?,
            issued_micros: int(&row, "issued_micros")?,
        })
    })
    .transpose()
}

pub async fn add_line_key(tx: &mut dyn Tx, access: &Access, key: &LineKeyRecord) -> Result<()> {
    tx.execute(
        "INSERT INTO production_line_keys (id, public_key, registered_micros, registered_by)
         VALUES ($1, $2, $3, $4)",
        &[
            Value::from(key.id.to_string()),
            Value::from(B64.encode(&key.public_key)),
            Value::from(key.registered_micros),
            Value::from(key.registered_by.as_str()),
        ],
    )
    .await?;
    tx.audit(
        access,
        actions::PKI_LINE_KEY_ADD,
        "production_line_key",
        &key.id.to_string(),
    )
    .await
}

pub async fn line_keys(tx: &mut dyn Tx) -> Result<Vec<LineKeyRecord>> {
    tx.fetch(
        "SELECT id, public_key, registered_micros, registered_by FROM production_line_keys
         ORDER BY registered_micros, id",
        &[],
    )
    .await?
    .iter()
    .map(|row| {
        Ok(LineKeyRecord {
            id: key(row, "id")?,
            public_key: bytes(row, "public_key")?,
            registered_micros: int(row, "registered_micros")?,
            registered_by: text(row, "registered_by")?,
        })
    })
    .collect()
}

/// Writes a produced card's chip, in the transaction that produces the card.
pub async fn insert_chip(
    tx: &mut dyn Tx,
    access: &Access,
    application: Uuid,
    chip: &NewChip,
) -> Result<()> {
    tx.execute(
        "INSERT INTO card_chips (application_key, ds_serial, files_object, package_object,
            line_key, chip_authentication_key, active_authentication_key, created_micros)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            Value::from(application.to_string()),
            Value::from(chip.ds_serial),
            Value::from(chip.files_object.as_str()),
            Value::from(chip.package_object.as_str()),
            Value::from(chip.line_key.to_string()),
            Value::from(B64.encode(&chip.chip_authentication_key)),
            Value::from(B64.encode(&chip.active_authentication_key)),
            Value::from(access.now_micros),
        ],
    )
    .await?;
    Ok(())
}

pub async fn card_chip(
    tx: &mut dyn Tx,
    access: &Access,
    application: Uuid,
) -> Result<Option<ChipRecord>> {
    let row = tx
        .fetch_one(
            "SELECT c.application_key, k.personal_id, c.ds_serial, c.files_object,
                c.package_object, c.line_key, c.chip_authentication_key,
                c.active_authentication_key, c.created_micros
             FROM card_chips c JOIN cards k ON k.application_key = c.application_key
             WHERE c.application_key = $1",
            &[Value::from(application.to_string())],
        )
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let record = ChipRecord {
        application: key(&row, "application_key")?,
        personal_id: text(&row, "personal_id")?
            .parse()
            .map_err(|_| corrupt("personal_id"))?,
        chip: NewChip {
            ds_serial: int(&row, "ds_serial")?,
            files_object: text(&row, "files_object")?,
            package_object: text(&row, "package_object")?,
            line_key: key(&row, "line_key")?,
            chip_authentication_key: bytes(&row, "chip_authentication_key")?,
            active_authentication_key: bytes(&row, "active_authentication_key")?,
        },
        created_micros: int(&row, "created_micros")?,
    };
    tx.audit(
        access,
        actions::CARD_CHIP_READ,
        "card",
        &application.to_string(),
    )
    .await?;
    Ok(Some(record))
}
