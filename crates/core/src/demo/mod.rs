//! The demo project: embedded CC0 footage turned into a synthetic reel with a faded (or
//! black-and-white) print as the source and a small compressed video transfer as the reference.
//! `tinct demo DIR` and the tests both use [`generate`].
//!
//! Recipe (see `../shared/footage/README.md`): shots are windows panned across HDR panoramas;
//! the scene is printed through a film characteristic curve; the print fades in density space
//! (`film`); the transfer (`transfer`) is smaller, framed differently, 4:2:0 and JPEG, with its
//! own frame numbering. `demo-truth.json` records every choice.

mod film;
pub mod footage;
mod generate;
mod geometry;
mod random;
mod render;
mod shots;
mod transfer;
mod truth;
mod video;

pub use film::{Fade, PrintStock, SmoothField};
pub use generate::generate;
pub use geometry::Matrix3;
pub use shots::Shot;
pub use transfer::TransferSpec;
pub use truth::{DemoTruth, Footage, ReferenceTruth, SourceKind, TRUTH_FILE};
pub use video::{REFERENCE_VIDEO, reference_as_video};

/// Where the demo's sequences live in the project.
pub mod paths {
    pub const SOURCE: &str = "footage/source/reel.%04d.exr";
    /// The black-and-white print when the source is the faded one.
    pub const SOURCE_BW: &str = "footage/source_bw/reel.%04d.exr";
    /// The faded print when the source is the black-and-white one.
    pub const SOURCE_FADED: &str = "footage/source_faded/reel.%04d.exr";
    pub const REFERENCE: &str = "footage/reference/transfer.%04d.jpg";
    /// The unfaded print in source geometry: the answer key for QC.
    pub const CLEAN: &str = "footage/truth/clean.%04d.exr";
}

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoSpec {
    /// Everything random (shots, pans, grain, fading fields) follows from this.
    pub seed: u64,
    pub shots: usize,
    /// Consecutive shots filmed in the same setting (the same panorama, another window of it):
    /// 1 = every shot its own place; 2 = a scene cut between two angles, as a film's reel is.
    pub shots_per_setting: usize,
    /// Average shot length; each shot varies by up to ±25%.
    pub frames_per_shot: usize,
    /// Source frame size (width, height).
    pub frame_size: (usize, usize),
    /// Number of the first source frame.
    pub first_frame: i64,
    /// Which print `tinct.toml` points at.
    pub source_kind: SourceKind,
    /// Also write the other print beside it (`paths::SOURCE_BW` or `paths::SOURCE_FADED`).
    pub write_alternate: bool,
    /// Also write the clean print (`paths::CLEAN`).
    pub write_clean: bool,
    pub stock: PrintStock,
    pub fade: Fade,
    pub transfer: TransferSpec,
}

impl Default for DemoSpec {
    /// The demo an operator gets: every panorama once, ~4 seconds of film at 24 fps.
    fn default() -> Self {
        Self {
            seed: 1,
            shots: 8,
            shots_per_setting: 1,
            frames_per_shot: 12,
            frame_size: (512, 288),
            first_frame: 1,
            source_kind: SourceKind::Faded,
            write_alternate: true,
            write_clean: true,
            stock: PrintStock::default(),
            fade: Fade::default(),
            transfer: TransferSpec::default(),
        }
    }
}

impl DemoSpec {
    /// A demo small enough for unit and integration tests (well under a second of work).
    pub fn tiny() -> Self {
        Self {
            shots: 2,
            frames_per_shot: 4,
            frame_size: (96, 64),
            transfer: TransferSpec {
                offset: 3,
                lead_in: 2,
                ..TransferSpec::default()
            },
            ..Self::default()
        }
    }

    /// Number of source frames is only known after planning (shot lengths vary); this checks
    /// what can be checked up front.
    pub fn validate(&self) -> anyhow::Result<()> {
        let (w, h) = self.frame_size;
        anyhow::ensure!(self.shots >= 1, "demo: at least one shot is needed");
        anyhow::ensure!(
            self.frames_per_shot >= 2,
            "demo: shots need at least 2 frames, got {}",
            self.frames_per_shot
        );
        anyhow::ensure!(
            w >= 8 && h >= 8 && w <= 4096 && h <= 4096,
            "demo: frame size {w}x{h} outside 8..4096"
        );
        anyhow::ensure!(
            self.transfer.scale > 0.05 && self.transfer.scale <= 1.0,
            "demo: transfer scale {} outside (0.05, 1]",
            self.transfer.scale
        );
        anyhow::ensure!(
            (1..=100).contains(&self.transfer.jpeg_quality),
            "demo: JPEG quality {} outside 1..100",
            self.transfer.jpeg_quality
        );
        let first_ref = self.first_frame + self.transfer.offset - self.transfer.lead_in as i64;
        anyhow::ensure!(
            self.first_frame >= 0 && first_ref >= 0,
            "demo: frame numbers must not be negative (source starts at {}, reference at {first_ref})",
            self.first_frame
        );
        Ok(())
    }
}
