//! The terminal: raw mode and the alternate screen in, everything restored on the way out,
//! on panic and on SIGHUP/SIGTERM (the runtime calls [`restore`]). Frames are wrapped in
//! synchronized-update brackets so a terminal never shows half a frame.

use crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute, queue};
use ratatui::backend::CrosstermBackend;
use ratatui::{Frame, Terminal};
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Counts the bytes that reach the terminal (the console's cost over SSH, for `tinct bench`).
pub struct CountingWriter<W: Write> {
    inner: W,
    pub count: Arc<AtomicU64>,
}

impl<W: Write> CountingWriter<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            count: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

pub type Term<W> = Terminal<CrosstermBackend<W>>;

/// Raw mode, alternate screen, hidden cursor.
pub fn enter() -> io::Result<()> {
    enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen, cursor::Hide)?;
    ACTIVE.store(true, Ordering::SeqCst);
    Ok(())
}

/// Undo [`enter`]; safe to call twice (panic hook + normal exit).
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = execute!(
            io::stdout(),
            EndSynchronizedUpdate,
            LeaveAlternateScreen,
            cursor::Show
        );
        let _ = disable_raw_mode();
    }
}

/// Restore the terminal before the panic message prints, so it is readable.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// Draw one frame inside a synchronized update.
pub fn draw_synchronized<W: Write>(
    t: &mut Term<W>,
    render: impl FnOnce(&mut Frame),
) -> io::Result<()> {
    queue!(t.backend_mut(), BeginSynchronizedUpdate)?;
    t.draw(render)?;
    execute!(t.backend_mut(), EndSynchronizedUpdate)?;
    Ok(())
}
