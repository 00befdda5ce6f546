//! A location-annotated YAML tree, built from the event stream of serde-saphyr's parser
//! (`granit_parser`), one document at a time.
//!
//! Each node keeps the line and column where it starts, so that decode errors and validation
//! violations (which carry a field path) can be mapped back to a position in the file. Plain
//! scalars are resolved with the YAML 1.2 core schema (`null`, booleans, integers, floats);
//! quoted and block scalars are always strings. Anchors and aliases are expanded (with a budget,
//! so that "billion laughs" documents fail cleanly), and merge keys (`<<`) are applied as
//! Kubernetes' YAML reader does.

use std::borrow::Cow;

use serde_saphyr::granit_parser::{Event, ScalarStyle, Span, Tag};

use crate::problem::Location;

/// A mapping key: its text and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Key {
    pub(crate) text: String,
    pub(crate) location: Location,
}

/// The value of a node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

impl Value {
    /// A short description for messages ("a mapping", "the integer 3", …).
    pub(crate) fn describe(&self) -> String {
        match self {
            Value::Null => "null".to_owned(),
            Value::Bool(b) => format!("the boolean `{b}`"),
            Value::Int(i) => format!("the integer `{i}`"),
            Value::UInt(u) => format!("the integer `{u}`"),
            Value::Float(f) => format!("the number `{f}`"),
            Value::String(s) => format!("the string {s:?}"),
            Value::Seq(_) => "a list".to_owned(),
            Value::Map(_) => "a mapping".to_owned(),
        }
    }
}

/// One node: a value and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) value: Value,
    pub(crate) location: Location,
}

impl Node {
    /// The value of mapping key `key`, if this is a mapping that has it.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.text == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string value, if this is a string.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Number of nodes in this subtree (for the alias expansion budget).
    fn weight(&self) -> usize {
        match &self.value {
            Value::Seq(items) => 1 + items.iter().map(Node::weight).sum::<usize>(),
            Value::Map(entries) => 1 + entries.iter().map(|(_, v)| 1 + v.weight()).sum::<usize>(),
            _ => 1,
        }
    }
}

/// Something wrong with the structure of a document that the YAML parser accepts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TreeError {
    pub(crate) message: String,
    pub(crate) location: Location,
    /// The path of keys/indices from the document root, outermost first.
    pub(crate) path: Vec<crate::problem::PathSegment>,
}

/// The most nodes that aliases may add to one document before it is refused (real manifests
/// use a handful; "billion laughs" documents would need billions).
pub(crate) const MAX_ALIAS_NODES: usize = 1_000_000;

/// Converts a parser position (1-based line, 0-based column) into a [`Location`], adding a
/// line offset for documents parsed from a slice of a larger file.
pub(crate) fn location(span: &Span, line_offset: u32) -> Location {
    Location {
        line: u32::try_from(span.start.line())
            .unwrap_or(u32::MAX)
            .saturating_add(line_offset),
        column: u32::try_from(span.start.col())
            .unwrap_or(u32::MAX)
            .saturating_add(1),
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        location: Location,
        anchor: usize,
    },
    Map {
        entries: Vec<(Key, Node)>,
        /// The keys, once the mapping is large enough for a linear duplicate scan to matter.
        index: Option<std::collections::HashSet<String>>,
        pending_key: Option<Key>,
        location: Location,
        anchor: usize,
        /// Entries brought in by merge keys (`<<`), applied when the mapping ends.
        merged: Vec<(Key, Node)>,
    },
}

/// Builds one document's tree from events.
pub(crate) struct TreeBuilder {
    stack: Vec<Frame>,
    anchors: Vec<(usize, Node)>,
    root: Option<Node>,
    /// Nodes added by alias expansion so far.
    nodes: usize,
    line_offset: u32,
    /// Structural problems found so far (duplicate keys, complex keys, …).
    pub(crate) errors: Vec<TreeError>,
    /// Set when the document cannot be represented (alias budget exceeded).
    pub(crate) fatal: Option<TreeError>,
}

impl TreeBuilder {
    pub(crate) fn new(line_offset: u32) -> Self {
        Self {
            stack: Vec::new(),
            anchors: Vec::new(),
            root: None,
            nodes: 0,
            line_offset,
            errors: Vec::new(),
            fatal: None,
        }
    }

