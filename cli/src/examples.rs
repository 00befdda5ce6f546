//! The example cluster (`examples/cluster/` in the source tree), embedded in the binary with
//! `include_str!` so that `palisade demo` runs anywhere, from any directory, with no files
//! around. `palisade demo --examples DIR` reads another directory instead.

/// The example cluster's files: (path in the source tree, contents), in load order.
pub const EXAMPLE_CLUSTER: [(&str, &str); 10] = [
    (
        "examples/cluster/00-namespaces.yaml",
        include_str!("../../examples/cluster/00-namespaces.yaml"),
    ),
    (
        "examples/cluster/01-pods.yaml",
        include_str!("../../examples/cluster/01-pods.yaml"),
    ),
    (
        "examples/cluster/10-seed-icmp.yaml",
        include_str!("../../examples/cluster/10-seed-icmp.yaml"),
    ),
    (
        "examples/cluster/11-seed-tiers.yaml",
        include_str!("../../examples/cluster/11-seed-tiers.yaml"),
    ),
    (
        "examples/cluster/12-seed-kubernetes.yaml",
        include_str!("../../examples/cluster/12-seed-kubernetes.yaml"),
    ),
    (
        "examples/cluster/13-seed-calico.yaml",
        include_str!("../../examples/cluster/13-seed-calico.yaml"),
    ),
    (
        "examples/cluster/14-seed-kubernetes-repaired.yaml",
        include_str!("../../examples/cluster/14-seed-kubernetes-repaired.yaml"),
    ),
    (
        "examples/cluster/20-log-and-pass.yaml",
        include_str!("../../examples/cluster/20-log-and-pass.yaml"),
    ),
    (
        "examples/cluster/30-host-endpoint.yaml",
        include_str!("../../examples/cluster/30-host-endpoint.yaml"),
    ),
    (
        "examples/cluster/40-applications.yaml",
        include_str!("../../examples/cluster/40-applications.yaml"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of `examples/cluster/` is embedded, in sorted order (the order `-f DIR` reads).
    #[test]
    fn the_embedded_files_are_the_directory() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/cluster");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .expect("examples/cluster")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml") || n.ends_with(".json"))
            .collect();
        on_disk.sort();
        let embedded: Vec<&str> = EXAMPLE_CLUSTER
            .iter()
            .map(|(path, _)| path.rsplit('/').next().unwrap_or(path))
            .collect();
        assert_eq!(embedded, on_disk);
        for (path, text) in EXAMPLE_CLUSTER {
            let name = path.rsplit('/').next().unwrap_or(path);
            let disk = std::fs::read_to_string(dir.join(name)).expect("readable");
            assert_eq!(disk, text, "{path}");
        }
    }
}
