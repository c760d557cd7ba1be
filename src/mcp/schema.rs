//! Tool input schemas as the providers accept them. Anthropic and OpenAI both want a plain object
//! schema at the top; OpenAI refuses top-level `anyOf`/`oneOf`/`allOf`/`not` and neither resolves
//! `$ref`s for us. A schema that cannot be made so is refused with the reason, and the tool is left
//! out rather than breaking every request that carries the tool list.

use serde_json::{Map, Value};

/// Larger schemas cost every request their size in prompt tokens; refuse them.
pub const MAX_SCHEMA_BYTES: usize = 32 * 1024;
/// How deep `$ref`s are followed before a schema counts as recursive.
const MAX_REF_DEPTH: usize = 8;

/// The schema to offer for a tool, or why the tool is left out.
pub fn sanitize(schema: &Map<String, Value>) -> Result<Map<String, Value>, String> {
    let defs = definitions(schema);
    let mut top = schema.clone();
    for key in ["$defs", "definitions", "$schema", "$id"] {
        top.remove(key);
    }
    let mut top = Value::Object(top);
    inline_refs(&mut top, &defs, 0)?;
    let Value::Object(mut top) = top else { return Err("its input schema is not a JSON object".into()) };
    match top.get("type") {
        None if top.contains_key("properties") || top.is_empty() => {
            top.insert("type".into(), Value::String("object".into()));
        }
        Some(Value::String(t)) if t == "object" => {}
        other => {
            let found = other.map_or("no type".to_string(), |t| format!("type {t}"));
            return Err(format!("its input schema is not an object schema ({found}); providers need type \"object\""));
        }
    }
    for key in ["anyOf", "oneOf", "allOf", "not", "enum"] {
        if top.contains_key(key) {
            return Err(format!("its input schema has \"{key}\" at the top, which providers refuse"));
        }
    }
    let size = serde_json::to_vec(&top).map_or(usize::MAX, |v| v.len());
    if size > MAX_SCHEMA_BYTES {
        return Err(format!("its input schema is {size} bytes, over the {MAX_SCHEMA_BYTES} bytes offered per tool"));
    }
    Ok(top)
}

fn definitions(top: &Map<String, Value>) -> Map<String, Value> {
    let mut defs = Map::new();
    for key in ["definitions", "$defs"] {
        if let Some(Value::Object(found)) = top.get(key) {
            defs.extend(found.iter().map(|(k, v)| (format!("#/{key}/{k}"), v.clone())));
        }
    }
    defs
}

/// Replaces every local `$ref` with its definition (siblings of the `$ref` are kept).
fn inline_refs(value: &mut Value, defs: &Map<String, Value>, depth: usize) -> Result<(), String> {
    match value {
        Value::Object(map) => {
            if let Some(reference) = map.remove("$ref") {
                let name = reference.as_str().unwrap_or_default().to_string();
                if depth >= MAX_REF_DEPTH {
                    return Err(format!("its input schema is recursive (through {name}), which cannot be inlined"));
                }
                let Some(Value::Object(target)) = defs.get(&name) else {
                    return Err(format!("its input schema refers to {name}, which it does not define"));
                };
                for (k, v) in target {
                    map.entry(k.clone()).or_insert_with(|| v.clone());
                }
                return inline_refs(value, defs, depth + 1);
            }
            map.values_mut().try_for_each(|v| inline_refs(v, defs, depth))
        }
        Value::Array(items) => items.iter_mut().try_for_each(|v| inline_refs(v, defs, depth)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn refs_are_inlined_and_the_top_made_an_object() {
        let schema = object(json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "properties": {"p": {"$ref": "#/$defs/Point", "description": "where"}},
            "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "number"}}}}
        }));
        let clean = sanitize(&schema).unwrap();
        assert_eq!(clean["type"], "object");
        assert_eq!(clean["properties"]["p"]["properties"]["x"]["type"], "number");
        assert_eq!(clean["properties"]["p"]["description"], "where");
        assert!(clean.get("$defs").is_none() && clean.get("$schema").is_none());
        assert_eq!(Value::Object(sanitize(&Map::new()).unwrap()), json!({"type": "object"}));
        let whole = object(json!({"$ref": "#/definitions/Args", "definitions": {"Args": {"type": "object"}}}));
        assert_eq!(Value::Object(sanitize(&whole).unwrap()), json!({"type": "object"}));
    }

    #[test]
    fn what_cannot_be_offered_says_why() {
        let cases = [
            (json!({"type": "string"}), "not an object schema"),
            (json!({"type": "object", "anyOf": [{}, {}]}), "\"anyOf\" at the top"),
            (json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/Nope"}}}), "does not define"),
            (
                json!({"type": "object", "properties": {"n": {"$ref": "#/$defs/Node"}},
                       "$defs": {"Node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}}}}}),
                "recursive",
            ),
            (json!({"type": "object", "description": "x".repeat(MAX_SCHEMA_BYTES)}), "bytes"),
        ];
        for (schema, reason) in cases {
            let why = sanitize(&object(schema)).unwrap_err();
            assert!(why.contains(reason), "{why}");
        }
    }
}
