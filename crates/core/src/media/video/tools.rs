//! The `ffmpeg` and `ffprobe` programs tinct drives for video references (Debian's `ffmpeg`
//! package). A machine without them gets one error line saying how to install them.

use std::path::Path;
use std::process::{Command, Stdio};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Ffmpeg,
    Ffprobe,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Ffmpeg => "ffmpeg",
            Tool::Ffprobe => "ffprobe",
        }
    }

    /// A command for the tool; `$TINCT_FFMPEG` / `$TINCT_FFPROBE` name another build.
    pub fn command(self) -> Command {
        let var = match self {
            Tool::Ffmpeg => "TINCT_FFMPEG",
            Tool::Ffprobe => "TINCT_FFPROBE",
        };
        let program = std::env::var_os(var).unwrap_or_else(|| self.name().into());
        let mut c = Command::new(program);
        c.stdin(Stdio::null());
        c
    }
}

/// The error for a spawn that failed; a missing program says how to get it.
pub fn spawn_error(tool: Tool, file: &Path, e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        anyhow::anyhow!(
            "{}: reading a video needs the `{}` program, which is not on PATH; install FFmpeg \
             (Debian/Ubuntu: `sudo apt-get install ffmpeg`), or convert the video to an image \
             sequence on another machine",
            file.display(),
            tool.name()
        )
    } else {
        anyhow::anyhow!("{}: cannot start {}: {e}", file.display(), tool.name())
    }
}

/// Run the tool to its end; its stdout, or an error naming `file` with the tool's last words.
pub fn run_tool(tool: Tool, file: &Path, args: &[&str]) -> anyhow::Result<Vec<u8>> {
    let out = tool
        .command()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| spawn_error(tool, file, e))?;
    if !out.status.success() {
        anyhow::bail!(
            "{}: {} failed ({}): {}",
            file.display(),
            tool.name(),
            out.status,
            last_line(&out.stderr)
        );
    }
    Ok(out.stdout)
}

/// The last non-empty line a tool wrote (its error, usually).
pub fn last_line(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no message")
        .trim()
        .to_string()
}
