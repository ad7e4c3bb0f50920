//! What earlier runs of a period learned, kept beside its outputs so that a run re-reads and re-draws only what
//! changed.
//!
//! Two hidden files in the period's outbox folder: `.cache-readings.jsonl`, one line per file read (its key, a
//! tab, and what reading it gave as JSON, parsed only when that file is met again), and `.cache-workbooks.json`, what each output workbook was drawn from. Every entry is keyed
//! by a hash of everything it depends on: the tool (its version and its executable), the plan, the settings and
//! the period, and for a reading the file's bytes, the name it arrived under and the unit its mail came from.
//! A changed plan, settings file or tool therefore misses every entry; a missing, truncated or otherwise
//! unreadable cache is simply read and drawn afresh: it changes nothing but the time a run takes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::finding::Code;
use crate::ingest::parse::ParsedReturn;
use crate::output;
use crate::period::Period;
use crate::workspace::Workspace;

/// Bumped whenever an entry's meaning changes, so that old entries are not misread.
const LAYOUT: &str = "huizong-cache-1";

/// What reading a readable workbook gave: a return, or why it is not usable.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Learned {
    /// A return.
    Parsed(Box<ParsedReturn>),
    /// A workbook that is not a usable return, with the code and the reason for the sender.
    NotUsable(Code, String),
}

/// What a line of `.cache-readings.jsonl` holds after its key and a tab.
#[derive(Serialize, Deserialize)]
struct Stored {
    format: String,
    learned: Learned,
}

/// Where an output workbook came from and what it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stamp {
    /// Hash of everything the workbook is drawn from.
    pub inputs: String,
    /// SHA-256 of the workbook's bytes as written.
    pub sha256: String,
}

/// A period's cache, loaded once per run and shared by the threads that read files.
pub struct Cache {
    /// The period's outbox folder; `None` for a run that must not use a cache.
    dir: Option<PathBuf>,
    /// Writes only from a real run: assessing leaves the workspace as it was.
    writable: bool,
    identity: String,
    /// Each reading's JSON by its key, parsed only when a file asks for it.
    readings: HashMap<String, String>,
    /// Lines in the readings file, for knowing when it holds mostly stale entries.
    lines: usize,
    /// Whether the readings file ends with a whole line (a run killed mid-append leaves half of one).
    whole: bool,
    used: Mutex<HashSet<String>>,
    hits: AtomicUsize,
    fresh: Mutex<Vec<String>>,
}

impl Cache {
    /// Loads the period's cache; `writable` for a run that writes its outputs.
    pub fn open(ws: &Workspace, period: Period, writable: bool) -> Cache {
        let dir = ws.period_dir(period);
        let mut h = Sha256::new();
        for part in [
            LAYOUT.as_bytes(),
            env!("CARGO_PKG_VERSION").as_bytes(),
            executable().as_bytes(),
            &std::fs::read(ws.plan_path()).unwrap_or_default(),
            &std::fs::read(ws.settings_path()).unwrap_or_default(),
            period.to_string().as_bytes(),
        ] {
            // Each part with its length, so that no two different lists of parts hash alike.
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        let identity = output::hex(&h.finalize());
        let text = std::fs::read_to_string(readings_path(&dir)).unwrap_or_default();
        let mut lines = 0;
        let readings: HashMap<String, String> = text
            .lines()
            .inspect(|_| lines += 1)
            .filter_map(|l| l.split_once('\t'))
            .map(|(k, json)| (k.to_string(), json.to_string()))
            .collect();
        Cache {
            dir: Some(dir),
            writable,
            identity,
            readings,
            lines,
            whole: text.is_empty() || text.ends_with('\n'),
            used: Mutex::new(HashSet::new()),
            hits: AtomicUsize::new(0),
            fresh: Mutex::new(Vec::new()),
        }
    }

    /// A cache that holds nothing and keeps nothing.
    #[cfg(test)]
    pub fn none() -> Cache {
        Cache {
            dir: None,
            writable: false,
            identity: String::new(),
            readings: HashMap::new(),
            lines: 0,
            whole: true,
            used: Mutex::new(HashSet::new()),
            hits: AtomicUsize::new(0),
            fresh: Mutex::new(Vec::new()),
        }
    }

    /// The key of a file's reading: its bytes, the name it arrived under and its mail's sender, under this
    /// tool, plan, settings and period.
    pub fn reading_key(&self, sha256: &str, name: &str, sender: Option<&str>) -> String {
        self.key(&[sha256, name, sender.unwrap_or("")])
    }

    /// A key under this tool, plan, settings and period for the given parts.
    pub fn key(&self, parts: &[&str]) -> String {
        let mut h = Sha256::new();
        h.update(self.identity.as_bytes());
        for p in parts {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p.as_bytes());
        }
        output::hex(&h.finalize())
    }

    /// What an earlier run learned from the file with this key: its format and the reading.
    pub fn reading(&self, key: &str) -> Option<(String, Learned)> {
        let stored: Stored = serde_json::from_str(self.readings.get(key)?).ok()?;
        lock(&self.used).insert(key.to_string());
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some((stored.format, stored.learned))
    }

    /// Keeps what reading a file gave, to be saved when the run has written its outputs.
    pub fn keep(&self, key: &str, format: &str, learned: &Learned) {
        if self.dir.is_none() || !self.writable {
            return;
        }
        let stored = Stored {
            format: format.to_string(),
            learned: learned.clone(),
        };
        if let Ok(json) = serde_json::to_string(&stored) {
            lock(&self.used).insert(key.to_string());
            lock(&self.fresh).push(format!("{key}\t{json}"));
        }
    }

