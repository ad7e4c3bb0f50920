//! What earlier runs of a period learned, kept beside its outputs so that a run re-reads and re-draws only what
//! changed.
//!
//! Hidden in the period's outbox folder: `.cache-readings.bin`, an entry per file read (its key, a tab, the
//! CRC-32 of the rest, a tab, and what reading it gave: a return's figures and findings as its own checks left
//! them, or why it is no return; decoded only when that file is met again), and an entry per file with the
//! SHA-256 of its bytes under its path and look (see [`Seen`]), so that a file left alone is not even read;
//! `.cache-workbooks.json`, what each output workbook was drawn from; and `.cache-pieces/`, the long sheet's rows
//! deflated in pieces (see [`crate::consolidate::long_sheet`]), a file each. An entry's payload is postcard,
//! COBS-encoded so that it holds no zero byte, and a zero ends the entry: a return decodes several times faster
//! than from JSON (a province's cache is tens of megabytes, decoded at every run), and an entry cut short by a
//! killed run spoils only itself. Every entry is keyed by a hash of everything it depends on: the
//! tool (its version and its executable), the plan, the settings and the period, and for a reading the file's
//! bytes, the name it arrived under and the unit its mail came from. A changed plan, settings file or tool
//! therefore misses every entry; a missing, truncated or otherwise unreadable cache is simply read and drawn
//! afresh: it changes nothing but the time a run takes. The checksums are there because a damaged entry can
//! still decode (a byte changed on disk), as can deflate data, and a figure taken from it would be wrong.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::dispose::Return;
use crate::consolidate::long_sheet::{Deflated, Store};
use crate::finding::{Code, Finding};
use crate::ingest::parse::ParsedReturn;
use crate::normalise::MilestoneState;
use crate::output;
use crate::period::Period;
use crate::validate::{CheckedReturn, Origin, Reading, Role};
use crate::workspace::Workspace;

/// Bumped whenever an entry's meaning changes, so that old entries are not misread.
const LAYOUT: &str = "huizong-cache-5";

/// What reading a readable workbook gave: a return as its own checks left it, or why it is not usable.
#[derive(Debug, Serialize, Deserialize)]
pub enum Learned {
    /// A return.
    Checked(Box<Kept>),
    /// A workbook that is not a usable return, with the code and the reason for the sender.
    NotUsable(Code, String),
}

/// A return as the cache keeps it. Its own checks depend on nothing its key does not cover (the file's bytes and
/// name, the plan, the settings, the period, the tool), so what they gave is kept, not the rows they read: a
/// return met again is neither parsed nor checked again. The unit, file and sheet every reading repeats are
/// kept once, and each reading as an array without them ([`KeptReading`]); read back, the readings are made
/// whole as each is decoded, sharing one [`Origin`] (a province's 400,000 were decoded into arrays first, then
/// made whole in a second pass).
#[derive(Debug)]
pub struct Kept {
    unit: String,
    period: Period,
    file: String,
    sheet: String,
    /// In the order the report lists them, each of the return's unit, file and sheet.
    readings: Vec<Reading>,
    findings: Vec<Finding>,
    /// [`crate::validate::hash_readings`] of the readings.
    figures: String,
}

/// A reading as kept: without its unit, file and sheet; indicator, role, month, cumulative, state, progress,
/// remark and the three cells.
#[derive(Debug, Serialize, Deserialize)]
struct KeptReading(
    CompactString,
    Role,
    Option<f64>,
    Option<f64>,
    Option<MilestoneState>,
    String,
    String,
    CompactString,
    CompactString,
    CompactString,
);

impl KeptReading {
    fn whole(self, origin: &Origin) -> Reading {
        let KeptReading(
            indicator,
            role,
            month,
            cumulative,
            state,
            progress,
            remark,
            month_cell,
            cumulative_cell,
            progress_cell,
        ) = self;
        Reading {
            unit: Arc::clone(&origin.unit),
            indicator,
            role,
            month,
            cumulative,
            state,
            progress,
            remark,
            file: Arc::clone(&origin.file),
            sheet: Arc::clone(&origin.sheet),
            month_cell,
            cumulative_cell,
            progress_cell,
        }
    }
}

impl Kept {
    /// What to keep of a return and its checks; `None` when a reading would not come back as it was (a unit,
    /// file or sheet that is not the return's; or a figure that is not finite, which no return should give).
    pub fn new(ret: &ParsedReturn, checked: &CheckedReturn) -> Option<Kept> {
        let finite = |v: Option<f64>| v.is_none_or(f64::is_finite);
        let comes_back = checked.readings.iter().all(|r| {
            *r.unit == *ret.unit
                && *r.file == *checked.file
                && *r.sheet == *ret.sheet
                && finite(r.month)
                && finite(r.cumulative)
        });
        if !comes_back || checked.unit != ret.unit {
            return None;
        }
        let mut readings = checked.readings.clone();
        // In the order the report lists them (one unit, so by indicator; stable, as the report's sort is): a
        // run that takes them back then finds them sorted and moves none of them.
        readings.sort_by(|a, b| a.indicator.cmp(&b.indicator));
        let figures = crate::validate::hash_readings(&readings);
        Some(Kept {
            unit: ret.unit.clone(),
            period: ret.period,
            file: checked.file.clone(),
            sheet: ret.sheet.clone(),
            readings,
            findings: checked.findings.clone(),
            figures,
        })
    }

