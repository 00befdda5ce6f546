//! The normalised model: every resource kind converted into Calico's model as Felix sees it.

mod types;

pub use types::*;
