//! A serde `Deserializer` over the location-annotated tree ([`Node`]).
//!
//! It tracks the field path while descending, so every error carries the path and position of
//! the innermost node it concerns; it finds unknown struct fields itself (from the field list
//! serde passes to `deserialize_struct`), so that they can be reported with a suggestion in
//! strict mode and skipped in lenient mode; it treats `key: null` in a struct like an absent key
//! (as Kubernetes' JSON decoding does); and it can skip "poisoned" nodes, which lets the loader
//! decode a document again after an error to find the next one.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::node::{Node, Value};
use crate::problem::{FieldPath, Location, PathSegment};
use crate::suggest::closest;

/// A field path under construction: a linked list on the stack, materialised only on errors.
#[derive(Clone, Copy)]
pub(crate) enum PathLink<'a> {
    /// The object itself.
    Root,
    /// A mapping key under a parent.
    Key(&'a PathLink<'a>, &'a str),
    /// A sequence index under a parent.
    Index(&'a PathLink<'a>, usize),
}

impl PathLink<'_> {
    /// The path as a [`FieldPath`].
    pub(crate) fn field_path(&self) -> FieldPath {
        let mut segments = Vec::new();
        let mut link = self;
        loop {
            match link {
                PathLink::Root => break,
                PathLink::Key(parent, key) => {
                    segments.push(PathSegment::Key((*key).to_owned()));
                    link = parent;
                }
                PathLink::Index(parent, index) => {
                    segments.push(PathSegment::Index(*index));
                    link = parent;
                }
            }
        }
        segments.reverse();
        FieldPath::from_segments(segments)
    }

    fn is_root(&self) -> bool {
        matches!(self, PathLink::Root)
    }
}

/// A field that the target struct does not have.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UnknownField {
    /// Path of the field (the struct's path plus the key).
    pub(crate) path: FieldPath,
    /// Where the key is written.
    pub(crate) location: Location,
    /// The key as written.
    pub(crate) field: String,
    /// The fields the struct has.
    pub(crate) expected: &'static [&'static str],
    /// The closest known field, if any.
    pub(crate) suggestion: Option<&'static str>,
}

/// Decoding state shared by all nodes of one document.
pub(crate) struct Ctx<'a> {
    /// Report unknown fields (strict mode).
    pub(crate) strict: bool,
    /// Struct names whose unknown fields are always skipped.
    pub(crate) open_structs: &'static [&'static str],
    /// Keys allowed at the root besides the struct's own fields (`apiVersion`, `kind`).
    pub(crate) root_extra: &'static [&'static str],
    /// Unknown fields found.
    pub(crate) unknown: RefCell<Vec<UnknownField>>,
    /// Nodes (by address) to skip.
    pub(crate) poisoned: &'a HashSet<usize>,
}

/// The address of a node, its identity while the tree is not modified.
pub(crate) fn node_id(node: &Node) -> usize {
    std::ptr::from_ref(node) as usize
}

/// Where an error happened.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ErrorSite {
    pub(crate) path: FieldPath,
    pub(crate) location: Location,
    pub(crate) node: usize,
}

/// A decoding error with the innermost site it concerns.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DeError {
    pub(crate) message: String,
    pub(crate) site: Option<ErrorSite>,
    /// Set for "missing field" errors: the field name.
    pub(crate) missing_field: Option<&'static str>,
}

impl DeError {
    fn locate(mut self, path: &PathLink<'_>, node: &Node) -> Self {
        if self.site.is_none() {
            self.site = Some(ErrorSite {
                path: path.field_path(),
                location: node.location,
                node: node_id(node),
            });
        }
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            message: msg.to_string(),
            site: None,
            missing_field: None,
        }
    }

    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        let expected = exp.to_string();
        let scalar = matches!(
            unexp,
            de::Unexpected::Signed(_)
                | de::Unexpected::Unsigned(_)
                | de::Unexpected::Float(_)
                | de::Unexpected::Bool(_)
        );
        let hint = if scalar && expected.contains("string") {
            " (quote the value to make it a string)"
        } else {
            ""
        };
        Self::custom(format_args!("expected {expected}, found {unexp}{hint}"))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let list = expected
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let hint = closest(variant, expected.iter().copied())
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        Self::custom(format_args!(
            "unknown value `{variant}`, expected one of {list} (exact case){hint}"
        ))
    }

    fn missing_field(field: &'static str) -> Self {
        DeError {
            message: format!("missing required field `{field}`"),
            site: None,
            missing_field: Some(field),
        }
    }
}

/// Deserializes `T` from the tree rooted at `node`.
pub(crate) fn from_node<'de, T: de::Deserialize<'de>>(
    node: &'de Node,
    ctx: &Ctx<'_>,
) -> Result<T, DeError> {
    T::deserialize(NodeDe {
        node,
        ctx,
        path: &PathLink::Root,
    })
}

/// The deserializer for one node.
pub(crate) struct NodeDe<'de, 'p> {
    pub(crate) node: &'de Node,
    pub(crate) ctx: &'p Ctx<'p>,
    pub(crate) path: &'p PathLink<'p>,
}

impl<'de, 'p> NodeDe<'de, 'p> {
    fn fail(&self, error: DeError) -> DeError {
        error.locate(self.path, self.node)
    }

