//! A film print in density space: the clean print made from a scene, and how it ages.
//!
//! Density D = -log10(transmittance). A colour print carries three dye layers, each absorbing one
//! third of the spectrum: cyan dye controls the red record, magenta the green, yellow the blue.
//! Fading removes dye, i.e. scales each layer's dye density by its own survival factor; cyan and
//! yellow fade fastest, so an old Eastmancolor print turns magenta/pink (NFPF; NARA; Chatterjee,
//! Trumpy & Ruedel, Heritage 2023, doi:10.3390/heritage6040181).

use super::random::{Rng, gaussian_at};
use serde::{Deserialize, Serialize};

/// The characteristic curve of the print: scene exposure to density, one logistic per channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrintStock {
    /// Density of clear base + fog (no dye).
    pub d_min: f32,
    /// Densest black the dyes reach.
    pub d_max: f32,
    /// Steepness of the logistic in log10 exposure; 0.67 gives a mid-tone contrast of ~1
    /// (scene ratios kept in the mid-tones, shoulders roll off).
    pub slope: f32,
    /// log10 exposure at the curve's centre: puts scene mid-grey 0.18 at density ~0.74
    /// (transmittance 0.18).
    pub log_e_centre: f32,
}

impl Default for PrintStock {
    fn default() -> Self {
        Self {
            d_min: 0.05,
            d_max: 2.7,
            slope: 0.67,
            log_e_centre: -1.42,
        }
    }
}

impl PrintStock {
    /// Density for a scene-linear exposure (already normalised so mid-grey is 0.18).
    pub fn density(&self, exposure: f32) -> f32 {
        let log_e = exposure.max(1e-6).log10();
        let range = self.d_max - self.d_min;
        self.d_min + range / (1.0 + 10f32.powf(self.slope * (log_e - self.log_e_centre)))
    }
}

/// Transmittance (linear light through the print) from density.
pub fn transmittance(density: f32) -> f32 {
    10f32.powf(-density)
}

/// How the print has aged. Serialised into `demo-truth.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fade {
    /// Fraction of dye density kept, per layer [cyan (red record), magenta (green), yellow (blue)].
    pub survival: [f32; 3],
    /// Density the yellowed base and stains add, per channel.
    pub stain: [f32; 3],
    /// Relative spread of survival across the frame (uneven fading, edges vs centre): a smooth
    /// field in [-1, 1] times this.
    pub variation: f32,
    /// Extra fading from the head (0) to the tail (this fraction) of the reel.
    pub drift: f32,
    /// Grain RMS in density at a dye density of 1.
    pub grain: f32,
}

impl Default for Fade {
    fn default() -> Self {
        Self {
            survival: [0.45, 0.88, 0.55],
            stain: [0.01, 0.015, 0.04],
            variation: 0.12,
            drift: 0.06,
            grain: 0.02,
        }
    }
}

/// A smooth random field over the frame, in [-1, 1]: a sum of a few low-frequency plane waves,
/// so fading varies across the picture the way it does on a real print (never per pixel).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SmoothField {
    /// (cycles across x, cycles across y, phase) per wave, frame coordinates in [0, 1].
    waves: Vec<[f32; 3]>,
}

impl SmoothField {
    pub fn random(rng: &mut Rng) -> Self {
        let waves = (0..3)
            .map(|_| {
                [
                    rng.range(-1.2, 1.2) as f32,
                    rng.range(-1.2, 1.2) as f32,
                    rng.range(0.0, std::f64::consts::TAU) as f32,
                ]
            })
            .collect();
        Self { waves }
    }

    /// Value at normalised frame position (u, v) in [0, 1]^2.
    pub fn at(&self, u: f32, v: f32) -> f32 {
        let tau = std::f32::consts::TAU;
        let sum: f32 = self
            .waves
            .iter()
            .map(|[fx, fy, ph]| (tau * (fx * u + fy * v) + ph).cos())
            .sum();
        sum / self.waves.len() as f32
    }
}

/// The three layers' fields sampled once on the frame's pixel grid (fading does not move with
/// the picture, so every frame shares this map).
pub fn sample_fields(fields: &[SmoothField; 3], size: (usize, usize)) -> Vec<[f32; 3]> {
    let (w, h) = size;
    (0..w * h)
        .map(|i| {
            let u = ((i % w) as f32 + 0.5) / w as f32;
            let v = ((i / w) as f32 + 0.5) / h as f32;
            std::array::from_fn(|c| fields[c].at(u, v))
        })
        .collect()
}

/// Everything needed to age one frame of the print.
pub struct Ageing<'a> {
    pub stock: &'a PrintStock,
    pub fade: &'a Fade,
    /// Per pixel, one field value per dye layer (the layers fade unevenly, and not in step):
    /// [`sample_fields`].
    pub field_map: &'a [[f32; 3]],
    /// Position in the reel, 0 = head, 1 = tail.
    pub reel_position: f32,
    /// Stateless noise key of this frame's grain.
    pub grain_key: u64,
}

