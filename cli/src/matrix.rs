//! The pod-to-pod reachability matrix (`palisade matrix`): every selected workload × every
//! selected workload × each port, evaluated with one engine, shown like the Kubernetes
//! network-policy e2e truth tables (`.` allowed, `X` denied) or as JSON.

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use palisade_compiler::Verdict;
use palisade_compiler::flow::{Flow, Peer, parse_protocol, protocol_name};
use palisade_compiler::packet::{PORT_PROTOCOLS, PROTO_ICMP, PROTO_ICMPV6};
use palisade_policy_model::model::{EndpointKey, Model};
use palisade_selector::Selector;

use crate::backend::{Evaluator, Outcome};
use crate::select::effective_labels;

/// A protocol and port (or ICMP type/code) to probe: `tcp/80`, `udp/53`, `sctp/9`,
/// `udplite/7`, `icmp/8`, `icmpv6/128/0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PortSpec {
    /// IP protocol number.
    pub protocol: u8,
    /// Destination port (port protocols).
    pub port: Option<u16>,
    /// ICMP type and code (ICMP, ICMPv6).
    pub icmp: Option<(u8, u8)>,
}

impl FromStr for PortSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<PortSpec, String> {
        let mut parts = text.split('/');
        let head = parts.next().unwrap_or("");
        let rest: Vec<&str> = parts.collect();
        let protocol = parse_protocol(head).ok_or_else(|| {
            format!(
                "`{text}`: unknown protocol `{head}` (expected tcp, udp, sctp, udplite, icmp or \
                 icmpv6)"
            )
        })?;
        if PORT_PROTOCOLS.contains(&protocol) {
            let [port] = rest[..] else {
                return Err(format!("`{text}`: expected {head}/PORT, e.g. tcp/80"));
            };
            let port = port
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("`{text}`: the port must be 1-65535"))?;
            return Ok(PortSpec {
                protocol,
                port: Some(port),
                icmp: None,
            });
        }
        if matches!(protocol, PROTO_ICMP | PROTO_ICMPV6) {
            let number = |s: &str, what: &str| {
                s.parse::<u8>()
                    .map_err(|_| format!("`{text}`: the ICMP {what} must be 0-255"))
            };
            let icmp = match rest[..] {
                [t] => (number(t, "type")?, 0),
                [t, c] => (number(t, "type")?, number(c, "code")?),
                _ => {
                    return Err(format!(
                        "`{text}`: expected {head}/TYPE or {head}/TYPE/CODE"
                    ));
                }
            };
            return Ok(PortSpec {
                protocol,
                port: None,
                icmp: Some(icmp),
            });
        }
        Err(format!(
            "`{text}`: the matrix probes ports or ICMP types: use tcp, udp, sctp, udplite, icmp \
             or icmpv6"
        ))
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match protocol_name(self.protocol) {
            Some(name) => f.write_str(name)?,
            None => write!(f, "{}", self.protocol)?,
        }
        if let Some(p) = self.port {
            write!(f, "/{p}")?;
        }
        if let Some((t, c)) = self.icmp {
            write!(f, "/{t}/{c}")?;
        }
        Ok(())
    }
}

impl PortSpec {
    /// The flow from `src` to `dst` on this port.
    pub fn flow(&self, src: &EndpointKey, dst: &EndpointKey) -> Flow {
        let mut flow = Flow::new(
            Peer::Endpoint(src.clone()),
            Peer::Endpoint(dst.clone()),
            self.protocol,
        );
        flow.dst_port = self.port;
        if let Some((t, c)) = self.icmp {
            flow.icmp_type = Some(t);
            flow.icmp_code = Some(c);
        }
        flow
    }
}

/// One cell of the matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// The flow is allowed.
    Allow,
    /// The flow is denied.
    Deny,
    /// The flow could not be evaluated.
    Error(String),
}

impl Cell {
    fn mark(&self) -> char {
        match self {
            Cell::Allow => '.',
            Cell::Deny => 'X',
            Cell::Error(_) => '?',
        }
    }
}

