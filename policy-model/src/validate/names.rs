//! Name formats (DNS labels and subdomains, Calico policy names, label keys and values, port
//! names, domain names) and the metadata checks every kind shares.

use std::collections::BTreeMap;

use super::{Check, Sink};
use crate::meta::ObjectMeta;
use crate::values::port::is_valid_kubernetes_port_name;
use crate::yaml::de::PathLink;

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?` (no length limit).
pub(crate) fn is_dns_label_chars(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// DNS-1123 label: ≤63 and [`is_dns_label_chars`].
pub(crate) fn is_dns_label(s: &str) -> bool {
    s.len() <= 63 && is_dns_label_chars(s)
}

/// DNS-1123 subdomain: ≤253, dot-separated labels.
pub(crate) fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label_chars)
}

/// Calico NetworkPolicy / StagedNetworkPolicy name: `^(L(\.L)?|(knp|ossg)\.default\.SUBDOMAIN)$`.
pub(crate) fn is_namespaced_policy_name(s: &str) -> bool {
    if s.len() > 253 {
        return false;
    }
    for prefix in ["knp.default.", "ossg.default."] {
        if let Some(rest) = s.strip_prefix(prefix)
            && is_dns_subdomain(rest)
        {
            return true;
        }
    }
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() <= 2 && parts.iter().all(|p| is_dns_label_chars(p))
}

/// Calico GlobalNetworkPolicy / StagedGlobalNetworkPolicy name: `^(L\.)?L$`.
pub(crate) fn is_global_policy_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    s.len() <= 253 && parts.len() <= 2 && parts.iter().all(|p| is_dns_label_chars(p))
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, ≤63 (label value when non-empty, name part of
/// a qualified name).
fn is_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

/// Kubernetes qualified name (label and annotation keys): `[prefix/]name`.
pub(crate) fn is_qualified_name(s: &str) -> bool {
    match s.split_once('/') {
        Some((prefix, name)) => {
            !prefix.is_empty() && is_dns_subdomain(prefix) && is_qualified_name_part(name)
        }
        None => is_qualified_name_part(s),
    }
}

/// Kubernetes label value: empty, or ≤63 of the qualified-name characters.
pub(crate) fn is_label_value(s: &str) -> bool {
    s.is_empty() || is_qualified_name_part(s)
}

/// Kubernetes port name (`IsValidPortName`).
pub(crate) fn is_port_name(s: &str) -> bool {
    is_valid_kubernetes_port_name(s)
}

/// A domain name for `domains`: dot-separated labels of `[A-Za-z0-9]([-A-Za-z0-9_]*[A-Za-z0-9])?`
/// (≤63 each, ≤253 in all, an optional trailing dot); a label may be `*` (one whole label).
pub(crate) fn is_domain_name(s: &str) -> bool {
    let body = s.strip_suffix('.').unwrap_or(s);
    !body.is_empty()
        && s.len() <= 253
        && body.split('.').all(|label| {
            let b = label.as_bytes();
            label == "*"
                || (!b.is_empty()
                    && b.len() <= 63
                    && b.iter()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
                    && b[0].is_ascii_alphanumeric()
                    && b[b.len() - 1].is_ascii_alphanumeric())
        })
}

/// The `DomainName` pattern of policy.networking.k8s.io (with its `A-z` quirk):
/// `^(\*\.)?([a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$`.
pub(crate) fn is_admin_domain_name(s: &str) -> bool {
    let first_ok = |c: u8| c.is_ascii_alphanumeric() || (b'['..=b'`').contains(&c);
    let label_ok = |label: &str| match label.as_bytes() {
        [] => false,
        [c] => first_ok(*c),
        [first, middle @ .., last] => {
            first_ok(*first)
                && middle
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'))
                && last.is_ascii_alphanumeric()
        }
    };
    let body = s.strip_prefix("*.").unwrap_or(s);
    let body = body.strip_suffix('.').unwrap_or(body);
    let labels: Vec<&str> = body.split('.').collect();
    labels.len() >= 2 && labels.iter().all(|l| label_ok(l))
}

/// Labels: valid keys and values.
pub(crate) fn check_labels(
    labels: &BTreeMap<String, String>,
    path: &PathLink<'_>,
    sink: &mut Sink,
) {
    for (key, value) in labels {
        let at = PathLink::Key(path, key);
        if !is_qualified_name(key) {
            sink.push(
                &at,
                Check::Label,
                format!(
                    "invalid label key `{key}`: expected an optional DNS subdomain prefix and `/`, \
                     then 1-63 characters of [A-Za-z0-9-_.] starting and ending alphanumeric"
                ),
            );
        }
        if !is_label_value(value) {
            sink.push(
                &at,
                Check::Label,
                format!(
                    "invalid label value {value:?}: expected at most 63 characters of \
                     [A-Za-z0-9-_.] starting and ending alphanumeric, or empty"
                ),
            );
        }
    }
}

/// Annotations: qualified-name keys, at most 256 KiB in all.
pub(crate) fn check_annotations(
    annotations: &BTreeMap<String, String>,
    path: &PathLink<'_>,
    sink: &mut Sink,
) {
    let mut total = 0usize;
    for (key, value) in annotations {
        total += key.len() + value.len();
        if !is_qualified_name(key) {
            sink.push(
                &PathLink::Key(path, key),
                Check::Annotation,
                format!(
                    "invalid annotation key `{key}`: expected a qualified name (optional DNS \
                     subdomain prefix and `/`, then 1-63 characters of [A-Za-z0-9-_.])"
                ),
            );
        }
    }
    if total > 256 * 1024 {
        sink.push(
            path,
            Check::Annotation,
            format!("annotations are {total} bytes, expected at most 262144 (256 KiB)"),
        );
    }
}

/// What a kind requires of its name.
#[derive(Clone, Copy)]
pub(crate) enum NameRule {
    /// Calico namespaced policy names.
    NamespacedPolicy,
    /// Calico global policy names.
    GlobalPolicy,
    /// Tier names (DNS label).
    Tier,
    /// DNS subdomain (most Kubernetes and Calico objects).
    Subdomain,
    /// DNS label (namespaces, services).
    Label,
    /// Any non-empty name (objects whose names policy never parses).
    Any,
}

/// Checks `metadata`: name present and well-formed, namespace allowed/well-formed, labels and
/// annotations.
pub(crate) fn check_meta(meta: &ObjectMeta, rule: NameRule, namespaced: bool, sink: &mut Sink) {
    let root = PathLink::Root;
    let path = PathLink::Key(&root, "metadata");
    let name_path = PathLink::Key(&path, "name");
    if meta.name.is_empty() {
        sink.push(
            &name_path,
            Check::NameRequired,
            "missing `metadata.name`: every object needs a name",
        );
    } else {
        let (ok, expected) = match rule {
            NameRule::NamespacedPolicy => (
                is_namespaced_policy_name(&meta.name),
                "at most 253 characters, one or two dot-separated DNS labels \
                 ([a-z0-9] and `-`, e.g. `allow-dns` or `tier1.allow-dns`), or \
                 `knp.default.`/`ossg.default.` and a DNS subdomain",
            ),
            NameRule::GlobalPolicy => (
                is_global_policy_name(&meta.name),
                "at most 253 characters, one or two dot-separated DNS labels \
                 ([a-z0-9] and `-`, e.g. `deny-all` or `security.deny-all`)",
            ),
            NameRule::Tier => (
                is_dns_label(&meta.name),
                "a DNS label: at most 63 characters of [a-z0-9] and `-`, no dots",
            ),
            NameRule::Subdomain => (
                is_dns_subdomain(&meta.name),
                "a DNS subdomain: at most 253 characters of [a-z0-9], `-` and `.`",
            ),
            NameRule::Label => (
                is_dns_label(&meta.name),
                "a DNS label: at most 63 characters of [a-z0-9] and `-`",
            ),
            NameRule::Any => (true, ""),
        };
        if !ok {
            sink.push(
                &name_path,
                Check::NameFormat,
                format!("invalid name `{}`: expected {expected}", meta.name),
            );
        }
    }
    let ns_path = PathLink::Key(&path, "namespace");
    match (&meta.namespace, namespaced) {
        (Some(ns), false) if !ns.is_empty() => sink.push(
            &ns_path,
            Check::Namespace,
            format!("`metadata.namespace` is `{ns}`, but this kind is cluster-scoped: expected no namespace"),
        ),
        (Some(ns), true) if !ns.is_empty() && !is_dns_label(ns) => sink.push(
            &ns_path,
            Check::Namespace,
            format!("invalid namespace `{ns}`: expected a DNS label (at most 63 characters of [a-z0-9] and `-`)"),
        ),
        _ => {}
    }
    check_labels(&meta.labels, &PathLink::Key(&path, "labels"), sink);
    check_annotations(
        &meta.annotations,
        &PathLink::Key(&path, "annotations"),
        sink,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(is_namespaced_policy_name("platform.cat"));
        assert!(is_namespaced_policy_name("knp.default.a.b.c"));
        assert!(!is_namespaced_policy_name("a.b.c"));
        assert!(!is_namespaced_policy_name("Upper"));
        assert!(is_global_policy_name("default.default-deny"));
        assert!(!is_global_policy_name("knp.default.x"));
        assert!(is_qualified_name("kubernetes.io/metadata.name"));
        assert!(!is_qualified_name("/x"));
        assert!(!is_qualified_name("a b"));
        assert!(is_label_value(""));
        assert!(!is_label_value("-x"));
        assert!(is_domain_name("*.example.com"));
        assert!(is_domain_name("catfact.ninja"));
        assert!(!is_domain_name("a..b"));
        assert!(!is_domain_name("ex*ample.com"));
        assert!(is_admin_domain_name("*.cdn.example.com"));
        assert!(is_admin_domain_name("registry.example.com."));
        assert!(!is_admin_domain_name("localhost"));
        assert!(!is_admin_domain_name("a.*.com"));
    }
}
