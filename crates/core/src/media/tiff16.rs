//! Uncompressed 8/16-bit integer TIFF (luma, RGB, RGBA), written and read by hand: the layout a
//! render delivers with `infer.format = "tiff"`, and what scanners and most tools write when told
//! "no compression". Everything else a TIFF can hold (compression, float samples, tiles, planar
//! or palette images, other photometrics) goes through the `image` crate in [`super::raster`],
//! which is also where [`read`] sends any file it does not recognise, so malformed directories
//! get that decoder's diagnosis.
//!
//! Why by hand: the codec path converts the whole frame to integers in one buffer, copies it
//! through the encoder's strip writer, and reading decodes into a byte buffer before widening it
//! to f32, which put 16-bit TIFF at 0.6-0.75x OpenImageIO's speed in `tinct bench io` (on a
//! loaded machine; on a quiet one it was at par). Here the writer converts bands of rows
//! (256 KB, cache-sized) into a reused buffer and hands each to the file in one call; with more
//! than one rayon thread the next band is converted while the file takes the current one. The
//! reader reads bands of rows straight from the file into a per-thread buffer (positioned
//! reads, so rayon's threads share the file) and widens them into the final image. Values are
//! exactly the codec path's: `media::quantize` writing, `code / 255` or `code / 65535` reading.
//!
//! Files written here: little-endian classic TIFF, one directory right after the 8-byte header,
//! strips of about 256 KB, `ExtraSamples = 1` (associated alpha, as EXR holds it and as
//! OpenImageIO marks it) for RGBA, `SampleFormat = 1`; libtiff and OpenImageIO read them, to the
//! same values.
//!
//! Hostile headers: the declared size goes through the pixel budget, and every strip must lie
//! inside the file before the image is allocated, so a short file declaring a large frame is a
//! "truncated" error that costs no memory.

use super::error::{MediaError, Result};
use super::{Decoded, Image};
use crate::color::Colorspace;
use rayon::prelude::*;
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Pixel bytes per strip the writer aims for (readers that stream strip by strip hold one).
const STRIP_BYTES: usize = 256 * 1024;
/// Pixel bytes the writer converts and hands to the file per call.
const WRITE_BAND_BYTES: usize = 256 * 1024;
/// Pixel bytes one reader task reads and widens at a time (stays in a core's cache).
const READ_BAND_BYTES: usize = 128 * 1024;
/// More directory entries than this is not a file this module wrote or expects.
const MAX_ENTRIES: usize = 4096;

mod tag {
    pub const IMAGE_WIDTH: u16 = 256;
    pub const IMAGE_LENGTH: u16 = 257;
    pub const BITS_PER_SAMPLE: u16 = 258;
    pub const COMPRESSION: u16 = 259;
    pub const PHOTOMETRIC: u16 = 262;
    pub const STRIP_OFFSETS: u16 = 273;
    pub const SAMPLES_PER_PIXEL: u16 = 277;
    pub const ROWS_PER_STRIP: u16 = 278;
    pub const STRIP_BYTE_COUNTS: u16 = 279;
    pub const PLANAR_CONFIG: u16 = 284;
    pub const TILE_WIDTH: u16 = 322;
    pub const EXTRA_SAMPLES: u16 = 338;
    pub const SAMPLE_FORMAT: u16 = 339;
}

/// TIFF field types this module reads or writes.
const SHORT: u16 = 3;
const LONG: u16 = 4;

/// Can [`write`] store this image at this bit depth?
pub fn writes(img: &Image, bits: u8) -> bool {
    matches!(img.channels, 1 | 3 | 4) && matches!(bits, 8 | 16)
}