/// The table of one port: `cells[src * n + dst]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortTable {
    /// The port.
    pub port: PortSpec,
    /// Row-major cells, row = source, column = destination.
    pub cells: Vec<Cell>,
}

/// A reachability matrix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matrix {
    /// Rows and columns, in order.
    pub endpoints: Vec<EndpointKey>,
    /// One table per port.
    pub tables: Vec<PortTable>,
}

/// Why endpoints could not be selected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectionError {
    /// Nothing is left to show.
    #[error("no workload endpoint with an address matches {0}")]
    Empty(String),
}

/// The workloads in the matrix: those in one of `namespaces` (all when empty) whose effective
/// labels match `selector` (all when `None`), in key order. Workloads without an address are
/// left out and named in the returned list of skipped endpoints.
pub fn select_workloads(
    model: &Model,
    namespaces: &[String],
    selector: Option<&Selector>,
) -> Result<(Vec<EndpointKey>, Vec<EndpointKey>), SelectionError> {
    let mut chosen = Vec::new();
    let mut skipped = Vec::new();
    for w in model.workloads() {
        if !namespaces.is_empty() && !namespaces.iter().any(|n| **n == *w.namespace) {
            continue;
        }
        if let Some(sel) = selector
            && !sel.matches(&effective_labels(model, &w.labels, &w.profiles))
        {
            continue;
        }
        if w.ips.is_empty() {
            skipped.push(w.key.clone());
        } else {
            chosen.push(w.key.clone());
        }
    }
    if chosen.is_empty() {
        let mut what = Vec::new();
        if !namespaces.is_empty() {
            what.push(format!("namespaces {}", namespaces.join(", ")));
        }
        if let Some(s) = selector {
            what.push(format!("selector {s}"));
        }
        if what.is_empty() {
            what.push("the input".to_owned());
        }
        return Err(SelectionError::Empty(what.join(" and ")));
    }
    Ok((chosen, skipped))
}

/// Evaluates every (source, destination) pair for every port, in table order (port, then
/// source, then destination), handing each outcome to `each` as soon as it is known, and
/// returns the matrix. With `pending`, the pending verdict decides the cell (the evaluator
/// must have been built with `staged`).
pub fn compute(
    evaluator: &Evaluator<'_>,
    endpoints: &[EndpointKey],
    ports: &[PortSpec],
    pending: bool,
    mut each: impl FnMut(&Result<Outcome, String>) -> io::Result<()>,
) -> io::Result<Matrix> {
    let mut tables = Vec::with_capacity(ports.len());
    for port in ports {
        let mut cells = Vec::with_capacity(endpoints.len() * endpoints.len());
        for src in endpoints {
            for dst in endpoints {
                let outcome = evaluator
                    .evaluate(&port.flow(src, dst))
                    .map_err(|e| e.to_string());
                each(&outcome)?;
                let cell = match &outcome {
                    Err(e) => Cell::Error(e.clone()),
                    Ok(o) => {
                        let result = if pending {
                            o.pending.as_ref().unwrap_or(&o.result)
                        } else {
                            &o.result
                        };
                        if result.verdict == Verdict::Allow {
                            Cell::Allow
                        } else {
                            Cell::Deny
                        }
                    }
                };
                cells.push(cell);
            }
        }
        tables.push(PortTable { port: *port, cells });
    }
    Ok(Matrix {
        endpoints: endpoints.to_vec(),
        tables,
    })
}

impl Matrix {
    /// The cells that could not be evaluated: (port, source, destination, message).
    pub fn errors(&self) -> Vec<(PortSpec, &EndpointKey, &EndpointKey, &str)> {
        let n = self.endpoints.len();
        let mut out = Vec::new();
        for t in &self.tables {
            for (i, cell) in t.cells.iter().enumerate() {
                if let Cell::Error(e) = cell
                    && let (Some(s), Some(d)) =
                        (self.endpoints.get(i / n), self.endpoints.get(i % n))
                {
                    out.push((t.port, s, d, e.as_str()));
                }
            }
        }
        out
    }

