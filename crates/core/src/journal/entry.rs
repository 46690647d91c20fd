//! One journal entry: who did what, when, at which SOP step, and what it was based on.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What an entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An observation.
    Note,
    /// A choice and its rationale ("similarity model: the telecine has no keystone").
    Decision,
    /// A quality check the work passed.
    QcPass,
    /// A quality check the work failed, and why.
    QcFail,
}

impl Kind {
    pub fn id(self) -> &'static str {
        match self {
            Kind::Note => "note",
            Kind::Decision => "decision",
            Kind::QcPass => "qc-pass",
            Kind::QcFail => "qc-fail",
        }
    }

    pub fn from_id(s: &str) -> Option<Kind> {
        [Kind::Note, Kind::Decision, Kind::QcPass, Kind::QcFail]
            .into_iter()
            .find(|k| k.id() == s)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// UTC, whole seconds (written ISO 8601, `2026-11-26T14:20:03Z`).
    pub timestamp: DateTime<Utc>,
    /// `$USER` of whoever wrote it.
    pub operator: String,
    /// SOP stage id (`dataset`, `alignment`, ...), if the entry belongs to one.
    pub stage: Option<String>,
    /// SOP step id, if the entry belongs to one.
    pub step: Option<String>,
    pub kind: Kind,
    pub text: String,
    /// The run the entry is about (`runs/<id>/`).
    pub run_id: Option<String>,
    /// The config values that matter for this entry, `section.key` → value.
    pub config: BTreeMap<String, String>,
    /// A snapshot of the run's metrics.
    pub metrics: BTreeMap<String, serde_json::Value>,
}

impl Entry {
    /// A new entry stamped now, by the current operator.
    pub fn new(kind: Kind, text: impl Into<String>) -> Entry {
        Entry {
            timestamp: Utc::now().trunc_subsecs(0),
            operator: current_operator(),
            stage: None,
            step: None,
            kind,
            text: text.into(),
            run_id: None,
            config: BTreeMap::new(),
            metrics: BTreeMap::new(),
        }
    }

    pub fn at(mut self, stage: Option<&str>, step: Option<&str>) -> Entry {
        self.stage = stage.map(str::to_string);
        self.step = step.map(str::to_string);
        self
    }

    pub fn with_run(mut self, run_id: impl Into<String>) -> Entry {
        self.run_id = Some(run_id.into());
        self
    }

    /// Record a config value that matters for this entry (`section.key`).
    pub fn with_config(mut self, key: impl Into<String>, value: impl ToString) -> Entry {
        self.config.insert(key.into(), value.to_string());
        self
    }

    /// Record a metric of the run (any JSON value).
    pub fn with_metric(
        mut self,
        key: impl Into<String>,
        value: impl Into<serde_json::Value>,
    ) -> Entry {
        self.metrics.insert(key.into(), value.into());
        self
    }
}

/// `$USER` / `$LOGNAME` (`$USERNAME` on Windows shells), else the account's name from the
/// password database (a tmux or cron environment may set none of them), else `unknown`.
pub fn current_operator() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::getuid())
                .ok()
                .flatten()
                .map(|u| u.name)
        })
        .unwrap_or_else(|| "unknown".into())
}
