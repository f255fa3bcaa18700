//! Campaign steering: campaigns, quotas split down the hierarchy, progress reports and
//! the eligible population (DESIGN §5).

use std::collections::HashMap;

use cancuoc_domain::campaign::{
    Period, ProgressReport, ProgressRow, Split, Targets, allocate, progress, rank_rows,
};
use cancuoc_domain::{AdminCode, AdminLevel, PoliceUnitCode, Role};
use cancuoc_store::{Campaign, EligibleQuery, IntakeMismatch, Quota};
use jiff::civil::Date;
use uuid::Uuid;

use crate::applications::require;
use crate::{App, AppError, Caller};

type EligibleGroups = HashMap<Option<String>, u64>;

fn steers_campaigns(role: Role) -> bool {
    role.steers_campaigns()
}

/// Who runs a campaign the caller creates: the ministry's units and the administrator a
/// national one (`BCA`), a province police (or its PC06) the province's own; no one below.
fn campaign_owner(caller: &Caller) -> Result<PoliceUnitCode, AppError> {
    let Some(o) = caller.officer() else {
        return Ok(PoliceUnitCode::Ministry);
    };
    match &o.unit {
        _ if o.role == Role::Admin => Ok(PoliceUnitCode::Ministry),
        PoliceUnitCode::Ministry | PoliceUnitCode::C06 => Ok(PoliceUnitCode::Ministry),
        PoliceUnitCode::Province(p) | PoliceUnitCode::Pc06(p) => {
            Ok(PoliceUnitCode::Province(p.clone()))
        }
        _ => Err(AppError::Forbidden(
            "campaigns are created by the ministry (national) or by a province police (its own)"
                .into(),
        )),
    }
}

fn reads_reports(role: Role) -> bool {
    !matches!(role, Role::ProductionOperator)
}

/// A quota to set: the unit's targets, and optionally how to share them out below.
#[derive(Debug, Clone)]
pub struct QuotaRequest {
    pub unit: String,
    pub total: u64,
    pub daily: Option<u64>,
    pub split: Option<Split>,
}

/// What a unit's eligible population is grouped by, and over which area.
fn eligible_query_for(unit: &PoliceUnitCode) -> Option<(Option<AdminCode>, AdminLevel)> {
    match unit {
        PoliceUnitCode::Ministry => Some((None, AdminLevel::Province)),
        PoliceUnitCode::Province(c) => Some((Some(c.clone()), AdminLevel::District)),
        PoliceUnitCode::District(c) => Some((Some(c.clone()), AdminLevel::Commune)),
        PoliceUnitCode::Commune(c) => Some((Some(c.clone()), AdminLevel::Commune)),
        // C06, the production centre and PC06 hold no territory of their own.
        PoliceUnitCode::C06 | PoliceUnitCode::ProductionCentre | PoliceUnitCode::Pc06(_) => None,
    }
}

/// The group a child unit's residents fall in, when its parent is counted.
fn group_of(child: &PoliceUnitCode) -> Option<&AdminCode> {
    match child {
        PoliceUnitCode::Province(c) | PoliceUnitCode::District(c) | PoliceUnitCode::Commune(c) => {
            Some(c)
        }
        _ => None,
    }
}

fn parse_unit(s: &str) -> Result<PoliceUnitCode, AppError> {
    PoliceUnitCode::parse(s.trim()).map_err(|e| AppError::Invalid(format!("unit: {e}")))
}

impl App {
    fn check_sees(&self, caller: &Caller, unit: &PoliceUnitCode) -> Result<(), AppError> {
        let access = caller.access(self.clock.as_ref(), "campaign");
        let places = self.places();
        if places.police_unit(unit).is_none() {
            return Err(AppError::NotFound(format!("police unit {unit}")));
        }
        if !places.sees(&access.scope, unit) {
            // Outside the caller's jurisdiction is indistinguishable from unknown.
            return Err(AppError::NotFound(format!("police unit {unit}")));
        }
        Ok(())
    }