    /// How many readings came from the cache.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }

    /// Saves the readings learned in this run: appended, or the file rewritten without the entries no file
    /// used any more once those are the greater part. A failure is logged, never fatal: the cache is an aid.
    pub fn save(&self) {
        let (Some(dir), true) = (&self.dir, self.writable) else {
            return;
        };
        let fresh = std::mem::take(&mut *lock(&self.fresh));
        let used = lock(&self.used).len();
        let path = readings_path(dir);
        let result = if self.lines + fresh.len() > 2 * used.max(1) {
            let used = lock(&self.used);
            let mut kept: Vec<String> = self
                .readings
                .iter()
                .filter(|(k, _)| used.contains(*k))
                .map(|(k, json)| format!("{k}\t{json}"))
                .collect();
            kept.sort();
            kept.extend(fresh);
            output::write_atomic_with(&path, |w| kept.iter().try_for_each(|l| writeln!(w, "{l}")))
                .map_err(|e| e.to_string())
        } else if fresh.is_empty() {
            Ok(())
        } else {
            append(&path, &fresh, self.whole).map_err(|e| e.to_string())
        };
        if let Err(e) = result {
            log::warn!("{}: cache not saved: {e}", path.display());
        }
    }

    /// The stamps of the workbooks drawn by the last run.
    pub fn stamps(&self) -> BTreeMap<String, Stamp> {
        self.dir
            .as_ref()
            .and_then(|d| std::fs::read(stamps_path(d)).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Records what each workbook now in place was drawn from.
    pub fn save_stamps(&self, stamps: &BTreeMap<String, Stamp>) {
        let (Some(dir), true) = (&self.dir, self.writable) else {
            return;
        };
        let path = stamps_path(dir);
        let result = output::write_atomic_with(&path, |w| {
            serde_json::to_writer(w, stamps).map_err(std::io::Error::from)
        });
        if let Err(e) = result {
            log::warn!("{}: cache not saved: {e}", path.display());
        }
    }
}

/// Whether `path` holds exactly the workbook `stamp` describes, drawn from `inputs`.
pub fn unchanged(path: &Path, stamp: Option<&Stamp>, inputs: &str) -> bool {
    stamp.is_some_and(|s| {
        !inputs.is_empty()
            && s.inputs == inputs
            && std::fs::read(path).is_ok_and(|b| sha256_hex(&b) == s.sha256)
    })
}

/// SHA-256 of bytes, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    output::hex(&Sha256::digest(bytes))
}

/// A `Write` that hashes what is written, for fingerprinting inputs without holding their text.
pub struct HashWriter(pub Sha256);

impl HashWriter {
    /// A fresh hasher.
    pub fn new() -> HashWriter {
        HashWriter(Sha256::new())
    }

    /// The hex digest of everything written.
    pub fn finish(self) -> String {
        output::hex(&self.0.finalize())
    }
}

impl Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The running executable as size and modification time: a rebuilt tool of the same version is another tool.
fn executable() -> String {
    std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| {
            let t = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .unwrap_or_default();
            format!("{} {}", m.len(), t.as_nanos())
        })
        .unwrap_or_default()
}

fn append(path: &Path, lines: &[String], whole: bool) -> std::io::Result<()> {
    let mut f = std::fs::File::options()
        .create(true)
        .append(true)
        .open(path)?;
    // A half line left by a killed run is ended, so that it spoils only itself.
    let mut text = if whole {
        String::new()
    } else {
        "\n".to_string()
    };
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    f.write_all(text.as_bytes())
}

fn readings_path(dir: &Path) -> PathBuf {
    dir.join(".cache-readings.jsonl")
}

fn stamps_path(dir: &Path) -> PathBuf {
    dir.join(".cache-workbooks.json")
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::read::{RawCell, RawValue};

    #[test]
    fn figures_come_back_from_the_cache_to_the_last_bit() {
        // serde_json's default float parsing may be off by one unit in the last place: a figure read from the
        // cache would then differ from the one read from the file (`float_roundtrip` prevents that).
        let figures = [
            0.1 + 0.2,
            29.020000000000003,
            12_345.678_901_234_567,
            2.225_073_858_507_201e-308,
            9_007_199_254_740_993.0,
            1.0 / 3.0,
            123_456_789.123_456_79,
        ];
        let cells: Vec<RawCell> = figures
            .iter()
            .map(|v| RawCell::of(RawValue::Number(*v)))
            .collect();
        let back: Vec<RawCell> =
            serde_json::from_str(&serde_json::to_string(&cells).unwrap()).unwrap();
        for (a, b) in cells.iter().zip(&back) {
            let (RawValue::Number(x), RawValue::Number(y)) = (&a.value, &b.value) else {
                panic!("{b:?}");
            };
            assert_eq!(x.to_bits(), y.to_bits(), "{x} came back as {y}");
        }
    }

    #[test]
    fn a_key_changes_with_each_part_and_with_where_parts_split() {
        let cache = Cache::none();
        let k = cache.reading_key("ab", "c", None);
        assert_ne!(k, cache.reading_key("a", "bc", None));
        assert_ne!(k, cache.reading_key("ab", "c", Some("kjj")));
        assert_eq!(k, cache.reading_key("ab", "c", None));
    }
}
