//! Conversions from `k8s-openapi` objects (feature `k8s-openapi`): each object converts to the
//! resource the loader yields for the same object written as YAML (validated and defaulted),
//! and the model conversion gives the same items either way. Values Palisade's types cannot
//! hold fail at the field the loader points at, and invalid objects report the loader's
//! violations.
//!
//! Run with a Kubernetes version selected on the command line (the library never selects
//! one): `cargo test -p palisade-policy-model --features k8s-openapi,k8s-openapi/latest
//! --test k8s_openapi` (or `k8s-openapi/earliest`).

#![cfg(feature = "k8s-openapi")]

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use k8s_openapi::api::core::v1 as corev1;
use k8s_openapi::api::discovery::v1 as discoveryv1;
use k8s_openapi::api::networking::v1 as networkingv1;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as metav1;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use palisade_policy_model::convert::{Converted, convert};
use palisade_policy_model::kube::from_k8s_openapi::{FromK8sError, ValueProblem};
use palisade_policy_model::kube::{self, KubeProtocol};
use palisade_policy_model::model::{Item, Severity};
use palisade_policy_model::values::PolicyType;
use palisade_policy_model::{Check, LoadOptions, ProblemKind, Resource, ResourceKind, load_str};

// ---- helpers --------------------------------------------------------------------------------

/// The one resource `yaml` loads to (strict mode, no problem allowed).
fn load_one(yaml: &str) -> Resource {
    let loaded = load_str(yaml, None, &LoadOptions::strict());
    assert!(
        loaded.problems.is_empty(),
        "unexpected problems: {:#?}\n{yaml}",
        loaded.problems
    );
    assert_eq!(loaded.resources.len(), 1);
    loaded
        .resources
        .into_iter()
        .next()
        .expect("one resource")
        .value
}

/// Asserts that `converted` equals the resource loaded from `yaml` and that both convert to
/// the same model items and notes; returns the items.
fn assert_same(converted: Resource, yaml: &str) -> Converted {
    let loaded = load_one(yaml);
    assert_eq!(
        converted, loaded,
        "k8s-openapi conversion differs from the loader"
    );
    let from_k8s = convert(&converted);
    let from_yaml = convert(&loaded);
    assert_eq!(from_k8s, from_yaml, "model items differ");
    from_k8s
}

/// The single problem the loader reports for `yaml`, as (field path, kind).
fn load_problem(yaml: &str) -> (String, ProblemKind) {
    let loaded = load_str(yaml, None, &LoadOptions::strict());
    assert!(
        loaded.resources.is_empty(),
        "expected the object to be rejected"
    );
    assert_eq!(loaded.problems.len(), 1, "{:#?}", loaded.problems);
    let problem = loaded.problems.into_iter().next().expect("one problem");
    (problem.path.to_string(), problem.kind)
}

