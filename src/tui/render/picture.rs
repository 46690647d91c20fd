//! The latest contact sheet drawn with half blocks: each cell shows two pixels (upper as
//! foreground of `▀`, lower as background). Works in any truecolour terminal, over SSH too.
//! Decoding and scaling happen off the draw path ([`decode`], called by the runtime).

use super::super::app::App;
use super::super::data::Picture;
use super::super::theme::Role;
use super::block;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::widgets::Paragraph;
use std::path::Path;

/// Decode `path` and scale it to fit `cols` x `rows` cells (2 pixels per cell vertically).
pub fn decode(path: &Path, cols: u32, rows: u32) -> anyhow::Result<Picture> {
    let img = image::open(path)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        .to_rgb8();
    let (w, h) = img.dimensions();
    let s = (cols as f64 / w as f64)
        .min((rows * 2) as f64 / h as f64)
        .min(1.0);
    let (nw, nh) = (
        ((w as f64 * s) as u32).max(1),
        ((h as f64 * s) as u32).max(2),
    );
    let small = image::imageops::resize(&img, nw, nh, image::imageops::FilterType::Triangle);
    Ok(Picture {
        width: nw,
        height: nh,
        rgb: small.into_raw(),
        path: path.to_path_buf(),
    })
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
    let px = |x: u32, y: u32| {
        let i = ((y * p.width + x) * 3) as usize;
        Color::Rgb(p.rgb[i], p.rgb[i + 1], p.rgb[i + 2])
    };
    let buf = f.buffer_mut();
    for cy in 0..(inner.height as u32).min(p.height / 2) {
        for cx in 0..(inner.width as u32).min(p.width) {
            let cell = &mut buf[(inner.x + cx as u16, inner.y + cy as u16)];
            if app.ascii {
                cell.set_symbol(" ")
                    .set_style(Style::default().bg(px(cx, cy * 2)));
            } else {
                cell.set_symbol("▀")
                    .set_style(Style::default().fg(px(cx, cy * 2)).bg(px(cx, cy * 2 + 1)));
            }
        }
    }
}
