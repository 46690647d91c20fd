//! DPX (SMPTE 268M), written by hand (no maintained crate exists): 8/10/12/16-bit, packed and
//! filled (method A/B) 10/12-bit, both byte orders, RGB, RGBA/ABGR and luma, with the
//! transfer and colorimetric codes mapped to a [`Colorspace`] both ways.
//!
//! Options for writing ride in [`WriteOptions`]: `bits` (8/10/12/16) and, for DPX only,
//! `compression` naming the layout: `""`/`"a"` (filled method A, the usual 10-bit film-scan
//! layout), `"b"`, `"packed"`, each optionally with `-le` for little-endian (default big-endian).

mod header;
mod pack;

pub use header::{DpxHeader, Packing};

use super::error::{MediaError, Result};
use super::header::{FileInfo, PixelType};
use super::{Decoded, Image, WriteOptions};
use crate::color::Colorspace;
use header::{DESC_ABGR, DESC_LUMA, DESC_RGB, DESC_RGBA, code};
use std::path::Path;

/// Colourspace id stored in the element description so tinct reads back exactly what it wrote
/// (the transfer codes alone cannot tell sRGB from Display P3, say).
const DESCRIPTION_PREFIX: &str = "tinct:";

fn read_header(path: &Path) -> Result<(DpxHeader, Vec<u8>)> {
    let bytes = std::fs::read(path).map_err(|e| MediaError::io(path, e))?;
    let h = DpxHeader::parse(path, &bytes)?;
    validate(path, &h)?;
    Ok((h, bytes))
}

fn validate(path: &Path, h: &DpxHeader) -> Result<()> {
    let unsupported = |what: String| Err(MediaError::unsupported(path, what));
    if h.channels() == 0 {
        return unsupported(format!(
            "DPX image element descriptor {} (supported: 6 luma, 50 RGB, 51 RGBA, 52 ABGR)",
            h.descriptor
        ));
    }
    if ![8, 10, 12, 16].contains(&h.bit_size) {
        return unsupported(format!(
            "DPX bit depth {} (supported: 8, 10, 12, 16)",
            h.bit_size
        ));
    }
    if h.encoding != 0 {
        return unsupported("run-length encoded DPX".into());
    }
    if h.data_sign != 0 {
        return unsupported("signed DPX samples".into());
    }
    if h.orientation != 0 {
        return unsupported(format!(
            "DPX orientation {} (only 0, left-to-right top-to-bottom)",
            h.orientation
        ));
    }
    if h.packing > 2 {
        return unsupported(format!("DPX packing {}", h.packing));
    }
    if h.width == 0 || h.height == 0 {
        return Err(MediaError::corrupt(
            path,
            "DPX",
            format!("image size {}x{}", h.width, h.height),
        ));
    }
    Ok(())
}

/// Bytes per line including padding. 8/16-bit lines are unpadded as libdpx writes them, unless
/// the file is exactly the size of 32-bit-aligned lines (other writers follow the standard's
/// alignment literally).
fn stride(h: &DpxHeader, file_len: usize) -> usize {
    let n = h.width as usize * h.channels();
    let pad = if h.eol_padding == header::UNDEFINED_U32 {
        0
    } else {
        h.eol_padding as usize
    };
    let tight = pack::line_bytes(n, h.bit_size, h.packing_kind());
    let aligned = tight.div_ceil(4) * 4;
    let rows = h.height as usize;
    if aligned != tight && pad == 0 && file_len == h.data_offset as usize + aligned * rows {
        aligned
    } else {
        tight + pad
    }
}

