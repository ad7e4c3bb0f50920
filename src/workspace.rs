//! Where things live inside a workspace folder.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::period::Period;

/// A workspace: a folder holding `templates/`, `inbox/` and `outbox/`.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The workspace folder.
    pub root: PathBuf,
}

impl Workspace {
    /// A workspace rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Workspace { root: root.into() }
    }

    /// Checks that the folder is a workspace with a valid plan and settings, before anything is created in it.
    /// With `keep` (a run), the checked plan is kept in the outbox for the next run to read back.
    pub fn check(&self, keep: bool) -> Result<(), Error> {
        let plan = self.plan_path();
        if !plan.is_file() {
            return Err(Error::NoPlan {
                path: plan,
                root: self.root.clone(),
            });
        }
        crate::settings::Settings::load(&self.settings_path())?;
        crate::plan::load_stored(&plan, &self.plan_store(), keep)?;
        Ok(())
    }

    /// `templates/plan.toml`.
    pub fn plan_path(&self) -> PathBuf {
        self.root.join("templates").join("plan.toml")
    }

    /// `outbox/.cache-plan.json`: the checked plan as the last run kept it.
    pub fn plan_store(&self) -> PathBuf {
        self.root.join("outbox").join(".cache-plan.json")
    }

    /// `huizong.toml`, the optional settings file.
    pub fn settings_path(&self) -> PathBuf {
        self.root.join("huizong.toml")
    }

    /// `inbox/`, where returns are dropped.
    pub fn inbox(&self) -> PathBuf {
        self.root.join("inbox")
    }

    /// `outbox/<period>/`.
    pub fn period_dir(&self, period: Period) -> PathBuf {
        self.root.join("outbox").join(period.to_string())
    }

    /// `outbox/<period>/forms/`.
    pub fn forms_dir(&self, period: Period) -> PathBuf {
        self.period_dir(period).join("forms")
    }

    /// `outbox/<period>/accepted/`: the archive of returns used.
    pub fn accepted_dir(&self, period: Period) -> PathBuf {
        self.period_dir(period).join("accepted")
    }

    /// `outbox/<period>/rejected/`: quarantined files with a reason beside each.
    pub fn rejected_dir(&self, period: Period) -> PathBuf {
        self.period_dir(period).join("rejected")
    }

    /// `outbox/<period>/duplicates/`: byte-identical copies of files already received.
    pub fn duplicates_dir(&self, period: Period) -> PathBuf {
        self.period_dir(period).join("duplicates")
    }

    /// `outbox/<period>/feedback/`.
    pub fn feedback_dir(&self, period: Period) -> PathBuf {
        self.period_dir(period).join("feedback")
    }

    /// `outbox/<period>/report.json`.
    pub fn report_path(&self, period: Period) -> PathBuf {
        self.period_dir(period).join("report.json")
    }

    /// `outbox/ledger.jsonl`, the append-only record of every file received.
    pub fn ledger_path(&self) -> PathBuf {
        self.root.join("outbox").join("ledger.jsonl")
    }

    /// A path relative to the workspace root, for reports and messages.
    pub fn relative<'a>(&self, path: &'a Path) -> &'a Path {
        path.strip_prefix(&self.root).unwrap_or(path)
    }
}
