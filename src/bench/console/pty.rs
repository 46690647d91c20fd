//! A pseudo-terminal that plays a plain xterm without graphics, to time the console's first
//! frame as a whole process: from `exec` to the end of the first frame on the terminal.
//!
//! The program is started in its own session with the pty's slave as its controlling terminal.
//! It asks the questions a console asks a terminal at start-up (cursor position, device
//! attributes, status); a real terminal answers them within one round trip, so this one
//! answers at once, as a local xterm would. Graphics queries (kitty, cell size) get no answer,
//! like on a terminal without graphics.

use anyhow::Context;
use std::ffi::{CStr, OsStr};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// End of a synchronized update: the console wraps every frame in one.
const FRAME_END: &[u8] = b"\x1b[?2026l";

/// Queries a plain xterm answers, and its answers.
const ANSWERS: [(&[u8], &[u8]); 3] = [
    (b"\x1b[6n", b"\x1b[1;1R"),   // cursor position
    (b"\x1b[c", b"\x1b[?62;22c"), // primary device attributes: VT220, colour, no sixel
    (b"\x1b[5n", b"\x1b[0n"),     // device status: OK
];

/// A pty pair: (master, slave), the slave sized `cols` x `rows`.
fn open_pty(cols: u16, rows: u16) -> anyhow::Result<(File, File)> {
    let last = || std::io::Error::last_os_error();
    // SAFETY: plain libc calls; the master fd is owned by the File right after it is opened,
    // and every result is checked before it is used.
    unsafe {
        let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(last()).context("posix_openpt");
        }
        let master = File::from_raw_fd(fd);
        if libc::grantpt(fd) != 0 || libc::unlockpt(fd) != 0 {
            return Err(last()).context("grantpt/unlockpt");
        }
        let mut name = [0 as libc::c_char; 128];
        if libc::ptsname_r(fd, name.as_mut_ptr(), name.len()) != 0 {
            return Err(last()).context("ptsname_r");
        }
        let size = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        if libc::ioctl(fd, libc::TIOCSWINSZ, &size) != 0 {
            return Err(last()).context("TIOCSWINSZ");
        }
        let path = CStr::from_ptr(name.as_ptr()).to_string_lossy().into_owned();
        let slave = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(&path)
            .with_context(|| format!("{path}: cannot open the pty's slave"))?;
        Ok((master, slave))
    }
}

/// The first complete query in `bytes`: (offset, query length, answer).
fn next_query(bytes: &[u8]) -> Option<(usize, usize, &'static [u8])> {
    (0..bytes.len()).find_map(|i| {
        ANSWERS
            .iter()
            .find(|(q, _)| bytes[i..].starts_with(q))
            .map(|(q, a)| (i, q.len(), *a))
    })
}

/// Run `exe args…` on a `cols` x `rows` pty until it has drawn its first frame, then type `q`
/// and wait for it to quit. Returns the time from spawn to the end of the first frame.
pub fn time_to_first_frame(
    exe: &Path,
    args: &[&OsStr],
    (cols, rows): (u16, u16),
    timeout: Duration,
) -> anyhow::Result<Duration> {
    let (master, slave) = open_pty(cols, rows)?;
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .env("TERM", "xterm-256color")
        // A plain xterm: no hints that would make the console try a graphics protocol or tmux.
        .env_remove("TMUX")
        .env_remove("TERM_PROGRAM")
        .env_remove("LC_TERMINAL")
        .env_remove("KITTY_WINDOW_ID")
        .env_remove("WEZTERM_EXECUTABLE")
        .env_remove("KONSOLE_VERSION")
        .stdin(Stdio::from(slave.try_clone()?))
        .stdout(Stdio::from(slave.try_clone()?))
        .stderr(Stdio::from(slave));
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let t0 = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", exe.display()))?;
    // The parent's copies of the slave must go, or the master never sees the child hang up.
    drop(cmd);

    let (tx, rx) = mpsc::channel::<Instant>();
    let mut reader = master.try_clone()?;
    let mut answerer = master.try_clone()?;
    let terminal = std::thread::spawn(move || {
        let mut seen: Vec<u8> = Vec::new();
        let (mut scanned, mut framed) = (0usize, false);
        let mut buf = vec![0u8; 1 << 16];
        // Ends with EIO once the child and every copy of the slave are gone.
        while let Ok(n @ 1..) = reader.read(&mut buf) {
            seen.extend_from_slice(&buf[..n]);
            let mut at = scanned;
            while let Some((i, len, answer)) = next_query(&seen[at..]) {
                let _ = answerer.write_all(answer);
                at += i + len;
            }
            // Every query is at most 4 bytes: earlier positions are decided.
            scanned = at.max(seen.len().saturating_sub(3));
            if !framed && seen.windows(FRAME_END.len()).any(|w| w == FRAME_END) {
                framed = true;
                let _ = tx.send(Instant::now());
            }
        }
    });
    let first = rx.recv_timeout(timeout);
    let mut keys = master;
    let _ = keys.write_all(b"q");
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(keys);
    let _ = terminal.join();
    let first = first.map_err(|_| {
        anyhow::anyhow!(
            "{} drew no frame within {timeout:?} on a pty",
            exe.display()
        )
    })?;
    Ok(first - t0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_queries_in_order_and_skips_other_sequences() {
        let out = b"\x1b[?1049h\x1b[6nxx\x1b[c\x1b[?2026l";
        let (i, len, a) = next_query(out).unwrap();
        assert_eq!((i, len, a), (8, 4, b"\x1b[1;1R".as_slice()));
        let (j, _, a) = next_query(&out[i + len..]).unwrap();
        assert_eq!((j, a), (2, b"\x1b[?62;22c".as_slice()));
        assert!(next_query(b"\x1b[?2026h\x1b[5").is_none());
    }
}
