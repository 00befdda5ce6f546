//! The human (table) form of an evaluated flow and, for `--explain`, the steps and a sentence
//! per decision saying why it came out that way (DECISIONS D6, D7; SEMANTICS §2.5, §3).
//!
//! ```text
//! default/client -> default/web TCP/80  deny
//!   egress   default/client  allow  rule 0 of KubernetesNetworkPolicy default/… (tier default)
//!   ingress  default/web     deny   rule 0 of GlobalNetworkPolicy deny-blue (tier default)
//! ```

use std::io::{self, Write};
use std::net::IpAddr;

use palisade_compiler::flow::{FlowResult, Peer};
use palisade_compiler::ir::Origin;
use palisade_compiler::packet::PROTO_ICMPV6;
use palisade_compiler::{Decision, Step, Verdict};
use palisade_policy_model::calico::EndpointToHostAction;
use palisade_policy_model::model::{EndpointKey, Model};

use crate::backend::Outcome;
use crate::report::{flow_text, origin_text, step_text};

/// What a flow's side is in the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SideKind {
    /// A workload endpoint.
    Workload(EndpointKey),
    /// A host endpoint.
    Host(EndpointKey),
    /// An address outside the cluster.
    Outside(IpAddr),
}

impl SideKind {
    /// Resolves a flow peer as DECISIONS D6 does (an IP owned by exactly one endpoint is that
    /// endpoint). An IP owned by several endpoints is shown as outside (evaluation rejects such
    /// flows before they are shown).
    pub fn of(model: &Model, peer: &Peer) -> SideKind {
        match peer {
            Peer::Endpoint(key @ EndpointKey::Workload { .. }) => SideKind::Workload(key.clone()),
            Peer::Endpoint(key @ EndpointKey::Host { .. }) => SideKind::Host(key.clone()),
            Peer::Ip(ip) => {
                let mut owners = model
                    .workloads()
                    .filter(|w| w.ips.iter().any(|n| n.addr() == *ip))
                    .map(|w| SideKind::Workload(w.key.clone()))
                    .chain(
                        model
                            .host_endpoints()
                            .filter(|h| h.expected_ips.contains(ip))
                            .map(|h| SideKind::Host(h.key.clone())),
                    );
                match (owners.next(), owners.next()) {
                    (Some(owner), None) => owner,
                    _ => SideKind::Outside(*ip),
                }
            }
        }
    }

    fn label(&self) -> String {
        match self {
            SideKind::Workload(k) | SideKind::Host(k) => k.to_string(),
            SideKind::Outside(ip) => format!("{ip} (outside)"),
        }
    }

    fn is_host(&self) -> bool {
        matches!(self, SideKind::Host(_))
    }
}

/// Which decision of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The source's egress.
    Egress,
    /// The destination's ingress.
    Ingress,
    /// The inbound `via` host endpoint's forward decision.
    ForwardIn,
    /// The outbound `via` host endpoint's forward decision.
    ForwardOut,
}

impl Role {
    fn word(self) -> &'static str {
        match self {
            Role::Egress => "egress",
            Role::Ingress => "ingress",
            Role::ForwardIn => "forward in",
            Role::ForwardOut => "forward out",
        }
    }

    fn direction(self) -> &'static str {
        match self {
            Role::Egress | Role::ForwardOut => "egress",
            Role::Ingress | Role::ForwardIn => "ingress",
        }
    }
}

/// Everything a sentence needs to know about the flow.
struct FlowSides<'a> {
    model: &'a Model,
    src: SideKind,
    dst: SideKind,
    via: String,
    ndp: bool,
}

