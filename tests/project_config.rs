//! Invalid `tinct.toml` files and `--set` overrides: the error names file, line, column and key.

mod cli_support;

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config")
        .join(name)
}

/// Copy a fixture in as a project's `tinct.toml` and open it through the library.
fn open_error(name: &str) -> (PathBuf, tinct::project::ConfigError) {
    let dir = tempfile::tempdir().unwrap().keep();
    std::fs::copy(fixture(name), dir.join("tinct.toml")).unwrap();
    let err = tinct::project::open(Some(&dir), &[]).unwrap_err();
    let config_err = err
        .downcast::<tinct::project::ConfigError>()
        .expect("a ConfigError");
    (dir.join("tinct.toml"), config_err)
}

fn assert_invalid(
    name: &str,
    want_line: usize,
    want_column: usize,
    want_key: &str,
    message_has: &str,
) {
    let (path, err) = open_error(name);
    match &err {
        tinct::project::ConfigError::Invalid {
            path: p,
            line,
            column,
            key,
            message,
        } => {
            assert_eq!(p, &path, "{name}");
            assert_eq!((*line, *column), (want_line, want_column), "{name}: {err}");
            assert_eq!(key.as_deref(), Some(want_key), "{name}: {err}");
            assert!(message.contains(message_has), "{name}: {message}");
        }
        other => panic!("{name}: unexpected {other}"),
    }
    let shown = err.to_string();
    let prefix = format!(
        "{}:{want_line}:{want_column}: key `{want_key}`: ",
        path.display()
    );
    assert!(shown.starts_with(&prefix), "{name}: {shown}");
}

#[test]
fn unknown_key_in_a_section() {
    assert_invalid(
        "unknown_key.toml",
        6,
        1,
        "train.stepz",
        "unknown field `stepz`",
    );
}

#[test]
fn unknown_section() {
    assert_invalid(
        "unknown_section.toml",
        4,
        2,
        "trian",
        "unknown field `trian`",
    );
}

#[test]
fn value_of_the_wrong_type() {
    assert_invalid(
        "wrong_type.toml",
        2,
        9,
        "train.steps",
        "not a number of steps",
    );
}

#[test]
fn unquoted_string_is_a_syntax_error() {
    assert_invalid("syntax_error.toml", 2, 9, "align.model", "string");
}

#[test]
fn nested_table_of_the_wrong_type() {
    assert_invalid(
        "nested_wrong_type.toml",
        6,
        12,
        "align.override",
        "invalid type",
    );
}

#[test]
fn cli_reports_unknown_set_key_and_exits_non_zero() {
    let dir = cli_support::init_project(&[]);
    let tinct = env!("CARGO_BIN_EXE_tinct");
    let out = Command::new(tinct)
        .args([
            "status",
            "-p",
            dir.path().to_str().unwrap(),
            "--set",
            "train.stepz=3",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--set train.stepz=3: unknown config key `train.stepz`"),
        "{stderr}"
    );

    // A bad tinct.toml is reported with file:line:column by every command.
    std::fs::copy(fixture("unknown_key.toml"), dir.path().join("tinct.toml")).unwrap();
    let out = Command::new(tinct)
        .args(["sop", "-p", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("tinct.toml:6:1: key `train.stepz`: unknown field `stepz`"),
        "{stderr}"
    );
}

#[test]
fn a_bad_value_is_refused_before_any_job_exists() {
    let dir = cli_support::init_project(&[]);
    let tinct = env!("CARGO_BIN_EXE_tinct");
    for (stage, set, key) in [
        ("train", "train.steps=0", "train.steps"),
        ("train", "train.model=\"huge\"", "train.model"),
        ("infer", "infer.chroma-scale=9", "infer.chroma-scale"),
        ("matchgrade", "infer.format=\"mov\"", "infer.format"),
    ] {
        for detach in [false, true] {
            let mut cmd = Command::new(tinct);
            cmd.args([
                "run",
                stage,
                "-p",
                dir.path().to_str().unwrap(),
                "--set",
                set,
            ]);
            if detach {
                cmd.arg("--detach");
            }
            let out = cmd.output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{stage} --set {set} ran");
            assert!(stderr.contains(key), "{stage} --set {set}: {stderr}");
        }
    }
    let runs = dir.path().join("runs");
    let jobs = std::fs::read_dir(&runs).map_or(0, |d| d.count());
    assert_eq!(jobs, 0, "a refused config left a job in {}", runs.display());
}
