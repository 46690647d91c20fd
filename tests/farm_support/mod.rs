//! Shared steps of the farm tests: a demo project made from the embedded CC0 footage, aligned
//! and ready for the MatchGrade render (no torch), and the render / kill / resubmit round trip
//! every engine must survive.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub fn tinct(root: &Path, env: &[(String, String)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tinct"))
        .arg("--project")
        .arg(root)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap()
}

pub fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The demo project, synced, curated and aligned: MatchGrade can fit and render it.
pub fn aligned_demo(dir: &Path) -> PathBuf {
    let root = dir.join("demo");
    ok(
        Command::new(env!("CARGO_BIN_EXE_tinct"))
            .args(["demo", "--no-open", "--seed", "4"])
            .arg(&root)
            .output()
            .unwrap(),
        "tinct demo",
    );
    for stage in [
        &["run", "sync"][..],
        &["run", "suggest"],
        &["run", "curate", "--from-suggested"],
        &["run", "align"],
    ] {
        ok(tinct(&root, &[], stage), &stage.join(" "));
    }
    root
}

pub fn status(root: &Path, env: &[(String, String)], id: &str) -> serde_json::Value {
    serde_json::from_str(&ok(
        tinct(root, env, &["farm", "status", id, "--json"]),
        "farm status",
    ))
    .unwrap()
}

/// Wait until the farm job has nothing queued or running; returns its last status.
pub fn settle(root: &Path, env: &[(String, String)], id: &str) -> serde_json::Value {
    let out = tinct(root, env, &["farm", "wait", id, "--timeout", "240"]);
    assert_ne!(out.status.code(), Some(2), "farm job {id} did not settle");
    status(root, env, id)
}

pub fn states(st: &serde_json::Value) -> Vec<String> {
    st["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["state"].as_str().unwrap().to_owned())
        .collect()
}

/// SIGKILL chunk `label`'s process once it has written its first frame (`first`) and before
/// it ends. Returns the number of frames of the chunk on disk at the kill.
pub fn kill_mid_chunk(root: &Path, farm: &str, label: &str, first: i64, last: i64) -> usize {
    let record = root
        .join("runs")
        .join(farm)
        .join("chunks")
        .join(format!("{label}.json"));
    let frame = |f: i64| {
        root.join(format!(
            "pipeline/05_matchgrade_render/matchgrade.{f:04}.exr"
        ))
    };
    let t0 = Instant::now();
    loop {
        assert!(
            t0.elapsed() < Duration::from_secs(180),
            "chunk {label} never started writing"
        );
        if let Ok(text) = std::fs::read_to_string(&record)
            && let Ok(r) = serde_json::from_str::<serde_json::Value>(&text)
            && r["state"] == "running"
            && frame(first).is_file()
        {
            assert!(
                !frame(last).is_file(),
                "chunk {label} finished before it could be killed"
            );
            let pid = r["pid"].as_i64().unwrap() as i32;
            // SAFETY: kill(2) on a pid this test's farm started.
            assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
            return (first..=last).filter(|&f| frame(f).is_file()).count();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Every frame of `dir_a` equals its namesake in `dir_b`, byte for byte.
pub fn same_frames(a: &Path, b: &Path, frames: std::ops::RangeInclusive<i64>) {
    for f in frames {
        let name = format!("matchgrade.{f:04}.exr");
        let (x, y) = (std::fs::read(a.join(&name)), std::fs::read(b.join(&name)));
        assert!(
            x.as_ref().ok() == y.as_ref().ok() && x.is_ok(),
            "frame {f}: the farm render differs from the single-machine render"
        );
    }
}

/// The whole round trip on `engine`: submit 40 frames in 4 chunks, kill the second chunk
/// mid-way, see `farm status` report it, resubmit, and compare every frame with a
/// single-machine render.
pub fn render_kill_resubmit(root: &Path, engine: &str, env: &[(String, String)]) {
    let id = ok(
        tinct(
            root,
            env,
            &[
                "farm",
                "submit",
                "--engine",
                engine,
                "--stage",
                "matchgrade",
                "--frames",
                "1-40",
                "--chunk",
                "10",
                "--parallel",
                "2",
                // One thread per chunk: a slower chunk, so the kill lands mid-way.
                "--set",
                "infer.threads=1",
            ],
        ),
        "farm submit",
    )
    .trim()
    .lines()
    .last()
    .unwrap()
    .to_owned();
    let before = kill_mid_chunk(root, &id, "11-20", 11, 20);
    assert!((1..10).contains(&before), "{before} frames at the kill");

    let st = settle(root, env, &id);
    assert_eq!(states(&st), ["done", "failed", "done", "done"], "{st:#}");
    assert!(
        st["chunks"][1]["detail"]
            .as_str()
            .unwrap()
            .contains("killed")
            || st["chunks"][1]["detail"]
                .as_str()
                .unwrap()
                .contains("ended without"),
        "{st:#}"
    );
    assert!(st["frames_done"].as_u64().unwrap() < 40);
    assert!(!st["missing_frames"].as_array().unwrap().is_empty());
    // The human table says the same.
    let table = ok(tinct(root, env, &["farm", "status", &id]), "farm status");
    assert!(
        table.contains("11-20") && table.contains("failed"),
        "{table}"
    );

    let out = tinct(root, env, &["farm", "resubmit", &id]);
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success() && said.contains("11-20"), "{said}");
    assert!(!said.contains("1-10,") && !said.contains("21-30"), "{said}");
    let st = settle(root, env, &id);
    assert_eq!(states(&st), ["done"; 4], "{st:#}");
    assert_eq!(st["frames_done"], 40);
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(format!("runs/{id}/chunks/11-20.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(
        record["frames_written"].as_u64().unwrap() as usize,
        10 - before,
        "the resubmit rendered again frames that were already there"
    );

    let farm_dir = root.join("farm-render");
    std::fs::rename(root.join("pipeline/05_matchgrade_render"), &farm_dir).unwrap();
    ok(
        tinct(
            root,
            &[],
            &[
                "run",
                "matchgrade",
                "--frames",
                "1-40",
                "--set",
                "infer.threads=1",
            ],
        ),
        "single-machine render",
    );
    same_frames(
        &farm_dir,
        &root.join("pipeline/05_matchgrade_render"),
        1..=40,
    );
}
