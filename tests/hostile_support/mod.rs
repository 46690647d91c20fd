//! Hostile media files, made from real footage: seeded mutations of small EXR, DPX, TIFF, PNG and
//! JPEG frames cut from the embedded CC0 panoramas. The same generator feeds the mutation test
//! (`tests/hostile_files.rs`) and the fuzzers' seed corpus.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use tinct::media::{self, Image, WriteOptions};

/// The encodings each picture is written in: (file name suffix, extension, options).
fn encodings() -> Vec<(&'static str, &'static str, WriteOptions)> {
    let opt =
        |half: bool, compression: &str, bits: u8, cs: tinct::color::Colorspace| WriteOptions {
            colorspace: cs,
            half,
            compression: compression.into(),
            bits,
        };
    use tinct::color::Colorspace::{LinearRec709 as Lin, Srgb};
    vec![
        ("zip", "exr", opt(true, "zip", 16, Lin)),
        ("piz", "exr", opt(true, "piz", 16, Lin)),
        ("raw-float", "exr", opt(false, "none", 16, Lin)),
        ("rle", "exr", opt(true, "rle", 16, Lin)),
        ("10bit", "dpx", opt(true, "a", 10, Srgb)),
        ("16bit-le", "dpx", opt(true, "-le", 16, Srgb)),
        ("16bit", "tif", opt(true, "", 16, Srgb)),
        ("8bit", "png", opt(true, "", 8, Srgb)),
        ("16bit", "png", opt(true, "", 16, Srgb)),
    ]
}

/// Write the seed files (3 pictures x 10 encodings, 96x64 crops of real photographs) into `dir`.
pub fn write_seeds(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for (i, pano) in tinct::demo::footage::PANORAMAS
        .iter()
        .step_by(3)
        .enumerate()
    {
        let full = pano.decode().expect("embedded panorama");
        let img = full.crop(200 + 40 * i, 150, 96, 64);
        for (suffix, ext, opts) in encodings() {
            let p = dir.join(format!("{}-{suffix}.{ext}", pano.name));
            media::write(&p, &img, &opts).unwrap_or_else(|e| panic!("{}: {e:#}", p.display()));
            out.push(p);
        }
        let p = dir.join(format!("{}.jpg", pano.name));
        write_jpeg(&p, &img);
        out.push(p);
    }
    out
}

/// JPEG is read-only in tinct; a video transfer's stills arrive as q90 4:2:0 JPEGs.
fn write_jpeg(path: &Path, img: &Image) {
    let mut rgb = Vec::with_capacity(img.pixel_count() * 3);
    for y in 0..img.height {
        for x in 0..img.width {
            let p = tinct::color::from_linear(tinct::color::Colorspace::Srgb, img.rgb(x, y));
            rgb.extend(p.iter().map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8));
        }
    }
    let f = std::fs::File::create(path).unwrap();
    image::codecs::jpeg::JpegEncoder::new_with_quality(f, 90)
        .encode(
            &rgb,
            img.width as u32,
            img.height as u32,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
}

/// A small deterministic generator (xorshift64*): the cases are the same on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The mutations each seed goes through, in order (13 per seed: 390 cases for 30 seeds).
pub const MUTATIONS: [&str; 13] = [
    "zero-length",
    "cut-in-magic",
    "cut-in-header",
    "cut-in-data",
    "flip-1-header",
    "flip-8-header",
    "flip-1-data",
    "flip-32-data",
    "wrong-extension",
    "huge-100000x100000",
    "huge-20000x20000",
    "huge-wrapping",
    "overwrite-64",
];

/// Bytes of the header region: mutations aimed at the header stay inside it.
fn header_len(ext: &str, len: usize) -> usize {
    let h = match ext {
        "dpx" => 2048,
        "exr" => 400,
        _ => 64,
    };
    h.min(len.saturating_sub(1)).max(1)
}

/// Apply mutation `m` (an index into [`MUTATIONS`]) to `bytes`; returns the new bytes and the
/// extension to store them under.
pub fn mutate(bytes: &[u8], ext: &str, m: usize, rng: &mut Rng) -> (Vec<u8>, String) {
    let mut b = bytes.to_vec();
    let len = b.len();
    let head = header_len(ext, len);
    let flip = |b: &mut Vec<u8>, lo: usize, hi: usize, n: usize, rng: &mut Rng| {
        for _ in 0..n {
            let i = lo + rng.below(hi - lo);
            b[i] ^= 1 << rng.below(8) | 1;
        }
    };
    let mut ext = ext.to_owned();
    match MUTATIONS[m] {
        "zero-length" => b.clear(),
        "cut-in-magic" => b.truncate(3.min(len)),
        "cut-in-header" => b.truncate(4 + rng.below(head)),
        "cut-in-data" => b.truncate(head + rng.below(len - head)),
        "flip-1-header" => flip(&mut b, 0, head, 1, rng),
        "flip-8-header" => flip(&mut b, 4, head, 8, rng),
        "flip-1-data" => flip(&mut b, head, len, 1, rng),
        "flip-32-data" => flip(&mut b, head, len, 32, rng),
        "wrong-extension" => {
            let others = ["exr", "dpx", "tif", "png", "jpg"];
            let pick = others
                .iter()
                .filter(|e| **e != ext)
                .nth(rng.below(4))
                .unwrap();
            ext = pick.to_string();
        }
        "huge-100000x100000" => set_size(&mut b, &ext, 100_000, 100_000),
        "huge-20000x20000" => set_size(&mut b, &ext, 20_000, 20_000),
        "huge-wrapping" => set_size(&mut b, &ext, 0x8000_0001, 0xFFFF_FFF0),
        "overwrite-64" => {
            let at = rng.below(len.saturating_sub(64));
            for v in &mut b[at..(at + 64).min(len)] {
                *v = rng.next() as u8;
            }
        }
        other => unreachable!("{other}"),
    }
    (b, ext)
}

