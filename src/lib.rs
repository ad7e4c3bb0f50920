//! huizong (汇总): turns the monthly Excel returns of a city's units into checked, consolidated workbooks.
//!
//! The data's journey, one module per stage:
//! [`plan`] (the catalogue) → [`forms`] (blank returns) → [`ingest`] (scan, sniff, read) → [`normalise`]
//! (raw cell → typed value) → [`validate`] (findings) → [`consolidate`] (tables and workbooks) → [`mail`].
//! [`run`] puts the stages in order for one period; [`ledger`] records and moves every file received, [`lock`]
//! keeps two processes off one workspace, [`watch`] runs periods as files land, [`fetch`] saves the returns
//! mailed to the office into the inbox. [`demo`] and [`synthetic`] build sample workspaces; [`cli`] parses the
//! command line.

#![warn(missing_docs)]

// Every `print!`/`println!` of the crate goes through these (textual scope shadows std's): a closed stdout, as
// in `huizong run … | head`, is not an error; the work goes on and the output ends quietly.
macro_rules! print {
    ($($arg:tt)*) => { $crate::display::print(format_args!($($arg)*)) };
}
macro_rules! println {
    () => { $crate::display::print(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::display::print(format_args!("{}\n", format_args!($($arg)*))) };
}

pub mod cli;
pub mod consolidate;
pub mod demo;
pub mod display;
pub mod error;
pub mod fetch;
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
