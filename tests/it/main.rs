//! Integration tests: each runs the real `huizong` binary in a fresh temporary workspace.

mod ingest;
mod plan;
mod util;
