//! Errors of `tinct.toml`: every one names the file, and where the text is at fault, the line,
//! the column and the dotted key, so an operator can go straight to the offending value.

use std::path::{Path, PathBuf};

/// A `tinct.toml` (or `--set`) problem.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file parsed badly or holds a value/key the schema refuses.
    #[error("{}:{line}:{column}: {}{message}", path.display(), key_prefix(key))]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        key: Option<String>,
        message: String,
    },
    /// A `--set` override that cannot apply.
    #[error("--set {assignment}: {message}")]
    Override {
        assignment: String,
        key: String,
        message: String,
    },
}

fn key_prefix(key: &Option<String>) -> String {
    match key {
        Some(k) => format!("key `{k}`: "),
        None => String::new(),
    }
}

impl ConfigError {
    /// Translate a `toml` deserialisation error of `text` (read from `path`) into one that names
    /// line, column and key.
    pub fn from_toml(path: &Path, text: &str, err: &toml::de::Error) -> ConfigError {
        let (line, column) = match err.span() {
            Some(span) => line_col(text, span.start),
            None => (0, 0),
        };
        let message = err.message().trim().to_string();
        let key = key_of(text, err);
        ConfigError::Invalid {
            path: path.to_path_buf(),
            line,
            column,
            key,
            message,
        }
    }

    /// The dotted key at fault, where known.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { key, .. } => key.as_deref(),
            ConfigError::Override { key, .. } => Some(key),
        }
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The dotted key an error is about: the table path `toml` tracked (shown only when the error
/// has no input attached) plus, for unknown fields, the field it named; failing that, the
/// `[section]` header and `key =` of the line the span points into.
fn key_of(text: &str, err: &toml::de::Error) -> Option<String> {
    let mut bare = err.clone();
    bare.set_input(None);
    let rendered = bare.to_string();
    let tracked: Vec<String> = rendered
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("in `").and_then(|r| r.strip_suffix('`')))
        .map(|k| k.split('.').map(str::to_string).collect())
        .unwrap_or_default();
    let unknown = err
        .message()
        .strip_prefix("unknown field `")
        .and_then(|r| r.split('`').next())
        .map(str::to_string);
    let mut key = tracked.clone();
    if let Some(field) = unknown {
        key.push(field);
    }
    if !key.is_empty() && (key.len() > 1 || tracked.is_empty()) {
        return Some(key.join("."));
    }
    let from_text = err.span().and_then(|s| key_at(text, s.start));
    from_text.or(if key.is_empty() {
        None
    } else {
        Some(key.join("."))
    })
}

/// `section.key` for the line holding byte `offset`: the last `[header]` above it and the key
/// left of `=` on that line.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let line_start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line_end = text[offset..]
        .find('\n')
        .map(|i| offset + i)
        .unwrap_or(text.len());
    let line = &text[line_start..line_end];
    let section = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && !l.starts_with("[["))
        .map(|h| h.trim_matches(|c| c == '[' || c == ']').trim().to_string());
    if line.trim_start().starts_with('[') {
        return Some(
            line.trim()
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_string(),
        );
    }
    let key = line
        .split('=')
        .next()
        .map(str::trim)
        .filter(|k| !k.is_empty() && !k.starts_with('#'))?;
    Some(match section {
        Some(s) if !s.is_empty() => format!("{s}.{key}"),
        _ => key.to_string(),
    })
}
