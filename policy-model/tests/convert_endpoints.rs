//! Endpoints, network sets and cluster objects: Pod, WorkloadEndpoint, HostEndpoint,
//! (Global)NetworkSet, Namespace, ServiceAccount, Service, EndpointSlice, FelixConfiguration
//! (SEMANTICS §2.6–§2.7, §3; DECISIONS D5), and endpoint label inheritance (§1.3).

mod convert_util;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use convert_util::{convert_yaml, item, labels, note_paths};
use palisade_policy_model::calico::EndpointToHostAction;
use palisade_policy_model::convert::effective_labels;
use palisade_policy_model::model::{
    EndpointKey, Item, NamedPort, Profile, ProfileSource, Severity, WorkloadEndpoint,
};
use palisade_policy_model::values::{Action, Protocol};

fn workload(text: &str) -> WorkloadEndpoint {
    match item(text) {
        Item::Workload(w) => w,
        other => panic!("expected a workload endpoint, got {other:?}"),
    }
}

fn profile(text: &str) -> Profile {
    match item(text) {
        Item::Profile(p) => p,
        other => panic!("expected a profile, got {other:?}"),
    }
}

fn names(v: &[Arc<str>]) -> Vec<&str> {
    v.iter().map(|s| &**s).collect()
}

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: shop
  labels: {app: web, pcns.team: evil, pcsa.role: evil, projectcalico.org/namespace: evil}
spec:
  serviceAccountName: frontend
  nodeName: node-1
  initContainers:
  - name: init
    ports: [{name: init-port, containerPort: 9999}]
  containers:
  - name: app
    image: nginx
    ports:
    - {name: http, containerPort: 8080}
    - {name: dns, containerPort: 53, protocol: UDP}
    - {containerPort: 9000}
