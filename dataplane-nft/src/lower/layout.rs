//! Base chains, dispatch and endpoint chains.
//!
//! ```text
//! hook (priority)           base chain        dispatch (verdict map by interface)
//! prerouting (raw -300)     base_raw_pre      iifname → hrawin_H   untracked ingress of host endpoint H
//! output (raw -300)         base_raw_out      oifname → hrawout_H  untracked egress
//! prerouting (mangle -150)  base_mangle_pre   iifname → hpre_H     pre-DNAT ingress
//! input (filter 0)          base_input        iifname → whost_W    workload W to the host: W's egress,
//!                                                                  then defaultEndpointToHostAction
//!                                                     → hin_H      host ingress
//! forward (filter 0)        base_forward      iifname → wfrom_W    W's egress (then the next dispatch)
//!                                                     → hfin_H     forward ingress through H
//!                                             oifname → wto_W      W's ingress
//!                                                     → hfout_H    forward egress through H (untracked
//!                                                                  egress stage first)
//! output (filter 0)         base_output       oifname → hout_H     host egress
//! ```
//!
//! Endpoint chains accept `ct state established,related` first and drop `ct state invalid`
//! (stages before conntrack, the raw ones, do neither), then jump to the program and act on its
//! result. An untracked or pre-DNAT allow sets the early bit, and later stages of the same host
//! endpoint accept the packet at once (forward ingress: skip the stage). A host endpoint bound to
//! `*` applies to every interface that no binding names, except `lo`. Traffic from the host to a
//! local workload is not policed (SEMANTICS §3); forwarded traffic through a host endpoint that
//! has no forward program is allowed (the program, if the compiler emits one, says the same).

use std::collections::{BTreeMap, BTreeSet};

use palisade_compiler::ir::{Hook, ProgramTarget};
use palisade_policy_model::calico::EndpointToHostAction;
use palisade_policy_model::model::EndpointKey;

use super::{Binding, Builder};
use crate::error::LowerError;
use crate::names::sanitized;
use crate::ruleset::{
    BaseHook, Chain, CtStates, Element, Family, Field, HookPoint, IfDir, KeyPart, KeyType, Match,
    PRIORITY_FILTER, PRIORITY_MANGLE, PRIORITY_RAW, Rule, RuleVerdict, Set, Stmt, Verdict,
};

/// Counter of packets the oracle's program allowed.
pub const ORACLE_ALLOW_COUNTER: &str = "pal_oracle_allow";
/// Counter of packets the oracle's program returned without a verdict.
pub const ORACLE_NO_VERDICT_COUNTER: &str = "pal_oracle_noverdict";

const NDP_SET: &str = "pal_ndp";
const BOUND_SET: &str = "pal_bound";
/// ICMPv6 types a workload may always send to its host (SEMANTICS §3, DECISIONS D6).
const NDP_TYPES: [u8; 6] = [130, 131, 132, 133, 135, 136];

/// The dispatch points: base chain, its hook, the interface direction it dispatches on and its
/// map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Point {
    RawIn,
    RawOut,
    MangleIn,
    Input,
    ForwardFrom,
    ForwardTo,
    Output,
}

impl Point {
    fn map(self) -> &'static str {
        match self {
            Point::RawIn => "pal_raw_in",
            Point::RawOut => "pal_raw_out",
            Point::MangleIn => "pal_mangle_in",
            Point::Input => "pal_input",
            Point::ForwardFrom => "pal_fwd_from",
            Point::ForwardTo => "pal_fwd_to",
            Point::Output => "pal_output",
        }
    }

    fn dir(self) -> IfDir {
        match self {
            Point::RawIn | Point::MangleIn | Point::Input | Point::ForwardFrom => IfDir::In,
            Point::RawOut | Point::ForwardTo | Point::Output => IfDir::Out,
        }
    }

    /// Forward-from entries jump (the to-dispatch follows); the others go to their chain.
    fn enter(self, chain: String) -> Verdict {
        if self == Point::ForwardFrom {
            Verdict::Jump(chain)
        } else {
            Verdict::Goto(chain)
        }
    }
}

fn if_field(dir: IfDir) -> Field {
    match dir {
        IfDir::In => Field::Iifname,
        IfDir::Out => Field::Oifname,
    }
}

fn ct_rules() -> [Rule; 2] {
    [
        Rule::verdict(Verdict::Accept).when(Match::CtState(CtStates::ESTABLISHED_RELATED)),
        Rule::verdict(Verdict::Drop).when(Match::CtState(CtStates::INVALID)),
    ]
}

struct Layout<'b, 'a> {
    b: &'b mut Builder<'a>,
    dispatch: BTreeMap<Point, Vec<(String, Verdict)>>,
    wildcard: BTreeMap<Point, Verdict>,
    bound: BTreeSet<String>,
    has_host: bool,
}

