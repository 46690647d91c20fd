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
/// be restored to cooked mode by the caller.
pub fn edit(initial: &str) -> anyhow::Result<String> {
    let file = tempfile::Builder::new()
        .prefix("tinct-note-")
        .suffix(".md")
        .tempfile()
        .context("cannot create a temp file for the editor")?;
    std::fs::write(file.path(), initial).with_context(|| format!("{}", file.path().display()))?;
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
    std::fs::read_to_string(file.path()).with_context(|| format!("{}", file.path().display()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn editor_output_comes_back() {
        // SAFETY: tests in this module are the only ones touching VISUAL.
        unsafe { std::env::set_var("VISUAL", "sed -i s/draft/final/") };
        assert_eq!(super::edit("draft note").unwrap(), "final note");
        unsafe { std::env::remove_var("VISUAL") };
    }
}
