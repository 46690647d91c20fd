//! A real single-node Slurm cluster on loopback (munged, slurmctld, slurmd), started under a
//! temp dir and stopped when dropped: how the farm tests and `tinct bench farm` reach a real
//! `sbatch`/`squeue` instead of a mock. Nothing outside the temp dir is touched: the cluster has its own munge
//! key and socket, its own free ports, state, spool, pid and log files, so it runs beside a
//! system Slurm and beside other tests' clusters.
//!
//! Start it on a fresh temp dir that outlives the value:
//!
//! ```ignore
//! let tmp = tempfile::tempdir().unwrap();
//! let slurm = Slurm::start(tmp.path()).unwrap(); // dropped before `tmp`
//! let id = slurm.client("sbatch", &["--parsable", "--wrap", "true"]).unwrap();
//! ```
use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, Uid, User};
use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long the node may take to register and show `idle`.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a daemon gets after SIGTERM before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(5);
/// Log lines of each daemon quoted in an error.
const LOG_TAIL: usize = 25;

/// The daemons, in the order they stop: slurmd first so no node is left without a controller
/// to report to, munged last because both authenticate through it while shutting down.
const DAEMONS: [Daemon; 3] = [Daemon::Slurmd, Daemon::Slurmctld, Daemon::Munged];

/// Prefixes of the variables Slurm's commands take input from (SBATCH_PARTITION, SQUEUE_FORMAT,
/// SLURM_JOB_ID, ...).
const INHERITED_SLURM_VARS: [&str; 8] = [
    "SLURM_",
    "SBATCH_",
    "SQUEUE_",
    "SINFO_",
    "SCANCEL_",
    "SCONTROL_",
    "SALLOC_",
    "SRUN_",
];

/// True when the daemons and the client commands are installed (`scripts/dev test` installs
/// them; a test may print SKIPPED where they are not).
pub fn available() -> bool {
    [
        "munged",
        "slurmctld",
        "slurmd",
        "sbatch",
        "squeue",
        "sinfo",
        "scontrol",
    ]
    .iter()
    .all(|p| find_program(p).is_some())
}

/// A running cluster; dropping it stops its daemons, whatever state the test left them in.
pub struct Slurm {
    dir: PathBuf,
    conf: PathBuf,
}

#[derive(Clone, Copy, PartialEq)]
enum Daemon {
    Munged,
    Slurmctld,
    Slurmd,
}

impl Daemon {
    fn name(self) -> &'static str {
        match self {
            Daemon::Munged => "munged",
            Daemon::Slurmctld => "slurmctld",
            Daemon::Slurmd => "slurmd",
        }
    }

    fn pid_file(self, dir: &Path) -> PathBuf {
        match self {
            Daemon::Munged => dir.join("munge/munged.pid"),
            Daemon::Slurmctld => dir.join("slurmctld.pid"),
            Daemon::Slurmd => dir.join("slurmd.pid"),
        }
    }

    fn log_file(self, dir: &Path) -> PathBuf {
        match self {
            Daemon::Munged => dir.join("munge/munged.log"),
            Daemon::Slurmctld => dir.join("log/slurmctld.log"),
            Daemon::Slurmd => dir.join("log/slurmd.log"),
        }
    }

    /// The daemon's pid, if its pid file names a live process of that daemon (a stale file may
    /// name a pid the system has since given to something else).
    fn running_pid(self, dir: &Path) -> Option<Pid> {
        let pid: i32 = fs::read_to_string(self.pid_file(dir))
            .ok()?
            .trim()
            .parse()
            .ok()?;
        let comm = fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        (comm.trim() == self.name() && alive(pid)).then_some(Pid::from_raw(pid))
    }
}

impl Slurm {
    /// Start munged, slurmctld and slurmd under `dir` (a fresh temp dir) and wait until `sinfo`
    /// shows the node idle. On failure whatever was started is stopped again and the error
    /// quotes the tail of the daemon logs.
    pub fn start(dir: &Path) -> Result<Slurm> {
        for prog in ["munged", "slurmctld", "slurmd", "sinfo"] {
            if find_program(prog).is_none() {
                bail!(
                    "{prog} is not installed (apt-get install slurmctld slurmd slurm-client munge)"
                );
            }
        }
        let dir = dir
            .canonicalize()
            .with_context(|| format!("no directory {}", dir.display()))?;
        let conf = dir.join("slurm.conf");
        // The value exists before any daemon does, so an error below drops it and stops
        // whatever had already started.
        let slurm = Slurm { dir, conf };
        slurm.start_munged()?;
        slurm.write_conf()?;
        slurm.daemon(Daemon::Slurmctld, &[])?;
        // The node is called `localhost` whatever the machine's host name is: `-N` tells slurmd
        // which NodeName it is.
        slurm.daemon(Daemon::Slurmd, &["-N", "localhost"])?;
        slurm.wait_idle()?;
        Ok(slurm)
    }

