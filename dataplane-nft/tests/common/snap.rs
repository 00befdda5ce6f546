//! Hand-built snapshots: programs, sets and the rich snapshot every listing test uses.

use std::sync::Arc;

use palisade_compiler::Snapshot;
use palisade_compiler::ir::{
    AddrPort, Hook, IcmpMatch, IpSet, IpSetId, IpSetMembers, IpSetSource, IpSets, IrAction, IrRule,
    Match, Origin, PortMatch, Program, ProgramTarget, SideMatch,
};
use palisade_policy_model::model::{EndpointKey, PolicyId, PolicyKind};
use palisade_policy_model::values::{IpVersion, PortRange};

pub(crate) fn wl(ns: &str, name: &str) -> EndpointKey {
    EndpointKey::Workload {
        namespace: ns.into(),
        name: name.into(),
    }
}

pub(crate) fn hep(name: &str) -> EndpointKey {
    EndpointKey::Host { name: name.into() }
}

pub(crate) fn rule_origin(tier: &str, policy: &str, rule: u32) -> Origin {
    Origin::Rule {
        tier: tier.into(),
        policy: PolicyId {
            kind: PolicyKind::GlobalNetworkPolicy,
            namespace: None,
            name: policy.into(),
        },
        rule,
    }
}

pub(crate) fn ir(action: IrAction, matches: Match, origin: Origin) -> IrRule {
    IrRule {
        matches,
        action,
        origin,
    }
}

pub(crate) fn id(name: &str) -> IpSetId {
    IpSetId::derive("net", name)
}

pub(crate) fn nets(name: &str, cidrs: &[&str]) -> IpSet {
    IpSet::new(
        id(name),
        IpSetSource::Nets,
        IpSetMembers::addrs(cidrs.iter().map(|c| c.parse().expect("cidr"))),
    )
}

pub(crate) fn addr_ports(name: &str, members: &[(&str, u8, u16)]) -> IpSet {
    IpSet::new(
        id(name),
        IpSetSource::BuiltIn,
        IpSetMembers::addr_ports(members.iter().map(|(a, p, port)| AddrPort {
            addr: a.parse().expect("addr"),
            protocol: *p,
            port: *port,
        })),
    )
}

pub(crate) fn ports(ranges: &[(u16, u16)], named: &[&str]) -> PortMatch {
    PortMatch {
        ranges: ranges
            .iter()
            .map(|(a, b)| PortRange::new(*a, *b).expect("range"))
            .collect(),
        named: named.iter().map(|n| id(n)).collect(),
    }
}

pub(crate) fn snapshot(programs: Vec<(EndpointKey, Hook, Program)>, sets: Vec<IpSet>) -> Snapshot {
    let mut s = Snapshot::default();
    for (endpoint, hook, p) in programs {
        s.programs
            .insert(ProgramTarget { endpoint, hook }, Arc::new(p));
    }
    let mut registry = IpSets::new();
    for set in sets {
        registry.insert(set);
    }
    s.sets = registry;
    s
}

/// The sets of the rich snapshot.
pub(crate) fn rich_sets() -> Vec<IpSet> {
    vec![
        nets("clients", &["10.1.0.0/16", "10.2.3.4/32", "fd00:1::/64"]),
        nets("blocked", &["10.1.2.0/24", "192.168.0.0/16"]),
        nets("v6only", &["fd00:2::/48", "fd00:3::1/128"]),
        nets("empty", &[]),
        nets("everything", &["0.0.0.0/0", "::/0"]),
        addr_ports(
            "web",
            &[
                ("10.9.0.1", 6, 8080),
                ("10.9.0.2", 6, 8443),
                ("fd00:9::1", 17, 53),
            ],
        ),
    ]
}

