//! The demo project generator: embedded CC0 footage turned into faded/B&W sources and a video-transfer reference.
