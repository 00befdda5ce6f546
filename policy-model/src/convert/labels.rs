//! The labels Calico adds to endpoints and the prefixes of inherited namespace and
//! service-account labels (SEMANTICS §2.6–§2.7), and endpoint label inheritance (§1.3).

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::Profile;

/// The namespace of a workload endpoint or namespaced network set.
pub const NAMESPACE_LABEL: &str = "projectcalico.org/namespace";

/// The orchestrator of a workload endpoint (`k8s` for pods).
pub const ORCHESTRATOR_LABEL: &str = "projectcalico.org/orchestrator";

/// The service account of a workload endpoint.
pub const SERVICE_ACCOUNT_LABEL: &str = "projectcalico.org/serviceaccount";

/// The value of [`ORCHESTRATOR_LABEL`] for Kubernetes pods.
pub const ORCHESTRATOR_KUBERNETES: &str = "k8s";

/// Prefix of namespace labels inherited from `kns.<namespace>` profiles; namespace selectors are
/// rewritten to use it.
pub const NAMESPACE_LABEL_PREFIX: &str = "pcns.";

/// Prefix of service-account labels inherited from `ksa.<ns>.<sa>` profiles; service-account
/// selectors are rewritten to use it.
pub const SERVICE_ACCOUNT_LABEL_PREFIX: &str = "pcsa.";

/// The labels a selector sees for an endpoint: its own labels, then each profile's
/// `labels_to_apply` in profile order, the first layer that has a label winning (SEMANTICS §1.3,
/// Felix `label_inheritance_index.go`). Profiles that `lookup` does not know contribute nothing.
///
/// ```
/// use std::collections::BTreeMap;
/// use std::sync::Arc;
/// use palisade_policy_model::convert::effective_labels;
/// use palisade_policy_model::model::{namespace_profile, ProfileSource};
///
/// let own = BTreeMap::from([("app".to_owned(), "web".to_owned())]);
/// let kns = namespace_profile("prod", &BTreeMap::new(), ProfileSource::Namespace);
/// let labels = effective_labels(&own, &[Arc::from("kns.prod")], |name| {
///     (name == "kns.prod").then_some(&kns)
/// });
/// assert_eq!(labels["app"], "web");
/// assert_eq!(labels["pcns.projectcalico.org/name"], "prod");
/// ```
pub fn effective_labels<P, F>(
    own: &BTreeMap<String, String>,
    profiles: &[Arc<str>],
    mut lookup: F,
) -> BTreeMap<String, String>
where
    P: Borrow<Profile>,
    F: FnMut(&str) -> Option<P>,
{
    let mut labels = own.clone();
    for name in profiles {
        if let Some(profile) = lookup(name) {
            for (key, value) in &profile.borrow().labels_to_apply {
                labels.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
    }
    labels
}

/// True for labels users may not set on endpoints because they would impersonate inherited
/// namespace or service-account labels (`workloadendpointprocessor.go` strips them).
pub(crate) fn is_reserved_prefix(key: &str) -> bool {
    key.starts_with(NAMESPACE_LABEL_PREFIX) || key.starts_with(SERVICE_ACCOUNT_LABEL_PREFIX)
}
