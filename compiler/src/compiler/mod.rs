//! The [`Compiler`]: model → one [`Program`](crate::ir::Program) per endpoint hook plus the IP
//! sets they refer to, kept up to date incrementally (issue items 3, 5 and 6).
//!
//! ```text
//!  Change ──► Model::apply ──► touched item keys ──► Compiler::update
//!     profiles, policies: lowered once, endpoint-independent (sets by stable ID)
//!     entities: effective labels ──► LabelIndex ──► selector matches ──► set members
//!     endpoints: resolution (applicable tiers/policies/profiles per hook) ──► layout
//!     layouts: one program per distinct layout, shared by every endpoint hook that has it
//!  ──► Snapshot (programs + referenced sets) and a Delta of exactly what changed
//! ```
//!
//! The result depends only on the current model, never on the order of past changes: a full
//! compile is the same update applied to every item at once.

mod delta;
mod dns;
mod error;
mod layouts;
mod options;
mod sets;
mod state;
mod update;

use ahash::{AHashMap, AHashSet};
use palisade_policy_model::model::{Change, EndpointKey, FelixSettings, ItemKey, Model, PolicyId};
use palisade_policy_model::values::TierAction;
use smallvec::SmallVec;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub use delta::{Delta, ProgramChange, SetChange};
pub use dns::{DnsCache, domain_matches, normalise_domain};
pub use error::{CompileError, CompileErrors};
pub use options::{CompileOptions, HttpMode, Limits};

use crate::index::{EntityId, EntityKey, LabelIndex, SelectorId};
use crate::ir::Hook;
use crate::snapshot::Snapshot;
use layouts::{LayoutId, Layouts, PolicyIdx, ProfileIdx, TierIdx};
use sets::{EntityAddrs, SetRegistry};
use state::{EntityRecord, ErrorKey, Interner, Lowered, PolicyState, ProfileState};

/// Compiles `model` once. Clones the model; use [`Compiler`] to keep compiling as it changes.
pub fn compile(model: &Model, options: &CompileOptions) -> Result<Snapshot, CompileErrors> {
    let compiler = Compiler::new(model.clone(), options.clone());
    compiler.check()?;
    Ok(compiler.snapshot)
}

/// Counts describing a compiled state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CompileStats {
    /// Endpoint hooks with a program.
    pub programs: usize,
    /// Distinct programs (layouts) behind them.
    pub unique_programs: usize,
    /// Rules over all distinct programs.
    pub unique_rules: usize,
    /// IP sets in the snapshot.
    pub sets: usize,
    /// Members over all sets in the snapshot.
    pub set_members: usize,
    /// Selectors in the label index.
    pub selectors: usize,
    /// Entities in the label index.
    pub entities: usize,
}

/// The failsafe rule lists, lowered per use (DECISIONS D6).
#[derive(Clone, Debug, Default)]
struct Failsafes {
    settings: Option<FelixSettings>,
    /// Inbound list as `Allow` (host ingress) and as `NoVerdict` (untracked, pre-DNAT).
    inbound_allow: Lowered,
    inbound_skip: Lowered,
    /// Outbound list as `Allow` (host egress) and as `NoVerdict` (untracked egress).
    outbound_allow: Lowered,
    outbound_skip: Lowered,
}

/// A compiler that owns the model and keeps a [`Snapshot`] of it up to date (see the module
/// docs).
#[derive(Clone, Debug)]
pub struct Compiler {
    model: Model,
    options: CompileOptions,
    index: LabelIndex,
    tier_names: Interner,
    /// Tier → (rank in tier order, default action).
    tier_info: AHashMap<TierIdx, (usize, TierAction)>,
    policy_ids: AHashMap<PolicyId, PolicyIdx>,
    policies: AHashMap<PolicyIdx, PolicyState>,
    next_policy: PolicyIdx,
    /// Which policies use a selector as their policy selector.
    policy_selectors: AHashMap<SelectorId, SmallVec<[PolicyIdx; 2]>>,
    profile_names: Interner,
    profiles: AHashMap<ProfileIdx, ProfileState>,
    /// Labels each profile applies (for label inheritance).
    profile_labels: AHashMap<ProfileIdx, std::collections::BTreeMap<String, String>>,
    /// Entities that list a profile (for label inheritance).
    profile_users: AHashMap<ProfileIdx, AHashSet<EntityKey>>,
    records: AHashMap<EntityKey, EntityRecord>,
    entity_addrs: AHashMap<EntityId, EntityAddrs>,
    endpoint_layouts: AHashMap<EndpointKey, SmallVec<[(Hook, LayoutId); 2]>>,
    /// Layout keys per hook by (host endpoint?, candidate policies, profiles): endpoints with
    /// the same candidates resolve the same way. Cleared when tiers or how a policy resolves
    /// change.
    resolutions: AHashMap<ResolutionKey, Arc<[Arc<layouts::LayoutKey>]>>,
    failsafes: Failsafes,
    sets: SetRegistry,
    layouts: Layouts,
    snapshot: Snapshot,
    errors: BTreeMap<ErrorKey, CompileError>,
}

