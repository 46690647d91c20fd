//! Round trips through every writer and the error paths of every reader.

use std::path::Path;
use tinct::color::Colorspace;
use tinct::media::{self, Image, MediaError, Sequence, WriteOptions};

/// A ramp with colour, highlights above 1 and a touch of negative (legal in scene-linear).
fn test_image(w: usize, h: usize, channels: usize) -> Image {
    let mut img = Image::new(w, h, channels);
    for y in 0..h {
        for x in 0..w {
            let p = img.pixel_mut(x, y);
            let u = x as f32 / w as f32;
            let v = y as f32 / h as f32;
            let vals = [u * 4.0 - 0.01, v, 0.5 * u * v + 0.02, 1.0 - u];
            p.copy_from_slice(&vals[..channels.min(4)]);
        }
    }
    img
}

fn opts(cs: Colorspace, half: bool, compression: &str, bits: u8) -> WriteOptions {
    WriteOptions {
        colorspace: cs,
        half,
        compression: compression.into(),
        bits,
    }
}

fn max_abs_diff(a: &Image, b: &Image) -> f32 {
    assert_eq!(
        (a.width, a.height, a.channels),
        (b.width, b.height, b.channels)
    );
    a.data
        .iter()
        .zip(&b.data)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn max_rel_diff(a: &Image, b: &Image) -> f32 {
    a.data
        .iter()
        .zip(&b.data)
        .map(|(x, y)| (x - y).abs() / x.abs().max(1e-2))
        .fold(0.0, f32::max)
}

fn media_err(e: anyhow::Error) -> MediaError {
    match e.downcast::<MediaError>() {
        Ok(m) => m,
        Err(e) => panic!("expected a MediaError, got {e:#}"),
    }
}

#[test]
fn exr_float_round_trips_exactly_for_every_compression() {
    let dir = tempfile::tempdir().unwrap();
    for ch in [1, 3, 4] {
        let img = test_image(67, 33, ch);
        for comp in ["none", "zip", "zips", "piz", "rle"] {
            let p = dir.path().join(format!("f_{ch}_{comp}.exr"));
            media::write(&p, &img, &opts(Colorspace::LinearRec709, false, comp, 16)).unwrap();
            let d = media::read(&p).unwrap();
            assert_eq!(d.colorspace, Colorspace::LinearRec709);
            assert_eq!(max_abs_diff(&d.image, &img), 0.0, "{comp} {ch}ch");
            let info = media::probe(&p).unwrap();
            assert_eq!((info.width, info.height, info.channels.len()), (67, 33, ch));
            assert_eq!(info.pixel_type, media::PixelType::Float);
        }
    }
}

#[test]
fn exr_half_round_trips_within_half_precision() {
    let dir = tempfile::tempdir().unwrap();
    let img = test_image(64, 40, 3);
    for comp in ["zip", "piz", "none"] {
        let p = dir.path().join(format!("h_{comp}.exr"));
        media::write(&p, &img, &opts(Colorspace::LinearRec709, true, comp, 16)).unwrap();
        let back = media::read_linear(&p, None).unwrap();
        assert!(
            max_rel_diff(&img, &back) < 1e-3,
            "{comp}: {}",
            max_rel_diff(&img, &back)
        );
        assert_eq!(media::probe(&p).unwrap().pixel_type, media::PixelType::Half);
        assert_eq!(media::probe(&p).unwrap().compression, comp);
    }
}

#[test]
fn exr_half_clamps_highlights_instead_of_writing_inf() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("hot.exr");
    let img = Image::from_vec(1, 1, 3, vec![1.0e6, 1.0, -1.0e6]);
    media::write(&p, &img, &WriteOptions::default()).unwrap();
    let back = media::read(&p).unwrap().image;
    assert_eq!(back.data, vec![65504.0, 1.0, -65504.0]);
}

#[test]
fn exr_declares_acescg_and_reads_it_back_as_linear_rec709() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ap1.exr");
    let img = test_image(16, 8, 3);
    media::write(&p, &img, &opts(Colorspace::AcesCg, false, "zip", 16)).unwrap();
    let d = media::read(&p).unwrap();
    assert_eq!(d.colorspace, Colorspace::AcesCg);
    // The stored numbers are AP1, not Rec.709: a saturated red must differ...
    assert!(max_abs_diff(&d.image, &img) > 1e-3);
    // ...and the linear read undoes it.
    let lin = media::read_linear(&p, None).unwrap();
    assert!(
        max_rel_diff(&img, &lin) < 1e-3,
        "{}",
        max_rel_diff(&img, &lin)
    );
}

