//! Findings for unit tests.

use std::collections::BTreeMap;

use inspectorlink_findings::finding::{Enrichment, EnrichmentStatus, Resource};
use inspectorlink_findings::{Engine, Finding, Severity, Status};

/// A Classic finding with the given identity; everything else plausible.
pub fn finding(
    id: &str,
    account: &str,
    region: &str,
    severity: Severity,
    status: Status,
) -> Finding {
    Finding {
        schema_version: 1,
        id: id.to_owned(),
        engine: Engine::InspectorClassic,
        finding_arn: format!(
            "arn:aws:inspector:{region}:{account}:target/0-t/template/0-p/run/0-r/finding/0-{id}"
        ),
        account_id: account.to_owned(),
        region: region.to_owned(),
        title: format!("finding {id}"),
        description: String::new(),
        recommendation: String::new(),
        severity,
        severity_score: None,
        finding_type: "Common Vulnerabilities and Exposures".to_owned(),
        cve_ids: Vec::new(),
        status,
        first_observed_at: "2026-03-01T10:00:00Z".to_owned(),
        last_observed_at: "2026-03-02T10:00:00Z".to_owned(),
        updated_at: None,
        vulnerability_id: None,
        fix_available: None,
        exploit_available: None,
        epss_score: None,
        cvss: None,
        vulnerable_packages: Vec::new(),
        network_reachability: None,
        code_vulnerability: None,
        resource: Resource {
            resource_type: "AWS_EC2_INSTANCE".to_owned(),
            id: format!("i-{id}"),
            tags: BTreeMap::new(),
            ..Resource::default()
        },
        enrichment: Enrichment {
            status: EnrichmentStatus::Enriched,
            detail: None,
        },
        raw: serde_json::Value::Null,
    }
}
