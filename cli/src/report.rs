//! The JSON form of an evaluated flow (the `eval` contract) and the text form of flows and
//! decisions.
//!
//! One object per flow:
//! `{"src", "dst", "protocol", "dstPort", …, "verdict", "egress", "ingress"}` — the flow's own
//! fields as given (`srcPort`, `icmpType`, `icmpCode`, `ipVersion`, `via`, `fragment`, `method`,
//! `path` only when present), the overall verdict, and the source's egress and the
//! destination's ingress decision (`null` when that side is outside the cluster); `forwardIn` /
//! `forwardOut` when the flow names `via` host endpoints; `pending` with `--staged`. A decision
//! is `{"verdict", "by", "tier", "policy", "kind", "namespace", "rule"}` with the fields that do
//! not apply left out (DECISIONS D7), plus `steps` with `--explain`.

use serde::Serialize;
use serde::ser::SerializeMap;

use palisade_compiler::flow::{Flow, FlowResult, protocol_name};
use palisade_compiler::ir::Origin;
use palisade_compiler::packet::{PROTO_ICMP, PROTO_ICMPV6};
use palisade_compiler::{Decision, Step};

use crate::backend::Outcome;

/// Serialises an [`Outcome`] as the `eval` JSON object.
#[derive(Clone, Copy, Debug)]
pub struct FlowJson<'a> {
    /// The outcome.
    pub outcome: &'a Outcome,
    /// Add each decision's `steps`.
    pub explain: bool,
}

/// Serialises a [`Decision`] as a DECISIONS D7 object.
#[derive(Clone, Copy, Debug)]
pub struct DecisionJson<'a> {
    /// The decision.
    pub decision: &'a Decision,
    /// Add the `steps`.
    pub explain: bool,
}

/// Serialises the `pending` object: the verdict and decisions with staged policies enforced.
#[derive(Clone, Copy, Debug)]
struct PendingJson<'a> {
    result: &'a FlowResult,
    explain: bool,
}

/// Serialises a step: `{"step": "log"|"pass", "by", "tier", "policy", …}`.
#[derive(Clone, Copy, Debug)]
struct StepJson<'a>(&'a Step);

/// The JSON line for a flow that could not be read or evaluated.
#[derive(Clone, Debug, Serialize)]
pub struct ErrorJson<'a> {
    /// Line number (or position of the `--flow` argument), 1-based.
    pub line: usize,
    /// What went wrong.
    pub error: &'a str,
}

fn origin_fields<M: SerializeMap>(map: &mut M, origin: &Origin) -> Result<(), M::Error> {
    map.serialize_entry("by", origin.by())?;
    match origin {
        Origin::Rule { tier, policy, rule } => {
            map.serialize_entry("tier", &**tier)?;
            map.serialize_entry("policy", &*policy.name)?;
            map.serialize_entry("kind", policy.kind.as_str())?;
            if let Some(ns) = &policy.namespace {
                map.serialize_entry("namespace", &**ns)?;
            }
            map.serialize_entry("rule", rule)?;
        }
        Origin::EndOfTier { tier } => map.serialize_entry("tier", &**tier)?,
        Origin::Profile { profile, rule } => {
            map.serialize_entry("policy", &**profile)?;
            map.serialize_entry("kind", "Profile")?;
            map.serialize_entry("rule", rule)?;
        }
        Origin::Failsafe { rule } => map.serialize_entry("rule", rule)?,
        Origin::NoMatch | Origin::Default => {}
    }
    Ok(())
}

impl Serialize for StepJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let (word, origin) = match self.0 {
            Step::Log(o) => ("log", o),
            Step::Pass(o) => ("pass", o),
        };
        map.serialize_entry("step", word)?;
        origin_fields(&mut map, origin)?;
        map.end()
    }
}

struct Steps<'a>(&'a [Step]);

impl Serialize for Steps<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(StepJson))
    }
}

impl Serialize for DecisionJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("verdict", self.decision.verdict.as_str())?;
        origin_fields(&mut map, &self.decision.origin)?;
        if self.explain {
            map.serialize_entry("steps", &Steps(&self.decision.steps))?;
        }
        map.end()
    }
}

fn flow_fields<M: SerializeMap>(map: &mut M, flow: &Flow) -> Result<(), M::Error> {
    map.serialize_entry("src", &flow.src.to_string())?;
    map.serialize_entry("dst", &flow.dst.to_string())?;
    match protocol_name(flow.protocol) {
        Some(name) => map.serialize_entry("protocol", name)?,
        None => map.serialize_entry("protocol", &flow.protocol)?,
    }
    if let Some(p) = flow.dst_port {
        map.serialize_entry("dstPort", &p)?;
    }
    if let Some(p) = flow.src_port {
        map.serialize_entry("srcPort", &p)?;
    }
    if let Some(t) = flow.icmp_type {
        map.serialize_entry("icmpType", &t)?;
    }
    if let Some(c) = flow.icmp_code {
        map.serialize_entry("icmpCode", &c)?;
    }
    if let Some(v) = flow.ip_version {
        map.serialize_entry("ipVersion", &v.number())?;
    }
    if !flow.via.is_empty() {
        let via: Vec<String> = flow
            .via
            .iter()
            .map(|v| format!("hostendpoint/{v}"))
            .collect();
        map.serialize_entry("via", &via)?;
    }
    if flow.fragment {
        map.serialize_entry("fragment", &true)?;
    }
    if let Some(m) = &flow.method {
        map.serialize_entry("method", m)?;
    }
    if let Some(p) = &flow.path {
        map.serialize_entry("path", p)?;
    }
    Ok(())
}