impl Layout<'_, '_> {
    fn marks(&self) -> crate::marks::MarkLayout {
        self.b.opts.marks
    }

    fn is_allowed(&self) -> Match {
        let allow = self.marks().allow();
        Match::Mark {
            mask: allow,
            value: allow,
            negate: false,
        }
    }

    fn is_early(&self) -> Match {
        let early = self.marks().early();
        Match::Mark {
            mask: early,
            value: early,
            negate: false,
        }
    }

    /// Allowed: clear the allow bit and end with `v`.
    fn on_allow(&self, v: Verdict) -> Rule {
        Rule::verdict(v)
            .when(self.is_allowed())
            .then(Stmt::mark_set(self.marks().allow(), 0))
    }

    fn add_chain(&mut self, name: &str, rules: Vec<Rule>) {
        self.b
            .ruleset
            .chains
            .insert(name.to_owned(), Chain { base: None, rules });
    }

    fn enter(&mut self, point: Point, interface: &str, chain: &str) {
        let v = point.enter(chain.to_owned());
        if interface == "*" {
            self.wildcard.insert(point, v);
        } else {
            self.dispatch
                .entry(point)
                .or_default()
                .push((interface.to_owned(), v));
        }
    }

    fn workload(&mut self, binding: &Binding) -> Result<(), LowerError> {
        let ep = &binding.endpoint;
        let egress = self.b.required(ep, Hook::WorkloadEgress)?;
        let ingress = self.b.required(ep, Hook::WorkloadIngress)?;
        let iface = &binding.interface;

        let from = sanitized("wfrom", iface, "");
        let mut rules = ct_rules().to_vec();
        rules.push(Rule::verdict(Verdict::Jump(egress.clone())));
        rules.push(self.on_allow(Verdict::Return));
        rules.push(Rule::verdict(Verdict::Drop));
        self.add_chain(&from, rules);
        self.enter(Point::ForwardFrom, iface, &from);

        let to = sanitized("wto", iface, "");
        let mut rules = ct_rules().to_vec();
        rules.push(Rule::verdict(Verdict::Jump(ingress)));
        rules.push(self.on_allow(Verdict::Accept));
        rules.push(Rule::verdict(Verdict::Drop));
        self.add_chain(&to, rules);
        self.enter(Point::ForwardTo, iface, &to);

        let host = sanitized("whost", iface, "");
        self.ensure_ndp_set();
        let mut rules = ct_rules().to_vec();
        rules.push(
            Rule::verdict(Verdict::Accept)
                .when(Match::Nfproto(Family::V6))
                .when(Match::L4proto {
                    proto: 58,
                    negate: false,
                })
                .when(Match::InSet {
                    key: vec![Field::Icmpv6Type],
                    set: NDP_SET.to_owned(),
                    negate: false,
                }),
        );
        rules.push(Rule::verdict(Verdict::Jump(egress)));
        match self.b.opts.endpoint_to_host {
            EndpointToHostAction::Accept => rules.push(self.on_allow(Verdict::Accept)),
            EndpointToHostAction::Return => rules.push(self.on_allow(Verdict::Return)),
            EndpointToHostAction::Drop => {}
        }
        rules.push(Rule::verdict(Verdict::Drop));
        self.add_chain(&host, rules);
        self.enter(Point::Input, iface, &host);
        Ok(())
    }

