//! Integration tests: each runs the real `huizong` binary in a fresh temporary workspace.

mod archive;
mod consolidate;
mod corpus;
mod cycle;
mod demo;
mod docs;
mod faults;
mod fetch;
mod forms;
mod history;
mod incremental;
mod ingest;
mod mail;
mod notices;
mod office;
mod plan;
mod trust;
mod util;
mod watch;
