//! The hash of a label name. Every parsed [`Label`](crate::Label) carries it and
//! [`LabelSet`](crate::LabelSet) indexes its keys by it, so evaluation finds a label with one
//! table probe and one string comparison, without hashing anything.
//!
//! The hash is deterministic (no random seed): it is computed once when a selector is parsed and
//! once when a label set is built, and both must agree. Hash flooding cannot hurt: a collision
//! only makes a probe look at one more entry, and a label set holds one endpoint's labels.

/// The multiplier (2^64 / φ, as in Fibonacci hashing): odd, with well-spread bits.
const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// Hashes a label name eight bytes at a time. The result's **high** bits are the well-mixed ones
/// (the last step is a multiplication), so tables take their slot from the top bits.
pub(crate) fn key_hash(key: &str) -> u64 {
    let bytes = key.as_bytes();
    let mut h = (bytes.len() as u64 ^ 0x5bd1_e995).wrapping_mul(K);
    for chunk in bytes.chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        h = (h.rotate_left(27) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    // Fold the high bits down too, so that both ends of the word are usable.
    h ^ (h >> 29)
}

#[cfg(test)]
mod tests {
    use super::key_hash;

    #[test]
    fn distinguishes_length_padding_and_order() {
        assert_ne!(key_hash("a"), key_hash("a\0"));
        assert_ne!(key_hash(""), key_hash("\0"));
        assert_ne!(key_hash("ab"), key_hash("ba"));
        assert_ne!(key_hash("12345678a"), key_hash("a12345678"));
        assert_eq!(key_hash("app"), key_hash(&String::from("app")));
    }

    #[test]
    fn top_bits_spread_over_typical_keys() {
        // 64 similar keys into 128 slots by the top 7 bits: a poor hash would pile them up.
        let mut used = [false; 128];
        for i in 0..64 {
            used[(key_hash(&format!("example.com/label-{i}")) >> 57) as usize] = true;
        }
        let distinct = used.iter().filter(|u| **u).count();
        assert!(distinct >= 40, "only {distinct} distinct slots");
    }
}