#[test]
fn png_and_tiff_integer_round_trip_through_srgb() {
    let dir = tempfile::tempdir().unwrap();
    // Display-referred range only: integer formats clip to 0..1.
    let img = Image::from_fn_rgb(50, 20, |x, y| [x as f32 / 49.0, y as f32 / 19.0, 0.18]);
    for (ext, bits, tol) in [
        ("png", 8, 4e-3),
        ("png", 16, 5e-5),
        ("tif", 8, 4e-3),
        ("tiff", 16, 5e-5),
    ] {
        let p = dir.path().join(format!("i{bits}.{ext}"));
        media::write(&p, &img, &opts(Colorspace::Srgb, false, "", bits)).unwrap();
        let d = media::read(&p).unwrap();
        assert_eq!(d.colorspace, Colorspace::Srgb, "{ext}");
        let back = media::read_linear(&p, None).unwrap();
        // Compare in the encoded domain where quantisation is uniform.
        let enc = |i: &Image| {
            let mut e = i.clone();
            tinct::color::convert_image(&mut e, Colorspace::LinearRec709, Colorspace::Srgb);
            e
        };
        let err = max_abs_diff(&enc(&img), &enc(&back));
        assert!(err < tol, "{ext} {bits}: {err}");
        let info = media::probe(&p).unwrap();
        let want = if bits == 8 {
            media::PixelType::UInt8
        } else {
            media::PixelType::UInt16
        };
        assert_eq!(info.pixel_type, want, "{ext}");
    }
}

#[test]
fn float_tiff_is_linear_and_exact() {
    let dir = tempfile::tempdir().unwrap();
    let img = test_image(31, 17, 3);
    let p = dir.path().join("f.tif");
    media::write(&p, &img, &opts(Colorspace::LinearRec709, false, "", 32)).unwrap();
    let d = media::read(&p).unwrap();
    assert_eq!(d.colorspace, Colorspace::LinearRec709);
    assert_eq!(max_abs_diff(&d.image, &img), 0.0);
}

#[test]
fn luma_png_reads_as_one_channel() {
    let dir = tempfile::tempdir().unwrap();
    let img = Image::from_vec(3, 1, 1, vec![0.0, 0.5, 1.0]);
    let p = dir.path().join("y.png");
    media::write(&p, &img, &opts(Colorspace::Srgb, false, "", 16)).unwrap();
    let back = media::read_linear(&p, None).unwrap();
    assert_eq!(back.channels, 1);
    assert!((back.data[1] - 0.5).abs() < 1e-3, "{:?}", back.data);
}

#[test]
fn jpeg_reads_as_srgb() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("grey.jpg");
    let buf = image::RgbImage::from_pixel(16, 16, image::Rgb([128, 128, 128]));
    buf.save(&p).unwrap();
    let d = media::read(&p).unwrap();
    assert_eq!(d.colorspace, Colorspace::Srgb);
    assert_eq!((d.image.width, d.image.channels), (16, 3));
    assert!((d.image.data[0] - 128.0 / 255.0).abs() < 2.0 / 255.0);
    let e = media_err(media::write(&p, &d.image, &WriteOptions::default()).unwrap_err());
    assert!(matches!(e, MediaError::CannotWrite { .. }), "{e}");
}

#[test]
fn wrong_magic_and_truncation_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    for ext in ["exr", "png", "tif", "jpg"] {
        let p = dir.path().join(format!("liar.{ext}"));
        std::fs::write(&p, b"GIF89a this is not what the name says").unwrap();
        let e = media_err(media::read(&p).unwrap_err());
        assert!(matches!(e, MediaError::BadMagic { .. }), "{ext}: {e}");
        assert!(e.to_string().contains("liar."), "{e}");
    }
    let img = test_image(64, 64, 3);
    for (name, o) in [
        ("cut.exr", opts(Colorspace::LinearRec709, false, "zip", 16)),
        ("cut.png", opts(Colorspace::Srgb, false, "", 16)),
        ("cut.tif", opts(Colorspace::Srgb, false, "", 16)),
    ] {
        let p = dir.path().join(name);
        media::write(&p, &img, &o).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() * 2 / 3]).unwrap();
        let e = media::read(&p).expect_err(name);
        let text = format!("{e:#}");
        assert!(text.contains(name), "{text}");
        let e = media_err(e);
        assert!(
            matches!(e, MediaError::Truncated { .. } | MediaError::Corrupt { .. }),
            "{name}: {e}"
        );
    }
}