    /// The finished root, once the document has ended.
    pub(crate) fn finish(self) -> (Option<Node>, Vec<TreeError>, Option<TreeError>) {
        (self.root, self.errors, self.fatal)
    }

    fn current_path(&self) -> Vec<crate::problem::PathSegment> {
        use crate::problem::PathSegment;
        let mut path = Vec::new();
        for frame in &self.stack {
            match frame {
                Frame::Seq { items, .. } => path.push(PathSegment::Index(items.len())),
                Frame::Map { pending_key, .. } => {
                    if let Some(key) = pending_key {
                        path.push(PathSegment::Key(key.text.clone()));
                    }
                }
            }
        }
        path
    }

    /// Feeds one event. Returns `false` once the document is complete.
    pub(crate) fn event(&mut self, event: Event<'_>, span: &Span) {
        if self.fatal.is_some() {
            return;
        }
        let at = location(span, self.line_offset);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let value = resolve_scalar(text, style, tag.as_deref());
                self.push_node(
                    Node {
                        value,
                        location: at,
                    },
                    anchor,
                    style == ScalarStyle::Plain,
                );
            }
            Event::SequenceStart(_, anchor, _) => self.stack.push(Frame::Seq {
                items: Vec::new(),
                location: at,
                anchor,
            }),
            Event::MappingStart(_, anchor, _) => self.stack.push(Frame::Map {
                entries: Vec::new(),
                index: None,
                pending_key: None,
                location: at,
                anchor,
                merged: Vec::new(),
            }),
            Event::SequenceEnd => {
                if let Some(Frame::Seq {
                    items,
                    location,
                    anchor,
                }) = self.stack.pop()
                {
                    self.push_node(
                        Node {
                            value: Value::Seq(items),
                            location,
                        },
                        anchor,
                        false,
                    );
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    mut entries,
                    location,
                    anchor,
                    merged,
                    ..
                }) = self.stack.pop()
                {
                    for (key, value) in merged {
                        if !entries.iter().any(|(k, _)| k.text == key.text) {
                            entries.push((key, value));
                        }
                    }
                    self.push_node(
                        Node {
                            value: Value::Map(entries),
                            location,
                        },
                        anchor,
                        false,
                    );
                }
            }
            Event::Alias(id) => {
                let found = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(anchor, _)| *anchor == id)
                    .map(|(_, node)| node.clone());
                match found {
                    Some(mut node) => {
                        self.nodes = self.nodes.saturating_add(node.weight());
                        if self.nodes > MAX_ALIAS_NODES {
                            self.fatal = Some(TreeError {
                                message: format!(
                                    "aliases expand this document by more than {MAX_ALIAS_NODES} \
                                     nodes; expected a document without exponential aliases"
                                ),
                                location: at,
                                path: self.current_path(),
                            });
                            return;
                        }
                        node.location = at;
                        self.push_node(node, 0, false);
                    }
                    None => {
                        self.errors.push(TreeError {
                            message: "alias to an unknown anchor".to_owned(),
                            location: at,
                            path: self.current_path(),
                        });
                        self.push_node(
                            Node {
                                value: Value::Null,
                                location: at,
                            },
                            0,
                            false,
                        );
                    }
                }
            }
            _ => {}
        }
    }

    fn push_node(&mut self, node: Node, anchor: usize, plain: bool) {
        if anchor != 0 {
            self.anchors.push((anchor, node.clone()));
        }
        // A problem to report once the frame is no longer borrowed: (message, location).
        let mut report: Option<(String, Location)> = None;
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                index,
                pending_key,
                merged,
                ..
            }) => match pending_key.take() {
                None => {
                    let text = match node.value {
                        Value::String(s) => s,
                        Value::Null => "null".to_owned(),
                        Value::Bool(b) => b.to_string(),
                        Value::Int(i) => i.to_string(),
                        Value::UInt(u) => u.to_string(),
                        Value::Float(f) => f.to_string(),
                        Value::Seq(_) | Value::Map(_) => {
                            report = Some((
                                "a mapping key must be a scalar, found a collection".to_owned(),
                                node.location,
                            ));
                            String::from("<complex key>")
                        }
                    };
                    let merge = plain && text == "<<";
                    let key = Key {
                        text: if merge { MERGE_KEY.to_owned() } else { text },
                        location: node.location,
                    };
                    let duplicate = match index {
                        Some(index) => !index.insert(key.text.clone()),
                        None => {
                            let found = entries.iter().any(|(k, _)| k.text == key.text);
                            if entries.len() >= INDEX_THRESHOLD {
                                *index = Some(
                                    entries
                                        .iter()
                                        .map(|(k, _)| k.text.clone())
                                        .chain([key.text.clone()])
                                        .collect(),
                                );
                            }
                            found
                        }
                    };
                    if !merge && duplicate {
                        report = Some((
                            format!(
                                "duplicate key `{}`; expected each key once per mapping",
                                key.text
                            ),
                            key.location,
                        ));
                    }
                    *pending_key = Some(key);
                }
                Some(key) => {
                    if key.text == MERGE_KEY {
                        if let Err(location) = merge_into(merged, node) {
                            report = Some((
                                "a merge key `<<` must be followed by a mapping or a list of \
                                 mappings"
                                    .to_owned(),
                                location,
                            ));
                        }
                    } else if let Some(slot) = entries.iter_mut().find(|(k, _)| k.text == key.text)
                    {
                        // Duplicate (already reported): the last value wins.
                        slot.1 = node;
                    } else {
                        entries.push((key, node));
                    }
                }
            },
        }
        if let Some((message, location)) = report {
            // The path includes the pending key (the duplicate or complex key itself).
            let path = self.current_path();
            self.errors.push(TreeError {
                message,
                location,
                path,
            });
        }
    }
}

