//! The part of an OpenEXR header a DWA reader needs: channels, compression, data window and the
//! chunk offset table. Only single-part scanline files are accepted; everything else is refused
//! with a named error rather than misread.

use super::DwaError;

/// Pixel storage type of one channel, numbered as in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleType {
    Uint,
    Half,
    Float,
}

impl SampleType {
    pub fn code(self) -> u8 {
        match self {
            SampleType::Uint => 0,
            SampleType::Half => 1,
            SampleType::Float => 2,
        }
    }
    pub fn bytes(self) -> usize {
        match self {
            SampleType::Half => 2,
            SampleType::Uint | SampleType::Float => 4,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Channel {
    pub name: String,
    pub sample: SampleType,
    /// "Perceptually linear": DWA then skips its non-linear → linear lookup for this channel.
    pub p_linear: bool,
}

/// The two DWA flavours differ only in how many scanlines one chunk holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DwaKind {
    Dwaa,
    Dwab,
}

impl DwaKind {
    pub fn lines_per_chunk(self) -> usize {
        match self {
            DwaKind::Dwaa => 32,
            DwaKind::Dwab => 256,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Header {
    /// Sorted by name, as the file stores them (and as chunk data is laid out).
    pub channels: Vec<Channel>,
    pub kind: DwaKind,
    pub y_min: i32,
    pub width: usize,
    pub height: usize,
    /// Absolute file offsets of each chunk, in increasing y order.
    pub chunk_offsets: Vec<u64>,
}

const MAGIC: u32 = 20000630;
const FLAG_TILED: u32 = 0x200;
const FLAG_LONG_NAMES: u32 = 0x400;
const FLAG_DEEP: u32 = 0x800;
const FLAG_MULTIPART: u32 = 0x1000;

/// A little-endian cursor over the file bytes that reports truncation as a corrupt file.
pub struct Reader<'a> {
    pub bytes: &'a [u8],
    pub pos: usize,
}

impl<'a> Reader<'a> {
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| format!("truncated at byte {}", self.pos))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    pub fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    pub fn i32(&mut self) -> Result<i32, String> {
        Ok(self.u32()? as i32)
    }
    pub fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }
    /// A NUL-terminated string.
    pub fn cstr(&mut self) -> Result<&'a str, String> {
        let rest = &self.bytes[self.pos.min(self.bytes.len())..];
        let len = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| format!("unterminated string at byte {}", self.pos))?;
        let s = std::str::from_utf8(&rest[..len])
            .map_err(|_| format!("non-UTF-8 name at byte {}", self.pos))?;
        self.pos += len + 1;
        Ok(s)
    }
}

pub fn parse(bytes: &[u8], path: &std::path::Path) -> Result<Header, DwaError> {
    let corrupt = |why: String| DwaError::Corrupt {
        path: path.to_path_buf(),
        why,
    };
    let unsupported = |what: &str| DwaError::Unsupported {
        path: path.to_path_buf(),
        what: what.to_string(),
    };
    let mut r = Reader { bytes, pos: 0 };
    if r.u32().map_err(corrupt)? != MAGIC {
        return Err(corrupt("not an OpenEXR file (bad magic number)".into()));
    }
    let version = r.u32().map_err(corrupt)?;
    if version & 0xff != 2 {
        return Err(unsupported(&format!("OpenEXR version {}", version & 0xff)));
    }
    if version & FLAG_MULTIPART != 0 {
        return Err(unsupported("multi-part files"));
    }
    if version & FLAG_DEEP != 0 {
        return Err(unsupported("deep data"));
    }
    if version & FLAG_TILED != 0 {
        return Err(unsupported("tiled files"));
    }
    let _ = FLAG_LONG_NAMES; // only changes the maximum name length, which we don't enforce

    let mut channels = None;
    let mut compression = None;
    let mut data_window = None;
    loop {
        let name = r.cstr().map_err(corrupt)?;
        if name.is_empty() {
            break;
        }
        let _type = r.cstr().map_err(corrupt)?;
        let size = r.i32().map_err(corrupt)?;
        let size = usize::try_from(size)
            .map_err(|_| corrupt(format!("attribute {name} has negative size")))?;
        let value = r.take(size).map_err(corrupt)?;
        match name {
            "channels" => channels = Some(parse_channels(value).map_err(corrupt)?),
            "compression" => compression = value.first().copied(),
            "dataWindow" if value.len() == 16 => {
                let v: Vec<i32> = value
                    .chunks_exact(4)
                    .map(|c| i32::from_le_bytes(c.try_into().unwrap()))
                    .collect();
                data_window = Some((v[0], v[1], v[2], v[3]));
            }
            _ => {}
        }
    }
    let channels = channels.ok_or_else(|| corrupt("no channels attribute".into()))?;
    let kind = match compression {
        Some(8) => DwaKind::Dwaa,
        Some(9) => DwaKind::Dwab,
        Some(c) => {
            return Err(unsupported(&format!(
                "compression {c} (this reader decodes DWAA/DWAB only)"
            )));
        }
        None => return Err(corrupt("no compression attribute".into())),
    };
    let (x0, y0, x1, y1) = data_window.ok_or_else(|| corrupt("no dataWindow attribute".into()))?;
    if x1 < x0 || y1 < y0 {
        return Err(corrupt(format!(
            "empty data window ({x0},{y0})-({x1},{y1})"
        )));
    }
    let width = (x1 as i64 - x0 as i64 + 1) as usize;
    let height = (y1 as i64 - y0 as i64 + 1) as usize;
    let chunks = height.div_ceil(kind.lines_per_chunk());
    let chunk_offsets = (0..chunks)
        .map(|_| r.u64())
        .collect::<Result<Vec<_>, _>>()
        .map_err(corrupt)?;
    Ok(Header {
        channels,
        kind,
        y_min: y0,
        width,
        height,
        chunk_offsets,
    })
}

fn parse_channels(value: &[u8]) -> Result<Vec<Channel>, String> {
    let mut r = Reader {
        bytes: value,
        pos: 0,
    };
    let mut out = Vec::new();
    loop {
        let name = r.cstr()?;
        if name.is_empty() {
            return Ok(out);
        }
        let sample = match r.i32()? {
            0 => SampleType::Uint,
            1 => SampleType::Half,
            2 => SampleType::Float,
            t => return Err(format!("channel {name} has unknown pixel type {t}")),
        };
        let flags = r.take(4)?;
        let (xs, ys) = (r.i32()?, r.i32()?);
        if xs != 1 || ys != 1 {
            return Err(format!(
                "channel {name} is subsampled ({xs}x{ys}); only full-resolution channels are supported"
            ));
        }
        out.push(Channel {
            name: name.to_string(),
            sample,
            p_linear: flags[0] != 0,
        });
    }
}