/// A list field whose type differs between Kubernetes versions (`Vec<T>` or `Option<Vec<T>>`).
fn list<T, L: From<Vec<T>>>(items: Vec<T>) -> L {
    L::from(items)
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn meta(namespace: Option<&str>, name: &str, labels: &[(&str, &str)]) -> metav1::ObjectMeta {
    metav1::ObjectMeta {
        name: Some(name.to_owned()),
        namespace: namespace.map(str::to_owned),
        labels: (!labels.is_empty()).then(|| map(labels)),
        ..metav1::ObjectMeta::default()
    }
}

fn time(text: &str) -> metav1::Time {
    metav1::Time(text.parse().expect("a timestamp"))
}

fn selector(
    labels: &[(&str, &str)],
    expressions: &[(&str, &str, &[&str])],
) -> metav1::LabelSelector {
    metav1::LabelSelector {
        match_labels: (!labels.is_empty()).then(|| map(labels)),
        match_expressions: (!expressions.is_empty()).then(|| {
            expressions
                .iter()
                .map(|(key, operator, values)| metav1::LabelSelectorRequirement {
                    key: (*key).to_owned(),
                    operator: (*operator).to_owned(),
                    values: (!values.is_empty()).then(|| strings(values)),
                })
                .collect()
        }),
    }
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("an IP address")
}

fn net(text: &str) -> IpNet {
    text.parse().expect("a CIDR")
}

// ---- objects --------------------------------------------------------------------------------

fn namespace() -> corev1::Namespace {
    corev1::Namespace {
        metadata: metav1::ObjectMeta {
            annotations: Some(map(&[("owner", "team-a")])),
            uid: Some("0a1b2c3d".to_owned()),
            resource_version: Some("4711".to_owned()),
            creation_timestamp: Some(time("2024-05-01T12:00:00Z")),
            managed_fields: Some(vec![metav1::ManagedFieldsEntry {
                api_version: Some("v1".to_owned()),
                fields_type: Some("FieldsV1".to_owned()),
                fields_v1: Some(metav1::FieldsV1(serde_json::json!({
                    "f:metadata": {"f:labels": {"f:team": {}}}
                }))),
                manager: Some("kubectl".to_owned()),
                operation: Some("Apply".to_owned()),
                time: Some(time("2024-05-01T12:00:00Z")),
                ..metav1::ManagedFieldsEntry::default()
            }]),
            ..meta(None, "shop", &[("team", "a"), ("env", "prod")])
        },
        spec: Some(corev1::NamespaceSpec {
            finalizers: Some(strings(&["kubernetes"])),
        }),
        status: Some(corev1::NamespaceStatus {
            phase: Some("Active".to_owned()),
            ..corev1::NamespaceStatus::default()
        }),
    }
}

const NAMESPACE_YAML: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {team: a, env: prod}
  annotations: {owner: team-a}
  uid: 0a1b2c3d
  resourceVersion: "4711"
  creationTimestamp: "2024-05-01T12:00:00Z"
  managedFields:
  - apiVersion: v1
    fieldsType: FieldsV1
    fieldsV1: {"f:metadata": {"f:labels": {"f:team": {}}}}
    manager: kubectl
    operation: Apply
    time: "2024-05-01T12:00:00Z"
spec: {finalizers: [kubernetes]}
status: {phase: Active}
"#;

fn container_port(name: Option<&str>, port: i32, protocol: Option<&str>) -> corev1::ContainerPort {
    corev1::ContainerPort {
        name: name.map(str::to_owned),
        container_port: port,
        protocol: protocol.map(str::to_owned),
        ..corev1::ContainerPort::default()
    }
}

fn pod() -> corev1::Pod {
    corev1::Pod {
        metadata: metav1::ObjectMeta {
            owner_references: Some(vec![metav1::OwnerReference {
                api_version: "apps/v1".to_owned(),
                kind: "ReplicaSet".to_owned(),
                name: "web-5d8f".to_owned(),
                uid: "77aa".to_owned(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            generate_name: Some("web-5d8f-".to_owned()),
            ..meta(
                Some("shop"),
                "web-5d8f-x2x9q",
                &[("app", "web"), ("tier", "front")],
            )
        },
        spec: Some(corev1::PodSpec {
            service_account_name: Some("web-sa".to_owned()),
            service_account: Some("web-sa".to_owned()),
            node_name: Some("node-1".to_owned()),
            host_network: Some(false),
            containers: vec![
                corev1::Container {
                    name: "web".to_owned(),
                    image: Some("nginx:1.27".to_owned()),
                    ports: Some(vec![
                        container_port(Some("http"), 8080, Some("TCP")),
                        corev1::ContainerPort {
                            host_port: Some(30053),
                            host_ip: Some("0.0.0.0".to_owned()),
                            ..container_port(Some("dns"), 53, Some("UDP"))
                        },
                        container_port(None, 9090, None),
                    ]),
                    ..corev1::Container::default()
                },
                corev1::Container {
                    name: "sidecar".to_owned(),
                    ports: Some(vec![container_port(Some("sig"), 3868, Some("SCTP"))]),
                    ..corev1::Container::default()
                },
            ],
            init_containers: Some(vec![corev1::Container {
                name: "init".to_owned(),
                ports: Some(vec![container_port(Some("init-port"), 7000, None)]),
                ..corev1::Container::default()
            }]),
            ..corev1::PodSpec::default()
        }),
        status: Some(corev1::PodStatus {
            pod_ip: Some("10.0.0.7".to_owned()),
            pod_ips: Some(vec![
                corev1::PodIP {
                    ip: "10.0.0.7".to_owned(),
                },
                corev1::PodIP {
                    ip: "fd00::7".to_owned(),
                },
            ]),
            phase: Some("Running".to_owned()),
            host_ip: Some("192.168.1.10".to_owned()),
            ..corev1::PodStatus::default()
        }),
    }
}

const POD_YAML: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: web-5d8f-x2x9q
  generateName: web-5d8f-
  namespace: shop
  labels: {app: web, tier: front}
  ownerReferences:
  - {apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8f, uid: 77aa, controller: true, blockOwnerDeletion: true}
spec:
  serviceAccountName: web-sa
  serviceAccount: web-sa
  nodeName: node-1
  hostNetwork: false
  containers:
  - name: web
    image: nginx:1.27
    ports:
    - {name: http, containerPort: 8080, protocol: TCP}
    - {name: dns, containerPort: 53, protocol: UDP, hostPort: 30053, hostIP: 0.0.0.0}
    - {containerPort: 9090}
  - name: sidecar
    ports:
    - {name: sig, containerPort: 3868, protocol: SCTP}
  initContainers:
  - name: init
    ports:
    - {name: init-port, containerPort: 7000}
status:
  podIP: 10.0.0.7
  podIPs: [{ip: 10.0.0.7}, {ip: "fd00::7"}]
  phase: Running
  hostIP: 192.168.1.10
"#;

fn service_account() -> corev1::ServiceAccount {
    corev1::ServiceAccount {
        metadata: meta(Some("shop"), "web-sa", &[("role", "frontend")]),
        secrets: Some(vec![corev1::ObjectReference {
            name: Some("web-sa-token".to_owned()),
            ..corev1::ObjectReference::default()
        }]),
        image_pull_secrets: Some(vec![corev1::LocalObjectReference {
            name: "registry".to_owned(),
        }]),
        automount_service_account_token: Some(false),
    }
}

const SERVICE_ACCOUNT_YAML: &str = r#"
apiVersion: v1
kind: ServiceAccount
metadata: {name: web-sa, namespace: shop, labels: {role: frontend}}
secrets: [{name: web-sa-token}]
imagePullSecrets: [{name: registry}]
automountServiceAccountToken: false
"#;

fn service() -> corev1::Service {
    corev1::Service {
        metadata: meta(Some("shop"), "web", &[]),
        spec: Some(corev1::ServiceSpec {
            selector: Some(map(&[("app", "web")])),
            ports: Some(vec![
                corev1::ServicePort {
                    name: Some("http".to_owned()),
                    protocol: Some("TCP".to_owned()),
                    port: 80,
                    target_port: Some(IntOrString::String("http".to_owned())),
                    ..corev1::ServicePort::default()
                },
                corev1::ServicePort {
                    name: Some("dns".to_owned()),
                    protocol: Some("UDP".to_owned()),
                    port: 53,
                    target_port: Some(IntOrString::Int(5353)),
                    node_port: Some(31053),
                    ..corev1::ServicePort::default()
                },
            ]),
            cluster_ip: Some("10.96.0.10".to_owned()),
            cluster_ips: Some(strings(&["10.96.0.10", "fd00:96::a"])),
            type_: Some("NodePort".to_owned()),
            session_affinity: Some("None".to_owned()),
            ..corev1::ServiceSpec::default()
        }),
        status: Some(corev1::ServiceStatus {
            load_balancer: Some(corev1::LoadBalancerStatus::default()),
            ..corev1::ServiceStatus::default()
        }),
    }
}

const SERVICE_YAML: &str = r#"
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports:
  - {name: http, protocol: TCP, port: 80, targetPort: http}
  - {name: dns, protocol: UDP, port: 53, targetPort: 5353, nodePort: 31053}
  clusterIP: 10.96.0.10
  clusterIPs: [10.96.0.10, "fd00:96::a"]
  type: NodePort
  sessionAffinity: None
status: {loadBalancer: {}}
"#;

fn endpoint_slice() -> discoveryv1::EndpointSlice {
    discoveryv1::EndpointSlice {
        metadata: meta(
            Some("shop"),
            "web-abc12",
            &[("kubernetes.io/service-name", "web")],
        ),
        address_type: "IPv4".to_owned(),
        endpoints: list(vec![
            discoveryv1::Endpoint {
                addresses: strings(&["10.0.0.7"]),
                conditions: Some(discoveryv1::EndpointConditions {
                    ready: Some(true),
                    serving: Some(true),
                    terminating: Some(false),
                }),
                node_name: Some("node-1".to_owned()),
                target_ref: Some(corev1::ObjectReference {
                    kind: Some("Pod".to_owned()),
                    name: Some("web-5d8f-x2x9q".to_owned()),
                    namespace: Some("shop".to_owned()),
                    ..corev1::ObjectReference::default()
                }),
                ..discoveryv1::Endpoint::default()
            },
            discoveryv1::Endpoint {
                addresses: strings(&["10.0.0.8"]),
                conditions: Some(discoveryv1::EndpointConditions {
                    ready: Some(false),
                    ..discoveryv1::EndpointConditions::default()
                }),
                ..discoveryv1::Endpoint::default()
            },
        ]),
        ports: Some(vec![
            discoveryv1::EndpointPort {
                name: Some("http".to_owned()),
                protocol: Some("TCP".to_owned()),
                port: Some(8080),
                app_protocol: Some("http".to_owned()),
            },
            discoveryv1::EndpointPort {
                name: Some("dns".to_owned()),
                protocol: Some("UDP".to_owned()),
                port: Some(5353),
                ..discoveryv1::EndpointPort::default()
            },
        ]),
    }
}

const ENDPOINT_SLICE_YAML: &str = r#"
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc12
  namespace: shop
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
endpoints:
- addresses: [10.0.0.7]
  conditions: {ready: true, serving: true, terminating: false}
  nodeName: node-1
  targetRef: {kind: Pod, name: web-5d8f-x2x9q, namespace: shop}
- addresses: [10.0.0.8]
  conditions: {ready: false}
ports:
- {name: http, protocol: TCP, port: 8080, appProtocol: http}
- {name: dns, protocol: UDP, port: 5353}
"#;

fn policy_port(
    protocol: Option<&str>,
    port: Option<IntOrString>,
    end_port: Option<i32>,
) -> networkingv1::NetworkPolicyPort {
    networkingv1::NetworkPolicyPort {
        protocol: protocol.map(str::to_owned),
        port,
        end_port,
    }
}

fn network_policy() -> networkingv1::NetworkPolicy {
    networkingv1::NetworkPolicy {
        metadata: metav1::ObjectMeta {
            generation: Some(3),
            ..meta(Some("shop"), "web-policy", &[("managed-by", "team-a")])
        },
        spec: Some(networkingv1::NetworkPolicySpec {
            pod_selector: Some(selector(
                &[("app", "web")],
                &[
                    ("tier", "In", &["front", "edge"]),
                    ("canary", "NotIn", &["true"]),
                    ("version", "Exists", &[]),
                    ("legacy", "DoesNotExist", &[]),
                ],
            )),
            ingress: Some(vec![
                networkingv1::NetworkPolicyIngressRule {
                    from: Some(vec![
                        networkingv1::NetworkPolicyPeer {
                            pod_selector: Some(selector(&[("app", "client")], &[])),
                            ..networkingv1::NetworkPolicyPeer::default()
                        },
                        networkingv1::NetworkPolicyPeer {
                            namespace_selector: Some(selector(&[("team", "a")], &[])),
                            pod_selector: Some(selector(&[], &[("role", "In", &["probe"])])),
                            ..networkingv1::NetworkPolicyPeer::default()
                        },
                        networkingv1::NetworkPolicyPeer {
                            ip_block: Some(networkingv1::IPBlock {
                                cidr: "172.17.0.0/16".to_owned(),
                                except: Some(strings(&["172.17.1.0/24", "172.17.2.0/24"])),
                            }),
                            ..networkingv1::NetworkPolicyPeer::default()
                        },
                    ]),
                    ports: Some(vec![
                        policy_port(Some("TCP"), Some(IntOrString::Int(80)), None),
                        policy_port(None, Some(IntOrString::String("http".to_owned())), None),
                        policy_port(Some("UDP"), Some(IntOrString::Int(32000)), Some(32768)),
                        policy_port(Some("SCTP"), None, None),
                    ]),
                },
                networkingv1::NetworkPolicyIngressRule {
                    from: Some(vec![networkingv1::NetworkPolicyPeer {
                        namespace_selector: Some(metav1::LabelSelector::default()),
                        ..networkingv1::NetworkPolicyPeer::default()
                    }]),
                    ports: None,
                },
            ]),
            egress: Some(vec![networkingv1::NetworkPolicyEgressRule {
                to: Some(vec![networkingv1::NetworkPolicyPeer {
                    ip_block: Some(networkingv1::IPBlock {
                        cidr: "fd00::/48".to_owned(),
                        except: None,
                    }),
                    ..networkingv1::NetworkPolicyPeer::default()
                }]),
                ports: Some(vec![policy_port(
                    Some("TCP"),
                    Some(IntOrString::Int(443)),
                    None,
                )]),
            }]),
            policy_types: Some(strings(&["Ingress", "Egress"])),
        }),
    }
}

const NETWORK_POLICY_YAML: &str = r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-policy
  namespace: shop
  labels: {managed-by: team-a}
  generation: 3
spec:
  podSelector:
    matchLabels: {app: web}
    matchExpressions:
    - {key: tier, operator: In, values: [front, edge]}
    - {key: canary, operator: NotIn, values: ["true"]}
    - {key: version, operator: Exists}
    - {key: legacy, operator: DoesNotExist}
  ingress:
  - from:
    - podSelector: {matchLabels: {app: client}}
    - namespaceSelector: {matchLabels: {team: a}}
      podSelector: {matchExpressions: [{key: role, operator: In, values: [probe]}]}
    - ipBlock: {cidr: 172.17.0.0/16, except: [172.17.1.0/24, 172.17.2.0/24]}
    ports:
    - {protocol: TCP, port: 80}
    - {port: http}
    - {protocol: UDP, port: 32000, endPort: 32768}
    - {protocol: SCTP}
  - from:
    - namespaceSelector: {}
  egress:
  - to:
    - ipBlock: {cidr: "fd00::/48"}
    ports:
    - {protocol: TCP, port: 443}
  policyTypes: [Ingress, Egress]
"#;

// ---- equality with the loader ---------------------------------------------------------------

#[test]
fn namespace_converts_like_the_loader_and_becomes_its_profile() {
    let converted = Resource::try_from(&namespace()).expect("converts");
    let items = assert_same(converted, NAMESPACE_YAML);
    // SEMANTICS: a namespace is the profile `kns.<name>` carrying its labels.
    let [Item::Profile(profile)] = items.items.as_slice() else {
        panic!("expected one profile, got {:?}", items.items);
    };
    assert_eq!(&*profile.name, "kns.shop");
    let typed = kube::Namespace::try_from(&namespace()).expect("converts");
    assert_eq!(
        typed.metadata.labels,
        map(&[("team", "a"), ("env", "prod")])
    );
    assert_eq!(
        typed.metadata.creation_timestamp.as_deref(),
        Some("2024-05-01T12:00:00Z")
    );
}

#[test]
fn pod_converts_like_the_loader_and_keeps_everything_policy_needs() {
    let typed = kube::Pod::try_from(&pod()).expect("converts");
    assert_eq!(typed.metadata.namespace.as_deref(), Some("shop"));
    assert_eq!(
        typed.metadata.labels,
        map(&[("app", "web"), ("tier", "front")])
    );
    assert_eq!(typed.service_account(), "web-sa");
    assert_eq!(typed.spec.node_name.as_deref(), Some("node-1"));
    assert!(!typed.spec.host_network);
    assert_eq!(typed.ips(), [ip("10.0.0.7"), ip("fd00::7")]);
    assert_eq!(typed.status.phase.as_deref(), Some("Running"));
    let web = &typed.spec.containers[0];
    assert_eq!(web.ports.len(), 3);
    assert_eq!(web.ports[1].name.as_deref(), Some("dns"));
    assert_eq!(web.ports[1].container_port, 53);
    assert_eq!(web.ports[1].protocol, Some(KubeProtocol::Udp));
    assert_eq!(web.ports[1].host_port, Some(30053));
    assert_eq!(typed.spec.init_containers[0].ports[0].container_port, 7000);

    let converted = Resource::try_from(&pod()).expect("converts");
    let items = assert_same(converted, POD_YAML);
    let [Item::Workload(workload)] = items.items.as_slice() else {
        panic!("expected one workload endpoint, got {:?}", items.items);
    };
    assert_eq!(workload.ips, [net("10.0.0.7/32"), net("fd00::7/128")]);
    assert_eq!(workload.node.as_deref(), Some("node-1"));
    assert_eq!(workload.service_account.as_deref(), Some("web-sa"));
    assert_eq!(
        workload.profiles.iter().map(|p| &**p).collect::<Vec<_>>(),
        ["kns.shop", "ksa.shop.web-sa"]
    );
    // Named ports come from the regular containers only (not init containers).
    let mut named: Vec<(&str, u16)> = workload.ports.iter().map(|p| (&*p.name, p.port)).collect();
    named.sort_unstable();
    assert_eq!(named, [("dns", 53), ("http", 8080), ("sig", 3868)]);
}

#[test]
fn host_network_pod_converts_like_the_loader_and_is_no_workload() {
    let mut host = pod();
    if let Some(spec) = host.spec.as_mut() {
        spec.host_network = Some(true);
    }
    let converted = Resource::try_from(&host).expect("converts");
    let items = assert_same(
        converted,
        &POD_YAML.replace("hostNetwork: false", "hostNetwork: true"),
    );
    // DECISIONS D5: host-network pods are not workload endpoints.
    assert!(items.items.is_empty(), "{:?}", items.items);
    assert!(items.notes.iter().any(|n| n.severity == Severity::Info));
}

#[test]
fn finished_pod_keeps_its_phase_and_loses_its_addresses() {
    let mut done = pod();
    if let Some(status) = done.status.as_mut() {
        status.phase = Some("Succeeded".to_owned());
    }
    let converted = Resource::try_from(&done).expect("converts");
    let items = assert_same(
        converted,
        &POD_YAML.replace("phase: Running", "phase: Succeeded"),
    );
    let [Item::Workload(workload)] = items.items.as_slice() else {
        panic!("expected one workload endpoint, got {:?}", items.items);
    };
    assert!(workload.ips.is_empty());
}

#[test]
fn pod_without_spec_or_status_uses_the_default_service_account() {
    let bare = corev1::Pod {
        metadata: meta(Some("shop"), "bare", &[]),
        ..corev1::Pod::default()
    };
    let converted = Resource::try_from(&bare).expect("converts");
    let Resource::Pod(typed) = &converted else {
        panic!("expected a pod, got {converted:?}");
    };
    assert_eq!(typed.service_account(), "default");
    assert!(typed.ips().is_empty());
    assert_same(
        converted,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: bare, namespace: shop}\n",
    );
}

#[test]
fn service_account_converts_like_the_loader_and_becomes_its_profile() {
    let converted = Resource::try_from(&service_account()).expect("converts");
    let items = assert_same(converted, SERVICE_ACCOUNT_YAML);
    let [Item::Profile(profile)] = items.items.as_slice() else {
        panic!("expected one profile, got {:?}", items.items);
    };
    assert_eq!(&*profile.name, "ksa.shop.web-sa");
}

#[test]
fn service_converts_like_the_loader() {
    let typed = kube::Service::try_from(&service()).expect("converts");
    assert_eq!(typed.spec.selector, map(&[("app", "web")]));
    assert_eq!(typed.spec.ports[0].port, 80);
    assert_eq!(
        typed.spec.ports[0].target_port,
        Some(kube::IntOrString::String("http".to_owned()))
    );
    assert_eq!(
        typed.spec.ports[1].target_port,
        Some(kube::IntOrString::Int(5353))
    );
    assert_eq!(typed.spec.ports[1].protocol, Some(KubeProtocol::Udp));
    assert_eq!(typed.spec.service_type.as_deref(), Some("NodePort"));
    assert_eq!(
        typed.spec.cluster_ips,
        strings(&["10.96.0.10", "fd00:96::a"])
    );

    let converted = Resource::try_from(&service()).expect("converts");
    let items = assert_same(converted, SERVICE_YAML);
    assert!(
        matches!(items.items.as_slice(), [Item::Service(_)]),
        "{:?}",
        items.items
    );
}

#[test]
fn endpoint_slice_converts_like_the_loader() {
    let typed = kube::EndpointSlice::try_from(&endpoint_slice()).expect("converts");
    assert_eq!(typed.service_name(), Some("web"));
    assert_eq!(typed.address_type, "IPv4");
    assert_eq!(typed.endpoints.len(), 2);
    assert_eq!(typed.endpoints[0].addresses, strings(&["10.0.0.7"]));
    assert_eq!(
        typed.endpoints[0].conditions,
        Some(serde_json::json!({"ready": true, "serving": true, "terminating": false}))
    );
    assert_eq!(
        typed.endpoints[1].conditions,
        Some(serde_json::json!({"ready": false}))
    );
    assert_eq!(typed.ports[1].port, Some(5353));
    assert_eq!(typed.ports[1].protocol, Some(KubeProtocol::Udp));

    let converted = Resource::try_from(&endpoint_slice()).expect("converts");
    let items = assert_same(converted, ENDPOINT_SLICE_YAML);
    assert!(
        matches!(items.items.as_slice(), [Item::Slice(_)]),
        "{:?}",
        items.items
    );
}

#[test]
fn network_policy_converts_like_the_loader_with_the_full_spec() {
    let typed = kube::KubernetesNetworkPolicy::try_from(&network_policy()).expect("converts");
    let spec = &typed.spec;
    assert_eq!(spec.pod_selector.match_expressions.len(), 4);
    assert_eq!(
        spec.pod_selector.match_expressions[1].operator,
        kube::LabelSelectorOperator::NotIn
    );
    let block = spec.ingress[0].from[2].ip_block.as_ref().expect("ipBlock");
    assert_eq!(block.cidr, net("172.17.0.0/16"));
    assert_eq!(block.except, [net("172.17.1.0/24"), net("172.17.2.0/24")]);
    let range = &spec.ingress[0].ports[2];
    assert_eq!(range.protocol, Some(KubeProtocol::Udp));
    assert_eq!(range.port, Some(kube::IntOrString::Int(32000)));
    assert_eq!(range.end_port, Some(32768));
    assert_eq!(spec.ingress[0].ports[3].protocol, Some(KubeProtocol::Sctp));
    assert_eq!(spec.ingress[0].ports[3].port, None);
    assert_eq!(
        spec.ingress[1].from[0].namespace_selector,
        Some(kube::LabelSelector::default())
    );
    assert_eq!(
        spec.egress[0].to[0].ip_block.as_ref().map(|b| b.cidr),
        Some(net("fd00::/48"))
    );
    assert_eq!(spec.policy_types, [PolicyType::Ingress, PolicyType::Egress]);

    let converted = Resource::try_from(&network_policy()).expect("converts");
    let items = assert_same(converted, NETWORK_POLICY_YAML);
    let [Item::Policy(policy)] = items.items.as_slice() else {
        panic!("expected one policy, got {:?}", items.items);
    };
    assert!(!policy.ingress.is_empty());
    assert!(!policy.egress.is_empty());
}

#[test]
fn network_policy_gets_the_api_servers_defaults() {
    // No policyTypes, egress rules present: the API server (and the loader) default
    // policyTypes to [Ingress, Egress]; no namespace: `default`.
    let mut object = network_policy();
    object.metadata.namespace = None;
    if let Some(spec) = object.spec.as_mut() {
        spec.policy_types = None;
    }
    let typed = kube::KubernetesNetworkPolicy::try_from(&object).expect("converts");
    assert!(
        typed.spec.policy_types.is_empty(),
        "the typed conversion does not default"
    );
    let converted = Resource::try_from(&object).expect("converts");
    let Resource::KubernetesNetworkPolicy(defaulted) = &converted else {
        panic!("expected a NetworkPolicy, got {converted:?}");
    };
    assert_eq!(
        defaulted.spec.policy_types,
        [PolicyType::Ingress, PolicyType::Egress]
    );
    assert_eq!(defaulted.metadata.namespace.as_deref(), Some("default"));
    let yaml = NETWORK_POLICY_YAML
        .replace("  namespace: shop\n", "")
        .replace("  policyTypes: [Ingress, Egress]\n", "");
    assert_same(converted, &yaml);
}

#[test]
fn empty_network_policy_selects_all_pods_for_ingress() {
    let object = networkingv1::NetworkPolicy {
        metadata: meta(Some("shop"), "deny-all", &[]),
        spec: None,
    };
    let converted = Resource::try_from(&object).expect("converts");
    let Resource::KubernetesNetworkPolicy(typed) = &converted else {
        panic!("expected a NetworkPolicy, got {converted:?}");
    };
    assert!(typed.spec.pod_selector.is_empty());
    assert_eq!(typed.spec.policy_types, [PolicyType::Ingress]);
    assert_same(
        converted,
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n\
         metadata: {name: deny-all, namespace: shop}\nspec: {}\n",
    );
}

#[test]
fn resource_kind_follows_the_source_type() {
    let kinds = [
        Resource::try_from(&namespace()).map(|r| r.kind()),
        Resource::try_from(&pod()).map(|r| r.kind()),
        Resource::try_from(&service_account()).map(|r| r.kind()),
        Resource::try_from(&service()).map(|r| r.kind()),
        Resource::try_from(&endpoint_slice()).map(|r| r.kind()),
        Resource::try_from(&network_policy()).map(|r| r.kind()),
    ];
    assert_eq!(
        kinds,
        [
            Ok(ResourceKind::Namespace),
            Ok(ResourceKind::Pod),
            Ok(ResourceKind::ServiceAccount),
            Ok(ResourceKind::Service),
            Ok(ResourceKind::EndpointSlice),
            Ok(ResourceKind::KubernetesNetworkPolicy),
        ]
    );
}

// ---- values the typed resources cannot hold -------------------------------------------------

/// Asserts that converting fails at `path` with `problem`, and that the loader rejects the
/// YAML form of the same object at the same path.
fn assert_value_error(
    result: Result<Resource, FromK8sError>,
    yaml: &str,
    kind: ResourceKind,
    path: &str,
    problem: &ValueProblem,
) {
    let error = result.expect_err("the conversion must fail");
    let FromK8sError::Value {
        object,
        path: at,
        problem: found,
    } = &error
    else {
        panic!("expected a value error, got {error:?}");
    };
    assert_eq!(object.kind, kind);
    assert_eq!(object.namespace.as_deref(), Some("shop"));
    assert_eq!(at.to_string(), path);
    assert_eq!(found, problem);
    let (loader_path, loader_kind) = load_problem(yaml);
    assert_eq!(
        loader_path, path,
        "the loader points elsewhere: {loader_kind:?}"
    );
    assert!(
        matches!(loader_kind, ProblemKind::Decode { .. }),
        "{loader_kind:?}"
    );
}

#[test]
fn container_port_out_of_range_fails_where_the_loader_fails() {
    let mut object = pod();
    if let Some(spec) = object.spec.as_mut()
        && let Some(ports) = spec.containers[1].ports.as_mut()
    {
        ports[0].container_port = 70000;
    }
    assert_value_error(
        Resource::try_from(&object),
        &POD_YAML.replace("containerPort: 3868", "containerPort: 70000"),
        ResourceKind::Pod,
        "spec.containers[1].ports[0].containerPort",
        &ValueProblem::PortOutOfRange { value: 70000 },
    );
}

#[test]
fn negative_service_port_fails_where_the_loader_fails() {
    let mut object = service();
    if let Some(ports) = object.spec.as_mut().and_then(|s| s.ports.as_mut()) {
        ports[1].port = -53;
    }
    assert_value_error(
        Resource::try_from(&object),
        &SERVICE_YAML.replace("port: 53,", "port: -53,"),
        ResourceKind::Service,
        "spec.ports[1].port",
        &ValueProblem::PortOutOfRange { value: -53 },
    );
}

#[test]
fn lower_case_protocol_fails_where_the_loader_fails() {
    let mut object = endpoint_slice();
    if let Some(ports) = object.ports.as_mut() {
        ports[1].protocol = Some("udp".to_owned());
    }
    assert_value_error(
        Resource::try_from(&object),
        &ENDPOINT_SLICE_YAML.replace("protocol: UDP", "protocol: udp"),
        ResourceKind::EndpointSlice,
        "ports[1].protocol",
        &ValueProblem::Protocol {
            value: "udp".to_owned(),
        },
    );
}

#[test]
fn unparsable_pod_ip_fails_where_the_loader_fails() {
    let mut object = pod();
    if let Some(ips) = object.status.as_mut().and_then(|s| s.pod_ips.as_mut()) {
        ips[1].ip = "fd00::7::1".to_owned();
    }
    assert_value_error(
        Resource::try_from(&object),
        &POD_YAML.replace(r#"{ip: "fd00::7"}"#, r#"{ip: "fd00::7::1"}"#),
        ResourceKind::Pod,
        "status.podIPs[1].ip",
        &ValueProblem::IpAddress {
            value: "fd00::7::1".to_owned(),
        },
    );
}

#[test]
fn bare_ip_in_ip_block_except_fails_where_the_loader_fails() {
    let mut object = network_policy();
    if let Some(block) = object
        .spec
        .as_mut()
        .and_then(|s| s.ingress.as_mut())
        .and_then(|rules| rules[0].from.as_mut())
        .and_then(|peers| peers[2].ip_block.as_mut())
    {
        block.except = Some(strings(&["172.17.1.0/24", "172.17.2.1"]));
    }
    assert_value_error(
        Resource::try_from(&object),
        &NETWORK_POLICY_YAML.replace("172.17.2.0/24]", "172.17.2.1]"),
        ResourceKind::KubernetesNetworkPolicy,
        "spec.ingress[0].from[2].ipBlock.except[1]",
        &ValueProblem::CidrWithoutPrefix {
            value: "172.17.2.1".to_owned(),
        },
    );
}

#[test]
fn malformed_ip_block_cidr_fails_where_the_loader_fails() {
    let mut object = network_policy();
    if let Some(block) = object
        .spec
        .as_mut()
        .and_then(|s| s.egress.as_mut())
        .and_then(|rules| rules[0].to.as_mut())
        .and_then(|peers| peers[0].ip_block.as_mut())
    {
        block.cidr = "fd00::/129".to_owned();
    }
    assert_value_error(
        Resource::try_from(&object),
        &NETWORK_POLICY_YAML.replace("fd00::/48", "fd00::/129"),
        ResourceKind::KubernetesNetworkPolicy,
        "spec.egress[0].to[0].ipBlock.cidr",
        &ValueProblem::Cidr {
            value: "fd00::/129".to_owned(),
        },
    );
}

#[test]
fn unknown_selector_operator_fails_where_the_loader_fails() {
    let mut object = network_policy();
    if let Some(requirements) = object
        .spec
        .as_mut()
        .and_then(|s| s.pod_selector.as_mut())
        .and_then(|s| s.match_expressions.as_mut())
    {
        requirements[2].operator = "Exist".to_owned();
    }
    assert_value_error(
        Resource::try_from(&object),
        &NETWORK_POLICY_YAML.replace("operator: Exists", "operator: Exist"),
        ResourceKind::KubernetesNetworkPolicy,
        "spec.podSelector.matchExpressions[2].operator",
        &ValueProblem::Operator {
            value: "Exist".to_owned(),
        },
    );
}

#[test]
fn unknown_policy_type_fails_where_the_loader_fails() {
    let mut object = network_policy();
    if let Some(spec) = object.spec.as_mut() {
        spec.policy_types = Some(strings(&["Ingress", "egress"]));
    }
    assert_value_error(
        Resource::try_from(&object),
        &NETWORK_POLICY_YAML.replace("[Ingress, Egress]", "[Ingress, egress]"),
        ResourceKind::KubernetesNetworkPolicy,
        "spec.policyTypes[1]",
        &ValueProblem::PolicyType {
            value: "egress".to_owned(),
        },
    );
}

#[test]
fn value_errors_fail_the_typed_conversion_too() {
    let mut object = network_policy();
    if let Some(ports) = object
        .spec
        .as_mut()
        .and_then(|s| s.egress.as_mut())
        .and_then(|rules| rules[0].ports.as_mut())
    {
        ports[0].protocol = Some("ICMP".to_owned());
    }
    let error = kube::KubernetesNetworkPolicy::try_from(&object).expect_err("must fail");
    let FromK8sError::Value { path, problem, .. } = &error else {
        panic!("expected a value error, got {error:?}");
    };
    assert_eq!(path.to_string(), "spec.egress[0].ports[0].protocol");
    assert_eq!(
        problem,
        &ValueProblem::Protocol {
            value: "ICMP".to_owned()
        }
    );
    assert_eq!(error.object().name, "web-policy");
    let message = error.to_string();
    assert!(
        message.contains("spec.egress[0].ports[0].protocol"),
        "{message}"
    );
    assert!(message.contains("shop/web-policy"), "{message}");
}

// ---- validation -------------------------------------------------------------------------------

#[test]
fn invalid_objects_report_the_loaders_violations() {
    // An ipBlock combined with a podSelector in one peer, and endPort below port: the typed
    // conversion holds them, the Resource conversion validates like the loader.
    let mut object = network_policy();
    if let Some(rule) = object
        .spec
        .as_mut()
        .and_then(|s| s.ingress.as_mut())
        .map(|rules| &mut rules[0])
    {
        if let Some(peers) = rule.from.as_mut() {
            peers[2].pod_selector = Some(selector(&[("app", "x")], &[]));
        }
        if let Some(ports) = rule.ports.as_mut() {
            ports[2].end_port = Some(31000);
        }
    }
    kube::KubernetesNetworkPolicy::try_from(&object).expect("the typed conversion holds it");
    let error = Resource::try_from(&object).expect_err("validation must fail");
    let FromK8sError::Invalid {
        object: name,
        violations,
    } = &error
    else {
        panic!("expected violations, got {error:?}");
    };
    assert_eq!(name.kind, ResourceKind::KubernetesNetworkPolicy);
    let found: Vec<(Check, String)> = violations
        .iter()
        .map(|v| (v.check, v.path.to_string()))
        .collect();
    assert_eq!(
        found,
        [
            (
                Check::PeerIpBlockCombined,
                "spec.ingress[0].from[2].ipBlock".to_owned()
            ),
            (
                Check::PortRange,
                "spec.ingress[0].ports[2].endPort".to_owned()
            ),
        ]
    );
    let yaml = NETWORK_POLICY_YAML
        .replace(
            "    - ipBlock: {cidr: 172.17.0.0/16,",
            "    - podSelector: {matchLabels: {app: x}}\n      ipBlock: {cidr: 172.17.0.0/16,",
        )
        .replace("endPort: 32768", "endPort: 31000");
    let loaded = load_str(&yaml, None, &LoadOptions::strict());
    let from_loader: Vec<_> = loaded
        .problems
        .iter()
        .map(|p| match &p.kind {
            ProblemKind::Invalid(v) => v.clone(),
            other => panic!("expected only violations, got {other:?}"),
        })
        .collect();
    assert_eq!(violations, &from_loader);
}

#[test]
fn invalid_container_port_name_is_a_violation() {
    let mut object = pod();
    if let Some(ports) = object
        .spec
        .as_mut()
        .and_then(|s| s.containers[0].ports.as_mut())
    {
        ports[0].name = Some("Not_A_Port_Name".to_owned());
    }
    let error = Resource::try_from(&object).expect_err("validation must fail");
    let FromK8sError::Invalid { violations, .. } = &error else {
        panic!("expected violations, got {error:?}");
    };
    let (path, kind) = load_problem(&POD_YAML.replace("name: http,", "name: Not_A_Port_Name,"));
    let ProblemKind::Invalid(expected) = kind else {
        panic!("expected a violation from the loader, got {kind:?}");
    };
    assert_eq!(expected.path.to_string(), path);
    assert_eq!(violations, &[expected]);
}
