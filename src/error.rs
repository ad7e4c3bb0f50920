//! Errors that stop a command. Problems inside one return are findings, not errors.

use std::path::PathBuf;

/// Everything that can stop a huizong command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The catalogue is not valid TOML or does not fit the schema.
    #[error("the plan catalogue {path} cannot be parsed: {message}")]
    PlanSyntax {
        /// The catalogue file.
        path: PathBuf,
        /// What the parser said, with the line.
        message: String,
    },
    /// The catalogue parsed but is inconsistent.
    #[error("the plan catalogue {path} has {} problem(s); fix them and run `huizong plan check`:\n  {}", problems.len(), problems.join("\n  "))]
    PlanInvalid {
        /// The catalogue file.
        path: PathBuf,
        /// One sentence per problem.
        problems: Vec<String>,
    },
    /// A command-line argument is wrong.
    #[error("{0}")]
    Usage(String),
    /// A period argument is not YYYY-MM.
    #[error("'{0}' is not a period; write it as YYYY-MM, e.g. 2020-10")]
    BadPeriod(String),
    /// The settings file is wrong.
    #[error("the settings file {path} is invalid: {message}")]
    Settings {
        /// The settings file.
        path: PathBuf,
        /// What is wrong, naming the key.
        message: String,
    },
    /// An environment variable that overrides a setting is wrong.
    #[error("the environment variable {variable} is invalid: {message}; correct or unset it")]
    Environment {
        /// The variable's name.
        variable: String,
        /// What is wrong with its value.
        message: String,
    },
    /// The folder given as the workspace holds no plan.
    #[error(
        "{path} does not exist: the workspace {root} has no plan; pass --root with a workspace folder, or build one with `huizong demo`"
    )]
    NoPlan {
        /// Where the plan should be.
        path: PathBuf,
        /// The workspace folder.
        root: PathBuf,
    },
    /// Another huizong process holds the workspace.
    #[error(
        "the workspace {path} is busy: {holder}; waited {waited_seconds} s. Wait for it to finish, or stop it, then try again"
    )]
    Locked {
        /// The workspace.
        path: PathBuf,
        /// Who holds the lock, as it wrote itself into the lock file.
        holder: String,
        /// How long this process waited.
        waited_seconds: u64,
    },
    /// Composing or delivering mail failed. The mail stage's own error, boxed so that this module, which every
    /// other one imports, imports none of them (`impl From<MailError> for Error` lives in `mail::send`).
    #[error(transparent)]
    Mail(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// The office mailbox could not be read; boxed for the same reason (`From<FetchError>` lives in `fetch`).
    #[error(transparent)]
    Fetch(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// A workbook could not be written.
    #[error("cannot write the workbook {path}: {message}")]
    Workbook {
        /// The workbook being written.
        path: PathBuf,
        /// What rust_xlsxwriter said.
        message: String,
    },
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }

    /// Whether the error comes from bad usage or configuration (exit status 2) rather than failed work (1).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            Error::PlanSyntax { .. }
                | Error::PlanInvalid { .. }
                | Error::BadPeriod(_)
                | Error::Usage(_)
                | Error::Settings { .. }
                | Error::Environment { .. }
                | Error::NoPlan { .. }
        )
    }
}
