//! Built-in and implicit items: the well-known tiers, Calico's `projectcalico-default-allow`
//! profile, and the `kns.`/`ksa.` profiles of namespaces and service accounts (SEMANTICS §2.7,
//! DECISIONS D5). The conversion of Namespace and ServiceAccount objects uses the same
//! constructors, so an implicit profile is exactly what an object without labels would give.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::types::{Entity, Profile, ProfileSource, Rule, Tier};
use crate::values::{Action, TierAction};

/// Names of the well-known tiers, created when absent (SEMANTICS §2.2).
pub const BUILTIN_TIERS: [&str; 3] = ["kube-admin", "default", "kube-baseline"];

/// The profile Calico ships for host endpoints that should allow everything.
pub const DEFAULT_ALLOW_PROFILE: &str = "projectcalico-default-allow";

/// The label every Calico namespace profile carries with the namespace name.
pub const NAMESPACE_NAME_LABEL: &str = "projectcalico.org/name";

/// The label the API server puts on every namespace (DECISIONS D5).
pub const KUBERNETES_NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A well-known tier with its fixed order and default action.
pub fn builtin_tier(name: &str) -> Option<Tier> {
    let (order, default_action) = match name {
        "kube-admin" => (1_000.0, TierAction::Pass),
        "default" => (1_000_000.0, TierAction::Deny),
        "kube-baseline" => (10_000_000.0, TierAction::Pass),
        _ => return None,
    };
    Some(Tier {
        name: Arc::from(name),
        order: Some(order),
        default_action,
        declared: true,
    })
}

/// A rule that allows everything (`source_index` 0).
pub fn allow_all_rule() -> Rule {
    Rule {
        action: Action::Allow,
        ip_version: None,
        protocol: None,
        not_protocol: None,
        icmp: None,
        not_icmp: None,
        source: Entity::default(),
        destination: Entity::default(),
        http: None,
        source_index: 0,
    }
}

/// `projectcalico-default-allow`.
pub fn builtin_profile(name: &str) -> Option<Profile> {
    (name == DEFAULT_ALLOW_PROFILE).then(|| Profile {
        name: Arc::from(name),
        source: ProfileSource::BuiltIn,
        labels_to_apply: BTreeMap::new(),
        ingress: vec![allow_all_rule()],
        egress: vec![allow_all_rule()],
    })
}

/// The `kns.<namespace>` profile for a namespace with `labels`: its labels prefixed `pcns.`, plus
/// `pcns.projectcalico.org/name` and (when absent) `pcns.kubernetes.io/metadata.name`, and one
/// Allow rule per direction (`conversion.go:NamespaceToProfile`).
pub fn namespace_profile(
    namespace: &str,
    labels: &BTreeMap<String, String>,
    source: ProfileSource,
) -> Profile {
    let mut labels_to_apply: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (format!("pcns.{k}"), v.clone()))
        .collect();
    labels_to_apply
        .entry(format!("pcns.{KUBERNETES_NAMESPACE_NAME_LABEL}"))
        .or_insert_with(|| namespace.to_owned());
    labels_to_apply.insert(format!("pcns.{NAMESPACE_NAME_LABEL}"), namespace.to_owned());
    Profile {
        name: Arc::from(format!("kns.{namespace}")),
        source,
        labels_to_apply,
        ingress: vec![allow_all_rule()],
        egress: vec![allow_all_rule()],
    }
}

/// The `ksa.<namespace>.<serviceaccount>` profile: the account's labels prefixed `pcsa.`, plus
/// `pcsa.projectcalico.org/name`; no rules (`conversion.go:ServiceAccountToProfile`).
pub fn service_account_profile(
    namespace: &str,
    service_account: &str,
    labels: &BTreeMap<String, String>,
    source: ProfileSource,
) -> Profile {
    let mut labels_to_apply: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (format!("pcsa.{k}"), v.clone()))
        .collect();
    labels_to_apply.insert(
        format!("pcsa.{NAMESPACE_NAME_LABEL}"),
        service_account.to_owned(),
    );
    Profile {
        name: Arc::from(format!("ksa.{namespace}.{service_account}")),
        source,
        labels_to_apply,
        ingress: Vec::new(),
        egress: Vec::new(),
    }
}

/// The implicit profile for a referenced but unloaded `kns.<ns>` or `ksa.<ns>.<sa>` name.
/// Namespace names cannot contain dots, so the service account starts after the first dot.
pub fn implicit_profile(name: &str) -> Option<Profile> {
    if let Some(ns) = name.strip_prefix("kns.") {
        return (!ns.is_empty())
            .then(|| namespace_profile(ns, &BTreeMap::new(), ProfileSource::Implicit));
    }
    let rest = name.strip_prefix("ksa.")?;
    let (ns, sa) = rest.split_once('.')?;
    (!ns.is_empty() && !sa.is_empty())
        .then(|| service_account_profile(ns, sa, &BTreeMap::new(), ProfileSource::Implicit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_profile_labels_follow_calico() {
        let labels = BTreeMap::from([("team".to_owned(), "a".to_owned())]);
        let p = namespace_profile("prod", &labels, ProfileSource::Namespace);
        assert_eq!(&*p.name, "kns.prod");
        assert_eq!(
            p.labels_to_apply.get("pcns.team").map(String::as_str),
            Some("a")
        );
        assert_eq!(
            p.labels_to_apply
                .get("pcns.projectcalico.org/name")
                .map(String::as_str),
            Some("prod")
        );
        assert_eq!(
            p.labels_to_apply
                .get("pcns.kubernetes.io/metadata.name")
                .map(String::as_str),
            Some("prod")
        );
        assert_eq!(p.ingress.len(), 1);
        assert_eq!(p.egress.len(), 1);
    }

    #[test]
    fn implicit_service_account_profile_splits_at_the_first_dot() {
        let p = implicit_profile("ksa.ns1.sa.with.dots").expect("valid name");
        assert_eq!(
            p.labels_to_apply
                .get("pcsa.projectcalico.org/name")
                .map(String::as_str),
            Some("sa.with.dots")
        );
        assert!(p.ingress.is_empty() && p.egress.is_empty());
        assert!(implicit_profile("other").is_none());
    }
}
