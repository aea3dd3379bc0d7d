//! Randomness from the operating system: ids, secrets and jitter all come from here.

/// `n` random bytes from the operating system, hex-encoded (`2n` characters).
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    fill_random(&mut bytes);
    hex::encode(bytes)
}

/// Fills `buf` from the operating system's generator. imgate cannot work without one.
pub fn fill_random(buf: &mut [u8]) {
    #[allow(clippy::expect_used)]
    getrandom::fill(buf).expect("the operating system's random number generator failed");
}
