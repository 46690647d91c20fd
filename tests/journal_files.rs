//! Appending to journals people edited by hand: CRLF line ends, no final newline, prose and
//! headings of their own. What was there is kept byte for byte; the new entry parses back.

mod cli_support;

use cli_support::{init_project, succeeded};
use std::path::Path;
use std::process::Command;

fn project_with_journal(content: &[u8]) -> tempfile::TempDir {
    let dir = init_project(&[]);
    std::fs::write(dir.path().join("notes/experiments.md"), content).unwrap();
    dir
}

fn note(root: &Path, args: &[&str]) {
    succeeded(
        Command::new(env!("CARGO_BIN_EXE_tinct"))
            .arg("note")
            .arg("-p")
            .arg(root)
            .args(args)
            .output()
            .unwrap(),
    );
}

fn journal_json(root: &Path) -> Vec<serde_json::Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_tinct"))
        .arg("journal")
        .arg("-p")
        .arg(root)
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn crlf_hand_edited_journal_without_final_newline() {
    let original = b"# Reel 4 log\r\n\r\nWrote this by hand in Notepad.\r\n## My own heading\r\n- a list item, no newline at the end";
    let dir = project_with_journal(original);
    note(
        dir.path(),
        &[
            "--kind",
            "decision",
            "--step",
            "align-model",
            "similarity: no keystone",
        ],
    );
    note(dir.path(), &["second note"]);
    let path = dir.path().join("notes/experiments.md");
    let after = std::fs::read(&path).unwrap();
    assert!(after.starts_with(original), "hand-written text was changed");
    let added = String::from_utf8(after[original.len()..].to_vec()).unwrap();
    assert!(
        !added.replace("\r\n", "").contains('\n'),
        "mixed line ends appended: {added:?}"
    );
    let entries = journal_json(dir.path());
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["text"], "similarity: no keystone");
    assert_eq!(entries[0]["kind"], "decision");
    assert_eq!(entries[0]["stage"], "alignment");
    assert_eq!(entries[0]["step"], "align-model");
    assert_eq!(entries[1]["text"], "second note");
}

#[test]
fn prose_added_between_entries_is_kept_and_skipped() {
    let dir = project_with_journal(b"");
    note(dir.path(), &["first"]);
    let path = dir.path().join("notes/experiments.md");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\nAfternoon: the projector bulb died, resumed at 15:00.\n");
    std::fs::write(&path, &text).unwrap();
    note(
        dir.path(),
        &[
            "--kind",
            "qc-fail",
            "--stage",
            "inference",
            "flicker in shot 12",
        ],
    );
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(after.starts_with(&text));
    let entries = journal_json(dir.path());
    let texts: Vec<&str> = entries
        .iter()
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["first", "flicker in shot 12"]);
    assert_eq!(entries[1]["kind"], "qc-fail");
}

#[test]
fn note_from_stdin_keeps_its_lines() {
    let dir = project_with_journal(b"# log\n");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tinct"))
        .args(["note", "-p", dir.path().to_str().unwrap(), "-"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"line one\n\n> quoted\n## 2020-01-01T00:00:00Z \xc2\xb7 note\n")
        .unwrap();
    assert!(child.wait().unwrap().success());
    let entries = journal_json(dir.path());
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0]["text"],
        "line one\n\n> quoted\n## 2020-01-01T00:00:00Z · note"
    );
}

#[test]
fn unknown_step_is_refused() {
    let dir = project_with_journal(b"");
    let out = Command::new(env!("CARGO_BIN_EXE_tinct"))
        .args([
            "note",
            "-p",
            dir.path().to_str().unwrap(),
            "--step",
            "nope",
            "text",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no step `nope`"));
}
