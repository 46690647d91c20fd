//! Resolve/IRIDAS `.cube` 3D LUT files: `LUT_3D_SIZE`, `DOMAIN_MIN`/`DOMAIN_MAX` (or IRIDAS'
//! `LUT_3D_INPUT_RANGE`), one `R G B` line per node with red changing fastest.

use super::Lut3d;
use crate::fsx;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum CubeError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {msg}")]
    Syntax {
        path: PathBuf,
        line: usize,
        msg: String,
    },
    #[error("{path}: {msg}")]
    Content { path: PathBuf, msg: String },
}

/// Serialise a LUT as `.cube` text.
pub fn to_string(lut: &Lut3d, title: &str, comments: &[String]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "TITLE \"{}\"", title.replace('"', "'"));
    for c in comments {
        for line in c.lines() {
            let _ = writeln!(s, "# {line}");
        }
    }
    let _ = writeln!(s, "LUT_3D_SIZE {}", lut.size);
    let [a, b, c] = lut.domain_min;
    let _ = writeln!(s, "DOMAIN_MIN {a:.6} {b:.6} {c:.6}");
    let [a, b, c] = lut.domain_max;
    let _ = writeln!(s, "DOMAIN_MAX {a:.6} {b:.6} {c:.6}");
    for v in &lut.data {
        let _ = writeln!(s, "{:.7} {:.7} {:.7}", v[0], v[1], v[2]);
    }
    s
}

/// Write a `.cube` atomically.
pub fn write(path: &Path, lut: &Lut3d, title: &str, comments: &[String]) -> Result<(), CubeError> {
    fsx::write_atomic(path, to_string(lut, title, comments).as_bytes()).map_err(|e| CubeError::Io {
        path: e.path,
        source: e.source,
    })
}

/// Read a `.cube` file (3D LUTs only).
pub fn read(path: &Path) -> Result<Lut3d, CubeError> {
    let text = std::fs::read_to_string(path).map_err(|e| CubeError::Io {
        path: path.into(),
        source: e,
    })?;
    parse(&text, path)
}

/// Parse `.cube` text; `path` is only used in error messages.
pub fn parse(text: &str, path: &Path) -> Result<Lut3d, CubeError> {
    let syntax = |line: usize, msg: String| CubeError::Syntax {
        path: path.into(),
        line,
        msg,
    };
    let mut size = None;
    let mut dmin = [0f32; 3];
    let mut dmax = [1f32; 3];
    let mut data: Vec<[f32; 3]> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let ln = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let key = words.next().unwrap_or_default();
        let nums = |words: std::str::SplitWhitespace<'_>| -> Result<Vec<f32>, CubeError> {
            words
                .map(|w| {
                    w.parse::<f32>()
                        .map_err(|_| syntax(ln, format!("'{w}' is not a number")))
                })
                .collect()
        };
        match key {
            "TITLE" => {}
            "LUT_3D_SIZE" => {
                let n: usize = words
                    .next()
                    .and_then(|w| w.parse().ok())
                    .ok_or_else(|| syntax(ln, "LUT_3D_SIZE needs a number".into()))?;
                if !(2..=256).contains(&n) {
                    return Err(syntax(ln, format!("LUT_3D_SIZE {n} out of range 2..256")));
                }
                size = Some(n);
            }
            "LUT_1D_SIZE" => {
                return Err(syntax(
                    ln,
                    "1D LUTs are not supported (tinct reads 3D .cube LUTs)".into(),
                ));
            }
            "DOMAIN_MIN" | "DOMAIN_MAX" => {
                let v = nums(words)?;
                let v: [f32; 3] = v
                    .try_into()
                    .map_err(|_| syntax(ln, format!("{key} needs three numbers")))?;
                if key == "DOMAIN_MIN" {
                    dmin = v
                } else {
                    dmax = v
                }
            }
            "LUT_3D_INPUT_RANGE" => {
                let v = nums(words)?;
                let [lo, hi]: [f32; 2] = v
                    .try_into()
                    .map_err(|_| syntax(ln, "LUT_3D_INPUT_RANGE needs two numbers".into()))?;
                dmin = [lo; 3];
                dmax = [hi; 3];
            }
            k if k
                .starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.' || c == '+') =>
            {
                let v = nums(line.split_whitespace())?;
                let v: [f32; 3] = v
                    .try_into()
                    .map_err(|_| syntax(ln, "a LUT line needs three numbers".into()))?;
                data.push(v);
            }
            other => return Err(syntax(ln, format!("unknown keyword '{other}'"))),
        }
    }
    let size = size.ok_or_else(|| CubeError::Content {
        path: path.into(),
        msg: "no LUT_3D_SIZE line".into(),
    })?;
    if data.len() != size * size * size {
        return Err(CubeError::Content {
            path: path.into(),
            msg: format!(
                "LUT_3D_SIZE {size} needs {} entries, found {}",
                size * size * size,
                data.len()
            ),
        });
    }
    if (0..3).any(|c| dmax[c] <= dmin[c]) {
        return Err(CubeError::Content {
            path: path.into(),
            msg: format!("empty domain {dmin:?}..{dmax:?}"),
        });
    }
    Ok(Lut3d {
        size,
        domain_min: dmin,
        domain_max: dmax,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_values_and_axis_order() {
        let mut lut = Lut3d::identity(3);
        let red = lut.index(2, 0, 0);
        lut.data[red] = [0.9, 0.1, 0.05]; // pure red node
        let text = to_string(&lut, "t", &["made by a test".into()]);
        // Red changes fastest: the second data line is the node (1,0,0).
        let data_lines: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
            .collect();
        assert_eq!(data_lines[1], "0.5000000 0.0000000 0.0000000");
        let back = parse(&text, Path::new("t.cube")).unwrap();
        assert_eq!(back, lut);
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = parse("LUT_3D_SIZE 2\n0 0 0\n0 zero 0\n", Path::new("bad.cube"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("bad.cube:3:") && e.contains("zero"), "{e}");
        let e = parse("LUT_3D_SIZE 2\n0 0 0\n", Path::new("short.cube"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs 8 entries, found 1"), "{e}");
    }
}
