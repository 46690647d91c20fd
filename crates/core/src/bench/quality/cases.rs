//! The benchmark's cases and how each is split into trained and held-out shots.

use crate::demo::{self, DemoSpec, DemoTruth, Fade, SourceKind, TransferSpec};
use std::path::Path;

/// A kind of film the archive meets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Case {
    /// A faded colour print: dyes lost unevenly across the frame and more towards the tail.
    Faded,
    /// A black-and-white print of a colour film (only the reference knows any colour).
    Bw,
    /// A faded print whose video transfer was graded differently on every shot.
    Graded,
}

impl Case {
    pub const ALL: [Case; 3] = [Case::Faded, Case::Bw, Case::Graded];

    pub fn id(self) -> &'static str {
        match self {
            Case::Faded => "faded",
            Case::Bw => "bw",
            Case::Graded => "graded",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Case::Faded => {
                "faded print, fading uneven across the frame and drifting along the reel"
            }
            Case::Bw => "black-and-white print, colour reference",
            Case::Graded => "faded print, reference graded differently per shot",
        }
    }

    /// The goal for ML ΔE00 / MatchGrade ΔE00 on held-out shots.
    pub fn ratio_goal(self) -> f64 {
        match self {
            Case::Bw => 0.7,
            Case::Faded | Case::Graded => 0.8,
        }
    }

    fn spec(self, seed: u64, reference: ReferenceGeometry) -> DemoSpec {
        // Stronger and more uneven fading than the demo's, so shot-to-shot change is real.
        let fade = Fade {
            variation: 0.22,
            drift: 0.15,
            ..Fade::default()
        };
        // A reel cuts between angles of a scene: held-out shots are new windows on settings
        // the training saw (as on a real reel), not scenes from another film.
        let transfer = TransferSpec {
            scale: reference.scale,
            offset: reference.offset,
            ..TransferSpec::default()
        };
        let base = DemoSpec {
            seed,
            fade,
            transfer: transfer.clone(),
            shots_per_setting: SHOTS_PER_SETTING,
            ..DemoSpec::default()
        };
        match self {
            Case::Faded => base,
            Case::Bw => DemoSpec {
                source_kind: SourceKind::Monochrome,
                ..base
            },
            Case::Graded => DemoSpec {
                transfer: TransferSpec {
                    shot_grade: 0.12,
                    ..transfer
                },
                ..base
            },
        }
    }
}

/// The reference's size and frame offset a case is generated with (`tinct bench quality
/// --reference-scale`, `--reference-offset`), so the held-out figures can be checked on another
/// transfer than the demo's (a larger one trains at a finer chroma scale, a far offset tests the
/// sync).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct ReferenceGeometry {
    /// Reference size as a fraction of the source's.
    pub scale: f64,
    /// Reference frame number = source frame number + this.
    pub offset: i64,
}

impl Default for ReferenceGeometry {
    fn default() -> Self {
        let t = TransferSpec::default();
        Self {
            scale: t.scale,
            offset: t.offset,
        }
    }
}

impl ReferenceGeometry {
    /// The case folder's name: `CASE-sSEED`, with the geometry appended when it is not the
    /// default, so each geometry keeps its own cached case.
    pub fn folder(self, case: Case, seed: u64) -> String {
        let base = format!("{}-s{seed}", case.id());
        if self == Self::default() {
            base
        } else {
            format!("{base}-x{}-o{}", self.scale, self.offset)
        }
    }

    /// For a case's heading: nothing for the default, else the reference's size and offset.
    pub fn describe(self) -> String {
        if self == Self::default() {
            String::new()
        } else {
            format!(", reference {}x offset {:+}", self.scale, self.offset)
        }
    }
}

/// Shots per setting in every case (see `DemoSpec::shots_per_setting`).
const SHOTS_PER_SETTING: usize = 2;

/// Distinct settings (panoramas) a generated reel's shots use.
fn settings_of(truth: &DemoTruth) -> usize {
    let mut names: Vec<&str> = truth.shots.iter().map(|s| s.panorama.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.len()
}

/// Which frames train, which validate, which shots nobody picked from.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CaseSplit {
    pub train_frames: Vec<i64>,
    pub validation_frames: Vec<i64>,
    pub held_out_shots: Vec<usize>,
}

impl CaseSplit {
    /// Everything curated (training and validation), sorted.
    pub fn all_curated(&self) -> Vec<i64> {
        let mut v: Vec<i64> = self
            .train_frames
            .iter()
            .chain(&self.validation_frames)
            .copied()
            .collect();
        v.sort_unstable();
        v
    }
}

