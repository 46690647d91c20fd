//! Key bindings: named actions, loaded from TOML (embedded defaults + the operator's
//! `$XDG_CONFIG_HOME/tinct/keys.toml`), one key per action at most. The help overlay and the
//! docs table are generated from this map, so they cannot drift.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;
use std::path::Path;

pub const DEFAULT_KEYS: &str = include_str!("../../themes/keys.toml");

macro_rules! actions {
    ($($variant:ident = $name:literal : $help:literal,)*) => {
        /// Everything a key can do outside a text field.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action { $($variant,)* }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];
            pub fn name(self) -> &'static str { match self { $(Action::$variant => $name,)* } }
            pub fn help(self) -> &'static str { match self { $(Action::$variant => $help,)* } }
            pub fn from_name(s: &str) -> Option<Action> { match s { $($name => Some(Action::$variant),)* _ => None } }
        }
    };
}

actions! {
    Quit = "quit": "quit the console (jobs keep running)",
    Help = "help": "show or hide this help",
    Up = "up": "move up",
    Down = "down": "move down",
    Top = "top": "go to the first item",
    Bottom = "bottom": "go to the last item",
    PageUp = "page-up": "scroll up a page",
    PageDown = "page-down": "scroll down a page",
    Activate = "activate": "run the step: launch its job, or answer it (note/decision/QC)",
    Back = "back": "close the overlay / detach",
    NextView = "next-view": "next view",
    PrevView = "prev-view": "previous view",
    ViewChecklist = "view-checklist": "SOP checklist",
    ViewJobs = "view-jobs": "jobs and their logs",
    ViewMonitor = "view-monitor": "training monitor (loss, ΔE00, contact sheet)",
    ViewTelemetry = "view-telemetry": "CPU, memory, GPU telemetry",
    ViewJournal = "view-journal": "experiments journal",
    Note = "note": "write a note in the journal",
    UndoStep = "undo-step": "reopen the selected checked step",
    DetailDown = "detail-down": "step detail: scroll down",
    DetailUp = "detail-up": "step detail: scroll up",
    AttachJob = "attach-job": "follow the selected job (log and metrics)",
    CancelJob = "cancel-job": "cancel the selected job",
    ResumeJob = "resume-job": "resume the selected job from its checkpoint",
    LogScale = "log-scale": "loss chart: toggle log scale",
    SmoothMore = "smooth-more": "loss chart: more smoothing",
    SmoothLess = "smooth-less": "loss chart: less smoothing",
    OverlayRuns = "overlay-runs": "loss chart: overlay earlier runs of the stage",
    Redraw = "redraw": "redraw the whole screen",
}

/// A key as written in the TOML file, normalised (shift folded into the character).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeySpec(pub String);

#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: unknown action '{action}' (known: {known})")]
    UnknownAction {
        file: String,
        action: String,
        known: String,
    },
    #[error("{file}: cannot read key '{key}' of action '{action}': {why}")]
    BadKey {
        file: String,
        action: String,
        key: String,
        why: String,
    },
    #[error("{file}: key '{key}' is bound to both '{first}' and '{second}'")]
    Duplicate {
        file: String,
        key: String,
        first: String,
        second: String,
    },
}

#[derive(Clone, Debug)]
pub struct KeyMap {
    /// Action → its keys, in the order the file lists them.
    pub bindings: BTreeMap<Action, Vec<String>>,
    lookup: BTreeMap<KeySpec, Action>,
}

impl KeyMap {
    /// The embedded defaults.
    pub fn defaults() -> KeyMap {
        KeyMap::parse(DEFAULT_KEYS, "<embedded keys.toml>", None)
            .expect("embedded key map is valid")
    }

    /// Defaults, with the user's file (if it exists) replacing the actions it names.
    pub fn load(user_file: Option<&Path>) -> Result<KeyMap, KeymapError> {
        match user_file {
            Some(p) if p.is_file() => {
                let text = std::fs::read_to_string(p).map_err(|e| KeymapError::Parse {
                    file: p.display().to_string(),
                    message: e.to_string(),
                })?;
                KeyMap::parse(&text, &p.display().to_string(), Some(&KeyMap::defaults()))
            }
            _ => Ok(KeyMap::defaults()),
        }
    }

