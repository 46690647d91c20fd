//! DPX (SMPTE 268M): being written; until then DPX files are reported as unsupported.

use super::error::{MediaError, Result};
use super::info::FileInfo;
use super::{Decoded, Image, WriteOptions};
use std::path::Path;

pub fn read(path: &Path) -> Result<Decoded> {
    Err(MediaError::unsupported(path, "format DPX in this build"))
}

pub fn probe(path: &Path) -> Result<FileInfo> {
    Err(MediaError::unsupported(path, "format DPX in this build"))
}

pub fn write(path: &Path, _img: &Image, _opts: &WriteOptions) -> Result<()> {
    Err(MediaError::unsupported(path, "format DPX in this build"))
}
