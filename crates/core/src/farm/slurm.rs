//! Slurm: one job array per submission, one array task per chunk.
//!
//! The script (`runs/<id>/farm.sbatch`) lists every chunk's frames in a bash array and each
//! task picks its own from `SLURM_ARRAY_TASK_ID`, so a resubmit passes only `--array=1,3` on
//! the `sbatch` command line (it overrides the script's `#SBATCH --array`) and the task index is
//! always the chunk's index. The chunk's `tinct` is `exec`ed: the task's process is the chunk.

use super::plan::{FarmJob, Submission};
use anyhow::Context;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

/// `runs/<id>/farm.sbatch`.
pub const SCRIPT_FILE: &str = "farm.sbatch";
/// `runs/<id>/slurm/`: one `%A_%a.out` per task.
pub const OUTPUT_DIR: &str = "slurm";

/// Whether this machine can submit to Slurm.
pub fn available() -> bool {
    which("sbatch").is_some()
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(program))
            .find(|p| p.is_file())
    })
}

/// Run a Slurm client command; its stdout, or an error with its stderr.
fn client(program: &str, args: &[String]) -> anyhow::Result<String> {
    let out = Command::new(program).args(args).output().with_context(|| {
        format!("cannot run `{program}` (is Slurm's client installed? Debian: slurm-client)")
    })?;
    anyhow::ensure!(
        out.status.success(),
        "`{program} {}` failed ({}): {}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The site's `MaxArraySize` (`scontrol show config`): array indices must stay below it.
pub fn max_array_size() -> anyhow::Result<usize> {
    let config = client("scontrol", &["show".into(), "config".into()])?;
    parse_max_array_size(&config).context("`scontrol show config` printed no MaxArraySize")
}

fn parse_max_array_size(config: &str) -> Option<usize> {
    config.lines().find_map(|l| {
        let (key, value) = l.split_once('=')?;
        (key.trim() == "MaxArraySize")
            .then(|| value.trim().parse().ok())
            .flatten()
    })
}

/// Single-quote for bash.
fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
    {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A `#SBATCH` option's value: sbatch's own parser keeps double-quoted text whole.
fn directive_value(s: &str) -> String {
    if s.contains([' ', '\t']) {
        format!("\"{s}\"")
    } else {
        s.to_owned()
    }
}

/// `0-3` or `1,3`, with `%P` when the farm limits how many run at once.
fn array_spec(farm: &FarmJob, chunks: &[usize]) -> String {
    let contiguous = chunks.windows(2).all(|w| w[1] == w[0] + 1);
    let mut spec = match (chunks.first(), chunks.last()) {
        (Some(a), Some(b)) if contiguous && a != b => format!("{a}-{b}"),
        _ => chunks
            .iter()
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(","),
    };
    if let Some(p) = farm.parallel {
        spec.push_str(&format!("%{p}"));
    }
    spec
}

/// The job-array script for every chunk of `farm`.
pub fn script(farm: &FarmJob) -> String {
    let all: Vec<usize> = (0..farm.chunks.len()).collect();
    let run_dir = farm.run_dir();
    let mut s = String::from("#!/bin/bash\n");
    let mut directive = |opt: String| s.push_str(&format!("#SBATCH {opt}\n"));
    directive(format!("--job-name=tinct-{}", farm.stage.id()));
    directive(format!("--array={}", array_spec(farm, &all)));
    directive(format!(
        "--output={}",
        directive_value(
            &run_dir
                .join(OUTPUT_DIR)
                .join("%A_%a.out")
                .display()
                .to_string()
        )
    ));
    directive(format!(
        "--chdir={}",
        directive_value(&farm.root.display().to_string())
    ));
    directive("--ntasks=1".into());
    if farm.gpus_per_task > 0 {
        directive(format!("--gpus={}", farm.gpus_per_task));
    }
    if let Some(p) = &farm.partition {
        directive(format!("--partition={}", directive_value(p)));
    }
    for a in &farm.sbatch_args {
        directive(a.clone());
    }
    s.push_str(&format!(
        "# tinct farm job {}: {} of frames {} in {} chunks of {} frames.\n\
         # Task N renders CHUNKS[N]; `tinct farm status {}` merges their records with squeue.\n\
         set -euo pipefail\n",
        farm.id,
        farm.stage.id(),
        farm.frames,
        farm.chunks.len(),
        farm.chunk_size,
        farm.id
    ));
    s.push_str("CHUNKS=(");
    for (i, c) in farm.chunks.iter().enumerate() {
        if i > 0 {
            s.push(if i % 10 == 0 { '\n' } else { ' ' });
        }
        s.push_str(&c.to_string());
    }
    s.push_str(")\nRANGE=${CHUNKS[$SLURM_ARRAY_TASK_ID]}\nexec");
    for arg in farm.chunk_argv("RANGE") {
        if arg == "RANGE" {
            s.push_str(" \"$RANGE\"");
        } else {
            s.push(' ');
            s.push_str(&quote(&arg));
        }
    }
    s.push('\n');
    s
}

/// Write the script (once) and submit `chunks` as one array; `dry_run` writes only.
pub fn submit(farm: &FarmJob, chunks: &[usize], dry_run: bool) -> anyhow::Result<Submission> {
    let run_dir = farm.run_dir();
    let path = run_dir.join(SCRIPT_FILE);
    if !path.is_file() {
        crate::fsx::write_atomic(&path, script(farm).as_bytes())?;
    }
    let out_dir = run_dir.join(OUTPUT_DIR);
    std::fs::create_dir_all(&out_dir).map_err(|e| crate::fsx::FsError::new(&out_dir, e))?;
    let args = vec![
        "--parsable".to_string(),
        format!("--array={}", array_spec(farm, chunks)),
        path.display().to_string(),
    ];
    let scheduler_id = if dry_run {
        None
    } else {
        let out = client("sbatch", &args)?;
        let id = out.trim().split(';').next().unwrap_or("").to_owned();
        anyhow::ensure!(
            !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()),
            "sbatch printed no job id: {out:?}"
        );
        Some(id)
    };
    Ok(Submission {
        at: crate::jobs::record::now(),
        chunks: chunks.to_vec(),
        scheduler_id,
        pid: None,
        pid_start: None,
        host: crate::jobs::liveness::hostname(),
        submitted: !dry_run,
    })
}

/// What `squeue` says of the farm's tasks still known to it: `(array job id, chunk index)` →
/// Slurm state (`PENDING`, `RUNNING`, `COMPLETING` …). Finished tasks are not listed.
pub fn queue(farm: &FarmJob) -> anyhow::Result<HashMap<(String, usize), String>> {
    let ids: Vec<&str> = farm
        .submissions
        .iter()
        .filter_map(|s| s.scheduler_id.as_deref())
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let args = vec![
        "-h".to_string(),
        "-r".to_string(),
        "-o".to_string(),
        "%i|%T".to_string(),
        "-j".to_string(),
        ids.join(","),
    ];
    let out = match client("squeue", &args) {
        Ok(out) => out,
        // Jobs that ended long ago are unknown to squeue: nothing of them is queued.
        Err(e) if format!("{e}").contains("Invalid job id") => String::new(),
        Err(e) => return Err(e),
    };
    Ok(parse_queue(&out))
}

fn parse_queue(out: &str) -> HashMap<(String, usize), String> {
    out.lines()
        .filter_map(|l| {
            let (id, state) = l.trim().split_once('|')?;
            let (job, task) = id.split_once('_')?;
            Some(((job.to_owned(), task.parse().ok()?), state.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_array_limit_and_the_queue() {
        let config = "Configuration data as of 2026-12-04T00:00:00\nMaxArraySize            = 1001\nMaxJobCount = 10000\n";
        assert_eq!(parse_max_array_size(config), Some(1001));
        let q = parse_queue("41_0|RUNNING\n41_3|PENDING\n41_[5-6]|PENDING\n");
        assert_eq!(q[&("41".to_owned(), 0)], "RUNNING");
        assert_eq!(q[&("41".to_owned(), 3)], "PENDING");
        assert_eq!(q.len(), 2);
    }

    #[test]
    fn quoting_keeps_paths_whole() {
        assert_eq!(quote("/data/reel 1/it's"), r"'/data/reel 1/it'\''s'");
        assert_eq!(quote("--frames"), "--frames");
    }
}
