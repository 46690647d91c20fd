//! Colourspace matrices and conversions checked against published numbers.

use tinct::color::matrix::{Mat3, bradford, rgb_to_rgb, rgb_to_xyz};
use tinct::color::primaries::{self, white};
use tinct::color::{
    Colorspace, Conversion, convert_image, from_linear, matrix_to_rec709, to_linear,
};
use tinct::media::Image;

fn assert_mat(name: &str, got: Mat3, want: [[f64; 3]; 3], tol: f64) {
    let d = got.max_abs_diff(&Mat3(want));
    assert!(
        d <= tol,
        "{name}: off by {d:e}\n got  {:?}\n want {want:?}",
        got.0
    );
}

#[test]
fn rec709_to_xyz_matches_iec_61966_2_1() {
    // IEC 61966-2-1 / ITU-R BT.709 normalised primary matrix (derived at full precision).
    assert_mat(
        "Rec.709→XYZ",
        rgb_to_xyz(&primaries::REC709),
        [
            [0.4123908, 0.3575843, 0.1804808],
            [0.2126390, 0.7151687, 0.0721923],
            [0.0193308, 0.1191948, 0.9505322],
        ],
        1e-6,
    );
}

#[test]
fn rec2020_to_xyz_matches_bt2087() {
    assert_mat(
        "Rec.2020→XYZ",
        rgb_to_xyz(&primaries::REC2020),
        [
            [0.6369580, 0.1446169, 0.1688810],
            [0.2627002, 0.6779981, 0.0593017],
            [0.0, 0.0280727, 1.0609851],
        ],
        1e-6,
    );
}

#[test]
fn p3_d65_and_dci_to_xyz_match_smpte_eg_432_1() {
    assert_mat(
        "P3-D65→XYZ",
        rgb_to_xyz(&primaries::P3_D65),
        [
            [0.4865709, 0.2656677, 0.1982173],
            [0.2289746, 0.6917385, 0.0792869],
            [0.0, 0.0451134, 1.0439444],
        ],
        1e-6,
    );
    assert_mat(
        "P3-DCI→XYZ",
        rgb_to_xyz(&primaries::P3_DCI),
        [
            [0.4451698, 0.2771344, 0.1722827],
            [0.2094917, 0.7215953, 0.0689131],
            [0.0, 0.0470606, 0.9073554],
        ],
        1e-6,
    );
}

#[test]
fn ap0_and_ap1_to_xyz_match_the_aces_specs() {
    // SMPTE ST 2065-1 and S-2014-004.
    assert_mat(
        "AP0→XYZ",
        rgb_to_xyz(&primaries::AP0),
        [
            [0.9525523959, 0.0, 0.0000936786],
            [0.3439664498, 0.7281660966, -0.0721325464],
            [0.0, 0.0, 1.0088251844],
        ],
        1e-9,
    );
    assert_mat(
        "AP1→XYZ",
        rgb_to_xyz(&primaries::AP1),
        [
            [0.6624541811, 0.1340042065, 0.1561876870],
            [0.2722287168, 0.6740817658, 0.0536895174],
            [-0.0055746495, 0.0040607335, 1.0103391003],
        ],
        1e-9,
    );
}

#[test]
fn bradford_d65_to_d50_matches_lindbloom() {
    // Lindbloom's table is built from the XYZ whites (0.95047, 1, 1.08883) → (0.96422, 1, 0.82521).
    let xy = |x: f64, z: f64| [x / (x + 1.0 + z), 1.0 / (x + 1.0 + z)];
    assert_mat(
        "Bradford D65→D50",
        bradford(xy(0.95047, 1.08883), xy(0.96422, 0.82521)),
        [
            [1.0478112, 0.0228866, -0.0501270],
            [0.0295424, 0.9904844, -0.0170491],
            [-0.0092345, 0.0150436, 0.7521316],
        ],
        1e-6,
    );
    assert_eq!(bradford(white::D65, white::D65), Mat3::IDENTITY);
}

#[test]
fn aces_to_rec709_matches_the_aces_and_ocio_reference_matrices() {
    // ACES 1.x OCIO config ("ACES2065-1 → Linear Rec.709 (sRGB)", Bradford CAT).
    assert_mat(
        "AP0→Rec.709",
        matrix_to_rec709(Colorspace::Aces2065_1),
        [
            [2.52168619, -1.13413099, -0.38755520],
            [-0.27647991, 1.37271909, -0.09623917],
            [-0.01537806, -0.15297534, 1.16835340],
        ],
        1e-5,
    );
    assert_mat(
        "AP1→Rec.709",
        matrix_to_rec709(Colorspace::AcesCg),
        [
            [1.70505099, -0.62179212, -0.08325887],
            [-0.13025642, 1.14080474, -0.01054832],
            [-0.02400336, -0.12896888, 1.15297224],
        ],
        1e-5,
    );
}

