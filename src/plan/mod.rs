//! The plan catalogue: its model, loading and checking it, and drafting it from a notice.

pub mod check;
pub mod extract;
pub mod import;
pub mod init;
pub mod model;

use std::path::Path;
use std::sync::Arc;

use crate::error::Error;
pub use model::Catalogue;

/// Reads a catalogue file; a missing one is a usage error naming it.
fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            Error::NoPlan {
                path: path.to_path_buf(),
                root: path
                    .parent()
                    .and_then(Path::parent)
                    .unwrap_or(Path::new("."))
                    .to_path_buf(),
            }
        } else {
            Error::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })
}

/// Loads a catalogue from a TOML file and checks it; problems are returned, not printed.
pub fn load(path: &Path) -> Result<Arc<Catalogue>, Error> {
    load_with(path, None)
}

/// [`load`] through `store`: the parsed catalogue of the text last loaded, kept as JSON under a key of the
/// text and the tool. Parsing a province's plan (8 MB of TOML) takes a run a sixth of a second; reading it
/// back, a twentieth. Only a catalogue that passed the checks is kept, and its key and CRC tie it to the text
/// and tool they were passed for, so what is read back is not checked again (on a province's plan that saves
/// a run another tenth of a second at its start). A store saves time and nothing else: when it is missing,
/// stale or damaged, the text is parsed and checked, and, with `keep`, the store written afresh (a run keeps
/// it; commands that change nothing only read it).
pub fn load_stored(path: &Path, store: &Path, keep: bool) -> Result<Arc<Catalogue>, Error> {
    load_with(path, Some((store, keep)))
}

fn load_with(path: &Path, store: Option<(&Path, bool)>) -> Result<Arc<Catalogue>, Error> {
    // A run checks the workspace and then loads it, and watch loads it for every run: the same text gives the
    // same catalogue, shared rather than parsed and checked again (or copied: a province's is megabytes).
    static LAST: std::sync::Mutex<Option<(String, Arc<Catalogue>)>> = std::sync::Mutex::new(None);
    let text = read(path)?;
    if let Ok(last) = LAST.lock()
        && let Some((t, c)) = last.as_ref()
        && *t == text
    {
        return Ok(Arc::clone(c));
    }
    // Without the running tool's identity a store could outlive a change of the tool: none is used.
    let tool = crate::output::executable();
    let store = store.filter(|_| !tool.is_empty());
    let key = store.map(|_| store_key(&tool, &text)).unwrap_or_default();
    let kept = store.and_then(|(s, _)| stored(&std::fs::read(s).ok()?, &key));
    let catalogue = match kept {
        Some(c) => c,
        None => {
            let c = verify(path, &text, parse(path, &text)?)?;
            if let Some((store, true)) = store {
                keep(store, &key, &c);
            }
            c
        }
    };
    let catalogue = Arc::new(catalogue);
    if let Ok(mut last) = LAST.lock() {
        *last = Some((text, Arc::clone(&catalogue)));
    }
    Ok(catalogue)
}

/// Bumped whenever the stored form changes.
const STORE_LAYOUT: &str = "huizong-plan-1";

/// What a stored catalogue must have been made from: this layout, this tool (its version and `executable`) and
/// this text.
fn store_key(executable: &str, text: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [STORE_LAYOUT, env!("CARGO_PKG_VERSION"), executable, text] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    crate::output::hex(&h.finalize())
}

/// The catalogue in a store's bytes: a line with the key, a line with the CRC-32 of the JSON, the JSON.
fn stored(bytes: &[u8], key: &str) -> Option<Catalogue> {
    let mut parts = bytes.splitn(3, |b| *b == b'\n');
    let (k, crc, json) = (parts.next()?, parts.next()?, parts.next()?);
    if k != key.as_bytes() || crc != format!("{:08x}", crc32fast::hash(json)).as_bytes() {
        return None;
    }
    serde_json::from_slice(json).ok()
}

/// Writes the store; a store that cannot be written costs the next run time, nothing else. JSON writes a
/// float that is not finite as null: a catalogue holding one is refused by the checks before it gets here.
///
/// It goes through one temp file of its own, so that a write cut short leaves nothing behind that the next
/// one does not replace; and it is not flushed to disk, since a store cut short fails its CRC and is only
/// parsed past.
fn keep(store: &Path, key: &str, catalogue: &Catalogue) {
    let Ok(json) = serde_json::to_vec(catalogue) else {
        return;
    };
    let mut bytes = format!("{key}\n{:08x}\n", crc32fast::hash(&json)).into_bytes();
    bytes.extend_from_slice(&json);
    let tmp = store.with_extension("tmp");
    let written = store
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&tmp, &bytes))
        .and_then(|()| std::fs::rename(&tmp, store));
    if let Err(e) = written {
        log::debug!(
            "the parsed plan is not kept in {} ({e}); the next run parses it again",
            store.display()
        );
    }
}

