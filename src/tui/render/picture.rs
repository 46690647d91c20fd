//! The latest contact sheet. Where the terminal speaks a graphics protocol (kitty, sixel,
//! iTerm2; see [`crate::tui::graphics`]) it is shown as a real picture through `ratatui-image`;
//! everywhere else with half blocks: each cell shows two pixels (upper as foreground of `▀`,
//! lower as background), which any truecolour terminal shows, over SSH too.
//!
//! [`prepare`] decodes, scales and encodes off the draw path (the runtime calls it when the
//! file or the picture's area changes); [`draw`] only copies the result into the frame.

use super::super::app::App;
use super::super::data::{Picture, PictureImage};
use super::super::graphics::Graphics;
use super::super::theme::Role;
use super::block;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::widgets::Paragraph;
use ratatui_image::{FilterType, Image, Resize};
use std::path::Path;

/// Decode `path` and make it ready for `area` (in cells) the way `graphics` draws pictures.
pub fn prepare(path: &Path, area: Rect, graphics: &Graphics) -> anyhow::Result<Picture> {
    let img = image::open(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let image = match graphics {
        Graphics::HalfBlocks => half_blocks(&img, area.width as u32, area.height as u32),
        Graphics::Protocol(picker) => {
            let cells = Rect::new(0, 0, area.width, area.height);
            let p = picker
                .new_protocol(img, cells, Resize::Fit(Some(FilterType::Triangle)))
                .map_err(|e| {
                    anyhow::anyhow!("{}: cannot encode for the terminal: {e}", path.display())
                })?;
            PictureImage::Protocol(Box::new(p))
        }
    };
    Ok(Picture {
        path: path.to_path_buf(),
        area,
        image,
    })
}

/// Scale to fit `cols` x `rows` cells, two pixels per cell vertically.
fn half_blocks(img: &image::DynamicImage, cols: u32, rows: u32) -> PictureImage {
    let img = img.to_rgb8();
    let (w, h) = img.dimensions();
    let s = (cols as f64 / w as f64)
        .min((rows * 2) as f64 / h as f64)
        .min(1.0);
    let (nw, nh) = (
        ((w as f64 * s) as u32).max(1),
        ((h as f64 * s) as u32).max(2),
    );
    let small = image::imageops::resize(&img, nw, nh, image::imageops::FilterType::Triangle);
    PictureImage::HalfBlocks {
        width: nw,
        height: nh,
        rgb: small.into_raw(),
    }
}

pub fn draw(f: &mut Frame, app: &App, area: Rect) {
    let title = match &app.picture {
        Some(p) => format!(
            " Contact sheet · {} ",
            p.path.file_name().unwrap_or_default().to_string_lossy()
        ),
        None => " Contact sheet ".into(),
    };
    let b = block(app, title);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let Some(p) = &app.picture else {
        f.render_widget(
            Paragraph::new("none yet").style(app.theme.style(Role::Dim)),
            inner,
        );
        return;
    };
    // No colour allowed (NO_COLOR / mono theme): a picture made of colour would be a lie.
    if app.theme.name == "mono" {
        f.render_widget(
            Paragraph::new(p.path.display().to_string()).style(app.theme.style(Role::Dim)),
            inner,
        );
        return;
    }
    match &p.image {
        // Drawn only where it fits: a smaller area waits for the re-encode the runtime asks for.
        PictureImage::Protocol(protocol) => f.render_widget(Image::new(protocol), inner),
        PictureImage::HalfBlocks { width, height, rgb } => {
            draw_half_blocks(f, app.ascii, inner, *width, *height, rgb)
        }
    }
}

fn draw_half_blocks(f: &mut Frame, ascii: bool, inner: Rect, width: u32, height: u32, rgb: &[u8]) {
    let px = |x: u32, y: u32| {
        let i = ((y * width + x) * 3) as usize;
        Color::Rgb(rgb[i], rgb[i + 1], rgb[i + 2])
    };
    let buf = f.buffer_mut();
    for cy in 0..(inner.height as u32).min(height / 2) {
        for cx in 0..(inner.width as u32).min(width) {
            let cell = &mut buf[(inner.x + cx as u16, inner.y + cy as u16)];
            if ascii {
                cell.set_symbol(" ")
                    .set_style(Style::default().bg(px(cx, cy * 2)));
            } else {
                cell.set_symbol("▀")
                    .set_style(Style::default().fg(px(cx, cy * 2)).bg(px(cx, cy * 2 + 1)));
            }
        }
    }
}
