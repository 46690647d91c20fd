//! OpenEXR through the `exr` crate: every compression it decodes (none, RLE, ZIPS, ZIP, PIZ,
//! PXR24, B44(A), DWAA, DWAB, HTJ2K), scanline and tiled, half/float/uint; writes none/ZIP/PIZ
//! (and the other lossless ones) as half or float scanlines.
//!
//! Only the main layer's R, G, B (and A) — or a lone Y — are read; anything else in the file
//! (AOVs, depth, extra parts) is named once on stderr and skipped, because a scan pipeline has no
//! use for it and silently dropping it would hide a wrong file choice.

use super::error::{MediaError, Result};
use super::header::{FileInfo, PixelType};
use super::{Decoded, Image, WriteOptions};
use crate::color::Colorspace;
use exr::meta::attribute::{Chromaticities, Text};
use exr::prelude::traits::*;
use exr::prelude::{
    AnyChannel, AnyChannels, AttributeValue, Blocks, Compression, Encoding, FlatSamples, Layer,
    LayerAttributes, LineOrder, SmallVec, Vec2, WritableImage, f16,
};
use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;

mod piz;
mod zip_write;

pub const MAGIC: [u8; 4] = [0x76, 0x2f, 0x31, 0x01];

/// Attribute naming a non-linear encoding written into an EXR (chromaticities cannot say it).
const COLORSPACE_ATTR: &str = "tinctColorspace";

/// Map an `exr` error to ours, keeping the file name.
fn map_err(path: &Path, e: exr::error::Error) -> MediaError {
    use exr::error::Error as E;
    match e {
        E::NotSupported(what) => MediaError::unsupported(path, format!("OpenEXR feature: {what}")),
        E::Invalid(detail) => {
            let d = detail.to_lowercase();
            if d.contains("eof")
                || d.contains("end of")
                || d.contains("truncat")
                || d.contains("missing")
            {
                MediaError::truncated(path, detail.into_owned())
            } else {
                MediaError::corrupt(path, "OpenEXR", detail.into_owned())
            }
        }
        E::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            MediaError::truncated(path, "unexpected end of file")
        }
        E::Io(io) => MediaError::io(path, io),
        E::Aborted => MediaError::corrupt(path, "OpenEXR", "reading aborted"),
    }
}

/// Channel names read, in output order, for the main layer.
fn pick_channels(names: &[String]) -> Option<Vec<usize>> {
    let find = |n: &str| names.iter().position(|c| c == n);
    let find_ci = |n: &str| find(n).or_else(|| find(&n.to_lowercase()));
    if let (Some(r), Some(g), Some(b)) = (find_ci("R"), find_ci("G"), find_ci("B")) {
        let mut v = vec![r, g, b];
        v.extend(find_ci("A"));
        return Some(v);
    }
    if let Some(y) = find("Y") {
        // Y with RY/BY is OpenEXR's subsampled luminance/chroma mode, which we do not decode.
        if find("RY").is_none() && find("BY").is_none() {
            return Some(vec![y]);
        }
        return None;
    }
    if names.len() == 1 {
        return Some(vec![0]);
    }
    None
}

/// Warn once per distinct message (a sequence would otherwise print it for every frame).
fn warn_once(msg: String) {
    static SEEN: Mutex<Option<HashSet<String>>> = Mutex::new(None);
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    if seen.get_or_insert_with(HashSet::new).insert(msg.clone()) {
        eprintln!("warning: {msg}");
    }
}

/// The layer/group name of a channel (`diffuse.R` → `diffuse`, `Z` → `Z`).
fn group_of(name: &str) -> &str {
    name.rsplit_once('.').map(|(g, _)| g).unwrap_or(name)
}

