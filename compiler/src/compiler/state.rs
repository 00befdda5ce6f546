//! The compiler's per-item state: interned names, lowered policies and profiles, entity records,
//! error keys.

use std::sync::Arc;

use ahash::AHashMap;
use palisade_policy_model::model::{Direction, PolicyId, Profile};

use super::layouts::PolicyIdx;
use super::sets::EntityAddrs;
use super::sets::SetIdx;
use crate::index::SelectorId;
use crate::ir::{IpSetId, IrRule, ProgramTarget};

/// Interns names to small integers, for compact layout keys. Names stay interned.
#[derive(Clone, Debug, Default)]
pub(crate) struct Interner {
    ids: AHashMap<Arc<str>, u32>,
    names: Vec<Arc<str>>,
}

impl Interner {
    pub(crate) fn intern(&mut self, name: &Arc<str>) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.clone());
        self.ids.insert(name.clone(), id);
        id
    }

    pub(crate) fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    pub(crate) fn name(&self, id: u32) -> Option<&Arc<str>> {
        self.names.get(id as usize)
    }
}

/// A lowered rule list for one direction.
#[derive(Clone, Debug, Default)]
pub(crate) enum Lowered {
    /// The owner does not take part in the direction.
    #[default]
    NotNeeded,
    /// Lowered: the rules and the (acquired) sets they refer to.
    Ok {
        rules: Vec<IrRule>,
        sets: Vec<SetIdx>,
    },
    /// Some rules could not be lowered; `errors` errors are recorded under this owner and
    /// direction.
    Failed { errors: u32 },
}

impl Lowered {
    pub(crate) fn rules(&self) -> Option<&[IrRule]> {
        match self {
            Lowered::NotNeeded => Some(&[]),
            Lowered::Ok { rules, .. } => Some(rules),
            Lowered::Failed { .. } => None,
        }
    }

    pub(crate) fn sets(&self) -> &[SetIdx] {
        match self {
            Lowered::Ok { sets, .. } => sets,
            _ => &[],
        }
    }
}

/// Index of a direction in per-direction arrays.
pub(crate) fn dir_index(d: Direction) -> usize {
    match d {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

/// The two directions, in array order.
pub(crate) const DIRECTIONS: [Direction; 2] = [Direction::Ingress, Direction::Egress];

/// A compiled policy.
#[derive(Clone, Debug)]
pub(crate) struct PolicyState {
    pub(crate) idx: PolicyIdx,
    pub(crate) policy: palisade_policy_model::model::Policy,
    pub(crate) tier: u32,
    /// `order`, with nil as +infinity.
    pub(crate) order: f64,
    /// The order tie-break string (DECISIONS D1).
    pub(crate) tie: String,
    pub(crate) selector: SelectorId,
    pub(crate) lowered: [Lowered; 2],
}

/// A compiled profile.
#[derive(Clone, Debug)]
pub(crate) struct ProfileState {
    pub(crate) profile: Profile,
    pub(crate) lowered: [Lowered; 2],
}

/// What the compiler remembers of an entity (its effective labels live in the index).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EntityRecord {
    pub(crate) profiles: Vec<Arc<str>>,
    pub(crate) addrs: EntityAddrs,
}

/// Who owns a rule list.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum OwnerKey {
    Policy(PolicyId),
    Profile(Arc<str>),
}

/// Where an error is filed, so that updates can replace it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum ErrorKey {
    /// The `n`th error of an owner's rule list for a direction.
    Rule(OwnerKey, Direction, u32),
    /// A program over the rule limit.
    Program(ProgramTarget),
    /// A set over the member limit.
    Set(IpSetId),
    /// Too many sets.
    TotalSets,
}
