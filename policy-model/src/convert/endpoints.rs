//! Endpoints and network sets: Pod and WorkloadEndpoint → workload endpoints, HostEndpoint →
//! host endpoints, (Global)NetworkSet → network sets (SEMANTICS §2.6–§2.7, §3; DECISIONS D5).

use std::collections::BTreeMap;
use std::sync::Arc;

use ipnet::IpNet;

use super::context::Ctx;
use super::labels::{
    NAMESPACE_LABEL, ORCHESTRATOR_KUBERNETES, ORCHESTRATOR_LABEL, SERVICE_ACCOUNT_LABEL,
    is_reserved_prefix,
};
use crate::calico::{HostEndpointSpec, NetworkSetSpec, WorkloadEndpointSpec};
use crate::kube::{KubeProtocol, Pod};
use crate::model::{EndpointKey, HostEndpoint, Item, NamedPort, NetworkSet, WorkloadEndpoint};

/// Calico sets the service-account label only for names shorter than 63 characters, the
/// longest label value Kubernetes allows (`workload_endpoint_default.go`).
const MAX_SERVICE_ACCOUNT_LABEL_LEN: usize = 63;

/// `kns.<namespace>`.
fn namespace_profile_name(namespace: &str) -> Arc<str> {
    Arc::from(format!("kns.{namespace}"))
}

/// `ksa.<namespace>.<service account>`.
fn service_account_profile_name(namespace: &str, service_account: &str) -> Arc<str> {
    Arc::from(format!("ksa.{namespace}.{service_account}"))
}

/// Own labels without the reserved `pcns.`/`pcsa.` prefixes (`workloadendpointprocessor.go`),
/// reporting each one dropped.
fn user_labels(ctx: &mut Ctx, labels: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (key, value) in labels {
        if is_reserved_prefix(key) {
            ctx.warn(
                Some(&format!("metadata.labels.{key}")),
                "labels starting with `pcns.` or `pcsa.` are reserved for inherited namespace \
                 and service-account labels; Calico ignores this one",
            );
        } else {
            out.insert(key.clone(), value.clone());
        }
    }
    out
}

/// Sets the service-account label when Calico would (names shorter than 63 characters).
fn set_service_account_label(
    ctx: &mut Ctx,
    labels: &mut BTreeMap<String, String>,
    service_account: &str,
    path: &str,
) {
    if service_account.len() < MAX_SERVICE_ACCOUNT_LABEL_LEN {
        labels.insert(SERVICE_ACCOUNT_LABEL.to_owned(), service_account.to_owned());
    } else {
        ctx.warn(
            Some(path),
            format!(
                "service account names of 63 or more characters get no `{SERVICE_ACCOUNT_LABEL}` \
                 label (as in Calico), so `serviceAccounts.names` cannot match this endpoint"
            ),
        );
    }
}

/// Calico's CNI plugin records a pod's addresses in these annotations; Calico reads them when
/// the pod status has none yet (`workload_endpoint_default.go:getPodIPs`).
const POD_IPS_ANNOTATION: &str = "cni.projectcalico.org/podIPs";
const POD_IP_ANNOTATION: &str = "cni.projectcalico.org/podIP";

/// The pod's addresses as host prefixes: `status.podIPs`/`status.podIP`, else Calico's
/// `podIPs`/`podIP` annotations (comma-separated CIDRs or addresses).
fn pod_ips(ctx: &mut Ctx, pod: &Pod) -> Vec<IpNet> {
    let from_status = pod.ips();
    if !from_status.is_empty() {
        return from_status.into_iter().map(IpNet::from).collect();
    }
    let annotations = &pod.metadata.annotations;
    let Some((name, value)) = [POD_IPS_ANNOTATION, POD_IP_ANNOTATION]
        .into_iter()
        .find_map(|name| {
            annotations
                .get(name)
                .filter(|v| !v.is_empty())
                .map(|v| (name, v))
        })
    else {
        return Vec::new();
    };
    let mut ips = Vec::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let parsed = entry
            .parse::<IpNet>()
            .map(|n| IpNet::from(n.addr()))
            .or_else(|_| entry.parse::<std::net::IpAddr>().map(IpNet::from));
        match parsed {
            Ok(ip) => ips.push(ip),
            Err(_) => ctx.warn(
                Some(&format!("metadata.annotations.{name}")),
                format!("`{entry}` is not an IP address or CIDR; it is ignored"),
            ),
        }
    }
    ips
}