    pub async fn create_campaign(
        &self,
        caller: &Caller,
        name: &str,
        start: &str,
        end: &str,
    ) -> Result<Campaign, AppError> {
        cancuoc_domain::text::limits::CAMPAIGN_NAME.check(name)?;
        require(caller, steers_campaigns, "create campaigns")?;
        let name = name.trim();
        if name.is_empty() {
            return Err(AppError::Invalid("name: the campaign needs a name".into()));
        }
        let start = crate::applications::parse_day(start, "start")?;
        let end = crate::applications::parse_day(end, "end")?;
        let period = Period::new(start, end).map_err(|e| AppError::Invalid(e.to_string()))?;
        let access = caller.access(self.clock.as_ref(), "campaign.create");
        let campaign = Campaign {
            id: self.random.record_key(),
            name: name.to_owned(),
            unit: campaign_owner(caller)?.as_string(),
            period,
            created_by: access.actor.clone(),
            created_micros: access.now_micros,
        };
        self.store.create_campaign(&access, &campaign).await?;
        Ok(campaign)
    }

    pub async fn campaigns(&self, caller: &Caller) -> Result<Vec<Campaign>, AppError> {
        require(caller, reads_reports, "read campaigns")?;
        Ok(self.store.campaigns().await?)
    }

    pub async fn campaign(&self, caller: &Caller, id: Uuid) -> Result<Campaign, AppError> {
        require(caller, reads_reports, "read campaigns")?;
        self.store
            .campaign(id)
            .await?
            .ok_or_else(|| AppError::NotFound("campaign".into()))
    }

    /// Sets a unit's targets and, with a split, its children's, all in one transaction.
    /// Returns every quota written, the unit's first.
    pub async fn set_quota(
        &self,
        caller: &Caller,
        campaign: Uuid,
        request: &QuotaRequest,
    ) -> Result<Vec<Quota>, AppError> {
        require(caller, steers_campaigns, "set quotas")?;
        let campaign = self.campaign(caller, campaign).await?;
        let unit = parse_unit(&request.unit)?;
        self.check_sees(caller, &unit)?;
        // A province's campaign sets targets for that province's units only.
        let owner = parse_unit(&campaign.unit)?;
        if !self.places().sees(&owner.jurisdiction(), &unit) && unit != owner {
            return Err(AppError::Forbidden(format!(
                "{unit} is not a unit of the campaign's {owner}"
            )));
        }
        Targets::new(request.total, request.daily).map_err(|e| AppError::Invalid(e.to_string()))?;
        let mut quotas = vec![Quota {
            unit: unit.as_string(),
            total: request.total,
            daily: request.daily,
        }];
        if let Some(split) = request.split {
            let places = self.places();
            let children = places.police_children(&unit).to_vec();
            if children.is_empty() {
                return Err(AppError::Invalid(format!(
                    "{unit} has no units under it to share its quota with"
                )));
            }
            let weights: Vec<u64> = match split {
                Split::Equal => vec![1; children.len()],
                Split::Eligible => {
                    let groups = self
                        .eligible_groups(caller, &unit, campaign.period.start)
                        .await?
                        .ok_or_else(|| {
                            AppError::Invalid(format!(
                                "{unit} holds no territory of its own: split it equally"
                            ))
                        })?;
                    children
                        .iter()
                        .map(|c| {
                            group_of(c)
                                .and_then(|g| groups.get(&Some(g.as_str().to_owned())))
                                .copied()
                                .unwrap_or(0)
                        })
                        .collect()
                }
            };
            let totals = allocate(request.total, &weights);
            let dailies = request.daily.map_or_else(
                || vec![None; children.len()],
                |d| allocate(d, &weights).into_iter().map(Some).collect(),
            );
            for ((child, total), daily) in children.iter().zip(totals).zip(dailies) {
                quotas.push(Quota {
                    unit: child.as_string(),
                    total,
                    daily,
                });
            }
        }
        let access = caller.access(self.clock.as_ref(), "quota.set");
        self.store.set_quotas(&access, campaign.id, &quotas).await?;
        Ok(quotas)
    }

