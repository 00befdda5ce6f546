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
    use serde::{Deserializer, Serializer};

    use crate::values::Protocol;

    pub(super) fn serialize<S: Serializer>(p: &Protocol, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&p.to_string().to_ascii_lowercase())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Protocol, D::Error> {
        struct ProtocolVisitor;
        impl serde::de::Visitor<'_> for ProtocolVisitor {
            type Value = Protocol;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a failsafe protocol: tcp, udp or sctp")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Protocol, E> {
                match text.to_ascii_lowercase().as_str() {
                    "tcp" => Ok(Protocol::Tcp),
                    "udp" => Ok(Protocol::Udp),
                    "sctp" => Ok(Protocol::Sctp),
                    _ => Err(E::custom(format!(
                        "invalid failsafe protocol `{text}`, expected tcp, udp or sctp"
                    ))),
                }
            }
        }
        d.deserialize_str(ProtocolVisitor)
    }
}

/// FelixConfiguration spec: the policy-relevant fields are typed; every other Felix setting is
/// kept verbatim in `other` and not interpreted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
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

impl<'de> Deserialize<'de> for FelixConfigurationSpec {
    /// Reads the typed fields where they stand (so errors carry their exact path) and keeps
    /// every other setting verbatim.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpecVisitor;

        impl<'de> serde::de::Visitor<'de> for SpecVisitor {
            type Value = FelixConfigurationSpec;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a FelixConfiguration spec mapping")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<FelixConfigurationSpec, A::Error> {
                let mut spec = FelixConfigurationSpec::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "failsafeInboundHostPorts" => {
                            spec.failsafe_inbound_host_ports = map.next_value()?;
                        }
                        "failsafeOutboundHostPorts" => {
                            spec.failsafe_outbound_host_ports = map.next_value()?;
                        }
                        "defaultEndpointToHostAction" => {
                            spec.default_endpoint_to_host_action = map.next_value()?;
                        }
                        _ => {
                            let value: serde_json::Value = map.next_value()?;
                            spec.other.insert(key, value);
                        }
                    }
                }
                Ok(spec)
            }
        }

        deserializer.deserialize_map(SpecVisitor)
    }
}