fn check_magic(path: &Path) -> Result<()> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| MediaError::io(path, e))?;
    let mut m = [0u8; 4];
    match f.read_exact(&mut m) {
        Ok(()) if m == MAGIC => Ok(()),
        Ok(()) => Err(MediaError::BadMagic {
            path: path.into(),
            format: "OpenEXR",
            found: hex(&m),
        }),
        Err(_) => Err(MediaError::truncated(
            path,
            "shorter than the 4-byte magic number",
        )),
    }
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Name, once, what a read leaves out: other parts (`ignored`) and the main part's channels
/// outside `picked`, by layer group.
fn warn_ignored(path: &Path, names: &[String], picked: &[usize], mut ignored: Vec<String>) {
    for (ci, name) in names.iter().enumerate() {
        let g = group_of(name).to_owned();
        if !picked.contains(&ci) && !ignored.contains(&g) {
            ignored.push(g);
        }
    }
    if !ignored.is_empty() {
        warn_once(format!(
            "{}: reading only {}; ignoring layer(s) {}",
            path.display(),
            picked
                .iter()
                .map(|&i| names[i].as_str())
                .collect::<Vec<_>>()
                .join(""),
            ignored.join(", ")
        ));
    }
}

pub fn read(path: &Path) -> Result<Decoded> {
    check_magic(path)?;
    // Single-part PIZ scan lines (most film frames written as PIZ) have a faster decoder.
    if let Some(decoded) = piz::read(path)? {
        return Ok(decoded);
    }
    read_general(path)
}

/// Every other EXR, through the `exr` crate's image reader.
fn read_general(path: &Path) -> Result<Decoded> {
    check_budget(path)?;
    let file = exr::prelude::read()
        .no_deep_data()
        .largest_resolution_level()
        .all_channels()
        .all_layers()
        .all_attributes()
        .from_file(path)
        .map_err(|e| map_err(path, e))?;

    // The main layer: the unnamed part, else the first whose channels we understand.
    let layer_names: Vec<Vec<String>> = file
        .layer_data
        .iter()
        .map(|l| {
            l.channel_data
                .list
                .iter()
                .map(|c| c.name.to_string())
                .collect()
        })
        .collect();
    let main = file
        .layer_data
        .iter()
        .enumerate()
        .filter(|(i, _)| pick_channels(&layer_names[*i]).is_some())
        .min_by_key(|(_, l)| l.attributes.layer_name.is_some())
        .map(|(i, _)| i)
        .ok_or_else(|| {
            MediaError::unsupported(
                path,
                format!(
                    "channel set (no R,G,B or Y channels; found {:?})",
                    layer_names.concat()
                ),
            )
        })?;
    let layer = &file.layer_data[main];
    let picked = pick_channels(&layer_names[main]).expect("filtered above");

    let mut ignored: Vec<String> = Vec::new();
    for (i, l) in file.layer_data.iter().enumerate() {
        if i != main {
            ignored.push(
                l.attributes
                    .layer_name
                    .as_ref()
                    .map(|n| n.to_string())
                    .unwrap_or(format!("part {i}")),
            );
        }
    }
    warn_ignored(path, &layer_names[main], &picked, ignored);

    let (w, h) = (layer.size.width(), layer.size.height());
    let nch = picked.len();
    let mut data = super::budget::zeroed::<f32>(path, w * h * nch)?;
    for (out_c, &ci) in picked.iter().enumerate() {
        let ch = &layer.channel_data.list[ci];
        if ch.sampling != Vec2(1, 1) {
            return Err(MediaError::unsupported(
                path,
                format!("subsampled channel {}", ch.name),
            ));
        }
        let dst = data.iter_mut().skip(out_c).step_by(nch);
        match &ch.sample_data {
            FlatSamples::F16(v) => dst.zip(v).for_each(|(d, s)| *d = s.to_f32()),
            FlatSamples::F32(v) => dst.zip(v).for_each(|(d, s)| *d = *s),
            FlatSamples::U32(v) => dst.zip(v).for_each(|(d, s)| *d = *s as f32),
        }
    }
    let image = Image::from_vec(w, h, nch, data);
    super::error::check_finite(path, &image)?;

    let colorspace = colorspace_of(
        &file.attributes.chromaticities,
        &file.attributes.other,
        &layer.attributes.other,
    );
    Ok(Decoded { image, colorspace })
}

