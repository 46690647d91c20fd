//! Frame-number patterns: `name.%04d.exr`, `name.####.exr`, `name.@.exr`.
//!
//! Conventions (as in Nuke/RV/OpenImageIO): `%0Nd` and a run of N `#` mean "at least N digits,
//! zero-padded" (a lone `#` means four, as in RV and OIIO); each `@` is one digit of padding, so
//! `name.@.exr` is unpadded. A number wider than the padding is written in full (`%04d` of 12345
//! is `12345`), which is what every writer of film sequences does.

use super::error::{MediaError, Result};
use std::path::{Path, PathBuf};

/// A pattern split into the text before and after the frame number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FramePattern {
    /// Folder part of the pattern (may be empty).
    pub dir: PathBuf,
    /// File-name text before the number.
    pub prefix: String,
    /// File-name text after the number.
    pub suffix: String,
    /// Minimum digits.
    pub padding: usize,
}

impl FramePattern {
    /// Parse the file-name part of `pattern`; `None` when it holds no frame token.
    pub fn parse(pattern: &Path) -> Option<FramePattern> {
        let name = pattern.file_name()?.to_str()?;
        let dir = pattern.parent().map(Path::to_path_buf).unwrap_or_default();
        let (start, end, padding) = find_token(name)?;
        Some(FramePattern {
            dir,
            prefix: name[..start].to_owned(),
            suffix: name[end..].to_owned(),
            padding,
        })
    }

    pub fn file_name(&self, frame: i64) -> String {
        let digits = if frame < 0 {
            format!("-{:0w$}", -frame, w = self.padding)
        } else {
            format!("{:0w$}", frame, w = self.padding)
        };
        format!("{}{}{}", self.prefix, digits, self.suffix)
    }

    pub fn path(&self, frame: i64) -> PathBuf {
        self.dir.join(self.file_name(frame))
    }

    /// The frame number a file name stands for, if it belongs to this pattern.
    pub fn frame_of(&self, name: &str) -> Option<i64> {
        let mid = name
            .strip_prefix(&self.prefix)?
            .strip_suffix(&self.suffix)?;
        let (neg, digits) = match mid.strip_prefix('-') {
            Some(d) => (true, d),
            None => (false, mid),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // Exactly the padded width, or wider without extra leading zeros: anything else
        // belongs to a differently padded sequence sharing the folder.
        let ok = digits.len() == self.padding.max(1)
            || (digits.len() > self.padding && !digits.starts_with('0'))
            || (self.padding <= 1 && digits == "0");
        if !ok {
            return None;
        }
        let n: i64 = digits.parse().ok()?;
        Some(if neg { -n } else { n })
    }
}

/// Byte range of the frame token in a file name and its padding.
fn find_token(name: &str) -> Option<(usize, usize, usize)> {
    let b = name.as_bytes();
    // printf style: %d or %0Nd
    if let Some(i) = name.find('%') {
        let rest = &name[i + 1..];
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        if rest[digits.len()..].starts_with('d') {
            let padding = if digits.is_empty() {
                0
            } else {
                digits.parse().ok()?
            };
            return Some((i, i + 1 + digits.len() + 1, padding));
        }
    }
    for token in [b'#', b'@'] {
        if let Some(i) = b.iter().position(|&c| c == token) {
            let n = b[i..].iter().take_while(|&&c| c == token).count();
            let padding = match (token, n) {
                (b'#', 1) => 4,
                (b'@', 1) => 0,
                (_, n) => n,
            };
            return Some((i, i + n, padding));
        }
    }
    None
}

/// A frame sequence on disk: `name.%04d.exr`, `name.####.exr`, `name.@.exr`, or one file.
#[derive(Clone, Debug)]
pub struct Sequence {
    /// The pattern as given.
    pub pattern: String,
    /// Frame numbers found, ascending.
    pub frames: Vec<i64>,
}

impl Sequence {
    /// Find the frames of `pattern` on disk (without reading pixels). A plain file path is a
    /// one-frame sequence whose frame number is the trailing number in its name (else 0).
    pub fn discover(pattern: &Path) -> anyhow::Result<Sequence> {
        Ok(discover(pattern)?)
    }

    /// The file of frame `n`.
    pub fn path(&self, n: i64) -> PathBuf {
        match FramePattern::parse(Path::new(&self.pattern)) {
            Some(p) => p.path(n),
            None => PathBuf::from(&self.pattern),
        }
    }

    /// Missing frame numbers between the first and the last.
    pub fn gaps(&self) -> Vec<i64> {
        let mut gaps = Vec::new();
        for w in self.frames.windows(2) {
            gaps.extend(w[0] + 1..w[1]);
        }
        gaps
    }

    /// True when the pattern names one file rather than a numbered sequence.
    pub fn is_single_file(&self) -> bool {
        FramePattern::parse(Path::new(&self.pattern)).is_none()
    }

    pub fn first(&self) -> Option<i64> {
        self.frames.first().copied()
    }

    pub fn last(&self) -> Option<i64> {
        self.frames.last().copied()
    }

    /// Gaps collapsed into ranges, for humans: `[(12, 14), (20, 20)]`.
    pub fn gap_ranges(&self) -> Vec<(i64, i64)> {
        self.frames
            .windows(2)
            .filter(|w| w[1] > w[0] + 1)
            .map(|w| (w[0] + 1, w[1] - 1))
            .collect()
    }

