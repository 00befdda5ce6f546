//! Fast classifier benches: one endpoint, programs of 10, 100, 1,000 and 10,000 rules that
//! reference 100,000 CIDRs in total, classified by the fast classifier and by the IR evaluator.
//!
//! Each program has three tiers (20 % / 30 % / 50 % of the rules; the first two end in Pass, the
//! last in Deny) and a final rule. Every policy rule matches a protocol (85 % TCP, 15 % UDP),
//! destination port(s) (80 % one port out of 200, 20 % a range) and a source CIDR set of
//! 100,000 / rules CIDRs (80 % /32 pod addresses, 15 % /24, 5 % /16, overlapping freely); one in
//! twenty is a Log rule, one in twenty a Deny, one in twenty (in the first two tiers) a Pass to
//! the next tier. Packets: 1,024 per program, half of them hitting a random rule, a quarter from
//! uncovered sources, a quarter from covered sources to unused ports.
//!
//! Groups:
//! - `classifier/fast_classify/N`: verdict and deciding rule, steps into a reused buffer (what a
//!   datapath computes);
//! - `classifier/fast_decide/N`: the full `Decision` (origins cloned, steps allocated);
//! - `classifier/ir_evaluate/N`: the IR evaluator's `Decision`;
//! - `classifier_build/N`: building the classifier.
//!
//! Times are **thread CPU time** (`CLOCK_THREAD_CPUTIME_ID`), not wall time: the benches run on
//! shared machines where wall time also counts the time other processes hold the CPU. Table sizes
//! are printed to stderr once per program. Run:
//! `cargo bench -p palisade-benches --bench classifier`. Figures: `BENCHMARKS.md`.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ipnet::{IpNet, Ipv4Net};
use palisade_compiler::classifier::{Classifier, TraceStep};
use palisade_compiler::ir::{
    Hook, IpSet, IpSetId, IpSetMembers, IpSetSource, IpSets, IrAction, IrRule, Match, Origin,
    PortMatch, Program, SideMatch, evaluate,
};
use palisade_compiler::packet::{PROTO_TCP, PROTO_UDP, PacketRepr};
use palisade_policy_model::model::{PolicyId, PolicyKind};
use palisade_policy_model::values::PortRange;

/// CIDRs referenced by every program, whatever its size.
const TOTAL_CIDRS: usize = 100_000;
/// Policy rules per program.
const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];
/// Packets per program (a power of two).
const PACKETS: usize = 1024;
/// The endpoint's address.
const ENDPOINT: Ipv4Addr = Ipv4Addr::new(10, 200, 0, 1);

/// Thread CPU time in nanoseconds.
fn thread_cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    (t.tv_sec as u64).saturating_mul(1_000_000_000) + t.tv_nsec as u64
}

/// A criterion measurement of the benchmark thread's CPU time.
struct CpuTime;

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_ns()
    }

    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns().saturating_sub(start)
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &NanosFormatter
    }
}

/// Formats nanoseconds like criterion's wall-time formatter.
struct NanosFormatter;

impl ValueFormatter for NanosFormatter {
    fn scale_values(&self, ns: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if ns < 1e3 {
            (1.0, "ns")
        } else if ns < 1e6 {
            (1e-3, "µs")
        } else if ns < 1e9 {
            (1e-6, "ms")
        } else {
            (1e-9, "s")
        };
        for v in values {
            *v *= factor;
        }
        unit
    }

    fn scale_throughputs(
        &self,
        _typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        let per = match throughput {
            Throughput::Elements(n) | Throughput::Bytes(n) | Throughput::BytesDecimal(n) => {
                *n as f64
            }
            _ => 1.0,
        };
        for v in values {
            *v = per * 1e9 / *v;
        }
        "elem/s"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

/// xorshift64*: deterministic inputs without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn percent(&mut self) -> u64 {
        self.below(100)
    }
}

/// One policy rule's match parameters.
struct RuleSpec {
    protocol: u8,
    ports: (u16, u16),
    cidrs: Vec<Ipv4Net>,
}

struct Scenario {
    program: Program,
    sets: IpSets,
    packets: Vec<PacketRepr>,
}

fn net(addr: u32, len: u8) -> Ipv4Net {
    match Ipv4Net::new(Ipv4Addr::from(addr), len) {
        Ok(n) => n.trunc(),
        Err(_) => Ipv4Net::default(),
    }
}

