//! A reference graded shot by shot (`prep.shot-grades`), taken back frame by frame for the
//! guide.
//!
//! Why: a telecine colourist's scene-by-scene correction is in every frame of the reference,
//! and a guide that follows the reference hands each shot its grade. Prep measured the grade
//! of every curated pair's shot (its colour balance against the consensus, `shot_grade`) and
//! took it out of that pair's target, so the network learned the consensus balance. A grade
//! holds over a shot, so the same correction takes it out of every frame of that shot's
//! reference. A shot with no curated pair has no measured grade, and its reference is followed
//! as it is, grade and all: that is still nearer the film than the network alone on a shot it
//! never saw. Measured (`tinct bench quality --case graded`, same checkpoints, held-out shots,
//! ML/MatchGrade ΔE00, unguided → the graded reference): seed 1 0.95 → 0.93, seed 2 1.04 →
//! 0.75 (flicker 2.10 → 0.50 of the truth's), seed 3 1.02 → 0.88, seed 4 0.82 → 0.75.
//!
//! The shots are the ones `tinct run suggest` found (`[suggest] shots` in its proposal,
//! `curate::suggested_shots`).

use crate::grade::{Matrix3, shot_grade};
use crate::stages::curate;
use std::path::Path;

/// The grade to take out of each shot's reference frames, for the shots with a curated pair.
pub struct Regrade {
    /// (first, last source frame, the gains that undo the shot's grade).
    shots: Vec<(i64, i64, Matrix3)>,
    /// Shots in the list, with or without a pair (for the log).
    total: usize,
}

impl Regrade {
    /// From the project's shot list and prep's per-pair balances; `Err` (for the log: the
    /// render then goes on unguided) without a shot list.
    pub fn open(root: &Path, balances: &[(i64, [f64; 3])]) -> anyhow::Result<Regrade> {
        let shots = curate::suggested_shots(root);
        anyhow::ensure!(
            !shots.is_empty(),
            "prep found the reference graded shot by shot (prep.shot-grades), and each frame's \
             grade is taken out with its shot's curated pair, but there is no shot list: run \
             `tinct run suggest` (or set prep.shot-grades = \"keep\" if the transfer is one \
             consistent grade)"
        );
        Ok(Self::new(&shots, balances))
    }

    /// `shots`: (first, last source frame) of each.
    pub fn new(shots: &[(i64, i64)], balances: &[(i64, [f64; 3])]) -> Regrade {
        let undo = shots
            .iter()
            .filter_map(|&(first, last)| {
                let inside: Vec<&[f64; 3]> = balances
                    .iter()
                    .filter(|(f, _)| (first..=last).contains(f))
                    .map(|(_, b)| b)
                    .collect();
                // Several pairs in a shot: their mean balance (one grade per shot).
                let n = inside.len() as f64;
                (n > 0.0).then(|| {
                    let mean =
                        std::array::from_fn(|c| inside.iter().map(|b| b[c]).sum::<f64>() / n);
                    (first, last, shot_grade::undo(mean))
                })
            })
            .collect();
        Regrade {
            shots: undo,
            total: shots.len(),
        }
    }

    /// The gains that take source frame `frame`'s reference back to the consensus balance;
    /// `None` when its shot has no curated pair (its reference is used as it is).
    pub fn of(&self, frame: i64) -> Option<&Matrix3> {
        self.shots
            .iter()
            .find(|(first, last, _)| (*first..=*last).contains(&frame))
            .map(|(_, _, m)| m)
    }

    /// For the log.
    pub fn describe(&self) -> String {
        format!(
            "the reference is graded shot by shot (prep.shot-grades): each frame's reference is \
             taken back with its shot's curated pair ({} of {} shots have one; the others follow \
             their reference as graded)",
            self.shots.len(),
            self.total
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_shot_takes_its_own_pairs_grade_and_a_shot_without_one_is_not_guided() {
        let shots = [(1, 10), (11, 20), (21, 30)];
        // Two pairs in the first shot, one in the third, none in the second.
        let balances = [
            (3, [0.1, 0.0, -0.1]),
            (8, [0.3, 0.0, -0.3]),
            (25, [-0.2, 0.1, 0.0]),
        ];
        let r = Regrade::new(&shots, &balances);
        let gain = |f: i64| r.of(f).map(|m| [m.0[0][0], m.0[1][1], m.0[2][2]]);
        let first = gain(10).expect("shot 1 has pairs");
        assert!((first[0] - (-0.2f32).exp()).abs() < 1e-6, "{first:?}");
        assert!((first[2] - 0.2f32.exp()).abs() < 1e-6, "{first:?}");
        assert_eq!(gain(1), gain(10), "one grade over the whole shot");
        assert_eq!(gain(15), None, "no pair, no measured grade to take out");
        let third = gain(30).expect("shot 3 has a pair");
        assert!((third[0] - 0.2f32.exp()).abs() < 1e-6, "{third:?}");
        assert_eq!(gain(31), None, "outside every shot");
        assert!(r.describe().contains("2 of 3 shots"), "{}", r.describe());
    }
}