/// Check every part's declared size against the budget, and that the samples the `exr` crate
/// will allocate for them (it allocates infallibly) plus our own buffer fit in memory.
fn check_budget(path: &Path) -> Result<()> {
    let meta = exr::meta::MetaData::read_from_file(path, false).map_err(|e| map_err(path, e))?;
    let mut bytes: u64 = 0;
    for h in &meta.headers {
        let (w, hgt) = (h.layer_size.width() as u64, h.layer_size.height() as u64);
        super::budget::check_size(path, w, hgt)?;
        let per_pixel: u64 = h
            .channels
            .list
            .iter()
            .map(|c| c.sample_type.bytes_per_sample() as u64 + 4)
            .sum();
        bytes = bytes.saturating_add((w * hgt).saturating_mul(per_pixel));
    }
    super::budget::ensure_allocatable(path, bytes)?;
    if meta
        .headers
        .iter()
        .any(|h| matches!(h.compression, Compression::DWAA(_) | Compression::DWAB(_)))
    {
        check_dwa_chunks(path)?;
    }
    Ok(())
}

/// The `exr` crate's DWA decoder sizes its buffers from counters stored in each chunk (the
/// unknown, RLE and AC/DC section sizes) before it knows whether the data is there, and
/// allocates infallibly: a flipped counter made it ask for 373 GB and abort (found by
/// `scripts/fuzz`). No section of a sound chunk is larger than the block's own pixels, so every
/// counter is checked against that (twice, for the 8x8 padding) before the crate decodes.
fn check_dwa_chunks(path: &Path) -> Result<()> {
    use exr::block::chunk::CompressedBlock;
    let file = std::fs::File::open(path).map_err(|e| MediaError::io(path, e))?;
    let reader = exr::block::read(std::io::BufReader::with_capacity(1 << 20, file), false)
        .map_err(|e| map_err(path, e))?;
    let limits: Vec<Option<u64>> = reader
        .headers()
        .iter()
        .map(|h| {
            matches!(h.compression, Compression::DWAA(_) | Compression::DWAB(_))
                .then(|| (h.max_block_byte_size() as u64).saturating_mul(2) + 65536)
        })
        .collect();
    for chunk in reader.all_chunks(false).map_err(|e| map_err(path, e))? {
        let chunk = chunk.map_err(|e| map_err(path, e))?;
        let Some(Some(limit)) = limits.get(chunk.layer_index) else {
            continue;
        };
        let bytes = match &chunk.compressed_block {
            CompressedBlock::ScanLine(b) => &b.compressed_pixels_le,
            CompressedBlock::Tile(t) => &t.compressed_pixels_le,
            _ => continue,
        };
        // The 11 little-endian u64 counters that open a DWA chunk; a shorter chunk is the
        // crate's own "truncated" error.
        let counter = |i: usize| {
            bytes
                .get(i * 8..i * 8 + 8)
                .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
        };
        let sections = [
            ("unknown", counter(1)),
            ("RLE", counter(6)),
            ("RLE raw", counter(7)),
            ("AC", counter(8).map(|n| n.saturating_mul(2))),
            ("DC", counter(9).map(|n| n.saturating_mul(2))),
        ];
        for (name, size) in sections {
            if let Some(size) = size.filter(|s| s > limit) {
                return Err(MediaError::corrupt(
                    path,
                    "OpenEXR",
                    format!(
                        "a DWA block declares {size} bytes of {name} data, more than its pixels can hold"
                    ),
                ));
            }
        }
    }
    Ok(())
}

type Attrs = std::collections::HashMap<Text, AttributeValue>;

fn colorspace_of(chroma: &Option<Chromaticities>, a: &Attrs, b: &Attrs) -> Colorspace {
    let key = Text::from(COLORSPACE_ATTR);
    for attrs in [b, a] {
        if let Some(AttributeValue::Text(t)) = attrs.get(&key)
            && let Ok(cs) = t.to_string().parse()
        {
            return cs;
        }
    }
    let Some(c) = chroma else {
        return Colorspace::LinearRec709;
    };
    [
        Colorspace::LinearRec709,
        Colorspace::LinearRec2020,
        Colorspace::Aces2065_1,
        Colorspace::AcesCg,
    ]
    .into_iter()
    .find(|cs| {
        let k = chromaticities(*cs);
        let close =
            |a: Vec2<f32>, b: Vec2<f32>| (a.0 - b.0).abs() < 2e-3 && (a.1 - b.1).abs() < 2e-3;
        close(k.red, c.red)
            && close(k.green, c.green)
            && close(k.blue, c.blue)
            && close(k.white, c.white)
    })
    .unwrap_or_else(|| {
        warn_once(format!(
            "EXR chromaticities {c:?} are not a known colourspace; assuming linear Rec.709"
        ));
        Colorspace::LinearRec709
    })
}

