//! Calico policy rules (`policy_common.go`): match fields of SEMANTICS §2.9, `http` and the
//! `domains` extension.

use std::collections::BTreeMap;

use ipnet::IpNet;
use palisade_selector::Selector;
use serde::{Deserialize, Serialize};

use crate::values::nets::deserialize_cidrs;
use crate::values::{Action, IcmpMatch, IpVersion, Port, Protocol};

/// One rule of a policy or profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "Rule")]
pub struct Rule {
    /// What to do when the rule matches.
    pub action: Action,
    /// Restrict the rule to one IP family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_version: Option<IpVersion>,
    /// Protocol match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Protocol>,
    /// Negated protocol match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_protocol: Option<Protocol>,
    /// ICMP type/code match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icmp: Option<IcmpMatch>,
    /// Negated ICMP type/code match.
    #[serde(rename = "notICMP", default, skip_serializing_if = "Option::is_none")]
    pub not_icmp: Option<IcmpMatch>,
    /// Source match.
    #[serde(default, skip_serializing_if = "EntityRule::is_empty")]
    pub source: EntityRule,
    /// Destination match.
    #[serde(default, skip_serializing_if = "EntityRule::is_empty")]
    pub destination: EntityRule,
    /// Application-layer (HTTP) match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpMatch>,
    /// Rule annotations (no effect on matching).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<RuleMetadata>,
}

impl Rule {
    /// A rule with just an action.
    pub fn new(action: Action) -> Self {
        Self {
            action,
            ip_version: None,
            protocol: None,
            not_protocol: None,
            icmp: None,
            not_icmp: None,
            source: EntityRule::default(),
            destination: EntityRule::default(),
            http: None,
            metadata: None,
        }
    }
}

/// `source` / `destination` of a rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "EntityRule")]
pub struct EntityRule {
    /// Address must be in one of these.
    #[serde(
        default,
        deserialize_with = "deserialize_cidrs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub nets: Vec<IpNet>,
    /// Address must be in none of these.
    #[serde(
        default,
        deserialize_with = "deserialize_cidrs",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub not_nets: Vec<IpNet>,
    /// Endpoints/network sets matching this selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<Selector>,
    /// Not endpoints matching this selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_selector: Option<Selector>,
    /// Namespaces whose endpoints are matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<Selector>,
    /// Port must be one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Port>,
    /// Port must be none of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_ports: Vec<Port>,
    /// Service-account match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_accounts: Option<ServiceAccountMatch>,
    /// Kubernetes Service match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<ServiceMatch>,
    /// Domain names (Palisade extension, egress Allow destinations only; SEMANTICS §0).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
}

impl EntityRule {
    /// True if no field is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// `serviceAccounts: {names, selector}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "ServiceAccountMatch")]
pub struct ServiceAccountMatch {
    /// Service account names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Selector over service-account labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<Selector>,
}

/// `services: {name, namespace}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "ServiceMatch")]
pub struct ServiceMatch {
    /// Service name (required; validation reports it missing).
    #[serde(default)]
    pub name: String,
    /// Service namespace (required in global policies).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
}

/// `http: {methods, paths}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "HttpMatch")]
pub struct HttpMatch {
    /// HTTP methods (OR-ed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<String>,
    /// Path matches (OR-ed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<HttpPathMatch>,
}

/// One `http.paths` entry: exactly one of `exact`/`prefix` (validation checks).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "HttpPathMatch")]
pub struct HttpPathMatch {
    /// Exact path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact: Option<String>,
    /// Path prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// Rule `metadata`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "RuleMetadata")]
pub struct RuleMetadata {
    /// Annotations (rendered as comments, no effect on matching).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}
