//! Decoding one DWA-compressed chunk (32 or 256 scanlines) into per-channel f32 rows.
//!
//! A chunk is eleven little-endian u64 counters, the channel rule table (version 2), then four
//! sections back to back: UNKNOWN (zlib), AC (static Huffman or zlib), DC (zlib with the ZIP
//! byte predictor) and RLE (zlib over OpenEXR RLE over byte planes).

use super::dct;
use super::header::{Channel, SampleType};
use super::huffman;
use super::rules::{self, Scheme};
use half::f16;
use std::io::Read;

const COUNTERS: usize = 11;

/// Where one chunk's pixels go: `planes[c][(y0 + y) * width + x]` for channel `c`.
pub struct Target<'a> {
    pub planes: &'a mut [Vec<f32>],
    pub width: usize,
    pub y0: usize,
    pub lines: usize,
}

impl Target<'_> {
    fn put(&mut self, c: usize, x: usize, y: usize, v: f32) {
        self.planes[c][(self.y0 + y) * self.width + x] = v;
    }
}

fn inflate(data: &[u8], expected: usize, what: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(expected);
    flate2::read::ZlibDecoder::new(data)
        .read_to_end(&mut out)
        .map_err(|e| format!("{what} section: zlib error: {e}"))?;
    if out.len() != expected {
        return Err(format!(
            "{what} section inflated to {} bytes, expected {expected}",
            out.len()
        ));
    }
    Ok(out)
}

/// OpenEXR's RLE: a negative count byte introduces that many literal bytes, a non-negative
/// one repeats the next byte count+1 times.
fn unrle(data: &[u8], expected: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(expected);
    let mut i = 0;
    while i < data.len() {
        let n = data[i] as i8;
        i += 1;
        if n < 0 {
            let n = (-(n as i32)) as usize;
            let lit = data.get(i..i + n).ok_or("RLE literal run truncated")?;
            out.extend_from_slice(lit);
            i += n;
        } else {
            let b = *data.get(i).ok_or("RLE repeat run truncated")?;
            out.extend(std::iter::repeat_n(b, n as usize + 1));
            i += 1;
        }
    }
    if out.len() != expected {
        return Err(format!(
            "RLE data expanded to {} bytes, expected {expected}",
            out.len()
        ));
    }
    Ok(out)
}

/// Undoes the ZIP predictor (byte deltas biased by 128) and the split of even and odd bytes.
fn zip_reconstruct(mut t: Vec<u8>) -> Vec<u8> {
    for i in 1..t.len() {
        t[i] = t[i - 1].wrapping_add(t[i]).wrapping_sub(128);
    }
    let half = t.len().div_ceil(2);
    let (a, b) = t.split_at(half);
    let mut out = Vec::with_capacity(t.len());
    for i in 0..half {
        out.push(a[i]);
        if let Some(&v) = b.get(i) {
            out.push(v);
        }
    }
    out
}

fn sample_to_f32(sample: SampleType, bytes: &[u8]) -> f32 {
    match sample {
        SampleType::Half => f16::from_bits(u16::from_le_bytes([bytes[0], bytes[1]])).to_f32(),
        SampleType::Float => f32::from_le_bytes(bytes.try_into().unwrap()),
        SampleType::Uint => u32::from_le_bytes(bytes.try_into().unwrap()) as f32,
    }
}

/// Cursor over the packed AC and DC coefficient streams shared by all lossy channels.
struct Coefficients {
    ac: Vec<u16>,
    ac_pos: usize,
    dc: Vec<u16>,
    dc_pos: usize,
}

impl Coefficients {
    /// Expands one block's run-length coded AC values into `zig[1..64]` (zig-zag order).
    /// Returns the index of the last non-zero coefficient (0: the block is flat).
    fn next_ac_block(&mut self, zig: &mut [u16; 64]) -> Result<usize, String> {
        let mut idx = 1;
        let mut last_non_zero = 0;
        while idx < 64 {
            let v = *self
                .ac
                .get(self.ac_pos)
                .ok_or("AC coefficients exhausted")?;
            self.ac_pos += 1;
            if v & 0xff00 == 0xff00 {
                // A run of zeros; a zero count marks end-of-block.
                let run = (v & 0xff) as usize;
                idx += if run == 0 { 64 } else { run };
            } else {
                zig[idx] = v;
                last_non_zero = idx;
                idx += 1;
            }
        }
        Ok(last_non_zero)
    }
}

/// Decodes a group of 1 (plain) or 3 (Y'CbCr → RGB) lossy-DCT channels.
fn decode_lossy(
    group: &[usize],
    linearize: bool,
    coefs: &mut Coefficients,
    target: &mut Target,
) -> Result<(), String> {
    let (w, h) = (target.width, target.lines);
    let (bx_n, by_n) = (w.div_ceil(8), h.div_ceil(8));
    let plane_blocks = bx_n * by_n;
    let dc_base = coefs.dc_pos;
    if coefs.dc.len() < dc_base + group.len() * plane_blocks {
        return Err("DC coefficients exhausted".into());
    }
    let lut = dct::to_linear_table();
    let mut blocks = vec![[0f32; 64]; group.len()];
    for by in 0..by_n {
        for bx in 0..bx_n {
            for (comp, block) in blocks.iter_mut().enumerate() {
                let mut zig = [0u16; 64];
                zig[0] = coefs.dc[dc_base + comp * plane_blocks + by * bx_n + bx];
                let last = coefs.next_ac_block(&mut zig)?;
                if last == 0 {
                    block[0] = f16::from_bits(zig[0]).to_f32();
                    dct::inverse_dc_only(block);
                } else {
                    for (i, v) in block.iter_mut().enumerate() {
                        *v = f16::from_bits(zig[dct::ZIGZAG[i]]).to_f32();
                    }
                    dct::inverse(block);
                }
            }
            if let [y, cb, cr] = blocks.as_mut_slice() {
                dct::csc709_inverse(y, cb, cr);
            }
            let max_y = 8.min(h - by * 8);
            let max_x = 8.min(w - bx * 8);
            for (comp, block) in blocks.iter().enumerate() {
                for yy in 0..max_y {
                    for xx in 0..max_x {
                        let mut bits = f16::from_f32(block[yy * 8 + xx]).to_bits();
                        if linearize {
                            bits = lut[bits as usize];
                        }
                        let v = f16::from_bits(bits).to_f32();
                        target.put(group[comp], bx * 8 + xx, by * 8 + yy, v);
                    }
                }
            }
        }
    }
    coefs.dc_pos = dc_base + group.len() * plane_blocks;
    Ok(())
}

