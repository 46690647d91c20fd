//! The SOP: schema (`sop/*.toml`) and the checklist state machine.
