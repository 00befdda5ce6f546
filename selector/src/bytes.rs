//! Byte-string comparisons for the evaluation hot path.
//!
//! Label names and values are short. `==` on slices calls `memcmp`/`bcmp` through the dynamic
//! linker whatever the length; these compare strings of up to 16 bytes with two (possibly
//! overlapping) word loads instead, and fall back to `==` for longer ones.

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

#[inline(always)]
fn word4(s: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&s[at..at + 4]);
    u32::from_ne_bytes(w)
}

#[inline(always)]
fn word8(s: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&s[at..at + 8]);
    u64::from_ne_bytes(w)
}

#[cfg(test)]
mod tests {
    use super::{bytes_eq, ends_with, starts_with};

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
