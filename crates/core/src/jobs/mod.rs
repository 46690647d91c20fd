//! Background jobs: every stage run is a job with a run folder `runs/<id>/` (`job.json`,
//! `config.toml`, `log.txt`, `metrics.jsonl`, `telemetry.jsonl`, `artifacts/`), run by a worker
//! process in its own session so it outlives the console, the SSH link and the shell.
//!
//! - [`spawn`]: create the run folder, launch a detached worker (`tinct worker RUN_DIR`).
//! - [`worker`]: run a job to its end in this process (detached worker or foreground run).
//! - [`record`]: `job.json` and its state machine; [`liveness`]: telling `lost` jobs.
//! - [`queue`]: GPU slots; [`external`]: external-command stages; [`follow`]: line followers.
//! - [`control`]: list, cancel, wait, resume.

mod control;
mod error;
pub mod external;
pub mod follow;
pub mod liveness;
pub mod metrics;
mod queue;
pub mod record;
mod spawn;
mod target;
mod telemetry_log;
pub mod worker;

pub use control::{JobInfo, cancel, exit_code_of, find, list, prepare_resume, resume, wait};
pub use error::JobError;
pub use follow::{Follower, LineEvent, Start};
pub use record::{JobRecord, JobState};
pub use spawn::{
    JobRequest, TORCH_WORKER_EXE_ENV, WORKER_EXE_ENV, launch_worker, prepare, run_here,
    run_worker_attached, spawn_detached, tinct_exe, torch_worker_exe,
};
pub use target::{EXTERNAL_PREFIX, JobTarget};
