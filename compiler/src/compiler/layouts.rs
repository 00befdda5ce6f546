//! Layouts: the resolved shape of a program (hook, tiers with their end actions and policies,
//! profiles). Every endpoint hook with the same layout shares one program, built once.

use std::sync::Arc;

use ahash::{AHashMap, AHashSet};
use palisade_policy_model::model::EndpointKey;
use palisade_policy_model::values::TierAction;

use super::sets::SetIdx;
use crate::index::Slab;
use crate::ir::{Hook, Program};

/// A policy's compiler-wide index (never reused).
pub(crate) type PolicyIdx = u64;
/// An interned tier name.
pub(crate) type TierIdx = u32;
/// An interned profile name.
pub(crate) type ProfileIdx = u32;
/// A layout's slot.
pub(crate) type LayoutId = u32;

/// One tier of a layout.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct LayoutTier {
    pub(crate) tier: TierIdx,
    pub(crate) end: TierAction,
    pub(crate) policies: Vec<PolicyIdx>,
}

/// The identity of a layout.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct LayoutKey {
    pub(crate) hook: Hook,
    pub(crate) tiers: Vec<LayoutTier>,
    pub(crate) profiles: Vec<ProfileIdx>,
}

/// A layout with its users and program.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub(crate) key: Arc<LayoutKey>,
    pub(crate) users: AHashSet<EndpointKey>,
    /// `None` when a rule list it needs could not be lowered.
    pub(crate) program: Option<Arc<Program>>,
    /// The sets `program` refers to, each once.
    pub(crate) sets: Vec<SetIdx>,
}

/// Every live layout, with reverse maps from the policies and profiles they contain.
#[derive(Clone, Debug, Default)]
pub(crate) struct Layouts {
    slab: Slab<Layout>,
    by_key: AHashMap<Arc<LayoutKey>, LayoutId>,
    by_policy: AHashMap<PolicyIdx, AHashSet<LayoutId>>,
    by_profile: AHashMap<ProfileIdx, AHashSet<LayoutId>>,
}

impl Layouts {
    pub(crate) fn get(&self, id: LayoutId) -> Option<&Layout> {
        self.slab.get(id)
    }

    pub(crate) fn get_mut(&mut self, id: LayoutId) -> Option<&mut Layout> {
        self.slab.get_mut(id)
    }

    pub(crate) fn find(&self, key: &LayoutKey) -> Option<LayoutId> {
        self.by_key.get(key).copied()
    }

    /// Adds a layout (its program already built).
    pub(crate) fn insert(&mut self, layout: Layout) -> LayoutId {
        let key = layout.key.clone();
        let id = self.slab.insert(layout);
        for t in &key.tiers {
            for &p in &t.policies {
                self.by_policy.entry(p).or_default().insert(id);
            }
        }
        for &p in &key.profiles {
            self.by_profile.entry(p).or_default().insert(id);
        }
        self.by_key.insert(key, id);
        id
    }

    /// Removes a layout.
    pub(crate) fn remove(&mut self, id: LayoutId) -> Option<Layout> {
        let layout = self.slab.remove(id)?;
        self.by_key.remove(&layout.key);
        for t in &layout.key.tiers {
            for p in &t.policies {
                if let Some(set) = self.by_policy.get_mut(p) {
                    set.remove(&id);
                    if set.is_empty() {
                        self.by_policy.remove(p);
                    }
                }
            }
        }
        for p in &layout.key.profiles {
            if let Some(set) = self.by_profile.get_mut(p) {
                set.remove(&id);
                if set.is_empty() {
                    self.by_profile.remove(p);
                }
            }
        }
        Some(layout)
    }

    /// The layouts containing a policy.
    pub(crate) fn with_policy(&self, p: PolicyIdx) -> impl Iterator<Item = LayoutId> + '_ {
        self.by_policy.get(&p).into_iter().flatten().copied()
    }

    /// The layouts containing a profile.
    pub(crate) fn with_profile(&self, p: ProfileIdx) -> impl Iterator<Item = LayoutId> + '_ {
        self.by_profile.get(&p).into_iter().flatten().copied()
    }

    /// Every layout.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (LayoutId, &Layout)> {
        self.slab.iter()
    }
}
