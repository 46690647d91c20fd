//! OpenEXR DWAA / DWAB reader, written from the format description because the `exr` crate
//! cannot decode these lossy-DCT compressions (common in VFX deliveries and Blender's own
//! HDRIs). Single-part scanline files only; tiled, deep and multi-part files are refused.
//!
//! `media::read` calls [`read_dwa_exr`] when a file's compression attribute is DWAA or DWAB.

mod chunk;
mod dct;
mod header;
mod huffman;
mod rules;

use rayon::prelude::*;
use std::path::{Path, PathBuf};

pub use header::DwaKind;

#[derive(Debug, thiserror::Error)]
pub enum DwaError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: unsupported OpenEXR feature: {what}")]
    Unsupported { path: PathBuf, what: String },
    #[error("{path}: corrupt OpenEXR/DWA data: {why}")]
    Corrupt { path: PathBuf, why: String },
}

/// A decoded DWA image: one f32 plane per channel, row-major, data-window sized.
#[derive(Clone, Debug)]
pub struct DwaImage {
    pub width: usize,
    pub height: usize,
    pub kind: DwaKind,
    /// Channel names in file order (alphabetical), parallel to `planes`.
    pub channels: Vec<String>,
    pub planes: Vec<Vec<f32>>,
}

impl DwaImage {
    pub fn plane(&self, name: &str) -> Option<&[f32]> {
        let i = self.channels.iter().position(|c| c == name)?;
        Some(&self.planes[i])
    }

    /// Interleaved R,G,B(,A) samples, or `None` if R, G or B is missing.
    pub fn rgba_interleaved(&self) -> Option<(Vec<f32>, usize)> {
        let mut planes = vec![self.plane("R")?, self.plane("G")?, self.plane("B")?];
        if let Some(a) = self.plane("A") {
            planes.push(a);
        }
        let n = planes.len();
        let mut out = Vec::with_capacity(self.width * self.height * n);
        for i in 0..self.width * self.height {
            out.extend(planes.iter().map(|p| p[i]));
        }
        Some((out, n))
    }
}

/// Reads a DWAA or DWAB compressed single-part scanline OpenEXR file.
pub fn read_dwa_exr(path: &Path) -> Result<DwaImage, DwaError> {
    let bytes = std::fs::read(path).map_err(|source| DwaError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode(&bytes, path)
}

fn decode(bytes: &[u8], path: &Path) -> Result<DwaImage, DwaError> {
    let hdr = header::parse(bytes, path)?;
    let corrupt = |why: String| DwaError::Corrupt {
        path: path.to_path_buf(),
        why,
    };
    let per_chunk = hdr.kind.lines_per_chunk();
    let width = hdr.width;
    let pixel_bytes: usize = hdr.channels.iter().map(|c| c.sample.bytes()).sum();

    let decoded: Vec<(usize, Vec<Vec<f32>>)> = hdr
        .chunk_offsets
        .par_iter()
        .map(|&offset| -> Result<(usize, Vec<Vec<f32>>), DwaError> {
            let mut r = header::Reader {
                bytes,
                pos: usize::try_from(offset).unwrap_or(usize::MAX),
            };
            let at = |why: String| corrupt(format!("chunk at byte {offset}: {why}"));
            let y = r.i32().map_err(at)?;
            let size = r.i32().map_err(at)?;
            let data = r
                .take(usize::try_from(size).unwrap_or(usize::MAX))
                .map_err(at)?;
            let row = y as i64 - hdr.y_min as i64;
            if row < 0 || row as usize >= hdr.height || row as usize % per_chunk != 0 {
                return Err(at(format!("scanline {y} is not a chunk start")));
            }
            let row = row as usize;
            let lines = per_chunk.min(hdr.height - row);
            let mut planes = vec![vec![0f32; width * lines]; hdr.channels.len()];
            let mut target = chunk::Target {
                planes: &mut planes,
                width,
                y0: 0,
                lines,
            };
            if data.len() == width * lines * pixel_bytes {
                // Chunks that would not shrink are stored uncompressed, scanline-interleaved.
                unpack_raw(data, &hdr.channels, &mut target);
            } else {
                chunk::decode(data, &hdr.channels, &mut target).map_err(at)?;
            }
            Ok((row, planes))
        })
        .collect::<Result<_, _>>()?;

    let mut planes = vec![vec![0f32; width * hdr.height]; hdr.channels.len()];
    for (row, chunk_planes) in decoded {
        for (dst, src) in planes.iter_mut().zip(chunk_planes) {
            dst[row * width..row * width + src.len()].copy_from_slice(&src);
        }
    }
    Ok(DwaImage {
        width,
        height: hdr.height,
        kind: hdr.kind,
        channels: hdr.channels.iter().map(|c| c.name.clone()).collect(),
        planes,
    })
}

fn unpack_raw(data: &[u8], channels: &[header::Channel], target: &mut chunk::Target) {
    let mut at = 0;
    for y in 0..target.lines {
        for (c, ch) in channels.iter().enumerate() {
            let n = ch.sample.bytes();
            for x in 0..target.width {
                let s = &data[at..at + n];
                let v = match ch.sample {
                    header::SampleType::Half => {
                        half::f16::from_bits(u16::from_le_bytes([s[0], s[1]])).to_f32()
                    }
                    header::SampleType::Float => f32::from_le_bytes(s.try_into().unwrap()),
                    header::SampleType::Uint => u32::from_le_bytes(s.try_into().unwrap()) as f32,
                };
                target.planes[c][(target.y0 + y) * target.width + x] = v;
                at += n;
            }
        }
    }
}
