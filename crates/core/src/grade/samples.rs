//! Colour pairs gathered from the aligned dataset: what the source shows → what the reference
//! shows, pixel by pixel, in scene-linear Rec.709.

use crate::media::Image;

#[derive(Clone, Debug, Default)]
pub struct Samples {
    pub src: Vec<[f32; 3]>,
    pub dst: Vec<[f32; 3]>,
}

impl Samples {
    pub fn len(&self) -> usize {
        self.src.len()
    }

    pub fn is_empty(&self) -> bool {
        self.src.is_empty()
    }

    /// Add every `stride`-th pixel of an aligned pair. Pixels the aligned reference does not
    /// cover (all zero after warping, or non-finite) carry no information and are skipped.
    pub fn push_pair(&mut self, src: &Image, dst: &Image, stride: usize) -> anyhow::Result<()> {
        anyhow::ensure!(
            src.width == dst.width && src.height == dst.height,
            "pair sizes differ: source {}x{}, reference {}x{}",
            src.width,
            src.height,
            dst.width,
            dst.height
        );
        for p in (0..src.pixel_count()).step_by(stride.max(1)) {
            let (x, y) = (p % src.width, p / src.width);
            let (s, d) = (src.rgb(x, y), dst.rgb(x, y));
            let finite = s.iter().chain(&d).all(|v| v.is_finite());
            if finite && d.iter().any(|&v| v != 0.0) {
                self.src.push(s);
                self.dst.push(d);
            }
        }
        Ok(())
    }

    /// At most `max` samples, evenly strided (deterministic).
    pub fn thinned(&self, max: usize) -> Samples {
        if self.len() <= max {
            return self.clone();
        }
        let step = self.len() as f64 / max as f64;
        let pick = |v: &Vec<[f32; 3]>| (0..max).map(|i| v[(i as f64 * step) as usize]).collect();
        Samples {
            src: pick(&self.src),
            dst: pick(&self.dst),
        }
    }

    /// Both sides in the grading encoding (see `grade::encode`), clamped to 0..1.
    pub fn encoded(&self) -> Samples {
        let enc = |v: &Vec<[f32; 3]>| {
            v.iter()
                .map(|&p| super::encode(p).map(|c| c.clamp(0.0, 1.0)))
                .collect()
        };
        Samples {
            src: enc(&self.src),
            dst: enc(&self.dst),
        }
    }
}
