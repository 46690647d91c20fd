//! DPX sample packing: how 8/10/12/16-bit samples sit in the bytes of one scan line.
//!
//! * 8-bit: one byte per sample. 16-bit: one 16-bit word per sample.
//! * 10-bit filled (method A/B): three samples per 32-bit word, the first in the high bits;
//!   method A leaves the two spare bits at the bottom, method B at the top.
//! * 12-bit filled: one sample per 16-bit word, method A shifted up by 4, method B not.
//! * 10/12-bit packed: samples back to back in 32-bit words, least significant bits first (the
//!   first sample in bits 0..10 of the first word; a sample straddling two words continues in
//!   the low bits of the next), as libdpx/OpenImageIO write and read it.
//!
//! 10/12-bit lines start on a 32-bit boundary. 8- and 16-bit lines are *not* padded by
//! libdpx/OpenImageIO, the writers most DPX in circulation come from, so [`line_bytes`] does
//! not pad them; the reader recognises padded files by their size (see `dpx::stride`).

use super::header::Packing;

/// Bytes of one line holding `n` samples (before any declared end-of-line padding).
pub fn line_bytes(n: usize, bits: u8, packing: Packing) -> usize {
    match (bits, packing) {
        (8, _) => n,
        (16, _) => n * 2,
        (10, Packing::FilledA | Packing::FilledB) => n.div_ceil(3) * 4,
        (12, Packing::FilledA | Packing::FilledB) => (n * 2).div_ceil(4) * 4,
        (b, _) => (n * b as usize).div_ceil(32) * 4,
    }
}

fn word32(b: &[u8], be: bool) -> u32 {
    let a: [u8; 4] = b.try_into().expect("4 bytes");
    if be {
        u32::from_be_bytes(a)
    } else {
        u32::from_le_bytes(a)
    }
}

fn word16(b: &[u8], be: bool) -> u16 {
    let a = [b[0], b[1]];
    if be {
        u16::from_be_bytes(a)
    } else {
        u16::from_le_bytes(a)
    }
}

/// Decode the `out.len()` samples of one line, normalised to 0..1.
///
/// `luma`: libdpx fills a one-channel 10-bit word from the low bits up (the first sample in
/// bits 2..12 for method A), where RGB puts the first sample on top; we follow it.
pub fn unpack_line(line: &[u8], bits: u8, packing: Packing, be: bool, luma: bool, out: &mut [f32]) {
    let max = ((1u32 << bits) - 1) as f32;
    match (bits, packing) {
        (8, _) => out
            .iter_mut()
            .zip(line)
            .for_each(|(o, &v)| *o = v as f32 / max),
        (16, _) => out
            .iter_mut()
            .zip(line.chunks_exact(2))
            .for_each(|(o, c)| *o = word16(c, be) as f32 / max),
        (12, Packing::FilledA | Packing::FilledB) => {
            let shift = if packing == Packing::FilledA { 4 } else { 0 };
            out.iter_mut()
                .zip(line.chunks_exact(2))
                .for_each(|(o, c)| *o = ((word16(c, be) >> shift) & 0xfff) as f32 / max)
        }
        (10, Packing::FilledA | Packing::FilledB) => {
            let base = if packing == Packing::FilledA { 22 } else { 20 };
            for (chunk, w) in out.chunks_mut(3).zip(line.chunks_exact(4)) {
                let w = word32(w, be);
                for (k, o) in chunk.iter_mut().enumerate() {
                    let slot = if luma { 2 - k } else { k };
                    *o = ((w >> (base - 10 * slot)) & 0x3ff) as f32 / max;
                }
            }
        }
        (b, _) => {
            // Packed bit stream, least significant bit first within each 32-bit word.
            let b = b as usize;
            let mask = (1u64 << b) - 1;
            let words: Vec<u32> = line.chunks_exact(4).map(|c| word32(c, be)).collect();
            for (i, o) in out.iter_mut().enumerate() {
                let bit = i * b;
                let (wi, off) = (bit / 32, bit % 32);
                let lo = words[wi] as u64;
                let hi = words.get(wi + 1).copied().unwrap_or(0) as u64;
                let pair = (hi << 32) | lo;
                *o = ((pair >> off) & mask) as f32 / max;
            }
        }
    }
}

