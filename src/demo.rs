//! `huizong demo`: a complete sample workspace built from the built-in Dingxi plan.

use std::path::Path;

use crate::cli::Outcome;
use crate::error::Error;

/// Builds the sample workspace in `dir` and runs it.
pub fn run(_dir: &Path) -> Result<Outcome, Error> {
    unimplemented!()
}