    /// Writes the truth tables: one per port, rows = sources, numbered columns = destinations.
    pub fn write_table(&self, w: &mut dyn Write) -> io::Result<()> {
        let n = self.endpoints.len();
        let index_width = n.to_string().len();
        let name_width = self
            .endpoints
            .iter()
            .map(|e| e.to_string().len())
            .max()
            .unwrap_or(0);
        for (t_index, t) in self.tables.iter().enumerate() {
            if t_index > 0 {
                writeln!(w)?;
            }
            let allowed = t.cells.iter().filter(|c| **c == Cell::Allow).count();
            writeln!(
                w,
                "{} — rows: source, columns: destination; . allowed, X denied{} ({allowed} of {} allowed)",
                t.port,
                if t.cells.iter().any(|c| matches!(c, Cell::Error(_))) {
                    ", ? error"
                } else {
                    ""
                },
                t.cells.len()
            )?;
            write!(w, "{:>index_width$}  {:<name_width$}", "", "")?;
            for j in 1..=n {
                write!(w, " {j:>index_width$}")?;
            }
            writeln!(w)?;
            for (i, src) in self.endpoints.iter().enumerate() {
                write!(
                    w,
                    "{:>index_width$}  {:<name_width$}",
                    i + 1,
                    src.to_string()
                )?;
                for cell in t.cells.iter().skip(i * n).take(n) {
                    write!(w, " {:>index_width$}", cell.mark())?;
                }
                writeln!(w)?;
            }
        }
        Ok(())
    }

    /// The JSON form: `{"endpoints": [...], "ports": [{"port", "protocol", "dstPort" |
    /// "icmpType"/"icmpCode", "allowed": [[true|false|null]], "errors": [...]}]}` where
    /// `allowed[i][j]` is the flow from endpoint `i` to endpoint `j` (`null`: not evaluated, see
    /// `errors`).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{Value, json};
        let n = self.endpoints.len();
        let ports: Vec<Value> = self
            .tables
            .iter()
            .map(|t| {
                let rows: Vec<Value> = (0..n)
                    .map(|i| {
                        Value::Array(
                            t.cells
                                .iter()
                                .skip(i * n)
                                .take(n)
                                .map(|c| match c {
                                    Cell::Allow => Value::Bool(true),
                                    Cell::Deny => Value::Bool(false),
                                    Cell::Error(_) => Value::Null,
                                })
                                .collect(),
                        )
                    })
                    .collect();
                let errors: Vec<Value> = self
                    .errors()
                    .into_iter()
                    .filter(|(p, ..)| *p == t.port)
                    .map(|(_, s, d, e)| {
                        json!({"src": s.to_string(), "dst": d.to_string(), "error": e})
                    })
                    .collect();
                let mut port = json!({
                    "port": t.port.to_string(),
                    "protocol": protocol_name(t.port.protocol)
                        .map_or_else(|| json!(t.port.protocol), |n| json!(n)),
                });
                if let Some(p) = t.port.port {
                    port["dstPort"] = json!(p);
                }
                if let Some((ty, code)) = t.port.icmp {
                    port["icmpType"] = json!(ty);
                    port["icmpCode"] = json!(code);
                }
                port["allowed"] = Value::Array(rows);
                port["errors"] = Value::Array(errors);
                port
            })
            .collect();
        json!({
            "endpoints": self.endpoints.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "ports": ports,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_specs_parse_and_print() {
        let tcp: PortSpec = "tcp/80".parse().expect("tcp");
        assert_eq!(tcp.to_string(), "TCP/80");
        let icmp: PortSpec = "icmpv6/128".parse().expect("icmpv6");
        assert_eq!(icmp.icmp, Some((128, 0)));
        assert_eq!(icmp.to_string(), "ICMPv6/128/0");
        for bad in [
            "tcp", "tcp/0", "tcp/x", "gre/1", "icmp", "icmp/300", "proto/47",
        ] {
            assert!(bad.parse::<PortSpec>().is_err(), "{bad}");
        }
    }
}