    /// Parse `text`; actions it does not name keep their binding from `base`.
    pub fn parse(text: &str, file: &str, base: Option<&KeyMap>) -> Result<KeyMap, KeymapError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| KeymapError::Parse {
            file: file.into(),
            message: e.to_string(),
        })?;
        let mut bindings = base.map(|b| b.bindings.clone()).unwrap_or_default();
        for (name, value) in &table {
            let action = Action::from_name(name).ok_or_else(|| KeymapError::UnknownAction {
                file: file.into(),
                action: name.clone(),
                known: Action::ALL
                    .iter()
                    .map(|a| a.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
            let keys: Vec<String> = match value {
                toml::Value::String(s) => vec![s.clone()],
                toml::Value::Array(a) => a
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<_>>()
                    .ok_or_else(|| KeymapError::BadKey {
                        file: file.into(),
                        action: name.clone(),
                        key: value.to_string(),
                        why: "keys must be strings".into(),
                    })?,
                other => {
                    return Err(KeymapError::BadKey {
                        file: file.into(),
                        action: name.clone(),
                        key: other.to_string(),
                        why: "expected a string or a list of strings".into(),
                    });
                }
            };
            bindings.insert(action, keys);
        }
        let mut lookup = BTreeMap::new();
        for (action, keys) in &bindings {
            for key in keys {
                let spec = parse_key(key).map_err(|why| KeymapError::BadKey {
                    file: file.into(),
                    action: action.name().into(),
                    key: key.clone(),
                    why,
                })?;
                if let Some(first) = lookup.insert(spec, *action) {
                    return Err(KeymapError::Duplicate {
                        file: file.into(),
                        key: key.clone(),
                        first: first.name().into(),
                        second: action.name().into(),
                    });
                }
            }
        }
        Ok(KeyMap { bindings, lookup })
    }

    pub fn action(&self, k: &KeyEvent) -> Option<Action> {
        self.lookup.get(&spec_of(k)?).copied()
    }

    /// The first key of an action, as written (for hints in the status bar).
    pub fn first_key(&self, a: Action) -> &str {
        self.bindings
            .get(&a)
            .and_then(|k| k.first())
            .map(String::as_str)
            .unwrap_or("")
    }

    /// A Markdown table of every action and its keys (snapshotted; pasted into the README).
    pub fn table(&self) -> String {
        let mut out = String::from("| action | keys | what it does |\n|---|---|---|\n");
        for a in Action::ALL {
            let keys = self
                .bindings
                .get(a)
                .map(|k| {
                    k.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            out.push_str(&format!("| {} | {} | {} |\n", a.name(), keys, a.help()));
        }
        out
    }
}

/// Normalise a key name from the file.
fn parse_key(s: &str) -> Result<KeySpec, String> {
    let (mods, base) = if let Some(rest) = s.strip_prefix("Ctrl-") {
        ("Ctrl-", rest)
    } else if let Some(rest) = s.strip_prefix("Alt-") {
        ("Alt-", rest)
    } else {
        ("", s)
    };
    const NAMED: &[&str] = &[
        "Enter",
        "Esc",
        "Tab",
        "BackTab",
        "Up",
        "Down",
        "Left",
        "Right",
        "Home",
        "End",
        "PageUp",
        "PageDown",
        "Space",
        "Backspace",
        "Delete",
        "Insert",
    ];
    let ok = base.chars().count() == 1
        || NAMED.contains(&base)
        || base
            .strip_prefix('F')
            .and_then(|n| n.parse::<u8>().ok())
            .is_some_and(|n| (1..=12).contains(&n));
    if !ok {
        return Err(format!(
            "not a key name (use a single character, {}, or F1..F12)",
            NAMED.join(", ")
        ));
    }
    let base = if mods == "Ctrl-" {
        base.to_lowercase()
    } else {
        base.to_string()
    };
    Ok(KeySpec(format!("{mods}{base}")))
}

/// The spec of a key event, in the same normal form as [`parse_key`].
fn spec_of(k: &KeyEvent) -> Option<KeySpec> {
    let base = match k.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "BackTab".into(),
        KeyCode::Up => "Up".into(),
        KeyCode::Down => "Down".into(),
        KeyCode::Left => "Left".into(),
        KeyCode::Right => "Right".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::PageUp => "PageUp".into(),
        KeyCode::PageDown => "PageDown".into(),
        KeyCode::Backspace => "Backspace".into(),
        KeyCode::Delete => "Delete".into(),
        KeyCode::Insert => "Insert".into(),
        KeyCode::F(n) => format!("F{n}"),
        _ => return None,
    };
    let spec = if k.modifiers.contains(KeyModifiers::CONTROL) {
        format!("Ctrl-{}", base.to_lowercase())
    } else if k.modifiers.contains(KeyModifiers::ALT) {
        format!("Alt-{base}")
    } else {
        base
    };
    Some(KeySpec(spec))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(c, m)
    }

    #[test]
    fn defaults_map_vim_keys_and_arrows() {
        let km = KeyMap::defaults();
        assert_eq!(
            km.action(&key(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(
            km.action(&key(KeyCode::Down, KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(
            km.action(&key(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            km.action(&key(KeyCode::Char('l'), KeyModifiers::CONTROL)),
            Some(Action::Redraw)
        );
        assert_eq!(
            km.action(&key(KeyCode::Char('x'), KeyModifiers::NONE)),
            None
        );
    }

    #[test]
    fn duplicates_are_rejected_naming_both_actions() {
        let err =
            KeyMap::parse("note = [\"q\"]", "keys.toml", Some(&KeyMap::defaults())).unwrap_err();
        assert_eq!(
            err.to_string(),
            "keys.toml: key 'q' is bound to both 'quit' and 'note'"
        );
    }

    #[test]
    fn user_file_rebinds_one_action() {
        let km = KeyMap::parse("quit = [\"Q\"]", "keys.toml", Some(&KeyMap::defaults())).unwrap();
        assert_eq!(
            km.action(&key(KeyCode::Char('Q'), KeyModifiers::SHIFT)),
            Some(Action::Quit)
        );
        assert_eq!(
            km.action(&key(KeyCode::Char('q'), KeyModifiers::NONE)),
            None
        );
    }

    #[test]
    fn unknown_actions_and_keys_are_named() {
        let e = KeyMap::parse("fly = [\"f\"]", "k.toml", None)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("k.toml: unknown action 'fly'"), "{e}");
        let e = KeyMap::parse("quit = [\"Hyper-q\"]", "k.toml", None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("key 'Hyper-q' of action 'quit'"), "{e}");
    }
}
