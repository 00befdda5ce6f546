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
///
/// For each length up to 8 the hash is one-to-one, which [`LabelSet`](crate::LabelSet) relies on
/// to find such keys without comparing their bytes: the name is one zero-padded word, and every
/// step applied to it (xor with a constant that depends only on the length, multiplication by an
/// odd constant, `h ^ (h >> 29)`) is invertible. The tests invert it.
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
    use super::{K, key_hash};

    /// Inverts `key_hash` for a name of `len` ≤ 8 bytes: the zero-padded little-endian word of
    /// the name.
    fn unhash(h: u64, len: usize) -> u64 {
        // Undo `h ^ (h >> 29)`.
        let h = h ^ (h >> 29) ^ (h >> 58);
        // Undo the multiplication: the inverse of K modulo 2^64 by Newton's iteration.
        let mut inv = K;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(K.wrapping_mul(inv)));
        }
        assert_eq!(K.wrapping_mul(inv), 1);
        let h0 = (len as u64 ^ 0x5bd1_e995).wrapping_mul(K);
        if len == 0 {
            return 0;
        }
        h.wrapping_mul(inv) ^ h0.rotate_left(27)
    }

    #[test]
    fn one_to_one_for_each_length_up_to_8() {
        // Inverting the hash of a name gives back the name: no two names of one length collide.
        let mut names = vec![
            String::new(),
            "\0".repeat(8),
            "\u{7f}".repeat(8),
            "é".repeat(4),
        ];
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for len in 1..=8usize {
            for _ in 0..500 {
                names.push(
                    (0..len)
                        .map(|_| {
                            x = x
                                .wrapping_mul(6_364_136_223_846_793_005)
                                .wrapping_add(1_442_695_040_888_963_407);
                            char::from((x >> 57) as u8)
                        })
                        .collect(),
                );
            }
        }
        for name in names {
            let mut word = [0u8; 8];
            word[..name.len()].copy_from_slice(name.as_bytes());
            assert_eq!(
                unhash(key_hash(&name), name.len()),
                u64::from_le_bytes(word),
                "{name:?}"
            );
        }
    }

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
