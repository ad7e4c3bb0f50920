//! Every file of `../shared/corpus` through one run: no panic, each file accounted for, none changed.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::util::{self, Workspace};

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_whole_corpus_is_read_without_loss() {
    let Some(shared) = util::shared() else { return };
    let ws = Workspace::new();
    let mut originals: HashMap<String, String> = HashMap::new();
    for source in std::fs::read_dir(shared.join("corpus")).unwrap() {
        let source = source.unwrap().path();
        if !source.is_dir() {
            continue;
        }
        let prefix = source.file_name().unwrap().to_string_lossy().into_owned();
        for file in std::fs::read_dir(&source).unwrap() {
            let file = file.unwrap().path();
            let name = format!("{prefix}__{}", file.file_name().unwrap().to_string_lossy());
            let bytes = std::fs::read(&file).unwrap();
            originals.insert(name.clone(), sha(&bytes));
            std::fs::write(ws.path().join("inbox").join(&name), bytes).unwrap();
        }
    }
    assert!(
        originals.len() > 500,
        "the corpus looks incomplete: {} files",
        originals.len()
    );

    let started = Instant::now();
    let out = ws.ok(&["run", "--period", "2020-10"]);
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(300),
        "the corpus took {took:?}: some file hangs the reader"
    );
    assert!(util::stdout(&out).contains("files in ="));

    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(ws.path().join("outbox/2020-10/report.json")).unwrap(),
    )
    .unwrap();
    let files = report["files"].as_array().unwrap();
    let mut seen = 0;
    for f in files {
        let name = f["name"].as_str().unwrap();
        let Some(original) = originals.get(name) else {
            continue;
        };
        seen += 1;
        let disposition = f["disposition"].as_str().unwrap();
        assert!(
            [
                "accepted",
                "rejected",
                "duplicate",
                "ignored",
                "other_period",
                "superseded"
            ]
            .contains(&disposition),
            "{name}: {disposition}"
        );
        if disposition == "rejected" {
            assert!(
                !f["reason"].as_str().unwrap().is_empty(),
                "{name} rejected without a reason"
            );
        }
        let now = ws.path().join(f["location"].as_str().unwrap());
        let bytes = std::fs::read(&now)
            .unwrap_or_else(|e| panic!("{name} is not at {}: {e}", now.display()));
        assert_eq!(&sha(&bytes), original, "{name} was changed");
    }
    assert_eq!(
        seen,
        originals.len(),
        "some corpus files are missing from the report"
    );
    util::assert_files_add_up(&report);
}
