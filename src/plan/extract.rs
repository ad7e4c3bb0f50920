//! Drafting a catalogue from a notice's plain text.

use super::model::Catalogue;

/// Drafts a catalogue from the notice's text.
pub fn extract(_text: &str) -> Catalogue {
    unimplemented!()
}

/// The draft as TOML, with review marks for what could not be classified.
pub fn extract_toml(text: &str) -> String {
    extract(text).to_toml()
}