    fn host(&mut self, binding: &Binding) -> Result<(), LowerError> {
        self.has_host = true;
        let ep = &binding.endpoint;
        let iface = binding.interface.as_str();
        let part = if iface == "*" { "all" } else { iface };
        let ingress = self.b.required(ep, Hook::HostIngress)?;
        let egress = self.b.required(ep, Hook::HostEgress)?;
        let fwd_in = self.b.optional(ep, Hook::HostForwardIngress)?;
        let fwd_out = self.b.optional(ep, Hook::HostForwardEgress)?;
        let pre_dnat = self.b.optional(ep, Hook::HostPreDnatIngress)?;
        let ut_in = self.b.optional(ep, Hook::HostUntrackedIngress)?;
        let ut_out = self.b.optional(ep, Hook::HostUntrackedEgress)?;
        let marks = self.marks();

        for (prefix, program, point) in [
            ("hin", ingress, Point::Input),
            ("hout", egress, Point::Output),
        ] {
            let name = sanitized(prefix, part, "");
            let mut rules = ct_rules().to_vec();
            rules.push(Rule::verdict(Verdict::Accept).when(self.is_early()));
            rules.push(Rule::verdict(Verdict::Jump(program)));
            rules.push(self.on_allow(Verdict::Accept));
            rules.push(Rule::verdict(Verdict::Drop));
            self.add_chain(&name, rules);
            self.enter(point, iface, &name);
        }

        if let Some(program) = fwd_in {
            let name = sanitized("hfin", part, "");
            let mut rules = ct_rules().to_vec();
            rules.push(Rule::verdict(Verdict::Return).when(self.is_early()));
            rules.push(Rule::verdict(Verdict::Jump(program)));
            rules.push(self.on_allow(Verdict::Return));
            rules.push(Rule::verdict(Verdict::Drop));
            self.add_chain(&name, rules);
            self.enter(Point::ForwardFrom, iface, &name);
        }

        if fwd_out.is_some() || ut_out.is_some() {
            let name = sanitized("hfout", part, "");
            let mut rules = ct_rules().to_vec();
            if let Some(program) = &ut_out {
                // The untracked egress stage decides first; without a verdict the forward
                // egress stage runs.
                rules.push(Rule::verdict(Verdict::Jump(program.clone())));
                rules.push(self.on_allow(Verdict::Accept));
            }
            if let Some(program) = fwd_out {
                rules.push(Rule::verdict(Verdict::Jump(program)));
                rules.push(self.on_allow(Verdict::Accept));
                rules.push(Rule::verdict(Verdict::Drop));
            }
            self.add_chain(&name, rules);
            self.enter(Point::ForwardTo, iface, &name);
        }

        let early_accept = Rule::verdict(Verdict::Accept)
            .when(self.is_allowed())
            .then(Stmt::mark_set(marks.allow(), marks.early()));
        for (prefix, program, point) in [
            ("hrawin", ut_in, Point::RawIn),
            ("hrawout", ut_out, Point::RawOut),
        ] {
            if let Some(program) = program {
                let name = sanitized(prefix, part, "");
                let mut accept = early_accept.clone();
                accept.stmts.insert(0, Stmt::Notrack);
                let rules = vec![Rule::verdict(Verdict::Jump(program)), accept];
                self.add_chain(&name, rules);
                self.enter(point, iface, &name);
            }
        }

        if let Some(program) = pre_dnat {
            let name = sanitized("hpre", part, "");
            let rules = vec![
                Rule::verdict(Verdict::Accept).when(Match::CtState(CtStates::ESTABLISHED_RELATED)),
                Rule::verdict(Verdict::Accept).when(self.is_early()),
                Rule::verdict(Verdict::Jump(program)),
                early_accept,
            ];
            self.add_chain(&name, rules);
            self.enter(Point::MangleIn, iface, &name);
        }
        Ok(())
    }

    fn ensure_ndp_set(&mut self) {
        self.b
            .ruleset
            .sets
            .entry(NDP_SET.to_owned())
            .or_insert_with(|| {
                let mut s = Set::new(vec![KeyType::Icmpv6Type], false);
                s.elements = NDP_TYPES
                    .iter()
                    .map(|t| Element {
                        key: vec![KeyPart::value(u128::from(*t))],
                        verdict: None,
                    })
                    .collect();
                s
            });
    }

    /// Declares the dispatch maps and base chains that have something to dispatch.
    fn base_chains(&mut self) {
        let marks = self.marks();
        if !self.wildcard.is_empty() {
            let mut s = Set::new(vec![KeyType::Ifname], false);
            s.elements = self
                .bound
                .iter()
                .map(|n| Element {
                    key: vec![KeyPart::Name(n.clone())],
                    verdict: None,
                })
                .collect();
            self.b.ruleset.sets.insert(BOUND_SET.to_owned(), s);
        }
        let chains: [(&str, HookPoint, i32, &[Point], bool); 6] = [
            (
                "base_raw_pre",
                HookPoint::Prerouting,
                PRIORITY_RAW,
                &[Point::RawIn],
                true,
            ),
            (
                "base_raw_out",
                HookPoint::Output,
                PRIORITY_RAW,
                &[Point::RawOut],
                true,
            ),
            (
                "base_mangle_pre",
                HookPoint::Prerouting,
                PRIORITY_MANGLE,
                &[Point::MangleIn],
                false,
            ),
            (
                "base_input",
                HookPoint::Input,
                PRIORITY_FILTER,
                &[Point::Input],
                false,
            ),
            (
                "base_forward",
                HookPoint::Forward,
                PRIORITY_FILTER,
                &[Point::ForwardFrom, Point::ForwardTo],
                false,
            ),
            (
                "base_output",
                HookPoint::Output,
                PRIORITY_FILTER,
                &[Point::Output],
                false,
            ),
        ];
        for (name, hook, priority, points, clears_early) in chains {
            let mut rules = Vec::new();
            if clears_early && self.has_host {
                rules.push(Rule::default().then(Stmt::mark_set(marks.early(), 0)));
            }
            for &point in points {
                let field = if_field(point.dir());
                if let Some(entries) = self.dispatch.get(&point) {
                    let mut map = Set::verdict_map(vec![KeyType::Ifname], false);
                    map.elements = entries
                        .iter()
                        .map(|(iface, v)| Element {
                            key: vec![KeyPart::Name(iface.clone())],
                            verdict: Some(v.clone()),
                        })
                        .collect();
                    map.elements.sort();
                    self.b.ruleset.sets.insert(point.map().to_owned(), map);
                    rules.push(Rule {
                        verdict: Some(RuleVerdict::Vmap {
                            key: vec![field],
                            map: point.map().to_owned(),
                        }),
                        ..Rule::default()
                    });
                }
                if let Some(v) = self.wildcard.get(&point) {
                    let mut r = Rule::verdict(v.clone()).when(Match::InSet {
                        key: vec![field],
                        set: BOUND_SET.to_owned(),
                        negate: true,
                    });
                    r.matches.push(Match::IfName {
                        dir: point.dir(),
                        name: "lo".to_owned(),
                        negate: true,
                    });
                    rules.push(r);
                }
            }
            let dispatches = rules
                .iter()
                .any(|r| !matches!(r.verdict, None | Some(RuleVerdict::Plain(Verdict::Accept))));
            if dispatches || (clears_early && self.has_host) {
                self.b.ruleset.chains.insert(
                    name.to_owned(),
                    Chain {
                        base: Some(BaseHook { hook, priority }),
                        rules,
                    },
                );
            }
        }
    }
}

