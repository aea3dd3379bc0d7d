//! An allocator for the fuzz binaries that aborts on any single request over
//! [`MAX_ALLOCATION`], so a parser that sizes a buffer from a header field it has not
//! checked is a crash with its input saved, not a process the kernel kills later (or a
//! huge untouched allocation nobody notices). libFuzzer's own `-malloc_limit_mb` needs a
//! sanitizer, and these targets run without one.

use std::alloc::{GlobalAlloc, Layout, System};

/// Larger than anything the checked parsers need under the limits the checks set (the
/// pipeline target decodes at most 8 MiB of pixels), far below what would hurt a host.
pub const MAX_ALLOCATION: usize = 256 * 1024 * 1024;

#[derive(Debug)]
pub struct CappedAllocator;

fn check(size: usize) {
    if size > MAX_ALLOCATION {
        // No message: formatting one could allocate. libFuzzer reports the abort as a
        // deadly signal and writes the input to `artifacts/`.
        std::process::abort();
    }
}

// SAFETY: every method checks the size and then forwards its arguments unchanged to the
// system allocator, which upholds the `GlobalAlloc` contract.
unsafe impl GlobalAlloc for CappedAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: the caller's layout, as received.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        // SAFETY: the caller's layout, as received.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, that is from `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        // SAFETY: `ptr` came from `System` with `layout`; the arguments are unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
