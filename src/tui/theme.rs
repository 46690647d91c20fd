//! Themes: TOML files whose keys name a meaning (`step-active`, `job-failed`, `loss-raw`,
//! `gpu-hot` …), never a widget. Four are embedded; a file of the same name in
//! `$XDG_CONFIG_HOME/tinct/themes/` overrides one. `NO_COLOR` selects `mono` (bold, underline
//! and reverse only).

use ratatui::style::{Color, Modifier, Style};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const EMBEDDED: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("light", include_str!("../../themes/light.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
];

macro_rules! roles {
    ($($variant:ident = $name:literal,)*) => {
        /// What a styled thing means.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Role { $($variant,)* }
        impl Role {
            pub const ALL: &'static [Role] = &[$(Role::$variant,)*];
            pub fn name(self) -> &'static str { match self { $(Role::$variant => $name,)* } }
            pub fn from_name(s: &str) -> Option<Role> { match s { $($name => Some(Role::$variant),)* _ => None } }
        }
    };
}

roles! {
    Text = "text",
    Dim = "dim",
    Border = "border",
    Title = "title",
    Tab = "tab",
    TabActive = "tab-active",
    Selected = "selected",
    StageTitle = "stage-title",
    StepActive = "step-active",
    StepDone = "step-done",
    StepReady = "step-ready",
    StepBlocked = "step-blocked",
    JobQueued = "job-queued",
    JobRunning = "job-running",
    JobSucceeded = "job-succeeded",
    JobFailed = "job-failed",
    JobCancelled = "job-cancelled",
    JobLost = "job-lost",
    Gauge = "gauge",
    LossRaw = "loss-raw",
    LossSmooth = "loss-smooth",
    LossOther = "loss-other",
    ValDe00 = "val-de00",
    Cpu = "cpu",
    Mem = "mem",
    GpuOk = "gpu-ok",
    GpuWarm = "gpu-warm",
    GpuHot = "gpu-hot",
    StatusBar = "status-bar",
    StatusError = "status-error",
    HelpKey = "help-key",
    Warning = "warning",
}

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: unknown style key '{key}' (known: {known})")]
    UnknownKey {
        file: String,
        key: String,
        known: String,
    },
    #[error("{file}: style '{key}' is missing")]
    MissingKey { file: String, key: String },
    #[error("{file}: style '{key}': {why}")]
    BadStyle {
        file: String,
        key: String,
        why: String,
    },
    #[error("no theme named '{0}' (embedded: default, high-contrast, light, mono)")]
    NotFound(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    pub name: String,
    styles: BTreeMap<Role, Style>,
    /// Where it was read from (embedded themes: `<embedded NAME>`), for hot reload.
    pub file: String,
}

impl Theme {
    pub fn style(&self, role: Role) -> Style {
        self.styles.get(&role).copied().unwrap_or_default()
    }

    pub fn embedded(name: &str) -> Result<Theme, ThemeError> {
        let (_, text) = EMBEDDED
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| ThemeError::NotFound(name.into()))?;
        Theme::parse(text, &format!("<embedded {name}>"))
    }

    /// The theme called `name`: the user's file if present, else the embedded one. With
    /// `no_color`, always `mono` (the NO_COLOR convention: no colour, emphasis kept).
    pub fn load(name: &str, user_dir: Option<&Path>, no_color: bool) -> Result<Theme, ThemeError> {
        let name = if no_color { "mono" } else { name };
        if let Some(dir) = user_dir {
            let p = dir.join(format!("{name}.toml"));
            if p.is_file() {
                let text = std::fs::read_to_string(&p).map_err(|e| ThemeError::Parse {
                    file: p.display().to_string(),
                    message: e.to_string(),
                })?;
                return Theme::parse(&text, &p.display().to_string());
            }
        }
        Theme::embedded(name)
    }

    pub fn parse(text: &str, file: &str) -> Result<Theme, ThemeError> {
        let doc: toml::Table = toml::from_str(text).map_err(|e| ThemeError::Parse {
            file: file.into(),
            message: e.to_string(),
        })?;
        let name = doc
            .get("name")
            .and_then(|v| v.as_str())
            .unwrap_or("unnamed")
            .to_string();
        let table = doc
            .get("styles")
            .and_then(|v| v.as_table())
            .ok_or_else(|| ThemeError::Parse {
                file: file.into(),
                message: "missing [styles] table".into(),
            })?;
        let mut styles = BTreeMap::new();
        for (key, value) in table {
            let role = Role::from_name(key).ok_or_else(|| ThemeError::UnknownKey {
                file: file.into(),
                key: key.clone(),
                known: Role::ALL
                    .iter()
                    .map(|r| r.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
            styles.insert(
                role,
                parse_style(value).map_err(|why| ThemeError::BadStyle {
                    file: file.into(),
                    key: key.clone(),
                    why,
                })?,
            );
        }
        if let Some(missing) = Role::ALL.iter().find(|r| !styles.contains_key(r)) {
            return Err(ThemeError::MissingKey {
                file: file.into(),
                key: missing.name().into(),
            });
        }
        Ok(Theme {
            name,
            styles,
            file: file.into(),
        })
    }
}

/// `$XDG_CONFIG_HOME/tinct` (or `~/.config/tinct`).
pub fn config_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|d| d.join("tinct"))
}

/// NO_COLOR is honoured when set to any non-empty value (no-color.org).
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

fn parse_style(v: &toml::Value) -> Result<Style, String> {
    let t = v
        .as_table()
        .ok_or("expected an inline table like { fg = \"red\", bold = true }")?;
    let mut s = Style::default();
    for (k, v) in t {
        match k.as_str() {
            "fg" => s = s.fg(parse_color(v.as_str().ok_or("fg must be a string")?)?),
            "bg" => s = s.bg(parse_color(v.as_str().ok_or("bg must be a string")?)?),
            m @ ("bold" | "dim" | "italic" | "underline" | "reverse") => {
                let on = v
                    .as_bool()
                    .ok_or_else(|| format!("{m} must be true or false"))?;
                let flag = match m {
                    "bold" => Modifier::BOLD,
                    "dim" => Modifier::DIM,
                    "italic" => Modifier::ITALIC,
                    "underline" => Modifier::UNDERLINED,
                    _ => Modifier::REVERSED,
                };
                if on {
                    s = s.add_modifier(flag);
                }
            }
            other => {
                return Err(format!(
                    "unknown attribute '{other}' (fg, bg, bold, dim, italic, underline, reverse)"
                ));
            }
        }
    }
    Ok(s)
}

/// Only the 16 ANSI colours (and `reset`): they follow the terminal's palette, which is what
/// an operator over SSH has tuned for their screen.
fn parse_color(s: &str) -> Result<Color, String> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "reset" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "darkgray" | "darkgrey" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" => Color::White,
        other => {
            return Err(format!(
                "unknown colour '{other}' (use one of the 16 ANSI colour names)"
            ));
        }
    })
}

