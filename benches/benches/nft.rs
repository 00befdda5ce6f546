//! nftables dataplane benches (root: each engine and applier works in its own private network
//! namespace, nothing is left behind).
//!
//! Programs: one endpoint, `N` policy rules in three tiers (20 % / 30 % / 50 %; the first two
//! end in Pass, the last in Deny), five rules per policy. Every rule matches a protocol (85 %
//! TCP, 15 % UDP), destination port(s) (80 % one of 200 ports, 20 % a range) and a source CIDR
//! set of `CIDRS / N` CIDRs (80 % /32, 15 % /24, 5 % /16 in 10.0.0.0/8); one rule in twenty
//! is a Log rule, one a Deny, one (first two tiers) a Pass.
//!
//! Groups (every table as the dataplane ships it: `LowerOptions::default()`, no rule counters,
//! except where a `-counted` variant says otherwise):
//! - `nft_packet/{per-rule,tree}/N`: cost of one packet through the output hook with the
//!   program (the engine's oracle table, `NftEngine::with_options`: `sendto()` on a raw
//!   socket, the packet marked for the program). The packet comes from a source no rule covers, so it traverses every rule of a
//!   per-rule program before the final deny drops it (`EPERM`). `nft_packet/baseline` is the
//!   same with a one-rule program: the added cost of a program is the difference.
//! - `nft_lower/{per-rule,tree}/10000`: lowering a 10,000-rule snapshot into the dataplane
//!   table (pure; the endpoint bound to one interface).
//! - `nft_apply/{per-rule,tree}/10000`: replacing the table with it in one batch.
//! - `nft_set_update/{per-rule,tree,tree-counted}-{add,remove}/10000`: one IP-set member added
//!   to (or removed from) the first rule's set in the applied 10,000-rule table, each direction
//!   timed on its own: diffing the new ruleset (lowered beforehand; lowering is `nft_lower`)
//!   against the applied one, encoding and committing the delta (one batch, checked).
//!   `tree-counted` is the tree with `rule_counters` on.
//!
//! Run as root: `cargo bench -p palisade-benches --bench nft`. Figures: `BENCHMARKS.md`.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ipnet::{IpNet, Ipv4Net};
use palisade_benches::process::is_root;
use palisade_benches::rng::Rng;
use palisade_compiler::Snapshot;
use palisade_compiler::ir::{
    Hook, IpSet, IpSetId, IpSetMembers, IpSetSource, IpSets, IrAction, IrRule, Match, Origin,
    PortMatch, Program, ProgramTarget, SideMatch,
};
use palisade_compiler::packet::{PROTO_TCP, PROTO_UDP, PacketRepr};
use palisade_dataplane_nft::apply::{Applier, ApplyMode, ApplyReport};
use palisade_dataplane_nft::engine::NftEngine;
use palisade_dataplane_nft::lower::{Binding, LowerOptions, Lowered, LoweringMode, lower};
use palisade_dataplane_nft::netns::NetnsThread;
use palisade_policy_model::model::{EndpointKey, PolicyId, PolicyKind};
use palisade_policy_model::values::PortRange;

/// CIDRs referenced by every program (spread over its rules).
const CIDRS: usize = 10_000;
/// Program sizes of the per-packet group: the 10 and 5,000, and one in between.
const PACKET_SIZES: [usize; 3] = [10, 1_000, 5_000];
/// Program size of the apply and update groups.
const APPLY_SIZE: usize = 10_000;
/// The naive rendering (one nft rule per IR rule, CIDRs and ports in named sets) and the
/// default flat-cost lowering (decision trees of verdict maps). `LoweringMode::Classifier` is
/// exercised by the tests; its build cost at these sizes makes it too slow for CI's bench smoke
/// run.
const MODES: [(LoweringMode, &str); 2] = [
    (LoweringMode::PerRule, "per-rule"),
    (LoweringMode::DecisionTree, "tree"),
];

fn endpoint() -> EndpointKey {
    EndpointKey::Workload {
        namespace: "bench".into(),
        name: "pod".into(),
    }
}

/// The dataplane table of `snap` with the bench endpoint bound to one interface.
fn dataplane(snap: &Snapshot, opts: &LowerOptions) -> Lowered {
    lower(snap, &[Binding::new("veth-bench", endpoint())], opts).expect("lower")
}

fn target() -> ProgramTarget {
    ProgramTarget {
        endpoint: endpoint(),
        hook: Hook::WorkloadIngress,
    }
}

fn cidr(rng: &mut Rng) -> IpNet {
    let len = match rng.below(100) {
        0..80 => 32,
        80..95 => 24,
        _ => 16,
    };
    let addr = Ipv4Addr::from((10u32 << 24) | (rng.next_u64() as u32 & 0x00ff_ffff));
    IpNet::V4(Ipv4Net::new(addr, len).expect("prefix length").trunc())
}

