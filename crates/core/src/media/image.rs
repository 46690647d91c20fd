//! The one in-memory picture type every stage shares.

/// A frame in memory: f32, interleaved, row-major, top row first.
///
/// `channels` is 1 (luma), 3 (RGB) or 4 (RGBA). What the numbers *mean* (which colourspace) is
/// carried beside the image where it matters (`media::Decoded::colorspace`); after
/// `media::read_linear` it is always scene-linear Rec.709/sRGB primaries, D65.
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub channels: usize,
    pub data: Vec<f32>,
}

impl Image {
    /// A black image.
    pub fn new(width: usize, height: usize, channels: usize) -> Self {
        Self {
            width,
            height,
            channels,
            data: vec![0.0; width * height * channels],
        }
    }

    /// Wrap existing samples; panics if the length does not match (a programming error).
    pub fn from_vec(width: usize, height: usize, channels: usize, data: Vec<f32>) -> Self {
        assert_eq!(
            data.len(),
            width * height * channels,
            "image buffer size mismatch"
        );
        Self {
            width,
            height,
            channels,
            data,
        }
    }

    /// Build an RGB image from a function of (x, y).
    pub fn from_fn_rgb(width: usize, height: usize, f: impl Fn(usize, usize) -> [f32; 3]) -> Self {
        let mut img = Self::new(width, height, 3);
        for y in 0..height {
            for x in 0..width {
                let p = f(x, y);
                img.pixel_mut(x, y).copy_from_slice(&p);
            }
        }
        img
    }

    pub fn pixel_count(&self) -> usize {
        self.width * self.height
    }

    pub fn pixel(&self, x: usize, y: usize) -> &[f32] {
        let i = (y * self.width + x) * self.channels;
        &self.data[i..i + self.channels]
    }

    pub fn pixel_mut(&mut self, x: usize, y: usize) -> &mut [f32] {
        let i = (y * self.width + x) * self.channels;
        &mut self.data[i..i + self.channels]
    }

    /// RGB of a pixel (luma images replicate their one channel).
    pub fn rgb(&self, x: usize, y: usize) -> [f32; 3] {
        let p = self.pixel(x, y);
        if self.channels >= 3 {
            [p[0], p[1], p[2]]
        } else {
            [p[0]; 3]
        }
    }

    /// A copy with exactly three channels (alpha dropped, luma replicated).
    pub fn to_rgb(&self) -> Image {
        if self.channels == 3 {
            return self.clone();
        }
        let mut out = Image::new(self.width, self.height, 3);
        for (o, i) in out
            .data
            .chunks_exact_mut(3)
            .zip(self.data.chunks_exact(self.channels))
        {
            if self.channels >= 3 {
                o.copy_from_slice(&i[..3]);
            } else {
                o.fill(i[0]);
            }
        }
        out
    }

    /// The rectangle `[x, x+w) x [y, y+h)`, clipped to the image.
    pub fn crop(&self, x: usize, y: usize, w: usize, h: usize) -> Image {
        let x1 = (x + w).min(self.width);
        let y1 = (y + h).min(self.height);
        let (x0, y0) = (x.min(x1), y.min(y1));
        let (cw, ch) = (x1 - x0, y1 - y0);
        let mut out = Image::new(cw, ch, self.channels);
        let row = cw * self.channels;
        for r in 0..ch {
            let src = ((y0 + r) * self.width + x0) * self.channels;
            out.data[r * row..(r + 1) * row].copy_from_slice(&self.data[src..src + row]);
        }
        out
    }

    /// First non-finite sample, as (x, y, channel), for error messages.
    pub fn find_non_finite(&self) -> Option<(usize, usize, usize)> {
        // Whole blocks first (a branch-free fold the compiler vectorises), then the sample.
        const BLOCK: usize = 4096;
        let b = self
            .data
            .chunks(BLOCK)
            .position(|c| !c.iter().fold(true, |ok, v| ok & v.is_finite()))?;
        let i = b * BLOCK + self.data[b * BLOCK..].iter().position(|v| !v.is_finite())?;
        let c = i % self.channels;
        let p = i / self.channels;
        Some((p % self.width, p / self.width, c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_takes_the_right_pixels() {
        let img = Image::from_fn_rgb(4, 3, |x, y| [x as f32, y as f32, 0.0]);
        let c = img.crop(1, 1, 2, 5);
        assert_eq!((c.width, c.height), (2, 2));
        assert_eq!(c.rgb(0, 0), [1.0, 1.0, 0.0]);
        assert_eq!(c.rgb(1, 1), [2.0, 2.0, 0.0]);
    }

    #[test]
    fn the_first_non_finite_sample_is_found_in_any_block() {
        let mut img = Image::from_fn_rgb(3000, 3, |_, _| [0.5, 0.25, 1.0]);
        assert_eq!(img.find_non_finite(), None);
        // Sample 4097 (pixel 1365, channel 2) sits in the second 4096-sample block; a later
        // one must not win.
        img.data[4097] = f32::NAN;
        img.data[20000] = f32::INFINITY;
        assert_eq!(img.find_non_finite(), Some((1365, 0, 2)));
        img.data[4097] = 0.0;
        assert_eq!(img.find_non_finite(), Some((6666 % 3000, 6666 / 3000, 2)));
    }
}
