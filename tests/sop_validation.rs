//! Invalid SOP files: each error names the file, the line and the step id at fault.

use std::path::{Path, PathBuf};
use tinct::sop::Sop;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sop")
        .join(name)
}

fn error_of(name: &str) -> String {
    let path = fixture(name);
    let e = Sop::load(&path).expect_err(name).to_string();
    let prefix = format!("{}:", path.display());
    assert!(e.starts_with(&prefix), "{e}");
    e[prefix.len()..].to_string()
}

#[test]
fn duplicate_step_id() {
    assert_eq!(
        error_of("duplicate_id.toml"),
        "15: step `look`: duplicate step id (already used in stage `one`)"
    );
}

#[test]
fn requirement_naming_no_step() {
    assert_eq!(
        error_of("unknown_requires.toml"),
        "15: step `choose`: requires unknown step `lok`"
    );
}

#[test]
fn action_without_stage() {
    assert_eq!(
        error_of("action_without_stage.toml"),
        "15: step `run-align`: action step without `stage` (the stage job it launches, e.g. stage = \"align\")"
    );
}

#[test]
fn requirement_that_comes_later() {
    assert_eq!(
        error_of("requires_later.toml"),
        "15: step `first`: requires `second`, which comes later in the SOP (requirements must come first)"
    );
}

#[test]
fn unknown_kind_names_line_and_column() {
    let e = error_of("bad_kind.toml");
    assert!(e.starts_with("17:8: unknown variant `chek`"), "{e}");
}

#[test]
fn unknown_stage_of_an_action() {
    let e = error_of("unknown_stage.toml");
    assert!(e.starts_with("18:9: unknown variant `allign`"), "{e}");
}

#[test]
fn the_shipped_sop_loads_from_the_repository() {
    let sop =
        Sop::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("sop/chroma-recovery.toml")).unwrap();
    assert_eq!(
        sop,
        Sop {
            origin: sop.origin.clone(),
            ..Sop::builtin()
        }
    );
}
