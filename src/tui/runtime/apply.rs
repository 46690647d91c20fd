//! Applying one event: file changes reload their caches, everything else goes through
//! [`App::handle`](super::super::app::App::handle) and the effects it returns; and drawing a frame.

use super::super::app::{Effect, Overlay, View};
use super::super::data::Source;
use super::super::event::{Event, FileKind};
use super::super::{editor, render, terminal};
use super::{Loop, Stats, now_ms};
use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::Instant;

impl<W: Write> Loop<'_, W> {
    pub(super) fn draw(&mut self, stats: &mut Stats, start: Instant) -> anyhow::Result<()> {
        self.app.now_ms = now_ms();
        let app = &self.app;
        terminal::draw_synchronized(self.term, |f| render::draw(f, app))?;
        self.app.dirty = false;
        self.app.urgent = false;
        stats.frames += 1;
        stats.first_frame.get_or_insert(start.elapsed());
        stats.first_frame_at.get_or_insert_with(Instant::now);
        Ok(())
    }

    pub(super) async fn apply(&mut self, ev: Event) {
        match ev {
            Event::FileChanged(kind) => self.reload(kind),
            Event::Resize(w, h) => {
                let _ = self.term.autoresize();
                self.app.handle(Event::Resize(w, h));
            }
            ev => {
                let was_monitor = self.app.view == View::Monitor;
                let effects = self.app.handle(ev);
                for fx in effects {
                    self.effect(fx);
                }
                if let Some(Overlay::Launch(f)) = &self.app.overlay
                    && !f.filled
                {
                    let params = self.source.stage_params(&f.stage);
                    self.app.fill_launch_form(params);
                }
                if self.app.view == View::Monitor && !was_monitor {
                    self.refresh_picture();
                }
            }
        }
    }

    fn send_later(&self, f: impl FnOnce(&dyn Source) -> Vec<Event> + Send + 'static) {
        let source = self.source.clone();
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            for ev in f(source.as_ref()) {
                let _ = tx.send(ev);
            }
        });
    }

    fn effect(&mut self, fx: Effect) {
        match fx {
            Effect::Launch { .. }
            | Effect::Note { .. }
            | Effect::UndoStep(_)
            | Effect::Cancel(_)
            | Effect::Resume(_) => {
                self.send_later(move |s| super::super::effects::run(s, fx).unwrap_or_default());
            }
            Effect::Attach(id) => {
                self.send_log(&id);
                self.refresh_picture();
            }
            Effect::OpenEditor(text) => self.open_editor(text),
            Effect::Redraw => {
                let _ = self.term.clear();
                self.reload(FileKind::Sop);
                self.reload(FileKind::Journal);
                self.app.touch();
            }
        }
    }

    fn open_editor(&mut self, text: String) {
        if !self.real_tty {
            self.app
                .handle(Event::Done(Err("no terminal to hand to $EDITOR".into())));
            return;
        }
        self.input_paused.store(true, Ordering::SeqCst);
        terminal::restore();
        let r = editor::edit(&text);
        let _ = terminal::enter();
        let _ = self.term.clear();
        self.input_paused.store(false, Ordering::SeqCst);
        match r {
            Ok(t) => self.app.editor_returned(t),
            Err(e) => {
                self.app.handle(Event::Done(Err(format!("{e:#}"))));
            }
        }
        self.app.touch();
    }
}
