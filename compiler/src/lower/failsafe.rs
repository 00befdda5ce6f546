//! Failsafe rules (FelixConfiguration failsafe ports; SEMANTICS §3, DECISIONS D6).

use palisade_policy_model::model::{Direction, Failsafe};
use palisade_policy_model::values::PortRange;
use smallvec::SmallVec;

use super::rule::LoweredRules;
use super::sets::SetDef;
use crate::ir::{IrAction, IrRule, Match, Origin, PortMatch};

/// Lowers a failsafe list. Each entry matches its protocol and destination port, and its `net`
/// against the source (inbound list) or the destination (outbound list). A port of 0 can never
/// match a packet's port, so such an entry matches nothing.
pub(crate) fn lower_failsafes(
    list: &[Failsafe],
    direction: Direction,
    action: IrAction,
) -> LoweredRules {
    let mut out = LoweredRules::default();
    for (i, entry) in list.iter().enumerate() {
        let mut matches = Match {
            protocol: Some(entry.protocol.number()),
            ..Match::default()
        };
        matches.dst.ports = Some(PortMatch {
            ranges: PortRange::single(entry.port).into_iter().collect(),
            named: SmallVec::new(),
        });
        if let Some(net) = entry.net {
            let def = SetDef::nets(&[net]);
            let side = match direction {
                Direction::Ingress => &mut matches.src,
                Direction::Egress => &mut matches.dst,
            };
            side.sets.push(def.id());
            if !out.sets.contains(&def) {
                out.sets.push(def);
            }
        }
        out.rules.push(IrRule {
            matches,
            action,
            origin: Origin::Failsafe {
                rule: u32::try_from(i).unwrap_or(u32::MAX),
            },
        });
    }
    out
}
