//! Deterministic randomness for the demo: the same seed makes the same project, byte for byte, on
//! every machine and with any number of threads.
//!
//! A small local generator (SplitMix64) rather than `rand`'s `StdRng`, whose stream may change
//! between crate versions; grain uses a stateless hash of (frame, pixel, channel) so threads can
//! render pixels in any order.

/// Sequential generator for the plan (shots, pans, fields).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x7469_6e63_745f_6465) // "tinct_de": seed 0 still gives a lively stream
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// +1 or -1 with equal odds.
    pub fn sign(&mut self) -> f64 {
        if self.next_u64() & 1 == 0 { 1.0 } else { -1.0 }
    }

    /// A random permutation of `0..n` (Fisher-Yates).
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            p.swap(i, j);
        }
        p
    }
}

/// SplitMix64 finaliser: a good 64-bit avalanche.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A key for one stream of stateless noise (e.g. the grain of one frame).
pub fn stream_key(seed: u64, stream: u64, frame: i64) -> u64 {
    mix(mix(seed ^ mix(stream)) ^ frame as u64)
}

/// Standard normal sample number `index` of the stream `key` (Box-Muller on two hashed uniforms).
pub fn gaussian_at(key: u64, index: u64) -> f32 {
    let h = mix(key ^ index.wrapping_mul(0xD6E8_FEB8_6659_FD93));
    let u1 = ((h >> 40) as f64 + 0.5) / (1u64 << 24) as f64; // (0, 1): log stays finite
    let u2 = (h & 0xFF_FFFF) as f64 / (1u64 << 24) as f64;
    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_seeds_differ() {
        let a: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..4)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let mut c = Rng::new(8);
        assert_eq!(a, b);
        assert_ne!(a[0], c.next_u64());
    }

    #[test]
    fn gaussian_noise_has_unit_variance() {
        let key = stream_key(1, 2, 3);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|i| gaussian_at(key, i) as f64).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
    }

    #[test]
    fn permutation_is_a_permutation() {
        let mut p = Rng::new(3).permutation(8);
        p.sort();
        assert_eq!(p, (0..8).collect::<Vec<_>>());
    }
}