/// A Pod: a workload endpoint with Calico's labels and the `kns.`/`ksa.` profiles. Host-network
/// pods are not workload endpoints.
pub(crate) fn pod(ctx: &mut Ctx, pod: &Pod) -> Option<Item> {
    if pod.spec.host_network {
        ctx.info(
            Some("spec.hostNetwork"),
            "host-network pods are not workload endpoints; no policy applies to this pod \
             (DECISIONS D5)",
        );
        return None;
    }
    let namespace = ctx.namespace().to_owned();
    let service_account = pod.service_account().to_owned();
    let mut labels = user_labels(ctx, &pod.metadata.labels);
    labels.insert(NAMESPACE_LABEL.to_owned(), namespace.clone());
    labels.insert(
        ORCHESTRATOR_LABEL.to_owned(),
        ORCHESTRATOR_KUBERNETES.to_owned(),
    );
    set_service_account_label(
        ctx,
        &mut labels,
        &service_account,
        "spec.serviceAccountName",
    );
    // Calico gives finished pods no addresses: their IPs may already belong to new pods.
    let finished = matches!(
        pod.status.phase.as_deref(),
        Some("Succeeded" | "Failed" | "Completed")
    );
    let ips: Vec<IpNet> = if finished {
        ctx.info(
            Some("status.phase"),
            "the pod has finished; its addresses are not used (as in Calico)",
        );
        Vec::new()
    } else {
        pod_ips(ctx, pod)
    };
    // Named ports come from the regular containers only, as in Calico.
    let ports = pod
        .spec
        .containers
        .iter()
        .flat_map(|c| &c.ports)
        .filter_map(|p| {
            let name = p.name.as_deref().filter(|n| !n.is_empty())?;
            (p.container_port != 0).then(|| NamedPort {
                name: Arc::from(name),
                protocol: p.protocol.unwrap_or(KubeProtocol::Tcp).to_calico(),
                port: p.container_port,
            })
        })
        .collect();
    Some(Item::Workload(WorkloadEndpoint {
        key: EndpointKey::Workload {
            namespace: Arc::from(namespace.as_str()),
            name: Arc::from(ctx.name()),
        },
        namespace: Arc::from(namespace.as_str()),
        node: pod
            .spec
            .node_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .map(Arc::from),
        labels,
        profiles: vec![
            namespace_profile_name(&namespace),
            service_account_profile_name(&namespace, &service_account),
        ],
        ips,
        ports,
        service_account: Some(Arc::from(service_account.as_str())),
        interface: None,
    }))
}