    /// The eligible population of a unit's area on a date, grouped one level down (by
    /// district for a province); `None` for a unit with no territory of its own.
    async fn eligible_groups(
        &self,
        caller: &Caller,
        unit: &PoliceUnitCode,
        on: Date,
    ) -> Result<Option<EligibleGroups>, AppError> {
        let Some((within, group_by)) = eligible_query_for(unit) else {
            return Ok(None);
        };
        let access = caller.access(self.clock.as_ref(), "eligible.count");
        // Today's counts are kept by every write; the day moves on here if the daily
        // job has not moved it yet.
        if on == self.clock.today() {
            self.keep_eligible_current().await?;
        }
        let rows = self
            .store
            .eligible(
                &access,
                &EligibleQuery {
                    within,
                    group_by,
                    on,
                },
            )
            .await?;
        Ok(Some(rows.into_iter().collect()))
    }

    /// Brings the eligible counts kept per place to today (the server runs it at start
    /// and every few minutes; cheap when they are current).
    pub async fn keep_eligible_current(&self) -> Result<cancuoc_store::EligibleAdvance, AppError> {
        let done = self.store.advance_eligible(self.clock.today()).await?;
        if done.from != Some(done.to) {
            tracing::info!(
                "eligible counts moved from {:?} to {}: {} people{}",
                done.from,
                done.to,
                done.moved,
                if done.recounted { " (recounted)" } else { "" }
            );
        }
        Ok(done)
    }

    /// Recounts the eligible population of every place and lists where the kept counts
    /// differ; the command line's, like the intake recount.
    pub async fn verify_eligible_counts(
        &self,
        caller: &Caller,
    ) -> Result<cancuoc_store::EligibleCheck, AppError> {
        if caller.officer().is_some() {
            return Err(AppError::Forbidden(
                "the recount runs from the command line on the server".into(),
            ));
        }
        Ok(self.store.verify_eligible_counts().await?)
    }

    /// The progress of a unit and its children on a date (DESIGN §5). The unit defaults
    /// to the caller's own, the date to today.
    /// A police unit and the units that report to it, within the caller's jurisdiction
    /// (the caller's own unit when none is named).
    pub async fn police_unit_tree(
        &self,
        caller: &Caller,
        unit: Option<&str>,
    ) -> Result<(cancuoc_domain::PoliceUnit, Vec<cancuoc_domain::PoliceUnit>), AppError> {
        let code = match (unit, caller.officer()) {
            (Some(u), _) => parse_unit(u)?,
            (None, Some(o)) => o.unit.clone(),
            (None, None) => PoliceUnitCode::Ministry,
        };
        self.check_sees(caller, &code)?;
        let places = self.places();
        let head = places
            .police_unit(&code)
            .cloned()
            .ok_or_else(|| AppError::NotFound(format!("police unit {code}")))?;
        let children = places
            .police_children(&code)
            .iter()
            .filter_map(|c| places.police_unit(c).cloned())
            .collect();
        Ok((head, children))
    }

    /// A unit's intake day by day over a campaign's period up to `date` (days without
    /// intake included, as 0), for a chart.
    pub async fn intake_series(
        &self,
        caller: &Caller,
        campaign: Uuid,
        unit: &PoliceUnitCode,
        date: Date,
    ) -> Result<Vec<(Date, u64)>, AppError> {
        require(caller, reads_reports, "read progress reports")?;
        let campaign = self.campaign(caller, campaign).await?;
        self.check_sees(caller, unit)?;
        let to = date.min(campaign.period.end);
        let counts: HashMap<Date, u64> = self
            .store
            .intake_counts(&[unit.as_string()], campaign.period.start, to)
            .await?
            .into_iter()
            .map(|c| (c.day, c.received))
            .collect();
        let mut out = Vec::new();
        let mut day = campaign.period.start;
        while day <= to {
            out.push((day, counts.get(&day).copied().unwrap_or(0)));
            day = match day.tomorrow() {
                Ok(next) => next,
                Err(_) => break,
            };
        }
        Ok(out)
    }

