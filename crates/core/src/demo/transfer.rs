//! The colour reference: a video transfer of the same film before it faded. Smaller, framed a
//! little differently by the telecine, chroma-subsampled 4:2:0 and JPEG-compressed, numbered from
//! its own start.

use super::geometry::Matrix3;
use crate::color::{Colorspace, from_linear};
use crate::fsx;
use crate::media::Image;
use serde::{Deserialize, Serialize};
use std::io::{BufWriter, Write};
use std::path::Path;

/// How the transfer was made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransferSpec {
    /// Reference size as a fraction of the source size.
    pub scale: f64,
    /// The telecine's extra magnification (overscan: the transfer loses the frame's edges).
    pub zoom: f64,
    /// Rotation of the transfer's raster, degrees (positive turns the picture clockwise).
    pub rotation_deg: f64,
    /// Shift of the picture, as fractions of the source frame's width and height.
    pub shift: [f64; 2],
    /// reference frame number = source frame number + offset.
    pub offset: i64,
    /// Frames the transfer holds before the scan's first frame (the telecine started earlier).
    pub lead_in: usize,
    pub jpeg_quality: u8,
    /// Strength of a per-shot grade the colourist gave the transfer (per-channel gain and
    /// saturation drawn per shot, ±this fraction; 0 = one grade for the whole reel).
    #[serde(default)]
    pub shot_grade: f32,
}

impl Default for TransferSpec {
    fn default() -> Self {
        Self {
            scale: 0.6,
            zoom: 1.04,
            rotation_deg: 0.6,
            shift: [0.015, -0.01],
            offset: 7,
            lead_in: 2,
            jpeg_quality: 85,
            shot_grade: 0.0,
        }
    }
}

impl TransferSpec {
    pub fn reference_size(&self, source: (usize, usize)) -> (usize, usize) {
        let s = |n: usize| ((n as f64 * self.scale).round() as usize).max(2);
        (s(source.0), s(source.1))
    }

    /// Source pixel → reference pixel (pixel centres on integers): the matrix the alignment
    /// stage should recover.
    pub fn source_to_reference(&self, source: (usize, usize)) -> Matrix3 {
        let (w, h) = (source.0 as f64, source.1 as f64);
        let (rw, rh) = self.reference_size(source);
        let framing = Matrix3::translate(0.5 * w + self.shift[0] * w, 0.5 * h + self.shift[1] * h)
            .after(&Matrix3::rotate_deg(self.rotation_deg))
            .after(&Matrix3::scale(self.zoom, self.zoom))
            .after(&Matrix3::translate(-0.5 * w, -0.5 * h));
        // Work on pixel edges (0..w) so the scale maps the frame's border onto the raster's border.
        Matrix3::translate(-0.5, -0.5)
            .after(&Matrix3::scale(rw as f64 / w, rh as f64 / h))
            .after(&framing)
            .after(&Matrix3::translate(0.5, 0.5))
    }
}

/// The colourist's grade of one shot (`shot_grade` > 0): per-channel gain and a saturation
/// change, drawn from the seed and the shot, applied to the transfer's linear light.
pub fn grade_shot(linear: &mut Image, strength: f32, seed: u64, shot: usize) {
    if strength <= 0.0 {
        return;
    }
    let key = super::random::stream_key(seed, 0x6752_6164, shot as i64);
    let draw = |i: u64| strength * super::random::gaussian_at(key, i).clamp(-2.0, 2.0) * 0.5;
    let gain = [1.0 + draw(0), 1.0 + draw(1), 1.0 + draw(2)];
    let saturation = 1.0 + draw(3);
    for p in linear.data.chunks_exact_mut(3) {
        let y = 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
        for c in 0..3 {
            p[c] = ((y + saturation * (p[c] - y)) * gain[c]).max(0.0);
        }
    }
}

/// Video levels: the telecine puts clear film (the print's base) at white.
pub fn video_gain(d_min: f32) -> f32 {
    10f32.powf(d_min)
}

/// Encode linear transmittance as the transfer's 8-bit sRGB pixels, with the chroma of every
/// 2x2 block shared (4:2:0 in Rec.709 Y'CbCr) the way the video carried it.
pub fn encode_video(linear: &Image, gain: f32) -> Vec<u8> {
    let (w, h) = (linear.width, linear.height);
    let ycc: Vec<[f32; 3]> = linear
        .data
        .chunks_exact(3)
        .map(|p| {
            let e = from_linear(Colorspace::Srgb, [p[0] * gain, p[1] * gain, p[2] * gain])
                .map(|v| v.clamp(0.0, 1.0));
            ycbcr709(e)
        })
        .collect();
    let mut out = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let (bx, by) = (x & !1, y & !1);
            let (mut cb, mut cr, mut n) = (0.0, 0.0, 0.0);
            for yy in by..(by + 2).min(h) {
                for xx in bx..(bx + 2).min(w) {
                    let p = ycc[yy * w + xx];
                    cb += p[1];
                    cr += p[2];
                    n += 1.0;
                }
            }
            let rgb = rgb709([ycc[y * w + x][0], cb / n, cr / n]);
            out.extend(rgb.map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8));
        }
    }
    out
}

/// Rec.709 Y'CbCr (full range, Cb/Cr in ±0.5) of gamma-encoded R'G'B'.
fn ycbcr709([r, g, b]: [f32; 3]) -> [f32; 3] {
    let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    [y, (b - y) / 1.8556, (r - y) / 1.5748]
}

fn rgb709([y, cb, cr]: [f32; 3]) -> [f32; 3] {
    let r = y + 1.5748 * cr;
    let b = y + 1.8556 * cb;
    [r, (y - 0.2126 * r - 0.0722 * b) / 0.7152, b]
}

/// Write 8-bit RGB as a baseline JPEG, atomically.
pub fn write_jpeg(
    path: &Path,
    rgb: &[u8],
    size: (usize, usize),
    quality: u8,
) -> anyhow::Result<()> {
    fsx::write_atomic_with(path, |f| {
        let mut w = BufWriter::new(f);
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut w, quality)
            .encode(
                rgb,
                size.0 as u32,
                size.1 as u32,
                image::ExtendedColorType::Rgb8,
            )
            .map_err(std::io::Error::other)?;
        w.flush()
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ycbcr_round_trips() {
        let p = [0.8, 0.3, 0.1];
        let back = rgb709(ycbcr709(p));
        for c in 0..3 {
            assert!((back[c] - p[c]).abs() < 1e-5);
        }
    }

    #[test]
    fn transfer_matrix_maps_frame_centre_near_reference_centre() {
        let t = TransferSpec {
            rotation_deg: 0.0,
            shift: [0.0, 0.0],
            zoom: 1.0,
            ..TransferSpec::default()
        };
        let m = t.source_to_reference((100, 50));
        let (x, y) = m.apply(-0.5, -0.5);
        assert!(
            (x + 0.5).abs() < 1e-9 && (y + 0.5).abs() < 1e-9,
            "frame edge maps to raster edge: ({x}, {y})"
        );
        let (x, y) = m.apply(99.5, 49.5);
        assert!(
            (x - 59.5).abs() < 1e-9 && (y - 29.5).abs() < 1e-9,
            "({x}, {y})"
        );
    }
}
