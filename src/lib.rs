//! huizong (汇总): turns the monthly Excel returns of a city's units into checked, consolidated workbooks.
//!
//! The data's journey, one module per stage:
//! [`plan`] (the catalogue) → [`forms`] (blank returns) → [`ingest`] (scan, sniff, read) → [`normalise`]
//! (raw cell → typed value) → [`validate`] (findings) → [`consolidate`] (tables and workbooks) → [`mail`].
//! [`run`] puts the stages in order for one period; [`ledger`] records and moves every file received, [`lock`]
//! keeps two processes off one workspace, [`watch`] runs periods as files land. [`demo`] and [`synthetic`] build
//! sample workspaces; [`cli`] parses the command line.

#![warn(missing_docs)]

pub mod cli;
pub mod consolidate;
pub mod demo;
pub mod error;
pub mod finding;
pub mod forms;
pub mod ingest;
pub mod ledger;
pub mod lock;
pub mod mail;
pub mod normalise;
pub mod output;
pub mod period;
pub mod plan;
pub mod raw;
pub mod run;
pub mod settings;
pub mod style;
pub mod summary;
pub mod synthetic;
pub mod validate;
pub mod watch;
pub mod workspace;

pub use error::Error;
pub use plan::model::Catalogue;
