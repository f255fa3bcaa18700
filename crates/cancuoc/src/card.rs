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
