//! Concurrent appends: writers in separate processes never lose or interleave entries.
//!
//! The 8 x 50 case re-runs this test binary as 8 writer processes (each appending 50 entries
//! through the library as fast as it can), so the 400 appends truly race. A second test does the
//! same through the real `tinct note` command, with fewer entries per process since each one
//! starts a full binary.

mod cli_support;

use std::path::Path;
use std::process::{Child, Command};
use tinct::journal::{Entry, Journal, Kind};

const WRITER_ENV: &str = "TINCT_TEST_JOURNAL_WRITER";

/// Runs only inside a writer process (the env var names the journal and the writer's number).
#[test]
fn writer_process() {
    let Ok(spec) = std::env::var(WRITER_ENV) else {
        return;
    };
    let (path, writer) = spec.rsplit_once('|').unwrap();
    let journal = Journal::open(path);
    for i in 0..50 {
        let mut e = Entry::new(
            Kind::Note,
            format!("writer {writer} entry {i}\nsecond line of {writer}/{i}"),
        )
        .at(Some("training"), Some("watch-training"));
        e.metrics.insert("i".into(), serde_json::json!(i));
        journal.append(&e).unwrap();
    }
}

fn assert_all_entries(path: &Path, writers: usize, per_writer: usize, multiline: bool) {
    let entries = Journal::open(path).entries().unwrap();
    assert_eq!(entries.len(), writers * per_writer);
    let mut seen = std::collections::BTreeSet::new();
    for e in &entries {
        let first = e.text.lines().next().unwrap();
        let rest: Vec<&str> = first.split(' ').collect();
        assert!(
            matches!(rest.as_slice(), ["writer", _, "entry", _]),
            "mangled entry text {:?}",
            e.text
        );
        let (w, i) = (rest[1], rest[3]);
        if multiline {
            assert_eq!(
                e.text,
                format!("writer {w} entry {i}\nsecond line of {w}/{i}"),
                "interleaved entry"
            );
        }
        assert!(
            seen.insert((w.to_string(), i.to_string())),
            "duplicate entry {w}/{i}"
        );
    }
    // Nothing but entries was written: every line belongs to one (the file starts empty).
    let text = std::fs::read_to_string(path).unwrap();
    assert_eq!(
        text.matches("\n## ").count() + usize::from(text.starts_with("## ")),
        writers * per_writer
    );
}

#[test]
fn eight_processes_times_fifty_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes/experiments.md");
    let me = std::env::current_exe().unwrap();
    let children: Vec<Child> = (0..8)
        .map(|w| {
            Command::new(&me)
                .args(["--exact", "writer_process", "--test-threads=1"])
                .env(WRITER_ENV, format!("{}|{w}", path.display()))
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert_all_entries(&path, 8, 50, true);
}

#[test]
fn eight_tinct_note_processes_at_once() {
    let dir = cli_support::init_project(&[]);
    let tinct = env!("CARGO_BIN_EXE_tinct");
    let journal = dir.path().join("notes/experiments.md");
    let template = std::fs::read_to_string(&journal).unwrap();
    let per_writer = 6;
    let threads: Vec<_> = (0..8)
        .map(|w| {
            let root = dir.path().to_path_buf();
            std::thread::spawn(move || {
                for i in 0..per_writer {
                    cli_support::succeeded(
                        Command::new(tinct)
                            .args(["note", "-p", root.to_str().unwrap()])
                            .args(["--kind", "qc-pass", &format!("writer {w} entry {i}")])
                            .output()
                            .unwrap(),
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(text.starts_with(&template), "the template was rewritten");
    let entries = Journal::open(&journal).entries().unwrap();
    assert_eq!(entries.len(), 8 * per_writer);
    assert!(entries.iter().all(|e| e.kind == Kind::QcPass));
    let out = Command::new(tinct)
        .args(["journal", "-p", dir.path().to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 8 * per_writer);
    assert!(json[0]["text"].as_str().unwrap().starts_with("writer "));
}