/// A workload program that uses every rule feature: two tiers with Pass, Log, Deny and Allow,
/// end-of-tier Deny and Pass, profiles (one with a Pass), ports, named ports (alone and mixed
/// with ranges), notPorts, ICMP and notICMP, protocol and notProtocol, ipVersion, negated and
/// empty sets, both families.
pub(crate) fn rich_workload_program(hook: Hook) -> Program {
    use IrAction::*;
    let t1 = |p: &str, r| rule_origin("tier1", p, r);
    let t2 = |p: &str, r| rule_origin("default", p, r);
    let rules = vec![
        // 0: tier1 / audit: log everything from clients
        ir(
            Log,
            Match {
                src: SideMatch {
                    sets: [id("clients")].into_iter().collect(),
                    ..Default::default()
                },
                ..Default::default()
            },
            t1("audit", 0),
        ),
        // 1: tier1 / block: deny blocked sources
        ir(
            Deny,
            Match {
                src: SideMatch {
                    sets: [id("blocked")].into_iter().collect(),
                    ..Default::default()
                },
                ..Default::default()
            },
            t1("block", 0),
        ),
        // 2: tier1 / block: pass TCP to 22 or 2000-2100 (to the next tier)
        ir(
            Pass { to: 6 },
            Match {
                protocol: Some(6),
                dst: SideMatch {
                    ports: Some(ports(&[(22, 22), (2000, 2100)], &[])),
                    ..Default::default()
                },
                ..Default::default()
            },
            t1("block", 1),
        ),
        // 3: tier1 / icmp: allow echo requests (v4 and v6 type 8/128 are different: use type 8)
        ir(
            Allow,
            Match {
                icmp: Some(IcmpMatch::new(8, Some(0))),
                ..Default::default()
            },
            t1("icmp", 0),
        ),
        // 4: tier1 / icmp: deny ICMP other than type 3 (any code)
        ir(
            Deny,
            Match {
                not_icmp: Some(IcmpMatch::new(3, None)),
                ..Default::default()
            },
            t1("icmp", 1),
        ),
        // 5: end of tier1: pass
        ir(
            Pass { to: 6 },
            Match::any(),
            Origin::EndOfTier {
                tier: "tier1".into(),
            },
        ),
        // 6: default / web: allow named ports (web set) or 80
        ir(
            Allow,
            Match {
                protocol: Some(6),
                dst: SideMatch {
                    ports: Some(ports(&[(80, 80)], &["web"])),
                    ..Default::default()
                },
                ..Default::default()
            },
            t2("web", 0),
        ),
        // 7: default / web: allow UDP to the web set only (named port alone)
        ir(
            Allow,
            Match {
                protocol: Some(17),
                dst: SideMatch {
                    ports: Some(ports(&[], &["web"])),
                    ..Default::default()
                },
                ..Default::default()
            },
            t2("web", 1),
        ),
        // 8: default / misc: deny v6 from v6only
        ir(
            Deny,
            Match {
                ip_version: Some(IpVersion::V6),
                src: SideMatch {
                    sets: [id("v6only")].into_iter().collect(),
                    ..Default::default()
                },
                ..Default::default()
            },
            t2("misc", 0),
        ),
        // 9: default / misc: allow UDP not to ports 1-1023 from not-blocked sources
        ir(
            Allow,
            Match {
                protocol: Some(17),
                src: SideMatch {
                    not_sets: [id("blocked")].into_iter().collect(),
                    ..Default::default()
                },
                dst: SideMatch {
                    not_ports: Some(ports(&[(1, 1023)], &[])),
                    ..Default::default()
                },
                ..Default::default()
            },
            t2("misc", 1),
        ),
        // 10: default / misc: deny anything but TCP from sport 5000-6000
        ir(
            Deny,
            Match {
                not_protocol: Some(6),
                src: SideMatch {
                    ports: Some(ports(&[(5000, 6000)], &[])),
                    ..Default::default()
                },
                ..Default::default()
            },
            t2("misc", 2),
        ),
        // 11: default / misc: allow from the empty set (never)
        ir(
            Allow,
            Match {
                src: SideMatch {
                    sets: [id("empty")].into_iter().collect(),
                    ..Default::default()
                },
                ..Default::default()
            },
            t2("misc", 3),
        ),
        // 12: default / misc: allow SCTP to everything except the web named ports
        ir(
            Allow,
            Match {
                protocol: Some(132),
                dst: SideMatch {
                    sets: [id("everything")].into_iter().collect(),
                    not_ports: Some(ports(&[], &["web"])),
                    ..Default::default()
                },
                ..Default::default()
            },
            t2("misc", 4),
        ),
        // 13: end of tier default: deny
        ir(
            Deny,
            Match::any(),
            Origin::EndOfTier {
                tier: "default".into(),
            },
        ),
    ];
    let _ = hook;
    Program::new(hook, rules).expect("valid program")
}

/// A profile-only program: a profile that passes TCP to the next profile, which allows.
pub(crate) fn profile_program(hook: Hook) -> Program {
    use IrAction::*;
    let p = |name: &str, r| Origin::Profile {
        profile: name.into(),
        rule: r,
    };
    Program::new(
        hook,
        vec![
            ir(
                Log,
                Match {
                    protocol: Some(6),
                    ..Default::default()
                },
                p("kns.a", 0),
            ),
            ir(
                Pass { to: 2 },
                Match {
                    protocol: Some(6),
                    ..Default::default()
                },
                p("kns.a", 1),
            ),
            ir(
                Allow,
                Match {
                    protocol: Some(6),
                    dst: SideMatch {
                        ports: Some(ports(&[(443, 443)], &[])),
                        ..Default::default()
                    },
                    ..Default::default()
                },
                p("ksa.a.default", 0),
            ),
            ir(Deny, Match::any(), Origin::NoMatch),
        ],
    )
    .expect("valid program")
}

