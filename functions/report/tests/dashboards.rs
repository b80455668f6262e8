//! The OpenSearch Dashboards saved objects (dashboards/inspectorlink.ndjson) against the
//! index templates the Lambdas apply (findings and coverage): every line is a saved
//! object, every reference resolves, and every field a visualisation or search names
//! exists in the mappings of the template of its index pattern, with a type its
//! aggregation accepts. A renamed field fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;

fn repo_file(path: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Field path → mapping type, with multi-fields (`title.keyword`) and object properties
/// flattened as OpenSearch names them.
fn mapped_fields(template: &Value) -> BTreeMap<String, String> {
    fn walk(prefix: &str, properties: &Value, out: &mut BTreeMap<String, String>) {
        for (name, mapping) in properties.as_object().expect("properties is an object") {
            let path = format!("{prefix}{name}");
            if let Some(nested) = mapping.get("properties") {
                walk(&format!("{path}."), nested, out);
                continue;
            }
            let kind = mapping["type"].as_str().unwrap_or("object").to_owned();
            if let Some(fields) = mapping.get("fields").and_then(Value::as_object) {
                for (sub, sub_mapping) in fields {
                    out.insert(
                        format!("{path}.{sub}"),
                        sub_mapping["type"].as_str().unwrap().to_owned(),
                    );
                }
            }
            out.insert(path, kind);
        }
    }
    let mut out = BTreeMap::new();
    walk(
        "",
        &template["template"]["mappings"]["properties"],
        &mut out,
    );
    out
}

const NUMERIC: [&str; 6] = [
    "integer",
    "long",
    "float",
    "double",
    "short",
    "scaled_float",
];

/// Which mapping types an aggregation (or other use) accepts; None = any mapped field.
fn accepted(usage: &str) -> Option<&'static [&'static str]> {
    match usage {
        "terms" | "cardinality" | "significant_terms" => {
            Some(&["keyword", "ip", "integer", "long", "float", "boolean"])
        }
        "date_histogram" | "date_range" | "time_field" => Some(&["date"]),
        "max" | "min" | "avg" | "sum" | "median" | "percentiles" | "histogram" => Some(&NUMERIC),
        // Sorting needs doc values: not text.
        "sort" => Some(&[
            "keyword", "date", "ip", "integer", "long", "float", "double", "boolean",
        ]),
        // Read from _source (top hits, columns, queries): any mapped, indexed field.
        "top_hits" | "column" | "query" => None,
        _ => Some(&[]),
    }
}

fn parse_json_string(object: &Value, pointer: &str) -> Value {
    let text = object
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{} has no string at {pointer}", object["id"]));
    serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{} {pointer} is not JSON: {e}", object["id"]))
}

/// Field names in a simple KQL query (`a:b and c.d:*`).
fn kuery_fields(query: &str) -> Vec<String> {
    query
        .split_whitespace()
        .filter_map(|term| term.trim_start_matches(['(', '!']).split_once(':'))
        .map(|(field, _)| field.to_owned())
        .collect()
}