/// What decides how an endpoint resolves: (host endpoint?, candidate policies, profiles).
type ResolutionKey = (bool, Box<[PolicyIdx]>, Box<[ProfileIdx]>);

impl Compiler {
    /// Compiles `model` with `options`. Problems are recorded, not fatal: see
    /// [`Compiler::errors`] and [`Compiler::check`].
    pub fn new(model: Model, options: CompileOptions) -> Compiler {
        let mut compiler = Compiler {
            model,
            options,
            index: LabelIndex::new(),
            tier_names: Interner::default(),
            tier_info: AHashMap::new(),
            policy_ids: AHashMap::new(),
            policies: AHashMap::new(),
            next_policy: 0,
            policy_selectors: AHashMap::new(),
            profile_names: Interner::default(),
            profiles: AHashMap::new(),
            profile_labels: AHashMap::new(),
            profile_users: AHashMap::new(),
            records: AHashMap::new(),
            entity_addrs: AHashMap::new(),
            endpoint_layouts: AHashMap::new(),
            resolutions: AHashMap::new(),
            failsafes: Failsafes::default(),
            sets: SetRegistry::default(),
            layouts: Layouts::default(),
            snapshot: Snapshot::default(),
            errors: BTreeMap::new(),
        };
        let keys = all_keys(&compiler.model);
        compiler.update_all(&keys);
        compiler
    }

    /// Applies one resource change to the model and returns exactly what changed.
    pub fn apply(&mut self, change: &Change) -> Delta {
        let touched = self.model.apply(change);
        self.update(&touched)
    }

    /// Edits the model with `edit` (which returns the touched item keys, as every [`Model`]
    /// mutator does) and returns exactly what changed.
    pub fn edit(&mut self, edit: impl FnOnce(&mut Model) -> BTreeSet<ItemKey>) -> Delta {
        let touched = edit(&mut self.model);
        self.update(&touched)
    }

    /// Replaces the DNS answers `domains` rules resolve to.
    pub fn set_dns(&mut self, dns: DnsCache) -> Delta {
        self.options.dns = dns;
        self.sets.dns_changed(&self.model, &self.options.dns);
        self.update(&BTreeSet::new())
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The options.
    pub fn options(&self) -> &CompileOptions {
        &self.options
    }

    /// The current snapshot. Programs that cannot be compiled (see [`Compiler::errors`]) are
    /// absent from it.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// Gives up the compiler, keeping its snapshot.
    pub fn into_snapshot(self) -> Snapshot {
        self.snapshot
    }

    /// Every current error, in a stable order.
    pub fn errors(&self) -> impl Iterator<Item = &CompileError> {
        self.errors.values()
    }

    /// `Ok` when there is no error.
    pub fn check(&self) -> Result<(), CompileErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(CompileErrors(self.errors.values().cloned().collect()))
        }
    }

    /// The label index (read-only).
    pub fn index(&self) -> &LabelIndex {
        &self.index
    }

    /// Counts describing the compiled state.
    pub fn stats(&self) -> CompileStats {
        let mut stats = CompileStats {
            programs: self.snapshot.programs.len(),
            sets: self.snapshot.sets.len(),
            selectors: self.index.selector_count(),
            entities: self.index.entity_count(),
            ..CompileStats::default()
        };
        for (_, layout) in self.layouts.iter() {
            if let Some(p) = &layout.program {
                stats.unique_programs += 1;
                stats.unique_rules += p.len();
            }
        }
        stats.set_members = self.snapshot.sets.iter().map(|s| s.members().len()).sum();
        stats
    }
}

/// Every item key of a model (what a full compile touches).
fn all_keys(model: &Model) -> BTreeSet<ItemKey> {
    let mut keys = BTreeSet::new();
    keys.insert(ItemKey::Felix);
    keys.extend(model.tiers().into_iter().map(|t| ItemKey::Tier(t.name)));
    keys.extend(model.policies().map(|p| ItemKey::Policy(p.id.clone())));
    keys.extend(
        model
            .profiles()
            .into_iter()
            .map(|p| ItemKey::Profile(p.name)),
    );
    keys.extend(model.workloads().map(|w| ItemKey::Endpoint(w.key.clone())));
    keys.extend(
        model
            .host_endpoints()
            .map(|h| ItemKey::Endpoint(h.key.clone())),
    );
    keys.extend(
        model
            .network_sets()
            .map(|n| ItemKey::NetworkSet(n.namespace.clone(), n.name.clone())),
    );
    keys.extend(model.services().map(|s| ItemKey::Service(s.key.clone())));
    keys
}