fn cidr(rng: &mut Rng) -> Ipv4Net {
    let p = rng.percent();
    if p < 80 {
        // Pod addresses in 10.128.0.0/10.
        net(0x0a80_0000 + rng.below(1 << 22) as u32, 32)
    } else if p < 95 {
        net(0x0a00_0000 + rng.below(1 << 22) as u32, 24)
    } else {
        net(0xac10_0000 + rng.below(1 << 20) as u32, 16)
    }
}

fn origin(tier: usize, rule: usize) -> Origin {
    Origin::Rule {
        tier: format!("tier-{tier}").into(),
        policy: PolicyId {
            kind: PolicyKind::GlobalNetworkPolicy,
            namespace: None,
            name: format!("policy-{tier}-{}", rule / 10).into(),
        },
        rule: (rule % 10) as u32,
    }
}

fn scenario(rules: usize) -> Scenario {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ rules as u64);
    let per_rule = TOTAL_CIDRS / rules;
    let port_pool: Vec<u16> = (0..200u16).map(|i| 1000 + i * 271 % 50_000).collect();
    let specs: Vec<RuleSpec> = (0..rules)
        .map(|_| {
            let protocol = if rng.percent() < 85 {
                PROTO_TCP
            } else {
                PROTO_UDP
            };
            let port = port_pool[rng.below(port_pool.len() as u64) as usize];
            let ports = if rng.percent() < 80 {
                (port, port)
            } else {
                (port, port.saturating_add(1 + rng.below(100) as u16))
            };
            let cidrs = (0..per_rule).map(|_| cidr(&mut rng)).collect();
            RuleSpec {
                protocol,
                ports,
                cidrs,
            }
        })
        .collect();
    let mut sets = IpSets::new();
    let tier_sizes = [rules * 2 / 10, rules * 3 / 10];
    let tier_sizes = [
        tier_sizes[0].max(1),
        tier_sizes[1].max(1),
        rules - tier_sizes[0].max(1) - tier_sizes[1].max(1),
    ];
    // Tier t's rules, then its end-of-tier rule; the next tier starts right after.
    let mut tier_start = [0usize; 4];
    for t in 0..3 {
        tier_start[t + 1] = tier_start[t] + tier_sizes[t] + 1;
    }
    let mut ir = Vec::with_capacity(rules + 4);
    let mut spec_iter = specs.iter().enumerate();
    for (t, &size) in tier_sizes.iter().enumerate() {
        for k in 0..size {
            let Some((i, spec)) = spec_iter.next() else {
                break;
            };
            let id = IpSetId::derive("net", &format!("rule-{i}"));
            sets.insert(IpSet::new(
                id.clone(),
                IpSetSource::Nets,
                IpSetMembers::addrs(spec.cidrs.iter().map(|&n| IpNet::V4(n))),
            ));
            let Some(range) = PortRange::new(spec.ports.0, spec.ports.1) else {
                panic!("bench ports {:?} are not a valid range", spec.ports);
            };
            let matches = Match {
                protocol: Some(spec.protocol),
                src: SideMatch {
                    sets: vec![id].into(),
                    ..SideMatch::default()
                },
                dst: SideMatch {
                    ports: Some(PortMatch {
                        ranges: vec![range].into(),
                        named: Default::default(),
                    }),
                    ..SideMatch::default()
                },
                ..Match::default()
            };
            let action = match i % 20 {
                7 => IrAction::Log,
                13 => IrAction::Deny,
                17 if t < 2 => IrAction::Pass {
                    to: tier_start[t + 1] as u32,
                },
                _ => IrAction::Allow,
            };
            ir.push(IrRule {
                matches,
                action,
                origin: origin(t, k),
            });
        }
        let end = if t < 2 {
            IrAction::Pass {
                to: tier_start[t + 1] as u32,
            }
        } else {
            IrAction::Deny
        };
        ir.push(IrRule {
            matches: Match::any(),
            action: end,
            origin: Origin::EndOfTier {
                tier: format!("tier-{t}").into(),
            },
        });
    }
    ir.push(IrRule {
        matches: Match::any(),
        action: IrAction::Deny,
        origin: Origin::NoMatch,
    });
    let program = match Program::new(Hook::WorkloadIngress, ir) {
        Ok(p) => p,
        Err(e) => panic!("bench program is invalid: {e}"),
    };
    let packets = (0..PACKETS)
        .map(|_| {
            let sport = 32768 + rng.below(28000) as u16;
            let p = rng.percent();
            let (src, protocol, dport) = if p < 50 {
                let spec = &specs[rng.below(specs.len() as u64) as usize];
                let n = spec.cidrs[rng.below(spec.cidrs.len() as u64) as usize];
                let size = 1u64 << (32 - n.prefix_len());
                let src = u32::from(n.network()) + rng.below(size) as u32;
                let span = u64::from(spec.ports.1 - spec.ports.0) + 1;
                (src, spec.protocol, spec.ports.0 + rng.below(span) as u16)
            } else if p < 75 {
                // 10.64.0.0/10 is covered by no CIDR.
                (0x0a40_0000 + rng.below(1 << 22) as u32, PROTO_TCP, 443)
            } else {
                let spec = &specs[rng.below(specs.len() as u64) as usize];
                let n = spec.cidrs[0];
                (
                    u32::from(n.network()),
                    PROTO_TCP,
                    60_000 + rng.below(5000) as u16,
                )
            };
            let (src, dst) = (IpAddr::V4(Ipv4Addr::from(src)), IpAddr::V4(ENDPOINT));
            let packet = if protocol == PROTO_TCP {
                PacketRepr::tcp(src, dst, sport, dport)
            } else {
                PacketRepr::udp(src, dst, sport, dport)
            };
            match packet {
                Ok(p) => p,
                Err(e) => panic!("bench packet is invalid: {e}"),
            }
        })
        .collect();
    Scenario {
        program,
        sets,
        packets,
    }
}

