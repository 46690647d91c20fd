//! What the loop keeps of the project's files between events, so a change reads only what
//! changed: the job list, how far each run's `metrics.jsonl` was read, and the contact sheet
//! made for the monitor's cells.

use super::super::app::View;
use super::super::data::{self, JobView};
use super::super::event::{Event, FileKind};
use super::super::keymap::KeyMap;
use super::super::render;
use super::super::theme::{self, Theme};
use super::Loop;
use ratatui::layout::Rect;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// What the loop remembers about runs between file events.
#[derive(Default)]
pub(super) struct Runs {
    pub(super) jobs: Vec<JobView>,
    /// metrics.jsonl: bytes and lines already read.
    offsets: HashMap<String, (u64, usize)>,
    /// The contact sheet asked for (path, mtime, cells), so it is decoded and encoded again
    /// only when the file or its area on screen changes.
    picture: Option<(PathBuf, SystemTime, Rect)>,
    pub(super) our_pids: Arc<Mutex<HashSet<u32>>>,
}

impl<W: Write> Loop<'_, W> {
    pub(super) fn send_log(&self, id: &str) {
        if let Ok(lines) = self.source.log_tail(id, 400) {
            let _ = self.tx.send(Event::Log(id.to_string(), lines));
        }
    }

    pub(super) fn read_metrics(&mut self, id: &str) {
        let dir = self
            .source
            .root()
            .join(crate::project::layout::RUNS)
            .join(id);
        let (off, lines) = self.runs.offsets.get(id).copied().unwrap_or((0, 0));
        let (delta, new_off) = data::read_metrics_from(&dir, off, lines);
        if new_off != off {
            self.runs
                .offsets
                .insert(id.to_string(), (new_off, lines + delta.lines));
            self.app.handle(Event::Metrics(id.to_string(), delta));
        }
    }

    /// Decode the newest contact sheet of the monitored run and make it ready for its cells,
    /// off the draw path, if the file or its area changed.
    pub(super) fn refresh_picture(&mut self) {
        let Some(area) = render::picture_area(&self.app) else {
            return;
        };
        let Some(run) = self.app.monitored_run().map(|j| j.id.clone()) else {
            return;
        };
        let Some(path) = self.source.latest_picture(&run) else {
            return;
        };
        let mtime = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .unwrap_or(UNIX_EPOCH);
        let key = (path.clone(), mtime, area);
        if self.runs.picture.as_ref() == Some(&key) {
            return;
        }
        self.runs.picture = Some(key);
        let graphics = self.opts.graphics.clone();
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let ev = match render::picture::prepare(&path, area, &graphics) {
                Ok(p) => Event::Picture(run, p),
                Err(e) => Event::Done(Err(format!("contact sheet: {e:#}"))),
            };
            let _ = tx.send(ev);
        });
    }

    /// The contact sheet's cells changed (resize, a validation line pushed it down): make it
    /// again for the new area. Only layout is computed here; files are read only if it moved.
    pub(super) fn follow_picture_area(&mut self) {
        if let Some((_, _, asked)) = &self.runs.picture
            && render::picture_area(&self.app).is_some_and(|a| a != *asked)
        {
            self.refresh_picture();
        }
    }

    pub(super) fn reload(&mut self, kind: FileKind) {
        match kind {
            FileKind::Run(id) => self.reload_run(&id),
            FileKind::Config => {
                let r = self.source.reload_config();
                self.app.project = self.source.project_name();
                if let Err(e) = r {
                    self.app.handle(Event::Done(Err(format!("{e:#}"))));
                }
                self.app.touch();
            }
            FileKind::Sop => {
                let ev = match self.source.checklist() {
                    Ok(c) => Event::Checklist(c),
                    Err(e) => Event::Done(Err(format!("SOP: {e:#}"))),
                };
                self.app.handle(ev);
            }
            FileKind::Journal => {
                if let Ok(j) = self.source.journal(200) {
                    self.app.handle(Event::Journal(j));
                }
            }
            FileKind::Theme | FileKind::Keys => {
                let cfg = theme::config_dir();
                match Theme::load(
                    &self.opts.theme,
                    cfg.as_ref().map(|d| d.join("themes")).as_deref(),
                    theme::no_color_requested(),
                ) {
                    Ok(t) => self.app.theme = t,
                    Err(e) => {
                        self.app.handle(Event::Done(Err(e.to_string())));
                    }
                }
                match KeyMap::load(cfg.as_ref().map(|d| d.join("keys.toml")).as_deref()) {
                    Ok(k) => self.app.keymap = k,
                    Err(e) => {
                        self.app.handle(Event::Done(Err(e.to_string())));
                    }
                }
                self.app.touch();
            }
        }
    }

    fn reload_run(&mut self, id: &str) {
        let dir = self
            .source
            .root()
            .join(crate::project::layout::RUNS)
            .join(id);
        if let Ok(mut job) = data::read_job(&dir) {
            let changed = match self.runs.jobs.iter_mut().find(|j| j.id == job.id) {
                Some(old) => {
                    let differs = (old.state, old.pid, old.ended, old.exit_code)
                        != (job.state, job.pid, job.ended, job.exit_code);
                    job.progress = job.progress.or(old.progress);
                    job.eta_s = old.eta_s;
                    *old = job.clone();
                    differs
                }
                None => {
                    self.runs.jobs.push(job.clone());
                    self.runs
                        .jobs
                        .sort_by(|a, b| b.started.cmp(&a.started).then(b.id.cmp(&a.id)));
                    true
                }
            };
            if changed {
                if let Ok(mut pids) = self.runs.our_pids.lock() {
                    *pids = self
                        .runs
                        .jobs
                        .iter()
                        .filter(|j| !j.state.is_final())
                        .filter_map(|j| j.pid)
                        .collect();
                }
                self.app.handle(Event::JobUpdate(self.runs.jobs.clone()));
            }
        }
        self.read_metrics(id);
        if self.app.attached.as_deref() == Some(id) {
            self.send_log(id);
        }
        if self.app.view == View::Monitor {
            self.refresh_picture();
        }
    }
}
