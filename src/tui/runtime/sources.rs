//! Where the loop's events come from: the keyboard (a thread, paused while `$EDITOR` owns the
//! terminal), SIGHUP/SIGTERM (quit cleanly; jobs are separate processes and keep running), the
//! telemetry sampler, the file watcher, and the benchmarks' quit timer.

use super::super::event::Event;
use super::super::watch;
use super::Loop;
use crossterm::event as ct;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

pub(super) fn spawn_input(tx: UnboundedSender<Event>, paused: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("tinct-input".into())
        .spawn(move || {
            while !tx.is_closed() {
                // While $EDITOR owns the terminal, keystrokes are its, not ours.
                if paused.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
                match ct::poll(Duration::from_millis(250)) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(_) => break,
                }
                let ev = match ct::read() {
                    Ok(ct::Event::Key(k)) if k.kind != ct::KeyEventKind::Release => Event::Key(k),
                    Ok(ct::Event::Resize(w, h)) => Event::Resize(w, h),
                    Ok(_) => continue,
                    Err(_) => break,
                };
                if tx.send(ev).is_err() {
                    break;
                }
            }
        })
        .expect("spawn input thread");
}

pub(super) fn spawn_signals(tx: UnboundedSender<Event>) {
    use tokio::signal::unix::{SignalKind, signal};
    tokio::spawn(async move {
        let (Ok(mut hup), Ok(mut term)) = (
            signal(SignalKind::hangup()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        tokio::select! {
            _ = hup.recv() => {}
            _ = term.recv() => {}
        }
        let _ = tx.send(Event::Quit);
    });
}

/// Start every source `lp.opts` asks for; the watcher lives as long as the returned value.
pub(super) fn spawn_all<W: Write>(
    lp: &mut Loop<'_, W>,
    cfg_dir: Option<PathBuf>,
) -> Option<notify::RecommendedWatcher> {
    let (opts, tx, root) = (&lp.opts, &lp.tx, lp.source.root().to_path_buf());
    if opts.input {
        spawn_input(tx.clone(), lp.input_paused.clone());
    }
    spawn_signals(tx.clone());
    if opts.telemetry {
        let t = tx.clone();
        crate::telemetry::spawn_sampler(
            root.clone(),
            crate::telemetry::SAMPLE_INTERVAL,
            lp.runs.our_pids.clone(),
            move |s, note| t.send(Event::Telemetry(s, note)).is_ok(),
        );
    }
    if let Some(after) = opts.quit_after {
        let t = tx.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let _ = t.send(Event::Quit);
        });
    }
    if !opts.watch {
        return None;
    }
    let set = watch::WatchSet {
        runs: root.join(crate::project::layout::RUNS),
        files: lp.source.watched_files(),
        root,
        config_dir: cfg_dir,
    };
    let t = tx.clone();
    match watch::spawn(set, move |k| t.send(Event::FileChanged(k)).is_ok()) {
        Ok(w) => Some(w),
        Err(e) => {
            lp.app.handle(Event::Done(Err(format!(
                "file watching is off ({e}): press Ctrl-l to refresh"
            ))));
            None
        }
    }
}
