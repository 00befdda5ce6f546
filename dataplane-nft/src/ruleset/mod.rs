//! The ruleset model: one nftables table of family `inet` with its named counters, sets, verdict
//! maps and chains.
//!
//! This is the single description of what Palisade puts in the kernel. [`crate::render`] turns it
//! into `nft` text and [`crate::netlink`] into the netlink messages of one batch; both walk the
//! same values. Everything here is plain data, built by [`crate::lower`], checked by
//! [`Ruleset::validate`].

mod expr;

use std::collections::{BTreeMap, BTreeSet};

pub use expr::{CtStates, Family, Field, IfDir, KeyType, Match, RuleVerdict, Side, Stmt, Verdict};

use crate::error::ModelError;

/// A netfilter hook a base chain is attached to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HookPoint {
    /// `prerouting`.
    Prerouting,
    /// `input`.
    Input,
    /// `forward`.
    Forward,
    /// `output`.
    Output,
}

impl HookPoint {
    /// The nft name of the hook.
    pub fn name(self) -> &'static str {
        match self {
            HookPoint::Prerouting => "prerouting",
            HookPoint::Input => "input",
            HookPoint::Forward => "forward",
            HookPoint::Output => "output",
        }
    }

    /// The kernel's hook number (`NF_INET_*`).
    pub fn number(self) -> u32 {
        match self {
            HookPoint::Prerouting => 0,
            HookPoint::Input => 1,
            HookPoint::Forward => 2,
            HookPoint::Output => 3,
        }
    }
}

/// What makes a chain a base chain: a `filter` chain on a hook, with policy `accept`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BaseHook {
    /// The hook.
    pub hook: HookPoint,
    /// The priority (`raw` = -300, `mangle` = -150, `filter` = 0).
    pub priority: i32,
}

/// Priority of the `raw` stage.
pub const PRIORITY_RAW: i32 = -300;
/// Priority of the `mangle` stage.
pub const PRIORITY_MANGLE: i32 = -150;
/// Priority of the `filter` stage.
pub const PRIORITY_FILTER: i32 = 0;

/// One rule: its matches (AND-ed), then its statements, then its verdict.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rule {
    /// Conditions, evaluated in order.
    pub matches: Vec<Match>,
    /// Statements run when all conditions hold.
    pub stmts: Vec<Stmt>,
    /// The verdict, if any (none: continue with the next rule).
    pub verdict: Option<RuleVerdict>,
    /// A comment (at most 127 bytes, no `"` or `\`).
    pub comment: Option<String>,
}

impl Rule {
    /// A rule with only a verdict.
    pub fn verdict(verdict: Verdict) -> Rule {
        Rule {
            verdict: Some(RuleVerdict::Plain(verdict)),
            ..Rule::default()
        }
    }

    /// Adds a condition.
    pub fn when(mut self, m: Match) -> Rule {
        self.matches.push(m);
        self
    }

    /// Adds a statement.
    pub fn then(mut self, s: Stmt) -> Rule {
        self.stmts.push(s);
        self
    }

    /// Sets the verdict.
    pub fn with_verdict(mut self, v: Verdict) -> Rule {
        self.verdict = Some(RuleVerdict::Plain(v));
        self
    }

    /// Sets the comment.
    pub fn with_comment(mut self, comment: impl Into<String>) -> Rule {
        self.comment = Some(comment.into());
        self
    }
}

/// A chain: a base chain when `base` is set, otherwise a regular chain reached by jumps.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Chain {
    /// Hook and priority of a base chain.
    pub base: Option<BaseHook>,
    /// The rules, in order.
    pub rules: Vec<Rule>,
}

/// One component of a set element's key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyPart {
    /// An integer value or an inclusive range `lo..=hi` (`lo == hi` for a single value).
    /// Addresses are their big-endian integer value.
    Int {
        /// Lower bound.
        lo: u128,
        /// Upper bound.
        hi: u128,
    },
    /// An interface name.
    Name(String),
}

impl KeyPart {
    /// A single integer value.
    pub fn value(v: u128) -> KeyPart {
        KeyPart::Int { lo: v, hi: v }
    }

    /// An inclusive range.
    pub fn range(lo: u128, hi: u128) -> KeyPart {
        KeyPart::Int { lo, hi }
    }
}

/// An element of a set or verdict map.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Element {
    /// One part per key component.
    pub key: Vec<KeyPart>,
    /// The verdict (verdict maps only).
    pub verdict: Option<Verdict>,
}

