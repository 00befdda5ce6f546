//! Cluster objects that are not endpoints or policies: Namespace and ServiceAccount (profiles),
//! Service and EndpointSlice (for `services` matches), FelixConfiguration (SEMANTICS §2.7, §2.9,
//! §3; DECISIONS D5).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use super::context::Ctx;
use crate::calico::{FailsafePort, FelixConfigurationSpec};
use crate::kube::{EndpointSlice, KubeProtocol, ServiceSpec as KubeServiceSpec};
use crate::model::{
    Failsafe, FelixSettings, Item, ProfileSource, ServiceEndpoint, ServicePortSpec, ServiceRef,
    ServiceSlice, ServiceSpec, namespace_profile, service_account_profile,
};

/// A Namespace: the `kns.<name>` profile (its labels as `pcns.` labels; allow-all rules).
pub(crate) fn namespace(ctx: &Ctx, labels: &BTreeMap<String, String>) -> Item {
    Item::Profile(namespace_profile(
        ctx.name(),
        labels,
        ProfileSource::Namespace,
    ))
}

/// A ServiceAccount: the `ksa.<namespace>.<name>` profile (its labels as `pcsa.` labels).
pub(crate) fn service_account(ctx: &Ctx, labels: &BTreeMap<String, String>) -> Item {
    Item::Profile(service_account_profile(
        ctx.namespace(),
        ctx.name(),
        labels,
        ProfileSource::ServiceAccount,
    ))
}

fn service_ref(namespace: &str, name: &str) -> ServiceRef {
    ServiceRef {
        namespace: Arc::from(namespace),
        name: Arc::from(name),
    }
}

/// A Service: what deriving its endpoints from pods needs (DECISIONS D5).
pub(crate) fn service(ctx: &Ctx, spec: &KubeServiceSpec) -> Item {
    Item::Service(ServiceSpec {
        key: service_ref(ctx.namespace(), ctx.name()),
        selector: (!spec.selector.is_empty()).then(|| spec.selector.clone()),
        ports: spec
            .ports
            .iter()
            .map(|p| ServicePortSpec {
                protocol: p.protocol.unwrap_or(KubeProtocol::Tcp).to_calico(),
                port: p.port,
                target_port: p.target_port.clone(),
            })
            .collect(),
    })
}

/// False when an endpoint's `conditions.ready` is `false`. Absent or null means ready
/// (the EndpointSlice API: "nil should be interpreted as ready").
fn is_ready(conditions: Option<&serde_json::Value>) -> bool {
    conditions
        .and_then(|c| c.get("ready"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(true)
}

/// An EndpointSlice: its ready endpoints with the slice's ports, for the service named by its
/// `kubernetes.io/service-name` label.
pub(crate) fn endpoint_slice(ctx: &mut Ctx, slice: &EndpointSlice) -> Option<Item> {
    let Some(service) = slice.service_name().filter(|s| !s.is_empty()) else {
        ctx.warn(
            Some("metadata.labels"),
            "an EndpointSlice without the `kubernetes.io/service-name` label belongs to no \
             service; it is ignored",
        );
        return None;
    };
    if slice.address_type == "FQDN" {
        ctx.warn(
            Some("addressType"),
            "FQDN EndpointSlices hold host names, not addresses; it is ignored",
        );
        return None;
    }
    let mut ports: Vec<_> = slice
        .ports
        .iter()
        .filter_map(|p| {
            // A port without a number means "all ports" to some consumers; a services match
            // needs concrete ports, so it contributes none.
            let port = p.port.filter(|n| *n != 0)?;
            Some((p.protocol.unwrap_or(KubeProtocol::Tcp).to_calico(), port))
        })
        .collect();
    ports.sort();
    ports.dedup();
    let mut endpoints = Vec::new();
    for (i, endpoint) in slice.endpoints.iter().enumerate() {
        if !is_ready(endpoint.conditions.as_ref()) {
            continue;
        }
        for (j, address) in endpoint.addresses.iter().enumerate() {
            match address.parse::<IpAddr>() {
                Ok(ip) => endpoints.push(ServiceEndpoint {
                    ip,
                    ports: ports.clone(),
                }),
                Err(_) => ctx.warn(
                    Some(&format!("endpoints[{i}].addresses[{j}]")),
                    format!("`{address}` is not an IP address; it is ignored"),
                ),
            }
        }
    }
    endpoints.sort();
    endpoints.dedup();
    Some(Item::Slice(ServiceSlice {
        service: service_ref(ctx.namespace(), service),
        slice: Arc::from(ctx.name()),
        endpoints,
    }))
}

fn failsafes(ports: Vec<FailsafePort>) -> Vec<Failsafe> {
    ports
        .into_iter()
        .map(|f| Failsafe {
            protocol: f.protocol,
            port: f.port,
            net: f.net,
        })
        .collect()
}

/// FelixConfiguration `default`: failsafe ports (Felix's defaults when absent) and
/// `defaultEndpointToHostAction` (default Drop). Other names are per-node configurations, which
/// are not modelled.
pub(crate) fn felix_configuration(ctx: &mut Ctx, spec: &FelixConfigurationSpec) -> Option<Item> {
    if ctx.name() != "default" {
        ctx.info(
            None,
            "only the FelixConfiguration named `default` is used; per-node configurations are \
             not modelled",
        );
        return None;
    }
    Some(Item::Felix(FelixSettings {
        failsafe_inbound: failsafes(spec.inbound()),
        failsafe_outbound: failsafes(spec.outbound()),
        default_endpoint_to_host_action: spec.endpoint_to_host_action(),
    }))
}
