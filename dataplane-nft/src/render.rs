//! Rendering a [`Ruleset`] as `nft` text.
//!
//! [`render_replace`] gives a script that `nft -f` applies as one transaction, replacing the
//! table atomically (create it if missing, delete it, declare it anew); it installs exactly what
//! [`crate::netlink`] encodes for the same ruleset (a root test applies both and compares the
//! kernel's listings). [`render_table`] gives only the table declaration.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::ruleset::{
    Chain, Element, Field, IfDir, KeyPart, KeyType, Match, Rule, RuleVerdict, Ruleset, Set, Side,
    Stmt, Verdict,
};

/// The table declaration: `table inet NAME { ... }`.
pub fn render_table(ruleset: &Ruleset) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "table inet {} {{", ruleset.table);
    for name in &ruleset.counters {
        let _ = writeln!(out, "\tcounter {name} {{\n\t}}");
    }
    for (name, set) in &ruleset.sets {
        render_set(&mut out, name, set);
    }
    for (name, chain) in &ruleset.chains {
        render_chain(&mut out, name, chain);
    }
    out.push_str("}\n");
    out
}

/// A script that replaces the table atomically when given to `nft -f`.
pub fn render_replace(ruleset: &Ruleset) -> String {
    format!(
        "table inet {t}\ndelete table inet {t}\n{}",
        render_table(ruleset),
        t = ruleset.table
    )
}

/// A script that removes the table (and does nothing when it does not exist).
pub fn render_remove(table: &str) -> String {
    format!("table inet {table}\ndelete table inet {table}\n")
}

fn render_set(out: &mut String, name: &str, set: &Set) {
    let _ = writeln!(out, "\t{} {name} {{", if set.map { "map" } else { "set" });
    let key: Vec<&str> = set.key.iter().map(|k| k.name()).collect();
    let _ = write!(out, "\t\ttype {}", key.join(" . "));
    if set.map {
        out.push_str(" : verdict");
    }
    out.push('\n');
    if set.interval {
        out.push_str("\t\tflags interval\n");
    }
    if !set.elements.is_empty() {
        out.push_str("\t\telements = {\n");
        let last = set.elements.len() - 1;
        for (i, element) in set.elements.iter().enumerate() {
            out.push_str("\t\t\t");
            render_element(out, &set.key, element);
            if i != last {
                out.push(',');
            }
            out.push('\n');
        }
        out.push_str("\t\t}\n");
    }
    out.push_str("\t}\n");
}

/// One element as nft writes it, e.g. `10.0.0.0/8 . 80-90 : goto c_1`.
pub fn render_element(out: &mut String, key: &[KeyType], element: &Element) {
    for (i, (part, ty)) in element.key.iter().zip(key).enumerate() {
        if i > 0 {
            out.push_str(" . ");
        }
        render_key_part(out, *ty, part);
    }
    if let Some(v) = &element.verdict {
        out.push_str(" : ");
        render_verdict(out, v);
    }
}

fn render_key_part(out: &mut String, ty: KeyType, part: &KeyPart) {
    match part {
        KeyPart::Name(name) => {
            let _ = write!(out, "\"{name}\"");
        }
        KeyPart::Int { lo, hi } => {
            let bits = ty.len() * 8;
            match ty {
                KeyType::Ipv4Addr | KeyType::Ipv6Addr => {
                    if let Some(len) = prefix_len(*lo, *hi, bits) {
                        write_addr(out, ty, *lo);
                        if len != bits {
                            let _ = write!(out, "/{len}");
                        }
                    } else {
                        write_addr(out, ty, *lo);
                        out.push('-');
                        write_addr(out, ty, *hi);
                    }
                }
                _ => {
                    if lo == hi {
                        let _ = write!(out, "{lo}");
                    } else {
                        let _ = write!(out, "{lo}-{hi}");
                    }
                }
            }
        }
    }
}

