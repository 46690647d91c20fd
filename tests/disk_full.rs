//! A full disk: a render and journal appends into a tmpfs of a few hundred KB, until it is
//! full. Each write fails with a clear error, no partial file is left under a final name, the
//! project stays usable (`tinct status`), and once space is back the next command carries on
//! from where it stopped (the render skips the frames it already wrote).
//!
//! The tmpfs is mounted by the test; where the machine does not allow it (not root, no mount
//! namespace) the test says why and passes without checking.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tinct::media::{self, Image, WriteOptions};
use tinct::project::{self, layout};
use tinct::stages::align::AlignmentManifest;

mod cli_support;

mod tmpfs_support;
use tmpfs_support::Tmpfs;

fn tinct(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tinct"))
        .arg("-p")
        .arg(root)
        .args(args)
        .output()
        .unwrap()
}

/// A project with 40 source frames of 96x64 and 4 aligned pairs, ready for `run matchgrade`.
fn project_with_pairs(root: &Path) {
    let mut proj = project::init(
        root,
        "footage/src/reel.%04d.exr",
        "footage/ref/ref.%04d.exr",
        0,
        false,
    )
    .unwrap();
    let pano = tinct::demo::footage::PANORAMAS[1].decode().unwrap();
    let opts = WriteOptions {
        half: false,
        ..Default::default()
    };
    let mut manifest = AlignmentManifest {
        crop: [0, 0, 96, 64],
        pairs: Vec::new(),
    };
    for f in 1..=40i64 {
        let clean = pano.crop(100 + 4 * f as usize, 120, 96, 64);
        let mut src = clean.clone();
        src.data.iter_mut().for_each(|v| *v = v.powf(1.3) * 0.8);
        media::write(
            &root.join(format!("footage/src/reel.{f:04}.exr")),
            &src,
            &opts,
        )
        .unwrap();
        if f % 10 == 1 {
            let s = format!("{}/src.{f:04}.exr", layout::ALIGNMENT);
            let r = format!("{}/ref.{f:04}.exr", layout::ALIGNMENT);
            media::write(&root.join(&s), &src, &opts).unwrap();
            media::write(&root.join(&r), &clean, &opts).unwrap();
            manifest.pairs.push(cli_support::identity_pair(f, s, r));
        }
    }
    std::fs::write(
        root.join(layout::ALIGNMENT).join("manifest.json"),
        serde_json::to_vec(&manifest).unwrap(),
    )
    .unwrap();
    proj.config.matchgrade.lut_size = 9;
    proj.config.infer.format = tinct::project::config::OutputFormat::Exr;
    proj.config.infer.exr_compression = tinct::project::config::ExrCompression::None;
    std::fs::write(
        root.join(project::CONFIG_FILE),
        project::config_file_text(&proj.config).unwrap(),
    )
    .unwrap();
}

/// Every file under a final name in `dir` decodes; returns the rendered frames.
fn rendered_frames(dir: &Path) -> Vec<PathBuf> {
    let mut frames = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(!name.starts_with(".tinct-tmp"), "temp file left: {name}");
        if name.ends_with(".exr") {
            let img: Image = media::read_linear(&p, None)
                .unwrap_or_else(|e| panic!("{name} does not decode: {e:#}"));
            assert_eq!((img.width, img.height), (96, 64), "{name}");
            frames.push(p);
        }
    }
    frames.sort();
    frames
}

