//! All console state in one struct, changed only by [`App::handle`]. No terminal, no I/O:
//! what must touch the world comes back as [`Effect`]s for the runtime to carry out, and the
//! results come back as events. Tests drive this directly.

use super::data::{
    JobState, JobView, JournalEntryView, Kind, Picture, RunMetrics, StageView, StepKind,
    StepStatus, StepView,
};
use super::event::Event;
use super::form::ParamForm;
use super::keymap::{Action, KeyMap};
use super::textedit::TextArea;
use super::theme::Theme;
use crate::telemetry::History;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Checklist,
    Jobs,
    Monitor,
    Telemetry,
    Journal,
}

impl View {
    pub const ALL: [View; 5] = [
        View::Checklist,
        View::Jobs,
        View::Monitor,
        View::Telemetry,
        View::Journal,
    ];

    pub fn title(self) -> &'static str {
        match self {
            View::Checklist => "Checklist",
            View::Jobs => "Jobs",
            View::Monitor => "Monitor",
            View::Telemetry => "Telemetry",
            View::Journal => "Journal",
        }
    }
}

/// A note being written: free note, or the answer to a check/qc/decision step.
#[derive(Clone, Debug, PartialEq)]
pub struct NoteDraft {
    pub stage: Option<String>,
    pub step: Option<String>,
    pub kind: Kind,
    pub prompt: String,
    pub text: TextArea,
    /// Check the step once the note is written (answers to steps do; free notes don't).
    pub checks_step: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Overlay {
    Help,
    Launch(ParamForm),
    Note(NoteDraft),
}

/// What the runtime must do for the app.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Launch {
        stage: String,
        step: Option<String>,
        overrides: Vec<String>,
    },
    Note {
        stage: Option<String>,
        step: Option<String>,
        kind: Kind,
        text: String,
        check: bool,
    },
    UndoStep(String),
    Cancel(String),
    Resume(String),
    /// Follow a job: read its log tail and metrics now and on every change.
    Attach(String),
    /// Hand the note text to `$EDITOR`; the result comes back through [`App::editor_returned`].
    OpenEditor(String),
    /// Clear and repaint the whole terminal.
    Redraw,
}

/// Loss-chart settings (CopyCat's Progress tab has the same three).
#[derive(Clone, Debug, PartialEq)]
pub struct MonitorSettings {
    /// Exponential smoothing weight 0 ..= 0.99.
    pub smoothing: f64,
    pub log_scale: bool,
    /// Overlay earlier runs of the same stage.
    pub overlay: bool,
}

pub struct App {
    pub project: String,
    pub keymap: KeyMap,
    pub theme: Theme,
    pub ascii: bool,
    pub view: View,
    pub overlay: Option<Overlay>,
    pub stages: Vec<StageView>,
    /// Index into [`App::steps`] (flattened), the selected step.
    pub cursor: usize,
    /// The operator moved the cursor: reloads no longer jump to the current step.
    moved: bool,
    pub jobs: Vec<JobView>,
    pub job_cursor: usize,
    /// The job whose log and metrics are followed.
    pub attached: Option<String>,
    pub log: Vec<String>,
    pub metrics: BTreeMap<String, RunMetrics>,
    pub picture: Option<Picture>,
    pub monitor: MonitorSettings,
    pub telemetry: History,
    pub journal: Vec<JournalEntryView>,
    pub journal_scroll: usize,
    /// One line for the status bar: (is_error, text).
    pub message: Option<(bool, String)>,
    pub size: (u16, u16),
    /// Wall clock (unix ms) as of the last event; renders read time only from here.
    pub now_ms: u64,
    /// Something visible changed since the last frame.
    pub dirty: bool,
    /// Part of that change is one the operator expects to see at once (a key, a message, a job
    /// that changed state), not only streaming data (metrics, telemetry, a log tail, the
    /// clock), which the runtime draws at a slower cadence. Both cleared when a frame is drawn.
    pub urgent: bool,
    pub quit: bool,
    /// An action that waits for `y`/Enter (any other key drops it): cancelling a running job,
    /// launching a step that is already done.
    pub confirm: Option<Confirm>,
    /// What the operator typed into each stage's launch form this session (key → value), put
    /// back when the form opens again.
    pub launch_memory: BTreeMap<String, Vec<(String, String)>>,
    /// First line of the help overlay on screen (the render clamps it to the last page).
    pub help_scroll: usize,
    /// First line of the step detail on screen; back to 0 when another step is selected.
    pub detail_scroll: u16,
}

