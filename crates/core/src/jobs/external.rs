//! External-command stages (`[jobs.external.<name>]`): someone else's program run as a stage,
//! e.g. a Nuke render in terminal mode or a site's own script. No shell is involved: `argv[0]`
//! is executed with the remaining arguments. Its stdout and stderr lines go to `log.txt`; lines
//! matching a metric regex become `metrics.jsonl` records.
//!
//! The program sees `TINCT_PROJECT`, `TINCT_RUN_DIR`, `TINCT_ARTIFACTS`, and on a resumed run
//! `TINCT_RESUME_FROM` (the earlier run folder, where its checkpoints are), plus `TINCT_FRAMES`
//! (`A-B`) when `--frames` was given.

use super::error::JobError;
use crate::stages::{Ctx, Outcome};
use regex::Regex;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// How an external stage's process ended when it did not exit 0.
#[derive(Debug, thiserror::Error)]
#[error("external stage '{name}' {how}")]
pub struct ExternalExit {
    pub name: String,
    /// The exit status as a shell reports it (128 + signal when killed by one).
    pub code: i32,
    pub how: String,
}

/// One compiled `metrics` rule.
#[derive(Debug)]
struct MetricPattern {
    regex: Regex,
    fields: Vec<String>,
}

/// A configured external stage, validated and ready to run.
#[derive(Debug)]
pub struct ExternalCommand {
    pub name: String,
    pub argv: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub cwd: PathBuf,
    patterns: Vec<MetricPattern>,
}

impl ExternalCommand {
    /// Look `name` up in `ctx.config` and compile its metric regexes.
    pub fn from_ctx(ctx: &Ctx, name: &str) -> Result<ExternalCommand, JobError> {
        let spec = ctx
            .config
            .jobs
            .external
            .get(name)
            .ok_or_else(|| JobError::UnknownExternal {
                name: name.to_string(),
                config: ctx.project.root.join(crate::project::CONFIG_FILE),
            })?;
        let bad = |reason: String| JobError::BadExternal {
            name: name.to_string(),
            reason,
        };
        if spec.argv.is_empty() {
            return Err(bad(
                "argv is empty: give the program and its arguments".into()
            ));
        }
        let mut patterns = Vec::new();
        for rule in &spec.metrics {
            let regex = Regex::new(&rule.regex)
                .map_err(|e| bad(format!("metrics regex '{}': {e}", rule.regex)))?;
            let named: Vec<String> = regex
                .capture_names()
                .flatten()
                .map(str::to_string)
                .collect();
            for f in &rule.fields {
                if !named.contains(f) {
                    return Err(bad(format!(
                        "metrics field '{f}' is not a named group of '{}'",
                        rule.regex
                    )));
                }
            }
            let fields = if rule.fields.is_empty() {
                named
            } else {
                rule.fields.clone()
            };
            patterns.push(MetricPattern { regex, fields });
        }
        let cwd = if spec.cwd.is_empty() {
            ctx.project.root.clone()
        } else {
            ctx.project.path(&spec.cwd)
        };
        Ok(ExternalCommand {
            name: name.to_string(),
            argv: spec.argv.clone(),
            env: spec.env.clone(),
            cwd,
            patterns,
        })
    }

    /// The numeric fields one output line yields (every matching rule contributes), or `None`.
    pub fn metrics_of(&self, line: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
        let mut record = serde_json::Map::new();
        for p in &self.patterns {
            let Some(caps) = p.regex.captures(line) else {
                continue;
            };
            for field in &p.fields {
                if let Some(n) = caps.name(field).and_then(|m| number(m.as_str())) {
                    record.insert(field.clone(), serde_json::Value::Number(n));
                }
            }
        }
        (!record.is_empty()).then_some(record)
    }
}