    /// The return again, its readings whole.
    pub fn into_return(self) -> Return {
        let Kept {
            unit,
            period,
            file,
            readings,
            findings,
            figures,
            ..
        } = self;
        Return {
            unit: unit.clone(),
            period,
            checked: Some(CheckedReturn {
                unit,
                file,
                readings,
                findings,
                figures: Some(figures),
            }),
        }
    }
}

/// The fields of [`Kept`], in the order they are written.
const KEPT_FIELDS: [&str; 7] = [
    "unit", "period", "file", "sheet", "readings", "findings", "figures",
];

impl Serialize for Kept {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        /// The readings as the arrays [`KeptReading`] reads back (copied: only a return read afresh is kept).
        struct Arrays<'a>(&'a [Reading]);
        impl Serialize for Arrays<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.iter().map(|r| {
                    KeptReading(
                        r.indicator.clone(),
                        r.role,
                        r.month,
                        r.cumulative,
                        r.state,
                        r.progress.clone(),
                        r.remark.clone(),
                        r.month_cell.clone(),
                        r.cumulative_cell.clone(),
                        r.progress_cell.clone(),
                    )
                }))
            }
        }
        let mut st = s.serialize_struct("Kept", KEPT_FIELDS.len())?;
        st.serialize_field("unit", &self.unit)?;
        st.serialize_field("period", &self.period)?;
        st.serialize_field("file", &self.file)?;
        st.serialize_field("sheet", &self.sheet)?;
        st.serialize_field("readings", &Arrays(&self.readings))?;
        st.serialize_field("findings", &self.findings)?;
        st.serialize_field("figures", &self.figures)?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for Kept {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Kept, D::Error> {
        use serde::de::{DeserializeSeed, Error, SeqAccess, Visitor};
        /// The readings' arrays, each made whole with the return's origin as it is decoded.
        struct Arrays<'o>(&'o Origin);
        impl<'de> DeserializeSeed<'de> for Arrays<'_> {
            type Value = Vec<Reading>;
            fn deserialize<D: serde::Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Vec<Reading>, D::Error> {
                d.deserialize_seq(self)
            }
        }
        impl<'de> Visitor<'de> for Arrays<'_> {
            type Value = Vec<Reading>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a kept return's readings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Reading>, A::Error> {
                // A damaged length is not trusted with memory: the readings grow as they come.
                let mut readings = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 10));
                while let Some(k) = seq.next_element::<KeptReading>()? {
                    readings.push(k.whole(self.0));
                }
                Ok(readings)
            }
        }
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = Kept;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a kept return")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kept, A::Error> {
                let missing = |n: usize| A::Error::invalid_length(n, &"a kept return's 7 fields");
                let unit: String = seq.next_element()?.ok_or_else(|| missing(0))?;
                let period: Period = seq.next_element()?.ok_or_else(|| missing(1))?;
                let file: String = seq.next_element()?.ok_or_else(|| missing(2))?;
                let sheet: String = seq.next_element()?.ok_or_else(|| missing(3))?;
                let origin = Origin::new(&unit, &file, &sheet);
                let readings = seq
                    .next_element_seed(Arrays(&origin))?
                    .ok_or_else(|| missing(4))?;
                let findings = seq.next_element()?.ok_or_else(|| missing(5))?;
                let figures = seq.next_element()?.ok_or_else(|| missing(6))?;
                Ok(Kept {
                    unit,
                    period,
                    file,
                    sheet,
                    readings,
                    findings,
                    figures,
                })
            }
        }
        d.deserialize_struct("Kept", &KEPT_FIELDS, Fields)
    }
}

/// What an entry of `.cache-readings.bin` holds after its key and CRC.
#[derive(Deserialize)]
struct Stored {
    format: String,
    learned: Learned,
}

/// [`Stored`] as it is written, borrowing what it holds.
#[derive(Serialize)]
struct StoredRef<'a> {
    format: &'a str,
    learned: &'a Learned,
}

/// Where an output workbook came from and what it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stamp {
    /// Hash of everything the workbook is drawn from.
    pub inputs: String,
    /// SHA-256 of the workbook's bytes as written.
    pub sha256: String,
    /// The file as it was when its bytes were last known to be these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<Seen>,
}

/// A file's size, device, inode, modification and change time. Any write, rename or new link moves the change
/// time on, and unlike the modification time it cannot be set back by hand: while all of them stay as they were,
/// so do the bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seen {
    len: u64,
    #[serde(default)]
    dev: u64,
    ino: u64,
    #[serde(default)]
    mtime: i64,
    #[serde(default)]
    mtime_ns: i64,
    ctime: i64,
    ctime_ns: i64,
}