/// Host endpoint programs: failsafes, a policy, profiles; untracked and pre-DNAT stages with
/// no-verdict defaults; forward stages.
pub(crate) fn host_programs(ep: &EndpointKey) -> Vec<(EndpointKey, Hook, Program)> {
    use IrAction::*;
    let fs = |i, port| {
        ir(
            Allow,
            Match {
                protocol: Some(6),
                dst: SideMatch {
                    ports: Some(ports(&[(port, port)], &[])),
                    ..Default::default()
                },
                ..Default::default()
            },
            Origin::Failsafe { rule: i },
        )
    };
    let fs_nv = |i, port| {
        ir(
            NoVerdict,
            Match {
                protocol: Some(6),
                dst: SideMatch {
                    ports: Some(ports(&[(port, port)], &[])),
                    ..Default::default()
                },
                ..Default::default()
            },
            Origin::Failsafe { rule: i },
        )
    };
    let mk = |hook, rules| (ep.clone(), hook, Program::new(hook, rules).expect("valid"));
    vec![
        mk(
            Hook::HostIngress,
            vec![
                fs(0, 22),
                ir(
                    Allow,
                    Match {
                        protocol: Some(17),
                        dst: SideMatch {
                            ports: Some(ports(&[(53, 53)], &[])),
                            ..Default::default()
                        },
                        ..Default::default()
                    },
                    rule_origin("default", "host", 0),
                ),
                ir(
                    Deny,
                    Match::any(),
                    Origin::EndOfTier {
                        tier: "default".into(),
                    },
                ),
            ],
        ),
        mk(
            Hook::HostEgress,
            vec![
                fs(0, 179),
                ir(
                    Allow,
                    Match::any(),
                    Origin::Profile {
                        profile: "projectcalico-default-allow".into(),
                        rule: 0,
                    },
                ),
                ir(Deny, Match::any(), Origin::NoMatch),
            ],
        ),
        mk(
            Hook::HostForwardIngress,
            vec![ir(Allow, Match::any(), Origin::Default)],
        ),
        mk(
            Hook::HostForwardEgress,
            vec![
                ir(
                    Deny,
                    Match {
                        protocol: Some(6),
                        dst: SideMatch {
                            ports: Some(ports(&[(25, 25)], &[])),
                            ..Default::default()
                        },
                        ..Default::default()
                    },
                    rule_origin("default", "fwd", 0),
                ),
                ir(Allow, Match::any(), Origin::Default),
            ],
        ),
        mk(
            Hook::HostPreDnatIngress,
            vec![
                fs_nv(0, 22),
                ir(
                    Deny,
                    Match {
                        src: SideMatch {
                            sets: [id("blocked")].into_iter().collect(),
                            ..Default::default()
                        },
                        ..Default::default()
                    },
                    rule_origin("default", "prednat", 0),
                ),
                ir(NoVerdict, Match::any(), Origin::Default),
            ],
        ),
        mk(
            Hook::HostUntrackedIngress,
            vec![
                fs_nv(0, 22),
                ir(
                    Allow,
                    Match {
                        protocol: Some(17),
                        dst: SideMatch {
                            ports: Some(ports(&[(4789, 4789)], &[])),
                            ..Default::default()
                        },
                        ..Default::default()
                    },
                    rule_origin("default", "untracked", 0),
                ),
                ir(NoVerdict, Match::any(), Origin::Default),
            ],
        ),
        mk(
            Hook::HostUntrackedEgress,
            vec![ir(NoVerdict, Match::any(), Origin::Default)],
        ),
    ]
}

/// The rich snapshot: two workloads (one with the rich programs, one with profiles only) and a
/// host endpoint with every stage.
pub(crate) fn rich_snapshot() -> Snapshot {
    let a = wl("ns1", "a");
    let b = wl("ns1", "b");
    let h = hep("h1");
    let mut programs = vec![
        (
            a.clone(),
            Hook::WorkloadIngress,
            rich_workload_program(Hook::WorkloadIngress),
        ),
        (
            a.clone(),
            Hook::WorkloadEgress,
            rich_workload_program(Hook::WorkloadEgress),
        ),
        (
            b.clone(),
            Hook::WorkloadIngress,
            profile_program(Hook::WorkloadIngress),
        ),
        (
            b.clone(),
            Hook::WorkloadEgress,
            profile_program(Hook::WorkloadEgress),
        ),
    ];
    programs.extend(host_programs(&h));
    snapshot(programs, rich_sets())
}