pub fn decode(data: &[u8], channels: &[Channel], target: &mut Target) -> Result<(), String> {
    if data.len() < COUNTERS * 8 {
        return Err("chunk shorter than its DWA counters".into());
    }
    let counter = |i: usize| u64::from_le_bytes(data[i * 8..i * 8 + 8].try_into().unwrap());
    let [
        version,
        unknown_raw,
        unknown_packed,
        ac_packed,
        dc_packed,
        rle_packed,
        rle_unpacked,
        rle_raw,
        ac_count,
        dc_count,
        ac_compression,
    ] = std::array::from_fn(counter);
    if version > 2 {
        return Err(format!(
            "DWA chunk version {version} is newer than this reader (2)"
        ));
    }
    let mut pos = COUNTERS * 8;
    let rules = if version >= 2 {
        let (rules, used) = rules::parse(&data[pos..])?;
        pos += used;
        rules
    } else {
        rules::legacy()
    };
    let classes = rules::classify(channels, &rules);

    let mut section = |len: u64, what: &str| -> Result<&[u8], String> {
        let len = usize::try_from(len).map_err(|_| format!("{what} size overflows"))?;
        let s = data
            .get(pos..pos.saturating_add(len))
            .ok_or_else(|| format!("{what} section runs past the chunk"))?;
        pos += len;
        Ok(s)
    };
    let unknown_bytes = section(unknown_packed, "UNKNOWN")?;
    let ac_bytes = section(ac_packed, "AC")?;
    let dc_bytes = section(dc_packed, "DC")?;
    let rle_bytes = section(rle_packed, "RLE")?;

    let (w, h) = (target.width, target.lines);
    let plane = w * h;

    let ac = match (ac_packed, ac_compression) {
        (0, _) => Vec::new(),
        (_, 0) => huffman::decompress(ac_bytes, ac_count as usize)?,
        (_, 1) => inflate(ac_bytes, ac_count as usize * 2, "AC")?
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect(),
        (_, m) => return Err(format!("unknown AC compression {m}")),
    };
    let dc = if dc_packed > 0 {
        zip_reconstruct(inflate(dc_bytes, dc_count as usize * 2, "DC")?)
            .chunks_exact(2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .collect()
    } else {
        Vec::new()
    };
    let mut coefs = Coefficients {
        ac,
        ac_pos: 0,
        dc,
        dc_pos: 0,
    };

    // Colour triples first, then remaining lossy channels one by one, in channel order.
    let mut done = vec![false; channels.len()];
    for set in &classes.csc_sets {
        if set.iter().any(|&c| classes.schemes[c] != Scheme::LossyDct) {
            return Err("a Y'CbCr channel triple is not lossy-DCT coded".into());
        }
        decode_lossy(set, true, &mut coefs, target)?;
        set.iter().for_each(|&c| done[c] = true);
    }
    for (c, ch) in channels.iter().enumerate() {
        if !done[c] && classes.schemes[c] == Scheme::LossyDct {
            decode_lossy(&[c], !ch.p_linear, &mut coefs, target)?;
        }
    }

    if unknown_raw > 0 {
        let raw = inflate(unknown_bytes, unknown_raw as usize, "UNKNOWN")?;
        let mut at = 0;
        for (c, ch) in channels.iter().enumerate() {
            if classes.schemes[c] != Scheme::Unknown {
                continue;
            }
            let n = ch.sample.bytes();
            let bytes = raw
                .get(at..at + plane * n)
                .ok_or_else(|| format!("UNKNOWN data too short for channel {}", ch.name))?;
            for (i, s) in bytes.chunks_exact(n).enumerate() {
                target.put(c, i % w, i / w, sample_to_f32(ch.sample, s));
            }
            at += plane * n;
        }
    }
    if rle_raw > 0 {
        let packed = inflate(rle_bytes, rle_unpacked as usize, "RLE")?;
        let raw = unrle(&packed, rle_raw as usize)?;
        let mut at = 0;
        for (c, ch) in channels.iter().enumerate() {
            if classes.schemes[c] != Scheme::Rle {
                continue;
            }
            // Byte planes: all first bytes of the channel, then all second bytes, ...
            let n = ch.sample.bytes();
            if raw.len() < at + plane * n {
                return Err(format!("RLE data too short for channel {}", ch.name));
            }
            let mut sample = [0u8; 4];
            for i in 0..plane {
                for (b, s) in sample.iter_mut().take(n).enumerate() {
                    *s = raw[at + b * plane + i];
                }
                target.put(c, i % w, i / w, sample_to_f32(ch.sample, &sample[..n]));
            }
            at += plane * n;
        }
    }
    Ok(())
}