/// How long ago a file must have changed to be known by its look. Times move in ticks of the clock (a few
/// milliseconds here, two seconds on a FAT share), so a write in the same tick as a look would leave them where
/// they were; a write in any later tick moves them.
const SETTLED: std::time::Duration = std::time::Duration::from_secs(2);

impl Seen {
    /// What `path` looks like now; `None` if it cannot be read.
    pub fn of(path: &Path) -> Option<Seen> {
        std::fs::metadata(path).ok().map(|m| Seen::of_meta(&m))
    }

    /// What `m` says of its file.
    pub fn of_meta(m: &std::fs::Metadata) -> Seen {
        use std::os::unix::fs::MetadataExt;
        Seen {
            len: m.len(),
            dev: m.dev(),
            ino: m.ino(),
            mtime: m.mtime(),
            mtime_ns: m.mtime_nsec(),
            ctime: m.ctime(),
            ctime_ns: m.ctime_nsec(),
        }
    }

    /// Whether the file was last written [`SETTLED`] before `now`: any write from now on moves its look.
    pub fn written_before(&self, now: std::time::SystemTime) -> bool {
        older(self.mtime, self.mtime_ns, now)
    }

    /// Whether it was last written, renamed or linked [`SETTLED`] before `now`: its bytes, read after this
    /// look, are those of the look.
    pub fn settled(&self, now: std::time::SystemTime) -> bool {
        self.written_before(now) && older(self.ctime, self.ctime_ns, now)
    }

    /// Whether `other` is this file with the same bytes, only renamed since (which moves the change time).
    fn renamed_to(&self, other: &Seen) -> bool {
        (self.len, self.dev, self.ino, self.mtime, self.mtime_ns)
            == (other.len, other.dev, other.ino, other.mtime, other.mtime_ns)
    }
}

fn older(secs: i64, nanos: i64, now: std::time::SystemTime) -> bool {
    let Ok(secs) = u64::try_from(secs) else {
        return false;
    };
    let at = std::time::UNIX_EPOCH.checked_add(std::time::Duration::new(
        secs,
        nanos.clamp(0, 999_999_999) as u32,
    ));
    at.and_then(|t| now.duration_since(t).ok())
        .is_some_and(|age| age > SETTLED)
}

/// A period's cache, loaded once per run and shared by the threads that read files.
pub struct Cache {
    /// The period's outbox folder; `None` for a run that must not use a cache.
    dir: Option<PathBuf>,
    /// Writes only from a real run: assessing leaves the workspace as it was.
    writable: bool,
    identity: String,
    /// The plan and settings files as the identity saw them.
    inputs: [Vec<u8>; 2],
    /// The readings file as it was when the run began.
    text: Vec<u8>,
    /// Where each entry's payload lies in `text`, by its key: decoded only when a file asks for it.
    readings: foldhash::HashMap<String, std::ops::Range<usize>>,
    /// Entries in the readings file, for knowing when it holds mostly stale ones.
    lines: usize,
    /// Whether the readings file ends with a whole entry (a run killed mid-append leaves half of one).
    whole: bool,
    used: Mutex<HashSet<String>>,
    hits: AtomicUsize,
    unread: AtomicUsize,
    /// Readings learned in this run, appended as they come, so that a province's worth is never held.
    fresh: Mutex<Fresh>,
    /// The files of the long sheet's pieces this run asked for; `None` if it drew no long sheet.
    pieces: Mutex<Option<HashSet<String>>>,
}

/// The readings file opened for appending by this run, once it has something to add.
#[derive(Default)]
struct Fresh {
    file: Option<std::io::BufWriter<std::fs::File>>,
    lines: usize,
    failed: Option<String>,
}