#[test]
fn white_maps_to_white_in_every_space() {
    // Chromatic adaptation means equal-energy RGB (the space's white) lands on D65 white.
    for cs in Colorspace::ALL {
        let m = matrix_to_rec709(cs);
        let w = m.apply([1.0, 1.0, 1.0]);
        for c in w {
            assert!((c - 1.0).abs() < 1e-9, "{cs}: white → {w:?}");
        }
    }
}

#[test]
fn every_space_round_trips_through_linear() {
    let samples = [
        [0.18f32, 0.18, 0.18],
        [0.9, 0.2, 0.05],
        [0.01, 0.4, 0.7],
        [1.0, 1.0, 1.0],
        [0.3, 0.6, 0.1],
    ];
    for cs in Colorspace::ALL {
        for s in samples {
            let enc = from_linear(cs, s);
            let back = to_linear(cs, enc);
            for c in 0..3 {
                assert!(
                    (back[c] - s[c]).abs() < 2e-5,
                    "{cs}: {s:?} → {enc:?} → {back:?}"
                );
            }
        }
    }
}

#[test]
fn srgb_known_values() {
    let lin = to_linear(Colorspace::Srgb, [0.5, 1.0, 0.0]);
    assert!(
        (lin[0] - 0.214_041_14).abs() < 1e-6 && lin[1] == 1.0 && lin[2] == 0.0,
        "{lin:?}"
    );
    // 8-bit 128 → 0.2158605 linear.
    let v = to_linear(Colorspace::Srgb, [128.0 / 255.0; 3])[0];
    assert!((v - 0.215_860_5).abs() < 1e-6, "{v}");
}

#[test]
fn cineon_black_and_white_codes() {
    let black = to_linear(Colorspace::Cineon, [95.0 / 1023.0; 3]);
    let white = to_linear(Colorspace::Cineon, [685.0 / 1023.0; 3]);
    assert!(black.iter().all(|v| v.abs() < 1e-6), "{black:?}");
    assert!(white.iter().all(|v| (v - 1.0).abs() < 1e-5), "{white:?}");
}

#[test]
fn rec709_red_in_p3_d65_matches_published_values() {
    // Pure Rec.709 red, linear, in linear P3-D65: (0.8225, 0.0332, 0.0171) (SMPTE EG 432-1 math).
    let m = tinct::color::matrix_from_rec709(Colorspace::P3D65);
    let r = m.apply([1.0, 0.0, 0.0]);
    let want = [0.822_461_9, 0.033_194_2, 0.017_082_7];
    for c in 0..3 {
        assert!((r[c] - want[c]).abs() < 1e-6, "{r:?}");
    }
}

#[test]
fn convert_image_equals_per_pixel_conversion_and_keeps_alpha() {
    // Large enough to take the parallel path.
    let (w, h) = (300, 260);
    let data: Vec<f32> = (0..w * h)
        .flat_map(|i| {
            [
                (i % 97) as f32 / 96.0,
                (i % 31) as f32 / 30.0,
                (i % 7) as f32 / 6.0,
                0.5,
            ]
        })
        .collect();
    let mut img = Image::from_vec(w, h, 4, data.clone());
    convert_image(&mut img, Colorspace::AcesCct, Colorspace::DisplayP3);
    let conv = Conversion::new(Colorspace::AcesCct, Colorspace::DisplayP3);
    for (got, src) in img.data.chunks_exact(4).zip(data.chunks_exact(4)) {
        let want = conv.apply([src[0], src[1], src[2]]);
        assert_eq!(&got[..3], &want);
        assert_eq!(got[3], 0.5);
    }
    let via_linear = from_linear(
        Colorspace::DisplayP3,
        to_linear(Colorspace::AcesCct, [data[4], data[5], data[6]]),
    );
    for c in 0..3 {
        assert!((img.data[4 + c] - via_linear[c]).abs() < 1e-5);
    }
}

#[test]
fn rgb_to_rgb_is_identity_for_equal_chromaticities() {
    assert_eq!(
        rgb_to_rgb(&primaries::REC709, &primaries::REC709),
        Mat3::IDENTITY
    );
}