/// The catalogue a TOML text describes; a syntax error names the file.
fn parse(path: &Path, text: &str) -> Result<Catalogue, Error> {
    Catalogue::from_toml(text).map_err(|e| Error::PlanSyntax {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// `catalogue` if it has no problems and its text no review marks left.
fn verify(path: &Path, text: &str, catalogue: Catalogue) -> Result<Catalogue, Error> {
    let mut problems = check::check(&catalogue);
    problems.extend(check::review_marks(text));
    if !problems.is_empty() {
        return Err(Error::PlanInvalid {
            path: path.to_path_buf(),
            problems: problems.iter().map(ToString::to_string).collect(),
        });
    }
    Ok(catalogue)
}

/// What `plan check` found in a catalogue file.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// Problems that make the catalogue unusable, review marks included.
    pub problems: Vec<check::Problem>,
    /// Things worth fixing that do not stop a run (a unit without an email).
    pub warnings: Vec<check::Problem>,
    /// Units, tasks and indicators in the catalogue.
    pub counts: (usize, usize, usize),
}

/// `huizong plan check`: every problem and warning of a catalogue file; the caller prints them.
pub fn check_file(path: &Path) -> Result<CheckReport, Error> {
    let text = read(path)?;
    let catalogue = Catalogue::from_toml(&text).map_err(|e| Error::PlanSyntax {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut problems = check::check(&catalogue);
    problems.extend(check::review_marks(&text));
    Ok(CheckReport {
        problems,
        warnings: check::warnings(&catalogue),
        counts: (
            catalogue.units.len(),
            catalogue.tasks.len(),
            catalogue.indicators().count(),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in plan under another title, so that no other test's load is remembered in its place.
    fn plan(title: &str) -> String {
        crate::demo::BUILTIN_PLAN.replacen(
            "title = \"定西市创新助力拓存创增促进经济社会发展实施方案\"",
            &format!("title = \"{title}\""),
            1,
        )
    }

    #[test]
    fn a_kept_plan_is_read_back_and_a_damaged_or_stale_store_changes_nothing_but_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.toml");
        let store = dir.path().join("outbox/.cache-plan.json");
        let (a, b) = (plan("存储测试甲"), plan("存储测试乙"));
        let load = |text: &str, keep: bool| {
            std::fs::write(&path, text).unwrap();
            load_stored(&path, &store, keep)
        };

        // Commands that change nothing do not write it; a run does.
        assert_eq!(load(&a, false).unwrap().plan.title, "存储测试甲");
        assert!(!store.exists());
        let parsed = load(&b, true).unwrap();
        assert_eq!(
            parsed.to_toml(),
            Catalogue::from_toml(&b).unwrap().to_toml()
        );
        let bytes = std::fs::read(&store).unwrap();
        assert!(stored(&bytes, &store_key(&crate::output::executable(), &b)).is_some());
        assert!(!store.with_extension("tmp").exists(), "no temp file left");

        // It is read back: a store made for the text is believed without parsing it again.
        let mut forged = Catalogue::from_toml(&b).unwrap();
        forged.plan.title = "读回的目录".to_string();
        keep(
            &store,
            &store_key(&crate::output::executable(), &b),
            &forged,
        );
        load(&a, false).unwrap();
        assert_eq!(load(&b, false).unwrap().plan.title, "读回的目录");

        // A damaged store is parsed past, and a run writes it afresh.
        let mut bytes = std::fs::read(&store).unwrap();
        let last = bytes.len() - 10;
        bytes[last] ^= 0x01;
        std::fs::write(&store, &bytes).unwrap();
        load(&a, false).unwrap();
        assert_eq!(load(&b, true).unwrap().plan.title, "存储测试乙");
        assert!(
            stored(
                &std::fs::read(&store).unwrap(),
                &store_key(&crate::output::executable(), &b)
            )
            .is_some()
        );

        // A changed plan is checked, whatever the store holds: a review mark left in it stops the run.
        let marked = format!("{b}\n# REVIEW: 目标待核实\n");
        assert!(matches!(
            load(&marked, true),
            Err(Error::PlanInvalid { .. })
        ));
        assert_eq!(load(&b, false).unwrap().plan.title, "存储测试乙");
    }
}
