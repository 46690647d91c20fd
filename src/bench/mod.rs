//! `tinct bench`: speed and accuracy measurements against named peers, run side by side.
