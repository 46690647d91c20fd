//! `$EDITOR` hand-off for long notes (like gitui): the runtime leaves the alternate screen,
//! the editor owns the terminal, and the text comes back into the note overlay.

use anyhow::Context;
use std::process::Command;

/// `$VISUAL`, else `$EDITOR`, else `vi`. May carry arguments (`code --wait`).
pub fn editor_command() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| "vi".into())
}

/// Edit `initial` in the operator's editor; returns the saved text. The terminal must already
/// be restored to cooked mode by the caller. What was typed goes in as whole lines (a final
/// newline added), so what the editor adds starts on a line of its own; the file's own final
/// newline does not come back.
pub fn edit(initial: &str) -> anyhow::Result<String> {
    let file = tempfile::Builder::new()
        .prefix("tinct-note-")
        .suffix(".md")
        .tempfile()
        .context("cannot create a temp file for the editor")?;
    let initial = if initial.is_empty() || initial.ends_with('\n') {
        initial.to_string()
    } else {
        format!("{initial}\n")
    };
    std::fs::write(file.path(), &initial).with_context(|| format!("{}", file.path().display()))?;
    let cmd = editor_command();
    // Through the shell so `EDITOR="code --wait"` works; the path is passed as $1, never spliced.
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{cmd} \"$1\""))
        .arg("tinct-editor")
        .arg(file.path())
        .status()
        .with_context(|| format!("cannot start editor '{cmd}'"))?;
    if !status.success() {
        anyhow::bail!("editor '{cmd}' exited with {status}; the note was kept as it was");
    }
    let text = std::fs::read_to_string(file.path())
        .with_context(|| format!("{}", file.path().display()))?;
    Ok(text.strip_suffix('\n').unwrap_or(&text).to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn editor_output_comes_back() {
        // SAFETY: tests in this module are the only ones touching VISUAL.
        unsafe { std::env::set_var("VISUAL", "sed -i s/draft/final/") };
        assert_eq!(super::edit("draft note").unwrap(), "final note");
        // An editor that appends: what was typed and what was added stay on their own lines.
        unsafe { std::env::set_var("VISUAL", "sh -c 'printf \"seen on reel 2\\n\" >> \"$0\"'") };
        assert_eq!(
            super::edit("typed in the console").unwrap(),
            "typed in the console\nseen on reel 2"
        );
        unsafe { std::env::remove_var("VISUAL") };
    }
}
