//! The packet-mark bits the ruleset uses to pass results between chains (Calico's accept/pass
//! marks, generalised).
//!
//! A window of 12 consecutive bits starting at [`MarkLayout::shift`] (default 16, i.e.
//! `0x0fff0000`) is reserved:
//!
//! | bits | name | meaning |
//! |---|---|---|
//! | `shift..shift+8` | pass field | non-zero while a Pass skips rules: the ordinal of the rule evaluation continues at |
//! | `shift+8` | allow | the program allowed the packet |
//! | `shift+9` | stop | the program ended without a verdict (untracked and pre-DNAT stages) |
//! | `shift+10` | passed | a shared policy chain took a Pass; its caller translates it into the pass field |
//! | `shift+11` | early | an untracked or pre-DNAT stage allowed the packet; later stages accept it |
//!
//! The first four are cleared when a program starts. Other bits of the mark are never changed.

use crate::error::LowerError;

/// Where the reserved mark bits are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MarkLayout {
    shift: u32,
}

impl Default for MarkLayout {
    fn default() -> MarkLayout {
        MarkLayout { shift: 16 }
    }
}

impl MarkLayout {
    /// A layout whose window starts at bit `shift` (0 to 20).
    pub fn new(shift: u32) -> Result<MarkLayout, LowerError> {
        if shift > 20 {
            return Err(LowerError::BadOptions(format!(
                "mark shift {shift} leaves no room for 12 bits (at most 20)"
            )));
        }
        Ok(MarkLayout { shift })
    }

    /// First bit of the window.
    pub fn shift(&self) -> u32 {
        self.shift
    }

    /// The pass field.
    pub fn pass_field(&self) -> u32 {
        0xff << self.shift
    }

    /// The value of the pass field for ordinal `n` (1 to 255).
    pub fn pass_value(&self, n: u8) -> u32 {
        u32::from(n) << self.shift
    }

    /// Largest pass ordinal.
    pub const MAX_PASS_TARGETS: usize = 255;

    /// The allow bit.
    pub fn allow(&self) -> u32 {
        1 << (self.shift + 8)
    }

    /// The stop (no verdict) bit.
    pub fn stop(&self) -> u32 {
        1 << (self.shift + 9)
    }

    /// The passed bit.
    pub fn passed(&self) -> u32 {
        1 << (self.shift + 10)
    }

    /// The early-accept bit.
    pub fn early(&self) -> u32 {
        1 << (self.shift + 11)
    }

    /// Bits a program clears when it starts.
    pub fn program_scratch(&self) -> u32 {
        self.pass_field() | self.allow() | self.stop() | self.passed()
    }

    /// All reserved bits.
    pub fn all(&self) -> u32 {
        self.program_scratch() | self.early()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_window_is_0x0fff0000() {
        let m = MarkLayout::default();
        assert_eq!(m.all(), 0x0fff_0000);
        assert_eq!(m.pass_field(), 0x00ff_0000);
        assert_eq!(m.allow(), 0x0100_0000);
        assert_eq!(m.early(), 0x0800_0000);
        assert_eq!(m.pass_value(5), 0x0005_0000);
    }

    #[test]
    fn bits_are_distinct() {
        let m = MarkLayout::new(3).unwrap();
        let bits = [m.pass_field(), m.allow(), m.stop(), m.passed(), m.early()];
        for (i, a) in bits.iter().enumerate() {
            for b in &bits[i + 1..] {
                assert_eq!(a & b, 0);
            }
        }
        assert!(MarkLayout::new(21).is_err());
    }
}
