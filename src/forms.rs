//! Blank return workbooks, one per reporting unit.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::period::Period;
use crate::plan::Catalogue;
use crate::settings::Settings;

/// Writes every unit's blank form into `dir`; returns the paths written.
pub fn write_all(_c: &Catalogue, _s: &Settings, _p: Period, _dir: &Path) -> Result<Vec<PathBuf>, Error> {
    unimplemented!()
}
