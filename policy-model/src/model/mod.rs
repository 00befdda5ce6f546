//! The normalised model: every resource kind converted into Calico's model as Felix sees it
//! (SEMANTICS §2.6–§2.8, §5), held in a keyed store that takes resource changes.

mod implicit;
mod item;
mod services;
mod store;
mod types;

pub use implicit::{
    BUILTIN_TIERS, DEFAULT_ALLOW_PROFILE, KUBERNETES_NAMESPACE_NAME_LABEL, NAMESPACE_NAME_LABEL,
    allow_all_rule, builtin_profile, builtin_tier, implicit_profile, namespace_profile,
    service_account_profile,
};
pub use item::{
    Item, ItemKey, Note, ResourceKey, ServicePortSpec, ServiceSlice, ServiceSpec, Severity,
};
pub use services::derive_service_endpoints;
pub use store::{Change, Model, policy_order, tier_order};
pub use types::*;