    fn invalid_type(&self, exp: &dyn de::Expected) -> DeError {
        let unexpected = match &self.node.value {
            Value::Null => de::Unexpected::Unit,
            Value::Bool(b) => de::Unexpected::Bool(*b),
            Value::Int(i) => de::Unexpected::Signed(*i),
            Value::UInt(u) => de::Unexpected::Unsigned(*u),
            Value::Float(f) => de::Unexpected::Float(*f),
            Value::String(s) => de::Unexpected::Str(s),
            Value::Seq(_) => de::Unexpected::Seq,
            Value::Map(_) => de::Unexpected::Map,
        };
        self.fail(<DeError as de::Error>::invalid_type(unexpected, exp))
    }
}

macro_rules! forward_to_any {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
                self.deserialize_any(visitor)
            }
        )*
    };
}

impl<'de, 'p> Deserializer<'de> for NodeDe<'de, 'p> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let result = match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::UInt(u) => visitor.visit_u64(*u),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Seq(items) => visitor.visit_seq(SeqDe {
                items,
                next: 0,
                ctx: self.ctx,
                path: self.path,
            }),
            Value::Map(entries) => visitor.visit_map(MapDe {
                entries,
                next: 0,
                value: None,
                ctx: self.ctx,
                path: self.path,
                fields: None,
            }),
        };
        result.map_err(|e| self.fail(e))
    }

    forward_to_any! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_bytes deserialize_byte_buf
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::String(s) => visitor.visit_borrowed_str(s).map_err(|e| self.fail(e)),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Null => visitor.visit_none().map_err(|e| self.fail(e)),
            _ => {
                let (node, path) = (self.node, self.path);
                visitor.visit_some(self).map_err(|e| e.locate(path, node))
            }
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Null => visitor.visit_unit().map_err(|e| self.fail(e)),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let (node, path) = (self.node, self.path);
        visitor
            .visit_newtype_struct(self)
            .map_err(|e| e.locate(path, node))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Seq(items) => visitor
                .visit_seq(SeqDe {
                    items,
                    next: 0,
                    ctx: self.ctx,
                    path: self.path,
                })
                .map_err(|e| self.fail(e)),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Map(entries) => visitor
                .visit_map(MapDe {
                    entries,
                    next: 0,
                    value: None,
                    ctx: self.ctx,
                    path: self.path,
                    fields: None,
                })
                .map_err(|e| self.fail(e)),
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::Map(entries) => {
                let open = self.ctx.open_structs.contains(&name);
                visitor
                    .visit_map(MapDe {
                        entries,
                        next: 0,
                        value: None,
                        ctx: self.ctx,
                        path: self.path,
                        fields: Some(StructFields { fields, open }),
                    })
                    .map_err(|e| self.fail(e))
            }
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.value {
            Value::String(s) => {
                let access = BorrowedStrDeserializer::<'de, DeError>::new(s);
                visitor.visit_enum(access).map_err(|e| self.fail(e))
            }
            _ => Err(self.invalid_type(&visitor)),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct SeqDe<'de, 'p> {
    items: &'de [Node],
    next: usize,
    ctx: &'p Ctx<'p>,
    path: &'p PathLink<'p>,
}

impl<'de> SeqAccess<'de> for SeqDe<'de, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        while let Some(item) = self.items.get(self.next) {
            let index = self.next;
            self.next += 1;
            if self.ctx.poisoned.contains(&node_id(item)) {
                continue;
            }
            let link = PathLink::Index(self.path, index);
            return seed
                .deserialize(NodeDe {
                    node: item,
                    ctx: self.ctx,
                    path: &link,
                })
                .map(Some);
        }
        Ok(None)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.next.min(self.items.len()))
    }
}

#[derive(Clone, Copy)]
struct StructFields {
    fields: &'static [&'static str],
    open: bool,
}

struct MapDe<'de, 'p> {
    entries: &'de [(super::node::Key, Node)],
    next: usize,
    value: Option<(&'de str, &'de Node)>,
    ctx: &'p Ctx<'p>,
    path: &'p PathLink<'p>,
    fields: Option<StructFields>,
}

impl<'de> MapAccess<'de> for MapDe<'de, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        while let Some((key, value)) = self.entries.get(self.next) {
            self.next += 1;
            if self.ctx.poisoned.contains(&node_id(value)) {
                continue;
            }
            if let Some(StructFields { fields, open }) = self.fields {
                if matches!(value.value, Value::Null) {
                    // `key: null` in an object means "not set".
                    continue;
                }
                if !fields.contains(&key.text.as_str()) {
                    let extra =
                        self.path.is_root() && self.ctx.root_extra.contains(&key.text.as_str());
                    if self.ctx.strict && !open && !extra {
                        let link = PathLink::Key(self.path, &key.text);
                        self.ctx.unknown.borrow_mut().push(UnknownField {
                            path: link.field_path(),
                            location: key.location,
                            field: key.text.clone(),
                            expected: fields,
                            suggestion: closest(&key.text, fields.iter().copied()),
                        });
                    }
                    continue;
                }
            }
            self.value = Some((&key.text, value));
            return seed
                .deserialize(BorrowedStrDeserializer::<DeError>::new(&key.text))
                .map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, DeError> {
        let Some((key, node)) = self.value.take() else {
            return Err(<DeError as de::Error>::custom("value requested before key"));
        };
        let link = PathLink::Key(self.path, key);
        seed.deserialize(NodeDe {
            node,
            ctx: self.ctx,
            path: &link,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() - self.next.min(self.entries.len()))
    }
}
