//! [`FlowResult`] and the JSON the CLI prints for it (DECISIONS D7).

use serde::Serialize;
use serde::ser::SerializeMap;

use super::Flow;
use crate::decision::{Decision, Verdict};
use crate::ir::Origin;
use crate::packet::PacketRepr;

/// What a flow got: the decisions of every endpoint hook it passed (absent when the flow does
/// not pass that side) and the overall verdict (allow only if every present decision allows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowResult {
    /// The flow as given.
    pub flow: Flow,
    /// The packet evaluated (addresses chosen per DECISIONS D6).
    pub packet: PacketRepr,
    /// Allow or Deny.
    pub verdict: Verdict,
    /// The source side's decision.
    pub egress: Option<Decision>,
    /// The destination side's decision.
    pub ingress: Option<Decision>,
    /// The inbound `via` host endpoint's forward decision.
    pub forward_in: Option<Decision>,
    /// The outbound `via` host endpoint's forward decision.
    pub forward_out: Option<Decision>,
}

/// A decision as D7 reports it: `{"verdict","by","tier","policy","kind","namespace","rule"}`,
/// omitting fields that do not apply.
#[derive(Clone, Copy, Debug)]
pub struct DecisionReport<'a>(pub &'a Decision);

impl Serialize for DecisionReport<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let d = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("verdict", d.verdict.as_str())?;
        map.serialize_entry("by", d.origin.by())?;
        match &d.origin {
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
        map.end()
    }
}

impl Serialize for FlowResult {
    /// The flow's own fields (`src`, `dst`, `protocol`, ports or ICMP fields, …), the packet's
    /// addresses and family (`srcIp`, `dstIp`, `ipVersion`), `verdict`, then `egress` and
    /// `ingress` (a decision or `null`) and, when present, `forwardIn` / `forwardOut`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let mut flow = self.flow.clone();
        flow.ip_version = None;
        if let Some((src, dst)) = self.packet.ports() {
            flow.src_port = Some(src);
            flow.dst_port = Some(dst);
        }
        if let Some((_, code)) = self.packet.icmp_fields() {
            flow.icmp_code = Some(code);
        }
        flow.serialize_fields(&mut map)?;
        map.serialize_entry("srcIp", &self.packet.src())?;
        map.serialize_entry("dstIp", &self.packet.dst())?;
        map.serialize_entry("ipVersion", &if self.packet.is_ipv4() { 4u8 } else { 6 })?;
        map.serialize_entry("verdict", self.verdict.as_str())?;
        map.serialize_entry("egress", &self.egress.as_ref().map(DecisionReport))?;
        map.serialize_entry("ingress", &self.ingress.as_ref().map(DecisionReport))?;
        if let Some(d) = &self.forward_in {
            map.serialize_entry("forwardIn", &DecisionReport(d))?;
        }
        if let Some(d) = &self.forward_out {
            map.serialize_entry("forwardOut", &DecisionReport(d))?;
        }
        map.end()
    }
}
