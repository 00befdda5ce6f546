//! [`NameFilter`]: which cases run, by name (`PALISADE_CONFORMANCE_FILTER`).
//!
//! A filter is a comma-separated list of patterns. A pattern is a substring of the case name,
//! unless it uses `*` (any run of characters) or is anchored with a leading `^` or a trailing
//! `$`, in which case it must match the whole name from that end. A pattern starting with `-`
//! excludes. A name is selected when it matches at least one including pattern (or there is
//! none) and no excluding pattern:
//!
//! ```text
//! tiers/                  every case whose name contains `tiers/`
//! ^pass/*to-profiles$     cases named `pass/…to-profiles`
//! host-endpoints,-forward host-endpoint cases except those whose name contains `forward`
//! ```

use std::fmt;

/// A case-name filter (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameFilter {
    include: Vec<Pattern>,
    exclude: Vec<Pattern>,
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    /// The literal pieces between `*`s.
    pieces: Vec<String>,
    /// Anchored at the start (`^`).
    start: bool,
    /// Anchored at the end (`$`).
    end: bool,
}

impl Pattern {
    fn parse(text: &str) -> Pattern {
        let start = text.starts_with('^');
        let text = text.strip_prefix('^').unwrap_or(text);
        let end = text.ends_with('$');
        let text = text.strip_suffix('$').unwrap_or(text);
        let has_star = text.contains('*');
        Pattern {
            pieces: text.split('*').map(str::to_owned).collect(),
            // A pattern with `*` is a glob over the whole name unless it says otherwise only by
            // leading or trailing `*`s.
            start: start || has_star,
            end: end || has_star,
        }
    }

    fn matches(&self, name: &str) -> bool {
        let n = self.pieces.len();
        let mut rest = name;
        for (i, piece) in self.pieces.iter().enumerate() {
            let first = i == 0;
            let last = i + 1 == n;
            if first && self.start {
                match rest.strip_prefix(piece.as_str()) {
                    Some(r) => rest = r,
                    None => return false,
                }
                if last && self.end {
                    return rest.is_empty();
                }
                continue;
            }
            if last && self.end {
                return rest.ends_with(piece.as_str());
            }
            match rest.find(piece.as_str()) {
                Some(at) => rest = &rest[at + piece.len()..],
                None => return false,
            }
        }
        true
    }
}

impl NameFilter {
    /// Parses a filter; an empty text selects every name.
    pub fn parse(text: &str) -> Result<NameFilter, String> {
        let mut filter = NameFilter {
            text: text.trim().to_owned(),
            ..NameFilter::default()
        };
        for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if let Some(excluded) = term.strip_prefix('-') {
                if excluded.is_empty() {
                    return Err(format!(
                        "filter `{text}`: `-` must be followed by a pattern"
                    ));
                }
                filter.exclude.push(Pattern::parse(excluded));
            } else {
                filter.include.push(Pattern::parse(term));
            }
        }
        Ok(filter)
    }

    /// True when `name` is selected.
    pub fn selects(&self, name: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|p| p.matches(name)))
            && !self.exclude.iter().any(|p| p.matches(name))
    }

    /// True when the filter selects every name.
    pub fn is_everything(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }
}

impl fmt::Display for NameFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(filter: &str, name: &str) -> bool {
        NameFilter::parse(filter).expect("parses").selects(name)
    }

    #[test]
    fn substrings_select() {
        assert!(sel("tiers/", "tiers/nil-order-last"));
        assert!(sel("nil-order", "tiers/nil-order-last"));
        assert!(!sel("pass/", "tiers/nil-order-last"));
        assert!(sel("", "anything"));
        assert!(NameFilter::parse(" , ").expect("parses").is_everything());
    }

    #[test]
    fn anchors_and_globs_match_whole_ends() {
        assert!(sel("^tiers/", "tiers/x"));
        assert!(!sel("^iers/", "tiers/x"));
        assert!(sel("last$", "tiers/nil-order-last"));
        assert!(!sel("order$", "tiers/nil-order-last"));
        assert!(sel("^tiers/*-last$", "tiers/nil-order-last"));
        assert!(sel("tiers/*last", "tiers/nil-order-last"));
        assert!(!sel("tiers/*order", "tiers/nil-order-last"));
        assert!(sel("*order*", "tiers/nil-order-last"));
        assert!(sel("t*s/*r-l*", "tiers/nil-order-last"));
        assert!(!sel("t*z*", "tiers/nil-order-last"));
    }

    #[test]
    fn alternatives_and_exclusions() {
        assert!(sel("pass/,tiers/", "tiers/x"));
        assert!(sel("pass/,tiers/", "pass/y"));
        assert!(!sel("pass/,-pass/y", "pass/y"));
        assert!(sel("pass/,-pass/y", "pass/z"));
        assert!(sel("-forward", "tiers/x"));
        assert!(!sel("-forward", "apply-on-forward/x"));
        assert!(NameFilter::parse("-").is_err());
    }
}
