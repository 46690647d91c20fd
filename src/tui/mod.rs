//! The operator console: one state struct, one event channel, pure render functions.
//!
//! [`app::App`] holds everything the screen shows and changes only through
//! [`app::App::handle`], which returns [`app::Effect`]s (launch a job, write a note …) for the
//! runtime to carry out; so every transition is testable without a terminal. [`render::draw`]
//! is a pure function of the `App`. [`runtime`] owns the terminal, the event channel and the
//! redraw policy (draw only when something changed, at most ~15 frames/s).

pub mod app;
pub mod data;
pub mod editor;
pub mod effects;
pub mod event;
pub mod form;
pub mod graphics;
pub mod keymap;
pub mod render;
pub mod runtime;
pub mod sop_view;
pub mod source;
pub mod terminal;
pub mod textedit;
pub mod theme;
pub mod watch;