pub fn read(path: &Path) -> Result<Decoded> {
    let (h, bytes) = read_header(path)?;
    super::budget::check_size(path, h.width as u64, h.height as u64)?;
    let (w, hgt, ch) = (h.width as usize, h.height as usize, h.channels());
    let line = stride(&h, bytes.len());
    let start = h.data_offset as usize;
    let need = start + line * (hgt - 1) + pack::line_bytes(w * ch, h.bit_size, h.packing_kind());
    if bytes.len() < need {
        return Err(MediaError::truncated(
            path,
            format!(
                "{} bytes, but a {w}x{hgt} {}-bit image needs {need}",
                bytes.len(),
                h.bit_size
            ),
        ));
    }
    let mut data = super::budget::zeroed::<f32>(path, w * hgt * ch)?;
    for (y, out) in data.chunks_exact_mut(w * ch).enumerate() {
        let at = start + y * line;
        let end = (at + line).min(bytes.len());
        pack::unpack_line(
            &bytes[at..end],
            h.bit_size,
            h.packing_kind(),
            h.big_endian,
            ch == 1,
            out,
        );
    }
    if h.descriptor == DESC_ABGR {
        data.chunks_exact_mut(4).for_each(|p| p.reverse());
    }
    Ok(Decoded {
        image: Image::from_vec(w, hgt, ch, data),
        colorspace: colorspace_of(&h),
    })
}

/// What the header's codes (or tinct's own description) say the samples mean.
pub fn colorspace_of(h: &DpxHeader) -> Colorspace {
    if let Some(id) = h.description.strip_prefix(DESCRIPTION_PREFIX)
        && let Ok(cs) = id.parse()
    {
        return cs;
    }
    let wide = matches!(h.colorimetric, code::BT2020_NCL | code::BT2020_CL);
    match h.transfer {
        code::PRINTING_DENSITY | code::LOGARITHMIC | code::ADX => Colorspace::Cineon,
        code::LINEAR if wide => Colorspace::LinearRec2020,
        code::LINEAR => Colorspace::LinearRec709,
        code::BT2020_NCL | code::BT2020_CL => Colorspace::Rec2020,
        code::UNSPECIFIED_VIDEO
        | code::SMPTE_274M
        | code::BT709
        | code::BT601_625
        | code::BT601_525
        | code::NTSC
        | code::PAL => {
            if wide {
                Colorspace::Rec2020
            } else {
                Colorspace::Rec709
            }
        }
        code::DCI_P3 => Colorspace::DciP3,
        code::SRGB => Colorspace::Srgb,
        // User-defined or undefined: a 10-bit DPX is almost always a log film scan; anything
        // else is most likely display-referred. `read_linear(.., assume)` overrides.
        _ if h.bit_size == 10 => Colorspace::Cineon,
        _ => Colorspace::Srgb,
    }
}

/// Transfer and colorimetric codes for a colourspace (the standard's nearest words).
fn codes_for(cs: Colorspace) -> (u8, u8) {
    match cs {
        Colorspace::Cineon => (code::PRINTING_DENSITY, code::PRINTING_DENSITY),
        Colorspace::LinearRec709 => (code::LINEAR, code::BT709),
        Colorspace::LinearRec2020 => (code::LINEAR, code::BT2020_NCL),
        Colorspace::Rec709 => (code::BT709, code::BT709),
        Colorspace::Rec2020 => (code::BT2020_NCL, code::BT2020_NCL),
        Colorspace::Srgb => (code::SRGB, code::BT709),
        Colorspace::DciP3 | Colorspace::P3D65 => (code::DCI_P3, code::DCI_P3),
        Colorspace::DisplayP3 => (code::SRGB, code::DCI_P3),
        Colorspace::Aces2065_1 | Colorspace::AcesCg => (code::LINEAR, code::USER_DEFINED),
        Colorspace::AcesCct => (code::USER_DEFINED, code::USER_DEFINED),
    }
}

/// Parse the DPX layout from `WriteOptions::compression`.
fn layout_from(path: &Path, s: &str) -> Result<(Packing, bool)> {
    let s = s.trim().to_ascii_lowercase();
    let (kind, big_endian) = match s.strip_suffix("-le") {
        Some(k) => (k.to_owned(), false),
        None => (s.strip_suffix("-be").unwrap_or(&s).to_owned(), true),
    };
    let packing = match kind.as_str() {
        "" | "a" | "filled" | "method-a" | "zip" | "none" => Packing::FilledA,
        "b" | "method-b" => Packing::FilledB,
        "packed" => Packing::Packed,
        other => {
            return Err(MediaError::CannotWrite {
                path: path.into(),
                what: format!("DPX layout '{other}' (use a, b or packed, optionally with -le)"),
            });
        }
    };
    Ok((packing, big_endian))
}