/// What a confirmed question does.
#[derive(Clone, Debug, PartialEq)]
pub enum Confirm {
    Effects(Vec<Effect>),
    /// Open the launch form of `stage` for `step` again.
    Relaunch {
        stage: String,
        step: String,
    },
}

impl App {
    pub fn new(project: String, keymap: KeyMap, theme: Theme, ascii: bool) -> App {
        App {
            project,
            keymap,
            theme,
            ascii,
            view: View::Checklist,
            overlay: None,
            stages: Vec::new(),
            cursor: 0,
            moved: false,
            jobs: Vec::new(),
            job_cursor: 0,
            attached: None,
            log: Vec::new(),
            metrics: BTreeMap::new(),
            picture: None,
            monitor: MonitorSettings {
                smoothing: 0.9,
                log_scale: false,
                overlay: false,
            },
            telemetry: History::default(),
            journal: Vec::new(),
            journal_scroll: 0,
            message: None,
            size: (80, 24),
            now_ms: 0,
            dirty: true,
            urgent: true,
            quit: false,
            confirm: None,
            launch_memory: BTreeMap::new(),
            help_scroll: 0,
            detail_scroll: 0,
        }
    }

    /// Every step in order with its stage.
    pub fn steps(&self) -> impl Iterator<Item = (&StageView, &StepView)> {
        self.stages
            .iter()
            .flat_map(|s| s.steps.iter().map(move |st| (s, st)))
    }

    pub fn selected_step(&self) -> Option<(&StageView, &StepView)> {
        self.steps().nth(self.cursor)
    }

    /// The step the SOP is at: the first one not done.
    pub fn current_step(&self) -> Option<usize> {
        self.steps().position(|(_, s)| s.status != StepStatus::Done)
    }

    pub fn selected_job(&self) -> Option<&JobView> {
        self.jobs.get(self.job_cursor)
    }

    /// The run the monitor shows: the attached job, else the newest training-like job.
    pub fn monitored_run(&self) -> Option<&JobView> {
        let attached = self
            .attached
            .as_ref()
            .and_then(|id| self.jobs.iter().find(|j| &j.id == id));
        attached
            .or_else(|| self.jobs.iter().find(|j| j.stage == "train"))
            .or_else(|| self.jobs.first())
    }

    /// Whether time itself shows on screen (elapsed/ETA of a live job): then a 1 s tick is due.
    pub fn wants_tick(&self) -> bool {
        self.jobs.iter().any(|j| !j.state.is_final())
    }

    fn say(&mut self, error: bool, text: impl Into<String>) {
        self.message = Some((error, text.into()));
    }

