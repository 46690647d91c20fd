//! The loopback Slurm cluster the farm tests run on (`tinct::farm::loopback`, shared with
//! `tinct bench farm`).
#![allow(unused_imports)]

pub use tinct::farm::loopback::{Slurm, available};
