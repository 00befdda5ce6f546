//! The FelixConfiguration fields that change policy behaviour.

use std::collections::BTreeMap;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::policy::calico_object;
use crate::meta::ObjectMeta;
use crate::values::Protocol;

/// `defaultEndpointToHostAction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EndpointToHostAction {
    /// Drop (default).
    Drop,
    /// Return to the rest of the INPUT chain.
    Return,
    /// Accept.
    Accept,
}

/// One failsafe entry: protocol (default TCP), port, optional CIDR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename = "FailsafePort")]
pub struct FailsafePort {
    /// Protocol, written lower-case in FelixConfiguration (`tcp`, `udp`, `sctp`).
    #[serde(default = "default_failsafe_protocol", with = "failsafe_protocol")]
    pub protocol: Protocol,
    /// Port number.
    pub port: u16,
    /// Peer network (source for inbound, destination for outbound).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net: Option<IpNet>,
}

fn default_failsafe_protocol() -> Protocol {
    Protocol::Tcp
}

mod failsafe_protocol {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::values::Protocol;

    pub(super) fn serialize<S: Serializer>(p: &Protocol, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&p.to_string().to_ascii_lowercase())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Protocol, D::Error> {
        let text = String::deserialize(d)?;
        match text.to_ascii_lowercase().as_str() {
            "tcp" => Ok(Protocol::Tcp),
            "udp" => Ok(Protocol::Udp),
            "sctp" => Ok(Protocol::Sctp),
            _ => Err(D::Error::custom(format!(
                "invalid failsafe protocol `{text}`, expected tcp, udp or sctp"
            ))),
        }
    }
}

/// FelixConfiguration spec: the policy-relevant fields are typed; every other Felix setting is
/// kept verbatim in `other` and not interpreted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FelixConfigurationSpec {
    /// Inbound failsafe ports (`None` = Felix defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failsafe_inbound_host_ports: Option<Vec<FailsafePort>>,
    /// Outbound failsafe ports (`None` = Felix defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failsafe_outbound_host_ports: Option<Vec<FailsafePort>>,
    /// What happens to workload → host traffic after egress policy allowed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_endpoint_to_host_action: Option<EndpointToHostAction>,
    /// All other settings, verbatim.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

impl FelixConfigurationSpec {
    /// Felix's default inbound failsafe ports (SEMANTICS §3).
    pub fn default_inbound() -> Vec<FailsafePort> {
        [
            (Protocol::Tcp, 22),
            (Protocol::Udp, 68),
            (Protocol::Tcp, 179),
            (Protocol::Tcp, 2379),
        ]
        .into_iter()
        .chain([
            (Protocol::Tcp, 2380),
            (Protocol::Tcp, 5473),
            (Protocol::Tcp, 6443),
        ])
        .chain([(Protocol::Tcp, 6666), (Protocol::Tcp, 6667)])
        .map(|(protocol, port)| FailsafePort {
            protocol,
            port,
            net: None,
        })
        .collect()
    }

    /// Felix's default outbound failsafe ports (SEMANTICS §3).
    pub fn default_outbound() -> Vec<FailsafePort> {
        [
            (Protocol::Udp, 53),
            (Protocol::Udp, 67),
            (Protocol::Tcp, 179),
            (Protocol::Tcp, 2379),
        ]
        .into_iter()
        .chain([
            (Protocol::Tcp, 2380),
            (Protocol::Tcp, 5473),
            (Protocol::Tcp, 6443),
        ])
        .chain([(Protocol::Tcp, 6666), (Protocol::Tcp, 6667)])
        .map(|(protocol, port)| FailsafePort {
            protocol,
            port,
            net: None,
        })
        .collect()
    }

    /// Effective inbound failsafe ports.
    pub fn inbound(&self) -> Vec<FailsafePort> {
        self.failsafe_inbound_host_ports
            .clone()
            .unwrap_or_else(Self::default_inbound)
    }

    /// Effective outbound failsafe ports.
    pub fn outbound(&self) -> Vec<FailsafePort> {
        self.failsafe_outbound_host_ports
            .clone()
            .unwrap_or_else(Self::default_outbound)
    }

    /// Effective endpoint-to-host action.
    pub fn endpoint_to_host_action(&self) -> EndpointToHostAction {
        self.default_endpoint_to_host_action
            .unwrap_or(EndpointToHostAction::Drop)
    }
}

calico_object!(
    /// `projectcalico.org/v3` FelixConfiguration (policy-relevant fields).
    FelixConfiguration,
    FelixConfigurationSpec
);
