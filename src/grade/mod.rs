//! Classic global grades fitted on the dataset pairs: 3D LUT, ASC CDL, 3x3 matrix, root-polynomial; `.cube` and `.cc/.cdl` I/O.
