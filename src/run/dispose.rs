//! Deciding where each file goes: accepted, superseded, duplicate, rejected, another month's, or left alone.
//!
//! Pure decisions over what reading gave: no file is touched here, so every rule has a unit test below.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::SystemTime;

use super::cache::Seen;
use crate::consolidate::model::Disposition;
use crate::finding::{Code, Finding};
use crate::period::Period;
use crate::validate::CheckedReturn;

/// Where a candidate file sits when the run starts; archived files outrank new ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    /// `accepted/`.
    Accepted,
    /// `duplicates/`.
    Duplicates,
    /// `rejected/`.
    Rejected,
    /// The inbox, or a rejected file whose bytes are no longer those it was rejected for: read afresh.
    Inbox,
}

/// A file the run considers, with what reading it gave.
pub struct Candidate {
    /// Where it is now.
    pub path: PathBuf,
    /// Its path below the folder it was found in, as bytes: the name it is filed under.
    pub rel: PathBuf,
    /// Which folder that is.
    pub place: Place,
    /// The name it arrived under (relative to the inbox when it came in a sub-folder).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// When it was received: its modification time when first seen (a time in the future taken as then).
    pub mtime: SystemTime,
    /// When huizong first saw it: the ledger's run number, `u64::MAX` for a file no run has recorded yet.
    pub arrival: u64,
    /// Its modification time as it is on disk.
    pub modified: SystemTime,
    /// The modification time it claims, when that lies after the time it was received (a time in the future).
    pub future: Option<SystemTime>,
    /// SHA-256 of its bytes (empty when they could not be read).
    pub sha256: String,
    /// The detected format.
    pub format: String,
    /// For a file that could not be read: the unit its name speaks of, so that it can be told.
    pub unit_hint: String,
    /// For a file in `rejected/`: the code and reason it was rejected with, from its `.reason.txt`.
    pub stored: Option<(Code, String)>,
    /// How it looked when read, if its SHA-256 is known by that look and any write since would show.
    pub seen: Option<Seen>,
    /// What reading it gave.
    pub outcome: Outcome,
}

impl Candidate {
    /// Newer arrivals sort later: first the run that first saw the file, then within one run its time, then its
    /// name, so that a correction carrying an old modification time still counts as the newer return.
    pub fn arrival_key(&self) -> (u64, SystemTime, &str) {
        (self.arrival, self.mtime, &self.name)
    }
}

/// A return read from a file: who sent it, for which month, and its figures after its own checks.
pub struct Return {
    /// The unit it is from.
    pub unit: String,
    /// The month it reports.
    pub period: Period,
    /// Its figures and findings; taken by the run when the return is used.
    pub checked: Option<CheckedReturn>,
}

/// What reading a file gave.
pub enum Outcome {
    /// Not usable, with the code and the reason for the sender.
    Refused(Code, String),
    /// A return.
    Parsed(Box<Return>),
    /// A symbolic link: never followed.
    Symlink,
    /// The file could not be opened now (permissions): left where it is and reported to the office.
    Unavailable(String),
    /// The file vanished while the run looked at it: reported as gone.
    Gone,
    /// Unreadable, and still being written (it changed during the read, or moments before): left for next time.
    Pending,
}

const SAME_BYTES: &str = "与已收到的文件内容完全相同，只处理一次";
const LINK: &str = "这是符号链接，不跟随读取；请放入文件本身";

