//! The chroma network, patch sampling, training loop, checkpoints and tiled inference (tch).
//! Working space: see [`space`]. Architecture and why: see [`net`].

pub mod adam;
pub mod checkpoint;
pub mod contact;
pub mod dataset;
pub mod device;
pub mod net;
pub mod prior;
pub mod quality;
pub mod schedule;
pub mod space;
pub mod tiles;
pub mod trainer;
