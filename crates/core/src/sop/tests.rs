//! The checklist state machine: statuses, gating, check/fail/undo, reconciliation.

use super::*;
use std::path::Path;

const SMALL: &str = r#"
[sop]
id = "small"
title = "Small"

[[stage]]
id = "one"
title = "One"

[[stage.step]]
id = "look"
title = "Look"
kind = "check"

[[stage.step]]
id = "choose"
title = "Choose"
kind = "decision"
requires = ["look"]

[[stage]]
id = "two"
title = "Two"

[[stage.step]]
id = "run"
title = "Run"
kind = "action"
stage = "align"
requires = ["choose"]

[[stage.step]]
id = "judge"
title = "Judge"
kind = "qc"
requires = ["run"]

[[stage.step]]
id = "aside"
title = "Aside"
kind = "check"
"#;

fn small() -> Checklist {
    Checklist::new(
        Sop::parse(Path::new("small.toml"), SMALL).unwrap(),
        State::default(),
    )
}

fn statuses(c: &Checklist) -> Vec<(String, &'static str)> {
    c.steps()
        .iter()
        .map(|v| (v.step.id.clone(), v.status.label()))
        .collect()
}

#[test]
fn fresh_checklist_opens_steps_without_requirements() {
    let c = small();
    let s = statuses(&c);
    assert_eq!(s[0], ("look".into(), "open"));
    assert_eq!(s[1], ("choose".into(), "blocked"));
    assert_eq!(s[4], ("aside".into(), "open"));
    assert_eq!(
        c.status("choose").unwrap(),
        Status::Blocked {
            waiting_on: vec!["look".into()]
        }
    );
    assert_eq!(c.current().unwrap().step.id, "look");
    assert_eq!(c.progress(), (0, 5));
}

#[test]
fn gating_names_the_open_requirement() {
    let mut c = small();
    let e = c.check("run", None).unwrap_err();
    assert!(
        matches!(&e, SopError::Blocked { waiting_on, .. } if waiting_on == &["choose"]),
        "{e}"
    );
    assert!(e.to_string().contains("`choose`"), "{e}");
}

#[test]
fn decisions_need_a_rationale_and_steps_advance() {
    let mut c = small();
    c.check("look", None).unwrap();
    assert!(matches!(
        c.check("choose", None),
        Err(SopError::NoteRequired { .. })
    ));
    assert!(matches!(
        c.check("choose", Some("   ")),
        Err(SopError::NoteRequired { .. })
    ));
    c.check("choose", Some("similarity: telecine has no keystone"))
        .unwrap();
    assert_eq!(c.current().unwrap().step.id, "run");
    assert_eq!(
        c.state().steps["choose"].note,
        "similarity: telecine has no keystone"
    );
    assert!(matches!(
        c.check("look", None),
        Err(SopError::AlreadyDone { .. })
    ));
    assert_eq!(c.progress(), (2, 5));
}

#[test]
fn failed_qc_keeps_the_step_open_until_it_passes() {
    let mut c = small();
    c.check("look", None).unwrap();
    c.check("choose", Some("x")).unwrap();
    assert!(matches!(c.fail("run", "no"), Err(SopError::NotQc { .. })));
    c.check("run", None).unwrap();
    assert!(matches!(
        c.fail("judge", ""),
        Err(SopError::NoteRequired { .. })
    ));
    c.fail("judge", "edges doubled on 1040").unwrap();
    assert_eq!(c.status("judge").unwrap(), Status::Failed);
    assert_eq!(c.current().unwrap().step.id, "judge");
    c.check("judge", Some("fixed with an override")).unwrap();
    assert_eq!(c.status("judge").unwrap(), Status::Done);
}

#[test]
fn undo_refuses_with_dependents_unless_cascading() {
    let mut c = small();
    c.check("look", None).unwrap();
    c.check("choose", Some("x")).unwrap();
    c.check("run", None).unwrap();
    c.check("aside", None).unwrap();
    let e = c.undo("look", false).unwrap_err();
    assert!(
        matches!(&e, SopError::HasDependents { dependents, .. } if dependents == &["choose", "run"]),
        "{e}"
    );
    assert_eq!(c.undo("run", false).unwrap(), vec!["run"]);
    assert_eq!(c.undo("look", true).unwrap(), vec!["look", "choose"]);
    assert_eq!(c.status("aside").unwrap(), Status::Done);
    assert_eq!(
        c.status("choose").unwrap(),
        Status::Blocked {
            waiting_on: vec!["look".into()]
        }
    );
    assert!(matches!(c.undo("look", false), Err(SopError::NotDone(_))));
    assert!(matches!(
        c.undo("nope", false),
        Err(SopError::UnknownStep(_))
    ));
}

#[test]
fn edited_sop_keeps_known_steps_and_reports_the_rest() {
    let mut c = small();
    c.check("look", None).unwrap();
    c.check("choose", Some("x")).unwrap();
    c.check("aside", None).unwrap();
    c.save().unwrap();
    let saved = c.state().clone();

    // The operator renames `aside`, and adds a requirement to `choose`.
    let edited = SMALL.replace("id = \"aside\"", "id = \"sideline\"").replace(
        "[[stage.step]]\nid = \"choose\"",
        "[[stage.step]]\nid = \"extra\"\ntitle = \"Extra\"\nkind = \"check\"\n\n[[stage.step]]\nid = \"choose\"",
    );
    let edited = edited.replace("requires = [\"look\"]", "requires = [\"look\", \"extra\"]");
    let c2 = Checklist::new(Sop::parse(Path::new("small.toml"), &edited).unwrap(), saved);
    let r = c2.reconciliation();
    assert!(r.sop_changed);
    assert_eq!(r.kept, vec!["choose", "look"]);
    assert_eq!(r.unknown, vec!["aside"]);
    assert_eq!(r.done_but_requirements_open, vec!["choose"]);
    assert_eq!(c2.status("look").unwrap(), Status::Done);
    assert_eq!(c2.status("sideline").unwrap(), Status::Open);
    // The unknown tick is kept in the state, not dropped.
    assert!(c2.state().steps.contains_key("aside"));
}

#[test]
fn unchanged_sop_reports_nothing() {
    let mut c = small();
    c.check("look", None).unwrap();
    c.save().unwrap();
    let c2 = Checklist::new(c.sop.clone(), c.state().clone());
    assert!(!c2.reconciliation().sop_changed);
    assert!(!c2.reconciliation().needs_attention());
}

#[test]
fn report_counts_per_stage() {
    let mut c = small();
    c.check("look", None).unwrap();
    let r = ChecklistReport::of(&c);
    assert_eq!((r.done, r.total), (1, 5));
    assert_eq!(r.current.as_deref(), Some("choose"));
    assert_eq!((r.stages[0].done, r.stages[0].total), (1, 2));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["stages"][0]["steps"][1]["status"], "open");
    assert_eq!(json["stages"][1]["steps"][0]["status"], "blocked");
    assert_eq!(json["stages"][1]["steps"][0]["waiting_on"][0], "choose");
}
