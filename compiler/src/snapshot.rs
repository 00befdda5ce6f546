//! [`Snapshot`]: a compiled cluster — one program per endpoint hook plus the IP sets they refer
//! to. This is what backends load and what engines evaluate.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ir::{IpSets, Program, ProgramTarget};

/// A compiled cluster. Identical programs are shared (`Arc`), so many endpoints with the same
/// applicable policies cost one program.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Programs by attachment point.
    pub programs: BTreeMap<ProgramTarget, Arc<Program>>,
    /// Every IP set any program refers to.
    pub sets: IpSets,
}

impl Snapshot {
    /// The program at `target`.
    pub fn program(&self, target: &ProgramTarget) -> Option<&Arc<Program>> {
        self.programs.get(target)
    }
}