/// Decides each candidate's disposition, in the candidates' (sorted) order. `received` renders a time for the
/// reason given to a superseded file.
pub fn decide(
    candidates: &[Candidate],
    period: Period,
    received: impl Fn(SystemTime) -> String,
) -> Vec<(Disposition, String)> {
    let mut seen: HashSet<&str> = HashSet::new();
    let mut out: Vec<(Disposition, String)> = Vec::with_capacity(candidates.len());
    for c in candidates {
        // A copy filed in duplicates/ never makes its original a copy: if a run was killed after filing the copy
        // and before filing the original, the original is still the first.
        let first = c.place != Place::Duplicates && (c.sha256.is_empty() || seen.insert(&c.sha256));
        out.push(match (c.place, &c.outcome) {
            (_, Outcome::Unavailable(why)) => (Disposition::Ignored, why.clone()),
            (_, Outcome::Gone) => (
                Disposition::Ignored,
                "文件在处理过程中被移走或删除，未能读取".to_string(),
            ),
            (_, Outcome::Pending) => (
                Disposition::Ignored,
                "文件仍在写入（读取时大小或时间在变化），留在收件箱，下次运行时再读".to_string(),
            ),
            // An archived file keeps the standing its folder gives it: a run never re-files the archive.
            (Place::Duplicates, _) => (Disposition::Duplicate, SAME_BYTES.to_string()),
            (Place::Rejected, outcome) => {
                let why = match (&c.stored, outcome) {
                    (Some((_, why)), _) => why.clone(),
                    (None, Outcome::Refused(_, why)) => why.clone(),
                    (None, _) => LINK.to_string(),
                };
                (Disposition::Rejected, why)
            }
            (Place::Accepted, Outcome::Parsed(p)) if p.period == period => {
                (Disposition::Accepted, String::new())
            }
            (Place::Accepted, _) => (
                Disposition::Superseded,
                "存档文件已不能按本期报表使用（报告期或内容不符），未采用".to_string(),
            ),
            // A return for another month stays in the inbox for that month, copies included.
            (Place::Inbox, Outcome::Parsed(p)) if p.period != period => (
                Disposition::OtherPeriod,
                format!(
                    "这是{}的报表，留在收件箱，待运行该月时处理",
                    p.period.chinese()
                ),
            ),
            (Place::Inbox, _) if !first => (Disposition::Duplicate, SAME_BYTES.to_string()),
            (Place::Inbox, Outcome::Symlink) => (Disposition::Rejected, LINK.to_string()),
            (Place::Inbox, Outcome::Refused(_, why)) => (Disposition::Rejected, why.clone()),
            (Place::Inbox, Outcome::Parsed(_)) => (Disposition::Accepted, String::new()),
        });
    }
    // The return that arrived last wins; older ones are kept but not used.
    let mut by_unit: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, c) in candidates.iter().enumerate() {
        if let (Outcome::Parsed(p), Disposition::Accepted) = (&c.outcome, out[i].0) {
            by_unit.entry(p.unit.as_str()).or_default().push(i);
        }
    }
    for list in by_unit.values() {
        let Some(&newest) = list.iter().max_by(|&&a, &&b| {
            candidates[a]
                .arrival_key()
                .cmp(&candidates[b].arrival_key())
        }) else {
            continue;
        };
        for &i in list.iter().filter(|&&i| i != newest) {
            out[i] = (
                Disposition::Superseded,
                format!(
                    "同一单位又报送了更新的“{}”（收到于{}），本文件不再使用",
                    candidates[newest].name,
                    received(candidates[newest].mtime)
                ),
            );
        }
    }
    out
}

/// The finding that tells a file's sender (or the office) what became of it, if anything needs saying.
pub fn disposition_finding(
    c: &Candidate,
    d: Disposition,
    reason: &str,
    unit: &str,
) -> Option<Finding> {
    let code = match (&c.outcome, d) {
        (Outcome::Unavailable(_) | Outcome::Gone, _) => Code::FileUnavailable,
        (Outcome::Pending, _) => Code::FileInProgress,
        (_, Disposition::Duplicate) => Code::DuplicateFile,
        (_, Disposition::Superseded) => Code::Superseded,
        (_, Disposition::OtherPeriod) => Code::PeriodMismatch,
        (_, Disposition::Rejected) => match (&c.stored, &c.outcome) {
            (Some((code, _)), _) => *code,
            (None, Outcome::Refused(code, _)) => *code,
            (None, _) => Code::UnreadableFile,
        },
        _ => return None,
    };
    let (message, unit) = match code {
        Code::DuplicateFile | Code::Superseded | Code::PeriodMismatch => (reason.to_string(), unit),
        // The office must look at a file it cannot open; the unit sent it and is told nothing it cannot act on.
        Code::FileUnavailable => (
            format!("收件箱中的文件“{}”无法读取：{reason}；请检查该文件", c.name),
            "",
        ),
        Code::FileInProgress => (format!("文件“{}”{reason}", c.name), ""),
        _ => (format!("文件“{}”未被采用：{reason}", c.name), unit),
    };
    Some(
        Finding::new(code, message)
            .unit(unit)
            .at(&c.name, "", "")
            .values("", c.name.clone()),
    )
}