fn write_addr(out: &mut String, ty: KeyType, v: u128) {
    if ty == KeyType::Ipv4Addr {
        // Values of an ipv4_addr key are at most u32::MAX (checked by validation).
        let _ = write!(out, "{}", Ipv4Addr::from(v as u32));
    } else {
        let _ = write!(out, "{}", Ipv6Addr::from(v));
    }
}

/// The prefix length when `lo..=hi` is exactly one prefix of a `bits`-wide address.
pub fn prefix_len(lo: u128, hi: u128, bits: u32) -> Option<u32> {
    if lo > hi {
        return None;
    }
    let span = hi - lo;
    // A prefix covers 2^k addresses starting at a multiple of 2^k.
    if span == u128::MAX {
        return (bits == 128).then_some(0);
    }
    let size = span + 1;
    if !size.is_power_of_two() || !lo.is_multiple_of(size) {
        return None;
    }
    let host_bits = size.trailing_zeros();
    (host_bits <= bits).then_some(bits - host_bits)
}

fn render_chain(out: &mut String, name: &str, chain: &Chain) {
    let _ = writeln!(out, "\tchain {name} {{");
    if let Some(base) = &chain.base {
        let _ = writeln!(
            out,
            "\t\ttype filter hook {} priority {}; policy accept;",
            base.hook.name(),
            base.priority
        );
    }
    for rule in &chain.rules {
        out.push_str("\t\t");
        render_rule(out, rule);
        out.push('\n');
    }
    out.push_str("\t}\n");
}

/// One rule as nft writes it.
pub fn render_rule(out: &mut String, rule: &Rule) {
    let mut parts: Vec<String> = Vec::new();
    for m in &rule.matches {
        parts.push(match_text(m));
    }
    for s in &rule.stmts {
        parts.push(stmt_text(s));
    }
    match &rule.verdict {
        Some(RuleVerdict::Plain(v)) => {
            let mut s = String::new();
            render_verdict(&mut s, v);
            parts.push(s);
        }
        Some(RuleVerdict::Vmap { key, map }) => {
            parts.push(format!("{} vmap @{map}", key_text(key)));
        }
        None => {}
    }
    if let Some(c) = &rule.comment {
        parts.push(format!("comment \"{c}\""));
    }
    out.push_str(&parts.join(" "));
}

fn key_text(key: &[Field]) -> String {
    key.iter().map(|f| f.text()).collect::<Vec<_>>().join(" . ")
}

fn neg(negate: bool) -> &'static str {
    if negate { "!= " } else { "" }
}

fn side_port(side: Side) -> &'static str {
    match side {
        Side::Src => "th sport",
        Side::Dst => "th dport",
    }
}

fn match_text(m: &Match) -> String {
    match m {
        Match::Nfproto(f) => format!("meta nfproto {f}"),
        Match::L4proto { proto, negate } => format!("meta l4proto {}{proto}", neg(*negate)),
        Match::Port { side, port, negate } => {
            format!("{} {}{port}", side_port(*side), neg(*negate))
        }
        Match::PortPresent { side } => format!("{} 0-65535", side_port(*side)),
        Match::IcmpType { icmp_type, negate } => format!("@th,0,8 {}{icmp_type}", neg(*negate)),
        Match::IcmpTypeCode { value, negate } => format!("@th,0,16 {}{value}", neg(*negate)),
        Match::IcmpPresent => "@th,0,8 0-255".to_owned(),
        Match::IfName { dir, name, negate } => {
            let field = match dir {
                IfDir::In => "iifname",
                IfDir::Out => "oifname",
            };
            format!("{field} {}\"{name}\"", neg(*negate))
        }
        Match::InSet { key, set, negate } => format!("{} {}@{set}", key_text(key), neg(*negate)),
        Match::Mark {
            mask,
            value,
            negate,
        } => format!(
            "meta mark & 0x{mask:08x} {} 0x{value:08x}",
            if *negate { "!=" } else { "==" }
        ),
        Match::CtState(states) => format!("ct state {}", states.names().join(",")),
    }
}

