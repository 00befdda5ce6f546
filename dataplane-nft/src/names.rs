//! Names of generated objects: content hashes (so that unchanged content keeps its name across
//! updates) and sanitising of outside names (IP-set IDs, interface names) into the characters
//! nft accepts.

use std::hash::{Hash, Hasher};

use sha2::{Digest, Sha256};

use crate::ruleset::{MAX_COMMENT_LEN, MAX_NAME_LEN};

/// A `Hasher` that feeds SHA-256, so `Hash` implementations give a hash that is the same for the
/// same value in every process built from the same sources (unlike `RandomState`).
struct StableHasher(Sha256);

impl Hasher for StableHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        let mut b = [0u8; 8];
        b.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(b)
    }
}

/// A 16-hex-digit content hash of `value`.
pub(crate) fn content_hash<T: Hash + ?Sized>(value: &T) -> String {
    let mut h = StableHasher(Sha256::new());
    value.hash(&mut h);
    format!("{:016x}", h.finish())
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// `prefix_` followed by `raw` made safe: disallowed characters become `_`; when anything had to
/// change (or the result would be too long) a hash of `raw` is appended so that distinct inputs
/// keep distinct names. `prefix` must start with a letter and contain only allowed characters.
pub(crate) fn sanitized(prefix: &str, raw: &str, suffix: &str) -> String {
    let clean: String = raw
        .chars()
        .map(|c| if allowed(c) { c } else { '_' })
        .collect();
    let budget = MAX_NAME_LEN - prefix.len() - suffix.len() - 20;
    let mut out = format!("{prefix}_");
    if clean == raw && clean.len() <= budget {
        out.push_str(&clean);
    } else {
        let cut: String = clean.chars().take(budget.min(clean.len())).collect();
        out.push_str(&cut);
        out.push('_');
        out.push_str(&content_hash(raw));
    }
    out.push_str(suffix);
    out
}

/// The name of an object derived from an IP-set ID. IDs in the compiler's own form
/// (`<letters>:<base64url>`) map to `<clean>_<letters>.<base64url><suffix>`, which is injective
/// because `.` never occurs in such IDs; any other ID goes through [`sanitized`] under the
/// different prefix `hashed`, so the two kinds of names never collide.
pub(crate) fn id_name(clean: &str, hashed: &str, raw: &str, suffix: &str) -> String {
    let well_formed = raw.split_once(':').is_some_and(|(kind, rest)| {
        !kind.is_empty()
            && kind.chars().all(|c| c.is_ascii_lowercase())
            && !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    });
    if well_formed && clean.len() + raw.len() + suffix.len() < MAX_NAME_LEN {
        format!("{clean}_{}{suffix}", raw.replacen(':', ".", 1))
    } else {
        sanitized(hashed, raw, suffix)
    }
}

/// Text for a comment or log prefix: printable ASCII without quotes or backslashes, at most
/// `max` bytes.
pub(crate) fn safe_text(text: &str, max: usize) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if (' '..='~').contains(&c) && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    out.truncate(max.min(MAX_COMMENT_LEN));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ruleset::is_valid_name;

    #[test]
    fn hashes_are_stable_and_distinguish_content() {
        assert_eq!(content_hash("abc"), content_hash("abc"));
        assert_ne!(content_hash("abc"), content_hash("abd"));
        assert_eq!(content_hash("abc").len(), 16);
    }

    #[test]
    fn outside_names_become_valid_and_stay_distinct() {
        let a = sanitized("s", "s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug", "_4");
        assert!(is_valid_name(&a), "{a}");
        assert!(a.ends_with("_4"));
        let b = sanitized("if", "eth0:1", "");
        let c = sanitized("if", "eth0;1", "");
        assert!(is_valid_name(&b) && is_valid_name(&c));
        assert_ne!(b, c);
        let long = "x".repeat(400);
        assert!(is_valid_name(&sanitized("s", &long, "_6")));
        assert_eq!(sanitized("if", "cali12", ""), "if_cali12");
    }

    #[test]
    fn set_ids_map_to_short_injective_names() {
        let a = id_name(
            "ip",
            "ipx",
            "s:5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug",
            "_4",
        );
        assert_eq!(a, "ip_s.5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug_4");
        assert!(is_valid_name(&a));
        let b = id_name(
            "ip",
            "ipx",
            "s.5y5I3VdRZfDU01O--xXAPx2yxCQQqMf0M6IWug",
            "_4",
        );
        assert!(b.starts_with("ipx_") && is_valid_name(&b));
        assert_ne!(a, b);
    }

    #[test]
    fn texts_are_made_safe() {
        assert_eq!(safe_text("a\"b\\c\nd", 127), "a_b_c_d");
        assert_eq!(safe_text(&"y".repeat(300), 127).len(), 127);
    }
}
