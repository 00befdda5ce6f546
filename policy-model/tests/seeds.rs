//! Every YAML document of `shared/seeds/*.txt`, extracted byte-exact into `tests/data/seeds/`
//! (`NNN-<name>.yaml`, NNN = the seed file): the good ones load, the broken ones (lost
//! indentation, typos, removed API groups, placeholder text) fail with a precise error.

use std::path::{Path, PathBuf};

use palisade_policy_model::{
    LoadOptions, Location, ProblemKind, Resource, ResourceKind, load_paths,
};

fn seeds_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/seeds")
}

const GOOD: &[(&str, ResourceKind)] = &[
    ("000-block-icmp.yaml", ResourceKind::GlobalNetworkPolicy),
    (
        "000-allow-ping-in-cluster.yaml",
        ResourceKind::GlobalNetworkPolicy,
    ),
    (
        "000-allow-host-unreachable.yaml",
        ResourceKind::GlobalNetworkPolicy,
    ),
    ("001-platform-cat.yaml", ResourceKind::NetworkPolicy),
    (
        "001-default-default-deny.yaml",
        ResourceKind::GlobalNetworkPolicy,
    ),
    (
        "001-security-block-cat-egress.yaml",
        ResourceKind::NetworkPolicy,
    ),
    (
        "001-security-quarantine.yaml",
        ResourceKind::GlobalNetworkPolicy,
    ),
    ("003-deny-all.yaml", ResourceKind::KubernetesNetworkPolicy),
    (
        "003-default-deny-all-egress.yaml",
        ResourceKind::KubernetesNetworkPolicy,
    ),
    ("003-prometheus.yaml", ResourceKind::KubernetesNetworkPolicy),
    (
        "003-allow-egress-same-namespace.yaml",
        ResourceKind::KubernetesNetworkPolicy,
    ),
    (
        "003-allow-same-namespace.yaml",
        ResourceKind::KubernetesNetworkPolicy,
    ),
    (
        "003-customer-api-allow-web.yaml",
        ResourceKind::KubernetesNetworkPolicy,
    ),
    (
        "003-calico-allow-egress-same-namespace.yaml",
        ResourceKind::NetworkPolicy,
    ),
    ("003-deny-blue.yaml", ResourceKind::GlobalNetworkPolicy),
];

/// A broken seed: its first problem (line, column, field path, kind of problem, and a phrase the
/// message must contain), and how many problems there are in all.
struct Broken {
    file: &'static str,
    line: u32,
    column: u32,
    path: &'static str,
    kind: fn(&ProblemKind) -> bool,
    says: &'static str,
    count: usize,
}

fn syntax(kind: &ProblemKind) -> bool {
    matches!(kind, ProblemKind::Syntax { .. })
}
fn unknown_kind(kind: &ProblemKind) -> bool {
    matches!(kind, ProblemKind::UnknownKind { .. })
}
fn unknown_field(kind: &ProblemKind) -> bool {
    matches!(kind, ProblemKind::UnknownField { .. })
}

const BROKEN: &[Broken] = &[
    // The blog's HTML lost the indentation: `name` is no longer under `metadata`.
    Broken {
        file: "002-felix-default.yaml",
        line: 4,
        column: 1,
        path: "name",
        kind: unknown_field,
        says: "unknown field `name`",
        count: 6,
    },
    Broken {
        file: "002-my-host-eth0.yaml",
        line: 4,
        column: 1,
        path: "name",
        kind: unknown_field,
        says: "unknown field `name`",
        count: 7,
    },
    // Flattened rules: a sequence entry where a mapping key is expected.
    Broken {
        file: "002-k8s-worker.yaml",
        line: 16,
        column: 3,
        path: "",
        kind: syntax,
        says: "did not find expected key",
        count: 1,
    },
    // Typo in the version.
    Broken {
        file: "003-allow-from-ingress.yaml",
        line: 1,
        column: 13,
        path: "apiVersion",
        kind: unknown_kind,
        says: "did you mean apiVersion `networking.k8s.io/v1`?",
        count: 1,
    },
    // A removed API group.
    Broken {
        file: "003-alertmanager-mesh.yaml",
        line: 1,
        column: 13,
        path: "apiVersion",
        kind: unknown_kind,
        says: "no longer serves `NetworkPolicy`: expected apiVersion `networking.k8s.io/v1`",
        count: 1,
    },
    // Placeholder prose inside the spec.
    Broken {
        file: "003-drop-other-ingress.yaml",
        line: 7,
        column: 3,
        path: "",
        kind: syntax,
        says: "expected ':'",
        count: 1,
    },
    Broken {
        file: "003-allow-cluster-internal-ingress.yaml",
        line: 7,
        column: 3,
        path: "",
        kind: syntax,
        says: "expected ':'",
        count: 1,
    },
    // `Metadata:` / `Spec:` capitalised.
    Broken {
        file: "003-allow-tcp-6379.yaml",
        line: 3,
        column: 1,
        path: "Metadata",
        kind: unknown_field,
        says: "did you mean `metadata`?",
        count: 2,
    },
];

