//! The decode budget: every reader checks the size a header declares against it before it
//! allocates a pixel, and allocates pixel buffers fallibly. A corrupt or hostile header that
//! declares 100000x100000 gets a clear error naming the file instead of an abort, and a
//! rejected file costs no more memory than its header.
//!
//! The limit is a process-wide setting (`media.max-pixels` in `tinct.toml`), applied when the
//! project is opened: readers are called from every stage, the console and the CLI, and threading
//! one number through every call would buy nothing.

use super::error::{MediaError, Result};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Default pixel budget: 2^29 pixels, twice a 16K x 16K frame (the largest scans made today).
pub const DEFAULT_MAX_PIXELS: u64 = 1 << 29;

static MAX_PIXELS: AtomicU64 = AtomicU64::new(DEFAULT_MAX_PIXELS);

/// Set the pixel budget for this process (from `media.max-pixels`); 0 keeps the default.
pub fn set_max_pixels(n: u64) {
    let n = if n == 0 { DEFAULT_MAX_PIXELS } else { n };
    MAX_PIXELS.store(n, Ordering::Relaxed);
}

pub fn max_pixels() -> u64 {
    MAX_PIXELS.load(Ordering::Relaxed)
}

/// Refuse a header that declares more than the budget (or a size that overflows).
pub fn check_size(path: &Path, width: u64, height: u64) -> Result<()> {
    let max = max_pixels();
    match width.checked_mul(height) {
        Some(n) if n <= max => Ok(()),
        _ => Err(MediaError::TooLarge {
            path: path.into(),
            width,
            height,
            max,
        }),
    }
}

/// Sample types whose all-zero bit pattern is the value zero (what [`zeroed`] may hand out).
pub trait ZeroBits: Copy {}
impl ZeroBits for u8 {}
impl ZeroBits for u16 {}
impl ZeroBits for f32 {}

/// `n` zeroed samples, or an error naming the file when the memory is not there (instead of the
/// allocator's abort). The pages come zeroed from the system and stay untouched until decoded
/// into, so a file that declares a large frame but fails to decode costs little resident memory.
pub fn zeroed<T: ZeroBits>(path: &Path, n: usize) -> Result<Vec<T>> {
    let fail = || out_of_memory(path, n, size_of::<T>());
    if n == 0 {
        return Ok(Vec::new());
    }
    let layout = std::alloc::Layout::array::<T>(n).map_err(|_| fail())?;
    // SAFETY: the layout has a non-zero size (n > 0 and every ZeroBits type is sized > 0); a null
    // return is handled; the memory is zeroed, and all-zero bits are a valid `T` (ZeroBits); the
    // pointer comes from the global allocator with exactly this layout, as `Vec` requires.
    unsafe {
        let ptr = std::alloc::alloc_zeroed(layout) as *mut T;
        if ptr.is_null() {
            return Err(fail());
        }
        Ok(Vec::from_raw_parts(ptr, n, n))
    }
}

/// Make sure `bytes` can be allocated before handing the file to a codec that allocates
/// infallibly (the `exr` and `image` crates abort when an allocation fails).
pub fn ensure_allocatable(path: &Path, bytes: u64) -> Result<()> {
    let n = usize::try_from(bytes).map_err(|_| out_of_memory(path, usize::MAX, 1))?;
    let mut probe: Vec<u8> = Vec::new();
    probe
        .try_reserve_exact(n)
        .map_err(|_| out_of_memory(path, n, 1))?;
    Ok(())
}

fn out_of_memory(path: &Path, n: usize, size: usize) -> MediaError {
    MediaError::OutOfMemory {
        path: path.into(),
        bytes: (n as u128 * size as u128).min(u64::MAX as u128) as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_above_the_budget_or_overflowing_are_refused_with_the_file_named() {
        let p = Path::new("scan.0001.exr");
        assert!(check_size(p, 16384, 16384).is_ok());
        let e = check_size(p, 100_000, 100_000).unwrap_err().to_string();
        assert!(
            e.contains("scan.0001.exr") && e.contains("100000x100000"),
            "{e}"
        );
        assert!(e.contains("media.max-pixels"), "{e}");
        assert!(check_size(p, u64::MAX, 2).is_err());
    }

    #[test]
    fn an_impossible_allocation_is_an_error_not_an_abort() {
        let p = Path::new("scan.0001.dpx");
        let e = zeroed::<f32>(p, usize::MAX / 2).unwrap_err().to_string();
        assert!(e.contains("scan.0001.dpx") && e.contains("memory"), "{e}");
        assert!(ensure_allocatable(p, u64::MAX).is_err());
        assert_eq!(zeroed::<f32>(p, 4).unwrap(), vec![0.0; 4]);
    }
}