/// Write `img` (samples already in the target encoding, 0..1) as an uncompressed `bits`-bit
/// TIFF, atomically (temp file, fsync, rename: `fsx::write_atomic_with`).
pub fn write(path: &Path, img: &Image, bits: u8) -> Result<()> {
    let cant = |what: String| MediaError::CannotWrite {
        path: path.into(),
        what,
    };
    if !writes(img, bits) {
        return Err(cant(format!(
            "{}-channel {bits}-bit uncompressed TIFF (1, 3 or 4 channels; 8 or 16 bits)",
            img.channels
        )));
    }
    if img.width == 0 || img.height == 0 {
        return Err(cant(format!("an empty {}x{} TIFF", img.width, img.height)));
    }
    let layout = Layout::new(img.width, img.height, img.channels, bits as usize);
    let header = layout.header();
    let end = (header.len() as u64).saturating_add(layout.data_bytes() as u64);
    if end > u32::MAX as u64 {
        return Err(cant(format!(
            "a {}x{} TIFF of {end} bytes (classic TIFF ends at 4 GiB)",
            img.width, img.height
        )));
    }
    crate::fsx::write_atomic_with(path, |file| {
        file.write_all(&header)?;
        let rows = (WRITE_BAND_BYTES / layout.row_bytes()).clamp(1, img.height);
        let mut bands = img.data.chunks(rows * img.width * img.channels);
        let (mut current, mut next) = (Vec::new(), Vec::new());
        if rayon::current_num_threads() == 1 {
            for band in bands {
                encode(band, &mut current, bits);
                file.write_all(&current)?;
            }
            return Ok(());
        }
        // A pipeline: the file takes one band while the next is converted beside it.
        let file = &*file;
        if let Some(first) = bands.next() {
            encode(first, &mut current, bits);
        }
        while !current.is_empty() {
            let upcoming = bands.next();
            let (written, ()) = rayon::join(
                || (&*file).write_all(&current),
                || match upcoming {
                    Some(band) => encode(band, &mut next, bits),
                    None => next.clear(),
                },
            );
            written?;
            std::mem::swap(&mut current, &mut next);
        }
        Ok(())
    })
    .map_err(|e| MediaError::io(path, e.source))
}

/// 0..1 samples as little-endian integer codes, into `out` (resized to fit).
fn encode(src: &[f32], out: &mut Vec<u8>, bits: u8) {
    if bits == 16 {
        out.resize(src.len() * 2, 0);
        for (d, &v) in out.chunks_exact_mut(2).zip(src) {
            d.copy_from_slice(&(super::quantize(v, 65535.0) as u16).to_le_bytes());
        }
    } else {
        out.resize(src.len(), 0);
        for (d, &v) in out.iter_mut().zip(src) {
            *d = super::quantize(v, 255.0) as u8;
        }
    }
}

/// What the writer's directory describes.
struct Layout {
    width: usize,
    height: usize,
    channels: usize,
    bits: usize,
    rows_per_strip: usize,
}

impl Layout {
    fn new(width: usize, height: usize, channels: usize, bits: usize) -> Self {
        let row_bytes = width * channels * bits / 8;
        Self {
            width,
            height,
            channels,
            bits,
            rows_per_strip: STRIP_BYTES.div_ceil(row_bytes).clamp(1, height),
        }
    }

    fn row_bytes(&self) -> usize {
        self.width * self.channels * self.bits / 8
    }

    fn data_bytes(&self) -> usize {
        self.row_bytes() * self.height
    }

