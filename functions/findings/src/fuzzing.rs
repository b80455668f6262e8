//! The properties the fuzz targets (fuzz/fuzz_targets/) check, in one place so that the
//! regression test (tests/regressions.rs) replays saved inputs through exactly the same
//! checks. Not part of the crate's API: every check panics when a property does not hold.

use crate::classic::{ClassicFinding, InstanceDetails};
use crate::coverage::Coverage;
use crate::finding::{Enrichment, EnrichmentStatus, Finding};
use crate::message::{parse_record_body, Notification};

/// A fuzz target's checks over one input: a panic is a finding.
pub type Check = fn(&[u8]);

/// The fuzz targets, by name: each is a directory of the corpus and of the regressions.
pub const TARGETS: [(&str, Check); 4] = [
    ("record_body", record_body),
    ("classic_finding", classic_finding),
    ("v2_finding", v2_finding),
    ("covered_resource", covered_resource),
];

/// Any bytes, read as an SQS record body: parsing returns a notification or says why not,
/// and an Inspector v2 finding or coverage document it carries (a sweep page's too) is
/// sound.
pub fn record_body(data: &[u8]) {
    let body = String::from_utf8_lossy(data);
    match parse_record_body(&body) {
        Ok(Notification::V2Finding(finding)) => document(&finding),
        Ok(Notification::V2Coverage(coverage)) => coverage_document(&coverage),
        Ok(Notification::CoverageSweepPage(documents)) => {
            documents.iter().for_each(coverage_document)
        }
        Ok(_) => {}
        // The reason is logged for every poison message, so formatting it must not panic.
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Any bytes, read as the `detail` of an `Inspector2 Finding` event: when they are JSON,
/// normalisation either fails with a reason or yields a document that survives JSON and
/// has a safe S3 key.
pub fn v2_finding(data: &[u8]) {
    let Ok(detail) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    match crate::v2::normalise(detail) {
        Ok(finding) => document(&finding),
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Any bytes, read as one ListCoverage item (a `CoveredResource`): when they are JSON,
/// parsing either fails with a reason or yields a document that survives JSON and has a
/// safe S3 key.
pub fn covered_resource(data: &[u8]) {
    let Ok(item) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let swept_at = time::OffsetDateTime::from_unix_timestamp(1_796_342_400).expect("a valid time");
    match Coverage::from_covered_resource(item, "eu-central-1", swept_at) {
        Ok(coverage) => coverage_document(&coverage),
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Any bytes, read as a DescribeFindings finding: when they are one, normalisation with and
/// without EC2's details either fails with a reason or yields a document that survives JSON
/// and has a safe S3 key.
pub fn classic_finding(data: &[u8]) {
    let Ok(classic) = serde_json::from_slice::<ClassicFinding>(data) else {
        return;
    };
    normalised_finding(&classic);
}

/// The checks of [`classic_finding`] on a finding that already parsed.
pub fn normalised_finding(classic: &ClassicFinding) {
    let instance = instance_from(classic);
    let cases = [
        (None, EnrichmentStatus::InstanceNotFound),
        (Some(&instance), EnrichmentStatus::Enriched),
    ];
    for (instance, status) in cases {
        let enrichment = Enrichment {
            status,
            detail: None,
        };
        match classic.normalise(instance, enrichment) {
            Ok(finding) => document(&finding),
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
}

/// What EC2 would say of the finding's instance, built from the finding's own fields.
pub fn instance_from(classic: &ClassicFinding) -> InstanceDetails {
    let asset = classic.asset_attributes.clone().unwrap_or_default();
    let interfaces = &asset.network_interfaces;
    InstanceDetails {
        instance_id: asset.agent_id.clone().unwrap_or_default(),
        image_id: asset.ami_id.clone(),
        vpc_id: interfaces.iter().find_map(|n| n.vpc_id.clone()),
        subnet_ids: interfaces
            .iter()
            .filter_map(|n| n.subnet_id.clone())
            .collect(),
        security_group_ids: interfaces
            .iter()
            .flat_map(|n| &n.security_groups)
            .filter_map(|g| g.group_id.clone())
            .collect(),
        private_ips: asset.ipv4_addresses.clone(),
        public_ips: interfaces
            .iter()
            .filter_map(|n| n.public_ip.clone())
            .collect(),
        hostname: asset.hostname.clone(),
        tags: asset
            .tags
            .iter()
            .map(|t| (t.key.clone(), t.value.clone().unwrap_or_default()))
            .collect(),
    }
}

/// A document is stored as JSON and read back (S3, OpenSearch): it must come back equal,
/// and its S3 key must name it and stay inside its partition.
pub fn document(finding: &Finding) {
    let json = serde_json::to_vec(finding).expect("a Finding always serialises");
    let back: Finding = serde_json::from_slice(&json).unwrap_or_else(|e| {
        panic!(
            "a serialised Finding does not parse back ({e}): {}",
            String::from_utf8_lossy(&json)
        )
    });
    // JSON has no NaN or infinity: serde_json writes a non-finite score as null, so
    // it reads back as None. That is the document we store, and the one exception to equality.
    // (A finding parsed from JSON never has one; the SDK's conversion could.)
    let mut expected = finding.clone();
    let finite = |score: &mut Option<f64>| {
        if score.is_some_and(|s| !s.is_finite()) {
            *score = None;
        }
    };
    finite(&mut expected.severity_score);
    finite(&mut expected.epss_score);
    if let Some(cvss) = &mut expected.cvss {
        finite(&mut cvss.base_score);
    }
    assert_eq!(
        back,
        expected,
        "the Finding changed through JSON: {}",
        String::from_utf8_lossy(&json)
    );

    let key = finding.s3_key("findings");
    assert!(
        key.contains(&finding.id),
        "{key} does not name {}",
        finding.id
    );
    assert!(
        !key.contains("..") && !key.contains("//"),
        "{key} is not a safe S3 key"
    );
}

/// A coverage document is stored as JSON and read back: it must come back equal, have a
/// version, and its S3 key must name it and stay inside its partition.
pub fn coverage_document(coverage: &Coverage) {
    let json = serde_json::to_vec(coverage).expect("a Coverage always serialises");
    let back: Coverage = serde_json::from_slice(&json).unwrap_or_else(|e| {
        panic!(
            "a serialised Coverage does not parse back ({e}): {}",
            String::from_utf8_lossy(&json)
        )
    });
    assert_eq!(&back, coverage, "the Coverage changed through JSON");
    assert!(
        coverage.version().is_some(),
        "{} has no version",
        coverage.observed_at
    );
    let key = coverage.s3_key("coverage");
    assert!(
        key.ends_with(&format!("/{}.json", coverage.id)),
        "{key} does not name {}",
        coverage.id
    );
    assert!(
        !key.contains("..") && !key.contains("//"),
        "{key} is not a safe S3 key"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nan_severity_score_is_stored_as_null() {
        let classic = ClassicFinding {
            arn: "arn:aws:inspector:us-east-1:222222222222:target/0-a/template/0-b/run/0-c/finding/0-d".into(),
            asset_attributes: Some(crate::classic::AssetAttributes {
                agent_id: Some("i-0123456789abcdef0".into()),
                ..Default::default()
            }),
            numeric_severity: Some(f64::NAN),
            created_at: 1_764_000_000.0,
            updated_at: 1_764_000_000.0,
            ..Default::default()
        };
        normalised_finding(&classic);
    }
}