/// The finding for a file whose modification time lies in the future (a zip's local time read as UTC).
pub fn future_finding(c: &Candidate, claimed: &str, taken: &str, unit: &str) -> Finding {
    Finding::new(
        Code::FutureTime,
        format!(
            "文件“{}”的修改时间{claimed}晚于处理时间，按首次收到的时间{taken}计",
            c.name
        ),
    )
    .unit(unit)
    .at(&c.name, "", "")
    .values(taken.to_string(), claimed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn parsed(unit: &str, month: u32) -> Outcome {
        Outcome::Parsed(Box::new(Return {
            unit: unit.to_string(),
            period: Period { year: 2020, month },
            checked: None,
        }))
    }

    fn cand(name: &str, place: Place, arrival: u64, secs: u64, sha: &str, o: Outcome) -> Candidate {
        Candidate {
            path: PathBuf::from(name),
            rel: PathBuf::from(name),
            place,
            name: name.to_string(),
            size: 1,
            mtime: SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
            arrival,
            modified: SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
            future: None,
            sha256: sha.to_string(),
            format: String::new(),
            unit_hint: String::new(),
            stored: None,
            seen: None,
            outcome: o,
        }
    }

    const OCT: Period = Period {
        year: 2020,
        month: 10,
    };

    fn names(c: &[Candidate]) -> Vec<(String, Disposition)> {
        let d = decide(c, OCT, |_| String::new());
        c.iter()
            .zip(d)
            .map(|(c, (d, _))| (c.name.clone(), d))
            .collect()
    }

    #[test]
    fn a_later_arrival_wins_whatever_its_modification_time() {
        let c = [
            cand(
                "old.xlsx",
                Place::Accepted,
                0,
                2_000,
                "a",
                parsed("czj", 10),
            ),
            cand(
                "fix.xlsx",
                Place::Inbox,
                u64::MAX,
                1_000,
                "b",
                parsed("czj", 10),
            ),
        ];
        assert_eq!(
            names(&c),
            [
                ("old.xlsx".to_string(), Disposition::Superseded),
                ("fix.xlsx".to_string(), Disposition::Accepted)
            ]
        );
    }

    #[test]
    fn within_one_run_the_modification_time_breaks_the_tie() {
        let c = [
            cand("b.xlsx", Place::Inbox, 3, 2_000, "a", parsed("czj", 10)),
            cand("a.xlsx", Place::Inbox, 3, 1_000, "b", parsed("czj", 10)),
        ];
        let got = names(&c);
        assert_eq!(got[0].1, Disposition::Accepted);
        assert_eq!(got[1].1, Disposition::Superseded);
    }

    #[test]
    fn copies_other_months_and_unreadable_files_each_get_their_place() {
        let c = [
            cand("a.xlsx", Place::Inbox, 9, 1, "same", parsed("gxj", 10)),
            cand("a copy.xlsx", Place::Inbox, 9, 2, "same", parsed("gxj", 10)),
            cand("nov.xlsx", Place::Inbox, 9, 3, "n", parsed("gxj", 11)),
            cand("half.xlsx", Place::Inbox, 9, 4, "h", Outcome::Pending),
            cand("gone.xlsx", Place::Inbox, 9, 5, "", Outcome::Gone),
            cand(
                "bad.xlsx",
                Place::Inbox,
                9,
                6,
                "x",
                Outcome::Refused(Code::UnreadableFile, "坏".into()),
            ),
        ];
        let got: Vec<Disposition> = names(&c).into_iter().map(|(_, d)| d).collect();
        assert_eq!(
            got,
            [
                Disposition::Accepted,
                Disposition::Duplicate,
                Disposition::OtherPeriod,
                Disposition::Ignored,
                Disposition::Ignored,
                Disposition::Rejected
            ]
        );
        let f = disposition_finding(&c[4], Disposition::Ignored, "gone", "gxj").unwrap();
        assert_eq!((f.code, f.unit.as_str()), (Code::FileUnavailable, ""));
        let f = disposition_finding(&c[3], Disposition::Ignored, "x", "gxj").unwrap();
        assert_eq!(f.code, Code::FileInProgress);
    }

    #[test]
    fn archived_files_keep_their_folders_standing() {
        let mut rejected = cand("r.xlsx", Place::Rejected, 0, 1, "r", parsed("czj", 10));
        rejected.stored = Some((Code::NotAReturn, "不是".into()));
        let c = [
            cand("d.xlsx", Place::Duplicates, 0, 1, "d", parsed("kjj", 10)),
            rejected,
            cand("n.xlsx", Place::Accepted, 0, 1, "n", parsed("jyj", 11)),
        ];
        let got: Vec<Disposition> = names(&c).into_iter().map(|(_, d)| d).collect();
        assert_eq!(
            got,
            [
                Disposition::Duplicate,
                Disposition::Rejected,
                Disposition::Superseded
            ]
        );
        let f = disposition_finding(&c[1], Disposition::Rejected, "不是", "czj").unwrap();
        assert_eq!(f.code, Code::NotAReturn);
    }
}