/// Everything wrong with `ndjson` given the index `templates`; empty when all is well.
fn problems(ndjson: &str, templates: &[Value]) -> Vec<String> {
    let mut problems = Vec::new();
    let check_field =
        |fields: &BTreeMap<String, String>,
         owner: &str,
         usage: &str,
         field: &str,
         problems: &mut Vec<String>| match (fields.get(field), accepted(usage)) {
            (None, _) => problems.push(format!(
                "{owner}: {usage} on {field}, which the index template does not map"
            )),
            (Some(kind), Some(types)) if !types.contains(&kind.as_str()) => problems.push(format!(
                "{owner}: {usage} on {field}, mapped as {kind} (needs one of {types:?})"
            )),
            (Some(kind), _) if kind == "object" => {
                problems.push(format!("{owner}: {usage} on {field}, which is not indexed"))
            }
            _ => {}
        };

    let mut objects: BTreeMap<(String, String), Value> = BTreeMap::new();
    for (n, line) in ndjson.lines().enumerate() {
        let object: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("line {}: not JSON: {e}", n + 1));
                continue;
            }
        };
        let (Some(id), Some(kind)) = (object["id"].as_str(), object["type"].as_str()) else {
            problems.push(format!("line {}: a saved object needs id and type", n + 1));
            continue;
        };
        if !object["attributes"]["title"].is_string() {
            problems.push(format!("{kind} {id}: no attributes.title"));
        }
        if objects
            .insert((kind.to_owned(), id.to_owned()), object.clone())
            .is_some()
        {
            problems.push(format!("{kind} {id}: defined twice"));
        }
    }

    // Each template's index patterns, and each index pattern object's mapped fields.
    let index_patterns: Vec<(&str, &Value)> = templates
        .iter()
        .flat_map(|template| {
            template["index_patterns"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |p| (p.as_str().unwrap(), template))
        })
        .collect();
    let pattern_fields: BTreeMap<&str, BTreeMap<String, String>> = objects
        .iter()
        .filter(|((kind, _), _)| kind == "index-pattern")
        .filter_map(|((_, id), object)| {
            let title = object["attributes"]["title"].as_str()?;
            let (_, template) = index_patterns.iter().find(|(p, _)| *p == title)?;
            Some((id.as_str(), mapped_fields(template)))
        })
        .collect();
    let no_fields = BTreeMap::new();
    for ((kind, id), object) in &objects {
        let owner = format!("{kind} {id}");
        let references: BTreeMap<&str, (&str, &str)> = object["references"]
            .as_array()
            .map(|refs| {
                refs.iter()
                    .map(|r| {
                        (
                            r["name"].as_str().unwrap_or(""),
                            (
                                r["type"].as_str().unwrap_or(""),
                                r["id"].as_str().unwrap_or(""),
                            ),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (name, (ref_type, ref_id)) in &references {
            if !objects.contains_key(&(ref_type.to_string(), ref_id.to_string())) {
                problems.push(format!(
                    "{owner}: reference {name} names {ref_type} {ref_id}, which is not in the file"
                ));
            }
        }
        let needs_ref =
            |name: &str, want: &str, problems: &mut Vec<String>| match references.get(name) {
                Some((t, _)) if *t == want => {}
                _ => problems.push(format!("{owner}: no {want} reference named {name}")),
            };
        // The fields of the index pattern this object reads (of itself, for a pattern).
        let fields = match kind.as_str() {
            "index-pattern" => pattern_fields.get(id.as_str()),
            _ => references
                .get("kibanaSavedObjectMeta.searchSourceJSON.index")
                .and_then(|(_, pattern)| pattern_fields.get(pattern)),
        }
        .unwrap_or(&no_fields);
        match kind.as_str() {
            "index-pattern" => {
                let title = object["attributes"]["title"].as_str().unwrap_or("");
                if !index_patterns.iter().any(|(p, _)| *p == title) {
                    let known: Vec<&str> = index_patterns.iter().map(|(p, _)| *p).collect();
                    problems.push(format!("{owner}: title {title} is not one of the templates' index_patterns {known:?}"));
                }
                if let Some(time_field) = object["attributes"]["timeFieldName"].as_str() {
                    check_field(fields, &owner, "time_field", time_field, &mut problems);
                }
            }
            "visualization" | "search" => {
                let source =
                    parse_json_string(object, "/attributes/kibanaSavedObjectMeta/searchSourceJSON");
                match source["indexRefName"].as_str() {
                    Some(name) => needs_ref(name, "index-pattern", &mut problems),
                    None => problems.push(format!("{owner}: searchSourceJSON has no indexRefName")),
                }
                if let Some(query) = source.pointer("/query/query").and_then(Value::as_str) {
                    for field in kuery_fields(query) {
                        check_field(fields, &owner, "query", &field, &mut problems);
                    }
                }
            }
            "dashboard" => {
                let panels = parse_json_string(object, "/attributes/panelsJSON");
                let mut cells = BTreeSet::new();
                for panel in panels.as_array().unwrap() {
                    match panel["panelRefName"].as_str() {
                        Some(name) if references.contains_key(name) => {}
                        other => problems.push(format!(
                            "{owner}: panel {} refers to {other:?}, not a reference",
                            panel["panelIndex"]
                        )),
                    }
                    let grid = &panel["gridData"];
                    let [x, y, w, h] = ["x", "y", "w", "h"].map(|k| grid[k].as_u64().unwrap_or(0));
                    if w == 0 || h == 0 || x + w > 48 {
                        problems.push(format!(
                            "{owner}: panel {} does not fit the 48-column grid",
                            panel["panelIndex"]
                        ));
                    }
                    for cx in x..x + w {
                        for cy in y..y + h {
                            if !cells.insert((cx, cy)) {
                                problems.push(format!(
                                    "{owner}: panel {} overlaps another at ({cx}, {cy})",
                                    panel["panelIndex"]
                                ));
                            }
                        }
                    }
                }
            }
            other => problems.push(format!("{owner}: unexpected saved object type {other}")),
        }
        if kind == "visualization" {
            let vis_state = parse_json_string(object, "/attributes/visState");
            if vis_state["title"] != object["attributes"]["title"] {
                problems.push(format!("{owner}: visState.title differs from the title"));
            }
            for agg in vis_state["aggs"].as_array().into_iter().flatten() {
                let agg_type = agg["type"].as_str().unwrap_or("");
                if let Some(field) = agg["params"]["field"].as_str() {
                    check_field(fields, &owner, agg_type, field, &mut problems);
                }
                if let Some(field) = agg["params"]["sortField"].as_str() {
                    check_field(fields, &owner, "sort", field, &mut problems);
                }
            }
        }
        if kind == "search" {
            for column in object["attributes"]["columns"]
                .as_array()
                .into_iter()
                .flatten()
            {
                check_field(
                    fields,
                    &owner,
                    "column",
                    column.as_str().unwrap_or(""),
                    &mut problems,
                );
            }
            for sort in object["attributes"]["sort"]
                .as_array()
                .into_iter()
                .flatten()
            {
                check_field(
                    fields,
                    &owner,
                    "sort",
                    sort[0].as_str().unwrap_or(""),
                    &mut problems,
                );
            }
        }
    }
    if !objects.keys().any(|(kind, _)| kind == "dashboard") {
        problems.push("no dashboard".into());
    }
    problems
}

fn template() -> Value {
    serde_json::from_str(&repo_file("functions/core/opensearch/index-template.json")).unwrap()
}

fn coverage_template() -> Value {
    serde_json::from_str(&repo_file(
        "functions/core/opensearch/coverage-index-template.json",
    ))
    .unwrap()
}

/// The findings template as given, and the coverage template.
fn with_coverage(findings: Value) -> [Value; 2] {
    [findings, coverage_template()]
}

#[test]
fn the_saved_objects_reference_only_what_exists() {
    let ndjson = repo_file("dashboards/inspectorlink.ndjson");
    assert!(
        ndjson.ends_with('\n') && !ndjson.contains("\n\n"),
        "one object per line"
    );
    let problems = problems(&ndjson, &with_coverage(template()));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_dashboard_shows_every_visualisation_and_search() {
    let ndjson = repo_file("dashboards/inspectorlink.ndjson");
    let objects: Vec<Value> = ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let dashboard = objects.iter().find(|o| o["type"] == "dashboard").unwrap();
    let shown: BTreeSet<&str> = dashboard["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for object in &objects {
        if object["type"] == "visualization" || object["type"] == "search" {
            assert!(
                shown.contains(object["id"].as_str().unwrap()),
                "{} is not on the dashboard",
                object["id"]
            );
        }
    }
}

#[test]
fn a_renamed_or_retyped_field_is_caught() {
    let ndjson = repo_file("dashboards/inspectorlink.ndjson");
    let mut renamed = template();
    let properties = renamed["template"]["mappings"]["properties"]
        .as_object_mut()
        .unwrap();
    let cves = properties.remove("cve_ids").unwrap();
    properties.insert("cves".into(), cves);
    let found = problems(&ndjson, &with_coverage(renamed));
    assert!(
        found
            .iter()
            .any(|p| p.contains("terms on cve_ids, which the index template does not map")),
        "{found:#?}"
    );

    let mut retyped = template();
    retyped["template"]["mappings"]["properties"]["account_id"]["type"] = "text".into();
    retyped["template"]["mappings"]["properties"]["first_observed_at"]["type"] = "keyword".into();
    let found = problems(&ndjson, &with_coverage(retyped));
    assert!(
        found
            .iter()
            .any(|p| p.contains("terms on account_id, mapped as text")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.contains("date_histogram on first_observed_at, mapped as keyword")),
        "{found:#?}"
    );
}

#[test]
fn broken_references_are_caught() {
    let ndjson = repo_file("dashboards/inspectorlink.ndjson");
    let broken = ndjson.replacen(
        "\"id\":\"inspectorlink-top-cves\"",
        "\"id\":\"inspectorlink-top-cve\"",
        1,
    );
    let found = problems(&broken, &with_coverage(template()));
    assert!(
        found
            .iter()
            .any(|p| p
                .contains("names visualization inspectorlink-top-cves, which is not in the file")),
        "{found:#?}"
    );
    assert!(!problems("not json\n", &with_coverage(template())).is_empty());
}

#[test]
fn coverage_visualisations_are_checked_against_the_coverage_template() {
    let ndjson = repo_file("dashboards/inspectorlink.ndjson");
    let mut renamed = coverage_template();
    let properties = renamed["template"]["mappings"]["properties"]
        .as_object_mut()
        .unwrap();
    let reason = properties.remove("scan_status_reason").unwrap();
    properties.insert("reason".into(), reason);
    let found = problems(&ndjson, &[template(), renamed]);
    assert!(
        found.iter().any(|p| p.contains(
            "inspectorlink-not-scanned: terms on scan_status_reason, which the index template does not map"
        )),
        "{found:#?}"
    );
    // Without the coverage template, its index pattern has no template.
    let found = problems(&ndjson, &[template()]);
    assert!(
        found
            .iter()
            .any(|p| p.contains("title inspector-coverage* is not one of")),
        "{found:#?}"
    );
}