/// A Calico WorkloadEndpoint, keyed by its pod (`spec.pod`, else its own name) so that it and
/// the Pod it was made from are one endpoint. It gets the labels Calico's WorkloadEndpoint
/// client adds (namespace, orchestrator, service account). Its profiles are `spec.profiles`;
/// a `k8s` endpoint that lists none gets the `kns.`/`ksa.` profiles Calico always writes for
/// pods (a real one never lacks them).
pub(crate) fn workload_endpoint(
    ctx: &mut Ctx,
    labels: &BTreeMap<String, String>,
    spec: &WorkloadEndpointSpec,
) -> Item {
    let namespace = ctx.namespace().to_owned();
    let mut own = user_labels(ctx, labels);
    own.insert(NAMESPACE_LABEL.to_owned(), namespace.clone());
    if !spec.orchestrator.is_empty() {
        own.insert(ORCHESTRATOR_LABEL.to_owned(), spec.orchestrator.clone());
    }
    if !spec.service_account_name.is_empty() {
        set_service_account_label(
            ctx,
            &mut own,
            &spec.service_account_name,
            "spec.serviceAccountName",
        );
    }
    let mut profiles: Vec<Arc<str>> = spec
        .profiles
        .iter()
        .map(|p| Arc::from(p.as_str()))
        .collect();
    if profiles.is_empty() && spec.orchestrator == ORCHESTRATOR_KUBERNETES {
        profiles.push(namespace_profile_name(&namespace));
        if !spec.service_account_name.is_empty() {
            profiles.push(service_account_profile_name(
                &namespace,
                &spec.service_account_name,
            ));
        }
        ctx.info(
            Some("spec.profiles"),
            "a k8s workload endpoint without profiles gets the namespace and service-account \
             profiles Calico writes for every pod",
        );
    }
    let name = if spec.pod.is_empty() {
        ctx.name().to_owned()
    } else {
        spec.pod.clone()
    };
    Item::Workload(WorkloadEndpoint {
        key: EndpointKey::Workload {
            namespace: Arc::from(namespace.as_str()),
            name: Arc::from(name),
        },
        namespace: Arc::from(namespace.as_str()),
        node: (!spec.node.is_empty()).then(|| Arc::from(spec.node.as_str())),
        labels: own,
        profiles,
        ips: spec.ip_networks.clone(),
        ports: spec
            .ports
            .iter()
            .map(|p| NamedPort {
                name: Arc::from(p.name.as_str()),
                protocol: p.protocol,
                port: p.port,
            })
            .collect(),
        service_account: (!spec.service_account_name.is_empty())
            .then(|| Arc::from(spec.service_account_name.as_str())),
        interface: (!spec.interface_name.is_empty())
            .then(|| Arc::from(spec.interface_name.as_str())),
    })
}

/// A HostEndpoint: its own labels only (no namespace label), its profiles and ports.
pub(crate) fn host_endpoint(
    ctx: &Ctx,
    labels: &BTreeMap<String, String>,
    spec: &HostEndpointSpec,
) -> Item {
    Item::Host(HostEndpoint {
        key: EndpointKey::Host {
            name: Arc::from(ctx.name()),
        },
        node: Arc::from(spec.node.as_str()),
        interface: spec
            .interface_name
            .as_deref()
            .filter(|i| !i.is_empty())
            .map(Arc::from),
        expected_ips: spec.expected_ips.clone(),
        labels: labels.clone(),
        profiles: spec
            .profiles
            .iter()
            .map(|p| Arc::from(p.as_str()))
            .collect(),
        ports: spec
            .ports
            .iter()
            .map(|p| NamedPort {
                name: Arc::from(p.name.as_str()),
                protocol: p.protocol,
                port: p.port,
            })
            .collect(),
    })
}

/// A namespaced NetworkSet: its labels plus `projectcalico.org/namespace`, and the
/// `kns.<namespace>` profile for label inheritance (`networksetprocessor.go`).
pub(crate) fn network_set(
    ctx: &Ctx,
    labels: &BTreeMap<String, String>,
    spec: &NetworkSetSpec,
) -> Item {
    let namespace = ctx.namespace();
    let mut own = labels.clone();
    own.insert(NAMESPACE_LABEL.to_owned(), namespace.to_owned());
    Item::NetworkSet(NetworkSet {
        namespace: Some(Arc::from(namespace)),
        name: Arc::from(ctx.name()),
        labels: own,
        profiles: vec![namespace_profile_name(namespace)],
        nets: spec.nets.clone(),
    })
}

/// A GlobalNetworkSet: its labels as written, no profiles.
pub(crate) fn global_network_set(
    ctx: &Ctx,
    labels: &BTreeMap<String, String>,
    spec: &NetworkSetSpec,
) -> Item {
    Item::NetworkSet(NetworkSet {
        namespace: None,
        name: Arc::from(ctx.name()),
        labels: labels.clone(),
        profiles: Vec::new(),
        nets: spec.nets.clone(),
    })
}
