//! What the console's effects do to the project: one function from an [`Effect`] to calls on
//! the [`Source`] (the operations API for a real project) and the events that report back.
//! The runtime runs it off the draw path; tests run it directly against a real project, so what
//! a key press records is tested without a terminal.

use super::app::Effect;
use super::data::{Kind, Source, Verdict};
use super::event::{Event, FileKind};

/// Carry out `fx` if it acts on the project; `None` for effects that only touch the terminal
/// (attach, `$EDITOR`, redraw), which the runtime handles itself.
pub fn run(source: &dyn Source, fx: Effect) -> Option<Vec<Event>> {
    let done = |r: anyhow::Result<String>| Event::Done(r.map_err(|e| format!("{e:#}")));
    Some(match fx {
        Effect::Launch {
            stage,
            step,
            overrides,
        } => {
            let r = source.launch(&stage, &overrides, step.as_deref());
            let mut events = Vec::new();
            if let Ok(id) = &r {
                events.push(Event::FileChanged(FileKind::Journal));
                events.push(Event::FileChanged(FileKind::Run(id.clone())));
            }
            events.push(done(r.map(|id| {
                format!("launched {stage} as job {id} (it runs on its own; q leaves it running)")
            })));
            events
        }
        Effect::Note {
            stage,
            step,
            kind,
            text,
            check,
        } => {
            let r = match (&step, check) {
                // A step's form answers the step: one checklist change, one journal entry.
                (Some(st), true) => {
                    let verdict = if kind == Kind::QcFail {
                        Verdict::Failed
                    } else {
                        Verdict::Done
                    };
                    source.answer_step(st, verdict, &text)
                }
                _ => source
                    .note(stage.as_deref(), step.as_deref(), kind, &text)
                    .map(|_| format!("{} written to the journal", kind.id())),
            };
            vec![
                done(r),
                Event::FileChanged(FileKind::Journal),
                Event::FileChanged(FileKind::Sop),
            ]
        }
        Effect::UndoStep(step) => vec![
            done(
                source
                    .undo_step(&step)
                    .map(|_| format!("step {step} reopened")),
            ),
            Event::FileChanged(FileKind::Sop),
        ],
        Effect::Cancel(id) => vec![done(
            source
                .cancel(&id)
                .map(|_| format!("job {id}: cancel requested")),
        )],
        Effect::Resume(id) => {
            let r = source.resume(&id);
            let mut events = Vec::new();
            if let Ok(new) = &r {
                events.push(Event::FileChanged(FileKind::Run(new.clone())));
            }
            events.push(done(r.map(|new| format!("job {id} resumed as job {new}"))));
            events
        }
        Effect::Attach(_) | Effect::OpenEditor(_) | Effect::Redraw => return None,
    })
}
