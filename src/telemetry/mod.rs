//! CPU, memory, disk and GPU (NVML) sampling into ring buffers.
