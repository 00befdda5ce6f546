//! One IR match as the conditions of an nft rule, for one IP family.
//!
//! The translation keeps `Match::matches` exactly (DECISIONS D2/D3): ports are only read for
//! TCP, UDP, SCTP and UDP-Lite and only when present (a transport-header load fails for a
//! truncated header or a non-first fragment, and the rule then does not match); ICMP type and
//! code only for the family's own ICMP protocol and only when present; every CIDR or port list
//! is one lookup in a named set, never one rule per entry.

use palisade_compiler::ir::{IcmpMatch, IpSets, Match as IrMatch, PortMatch, SideMatch};
use palisade_compiler::packet::PORT_PROTOCOLS;
use palisade_policy_model::values::{IpVersion, PortRange};

use super::sets;
use crate::ruleset::{Family, Field, Match, Ruleset, Side};

/// The conditions for `m` in chains of `family`, or `None` when `m` can never match a packet of
/// that family. Declares the sets the conditions refer to.
pub(crate) fn lower_match(
    ruleset: &mut Ruleset,
    ip_sets: &IpSets,
    m: &IrMatch,
    family: Family,
) -> Option<Vec<Match>> {
    let mut out = Vec::new();
    if let Some(v) = m.ip_version {
        let wanted = match v {
            IpVersion::V4 => Family::V4,
            IpVersion::V6 => Family::V6,
        };
        if wanted != family {
            return None;
        }
    }
    if let Some(p) = m.protocol {
        out.push(Match::L4proto {
            proto: p,
            negate: false,
        });
    }
    if let Some(p) = m.not_protocol {
        if m.protocol == Some(p) {
            return None;
        }
        if m.protocol.is_none() {
            out.push(Match::L4proto {
                proto: p,
                negate: true,
            });
        }
    }
    if m.icmp.is_some() || m.not_icmp.is_some() {
        let icmp = family.icmp_protocol();
        match m.protocol {
            Some(p) if p != icmp => return None,
            Some(_) => {}
            None => {
                if m.not_protocol == Some(icmp) {
                    return None;
                }
                out.push(Match::L4proto {
                    proto: icmp,
                    negate: false,
                });
            }
        }
        if let Some(i) = m.icmp {
            out.push(icmp_condition(i, false));
        }
        if let Some(i) = m.not_icmp {
            // "Not any ICMP" of an ICMP packet: never.
            i.icmp_type()?;
            out.push(icmp_condition(i, true));
        }
    }
    if m.src.needs_ports() || m.dst.needs_ports() {
        match m.protocol {
            Some(p) if !PORT_PROTOCOLS.contains(&p) => return None,
            Some(_) => {}
            None => {
                let set = sets::ensure_port_protocols(ruleset);
                out.push(Match::InSet {
                    key: vec![Field::L4proto],
                    set,
                    negate: false,
                });
            }
        }
    }
    lower_side(ruleset, ip_sets, &m.src, Side::Src, family, &mut out)?;
    lower_side(ruleset, ip_sets, &m.dst, Side::Dst, family, &mut out)?;
    Some(out)
}

fn icmp_condition(i: IcmpMatch, negate: bool) -> Match {
    match (i.icmp_type(), i.code()) {
        (None, _) => Match::IcmpPresent,
        (Some(t), None) => Match::IcmpType {
            icmp_type: t,
            negate,
        },
        (Some(t), Some(c)) => Match::IcmpTypeCode {
            value: u16::from(t) << 8 | u16::from(c),
            negate,
        },
    }
}

fn lower_side(
    ruleset: &mut Ruleset,
    ip_sets: &IpSets,
    side_match: &SideMatch,
    side: Side,
    family: Family,
    out: &mut Vec<Match>,
) -> Option<()> {
    let addr = Field::addr(family, side);
    for id in &side_match.sets {
        let set = sets::ensure_addr_set(ruleset, ip_sets, id, family);
        out.push(Match::InSet {
            key: vec![addr],
            set,
            negate: false,
        });
    }
    for id in &side_match.not_sets {
        let set = sets::ensure_addr_set(ruleset, ip_sets, id, family);
        out.push(Match::InSet {
            key: vec![addr],
            set,
            negate: true,
        });
    }
    if let Some(p) = &side_match.ports {
        if p.is_empty() {
            return None;
        }
        out.push(port_condition(ruleset, ip_sets, p, side, family, false));
    }
    if let Some(p) = &side_match.not_ports {
        if p.is_empty() {
            // No port is in the empty list: the condition is that the port exists.
            out.push(Match::PortPresent { side });
        } else {
            out.push(port_condition(ruleset, ip_sets, p, side, family, true));
        }
    }
    Some(())
}

