//! The plan catalogue: its model, loading and checking it, and drafting it from a notice.

pub mod check;
pub mod extract;
pub mod import;
pub mod init;
pub mod model;

use std::path::Path;

use crate::error::Error;
pub use model::Catalogue;

/// Reads a catalogue file; a missing one is a usage error naming it.
fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            Error::NoPlan {
                path: path.to_path_buf(),
                root: path
                    .parent()
                    .and_then(Path::parent)
                    .unwrap_or(Path::new("."))
                    .to_path_buf(),
            }
        } else {
            Error::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })
}

/// Loads a catalogue from a TOML file and checks it; problems are returned, not printed.
pub fn load(path: &Path) -> Result<Catalogue, Error> {
    // A run checks the workspace and then loads it, and watch loads it for every run: the same text gives the
    // same catalogue, and parsing and checking a province's plan costs more than a copy.
    static LAST: std::sync::Mutex<Option<(String, Catalogue)>> = std::sync::Mutex::new(None);
    let text = read(path)?;
    if let Ok(last) = LAST.lock()
        && let Some((t, c)) = last.as_ref()
        && *t == text
    {
        return Ok(c.clone());
    }
    let catalogue = checked(path, &text)?;
    if let Ok(mut last) = LAST.lock() {
        *last = Some((text, catalogue.clone()));
    }
    Ok(catalogue)
}

fn checked(path: &Path, text: &str) -> Result<Catalogue, Error> {
    let catalogue = Catalogue::from_toml(text).map_err(|e| Error::PlanSyntax {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut problems = check::check(&catalogue);
    problems.extend(check::review_marks(text));
    if !problems.is_empty() {
        return Err(Error::PlanInvalid {
            path: path.to_path_buf(),
            problems: problems.iter().map(ToString::to_string).collect(),
        });
    }
    Ok(catalogue)
}

/// What `plan check` found in a catalogue file.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// Problems that make the catalogue unusable, review marks included.
    pub problems: Vec<check::Problem>,
    /// Things worth fixing that do not stop a run (a unit without an email).
    pub warnings: Vec<check::Problem>,
    /// Units, tasks and indicators in the catalogue.
    pub counts: (usize, usize, usize),
}

/// `huizong plan check`: every problem and warning of a catalogue file; the caller prints them.
pub fn check_file(path: &Path) -> Result<CheckReport, Error> {
    let text = read(path)?;
    let catalogue = Catalogue::from_toml(&text).map_err(|e| Error::PlanSyntax {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut problems = check::check(&catalogue);
    problems.extend(check::review_marks(&text));
    Ok(CheckReport {
        problems,
        warnings: check::warnings(&catalogue),
        counts: (
            catalogue.units.len(),
            catalogue.tasks.len(),
            catalogue.indicators().count(),
        ),
    })
}
