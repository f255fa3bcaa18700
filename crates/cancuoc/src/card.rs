//! Offline card commands: `card expiry` and `mrz encode|check`. They need no database.

use std::process::ExitCode;

use cancuoc_domain::PartialDate;
use cancuoc_domain::card::{self, CardLaw};
use jiff::civil::Date;

use crate::commands::{CliError, Result};

/// `cancuoc card expiry --born D --issued D [--json]`: the expiry date or `none`.
pub fn expiry(born: &str, issued: &str, json: bool) -> Result<ExitCode> {
    let birth = PartialDate::parse(born).map_err(|e| CliError::usage(format!("--born: {e}")))?;
    let issued: Date = PartialDate::parse(issued)
        .ok()
        .and_then(|d| d.as_date())
        .ok_or_else(|| {
            CliError::usage(format!(
                "--issued: {issued:?} is not a full date (YYYY-MM-DD or dd/mm/yyyy)"
            ))
        })?;
    let law = CardLaw::on(issued).map_err(|e| CliError::usage(e.to_string()))?;
    let expiry = card::expiry(birth, issued).map_err(|e| CliError::usage(e.to_string()))?;
    if json {
        let out = serde_json::json!({
            "born": birth.iso(),
            "issued": issued.to_string(),
            "expiry_date": expiry.map(|d| d.to_string()),
            "law": law,
            "basis": law.citation(),
        });
        println!("{out}");
    } else {
        match expiry {
            Some(d) => println!("{d}"),
            None => println!("none"),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The JSON `mrz encode` reads.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MrzInput {
    personal_id: String,
    full_name: String,
    /// YYYY-MM-DD, YYYY-MM or YYYY (dd/mm/yyyy too).
    birth_date: String,
    /// `male` / `female` (or M/F, Nam/Nữ).
    sex: String,
    /// YYYY-MM-DD, or null for a card that never expires.
    expiry_date: Option<String>,
}

/// `cancuoc mrz encode`: JSON on stdin, the three lines on stdout.
pub fn mrz_encode(input: &str) -> Result<ExitCode> {
    let input: MrzInput = serde_json::from_str(input)
        .map_err(|e| CliError::usage(format!("stdin is not the expected JSON: {e}")))?;
    let id = cancuoc_domain::PersonalId::parse(input.personal_id.trim())
        .map_err(|e| CliError::usage(format!("personal_id: {e}")))?;
    let birth = PartialDate::parse(&input.birth_date)
        .map_err(|e| CliError::usage(format!("birth_date: {e}")))?;
    let sex = cancuoc_domain::Sex::parse(&input.sex).ok_or_else(|| {
        CliError::usage(format!("sex: {:?} is neither male nor female", input.sex))
    })?;
    let expiry = input
        .expiry_date
        .as_deref()
        .map(|d| {
            PartialDate::parse(d)
                .ok()
                .and_then(|p| p.as_date())
                .ok_or_else(|| CliError::usage(format!("expiry_date: {d:?} is not a full date")))
        })
        .transpose()?;
    let lines = card::mrz(&id, &input.full_name, birth, sex, expiry)
        .map_err(|e| CliError::usage(e.to_string()))?;
    for line in lines {
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `cancuoc mrz check`: lines on stdin; exit 0 when every check digit holds, 2 otherwise
/// with each failing field named on stderr.
pub fn mrz_check(input: &str) -> Result<ExitCode> {
    let lines: Vec<&str> = input.lines().collect();
    let report = cancuoc_icao::check(&lines).map_err(|e| CliError::usage(e.to_string()))?;
    if report.is_valid() {
        println!("{report}");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("{report}");
        Ok(ExitCode::from(2))
    }
}