    /// Apply one event. Returns what must be done outside.
    pub fn handle(&mut self, ev: Event) -> Vec<Effect> {
        let mut urgent = true;
        match ev {
            Event::Key(k) => {
                let fx = self.key(k);
                self.touch();
                return fx;
            }
            Event::Resize(w, h) => self.size = (w, h),
            Event::JobUpdate(jobs) => self.set_jobs(jobs),
            Event::Metrics(run, m) => {
                let visible = self.view == View::Monitor
                    || self.jobs.iter().any(|j| j.id == run && !j.state.is_final());
                urgent = false;
                self.metrics.entry(run.clone()).or_default().merge(m);
                if let Some(j) = self.jobs.iter_mut().find(|j| j.id == run) {
                    let m = &self.metrics[&run];
                    j.progress = m.progress.or(j.progress);
                    j.eta_s = m.eta_s;
                }
                if !visible {
                    return Vec::new();
                }
            }
            Event::Log(run, lines) => {
                if self.attached.as_deref() != Some(run.as_str()) {
                    return Vec::new();
                }
                // The first tail after attaching answers a key; later ones are streaming.
                urgent = self.log.is_empty();
                self.log = lines;
            }
            Event::Telemetry(sample, note) => {
                urgent = false;
                self.telemetry.gpu_note = note;
                self.telemetry.push(sample);
                // Nothing else shows telemetry: keep idle screens silent.
                if self.view != View::Telemetry || self.overlay.is_some() {
                    return Vec::new();
                }
            }
            Event::FileChanged(_) => return Vec::new(),
            Event::Checklist(stages) => self.set_checklist(stages),
            Event::Journal(entries) => self.journal = entries,
            Event::Done(Ok(msg)) => self.say(false, msg),
            Event::Done(Err(msg)) => self.say(true, msg),
            Event::Picture(run, pic) => {
                if self.monitored_run().map(|j| j.id.as_str()) != Some(run.as_str()) {
                    return Vec::new();
                }
                self.picture = Some(pic);
            }
            Event::Tick => urgent = false,
            Event::Quit => self.quit = true,
        }
        self.dirty = true;
        self.urgent |= urgent;
        Vec::new()
    }

    /// A change the operator should see at once.
    pub fn touch(&mut self) {
        self.dirty = true;
        self.urgent = true;
    }

    pub fn set_checklist(&mut self, stages: Vec<StageView>) {
        let selected = self.selected_step().map(|(_, s)| s.id.clone());
        self.stages = stages;
        let n = self.steps().count();
        match (self.moved, selected) {
            (true, Some(id)) => {
                let pos = self.steps().position(|(_, s)| s.id == id);
                self.cursor = pos.unwrap_or(0);
            }
            _ => self.cursor = self.current_step().unwrap_or(0),
        }
        self.cursor = self.cursor.min(n.saturating_sub(1));
    }

    pub fn set_jobs(&mut self, jobs: Vec<JobView>) {
        let selected = self.selected_job().map(|j| j.id.clone());
        for j in &jobs {
            if let Some(old) = self.jobs.iter().find(|o| o.id == j.id)
                && !old.state.is_final()
                && j.state.is_final()
            {
                self.say(
                    j.state != JobState::Succeeded,
                    format!("job {} ({}) {}", j.id, j.stage, j.state.as_str()),
                );
            }
        }
        self.jobs = jobs;
        for j in &mut self.jobs {
            if let Some(m) = self.metrics.get(&j.id) {
                j.progress = j.progress.or(m.progress);
                j.eta_s = j.eta_s.or(m.eta_s);
            }
        }
        self.job_cursor = selected
            .and_then(|id| self.jobs.iter().position(|j| j.id == id))
            .unwrap_or(0);
    }

    /// `$EDITOR` came back with this text: it replaces the note being written.
    pub fn editor_returned(&mut self, text: String) {
        if let Some(Overlay::Note(d)) = &mut self.overlay {
            d.text = TextArea::from_text(&text);
        }
        self.touch();
    }

