//! Calico rules (`calico::Rule`) into model rules (SEMANTICS §2.6, §2.9; DECISIONS D3–D5).

use std::collections::HashMap;
use std::sync::Arc;

use ipnet::IpNet;

use super::context::{ConvertError, Ctx};
use super::selectors::{EntitySelectors, entity_selectors};
use crate::calico::{self, EntityRule};
use crate::model::{Entity, Rule, ServiceRef, allow_all_rule};
use crate::values::{Action, IpVersion, Port};

/// One rule to convert, with where it came from.
#[derive(Debug, Clone)]
pub(crate) struct SourceRule<'a> {
    /// The Calico rule (written, or built from a Kubernetes or admin rule).
    pub(crate) rule: std::borrow::Cow<'a, calico::Rule>,
    /// Index of the source object's rule this came from (what reports show).
    pub(crate) index: u32,
    /// Field path of that rule, e.g. `spec.ingress[2]`.
    pub(crate) path: String,
}

/// Converts a list of rules for a policy scoped to `namespace` (`None` for global policies and
/// profiles). A rule that cannot be converted fails closed (see [`fail_closed`]) with an error
/// note.
pub(crate) fn convert_rules<'a>(
    ctx: &mut Ctx,
    rules: impl IntoIterator<Item = SourceRule<'a>>,
    namespace: Option<&str>,
) -> Vec<Rule> {
    let mut out = Vec::new();
    let mut cache = SelectorCache::default();
    for source in rules {
        match convert_rule(ctx, &mut cache, &source, namespace) {
            Ok(rule) => out.push(rule),
            Err(error) => {
                let replacement = fail_closed(source.rule.action, source.index);
                let outcome = match replacement {
                    Some(_) => {
                        "the rule is replaced by a Deny rule that matches all traffic (fail closed)"
                    }
                    None => "the rule is dropped (it matches nothing)",
                };
                ctx.error(Some(&source.path), format!("{error}; {outcome}"));
                out.extend(replacement);
            }
        }
    }
    out
}

/// What an unconvertible rule becomes: a Deny or Pass rule becomes a Deny rule matching
/// everything; an Allow or Log rule matches nothing, so it is left out
/// (NETWORK-POLICY-API.md §0, SEMANTICS §5).
pub(crate) fn fail_closed(action: Action, source_index: u32) -> Option<Rule> {
    match action {
        Action::Deny | Action::Pass => Some(Rule {
            action: Action::Deny,
            source_index,
            ..allow_all_rule()
        }),
        Action::Allow | Action::Log => None,
    }
}

/// The selector fields of an entity, by source text: selector, notSelector, namespaceSelector,
/// and service accounts (names, selector).
type EntityKey = ([Option<String>; 3], Option<(Vec<String>, Option<String>)>);

/// Converted entity selectors by source text, for one rule list (one namespace scope). Building
/// them parses text several times, and a Kubernetes or admin rule becomes one Calico rule per
/// protocol with the same peers.
#[derive(Default)]
struct SelectorCache(HashMap<EntityKey, EntitySelectors>);

impl SelectorCache {
    fn get(
        &mut self,
        entity: &EntityRule,
        namespace: Option<&str>,
    ) -> Result<EntitySelectors, ConvertError> {
        let text =
            |s: &Option<palisade_selector::Selector>| s.as_ref().map(|s| s.source().to_owned());
        let key: EntityKey = (
            [
                text(&entity.selector),
                text(&entity.not_selector),
                text(&entity.namespace_selector),
            ],
            entity
                .service_accounts
                .as_ref()
                .map(|sa| (sa.names.clone(), text(&sa.selector))),
        );
        if let Some(hit) = self.0.get(&key) {
            return Ok(hit.clone());
        }
        let converted = entity_selectors(entity, namespace)?;
        self.0.insert(key, converted.clone());
        Ok(converted)
    }
}

/// Converts one rule.
fn convert_rule(
    ctx: &mut Ctx,
    cache: &mut SelectorCache,
    source: &SourceRule<'_>,
    namespace: Option<&str>,
) -> Result<Rule, ConvertError> {
    let rule = &*source.rule;
    let source_entity = convert_entity(
        ctx,
        cache,
        &rule.source,
        namespace,
        (&source.path, "source"),
    )?;
    let destination = convert_entity(
        ctx,
        cache,
        &rule.destination,
        namespace,
        (&source.path, "destination"),
    )?;
    Ok(Rule {
        action: rule.action,
        ip_version: rule.ip_version.or_else(|| implied_ip_version(rule)),
        protocol: rule.protocol,
        not_protocol: rule.not_protocol,
        icmp: rule.icmp,
        not_icmp: rule.not_icmp,
        source: source_entity,
        destination,
        http: rule.http.clone(),
        source_index: source.index,
    })
}

/// The family implied by the rule's CIDRs when all of them (`nets` and `notNets`, both sides)
/// are of one family (DECISIONS D3).
fn implied_ip_version(rule: &calico::Rule) -> Option<IpVersion> {
    let mut nets = [&rule.source, &rule.destination]
        .into_iter()
        .flat_map(|e| e.nets.iter().chain(&e.not_nets));
    let family = |net: &IpNet| match net {
        IpNet::V4(_) => IpVersion::V4,
        IpNet::V6(_) => IpVersion::V6,
    };
    let first = family(nets.next()?);
    nets.all(|n| family(n) == first).then_some(first)
}

fn convert_entity(
    ctx: &mut Ctx,
    cache: &mut SelectorCache,
    entity: &EntityRule,
    namespace: Option<&str>,
    (rule_path, side): (&str, &str),
) -> Result<Entity, ConvertError> {
    let selectors = cache.get(entity, namespace)?;
    let (ports, named_ports) = split_ports(&entity.ports);
    let (not_ports, not_named_ports) = split_ports(&entity.not_ports);
    let service = entity.services.as_ref().map(|s| {
        let service_namespace = if !s.namespace.is_empty() {
            s.namespace.as_str()
        } else if let Some(ns) = namespace {
            ns
        } else {
            ctx.warn(
                Some(&format!("{rule_path}.{side}.services.namespace")),
                "a services match in a global policy or profile must name the namespace; \
                 without one it matches no service",
            );
            ""
        };
        ServiceRef {
            namespace: Arc::from(service_namespace),
            name: Arc::from(s.name.as_str()),
        }
    });
    Ok(Entity {
        nets: entity.nets.clone(),
        not_nets: entity.not_nets.clone(),
        selector: selectors.selector,
        not_selector: selectors.not_selector,
        ports,
        named_ports,
        not_ports,
        not_named_ports,
        service,
        domains: entity
            .domains
            .iter()
            .map(|d| Arc::from(d.as_str()))
            .collect(),
    })
}

/// Splits a port list into numeric ranges and port names, keeping the order of each.
fn split_ports(ports: &[Port]) -> (Vec<crate::values::PortRange>, Vec<Arc<str>>) {
    let mut ranges = Vec::new();
    let mut names = Vec::new();
    for port in ports {
        match port {
            Port::Range(range) => ranges.push(*range),
            Port::Named(name) => names.push(Arc::from(name.as_str())),
        }
    }
    (ranges, names)
}
