//! What a job runs: a built-in stage or an external command from `[jobs.external.<name>]`.

use super::error::JobError;
use crate::project::Config;
use crate::stages::Stage;
use std::path::Path;

/// Prefix that names an external-command stage on the command line: `tinct run ext:nuke-render`.
pub const EXTERNAL_PREFIX: &str = "ext:";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobTarget {
    Builtin(Stage),
    External(String),
}

impl std::str::FromStr for JobTarget {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        match s.strip_prefix(EXTERNAL_PREFIX) {
            Some(name) if !name.is_empty() => Ok(JobTarget::External(name.to_string())),
            Some(_) => anyhow::bail!("'{s}': name the external stage, e.g. ext:render"),
            None => Ok(JobTarget::Builtin(s.parse()?)),
        }
    }
}

impl std::fmt::Display for JobTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobTarget::Builtin(stage) => f.write_str(stage.id()),
            JobTarget::External(name) => write!(f, "{EXTERNAL_PREFIX}{name}"),
        }
    }
}

impl JobTarget {
    /// Whether the job waits in the GPU queue. An external stage must exist in `config`.
    pub fn uses_gpu(&self, config: &Config, config_path: &Path) -> Result<bool, JobError> {
        match self {
            JobTarget::Builtin(stage) => Ok(stage.uses_gpu()),
            JobTarget::External(name) => {
                config
                    .jobs
                    .external
                    .get(name)
                    .map(|e| e.gpu)
                    .ok_or_else(|| JobError::UnknownExternal {
                        name: name.clone(),
                        config: config_path.to_path_buf(),
                    })
            }
        }
    }

    /// A short name safe for a folder name: `train`, `ext-render`.
    pub fn slug(&self) -> String {
        self.to_string()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_builtin_and_external() {
        assert_eq!(
            "train".parse::<JobTarget>().unwrap(),
            JobTarget::Builtin(Stage::Train)
        );
        assert_eq!(
            "ext:nuke_render".parse::<JobTarget>().unwrap(),
            JobTarget::External("nuke_render".into())
        );
        assert_eq!(
            JobTarget::External("nuke_render".into()).slug(),
            "ext-nuke-render"
        );
        assert!("ext:".parse::<JobTarget>().is_err());
        assert!("bogus".parse::<JobTarget>().is_err());
    }
}
