//! Set definitions: what a rule's address or named-port condition refers to, and the stable ID
//! each one gets (SEMANTICS §1.5: selector sets use the selector's unique ID; named ports
//! `MakeUniqueID("n", selUID + "," + proto + "," + name)`; services `svc`/`svcnoport`; CIDR
//! lists and domain lists are content-addressed).

use std::sync::Arc;

use ipnet::IpNet;
use palisade_policy_model::model::ServiceRef;
use palisade_selector::Selector;

use crate::ir::{IpSetId, IpSetKind, IpSetSource};

/// What an IP set is computed from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SetDef {
    /// Addresses of every endpoint and network set whose effective labels match.
    Selector(Selector),
    /// (address, protocol, port) of every endpoint matching `selector` that has a port `name`
    /// (of `protocol`, when given).
    NamedPort {
        selector: Selector,
        protocol: Option<u8>,
        name: Arc<str>,
    },
    /// Endpoint addresses of a Service (source side).
    ServiceAddrs(ServiceRef),
    /// Endpoint (address, protocol, port) of a Service (destination side).
    ServicePorts(ServiceRef),
    /// Addresses the DNS cache maps these patterns to (normalised, sorted, de-duplicated).
    Domains(Vec<Arc<str>>),
    /// A literal CIDR list (host bits cleared, sorted, de-duplicated).
    Nets(Vec<IpNet>),
}

impl SetDef {
    /// A `Nets` definition from a rule's list, normalised.
    pub(crate) fn nets(nets: &[IpNet]) -> SetDef {
        let mut nets: Vec<IpNet> = nets.iter().map(IpNet::trunc).collect();
        nets.sort();
        nets.dedup();
        SetDef::Nets(nets)
    }

    /// A `Domains` definition from a rule's list, normalised (lower case, no trailing dot).
    pub(crate) fn domains(domains: &[Arc<str>]) -> SetDef {
        let mut out: Vec<Arc<str>> = domains
            .iter()
            .map(|d| Arc::from(crate::compiler::normalise_domain(d)))
            .collect();
        out.sort();
        out.dedup();
        SetDef::Domains(out)
    }

    /// The set's stable ID.
    pub(crate) fn id(&self) -> IpSetId {
        match self {
            SetDef::Selector(s) => IpSetId::from_raw(s.unique_id()),
            SetDef::NamedPort {
                selector,
                protocol,
                name,
            } => IpSetId::derive(
                "n",
                &format!(
                    "{},{},{}",
                    selector.unique_id(),
                    protocol_word(*protocol),
                    name
                ),
            ),
            SetDef::ServiceAddrs(s) => {
                IpSetId::derive("svcnoport", &format!("{}/{}", s.namespace, s.name))
            }
            SetDef::ServicePorts(s) => {
                IpSetId::derive("svc", &format!("{}/{}", s.namespace, s.name))
            }
            SetDef::Domains(d) => IpSetId::derive("dom", &d.join(",")),
            SetDef::Nets(n) => {
                let text: Vec<String> = n.iter().map(ToString::to_string).collect();
                IpSetId::derive("net", &text.join(","))
            }
        }
    }

    /// What the set holds.
    pub(crate) fn kind(&self) -> IpSetKind {
        match self {
            SetDef::NamedPort { .. } | SetDef::ServicePorts(_) => IpSetKind::AddrPorts,
            _ => IpSetKind::Addrs,
        }
    }

    /// Where the members come from, for dumps.
    pub(crate) fn source(&self) -> IpSetSource {
        match self {
            SetDef::Selector(s) => IpSetSource::Selector {
                selector: Arc::from(s.canonical()),
            },
            SetDef::NamedPort {
                selector,
                protocol,
                name,
            } => IpSetSource::NamedPort {
                selector: Arc::from(selector.canonical()),
                protocol: *protocol,
                name: name.clone(),
            },
            SetDef::ServiceAddrs(s) => IpSetSource::Service {
                namespace: s.namespace.clone(),
                name: s.name.clone(),
                with_ports: false,
            },
            SetDef::ServicePorts(s) => IpSetSource::Service {
                namespace: s.namespace.clone(),
                name: s.name.clone(),
                with_ports: true,
            },
            SetDef::Domains(d) => IpSetSource::Domains { domains: d.clone() },
            SetDef::Nets(_) => IpSetSource::Nets,
        }
    }

    /// The selector whose matches the set follows, if any.
    pub(crate) fn selector(&self) -> Option<&Selector> {
        match self {
            SetDef::Selector(s) | SetDef::NamedPort { selector: s, .. } => Some(s),
            _ => None,
        }
    }
}

fn protocol_word(protocol: Option<u8>) -> String {
    match protocol {
        None => "any".to_owned(),
        Some(6) => "tcp".to_owned(),
        Some(17) => "udp".to_owned(),
        Some(132) => "sctp".to_owned(),
        Some(n) => n.to_string(),
    }
}