/// Mappings with more keys than this check duplicates with a hash set.
const INDEX_THRESHOLD: usize = 32;

/// The internal spelling of a merge key (cannot clash with a real key).
const MERGE_KEY: &str = "\u{0}<<";

fn merge_into(merged: &mut Vec<(Key, Node)>, node: Node) -> Result<(), Location> {
    match node.value {
        Value::Map(entries) => {
            for (key, value) in entries {
                if !merged.iter().any(|(k, _)| k.text == key.text) {
                    merged.push((key, value));
                }
            }
            Ok(())
        }
        Value::Seq(items) => {
            for item in items {
                merge_into(merged, item)?;
            }
            Ok(())
        }
        _ => Err(node.location),
    }
}

/// Resolves a scalar: quoted and block scalars are strings; plain scalars follow the YAML 1.2
/// core schema. An explicit `!!str` tag forces a string.
fn resolve_scalar(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    let forced_string = tag.is_some_and(|t| t.is_yaml_core_schema_tag("str"));
    if style != ScalarStyle::Plain || forced_string {
        return Value::String(text.into_owned());
    }
    match resolve_plain(&text) {
        Some(value) => value,
        None => Value::String(text.into_owned()),
    }
}

/// YAML 1.2 core schema resolution of a plain scalar; `None` means "a string".
pub(crate) fn resolve_plain(text: &str) -> Option<Value> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Some(Value::Float(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Some(Value::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Some(Value::Float(f64::NAN)),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return u64::from_str_radix(hex, 16).ok().map(Value::UInt);
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return u64::from_str_radix(oct, 8).ok().map(Value::UInt);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if text.starts_with('-') {
            return match text.parse::<i64>() {
                Ok(i) => Some(Value::Int(i)),
                Err(_) => text.parse::<f64>().ok().map(Value::Float),
            };
        }
        return match digits.parse::<u64>() {
            Ok(u) => Some(Value::UInt(u)),
            Err(_) => digits.parse::<f64>().ok().map(Value::Float),
        };
    }
    // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let bytes = digits.as_bytes();
    let mut i = 0;
    let int_digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if i < bytes.len() && bytes[i] == b'.' {
        i += 1;
        frac_digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    if i < bytes.len() && matches!(bytes[i], b'e' | b'E') {
        i += 1;
        if i < bytes.len() && matches!(bytes[i], b'-' | b'+') {
            i += 1;
        }
        let exp_digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if exp_digits == 0 {
            return None;
        }
        i += exp_digits;
    }
    if i != bytes.len() {
        return None;
    }
    text.parse::<f64>().ok().map(Value::Float)
}
