//! The fee (lệ phí) taken at intake, from a dated schedule kept as data (`data/fees.csv`).
//!
//! Circular 59/2019/TT-BTC sets the amounts; Circulars 112/2020/TT-BTC and 47/2021/TT-BTC
//! halved them for the whole of 2021; Circular 73/2024/TT-BTC restates them under the 2023
//! law. First issuance and renewal at the renewal ages are free; some citizens are exempt.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::application::{ApplicationType, RenewalReason};

const FEES_CSV: &str = include_str!("../../../data/fees.csv");

/// Citizens exempt from the fee (Circular 59/2019/TT-BTC, exemptions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeExemption {
    /// Relatives of martyrs, war invalids and their children under 18, sick soldiers.
    WarMerit,
    /// Permanent residents of border communes and island districts.
    BorderOrIsland,
    /// Ethnic minorities in communes with especially difficult conditions.
    EthnicMinorityHardship,
    /// Members of poor households.
    PoorHousehold,
    /// Under 18, orphaned of both parents, with no one to depend on.
    OrphanMinor,
}

impl FeeExemption {
    pub const ALL: [Self; 5] = [
        Self::WarMerit,
        Self::BorderOrIsland,
        Self::EthnicMinorityHardship,
        Self::PoorHousehold,
        Self::OrphanMinor,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WarMerit => "war_merit",
            Self::BorderOrIsland => "border_or_island",
            Self::EthnicMinorityHardship => "ethnic_minority_hardship",
            Self::PoorHousehold => "poor_household",
            Self::OrphanMinor => "orphan_minor",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FeeError {
    #[error("fee schedule line {line}: {reason}")]
    Schedule { line: usize, reason: String },
    #[error("no fee schedule covers {item} on {date}")]
    NotCovered { item: &'static str, date: Date },
}

/// The fee of one application, with the text that justifies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fee {
    pub amount_vnd: u32,
    /// The circular the amount comes from, or why nothing is due.
    pub basis: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    from: Date,
    to: Option<Date>,
    item: String,
    amount_vnd: u32,
    source: String,
}

/// Dated fee amounts per item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeSchedule {
    rows: Vec<Row>,
}

impl FeeSchedule {
    /// The schedule shipped with cancuoc.
    pub fn vietnam() -> Result<Self, FeeError> {
        Self::parse(FEES_CSV)
    }

    /// Reads `valid_from,valid_to,item,amount_vnd,source` rows; `#` lines are comments.
    pub fn parse(text: &str) -> Result<Self, FeeError> {
        let mut rows = Vec::new();
        let mut header_seen = false;
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if !header_seen {
                header_seen = true;
                if line.starts_with("valid_from") {
                    continue;
                }
            }
            let bad = |reason: String| FeeError::Schedule {
                line: line_no,
                reason,
            };
            let cols: Vec<&str> = line.splitn(5, ',').map(str::trim).collect();
            let [from, to, item, amount, source] = cols.as_slice() else {
                return Err(bad("expected 5 columns".into()));
            };
            let date = |s: &str| s.parse::<Date>().map_err(|e| bad(format!("{s:?}: {e}")));
            let to = if to.is_empty() { None } else { Some(date(to)?) };
            let from = date(from)?;
            if to.is_some_and(|to| to < from) {
                return Err(bad("valid_to before valid_from".into()));
            }
            if !matches!(*item, "cmnd_switch" | "renewal" | "reissue") {
                return Err(bad(format!("unknown item {item:?}")));
            }
            let amount_vnd = amount
                .parse()
                .map_err(|_| bad(format!("{amount:?} is not an amount")))?;
            rows.push(Row {
                from,
                to,
                item: (*item).to_owned(),
                amount_vnd,
                source: (*source).to_owned(),
            });
        }
        Ok(Self { rows })
    }

    /// The fee for an application of `kind` taken in on `intake`.
    pub fn fee(
        &self,
        kind: ApplicationType,
        intake: Date,
        exemption: Option<FeeExemption>,
    ) -> Result<Fee, FeeError> {
        let free = |basis: &str| {
            Ok(Fee {
                amount_vnd: 0,
                basis: basis.to_owned(),
            })
        };
        match kind {
            ApplicationType::FirstIssuance => return free("cấp lần đầu: không thu lệ phí"),
            ApplicationType::Renewal(RenewalReason::RenewalAge) => {
                return free("đổi thẻ khi đến tuổi: không thu lệ phí");
            }
            ApplicationType::Renewal(RenewalReason::AuthorityError) => {
                return free("sai sót do lỗi của cơ quan quản lý: không thu lệ phí");
            }
            ApplicationType::Renewal(RenewalReason::BoundaryChange) => {
                return free("thay đổi địa giới hành chính: miễn lệ phí");
            }
            _ => {}
        }
        if let Some(e) = exemption {
            return free(&format!("miễn lệ phí ({})", e.as_str()));
        }
        let item = kind.kind();
        self.rows
            .iter()
            .filter(|r| r.item == item && r.from <= intake && r.to.is_none_or(|to| intake <= to))
            .max_by_key(|r| r.from)
            .map(|r| Fee {
                amount_vnd: r.amount_vnd,
                basis: r.source.clone(),
            })
            .ok_or(FeeError::NotCovered { item, date: intake })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly on a broken fixture")]
mod tests {
    use super::*;
    use crate::application::ReissueReason;
    use jiff::civil::date;

    fn fee(kind: ApplicationType, day: Date) -> u32 {
        FeeSchedule::vietnam()
            .unwrap()
            .fee(kind, day, None)
            .unwrap()
            .amount_vnd
    }

    #[test]
    fn fees_of_2020_2021_and_2025() {
        let switch = ApplicationType::CmndSwitch;
        let damaged = ApplicationType::Renewal(RenewalReason::Damaged);
        let lost = ApplicationType::Reissue(ReissueReason::Lost);
        assert_eq!(fee(switch, date(2020, 12, 31)), 30_000);
        assert_eq!(fee(switch, date(2021, 1, 1)), 15_000);
        assert_eq!(fee(damaged, date(2021, 3, 16)), 25_000);
        assert_eq!(fee(lost, date(2021, 12, 31)), 35_000);
        assert_eq!(fee(lost, date(2022, 1, 1)), 70_000);
        assert_eq!(fee(damaged, date(2025, 3, 1)), 50_000);
    }

    #[test]
    fn free_types_and_exemptions() {
        let day = date(2022, 5, 1);
        assert_eq!(fee(ApplicationType::FirstIssuance, day), 0);
        assert_eq!(
            fee(ApplicationType::Renewal(RenewalReason::RenewalAge), day),
            0
        );
        let exempt = FeeSchedule::vietnam()
            .unwrap()
            .fee(
                ApplicationType::CmndSwitch,
                day,
                Some(FeeExemption::PoorHousehold),
            )
            .unwrap();
        assert_eq!(exempt.amount_vnd, 0);
        assert!(exempt.basis.contains("poor_household"));
    }

    #[test]
    fn a_day_no_schedule_covers_is_an_error_and_bad_rows_name_their_line() {
        let s = FeeSchedule::vietnam().unwrap();
        assert!(matches!(
            s.fee(ApplicationType::CmndSwitch, date(2019, 1, 1), None),
            Err(FeeError::NotCovered { .. })
        ));
        let bad = "valid_from,valid_to,item,amount_vnd,source\n2020-01-01,,visa,1,x\n";
        assert_eq!(
            FeeSchedule::parse(bad),
            Err(FeeError::Schedule {
                line: 2,
                reason: "unknown item \"visa\"".into()
            })
        );
    }
}