impl Ageing<'_> {
    /// Faded density of pixel `index` (row-major) from its clean densities.
    pub fn faded(&self, clean: [f32; 3], index: usize) -> [f32; 3] {
        let field = self.field_map[index];
        let index = index as u64;
        let shared = gaussian_at(self.grain_key, index * 4 + 3);
        let drift = 1.0 - self.fade.drift * self.reel_position;
        std::array::from_fn(|c| {
            let dye = (clean[c] - self.stock.d_min).max(0.0);
            let survival = (self.fade.survival[c] * (1.0 + self.fade.variation * field[c]) * drift)
                .clamp(0.0, 1.0);
            let kept = dye * survival;
            // Each dye layer has its own grain clouds; half the variance is shared (the silver
            // grains that formed them were exposed together).
            let own = gaussian_at(self.grain_key, index * 4 + c as u64);
            let grain = self.grain_rms(kept) * (0.707 * own + 0.707 * shared);
            (self.stock.d_min + self.fade.stain[c] + kept + grain).max(0.0)
        })
    }

    /// A black-and-white print of the clean frame's luminance: silver density with the same
    /// uneven density and grain, one channel.
    pub fn monochrome(&self, clean_luma_density: f32, index: usize) -> f32 {
        let field = self.field_map[index][1];
        let index = index as u64;
        let silver = (clean_luma_density - self.stock.d_min).max(0.0);
        let kept = silver * (1.0 + 0.5 * self.fade.variation * field);
        let grain = self.grain_rms(kept) * gaussian_at(self.grain_key, index * 4 + 3);
        (self.stock.d_min + kept + grain).max(0.0)
    }

    /// Grain grows with density (more developed grains), with a floor in the highlights.
    fn grain_rms(&self, dye_density: f32) -> f32 {
        self.fade.grain * (0.4 + 0.6 * dye_density.min(2.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_curve_maps_mid_grey_and_stays_in_range() {
        let s = PrintStock::default();
        let mid = transmittance(s.density(0.18));
        assert!((mid - 0.18).abs() < 0.02, "mid-grey transmits {mid}");
        assert!(s.density(1e4) >= s.d_min && s.density(1e4) < s.d_min + 0.01);
        assert!(s.density(0.0) <= s.d_max && s.density(0.0) > s.d_max - 0.01);
        assert!(s.density(0.1) > s.density(0.2), "denser for less light");
    }

    #[test]
    fn fading_lifts_red_and_blue_more_than_green() {
        let stock = PrintStock::default();
        let fade = Fade {
            grain: 0.0,
            variation: 0.0,
            drift: 0.0,
            ..Fade::default()
        };
        let mut rng = Rng::new(1);
        let fields = [
            SmoothField::random(&mut rng),
            SmoothField::random(&mut rng),
            SmoothField::random(&mut rng),
        ];
        let field_map = sample_fields(&fields, (4, 4));
        let ageing = Ageing {
            stock: &stock,
            fade: &fade,
            field_map: &field_map,
            reel_position: 0.0,
            grain_key: 0,
        };
        let grey = stock.density(0.18);
        let d = ageing.faded([grey; 3], 5);
        let t = d.map(transmittance);
        assert!(
            t[0] > t[1] && t[2] > t[1],
            "grey should turn magenta: {t:?}"
        );
    }

    #[test]
    fn fading_fields_are_smooth_and_bounded() {
        let mut rng = Rng::new(2);
        let fields = std::array::from_fn(|_| SmoothField::random(&mut rng));
        let (w, h) = (64, 32);
        let map = sample_fields(&fields, (w, h));
        assert!(map.iter().flatten().all(|v| v.abs() <= 1.0));
        for y in 0..h {
            for x in 1..w {
                let (a, b) = (map[y * w + x], map[y * w + x - 1]);
                assert!(
                    (0..3).all(|c| (a[c] - b[c]).abs() < 0.2),
                    "field jumps at ({x}, {y})"
                );
            }
        }
    }

    #[test]
    fn grain_differs_between_frames_and_scales_with_setting() {
        let stock = PrintStock::default();
        let fade = Fade {
            variation: 0.0,
            drift: 0.0,
            ..Fade::default()
        };
        let field_map = vec![[0.0; 3]; 256];
        let age = |key| Ageing {
            stock: &stock,
            fade: &fade,
            field_map: &field_map,
            reel_position: 0.0,
            grain_key: key,
        };
        let grey = [stock.density(0.18); 3];
        let frame = |key| {
            (0..256)
                .map(|i| age(key).faded(grey, i)[1])
                .collect::<Vec<f32>>()
        };
        let (a, b) = (frame(1), frame(2));
        assert_ne!(a, b, "each frame has its own grain");
        let mean = a.iter().sum::<f32>() / 256.0;
        let rms = (a.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 256.0).sqrt();
        assert!(
            rms > 0.5 * fade.grain && rms < 3.0 * fade.grain,
            "grain rms {rms} for setting {}",
            fade.grain
        );
    }
}
