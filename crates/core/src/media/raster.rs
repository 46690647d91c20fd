//! PNG (8/16-bit), TIFF (8/16-bit integer, 32-bit float) and JPEG (read only) through the
//! `image` crate. Integer samples are normalised to 0..1 and mean sRGB-encoded; float TIFF is
//! scene-linear, which is how VFX and scanning tools write it.
//!
//! Uncompressed 8/16-bit luma/RGB/RGBA TIFF (what a render writes with `infer.format = "tiff"`)
//! takes the hand-written path in [`super::tiff16`] both ways, with the same values; every
//! other TIFF (compressed, float, tiled, planar, palette, ...) is read and written here.

use super::error::{MediaError, Result};
use super::header::{FileInfo, PixelType};
use super::{Decoded, Format, Image, WriteOptions};
use crate::color::Colorspace;
use image::{ColorType, ExtendedColorType, ImageDecoder, ImageEncoder, ImageFormat, ImageReader};
use std::io::{BufReader, Read};
use std::path::Path;

fn image_format(f: Format) -> ImageFormat {
    match f {
        Format::Png => ImageFormat::Png,
        Format::Tiff => ImageFormat::Tiff,
        _ => ImageFormat::Jpeg,
    }
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Png => "PNG",
        Format::Tiff => "TIFF",
        _ => "JPEG",
    }
}

/// Check the magic number ourselves: the codecs' own messages do not name the file and can
/// be cryptic ("invalid signature").
fn check_magic(path: &Path, f: Format) -> Result<()> {
    let mut file = std::fs::File::open(path).map_err(|e| MediaError::io(path, e))?;
    let mut m = [0u8; 8];
    let n = file.read(&mut m).map_err(|e| MediaError::io(path, e))?;
    let ok = match f {
        Format::Png => m[..n] == *b"\x89PNG\r\n\x1a\n",
        Format::Tiff => n >= 4 && (m[..4] == *b"II*\0" || m[..4] == *b"MM\0*"),
        _ => n >= 3 && m[..3] == [0xff, 0xd8, 0xff],
    };
    if ok {
        Ok(())
    } else if n < 3 {
        Err(MediaError::truncated(path, "shorter than the magic number"))
    } else {
        Err(MediaError::BadMagic {
            path: path.into(),
            format: format_name(f),
            found: super::exr_io::hex(&m[..n]),
        })
    }
}

fn map_err(path: &Path, f: Format, e: image::ImageError) -> MediaError {
    use image::ImageError as E;
    match e {
        E::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            MediaError::truncated(path, "unexpected end of file")
        }
        E::IoError(io) => MediaError::io(path, io),
        E::Unsupported(u) => {
            MediaError::unsupported(path, format!("{} variant: {u}", format_name(f)))
        }
        other => {
            let text = other.to_string();
            let low = text.to_lowercase();
            if low.contains("eof")
                || low.contains("end of")
                || low.contains("truncat")
                || low.contains("not enough")
            {
                MediaError::truncated(path, text)
            } else {
                MediaError::corrupt(path, format_name(f), text)
            }
        }
    }
}

fn open(path: &Path, f: Format) -> Result<ImageReader<BufReader<std::fs::File>>> {
    check_magic(path, f)?;
    let file = std::fs::File::open(path).map_err(|e| MediaError::io(path, e))?;
    let mut r = ImageReader::with_format(BufReader::new(file), image_format(f));
    r.no_limits(); // film frames are large; the size is bounded by the header we just checked
    Ok(r)
}

fn describe(ct: ColorType) -> Option<(Vec<&'static str>, PixelType)> {
    use ColorType as C;
    let (names, pt): (&[&str], _) = match ct {
        C::L8 => (&["Y"], PixelType::UInt8),
        C::La8 => (&["R", "G", "B", "A"], PixelType::UInt8),
        C::Rgb8 => (&["R", "G", "B"], PixelType::UInt8),
        C::Rgba8 => (&["R", "G", "B", "A"], PixelType::UInt8),
        C::L16 => (&["Y"], PixelType::UInt16),
        C::La16 => (&["R", "G", "B", "A"], PixelType::UInt16),
        C::Rgb16 => (&["R", "G", "B"], PixelType::UInt16),
        C::Rgba16 => (&["R", "G", "B", "A"], PixelType::UInt16),
        C::Rgb32F => (&["R", "G", "B"], PixelType::Float),
        C::Rgba32F => (&["R", "G", "B", "A"], PixelType::Float),
        _ => return None,
    };
    Some((names.to_vec(), pt))
}

