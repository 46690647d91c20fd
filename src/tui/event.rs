//! The one event type that flows through the console's channel.

use super::data::{JobView, JournalEntryView, RunMetrics, StageView};
use crate::telemetry::Sample;
use crossterm::event::KeyEvent;

/// Which watched file changed (debounced), so the runtime reloads only what is stale.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// Something under `runs/` (job.json, metrics.jsonl, log.txt, artifacts).
    Run(String),
    Config,
    Sop,
    Journal,
    Theme,
    Keys,
}

#[derive(Debug)]
pub enum Event {
    Key(KeyEvent),
    Resize(u16, u16),
    /// The full job list, re-read after a run directory changed.
    JobUpdate(Vec<JobView>),
    /// Newly appended metrics of one run (merged into what the app holds for that run).
    Metrics(String, RunMetrics),
    /// A new log tail for the attached job.
    Log(String, Vec<String>),
    Telemetry(Sample, Option<String>),
    FileChanged(FileKind),
    /// The checklist or journal re-read from disk.
    Checklist(Vec<StageView>),
    Journal(Vec<JournalEntryView>),
    /// A finished side effect reporting back (`Ok` = message for the status bar).
    Done(Result<String, String>),
    /// A decoded contact sheet (rows of RGB pixels) for the monitor, decoded off the draw path.
    Picture(String, super::data::Picture),
    /// Only where time itself must show (ETA countdown while a job runs).
    Tick,
    Quit,
}