/// Encode one line of 0..1 samples (clipped, rounded) into `line` (already zeroed, sized by
/// [`line_bytes`]).
pub fn pack_line(
    samples: &[f32],
    bits: u8,
    packing: Packing,
    be: bool,
    luma: bool,
    line: &mut [u8],
) {
    let max = (1u32 << bits) - 1;
    let q = |v: f32| crate::media::quantize(v, max as f32);
    let put16 = |dst: &mut [u8], v: u16| {
        dst.copy_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() })
    };
    let put32 = |dst: &mut [u8], v: u32| {
        dst.copy_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() })
    };
    match (bits, packing) {
        (8, _) => line
            .iter_mut()
            .zip(samples)
            .for_each(|(d, &v)| *d = q(v) as u8),
        (16, _) => line
            .chunks_exact_mut(2)
            .zip(samples)
            .for_each(|(d, &v)| put16(d, q(v) as u16)),
        (12, Packing::FilledA | Packing::FilledB) => {
            let shift = if packing == Packing::FilledA { 4 } else { 0 };
            line.chunks_exact_mut(2)
                .zip(samples)
                .for_each(|(d, &v)| put16(d, (q(v) << shift) as u16))
        }
        (10, Packing::FilledA | Packing::FilledB) => {
            let base = if packing == Packing::FilledA { 22 } else { 20 };
            for (chunk, d) in samples.chunks(3).zip(line.chunks_exact_mut(4)) {
                let slot = |k: usize| if luma { 2 - k } else { k };
                let w = chunk
                    .iter()
                    .enumerate()
                    .fold(0u32, |w, (k, &v)| w | (q(v) << (base - 10 * slot(k))));
                put32(d, w);
            }
        }
        (b, _) => {
            let b = b as usize;
            let mut words = vec![0u32; line.len() / 4];
            for (i, &v) in samples.iter().enumerate() {
                let bit = i * b;
                let (wi, off) = (bit / 32, bit % 32);
                let pair = (q(v) as u64) << off;
                words[wi] |= pair as u32;
                if let Some(next) = words.get_mut(wi + 1) {
                    *next |= (pair >> 32) as u32;
                }
            }
            for (d, w) in line.chunks_exact_mut(4).zip(words) {
                put32(d, w);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layout_round_trips_code_values() {
        for bits in [8u8, 10, 12, 16] {
            let max = ((1u32 << bits) - 1) as f32;
            for packing in [Packing::Packed, Packing::FilledA, Packing::FilledB] {
                for (be, luma) in [(true, false), (false, false), (true, true)] {
                    for n in [1usize, 2, 3, 7, 21, 64] {
                        let samples: Vec<f32> =
                            (0..n).map(|i| ((i * 37 + 5) as f32 % max) / max).collect();
                        let mut line = vec![0u8; line_bytes(n, bits, packing)];
                        pack_line(&samples, bits, packing, be, luma, &mut line);
                        let mut back = vec![0f32; n];
                        unpack_line(&line, bits, packing, be, luma, &mut back);
                        assert_eq!(back, samples, "{bits}-bit {packing:?} be={be} n={n}");
                    }
                }
            }
        }
    }

    #[test]
    fn ten_bit_method_a_puts_red_in_the_top_bits() {
        let mut line = vec![0u8; 4];
        pack_line(
            &[1.0, 0.0, 0.0],
            10,
            Packing::FilledA,
            true,
            false,
            &mut line,
        );
        assert_eq!(line, [0xff, 0xc0, 0x00, 0x00]);
        pack_line(
            &[0.0, 0.0, 1.0],
            10,
            Packing::FilledB,
            true,
            false,
            &mut line,
        );
        assert_eq!(u32::from_be_bytes(line.clone().try_into().unwrap()), 0x3ff);
    }
}
