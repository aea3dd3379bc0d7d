//! The fuzz targets' shared code: the checks each target runs (also replayed by the
//! service's `fuzz` test binary) and the allocator that turns a runaway allocation into a
//! crash.

mod allocator;
pub mod checks;

pub use allocator::CappedAllocator;
