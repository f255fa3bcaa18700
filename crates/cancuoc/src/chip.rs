//! `cancuoc pki …`, `card chip`, `chip verify`, `batch personalisation` and
//! `personalisation open`: the chip from the command line.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use cancuoc_app::App;
use cancuoc_app::package;
use cancuoc_icao::lds::ElementaryFile;
use cancuoc_icao::passive::{self, Trust};
use cancuoc_icao::pki::{self, Certificate, Crl, KeyPair};
use cancuoc_store::PkiKind;

use crate::commands::{CliError, Result, operator};
use crate::{BatchCommand, PkiCommand};

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes)
        .map_err(|e| CliError::failed(format!("cannot write {}: {e}", path.display())))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::failed(format!("cannot create {}: {e}", dir.display())))
}

/// A private key for the line, readable by its owner only, never overwriting a file.
fn write_private(path: &Path, text: &str) -> Result<()> {
    crate::secrets::write_secret(path, text.as_bytes()).map_err(|e| {
        CliError::failed(format!(
            "cannot create {} (an existing file is never overwritten): {e}",
            path.display()
        ))
    })
}

fn micros_text(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

pub async fn pki(app: &App, command: &PkiCommand) -> Result<ExitCode> {
    let caller = operator();
    match command {
        PkiCommand::Init => {
            app.pki_init(&caller).await?;
            status(app).await?;
        }
        PkiCommand::Rotate => {
            let ds = app.pki_rotate(&caller).await?;
            println!(
                "Document Signer {} signs from {} until {}",
                ds.serial,
                micros_text(ds.usage_from_micros),
                micros_text(ds.usage_until_micros)
            );
        }
        PkiCommand::RevokeDs { serial } => {
            let crl = app.pki_revoke_ds(&caller, *serial).await?;
            println!(
                "Document Signer {serial} revoked; CRL number {} issued",
                crl.number
            );
        }
        PkiCommand::Crl => {
            let crl = app.pki_issue_crl(&caller).await?;
            println!("CRL number {} issued", crl.number);
        }
        PkiCommand::Status => status(app).await?,
        PkiCommand::Export { csca, crl, ds_dir } => {
            if csca.is_none() && crl.is_none() && ds_dir.is_none() {
                return Err(CliError::usage(
                    "say what to export: --csca FILE, --crl FILE, --ds-dir DIR",
                ));
            }
            if let Some(path) = csca {
                write(path, app.csca_pem().await?.as_bytes())?;
            }
            if let Some(path) = crl {
                write(path, &app.crl_der().await?)?;
            }
            if let Some(dir) = ds_dir {
                create_dir(dir)?;
                for c in app.pki_status().await?.certificates {
                    if c.kind == PkiKind::DocumentSigner {
                        let file = dir.join(format!("ds-{}.pem", c.serial));
                        write(&file, pki::pem("CERTIFICATE", &c.certificate).as_bytes())?;
                    }
                }
            }
        }
        PkiCommand::LineKey { output } => {
            let key = app.new_line_key()?;
            write_private(output, &format!("{}\n", hex::encode(&*key.secret())))?;
            let record = app.add_line_key(&caller, &key.public_key_info()).await?;
            println!(
                "production line key {} registered; its private key is in {}",
                record.id,
                output.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn status(app: &App) -> Result<()> {
    let status = app.pki_status().await?;
    let now = jiff::Timestamp::now().as_microsecond();
    let current = status.current_signer(now).map(|c| c.serial);
    for c in &status.certificates {
        let what = match c.kind {
            PkiKind::Csca => "CSCA",
            PkiKind::DocumentSigner => "DS",
        };
        let state = match (c.revoked_micros, current == Some(c.serial)) {
            (Some(at), _) => format!("revoked {}", micros_text(at)),
            (None, true) => "signing now".to_owned(),
            (None, false) => String::new(),
        };
        println!(
            "{what:<4} serial {:<4} key usage {} – {}  valid until {}  {state}",
            c.serial,
            micros_text(c.usage_from_micros),
            micros_text(c.usage_until_micros),
            micros_text(c.not_after_micros)
        );
    }
    if let Some(crl) = &status.crl {
        println!(
            "CRL  number {} issued {}",
            crl.number,
            micros_text(crl.issued_micros)
        );
    }
    for key in &status.line_keys {
        println!(
            "line key {} registered {} by {}",
            key.id,
            micros_text(key.registered_micros),
            key.registered_by
        );
    }
    Ok(())
}

fn write_files(dir: &Path, files: &BTreeMap<ElementaryFile, Vec<u8>>) -> Result<()> {
    create_dir(dir)?;
    for (file, bytes) in files {
        write(&dir.join(file.file_name()), bytes)?;
    }
    Ok(())
}

pub async fn card_chip(app: &App, personal_id: &str, output: &Path) -> Result<ExitCode> {
    let (record, files) = app.card_chip(&operator(), personal_id).await?;
    write_files(output, &files)?;
    eprintln!(
        "{} files of the chip of {} (signed by Document Signer {}) in {}",
        files.len(),
        record.personal_id,
        record.chip.ds_serial,
        output.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The files a directory holds under the names `card chip` writes.
fn read_files(dir: &Path) -> Result<BTreeMap<ElementaryFile, Vec<u8>>> {
    let mut files = BTreeMap::new();
    for file in ElementaryFile::ALL {
        let path = dir.join(file.file_name());
        if path.exists() {
            files.insert(file, read(&path)?);
        }
    }
    if files.is_empty() {
        return Err(CliError::usage(format!(
            "{} holds no chip files (EF.SOD, EF.DG1, …)",
            dir.display()
        )));
    }
    Ok(files)
}

/// The trust given on the command line or in DIR; `None` when neither has a CSCA.
fn trust_from_files(dir: &Path, csca: Option<&Path>, crl: Option<&Path>) -> Result<Option<Trust>> {
    let in_dir = dir.join("csca.pem");
    let csca_path = csca
        .map(Path::to_path_buf)
        .or_else(|| in_dir.exists().then_some(in_dir));
    let Some(csca_path) = csca_path else {
        return Ok(None);
    };
    let cscas = pki::from_pem("CERTIFICATE", &read(&csca_path)?)
        .iter()
        .map(|der| Certificate::parse(der))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| CliError::usage(format!("{}: not a certificate: {e}", csca_path.display())))?;
    let crl_in_dir = dir.join("crl.der");
    let crl_path = crl
        .map(Path::to_path_buf)
        .or_else(|| crl_in_dir.exists().then_some(crl_in_dir));
    let crls = match crl_path {
        Some(path) => vec![
            Crl::parse(&read(&path)?)
                .map_err(|e| CliError::usage(format!("{}: not a CRL: {e}", path.display())))?,
        ],
        None => Vec::new(),
    };
    Ok(Some(Trust { cscas, crls }))
}

pub async fn verify(
    app: Option<&App>,
    dir: &Path,
    csca: Option<&Path>,
    crl: Option<&Path>,
    json: bool,
) -> Result<ExitCode> {
    let files = read_files(dir)?;
    let verification = match trust_from_files(dir, csca, crl)? {
        Some(trust) => passive::verify(&files, &trust, jiff::Timestamp::now()),
        None => match app {
            Some(app) => app.verify_chip(&files).await?,
            None => {
                return Err(CliError::usage(
                    "no CSCA to trust: give --csca FILE, put csca.pem in DIR, or run where the register is",
                ));
            }
        },
    };
    if json {
        let checks: Vec<serde_json::Value> = verification
            .checks
            .iter()
            .map(|c| {
                serde_json::json!({"check": c.kind.code(), "passed": c.failure.is_none(), "reason": c.failure})
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "valid": verification.is_valid(),
                "checks": checks,
                "mrz": verification.dg1.as_ref().map(|d| d.lines()),
                "full_name": verification.dg13.as_ref().map(|d| d.full_name.clone()),
                "personal_id": verification.dg13.as_ref().map(|d| d.personal_id.clone()),
                "not_read": verification.unread.iter().map(|f| f.name()).collect::<Vec<_>>(),
            })
        );
    } else {
        for check in &verification.checks {
            match &check.failure {
                None => println!("ok    {}", check.kind.code()),
                Some(reason) => println!("FAIL  {}: {reason}", check.kind.code()),
            }
        }
        if let Some(dg13) = &verification.dg13 {
            println!(
                "{} {} ({})",
                dg13.personal_id, dg13.full_name, dg13.birth_date
            );
        }
        for file in &verification.unread {
            println!("not read: {file} (signed for, not in {})", dir.display());
        }
    }
    Ok(if verification.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub async fn batch(app: &App, command: &BatchCommand) -> Result<ExitCode> {
    match command {
        BatchCommand::Personalisation { id, output } => {
            let batch = uuid::Uuid::parse_str(id)
                .map_err(|_| CliError::usage(format!("{id:?} is not a batch id (UUID)")))?;
            let packages = app.batch_personalisation(&operator(), batch).await?;
            create_dir(output)?;
            for p in &packages {
                write(&output.join(format!("{}.ccpk", p.personal_id)), &p.sealed)?;
            }
            eprintln!(
                "{} sealed personalisation packages of batch {batch} in {}",
                packages.len(),
                output.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn open_package(package: &Path, key: &Path, output: &Path) -> Result<ExitCode> {
    let key_text = String::from_utf8(read(key)?)
        .map_err(|_| CliError::usage(format!("{}: not a key file", key.display())))?;
    let secret = zeroize::Zeroizing::new(
        hex::decode(key_text.trim())
            .map_err(|_| CliError::usage(format!("{}: not a hexadecimal key", key.display())))?,
    );
    let line = KeyPair::from_secret(&secret)
        .ok_or_else(|| CliError::usage(format!("{}: not a P-256 private key", key.display())))?;
    let opened = package::open(&read(package)?, &line)?;
    write_files(output, &opened.chip_files()?)?;
    let keys = serde_json::json!({
        "application": opened.application,
        "personal_id": opened.personal_id,
        "chip_authentication_private_key": opened.chip_authentication_private_key,
        "active_authentication_private_key": opened.active_authentication_private_key,
        "access": opened.access,
        "file_ids": opened.files.iter().map(|f| (f.name.clone(), f.fid.clone())).collect::<BTreeMap<_, _>>(),
    });
    write_private(
        &output.join("keys.json"),
        &serde_json::to_string_pretty(&keys).unwrap_or_default(),
    )?;
    eprintln!(
        "the chip of {}: {} files and keys.json in {}",
        opened.personal_id,
        opened.files.len(),
        output.display()
    );
    Ok(ExitCode::SUCCESS)
}
