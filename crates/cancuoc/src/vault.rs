//! `cancuoc vault gc`: the objects of the biometrics vault no application refers to
//! (DESIGN §8, issue 14 §5). A dry run unless `--apply`; only objects older than the grace
//! period are removed, since a filing seals its object before its transaction commits.

use std::collections::BTreeSet;
use std::process::ExitCode;

use cancuoc_app::{App, Caller};
use cancuoc_vault::{GcOptions, ObjectVault, References, collect_garbage};

use crate::commands::{CliError, Result, operator};

const MICROS_PER_HOUR: i64 = 3_600_000_000;

/// The register as garbage collection asks it: through the app, as the operator.
struct Register<'a> {
    app: &'a App,
    caller: Caller,
}

#[async_trait::async_trait]
impl References for Register<'_> {
    async fn referenced(
        &self,
        objects: &[String],
    ) -> std::result::Result<BTreeSet<String>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.app.vault_references(&self.caller, objects).await?)
    }
}

pub async fn gc(app: &App, vault: &ObjectVault, apply: bool, grace_hours: u32) -> Result<ExitCode> {
    let register = Register {
        app,
        caller: operator(),
    };
    let options = GcOptions {
        now_micros: jiff::Timestamp::now().as_microsecond(),
        grace_micros: i64::from(grace_hours).saturating_mul(MICROS_PER_HOUR),
        apply,
    };
    let report = collect_garbage(vault, &register, options)
        .await
        .map_err(|e| CliError::failed(e.to_string()))?;
    for orphan in &report.orphans {
        let age_hours = options
            .now_micros
            .saturating_sub(orphan.object.modified_micros)
            / MICROS_PER_HOUR;
        let what = match (orphan.removed, orphan.past_grace) {
            (true, _) => "removed",
            (false, true) => "unreferenced",
            (false, false) => "unreferenced, within the grace period",
        };
        println!(
            "{}\t{} bytes\t{age_hours} h old\t{what}",
            orphan.object.key, orphan.object.size
        );
    }
    let past = report.orphans.iter().filter(|o| o.past_grace).count();
    eprintln!(
        "{} objects: {} referenced, {} unreferenced ({past} older than {grace_hours} h){}",
        report.objects,
        report.referenced,
        report.orphans.len(),
        if apply {
            format!(", {} removed", report.removed())
        } else if past > 0 {
            ", nothing removed (dry run: --apply removes them)".to_owned()
        } else {
            String::new()
        }
    );
    Ok(ExitCode::SUCCESS)
}
