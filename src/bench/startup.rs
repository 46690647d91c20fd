//! `tinct bench startup`: what starting a `tinct` process costs an operator, against the floor of
//! starting any process (`/bin/true`) measured in the same run: `tinct --version` (which asks the
//! torch worker once, then answers from its cache), `tinct status` and `tinct note` on a fresh
//! project; wall time min/median/max over N runs and the peak resident memory of each process
//! (from `wait4`). Then 8 processes writing 50 notes each at once: every entry intact, and the
//! wall time.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One finished process: wall time and peak RSS in bytes.
struct Run {
    wall: Duration,
    max_rss: u64,
}

/// Start `cmd`, wait for it with `wait4` (for its rusage), fail on a non-zero exit.
fn timed(cmd: &mut Command) -> anyhow::Result<Run> {
    let t0 = Instant::now();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child and fills the status and rusage we own; `child` is not
    // waited on again (dropping a `Child` does not wait).
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = t0.elapsed();
    anyhow::ensure!(got == pid, "wait4: {}", std::io::Error::last_os_error());
    anyhow::ensure!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{cmd:?} failed (status {status})"
    );
    Ok(Run {
        wall,
        // Linux reports ru_maxrss in KiB.
        max_rss: usage.ru_maxrss as u64 * 1024,
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// min, median, max wall (ms) and the largest peak RSS (MB) of `n` runs of `make()`.
fn series(n: usize, mut make: impl FnMut() -> Command) -> anyhow::Result<(f64, f64, f64, f64)> {
    let mut runs = Vec::with_capacity(n);
    for _ in 0..n {
        runs.push(timed(&mut make())?);
    }
    let mut walls: Vec<f64> = runs.iter().map(|r| ms(r.wall)).collect();
    walls.sort_by(f64::total_cmp);
    let rss = runs.iter().map(|r| r.max_rss).max().unwrap_or(0) as f64 / 1e6;
    Ok((
        walls[0],
        walls[walls.len() / 2],
        walls[walls.len() - 1],
        rss,
    ))
}

fn tinct(exe: &Path, project: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(exe);
    c.arg("-p").arg(project).args(args);
    c
}

pub fn run(quick: bool) -> anyhow::Result<()> {
    let exe = std::env::current_exe()?;
    let dir = tempfile::tempdir()?;
    let project = dir.path().join("project");
    timed(Command::new(&exe).args(["init"]).arg(&project).args([
        "--source",
        "s.%04d.exr",
        "--reference",
        "r.%04d.exr",
    ]))?;
    // The first `--version` after a build asks the worker (loads libtorch); later ones read the
    // cache. Warm it, and report the cold cost apart.
    let cold = timed(Command::new(&exe).arg("--version"))?;
    let n = if quick { 10 } else { 30 };

    let floor = series(n, || Command::new("/bin/true"))?;
    // (label, arguments, in the project?)
    let cases = [
        ("tinct --version", vec!["--version"], false),
        ("tinct status", vec!["status"], true),
        ("tinct note", vec!["note", "bench: a note"], true),
    ];
    println!("start-up: {n} runs each, idle machine assumed (peer: /bin/true, the cost of exec)");
    println!(
        "{:<18} {:>8} {:>8} {:>8} {:>9} {:>14}",
        "command", "min ms", "median", "max", "RSS MB", "median/floor"
    );
    let row = |name: &str, (lo, mid, hi, rss): (f64, f64, f64, f64)| {
        println!(
            "{name:<18} {lo:>8.2} {mid:>8.2} {hi:>8.2} {rss:>9.1} {:>13.1}x",
            mid / floor.1.max(1e-3)
        );
    };
    row("/bin/true", floor);
    for (name, args, in_project) in cases {
        row(
            name,
            series(n, || {
                if in_project {
                    tinct(&exe, &project, &args)
                } else {
                    let mut c = Command::new(&exe);
                    c.args(&args);
                    c
                }
            })?,
        );
    }
    println!(
        "tinct --version, first of this run (asks tinct-worker, which loads libtorch, unless \
         its answer is cached for this worker binary): {:.0} ms, {:.0} MB",
        ms(cold.wall),
        cold.max_rss as f64 / 1e6
    );

    // 8 writers at once, 50 notes each: the journal keeps every entry whole.
    let journal = tinct_core::journal::Journal::open(project.join("notes/experiments.md"));
    let before = journal.entries()?.len();
    let (writers, notes) = (8, if quick { 20 } else { 50 });
    let t0 = Instant::now();
    std::thread::scope(|s| -> anyhow::Result<()> {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let (exe, project) = (&exe, &project);
                s.spawn(move || -> anyhow::Result<()> {
                    for i in 0..notes {
                        let text = format!("writer {w} note {i}: density steady");
                        timed(&mut tinct(exe, project, &["note", &text]))?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("a writer panicked"))??;
        }
        Ok(())
    })?;
    let wall = t0.elapsed();
    let entries = journal.entries()?;
    let intact = entries[before..]
        .iter()
        .filter(|e| e.text.starts_with("writer ") && e.text.ends_with(": density steady"))
        .count();
    println!(
        "journal: {writers} processes x {notes} `tinct note` at once: {intact}/{} entries intact, \
         {} in all, {:.2} s wall ({:.1} ms per note)",
        writers * notes,
        entries.len() - before,
        wall.as_secs_f64(),
        ms(wall) / (writers * notes) as f64
    );
    anyhow::ensure!(
        intact == writers * notes,
        "the journal lost or tore entries"
    );
    Ok(())
}
