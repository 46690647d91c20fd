//! The demo's pictures, embedded in the binary: eight CC0 HDR panoramas by Greg Zaal (Poly Haven),
//! re-encoded by `convert.py` as 768x384 half-float ZIP OpenEXR (see `CREDITS.md`).

use crate::media::Image;
use anyhow::Context;
use std::io::Cursor;

/// One embedded panorama: equirectangular, scene-linear Rec.709, RGB.
#[derive(Clone, Copy, Debug)]
pub struct Panorama {
    pub name: &'static str,
    bytes: &'static [u8],
}

macro_rules! panorama {
    ($name:literal) => {
        Panorama {
            name: $name,
            bytes: include_bytes!(concat!($name, ".exr")),
        }
    };
}

/// Every embedded panorama, in a fixed order (the shot plan shuffles it by seed).
pub const PANORAMAS: [Panorama; 8] = [
    panorama!("city"),
    panorama!("courtyard"),
    panorama!("forest"),
    panorama!("interior"),
    panorama!("night"),
    panorama!("studio"),
    panorama!("sunrise"),
    panorama!("sunset"),
];

impl Panorama {
    /// Decode to a linear RGB image. The files are ours and were checked when embedded, so a
    /// failure here means a corrupted build; the error still names the panorama.
    pub fn decode(&self) -> anyhow::Result<Image> {
        use exr::prelude::{ReadChannels, ReadLayers};
        let image = exr::prelude::read()
            .no_deep_data()
            .largest_resolution_level()
            .rgb_channels(
                |res, _| Image::new(res.width(), res.height(), 3),
                |img: &mut Image, pos, (r, g, b): (f32, f32, f32)| {
                    img.pixel_mut(pos.x(), pos.y()).copy_from_slice(&[r, g, b]);
                },
            )
            .first_valid_layer()
            .all_attributes()
            .from_buffered(Cursor::new(self.bytes))
            .with_context(|| format!("embedded demo panorama '{}' cannot be decoded", self.name))?;
        Ok(image.layer_data.channel_data.pixels)
    }

    /// Compressed size in the binary.
    pub fn embedded_bytes(&self) -> usize {
        self.bytes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_panorama_decodes_to_finite_hdr_rgb() {
        for p in PANORAMAS {
            let img = p.decode().unwrap();
            assert_eq!(
                (img.width, img.height, img.channels),
                (768, 384, 3),
                "{}",
                p.name
            );
            assert!(img.find_non_finite().is_none(), "{}", p.name);
            assert!(
                img.data.iter().all(|&v| v >= 0.0),
                "{}: negative light",
                p.name
            );
            let max = img.data.iter().cloned().fold(0.0f32, f32::max);
            assert!(max > 1.0, "{}: not HDR (max {max})", p.name);
        }
    }
}
