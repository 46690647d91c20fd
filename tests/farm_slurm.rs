//! `tinct farm --engine slurm` through a real single-node Slurm on loopback
//! (`slurm_support`): a 40-frame MatchGrade render in 4 array tasks, one task's process killed
//! mid-way, `farm status` reporting it, `farm resubmit` completing only that chunk, and every
//! frame equal to a single-machine render bit for bit.

mod farm_support;
mod slurm_support;

#[test]
fn a_slurm_array_renders_a_reel_like_one_machine_and_survives_a_killed_task() {
    if !slurm_support::available() {
        // `scripts/dev test` (and so CI) installs Slurm; a bare machine may not have it.
        println!("SKIPPED: slurm not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = farm_support::aligned_demo(tmp.path());
    let cluster = tmp.path().join("slurm");
    std::fs::create_dir_all(&cluster).unwrap();
    // Declared after `tmp`: dropped first, so the daemons stop before their folder goes.
    let slurm = slurm_support::Slurm::start(&cluster).unwrap_or_else(|e| panic!("{e:#}"));
    let env = slurm.env();

    // A dry run writes the script and submits nothing.
    let dry = farm_support::ok(
        farm_support::tinct(
            &root,
            &env,
            &[
                "farm",
                "submit",
                "--engine",
                "slurm",
                "--stage",
                "matchgrade",
                "--dry-run",
            ],
        ),
        "farm submit --dry-run",
    );
    let dry_id = dry.trim().lines().last().unwrap();
    let script = std::fs::read_to_string(root.join(format!("runs/{dry_id}/farm.sbatch"))).unwrap();
    assert!(script.contains("#SBATCH --array=0-"), "{script}");
    assert!(
        slurm.client("squeue", &["-h"]).unwrap().trim().is_empty(),
        "a dry run submitted something"
    );

    farm_support::render_kill_resubmit(&root, "slurm", &env);
    // Each task wrote its own Slurm output file.
    let outputs = std::fs::read_dir(root.join("runs"))
        .unwrap()
        .filter_map(|e| std::fs::read_dir(e.unwrap().path().join("slurm")).ok())
        .flatten()
        .count();
    assert!(
        outputs >= 5,
        "{outputs} task output files (4 tasks + 1 resubmitted)"
    );
    drop(slurm);
}
