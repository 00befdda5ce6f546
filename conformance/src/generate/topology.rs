//! The generated cluster around the policies: namespaces, service accounts, pods with IPs and
//! container ports, host endpoints, network sets, a service and FelixConfiguration.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::collection::vec;
use proptest::option::weighted;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use serde_json::{Map, Value, json};

use super::alphabet::{
    HOST_LABELS, NAMED_PORTS, NAMESPACE_LABELS, NAMESPACES, NETS_V4, NETS_V6, NETSET_LABELS, NODES,
    POD_LABELS, SA_LABELS,
};

/// Labels as (key, value) pairs.
pub(crate) type Labels = Vec<(&'static str, &'static str)>;

/// A pod.
#[derive(Debug, Clone)]
pub(crate) struct Pod {
    pub(crate) ns: usize,
    pub(crate) labels: Labels,
    pub(crate) node: Option<usize>,
    pub(crate) v6: bool,
    pub(crate) sa: bool,
    pub(crate) ports: Vec<usize>,
}

/// Which profiles a host endpoint lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostProfiles {
    None,
    DefaultAllow,
    Custom,
}

/// A host endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Host {
    pub(crate) node: usize,
    pub(crate) labels: Labels,
    pub(crate) v6: bool,
    pub(crate) profiles: HostProfiles,
    pub(crate) ports: Vec<usize>,
}

/// A network set (global or in a namespace).
#[derive(Debug, Clone)]
pub(crate) struct NetSet {
    pub(crate) ns: Option<usize>,
    pub(crate) labels: Labels,
    pub(crate) nets: Vec<&'static str>,
}

/// A failsafe entry: protocol, port and optional net.
pub(crate) type FailsafeEntry = (&'static str, u16, Option<&'static str>);

/// FelixConfiguration `default`.
#[derive(Debug, Clone)]
pub(crate) struct Felix {
    pub(crate) inbound: Option<Vec<FailsafeEntry>>,
    pub(crate) outbound: Option<Vec<FailsafeEntry>>,
    pub(crate) endpoint_to_host: Option<&'static str>,
}

/// The cluster.
#[derive(Debug, Clone)]
pub(crate) struct Topology {
    pub(crate) ns_labels: Vec<Labels>,
    /// `sa1` in each namespace, with its labels, when present.
    pub(crate) service_accounts: Vec<Option<Labels>>,
    pub(crate) pods: Vec<Pod>,
    pub(crate) hosts: Vec<Host>,
    pub(crate) network_sets: Vec<NetSet>,
    /// Service `svc1` in ns1 selecting `app: web`.
    pub(crate) service: bool,
    pub(crate) felix: Option<Felix>,
}

/// The name of pod `i`.
pub(crate) fn pod_name(i: usize) -> String {
    format!("p{}", i + 1)
}

/// The name of host endpoint `j`.
pub(crate) fn host_name(j: usize) -> String {
    format!("h{}", j + 1)
}

/// An octet from a small index (indices are bounded by the generators).
fn octet(i: usize) -> u8 {
    u8::try_from(i).unwrap_or(u8::MAX)
}

/// A 16-bit group from a small index.
fn group(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

impl Pod {
    /// The pod's addresses (IPv4 always, IPv6 when dual-stack): `10.0.<ns+1>.<i+1>`,
    /// `fd00:<ns+1>::<i+1>`.
    pub(crate) fn addresses(&self, i: usize) -> Vec<IpAddr> {
        let mut out = vec![IpAddr::V4(Ipv4Addr::new(
            10,
            0,
            octet(self.ns + 1),
            octet(i + 1),
        ))];
        if self.v6 {
            out.push(IpAddr::V6(Ipv6Addr::new(
                0xfd00,
                group(self.ns + 1),
                0,
                0,
                0,
                0,
                0,
                group(i + 1),
            )));
        }
        out
    }
}

impl Host {
    /// The host endpoint's expected IPs: `10.240.0.<j+1>`, and `fd99::<j+1>` when dual-stack.
    pub(crate) fn addresses(&self, j: usize) -> Vec<IpAddr> {
        let mut out = vec![IpAddr::V4(Ipv4Addr::new(10, 240, 0, octet(j + 1)))];
        if self.v6 {
            out.push(IpAddr::V6(Ipv6Addr::new(
                0xfd99,
                0,
                0,
                0,
                0,
                0,
                0,
                group(j + 1),
            )));
        }
        out
    }
}

/// Labels drawn from `alphabet`: each key present with some probability.
pub(crate) fn labels(
    alphabet: &'static [(&'static str, &'static [&'static str])],
    p: f64,
) -> BoxedStrategy<Labels> {
    let per_key: Vec<BoxedStrategy<Option<(&'static str, &'static str)>>> = alphabet
        .iter()
        .map(|(k, values)| {
            let k = *k;
            weighted(p, select(*values).prop_map(move |v| (k, v))).boxed()
        })
        .collect();
    per_key
        .prop_map(|v| v.into_iter().flatten().collect())
        .boxed()
}

