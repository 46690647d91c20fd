//! How the console shows pictures (the latest contact sheet): through the terminal's own
//! graphics protocol (kitty, sixel or iTerm2, via `ratatui-image`) where the terminal says it
//! speaks one, else as coloured half blocks, which every truecolour terminal shows, over SSH and
//! in tmux too.
//!
//! The terminal is asked once, at start-up, after raw mode and the alternate screen and before
//! the event loop reads keys (the answers arrive on the same input as keys). The question is a
//! few escape sequences ending with a device-status request that every VT100-style terminal
//! answers, so a real terminal replies within one round trip; the timeout only bounds a
//! terminal that answers nothing. Nothing is asked, and half blocks are used, when there is no
//! terminal to ask (stdin or stdout redirected, tests on a `TestBackend`, benchmarks), with
//! `--ascii` or `NO_COLOR` (a picture made of colour would break both promises), inside GNU
//! screen, and inside tmux unless its `allow-passthrough` option is on (tmux swallows graphics
//! otherwise). `TINCT_GRAPHICS=halfblocks` turns the question off for a terminal that answers
//! wrongly.

use ratatui_image::picker::cap_parser::QueryStdioOptions;
use ratatui_image::picker::{Picker, ProtocolType};
use std::io::IsTerminal;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Environment variable: `halfblocks` never asks the terminal for a graphics protocol.
pub const GRAPHICS_ENV: &str = "TINCT_GRAPHICS";

/// How long a terminal may take to answer (a slow SSH link answers in one round trip).
pub const QUERY_TIMEOUT: Duration = Duration::from_millis(500);

/// How pictures are drawn, decided once per console.
#[derive(Clone, Debug, Default)]
pub enum Graphics {
    /// Half blocks drawn as ordinary cells (deterministic: the snapshot tests use this).
    #[default]
    HalfBlocks,
    /// The terminal's graphics protocol; the picker knows which one and the cell size in pixels.
    Protocol(Picker),
}

impl Graphics {
    /// A short name for the operator (help, logs): `kitty`, `sixel`, `iterm2`, `half blocks`.
    pub fn name(&self) -> &'static str {
        match self {
            Graphics::HalfBlocks => "half blocks",
            Graphics::Protocol(p) => match p.protocol_type() {
                ProtocolType::Kitty => "kitty",
                ProtocolType::Sixel => "sixel",
                ProtocolType::Iterm2 => "iterm2",
                ProtocolType::Halfblocks => "half blocks",
            },
        }
    }
}

/// What the console's environment looks like, as far as pictures are concerned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    pub ascii: bool,
    pub no_color: bool,
    pub stdin_tty: bool,
    pub stdout_tty: bool,
    /// `$TINCT_GRAPHICS`.
    pub forced: Option<String>,
    /// Inside GNU screen (`$STY`).
    pub screen: bool,
    /// Inside tmux (`$TMUX`): whether `allow-passthrough` is on for this pane.
    pub tmux: Option<bool>,
}

impl Environment {
    /// Read this process's environment (runs `tmux show-options` only inside tmux).
    pub fn current(ascii: bool, no_color: bool) -> Environment {
        Environment {
            ascii,
            no_color,
            stdin_tty: std::io::stdin().is_terminal(),
            stdout_tty: std::io::stdout().is_terminal(),
            forced: std::env::var(GRAPHICS_ENV).ok(),
            screen: std::env::var_os("STY").is_some(),
            tmux: std::env::var_os("TMUX").map(|_| tmux_passthrough()),
        }
    }

    /// Why pictures must stay half blocks without asking the terminal; `None`: ask it.
    pub fn halfblocks_reason(&self) -> Option<&'static str> {
        if self
            .forced
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case("halfblocks"))
        {
            Some("TINCT_GRAPHICS=halfblocks")
        } else if self.ascii {
            Some("--ascii")
        } else if self.no_color {
            Some("NO_COLOR")
        } else if !self.stdin_tty || !self.stdout_tty {
            Some("not a terminal")
        } else if self.screen {
            Some("GNU screen passes no graphics")
        } else if self.tmux == Some(false) {
            Some("tmux without allow-passthrough")
        } else {
            None
        }
    }
}

/// Whether tmux passes graphics escape sequences through for this pane (`on` or `all`).
fn tmux_passthrough() -> bool {
    Command::new("tmux")
        .args(["show-options", "-Apv", "allow-passthrough"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .is_some_and(|o| matches!(String::from_utf8_lossy(&o.stdout).trim(), "on" | "all"))
}

/// Decide how pictures are drawn: ask the terminal if [`Environment::halfblocks_reason`] allows.
/// Call with the terminal in raw mode and before anything else reads its input.
pub fn detect(env: &Environment) -> Graphics {
    if env.halfblocks_reason().is_some() {
        return Graphics::HalfBlocks;
    }
    let mut options = QueryStdioOptions::default();
    options.timeout = QUERY_TIMEOUT;
    match Picker::from_query_stdio_with_options(options) {
        Ok(p) if p.protocol_type() != ProtocolType::Halfblocks => Graphics::Protocol(p),
        // No protocol, or no answer in time: half blocks, which need no answer.
        _ => Graphics::HalfBlocks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tty() -> Environment {
        Environment {
            stdin_tty: true,
            stdout_tty: true,
            ..Environment::default()
        }
    }

    #[test]
    fn a_plain_terminal_is_asked() {
        assert_eq!(tty().halfblocks_reason(), None);
        let tmux_on = Environment {
            tmux: Some(true),
            ..tty()
        };
        assert_eq!(tmux_on.halfblocks_reason(), None);
    }

    #[test]
    fn half_blocks_without_asking_where_graphics_cannot_work() {
        let cases = [
            (
                Environment {
                    stdout_tty: false,
                    ..tty()
                },
                "not a terminal",
            ),
            (
                Environment {
                    stdin_tty: false,
                    ..tty()
                },
                "not a terminal",
            ),
            (
                Environment {
                    ascii: true,
                    ..tty()
                },
                "--ascii",
            ),
            (
                Environment {
                    no_color: true,
                    ..tty()
                },
                "NO_COLOR",
            ),
            (
                Environment {
                    tmux: Some(false),
                    ..tty()
                },
                "tmux without allow-passthrough",
            ),
            (
                Environment {
                    screen: true,
                    ..tty()
                },
                "GNU screen passes no graphics",
            ),
            (
                Environment {
                    forced: Some("halfblocks".into()),
                    ..tty()
                },
                "TINCT_GRAPHICS=halfblocks",
            ),
        ];
        for (env, why) in cases {
            assert_eq!(env.halfblocks_reason(), Some(why), "{env:?}");
            assert!(matches!(detect(&env), Graphics::HalfBlocks));
        }
    }
}
