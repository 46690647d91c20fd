//! Jobs end to end with the real binary and external-command stages (no GPU, a few seconds
//! each): a detached job survives its launching session being killed; a kill -9'd job shows as
//! lost and resumes from its checkpoint; cancel ends a job within the grace period; GPU-class
//! jobs queue one after another while CPU jobs run beside them.

use serde_json::Value;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const TINCT: &str = env!("CARGO_BIN_EXE_tinct");

/// A temp project whose `tinct.toml` configures the given `[jobs.external.*]` tables.
fn project(externals: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        "[source]\npattern = \"scan/src.%04d.exr\"\n\n[reference]\npattern = \"ref/ref.%04d.exr\"\n\n\
         [jobs]\ntelemetry-interval = 0.5\n\n{externals}"
    );
    std::fs::write(dir.path().join("tinct.toml"), toml).unwrap();
    dir
}

fn external(name: &str, script: &str, gpu: bool) -> String {
    let script = script.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        "[jobs.external.{name}]\nargv = [\"sh\", \"-c\", \"{script}\"]\ngpu = {gpu}\n\
         metrics = [{{ regex = 'step=(?P<step>\\d+)' }}]\n\n"
    )
}

fn tinct(dir: &Path, args: &[&str]) -> Output {
    Command::new(TINCT)
        .arg("-p")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// `tinct run X --detach`: the job id is the last line of stdout.
fn detach(dir: &Path, target: &str) -> String {
    let out = tinct(dir, &["run", target, "--detach"]);
    assert!(
        out.status.success(),
        "run --detach failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    last_line(&out.stdout)
}

fn last_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn jobs_json(dir: &Path) -> Vec<Value> {
    let out = tinct(dir, &["jobs", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
}

fn job(dir: &Path, id: &str) -> Value {
    jobs_json(dir)
        .into_iter()
        .find(|j| j["id"] == id)
        .unwrap_or_else(|| panic!("job {id} not listed"))
}

fn job_file(dir: &Path, id: &str) -> Value {
    let text = std::fs::read_to_string(dir.join("runs").join(id).join("job.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn wait_until(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn metrics(dir: &Path, id: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("runs").join(id).join("metrics.jsonl"))
        .unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn time(v: &Value) -> chrono::DateTime<chrono::Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("not a time: {v}"))
        .parse()
        .unwrap()
}

#[test]
fn detached_job_survives_its_session_being_killed() {
    let dir = project(&external(
        "steps",
        "for i in 1 2 3 4 5; do echo step=$i; sleep 0.3; done",
        false,
    ));
    let id_file = dir.path().join("id.txt");
    // A shell in a session of its own, standing in for an SSH login: it launches the job and
    // lingers; then its whole session is hung up and killed.
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg("\"$TINCT\" run ext:steps --detach -p \"$DIR\" > \"$DIR/id.txt.tmp\" && mv \"$DIR/id.txt.tmp\" \"$DIR/id.txt\"; sleep 60")
        .env("TINCT", TINCT)
        .env("DIR", dir.path())
        .stdin(Stdio::null());
    // SAFETY: setsid is async-signal-safe.
    unsafe {
        shell.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut shell = shell.spawn().unwrap();
    wait_until("the job id", Duration::from_secs(20), || id_file.exists());
    let id = std::fs::read_to_string(&id_file)
        .unwrap()
        .trim()
        .to_string();
    wait_until("the job to run", Duration::from_secs(10), || {
        job(dir.path(), &id)["state"] == "running"
    });
    let session = shell.id() as i32;
    unsafe {
        libc::kill(-session, libc::SIGHUP);
        libc::kill(-session, libc::SIGKILL);
    }
    shell.wait().unwrap();
    let out = tinct(dir.path(), &["wait", &id]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let record = job_file(dir.path(), &id);
    assert_eq!(record["state"], "succeeded");
    assert_eq!(record["exit_code"], 0);
    assert_eq!(metrics(dir.path(), &id).len(), 5, "every step recorded");
    let log = std::fs::read_to_string(dir.path().join("runs").join(&id).join("log.txt")).unwrap();
    assert!(log.contains("step=5"), "{log}");
}

/// Counts to 8, saving the last finished step in `artifacts/ckpt`; a resumed run starts after
/// the checkpoint of the run it continues.
const CHECKPOINTING: &str = "i=0; if [ -n \"$TINCT_RESUME_FROM\" ]; then i=$(cat \"$TINCT_RESUME_FROM/artifacts/ckpt\"); fi; \
    while [ $i -lt 8 ]; do i=$((i+1)); sleep 0.6; echo $i > \"$TINCT_ARTIFACTS/ckpt\"; echo step=$i; done";

#[test]
fn killed_job_shows_lost_and_resumes_from_its_checkpoint() {
    let dir = project(&external("count", CHECKPOINTING, false));
    let id = detach(dir.path(), "ext:count");
    wait_until("three steps", Duration::from_secs(20), || {
        metrics(dir.path(), &id).len() >= 3
    });
    let pid = job(dir.path(), &id)["pid"]
        .as_i64()
        .expect("a running job has a pid") as i32;
    // kill -9 the worker's whole process group: nothing gets to record an end.
    unsafe { libc::kill(-pid, libc::SIGKILL) };
    wait_until("the job to show as lost", Duration::from_secs(30), || {
        job(dir.path(), &id)["state"] == "lost"
    });
    assert_eq!(
        job_file(dir.path(), &id)["state"],
        "running",
        "lost is derived, never written"
    );
    let checkpoint: i64 =
        std::fs::read_to_string(dir.path().join("runs").join(&id).join("artifacts/ckpt"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
    assert!((2..8).contains(&checkpoint), "killed mid-way: {checkpoint}");

    let out = tinct(dir.path(), &["resume", &id, "--detach"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new_id = last_line(&out.stdout);
    assert_ne!(new_id, id);
    assert_eq!(tinct(dir.path(), &["wait", &new_id]).status.code(), Some(0));
    let resumed = job_file(dir.path(), &new_id);
    assert_eq!(resumed["state"], "succeeded");
    assert_eq!(resumed["stage"], "ext:count");
    let old_dir = dir.path().join("runs").join(&id).canonicalize().unwrap();
    assert_eq!(
        PathBuf::from(resumed["resume_from"].as_str().unwrap()),
        old_dir
    );
    let steps: Vec<i64> = metrics(dir.path(), &new_id)
        .iter()
        .map(|m| m["step"].as_i64().unwrap())
        .collect();
    assert_eq!(
        steps.first(),
        Some(&(checkpoint + 1)),
        "continues after the checkpoint: {steps:?}"
    );
    assert_eq!(steps.last(), Some(&8));
}

#[test]
fn cancel_ends_a_job_within_the_grace_period() {
    let saving = "trap 'echo saving; exit 3' TERM; for i in 1 2 3 4 5 6 7 8 9 10; do echo step=$i; sleep 0.5; done";
    let stubborn = "trap '' TERM; for i in 1 2 3 4 5 6 7 8 9 10; do echo step=$i; sleep 0.5; done";
    let dir =
        project(&(external("saving", saving, false) + &external("stubborn", stubborn, false)));

    // A stage that saves and exits on SIGTERM ends cancelled, well inside the grace period.
    let id = detach(dir.path(), "ext:saving");
    wait_until("a first step", Duration::from_secs(20), || {
        !metrics(dir.path(), &id).is_empty()
    });
    let start = Instant::now();
    let out = tinct(dir.path(), &["cancel", &id, "--grace", "5"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(last_line(&out.stdout), "cancelled");
    let record = job_file(dir.path(), &id);
    assert_eq!(record["state"], "cancelled");
    let log = std::fs::read_to_string(dir.path().join("runs").join(&id).join("log.txt")).unwrap();
    assert!(log.contains("saving"), "the stage saw SIGTERM: {log}");
    assert_eq!(
        tinct(dir.path(), &["wait", &id]).status.code(),
        Some(3),
        "wait reports the job's exit code"
    );

    // A stage that ignores SIGTERM is killed when the grace period runs out.
    let id = detach(dir.path(), "ext:stubborn");
    wait_until("a first step", Duration::from_secs(20), || {
        !metrics(dir.path(), &id).is_empty()
    });
    let start = Instant::now();
    let out = tinct(dir.path(), &["cancel", &id, "--grace", "1"]);
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "took {took:?}"
    );
    let record = job_file(dir.path(), &id);
    assert_eq!(record["state"], "cancelled");
    assert_eq!(record["exit_code"], 137);
    let pid = record["pid"].as_i64().unwrap() as i32;
    // Gone, or a zombie nobody reaped (a container's pid 1 may not): either way not running.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.trim_start().chars().next())
        .unwrap_or(None);
    assert!(
        matches!(state, None | Some('Z') | Some('X')),
        "the worker still runs: {stat}"
    );
}

#[test]
fn gpu_jobs_queue_one_after_another_while_cpu_jobs_run_beside_them() {
    // Long enough that the second launch (a process start, ~1 s on a busy box) finds the
    // first still running.
    let gpu = "for i in 1 2 3; do echo step=$i; sleep 1; done";
    let dir =
        project(&(external("gpu", gpu, true) + &external("cpu", "echo step=1; sleep 0.5", false)));
    let first = detach(dir.path(), "ext:gpu");
    let second = detach(dir.path(), "ext:gpu");
    let cpu = detach(dir.path(), "ext:cpu");
    for id in [&first, &second, &cpu] {
        assert_eq!(
            tinct(dir.path(), &["wait", id]).status.code(),
            Some(0),
            "job {id}"
        );
    }
    let (a, b, c) = (
        job_file(dir.path(), &first),
        job_file(dir.path(), &second),
        job_file(dir.path(), &cpu),
    );
    assert!(
        time(&a["ended"]) <= time(&b["started"]),
        "GPU jobs overlapped: {a:#} {b:#}"
    );
    assert!(
        time(&c["started"]) < time(&a["ended"]) || time(&c["started"]) < time(&b["ended"]),
        "the CPU job waited"
    );
    let log =
        std::fs::read_to_string(dir.path().join("runs").join(&second).join("log.txt")).unwrap();
    assert!(log.contains("waiting for a free GPU slot"), "{log}");
}