fn decisions<M: SerializeMap>(
    map: &mut M,
    result: &FlowResult,
    explain: bool,
) -> Result<(), M::Error> {
    fn json(d: &Option<Decision>, explain: bool) -> Option<DecisionJson<'_>> {
        d.as_ref()
            .map(|decision| DecisionJson { decision, explain })
    }
    map.serialize_entry("verdict", result.verdict.as_str())?;
    map.serialize_entry("egress", &json(&result.egress, explain))?;
    map.serialize_entry("ingress", &json(&result.ingress, explain))?;
    if let Some(d) = json(&result.forward_in, explain) {
        map.serialize_entry("forwardIn", &d)?;
    }
    if let Some(d) = json(&result.forward_out, explain) {
        map.serialize_entry("forwardOut", &d)?;
    }
    Ok(())
}

impl Serialize for PendingJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        decisions(&mut map, self.result, self.explain)?;
        map.end()
    }
}

impl Serialize for FlowJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let result = &self.outcome.result;
        flow_fields(&mut map, &result.flow)?;
        decisions(&mut map, result, self.explain)?;
        if let Some(pending) = &self.outcome.pending {
            map.serialize_entry(
                "pending",
                &PendingJson {
                    result: pending,
                    explain: self.explain,
                },
            )?;
        }
        map.end()
    }
}

/// The protocol and L4 part of a flow in the text form: `TCP/80`, `ICMP/8/0`, `proto/47`.
pub fn protocol_text(flow: &Flow) -> String {
    let name =
        protocol_name(flow.protocol).map_or_else(|| flow.protocol.to_string(), str::to_owned);
    match (flow.dst_port, flow.icmp_type) {
        (Some(port), _) => format!("{name}/{port}"),
        (None, Some(t)) if matches!(flow.protocol, PROTO_ICMP | PROTO_ICMPV6) => {
            match flow.icmp_code {
                Some(c) => format!("{name}/{t}/{c}"),
                None => format!("{name}/{t}"),
            }
        }
        _ => format!("proto/{}", flow.protocol),
    }
}

/// A flow in the text form that `--flow` accepts:
/// `SRC -> DST PROTO[/PORT] [sport N] [ipv4|ipv6] [fragment] [via hostendpoint/NAME]… [method M]
/// [path P]`.
pub fn flow_text(flow: &Flow) -> String {
    let mut text = format!("{} -> {} {}", flow.src, flow.dst, protocol_text(flow));
    if let Some(p) = flow.src_port {
        text.push_str(&format!(" sport {p}"));
    }
    if let Some(v) = flow.ip_version {
        text.push_str(&format!(" ipv{}", v.number()));
    }
    let l4_given = flow.dst_port.is_some() || flow.icmp_type.is_some();
    if flow.fragment && l4_given {
        text.push_str(" fragment");
    }
    for v in &flow.via {
        text.push_str(&format!(" via hostendpoint/{v}"));
    }
    if let Some(m) = &flow.method {
        text.push_str(&format!(" method {m}"));
    }
    if let Some(p) = &flow.path {
        text.push_str(&format!(" path {p}"));
    }
    text
}

/// A short description of an origin: `rule 0 of NetworkPolicy prod/db (tier default)`,
/// `end of tier platform`, `rule 0 of profile kns.prod`, `failsafe entry 2`, …
pub fn origin_text(origin: &Origin) -> String {
    match origin {
        Origin::Rule { tier, policy, rule } => {
            format!("rule {rule} of {policy} (tier {tier})")
        }
        Origin::EndOfTier { tier } => format!("end of tier {tier}"),
        Origin::Profile { profile, rule } => format!("rule {rule} of profile {profile}"),
        Origin::NoMatch => "no tier or profile decided".to_owned(),
        Origin::Failsafe { rule } => format!("failsafe entry {rule}"),
        Origin::Default => "built-in default".to_owned(),
    }
}

/// A step in words: `logged by rule 0 of …`, `passed by rule 1 of …`, `tier security ended
/// in its Pass default`.
pub fn step_text(step: &Step) -> String {
    match step {
        Step::Log(o) => format!("logged by {}", origin_text(o)),
        Step::Pass(Origin::EndOfTier { tier }) => {
            format!("tier {tier} gave no verdict and passed by its default action")
        }
        Step::Pass(o) => format!("passed on by {}", origin_text(o)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_text_round_trips_through_the_parser() {
        for text in [
            "default/a -> 10.0.0.1 TCP/80",
            "default/a -> default/b UDP/53 sport 1234 ipv4",
            "hostendpoint/h -> 192.0.2.1 ICMP/8/0",
            "x/a -> y/b proto/47",
            "x/a -> y/b TCP/80 fragment via hostendpoint/n1 method GET path /x",
        ] {
            let flow = Flow::parse(text).expect(text);
            assert_eq!(flow_text(&flow), text);
            assert_eq!(Flow::parse(&flow_text(&flow)).expect(text), flow);
        }
    }
}
