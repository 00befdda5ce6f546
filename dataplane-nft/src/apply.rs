//! Applying rulesets to the kernel: atomically, incrementally when possible, reconciled against
//! what the kernel holds.
//!
//! The [`Applier`] remembers the last ruleset it committed and the ruleset generation right
//! after that commit. The next [`Applier::apply`] sends only the difference (new objects, element
//! deltas, rewritten chains, deletions) in one batch that carries that generation: the kernel
//! refuses it, applying nothing, if anything in nftables changed in between. The applier then
//! replaces its table in one batch (create-if-missing, delete, declare anew). A fresh applier —
//! e.g. after a restart — always starts with such a replace. Only the applier's own table is ever
//! touched.

use crate::error::{ApplyError, NetlinkError};
use crate::kernel::{Commit, Kernel};
use crate::netlink::{UpdateStats, plan_changed, plan_remove, plan_replace, plan_update};
use crate::ruleset::Ruleset;

/// How an apply reached the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplyMode {
    /// The table was replaced as a whole.
    Replace,
    /// Only the difference was sent.
    Update,
    /// Nothing differed and nothing else changed in nftables; no batch was sent.
    Unchanged,
}

/// Why an apply replaced the table instead of updating it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplaceReason {
    /// Nothing was applied by this applier yet (first apply, or a restarted process).
    FirstApply,
    /// The nftables generation changed since the last commit (someone else changed nftables).
    GenerationChanged,
    /// The difference cannot be expressed in place (a set or base chain was redefined, or the
    /// table name changed).
    NotIncremental,
    /// The caller asked for a replace.
    Requested,
}

/// What one apply did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyReport {
    /// How it was applied.
    pub mode: ApplyMode,
    /// Why the table was replaced (for [`ApplyMode::Replace`]).
    pub reason: Option<ReplaceReason>,
    /// The batch that was committed, if any.
    pub commit: Option<Commit>,
    /// For updates, what changed.
    pub stats: UpdateStats,
}

#[derive(Debug)]
struct Applied {
    ruleset: Ruleset,
    generation: u32,
}

/// Applies rulesets to one table in the calling thread's network namespace.
#[derive(Debug)]
pub struct Applier {
    kernel: Kernel,
    state: Option<Applied>,
}

impl Applier {
    /// An applier that has not applied anything yet.
    pub fn new(kernel: Kernel) -> Applier {
        Applier {
            kernel,
            state: None,
        }
    }

    /// Opens a netlink connection in the calling thread's network namespace.
    pub fn open() -> Result<Applier, NetlinkError> {
        Ok(Applier::new(Kernel::open()?))
    }

    /// The ruleset last committed by this applier.
    pub fn applied(&self) -> Option<&Ruleset> {
        self.state.as_ref().map(|s| &s.ruleset)
    }

    /// The underlying kernel connection (to read counters, the generation, ...).
    pub fn kernel(&mut self) -> &mut Kernel {
        &mut self.kernel
    }

    /// Makes the kernel hold `ruleset`: in place when this applier committed the previous
    /// version and nothing else changed since, otherwise by an atomic replace of the table.
    /// On error nothing of this call was applied.
    pub fn apply(&mut self, ruleset: &Ruleset) -> Result<ApplyReport, ApplyError> {
        let Some(state) = &self.state else {
            ruleset.validate()?;
            return self.replace_with(ruleset, ReplaceReason::FirstApply);
        };
        // The applied ruleset was validated before it was committed: when only the content of
        // some sets and chains changed, only those need checking, diffing and keeping.
        let changed = ruleset.changed_from(&state.ruleset);
        match &changed {
            Some(changed) => ruleset.validate_changed(changed)?,
            None => ruleset.validate()?,
        }
        let (plan, stats) = match &changed {
            Some(changed) => plan_changed(&state.ruleset, ruleset, changed),
            None => match plan_update(&state.ruleset, ruleset) {
                Some(update) => update,
                None => return self.replace_with(ruleset, ReplaceReason::NotIncremental),
            },
        };
        let expected = state.generation;
        if plan.ops.is_empty() {
            if self.kernel.generation()? == expected {
                return Ok(ApplyReport {
                    mode: ApplyMode::Unchanged,
                    reason: None,
                    commit: None,
                    stats,
                });
            }
            return self.replace_with(ruleset, ReplaceReason::GenerationChanged);
        }
        match self.kernel.commit(&plan, Some(expected)) {
            Ok(commit) => {
                match (&mut self.state, &changed) {
                    (Some(state), Some(changed)) => {
                        state.ruleset.copy_changed(ruleset, changed);
                        state.generation = commit.generation;
                    }
                    (state, _) => {
                        *state = Some(Applied {
                            ruleset: ruleset.clone(),
                            generation: commit.generation,
                        });
                    }
                }
                Ok(ApplyReport {
                    mode: ApplyMode::Update,
                    reason: None,
                    commit: Some(commit),
                    stats,
                })
            }
            Err(NetlinkError::GenerationChanged { .. }) => {
                self.replace_with(ruleset, ReplaceReason::GenerationChanged)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces the table with `ruleset` in one batch, whatever the kernel holds.
    pub fn replace(&mut self, ruleset: &Ruleset) -> Result<ApplyReport, ApplyError> {
        ruleset.validate()?;
        self.replace_with(ruleset, ReplaceReason::Requested)
    }

    fn replace_with(
        &mut self,
        ruleset: &Ruleset,
        reason: ReplaceReason,
    ) -> Result<ApplyReport, ApplyError> {
        let commit = self.kernel.commit(&plan_replace(ruleset), None)?;
        self.state = Some(Applied {
            ruleset: ruleset.clone(),
            generation: commit.generation,
        });
        Ok(ApplyReport {
            mode: ApplyMode::Replace,
            reason: Some(reason),
            commit: Some(commit),
            stats: UpdateStats::default(),
        })
    }

    /// Removes table `inet <table>` (nothing happens when it does not exist) and forgets what
    /// was applied.
    pub fn remove(&mut self, table: &str) -> Result<Commit, ApplyError> {
        let commit = self.kernel.commit(&plan_remove(table), None)?;
        self.state = None;
        Ok(commit)
    }
}