    fn key(&mut self, k: KeyEvent) -> Vec<Effect> {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            self.quit = true;
            return Vec::new();
        }
        if let Some(c) = self.confirm.take() {
            if !matches!(
                k.code,
                KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter
            ) {
                self.say(false, "left as it was");
                return Vec::new();
            }
            self.message = None;
            return match c {
                Confirm::Effects(fx) => fx,
                Confirm::Relaunch { stage, step } => {
                    self.open_launch(&stage, &step);
                    Vec::new()
                }
            };
        }
        match self.overlay.take() {
            Some(Overlay::Note(d)) => self.note_key(d, k),
            Some(Overlay::Launch(f)) => self.form_key(f, k),
            Some(Overlay::Help) => {
                // The key map's moves scroll it (the key list outgrows a small terminal); any
                // other key closes help; Quit still quits.
                let page = (self.size.1 as usize).saturating_sub(4).max(1);
                let to = match self.keymap.action(&k) {
                    Some(Action::Down) => Some(self.help_scroll.saturating_add(1)),
                    Some(Action::Up) => Some(self.help_scroll.saturating_sub(1)),
                    Some(Action::PageDown) => Some(self.help_scroll.saturating_add(page)),
                    Some(Action::PageUp) => Some(self.help_scroll.saturating_sub(page)),
                    Some(Action::Top) => Some(0),
                    Some(Action::Bottom) => Some(usize::MAX),
                    Some(Action::Quit) => {
                        self.quit = true;
                        None
                    }
                    _ => None,
                };
                if let Some(line) = to {
                    self.help_scroll = line.min(Action::ALL.len());
                    self.overlay = Some(Overlay::Help);
                }
                Vec::new()
            }
            None => match self.keymap.action(&k) {
                Some(a) => self.act(a),
                None => Vec::new(),
            },
        }
    }

    /// Note editor: typing edits; Ctrl-S saves; Tab flips QC pass/fail; Ctrl-E or `E` on an
    /// empty note opens `$EDITOR`; Esc discards.
    fn note_key(&mut self, mut d: NoteDraft, k: KeyEvent) -> Vec<Effect> {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        match k.code {
            KeyCode::Esc => {
                self.say(false, "note discarded");
                return Vec::new();
            }
            KeyCode::Char('s') if ctrl => {
                if d.text.is_blank() {
                    self.say(
                        true,
                        "the note is empty: write something, or Esc to discard",
                    );
                    self.overlay = Some(Overlay::Note(d));
                    return Vec::new();
                }
                return vec![Effect::Note {
                    stage: d.stage,
                    step: d.step,
                    kind: d.kind,
                    text: d.text.text(),
                    check: d.checks_step,
                }];
            }
            KeyCode::Char('e') if ctrl => {
                let text = d.text.text();
                self.overlay = Some(Overlay::Note(d));
                return vec![Effect::OpenEditor(text)];
            }
            KeyCode::Char('E') if d.text.is_blank() => {
                self.overlay = Some(Overlay::Note(d));
                return vec![Effect::OpenEditor(String::new())];
            }
            KeyCode::Tab if matches!(d.kind, Kind::QcPass | Kind::QcFail) => {
                d.kind = if d.kind == Kind::QcPass {
                    Kind::QcFail
                } else {
                    Kind::QcPass
                };
            }
            _ => {
                d.text.key(k);
            }
        }
        self.overlay = Some(Overlay::Note(d));
        Vec::new()
    }

    fn form_key(&mut self, mut f: ParamForm, k: KeyEvent) -> Vec<Effect> {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let launch =
            matches!(k.code, KeyCode::Enter) || (ctrl && matches!(k.code, KeyCode::Char('s')));
        if launch || k.code == KeyCode::Esc {
            self.remember_form(&f);
        }
        match k.code {
            KeyCode::Esc => {
                self.say(false, format!("launch of {} cancelled", f.stage));
                Vec::new()
            }
            _ if launch => {
                if let Some(w) = f.warning() {
                    self.say(true, w);
                }
                vec![Effect::Launch {
                    overrides: f.overrides(),
                    stage: f.target(),
                    step: f.step,
                }]
            }
            _ => {
                f.key(k);
                self.overlay = Some(Overlay::Launch(f));
                Vec::new()
            }
        }
    }

    fn move_cursor(&mut self, delta: isize, to: Option<bool>) {
        let page = (self.size.1 as isize - 6).max(1);
        let delta = match delta {
            2 => page,
            -2 => -page,
            d => d,
        };
        match self.view {
            View::Checklist => {
                let n = self.steps().count();
                self.cursor = step(self.cursor, n, delta, to);
                self.moved = true;
                self.detail_scroll = 0;
            }
            View::Jobs | View::Monitor => {
                self.job_cursor = step(self.job_cursor, self.jobs.len(), delta, to)
            }
            View::Journal => {
                self.journal_scroll = step(
                    self.journal_scroll,
                    self.journal.len(),
                    -delta,
                    to.map(|b| !b),
                )
            }
            View::Telemetry => {}
        }
    }

    fn act(&mut self, a: Action) -> Vec<Effect> {
        match a {
            Action::Quit => self.quit = true,
            Action::Help => {
                self.help_scroll = 0;
                self.overlay = Some(Overlay::Help);
            }
            Action::Up => self.move_cursor(-1, None),
            Action::Down => self.move_cursor(1, None),
            Action::PageUp => self.move_cursor(-2, None),
            Action::PageDown => self.move_cursor(2, None),
            Action::Top => self.move_cursor(0, Some(false)),
            Action::Bottom => self.move_cursor(0, Some(true)),
            Action::Back => {
                if self.attached.take().is_some() {
                    self.log.clear();
                    self.say(false, "detached (the job keeps running)");
                }
            }
            Action::NextView | Action::PrevView => {
                let i = View::ALL.iter().position(|v| *v == self.view).unwrap_or(0);
                let n = View::ALL.len();
                self.view = View::ALL[if a == Action::NextView {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                }];
            }
            Action::ViewChecklist => self.view = View::Checklist,
            Action::ViewJobs => self.view = View::Jobs,
            Action::ViewMonitor => self.view = View::Monitor,
            Action::ViewTelemetry => self.view = View::Telemetry,
            Action::ViewJournal => self.view = View::Journal,
            Action::Activate => return self.activate(),
            Action::Note => {
                let (stage, step) = match self.selected_step() {
                    Some((st, s)) if self.view == View::Checklist => {
                        (Some(st.id.clone()), Some(s.id.clone()))
                    }
                    _ => (None, None),
                };
                self.overlay = Some(Overlay::Note(NoteDraft {
                    stage,
                    step,
                    kind: Kind::Note,
                    prompt: "Note for the journal".into(),
                    text: TextArea::new(),
                    checks_step: false,
                }));
            }
            Action::UndoStep => match self.selected_step() {
                Some((_, s)) if self.view == View::Checklist && s.status == StepStatus::Done => {
                    return vec![Effect::UndoStep(s.id.clone())];
                }
                Some(_) if self.view == View::Checklist => {
                    self.say(true, "this step is not checked")
                }
                _ => {}
            },
            Action::AttachJob => {
                if let Some(j) = self.selected_job() {
                    let id = j.id.clone();
                    self.attached = Some(id.clone());
                    self.log.clear();
                    self.picture = None;
                    return vec![Effect::Attach(id)];
                }
            }
            Action::CancelJob => match self.job_for_command() {
                Some(j) if !j.state.is_final() => {
                    let q = format!(
                        "cancel job {} ({}, {})? y/Enter cancels it, any other key keeps it",
                        j.id,
                        j.stage,
                        j.state.as_str()
                    );
                    self.confirm = Some(Confirm::Effects(vec![Effect::Cancel(j.id.clone())]));
                    self.say(true, q);
                }
                Some(j) => self.say(
                    true,
                    format!("job {} is {}, nothing to cancel", j.id, j.state.as_str()),
                ),
                None => self.say(true, "no job selected"),
            },
            Action::ResumeJob => match self.job_for_command() {
                Some(j)
                    if matches!(
                        j.state,
                        JobState::Failed | JobState::Lost | JobState::Cancelled
                    ) =>
                {
                    return vec![Effect::Resume(j.id.clone())];
                }
                Some(j) => self.say(
                    true,
                    format!(
                        "job {} is {}: only failed, lost or cancelled jobs resume",
                        j.id,
                        j.state.as_str()
                    ),
                ),
                None => self.say(true, "no job selected"),
            },
            Action::DetailDown => self.detail_scroll = self.detail_scroll.saturating_add(3),
            Action::DetailUp => self.detail_scroll = self.detail_scroll.saturating_sub(3),
            Action::LogScale => self.monitor.log_scale = !self.monitor.log_scale,
            Action::SmoothMore => {
                self.monitor.smoothing =
                    ((self.monitor.smoothing * 100.0).round() / 100.0 + 0.05).min(0.99)
            }
            Action::SmoothLess => {
                self.monitor.smoothing =
                    ((self.monitor.smoothing * 100.0).round() / 100.0 - 0.05).max(0.0)
            }
            Action::OverlayRuns => self.monitor.overlay = !self.monitor.overlay,
            Action::Redraw => return vec![Effect::Redraw],
        }
        Vec::new()
    }

    /// Cancel/resume act on the selected job in the jobs view, the attached one elsewhere.
    fn job_for_command(&self) -> Option<&JobView> {
        match self.view {
            View::Jobs => self.selected_job(),
            _ => self
                .attached
                .as_ref()
                .and_then(|id| self.jobs.iter().find(|j| &j.id == id))
                .or_else(|| self.selected_job()),
        }
    }

    fn activate(&mut self) -> Vec<Effect> {
        match self.view {
            View::Jobs => return self.act(Action::AttachJob),
            View::Checklist => {}
            _ => return Vec::new(),
        }
        let Some((stage, step)) = self.selected_step().map(|(a, b)| (a.clone(), b.clone())) else {
            return Vec::new();
        };
        if let StepStatus::Blocked(open) = &step.status {
            self.say(
                true,
                format!("'{}' waits for: {}", step.title, open.join(", ")),
            );
            return Vec::new();
        }
        match step.kind {
            StepKind::Action => {
                let stage_name = step.stage.clone().unwrap_or_else(|| stage.id.clone());
                if step.status == StepStatus::Done {
                    self.say(
                        true,
                        format!(
                            "'{}' is done: run {stage_name} again? y/Enter opens its form, any \
                             other key leaves it",
                            step.title
                        ),
                    );
                    self.confirm = Some(Confirm::Relaunch {
                        stage: stage_name,
                        step: step.id.clone(),
                    });
                    return Vec::new();
                }
                self.open_launch(&stage_name, &step.id);
            }
            kind => {
                let (k, prompt) = match kind {
                    StepKind::Qc => (Kind::QcPass, "QC result (Tab: pass/fail) and what you saw"),
                    StepKind::Decision => (Kind::Decision, "Your decision and why"),
                    _ => (
                        Kind::Note,
                        "Confirm: what did you check? (note for the journal)",
                    ),
                };
                self.overlay = Some(Overlay::Note(NoteDraft {
                    stage: Some(stage.id.clone()),
                    step: Some(step.id.clone()),
                    kind: k,
                    prompt: format!("{} — {}", step.title, prompt),
                    text: TextArea::new(),
                    checks_step: true,
                }));
            }
        }
        Vec::new()
    }

    /// The launch form of `stage` for `step`; the runtime fills the parameters in (it can read
    /// the config), see [`App::fill_launch_form`].
    fn open_launch(&mut self, stage: &str, step: &str) {
        self.overlay = Some(Overlay::Launch(ParamForm::new(
            stage,
            Some(step.to_string()),
            Vec::new(),
        )));
    }

    /// The runtime fills the launch form with the stage's config values once it opens; what
    /// the operator typed there before this session comes back, and the cursor starts on the
    /// first parameter (not on "run as").
    pub fn fill_launch_form(&mut self, params: Vec<(String, String)>) {
        if let Some(Overlay::Launch(f)) = &mut self.overlay
            && !f.filled
        {
            *f = ParamForm::new(&f.stage.clone(), f.step.clone(), params);
            for (key, value) in self.launch_memory.get(&f.stage).into_iter().flatten() {
                if let Some(field) = f.fields.iter_mut().find(|x| &x.key == key) {
                    field.value = value.clone();
                }
            }
            f.cursor = usize::from(f.fields.len() > 1);
            f.filled = true;
            self.touch();
        }
    }

    fn remember_form(&mut self, f: &ParamForm) {
        let edits: Vec<(String, String)> = f
            .fields
            .iter()
            .filter(|x| x.value != x.original)
            .map(|x| (x.key.clone(), x.value.clone()))
            .collect();
        self.launch_memory.insert(f.stage.clone(), edits);
    }
}

/// Move an index in 0..n by delta, or to an end.
fn step(i: usize, n: usize, delta: isize, to_end: Option<bool>) -> usize {
    if n == 0 {
        return 0;
    }
    match to_end {
        Some(true) => n - 1,
        Some(false) => 0,
        None => (i as isize + delta).clamp(0, n as isize - 1) as usize,
    }
}
