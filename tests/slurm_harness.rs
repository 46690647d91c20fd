//! The Slurm harness itself: a loopback cluster from `slurm_support` takes a throttled array
//! job and runs every task, so a farm test that fails points at tinct, not at the cluster.

use std::time::{Duration, Instant};

mod slurm_support;
use slurm_support::Slurm;

#[test]
fn a_loopback_cluster_runs_an_array_job() {
    if !slurm_support::available() {
        // `scripts/dev test` (and so CI) installs Slurm; a bare machine may not have it.
        println!("SKIPPED: slurm not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let started = Instant::now();
    // Declared after `tmp`, so it is dropped (daemons stopped) before the dir is removed.
    let slurm = Slurm::start(tmp.path()).unwrap_or_else(|e| panic!("{e:#}"));
    println!("cluster up in {:.1?}", started.elapsed());

    let config = slurm.client("scontrol", &["show", "config"]).unwrap();
    let max_array = config
        .lines()
        .find_map(|l| l.strip_prefix("MaxArraySize"))
        .map(|v| v.trim_start_matches([' ', '=']).trim().to_owned())
        .expect("scontrol show config names MaxArraySize");
    println!("MaxArraySize = {max_array}");

    // Four tasks, at most two at a time: the throttle is what a farm submission uses.
    let out = tmp.path().join("out-%a.txt");
    let id = slurm
        .client(
            "sbatch",
            &[
                "--parsable",
                "--array=0-3%2",
                &format!("--output={}", out.display()),
                "--wrap",
                "echo task $SLURM_ARRAY_TASK_ID on $(hostname)",
            ],
        )
        .unwrap();
    // `--parsable` prints `jobid` or `jobid;cluster`.
    let id = id.trim().split(';').next().unwrap().to_owned();

    let ran = Instant::now();
    let deadline = ran + Duration::from_secs(60);
    loop {
        match slurm.client("squeue", &["-h", "-j", &id]) {
            Ok(q) if q.trim().is_empty() => break,
            Ok(q) => assert!(
                Instant::now() < deadline,
                "job {id} still queued after 60 s:\n{q}\n{}",
                slurm.logs()
            ),
            // Once a finished job ages out, squeue no longer knows its id.
            Err(e) if e.to_string().contains("Invalid job id") => break,
            Err(e) => panic!("{e:#}\n{}", slurm.logs()),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    println!("array job {id} done in {:.1?}", ran.elapsed());

    for task in 0..4 {
        let path = tmp.path().join(format!("out-{task}.txt"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", path.display(), slurm.logs()));
        assert!(
            text.starts_with(&format!("task {task} on ")),
            "{}: {text:?}",
            path.display()
        );
    }
}