pub fn read(path: &Path, f: Format) -> Result<Decoded> {
    if f == Format::Tiff
        && let Some(decoded) = super::tiff16::read(path)?
    {
        return Ok(decoded);
    }
    read_codec(path, f)
}

/// [`read`] through the `image` crate, whatever the file's layout.
pub(super) fn read_codec(path: &Path, f: Format) -> Result<Decoded> {
    let dec = open(path, f)?
        .into_decoder()
        .map_err(|e| map_err(path, f, e))?;
    let (w, h) = dec.dimensions();
    super::budget::check_size(path, w as u64, h as u64)?;
    let ct = dec.color_type();
    let Some((names, pt)) = describe(ct) else {
        return Err(MediaError::unsupported(
            path,
            format!("{} pixel layout {ct:?}", format_name(f)),
        ));
    };
    // Decode into a buffer we allocated fallibly: the codec's own allocation aborts the process
    // when a header declares more than the machine has.
    let total = usize::try_from(dec.total_bytes()).unwrap_or(usize::MAX);
    let mut raw = super::budget::zeroed::<u8>(path, total)?;
    dec.read_image(&mut raw).map_err(|e| map_err(path, f, e))?;
    let (w, h) = (w as usize, h as usize);
    let channels = names.len();
    let mut data = super::budget::zeroed::<f32>(path, w * h * channels)?;
    widen(ct, &raw, &mut data);
    let image = Image::from_vec(w, h, channels, data);
    super::error::check_finite(path, &image)?;
    let colorspace = if pt == PixelType::Float {
        Colorspace::LinearRec709
    } else {
        Colorspace::Srgb
    };
    Ok(Decoded { image, colorspace })
}

/// Decoded bytes (native-endian samples, as the codecs return them) to 0..1 floats (floats
/// as they are). Luma+alpha has no slot in `Image` (1, 3 or 4 channels): it widens to RGBA.
fn widen(ct: ColorType, raw: &[u8], out: &mut [f32]) {
    match ct {
        ColorType::Rgb32F | ColorType::Rgba32F => fill(
            ct,
            raw.chunks_exact(4)
                .map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]])),
            out,
        ),
        ColorType::L16 | ColorType::La16 | ColorType::Rgb16 | ColorType::Rgba16 => fill(
            ct,
            raw.chunks_exact(2)
                .map(|b| u16::from_ne_bytes([b[0], b[1]]) as f32 / 65535.0),
            out,
        ),
        _ => fill(ct, raw.iter().map(|&v| v as f32 / 255.0), out),
    }
}

/// `widen`'s copy, generic over the sample iterator so each type's loop is compiled on its own
/// (a boxed iterator costs a virtual call per sample).
fn fill(ct: ColorType, mut samples: impl Iterator<Item = f32>, out: &mut [f32]) {
    if matches!(ct, ColorType::La8 | ColorType::La16) {
        for px in out.chunks_exact_mut(4) {
            let (l, a) = (samples.next().unwrap_or(0.0), samples.next().unwrap_or(0.0));
            px.copy_from_slice(&[l, l, l, a]);
        }
    } else {
        out.iter_mut().zip(samples).for_each(|(d, s)| *d = s);
    }
}

