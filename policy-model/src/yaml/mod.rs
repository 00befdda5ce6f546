//! YAML/JSON text → location-annotated trees → typed values.
//!
//! JSON is read by the same parser: YAML 1.2 is a superset of JSON, so one reader gives JSON
//! files the same line/column reporting as YAML files.

pub(crate) mod de;
pub(crate) mod node;

use serde_saphyr::granit_parser::{Event, Options, Parser};

use crate::problem::Location;
pub(crate) use node::{Node, TreeError, Value};

/// One document of a stream, parsed.
pub(crate) enum ParsedDocument {
    /// A document that parsed: its root (`None` for an empty document) and structural problems.
    Tree {
        root: Option<Node>,
        errors: Vec<TreeError>,
    },
    /// A YAML syntax error; the rest of this document is skipped.
    Syntax { message: String, location: Location },
}

/// Parses every document of `text`, calling `each` for each one in order. Lines are reported
/// with `line_offset` added (for slices of a larger file). A syntax error ends only the
/// document it is in: parsing resumes at the next `---` or `...` marker at column 0.
pub(crate) fn parse_documents(text: &str, line_offset: u32, mut each: impl FnMut(ParsedDocument)) {
    let mut options = Options::default();
    options.set_emit_comments(false);
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut builder: Option<node::TreeBuilder> = None;
    loop {
        match parser.next_event() {
            None => break,
            Some(Ok((event, span))) => match event {
                Event::StreamStart => {}
                Event::StreamEnd => break,
                Event::DocumentStart(..) => builder = Some(node::TreeBuilder::new(line_offset)),
                Event::DocumentEnd => {
                    if let Some(done) = builder.take() {
                        let (root, mut errors, fatal) = done.finish();
                        match fatal {
                            Some(fatal) => each(ParsedDocument::Syntax {
                                message: fatal.message,
                                location: fatal.location,
                            }),
                            None => {
                                errors.sort_by_key(|e| e.location);
                                each(ParsedDocument::Tree { root, errors });
                            }
                        }
                    }
                }
                other => {
                    let b = builder.get_or_insert_with(|| node::TreeBuilder::new(line_offset));
                    b.event(other, &span);
                }
            },
            Some(Err(error)) => {
                builder = None;
                let marker = error.marker();
                each(ParsedDocument::Syntax {
                    message: error.info(),
                    location: Location {
                        line: u32::try_from(marker.line())
                            .unwrap_or(u32::MAX)
                            .saturating_add(line_offset),
                        column: u32::try_from(marker.col())
                            .unwrap_or(u32::MAX)
                            .saturating_add(1),
                    },
                });
                match parser.proceed_next_document() {
                    Ok(true) => {}
                    Ok(false) | Err(_) => break,
                }
            }
        }
    }
}

/// The node at `path` below `root`, or the deepest node on the way that exists.
pub(crate) fn lookup<'a>(root: &'a Node, path: &crate::problem::FieldPath) -> &'a Node {
    use crate::problem::PathSegment;
    let mut node = root;
    for segment in path.segments() {
        let next = match (segment, &node.value) {
            (PathSegment::Key(key), Value::Map(_)) => node.get(key),
            (PathSegment::Index(index), Value::Seq(items)) => items.get(*index),
            _ => None,
        };
        match next {
            Some(next) => node = next,
            None => break,
        }
    }
    node
}
