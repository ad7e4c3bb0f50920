//! The plan catalogue: its model, loading and checking it, and drafting it from a notice.

pub mod check;
pub mod extract;
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
    let text = read(path)?;
    let catalogue = Catalogue::from_toml(&text).map_err(|e| Error::PlanSyntax {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let problems = check::check(&catalogue);
    if !problems.is_empty() {
        return Err(Error::PlanInvalid {
            path: path.to_path_buf(),
            problems: problems.iter().map(ToString::to_string).collect(),
        });
    }
    Ok(catalogue)
}

/// `huizong plan check`: prints every problem of a catalogue file; fails when there is any.
pub fn check_file(path: &Path) -> Result<crate::cli::Outcome, Error> {
    let text = read(path)?;
    let catalogue = Catalogue::from_toml(&text).map_err(|e| Error::PlanSyntax {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let problems = check::check(&catalogue);
    for p in &problems {
        println!("{p}");
    }
    // A unit without an address still works; only its mail cannot go out, so this warns rather than fails.
    for u in catalogue
        .reporting_units()
        .filter(|u| !u.email.contains('@'))
    {
        println!(
            "warning: unit {} ({}) has no email (email = {:?}); its feedback and reminders will not be mailed",
            u.code, u.name, u.email
        );
    }
    let indicators = catalogue.indicators().count();
    if problems.is_empty() {
        println!(
            "{}: {} units, {} tasks, {} indicators: OK",
            path.display(),
            catalogue.units.len(),
            catalogue.tasks.len(),
            indicators
        );
        Ok(crate::cli::Outcome::Success)
    } else {
        eprintln!("{}: {} problem(s)", path.display(), problems.len());
        Ok(crate::cli::Outcome::Failed)
    }
}
