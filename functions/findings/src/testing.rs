//! Findings for tests (the `testing` feature; never in a shipped build): a plausible
//! finding from a few words, and [`Finding::new`] plus struct update for the rest.

use crate::finding::{Enrichment, EnrichmentStatus, Resource};
use crate::{Engine, Finding, Severity, Status};

/// A Classic finding about instance `i-{id}` with the given identity, severity and status;
/// everything else plausible.
pub fn finding(
    id: &str,
    account: &str,
    region: &str,
    severity: Severity,
    status: Status,
) -> Finding {
    let arn = format!(
        "arn:aws:inspector:{region}:{account}:target/0-t/template/0-p/run/0-r/finding/0-{id}"
    );
    Finding {
        id: id.to_owned(),
        title: format!("finding {id}"),
        severity,
        finding_type: "Common Vulnerabilities and Exposures".to_owned(),
        status,
        first_observed_at: "2026-03-01T10:00:00Z".to_owned(),
        last_observed_at: "2026-03-02T10:00:00Z".to_owned(),
        resource: ec2_instance(format!("i-{id}")),
        enrichment: Enrichment {
            status: EnrichmentStatus::Enriched,
            detail: None,
        },
        ..Finding::new(Engine::InspectorClassic, &arn, account, region)
    }
}

/// An EC2 instance resource with just its id.
pub fn ec2_instance(id: String) -> Resource {
    Resource {
        resource_type: "AWS_EC2_INSTANCE".to_owned(),
        id,
        ..Resource::default()
    }
}
