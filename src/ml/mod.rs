//! The chroma network, patch sampling, training loop, checkpoints and tiled inference (tch).

pub mod device;
