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
    /// Programs by attachment point. Serialised as a list of `{"target", "program"}` entries
    /// (JSON map keys must be strings).
    #[serde(with = "programs_as_list")]
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

mod programs_as_list {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::ir::{Program, ProgramTarget};

    #[derive(Serialize)]
    struct EntryRef<'a> {
        target: &'a ProgramTarget,
        program: &'a Program,
    }

    #[derive(Deserialize)]
    struct Entry {
        target: ProgramTarget,
        program: Program,
    }

    pub(super) fn serialize<S: Serializer>(
        programs: &BTreeMap<ProgramTarget, Arc<Program>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            programs
                .iter()
                .map(|(target, program)| EntryRef { target, program }),
        )
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeMap<ProgramTarget, Arc<Program>>, D::Error> {
        let entries = Vec::<Entry>::deserialize(deserializer)?;
        Ok(entries
            .into_iter()
            .map(|e| (e.target, Arc::new(e.program)))
            .collect())
    }
}