    /// Header, directory and its out-of-line values; the pixel data follows it directly (its
    /// length is a multiple of 4). The caller checks that the file stays below 4 GiB, so the
    /// offsets' `as u32` casts here hold.
    fn header(&self) -> Vec<u8> {
        let (w, h, c) = (self.width, self.height, self.channels);
        let strips = h.div_ceil(self.rows_per_strip);
        let short = |v: usize| vec![v as u32];
        let mut entries: Vec<(u16, u16, Vec<u32>)> = vec![
            (tag::IMAGE_WIDTH, LONG, short(w)),
            (tag::IMAGE_LENGTH, LONG, short(h)),
            (tag::BITS_PER_SAMPLE, SHORT, vec![self.bits as u32; c]),
            (tag::COMPRESSION, SHORT, short(1)),
            (tag::PHOTOMETRIC, SHORT, short(if c == 1 { 1 } else { 2 })),
            (tag::STRIP_OFFSETS, LONG, vec![0; strips]),
            (tag::SAMPLES_PER_PIXEL, SHORT, short(c)),
            (tag::ROWS_PER_STRIP, LONG, short(self.rows_per_strip)),
            (
                tag::STRIP_BYTE_COUNTS,
                LONG,
                (0..strips)
                    .map(|i| {
                        let rows = self.rows_per_strip.min(h - i * self.rows_per_strip);
                        (rows * self.row_bytes()) as u32
                    })
                    .collect(),
            ),
            (tag::PLANAR_CONFIG, SHORT, short(1)),
        ];
        if c == 4 {
            // Associated alpha: as EXR stores it and OpenImageIO's own TIFF writer marks it, so
            // OpenImageIO reads the samples back unchanged (unassociated, it would premultiply).
            entries.push((tag::EXTRA_SAMPLES, SHORT, short(1)));
        }
        entries.push((tag::SAMPLE_FORMAT, SHORT, vec![1; c]));

        let size = |ty: u16, n: usize| n * if ty == SHORT { 2 } else { 4 };
        // Values and pixels start at 4-byte boundaries.
        let ifd_end = (8 + 2 + 12 * entries.len() + 4).next_multiple_of(4);
        // Out-of-line values, each at a 4-byte boundary.
        let spilled: usize = entries
            .iter()
            .map(|(_, ty, v)| size(*ty, v.len()))
            .filter(|&n| n > 4)
            .map(|n| n.next_multiple_of(4))
            .sum();
        let data_start = ifd_end + spilled;
        let strip_offsets = &mut entries[5].2;
        for (i, o) in strip_offsets.iter_mut().enumerate() {
            *o = (data_start + i * self.rows_per_strip * self.row_bytes()) as u32;
        }

        let mut out = Vec::with_capacity(data_start);
        out.extend_from_slice(b"II*\0");
        out.extend_from_slice(&8u32.to_le_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        let mut extra = Vec::new();
        for (t, ty, values) in &entries {
            let mut bytes = Vec::new();
            for &v in values {
                if *ty == SHORT {
                    bytes.extend_from_slice(&(v as u16).to_le_bytes());
                } else {
                    bytes.extend_from_slice(&v.to_le_bytes());
                }
            }
            out.extend_from_slice(&t.to_le_bytes());
            out.extend_from_slice(&ty.to_le_bytes());
            out.extend_from_slice(&(values.len() as u32).to_le_bytes());
            if bytes.len() <= 4 {
                bytes.resize(4, 0);
                out.extend_from_slice(&bytes);
            } else {
                out.extend_from_slice(&((ifd_end + extra.len()) as u32).to_le_bytes());
                bytes.resize(bytes.len().next_multiple_of(4), 0);
                extra.extend_from_slice(&bytes);
            }
        }
        out.extend_from_slice(&0u32.to_le_bytes()); // no next directory
        out.resize(ifd_end, 0);
        out.extend_from_slice(&extra);
        debug_assert_eq!(out.len(), data_start);
        out
    }
}

/// A directory entry as stored: type, count, and the 4-byte value-or-offset field.
#[derive(Clone, Copy)]
struct Entry {
    ty: u16,
    count: u32,
    field: [u8; 4],
}

/// The file, its length and byte order, for reading directory values.
struct Source<'a> {
    file: &'a File,
    len: u64,
    big_endian: bool,
}

impl Source<'_> {
    /// `n` bytes at `offset`, or `None` when they are not all in the file.
    fn bytes(&self, offset: u64, n: usize) -> Option<Vec<u8>> {
        if offset.checked_add(n as u64)? > self.len {
            return None;
        }
        let mut buf = vec![0u8; n];
        self.file.read_exact_at(&mut buf, offset).ok()?;
        Some(buf)
    }

    fn u16(&self, b: &[u8]) -> u16 {
        let b = [b[0], b[1]];
        if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }
    }

    fn u32(&self, b: &[u8]) -> u32 {
        let b = [b[0], b[1], b[2], b[3]];
        if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }

    /// An entry's SHORT or LONG values (inline or at its offset); `None` for other types or
    /// values outside the file.
    fn values(&self, e: Entry) -> Option<Vec<u64>> {
        let size = match e.ty {
            SHORT => 2,
            LONG => 4,
            _ => return None,
        };
        let n = e.count as usize;
        let bytes = if n * size <= 4 {
            e.field[..n * size].to_vec()
        } else {
            self.bytes(self.u32(&e.field) as u64, n.checked_mul(size)?)?
        };
        Some(
            bytes
                .chunks_exact(size)
                .map(|b| {
                    if size == 2 {
                        self.u16(b) as u64
                    } else {
                        self.u32(b) as u64
                    }
                })
                .collect(),
        )
    }

    /// A single SHORT or LONG value.
    fn value(&self, e: Entry) -> Option<u64> {
        match self.values(e)?.as_slice() {
            [v] => Some(*v),
            _ => None,
        }
    }
}

/// Where the pixels of a recognised file are.
struct Strips {
    width: usize,
    height: usize,
    /// Samples per pixel: 1 (luma), 3 (RGB) or 4 (RGBA).
    channels: usize,
    bits: usize,
    big_endian: bool,
    rows_per_strip: usize,
    offsets: Vec<u64>,
}