/// A named set, or a verdict map when `map` is true.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Set {
    /// Key type: one component, or several for a concatenation.
    pub key: Vec<KeyType>,
    /// `flags interval`: elements may be ranges (and prefixes).
    pub interval: bool,
    /// True for a verdict map (`: verdict`).
    pub map: bool,
    /// The elements, sorted; pairwise disjoint.
    pub elements: Vec<Element>,
}

impl Set {
    /// An empty set.
    pub fn new(key: Vec<KeyType>, interval: bool) -> Set {
        Set {
            key,
            interval,
            map: false,
            elements: Vec::new(),
        }
    }

    /// An empty verdict map.
    pub fn verdict_map(key: Vec<KeyType>, interval: bool) -> Set {
        Set {
            key,
            interval,
            map: true,
            elements: Vec::new(),
        }
    }

    /// True for a concatenated key.
    pub fn is_concat(&self) -> bool {
        self.key.len() > 1
    }
}

/// A whole table: what one batch installs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ruleset {
    /// Table name (family `inet`).
    pub table: String,
    /// Named counters.
    pub counters: BTreeSet<String>,
    /// Sets and verdict maps by name.
    pub sets: BTreeMap<String, Set>,
    /// Chains by name.
    pub chains: BTreeMap<String, Chain>,
}

/// The sets and chains whose content (elements, rules) differs between two rulesets of the
/// same shape, by name in ascending order ([`Ruleset::changed_from`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Changed {
    /// Sets whose elements differ.
    pub(crate) sets: Vec<String>,
    /// Chains whose rules differ.
    pub(crate) chains: Vec<String>,
}

/// Longest name nftables accepts for tables, chains, sets and objects (`NFT_NAME_MAXLEN - 1`).
pub const MAX_NAME_LEN: usize = 255;
/// Longest comment (`NFTNL_UDATA_COMMENT_MAXLEN - 1`).
pub const MAX_COMMENT_LEN: usize = 127;
/// Longest log prefix (`NF_LOG_PREFIXLEN - 1`).
pub const MAX_LOG_PREFIX_LEN: usize = 127;
/// Longest interface name (`IFNAMSIZ - 1`).
pub const MAX_IFNAME_LEN: usize = 15;

/// True if `name` is usable as a table, chain, set or counter name in both the text form and
/// netlink: starts with a letter, then letters, digits, `_`, `-`, `.`; contains at least one `_`
/// so that it can never be an nft keyword; at most [`MAX_NAME_LEN`] bytes.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= MAX_NAME_LEN
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && name.contains('_')
}

fn is_valid_text(text: &str, max: usize) -> bool {
    text.len() <= max
        && text
            .chars()
            .all(|c| (' '..='~').contains(&c) && c != '"' && c != '\\')
}

impl Ruleset {
    /// An empty table.
    pub fn new(table: impl Into<String>) -> Ruleset {
        Ruleset {
            table: table.into(),
            counters: BTreeSet::new(),
            sets: BTreeMap::new(),
            chains: BTreeMap::new(),
        }
    }

    /// Number of rules in all chains.
    pub fn rule_count(&self) -> usize {
        self.chains.values().map(|c| c.rules.len()).sum()
    }

    /// Number of elements in all sets and maps.
    pub fn element_count(&self) -> usize {
        self.sets.values().map(|s| s.elements.len()).sum()
    }

    /// Checks the invariants both outputs rely on: valid names and texts; every referenced
    /// chain, set and counter exists; set lookups use keys of the set's type; map lookups use
    /// maps and set lookups use sets; elements have the set's shape and are sorted and distinct;
    /// single-field intervals are disjoint; ranges only in interval sets; verdicts only in maps.
    /// Linear in the size of the ruleset. (Disjointness of concatenated interval elements is a
    /// property of the lowering, tested there, because checking it here would be quadratic.)
    pub fn validate(&self) -> Result<(), ModelError> {
        if !self
            .table
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            || !self
                .table
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            || self.table.len() > MAX_NAME_LEN
        {
            return Err(ModelError::BadName {
                what: "table",
                name: self.table.clone(),
            });
        }
        for name in &self.counters {
            if !is_valid_name(name) {
                return Err(ModelError::BadName {
                    what: "counter",
                    name: name.clone(),
                });
            }
        }
        for (name, set) in &self.sets {
            if !is_valid_name(name) {
                return Err(ModelError::BadName {
                    what: "set",
                    name: name.clone(),
                });
            }
            self.validate_set(name, set)?;
        }
        for (name, chain) in &self.chains {
            if !is_valid_name(name) {
                return Err(ModelError::BadName {
                    what: "chain",
                    name: name.clone(),
                });
            }
            for (index, rule) in chain.rules.iter().enumerate() {
                self.validate_rule(rule)
                    .map_err(|reason| ModelError::BadRule {
                        chain: name.clone(),
                        index,
                        reason,
                    })?;
            }
        }
        Ok(())
    }

