//! Pure render functions, one per screen region: each takes the [`App`] (and an area) and
//! draws; none reads files or the clock. [`draw`] lays the regions out for the frame size:
//!
//! ```text
//! ┌ tabs: tinct · project  1 Checklist 2 Jobs 3 Monitor 4 Telemetry 5 Journal ─┐  draw_tabs
//! │ body: the view                                                             │
//! │  Checklist  checklist::draw_view: stages+steps │ step detail (step.rs)     │
//! │             (narrow: stacked)                  │                           │
//! │             ───────────── live jobs (jobs.rs rows) ─────────────           │
//! │  Jobs       jobs::draw_view: job rows (farm chunk bars) / log of the one   │
//! │  Monitor    monitor::draw: loss chart │ validation ΔE00 list               │
//! │                            run info   │ contact sheet (picture.rs)         │
//! │  Telemetry  telemetry::draw: host/GPU gauges │ sparklines per series       │
//! │  Journal    journal::draw: entries, wrapped (wrap.rs), newest at the end   │
//! └ status: key hints, the last result or error (status.rs) ───────────────────┘
//!   overlays on top: help.rs (keys), launch.rs (a stage's form), note.rs (answer a step)
//! ```

mod checklist;
mod help;
pub mod jobs;
mod journal;
mod launch;
mod monitor;
mod note;
pub mod picture;
mod status;
pub mod step;
mod telemetry;
pub mod wrap;

use super::app::{App, Overlay, View};
use super::theme::Role;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};

/// Progress and state glyphs, with an ASCII set for `--ascii`.
pub struct Glyphs {
    pub done: &'static str,
    pub ready: &'static str,
    pub current: &'static str,
    pub blocked: &'static str,
    pub failed: &'static str,
    pub bar_full: &'static str,
    pub bar_empty: &'static str,
}

pub fn glyphs(ascii: bool) -> Glyphs {
    if ascii {
        Glyphs {
            done: "[x]",
            ready: "[ ]",
            current: "[>]",
            blocked: "[-]",
            failed: "[!]",
            bar_full: "#",
            bar_empty: ".",
        }
    } else {
        Glyphs {
            done: " ✔ ",
            ready: " ○ ",
            current: " ▶ ",
            blocked: " ⊘ ",
            failed: " ✘ ",
            bar_full: "█",
            bar_empty: "░",
        }
    }
}

/// Tab line, body, status line.
fn frame_regions(area: Rect) -> [Rect; 3] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The cells the contact sheet is drawn in on a screen of `app.size`, if it is on screen: the
/// runtime scales or encodes the picture for exactly this area, off the draw path.
pub fn picture_area(app: &App) -> Option<Rect> {
    if app.view != View::Monitor {
        return None;
    }
    let [_, body, _] = frame_regions(Rect::new(0, 0, app.size.0, app.size.1));
    let inner = monitor::picture_box(app, body).map(|r| block(app, "").inner(r))?;
    (!inner.is_empty()).then_some(inner)
}

/// Draw the whole console.
pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    let [tabs, body, status] = frame_regions(area);
    draw_tabs(f, app, tabs);
    match app.view {
        View::Checklist => checklist::draw_view(f, app, body),
        View::Jobs => jobs::draw_view(f, app, body),
        View::Monitor => monitor::draw(f, app, body),
        View::Telemetry => telemetry::draw(f, app, body),
        View::Journal => journal::draw(f, app, body),
    }
    status::draw(f, app, status);
    match &app.overlay {
        Some(Overlay::Help) => help::draw(f, app, area),
        Some(Overlay::Launch(form)) => launch::draw(f, app, form, area),
        Some(Overlay::Note(d)) => note::draw(f, app, d, area),
        None => {}
    }
    if app.ascii {
        asciify(f.buffer_mut(), area);
    }
}

fn draw_tabs(f: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let mut spans = vec![Span::styled(
        format!(" tinct · {} ", app.project),
        th.style(Role::Title),
    )];
    let narrow = area.width < 80;
    for (i, v) in View::ALL.iter().enumerate() {
        let label = if narrow {
            format!(" {}:{} ", i + 1, &v.title()[..4])
        } else {
            format!(" {} {} ", i + 1, v.title())
        };
        let role = if *v == app.view {
            Role::TabActive
        } else {
            Role::Tab
        };
        spans.push(Span::styled(label, th.style(role)));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A bordered block in the theme, titled.
pub fn block<'a>(app: &App, title: impl Into<Line<'a>>) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(app.theme.style(Role::Border))
        .title(title.into().style(app.theme.style(Role::Title)))
}

/// A centered rectangle for overlays, clamped to the screen.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

pub fn clear(f: &mut Frame, r: Rect) {
    f.render_widget(Clear, r);
}

/// A text progress bar `███░░░ 42%` of `width` cells.
pub fn bar(progress: Option<f64>, width: usize, ascii: bool) -> String {
    let g = glyphs(ascii);
    match progress {
        Some(p) => {
            let p = p.clamp(0.0, 1.0);
            let cells = width.saturating_sub(5);
            let full = (p * cells as f64).round() as usize;
            format!(
                "{}{}{:>4}%",
                g.bar_full.repeat(full),
                g.bar_empty.repeat(cells - full),
                (p * 100.0).floor() as u32
            )
        }
        None => format!("{:width$}", "", width = width),
    }
}

/// "1h02m", "3m05s", "12s".
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "—".into();
    }
    let s = secs.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

pub fn style_of(app: &App, role: Role) -> Style {
    app.theme.style(role)
}

/// Replace every non-ASCII symbol in the frame with an ASCII stand-in (`--ascii`): box
/// drawing → `+-|`, Braille and plot dots → `*`, blocks → `#`. One pass at the end instead of
/// a second code path through every widget.
fn asciify(buf: &mut Buffer, area: Rect) {
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let cell = &mut buf[(x, y)];
            let sym = cell.symbol();
            if sym.is_ascii() {
                continue;
            }
            let c = sym.chars().next().unwrap_or(' ');
            let rep = match c {
                '─' | '━' | '═' | '╌' => "-",
                '│' | '┃' | '║' | '╎' => "|",
                '╭' | '╮' | '╯' | '╰' | '┌' | '┐' | '└' | '┘' | '├' | '┤' | '┬' | '┴' | '┼' => {
                    "+"
                }
                '█' | '▉' | '▊' | '▋' | '▌' | '▍' | '▎' | '▏' | '▀' | '▄' | '▆' | '▅' | '▃'
                | '▂' | '▁' | '▇' => "#",
                '░' | '▒' | '▓' => ".",
                '•' | '·' | '●' => "*",
                '\u{2800}' => " ",
                '\u{2801}'..='\u{28FF}' => "*",
                'Δ' => "d",
                '…' => ".",
                '—' | '–' => "-",
                '▶' => ">",
                '✔' => "x",
                '✘' => "!",
                '○' => "o",
                '⊘' => "-",
                _ => "?",
            };
            cell.set_symbol(rep);
        }
    }
}