#[test]
fn non_finite_pixels_are_refused_on_write_and_on_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut img = test_image(8, 8, 3);
    img.pixel_mut(5, 2)[1] = f32::NAN;
    let p = dir.path().join("nan.exr");
    let e = media_err(media::write(&p, &img, &WriteOptions::default()).unwrap_err());
    assert!(
        matches!(
            e,
            MediaError::NonFinite {
                x: 5,
                y: 2,
                channel: 1,
                ..
            }
        ),
        "{e}"
    );
    assert!(!p.exists(), "nothing may be left behind");

    // A NaN written by another tool is caught on read.
    write_nan_exr_with_exr_crate(&p);
    let e = media_err(media::read(&p).unwrap_err());
    assert!(matches!(e, MediaError::NonFinite { .. }), "{e}");
    assert!(e.to_string().contains("nan.exr"));
}

fn write_nan_exr_with_exr_crate(p: &Path) {
    use exr::prelude::*;
    let img = exr::prelude::Image::from_channels(
        (2, 1),
        SpecificChannels::rgb(|pos: Vec2<usize>| {
            if pos.x() == 1 {
                (f32::NAN, 0.0, 0.0)
            } else {
                (0.0, 0.0, 0.0)
            }
        }),
    );
    img.write().to_file(p).unwrap();
}

#[test]
fn unknown_extension_is_a_clear_error() {
    let e = media_err(media::read(Path::new("/tmp/whatever.gif")).unwrap_err());
    assert!(matches!(e, MediaError::UnknownFormat { .. }), "{e}");
}

#[test]
fn sequences_are_discovered_with_gaps_without_reading_pixels() {
    let dir = tempfile::tempdir().unwrap();
    for f in [1001, 1002, 1003, 1006, 1007, 1010] {
        // Not valid EXRs: discovery must not open them.
        std::fs::write(dir.path().join(format!("shot.{f:04}.exr")), b"x").unwrap();
    }
    std::fs::write(dir.path().join("shot.1004.exr.tmp"), b"x").unwrap();
    std::fs::write(dir.path().join("shot.12.exr"), b"x").unwrap();
    for pat in ["shot.%04d.exr", "shot.####.exr", "shot.@@@@.exr"] {
        let s = Sequence::discover(&dir.path().join(pat)).unwrap();
        assert_eq!(s.frames, vec![1001, 1002, 1003, 1006, 1007, 1010], "{pat}");
        assert_eq!(s.gaps(), vec![1004, 1005, 1008, 1009]);
        assert_eq!(s.path(1006), dir.path().join("shot.1006.exr"));
    }
    let s = Sequence::discover(&dir.path().join("shot.@.exr")).unwrap();
    assert_eq!(s.frames, vec![12, 1001, 1002, 1003, 1006, 1007, 1010]);

    let e = Sequence::discover(&dir.path().join("other.####.exr")).unwrap_err();
    assert!(e.to_string().contains("other.####.exr"), "{e}");
}

#[test]
fn size_mismatch_inside_a_sequence_names_the_frame() {
    let dir = tempfile::tempdir().unwrap();
    for (f, w) in [(1, 16), (2, 16), (3, 12)] {
        let p = dir.path().join(format!("s.{f:04}.exr"));
        media::write(&p, &test_image(w, 8, 3), &WriteOptions::default()).unwrap();
    }
    let s = Sequence::discover(&dir.path().join("s.####.exr")).unwrap();
    let e = media_err(s.check_sizes().unwrap_err());
    let text = e.to_string();
    assert!(
        matches!(e, MediaError::SizeMismatch { frame: 3, .. }),
        "{text}"
    );
    assert!(
        text.contains("s.0003.exr") && text.contains("12x8") && text.contains("16x8"),
        "{text}"
    );
}

#[test]
fn writers_leave_no_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let img = test_image(8, 8, 3);
    media::write(&dir.path().join("a.exr"), &img, &WriteOptions::default()).unwrap();
    media::write(
        &dir.path().join("a.png"),
        &img,
        &opts(Colorspace::Srgb, false, "", 8),
    )
    .unwrap();
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}