/// A tmpfs on `dir`, or `None` (with the reason printed) where this machine cannot mount one:
/// the test then passes without checking.
fn mount_or_skip(dir: &Path, size: &str) -> Option<Tmpfs> {
    match Tmpfs::mount(dir, size) {
        Ok(fs) => Some(fs),
        Err(why) => {
            eprintln!("skipped: cannot mount a tmpfs here ({why})");
            None
        }
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_full_disk_fails_cleanly_and_the_project_carries_on_once_space_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    project_with_pairs(root);

    // The render: room for the exports and about a third of the frames.
    let renders = root.join(layout::MATCHGRADE);
    let Some(fs) = mount_or_skip(&renders, "900k") else {
        return;
    };
    let out = tinct(root, &["run", "matchgrade"]);
    let err = stderr(&out);
    assert!(
        !out.status.success(),
        "the render should fail on a full disk"
    );
    assert!(err.contains("No space left"), "{err}");
    assert!(err.contains("frame"), "the error names the frame: {err}");
    let partial = rendered_frames(&renders);
    assert!(
        !partial.is_empty() && partial.len() < 40,
        "{} frames fit",
        partial.len()
    );
    let status = tinct(root, &["status"]);
    assert!(status.status.success(), "{}", stderr(&status));
    let kept: Vec<_> = partial
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();

    fs.grow("16m");
    let out = tinct(root, &["run", "matchgrade"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let all = rendered_frames(&renders);
    assert_eq!(all.len(), 40);
    for (p, t) in partial.iter().zip(kept) {
        let now = std::fs::metadata(p).unwrap().modified().unwrap();
        assert_eq!(now, t, "{} was rendered again", p.display());
    }

    // The journal: notes until the disk is full; the journal keeps whole entries only.
    let notes = root.join("notes");
    let before = std::fs::read(root.join(layout::JOURNAL)).unwrap();
    let fs = Tmpfs::mount(&notes, "64k").unwrap();
    std::fs::write(root.join(layout::JOURNAL), &before).unwrap();
    let journal = tinct::journal::Journal::open(root.join(layout::JOURNAL));
    let start = journal.entries().unwrap().len();
    let text = "grain check on reel 1: ".to_owned() + &"density steady, no flicker. ".repeat(60);
    let mut written = 0;
    let failure = loop {
        let out = tinct(root, &["note", &text]);
        if !out.status.success() {
            break stderr(&out);
        }
        written += 1;
        assert!(written < 200, "a 64k tmpfs never filled");
    };
    assert!(failure.contains("No space left"), "{failure}");
    assert!(failure.contains("experiments.md"), "{failure}");
    let entries = journal.entries().unwrap();
    assert_eq!(
        entries.len(),
        start + written,
        "a torn entry was left behind"
    );
    assert!(entries.last().unwrap().text.ends_with("no flicker."));
    let status = tinct(root, &["status"]);
    assert!(status.status.success(), "{}", stderr(&status));
    fs.grow("1m");
    let out = tinct(root, &["note", "space is back"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(journal.entries().unwrap().len(), start + written + 1);
}

fn journal_texts(root: &Path) -> Vec<String> {
    tinct::journal::Journal::open(root.join(layout::JOURNAL))
        .entries()
        .unwrap()
        .into_iter()
        .map(|e| e.text)
        .collect()
}

fn step_status(root: &Path, step: &str) -> String {
    let out = tinct(root, &["sop", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = v["stages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["steps"].as_array().unwrap().clone())
        .collect::<Vec<_>>();
    let s = steps.iter().find(|s| s["id"] == step).unwrap();
    s["status"].as_str().unwrap_or_default().to_string()
}

#[test]
fn a_step_answer_the_state_disk_cannot_take_journals_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    project_with_pairs(root);
    let first = tinct(
        root,
        &[
            "sop",
            "check",
            "inspect-source",
            "--note",
            "scan looks sound",
        ],
    );
    assert!(first.status.success(), "{}", stderr(&first));
    let state_dir = root.join(layout::STATE_DIR);
    let saved: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&state_dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| (e.path(), std::fs::read(e.path()).unwrap()))
        .collect();
    // One page: the state file as it is fills it, a new state cannot be written.
    let Some(fs) = mount_or_skip(&state_dir, "4k") else {
        return;
    };
    for (p, bytes) in &saved {
        std::fs::write(p, bytes).unwrap();
    }
    let before = journal_texts(root);
    let out = tinct(
        root,
        &[
            "sop",
            "check",
            "inspect-reference",
            "--note",
            "transfer is progressive",
        ],
    );
    let err = stderr(&out);
    assert!(!out.status.success(), "the answer should fail: {err}");
    assert!(
        err.contains("No space left") && err.contains("state.toml"),
        "{err}"
    );
    assert_eq!(
        journal_texts(root),
        before,
        "the journal records an answer whose state was never saved"
    );
    assert_eq!(step_status(root, "inspect-reference"), "open");
    let leftovers: Vec<_> = std::fs::read_dir(&state_dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tinct-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
    fs.grow("1m");
    let out = tinct(
        root,
        &[
            "sop",
            "check",
            "inspect-reference",
            "--note",
            "transfer is progressive",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(step_status(root, "inspect-reference"), "done");
    assert_eq!(journal_texts(root).len(), before.len() + 1);
}

#[test]
fn read_only_and_forbidden_folders_fail_cleanly_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    project_with_pairs(root);

    // EROFS on the render folder: the render fails naming the file, nothing is left, the
    // project works, and once writable the render runs.
    let renders = root.join(layout::MATCHGRADE);
    let Some(fs) = mount_or_skip(&renders, "16m") else {
        return;
    };
    fs.read_only(true);
    let out = tinct(root, &["run", "matchgrade"]);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(err.contains("Read-only file system"), "{err}");
    assert!(
        err.contains("05_matchgrade_render"),
        "the error names the file: {err}"
    );
    assert!(tinct(root, &["status"]).status.success());
    fs.read_only(false);
    assert!(rendered_frames(&renders).is_empty());
    let out = tinct(root, &["run", "matchgrade"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(rendered_frames(&renders).len(), 40);

    // EROFS on the journal: the note fails naming the journal, which keeps every entry.
    let notes = root.join("notes");
    let journal = std::fs::read(root.join(layout::JOURNAL)).unwrap();
    let fs = Tmpfs::mount(&notes, "1m").unwrap();
    std::fs::write(root.join(layout::JOURNAL), &journal).unwrap();
    fs.read_only(true);
    let out = tinct(root, &["note", "grain steady on reel 1"]);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("Read-only file system") && err.contains("experiments.md"),
        "{err}"
    );
    assert_eq!(std::fs::read(root.join(layout::JOURNAL)).unwrap(), journal);
    fs.read_only(false);
    drop(fs);

    // EACCES: a user who may read the project but not write its journal or tinct.toml.
    let is_root = unsafe { libc::geteuid() } == 0;
    if !is_root || Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped EACCES: needs root and setpriv to run as another user");
        return;
    }
    Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(root)
        .status()
        .unwrap();
    Command::new("chmod")
        .args(["a+rx"])
        .arg(dir.path())
        .status()
        .unwrap();
    let as_nobody = |args: &[&str]| {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_tinct"))
            .arg("-p")
            .arg(root)
            .args(args)
            .output()
            .unwrap()
    };
    // The other user must be able to run the binary at all (a checkout under a private home
    // folder is not reachable for them): else there is nothing to measure here.
    if !as_nobody(&["--help"]).status.success() {
        eprintln!(
            "skipped EACCES: uid 65534 cannot run {}",
            env!("CARGO_BIN_EXE_tinct")
        );
        return;
    }
    let journal = std::fs::read(root.join(layout::JOURNAL)).unwrap();
    let out = as_nobody(&["note", "written by someone without rights"]);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(
        err.contains("Permission denied") && err.contains("experiments.md"),
        "{err}"
    );
    assert_eq!(std::fs::read(root.join(layout::JOURNAL)).unwrap(), journal);
    let config = std::fs::read(root.join(project::CONFIG_FILE)).unwrap();
    let out = as_nobody(&["run", "sync"]);
    assert!(!out.status.success());
    assert_eq!(
        std::fs::read(root.join(project::CONFIG_FILE)).unwrap(),
        config
    );
    let out = as_nobody(&["status"]);
    assert!(
        out.status.success(),
        "reading still works: {}",
        stderr(&out)
    );
}
