//! The endpoint and label index: workload endpoints, host endpoints and network sets with their
//! effective (own + inherited) labels, and which registered selectors match which of them
//! (issue item 1). Used by the compiler for policy selectors and for rule-selector IP sets.

mod entity;
mod labels;
mod slab;

pub use entity::{EntityKey, effective_labels};
pub use labels::{EntityId, LabelIndex, MatchChange, SelectorId};
pub(crate) use slab::Slab;
