//! Config values that are choices, as types: a bad `tinct.toml` (or `--set`) fails at load with
//! the file, line, column and the allowed values, not when a job reaches the key.

use serde::{Deserialize, Serialize};
use std::fmt;

/// `train.model`: the network's size (base channel width 16, 32, 48).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelSize {
    Small,
    #[default]
    Medium,
    Large,
}

impl ModelSize {
    pub const ALL: [ModelSize; 3] = [ModelSize::Small, ModelSize::Medium, ModelSize::Large];

    pub fn base_width(self) -> i64 {
        match self {
            ModelSize::Small => 16,
            ModelSize::Medium => 32,
            ModelSize::Large => 48,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            ModelSize::Small => "small",
            ModelSize::Medium => "medium",
            ModelSize::Large => "large",
        }
    }

    pub fn from_width(w: i64) -> Option<ModelSize> {
        Self::ALL.into_iter().find(|s| s.base_width() == w)
    }
}

impl fmt::Display for ModelSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl std::str::FromStr for ModelSize {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> anyhow::Result<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.id() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| anyhow::anyhow!("unknown model size '{s}' (small, medium, large)"))
    }
}

/// `train.steps`: a number of optimiser steps, or `auto`: on a GPU the full recipe
/// ([`Steps::AUTO_GPU`]); on a CPU as many as fit `train.auto-minutes`, measured on the run's
/// first steps (between [`Steps::AUTO_MIN`] and [`Steps::AUTO_GPU`]). The log says what it chose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Steps {
    #[default]
    Auto,
    Count(u64),
}

impl Steps {
    pub const AUTO_GPU: u64 = 2000;
    pub const AUTO_MIN: u64 = 200;

    /// The fixed count, if not `auto`.
    pub fn count(self) -> Option<u64> {
        match self {
            Steps::Auto => None,
            Steps::Count(n) => Some(n),
        }
    }
}

impl fmt::Display for Steps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Steps::Auto => f.write_str("auto"),
            Steps::Count(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for Steps {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Steps::Auto => s.serialize_str("auto"),
            Steps::Count(n) => s.serialize_u64(*n),
        }
    }
}

impl<'de> Deserialize<'de> for Steps {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Count(u64),
            Word(String),
        }
        match Raw::deserialize(d)? {
            Raw::Count(n) => Ok(Steps::Count(n)),
            Raw::Word(w) if w.trim().eq_ignore_ascii_case("auto") => Ok(Steps::Auto),
            Raw::Word(w) => w.trim().parse().map(Steps::Count).map_err(|_| {
                serde::de::Error::custom(format!(
                    "'{w}' is not a number of steps (a whole number, or \"auto\")"
                ))
            }),
        }
    }
}

/// `train.lr-schedule`, all with a linear warm-up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LrSchedule {
    /// Cosine decay to 5% of the peak at the last step.
    #[default]
    Cosine,
    Constant,
    /// Halve at one third and at two thirds of the run.
    Step,
}

/// `train.prior`: what the network predicts a residual on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Prior {
    /// Whichever of `lut` and `none` scores better on the validation frames before the first
    /// step (`lut` without validation frames). On a B&W print a global grade can only give each
    /// grey level its average colour, which can be further from the truth than no colour at all;
    /// on a faded colour print the grade wins by far.
    #[default]
    Auto,
    /// A global 3D LUT fitted on the training pairs before the first step.
    Lut,
    /// The input's own chroma.
    None,
}

/// `infer.guide`: where each rendered frame's low-frequency colour comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Guide {
    /// The network (or grade) alone.
    Off,
    /// The frame's own aligned reference (`stages::guide`), under the scan's edges. The default:
    /// measured on `tinct bench quality` (seed 1), colour alone took the held-out shots from
    /// 0.99 to 0.60 of the global grade's ΔE00 on a faded print and from 0.73 (grey) to 0.18 on
    /// a B&W print; with its tone (`infer.guide-tone`) and carried into the overscan, 0.46 and
    /// 0.14. On a reference prep found graded shot by shot (`prep.shot-grades`), each shot's
    /// frames are taken back with its curated pair's grade, and shots without a pair follow their
    /// reference as graded (`stages::guide::regrade`; needs `tinct run suggest`'s shots).
    #[default]
    Reference,
}

/// `prep.shot-grades`: whether the reference was graded shot by shot (`grade::shot_grade`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ShotGrades {
    /// Decide from the pairs: a colour source whose pairs' colour balance jumps from shot to
    /// shot beyond what a drift along the reel explains.
    #[default]
    Auto,
    /// Graded shot by shot: every reference frame is taken back to the consensus balance (the
    /// training targets, and the guide's frame in `infer.guide = reference`).
    Remove,
    /// One consistent transfer: the reference's balance is followed frame by frame.
    Keep,
}

impl ShotGrades {
    pub fn id(self) -> &'static str {
        match self {
            ShotGrades::Auto => "auto",
            ShotGrades::Remove => "remove",
            ShotGrades::Keep => "keep",
        }
    }
}

/// `train.device`, `infer.device`: `auto`, `cpu`, `cuda` or `cuda:N`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Device {
    /// The first CUDA device if one is usable, else the CPU.
    #[default]
    Auto,
    Cpu,
    /// A CUDA device (index 0 for plain `cuda`).
    Cuda(usize),
}

impl TryFrom<String> for Device {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        match s.trim() {
            "auto" | "" => Ok(Device::Auto),
            "cpu" => Ok(Device::Cpu),
            "cuda" => Ok(Device::Cuda(0)),
            t => t
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(Device::Cuda)
                .ok_or_else(|| format!("unknown device '{t}' (auto, cpu, cuda, cuda:N)")),
        }
    }
}

impl From<Device> for String {
    fn from(d: Device) -> String {
        d.to_string()
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Auto => f.write_str("auto"),
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

/// `infer.format`: the file format of every delivered render.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutputFormat {
    #[default]
    Exr,
    Dpx,
    #[serde(alias = "tif")]
    Tiff,
}

impl OutputFormat {
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Exr => "exr",
            OutputFormat::Dpx => "dpx",
            OutputFormat::Tiff => "tif",
        }
    }
}

/// `infer.exr-compression`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExrCompression {
    #[default]
    Zip,
    Zips,
    Piz,
    None,
}

impl ExrCompression {
    /// As `media::WriteOptions::compression` names it.
    pub fn id(self) -> &'static str {
        match self {
            ExrCompression::Zip => "zip",
            ExrCompression::Zips => "zips",
            ExrCompression::Piz => "piz",
            ExrCompression::None => "none",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_read_and_write_as_operators_type_them() {
        for (text, d) in [
            ("auto", Device::Auto),
            ("cpu", Device::Cpu),
            ("cuda", Device::Cuda(0)),
            ("cuda:3", Device::Cuda(3)),
        ] {
            assert_eq!(Device::try_from(text.to_string()).unwrap(), d);
        }
        assert_eq!(Device::Cuda(3).to_string(), "cuda:3");
        let e = Device::try_from("gpu".to_string()).unwrap_err();
        assert!(e.contains("'gpu'") && e.contains("cuda:N"), "{e}");
    }
}
