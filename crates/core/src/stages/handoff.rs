//! Reading the files one stage leaves for the next (the contracts in DESIGN.md), with the
//! selection rules every consumer shares.

use super::align::{AlignedPair, AlignmentManifest};

impl AlignedPair {
    /// Usable for fitting or training: good alignment, or flagged but accepted by the operator.
    pub fn usable(&self) -> bool {
        !self.flagged || self.accepted
    }
}

impl AlignmentManifest {
    /// Pairs usable for fitting: usable and not held out for validation.
    pub fn training_pairs(&self, validation: &[i64]) -> Vec<&AlignedPair> {
        self.pairs
            .iter()
            .filter(|p| p.usable() && !validation.contains(&p.frame))
            .collect()
    }

    /// The linked crop's origin in source pixels.
    pub fn crop_origin(&self) -> (usize, usize) {
        (self.crop[0], self.crop[1])
    }
}
