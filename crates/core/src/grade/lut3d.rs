//! A 3D LUT: `size`³ RGB nodes over a cube domain, trilinear interpolation.

use crate::media::Image;
use rayon::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Lut3d {
    pub size: usize,
    pub domain_min: [f32; 3],
    pub domain_max: [f32; 3],
    /// Node values, red index fastest, then green, then blue (the `.cube` order).
    pub data: Vec<[f32; 3]>,
}

impl Lut3d {
    /// The LUT that changes nothing, on the unit cube.
    pub fn identity(size: usize) -> Lut3d {
        assert!(size >= 2, "a 3D LUT needs at least 2 points per axis");
        let s = (size - 1) as f32;
        let mut data = Vec::with_capacity(size * size * size);
        for b in 0..size {
            for g in 0..size {
                for r in 0..size {
                    data.push([r as f32 / s, g as f32 / s, b as f32 / s]);
                }
            }
        }
        Lut3d {
            size,
            domain_min: [0.0; 3],
            domain_max: [1.0; 3],
            data,
        }
    }

    pub fn index(&self, r: usize, g: usize, b: usize) -> usize {
        r + self.size * (g + self.size * b)
    }

    /// The input colour a node stands for.
    pub fn node_input(&self, r: usize, g: usize, b: usize) -> [f32; 3] {
        let s = (self.size - 1) as f32;
        let t = [r as f32 / s, g as f32 / s, b as f32 / s];
        std::array::from_fn(|c| {
            self.domain_min[c] + t[c] * (self.domain_max[c] - self.domain_min[c])
        })
    }

    /// The cell a colour falls in and the trilinear weights of its 8 corners (inputs outside the
    /// domain are clamped to it, as Resolve and OCIO do).
    pub fn corners(&self, rgb: [f32; 3]) -> ([usize; 8], [f32; 8]) {
        let n = self.size;
        let s = (n - 1) as f32;
        let mut i = [0usize; 3];
        let mut f = [0f32; 3];
        for c in 0..3 {
            let span = self.domain_max[c] - self.domain_min[c];
            let v = if rgb[c].is_finite() {
                ((rgb[c] - self.domain_min[c]) / span).clamp(0.0, 1.0) * s
            } else {
                0.0
            };
            let k = (v.floor() as usize).min(n - 2);
            i[c] = k;
            f[c] = v - k as f32;
        }
        let mut idx = [0usize; 8];
        let mut w = [0f32; 8];
        for corner in 0..8 {
            let (dr, dg, db) = (corner & 1, (corner >> 1) & 1, (corner >> 2) & 1);
            idx[corner] = self.index(i[0] + dr, i[1] + dg, i[2] + db);
            let wr = if dr == 1 { f[0] } else { 1.0 - f[0] };
            let wg = if dg == 1 { f[1] } else { 1.0 - f[1] };
            let wb = if db == 1 { f[2] } else { 1.0 - f[2] };
            w[corner] = wr * wg * wb;
        }
        (idx, w)
    }

    /// Look up one colour (trilinear).
    pub fn apply(&self, rgb: [f32; 3]) -> [f32; 3] {
        let (idx, w) = self.corners(rgb);
        let mut out = [0f32; 3];
        for k in 0..8 {
            let v = self.data[idx[k]];
            for c in 0..3 {
                out[c] += w[k] * v[c];
            }
        }
        out
    }

    /// Apply to an image whose pixels are already in the LUT's input encoding.
    pub fn apply_image(&self, img: &mut Image) {
        let ch = img.channels;
        assert!(ch >= 3, "a 3D LUT needs RGB");
        img.data.par_chunks_exact_mut(ch * 1024).for_each(|block| {
            for px in block.chunks_exact_mut(ch) {
                let o = self.apply([px[0], px[1], px[2]]);
                px[..3].copy_from_slice(&o);
            }
        });
        // The tail that did not fill a whole block.
        let tail = img.data.len() % (ch * 1024);
        let start = img.data.len() - tail;
        for px in img.data[start..].chunks_exact_mut(ch) {
            let o = self.apply([px[0], px[1], px[2]]);
            px[..3].copy_from_slice(&o);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_reproduces_inputs_between_nodes() {
        let lut = Lut3d::identity(5);
        for rgb in [[0.1, 0.52, 0.99], [0.0, 1.0, 0.5], [0.3333, 0.25, 0.8]] {
            let o = lut.apply(rgb);
            for c in 0..3 {
                assert!((o[c] - rgb[c]).abs() < 1e-6, "{rgb:?} -> {o:?}");
            }
        }
        // Outside the domain clamps.
        assert_eq!(lut.apply([-1.0, 2.0, 0.5])[..2], [0.0, 1.0]);
    }

    #[test]
    fn image_application_covers_every_pixel_including_the_tail() {
        let mut lut = Lut3d::identity(2);
        for v in &mut lut.data {
            v[0] = 1.0 - v[0]; // invert red
        }
        let mut img = Image::from_fn_rgb(33, 35, |x, _| [x as f32 / 32.0, 0.5, 0.5]);
        lut.apply_image(&mut img);
        assert!(
            img.data
                .chunks_exact(3)
                .enumerate()
                .all(|(i, p)| (p[0] - (1.0 - (i % 33) as f32 / 32.0)).abs() < 1e-6)
        );
    }
}