/// CIE xy of the primaries and white of the linear spaces an EXR can declare.
fn chromaticities(cs: Colorspace) -> Chromaticities {
    let (r, g, b, w) = match cs {
        Colorspace::LinearRec2020 | Colorspace::Rec2020 => (
            (0.708, 0.292),
            (0.170, 0.797),
            (0.131, 0.046),
            (0.3127, 0.3290),
        ),
        Colorspace::Aces2065_1 => (
            (0.7347, 0.2653),
            (0.0, 1.0),
            (0.0001, -0.0770),
            (0.32168, 0.33767),
        ),
        Colorspace::AcesCg | Colorspace::AcesCct => (
            (0.713, 0.293),
            (0.165, 0.830),
            (0.128, 0.044),
            (0.32168, 0.33767),
        ),
        Colorspace::DciP3 => (
            (0.680, 0.320),
            (0.265, 0.690),
            (0.150, 0.060),
            (0.314, 0.351),
        ),
        Colorspace::P3D65 | Colorspace::DisplayP3 => (
            (0.680, 0.320),
            (0.265, 0.690),
            (0.150, 0.060),
            (0.3127, 0.3290),
        ),
        _ => ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06), (0.3127, 0.3290)),
    };
    let v = |p: (f32, f32)| Vec2(p.0, p.1);
    Chromaticities {
        red: v(r),
        green: v(g),
        blue: v(b),
        white: v(w),
    }
}

pub fn compression_from_name(path: &Path, name: &str) -> Result<Compression> {
    Ok(match name.to_ascii_lowercase().as_str() {
        "none" | "uncompressed" => Compression::Uncompressed,
        "rle" => Compression::RLE,
        "zips" | "zip1" => Compression::ZIP1,
        "zip" | "zip16" => Compression::ZIP16,
        "piz" => Compression::PIZ,
        "pxr24" => Compression::PXR24,
        other => {
            return Err(MediaError::CannotWrite {
                path: path.into(),
                what: format!("EXR compression '{other}' (use none, rle, zips, zip, piz or pxr24)"),
            });
        }
    })
}

/// OpenEXR's own short names (as `exrheader` and OIIO print them).
pub fn compression_name(c: Compression) -> String {
    match c {
        Compression::Uncompressed => "none".into(),
        Compression::RLE => "rle".into(),
        Compression::ZIP1 => "zips".into(),
        Compression::ZIP16 => "zip".into(),
        Compression::PIZ => "piz".into(),
        Compression::PXR24 => "pxr24".into(),
        Compression::B44 => "b44".into(),
        Compression::B44A => "b44a".into(),
        Compression::DWAA(_) => "dwaa".into(),
        Compression::DWAB(_) => "dwab".into(),
        other => format!("{other}").to_lowercase(),
    }
}

