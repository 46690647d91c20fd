//! tinct's own EXR ZIP/ZIPS writer (`media::exr_io::zip_write`) against OpenImageIO, which reads
//! through the OpenEXR library: every file tinct writes must decode there to exactly the pixels
//! tinct meant (half: the same rounding), for half and float, RGB, RGBA and luma, heights that
//! are not a multiple of the 16-line block, and noise that does not compress (raw blocks).

mod peer_support;

use peer_support::{OIIO_READ, read_f32, run_python};
use tinct::color::Colorspace;
use tinct::media::{self, Image, WriteOptions};

/// Smooth gradients with a noisy band: blocks that compress and blocks that do not.
fn picture(w: usize, h: usize, nch: usize) -> Image {
    let mut img = Image::new(w, h, nch);
    let mut state = 0x9e3779b9u32;
    for y in 0..h {
        for x in 0..w {
            for c in 0..nch {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let smooth = (x as f32 / w as f32) * 0.7 + (c as f32) * 0.1 + y as f32 * 0.001;
                let noise = (state as f32 / u32::MAX as f32) * 40.0 - 10.0;
                img.data[(y * w + x) * nch + c] =
                    if (20..40).contains(&y) { noise } else { smooth };
            }
        }
    }
    img
}

#[test]
fn openimageio_reads_every_zip_file_tinct_writes_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let mut cases = 0;
    for compression in ["zip", "zips"] {
        for half in [true, false] {
            for (nch, names) in [(3, "R,G,B"), (4, "R,G,B,A"), (1, "Y")] {
                let (w, h) = (131, 57);
                let img = picture(w, h, nch);
                let path = tmp.path().join(format!("{compression}-{half}-{nch}.exr"));
                let opts = WriteOptions {
                    colorspace: Colorspace::LinearRec709,
                    half,
                    compression: compression.into(),
                    bits: 16,
                };
                media::write(&path, &img, &opts).unwrap();
                let meta = run_python(OIIO_READ, &[path.to_str().unwrap()]);
                let meta: serde_json::Value = serde_json::from_str(&meta).unwrap();
                assert_eq!(
                    (meta["w"].as_u64(), meta["h"].as_u64()),
                    (Some(131), Some(57))
                );
                let channels: Vec<&str> = meta["channels"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap())
                    .collect();
                assert_eq!(channels.join(","), names, "{}", path.display());
                let want_comp = if compression == "zip" { "zip" } else { "zips" };
                assert_eq!(meta["compression"].as_str(), Some(want_comp));

                let theirs = read_f32(&path.with_extension("exr.f32"));
                let ours = media::read(&path).unwrap().image.data;
                let meant: Vec<f32> = img
                    .data
                    .iter()
                    .map(|&v| {
                        if half {
                            half::f16::from_f32(v).to_f32()
                        } else {
                            v
                        }
                    })
                    .collect();
                assert_eq!(
                    ours,
                    meant,
                    "tinct reads back what it meant: {}",
                    path.display()
                );
                assert_eq!(
                    theirs,
                    meant,
                    "OpenImageIO reads the same pixels: {}",
                    path.display()
                );
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 12);
}