/// `12` stays an integer, `0.25` or `1e-3` a float; anything else is not a metric.
fn number(text: &str) -> Option<serde_json::Number> {
    let text = text.trim();
    match text.parse::<i64>() {
        Ok(i) => Some(i.into()),
        Err(_) => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64),
    }
}

/// Copy one output stream line by line into the log, turning matching lines into metrics.
/// Returns the last value seen of each metric field.
fn pump(
    ctx: &Ctx,
    cmd: &ExternalCommand,
    stream: impl Read,
) -> serde_json::Map<String, serde_json::Value> {
    let mut last = serde_json::Map::new();
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    while reader.read_until(b'\n', &mut buf).unwrap_or(0) > 0 {
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim_end_matches(['\n', '\r']);
        ctx.log(line);
        if let Some(record) = cmd.metrics_of(line) {
            last.extend(record.clone());
            if let Err(e) = ctx.metric(serde_json::Value::Object(record)) {
                ctx.log(format!("tinct: cannot record metrics: {e}"));
            }
        }
        buf.clear();
    }
    last
}

/// Run the external stage `name` to its end. SIGTERM reaches it with the whole job's process
/// group; a foreground cancel is forwarded to it here.
pub fn run(ctx: &Ctx, name: &str) -> anyhow::Result<Outcome> {
    let cmd = ExternalCommand::from_ctx(ctx, name)?;
    let mut command = Command::new(&cmd.argv[0]);
    command
        .args(&cmd.argv[1..])
        .envs(&cmd.env)
        .env("TINCT_PROJECT", &ctx.project.root)
        .env("TINCT_RUN_DIR", &ctx.run_dir)
        .env("TINCT_ARTIFACTS", ctx.artifacts())
        .current_dir(&cmd.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(from) = &ctx.resume_from {
        command.env("TINCT_RESUME_FROM", from);
    }
    if let Some(f) = ctx.frames {
        command.env("TINCT_FRAMES", f.to_string());
    }
    #[cfg(target_os = "linux")]
    // SAFETY: prctl is async-signal-safe. If the worker dies (kill -9), the command gets SIGTERM
    // instead of running on unsupervised.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, || {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    ctx.log(format!(
        "tinct: running {:?} in {}",
        cmd.argv,
        cmd.cwd.display()
    ));
    let mut child = command.spawn().map_err(|e| JobError::BadExternal {
        name: name.to_string(),
        reason: format!("cannot start '{}': {e}", cmd.argv[0]),
    })?;
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let (status, last) = std::thread::scope(|s| {
        let out = s.spawn(|| pump(ctx, &cmd, stdout));
        let err = s.spawn(|| pump(ctx, &cmd, stderr));
        let status = wait_forwarding_cancel(ctx, &mut child);
        let mut last = out.join().unwrap_or_default();
        last.extend(err.join().unwrap_or_default());
        (status, last)
    });
    let status = status?;
    use std::os::unix::process::ExitStatusExt;
    let (code, how) = match (status.code(), status.signal()) {
        (Some(c), _) => (c, format!("exited with code {c}")),
        (None, Some(sig)) => (128 + sig, format!("was killed by signal {sig}")),
        _ => (1, "ended in an unknown way".to_string()),
    };
    if code != 0 {
        return Err(ExternalExit {
            name: name.to_string(),
            code,
            how,
        }
        .into());
    }
    Ok(Outcome {
        summary: format!("{} {how}", cmd.argv[0]),
        outputs: Vec::new(),
        metrics: serde_json::Value::Object(last),
    })
}

/// Wait for the child; when the job is cancelled, pass SIGTERM on (a detached job's whole
/// process group already got it; a foreground `tinct cancel` signals only the worker).
fn wait_forwarding_cancel(
    ctx: &Ctx,
    child: &mut std::process::Child,
) -> std::io::Result<std::process::ExitStatus> {
    let mut forwarded = false;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if ctx.cancelled() && !forwarded {
            let pid = nix::unistd::Pid::from_raw(child.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            forwarded = true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
