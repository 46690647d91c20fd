//! The Markdown form of entries (described for people in the repository's `notes/FORMAT.md`).
//!
//! ```text
//! ## 2026-11-26T14:20:03Z · decision · alignment · align.model
//!
//! - operator: alice
//! - run: 20261126-142003-align
//! - config:
//!   - align.model = similarity
//! - metrics:
//!   - residual = 0.42
//!
//! > Similarity: the telecine is a plain scale and offset, no keystone.
//! ```
//!
//! The header line alone marks an entry; the text is a block quote, so whatever an operator
//! writes (even a line that looks like a header) cannot be mistaken for structure. Anything
//! else between entries (hand-written prose, headings) is left alone and skipped by the parser.

use super::entry::{Entry, Kind};
use chrono::{DateTime, NaiveDateTime, Utc};
use regex::Regex;
use std::sync::LazyLock;

const SEP: &str = " · ";
const NONE: &str = "-";
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^## (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?Z · ([a-z-]+)(?: · (.*?))?(?: · (.*?))?\s*$")
        .expect("valid regex")
});

/// The entry as Markdown lines joined by `eol`, starting with its header, ending with `eol`.
pub fn render(entry: &Entry, eol: &str) -> String {
    let mut lines = vec![format!(
        "## {}{SEP}{}{SEP}{}{SEP}{}",
        entry.timestamp.format(TIME_FORMAT),
        entry.kind,
        field(entry.stage.as_deref()),
        field(entry.step.as_deref()),
    )];
    lines.push(String::new());
    lines.push(format!("- operator: {}", one_line(&entry.operator)));
    if let Some(run) = &entry.run_id {
        lines.push(format!("- run: {}", one_line(run)));
    }
    if !entry.config.is_empty() {
        lines.push("- config:".into());
        for (k, v) in &entry.config {
            lines.push(format!("  - {} = {}", key(k), one_line(v)));
        }
    }
    if !entry.metrics.is_empty() {
        lines.push("- metrics:".into());
        for (k, v) in &entry.metrics {
            lines.push(format!("  - {} = {}", key(k), v));
        }
    }
    lines.push(String::new());
    let text = entry.text.replace("\r\n", "\n");
    for line in text.trim_end_matches('\n').split('\n') {
        lines.push(if line.is_empty() {
            ">".into()
        } else {
            format!("> {line}")
        });
    }
    let mut out = lines.join(eol);
    out.push_str(eol);
    out
}

fn field(v: Option<&str>) -> String {
    match v.map(str::trim) {
        Some(s) if !s.is_empty() => one_line(s).replace(SEP.trim(), "-"),
        _ => NONE.into(),
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

fn key(k: &str) -> String {
    one_line(k).replace(" = ", "=")
}

/// Every entry in `text`, in file order. Lines that belong to no entry are skipped, so hand
/// edits between entries (and CRLF line ends) do no harm.
pub fn parse(text: &str) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut current: Option<Building> = None;
    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(entry) = parse_header(line) {
            entries.extend(current.take().map(Building::finish));
            current = Some(Building {
                entry,
                text: Vec::new(),
                list: None,
            });
            continue;
        }
        if let Some(b) = current.as_mut() {
            b.line(line);
        }
    }
    entries.extend(current.map(Building::finish));
    entries
}

fn parse_header(line: &str) -> Option<Entry> {
    let caps = HEADER.captures(line)?;
    let naive = NaiveDateTime::parse_from_str(&caps[1], "%Y-%m-%dT%H:%M:%S").ok()?;
    let kind = Kind::from_id(&caps[2])?;
    let opt = |i: usize| {
        caps.get(i)
            .map(|m| m.as_str().trim())
            .filter(|s| !s.is_empty() && *s != NONE)
            .map(str::to_string)
    };
    let mut entry = Entry::new(kind, "");
    entry.timestamp = DateTime::<Utc>::from_naive_utc_and_offset(naive, Utc);
    entry.operator = String::new();
    entry.stage = opt(3);
    entry.step = opt(4);
    Some(entry)
}

