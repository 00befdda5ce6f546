//! "Did you mean …?" suggestions for misspelt field names, enum values, kinds and API versions.

/// The candidate closest to `word`: an exact case-insensitive match first, otherwise the
/// candidate with the smallest edit distance if that distance is small for the word's length.
pub(crate) fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate.eq_ignore_ascii_case(word) {
            return Some(candidate);
        }
        let distance = edit_distance(&word.to_ascii_lowercase(), &candidate.to_ascii_lowercase());
        if best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    let limit = (word.chars().count() / 3).clamp(1, 3);
    best.filter(|(d, _)| *d <= limit).map(|(_, c)| c)
}

/// Levenshtein distance over characters.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(closest("Metadata", ["metadata", "spec"]), Some("metadata"));
        assert_eq!(closest("ingres", ["ingress", "egress"]), Some("ingress"));
        assert_eq!(closest("xyz", ["ingress", "egress"]), None);
        assert_eq!(
            closest("networking.k8s.io/v1n", ["networking.k8s.io/v1", "v1"]),
            Some("networking.k8s.io/v1")
        );
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
