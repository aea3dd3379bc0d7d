//! Random inputs for the fuzz tests: a corpus file changed by a few of the mutations a
//! fuzzer makes (bit flips, boundary numbers, inserted and deleted runs, splices of two
//! files, the formats' own magic words), from a seeded generator so a run repeats.

/// Inputs are cut to this length, as the coverage-guided runs cut theirs.
const MAX_LEN: usize = 64 * 1024;

/// Words the parsers look for: magic numbers, markers, chunk names, field names.
#[rustfmt::skip]
const TOKENS: &[&[u8]] = &[
    b"\xFF\xD8\xFF", b"\xFF\xDA\x00\x08", b"\xFF\xD9", b"\xFF\xE1", b"\xFF\xC0\x00\x11",
    b"\xFF\xC2", b"\xFF\xC4", b"\xFF\xFE", b"\xFF\x00", b"Exif\0\0", b"II*\0\x08\0\0\0",
    b"MM\0*\0\0\0\x08", b"\x01\x12\x00\x03", b"\x89PNG\r\n\x1a\n", b"IHDR", b"IDAT", b"IEND",
    b"eXIf", b"iCCP", b"acTL", b"GIF89a", b"\x21\xF9\x04", b"\x21\xFF\x0BNETSCAPE2.0",
    b"\x21\xFE", b"\x2C\0\0\0\0", b"\x3B", b"RIFF", b"WEBP", b"VP8X\x0A\0\0\0", b"VP8L",
    b"VP8 ", b"ANIM", b"ANMF", b"EXIF", b"ICCP", b"XMP ", b"PK\x03\x04", b"word/", b"ustar",
    b"%PDF-", b"<svg", b"<html", b"#!", b"\xEF\xBB\xBF", b"~tplv-imgate-", b"resize:",
    b"crop:", b"noop", b".webp", b".auto", b":", b",", b"\n", b"Ignore", b"ffffffff",
    b"HMAC-SHA256 ", b"Credential=", b"/request", b"SignedHeaders=", b"Signature=", b";",
    b"X-Date: ", b"20251015T112451Z", b"host", b"%2F", b"%", b"+", b"=", b"&", b"?", b"data:",
    b";base64,", b"\"file_head\"", b"\"file_type\"", b"\"biz_type\"", b"\"data\"", b"\\u0000",
    b"\"", b"{", b"}", b"-_", b"==",
];

/// Numbers at the edges parsers get wrong.
const BOUNDARIES: [u32; 10] = [
    0,
    1,
    2,
    0x7F,
    0x80,
    0xFF,
    0xFFFF,
    0x8000_0000,
    0xFFFF_FFFE,
    0xFFFF_FFFF,
];

#[derive(Debug)]
pub struct Mutator(u64);

impl Mutator {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// SplitMix64.
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    /// A corpus file with one to eight mutations.
    pub fn input(&mut self, corpus: &[Vec<u8>]) -> Vec<u8> {
        let base = &corpus[self.below(corpus.len())];
        let mut input = base[..base.len().min(MAX_LEN)].to_vec();
        for _ in 0..=self.below(8) {
            self.mutate(&mut input, corpus);
        }
        input.truncate(MAX_LEN);
        input
    }

    fn mutate(&mut self, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
        let at = self.below(input.len() + 1);
        match self.below(10) {
            0 => flip_bit(input, at, self.below(8)),
            1 => set(input, at, &[self.next() as u8]),
            2 => {
                let value = BOUNDARIES[self.below(BOUNDARIES.len())];
                let bytes = match self.below(4) {
                    0 => value.to_be_bytes().to_vec(),
                    1 => value.to_le_bytes().to_vec(),
                    2 => (value as u16).to_be_bytes().to_vec(),
                    _ => vec![value as u8],
                };
                set(input, at, &bytes);
            }
            3 => {
                let len = 1 + self.below(16);
                let run: Vec<u8> = (0..len).map(|_| self.next() as u8).collect();
                input.splice(at..at, run);
            }
            4 => {
                let len = 1 + self.below(input.len().clamp(1, 256));
                input.drain(at..(at + len).min(input.len()));
            }
            5 => {
                let from = self.below(input.len());
                let len = self.below(input.len() - from.min(input.len())).min(1024);
                let copy = input[from..from + len].to_vec();
                input.splice(at..at, copy);
            }
            6 => input.truncate(at),
            7 => {
                let other = &corpus[self.below(corpus.len())];
                let from = self.below(other.len());
                input.truncate(at);
                input.extend_from_slice(&other[from..other.len().min(from + MAX_LEN)]);
            }
            _ => {
                let token = TOKENS[self.below(TOKENS.len())];
                if self.below(2) == 0 {
                    input.splice(at..at, token.iter().copied());
                } else {
                    set(input, at, token);
                }
            }
        }
    }
}

fn flip_bit(input: &mut [u8], at: usize, bit: usize) {
    if let Some(byte) = input.get_mut(at) {
        *byte ^= 1 << bit;
    }
}

/// Overwrites the bytes at `at` with `bytes`, as far as the input goes.
fn set(input: &mut [u8], at: usize, bytes: &[u8]) {
    let end = input.len().min(at + bytes.len());
    if at < end {
        input[at..end].copy_from_slice(&bytes[..end - at]);
    }
}