impl Cache {
    /// Loads the period's cache; `writable` for a run that writes its outputs.
    pub fn open(ws: &Workspace, period: Period, writable: bool) -> Cache {
        let dir = ws.period_dir(period);
        let inputs = inputs(ws);
        let mut h = Sha256::new();
        for part in [
            LAYOUT.as_bytes(),
            env!("CARGO_PKG_VERSION").as_bytes(),
            output::executable().as_bytes(),
            &inputs[0],
            &inputs[1],
            period.to_string().as_bytes(),
        ] {
            // Each part with its length, so that no two different lists of parts hash alike.
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        let identity = output::hex(&h.finalize());
        let text = std::fs::read(readings_path(&dir)).unwrap_or_default();
        let mut count = 0;
        let readings: foldhash::HashMap<String, std::ops::Range<usize>> = entries(&text)
            .filter(|l| !l.is_empty())
            .inspect(|_| count += 1)
            .filter_map(entry)
            .map(|(k, payload)| {
                let start = payload.as_ptr() as usize - text.as_ptr() as usize;
                (k.to_string(), start..start + payload.len())
            })
            .collect();
        Cache {
            dir: Some(dir),
            writable,
            identity,
            inputs,
            readings,
            lines: count,
            whole: text.is_empty() || text.ends_with(&[END]),
            text,
            used: Mutex::new(HashSet::new()),
            hits: AtomicUsize::new(0),
            unread: AtomicUsize::new(0),
            fresh: Mutex::default(),
            pieces: Mutex::new(None),
        }
    }

    /// A cache that holds nothing and keeps nothing.
    pub fn none() -> Cache {
        Cache {
            dir: None,
            writable: false,
            identity: String::new(),
            inputs: Default::default(),
            text: Vec::new(),
            readings: foldhash::HashMap::default(),
            lines: 0,
            whole: true,
            used: Mutex::new(HashSet::new()),
            hits: AtomicUsize::new(0),
            unread: AtomicUsize::new(0),
            fresh: Mutex::default(),
            pieces: Mutex::new(None),
        }
    }

    /// Whether the plan and settings files are still those the cache's identity was made from; a run that
    /// loaded them after opening the cache asks, so that nothing it learns from an edited plan is kept under the
    /// key of the plan before.
    pub fn made_for(&self, ws: &Workspace) -> bool {
        self.dir.is_none() || inputs(ws) == self.inputs
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
        let stored: Stored = self.entry(key)?;
        lock(&self.used).insert(key.to_string());
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some((stored.format, stored.learned))
    }

    /// Keeps what reading a file gave: appended to the readings file at once. An entry is keyed by all it
    /// depends on, so one written by a run that fails later is as good as any.
    pub fn keep(&self, key: &str, format: &str, learned: &Learned) {
        self.append(key, &StoredRef { format, learned }, true);
    }

    /// The entry under `key`, decoded.
    fn entry<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        // COBS is undone in place, in a copy: the text is shared by the threads that read files.
        let mut bytes = self.text[self.readings.get(key)?.clone()].to_vec();
        postcard::from_bytes_cobs(&mut bytes).ok()
    }

    /// The key under which the SHA-256 of the file at `path`, while it looks as `seen`, is kept.
    pub fn file_key(&self, path: &Path, seen: &Seen) -> String {
        let Seen {
            len,
            dev,
            ino,
            mtime,
            mtime_ns,
            ctime,
            ctime_ns,
        } = seen;
        let look = format!("{dev} {ino} {len} {mtime} {mtime_ns} {ctime} {ctime_ns}");
        self.key(&["file", &path.to_string_lossy(), &look])
    }

    /// The SHA-256 an earlier run read from the file with this [`Cache::file_key`].
    pub fn known_sha(&self, key: &str) -> Option<String> {
        let sha: String = self.entry(key)?;
        lock(&self.used).insert(key.to_string());
        Some(sha)
    }

    /// Keeps the SHA-256 read from a file under its [`Cache::file_key`]. Not flushed on its own: one lost to a
    /// killed run costs the next run a read of that file.
    pub fn keep_sha(&self, key: &str, sha: &str) {
        self.append(key, &sha, false);
    }

    /// Keeps the SHA-256 of a file this run has just renamed to `to`, under its new place and look. `before` is
    /// how it looked, written long before, when it was read; a rename moves only the change time, and a write
    /// since would have moved the modification time too.
    pub fn keep_moved(&self, to: &Path, before: &Seen, sha: &str) {
        if let Ok(m) = std::fs::symlink_metadata(to) {
            let after = Seen::of_meta(&m);
            if m.is_file() && before.renamed_to(&after) {
                self.keep_sha(&self.file_key(to, &after), sha);
            }
        }
    }

    /// Appends an entry to the readings file, flushed at once if `flush`.
    fn append(&self, key: &str, value: &impl Serialize, flush: bool) {
        let (Some(dir), true) = (&self.dir, self.writable) else {
            return;
        };
        // Ends with the zero that ends the entry, the only zero COBS leaves in it.
        let Ok(encoded) = postcard::to_allocvec_cobs(value) else {
            return;
        };
        let payload = &encoded[..encoded.len() - 1];
        lock(&self.used).insert(key.to_string());
        let mut fresh = lock(&self.fresh);
        if fresh.failed.is_some() {
            return;
        }
        let result = (|| -> std::io::Result<()> {
            if fresh.file.is_none() {
                std::fs::create_dir_all(dir)?;
                let f = std::fs::File::options()
                    .create(true)
                    .append(true)
                    .open(readings_path(dir))?;
                let mut w = std::io::BufWriter::new(f);
                // A half entry left by a killed run is ended, so that it spoils only itself.
                if !self.whole {
                    w.write_all(&[END])?;
                }
                fresh.file = Some(w);
            }
            let w = fresh.file.as_mut().expect("opened above");
            write!(w, "{key}\t{:08x}\t", crc32fast::hash(payload))?;
            w.write_all(payload)?;
            w.write_all(&[END])?;
            // A reading is written at once: what a killed run read is kept.
            if flush { w.flush() } else { Ok(()) }
        })();
        match result {
            Ok(()) => fresh.lines += 1,
            Err(e) => fresh.failed = Some(e.to_string()),
        }
    }