    /// The sets and chains whose content differs from `old`, when `self` has the same shape as
    /// `old`: the same table, the same counters, sets of the same names and definitions (key
    /// type, `interval`, map or set) and chains of the same names and hooks. `None` otherwise.
    pub(crate) fn changed_from(&self, old: &Ruleset) -> Option<Changed> {
        if self.table != old.table
            || self.counters != old.counters
            || self.sets.len() != old.sets.len()
            || self.chains.len() != old.chains.len()
        {
            return None;
        }
        let mut changed = Changed::default();
        for ((name, set), (old_name, prev)) in self.sets.iter().zip(&old.sets) {
            if name != old_name
                || set.key != prev.key
                || set.interval != prev.interval
                || set.map != prev.map
            {
                return None;
            }
            if set.elements != prev.elements {
                changed.sets.push(name.clone());
            }
        }
        for ((name, chain), (old_name, prev)) in self.chains.iter().zip(&old.chains) {
            if name != old_name || chain.base != prev.base {
                return None;
            }
            if chain.rules != prev.rules {
                changed.chains.push(name.clone());
            }
        }
        Some(changed)
    }

    /// Same as [`Ruleset::validate`] for a ruleset whose only differences from a valid `old`
    /// are `changed` (as computed by [`Ruleset::changed_from`]): everything else refers only to
    /// names and definitions `old` has too, so only the changed sets and chains are checked, in
    /// the order `validate` checks them (it finds the same first error).
    pub(crate) fn validate_changed(&self, changed: &Changed) -> Result<(), ModelError> {
        for name in &changed.sets {
            if let Some(set) = self.sets.get(name) {
                self.validate_set(name, set)?;
            }
        }
        for name in &changed.chains {
            let Some(chain) = self.chains.get(name) else {
                continue;
            };
            for (index, rule) in chain.rules.iter().enumerate() {
                self.validate_rule(rule)
                    .map_err(|reason| ModelError::BadRule {
                        chain: name.clone(),
                        index,
                        reason,
                    })?;
            }
        }
        Ok(())
    }

    /// Makes `self` equal to `new`, whose only differences from `self` are `changed` (as
    /// computed by [`Ruleset::changed_from`]), by copying only the changed sets and chains.
    pub(crate) fn copy_changed(&mut self, new: &Ruleset, changed: &Changed) {
        for name in &changed.sets {
            if let (Some(set), Some(from)) = (self.sets.get_mut(name), new.sets.get(name)) {
                set.elements.clone_from(&from.elements);
            }
        }
        for name in &changed.chains {
            if let (Some(chain), Some(from)) = (self.chains.get_mut(name), new.chains.get(name)) {
                chain.rules.clone_from(&from.rules);
            }
        }
    }

    fn validate_set(&self, name: &str, set: &Set) -> Result<(), ModelError> {
        let bad = |reason: String| ModelError::BadSet {
            set: name.to_owned(),
            reason,
        };
        if set.key.is_empty() {
            return Err(bad("empty key".into()));
        }
        if set.interval && set.key.contains(&KeyType::Ifname) {
            return Err(bad(
                "interval sets of interface names are not supported".into()
            ));
        }
        let mut previous: Option<&Element> = None;
        for element in &set.elements {
            if element.key.len() != set.key.len() {
                return Err(bad(format!(
                    "element has {} key parts, the set key has {}",
                    element.key.len(),
                    set.key.len()
                )));
            }
            for (part, ty) in element.key.iter().zip(&set.key) {
                match (part, ty.max_int()) {
                    (KeyPart::Name(n), None) => {
                        if n.is_empty() || !is_valid_text(n, MAX_IFNAME_LEN) {
                            return Err(bad(format!("bad interface name `{n}`")));
                        }
                    }
                    (KeyPart::Int { lo, hi }, Some(max)) => {
                        if lo > hi || *hi > max {
                            return Err(bad(format!("bad range {lo}..={hi} for {}", ty.name())));
                        }
                        if lo != hi && !set.interval {
                            return Err(bad("range in a set without `flags interval`".into()));
                        }
                    }
                    _ => return Err(bad(format!("key part does not fit type {}", ty.name()))),
                }
            }
            match (&element.verdict, set.map) {
                (Some(v), true) => {
                    if let Some(target) = v.target()
                        && !self.chains.contains_key(target)
                    {
                        return Err(bad(format!("element jumps to unknown chain `{target}`")));
                    }
                }
                (None, false) => {}
                (Some(_), false) => return Err(bad("verdict in a set that is not a map".into())),
                (None, true) => return Err(bad("map element without a verdict".into())),
            }
            if let Some(prev) = previous {
                if prev.key >= element.key {
                    return Err(bad("elements are not sorted and distinct".into()));
                }
                if set.key.len() == 1
                    && let (KeyPart::Int { hi: prev_hi, .. }, KeyPart::Int { lo, .. }) =
                        (&prev.key[0], &element.key[0])
                    && prev_hi >= lo
                {
                    return Err(bad("overlapping intervals".into()));
                }
            }
            previous = Some(element);
        }
        Ok(())
    }

