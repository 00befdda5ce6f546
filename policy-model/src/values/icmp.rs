//! ICMP type/code matches.

use serde::{Deserialize, Serialize};

/// An `icmp`/`notICMP` match: type 0–254 and an optional code 0–255 (code needs a type).
///
/// Numbers outside 0–255 fail to decode; type 255 and a code without a type are reported by
/// validation (SEMANTICS §4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "IcmpMatch")]
pub struct IcmpMatch {
    /// ICMP type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub icmp_type: Option<u8>,
    /// ICMP code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u8>,
}
