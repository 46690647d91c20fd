//! Writing rendered frames the way the operator configured (`[infer]`): picture-area crop,
//! output colourspace, file format. Shared by the ML render and the MatchGrade baseline so both
//! deliver identical framing and encoding.

use crate::color::Colorspace;
use crate::media::{self, Image, WriteOptions};
use crate::project::config::{InferConfig, OutputFormat};
use anyhow::Context;
use std::path::{Path, PathBuf};

/// Resolved output settings.
#[derive(Clone, Debug)]
pub struct OutputSpec {
    pub colorspace: Colorspace,
    /// File extension without the dot: exr | dpx | tif.
    pub ext: &'static str,
    pub options: WriteOptions,
    pub crop: Option<[usize; 4]>,
}

impl OutputSpec {
    pub fn from_config(c: &InferConfig) -> anyhow::Result<OutputSpec> {
        let colorspace = c.colorspace;
        let ext = c.format.extension();
        let (half, bits) = match c.format {
            OutputFormat::Exr => (true, 16),
            OutputFormat::Dpx => (false, 10),
            OutputFormat::Tiff => (false, 16),
        };
        let crop = match c.crop.as_slice() {
            [] => None,
            [x, y, w, h] if *w > 0 && *h > 0 => Some([*x, *y, *w, *h]),
            other => anyhow::bail!(
                "config key infer.crop: expected [x, y, width, height], got {other:?}"
            ),
        };
        let options = WriteOptions {
            colorspace,
            half,
            compression: c.exr_compression.id().into(),
            bits,
        };
        Ok(OutputSpec {
            colorspace,
            ext,
            options,
            crop,
        })
    }

    /// `<dir>/<stem>.<frame:04>.<ext>`: file names carry the source frame number.
    pub fn frame_path(&self, dir: &Path, stem: &str, frame: i64) -> PathBuf {
        dir.join(format!("{stem}.{frame:04}.{}", self.ext))
    }

    /// Crop to the picture area (if configured) and write `img` (linear Rec.709) atomically.
    pub fn write(&self, path: &Path, img: &Image) -> anyhow::Result<()> {
        let cropped;
        let img = match self.crop {
            Some([x, y, w, h]) => {
                anyhow::ensure!(
                    x + w <= img.width && y + h <= img.height,
                    "config key infer.crop [{x}, {y}, {w}, {h}] lies outside the {}x{} frame",
                    img.width,
                    img.height
                );
                cropped = img.crop(x, y, w, h);
                &cropped
            }
            None => img,
        };
        media::write(path, img, &self.options)
            .with_context(|| format!("writing {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiff_is_written_as_tif() {
        let c = InferConfig {
            format: OutputFormat::Tiff,
            ..Default::default()
        };
        assert_eq!(OutputSpec::from_config(&c).unwrap().ext, "tif");
    }

    #[test]
    fn frame_names_carry_the_source_frame() {
        let s = OutputSpec::from_config(&InferConfig::default()).unwrap();
        assert_eq!(
            s.frame_path(Path::new("out"), "render", 1042),
            PathBuf::from("out/render.1042.exr")
        );
    }
}