status:
  podIP: 10.1.2.3
  podIPs: [{ip: 10.1.2.3}, {ip: \"fd00::3\"}]
";

#[test]
fn pod_labels_follow_calico() {
    let w = workload(POD);
    assert_eq!(
        w.labels,
        labels(&[
            ("app", "web"),
            ("projectcalico.org/namespace", "shop"),
            ("projectcalico.org/orchestrator", "k8s"),
            ("projectcalico.org/serviceaccount", "frontend"),
        ])
    );
}

#[test]
fn pod_reserved_labels_are_reported() {
    let converted = convert_yaml(POD);
    assert_eq!(
        note_paths(&converted.notes, Severity::Warning),
        ["metadata.labels.pcns.team", "metadata.labels.pcsa.role"]
    );
}

#[test]
fn pod_identity_profiles_addresses_ports_and_node() {
    let w = workload(POD);
    assert_eq!(
        w.key,
        EndpointKey::Workload {
            namespace: "shop".into(),
            name: "web-1".into()
        }
    );
    assert_eq!(&*w.namespace, "shop");
    assert_eq!(names(&w.profiles), ["kns.shop", "ksa.shop.frontend"]);
    let ips: Vec<String> = w.ips.iter().map(ToString::to_string).collect();
    assert_eq!(ips, ["10.1.2.3/32", "fd00::3/128"]);
    // Regular containers only; unnamed ports are not named ports; protocol defaults to TCP.
    assert_eq!(
        w.ports,
        [
            NamedPort {
                name: "http".into(),
                protocol: Protocol::Tcp,
                port: 8080
            },
            NamedPort {
                name: "dns".into(),
                protocol: Protocol::Udp,
                port: 53
            },
        ]
    );
    assert_eq!(w.node.as_deref(), Some("node-1"));
    assert_eq!(w.service_account.as_deref(), Some("frontend"));
}

#[test]
fn pod_service_account_defaults_to_default() {
    let w = workload("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\n");
    assert_eq!(names(&w.profiles), ["kns.ns", "ksa.ns.default"]);
    assert_eq!(
        w.labels
            .get("projectcalico.org/serviceaccount")
            .map(String::as_str),
        Some("default")
    );
    // No IP: an endpoint with no addresses (DECISIONS D5).
    assert!(w.ips.is_empty());
    assert_eq!(w.node, None);
}

#[test]
fn pod_without_namespace_is_in_default() {
    let w = workload("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n");
    assert_eq!(&*w.namespace, "default");
    assert_eq!(names(&w.profiles), ["kns.default", "ksa.default.default"]);
}

#[test]
fn host_network_pods_are_skipped() {
    let converted = convert_yaml(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec: {hostNetwork: true}\n",
    );
    assert!(converted.items.is_empty());
    assert_eq!(
        note_paths(&converted.notes, Severity::Info),
        ["spec.hostNetwork"]
    );
}

#[test]
fn finished_pods_have_no_addresses() {
    let converted = convert_yaml(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\n\
         status: {phase: Succeeded, podIP: 10.0.0.9}\n",
    );
    let Some(Item::Workload(w)) = converted.items.first() else {
        panic!("a workload");
    };
    assert!(w.ips.is_empty());
    assert_eq!(
        note_paths(&converted.notes, Severity::Info),
        ["status.phase"]
    );
}

#[test]
fn pod_addresses_fall_back_to_calico_annotations() {
    let converted = convert_yaml(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: ns\n  annotations:\n\
         \x20   cni.projectcalico.org/podIPs: \"10.0.0.7/32, fd00::7/128, bogus\"\n\
         \x20   cni.projectcalico.org/podIP: 10.0.0.8/32\n",
    );
    let Some(Item::Workload(w)) = converted.items.first() else {
        panic!("a workload");
    };
    let ips: Vec<String> = w.ips.iter().map(ToString::to_string).collect();
    assert_eq!(ips, ["10.0.0.7/32", "fd00::7/128"]);
    assert_eq!(
        note_paths(&converted.notes, Severity::Warning),
        ["metadata.annotations.cni.projectcalico.org/podIPs"]
    );
    // The status wins over the annotations.
    let w = workload(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: ns\n  annotations:\n\
         \x20   cni.projectcalico.org/podIP: 10.0.0.8/32\nstatus: {podIP: 10.0.0.9}\n",
    );
    let ips: Vec<String> = w.ips.iter().map(ToString::to_string).collect();
    assert_eq!(ips, ["10.0.0.9/32"]);
}

#[test]
fn long_service_account_names_get_no_label() {
    let sa = "s".repeat(63);
    let converted = convert_yaml(&format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: ns}}\n\
         spec: {{serviceAccountName: {sa}}}\n"
    ));
    let Some(Item::Workload(w)) = converted.items.first() else {
        panic!("a workload");
    };
    assert!(!w.labels.contains_key("projectcalico.org/serviceaccount"));
    assert_eq!(w.profiles[1].to_string(), format!("ksa.ns.{sa}"));
    assert_eq!(
        note_paths(&converted.notes, Severity::Warning),
        ["spec.serviceAccountName"]
    );
}

#[test]
fn workload_endpoint_is_keyed_by_its_pod() {
    let w = workload(
        "apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata:
  name: node1-k8s-web--1-eth0
  namespace: shop
  labels: {app: web, pcsa.x: y}
spec:
  orchestrator: k8s
  node: node1
  pod: web-1
  endpoint: eth0
  serviceAccountName: frontend
  interfaceName: cali0123456789a
  ipNetworks: [10.1.2.3/32, 10.1.9.9]
  profiles: [kns.shop, ksa.shop.frontend, extra]
  ports: [{name: http, protocol: TCP, port: 8080}]
",
    );
    assert_eq!(
        w.key,
        EndpointKey::Workload {
            namespace: "shop".into(),
            name: "web-1".into()
        }
    );
    assert_eq!(
        w.labels,
        labels(&[
            ("app", "web"),
            ("projectcalico.org/namespace", "shop"),
            ("projectcalico.org/orchestrator", "k8s"),
            ("projectcalico.org/serviceaccount", "frontend"),
        ])
    );
    assert_eq!(
        names(&w.profiles),
        ["kns.shop", "ksa.shop.frontend", "extra"]
    );
    let ips: Vec<String> = w.ips.iter().map(ToString::to_string).collect();
    assert_eq!(ips, ["10.1.2.3/32", "10.1.9.9/32"]);
    assert_eq!(w.ports.len(), 1);
    assert_eq!(w.node.as_deref(), Some("node1"));
    assert_eq!(w.interface.as_deref(), Some("cali0123456789a"));
    assert_eq!(w.service_account.as_deref(), Some("frontend"));
}

