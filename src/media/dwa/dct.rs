//! The lossy-DCT half of DWA: 8x8 inverse DCT in f32 on half-float coefficients, the Rec.709
//! Y'CbCr → R'G'B' matrix, and the table that undoes DWA's perceptual (gamma/log) encoding.
//! Constants and operation order follow the OpenEXR reference so results match it to the bit
//! wherever the platform's `cosf`/`powf` agree.

use half::f16;
use std::sync::OnceLock;

/// Row-major position → index into the zig-zag ordered coefficients (JPEG order).
pub const ZIGZAG: [usize; 64] = [
    0, 1, 5, 6, 14, 15, 27, 28, 2, 4, 7, 13, 16, 26, 29, 42, 3, 8, 12, 17, 25, 30, 41, 43, 9, 11,
    18, 24, 31, 40, 44, 53, 10, 19, 23, 32, 39, 45, 52, 54, 20, 22, 33, 38, 46, 51, 55, 60, 21, 34,
    37, 47, 50, 56, 59, 61, 35, 36, 48, 49, 57, 58, 62, 63,
];

/// Non-linear half → linear half: x^2.2 up to 1, e^(2.2(x-1)) above, sign preserved;
/// zero, infinities and NaNs decode to zero.
pub fn to_linear_table() -> &'static [u16] {
    static TABLE: OnceLock<Vec<u16>> = OnceLock::new();
    TABLE.get_or_init(|| (0..=u16::MAX).map(to_linear).collect())
}

fn to_linear(bits: u16) -> u16 {
    if bits == 0 || bits & 0x7c00 == 0x7c00 {
        return 0;
    }
    let f = f16::from_bits(bits).to_f32();
    let sign = if f < 0.0 { -1.0f32 } else { 1.0 };
    let f = f.abs();
    let z = if f <= 1.0 {
        f.powf(2.2)
    } else {
        9.02501329156f32.powf(f - 1.0)
    };
    f16::from_f32(sign * z).to_bits()
}

/// A block whose AC coefficients are all zero is flat: the reference scales its DC by
/// (1/(2√2))² instead of running the full transform, which rounds differently.
pub fn inverse_dc_only(block: &mut [f32; 64]) {
    let v = block[0] * 3.535536e-01f32 * 3.535536e-01f32;
    block.fill(v);
}

struct Coefs {
    a: f32,
    b: f32,
    c: f32,
    d: f32,
    e: f32,
    f: f32,
    g: f32,
}

fn coefs() -> &'static Coefs {
    static C: OnceLock<Coefs> = OnceLock::new();
    // The reference uses this truncated π; keep it so the transforms agree.
    const PI: f32 = 3.14159;
    C.get_or_init(|| Coefs {
        a: 0.5 * (PI / 4.0).cos(),
        b: 0.5 * (PI / 16.0).cos(),
        c: 0.5 * (PI / 8.0).cos(),
        d: 0.5 * (3.0 * PI / 16.0).cos(),
        e: 0.5 * (5.0 * PI / 16.0).cos(),
        f: 0.5 * (3.0 * PI / 8.0).cos(),
        g: 0.5 * (7.0 * PI / 16.0).cos(),
    })
}

/// One 8-point inverse DCT on `v[0], v[s], ..., v[7s]` in place.
#[inline]
fn idct8(v: &mut [f32; 64], base: usize, s: usize, k: &Coefs) {
    let x = |i: usize| v[base + i * s];
    let alpha = [k.c * x(2), k.f * x(2), k.c * x(6), k.f * x(6)];
    let beta = [
        k.b * x(1) + k.d * x(3) + k.e * x(5) + k.g * x(7),
        k.d * x(1) - k.g * x(3) - k.b * x(5) - k.e * x(7),
        k.e * x(1) - k.b * x(3) + k.g * x(5) + k.d * x(7),
        k.g * x(1) - k.e * x(3) + k.d * x(5) - k.b * x(7),
    ];
    let theta0 = k.a * (x(0) + x(4));
    let theta3 = k.a * (x(0) - x(4));
    let theta1 = alpha[0] + alpha[3];
    let theta2 = alpha[1] - alpha[2];
    let gamma = [
        theta0 + theta1,
        theta3 + theta2,
        theta3 - theta2,
        theta0 - theta1,
    ];
    let out = [
        gamma[0] + beta[0],
        gamma[1] + beta[1],
        gamma[2] + beta[2],
        gamma[3] + beta[3],
        gamma[3] - beta[3],
        gamma[2] - beta[2],
        gamma[1] - beta[1],
        gamma[0] - beta[0],
    ];
    for (i, o) in out.into_iter().enumerate() {
        v[base + i * s] = o;
    }
}

/// Full separable 8x8 inverse DCT (rows, then columns), row-major block.
pub fn inverse(block: &mut [f32; 64]) {
    let k = coefs();
    for row in 0..8 {
        idct8(block, row * 8, 1, k);
    }
    for col in 0..8 {
        idct8(block, col, 8, k);
    }
}

/// Y'CbCr → R'G'B' (Rec.709 primaries, no offsets), in place.
pub fn csc709_inverse(y: &mut [f32; 64], cb: &mut [f32; 64], cr: &mut [f32; 64]) {
    for i in 0..64 {
        let (s0, s1, s2) = (y[i], cb[i], cr[i]);
        y[i] = s0 + 1.5747 * s2;
        cb[i] = s0 - 0.1873 * s1 - 0.4682 * s2;
        cr[i] = s0 + 1.8556 * s1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_block_inverse_matches_dc_only_closely() {
        let mut full = [0f32; 64];
        full[0] = 8.0;
        let mut flat = full;
        inverse(&mut full);
        inverse_dc_only(&mut flat);
        for (a, b) in full.iter().zip(flat.iter()) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
        assert!((flat[0] - 1.0).abs() < 1e-4);
    }

    #[test]
    fn to_linear_inverts_gamma_below_one_and_log_above() {
        let t = to_linear_table();
        let half_bits = |x: f32| f16::from_f32(x).to_bits();
        let lin = |x: f32| f16::from_bits(t[half_bits(x) as usize]).to_f32();
        assert!((lin(0.5) - 0.5f32.powf(2.2)).abs() < 1e-3);
        assert!((lin(2.0) - (2.2f32).exp()).abs() < 1e-2);
        assert_eq!(lin(-0.5), -lin(0.5));
        assert_eq!(t[0x7c00], 0);
    }
}
