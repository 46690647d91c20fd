//! The launch form: a stage's config keys with their values, editable before a job starts.
//! Changed values become `--set stage.key=value` overrides for that one run; `tinct.toml` is
//! never rewritten by the console.

use crossterm::event::{KeyCode, KeyEvent};

pub const RUN_AS: &str = "run as";

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub key: String,
    pub original: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ParamForm {
    pub stage: String,
    /// The SOP step this launch belongs to (journalled with the launch).
    pub step: Option<String>,
    pub fields: Vec<Field>,
    pub cursor: usize,
    /// The config keys have been read in (the runtime does that once the form opens).
    pub filled: bool,
}

impl ParamForm {
    /// The first field is what to run: the step's stage, or (edited) another one such as an
    /// external-command stage `ext:NAME` a site uses instead of the built-in engine.
    pub fn new(stage: &str, step: Option<String>, params: Vec<(String, String)>) -> Self {
        let target = Field {
            key: RUN_AS.into(),
            original: stage.into(),
            value: stage.into(),
        };
        let params = params.into_iter().map(|(key, value)| Field {
            key,
            original: value.clone(),
            value,
        });
        let fields = std::iter::once(target).chain(params).collect();
        Self {
            stage: stage.to_string(),
            step,
            fields,
            cursor: 0,
            filled: false,
        }
    }

    /// A setting that will not do what the operator likely wants (the job still launches).
    pub fn warning(&self) -> Option<String> {
        let num = |key: &str| {
            self.fields
                .iter()
                .find(|f| f.key == key)
                .and_then(|f| f.value.trim().parse::<u64>().ok())
        };
        match (num("contact-sheet-interval"), num("steps")) {
            (Some(every), Some(steps)) if every >= steps && every > 0 => Some(format!(
                "contact-sheet-interval {every} ≥ steps {steps}: this training writes no contact \
                 sheet before its last step"
            )),
            _ => None,
        }
    }

    /// What `tinct run` gets: the (possibly edited) first field. `farm`, `farm:slurm` or
    /// `farm:local` there renders this stage across a farm (`farm:ENGINE:STAGE`, see
    /// `ops::launch`).
    pub fn target(&self) -> String {
        let t = self
            .fields
            .first()
            .map(|f| f.value.trim().to_string())
            .unwrap_or_default();
        match t.strip_prefix("farm") {
            Some("") => format!("farm:auto:{}", self.stage),
            Some(engine) if engine.starts_with(':') && !engine[1..].contains(':') => {
                format!("farm{engine}:{}", self.stage)
            }
            _ if t.is_empty() => self.stage.clone(),
            _ => t,
        }
    }

    /// Whether the stage has config keys besides the target.
    pub fn has_params(&self) -> bool {
        self.fields.len() > 1
    }

    /// `section.key=value` for every changed field (the section is the stage's config section).
    pub fn overrides(&self) -> Vec<String> {
        self.fields
            .iter()
            .skip(1)
            .filter(|f| f.value != f.original)
            .map(|f| format!("{}.{}={}", self.stage, f.key, f.value))
            .collect()
    }

    /// Editing keys; returns false for keys the form does not use (Enter, Esc: the app decides).
    pub fn key(&mut self, k: KeyEvent) -> bool {
        let n = self.fields.len();
        match k.code {
            KeyCode::Up | KeyCode::BackTab if n > 0 => self.cursor = (self.cursor + n - 1) % n,
            KeyCode::Down | KeyCode::Tab if n > 0 => self.cursor = (self.cursor + 1) % n,
            KeyCode::Backspace => {
                if let Some(f) = self.fields.get_mut(self.cursor) {
                    f.value.pop();
                }
            }
            KeyCode::Char(c) => match self.fields.get_mut(self.cursor) {
                Some(f) => f.value.push(c),
                None => return false,
            },
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    #[test]
    fn only_changed_values_become_overrides() {
        let mut f = ParamForm::new(
            "train",
            None,
            vec![
                ("steps".into(), "2000".into()),
                ("lr".into(), "0.001".into()),
            ],
        );
        f.key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
        for code in [
            KeyCode::Backspace,
            KeyCode::Backspace,
            KeyCode::Backspace,
            KeyCode::Char('5'),
        ] {
            f.key(KeyEvent::new(code, KeyModifiers::NONE));
        }
        assert_eq!(f.overrides(), vec!["train.steps=25".to_string()]);
        assert_eq!(f.target(), "train");
    }

    #[test]
    fn farm_in_run_as_renders_the_stage_on_a_farm() {
        let mut f = ParamForm::new("infer", None, vec![]);
        for _ in 0.."infer".len() {
            f.key(KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE));
        }
        for c in "farm:slurm".chars() {
            f.key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        assert_eq!(f.target(), "farm:slurm:infer");
        f.fields[0].value = "farm".into();
        assert_eq!(f.target(), "farm:auto:infer");
        f.fields[0].value = "ext:nuke".into();
        assert_eq!(f.target(), "ext:nuke");
    }
}
