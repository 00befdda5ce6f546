//! [`Delta`]: exactly what one incremental update changed.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::ir::{IpSet, IpSetId, IpSetMembers, Program, ProgramTarget};

use super::error::CompileError;

/// How a program changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProgramChange {
    /// A new attachment point.
    Added(Arc<Program>),
    /// The program at an existing attachment point is different.
    Replaced(Arc<Program>),
    /// The attachment point has no program any more (endpoint gone, or its program cannot be
    /// compiled — see the errors).
    Removed,
}

/// How an IP set changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetChange {
    /// A set that programs now refer to.
    Added(Arc<IpSet>),
    /// No program refers to the set any more.
    Removed,
    /// Members added and removed.
    Members {
        /// New members.
        added: IpSetMembers,
        /// Members that left.
        removed: IpSetMembers,
    },
}

/// What an update changed: programs by attachment point, sets by ID, and errors. Computed by
/// comparing the state before and after, so it is exact: a program rebuilt to the same rules is
/// not reported.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delta {
    /// Changed programs.
    pub programs: BTreeMap<ProgramTarget, ProgramChange>,
    /// Changed sets.
    pub sets: BTreeMap<IpSetId, SetChange>,
    /// Errors that appeared.
    pub errors_added: Vec<CompileError>,
    /// Errors that went away.
    pub errors_cleared: Vec<CompileError>,
}

impl Delta {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.programs.is_empty()
            && self.sets.is_empty()
            && self.errors_added.is_empty()
            && self.errors_cleared.is_empty()
    }
}
