//! Comparison pictures like the ones restoration houses publish: labelled side-by-side panels,
//! a split screen with a labelled wipe line, and an A/B contact sheet.

use super::font::draw_label;
use crate::color::Colorspace;
use crate::media::{self, Image, WriteOptions};
use std::path::Path;

const WHITE: [f32; 3] = [1.0, 1.0, 1.0];

/// Area-average downscale so the longest side is at most `max_w` wide (never upscales).
pub fn fit_width(img: &Image, max_w: usize) -> Image {
    if img.width <= max_w {
        return img.to_rgb();
    }
    let s = img.width as f64 / max_w as f64;
    let (w, h) = (max_w, ((img.height as f64 / s).round() as usize).max(1));
    let mut out = Image::new(w, h, 3);
    for y in 0..h {
        let (y0, y1) = (
            (y as f64 * s) as usize,
            (((y + 1) as f64 * s) as usize)
                .min(img.height)
                .max((y as f64 * s) as usize + 1),
        );
        for x in 0..w {
            let (x0, x1) = (
                (x as f64 * s) as usize,
                (((x + 1) as f64 * s) as usize)
                    .min(img.width)
                    .max((x as f64 * s) as usize + 1),
            );
            let mut acc = [0f32; 3];
            for yy in y0..y1 {
                for xx in x0..x1 {
                    let p = img.rgb(xx, yy);
                    (0..3).for_each(|c| acc[c] += p[c]);
                }
            }
            let n = ((y1 - y0) * (x1 - x0)) as f32;
            out.pixel_mut(x, y).copy_from_slice(&acc.map(|v| v / n));
        }
    }
    out
}

/// Paste `src` into `dst` at (x, y), clipped.
fn paste(dst: &mut Image, src: &Image, x: usize, y: usize) {
    for sy in 0..src.height.min(dst.height.saturating_sub(y)) {
        for sx in 0..src.width.min(dst.width.saturating_sub(x)) {
            let p = src.rgb(sx, sy);
            dst.pixel_mut(x + sx, y + sy)[..3].copy_from_slice(&p);
        }
    }
}

fn label_scale(width: usize) -> usize {
    (width / 320).clamp(1, 4)
}

/// Panels left to right with their labels, `gap` pixels apart.
pub fn side_by_side(panels: &[(&str, &Image)], panel_w: usize) -> Image {
    let scaled: Vec<(&str, Image)> = panels
        .iter()
        .map(|(l, i)| (*l, fit_width(i, panel_w)))
        .collect();
    let gap = 4;
    let h = scaled.iter().map(|(_, i)| i.height).max().unwrap_or(1);
    let w =
        scaled.iter().map(|(_, i)| i.width).sum::<usize>() + gap * scaled.len().saturating_sub(1);
    let mut out = Image::new(w.max(1), h, 3);
    let mut x = 0;
    for (label, img) in &scaled {
        paste(&mut out, img, x, 0);
        draw_label(&mut out, x + 4, 4, label, label_scale(img.width), WHITE);
        x += img.width + gap;
    }
    out
}

/// Left of the wipe shows `a`, right shows `b`, a white line between, each side labelled.
pub fn split_screen(a: (&str, &Image), b: (&str, &Image), wipe: f64) -> Image {
    let (w, h) = (a.1.width.min(b.1.width), a.1.height.min(b.1.height));
    let cut = ((w as f64 * wipe.clamp(0.0, 1.0)).round() as usize).min(w);
    let mut out = Image::new(w, h, 3);
    for y in 0..h {
        for x in 0..w {
            let p = if x < cut {
                a.1.rgb(x, y)
            } else {
                b.1.rgb(x, y)
            };
            out.pixel_mut(x, y).copy_from_slice(&p);
        }
    }
    let line = (w / 400).max(1);
    for y in 0..h {
        for x in cut.saturating_sub(line)..(cut + line).min(w) {
            out.pixel_mut(x, y).copy_from_slice(&WHITE);
        }
    }
    let s = label_scale(w);
    draw_label(&mut out, 4, 4, a.0, s, WHITE);
    let b_w = (b.0.chars().count() * 6 + 1) * s;
    draw_label(
        &mut out,
        (cut + 2 * line + 4).min(w.saturating_sub(b_w)),
        4,
        b.0,
        s,
        WHITE,
    );
    out
}

/// Rows of (frame label, panels); every row the same columns.
pub fn contact_sheet(rows: &[(String, Vec<(&str, &Image)>)], thumb_w: usize) -> Image {
    let row_imgs: Vec<Image> = rows
        .iter()
        .map(|(frame, panels)| {
            let mut r = side_by_side(panels, thumb_w);
            let s = label_scale(thumb_w);
            let y = r.height.saturating_sub(12 * s);
            draw_label(&mut r, 4, y, frame, s, WHITE);
            r
        })
        .collect();
    let gap = 4;
    let w = row_imgs.iter().map(|r| r.width).max().unwrap_or(1);
    let h = row_imgs
        .iter()
        .map(|r| r.height + gap)
        .sum::<usize>()
        .max(1);
    let mut out = Image::new(w, h, 3);
    let mut y = 0;
    for r in &row_imgs {
        paste(&mut out, r, 0, y);
        y += r.height + gap;
    }
    out
}

/// Save a linear image as an 8-bit sRGB PNG.
pub fn save_png(path: &Path, img: &Image) -> anyhow::Result<()> {
    media::write(
        path,
        img,
        &WriteOptions {
            colorspace: Colorspace::Srgb,
            bits: 8,
            ..Default::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_screen_shows_each_side_and_the_wipe_line() {
        let a = Image::from_fn_rgb(400, 100, |_, _| [0.2, 0.0, 0.0]);
        let b = Image::from_fn_rgb(400, 100, |_, _| [0.0, 0.0, 0.2]);
        let s = split_screen(("A", &a), ("B", &b), 0.25);
        assert_eq!(s.rgb(50, 90), [0.2, 0.0, 0.0]);
        assert_eq!(s.rgb(300, 90), [0.0, 0.0, 0.2]);
        assert_eq!(s.rgb(100, 50), WHITE);
    }

    #[test]
    fn downscale_averages_areas() {
        let img = Image::from_fn_rgb(4, 2, |x, _| [x as f32; 3]);
        let d = fit_width(&img, 2);
        assert_eq!((d.width, d.height), (2, 1));
        assert_eq!(d.rgb(0, 0)[0], 0.5);
        assert_eq!(d.rgb(1, 0)[0], 2.5);
    }
}
