//! `tinct farm --engine local` on a real (demo) project: parallel local workers, a chunk killed
//! mid-way that `farm status` reports and `farm resubmit` completes, frames equal to a
//! single-machine render bit for bit.

mod farm_support;

#[test]
fn local_workers_render_a_reel_like_one_machine_and_survive_a_killed_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let root = farm_support::aligned_demo(dir.path());
    farm_support::render_kill_resubmit(&root, "local", &[]);
}

#[test]
fn a_stage_that_renders_nothing_is_refused_before_a_job_exists() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    farm_support::ok(
        std::process::Command::new(env!("CARGO_BIN_EXE_tinct"))
            .arg("init")
            .arg(root)
            .args(["--source", "s.%04d.exr", "--reference", "r.%04d.exr"])
            .output()
            .unwrap(),
        "tinct init",
    );
    let out = farm_support::tinct(
        root,
        &[],
        &["farm", "submit", "--engine", "local", "--stage", "align"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not render a sequence"), "{err}");
    assert!(
        !std::fs::read_dir(root.join("runs")).unwrap().any(|e| e
            .unwrap()
            .path()
            .join("farm.json")
            .exists())
    );
}