pub fn probe(path: &Path) -> Result<FileInfo> {
    let f = Format::of(path)?;
    let dec = open(path, f)?
        .into_decoder()
        .map_err(|e| map_err(path, f, e))?;
    let (w, h) = dec.dimensions();
    let ct = dec.color_type();
    let Some((names, pixel_type)) = describe(ct) else {
        return Err(MediaError::unsupported(
            path,
            format!("{} pixel layout {ct:?}", format_name(f)),
        ));
    };
    let compression = match f {
        Format::Png => "deflate".to_owned(),
        Format::Jpeg => "jpeg".to_owned(),
        _ => tiff_compression(path).unwrap_or_else(|| "unknown".into()),
    };
    Ok(FileInfo {
        format: match f {
            Format::Png => "png",
            Format::Tiff => "tiff",
            _ => "jpeg",
        },
        width: w as usize,
        height: h as usize,
        channels: names.into_iter().map(str::to_owned).collect(),
        pixel_type,
        compression,
        layout: "scanline".into(),
        colorspace: if pixel_type == PixelType::Float {
            Colorspace::LinearRec709
        } else {
            Colorspace::Srgb
        },
        ignored_layers: vec![],
    })
}

/// The Compression tag of a TIFF's first directory, by name (`tiff16` reads the directory).
fn tiff_compression(path: &Path) -> Option<String> {
    let name = match super::tiff16::compression(path)? {
        1 => "none",
        5 => "lzw",
        7 => "jpeg",
        8 | 32946 => "deflate",
        32773 => "packbits",
        v => return Some(format!("code {v}")),
    };
    Some(name.to_owned())
}

/// Write `img` (already in the target encoding) as PNG or TIFF.
pub fn write(path: &Path, f: Format, img: &Image, opts: &WriteOptions) -> Result<()> {
    let cant = |what: String| MediaError::CannotWrite {
        path: path.into(),
        what,
    };
    if f == Format::Tiff && super::tiff16::writes(img, opts.bits) {
        return super::tiff16::write(path, img, opts.bits);
    }
    let (w, h) = (img.width as u32, img.height as u32);
    let (bytes, ect): (Vec<u8>, ExtendedColorType) = match (img.channels, opts.bits) {
        (c @ (1 | 3 | 4), 8) => (
            img.data
                .iter()
                .map(|&v| super::quantize(v, 255.0) as u8)
                .collect(),
            [
                ExtendedColorType::L8,
                ExtendedColorType::Rgb8,
                ExtendedColorType::Rgba8,
            ][c / 2],
        ),
        (c @ (1 | 3 | 4), 16) => (
            {
                // Sized once and filled in place (a `flat_map` collect grows and copies).
                let mut bytes = vec![0u8; img.data.len() * 2];
                for (d, &v) in bytes.chunks_exact_mut(2).zip(&img.data) {
                    d.copy_from_slice(&(super::quantize(v, 65535.0) as u16).to_ne_bytes());
                }
                bytes
            },
            [
                ExtendedColorType::L16,
                ExtendedColorType::Rgb16,
                ExtendedColorType::Rgba16,
            ][c / 2],
        ),
        (c @ (3 | 4), 32) if f == Format::Tiff => (
            img.data.iter().flat_map(|v| v.to_ne_bytes()).collect(),
            if c == 3 {
                ExtendedColorType::Rgb32F
            } else {
                ExtendedColorType::Rgba32F
            },
        ),
        (c, bits) => {
            return Err(cant(format!(
                "{c}-channel {bits}-bit {} (PNG: 8/16; TIFF: 8/16, or 32 float for RGB/RGBA)",
                format_name(f)
            )));
        }
    };
    crate::fsx::write_atomic_with(path, |file| {
        let mut out = std::io::BufWriter::new(file);
        let res = match f {
            Format::Png => {
                image::codecs::png::PngEncoder::new(&mut out).write_image(&bytes, w, h, ect)
            }
            _ => image::codecs::tiff::TiffEncoder::new(&mut out).write_image(&bytes, w, h, ect),
        };
        res.map_err(|e| std::io::Error::other(e.to_string()))?;
        // Flush here: a BufWriter dropped with a full disk loses its last bytes silently, and the
        // rename would then put a truncated frame under its final name.
        std::io::Write::flush(&mut out)
    })
    .map_err(|e| MediaError::io(path, e.source))
}