fn stmt_text(s: &Stmt) -> String {
    match s {
        Stmt::Counter(name) => format!("counter name \"{name}\""),
        Stmt::Log { prefix } => format!("log prefix \"{prefix}\""),
        Stmt::MarkSet { and, xor } => {
            if *xor == 0 {
                format!("meta mark set meta mark & 0x{and:08x}")
            } else if *and == !*xor {
                format!("meta mark set meta mark | 0x{xor:08x}")
            } else {
                format!("meta mark set meta mark & 0x{and:08x} | 0x{xor:08x}")
            }
        }
        Stmt::Notrack => "notrack".to_owned(),
    }
}

fn render_verdict(out: &mut String, v: &Verdict) {
    match v {
        Verdict::Accept => out.push_str("accept"),
        Verdict::Drop => out.push_str("drop"),
        Verdict::Return => out.push_str("return"),
        Verdict::Jump(c) => {
            let _ = write!(out, "jump {c}");
        }
        Verdict::Goto(c) => {
            let _ = write!(out, "goto {c}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ruleset::{BaseHook, CtStates, Family, HookPoint};

    #[test]
    fn prefixes_are_recognised() {
        assert_eq!(prefix_len(0x0a00_0000, 0x0aff_ffff, 32), Some(8));
        assert_eq!(prefix_len(5, 5, 32), Some(32));
        assert_eq!(prefix_len(0, u128::from(u32::MAX), 32), Some(0));
        assert_eq!(prefix_len(0, u128::MAX, 128), Some(0));
        assert_eq!(prefix_len(1, 2, 32), None);
        assert_eq!(prefix_len(0x0a00_0000, 0x0a00_0005, 32), None);
    }

    #[test]
    fn elements_render_as_prefixes_ranges_and_values() {
        let mut s = String::new();
        render_element(
            &mut s,
            &[KeyType::Ipv4Addr, KeyType::InetProto, KeyType::InetService],
            &Element {
                key: vec![
                    KeyPart::range(0x0a00_0000, 0x0aff_ffff),
                    KeyPart::value(6),
                    KeyPart::range(80, 90),
                ],
                verdict: Some(Verdict::Goto("c_1".into())),
            },
        );
        assert_eq!(s, "10.0.0.0/8 . 6 . 80-90 : goto c_1");
        let mut s = String::new();
        render_element(
            &mut s,
            &[KeyType::Ipv6Addr],
            &Element {
                key: vec![KeyPart::range(1, 3)],
                verdict: None,
            },
        );
        assert_eq!(s, "::1-::3");
    }

    #[test]
    fn a_table_renders_every_construct() {
        let mut r = Ruleset::new("palisade");
        r.counters.insert("c_1".into());
        r.chains.insert(
            "base_in".into(),
            Chain {
                base: Some(BaseHook {
                    hook: HookPoint::Input,
                    priority: 0,
                }),
                rules: vec![
                    Rule::verdict(Verdict::Accept)
                        .when(Match::CtState(CtStates::ESTABLISHED_RELATED)),
                    Rule::verdict(Verdict::Return)
                        .when(Match::Nfproto(Family::V6))
                        .when(Match::Mark {
                            mask: 0xff0000,
                            value: 0x50000,
                            negate: false,
                        })
                        .then(Stmt::Counter("c_1".into()))
                        .then(Stmt::mark_set(0xff0000, 0))
                        .with_comment("x y"),
                ],
            },
        );
        let text = render_replace(&r);
        assert!(text.starts_with("table inet palisade\ndelete table inet palisade\n"));
        assert!(text.contains("type filter hook input priority 0; policy accept;"));
        assert!(text.contains("ct state established,related accept"));
        assert!(text.contains(
            "meta nfproto ipv6 meta mark & 0x00ff0000 == 0x00050000 counter name \"c_1\" \
             meta mark set meta mark & 0xff00ffff return comment \"x y\""
        ));
    }
}
