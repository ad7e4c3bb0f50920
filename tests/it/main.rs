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
mod notices_more;
mod office;
mod plan;
mod returns;
mod returns_more;
mod trust;
mod util;
mod watch;