    fn validate_rule(&self, rule: &Rule) -> Result<(), String> {
        for m in &rule.matches {
            match m {
                Match::InSet { key, set, .. } => self.check_lookup(key, set, false)?,
                Match::IfName { name, .. }
                    if name.is_empty() || !is_valid_text(name, MAX_IFNAME_LEN) =>
                {
                    return Err(format!("bad interface name `{name}`"));
                }
                _ => {}
            }
        }
        for s in &rule.stmts {
            match s {
                Stmt::Counter(name) => {
                    if !self.counters.contains(name) {
                        return Err(format!("unknown counter `{name}`"));
                    }
                }
                Stmt::Log { prefix } => {
                    if !is_valid_text(prefix, MAX_LOG_PREFIX_LEN) {
                        return Err(format!("bad log prefix `{prefix}`"));
                    }
                }
                Stmt::MarkSet { and, xor } => {
                    if and & xor != 0 {
                        return Err("mark statement sets bits it keeps".into());
                    }
                }
                Stmt::Notrack => {}
            }
        }
        match &rule.verdict {
            Some(RuleVerdict::Plain(v)) => {
                if let Some(target) = v.target()
                    && !self.chains.contains_key(target)
                {
                    return Err(format!("jump to unknown chain `{target}`"));
                }
            }
            Some(RuleVerdict::Vmap { key, map }) => self.check_lookup(key, map, true)?,
            None => {}
        }
        if let Some(c) = &rule.comment
            && !is_valid_text(c, MAX_COMMENT_LEN)
        {
            return Err(format!("bad comment `{c}`"));
        }
        Ok(())
    }

    fn check_lookup(&self, key: &[Field], set: &str, want_map: bool) -> Result<(), String> {
        let Some(def) = self.sets.get(set) else {
            return Err(format!("unknown set `{set}`"));
        };
        if def.map != want_map {
            return Err(format!(
                "`{set}` is {} but is used as {}",
                if def.map { "a map" } else { "a set" },
                if want_map { "a map" } else { "a set" }
            ));
        }
        let types: Vec<KeyType> = key.iter().map(|f| f.key_type()).collect();
        if types != def.key {
            return Err(format!("key of `{set}` does not match the lookup"));
        }
        Ok(())
    }
}