impl Strips {
    fn row_bytes(&self) -> usize {
        self.width * self.channels * self.bits / 8
    }

    /// File offset of row `y`.
    fn row_offset(&self, y: usize) -> u64 {
        self.offsets[y / self.rows_per_strip]
            + ((y % self.rows_per_strip) * self.row_bytes()) as u64
    }
}

/// Read `path` if it is an uncompressed 8/16-bit integer luma, RGB or RGBA TIFF with
/// contiguous samples in strips (either byte order); `Ok(None)` for any other file, which the
/// caller hands to the general decoder. Errors only for a file of this kind that cannot be read:
/// too large for the budget, strips beyond the end of the file, an I/O error.
pub fn read(path: &Path) -> Result<Option<Decoded>> {
    let file = File::open(path).map_err(|e| MediaError::io(path, e))?;
    let len = file.metadata().map_err(|e| MediaError::io(path, e))?.len();
    let Some(s) = recognise(path, &file, len)? else {
        return Ok(None);
    };
    let (w, h, ch) = (s.width, s.height, s.channels);
    let row_bytes = s.row_bytes();
    let row_samples = w * ch;
    let band_rows = (READ_BAND_BYTES / row_bytes).max(1);
    let mut data = super::budget::zeroed::<f32>(path, row_samples * h)?;
    data.par_chunks_mut(band_rows * row_samples)
        .enumerate()
        .try_for_each_init(Vec::new, |buf: &mut Vec<u8>, (band, out)| {
            let first = band * band_rows;
            let rows = out.len() / row_samples;
            let mut y = 0;
            while y < rows {
                // Rows that follow each other in the file are read in one call.
                let at = s.row_offset(first + y);
                let mut n = 1;
                while y + n < rows && s.row_offset(first + y + n) == at + (n * row_bytes) as u64 {
                    n += 1;
                }
                buf.resize(n * row_bytes, 0);
                file.read_exact_at(buf, at).map_err(|e| {
                    if e.kind() == std::io::ErrorKind::UnexpectedEof {
                        MediaError::truncated(path, "the file shrank while it was read")
                    } else {
                        MediaError::io(path, e)
                    }
                })?;
                let dst = &mut out[y * row_samples..(y + n) * row_samples];
                decode(buf, dst, s.bits, s.big_endian);
                y += n;
            }
            Ok(())
        })?;
    Ok(Some(Decoded {
        image: Image::from_vec(w, h, ch, data),
        colorspace: Colorspace::Srgb,
    }))
}

/// Integer codes to 0..1, exactly as `raster`'s codec path widens them.
fn decode(src: &[u8], dst: &mut [f32], bits: usize, big_endian: bool) {
    match (bits, big_endian) {
        (8, _) => {
            for (d, &v) in dst.iter_mut().zip(src) {
                *d = v as f32 / 255.0;
            }
        }
        (_, false) => {
            for (d, b) in dst.iter_mut().zip(src.chunks_exact(2)) {
                *d = u16::from_le_bytes([b[0], b[1]]) as f32 / 65535.0;
            }
        }
        (_, true) => {
            for (d, b) in dst.iter_mut().zip(src.chunks_exact(2)) {
                *d = u16::from_be_bytes([b[0], b[1]]) as f32 / 65535.0;
            }
        }
    }
}

/// The header's byte order and the first directory's entries by tag; `None` for a file that is
/// not a TIFF or whose directory lies outside it.
fn first_directory(file: &File, len: u64) -> Option<(Source<'_>, HashMap<u16, Entry>)> {
    let mut head = [0u8; 8];
    if len < 8 || file.read_exact_at(&mut head, 0).is_err() {
        return None;
    }
    let big_endian = match &head[..4] {
        b"II*\0" => false,
        b"MM\0*" => true,
        _ => return None,
    };
    let src = Source {
        file,
        len,
        big_endian,
    };
    let ifd = src.u32(&head[4..]) as u64;
    let n = src.u16(&src.bytes(ifd, 2)?) as usize;
    if n == 0 || n > MAX_ENTRIES {
        return None;
    }
    let raw = src.bytes(ifd + 2, n * 12)?;
    let mut entries = HashMap::with_capacity(n);
    for e in raw.chunks_exact(12) {
        let entry = Entry {
            ty: src.u16(&e[2..]),
            count: src.u32(&e[4..]),
            field: [e[8], e[9], e[10], e[11]],
        };
        entries.insert(src.u16(e), entry);
    }
    Some((src, entries))
}