impl FlowSides<'_> {
    fn endpoint(&self, role: Role) -> String {
        match role {
            Role::Egress => self.src.label(),
            Role::Ingress => self.dst.label(),
            Role::ForwardIn | Role::ForwardOut => self.via.clone(),
        }
    }

    /// `default/web's ingress`, `hostendpoint/h's host egress`, `forwarding in through
    /// hostendpoint/h`.
    fn whose(&self, role: Role) -> String {
        let host = match role {
            Role::Egress => self.src.is_host(),
            Role::Ingress => self.dst.is_host(),
            Role::ForwardIn => return format!("forwarding in through {}", self.via),
            Role::ForwardOut => return format!("forwarding out through {}", self.via),
        };
        format!(
            "{}'s {}{}",
            self.endpoint(role),
            if host { "host " } else { "" },
            role.word()
        )
    }
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Allow => "allowed",
        Verdict::Deny => "denied",
        Verdict::NoVerdict => "left undecided",
    }
}

/// The tiers that passed the packet on before the decision, in order.
fn passed_tiers(steps: &[Step]) -> Vec<String> {
    let mut tiers: Vec<String> = Vec::new();
    for step in steps {
        if let Step::Pass(o) = step
            && let Some(t) = o.tier()
            && !tiers.iter().any(|x| x == t)
        {
            tiers.push(t.to_owned());
        }
    }
    tiers
}

fn after_passes(steps: &[Step]) -> String {
    let tiers = passed_tiers(steps);
    match tiers.as_slice() {
        [] => String::new(),
        [one] => format!(", after tier {one} passed the packet on"),
        many => format!(", after tiers {} passed the packet on", many.join(", ")),
    }
}

/// A sentence saying why `decision` came out as it did.
fn sentence(sides: &FlowSides<'_>, role: Role, decision: &Decision) -> String {
    let who = sides.whose(role);
    let verdict = verdict_word(decision.verdict);
    let steps = &decision.steps;
    match &decision.origin {
        Origin::Rule { tier, policy, rule } => format!(
            "{who} is {verdict} by rule {rule} of {policy}, the first rule to match in tier \
             {tier}{}.",
            after_passes(steps)
        ),
        Origin::EndOfTier { tier } => format!(
            "{who} is denied at the end of tier {tier}: policies of that tier select the \
             endpoint for {}, but none of their rules allowed, denied or passed the packet, and \
             the tier's default action is Deny{}.",
            role.direction(),
            after_passes(steps)
        ),
        Origin::Profile { profile, rule } => {
            let why = if passed_tiers(steps).is_empty() {
                format!("no policy selects the endpoint for {}", role.direction())
            } else {
                "every tier that applies passed the packet on".to_owned()
            };
            let namespace = if profile.starts_with("kns.") {
                " (the namespace's profile, which allows everything, as Calico gives every pod)"
            } else {
                ""
            };
            format!(
                "{who} is {verdict} by rule {rule} of profile {profile}{namespace}: {why}, so \
                 the endpoint's profiles decide."
            )
        }
        Origin::NoMatch => format!(
            "{who} is denied: no tier gave a verdict and no profile allowed the packet, so \
             Calico's final drop applies."
        ),
        Origin::Failsafe { rule } => {
            let felix = sides.model.felix();
            let (list, name, net_side) = match role {
                Role::Egress => (&felix.failsafe_outbound, "failsafeOutboundHostPorts", "to"),
                _ => (&felix.failsafe_inbound, "failsafeInboundHostPorts", "from"),
            };
            let entry = list.get(*rule as usize).map_or_else(String::new, |f| {
                let net = f
                    .net
                    .map_or_else(String::new, |n| format!(" {net_side} {n}"));
                format!(" ({} port {}{net})", f.protocol, f.port)
            });
            format!(
                "{who} is allowed by failsafe entry {rule}{entry} of FelixConfiguration \
                 {name}: failsafe ports keep the host reachable whatever the policy says."
            )
        }
        Origin::Default => default_sentence(sides, role, &who, decision.verdict),
    }
}