/// True if two elements of a (possibly concatenated) interval set share a key.
pub fn elements_overlap(a: &Element, b: &Element) -> bool {
    a.key.iter().zip(&b.key).all(|(x, y)| match (x, y) {
        (KeyPart::Int { lo: l1, hi: h1 }, KeyPart::Int { lo: l2, hi: h2 }) => l1 <= h2 && l2 <= h1,
        (x, y) => x == y,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Ruleset {
        let mut r = Ruleset::new("palisade");
        r.counters.insert("c_1".into());
        let mut s = Set::new(vec![KeyType::Ipv4Addr], true);
        s.elements = vec![
            Element {
                key: vec![KeyPart::range(10, 20)],
                verdict: None,
            },
            Element {
                key: vec![KeyPart::range(30, 40)],
                verdict: None,
            },
        ];
        r.sets.insert("s_1".into(), s);
        r.chains.insert(
            "ch_1".into(),
            Chain {
                base: None,
                rules: vec![
                    Rule::verdict(Verdict::Accept)
                        .when(Match::InSet {
                            key: vec![Field::Ip4Saddr],
                            set: "s_1".into(),
                            negate: false,
                        })
                        .then(Stmt::Counter("c_1".into())),
                ],
            },
        );
        r
    }

    #[test]
    fn changes_of_content_are_found_and_copied() {
        let old = table();
        assert_eq!(old.changed_from(&old), Some(Changed::default()));
        let mut new = table();
        new.sets.get_mut("s_1").unwrap().elements.pop();
        new.chains.get_mut("ch_1").unwrap().rules[0].verdict =
            Some(RuleVerdict::Plain(Verdict::Drop));
        let changed = new.changed_from(&old).unwrap();
        assert_eq!(changed.sets, vec!["s_1".to_owned()]);
        assert_eq!(changed.chains, vec!["ch_1".to_owned()]);
        let mut kept = old.clone();
        kept.copy_changed(&new, &changed);
        assert_eq!(kept, new);
    }

    #[test]
    fn a_different_shape_is_not_a_content_change() {
        let old = table();
        let mut r = table();
        r.counters.insert("c_2".into());
        assert_eq!(r.changed_from(&old), None);
        let mut r = table();
        r.sets.get_mut("s_1").unwrap().interval = false;
        assert_eq!(r.changed_from(&old), None);
        let mut r = table();
        r.sets
            .insert("s_2".into(), Set::new(vec![KeyType::Ipv4Addr], false));
        assert_eq!(r.changed_from(&old), None);
        let mut r = table();
        let chain = r.chains.remove("ch_1").unwrap();
        r.chains.insert("ch_2".into(), chain);
        assert_eq!(r.changed_from(&old), None);
        let mut r = table();
        r.table = "other".into();
        assert_eq!(r.changed_from(&old), None);
    }

    #[test]
    fn checking_the_changes_finds_what_a_full_check_finds() {
        let old = table();
        let mut r = table();
        r.sets.get_mut("s_1").unwrap().elements[1].key = vec![KeyPart::range(15, 40)];
        r.chains.get_mut("ch_1").unwrap().rules[0].verdict =
            Some(RuleVerdict::Plain(Verdict::Jump("ch_missing".into())));
        let changed = r.changed_from(&old).unwrap();
        assert_eq!(r.validate_changed(&changed), r.validate());
        assert!(matches!(
            r.validate_changed(&changed),
            Err(ModelError::BadSet { .. })
        ));
        r.sets = old.sets.clone();
        let changed = r.changed_from(&old).unwrap();
        assert_eq!(r.validate_changed(&changed), r.validate());
        assert!(matches!(
            r.validate_changed(&changed),
            Err(ModelError::BadRule { .. })
        ));
        let mut r = table();
        r.sets.get_mut("s_1").unwrap().elements.pop();
        let changed = r.changed_from(&old).unwrap();
        assert_eq!(r.validate_changed(&changed), Ok(()));
    }

    #[test]
    fn a_consistent_table_validates() {
        table().validate().unwrap();
    }

    #[test]
    fn dangling_references_are_rejected() {
        let mut r = table();
        r.counters.clear();
        assert!(matches!(r.validate(), Err(ModelError::BadRule { .. })));
        let mut r = table();
        r.sets.clear();
        assert!(r.validate().is_err());
        let mut r = table();
        r.chains.get_mut("ch_1").unwrap().rules[0].verdict =
            Some(RuleVerdict::Plain(Verdict::Jump("ch_missing".into())));
        assert!(r.validate().is_err());
    }

    #[test]
    fn overlapping_or_unsorted_intervals_are_rejected() {
        let mut r = table();
        r.sets.get_mut("s_1").unwrap().elements[1].key = vec![KeyPart::range(15, 40)];
        assert!(matches!(r.validate(), Err(ModelError::BadSet { .. })));
        let mut r = table();
        r.sets.get_mut("s_1").unwrap().elements.reverse();
        assert!(r.validate().is_err());
    }

    #[test]
    fn lookups_must_match_the_key_type() {
        let mut r = table();
        r.chains.get_mut("ch_1").unwrap().rules[0].matches[0] = Match::InSet {
            key: vec![Field::Ip6Saddr],
            set: "s_1".into(),
            negate: false,
        };
        assert!(r.validate().is_err());
    }

    #[test]
    fn names_that_could_be_keywords_are_rejected() {
        assert!(is_valid_name("prog_1"));
        assert!(!is_valid_name("forward"));
        assert!(!is_valid_name("1_a"));
        assert!(!is_valid_name("a_b:c"));
    }
}