/// Builds the dispatch table for `bindings` into the builder.
pub(super) fn build(b: &mut Builder<'_>, bindings: &[Binding]) -> Result<(), LowerError> {
    let mut layout = Layout {
        b,
        dispatch: BTreeMap::new(),
        wildcard: BTreeMap::new(),
        bound: bindings
            .iter()
            .filter(|x| x.interface != "*")
            .map(|x| x.interface.clone())
            .collect(),
        has_host: false,
    };
    let mut sorted: Vec<&Binding> = bindings.iter().collect();
    sorted.sort();
    for binding in sorted {
        match binding.endpoint {
            EndpointKey::Workload { .. } => layout.workload(binding)?,
            EndpointKey::Host { .. } => layout.host(binding)?,
        }
    }
    layout.base_chains();
    Ok(())
}

/// Builds the oracle table: all programs, selected by mark. Returns each target's mark.
pub(super) fn build_oracle(
    b: &mut Builder<'_>,
) -> Result<BTreeMap<ProgramTarget, u32>, LowerError> {
    let targets: Vec<ProgramTarget> = b.snapshot.programs.keys().cloned().collect();
    let mut slots: BTreeMap<String, u32> = BTreeMap::new();
    let mut marks = BTreeMap::new();
    let mut map = Set::verdict_map(vec![KeyType::Mark], false);
    for target in targets {
        let Some(info) = b.program(&target)? else {
            continue;
        };
        let next = slots.len() as u32 + 1;
        let slot = *slots.entry(info.entry.clone()).or_insert_with(|| {
            map.elements.push(Element {
                key: vec![KeyPart::value(u128::from(next))],
                verdict: Some(Verdict::Jump(info.entry.clone())),
            });
            next
        });
        marks.insert(target, slot);
    }
    map.elements.sort();
    let mark_bits = b.opts.marks;
    b.ruleset.sets.insert("pal_oracle".to_owned(), map);
    b.ruleset.counters.insert(ORACLE_ALLOW_COUNTER.to_owned());
    b.ruleset
        .counters
        .insert(ORACLE_NO_VERDICT_COUNTER.to_owned());
    b.ruleset.chains.insert(
        "base_oracle".to_owned(),
        Chain {
            base: Some(BaseHook {
                hook: HookPoint::Output,
                priority: PRIORITY_FILTER,
            }),
            rules: vec![
                // Packets that are not the engine's (no program selected) pass untouched.
                Rule::verdict(Verdict::Accept).when(Match::Mark {
                    mask: 0xffff,
                    value: 0,
                    negate: false,
                }),
                Rule {
                    verdict: Some(RuleVerdict::Vmap {
                        key: vec![Field::Mark],
                        map: "pal_oracle".to_owned(),
                    }),
                    ..Rule::default()
                },
                Rule::verdict(Verdict::Accept)
                    .when(Match::Mark {
                        mask: mark_bits.allow(),
                        value: mark_bits.allow(),
                        negate: false,
                    })
                    .then(Stmt::Counter(ORACLE_ALLOW_COUNTER.to_owned())),
                Rule::verdict(Verdict::Accept)
                    .then(Stmt::Counter(ORACLE_NO_VERDICT_COUNTER.to_owned())),
            ],
        },
    );
    Ok(marks)
}