/// Generate the case into `dir` unless it is already there with the same seed and recipe.
pub fn ensure_generated(
    case: Case,
    seed: u64,
    reference: ReferenceGeometry,
    dir: &Path,
) -> anyhow::Result<DemoTruth> {
    let spec = case.spec(seed, reference);
    if let Ok(truth) = DemoTruth::load(dir)
        && truth.seed == seed
        && truth.fade == spec.fade
        && truth.reference.transfer == spec.transfer
        && truth.source_kind == spec.source_kind
        && settings_of(&truth) == spec.shots.div_ceil(spec.shots_per_setting)
    {
        return Ok(truth);
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("{}: cannot clear the old case: {e}", dir.display()))?;
    }
    println!("generating case {} into {}", case.id(), dir.display());
    demo::generate(dir, &spec)
}

/// Two shots (spread over the reel, chosen by the seed) are held out entirely; every other
/// shot gives its middle frame to training, and two of them a frame at a quarter of their
/// length to validation: 6 training and 2 validation frames on the 8-shot reel, as an operator
/// would curate one frame per shot.
pub fn split(truth: &DemoTruth, seed: u64) -> CaseSplit {
    let n = truth.shots.len();
    let first = (seed as usize) % n.div_ceil(2).max(1);
    let held_out_shots: Vec<usize> = if n >= 4 {
        vec![first, first + n / 2]
    } else {
        vec![n - 1]
    };
    let trained: Vec<_> = truth
        .shots
        .iter()
        .filter(|s| !held_out_shots.contains(&s.index))
        .collect();
    let train_frames = trained
        .iter()
        .map(|s| (s.first_frame + s.last_frame) / 2)
        .collect();
    let validation_frames = [0, trained.len() / 2]
        .iter()
        .filter_map(|&i| trained.get(i))
        .map(|s| s.first_frame + (s.last_frame - s.first_frame) / 4)
        .collect();
    CaseSplit {
        train_frames,
        validation_frames,
        held_out_shots,
    }
}

/// Start every benchmark run from the same files: the footage stays, the pipeline's outputs
/// and earlier runs go, and `tinct.toml` is rewritten with today's defaults (a cached case
/// would otherwise keep the defaults of the build that generated it).
pub fn reset_pipeline(dir: &Path, truth: &DemoTruth) -> anyhow::Result<()> {
    for sub in ["pipeline", "runs"] {
        let p = dir.join(sub);
        if p.exists() {
            std::fs::remove_dir_all(&p)
                .map_err(|e| anyhow::anyhow!("{}: cannot clear: {e}", p.display()))?;
        }
    }
    crate::project::init(
        dir,
        &truth.source.pattern,
        &truth.reference.footage.pattern,
        0,
        true,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_reference_geometry_reaches_every_case_and_gets_its_own_folder() {
        let g = ReferenceGeometry {
            scale: 0.75,
            offset: 37,
        };
        for case in Case::ALL {
            let t = case.spec(1, g).transfer;
            assert_eq!((t.scale, t.offset), (0.75, 37), "{case:?}");
        }
        assert!(Case::Graded.spec(1, g).transfer.shot_grade > 0.0);
        let default = ReferenceGeometry::default();
        assert_eq!(default.folder(Case::Faded, 3), "faded-s3");
        assert_eq!(g.folder(Case::Faded, 3), "faded-s3-x0.75-o37");
        assert_eq!(g.describe(), ", reference 0.75x offset +37");
    }

    #[test]
    fn held_out_shots_give_no_frame_to_training_or_validation() {
        let dir = tempfile::tempdir().unwrap();
        let spec = DemoSpec {
            shots: 8,
            frames_per_shot: 4,
            frame_size: (64, 48),
            ..DemoSpec::tiny()
        };
        let truth = demo::generate(dir.path(), &spec).unwrap();
        for seed in 1..4 {
            let s = split(&truth, seed);
            assert_eq!(s.held_out_shots.len(), 2, "{s:?}");
            assert_eq!(
                (s.train_frames.len(), s.validation_frames.len()),
                (6, 2),
                "{s:?}"
            );
            let shot_of = |f: i64| {
                truth
                    .shots
                    .iter()
                    .find(|sh| (sh.first_frame..=sh.last_frame).contains(&f))
                    .unwrap()
                    .index
            };
            for f in s.all_curated() {
                assert!(
                    !s.held_out_shots.contains(&shot_of(f)),
                    "frame {f} in {s:?}"
                );
            }
            for f in &s.validation_frames {
                assert!(!s.train_frames.contains(f), "{s:?}");
            }
        }
    }
}