/// One endpoint with `n` policy rules over `CIDRS` CIDRs; `extra` is added to the first set
/// (for the member-change bench).
fn snapshot(n: usize, extra: Option<IpNet>) -> Snapshot {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ n as u64);
    let per_rule = (CIDRS / n).max(1);
    let tiers = [
        ("tier1", n / 5),
        ("tier2", n * 3 / 10),
        ("default", n - n / 5 - n * 3 / 10),
    ];
    let mut sets = IpSets::new();
    let mut rules: Vec<IrRule> = Vec::new();
    let mut pass_fixups: Vec<usize> = Vec::new();
    let mut k = 0usize;
    for (t, &(tier, count)) in tiers.iter().enumerate() {
        for _ in 0..count {
            let id = IpSetId::derive("net", &format!("bench-{n}-{k}"));
            let mut nets: Vec<IpNet> = (0..per_rule).map(|_| cidr(&mut rng)).collect();
            if k == 0
                && let Some(e) = extra
            {
                nets.push(e);
            }
            sets.insert(IpSet::new(
                id.clone(),
                IpSetSource::Nets,
                IpSetMembers::addrs(nets),
            ));
            let port = 1000 + rng.below(200) as u16;
            let ports = if rng.below(5) == 0 {
                PortRange::new(port, port + 10)
            } else {
                PortRange::single(port)
            };
            let protocol = if rng.below(100) < 85 {
                PROTO_TCP
            } else {
                PROTO_UDP
            };
            let action = match rng.below(20) {
                0 => IrAction::Log,
                1 => IrAction::Deny,
                2 if t < 2 => {
                    pass_fixups.push(rules.len());
                    IrAction::Pass { to: 0 }
                }
                _ => IrAction::Allow,
            };
            rules.push(IrRule {
                matches: Match {
                    protocol: Some(protocol),
                    src: SideMatch {
                        sets: [id].into_iter().collect(),
                        ..SideMatch::default()
                    },
                    dst: SideMatch {
                        ports: Some(PortMatch {
                            ranges: ports.into_iter().collect(),
                            named: Default::default(),
                        }),
                        ..SideMatch::default()
                    },
                    ..Match::default()
                },
                action,
                origin: Origin::Rule {
                    tier: tier.into(),
                    policy: PolicyId {
                        kind: PolicyKind::GlobalNetworkPolicy,
                        namespace: None,
                        name: format!("p{}", k / 5).into(),
                    },
                    rule: (k % 5) as u32,
                },
            });
            k += 1;
        }
        let end = Origin::EndOfTier { tier: tier.into() };
        if t < 2 {
            pass_fixups.push(rules.len());
            rules.push(IrRule {
                matches: Match::any(),
                action: IrAction::Pass { to: 0 },
                origin: end,
            });
        } else {
            rules.push(IrRule {
                matches: Match::any(),
                action: IrAction::Deny,
                origin: end,
            });
        }
        // Passes of this tier continue at the next tier's first rule.
        let next = rules.len() as u32;
        for i in pass_fixups.drain(..) {
            rules[i].action = IrAction::Pass { to: next };
        }
    }
    rules.push(IrRule {
        matches: Match::any(),
        action: IrAction::Deny,
        origin: Origin::NoMatch,
    });
    let program = Program::new(Hook::WorkloadIngress, rules).expect("valid program");
    let mut s = Snapshot::default();
    s.programs.insert(target(), Arc::new(program));
    // The dataplane table needs both directions of the endpoint; egress denies everything.
    let egress = Program::new(
        Hook::WorkloadEgress,
        vec![IrRule {
            matches: Match::any(),
            action: IrAction::Deny,
            origin: Origin::NoMatch,
        }],
    )
    .expect("valid program");
    s.programs.insert(
        ProgramTarget {
            endpoint: endpoint(),
            hook: Hook::WorkloadEgress,
        },
        Arc::new(egress),
    );
    s.sets = sets;
    s
}

fn baseline() -> Snapshot {
    let program = Program::new(
        Hook::WorkloadIngress,
        vec![IrRule {
            matches: Match::any(),
            action: IrAction::Deny,
            origin: Origin::NoMatch,
        }],
    )
    .expect("valid program");
    let mut s = Snapshot::default();
    s.programs.insert(target(), Arc::new(program));
    s
}

/// From a source no rule covers, to a port no rule names: the worst case of a per-rule program.
fn miss_packet() -> PacketRepr {
    PacketRepr::tcp(
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        IpAddr::V4(Ipv4Addr::new(10, 200, 0, 1)),
        40000,
        1,
    )
    .expect("packet")
}

fn bench_packets(c: &mut Criterion) {
    let mut group = c.benchmark_group("nft_packet");
    group.measurement_time(Duration::from_secs(3));
    let packet = miss_packet();
    let base = NftEngine::with_options(&baseline(), &LowerOptions::default()).expect("engine");
    group.bench_function("baseline", |b| {
        b.iter_custom(|iters| base.time_packets(&target(), &packet, iters).expect("send"))
    });
    drop(base);
    for n in PACKET_SIZES {
        let snap = snapshot(n, None);
        for (mode, name) in MODES {
            let opts = LowerOptions {
                mode,
                ..LowerOptions::default()
            };
            let engine = NftEngine::with_options(&snap, &opts).expect("engine");
            let lowered = engine.lowered();
            eprintln!(
                "nft_packet/{name}/{n}: {} rules, {} chains, {} sets, {} elements",
                lowered.ruleset.rule_count(),
                lowered.ruleset.chains.len(),
                lowered.ruleset.sets.len(),
                lowered.ruleset.element_count()
            );
            group.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                b.iter_custom(|iters| {
                    engine
                        .time_packets(&target(), &packet, iters)
                        .expect("send")
                })
            });
        }
    }
    group.finish();
}