#[derive(Clone, Copy)]
enum List {
    Config,
    Metrics,
}

struct Building {
    entry: Entry,
    text: Vec<String>,
    list: Option<List>,
}

impl Building {
    fn line(&mut self, line: &str) {
        if let Some(q) = line.strip_prefix('>') {
            self.text.push(q.strip_prefix(' ').unwrap_or(q).to_string());
            return;
        }
        if let (Some(list), Some(item)) = (self.list, line.strip_prefix("  - ")) {
            if let Some((k, v)) = item.split_once(" = ") {
                match list {
                    List::Config => {
                        self.entry
                            .config
                            .insert(k.trim().to_string(), v.trim().to_string());
                    }
                    List::Metrics => {
                        let value = serde_json::from_str(v.trim())
                            .unwrap_or_else(|_| serde_json::Value::String(v.trim().to_string()));
                        self.entry.metrics.insert(k.trim().to_string(), value);
                    }
                }
            }
            return;
        }
        self.list = None;
        let Some(item) = line.strip_prefix("- ") else {
            return;
        };
        let (name, value) = item
            .split_once(':')
            .map(|(n, v)| (n.trim(), v.trim()))
            .unwrap_or((item.trim(), ""));
        match name {
            "operator" => self.entry.operator = value.to_string(),
            "run" if !value.is_empty() => self.entry.run_id = Some(value.to_string()),
            "config" => self.list = Some(List::Config),
            "metrics" => self.list = Some(List::Metrics),
            _ => {}
        }
    }

    fn finish(mut self) -> Entry {
        self.entry.text = self.text.join("\n");
        self.entry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_entry() -> Entry {
        let mut e = Entry::new(
            Kind::Decision,
            "Similarity model.\n\n## 2020-01-01T00:00:00Z · note · fake header\n> nested quote",
        )
        .at(Some("alignment"), Some("align.model"))
        .with_run("20261126-142003-align")
        .with_config("align.model", "similarity")
        .with_config("train.steps", 2000)
        .with_metric("residual", 0.42)
        .with_metric("flagged", serde_json::json!([3, 17]))
        .with_metric("label", "a = b");
        e.operator = "alice".into();
        e
    }

    #[test]
    fn entries_round_trip_with_lf_and_crlf() {
        let a = full_entry();
        let b =
            Entry::new(Kind::QcFail, "colour bleeds past the hat brim").at(Some("inference"), None);
        for eol in ["\n", "\r\n"] {
            let text = format!(
                "# Journal{eol}{eol}{}{eol}{}",
                render(&a, eol),
                render(&b, eol)
            );
            assert_eq!(parse(&text), vec![a.clone(), b.clone()], "eol {eol:?}");
        }
    }

    #[test]
    fn hand_written_prose_between_entries_is_skipped() {
        let a = Entry::new(Kind::Note, "first");
        let b = Entry::new(Kind::QcPass, "second");
        let text = format!(
            "# Reel 3\n\nSome prose.\n## Week 2 (a heading)\n- a list\n\n{}\nMore prose that someone typed.\n\n{}",
            render(&a, "\n"),
            render(&b, "\n")
        );
        let parsed = parse(&text);
        assert_eq!(parsed, vec![a, b]);
    }

    #[test]
    fn header_formats_kind_stage_and_step() {
        let e = Entry::new(Kind::QcPass, "ok").at(Some("dataset"), Some("dataset.pairs"));
        let first = render(&e, "\n").lines().next().unwrap().to_string();
        assert!(
            first.ends_with(" · qc-pass · dataset · dataset.pairs"),
            "{first}"
        );
        let bare = Entry::new(Kind::Note, "ok");
        assert!(
            render(&bare, "\n")
                .lines()
                .next()
                .unwrap()
                .ends_with(" · note · - · -")
        );
    }
}
