//! Typed errors of the jobs module; each names the job, run folder or file concerned.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("no job '{id}' in {runs}")]
    NotFound { id: String, runs: PathBuf },
    #[error("job id '{id}' is ambiguous in {runs}: {candidates}")]
    Ambiguous {
        id: String,
        runs: PathBuf,
        candidates: String,
    },
    #[error("{path}: cannot read job record: {reason}")]
    BadRecord { path: PathBuf, reason: String },
    #[error(
        "unknown external stage '{name}': add [jobs.external.{name}] with argv = [...] to {config}"
    )]
    UnknownExternal { name: String, config: PathBuf },
    #[error("external stage '{name}': {reason}")]
    BadExternal { name: String, reason: String },
    #[error("job {id} is still {state}: cancel it (or wait) before resuming")]
    StillActive { id: String, state: String },
}
