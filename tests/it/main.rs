//! Integration tests: each runs the real `huizong` binary in a fresh temporary workspace.

mod archive;
mod consolidate;
mod corpus;
mod cycle;
mod demo;
mod docs;
mod forms;
mod history;
mod ingest;
mod mail;
mod office;
mod plan;
mod returns;
mod util;
mod watch;
