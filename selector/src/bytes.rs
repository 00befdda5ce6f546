//! Byte-string comparisons for the evaluation hot path.
//!
//! Label names and values are short. `==` on slices calls `memcmp`/`bcmp` through the dynamic
//! linker whatever the length; these compare strings of up to 16 bytes with two (possibly
//! overlapping) word loads instead, and fall back to `==` for longer ones. [`head`] packs the
//! first eight bytes of a string in a word, which literals and [`LabelSet`](crate::LabelSet)
//! values keep so that evaluation compares short values with one word comparison.

/// `a == b`.
#[inline]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && same_len_eq(a, b)
}

/// `a.starts_with(prefix)`.
#[inline]
pub(crate) fn starts_with(a: &[u8], prefix: &[u8]) -> bool {
    a.len() >= prefix.len() && same_len_eq(&a[..prefix.len()], prefix)
}

/// `a.ends_with(suffix)`.
#[inline]
pub(crate) fn ends_with(a: &[u8], suffix: &[u8]) -> bool {
    a.len() >= suffix.len() && same_len_eq(&a[a.len() - suffix.len()..], suffix)
}

/// Equality of two slices of the same length.
#[inline]
fn same_len_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        // First, middle and last byte cover every byte of a 1-, 2- or 3-byte string.
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=7 => word4(a, 0) == word4(b, 0) && word4(a, n - 4) == word4(b, n - 4),
        8..=16 => word8(a, 0) == word8(b, 0) && word8(a, n - 8) == word8(b, n - 8),
        _ => a == b,
    }
}

/// The first eight bytes of `s` as a little-endian word, zero-padded past its end.
///
/// Two strings of the same length up to 8 are equal exactly when their heads are, and the first
/// `n` bytes of a string at least `n` long are `head(s) & low_bytes(n)`.
#[inline]
pub(crate) fn head(s: &[u8]) -> u64 {
    let n = s.len();
    match n {
        0 => 0,
        // Overlapping reads put the same byte at the same place, so or-ing them is exact.
        1..=3 => {
            u64::from(s[0])
                | u64::from(s[n / 2]) << (8 * (n / 2))
                | u64::from(s[n - 1]) << (8 * (n - 1))
        }
        4..=7 => u64::from(word4(s, 0)) | u64::from(word4(s, n - 4)) << (8 * (n - 4)),
        _ => word8(s, 0),
    }
}

/// The mask of the low `n` bytes of a word (all of it from 8 on): `head(s) & low_bytes(n)` is
/// the head of the first `n` bytes of `s`.
#[inline(always)]
pub(crate) fn low_bytes(n: usize) -> u64 {
    if n >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * n)) - 1
    }
}

#[inline(always)]
fn word4(s: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&s[at..at + 4]);
    u32::from_le_bytes(w)
}

#[inline(always)]
fn word8(s: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&s[at..at + 8]);
    u64::from_le_bytes(w)
}

#[cfg(test)]
mod tests {
    use super::{bytes_eq, ends_with, head, low_bytes, starts_with};

    /// The head as the definition states it: the first eight bytes, zero-padded.
    fn head_spec(s: &[u8]) -> u64 {
        let mut w = [0u8; 8];
        let n = s.len().min(8);
        w[..n].copy_from_slice(&s[..n]);
        u64::from_le_bytes(w)
    }

    #[test]
    fn head_is_the_zero_padded_first_eight_bytes() {
        for n in 0..20usize {
            let a: Vec<u8> = (0..n).map(|i| 0x80 | (i as u8 * 7)).collect();
            assert_eq!(head(&a), head_spec(&a), "n={n}");
            for m in 0..=n {
                assert_eq!(
                    head(&a) & low_bytes(m),
                    head_spec(&a[..m.min(8)]),
                    "n={n} m={m}"
                );
            }
        }
        assert_eq!(head(b"web"), u64::from_le_bytes(*b"web\0\0\0\0\0"));
    }

    #[test]
    fn agrees_with_std_for_every_length_and_every_differing_byte() {
        for n in 0..40usize {
            let a: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(bytes_eq(&a, &a.clone()));
            for at in 0..n {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!bytes_eq(&a, &b), "n={n} differing at {at}");
            }
            for m in 0..n {
                assert!(!bytes_eq(&a, &a[..m]));
                assert_eq!(starts_with(&a, &a[..m]), a.starts_with(&a[..m]));
                assert_eq!(ends_with(&a, &a[m..]), a.ends_with(&a[m..]));
                assert_eq!(
                    starts_with(&a, &a[m..]),
                    a.starts_with(&a[m..]),
                    "n={n} m={m}"
                );
                assert_eq!(ends_with(&a, &a[..m]), a.ends_with(&a[..m]), "n={n} m={m}");
                assert!(!starts_with(&a[..m], &a));
                assert!(!ends_with(&a[..m], &a));
            }
        }
    }
}
