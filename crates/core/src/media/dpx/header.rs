//! The DPX header (SMPTE 268M): the fields tinct reads and writes, at their fixed offsets.
//!
//! Layout: file information (0..768), image information (768..1408, with eight 72-byte image
//! element records from 780), orientation (1408..1664), film (1664..1920) and television
//! (1920..2048). Every multi-byte field follows the byte order the magic number announces
//! ("SDPX" big-endian, "XPDS" little-endian). "Undefined" is all bits set.

use crate::media::error::{MediaError, Result};
use std::path::Path;

pub const MAGIC_BE: &[u8; 4] = b"SDPX";
pub const MAGIC_LE: &[u8; 4] = b"XPDS";
/// Generic (file + image + orientation) header size; industry headers follow.
pub const GENERIC_SIZE: u32 = 1664;
pub const INDUSTRY_SIZE: u32 = 384;
pub const HEADER_SIZE: usize = 2048;
const ELEMENT: usize = 780;
pub const UNDEFINED_U32: u32 = u32::MAX;

/// How samples sit in 32-bit words (image element field "packing").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packing {
    /// Samples back to back across word boundaries (packing 0).
    Packed,
    /// Filled to word boundaries, padding in the low bits (packing 1, "method A").
    FilledA,
    /// Filled, padding in the high bits (packing 2, "method B").
    FilledB,
}

impl Packing {
    pub fn code(self) -> u16 {
        match self {
            Packing::Packed => 0,
            Packing::FilledA => 1,
            Packing::FilledB => 2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Packing::Packed => "packed",
            Packing::FilledA => "filled method A",
            Packing::FilledB => "filled method B",
        }
    }
}

/// Image element descriptor codes tinct understands.
pub const DESC_LUMA: u8 = 6;
pub const DESC_RGB: u8 = 50;
pub const DESC_RGBA: u8 = 51;
pub const DESC_ABGR: u8 = 52;

/// Transfer / colorimetric codes (SMPTE 268-1:2014 table 5).
pub mod code {
    pub const USER_DEFINED: u8 = 0;
    pub const PRINTING_DENSITY: u8 = 1;
    pub const LINEAR: u8 = 2;
    pub const LOGARITHMIC: u8 = 3;
    pub const UNSPECIFIED_VIDEO: u8 = 4;
    pub const SMPTE_274M: u8 = 5;
    pub const BT709: u8 = 6;
    pub const BT601_625: u8 = 7;
    pub const BT601_525: u8 = 8;
    pub const NTSC: u8 = 9;
    pub const PAL: u8 = 10;
    pub const ADX: u8 = 13;
    pub const BT2020_NCL: u8 = 14;
    pub const BT2020_CL: u8 = 15;
    pub const DCI_P3: u8 = 21;
    pub const SRGB: u8 = 22;
}

/// The header fields that matter for decoding and for the colour meaning.
#[derive(Clone, Debug, PartialEq)]
pub struct DpxHeader {
    pub big_endian: bool,
    pub data_offset: u32,
    pub file_size: u32,
    pub orientation: u16,
    pub elements: u16,
    pub width: u32,
    pub height: u32,
    pub data_sign: u32,
    pub ref_low_data: u32,
    pub ref_low_quantity: f32,
    pub ref_high_data: u32,
    pub ref_high_quantity: f32,
    pub descriptor: u8,
    pub transfer: u8,
    pub colorimetric: u8,
    pub bit_size: u8,
    pub packing: u16,
    pub encoding: u16,
    pub eol_padding: u32,
    pub eoi_padding: u32,
    /// Image element description (32 chars); tinct stores `tinct:<colourspace>` here.
    pub description: String,
    pub creator: String,
}

impl DpxHeader {
    pub fn channels(&self) -> usize {
        match self.descriptor {
            DESC_LUMA => 1,
            DESC_RGB => 3,
            DESC_RGBA | DESC_ABGR => 4,
            _ => 0,
        }
    }

    pub fn packing_kind(&self) -> Packing {
        match self.packing {
            1 => Packing::FilledA,
            2 => Packing::FilledB,
            _ => Packing::Packed,
        }
    }

    pub fn parse(path: &Path, b: &[u8]) -> Result<DpxHeader> {
        if b.len() < 4 {
            return Err(MediaError::truncated(
                path,
                "shorter than the 4-byte magic number",
            ));
        }
        let big_endian = match &b[..4] {
            m if m == MAGIC_BE => true,
            m if m == MAGIC_LE => false,
            m => {
                return Err(MediaError::BadMagic {
                    path: path.into(),
                    format: "DPX",
                    found: crate::media::exr_io::hex(m),
                });
            }
        };
        if b.len() < 1408 {
            return Err(MediaError::truncated(
                path,
                format!("header is {} of at least 1408 bytes", b.len()),
            ));
        }
        let r = Fields { b, be: big_endian };
        let e = ELEMENT;
        Ok(DpxHeader {
            big_endian,
            data_offset: r.u32(4),
            file_size: r.u32(16),
            creator: r.text(160, 100),
            orientation: r.u16(768),
            elements: r.u16(770),
            width: r.u32(772),
            height: r.u32(776),
            data_sign: r.u32(e),
            ref_low_data: r.u32(e + 4),
            ref_low_quantity: r.f32(e + 8),
            ref_high_data: r.u32(e + 12),
            ref_high_quantity: r.f32(e + 16),
            descriptor: b[e + 20],
            transfer: b[e + 21],
            colorimetric: b[e + 22],
            bit_size: b[e + 23],
            packing: r.u16(e + 24),
            encoding: r.u16(e + 26),
            eol_padding: r.u32(e + 32),
            eoi_padding: r.u32(e + 36),
            description: r.text(e + 40, 32),
        })
        .map(|mut h| {
            // The element's own data offset wins over the file's when set.
            let element_offset = r.u32(e + 28);
            if element_offset != UNDEFINED_U32 && element_offset != 0 {
                h.data_offset = element_offset;
            }
            h
        })
    }