/// Write `img` (already in the target encoding) as DPX.
pub fn write(path: &Path, img: &Image, opts: &WriteOptions) -> Result<()> {
    let (packing, big_endian) = layout_from(path, &opts.compression)?;
    write_with(path, img, opts.colorspace, opts.bits, packing, big_endian)
}

/// Write with an explicit layout.
pub fn write_with(
    path: &Path,
    img: &Image,
    colorspace: Colorspace,
    bits: u8,
    packing: Packing,
    big_endian: bool,
) -> Result<()> {
    if ![8, 10, 12, 16].contains(&bits) {
        return Err(MediaError::CannotWrite {
            path: path.into(),
            what: format!("{bits}-bit DPX (use 8, 10, 12 or 16)"),
        });
    }
    let descriptor = match img.channels {
        1 => DESC_LUMA,
        3 => DESC_RGB,
        4 => DESC_RGBA,
        n => {
            return Err(MediaError::CannotWrite {
                path: path.into(),
                what: format!("{n}-channel DPX"),
            });
        }
    };
    // 8- and 16-bit samples have no packing choice; the standard says 0 there.
    let packing = if matches!(bits, 8 | 16) {
        Packing::Packed
    } else {
        packing
    };
    let n = img.width * img.channels;
    let line = pack::line_bytes(n, bits, packing);
    let data_offset = header::HEADER_SIZE;
    let file_size = data_offset + line * img.height;
    let (transfer, colorimetric) = codes_for(colorspace);
    let max = (1u32 << bits) - 1;
    let (ref_low, ref_high, q_low, q_high) = if colorspace == Colorspace::Cineon {
        // Cineon reference points scaled to the bit depth: 95/685 of 1023; density 0..2.048.
        let s = max as f32 / 1023.0;
        (
            (95.0 * s).round() as u32,
            (685.0 * s).round() as u32,
            0.0,
            2.048,
        )
    } else {
        (
            0,
            max,
            f32::from_bits(header::UNDEFINED_U32),
            f32::from_bits(header::UNDEFINED_U32),
        )
    };
    let h = DpxHeader {
        big_endian,
        data_offset: data_offset as u32,
        file_size: file_size as u32,
        orientation: 0,
        elements: 1,
        width: img.width as u32,
        height: img.height as u32,
        data_sign: 0,
        ref_low_data: ref_low,
        ref_low_quantity: q_low,
        ref_high_data: ref_high,
        ref_high_quantity: q_high,
        descriptor,
        transfer,
        colorimetric,
        bit_size: bits,
        packing: packing.code(),
        encoding: 0,
        eol_padding: 0,
        eoi_padding: 0,
        description: format!("{DESCRIPTION_PREFIX}{}", colorspace.id()),
        creator: format!("tinct {}", env!("CARGO_PKG_VERSION")),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut bytes = h.to_bytes(&name, &timestamp());
    bytes.resize(file_size, 0);
    for (y, samples) in img.data.chunks_exact(n).enumerate() {
        let at = data_offset + y * line;
        pack::pack_line(
            samples,
            bits,
            packing,
            big_endian,
            img.channels == 1,
            &mut bytes[at..at + line],
        );
    }
    crate::fsx::write_atomic(path, &bytes).map_err(|e| MediaError::io(path, e.source))
}

/// "YYYY:MM:DD:hh:mm:ssLTZ" as the standard spells it (UTC).
fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = ((secs / 86400) as i64, secs % 86400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}:{m:02}:{d:02}:{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub fn probe(path: &Path) -> Result<FileInfo> {
    use std::io::Read;
    let mut buf = vec![0u8; 2048];
    let mut f = std::fs::File::open(path).map_err(|e| MediaError::io(path, e))?;
    let mut got = 0;
    while got < buf.len() {
        match f
            .read(&mut buf[got..])
            .map_err(|e| MediaError::io(path, e))?
        {
            0 => break,
            k => got += k,
        }
    }
    buf.truncate(got);
    let h = DpxHeader::parse(path, &buf)?;
    validate(path, &h)?;
    let pixel_type = match h.bit_size {
        8 => PixelType::UInt8,
        10 => PixelType::UInt10,
        12 => PixelType::UInt12,
        _ => PixelType::UInt16,
    };
    let channels: &[&str] = match h.descriptor {
        DESC_LUMA => &["Y"],
        DESC_RGB => &["R", "G", "B"],
        _ => &["R", "G", "B", "A"],
    };
    let packing = if matches!(h.bit_size, 10 | 12) {
        format!("{}, ", h.packing_kind().name())
    } else {
        String::new()
    };
    Ok(FileInfo {
        format: "dpx",
        width: h.width as usize,
        height: h.height as usize,
        channels: channels.iter().map(|s| s.to_string()).collect(),
        pixel_type,
        compression: "none".into(),
        layout: format!(
            "{packing}{}-endian, transfer {}, colorimetric {}",
            if h.big_endian { "big" } else { "little" },
            h.transfer,
            h.colorimetric
        ),
        colorspace: colorspace_of(&h),
        ignored_layers: if h.elements > 1 {
            vec![format!("{} further image element(s)", h.elements - 1)]
        } else {
            vec![]
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_is_in_dpx_form() {
        let t = timestamp();
        assert_eq!(t.len(), 20, "{t}");
        assert_eq!(&t[4..5], ":");
        assert!(t.starts_with("20"), "{t}");
    }

    #[test]
    fn header_round_trips_in_both_byte_orders() {
        for be in [true, false] {
            let h = DpxHeader {
                big_endian: be,
                data_offset: 2048,
                file_size: 4096,
                orientation: 0,
                elements: 1,
                width: 7,
                height: 3,
                data_sign: 0,
                ref_low_data: 95,
                ref_low_quantity: 0.0,
                ref_high_data: 685,
                ref_high_quantity: 2.048,
                descriptor: DESC_RGB,
                transfer: code::PRINTING_DENSITY,
                colorimetric: code::PRINTING_DENSITY,
                bit_size: 10,
                packing: 1,
                encoding: 0,
                eol_padding: 0,
                eoi_padding: 0,
                description: "tinct:cineon".into(),
                creator: "tinct".into(),
            };
            let bytes = h.to_bytes("x.dpx", "2026:01:01:00:00:00Z");
            assert_eq!(DpxHeader::parse(Path::new("x.dpx"), &bytes).unwrap(), h);
            assert_eq!(colorspace_of(&h), Colorspace::Cineon);
        }
    }

    #[test]
    fn transfer_codes_map_to_colourspaces_both_ways() {
        for cs in [
            Colorspace::Cineon,
            Colorspace::LinearRec709,
            Colorspace::Rec709,
            Colorspace::Rec2020,
            Colorspace::Srgb,
            Colorspace::DciP3,
            Colorspace::LinearRec2020,
        ] {
            let (transfer, colorimetric) = codes_for(cs);
            let mut h = DpxHeader::parse(
                Path::new("x"),
                &DpxHeader {
                    big_endian: true,
                    data_offset: 2048,
                    file_size: 2048,
                    orientation: 0,
                    elements: 1,
                    width: 1,
                    height: 1,
                    data_sign: 0,
                    ref_low_data: 0,
                    ref_low_quantity: 0.0,
                    ref_high_data: 1023,
                    ref_high_quantity: 0.0,
                    descriptor: DESC_RGB,
                    transfer,
                    colorimetric,
                    bit_size: 16,
                    packing: 0,
                    encoding: 0,
                    eol_padding: 0,
                    eoi_padding: 0,
                    description: String::new(),
                    creator: String::new(),
                }
                .to_bytes("x", "t"),
            )
            .unwrap();
            assert_eq!(colorspace_of(&h), cs, "codes {transfer}/{colorimetric}");
            h.description = format!("tinct:{}", Colorspace::AcesCct.id());
            assert_eq!(colorspace_of(&h), Colorspace::AcesCct);
        }
    }
}