    /// What a client command (sbatch, squeue, scontrol, sinfo, scancel, or `tinct farm`, which
    /// runs them) needs to talk to this cluster. The munge socket is named in slurm.conf
    /// (`AuthInfo`), so the config file is all. [`Slurm::command`] also clears the Slurm
    /// variables a command would otherwise inherit.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![("SLURM_CONF".into(), self.conf.display().to_string())]
    }

    /// `program` set up to talk to this cluster: [`Slurm::env`] applied, and the Slurm input
    /// variables of the test's own environment removed (a CI runner that is itself a Slurm job
    /// has SLURM_JOB_ID, SBATCH_PARTITION and the like, which would steer sbatch and squeue).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let program = program.as_ref();
        let resolved = program
            .to_str()
            .and_then(find_program)
            .unwrap_or_else(|| PathBuf::from(program));
        let mut cmd = Command::new(resolved);
        for (key, _) in std::env::vars_os() {
            let Some(key) = key.to_str() else { continue };
            if INHERITED_SLURM_VARS.iter().any(|p| key.starts_with(p)) {
                cmd.env_remove(key);
            }
        }
        cmd.envs(self.env());
        cmd
    }

    /// Run a client command against this cluster and return its stdout; a non-zero exit is an
    /// error that quotes stderr.
    pub fn client(&self, program: &str, args: &[&str]) -> Result<String> {
        let out = self
            .command(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("cannot run {program}"))?;
        if !out.status.success() {
            bail!(
                "`{program} {}` failed ({}): {}{}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim(),
                String::from_utf8_lossy(&out.stdout).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The directory the cluster lives in (config, logs, state).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The last lines of each daemon's log and of the job completion log: for a test's failure
    /// message.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for d in DAEMONS {
            out += &tail(&d.log_file(&self.dir));
        }
        out + &tail(&self.dir.join("log/jobcomp.txt"))
    }

    /// munged with its own key, socket, pid, log and seed files: the cluster never talks to a
    /// system munged, and its credentials mean nothing to one.
    fn start_munged(&self) -> Result<()> {
        // munged refuses a socket unless every directory above it is searchable by all (clients
        // of any user must reach it), and a key or log in a directory others can write. A temp
        // dir is 0700, so open it up to 0755.
        fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o755))?;
        let munge = self.dir.join("munge");
        fs::create_dir_all(&munge)?;
        fs::set_permissions(&munge, fs::Permissions::from_mode(0o755))?;
        let socket = self.socket();
        // sun_path holds 108 bytes; a longer path fails deep inside munged with a vague error.
        if socket.as_os_str().len() > 100 {
            bail!(
                "munge socket path {} is too long for a Unix socket: start the cluster in a shorter \
                 directory (tempfile::tempdir() is fine)",
                socket.display()
            );
        }
        // 1024 random bytes, as mungekey makes them; munged wants the key private (0400/0600).
        let key_path = munge.join("munge.key");
        let mut key = vec![0u8; 1024];
        fs::File::open("/dev/urandom")?.read_exact(&mut key)?;
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o400)
            .open(&key_path)
            .with_context(|| format!("cannot create {}", key_path.display()))?
            .write_all(&key)?;
        let args = [
            format!("--socket={}", socket.display()),
            format!("--key-file={}", key_path.display()),
            format!("--pid-file={}", munge.join("munged.pid").display()),
            format!("--log-file={}", munge.join("munged.log").display()),
            format!("--seed-file={}", munge.join("munged.seed").display()),
        ];
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.daemon(Daemon::Munged, &args)
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("munge/munge.socket")
    }

    fn write_conf(&self) -> Result<()> {
        let d = &self.dir;
        for sub in ["state", "spool", "log"] {
            fs::create_dir_all(d.join(sub))?;
        }
        // Slurm runs its daemons as SlurmUser/SlurmdUser and refuses to switch to another user
        // unless it is root: name whoever runs the tests.
        let user = User::from_uid(Uid::current())
            .ok()
            .flatten()
            .map_or_else(|| "root".to_owned(), |u| u.name);
        let [ctld_port, slurmd_port] = free_ports()?;
        let conf = format!(
            "\
# Written by tests/slurm_support for one test: everything lives under {dir}.
ClusterName=tinct-test
SlurmctldHost=localhost
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser={user}
SlurmdUser={user}
AuthType=auth/munge
AuthInfo=socket={socket}
CredType=cred/munge
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={ctld_pid}
SlurmdPidFile={slurmd_pid}
SlurmctldLogFile={ctld_log}
SlurmdLogFile={slurmd_log}
# No cgroups: a test machine or container may not delegate them, and pgid tracking is enough
# to find and kill a job's processes.
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc={dir}/log/jobcomp.txt
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
# The default /bin/mail is absent on a test machine and slurmctld logs an error for it.
MailProg=/bin/true
# Schedule at once rather than Slurm's batching delays (3 s after each submission or
# completion, a full pass every 60 s): an array throttled with %N otherwise waits seconds
# between its waves.
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_interval=1,bf_interval=1
# Short timeouts so a broken cluster fails a test in seconds; KillWait is the SIGTERM to
# SIGKILL gap for a cancelled job, which teardown waits through.
SlurmdTimeout=30
MessageTimeout=10
KillWait=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
",
            dir = d.display(),
            socket = self.socket().display(),
            ctld_pid = Daemon::Slurmctld.pid_file(d).display(),
            slurmd_pid = Daemon::Slurmd.pid_file(d).display(),
            ctld_log = Daemon::Slurmctld.log_file(d).display(),
            slurmd_log = Daemon::Slurmd.log_file(d).display(),
        );
        fs::write(&self.conf, conf)?;
        Ok(())
    }

    /// Start one daemon (each forks into the background by itself) and wait for its pid file,
    /// so that Drop can always find it.
    fn daemon(&self, d: Daemon, args: &[&str]) -> Result<()> {
        let mut cmd = Command::new(find_program(d.name()).context("not installed")?);
        if d != Daemon::Munged {
            cmd.arg("-f").arg(&self.conf);
        }
        let out = cmd
            .args(args)
            .env("SLURM_CONF", &self.conf)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("cannot run {}", d.name()))?;
        if !out.status.success() {
            bail!(
                "{} exited with {}: {}\n{}",
                d.name(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim(),
                self.logs()
            );
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while d.running_pid(&self.dir).is_none() {
            if Instant::now() > deadline {
                bail!("{} did not stay up\n{}", d.name(), self.logs());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// Wait until the node has registered with the controller and takes jobs.
    fn wait_idle(&self) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            // A daemon that died (a port taken after all, a config it rejects) will not come
            // back: say so now rather than after the timeout.
            if let Some(d) = DAEMONS.iter().find(|d| d.running_pid(&self.dir).is_none()) {
                bail!("{} died during start-up\n{}", d.name(), self.logs());
            }
            let last = match self.client("sinfo", &["-h", "-o", "%T"]) {
                Ok(state) if state.trim() == "idle" => return Ok(()),
                Ok(state) => format!("node state {:?}", state.trim()),
                Err(e) => e.to_string(),
            };
            if Instant::now() > deadline {
                bail!(
                    "the node is not idle after {START_TIMEOUT:?} ({last})\n{}",
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Cancel whatever jobs are left, so slurmd is not stopped with job steps (and their
    /// processes) still running: those would outlive the cluster.
    fn cancel_jobs(&self) {
        let Ok(ids) = self.client("squeue", &["-h", "-o", "%A"]) else {
            return;
        };
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if ids.is_empty() {
            return;
        }
        let _ = self.client("scancel", &ids);
        // KillWait is 2 s; give the steps a little longer to go.
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            match self.client("squeue", &["-h", "-o", "%A"]) {
                Ok(left) if !left.trim().is_empty() => {
                    std::thread::sleep(Duration::from_millis(200))
                }
                _ => break,
            }
        }
    }
}

impl Drop for Slurm {
    fn drop(&mut self) {
        if Daemon::Slurmctld.running_pid(&self.dir).is_some() {
            self.cancel_jobs();
        }
        for d in DAEMONS {
            let Some(pid) = d.running_pid(&self.dir) else {
                continue;
            };
            let _ = kill(pid, Signal::SIGTERM);
            let deadline = Instant::now() + STOP_GRACE;
            while alive(pid.as_raw()) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            if alive(pid.as_raw()) {
                eprintln!("slurm_support: {} ignored SIGTERM, killing it", d.name());
                let _ = kill(pid, Signal::SIGKILL);
            }
        }
    }
}

/// Whether `pid` is a live process (a zombie waiting to be reaped counts as gone).
fn alive(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name: `pid (comm) S ...`.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => false,
    }
}

/// `program` on PATH, or in the sbin directories a normal user's PATH leaves out (the daemons
/// live in /usr/sbin).
fn find_program(program: &str) -> Option<PathBuf> {
    // A path is taken as it is, as the shell does.
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Two free TCP ports on loopback, picked by binding port 0. Both listeners are held until
/// both are picked so the two differ; the daemons bind them a moment later.
fn free_ports() -> Result<[u16; 2]> {
    let a = TcpListener::bind("127.0.0.1:0")?;
    let b = TcpListener::bind("127.0.0.1:0")?;
    Ok([a.local_addr()?.port(), b.local_addr()?.port()])
}

/// The last lines of a log file, headed by its name; empty where the file does not exist.
fn tail(path: &Path) -> String {
    let Ok(text) = fs::read_to_string(path) else {
        return String::new();
    };
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(LOG_TAIL);
    format!(
        "--- {} (last {} lines)\n{}\n",
        path.display(),
        lines.len() - start,
        lines[start..].join("\n")
    )
}
