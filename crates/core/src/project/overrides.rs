//! `--set key.path=value`: override one config value for one command.
//!
//! The value is read as a TOML literal (`200`, `true`, `[1, 2]`, `"text"`) and falls back to a
//! plain string, so `--set align.model=affine` needs no quotes. The result is re-deserialised
//! with the schema's `deny_unknown_fields`, so a misspelt key or a wrong type fails here, naming
//! the key, rather than silently doing nothing.

use super::config::Config;
use super::error::ConfigError;

/// Apply every `KEY=VALUE` in order to a copy of `config`.
pub fn apply(config: &Config, set: &[String]) -> Result<Config, ConfigError> {
    let mut current = config.clone();
    for assignment in set {
        current = apply_one(&current, assignment)?;
    }
    Ok(current)
}

fn apply_one(config: &Config, assignment: &str) -> Result<Config, ConfigError> {
    let fail = |key: &str, message: String| ConfigError::Override {
        assignment: assignment.to_string(),
        key: key.to_string(),
        message,
    };
    let (key, raw) = assignment.split_once('=').ok_or_else(|| {
        fail(
            assignment,
            "expected KEY=VALUE, e.g. train.steps=200".into(),
        )
    })?;
    let key = key.trim();
    let segments: Vec<&str> = key.split('.').map(str::trim).collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(fail(key, "empty key segment".into()));
    }
    let mut root = toml::Table::try_from(config).map_err(|e| fail(key, e.to_string()))?;

    // Walk to the table that holds the leaf, accepting snake_case for kebab-case keys.
    let mut table = &mut root;
    let mut canonical = Vec::with_capacity(segments.len());
    for (i, seg) in segments.iter().enumerate() {
        let name = resolve(table, seg);
        canonical.push(name.clone());
        if i + 1 == segments.len() {
            break;
        }
        table = match table.get_mut(&name) {
            Some(toml::Value::Table(t)) => t,
            Some(_) => {
                return Err(fail(
                    key,
                    format!("`{}` is a value, not a section", canonical.join(".")),
                ));
            }
            None => {
                return Err(fail(
                    key,
                    format!("unknown config key `{}`", canonical.join(".")),
                ));
            }
        };
    }
    let leaf = canonical.last().expect("at least one segment").clone();
    let dotted = canonical.join(".");
    if segments.len() == 1 {
        return Err(fail(
            &dotted,
            "name a value inside a section, e.g. train.steps".into(),
        ));
    }
    let literal = parse_literal(raw.trim());
    let was_string = matches!(literal, toml::Value::String(_));
    table.insert(leaf.clone(), literal);
    match deserialize(&root) {
        Ok(c) => Ok(c),
        // `--set project.name=1999`: a literal that parses as a number but is meant as text.
        Err(_) if !was_string => {
            table_at(&mut root, &canonical)
                .insert(leaf, toml::Value::String(raw.trim().to_string()));
            deserialize(&root).map_err(|e| fail(&dotted, explain(&dotted, &e)))
        }
        Err(e) => Err(fail(&dotted, explain(&dotted, &e))),
    }
}

fn deserialize(root: &toml::Table) -> Result<Config, toml::de::Error> {
    root.clone().try_into()
}

fn explain(key: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim();
    if msg.starts_with("unknown field") {
        format!("unknown config key `{key}` ({msg})")
    } else {
        msg.to_string()
    }
}

/// The table that holds the leaf of `path` (all but the last segment exist by now).
fn table_at<'a>(root: &'a mut toml::Table, path: &[String]) -> &'a mut toml::Table {
    let mut t = root;
    for seg in &path[..path.len() - 1] {
        t = t
            .get_mut(seg)
            .and_then(toml::Value::as_table_mut)
            .expect("walked before");
    }
    t
}

/// `crop_size` → `crop-size` when only the kebab-case spelling exists.
fn resolve(table: &toml::Table, seg: &str) -> String {
    let kebab = seg.replace('_', "-");
    if !table.contains_key(seg) && table.contains_key(&kebab) {
        kebab
    } else {
        seg.to_string()
    }
}

/// A TOML literal, or the raw text as a string.
fn parse_literal(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> Result<Config, ConfigError> {
        apply(
            &Config::default(),
            &items.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
    }

    #[test]
    fn integer_string_and_array_values_apply() {
        let c = set(&[
            "train.steps=200",
            "align.model=affine",
            "curate.frames=[1, 5, 9]",
        ])
        .unwrap();
        assert_eq!(c.train.steps, crate::project::config::Steps::Count(200));
        assert_eq!(c.align.model, "affine");
        assert_eq!(c.curate.frames, vec![1, 5, 9]);
    }

    #[test]
    fn snake_case_is_accepted_for_kebab_keys() {
        assert_eq!(set(&["train.crop_size=128"]).unwrap().train.crop_size, 128);
    }

    #[test]
    fn numeric_text_falls_back_to_string() {
        assert_eq!(set(&["project.name=1999"]).unwrap().project.name, "1999");
    }

    #[test]
    fn unknown_key_is_named() {
        let e = set(&["train.stepz=3"]).unwrap_err();
        assert_eq!(e.key(), Some("train.stepz"));
        assert!(e.to_string().contains("train.stepz"), "{e}");
        let e = set(&["trian.steps=3"]).unwrap_err();
        assert!(e.to_string().contains("trian"), "{e}");
    }

    #[test]
    fn wrong_type_is_refused() {
        let e = set(&["train.steps=many"]).unwrap_err();
        assert_eq!(e.key(), Some("train.steps"));
    }

    #[test]
    fn missing_equals_is_refused() {
        assert!(set(&["train.steps"]).is_err());
    }
}
