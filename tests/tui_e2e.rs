//! End to end: the real `tinct` binary in tmux. Open a project, answer a check step with a
//! note, launch the action step's job (as an external-command stage), watch it progress and
//! finish, write a free note, quit; then the journal has both notes and the job succeeded.
//! And what the console records: a QC fail, a decision, and a step whose job finishes after the
//! console has closed (the worker checks it).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux")
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend(keys);
        assert!(self.run(&args).status.success());
    }

    fn text(&self, text: &str) {
        assert!(
            self.run(&["send-keys", "-t", "e2e", "-l", text])
                .status
                .success()
        );
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }

    fn wait_for(&self, what: &str, secs: u64) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            if t0.elapsed() > Duration::from_secs(secs) {
                panic!("'{what}' did not appear within {secs} s; the screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn alive(&self) -> bool {
        self.run(&["has-session", "-t", "e2e"]).status.success()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

const SOP: &str = r#"
[sop]
id = "e2e"
title = "End-to-end SOP"
version = 1

[[stage]]
id = "dataset"
title = "1 · Dataset"
folder = "pipeline/01_dataset_curation"
summary = "Pairs."

[[stage.step]]
id = "look"
title = "Look at the scan"
kind = "check"
instructions = "Look at the scan."
good = "No gaps."

[[stage.step]]
id = "find-offset"
title = "Find the offset"
kind = "action"
stage = "sync"
requires = ["look"]
instructions = "Launch the sync."
good = "An offset."
"#;

const CONFIG: &str = r#"
[project]
name = "e2e-reel"
sop = "sop.toml"

[jobs.external.tick]
argv = ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do echo \"step $i/10 loss 0.$i\"; sleep 0.4; done"]

[[jobs.external.tick.metrics]]
regex = 'step (?P<step>\d+)/(?P<steps>\d+) loss (?P<loss>[0-9.]+)'
"#;

fn job_states(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir.join("runs"))
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| std::fs::read_to_string(e.path().join("job.json")).ok())
                .filter_map(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .map(|v| v["state"].as_str().unwrap_or("?").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A project with `sop` and the `tick` external stage, and the console open on it in tmux
/// (120x40). The temp dirs live as long as the test holds them.
fn open_console(sop: &str) -> (tempfile::TempDir, tempfile::TempDir, Tmux) {
    if Command::new("tmux").arg("-V").output().is_err() {
        panic!(
            "tmux is missing: the console end-to-end test drives the real binary in tmux (apt-get install -y tmux)"
        );
    }
    let bin = env!("CARGO_BIN_EXE_tinct");
    let dir = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tinct.toml"), CONFIG).unwrap();
    std::fs::write(dir.path().join("sop.toml"), sop).unwrap();
    std::fs::create_dir_all(dir.path().join("runs")).unwrap();

    let tmux = Tmux {
        socket: format!(
            "tinct-e2e-{}-{}",
            std::process::id(),
            dir.path().file_name().unwrap().to_string_lossy()
        ),
    };
    let cmd = format!(
        "cd '{}' && HOME='{}' XDG_CONFIG_HOME='{}/cfg' TINCT_EXE='{bin}' exec '{bin}'",
        dir.path().display(),
        home.path().display(),
        home.path().display()
    );
    let out = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "e2e",
        "-x",
        "120",
        "-y",
        "40",
        &cmd,
    ]);
    assert!(
        out.status.success(),
        "tmux new-session: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, home, tmux)
}

#[test]
fn console_walks_a_step_launches_a_job_writes_a_note_and_quits() {
    let (dir, _home, tmux) = open_console(SOP);

    // The checklist opens at the first open step.
    tmux.wait_for("Look at the scan", 20);
    tmux.wait_for("e2e-reel", 5);

    // Answer the check step with a note.
    tmux.keys(&["Enter"]);
    tmux.wait_for("Ctrl-s save", 5);
    tmux.text("scan looked at end to end");
    tmux.keys(&["C-s"]);
    tmux.wait_for("step look checked", 15);

    // The action step is current now: open its launch form, run it as the external stage.
    tmux.wait_for("launch 'sync'", 10);
    tmux.keys(&["Enter"]);
    tmux.wait_for("Launch 'sync'", 5);
    // The form opens on its first parameter; "run as" is the field above it.
    tmux.keys(&["Up"]);
    tmux.keys(&["BSpace", "BSpace", "BSpace", "BSpace"]);
    tmux.text("ext:tick");
    tmux.keys(&["Enter"]);
    tmux.wait_for("launched ext:tick as job", 20);
    tmux.wait_for("running", 10);
    // Progress shows while it runs (a percentage in the jobs strip), then it finishes.
    let t0 = Instant::now();
    loop {
        let s = tmux.screen();
        if s.lines()
            .any(|l| l.contains("running") && l.contains('%') && !l.contains(" 0%"))
        {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "no progress shown:\n{s}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    tmux.wait_for("succeeded", 30);

    // A free note.
    tmux.keys(&["n"]);
    tmux.wait_for("Note for the journal", 5);
    tmux.text("free note from the console");
    tmux.keys(&["C-s"]);
    tmux.wait_for("note written to the journal", 10);

    quit(&tmux);

    let journal =
        std::fs::read_to_string(dir.path().join("notes/experiments.md")).expect("journal written");
    assert!(journal.contains("scan looked at end to end"), "{journal}");
    assert!(journal.contains("free note from the console"), "{journal}");
    assert!(journal.contains("launched ext:tick as job"), "{journal}");
    assert_eq!(job_states(dir.path()), vec!["succeeded".to_string()]);
}

const SOP_RECORDS: &str = r#"
[sop]
id = "e2e-records"
title = "What the console records"
version = 1

[[stage]]
id = "dataset"
title = "1 · Dataset"
folder = "pipeline/01_dataset_curation"
summary = "Pairs."

[[stage.step]]
id = "verify"
title = "Verify the colour"
kind = "qc"
instructions = "Compare."
good = "Matches."

[[stage.step]]
id = "pick"
title = "Pick the recipe"
kind = "decision"
instructions = "Decide."
good = "A recipe."

[[stage.step]]
id = "run"
title = "Run the tick"
kind = "action"
stage = "sync"
instructions = "Launch it."
good = "It ran."
"#;

fn quit(tmux: &Tmux) {
    tmux.keys(&["q"]);
    let t0 = Instant::now();
    while tmux.alive() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "the console did not quit on q:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_qc_fail_a_decision_and_a_job_finishing_after_the_console_closed_are_recorded() {
    let (dir, _home, tmux) = open_console(SOP_RECORDS);
    tmux.wait_for("Verify the colour", 20);

    // Fail the QC step: Tab flips pass to fail.
    tmux.keys(&["Enter"]);
    tmux.wait_for("Tab: pass/fail", 5);
    tmux.keys(&["Tab"]);
    tmux.text("shot 3 drifts magenta");
    tmux.keys(&["C-s"]);
    tmux.wait_for("step verify failed", 15);

    // The decision, one step down.
    tmux.keys(&["j", "Enter"]);
    tmux.wait_for("Your decision and why", 5);
    tmux.text("medium model, tone luma: the print faded evenly");
    tmux.keys(&["C-s"]);
    tmux.wait_for("step pick decided", 15);

    // Launch the action step's job, then close the console before it ends.
    tmux.keys(&["j", "Enter"]);
    tmux.wait_for("Launch 'sync'", 5);
    tmux.keys(&["Up"]);
    tmux.keys(&["BSpace", "BSpace", "BSpace", "BSpace"]);
    tmux.text("ext:tick");
    tmux.keys(&["Enter"]);
    tmux.wait_for("launched ext:tick as job", 20);
    quit(&tmux);
    let t0 = Instant::now();
    while job_states(dir.path()) != vec!["succeeded".to_string()] {
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "the job did not finish: {:?}",
            job_states(dir.path())
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    assert_eq!(status_of(dir.path(), "verify"), "failed");
    assert_eq!(status_of(dir.path(), "pick"), "done");
    // Checked by the worker when the job succeeded, with no console open.
    let t0 = Instant::now();
    while status_of(dir.path(), "run") != "done" {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "the worker did not check 'run'"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let entries = tinct::journal::Journal::open(dir.path().join("notes/experiments.md"))
        .entries()
        .unwrap();
    let kinds = |k: tinct::journal::Kind| entries.iter().filter(|e| e.kind == k).count();
    assert_eq!(kinds(tinct::journal::Kind::QcFail), 1, "{entries:?}");
    assert_eq!(kinds(tinct::journal::Kind::QcPass), 0, "{entries:?}");
    assert_eq!(kinds(tinct::journal::Kind::Decision), 1, "{entries:?}");
    assert!(
        entries
            .iter()
            .any(|e| e.text.contains("shot 3 drifts magenta")),
        "{entries:?}"
    );
}

fn status_of(dir: &Path, step: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tinct"))
        .args(["sop", "--json", "-p"])
        .arg(dir)
        .output()
        .unwrap();
    let sop: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    sop["stages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["steps"].as_array().unwrap().clone())
        .find(|s| s["id"] == step)
        .map(|s| s["status"].as_str().unwrap_or("").to_string())
        .unwrap_or_default()
}
