//! The EXR ZIP and ZIPS writer: OpenEXR's delivery default, written with libdeflate on every
//! core.
//!
//! Why it exists: the `exr` crate compresses ZIP blocks with miniz_oxide and copies each frame
//! through per-channel sample vectors and a native-endian line layout first. At 2K that wrote
//! half ZIP at 0.64x and float ZIP at 0.45x OpenImageIO's speed (`tinct bench io`), too slow to
//! keep a GPU render fed. Here each 16-line block (1 for ZIPS) goes straight from the
//! interleaved f32 frame to OpenEXR's byte layout, through its predictor, and into libdeflate
//! (the compressor OpenEXR 3.2+ itself links), blocks in parallel on the rayon pool. The header,
//! the offset table and the chunk framing are still written by the `exr` crate, from the same
//! header its own writer would infer, so the file differs from the crate's only in how well
//! each block is deflated.
//!
//! The block layout and predictor follow OpenEXR's `ImfZip.cpp`: for each line of the block,
//! for each channel in name order, the line's samples little-endian; then the bytes split into
//! even and odd halves, then each byte replaced by its difference to the previous one plus 128;
//! then zlib. A block that does not shrink is stored raw, as OpenEXR does (readers tell the two
//! apart by size).

use super::super::Image;
use super::super::error::{MediaError, Result};
use exr::block::chunk::{Chunk, CompressedBlock, CompressedScanLineBlock};
use exr::block::writer::ChunksWriter;
use exr::meta::Headers;
use exr::meta::attribute::SampleType;
use exr::prelude::f16;
use libdeflater::{CompressionLvl, Compressor};
use rayon::prelude::*;
use std::path::Path;

/// OpenEXR's default `zipCompressionLevel` (and the `exr` crate's), so file sizes stay
/// comparable with what the rest of the pipeline writes.
const LEVEL: i32 = 4;

/// Write `img` under `headers` (one scan-line header with ZIP1 or ZIP16 compression whose
/// channels are `img`'s, as `exr_io::write` inferred them) to `path`, atomically.
pub(super) fn write(path: &Path, img: &Image, headers: Headers) -> Result<()> {
    let header = &headers[0];
    let lines = header.compression.scan_lines_per_block();
    let sample_type = header.channels.list[0].sample_type;
    // Header channels are in name order; map each to its plane in the interleaved frame.
    let order: Vec<usize> = header
        .channels
        .list
        .iter()
        .map(|c| plane_of(&c.name.to_string()))
        .collect();
    // Per-thread scratch (the compressor, the raw block, its predicted bytes, deflate's output)
    // reused across blocks: fresh buffers per block cost page faults on every frame.
    let blocks: Vec<Vec<u8>> = (0..header.chunk_count)
        .into_par_iter()
        .map_init(
            || {
                let deflate =
                    Compressor::new(CompressionLvl::new(LEVEL).expect("level 4 is valid"));
                (deflate, Scratch::default())
            },
            |(deflate, scratch), b| {
                let y0 = b * lines;
                let y1 = (y0 + lines).min(img.height);
                block_bytes(img, y0..y1, &order, sample_type, &mut scratch.raw);
                compress(deflate, scratch)
            },
        )
        .collect();

    crate::fsx::write_atomic_with(path, |f| {
        let w = std::io::BufWriter::with_capacity(1 << 20, f);
        exr::block::write(w, headers, true, |_meta, chunks| {
            for (b, pixels) in blocks.into_iter().enumerate() {
                let chunk = Chunk {
                    layer_index: 0,
                    compressed_block: CompressedBlock::ScanLine(CompressedScanLineBlock {
                        y_coordinate: (b * lines) as i32,
                        compressed_pixels_le: pixels,
                    }),
                };
                chunks.write_chunk(b, chunk)?;
            }
            Ok(())
        })
        .map_err(|e| std::io::Error::other(e.to_string()))
    })
    .map_err(|e| MediaError::io(path, e.source))
}

