//! Calico Tier.

use serde::{Deserialize, Serialize};

use super::policy::calico_object;
use crate::meta::ObjectMeta;
use crate::values::TierAction;

/// Spec of a Tier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "TierSpec")]
pub struct TierSpec {
    /// Order (lower first; `None` = last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<f64>,
    /// End-of-tier action; `None` means `Deny` (CRD default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_action: Option<TierAction>,
}

calico_object!(
    /// `projectcalico.org/v3` Tier.
    Tier,
    TierSpec
);
