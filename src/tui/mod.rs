//! The operator console: one state struct, one event channel, pure render functions.