#[test]
fn workload_endpoint_without_profiles() {
    // k8s: the profiles Calico writes for every pod.
    let converted = convert_yaml(
        "apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata: {name: wep, namespace: ns}\n\
         spec: {orchestrator: k8s, pod: p, serviceAccountName: sa}\n",
    );
    let Some(Item::Workload(w)) = converted.items.first() else {
        panic!("a workload");
    };
    assert_eq!(names(&w.profiles), ["kns.ns", "ksa.ns.sa"]);
    assert_eq!(
        note_paths(&converted.notes, Severity::Info),
        ["spec.profiles"]
    );
    // Another orchestrator: exactly what is written; keyed by its own name without `pod`.
    let w = workload(
        "apiVersion: projectcalico.org/v3\nkind: WorkloadEndpoint\nmetadata: {name: vm1, namespace: ns}\n\
         spec: {orchestrator: openstack}\n",
    );
    assert!(w.profiles.is_empty());
    assert_eq!(
        w.key,
        EndpointKey::Workload {
            namespace: "ns".into(),
            name: "vm1".into()
        }
    );
    assert_eq!(
        w.labels
            .get("projectcalico.org/orchestrator")
            .map(String::as_str),
        Some("openstack")
    );
    assert!(!w.labels.contains_key("projectcalico.org/serviceaccount"));
}

#[test]
fn host_endpoint() {
    let Item::Host(h) = item(
        "apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: node1-eth0, labels: {host-endpoint: \"true\"}}
spec:
  node: node1
  interfaceName: eth0
  expectedIPs: [192.168.0.10]
  profiles: [projectcalico-default-allow]
  ports: [{name: ssh, protocol: TCP, port: 22}]
",
    ) else {
        panic!("a host endpoint");
    };
    assert_eq!(
        h.key,
        EndpointKey::Host {
            name: "node1-eth0".into()
        }
    );
    assert_eq!(&*h.node, "node1");
    assert_eq!(h.interface.as_deref(), Some("eth0"));
    assert_eq!(
        h.expected_ips,
        ["192.168.0.10".parse::<IpAddr>().expect("ip")]
    );
    // No namespace label: a NetworkPolicy never applies to host endpoints.
    assert_eq!(h.labels, labels(&[("host-endpoint", "true")]));
    assert_eq!(names(&h.profiles), ["projectcalico-default-allow"]);
    assert_eq!(h.ports[0].port, 22);
}

#[test]
fn network_sets() {
    let Item::NetworkSet(n) = item(
        "apiVersion: projectcalico.org/v3\nkind: NetworkSet\n\
         metadata: {name: partners, namespace: shop, labels: {role: partner}}\n\
         spec: {nets: [198.51.100.0/24, 203.0.113.7]}\n",
    ) else {
        panic!("a network set");
    };
    assert_eq!(n.namespace.as_deref(), Some("shop"));
    assert_eq!(
        n.labels,
        labels(&[("projectcalico.org/namespace", "shop"), ("role", "partner")])
    );
    assert_eq!(names(&n.profiles), ["kns.shop"]);
    let nets: Vec<String> = n.nets.iter().map(ToString::to_string).collect();
    assert_eq!(nets, ["198.51.100.0/24", "203.0.113.7/32"]);

    let Item::NetworkSet(g) = item(
        "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\n\
         metadata: {name: blocked, labels: {role: blocked}}\nspec: {nets: [\"2001:db8::/32\"]}\n",
    ) else {
        panic!("a network set");
    };
    assert_eq!(g.namespace, None);
    assert_eq!(g.labels, labels(&[("role", "blocked")]));
    assert!(g.profiles.is_empty());
}

