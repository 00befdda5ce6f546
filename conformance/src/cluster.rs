//! [`Cluster`]: a case's resources loaded into a model once, with the compile options its case
//! asks for and the compiled snapshots every compiled engine shares (built on first use).

use std::fmt;
use std::sync::{Arc, OnceLock};

use palisade_compiler::flow::Flow;
use palisade_compiler::{CompileOptions, Compiler, DnsCache, HttpMode, Snapshot};
use palisade_policy_model::model::Model;
use palisade_policy_model::{LoadOptions, Resource, load_str};

use crate::case::{CaseOptions, FlowObject, FlowProtocol, FlowSpec, HttpOption, IpFamily};

/// Which verdict a run computes (DECISIONS D8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    /// Staged policies are skipped (what the dataplane enforces).
    Enforced,
    /// Staged policies are treated as enforced (`expect.pending`).
    Pending,
}

impl Mode {
    /// `enforced` or `pending`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforced => "enforced",
            Mode::Pending => "pending",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a case's resources could not be turned into a model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// The policy-model loader (strict mode) reported problems.
    #[error("the resources do not load cleanly:\n  {}", problems.join("\n  "))]
    Load {
        /// Every problem, with its location inside the `resources` text.
        problems: Vec<String>,
    },
}

/// A case's cluster: the loaded resources, the model built from them, and the options.
#[derive(Debug)]
pub struct Cluster {
    resources: Vec<Resource>,
    model: Model,
    options: CaseOptions,
    /// Compiled snapshots, by mode (`[enforced, pending]`); errors as text.
    snapshots: [OnceLock<Result<Arc<Snapshot>, String>>; 2],
}

impl Cluster {
    /// Loads `resources` (multi-document YAML or JSON) in strict mode: any problem is an error.
    pub fn load(resources: &str, options: &CaseOptions) -> Result<Cluster, ClusterError> {
        let loaded = load_str(
            resources,
            None,
            &LoadOptions {
                strict: true,
                threads: 1,
            },
        );
        if !loaded.problems.is_empty() {
            return Err(ClusterError::Load {
                problems: loaded.problems.iter().map(ToString::to_string).collect(),
            });
        }
        let resources: Vec<Resource> = loaded.resources.into_iter().map(|r| r.value).collect();
        Ok(Cluster::from_resources(resources, options))
    }

    /// A cluster of already loaded resources.
    pub fn from_resources(resources: Vec<Resource>, options: &CaseOptions) -> Cluster {
        let model = Model::from_resources(resources.iter());
        Cluster {
            resources,
            model,
            options: options.clone(),
            snapshots: [OnceLock::new(), OnceLock::new()],
        }
    }

    /// The resources, in input order.
    pub fn resources(&self) -> &[Resource] {
        &self.resources
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The case options.
    pub fn options(&self) -> &CaseOptions {
        &self.options
    }

    /// The compile options for `mode`: the case's `http` handling and DNS answers, and the
    /// pending flag.
    pub fn compile_options(&self, mode: Mode) -> CompileOptions {
        let mut dns = DnsCache::new();
        for (name, addrs) in &self.options.dns {
            for addr in addrs {
                dns.insert(name, *addr);
            }
        }
        CompileOptions::new()
            .http(match self.options.http {
                HttpOption::Refuse => HttpMode::Refuse,
                HttpOption::L4Only => HttpMode::L4Only,
            })
            .pending(mode == Mode::Pending)
            .dns(dns)
    }

    /// The compiled snapshot for `mode`, compiled on first use and shared by every compiled
    /// engine. A compile with errors is an error (listing every error).
    pub fn snapshot(&self, mode: Mode) -> Result<&Arc<Snapshot>, String> {
        let slot = match mode {
            Mode::Enforced => &self.snapshots[0],
            Mode::Pending => &self.snapshots[1],
        };
        slot.get_or_init(|| {
            let compiler = Compiler::new(self.model.clone(), self.compile_options(mode));
            match compiler.check() {
                Ok(()) => Ok(Arc::new(compiler.into_snapshot())),
                Err(errors) => Err(errors.to_string()),
            }
        })
        .as_ref()
        .map_err(Clone::clone)
    }
}

/// The compiler's [`Flow`] for a flow as a case writes it: the text form goes through the
/// compiler's text parser, the object form through its JSON parser (both check the flow).
pub fn parse_flow(spec: &FlowSpec) -> Result<Flow, String> {
    match spec {
        FlowSpec::Text(text) => Flow::parse(text).map_err(|e| e.to_string()),
        FlowSpec::Object(object) => {
            Flow::from_json(&flow_json(object).to_string()).map_err(|e| e.to_string())
        }
    }
}

/// The JSON form of an object flow (the compiler's flow JSON).
pub fn flow_json(o: &FlowObject) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    map.insert("src".into(), o.src.clone().into());
    map.insert("dst".into(), o.dst.clone().into());
    let protocol: serde_json::Value = match o.protocol {
        FlowProtocol::Number(n) => n.into(),
        other => other.number().into(),
    };
    map.insert("protocol".into(), protocol);
    let mut put = |key: &str, value: Option<serde_json::Value>| {
        if let Some(v) = value {
            map.insert(key.into(), v);
        }
    };
    put("dstPort", o.dst_port.map(Into::into));
    put("srcPort", o.src_port.map(Into::into));
    put("icmpType", o.icmp_type.map(Into::into));
    put("icmpCode", o.icmp_code.map(Into::into));
    put(
        "ipVersion",
        o.ip_version.map(|v| match v {
            IpFamily::V4 => 4.into(),
            IpFamily::V6 => 6.into(),
        }),
    );
    put("via", (!o.via.is_empty()).then(|| o.via.to_vec().into()));
    put("fragment", o.fragment.then_some(true.into()));
    put("method", o.method.clone().map(Into::into));
    put("path", o.path.clone().map(Into::into));
    serde_json::Value::Object(map)
}
