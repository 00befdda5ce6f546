//! Deriving a Service's endpoints from the pods it selects, when no EndpointSlice names it
//! (DECISIONS D5).

use super::item::ServiceSpec;
use super::types::{ServiceEndpoint, WorkloadEndpoint};
use crate::kube::IntOrString;

/// The endpoints the EndpointSlice controller would produce for `spec` over `pods` (which the
/// caller has already filtered to the pods the service selects): every address of every pod, with
/// each service port's target port resolved on that pod.
pub fn derive_service_endpoints<'a>(
    spec: &ServiceSpec,
    pods: impl Iterator<Item = &'a WorkloadEndpoint>,
) -> Vec<ServiceEndpoint> {
    let mut out = Vec::new();
    for pod in pods {
        let mut ports: Vec<_> = spec
            .ports
            .iter()
            .filter_map(|p| match &p.target_port {
                None => Some((p.protocol, p.port)),
                Some(IntOrString::Int(n)) => u16::try_from(*n)
                    .ok()
                    .filter(|n| *n > 0)
                    .map(|n| (p.protocol, n)),
                Some(IntOrString::String(name)) => pod
                    .ports
                    .iter()
                    .find(|np| &*np.name == name.as_str() && np.protocol == p.protocol)
                    .map(|np| (np.protocol, np.port)),
            })
            .collect();
        ports.sort();
        ports.dedup();
        for ip in &pod.ips {
            out.push(ServiceEndpoint {
                ip: ip.addr(),
                ports: ports.clone(),
            });
        }
    }
    out.sort();
    out.dedup();
    out
}