fn default_sentence(sides: &FlowSides<'_>, role: Role, who: &str, verdict: Verdict) -> String {
    let verdict = verdict_word(verdict);
    match (role, &sides.src, &sides.dst) {
        (Role::ForwardIn | Role::ForwardOut, _, _) => format!(
            "{who} is {verdict}: no applyOnForward policy applies to the host endpoint in this \
             direction (or its tiers passed the packet on), and Calico lets forwarded traffic \
             through by default."
        ),
        (_, SideKind::Workload(_), SideKind::Host(_)) if sides.ndp => format!(
            "{who} is {verdict}: ICMPv6 router and neighbour discovery and MLD from a workload \
             to its own host are always allowed, before any policy."
        ),
        (Role::Ingress, SideKind::Workload(_), SideKind::Host(_)) => {
            let action = match sides.model.felix().default_endpoint_to_host_action {
                EndpointToHostAction::Accept => "Accept",
                EndpointToHostAction::Return => "Return",
                EndpointToHostAction::Drop => "Drop",
            };
            format!(
                "{who} is {verdict}: traffic from a workload to its own host is not checked \
                 against the host endpoint's policy; once the workload's egress allowed it, \
                 FelixConfiguration defaultEndpointToHostAction ({action}) decides."
            )
        }
        (_, SideKind::Host(_), SideKind::Workload(_)) => format!(
            "{who} is {verdict}: Calico does not police traffic from a host to the workloads \
             on that host."
        ),
        _ => format!("{who} is {verdict} by a built-in default."),
    }
}

fn is_ndp(result: &FlowResult) -> bool {
    result.packet.protocol() == PROTO_ICMPV6
        && !result.packet.is_ipv4()
        && result
            .packet
            .icmp_fields()
            .is_some_and(|(t, _)| matches!(t, 130..=133 | 135 | 136))
}

fn decision_rows(result: &FlowResult) -> [(Role, Option<&Decision>); 4] {
    [
        (Role::Egress, result.egress.as_ref()),
        (Role::Ingress, result.ingress.as_ref()),
        (Role::ForwardIn, result.forward_in.as_ref()),
        (Role::ForwardOut, result.forward_out.as_ref()),
    ]
}

fn write_decisions(
    w: &mut dyn Write,
    sides: &FlowSides<'_>,
    result: &FlowResult,
    prefix: &str,
    explain: bool,
) -> io::Result<()> {
    let rows = decision_rows(result);
    let width = rows
        .iter()
        .filter(|(_, d)| d.is_some())
        .map(|(role, _)| sides.endpoint(*role).len())
        .max()
        .unwrap_or(0);
    let role_width = prefix.len() + 11;
    for (role, decision) in rows {
        let Some(d) = decision else { continue };
        let role_word = format!("{prefix}{}", role.word());
        writeln!(
            w,
            "  {role_word:<role_width$}  {:<width$}  {:<5}  {}",
            sides.endpoint(role),
            d.verdict.as_str(),
            origin_text(&d.origin)
        )?;
        if explain {
            for step in &d.steps {
                writeln!(w, "      - {}", step_text(step))?;
            }
            writeln!(w, "      {}", sentence(sides, role, d))?;
        }
    }
    Ok(())
}

/// Writes the table form of one outcome: a line with the flow and its verdict, then one line per
/// decision; with `explain`, each decision's steps and a sentence.
pub fn write_table(
    w: &mut dyn Write,
    model: &Model,
    outcome: &Outcome,
    explain: bool,
) -> io::Result<()> {
    let result = &outcome.result;
    let sides = FlowSides {
        model,
        src: SideKind::of(model, &result.flow.src),
        dst: SideKind::of(model, &result.flow.dst),
        via: result
            .flow
            .via
            .iter()
            .map(|v| format!("hostendpoint/{v}"))
            .collect::<Vec<_>>()
            .join(","),
        ndp: is_ndp(result),
    };
    writeln!(
        w,
        "{}  {}",
        flow_text(&result.flow),
        result.verdict.as_str().to_uppercase()
    )?;
    write_decisions(w, &sides, result, "", explain)?;
    if let Some(pending) = &outcome.pending {
        writeln!(
            w,
            "  pending (staged policies enforced): {}",
            pending.verdict.as_str().to_uppercase()
        )?;
        write_decisions(w, &sides, pending, "pending ", explain)?;
    }
    Ok(())
}