fn port_condition(
    ruleset: &mut Ruleset,
    ip_sets: &IpSets,
    p: &PortMatch,
    side: Side,
    family: Family,
    negate: bool,
) -> Match {
    let port = Field::port(side);
    if p.named.is_empty() {
        if let [r] = p.ranges.as_slice()
            && PortRange::min(*r) == PortRange::max(*r)
        {
            return Match::Port {
                side,
                port: PortRange::min(*r),
                negate,
            };
        }
        let set = sets::ensure_port_set(ruleset, &p.ranges);
        return Match::InSet {
            key: vec![port],
            set,
            negate,
        };
    }
    let key = vec![Field::addr(family, side), Field::L4proto, port];
    let set = match (p.ranges.is_empty(), p.named.as_slice()) {
        (true, [id]) => sets::ensure_addr_port_set(ruleset, ip_sets, id, family),
        _ => sets::ensure_port_union_set(ruleset, ip_sets, p, family),
    };
    Match::InSet { key, set, negate }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_compiler::ir::{IpSet, IpSetId, IpSetMembers, IpSetSource};
    use palisade_policy_model::values::PortRange;

    fn sets() -> (IpSets, IpSetId) {
        let id = IpSetId::derive("net", "a");
        let mut s = IpSets::new();
        s.insert(IpSet::new(
            id.clone(),
            IpSetSource::Nets,
            IpSetMembers::addrs(["10.0.0.0/8".parse().unwrap()]),
        ));
        (s, id)
    }

    #[test]
    fn ip_version_restricts_the_family() {
        let (s, _) = sets();
        let mut r = Ruleset::new("palisade");
        let m = IrMatch {
            ip_version: Some(IpVersion::V6),
            ..IrMatch::default()
        };
        assert!(lower_match(&mut r, &s, &m, Family::V4).is_none());
        assert_eq!(lower_match(&mut r, &s, &m, Family::V6), Some(vec![]));
    }

    #[test]
    fn icmp_needs_the_familys_icmp_protocol() {
        let (s, _) = sets();
        let mut r = Ruleset::new("palisade");
        let m = IrMatch {
            icmp: Some(IcmpMatch::new(8, Some(0))),
            ..IrMatch::default()
        };
        assert_eq!(
            lower_match(&mut r, &s, &m, Family::V6),
            Some(vec![
                Match::L4proto {
                    proto: 58,
                    negate: false
                },
                Match::IcmpTypeCode {
                    value: 0x0800,
                    negate: false
                }
            ])
        );
        let tcp_icmp = IrMatch {
            protocol: Some(6),
            icmp: Some(IcmpMatch::ANY),
            ..IrMatch::default()
        };
        assert!(lower_match(&mut r, &s, &tcp_icmp, Family::V4).is_none());
        let not_any = IrMatch {
            not_icmp: Some(IcmpMatch::ANY),
            ..IrMatch::default()
        };
        assert!(lower_match(&mut r, &s, &not_any, Family::V4).is_none());
    }

    #[test]
    fn ports_need_a_port_protocol_and_use_sets_for_lists() {
        let (s, id) = sets();
        let mut r = Ruleset::new("palisade");
        let m = IrMatch {
            src: SideMatch {
                sets: [id].into_iter().collect(),
                ..SideMatch::default()
            },
            dst: SideMatch {
                ports: Some(PortMatch {
                    ranges: [
                        PortRange::single(80).unwrap(),
                        PortRange::new(90, 99).unwrap(),
                    ]
                    .into_iter()
                    .collect(),
                    named: Default::default(),
                }),
                ..SideMatch::default()
            },
            ..IrMatch::default()
        };
        let got = lower_match(&mut r, &s, &m, Family::V4).unwrap();
        assert!(matches!(&got[0], Match::InSet { key, .. } if key == &vec![Field::L4proto]));
        assert!(
            matches!(&got[1], Match::InSet { key, negate: false, .. } if key == &vec![Field::Ip4Saddr])
        );
        assert!(matches!(&got[2], Match::InSet { key, .. } if key == &vec![Field::ThDport]));
        r.validate().unwrap();
        let icmp_ports = IrMatch {
            protocol: Some(1),
            ..m
        };
        assert!(lower_match(&mut r, &s, &icmp_ports, Family::V4).is_none());
    }

    #[test]
    fn an_empty_negated_port_list_only_needs_the_port() {
        let (s, _) = sets();
        let mut r = Ruleset::new("palisade");
        let m = IrMatch {
            protocol: Some(17),
            dst: SideMatch {
                not_ports: Some(PortMatch::default()),
                ..SideMatch::default()
            },
            ..IrMatch::default()
        };
        let got = lower_match(&mut r, &s, &m, Family::V4).unwrap();
        assert_eq!(got[1], Match::PortPresent { side: Side::Dst });
        let positive_empty = IrMatch {
            protocol: Some(17),
            dst: SideMatch {
                ports: Some(PortMatch::default()),
                ..SideMatch::default()
            },
            ..IrMatch::default()
        };
        assert!(lower_match(&mut r, &s, &positive_empty, Family::V4).is_none());
    }
}
