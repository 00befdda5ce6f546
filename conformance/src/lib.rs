//! The Palisade conformance corpus: hand-written cases, each a small cluster, flows and the
//! decisions SEMANTICS.md and DECISIONS.md require for them, and the typed, strictly checked
//! format they are written in. Every engine (reference evaluator, IR evaluator, fast
//! classifier, nftables, eBPF) must give exactly these decisions.
//!
//! The cases live in `conformance/cases/*.yaml`, one file per topic. [`load_corpus`] reads them;
//! [`load_dir`], [`load_files`] and [`parse_file`] read other case files in the same format.
//!
//! # The case format
//!
//! ```yaml
//! cases:
//! - name: tiers/pass-continues-at-next-tier   # unique across all files; `group/what`
//!   topics: [tiers, pass]                      # required, at least one (see `Topic`)
//!   semantics: "§2.5 Pass; appendix A20"        # where the expectation comes from (required)
//!   description: optional free text
//!   resources: |                               # multi-document YAML of any kinds the model loads
//!     apiVersion: v1
//!     kind: Pod
//!     metadata: {name: a, namespace: ns1, labels: {app: a}}
//!     spec: {nodeName: node1}
//!     status: {podIP: 10.0.0.1}
//!     ---
//!     ...
//!   options:                                   # optional
//!     staged: true                             # also check pending verdicts (expect.pending)
//!     http: l4-only                            # refuse (default) | l4-only (DECISIONS D9)
//!     dns: {"api.example.com": ["192.0.2.10"]} # answers for `domains` rules
//!   flows:
//!   - flow: "ns1/a -> ns1/b tcp/80"            # text form, or the object form below
//!     description: optional note
//!     expect:
//!       verdict: allow                         # allow only if every present decision allows
//!       egress: {verdict: allow, by: profile, policy: kns.ns1, kind: Profile, rule: 0}
//!       ingress: {verdict: allow, by: rule, tier: tier1, policy: p1, kind: GlobalNetworkPolicy, rule: 0}
//!   - flow: {src: ns1/a, dst: 192.0.2.1, protocol: UDP, dstPort: 53}
//!     expect:
//!       verdict: deny
//!       egress: {verdict: deny, by: end-of-tier, tier: default}
//!       ingress: null                          # required key; null = no decision on that side
//!       # forwardIn / forwardOut: optional, one per `via` host endpoint (inbound / outbound)
//!       # pending: {verdict, egress, ingress, ...}: exactly when options.staged
//!   skip:                                      # optional: engine -> reason
//!     nft: "why this engine cannot express it"
//! ```
//!
//! Rules the loader enforces (each violation is a [`Problem`] naming file, line, case and
//! field; all problems are reported, not just the first):
//! - unknown fields anywhere are errors; case names are unique across all files loaded together;
//! - `name` is `group/what` (lower-case segments of `[a-z0-9._-]`), `topics`, `semantics`,
//!   `resources` and `flows` are not empty, a topic is not listed twice, skip reasons are not
//!   empty, engines are `reference`, `ir`, `fast`, `ebpf`, `nft`;
//! - a text flow is one line containing `->` (its grammar is the compiler's flow parser's);
//!   an object flow has a protocol 1-255; ports (1-65535) only for TCP/UDP/SCTP/UDPLite, and
//!   a destination port for them unless `fragment`; ICMP type/code only for ICMP/ICMPv6, a
//!   type for them unless `fragment`, a code only with a type; `ipVersion` 4 or 6 and
//!   consistent with ICMP/ICMPv6; `via` entries `hostendpoint/NAME`; an HTTP path starting
//!   with `/`;
//! - `egress` and `ingress` are always written (`null` when that side is outside the cluster);
//! - each decision has exactly the fields of its `by` (DECISIONS D7): `rule` → tier, policy,
//!   kind (a policy kind), rule, and namespace exactly for namespaced kinds; `end-of-tier` →
//!   tier; `profile` → policy (the profile), `kind: Profile`, rule; `failsafe` → rule;
//!   `no-match` and `default` → nothing;
//! - verdicts fit their origin: `end-of-tier` and `no-match` deny, `failsafe` allows, and a
//!   flow-level decision is never `no-verdict` (the stages that can give none are combined
//!   into the side's decision, DECISIONS D6);
//! - the overall `verdict` is allow exactly when every present decision allows;
//! - `pending` is present exactly when `options.staged` is true, with the same rules.
//!
//! # Topics
//!
//! Cases are tagged with the required `topics` list ([`Topic`]); the name's first segment is
//! free (usually the file's topic). The corpus tests check that every topic of issue 8 has
//! cases, and that every applicable appendix scenario of SEMANTICS is cited in some case's
//! `semantics` field.

mod case;
pub mod cluster;
pub mod differential;
pub mod documents;
pub mod engines;
pub mod expand;
pub mod generate;
mod load;
pub mod outcome;
mod problem;
mod raw;
pub mod report;
pub mod runner;
pub mod write;

pub use case::{
    By, Case, CaseOptions, DecisionVerdict, EngineName, Expectation, ExpectedDecision,
    ExpectedOrigin, FlowCase, FlowObject, FlowProtocol, FlowSpec, FlowVerdict, HttpOption,
    IpFamily, Outcome, OutcomeField, PolicyKindName, PolicyRef, Topic,
};
pub use cluster::{Cluster, ClusterError, Mode};
pub use engines::{Availability, EngineAdapter, FlowEngine, FlowEvaluator, Unavailable};
pub use expand::{ExpandError, Expander, expand, expand_case};
pub use load::{Corpus, LoadedCase, corpus_dir, load_corpus, load_dir, load_files, parse_file};
pub use problem::{LoadError, Problem, ProblemKind};
pub use report::{Failure, FailureKind, Report};
pub use runner::{ConfigError, NameFilter, RunConfig, Runner};