fn bench_apply(c: &mut Criterion) {
    let snap = snapshot(APPLY_SIZE, None);
    let mut lower_group = c.benchmark_group("nft_lower");
    lower_group.sample_size(10);
    for (mode, name) in MODES {
        let opts = LowerOptions {
            mode,
            ..LowerOptions::default()
        };
        lower_group.bench_with_input(BenchmarkId::new(name, APPLY_SIZE), &snap, |b, s| {
            b.iter(|| dataplane(s, &opts))
        });
    }
    lower_group.finish();

    let ns = NetnsThread::spawn("nft-bench-apply").expect("namespace");
    let mut group = c.benchmark_group("nft_apply");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for (mode, name) in MODES {
        let opts = LowerOptions {
            mode,
            ..LowerOptions::default()
        };
        let ruleset = dataplane(&snap, &opts).ruleset;
        eprintln!(
            "nft_apply/{name}/{APPLY_SIZE}: {} rules, {} chains, {} sets, {} elements",
            ruleset.rule_count(),
            ruleset.chains.len(),
            ruleset.sets.len(),
            ruleset.element_count()
        );
        group.bench_function(BenchmarkId::new(name, APPLY_SIZE), |b| {
            b.iter_custom(|iters| {
                let r = ruleset.clone();
                ns.run(move || {
                    let mut applier = Applier::open().expect("netlink");
                    let start = Instant::now();
                    for _ in 0..iters {
                        applier.replace(&r).expect("apply");
                    }
                    start.elapsed()
                })
                .expect("namespace")
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("nft_set_update");
    group.sample_size(20);
    let member = IpNet::V4(Ipv4Net::new(Ipv4Addr::new(11, 1, 2, 3), 32).expect("prefix"));
    let with = snapshot(APPLY_SIZE, Some(member));
    let variants = MODES
        .into_iter()
        .map(|(mode, name)| (mode, name, false))
        .chain([(LoweringMode::DecisionTree, "tree-counted", true)]);
    for (mode, name, rule_counters) in variants {
        let opts = LowerOptions {
            mode,
            rule_counters,
            ..LowerOptions::default()
        };
        // Lowering is pure and measured by `nft_lower`; this group measures what the
        // dataplane does with a new ruleset: diff against the applied one, encode, commit.
        let without_member = dataplane(&snap, &opts).ruleset;
        let with_member = dataplane(&with, &opts).ruleset;
        let initial = without_member.clone();
        let mut applier = Some(
            ns.run(move || {
                let mut applier = Applier::open().expect("netlink");
                applier.apply(&initial).expect("apply");
                applier
            })
            .expect("namespace"),
        );
        // `add`: the member joins the set (timed), then leaves it (not timed); `remove` the
        // other way round. Every timed change is checked to be one in-place batch.
        for (change, adding) in [("add", true), ("remove", false)] {
            let id = BenchmarkId::new(format!("{name}-{change}"), APPLY_SIZE);
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    let (a, b2) = (without_member.clone(), with_member.clone());
                    let mut moved = applier.take().expect("applier");
                    let (elapsed, back) = ns
                        .run(move || {
                            let (timed, untimed) = if adding { (&b2, &a) } else { (&a, &b2) };
                            let mut total = Duration::ZERO;
                            if !adding {
                                moved.apply(untimed).expect("apply");
                            }
                            for _ in 0..iters {
                                let start = Instant::now();
                                let report = moved.apply(timed).expect("apply");
                                total += start.elapsed();
                                check_member_change(mode, &report);
                                moved.apply(untimed).expect("apply");
                            }
                            // Leave the table without the member.
                            if !adding {
                                moved.apply(&a).expect("apply");
                            }
                            (total, moved)
                        })
                        .expect("namespace");
                    applier = Some(back);
                    elapsed
                })
            });
        }
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    if !is_root() {
        eprintln!("SKIPPED (not root): the nft benches need network namespaces and nftables");
        return;
    }
    bench_packets(c);
    bench_apply(c);
}

/// A member change is applied in place, as one committed batch; with the per-rule lowering
/// only the rule's named set changes (no chain is touched).
fn check_member_change(mode: LoweringMode, report: &ApplyReport) {
    assert_eq!(report.mode, ApplyMode::Update);
    assert!(report.commit.is_some(), "one batch committed");
    if mode == LoweringMode::PerRule {
        assert_eq!(report.stats.sets_changed, 1);
        assert_eq!(report.stats.chains_rewritten, 0);
    }
}

criterion_group!(nft, benches);
criterion_main!(nft);