/// Every role of every embedded theme, one line each (snapshotted so docs cannot drift).
pub fn table() -> String {
    let mut out = String::from("| key |");
    let themes: Vec<Theme> = EMBEDDED
        .iter()
        .map(|(n, _)| Theme::embedded(n).expect("embedded theme"))
        .collect();
    for t in &themes {
        out.push_str(&format!(" {} |", t.name));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(themes.len()));
    out.push('\n');
    for r in Role::ALL {
        out.push_str(&format!("| {} |", r.name()));
        for t in &themes {
            out.push_str(&format!(" {} |", describe(t.style(*r))));
        }
        out.push('\n');
    }
    out
}

fn describe(s: Style) -> String {
    let mut parts = Vec::new();
    if let Some(c) = s.fg {
        parts.push(format!("fg {c}"));
    }
    if let Some(c) = s.bg {
        parts.push(format!("bg {c}"));
    }
    for (m, n) in [
        (Modifier::BOLD, "bold"),
        (Modifier::DIM, "dim"),
        (Modifier::ITALIC, "italic"),
        (Modifier::UNDERLINED, "underline"),
        (Modifier::REVERSED, "reverse"),
    ] {
        if s.add_modifier.contains(m) {
            parts.push(n.to_string());
        }
    }
    if parts.is_empty() {
        "plain".into()
    } else {
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_theme_defines_every_key() {
        for (name, _) in EMBEDDED {
            Theme::embedded(name).unwrap();
        }
    }

    #[test]
    fn mono_uses_no_colour_and_no_color_selects_it() {
        let t = Theme::load("default", None, true).unwrap();
        assert_eq!(t.name, "mono");
        for r in Role::ALL {
            assert!(
                t.style(*r).fg.is_none() && t.style(*r).bg.is_none(),
                "{}",
                r.name()
            );
        }
    }

    #[test]
    fn errors_name_the_file_and_key() {
        let e = Theme::parse("[styles]\nstep-active = { fg = \"orange\" }", "x.toml")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "x.toml: style 'step-active': unknown colour 'orange' (use one of the 16 ANSI colour names)"
        );
        let e = Theme::parse("[styles]\ntext = {}", "x.toml")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "x.toml: style 'dim' is missing");
    }

    #[test]
    fn user_dir_overrides_embedded() {
        let dir = tempfile::tempdir().unwrap();
        let text = EMBEDDED[0]
            .1
            .replace("name = \"default\"", "name = \"mine\"");
        std::fs::write(dir.path().join("default.toml"), text).unwrap();
        assert_eq!(
            Theme::load("default", Some(dir.path()), false)
                .unwrap()
                .name,
            "mine"
        );
    }
}
