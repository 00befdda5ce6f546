//! Lowering one model rule into one IR rule (SEMANTICS §2.9, DECISIONS D2–D4, D9).

use palisade_policy_model::model::{Direction, Entity, Rule};
use palisade_policy_model::values::Action;
use smallvec::SmallVec;

use super::sets::SetDef;
use crate::compiler::{CompileError, HttpMode};
use crate::ir::{IcmpMatch, IpSetId, IrAction, IrRule, Match, Origin, PortMatch, SideMatch};

/// A lowered rule list: the IR rules (a `Pass` action's target is a placeholder that program
/// assembly fills in) and the sets they refer to.
#[derive(Clone, Debug, Default)]
pub(crate) struct LoweredRules {
    pub(crate) rules: Vec<IrRule>,
    /// Every set the rules refer to, each once.
    pub(crate) sets: Vec<SetDef>,
}

/// Lowers a rule list. `origin_of(i)` gives the origin of the rule with source index `i`.
/// Every rule that cannot be lowered is reported; the list is then unusable.
pub(crate) fn lower_rules(
    rules: &[Rule],
    direction: Direction,
    http: HttpMode,
    origin_of: impl Fn(u32) -> Origin,
) -> Result<LoweredRules, Vec<CompileError>> {
    let mut out = LoweredRules::default();
    let mut errors = Vec::new();
    for rule in rules {
        let origin = origin_of(rule.source_index);
        match lower_rule(rule, origin, direction, http, &mut out.sets) {
            Ok(r) => out.rules.push(r),
            Err(e) => errors.push(*e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut seen = ahash::AHashSet::new();
    out.sets.retain(|d| seen.insert(d.clone()));
    Ok(out)
}

fn lower_rule(
    rule: &Rule,
    origin: Origin,
    direction: Direction,
    http: HttpMode,
    sets: &mut Vec<SetDef>,
) -> Result<IrRule, Box<CompileError>> {
    if rule.http.is_some() && http == HttpMode::Refuse {
        return Err(Box::new(CompileError::HttpRefused { origin, direction }));
    }
    let invalid = |reason: &str| {
        Box::new(CompileError::InvalidRule {
            origin: origin.clone(),
            direction,
            reason: reason.to_owned(),
        })
    };
    let icmp = |m: &palisade_policy_model::values::IcmpMatch| {
        IcmpMatch::from_parts(m.icmp_type, m.code)
            .ok_or_else(|| invalid("an ICMP code needs an ICMP type"))
    };
    let protocol = rule.protocol.map(|p| p.number());
    let matches = Match {
        ip_version: rule.ip_version,
        protocol,
        not_protocol: rule.not_protocol.map(|p| p.number()),
        icmp: rule.icmp.as_ref().map(icmp).transpose()?,
        not_icmp: rule.not_icmp.as_ref().map(icmp).transpose()?,
        src: lower_side(&rule.source, protocol, false, sets).map_err(invalid)?,
        dst: lower_side(&rule.destination, protocol, true, sets).map_err(invalid)?,
    };
    let action = match rule.action {
        Action::Allow => IrAction::Allow,
        Action::Deny => IrAction::Deny,
        Action::Log => IrAction::Log,
        // The target is filled in when the program is assembled.
        Action::Pass => IrAction::Pass { to: 0 },
    };
    Ok(IrRule {
        matches,
        action,
        origin,
    })
}

fn add(sets: &mut Vec<SetDef>, def: SetDef) -> IpSetId {
    let id = def.id();
    sets.push(def);
    id
}

fn lower_side(
    entity: &Entity,
    protocol: Option<u8>,
    destination: bool,
    sets: &mut Vec<SetDef>,
) -> Result<SideMatch, &'static str> {
    let mut side = SideMatch::default();
    if !entity.nets.is_empty() {
        side.sets.push(add(sets, SetDef::nets(&entity.nets)));
    }
    if !entity.not_nets.is_empty() {
        side.not_sets
            .push(add(sets, SetDef::nets(&entity.not_nets)));
    }
    if let Some(s) = &entity.selector {
        side.sets.push(add(sets, SetDef::Selector(s.clone())));
    }
    if let Some(s) = &entity.not_selector {
        side.not_sets.push(add(sets, SetDef::Selector(s.clone())));
    }
    if !entity.domains.is_empty() {
        side.sets.push(add(sets, SetDef::domains(&entity.domains)));
    }
    let named = |names: &[std::sync::Arc<str>], sets: &mut Vec<SetDef>| -> SmallVec<[IpSetId; 1]> {
        let selector = entity
            .selector
            .clone()
            .unwrap_or_else(palisade_selector::Selector::all);
        names
            .iter()
            .map(|name| {
                add(
                    sets,
                    SetDef::NamedPort {
                        selector: selector.clone(),
                        protocol,
                        name: name.clone(),
                    },
                )
            })
            .collect()
    };
    if !entity.ports.is_empty() || !entity.named_ports.is_empty() {
        side.ports = Some(PortMatch {
            ranges: entity.ports.iter().copied().collect(),
            named: named(&entity.named_ports, sets),
        });
    }
    if !entity.not_ports.is_empty() || !entity.not_named_ports.is_empty() {
        side.not_ports = Some(PortMatch {
            ranges: entity.not_ports.iter().copied().collect(),
            named: named(&entity.not_named_ports, sets),
        });
    }
    if let Some(svc) = &entity.service {
        if destination {
            if side.ports.is_some() || side.not_ports.is_some() {
                return Err("a destination `services` match cannot be combined with ports");
            }
            side.ports = Some(PortMatch {
                ranges: SmallVec::new(),
                named: [add(sets, SetDef::ServicePorts(svc.clone()))]
                    .into_iter()
                    .collect(),
            });
        } else {
            side.sets.push(add(sets, SetDef::ServiceAddrs(svc.clone())));
        }
    }
    Ok(side)
}