fn pod() -> impl Strategy<Value = Pod> {
    (
        0..NAMESPACES.len(),
        labels(POD_LABELS, 0.6),
        weighted(0.85, 0..NODES.len()),
        proptest::bool::weighted(0.3),
        proptest::bool::weighted(0.3),
        subsequence((0..NAMED_PORTS.len()).collect::<Vec<_>>(), 0..=3),
    )
        .prop_map(|(ns, labels, node, v6, sa, ports)| Pod {
            ns,
            labels,
            node,
            v6,
            sa,
            ports,
        })
}

fn host() -> impl Strategy<Value = Host> {
    (
        0..NODES.len(),
        labels(HOST_LABELS, 0.6),
        proptest::bool::weighted(0.3),
        prop_oneof![
            2 => Just(HostProfiles::None),
            2 => Just(HostProfiles::DefaultAllow),
            2 => Just(HostProfiles::Custom),
        ],
        subsequence((0..NAMED_PORTS.len()).collect::<Vec<_>>(), 0..=2),
    )
        .prop_map(|(node, labels, v6, profiles, ports)| Host {
            node,
            labels,
            v6,
            profiles,
            ports,
        })
}

fn net_set() -> impl Strategy<Value = NetSet> {
    (
        weighted(0.5, 0..NAMESPACES.len()),
        labels(NETSET_LABELS, 0.9),
        prop_oneof![
            vec(select(NETS_V4), 1..=2),
            vec(select(NETS_V6), 1..=2),
            (select(NETS_V4), select(NETS_V6)).prop_map(|(a, b)| vec![a, b]),
        ],
    )
        .prop_map(|(ns, labels, mut nets)| {
            nets.sort_unstable();
            nets.dedup();
            NetSet { ns, labels, nets }
        })
}

fn failsafe_list() -> impl Strategy<Value = Vec<FailsafeEntry>> {
    vec(
        (
            select(&["tcp", "udp", "sctp"][..]),
            select(&[22u16, 53, 68, 179, 2379, 8080][..]),
            weighted(
                0.3,
                select(&["10.0.0.0/16", "192.0.2.0/25", "fd00::/16"][..]),
            ),
        ),
        0..=3,
    )
}

fn felix() -> impl Strategy<Value = Felix> {
    (
        weighted(0.5, failsafe_list()),
        weighted(0.5, failsafe_list()),
        weighted(0.6, select(&["Drop", "Return", "Accept"][..])),
    )
        .prop_map(|(inbound, outbound, endpoint_to_host)| Felix {
            inbound,
            outbound,
            endpoint_to_host,
        })
}

/// A random cluster.
pub(crate) fn topology() -> impl Strategy<Value = Topology> {
    (
        vec(labels(NAMESPACE_LABELS, 0.6), NAMESPACES.len()),
        vec(weighted(0.4, labels(SA_LABELS, 0.8)), NAMESPACES.len()),
        vec(pod(), 1..=5),
        vec(host(), 0..=2),
        vec(net_set(), 0..=2),
        proptest::bool::weighted(0.3),
        weighted(0.35, felix()),
    )
        .prop_map(
            |(ns_labels, service_accounts, mut pods, hosts, network_sets, service, felix)| {
                // A pod may only use `sa1` where it exists.
                for p in &mut pods {
                    p.sa &= service_accounts[p.ns].is_some();
                }
                Topology {
                    ns_labels,
                    service_accounts,
                    pods,
                    hosts,
                    network_sets,
                    service,
                    felix,
                }
            },
        )
}

fn label_map(labels: &Labels) -> Map<String, Value> {
    labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect()
}

fn failsafe_json(list: &[FailsafeEntry]) -> Value {
    Value::Array(
        list.iter()
            .map(|(protocol, port, net)| {
                let mut m = json!({"protocol": protocol, "port": port});
                if let (Some(net), Some(obj)) = (net, m.as_object_mut()) {
                    obj.insert("net".to_owned(), Value::from(*net));
                }
                m
            })
            .collect(),
    )
}

impl Topology {
    /// True when a host endpoint lists the custom profile `prof1`.
    pub(crate) fn uses_custom_profile(&self) -> bool {
        self.hosts
            .iter()
            .any(|h| h.profiles == HostProfiles::Custom)
    }

