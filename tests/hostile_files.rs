//! 390 hostile media files (seeded mutations of real frames: truncated, bytes flipped in header
//! and data, zero length, wrong extension, headers declaring huge sizes) through
//! `tinct media info` and `tinct media convert` under a 4 GB address-space limit: no panic, no
//! abort, no hang, and every refusal is one clear line naming the file.

mod hostile_support;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ADDRESS_LIMIT_KB: u64 = 4 * 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(30);

/// What one `tinct` run under the limits did.
struct Run {
    code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    stderr: String,
    max_rss_kb: i64,
}

/// Run `tinct ARGS` with `ulimit -v`, collecting its peak RSS from `wait4`.
// The child is reaped by `wait4` below (std's `wait` cannot report its peak RSS).
#[allow(clippy::zombie_processes)]
fn run_limited(args: &[&str]) -> Run {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {ADDRESS_LIMIT_KB}; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_tinct"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut err, &mut s).ok();
        s
    });
    let pid = child.id() as libc::pid_t;
    let start = Instant::now();
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut timed_out = false;
    loop {
        // SAFETY: plain wait4 on our own child; status and usage are valid out-pointers.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        if start.elapsed() > TIMEOUT && !timed_out {
            timed_out = true;
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let st = std::process::ExitStatus::from_raw(status);
    Run {
        code: st.code(),
        signal: st.signal(),
        timed_out,
        stderr: reader.join().unwrap(),
        max_rss_kb: usage.ru_maxrss,
    }
}

/// Why a run is a defect, if it is one.
fn defect(run: &Run, file: &Path) -> Option<String> {
    let name = file.file_name().unwrap().to_str().unwrap();
    if run.timed_out {
        return Some("hung (killed after 30 s)".into());
    }
    if let Some(s) = run.signal {
        return Some(format!("killed by signal {s}: {}", run.stderr.trim()));
    }
    match run.code {
        Some(0) => None,
        Some(1) if run.stderr.contains(name) => None,
        Some(1) => Some(format!(
            "error does not name the file: {}",
            run.stderr.trim()
        )),
        c => Some(format!(
            "exit {c:?} (panic or abort): {}",
            run.stderr.trim()
        )),
    }
}

/// One case's verdict.
struct CaseResult {
    file: String,
    problem: Option<String>,
    max_rss_kb: i64,
    /// For a huge-header case that was refused: whether its size is above the budget.
    rejected_huge: Option<bool>,
    converted: bool,
    output: std::path::PathBuf,
}

fn run_case(file: &Path, mutation: &str, out_dir: &Path) -> CaseResult {
    let f = file.to_str().unwrap();
    let info = run_limited(&["media", "info", f]);
    let name = file.file_name().unwrap().to_str().unwrap();
    let output = out_dir.join(format!("{name}.exr"));
    let conv = run_limited(&["media", "convert", f, output.to_str().unwrap()]);
    let problem = defect(&info, file)
        .map(|d| format!("media info: {d}"))
        .or_else(|| defect(&conv, file).map(|d| format!("media convert: {d}")));
    let converted = conv.code == Some(0);
    CaseResult {
        file: f.to_owned(),
        problem,
        max_rss_kb: info.max_rss_kb.max(conv.max_rss_kb),
        rejected_huge: (mutation.starts_with("huge") && !converted)
            .then(|| !mutation.contains("20000")),
        converted,
        output,
    }
}

#[test]
fn hostile_files_get_a_clear_error_and_never_crash() {
    let dir = tempfile::tempdir().unwrap();
    let seeds_dir = dir.path().join("seeds");
    let cases_dir = dir.path().join("cases");
    std::fs::create_dir_all(&seeds_dir).unwrap();
    std::fs::create_dir_all(&cases_dir).unwrap();
    let seeds = hostile_support::write_seeds(&seeds_dir);
    assert_eq!(seeds.len(), 30);
    let cases = hostile_support::write_cases(&seeds, &cases_dir, 15);
    assert_eq!(cases.len(), 390);

    let out_dir = dir.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    let results: Vec<CaseResult> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .chunks(cases.len().div_ceil(4))
            .map(|chunk| {
                let out_dir = &out_dir;
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|(file, _, mutation)| run_case(file, mutation, out_dir))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });

    let defects: Vec<_> = results
        .iter()
        .filter_map(|r| r.problem.as_ref().map(|p| format!("{}: {p}", r.file)))
        .collect();
    let peak = |over_budget: bool| {
        results
            .iter()
            .filter(|r| r.rejected_huge == Some(over_budget))
            .map(|r| r.max_rss_kb / 1024)
            .max()
            .unwrap_or(0)
    };
    eprintln!(
        "{} cases, {} defects; peak RSS of a rejected huge header: {} MB above media.max-pixels \
         (100000x100000, wrapping), {} MB within it (20000x20000)",
        results.len(),
        defects.len(),
        peak(true),
        peak(false)
    );
    assert!(
        defects.is_empty(),
        "{} defects:\n{}",
        defects.len(),
        defects.join("\n")
    );
    assert!(
        peak(true) < 100,
        "a rejected over-budget header used {} MB",
        peak(true)
    );
    // A refused conversion leaves nothing under the final name.
    for r in results.iter().filter(|r| !r.converted) {
        assert!(!r.output.exists(), "{} left {}", r.file, r.output.display());
    }
}