#[test]
fn every_seed_is_classified() {
    let mut files: Vec<String> = std::fs::read_dir(seeds_dir())
        .expect("seeds dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut known: Vec<String> = GOOD
        .iter()
        .map(|(f, _)| (*f).to_owned())
        .chain(BROKEN.iter().map(|b| b.file.to_owned()))
        .collect();
    known.sort();
    assert_eq!(files, known);
}

#[test]
fn good_seeds_load() {
    for (file, kind) in GOOD {
        let path = seeds_dir().join(file);
        let loaded = load_paths(&[path], &LoadOptions::strict());
        assert!(loaded.problems.is_empty(), "{file}: {:?}", loaded.problems);
        assert_eq!(loaded.resources.len(), 1, "{file}");
        assert_eq!(loaded.resources[0].value.kind(), *kind, "{file}");
        assert_eq!(
            loaded.resources[0].location,
            Location { line: 1, column: 1 },
            "{file}"
        );
    }
}

#[test]
fn broken_seeds_fail_with_a_precise_error() {
    for broken in BROKEN {
        let path = seeds_dir().join(broken.file);
        let loaded = load_paths(std::slice::from_ref(&path), &LoadOptions::strict());
        assert!(loaded.resources.is_empty(), "{}", broken.file);
        assert_eq!(
            loaded.problems.len(),
            broken.count,
            "{}: {:#?}",
            broken.file,
            loaded.problems
        );
        let first = &loaded.problems[0];
        assert_eq!(
            first.file.as_deref(),
            Some(path.as_path()),
            "{}",
            broken.file
        );
        assert_eq!(
            first.location,
            Some(Location {
                line: broken.line,
                column: broken.column
            }),
            "{}",
            broken.file
        );
        let path_text = if first.path.is_root() {
            String::new()
        } else {
            first.path.to_string()
        };
        assert_eq!(path_text, broken.path, "{}", broken.file);
        assert!(
            (broken.kind)(&first.kind),
            "{}: {:?}",
            broken.file,
            first.kind
        );
        assert!(
            first.to_string().contains(broken.says),
            "{}: {first}",
            broken.file
        );
    }
}

#[test]
fn seeds_from_lenient_mode_still_fail_when_the_structure_is_lost() {
    // Lenient mode ignores unknown fields, but a flattened object still lacks its metadata.
    let loaded = load_paths(
        &[seeds_dir().join("002-my-host-eth0.yaml")],
        &LoadOptions::lenient(),
    );
    assert_eq!(loaded.problems.len(), 1);
    assert_eq!(
        loaded.problems[0].location,
        Some(Location { line: 1, column: 1 })
    );
    assert!(
        loaded.problems[0]
            .to_string()
            .contains("missing required field `metadata`")
    );
}

#[test]
fn the_seed_directory_loads_as_a_whole() {
    let loaded = load_paths(&[seeds_dir()], &LoadOptions::strict());
    assert_eq!(loaded.resources.len(), GOOD.len());
    let expected: usize = BROKEN.iter().map(|b| b.count).sum();
    assert_eq!(loaded.problems.len(), expected);
    // The domain extension and the tier of the platform policy survive loading.
    let cat = loaded
        .resources
        .iter()
        .find(|r| r.value.metadata().name == "platform.cat")
        .expect("platform.cat");
    let Resource::NetworkPolicy(np) = &cat.value else {
        panic!("kind")
    };
    assert_eq!(np.spec.tier.as_deref(), Some("platform"));
    assert_eq!(np.spec.egress[2].destination.domains, ["catfact.ninja"]);
}
