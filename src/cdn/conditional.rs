//! Validators: the strong ETag of an object and `If-None-Match` matching.

/// A strong ETag from the object's SHA-256 (its first 128 bits are plenty to tell versions apart).
pub fn etag_for(sha256_hex: &str) -> String {
    format!("\"{}\"", &sha256_hex[..sha256_hex.len().min(32)])
}

/// Whether an `If-None-Match` header matches `etag` (weak comparison, as RFC 9110 asks).
pub fn none_match(header: &str, etag: &str) -> bool {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let wanted = bare(etag);
    header
        .split(',')
        .any(|candidate| candidate.trim() == "*" || bare(candidate) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_is_quoted_and_stable() {
        let hex = "ab".repeat(32);
        assert_eq!(etag_for(&hex), format!("\"{}\"", "ab".repeat(16)));
    }

    #[test]
    fn matches_lists_weak_tags_and_star() {
        let tag = "\"abc\"";
        assert!(none_match("\"abc\"", tag));
        assert!(none_match("\"x\", W/\"abc\"", tag));
        assert!(none_match("*", tag));
        assert!(!none_match("\"abd\"", tag));
        assert!(!none_match("", tag));
    }
}