    /// Read frame `n` as stored; errors name the frame.
    pub fn read(&self, n: i64) -> anyhow::Result<super::Decoded> {
        super::read_media(&self.path(n)).map_err(|e| e.in_frame(n).into())
    }

    /// Read frame `n` as scene-linear Rec.709; errors name the frame.
    pub fn read_linear(
        &self,
        n: i64,
        assume: Option<crate::color::Colorspace>,
    ) -> anyhow::Result<super::Image> {
        super::read_linear(&self.path(n), assume).map_err(|e| match e.downcast::<MediaError>() {
            Ok(m) => m.in_frame(n).into(),
            Err(e) => e.context(format!("frame {n}")),
        })
    }

    /// Check every frame has the size of the first, reading headers only.
    pub fn check_sizes(&self) -> anyhow::Result<(usize, usize)> {
        let first = self.first().ok_or_else(|| MediaError::Pattern {
            pattern: self.pattern.clone(),
            detail: "no frames".into(),
        })?;
        let info = super::info::probe(&self.path(first)).map_err(|e| e.in_frame(first))?;
        for &n in &self.frames[1..] {
            let p = self.path(n);
            let i = super::info::probe(&p).map_err(|e| e.in_frame(n))?;
            if (i.width, i.height) != (info.width, info.height) {
                return Err(MediaError::SizeMismatch {
                    path: p,
                    frame: n,
                    first,
                    want_w: info.width,
                    want_h: info.height,
                    got_w: i.width,
                    got_h: i.height,
                }
                .into());
            }
        }
        Ok((info.width, info.height))
    }
}

fn discover(pattern: &Path) -> Result<Sequence> {
    let text = pattern.to_string_lossy().into_owned();
    let Some(fp) = FramePattern::parse(pattern) else {
        if !pattern.is_file() {
            return Err(MediaError::io(
                pattern,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            ));
        }
        let frame = trailing_number(pattern).unwrap_or(0);
        return Ok(Sequence {
            pattern: text,
            frames: vec![frame],
        });
    };
    let dir = if fp.dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        fp.dir.as_path()
    };
    let entries = std::fs::read_dir(dir).map_err(|e| MediaError::io(dir, e))?;
    let mut frames = Vec::new();
    let mut near_misses = 0usize;
    for entry in entries {
        let entry = entry.map_err(|e| MediaError::io(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        match fp.frame_of(name) {
            Some(n) => frames.push(n),
            None if name.starts_with(&fp.prefix) && name.ends_with(&fp.suffix) => near_misses += 1,
            None => {}
        }
    }
    frames.sort_unstable();
    frames.dedup();
    if frames.is_empty() {
        let hint = if near_misses > 0 {
            format!(
                "no files match, but {near_misses} file(s) share its prefix and suffix with a different \
                 zero-padding (try name.####.ext for 4 digits, name.@.ext for unpadded)"
            )
        } else {
            format!("no files match in {}", dir.display())
        };
        return Err(MediaError::Pattern {
            pattern: text,
            detail: hint,
        });
    }
    Ok(Sequence {
        pattern: text,
        frames,
    })
}

/// `shot.1001.exr` → 1001.
fn trailing_number(path: &Path) -> Option<i64> {
    let stem = path.file_stem()?.to_str()?;
    let digits: String = stem
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    if digits.is_empty() {
        return None;
    }
    digits.chars().rev().collect::<String>().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(s: &str) -> FramePattern {
        FramePattern::parse(Path::new(s)).unwrap()
    }

    #[test]
    fn tokens_parse_with_their_padding() {
        assert_eq!(fp("a/b.%04d.exr").padding, 4);
        assert_eq!(fp("b.%d.exr").padding, 0);
        assert_eq!(fp("b.####.exr").padding, 4);
        assert_eq!(fp("b.######.exr").padding, 6);
        assert_eq!(fp("b.#.exr").padding, 4);
        assert_eq!(fp("b.@.exr").padding, 0);
        assert_eq!(fp("b.@@@.exr").padding, 3);
        assert_eq!(fp("dir/b.####.exr").prefix, "b.");
        assert!(FramePattern::parse(Path::new("b.0001.exr")).is_none());
    }

    #[test]
    fn names_format_and_parse_back() {
        let p = fp("s/shot.%04d.exr");
        assert_eq!(p.path(7), PathBuf::from("s/shot.0007.exr"));
        assert_eq!(p.file_name(12345), "shot.12345.exr");
        assert_eq!(p.frame_of("shot.0007.exr"), Some(7));
        assert_eq!(p.frame_of("shot.12345.exr"), Some(12345));
        assert_eq!(p.frame_of("shot.007.exr"), None);
        assert_eq!(p.frame_of("shot.00007.exr"), None);
        assert_eq!(p.frame_of("shot.0007.exr.tmp"), None);
        let u = fp("shot.@.exr");
        assert_eq!(u.frame_of("shot.7.exr"), Some(7));
        assert_eq!(u.frame_of("shot.0.exr"), Some(0));
        assert_eq!(u.frame_of("shot.07.exr"), None);
    }

    #[test]
    fn gaps_and_ranges() {
        let s = Sequence {
            pattern: "x.####.exr".into(),
            frames: vec![1, 2, 5, 6, 8],
        };
        assert_eq!(s.gaps(), vec![3, 4, 7]);
        assert_eq!(s.gap_ranges(), vec![(3, 4), (7, 7)]);
    }
}
