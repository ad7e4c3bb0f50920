//! The README documents what the tool does.

use huizong::finding::Code;

#[test]
fn readme_lists_every_finding_code() {
    let readme = std::fs::read_to_string(crate::util::repo().join("README.md")).unwrap();
    for code in Code::ALL {
        let name = serde_json::to_string(code)
            .unwrap()
            .trim_matches('"')
            .to_string();
        assert!(
            readme.contains(&format!("| `{name}` |")),
            "README lacks {name}"
        );
    }
}
