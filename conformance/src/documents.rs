//! Resources as plain documents: a case's `resources` text read into one JSON value per YAML
//! document, and written back as one compact JSON document per line (JSON is YAML, and the
//! policy-model loader reads it with exact line numbers). Expanders and generators work on this
//! form, so they never depend on the typed resources' field layout.

use palisade_policy_model::decode_str;
use serde_json::Value;

/// Reads multi-document YAML (or JSON) into one value per document, with the policy-model
/// loader's own YAML reading (so scalars such as `y` or `010` mean what they mean to the
/// loader). Documents are separated by `---` lines; empty documents are dropped.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, String> {
    let mut docs = Vec::new();
    for (i, chunk) in split_documents(text).into_iter().enumerate() {
        if chunk
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            continue;
        }
        let doc: Value = decode_str(&chunk).map_err(|e| format!("document {i}: {e}"))?;
        if !doc.is_null() {
            docs.push(doc);
        }
    }
    Ok(docs)
}

/// Splits a YAML stream at its `---` document markers.
fn split_documents(text: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for line in text.lines() {
        let marker = line == "---" || line.starts_with("--- ") || line.starts_with("---\t");
        if marker {
            out.push(String::new());
            let rest = line[3..].trim();
            if !rest.is_empty()
                && let Some(last) = out.last_mut()
            {
                last.push_str(rest);
                last.push('\n');
            }
        } else if let Some(last) = out.last_mut() {
            last.push_str(line);
            last.push('\n');
        }
    }
    out
}

/// Writes documents as a multi-document stream, one compact JSON document per line.
pub fn render_documents(docs: &[Value]) -> String {
    let mut out = String::new();
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&doc.to_string());
        out.push('\n');
    }
    out
}

/// The `kind` of a document (empty when it has none).
pub fn kind(doc: &Value) -> &str {
    doc.get("kind").and_then(Value::as_str).unwrap_or("")
}

/// The `apiVersion` of a document (empty when it has none).
pub fn api_version(doc: &Value) -> &str {
    doc.get("apiVersion").and_then(Value::as_str).unwrap_or("")
}

/// `metadata.name` (empty when absent).
pub fn name(doc: &Value) -> &str {
    doc.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// `metadata.namespace`, when present.
pub fn namespace(doc: &Value) -> Option<&str> {
    doc.pointer("/metadata/namespace").and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_round_trip_through_json_lines() {
        let text = "{apiVersion: v1, kind: Namespace, metadata: {name: ns1}}\n---\n\
                    apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: ns1, labels: {x: 'true', y: y}}\n\
                    spec: {nodeName: node1}\nstatus: {podIP: 10.0.1.1}\n---\n";
        let docs = parse_documents(text).expect("parses");
        assert_eq!(docs.len(), 2);
        assert_eq!(kind(&docs[1]), "Pod");
        assert_eq!(name(&docs[1]), "a");
        assert_eq!(namespace(&docs[1]), Some("ns1"));
        assert_eq!(
            docs[1].pointer("/metadata/labels/x"),
            Some(&Value::from("true"))
        );
        assert_eq!(
            docs[1].pointer("/metadata/labels/y"),
            Some(&Value::from("y"))
        );
        let again = parse_documents(&render_documents(&docs)).expect("parses");
        assert_eq!(docs, again);
    }
}