/// Make the header declare `w` x `h` (the data stays as it was).
fn set_size(b: &mut [u8], ext: &str, w: u32, h: u32) {
    match ext {
        "png" => {
            b[16..20].copy_from_slice(&w.to_be_bytes());
            b[20..24].copy_from_slice(&h.to_be_bytes());
            let crc = crc32(&b[12..29]);
            b[29..33].copy_from_slice(&crc.to_be_bytes());
        }
        "jpg" => {
            let sof = (2..b.len() - 9)
                .find(|&i| b[i] == 0xFF && (0xC0..=0xC2).contains(&b[i + 1]))
                .expect("SOF marker");
            b[sof + 5..sof + 7].copy_from_slice(&(h.min(65_535) as u16).to_be_bytes());
            b[sof + 7..sof + 9].copy_from_slice(&(w.min(65_535) as u16).to_be_bytes());
        }
        "dpx" => {
            let be = &b[0..4] == b"SDPX";
            let put = |b: &mut [u8], at: usize, v: u32| {
                let bytes = if be { v.to_be_bytes() } else { v.to_le_bytes() };
                b[at..at + 4].copy_from_slice(&bytes);
            };
            put(b, 772, w);
            put(b, 776, h);
        }
        "tif" => set_tiff_size(b, w, h),
        "exr" => {
            let key = b"dataWindow\0box2i\0";
            let at = b
                .windows(key.len())
                .position(|s| s == key)
                .expect("dataWindow")
                + key.len()
                + 4;
            let xmin = i32::from_le_bytes(b[at..at + 4].try_into().unwrap());
            let ymin = i32::from_le_bytes(b[at + 4..at + 8].try_into().unwrap());
            let xmax = xmin.wrapping_add(w as i32).wrapping_sub(1);
            let ymax = ymin.wrapping_add(h as i32).wrapping_sub(1);
            b[at + 8..at + 12].copy_from_slice(&xmax.to_le_bytes());
            b[at + 12..at + 16].copy_from_slice(&ymax.to_le_bytes());
        }
        other => unreachable!("{other}"),
    }
}

/// Patch ImageWidth (256) and ImageLength (257) in the first IFD of a little-endian TIFF.
fn set_tiff_size(b: &mut [u8], w: u32, h: u32) {
    assert_eq!(&b[0..2], b"II", "the seeds are little-endian TIFFs");
    let u16_at = |b: &[u8], i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    let ifd = u32::from_le_bytes(b[4..8].try_into().unwrap()) as usize;
    for e in 0..u16_at(b, ifd) as usize {
        let at = ifd + 2 + 12 * e;
        let v = match u16_at(b, at) {
            256 => w,
            257 => h,
            _ => continue,
        };
        // A LONG holds any size; rewrite the entry's type so the value is not clipped.
        b[at + 2..at + 4].copy_from_slice(&4u16.to_le_bytes());
        b[at + 8..at + 12].copy_from_slice(&v.to_le_bytes());
    }
}

/// CRC-32 (IEEE), for PNG chunks: a PNG decoder rejects a chunk whose CRC does not match, and
/// the point of a huge-size case is a header that looks valid.
fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &byte in data {
        c ^= byte as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// Every case: (file written, seed name, mutation name), seeded by `seed`.
pub fn write_cases(
    seeds: &[PathBuf],
    dir: &Path,
    seed: u64,
) -> Vec<(PathBuf, String, &'static str)> {
    let mut rng = Rng::new(seed);
    let mut cases = Vec::new();
    for s in seeds {
        let bytes = std::fs::read(s).unwrap();
        let ext = s.extension().unwrap().to_str().unwrap();
        let stem = s.file_stem().unwrap().to_str().unwrap();
        for (m, name) in MUTATIONS.iter().enumerate() {
            let (b, ext) = mutate(&bytes, ext, m, &mut rng);
            let p = dir.join(format!("{stem}.{name}.{ext}"));
            std::fs::write(&p, b).unwrap();
            cases.push((p, stem.to_owned(), *name));
        }
    }
    cases
}
