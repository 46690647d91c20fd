//! `prep.shot-grades`: is the reference graded shot by shot, and if so, each pair's way back to
//! the consensus balance (`grade::shot_grade` says why and how).

use super::{AlignedPair, read_pair};
use crate::grade::shot_grade::{self, LogPoly, SPREAD_LIMIT};
use crate::grade::{Matrix3, Samples};
use crate::project::config::ShotGrades;
use crate::stages::Ctx;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// What the check found, for the manifest (the guide reads `removed`) and the log.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShotGradeReport {
    /// The pairs' colour-balance spread after a drift along the reel (`shot_grade::spread`).
    pub spread: f64,
    /// The limit `auto` decided with.
    pub limit: f64,
    /// The source is black and white: its shots' colour is the reference's, never removed.
    pub monochrome: bool,
    /// Every pair's reference is taken back to the consensus balance (and infer's reference
    /// guide takes each frame's reference back with its shot's pair, `stages::guide::regrade`).
    pub removed: bool,
    /// With `removed`: each pair's colour balance against the consensus (`shot_grade::balance`,
    /// log units per channel, exposure excluded), by source frame: what was taken out of it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub balances: Vec<(i64, [f64; 3])>,
}

/// Per pair (source frame), the matrix that takes its reference to the consensus balance; empty
/// unless the reference is treated as graded shot by shot.
pub type Regrades = HashMap<i64, Matrix3>;

/// Check the pairs against one consistent transfer (a smooth global grade, [`LogPoly`], fitted
/// on `training`, the training pairs' colours) and decide per `prep.shot-grades`.
pub fn check(
    ctx: &Ctx,
    pairs: &[AlignedPair],
    training: &Samples,
) -> anyhow::Result<(ShotGradeReport, Regrades)> {
    let grade = LogPoly::fit(&training.thinned(ctx.config.matchgrade.max_samples));
    let mut monochrome = true;
    let mut balances = Vec::new();
    let mut matrices = Regrades::new();
    for p in pairs {
        let (src, reference) = read_pair(ctx, p, &Regrades::new())?;
        monochrome &= shot_grade::is_monochrome(&src);
        if let Some(balance) = grade.balance(&src, &reference) {
            balances.push((p.frame, balance));
            matrices.insert(p.frame, shot_grade::undo(balance));
        }
    }
    let spread = shot_grade::spread(&balances);
    let removed = match ctx.config.prep.shot_grades {
        ShotGrades::Remove => true,
        ShotGrades::Keep => false,
        ShotGrades::Auto => !monochrome && spread > SPREAD_LIMIT,
    };
    let report = ShotGradeReport {
        spread,
        limit: SPREAD_LIMIT,
        monochrome,
        removed,
        balances: if removed { balances } else { Vec::new() },
    };
    ctx.log(format!(
        "prep.shot-grades = {}: the pairs' colour balance spreads {spread:.4} from shot to shot \
         after a drift along the reel (limit {SPREAD_LIMIT}){}; {}",
        ctx.config.prep.shot_grades.id(),
        if monochrome { ", on a B&W source" } else { "" },
        if removed {
            "taken as graded shot by shot: every pair's reference goes back to the consensus \
             balance, and infer's reference guide takes each frame's reference back with its \
             shot's pair (shots from suggest)"
        } else if monochrome {
            "a B&W source's shot colour is the reference's to give, kept"
        } else {
            "one consistent transfer, followed frame by frame"
        }
    ));
    Ok((report, if removed { matrices } else { Regrades::new() }))
}
