//! `tinct bench farm`: the same reel rendered through the farm engines against one process.
//!
//! The case is the demo project (embedded CC0 footage, 512×288), aligned, its source extended
//! to 200 frames by hard links (a render is per frame, so repeated pictures cost the same), and
//! the MatchGrade render (no torch, so it runs anywhere). Peer: `tinct run matchgrade` over all
//! frames in one process. Then the farm: `--engine local` with 1 and 2 workers, and Slurm with
//! 2 tasks at once on a loopback single-node cluster (`farm::loopback`) when Slurm is installed.
//!
//! Printed per engine: wall time, frames/s, the ratio to the peer, and per chunk
//! - *scheduling*: worker-slot time spent outside any chunk process ((wall × slots − Σ chunk
//!   seconds) / chunks): submission, queueing, process start;
//! - *split cost*: what a chunk costs beyond its share of the peer's work ((Σ chunk seconds −
//!   peer seconds) / chunks): opening the project, the MatchGrade fit each chunk repeats.

use super::BenchOpts;
use anyhow::Context;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn tinct(root: &Path, env: &[(String, String)], args: &[&str]) -> anyhow::Result<String> {
    let exe = crate::jobs::tinct_exe()?;
    let out = Command::new(&exe)
        .arg("--project")
        .arg(root)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .with_context(|| format!("cannot run {}", exe.display()))?;
    anyhow::ensure!(
        out.status.success(),
        "`tinct {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The aligned demo project with `frames` source frames.
fn make_case(dir: &Path, frames: i64) -> anyhow::Result<std::path::PathBuf> {
    let root = dir.join("demo");
    let exe = crate::jobs::tinct_exe()?;
    let out = Command::new(&exe)
        .args(["demo", "--no-open", "--seed", "7"])
        .arg(&root)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "tinct demo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for stage in [
        &["run", "sync"][..],
        &["run", "suggest"],
        &["run", "curate", "--from-suggested"],
        &["run", "align"],
    ] {
        tinct(&root, &[], stage)?;
    }
    let project = crate::project::Project::load(&root)?;
    let pattern = project.path(&project.config.source.pattern);
    let seq = crate::media::Sequence::discover(&pattern)?;
    let have = seq.frames.clone();
    for f in (have.last().copied().unwrap_or(0) + 1)..=frames {
        let from = seq.path(have[((f - 1) as usize) % have.len()]);
        let to = seq.path(f);
        std::fs::hard_link(&from, &to)
            .or_else(|_| std::fs::copy(&from, &to).map(|_| ()))
            .with_context(|| format!("{}: cannot extend the source", to.display()))?;
    }
    Ok(root)
}

struct Row {
    label: String,
    wall_s: f64,
    slots: usize,
    chunks: usize,
    busy_s: f64,
}

fn clear_render(root: &Path) -> anyhow::Result<()> {
    let dir = root.join(crate::project::layout::MATCHGRADE);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}

fn farm_round(
    root: &Path,
    env: &[(String, String)],
    engine: &str,
    slots: usize,
    frames: i64,
    chunk: usize,
) -> anyhow::Result<Row> {
    clear_render(root)?;
    let t0 = Instant::now();
    let out = tinct(
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
            &format!("1-{frames}"),
            "--chunk",
            &chunk.to_string(),
            "--parallel",
            &slots.to_string(),
        ],
    )?;
    let id = out.lines().last().unwrap_or("").trim().to_owned();
    tinct(root, env, &["farm", "wait", &id])?;
    let wall_s = t0.elapsed().as_secs_f64();
    let farm = crate::farm::find(root, &id)?;
    let busy_s = farm
        .chunks
        .iter()
        .filter_map(|&c| crate::farm::chunk::read_record(&farm, c))
        .map(|r| r.seconds)
        .sum();
    Ok(Row {
        label: format!("{engine} ×{slots}"),
        wall_s,
        slots,
        chunks: farm.chunks.len(),
        busy_s,
    })
}

pub fn run(opts: &BenchOpts) -> anyhow::Result<()> {
    let (frames, chunk) = if opts.quick { (100, 25) } else { (200, 50) };
    let tmp = tempfile::tempdir()?;
    let root = make_case(tmp.path(), frames)?;
    println!(
        "bench farm: the MatchGrade render of {frames} demo frames (512x288, CC0 footage), chunks of {chunk}"
    );

    let t0 = Instant::now();
    tinct(
        &root,
        &[],
        &["run", "matchgrade", "--frames", &format!("1-{frames}")],
    )?;
    let peer_s = t0.elapsed().as_secs_f64();
    println!(
        "  peer: one process (`tinct run matchgrade`): {peer_s:.1} s, {:.2} frames/s",
        frames as f64 / peer_s
    );

    let mut rows = vec![
        farm_round(&root, &[], "local", 1, frames, chunk)?,
        farm_round(&root, &[], "local", 2, frames, chunk)?,
    ];
    if crate::farm::loopback::available() {
        let cluster = tmp.path().join("slurm");
        std::fs::create_dir_all(&cluster)?;
        let slurm = crate::farm::loopback::Slurm::start(&cluster)?;
        rows.push(farm_round(&root, &slurm.env(), "slurm", 2, frames, chunk)?);
        drop(slurm);
    } else {
        println!("  slurm: skipped (not installed; `scripts/dev test` installs it)");
    }
    println!(
        "  {:<10} {:>8} {:>9} {:>9} {:>16} {:>16}",
        "engine", "wall s", "frames/s", "vs peer", "sched s/chunk", "split s/chunk"
    );
    for r in &rows {
        let k = r.chunks.max(1) as f64;
        println!(
            "  {:<10} {:>8.1} {:>9.2} {:>8.2}x {:>16.2} {:>16.2}",
            r.label,
            r.wall_s,
            frames as f64 / r.wall_s,
            peer_s / r.wall_s,
            (r.wall_s * r.slots as f64 - r.busy_s) / k,
            (r.busy_s - peer_s) / k,
        );
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "  ({cores} cores here: each chunk's render already uses every core, so a second worker \
         overlaps one chunk's fit with another's render rather than doubling the speed)"
    );
    Ok(())
}