    /// The resources of the cluster.
    pub(crate) fn documents(&self) -> Vec<Value> {
        let mut docs = Vec::new();
        for (i, ns) in NAMESPACES.iter().enumerate() {
            let mut meta = json!({"name": ns});
            if !self.ns_labels[i].is_empty()
                && let Some(m) = meta.as_object_mut()
            {
                m.insert(
                    "labels".into(),
                    Value::Object(label_map(&self.ns_labels[i])),
                );
            }
            docs.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": meta}));
        }
        for (i, sa) in self.service_accounts.iter().enumerate() {
            if let Some(labels) = sa {
                let mut meta = json!({"name": "sa1", "namespace": NAMESPACES[i]});
                if !labels.is_empty()
                    && let Some(m) = meta.as_object_mut()
                {
                    m.insert("labels".into(), Value::Object(label_map(labels)));
                }
                docs.push(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}));
            }
        }
        for (i, p) in self.pods.iter().enumerate() {
            let mut meta = json!({"name": pod_name(i), "namespace": NAMESPACES[p.ns]});
            if !p.labels.is_empty()
                && let Some(m) = meta.as_object_mut()
            {
                m.insert("labels".into(), Value::Object(label_map(&p.labels)));
            }
            let mut spec = Map::new();
            if let Some(node) = p.node {
                spec.insert("nodeName".into(), Value::from(NODES[node]));
            }
            if p.sa {
                spec.insert("serviceAccountName".into(), Value::from("sa1"));
            }
            let ports: Vec<Value> = p
                .ports
                .iter()
                .map(|&k| {
                    let (name, protocol, port) = NAMED_PORTS[k];
                    json!({"name": name, "containerPort": port, "protocol": protocol})
                })
                .collect();
            if !ports.is_empty() {
                spec.insert(
                    "containers".into(),
                    json!([{"name": "main", "ports": ports}]),
                );
            }
            let addrs = p.addresses(i);
            let mut status = json!({"podIP": addrs[0].to_string()});
            if addrs.len() > 1
                && let Some(s) = status.as_object_mut()
            {
                s.insert(
                    "podIPs".into(),
                    Value::Array(addrs.iter().map(|a| json!({"ip": a.to_string()})).collect()),
                );
            }
            docs.push(json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                             "spec": spec, "status": status}));
        }
        for (j, h) in self.hosts.iter().enumerate() {
            let mut labels = label_map(&h.labels);
            labels.insert("host-endpoint".into(), Value::from("true"));
            let mut spec = json!({
                "node": NODES[h.node],
                "interfaceName": "eth0",
                "expectedIPs": h.addresses(j).iter().map(ToString::to_string).collect::<Vec<_>>(),
            });
            if let Some(s) = spec.as_object_mut() {
                match h.profiles {
                    HostProfiles::None => {}
                    HostProfiles::DefaultAllow => {
                        s.insert("profiles".into(), json!(["projectcalico-default-allow"]));
                    }
                    HostProfiles::Custom => {
                        s.insert("profiles".into(), json!(["prof1"]));
                    }
                }
                if !h.ports.is_empty() {
                    let ports: Vec<Value> = h
                        .ports
                        .iter()
                        .map(|&k| {
                            let (name, protocol, port) = NAMED_PORTS[k];
                            json!({"name": name, "protocol": protocol, "port": port})
                        })
                        .collect();
                    s.insert("ports".into(), Value::Array(ports));
                }
            }
            docs.push(
                json!({"apiVersion": "projectcalico.org/v3", "kind": "HostEndpoint",
                             "metadata": {"name": host_name(j), "labels": labels},
                             "spec": spec}),
            );
        }
        for (k, n) in self.network_sets.iter().enumerate() {
            let name = format!("n{}", k + 1);
            let (kind, meta) = match n.ns {
                Some(ns) => (
                    "NetworkSet",
                    json!({"name": name, "namespace": NAMESPACES[ns], "labels": label_map(&n.labels)}),
                ),
                None => (
                    "GlobalNetworkSet",
                    json!({"name": name, "labels": label_map(&n.labels)}),
                ),
            };
            docs.push(json!({"apiVersion": "projectcalico.org/v3", "kind": kind,
                             "metadata": meta, "spec": {"nets": n.nets}}));
        }
        if self.service {
            docs.push(json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "svc1", "namespace": "ns1"},
                "spec": {"selector": {"app": "web"},
                         "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": "http"},
                                   {"name": "dns", "protocol": "UDP", "port": 53, "targetPort": 53}]}}));
        }
        if let Some(f) = &self.felix {
            let mut spec = Map::new();
            if let Some(list) = &f.inbound {
                spec.insert("failsafeInboundHostPorts".into(), failsafe_json(list));
            }
            if let Some(list) = &f.outbound {
                spec.insert("failsafeOutboundHostPorts".into(), failsafe_json(list));
            }
            if let Some(action) = f.endpoint_to_host {
                spec.insert("defaultEndpointToHostAction".into(), Value::from(action));
            }
            docs.push(
                json!({"apiVersion": "projectcalico.org/v3", "kind": "FelixConfiguration",
                             "metadata": {"name": "default"}, "spec": spec}),
            );
        }
        docs
    }
}
