//! Fuzz target `sniff`: runs `imgate_fuzz::checks::sniff` on every input (README.md, "Fuzzing").
#![no_main]

#[global_allocator]
static ALLOCATOR: imgate_fuzz::CappedAllocator = imgate_fuzz::CappedAllocator;

libfuzzer_sys::fuzz_target!(|data: &[u8]| imgate_fuzz::checks::sniff(data));
