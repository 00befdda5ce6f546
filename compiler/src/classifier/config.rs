//! [`ClassifierConfig`]: the size budget of a classifier, and [`ClassifierStats`]: what a build
//! produced.

use serde::{Deserialize, Serialize};

use super::field::Field;

/// The size budget of a classifier. Blocks are built greedily as long as they stay within it;
/// a rule that alone exceeds it is evaluated directly (see [`ClassifierStats::direct_blocks`]).
///
/// ```
/// use palisade_compiler::classifier::ClassifierConfig;
/// let config = ClassifierConfig::new().max_block_entries(4096);
/// assert_eq!(config.get_max_block_entries(), 4096);
/// assert_eq!(config.get_max_rule_alternatives(), 4096);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClassifierConfig {
    max_block_entries: Option<usize>,
    max_block_bytes: Option<usize>,
    max_total_bytes: Option<usize>,
    max_rule_alternatives: Option<usize>,
}

impl ClassifierConfig {
    /// The default budget.
    pub fn new() -> ClassifierConfig {
        ClassifierConfig::default()
    }

    /// The most keys one block's table may hold (default 1,048,576).
    pub fn max_block_entries(mut self, n: usize) -> ClassifierConfig {
        self.max_block_entries = Some(n);
        self
    }

    /// The most bytes one block may take: projections, keys and lookup table (default 64 MiB).
    pub fn max_block_bytes(mut self, n: usize) -> ClassifierConfig {
        self.max_block_bytes = Some(n);
        self
    }

    /// The most bytes all blocks together may take (default 256 MiB). When the budget runs out,
    /// the remaining rules are evaluated directly.
    pub fn max_total_bytes(mut self, n: usize) -> ClassifierConfig {
        self.max_total_bytes = Some(n);
        self
    }

    /// The most alternatives one rule may expand into (default 4096); a rule with more is
    /// evaluated directly.
    pub fn max_rule_alternatives(mut self, n: usize) -> ClassifierConfig {
        self.max_rule_alternatives = Some(n);
        self
    }

    /// See [`ClassifierConfig::max_block_entries`].
    pub fn get_max_block_entries(&self) -> usize {
        self.max_block_entries.unwrap_or(1 << 20)
    }

    /// See [`ClassifierConfig::max_block_bytes`].
    pub fn get_max_block_bytes(&self) -> usize {
        self.max_block_bytes.unwrap_or(64 << 20)
    }

    /// See [`ClassifierConfig::max_total_bytes`].
    pub fn get_max_total_bytes(&self) -> usize {
        self.max_total_bytes.unwrap_or(256 << 20)
    }

    /// See [`ClassifierConfig::max_rule_alternatives`].
    pub fn get_max_rule_alternatives(&self) -> usize {
        self.max_rule_alternatives.unwrap_or(4096)
    }
}

/// What a classifier build produced.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassifierStats {
    /// Rules in the program.
    pub rules: u32,
    /// Alternatives of all tabulated rules.
    pub alternatives: u64,
    /// Rules that can never match (e.g. `proto 6` and `notProtocol 6`, or an empty set).
    pub never_matching_rules: u32,
    /// Global atoms per field, by [`Field::index`].
    pub atoms: [u32; Field::COUNT],
    /// Blocks.
    pub blocks: u32,
    /// Blocks evaluated by table lookup.
    pub table_blocks: u32,
    /// Blocks evaluated rule by rule, as `(first rule, end rule)`: rules whose tables would not
    /// fit the budget on their own, or rules after the total budget ran out.
    pub direct_blocks: Vec<(u32, u32)>,
    /// Keys in all block tables.
    pub keys: u64,
    /// Distinct entries.
    pub entries: u32,
    /// Approximate memory of all tables (atoms, projections, keys, lookup structures), in bytes.
    pub bytes: u64,
}
