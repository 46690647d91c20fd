//! The experiments journal `notes/experiments.md`: append-only, locked, parsed back.
