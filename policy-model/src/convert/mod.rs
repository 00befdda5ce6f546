//! Conversion of typed resources into model [`Item`]s (SEMANTICS §2.6–§2.8, §5; DECISIONS D4–D5).
//!
//! [`convert`] is a pure function of one resource: everything that depends on other resources
//! (implicit profiles, tiers named by policies, service endpoints derived from pods) is done by
//! the [`Model`](crate::model::Model) store.

use crate::Resource;
use crate::model::{Item, Note, ResourceKey, Severity};

/// What converting one resource produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Converted {
    /// The items.
    pub items: Vec<Item>,
    /// Notes (conversion errors for parts that were dropped or replaced, warnings, information).
    pub notes: Vec<Note>,
}

/// Converts one resource into model items. Never panics; what cannot be converted is reported
/// in [`Converted::notes`].
pub fn convert(resource: &Resource) -> Converted {
    let source = ResourceKey::of(resource);
    Converted {
        items: Vec::new(),
        notes: vec![Note {
            source,
            severity: Severity::Error,
            path: None,
            message: "conversion of this kind is not available yet".to_owned(),
        }],
    }
}