fn build(s: &Scenario) -> Classifier {
    match Classifier::build(&s.program, &s.sets) {
        Ok(c) => c,
        Err(e) => panic!("classifier build failed: {e}"),
    }
}

fn per_packet(c: &mut Criterion<CpuTime>) {
    let mut group = c.benchmark_group("classifier");
    for &n in &SIZES {
        let s = Arc::new(scenario(n));
        let fast = build(&s);
        let st = fast.stats();
        eprintln!(
            "classifier {n} rules: {} IR rules, {} blocks ({} direct), {} keys, {} entries, \
             atoms src-addr {} dst-port {} protocol {}, {:.1} MiB",
            st.rules,
            st.blocks,
            st.direct_blocks.len(),
            st.keys,
            st.entries,
            st.atoms[2],
            st.atoms[5],
            st.atoms[1],
            st.bytes as f64 / (1024.0 * 1024.0),
        );
        let hits = s
            .packets
            .iter()
            .filter(|p| fast.decide(p).verdict == palisade_compiler::Verdict::Allow)
            .count();
        eprintln!("classifier {n} rules: {hits} of {PACKETS} packets allowed");
        group.bench_with_input(BenchmarkId::new("fast_classify", n), &s, |b, s| {
            let mut i = 0usize;
            let mut trace: Vec<TraceStep> = Vec::with_capacity(16);
            b.iter(|| {
                i = (i + 1) & (PACKETS - 1);
                trace.clear();
                fast.classify(black_box(&s.packets[i]), &mut trace)
            });
        });
        group.bench_with_input(BenchmarkId::new("fast_decide", n), &s, |b, s| {
            let mut i = 0usize;
            b.iter(|| {
                i = (i + 1) & (PACKETS - 1);
                fast.decide(black_box(&s.packets[i]))
            });
        });
        group.bench_with_input(BenchmarkId::new("ir_evaluate", n), &s, |b, s| {
            let mut i = 0usize;
            b.iter(|| {
                i = (i + 1) & (PACKETS - 1);
                evaluate(&s.program, black_box(&s.packets[i]), &s.sets)
            });
        });
    }
    group.finish();
}

fn build_time(c: &mut Criterion<CpuTime>) {
    let mut group = c.benchmark_group("classifier_build");
    group.sample_size(10);
    for &n in &SIZES {
        let s = scenario(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &s, |b, s| {
            b.iter(|| build(black_box(s)));
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(CpuTime);
    targets = per_packet, build_time
}
criterion_main!(benches);