/// The interleaved plane a channel name comes from (`exr_io::write` names them R, G, B, A or Y).
fn plane_of(name: &str) -> usize {
    match name {
        "G" => 1,
        "B" => 2,
        "A" => 3,
        _ => 0, // R, Y
    }
}

/// Reused buffers of one compressing thread.
#[derive(Default)]
struct Scratch {
    raw: Vec<u8>,
    predicted: Vec<u8>,
    packed: Vec<u8>,
}

/// Lines `rows` of `img` in OpenEXR's block layout (line by line, channel by channel) into `raw`.
fn block_bytes(
    img: &Image,
    rows: std::ops::Range<usize>,
    order: &[usize],
    sample_type: SampleType,
    raw: &mut Vec<u8>,
) {
    let (w, nch) = (img.width, img.channels);
    raw.clear();
    for y in rows {
        let line = &img.data[y * w * nch..(y + 1) * w * nch];
        for &c in order {
            let plane = line.iter().skip(c).step_by(nch);
            if sample_type == SampleType::F16 {
                // Clamp to the largest finite half, as the general writer does.
                for v in plane {
                    raw.extend_from_slice(&f16::from_f32(v.clamp(-65504.0, 65504.0)).to_le_bytes());
                }
            } else {
                for v in plane {
                    raw.extend_from_slice(&v.to_le_bytes());
                }
            }
        }
    }
}

/// OpenEXR's ZIP block coding of `scratch.raw`; the raw bytes themselves when that does not
/// make them smaller.
fn compress(deflate: &mut Compressor, scratch: &mut Scratch) -> Vec<u8> {
    let Scratch {
        raw,
        predicted,
        packed,
    } = scratch;
    predicted.clear();
    predicted.extend(raw.iter().step_by(2));
    predicted.extend(raw.iter().skip(1).step_by(2));
    let mut prev = predicted.first().copied().unwrap_or(0);
    for b in predicted.iter_mut().skip(1) {
        let d = b.wrapping_sub(prev).wrapping_add(128);
        prev = *b;
        *b = d;
    }
    packed.resize(deflate.zlib_compress_bound(predicted.len()), 0);
    match deflate.zlib_compress(predicted, packed) {
        Ok(n) if n < raw.len() => packed[..n].to_vec(),
        _ => raw.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The predictor and split of OpenEXR's ImfZip.cpp, undone as its reader does: what
    /// `compress` stores must inflate back to exactly the raw block.
    #[test]
    fn a_block_inflates_back_to_its_raw_bytes() {
        let raw: Vec<u8> = (0..4099u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 & 0x3f)
            .collect();
        let mut deflate = Compressor::new(CompressionLvl::new(LEVEL).unwrap());
        let mut scratch = Scratch {
            raw: raw.clone(),
            ..Scratch::default()
        };
        let packed = compress(&mut deflate, &mut scratch);
        assert!(packed.len() < raw.len(), "a compressible block shrinks");
        let mut split = vec![0u8; raw.len()];
        let n = libdeflater::Decompressor::new()
            .zlib_decompress(&packed, &mut split)
            .unwrap();
        assert_eq!(n, raw.len());
        for i in 1..split.len() {
            split[i] = split[i - 1].wrapping_add(split[i]).wrapping_sub(128);
        }
        let (even, odd) = split.split_at(raw.len().div_ceil(2));
        let back: Vec<u8> = (0..raw.len())
            .map(|i| if i % 2 == 0 { even[i / 2] } else { odd[i / 2] })
            .collect();
        assert_eq!(back, raw);
    }

    #[test]
    fn noise_that_does_not_shrink_is_stored_raw() {
        let mut state = 0x2545f491u32;
        let raw: Vec<u8> = (0..1000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect();
        let mut deflate = Compressor::new(CompressionLvl::new(LEVEL).unwrap());
        let mut scratch = Scratch {
            raw: raw.clone(),
            ..Scratch::default()
        };
        assert_eq!(compress(&mut deflate, &mut scratch), raw);
    }
}
