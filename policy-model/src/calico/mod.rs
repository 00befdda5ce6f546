//! Calico `projectcalico.org/v3` resources.

mod endpoints;
mod felix;
mod network_sets;
mod policy;
mod profile;
mod rule;
mod tier;

pub use endpoints::{
    EndpointPort, HostEndpoint, HostEndpointSpec, IpNat, WorkloadEndpoint, WorkloadEndpointPort,
    WorkloadEndpointSpec,
};
pub use felix::{EndpointToHostAction, FailsafePort, FelixConfiguration, FelixConfigurationSpec};
pub use network_sets::{GlobalNetworkSet, NetworkSet, NetworkSetSpec};
pub use policy::{
    GlobalNetworkPolicy, GlobalNetworkPolicySpec, NetworkPolicy, NetworkPolicySpec,
    PerformanceHint, StagedGlobalNetworkPolicy, StagedGlobalNetworkPolicySpec,
    StagedKubernetesNetworkPolicy, StagedKubernetesNetworkPolicySpec, StagedNetworkPolicy,
    StagedNetworkPolicySpec,
};
pub use profile::{Profile, ProfileSpec};
pub use rule::{
    EntityRule, HttpMatch, HttpPathMatch, Rule, RuleMetadata, ServiceAccountMatch, ServiceMatch,
};
pub use tier::{Tier, TierSpec};