    /// How many readings came from the cache.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }

    /// Counts a file whose reading came from the cache without reading the file.
    pub fn count_unread(&self) {
        self.unread.fetch_add(1, Ordering::Relaxed);
    }

    /// How many files were not read: known by their look, and what they gave known too.
    pub fn unread(&self) -> usize {
        self.unread.load(Ordering::Relaxed)
    }

    /// Finishes the readings learned in this run; once the entries no file used any more are the greater part,
    /// the file is rewritten without them. A failure is logged, never fatal: the cache is an aid.
    pub fn save(&self) {
        let (Some(dir), true) = (&self.dir, self.writable) else {
            return;
        };
        if let Some(used) = lock(&self.pieces).as_ref() {
            forget_pieces_but(dir, used);
        }
        // The readings as JSON lines, as earlier builds kept them: no build reads them any more.
        let _ = std::fs::remove_file(dir.join(".cache-readings.jsonl"));
        let path = readings_path(dir);
        let mut fresh = lock(&self.fresh);
        if let Some(w) = fresh.file.take()
            && let Err(e) = w.into_inner().map_err(|e| e.into_error())
        {
            fresh.failed.get_or_insert(e.to_string());
        }
        if let Some(e) = &fresh.failed {
            log::warn!("{}: cache not saved: {e}", path.display());
            return;
        }
        let used = lock(&self.used);
        if self.lines + fresh.lines <= 2 * used.len().max(1) {
            return;
        }
        // Compacting reads back what this run appended too.
        let result = std::fs::read(&path).and_then(|text| {
            // A key written twice (its first entry was unreadable) keeps its last sound entry, as reading does.
            let last: HashMap<&str, &[u8]> = entries(&text)
                .filter_map(|l| entry(l).map(|(k, _)| (k, l)))
                .filter(|(k, _)| used.contains(*k))
                .collect();
            let mut kept: Vec<&[u8]> = last.into_values().collect();
            kept.sort_unstable();
            output::write_atomic_with(&path, |w| {
                kept.iter().try_for_each(|l| {
                    w.write_all(l)?;
                    w.write_all(&[END])
                })
            })
            .map_err(|e| std::io::Error::other(e.to_string()))
        });
        if let Err(e) = result {
            log::warn!("{}: cache not compacted: {e}", path.display());
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

/// The stamp of `path` if it holds exactly the workbook `stamp` describes, drawn from `inputs`. A file not
/// touched since its bytes were last known (see [`Seen`]) is not read again; any other is read and hashed, and
/// the stamp comes back with what the file looked like before it was read.
pub fn unchanged(path: &Path, stamp: Option<&Stamp>, inputs: &str) -> Option<Stamp> {
    let s = stamp.filter(|s| !inputs.is_empty() && s.inputs == inputs)?;
    let seen = Seen::of(path)?;
    if s.seen.as_ref() == Some(&seen) {
        return Some(s.clone());
    }
    let bytes = std::fs::read(path).ok()?;
    (sha256_hex(&bytes) == s.sha256).then(|| Stamp {
        seen: Some(seen),
        ..s.clone()
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

/// What ends an entry of the readings file: COBS leaves no other zero in one.
const END: u8 = 0;

/// The entries of a readings file, found with memchr: a province's file is tens of megabytes, read at every start.
fn entries(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    memchr::memchr_iter(END, text)
        .chain(std::iter::once(text.len()))
        .map(move |end| {
            let line = &text[start.min(end)..end];
            start = end + 1;
            line
        })
}

/// A sound entry of the readings file as its key and its COBS-encoded payload: UTF-8 key, and a checksum that
/// matches.
fn entry(line: &[u8]) -> Option<(&str, &[u8])> {
    let mut parts = line.splitn(3, |b| *b == b'\t');
    let key = std::str::from_utf8(parts.next()?).ok()?;
    let crc = std::str::from_utf8(parts.next()?).ok()?;
    let payload = parts.next()?;
    (u32::from_str_radix(crc, 16).ok()? == crc32fast::hash(payload)).then_some((key, payload))
}

/// The plan and settings files' bytes (empty when missing), which the cache's identity covers.
fn inputs(ws: &Workspace) -> [Vec<u8>; 2] {
    [ws.plan_path(), ws.settings_path()].map(|p| std::fs::read(p).unwrap_or_default())
}

/// The long sheet's pieces as this cache keeps them, a file each, named by the key of what made them.
impl Store for Cache {
    fn piece(&self, key: &str) -> Option<Deflated> {
        let dir = self.dir.as_ref()?;
        let name = self.key(&["piece", key]);
        let path = pieces_path(dir).join(&name);
        lock(&self.pieces)
            .get_or_insert_with(HashSet::new)
            .insert(name);
        decode_piece(&std::fs::read(path).ok()?)
    }

    fn keep_piece(&self, key: &str, piece: &Deflated) {
        let (Some(dir), true) = (&self.dir, self.writable) else {
            return;
        };
        let name = self.key(&["piece", key]);
        let dir = pieces_path(dir);
        // No fsync: a piece cut short by a crash fails its check and is deflated again.
        let tmp = dir.join(format!(".{name}.tmp"));
        let written = std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(&tmp, encode_piece(piece)))
            .and_then(|()| std::fs::rename(&tmp, dir.join(&name)));
        if let Err(e) = written {
            log::warn!("{}: piece not kept: {e}", dir.display());
        }
        lock(&self.pieces)
            .get_or_insert_with(HashSet::new)
            .insert(name);
    }
}

/// What a piece's file starts with.
const PIECE_MAGIC: &[u8; 8] = b"hzpiece1";

/// A piece's file: the magic, the CRC-32 and length of its rows, the deflated bytes, and a CRC-32 of all but the
/// magic, so that no damaged byte passes for a piece.
fn encode_piece(piece: &Deflated) -> Vec<u8> {
    let (data, crc, len) = piece.parts();
    let mut out = Vec::with_capacity(data.len() + 24);
    out.extend_from_slice(PIECE_MAGIC);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(data);
    let check = crc32fast::hash(&out[PIECE_MAGIC.len()..]);
    out.extend_from_slice(&check.to_le_bytes());
    out
}

/// The piece in a file [`encode_piece`] wrote; `None` for any other bytes, a file cut short or damaged included.
fn decode_piece(bytes: &[u8]) -> Option<Deflated> {
    let (body, check) = bytes.strip_prefix(PIECE_MAGIC)?.split_last_chunk::<4>()?;
    let (crc, rest) = body.split_first_chunk::<4>()?;
    let (len, data) = rest.split_first_chunk::<8>()?;
    (crc32fast::hash(body) == u32::from_le_bytes(*check)).then(|| {
        Deflated::from_parts(
            data.to_vec(),
            u32::from_le_bytes(*crc),
            u64::from_le_bytes(*len),
        )
    })
}

/// Removes every piece but those `used` names: what the last drawing did not ask for is no longer needed.
fn forget_pieces_but(dir: &Path, used: &HashSet<String>) {
    let Ok(entries) = std::fs::read_dir(pieces_path(dir)) else {
        return;
    };
    for e in entries.flatten() {
        if !used.contains(&*e.file_name().to_string_lossy()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

fn pieces_path(dir: &Path) -> PathBuf {
    dir.join(".cache-pieces")
}

fn readings_path(dir: &Path) -> PathBuf {
    dir.join(".cache-readings.bin")
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
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn entries_are_those_a_split_at_zeros_gives() {
        for text in [
            "",
            "\0",
            "a",
            "a\0",
            "a\0b",
            "a\0\0b\0",
            "\0\0a\tb\n\0",
            "half an entry at the end\0hal",
        ] {
            let split: Vec<&[u8]> = text.as_bytes().split(|b| *b == END).collect();
            assert_eq!(
                entries(text.as_bytes()).collect::<Vec<_>>(),
                split,
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_look_names_bytes_only_once_the_file_has_been_left_alone_past_a_tick() {
        let look = |mtime: i64, ctime: i64| Seen {
            len: 10,
            dev: 1,
            ino: 2,
            mtime,
            mtime_ns: 500,
            ctime,
            ctime_ns: 500,
        };
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        assert!(look(990, 990).settled(now));
        // Written or renamed within the last two seconds: a write in the same tick would not show.
        assert!(!look(998, 990).settled(now));
        assert!(!look(990, 998).settled(now));
        assert!(look(990, 998).written_before(now));
        // A time in the future, or before 1970, is never settled.
        assert!(!look(2_000, 2_000).settled(now));
        assert!(!look(-5, -5).settled(now));

        // A rename moves only the change time; anything else is another file or other bytes.
        let before = look(990, 990);
        assert!(before.renamed_to(&look(990, 999)));
        for other in [
            Seen {
                len: 11,
                ..look(990, 999)
            },
            Seen {
                ino: 3,
                ..look(990, 999)
            },
            Seen {
                dev: 4,
                ..look(990, 999)
            },
            Seen {
                mtime_ns: 501,
                ..look(990, 999)
            },
            look(991, 999),
        ] {
            assert!(!before.renamed_to(&other), "{other:?}");
        }

        // Every part of a look is part of the key its hash is kept under, and so is the path.
        let cache = Cache::none();
        let path = Path::new("inbox/a.xlsx");
        let keys: HashSet<String> = [
            before.clone(),
            Seen {
                len: 11,
                ..before.clone()
            },
            Seen {
                dev: 4,
                ..before.clone()
            },
            Seen {
                ino: 3,
                ..before.clone()
            },
            Seen {
                mtime: 989,
                ..before.clone()
            },
            Seen {
                mtime_ns: 1,
                ..before.clone()
            },
            Seen {
                ctime: 989,
                ..before.clone()
            },
            Seen {
                ctime_ns: 1,
                ..before.clone()
            },
        ]
        .iter()
        .map(|s| cache.file_key(path, s))
        .chain([cache.file_key(Path::new("inbox/b.xlsx"), &before)])
        .collect();
        assert_eq!(keys.len(), 9);
    }

    #[test]
    fn figures_come_back_from_the_cache_to_the_last_bit() {
        let figures = [
            0.1 + 0.2,
            29.020000000000003,
            12_345.678_901_234_567,
            2.225_073_858_507_201e-308,
            9_007_199_254_740_993.0,
            1.0 / 3.0,
            123_456_789.123_456_79,
            -0.0,
        ];
        let tmp = tempfile::tempdir().unwrap();
        let ws = Workspace::new(tmp.path());
        let period = Period::new(2020, 10).unwrap();
        let cache = Cache::open(&ws, period, true);
        let (ret, checked) = checked_return();
        for (n, v) in figures.iter().enumerate() {
            let mut checked = checked.clone();
            checked.readings[0].month = Some(*v);
            checked.readings[0].cumulative = Some(-v);
            let kept = Kept::new(&ret, &checked).unwrap();
            cache.keep(&n.to_string(), "xlsx", &Learned::Checked(Box::new(kept)));
        }
        cache.save();
        let cache = Cache::open(&ws, period, true);
        for (n, v) in figures.iter().enumerate() {
            let Some((_, Learned::Checked(back))) = cache.reading(&n.to_string()) else {
                panic!("{n} not kept");
            };
            let back = back.into_return().checked.unwrap();
            let first = back
                .readings
                .iter()
                .find(|r| r.indicator == checked.readings[0].indicator)
                .unwrap();
            assert_eq!(first.month.map(f64::to_bits), Some(v.to_bits()), "{v}");
            assert_eq!(first.cumulative.map(f64::to_bits), Some((-v).to_bits()));
        }
    }

    fn checked_return() -> (ParsedReturn, CheckedReturn) {
        let ret = ParsedReturn {
            unit: "anding".to_string(),
            period: Period::new(2020, 10).unwrap(),
            unit_source: crate::ingest::parse::Source::Meta,
            period_source: crate::ingest::parse::Source::Meta,
            sheet: "进展填报".to_string(),
            columns: Default::default(),
            rows: Vec::new(),
            findings: Vec::new(),
        };
        let reading =
            |indicator: &str, month: Option<f64>, state: Option<MilestoneState>| Reading {
                unit: "anding".into(),
                indicator: indicator.into(),
                role: Role::CountyShare,
                month,
                cumulative: month.map(|m| m * 10.0),
                state,
                progress: "进展\n顺利".to_string(),
                remark: "备注".to_string(),
                file: "安定区.xlsx".into(),
                sheet: "进展填报".into(),
                month_cell: "F4".into(),
                cumulative_cell: Default::default(),
                progress_cell: "H4".into(),
            };
        let checked = CheckedReturn {
            unit: "anding".to_string(),
            file: "安定区.xlsx".to_string(),
            readings: vec![
                reading("T2.1-01", Some(0.1 + 0.2), None),
                reading("T2.1-02", None, Some(MilestoneState::InProgress)),
            ],
            findings: vec![
                Finding::new(Code::Spike, "突增").unit("anding").at(
                    "安定区.xlsx",
                    "进展填报",
                    "G4",
                ),
                Finding::new(Code::NotAReturn, "另一个文件").at("附件.xlsx", "", ""),
            ],
            figures: None,
        };
        (ret, checked)
    }

    #[test]
    fn a_checked_return_comes_back_from_the_cache_as_it_was_kept() {
        let (ret, checked) = checked_return();
        let kept = Kept::new(&ret, &checked).unwrap();
        let mut bytes = postcard::to_allocvec_cobs(&Learned::Checked(Box::new(kept))).unwrap();
        let Learned::Checked(back) = postcard::from_bytes_cobs(&mut bytes).unwrap() else {
            panic!("not a return");
        };
        let back = back.into_return();
        assert_eq!((back.unit.as_str(), back.period), ("anding", ret.period));
        let again = back.checked.unwrap();
        assert_eq!((again.unit, again.file), (checked.unit, checked.file));
        assert_eq!(again.readings, checked.readings);
        assert_eq!(again.findings, checked.findings);
        // The figures' hash comes back with them, the hash of the readings as they came back.
        assert_eq!(
            again.figures,
            Some(crate::validate::hash_readings(&again.readings))
        );

        // A figure that is not finite, or a reading from elsewhere, is not kept.
        let (ret, mut checked) = checked_return();
        checked.readings[0].month = Some(f64::NAN);
        assert!(Kept::new(&ret, &checked).is_none());
        let (ret, mut checked) = checked_return();
        checked.readings[1].sheet = "其他".into();
        assert!(Kept::new(&ret, &checked).is_none());
    }

    #[test]
    fn a_renamed_return_carries_its_new_name_on_its_own_readings_and_findings_only() {
        let (_, checked) = checked_return();
        let renamed = checked.renamed("安定区.xlsx [GBK]");
        assert_eq!(renamed.file, "安定区.xlsx [GBK]");
        assert!(
            renamed
                .readings
                .iter()
                .all(|r| &*r.file == "安定区.xlsx [GBK]")
        );
        assert_eq!(renamed.findings[0].file, "安定区.xlsx [GBK]");
        assert_eq!(renamed.findings[1].file, "附件.xlsx");
    }

    #[test]
    fn a_cache_opened_before_the_plan_or_settings_changed_says_so() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = Workspace::new(tmp.path());
        let period = Period::new(2020, 10).unwrap();
        std::fs::create_dir_all(ws.plan_path().parent().unwrap()).unwrap();
        std::fs::write(ws.plan_path(), "[plan]\nid = \"a\"\n").unwrap();
        let cache = Cache::open(&ws, period, true);
        assert!(cache.made_for(&ws));
        std::fs::write(ws.settings_path(), "sum_tolerance = 1\n").unwrap();
        assert!(!cache.made_for(&ws), "settings written after it was opened");
        let cache = Cache::open(&ws, period, true);
        assert!(cache.made_for(&ws));
        std::fs::write(ws.plan_path(), "[plan]\nid = \"b\"\n").unwrap();
        assert!(!cache.made_for(&ws), "the plan edited after it was opened");
        assert!(
            Cache::none().made_for(&ws),
            "a cache that keeps nothing cannot mislead"
        );
    }

    #[test]
    fn readings_are_appended_as_they_come_and_stale_ones_dropped_on_save() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = Workspace::new(tmp.path());
        let period = Period::new(2020, 10).unwrap();
        let not_usable = |why: &str| Learned::NotUsable(Code::NotAReturn, why.to_string());
        let first = Cache::open(&ws, period, true);
        for k in ["a", "b", "c"] {
            first.keep(k, "xlsx", &not_usable(k));
        }
        // Appended already, before the run has saved anything: a run killed now keeps what it read.
        let path = readings_path(&ws.period_dir(period));
        let entries_in = |path: &Path| -> Vec<Vec<u8>> {
            let bytes = std::fs::read(path).unwrap();
            entries(&bytes)
                .filter(|e| !e.is_empty())
                .map(<[u8]>::to_vec)
                .collect()
        };
        assert_eq!(entries_in(&path).len(), 3);
        first.save();
        // Half an entry left by a killed run, then a run that meets only "b" and learns "d".
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"x\t{\"form")
            .unwrap();
        let second = Cache::open(&ws, period, true);
        assert!(
            matches!(second.reading("b"), Some((f, Learned::NotUsable(_, why))) if f == "xlsx" && why == "b")
        );
        assert!(second.reading("x").is_none(), "half an entry is no entry");
        second.keep("d", "xls", &not_usable("d"));
        second.save();
        let keys: Vec<String> = entries_in(&path)
            .iter()
            .map(|e| String::from_utf8(e.split(|b| *b == b'\t').next().unwrap().to_vec()).unwrap())
            .collect();
        assert_eq!(
            keys,
            ["b", "d"],
            "five entries, two used: rewritten with the used ones"
        );
        let third = Cache::open(&ws, period, true);
        assert!(matches!(third.reading("d"), Some((f, _)) if f == "xls"));

        // An entry damaged on disk that still decodes is not believed.
        let mut bytes = std::fs::read(&path).unwrap();
        let d = bytes.windows(3).position(|w| w == b"\0d\t").unwrap();
        let at = d + bytes[d..].windows(3).position(|w| w == b"xls").unwrap();
        bytes[at + 2] = b't';
        std::fs::write(&path, bytes).unwrap();
        let fourth = Cache::open(&ws, period, true);
        assert!(fourth.reading("d").is_none());
        assert!(fourth.reading("b").is_some());
    }

    #[test]
    fn a_key_changes_with_each_part_and_with_where_parts_split() {
        let cache = Cache::none();
        let k = cache.reading_key("ab", "c", None);
        assert_ne!(k, cache.reading_key("a", "bc", None));
        assert_ne!(k, cache.reading_key("ab", "c", Some("kjj")));
        assert_eq!(k, cache.reading_key("ab", "c", None));
    }

    #[test]
    fn a_piece_comes_back_as_kept_and_a_damaged_one_not_at_all() {
        let piece = Deflated::from_parts(b"deflated rows".to_vec(), 0x1234_5678, 99);
        let file = encode_piece(&piece);
        let back = decode_piece(&file).unwrap();
        assert_eq!(back.parts(), piece.parts());
        for at in [0, 9, 14, 21, file.len() - 1] {
            let mut damaged = file.clone();
            damaged[at] ^= 1;
            assert!(decode_piece(&damaged).is_none(), "byte {at}");
        }
        for len in [0, 8, 23, file.len() - 1] {
            assert!(decode_piece(&file[..len]).is_none(), "cut at {len}");
        }
    }
}