#[test]
fn namespace_profile() {
    let p = profile("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: a}}\n");
    assert_eq!(&*p.name, "kns.shop");
    assert_eq!(p.source, ProfileSource::Namespace);
    assert_eq!(
        p.labels_to_apply,
        labels(&[
            ("pcns.kubernetes.io/metadata.name", "shop"),
            ("pcns.projectcalico.org/name", "shop"),
            ("pcns.team", "a"),
        ])
    );
    // kns.* allows everything in both directions (§2.7).
    assert_eq!(p.ingress.len(), 1);
    assert_eq!(p.egress.len(), 1);
    assert!(p.ingress[0].action == Action::Allow && p.ingress[0].source.is_unconstrained());
    // An explicit metadata.name label is kept.
    let p = profile(
        "apiVersion: v1\nkind: Namespace\n\
         metadata: {name: shop, labels: {kubernetes.io/metadata.name: shop}}\n",
    );
    assert_eq!(p.labels_to_apply.len(), 2);
}

#[test]
fn service_account_profile() {
    let p = profile(
        "apiVersion: v1\nkind: ServiceAccount\n\
         metadata: {name: frontend, namespace: shop, labels: {tier: fe}}\n",
    );
    assert_eq!(&*p.name, "ksa.shop.frontend");
    assert_eq!(p.source, ProfileSource::ServiceAccount);
    assert_eq!(
        p.labels_to_apply,
        labels(&[
            ("pcsa.projectcalico.org/name", "frontend"),
            ("pcsa.tier", "fe")
        ])
    );
    assert!(p.ingress.is_empty() && p.egress.is_empty());
}

#[test]
fn service() {
    let Item::Service(s) = item(
        "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\n\
         spec:\n  selector: {app: db}\n  ports:\n  - {port: 5432, targetPort: pg}\n\
         \x20 - {port: 53, protocol: UDP}\n",
    ) else {
        panic!("a service");
    };
    assert_eq!((&*s.key.namespace, &*s.key.name), ("shop", "db"));
    assert_eq!(s.selector, Some(labels(&[("app", "db")])));
    assert_eq!(s.ports[0].protocol, Protocol::Tcp);
    assert_eq!(s.ports[0].port, 5432);
    assert_eq!(
        s.ports[0]
            .target_port
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("pg")
    );
    assert_eq!(s.ports[1].protocol, Protocol::Udp);
    assert!(s.ports[1].target_port.is_none());
    let Item::Service(s) = item(
        "apiVersion: v1\nkind: Service\nmetadata: {name: ext, namespace: shop}\nspec: {ports: [{port: 80}]}\n",
    ) else {
        panic!("a service");
    };
    assert_eq!(s.selector, None);
}

#[test]
fn endpoint_slice() {
    let converted = convert_yaml(
        "apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: db-abc, namespace: shop, labels: {kubernetes.io/service-name: db}}
addressType: IPv4
endpoints:
- addresses: [10.0.0.1]
  conditions: {ready: true}
- addresses: [10.0.0.2]
  conditions: {ready: false}
- addresses: [10.0.0.3, not-an-ip]
ports:
- {name: pg, port: 5432}
- {name: dns, port: 53, protocol: UDP}
",
    );
    let Some(Item::Slice(s)) = converted.items.first() else {
        panic!("a slice");
    };
    assert_eq!((&*s.service.namespace, &*s.service.name), ("shop", "db"));
    assert_eq!(&*s.slice, "db-abc");
    let ips: Vec<String> = s.endpoints.iter().map(|e| e.ip.to_string()).collect();
    assert_eq!(ips, ["10.0.0.1", "10.0.0.3"]);
    assert_eq!(
        s.endpoints[0].ports,
        [(Protocol::Tcp, 5432), (Protocol::Udp, 53)]
    );
    assert_eq!(
        note_paths(&converted.notes, Severity::Warning),
        ["endpoints[2].addresses[1]"]
    );
}

