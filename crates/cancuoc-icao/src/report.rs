//! `check`: which layout a zone has, and every field of it that fails.

use std::fmt;

use crate::error::MrzError;
use crate::lines::{normalize, shape};
use crate::td1::TD1_WIDTH;
use crate::td3::TD3_WIDTH;
use crate::{td1, td3, vnm};

/// The layouts [`check`] recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// Doc 9303-5, three lines of 30.
    Td1,
    /// Doc 9303-4, two lines of 44.
    Td3,
    /// The Vietnamese identity card: TD1 lines starting `IDVNM`.
    VnmTd1,
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layout::Td1 => "TD1",
            Layout::Td3 => "TD3",
            Layout::VnmTd1 => "Vietnamese TD1 (CCCD)",
        })
    }
}

/// What [`check`] found: the layout, and every failing field in line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    layout: Layout,
    failures: Vec<MrzError>,
}

impl Report {
    pub fn layout(&self) -> Layout {
        self.layout
    }

    pub fn failures(&self) -> &[MrzError] {
        &self.failures
    }

    pub fn is_valid(&self) -> bool {
        self.failures.is_empty()
    }
}

/// One failure a line (`line 2: birth date check digit is 3, expected 2`), or
/// `valid <layout> MRZ`.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.failures.is_empty() {
            return write!(f, "valid {} MRZ", self.layout);
        }
        for (index, failure) in self.failures.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{failure}")?;
        }
        Ok(())
    }
}

/// Recognises the layout by its shape, three lines of 30 (TD1; the Vietnamese layout when
/// line 1 starts `IDVNM`) or two lines of 44 (TD3), and checks every field and check digit.
/// Trailing whitespace (CRLF input) and blank lines are ignored.
///
/// `Err` when the zone cannot be read at all: no known shape, a line of the wrong length,
/// or a character outside A–Z, 0–9 and `<`. Otherwise the [`Report`] lists the failures.
pub fn check(lines: &[&str]) -> Result<Report, MrzError> {
    let lines = normalize(lines);
    let (layout, failures) = match lines.len() {
        3 => {
            let lines = shape::<3>(&lines, TD1_WIDTH)?;
            let [l1, _, _] = &lines;
            if l1.get(1, 5) == "IDVNM" {
                (Layout::VnmTd1, vnm::read(&lines).err())
            } else {
                (Layout::Td1, td1::read(&lines).err())
            }
        }
        2 if lines.first().is_some_and(|l| l.chars().count() == 36) => {
            return Err(MrzError::UnsupportedLayout);
        }
        2 => {
            let lines = shape::<2>(&lines, TD3_WIDTH)?;
            (Layout::Td3, td3::read(&lines).err())
        }
        count => return Err(MrzError::UnknownLayout { lines: count }),
    };
    Ok(Report {
        layout,
        failures: failures.map(|p| p.into_vec()).unwrap_or_default(),
    })
}
