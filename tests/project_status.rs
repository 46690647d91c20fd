//! `tinct init` + `tinct status`: patterns stored relative to the project, frames counted on
//! disk with their gaps, last runs read from `runs/*/job.json`.

mod cli_support;

use std::process::Command;

#[test]
fn status_reports_sequences_sop_and_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let scans = tmp.path().join("reel2/scans");
    let telecine = tmp.path().join("telecine");
    std::fs::create_dir_all(&scans).unwrap();
    std::fs::create_dir_all(&telecine).unwrap();
    for f in [1001, 1002, 1004, 1005] {
        std::fs::write(scans.join(format!("r2.{f:04}.exr")), b"").unwrap();
    }
    for f in 995..=1003 {
        std::fs::write(telecine.join(format!("t2.{f:04}.tif")), b"").unwrap();
    }
    let tinct = env!("CARGO_BIN_EXE_tinct");
    // Patterns typed relative to the shell's folder, as an operator would.
    let out = Command::new(tinct)
        .current_dir(tmp.path())
        .args([
            "init",
            "reel2",
            "--source",
            "reel2/scans/r2.%04d.exr",
            "--reference",
            "telecine/t2.####.tif",
        ])
        .args(["--reference-offset", "-6"])
        .output()
        .unwrap();
    cli_support::succeeded(out);
    let root = tmp.path().join("reel2");
    let p = tinct::project::Project::load(&root).unwrap();
    assert_eq!(
        p.config.source.pattern, "scans/r2.%04d.exr",
        "inside the project: stored relative"
    );
    assert_eq!(
        p.config.reference.pattern,
        telecine.join("t2.####.tif").to_str().unwrap(),
        "outside: absolute"
    );

    let run = root.join("runs/20261126-150000-sync");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(
        run.join("job.json"),
        r#"{"id":"20261126-150000-sync","stage":"sync","state":"succeeded","pid":1}"#,
    )
    .unwrap();

    // Run from a folder inside the project: found upward.
    let out = Command::new(tinct)
        .current_dir(root.join("pipeline/02_alignment"))
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["project"], "reel2");
    assert_eq!(s["source"]["frames"], 4);
    assert_eq!(s["source"]["first"], 1001);
    assert_eq!(s["source"]["gaps"], serde_json::json!([1003]));
    assert_eq!(s["reference"]["frames"], 9);
    assert_eq!(s["reference_offset"], -6);
    assert_eq!(s["sop"]["current"], "inspect-source");
    assert_eq!(s["runs"][0]["stage"], "sync");
    assert_eq!(s["runs"][0]["state"], "succeeded");

    let human = Command::new(tinct)
        .args(["status", "-p"])
        .arg(&root)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("4 frames (1001-1005, 1 missing)"), "{text}");
    assert!(text.contains("20261126-150000-sync"), "{text}");
}