/// The Compression tag (259) of the first directory (1, "none", when absent); `None` when the
/// file is not a readable TIFF. Reads the header and the directory only.
pub fn compression(path: &Path) -> Option<u16> {
    let file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let (src, entries) = first_directory(&file, len)?;
    match entries.get(&tag::COMPRESSION) {
        Some(&e) => src.value(e).map(|v| v as u16),
        None => Some(1),
    }
}

/// Parse the first directory; `Ok(None)` unless it describes a layout [`read`] decodes and is
/// well formed enough to tell. Checks the size against the budget and every strip against the
/// file length, so nothing is allocated for pixels that are not there.
fn recognise(path: &Path, file: &File, len: u64) -> Result<Option<Strips>> {
    let Some((src, entries)) = first_directory(file, len) else {
        return Ok(None);
    };
    let big_endian = src.big_endian;
    let get = |t: u16| entries.get(&t).copied();
    // A value that is absent takes its default; present but unreadable: not ours.
    let single = |t: u16, default: Option<u64>| match get(t) {
        Some(e) => src.value(e),
        None => default,
    };
    let parse = || -> Option<(usize, usize, usize, usize, usize)> {
        if get(tag::TILE_WIDTH).is_some()
            || single(tag::COMPRESSION, Some(1))? != 1
            || single(tag::PLANAR_CONFIG, Some(1))? != 1
        {
            return None;
        }
        let width = single(tag::IMAGE_WIDTH, None)? as usize;
        let height = single(tag::IMAGE_LENGTH, None)? as usize;
        let spp = single(tag::SAMPLES_PER_PIXEL, Some(1))? as usize;
        let bits = src.values(get(tag::BITS_PER_SAMPLE)?)?;
        let bits = match bits.as_slice() {
            [b, rest @ ..]
                if (rest.is_empty() || rest.len() + 1 == spp) && rest.iter().all(|r| r == b) =>
            {
                *b as usize
            }
            _ => return None,
        };
        if let Some(e) = get(tag::SAMPLE_FORMAT)
            && !src.values(e)?.iter().all(|&f| f == 1)
        {
            return None;
        }
        let extra = match get(tag::EXTRA_SAMPLES) {
            Some(e) => src.values(e)?,
            None => vec![],
        };
        // As the `image` crate reads these: RGB with a fourth sample that is unmarked or alpha
        // is RGBA; anything else (luma+alpha, unspecified extras, CMYK, ...) is left to it.
        let channels = match (single(tag::PHOTOMETRIC, None)?, spp, extra.as_slice()) {
            (1, 1, []) => 1,
            (2, 3, []) => 3,
            (2, 4, [] | [1] | [2]) => 4,
            _ => return None,
        };
        let rows_per_strip = single(tag::ROWS_PER_STRIP, Some(u32::MAX as u64))? as usize;
        (matches!(bits, 8 | 16) && width > 0 && height > 0 && rows_per_strip > 0).then_some((
            width,
            height,
            channels,
            bits,
            rows_per_strip,
        ))
    };
    let Some((width, height, channels, bits, rows_per_strip)) = parse() else {
        return Ok(None);
    };
    super::budget::check_size(path, width as u64, height as u64)?;
    let rows_per_strip = rows_per_strip.min(height);
    let strips = height.div_ceil(rows_per_strip);
    let (Some(off), Some(cnt)) = (get(tag::STRIP_OFFSETS), get(tag::STRIP_BYTE_COUNTS)) else {
        return Ok(None);
    };
    // The arrays must have one entry per strip; reading them is bounded by the file length.
    if off.count as usize != strips || cnt.count as usize != strips {
        return Ok(None);
    }
    let (Some(offsets), Some(counts)) = (src.values(off), src.values(cnt)) else {
        return Ok(None);
    };
    let row_bytes = width * channels * bits / 8;
    for (i, (&o, &c)) in offsets.iter().zip(&counts).enumerate() {
        let rows = rows_per_strip.min(height - i * rows_per_strip);
        let need = (rows * row_bytes) as u64;
        if c < need {
            return Err(MediaError::corrupt(
                path,
                "TIFF",
                format!(
                    "strip {i} holds {c} bytes; {rows} uncompressed rows of {width} pixels need {need}"
                ),
            ));
        }
        if o.saturating_add(need) > len {
            return Err(MediaError::truncated(
                path,
                format!(
                    "{len} bytes, but strip {i} of the {width}x{height} image ends at byte {}",
                    o.saturating_add(need)
                ),
            ));
        }
    }
    Ok(Some(Strips {
        width,
        height,
        channels,
        bits,
        big_endian,
        rows_per_strip,
        offsets,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{self, Format, MediaError, WriteOptions};

    /// Samples covering both ends, out-of-range values (clipped), and codes' rounding edges.
    fn picture(w: usize, h: usize, ch: usize) -> Image {
        let data = (0..w * h * ch)
            .map(|i| match i % 7 {
                0 => -0.25,
                1 => 1.5,
                2 => 0.5,
                _ => ((i * 7919) % 10007) as f32 / 10006.0,
            })
            .collect();
        Image::from_vec(w, h, ch, data)
    }

    fn write_opts(bits: u8) -> WriteOptions {
        WriteOptions {
            colorspace: Colorspace::LinearRec709,
            bits,
            ..WriteOptions::default()
        }
    }

    /// What a reader must return for `img` written at `bits`: the rounded code over its maximum.
    fn quantised(img: &Image, bits: u8) -> Vec<f32> {
        let max = ((1u32 << bits) - 1) as f32;
        img.data
            .iter()
            .map(|&v| super::super::quantize(v, max) as f32 / max)
            .collect()
    }

    /// A TIFF built by hand: `samples` (codes) in strips of `rows_per_strip` rows, strips stored
    /// in reverse order after the directory, either byte order; `compression` 1 (none) or 32773
    /// (PackBits, each row as literal runs).
    fn hand_tiff(
        be: bool,
        compression: u16,
        (w, h, ch, bits): (usize, usize, usize, usize),
        samples: &[u16],
        rows_per_strip: usize,
    ) -> Vec<u8> {
        let u16b = |v: u16| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let u32b = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
        let row_bytes = w * ch * bits / 8;
        let rows: Vec<Vec<u8>> = samples
            .chunks(w * ch)
            .map(|r| {
                r.iter()
                    .flat_map(|&v| {
                        if bits == 8 {
                            vec![v as u8]
                        } else {
                            u16b(v).to_vec()
                        }
                    })
                    .collect()
            })
            .collect();
        assert!(rows.iter().all(|r| r.len() == row_bytes));
        let strips: Vec<Vec<u8>> = rows
            .chunks(rows_per_strip)
            .map(|rs| {
                rs.iter()
                    .flat_map(|r| {
                        if compression == 1 {
                            r.clone()
                        } else {
                            r.chunks(128)
                                .flat_map(|lit| {
                                    let mut v = vec![(lit.len() - 1) as u8];
                                    v.extend_from_slice(lit);
                                    v
                                })
                                .collect()
                        }
                    })
                    .collect()
            })
            .collect();
        let n = strips.len();
        let photometric = if ch == 1 { 1 } else { 2 };
        // Directory with all arrays out of line (after it), then the strips in reverse order.
        let entries: Vec<(u16, u16, Vec<u32>)> = vec![
            (256, 3, vec![w as u32]),
            (257, 4, vec![h as u32]),
            (258, 3, vec![bits as u32; ch]),
            (259, 3, vec![compression as u32]),
            (262, 3, vec![photometric]),
            (273, 4, vec![0; n]),
            (277, 3, vec![ch as u32]),
            (278, 4, vec![rows_per_strip as u32]),
            (279, 4, strips.iter().map(|s| s.len() as u32).collect()),
        ];
        let ifd_end = 8 + 2 + 12 * entries.len() + 4;
        let arrays = 4 * 4 * n + 64;
        let mut offsets = vec![0u32; n];
        let mut at = ifd_end + arrays;
        for i in (0..n).rev() {
            offsets[i] = at as u32;
            at += strips[i].len();
        }
        let mut out = Vec::new();
        out.extend_from_slice(if be { b"MM\0*" } else { b"II*\0" });
        out.extend_from_slice(&u32b(8));
        out.extend_from_slice(&u16b(entries.len() as u16));
        let mut extra = Vec::new();
        for (t, ty, vals) in entries {
            let vals = if t == 273 { offsets.clone() } else { vals };
            let mut bytes = Vec::new();
            for v in &vals {
                if ty == 3 {
                    bytes.extend_from_slice(&u16b(*v as u16));
                } else {
                    bytes.extend_from_slice(&u32b(*v));
                }
            }
            out.extend_from_slice(&u16b(t));
            out.extend_from_slice(&u16b(ty));
            out.extend_from_slice(&u32b(vals.len() as u32));
            if bytes.len() <= 4 {
                bytes.resize(4, 0);
                out.extend_from_slice(&bytes);
            } else {
                out.extend_from_slice(&u32b((ifd_end + extra.len()) as u32));
                extra.extend_from_slice(&bytes);
            }
        }
        out.extend_from_slice(&u32b(0));
        assert!(extra.len() <= arrays);
        extra.resize(arrays, 0);
        out.extend_from_slice(&extra);
        for s in strips.iter().rev() {
            out.extend_from_slice(s);
        }
        out
    }

    #[test]
    fn luma_rgb_and_rgba_at_8_and_16_bits_round_trip_and_the_codec_reads_the_same() {
        let dir = tempfile::tempdir().unwrap();
        // 301 rows of 173 pixels: several strips and read bands, the last ones short.
        for bits in [8u8, 16] {
            for ch in [1, 3, 4] {
                let img = picture(173, 301, ch);
                let path = dir.path().join(format!("f{bits}-{ch}.tif"));
                media::write_media(&path, &img, &write_opts(bits)).unwrap();
                let fast = read(&path)
                    .unwrap()
                    .expect("our own file takes the fast path");
                assert_eq!(fast.colorspace, Colorspace::Srgb);
                assert_eq!((fast.image.width, fast.image.height), (173, 301));
                assert_eq!(fast.image.channels, ch, "{bits}-bit {ch}ch");
                assert_eq!(fast.image.data, quantised(&img, bits), "{bits}-bit {ch}ch");
                // The `image` crate's decoder reads our file to the same values (RGBA through
                // the ExtraSamples tag).
                let codec = super::super::raster::read_codec(&path, Format::Tiff).unwrap();
                assert_eq!(codec.image, fast.image, "{bits}-bit {ch}ch");
                let info = media::probe(&path).unwrap();
                assert_eq!(info.compression, "none");
            }
        }
    }

    #[test]
    fn big_endian_strips_in_any_order_read_fast_and_packbits_through_the_codec() {
        let dir = tempfile::tempdir().unwrap();
        let (w, h) = (37, 23);
        for (bits, ch) in [(16, 3), (16, 4), (8, 3), (16, 1)] {
            let max = ((1u32 << bits) - 1) as usize;
            let codes: Vec<u16> = (0..w * h * ch)
                .map(|i| ((i * 40503) % (max + 1)) as u16)
                .collect();
            let want: Vec<f32> = codes.iter().map(|&c| c as f32 / max as f32).collect();
            for be in [true, false] {
                let shape = (w, h, ch, bits);
                let plain = dir.path().join(format!("plain-{bits}-{ch}-{be}.tif"));
                std::fs::write(&plain, hand_tiff(be, 1, shape, &codes, 4)).unwrap();
                let fast = read(&plain).unwrap().expect("uncompressed: the fast path");
                assert_eq!(fast.image.data, want, "{bits}-bit {ch}ch be={be}");
                let codec = super::super::raster::read_codec(&plain, Format::Tiff).unwrap();
                assert_eq!(codec.image, fast.image);

                let packed = dir.path().join(format!("packbits-{bits}-{ch}-{be}.tif"));
                std::fs::write(&packed, hand_tiff(be, 32773, shape, &codes, 4)).unwrap();
                assert!(read(&packed).unwrap().is_none(), "compressed: not ours");
                let back = media::read_media(&packed).unwrap();
                assert_eq!(back.image, fast.image, "PackBits through the fallback");
            }
        }
        // Float TIFF still goes through the codec, both ways.
        let img = picture(9, 5, 3);
        let path = dir.path().join("float.tif");
        media::write_media(&path, &img, &write_opts(32)).unwrap();
        assert!(read(&path).unwrap().is_none());
        let back = media::read_media(&path).unwrap();
        assert_eq!(back.image, img);
        assert_eq!(back.colorspace, Colorspace::LinearRec709);
    }

    #[test]
    fn a_truncated_file_is_a_truncated_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.0007.tif");
        media::write_media(&path, &picture(64, 64, 3), &write_opts(16)).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let e = media::read_media(&path).unwrap_err();
        assert!(matches!(e, MediaError::Truncated { .. }), "{e:?}");
        assert!(e.to_string().contains("cut.0007.tif"), "{e}");
    }

    #[test]
    fn a_header_declaring_a_huge_frame_errors_before_allocating_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = hand_tiff(false, 1, (2, 2, 3, 16), &[0; 12], 2);
        let patch = |bytes: &mut Vec<u8>, tag: u16, v: u32| {
            let n = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
            let e = (0..n)
                .map(|i| 10 + 12 * i)
                .find(|&e| u16::from_le_bytes([bytes[e], bytes[e + 1]]) == tag)
                .unwrap();
            bytes[e + 2..e + 4].copy_from_slice(&4u16.to_le_bytes());
            bytes[e + 8..e + 12].copy_from_slice(&v.to_le_bytes());
        };
        // 20000x20000 16-bit RGB is within the pixel budget (4.8 GB as f32), in one strip of a
        // file of a few hundred bytes: truncated, found before any pixel is allocated.
        let path = dir.path().join("huge.tif");
        patch(&mut bytes, 256, 20_000);
        patch(&mut bytes, 257, 20_000);
        patch(&mut bytes, 278, 20_000);
        patch(&mut bytes, 279, 20_000 * 20_000 * 6);
        std::fs::write(&path, &bytes).unwrap();
        let e = media::read_media(&path).unwrap_err();
        assert!(matches!(e, MediaError::Truncated { .. }), "{e:?}");
        assert!(e.to_string().contains("huge.tif"), "{e}");
        // Over the budget: refused from the header alone.
        patch(&mut bytes, 256, 100_000);
        patch(&mut bytes, 257, 100_000);
        std::fs::write(&path, &bytes).unwrap();
        let e = media::read_media(&path).unwrap_err();
        assert!(matches!(e, MediaError::TooLarge { .. }), "{e:?}");
        // A strip table claiming four billion entries is not read (and not allocated).
        let mut bytes = hand_tiff(false, 1, (2, 2, 3, 16), &[0; 12], 1);
        let n = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        for e in (0..n).map(|i| 10 + 12 * i) {
            if u16::from_le_bytes([bytes[e], bytes[e + 1]]) == 273 {
                bytes[e + 4..e + 8].copy_from_slice(&u32::MAX.to_le_bytes());
            }
        }
        std::fs::write(&path, &bytes).unwrap();
        assert!(read(&path).unwrap().is_none());
        assert!(media::read_media(&path).is_err());
    }

    #[test]
    fn a_strip_shorter_than_its_rows_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("short.tif");
        let mut bytes = hand_tiff(false, 1, (2, 2, 3, 16), &[7; 12], 2);
        let n = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        for e in (0..n).map(|i| 10 + 12 * i) {
            if u16::from_le_bytes([bytes[e], bytes[e + 1]]) == 279 {
                bytes[e + 8..e + 12].copy_from_slice(&10u32.to_le_bytes());
            }
        }
        std::fs::write(&path, &bytes).unwrap();
        let e = media::read_media(&path).unwrap_err();
        assert!(matches!(e, MediaError::Corrupt { .. }), "{e:?}");
        assert!(
            e.to_string().contains("short.tif") && e.to_string().contains("strip 0"),
            "{e}"
        );
    }

    #[test]
    fn the_directory_holds_the_tags_libtiff_expects() {
        let layout = Layout::new(2048, 1080, 4, 16);
        let header = layout.header();
        assert_eq!(header.len() % 4, 0);
        let file = tempfile::tempfile().unwrap();
        let mut with_data = header.clone();
        with_data.resize(header.len() + layout.data_bytes(), 0);
        file.write_all_at(&with_data, 0).unwrap();
        let s = recognise(Path::new("x.tif"), &file, with_data.len() as u64)
            .unwrap()
            .unwrap();
        assert_eq!((s.width, s.height, s.channels, s.bits), (2048, 1080, 4, 16));
        assert_eq!(s.offsets[0], header.len() as u64);
        assert!(s.rows_per_strip * layout.row_bytes() <= 2 * STRIP_BYTES);
        let n = u16::from_le_bytes([header[8], header[9]]) as usize;
        let tags: Vec<u16> = (0..n)
            .map(|i| u16::from_le_bytes([header[10 + 12 * i], header[11 + 12 * i]]))
            .collect();
        assert!(tags.is_sorted(), "{tags:?}");
        assert_eq!(
            tags,
            [256, 257, 258, 259, 262, 273, 277, 278, 279, 284, 338, 339]
        );
        // ExtraSamples: one, associated alpha (1).
        let e = 10 + 12 * 10;
        assert_eq!(header[e + 4..e + 10], [1, 0, 0, 0, 1, 0]);
    }
}