    /// A full 2048-byte header; undefined fields are all ones, as the standard asks.
    pub fn to_bytes(&self, file_name: &str, timestamp: &str) -> Vec<u8> {
        let mut b = vec![0u8; HEADER_SIZE];
        let mut w = FieldsMut {
            b: &mut b,
            be: self.big_endian,
        };
        // Every numeric field defaults to "undefined"; the ones we know are filled in below.
        // (encryption key; orientation offsets/centres/sizes, borders, scanned size; film frame
        // position/length/held/rate/shutter; the whole television header.)
        for range in [
            (660, 664),
            (1408, 1432),
            (1620, 1628),
            (1636, 1644),
            (1712, 1732),
            (1920, 1972),
        ] {
            w.b[range.0..range.1].fill(0xff);
        }
        w.b[..4].copy_from_slice(if self.big_endian { MAGIC_BE } else { MAGIC_LE });
        w.put_u32(4, self.data_offset);
        w.put_text(8, 8, "V2.0");
        w.put_u32(16, self.file_size);
        w.put_u32(20, 1); // ditto key: new frame
        w.put_u32(24, GENERIC_SIZE);
        w.put_u32(28, INDUSTRY_SIZE);
        w.put_u32(32, 0); // user data
        w.put_text(36, 100, file_name);
        w.put_text(136, 24, timestamp);
        w.put_text(160, 100, &self.creator);
        w.put_u16(768, self.orientation);
        w.put_u16(770, 1);
        w.put_u32(772, self.width);
        w.put_u32(776, self.height);
        // Seven unused element records: all undefined.
        w.b[ELEMENT + 72..ELEMENT + 8 * 72].fill(0xff);
        let e = ELEMENT;
        w.put_u32(e, 0);
        w.put_u32(e + 4, self.ref_low_data);
        w.put_f32(e + 8, self.ref_low_quantity);
        w.put_u32(e + 12, self.ref_high_data);
        w.put_f32(e + 16, self.ref_high_quantity);
        w.b[e + 20] = self.descriptor;
        w.b[e + 21] = self.transfer;
        w.b[e + 22] = self.colorimetric;
        w.b[e + 23] = self.bit_size;
        w.put_u16(e + 24, self.packing);
        w.put_u16(e + 26, 0);
        w.put_u32(e + 28, self.data_offset);
        w.put_u32(e + 32, 0);
        w.put_u32(e + 36, 0);
        w.put_text(e + 40, 32, &self.description);
        // Pixel aspect 1:1 (orientation header).
        w.put_u32(1628, 1);
        w.put_u32(1632, 1);
        b
    }
}

struct Fields<'a> {
    b: &'a [u8],
    be: bool,
}

impl Fields<'_> {
    fn u16(&self, o: usize) -> u16 {
        let a = [self.b[o], self.b[o + 1]];
        if self.be {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        }
    }
    fn u32(&self, o: usize) -> u32 {
        let a: [u8; 4] = self.b[o..o + 4].try_into().expect("4 bytes");
        if self.be {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    }
    fn f32(&self, o: usize) -> f32 {
        f32::from_bits(self.u32(o))
    }
    fn text(&self, o: usize, n: usize) -> String {
        let raw = &self.b[o..(o + n).min(self.b.len())];
        let end = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
        String::from_utf8_lossy(&raw[..end]).trim().to_owned()
    }
}

struct FieldsMut<'a> {
    b: &'a mut [u8],
    be: bool,
}

impl FieldsMut<'_> {
    fn put_u16(&mut self, o: usize, v: u16) {
        let a = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.b[o..o + 2].copy_from_slice(&a);
    }
    fn put_u32(&mut self, o: usize, v: u32) {
        let a = if self.be {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        self.b[o..o + 4].copy_from_slice(&a);
    }
    fn put_f32(&mut self, o: usize, v: f32) {
        self.put_u32(o, v.to_bits());
    }
    fn put_text(&mut self, o: usize, n: usize, s: &str) {
        let bytes = s.as_bytes();
        let k = bytes.len().min(n - 1); // keep a terminating NUL
        self.b[o..o + k].copy_from_slice(&bytes[..k]);
    }
}