/// Write `img` (already in the target encoding) as EXR.
pub fn write(path: &Path, img: &Image, opts: &WriteOptions) -> Result<()> {
    let compression = compression_from_name(path, &opts.compression)?;
    let names: &[&str] = match img.channels {
        1 => &["Y"],
        3 => &["R", "G", "B"],
        4 => &["R", "G", "B", "A"],
        n => {
            return Err(MediaError::CannotWrite {
                path: path.into(),
                what: format!("{n}-channel image as EXR"),
            });
        }
    };
    let nch = img.channels;
    // ZIP and ZIPS go through our own block writer (`zip_write`), which needs only the header
    // the crate infers from the channel types: no sample copies for it.
    let own_zip = matches!(compression, Compression::ZIP1 | Compression::ZIP16);
    let channels: SmallVec<[AnyChannel<FlatSamples>; 4]> = names
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let plane = img.data.iter().skip(c).step_by(nch);
            let samples = if own_zip {
                if opts.half {
                    FlatSamples::F16(Vec::new())
                } else {
                    FlatSamples::F32(Vec::new())
                }
            } else if opts.half {
                // Clamp to the largest finite half so bright highlights stay bright, not Inf.
                FlatSamples::F16(
                    plane
                        .map(|v| f16::from_f32(v.clamp(-65504.0, 65504.0)))
                        .collect(),
                )
            } else {
                FlatSamples::F32(plane.copied().collect())
            };
            AnyChannel::new(*name, samples)
        })
        .collect();
    let encoding = Encoding {
        compression,
        blocks: Blocks::ScanLines,
        line_order: LineOrder::Increasing,
    };
    let layer = Layer::new(
        (img.width, img.height),
        LayerAttributes::default(),
        encoding,
        AnyChannels::sort(channels),
    );
    let mut image = exr::prelude::Image::from_layer(layer);
    if opts.colorspace.is_linear() {
        image.attributes.chromaticities = Some(chromaticities(opts.colorspace));
    } else {
        image.attributes.other.insert(
            Text::from(COLORSPACE_ATTR),
            AttributeValue::Text(Text::from(opts.colorspace.id())),
        );
    }
    if own_zip {
        use exr::image::write::layers::WritableLayers;
        let headers = image.layer_data.infer_headers(&image.attributes);
        return zip_write::write(path, img, headers);
    }
    crate::fsx::write_atomic_with(path, |f| {
        let w = std::io::BufWriter::with_capacity(1 << 20, f);
        image
            .write()
            .to_buffered(w)
            .map_err(|e| std::io::Error::other(e.to_string()))
    })
    .map_err(|e| MediaError::io(path, e.source))
}

/// Headers only: size, channels, sample type, compression, tiling, layers.
pub fn probe(path: &Path) -> Result<FileInfo> {
    check_magic(path)?;
    let meta = exr::meta::MetaData::read_from_file(path, false).map_err(|e| map_err(path, e))?;
    let headers = &meta.headers;
    let names: Vec<Vec<String>> = headers
        .iter()
        .map(|h| h.channels.list.iter().map(|c| c.name.to_string()).collect())
        .collect();
    let main = (0..headers.len())
        .filter(|&i| pick_channels(&names[i]).is_some())
        .min_by_key(|&i| headers[i].own_attributes.layer_name.is_some())
        .unwrap_or(0);
    let h = headers
        .get(main)
        .ok_or_else(|| MediaError::corrupt(path, "OpenEXR", "no headers"))?;
    let picked = pick_channels(&names[main]).unwrap_or_default();
    let pixel_type = match picked.first().map(|&i| h.channels.list[i].sample_type) {
        Some(exr::meta::attribute::SampleType::F16) => PixelType::Half,
        Some(exr::meta::attribute::SampleType::F32) => PixelType::Float,
        Some(exr::meta::attribute::SampleType::U32) => PixelType::UInt32,
        None => PixelType::Float,
    };
    let mut layers: Vec<String> = Vec::new();
    for (i, hd) in headers.iter().enumerate() {
        if let Some(n) = &hd.own_attributes.layer_name {
            layers.push(n.to_string());
        } else if i != main {
            layers.push(format!("part {i}"));
        }
        for (ci, n) in names[i].iter().enumerate() {
            let g = group_of(n).to_owned();
            if !(layers.contains(&g) || i == main && picked.contains(&ci)) {
                layers.push(g);
            }
        }
    }
    let blocks = match h.blocks {
        exr::meta::BlockDescription::ScanLines => "scanline".to_owned(),
        exr::meta::BlockDescription::Tiles(t) => {
            format!("tiled {}x{}", t.tile_size.0, t.tile_size.1)
        }
    };
    let empty = Attrs::new();
    let colorspace = colorspace_of(
        &h.shared_attributes.chromaticities,
        &h.shared_attributes.other,
        &empty,
    );
    Ok(FileInfo {
        format: "exr",
        width: h.layer_size.width(),
        height: h.layer_size.height(),
        channels: picked.iter().map(|&i| names[main][i].clone()).collect(),
        pixel_type,
        compression: compression_name(h.compression),
        layout: blocks,
        colorspace,
        ignored_layers: layers,
    })
}
