//! The SOP checklist through the CLI: gating, resuming where the operator left off, the journal
//! entries that decisions leave, and a project SOP edited while the project is in progress.

mod cli_support;

use cli_support::init_project;
use std::path::Path;
use std::process::{Command, Output};

fn tinct(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tinct"))
        .args(args)
        .arg("-p")
        .arg(root)
        .output()
        .unwrap()
}

fn ok(root: &Path, args: &[&str]) -> String {
    let out = tinct(root, args);
    assert!(
        out.status.success(),
        "tinct {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn sop_json(root: &Path) -> serde_json::Value {
    serde_json::from_str(&ok(root, &["sop", "--json"])).unwrap()
}

fn new_project() -> tempfile::TempDir {
    init_project(&["--reference-offset", "-2"])
}

#[test]
fn checklist_gates_resumes_and_journals_decisions() {
    let dir = new_project();
    let root = dir.path();
    let s = sop_json(root);
    assert_eq!(
        (s["done"].as_u64(), s["total"].as_u64()),
        (Some(0), Some(28))
    );
    assert_eq!(s["current"], "inspect-source");

    // Gating: the answer names the open requirement.
    let out = tinct(root, &["sop", "check", "sync"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("step `sync` is blocked: first finish `colorspaces`")
    );

    ok(root, &["sop", "check", "inspect-source"]);
    ok(
        root,
        &[
            "sop",
            "check",
            "inspect-reference",
            "--note",
            "29.97 transfer, no pulldown",
        ],
    );
    let out = tinct(root, &["sop", "check", "colorspaces"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("record the choice and why with --note"));
    ok(
        root,
        &[
            "sop",
            "check",
            "colorspaces",
            "--note",
            "source cineon log, reference rec709",
        ],
    );

    // A new process resumes at the same step: the state is in the project.
    let s = sop_json(root);
    assert_eq!(s["done"], 3);
    assert_eq!(s["current"], "sync");
    assert!(root.join(".tinct/state.toml").is_file());

    let journal: serde_json::Value =
        serde_json::from_str(&ok(root, &["journal", "--json"])).unwrap();
    let kinds: Vec<&str> = journal
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["note", "decision"],
        "plain checks without a note leave no entry"
    );
    assert_eq!(journal[1]["text"], "source cineon log, reference rec709");
    assert_eq!(journal[1]["stage"], "dataset");

    // Undo refuses while later steps depend on it, then cascades on request.
    let out = tinct(root, &["sop", "undo", "inspect-source"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("`colorspaces`"));
    let undone = ok(root, &["sop", "undo", "inspect-source", "--cascade"]);
    assert!(undone.contains("inspect-source, colorspaces"), "{undone}");
    assert_eq!(sop_json(root)["done"], 1);

    // Status shows the same progress.
    let status: serde_json::Value = serde_json::from_str(&ok(root, &["status", "--json"])).unwrap();
    assert_eq!(status["sop"]["done"], 1);
    assert_eq!(status["reference_offset"], -2);
}

#[test]
fn editing_the_project_sop_keeps_known_steps_and_reports_the_rest() {
    let dir = new_project();
    let root = dir.path();
    ok(root, &["sop", "check", "inspect-source"]);
    ok(root, &["sop", "check", "inspect-reference"]);

    // The project switches to its own copy of the SOP, with a step renamed.
    let sop = tinct::sop::BUILTIN_TEXT
        .replace("id = \"inspect-reference\"", "id = \"inspect-transfer\"")
        .replace(
            "requires = [\"inspect-source\", \"inspect-reference\"]",
            "requires = [\"inspect-source\", \"inspect-transfer\"]",
        );
    std::fs::write(root.join("our-sop.toml"), sop).unwrap();
    let config = std::fs::read_to_string(root.join("tinct.toml"))
        .unwrap()
        .replace("sop = \"\"", "sop = \"our-sop.toml\"");
    std::fs::write(root.join("tinct.toml"), config).unwrap();

    let s = sop_json(root);
    assert_eq!(s["done"], 1);
    assert_eq!(s["current"], "inspect-transfer");
    assert_eq!(
        s["reconciliation"]["kept"],
        serde_json::json!(["inspect-source"])
    );
    assert_eq!(
        s["reconciliation"]["unknown"],
        serde_json::json!(["inspect-reference"])
    );
    let human = ok(root, &["sop"]);
    assert!(
        human.contains("no longer has") && human.contains("inspect-reference"),
        "{human}"
    );
}

#[test]
fn init_refuses_an_existing_project_without_force() {
    let dir = new_project();
    let out = Command::new(env!("CARGO_BIN_EXE_tinct"))
        .args([
            "init",
            dir.path().to_str().unwrap(),
            "--source",
            "a",
            "--reference",
            "b",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    for sub in [
        "pipeline/01_dataset_curation",
        "pipeline/05_matchgrade_render",
        "runs",
        "notes/experiments.md",
    ] {
        assert!(dir.path().join(sub).exists(), "{sub}");
    }
}