    pub async fn progress_report(
        &self,
        caller: &Caller,
        campaign: Uuid,
        unit: Option<&str>,
        date: Option<&str>,
    ) -> Result<ProgressReport, AppError> {
        require(caller, reads_reports, "read progress reports")?;
        let campaign = self.campaign(caller, campaign).await?;
        let unit = match (unit, caller.officer()) {
            (Some(u), _) => parse_unit(u)?,
            (None, Some(o)) => o.unit.clone(),
            (None, None) => PoliceUnitCode::Ministry,
        };
        self.check_sees(caller, &unit)?;
        let date = match date {
            Some(d) => crate::applications::parse_day(d, "date")?,
            None => self.clock.today(),
        };
        let places = self.places();
        let children = places.police_children(&unit).to_vec();
        // The unit's siblings too, so that the unit's own rank can be given. Only the
        // rank leaves this function, so a district learns where it stands among the
        // province's units without seeing their figures.
        let siblings: Vec<PoliceUnitCode> = places
            .police_unit(&unit)
            .and_then(|u| u.parent.clone())
            .map(|p| places.police_children(&p).to_vec())
            .unwrap_or_else(|| vec![unit.clone()]);
        let mut codes: Vec<String> = children.iter().map(PoliceUnitCode::as_string).collect();
        codes.extend(siblings.iter().map(PoliceUnitCode::as_string));

        let period = campaign.period;
        let from = period.start;
        let to = date.min(period.end).max(period.start);
        let quotas: HashMap<String, Quota> = self
            .store
            .quotas(campaign.id, &codes)
            .await?
            .into_iter()
            .map(|q| (q.unit.clone(), q))
            .collect();
        let mut intake: HashMap<String, Vec<(Date, u64)>> = HashMap::new();
        for c in self.store.intake_counts(&codes, from, to).await? {
            intake.entry(c.unit).or_default().push((c.day, c.received));
        }
        let eligible = self.eligible_groups(caller, &unit, date).await?;

        let row = |code: &PoliceUnitCode, eligible: Option<u64>| -> ProgressRow {
            let key = code.as_string();
            let targets = quotas.get(&key).map_or_else(Targets::default, |q| Targets {
                total: Some(q.total),
                daily: q.daily,
            });
            let figures = progress(
                &period,
                date,
                targets,
                intake.get(&key).map_or(&[][..], Vec::as_slice),
            );
            let name = places
                .police_unit(code)
                .map_or_else(|| key.clone(), |u| u.name.clone());
            ProgressRow::new(code.clone(), name, targets, &figures, eligible)
        };

        let mut child_rows: Vec<ProgressRow> = children
            .iter()
            .map(|c| {
                let e = eligible.as_ref().and_then(|groups| {
                    group_of(c).map(|g| {
                        groups
                            .get(&Some(g.as_str().to_owned()))
                            .copied()
                            .unwrap_or(0)
                    })
                });
                row(c, e)
            })
            .collect();
        rank_rows(&mut child_rows);
        let mut sibling_rows: Vec<ProgressRow> = siblings.iter().map(|s| row(s, None)).collect();
        rank_rows(&mut sibling_rows);
        let own_eligible = eligible.as_ref().map(|groups| groups.values().sum());
        let mut head = row(&unit, own_eligible);
        if let Some(me) = sibling_rows.iter().find(|r| r.unit_code == unit) {
            head.rank = me.rank;
            head.daily_rank = me.daily_rank;
        }
        Ok(ProgressReport {
            campaign: campaign.name,
            period,
            date,
            unit: head,
            children: child_rows,
        })
    }

    /// Recounts the intake of every unit and day from the applications and lists where
    /// the kept counts differ.
    pub async fn verify_intake_counts(
        &self,
        caller: &Caller,
    ) -> Result<Vec<IntakeMismatch>, AppError> {
        if caller.officer().is_some() {
            return Err(AppError::Forbidden(
                "the recount runs from the command line on the server".into(),
            ));
        }
        Ok(self.store.verify_intake_counts().await?)
    }
}
