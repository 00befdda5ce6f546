//! Round trip: resource → YAML (serde-saphyr) and JSON (serde_json) → resource, equal.

use std::path::Path;

use palisade_policy_model::{LoadOptions, Resource, load_paths, load_str};

const SAMPLES: &str = r#"
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.everything, labels: {a: b}, annotations: {note: x}}
spec:
  tier: security
  order: 10.5
  selector: app == 'web' && tier in {'fe', 'be'}
  namespaceSelector: has(team)
  types: [Ingress, Egress]
  doNotTrack: true
  applyOnForward: true
  ingress:
  - action: Allow
    ipVersion: 4
    protocol: TCP
    source: {nets: [10.0.0.0/8], notNets: [10.1.0.0/16], selector: has(x), notSelector: has(y), namespaceSelector: global(), ports: [http, 80, '1000:2000'], notPorts: [22], serviceAccounts: {names: [sa], selector: role == 'x'}}
    destination: {ports: [443]}
    http: {methods: [GET], paths: [{exact: /a}, {prefix: /b/}]}
    metadata: {annotations: {why: because}}
  - action: Log
    protocol: ICMP
    icmp: {type: 3, code: 1}
    notICMP: {type: 8}
    notProtocol: "6"
  egress:
  - action: Allow
    destination: {domains: [example.com], services: {name: web, namespace: prod}}
---
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: h}
spec: {node: n, interfaceName: eth0, expectedIPs: [10.0.0.1, 'fd00::1'], profiles: [p], ports: [{name: http, protocol: TCP, port: 80}]}
---
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata: {name: default}
spec: {failsafeInboundHostPorts: [{protocol: udp, port: 68, net: 10.0.0.0/8}], defaultEndpointToHostAction: Accept, logSeverityScreen: Info, reportingInterval: 0s}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: n, labels: {app: web}}
spec: {serviceAccountName: sa, nodeName: node1, containers: [{name: c, ports: [{name: http, containerPort: 8080, protocol: TCP}]}]}
status: {podIP: 10.0.0.5, podIPs: [{ip: 10.0.0.5}, {ip: 'fd00::5'}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: k, namespace: n}
spec:
  podSelector: {matchLabels: {app: web}, matchExpressions: [{key: tier, operator: In, values: [fe]}]}
  policyTypes: [Ingress, Egress]
  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}, {namespaceSelector: {}}], ports: [{port: 80, endPort: 90}, {port: http, protocol: UDP}]}]
  egress: [{}]
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: c}
spec:
  tier: Admin
  priority: 3
  subject: {pods: {podSelector: {}}}
  egress: [{action: Accept, to: [{networks: [10.0.0.0/8]}], protocols: [{tcp: {destinationPort: {range: {start: 1, end: 2}}}}]}]
"#;

fn assert_round_trip(resources: &[Resource]) {
    let options = LoadOptions::strict();
    let yaml: Vec<String> = resources
        .iter()
        .map(|r| serde_saphyr::to_string(r).expect("serialize yaml"))
        .collect();
    let again = load_str(&yaml.join("---\n"), None, &options);
    assert!(
        again.problems.is_empty(),
        "{:?}\n{}",
        again.problems,
        yaml.join("---\n")
    );
    let again: Vec<Resource> = again.resources.into_iter().map(|r| r.value).collect();
    assert_eq!(again, resources);

    let json: Vec<String> = resources
        .iter()
        .map(|r| serde_json::to_string_pretty(r).expect("serialize json"))
        .collect();
    let again = load_str(&json.join("\n---\n"), None, &options);
    assert!(again.problems.is_empty(), "{:?}", again.problems);
    let again: Vec<Resource> = again.resources.into_iter().map(|r| r.value).collect();
    assert_eq!(again, resources);
}

#[test]
fn every_kind_of_field_survives_yaml_and_json() {
    let loaded = load_str(SAMPLES, None, &LoadOptions::strict());
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    assert_eq!(loaded.resources.len(), 6);
    let resources: Vec<Resource> = loaded.resources.into_iter().map(|r| r.value).collect();
    assert_round_trip(&resources);
}

#[test]
fn seeds_round_trip() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/seeds");
    let loaded = load_paths(&[dir], &LoadOptions::strict());
    assert!(!loaded.resources.is_empty());
    let resources: Vec<Resource> = loaded.resources.into_iter().map(|r| r.value).collect();
    assert_round_trip(&resources);
}