#[test]
fn endpoint_slice_without_service_label_is_ignored() {
    let converted = convert_yaml(
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n\
         metadata: {name: orphan, namespace: shop}\naddressType: IPv4\n\
         endpoints: [{addresses: [10.0.0.1]}]\n",
    );
    assert!(converted.items.is_empty());
    assert_eq!(
        note_paths(&converted.notes, Severity::Warning),
        ["metadata.labels"]
    );
}

#[test]
fn felix_configuration_default() {
    let Item::Felix(f) = item(
        "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata: {name: default}\n\
         spec: {logSeverityScreen: Info}\n",
    ) else {
        panic!("felix settings");
    };
    // Felix's defaults (SEMANTICS §3).
    let inbound: Vec<(Protocol, u16)> = f
        .failsafe_inbound
        .iter()
        .map(|x| (x.protocol, x.port))
        .collect();
    assert_eq!(inbound.len(), 9);
    assert!(inbound.contains(&(Protocol::Tcp, 22)) && inbound.contains(&(Protocol::Udp, 68)));
    let outbound: Vec<(Protocol, u16)> = f
        .failsafe_outbound
        .iter()
        .map(|x| (x.protocol, x.port))
        .collect();
    assert_eq!(outbound.len(), 9);
    assert!(outbound.contains(&(Protocol::Udp, 53)));
    assert_eq!(
        f.default_endpoint_to_host_action,
        EndpointToHostAction::Drop
    );

    let Item::Felix(f) = item(
        "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata: {name: default}\n\
         spec:\n  defaultEndpointToHostAction: Accept\n  failsafeInboundHostPorts: \
         [{port: 22, net: 10.0.0.0/8}, {protocol: udp, port: 68}]\n  failsafeOutboundHostPorts: []\n",
    ) else {
        panic!("felix settings");
    };
    assert_eq!(f.failsafe_inbound.len(), 2);
    assert_eq!(f.failsafe_inbound[0].protocol, Protocol::Tcp);
    assert_eq!(
        f.failsafe_inbound[0].net.map(|n| n.to_string()).as_deref(),
        Some("10.0.0.0/8")
    );
    assert!(f.failsafe_outbound.is_empty());
    assert_eq!(
        f.default_endpoint_to_host_action,
        EndpointToHostAction::Accept
    );
}

#[test]
fn felix_configuration_per_node_is_not_modelled() {
    let converted = convert_yaml(
        "apiVersion: projectcalico.org/v3\nkind: FelixConfiguration\nmetadata: {name: node.node1}\nspec: {}\n",
    );
    assert!(converted.items.is_empty());
    assert_eq!(notes_len(&converted.notes, Severity::Info), 1);
}

fn notes_len(notes: &[palisade_policy_model::model::Note], severity: Severity) -> usize {
    notes.iter().filter(|n| n.severity == severity).count()
}

#[test]
fn effective_labels_own_first_then_profiles_in_order() {
    let own = labels(&[("app", "web"), ("tier", "own")]);
    let first = Profile {
        name: "first".into(),
        source: ProfileSource::Profile,
        labels_to_apply: labels(&[("tier", "first"), ("zone", "first")]),
        ingress: Vec::new(),
        egress: Vec::new(),
    };
    let second = Profile {
        name: "second".into(),
        labels_to_apply: labels(&[("zone", "second"), ("rack", "second")]),
        ..first.clone()
    };
    let by_name: BTreeMap<&str, &Profile> =
        BTreeMap::from([("first", &first), ("second", &second)]);
    let result = effective_labels(
        &own,
        &["missing".into(), "first".into(), "second".into()],
        |name| by_name.get(name).copied(),
    );
    assert_eq!(
        result,
        labels(&[
            ("app", "web"),
            ("rack", "second"),
            ("tier", "own"),
            ("zone", "first"),
        ])
    );
}
