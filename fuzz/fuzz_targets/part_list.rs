//! Fuzz target `part_list`: runs `imgate_fuzz::checks::part_list` on every input (README.md, "Fuzzing").
#![no_main]

#[global_allocator]
static ALLOCATOR: imgate_fuzz::CappedAllocator = imgate_fuzz::CappedAllocator;

libfuzzer_sys::fuzz_target!(|data: &[u8]| imgate_fuzz::checks::part_list(data));
