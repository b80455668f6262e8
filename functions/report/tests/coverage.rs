//! The report's coverage section shows exactly the coverage documents in S3: scanned and
//! not, the not-scanned by account, reason and resource type, and their listing.

use std::collections::BTreeMap;

use inspectorlink_findings::{Coverage, ScanStatus};

use crate::util::{metrics, report, seeded, BAD_COVERAGE_KEY};

fn not_scanned(coverage: &[Coverage]) -> impl Iterator<Item = &Coverage> {
    coverage
        .iter()
        .filter(|c| c.scan_status == ScanStatus::Inactive)
}

#[test]
fn coverage_counts_match_the_coverage_documents_in_s3() {
    let seeded = seeded();
    let coverage = &seeded.coverage;
    let shown = metrics(&seeded.html);
    let headline = |name: &str| shown[&(name.to_owned(), String::new())];
    let with_reason = |reason: &str| {
        coverage
            .iter()
            .filter(|c| c.scan_status_reason == reason)
            .count() as u64
    };
    assert_eq!(headline("coverage-documents"), coverage.len() as u64);
    assert_eq!(headline("coverage-scanned"), with_reason("SUCCESSFUL"));
    assert_eq!(
        headline("coverage-not-scanned"),
        not_scanned(coverage).count() as u64
    );
    for reason in [
        "EXCLUDED_BY_TAG",
        "UNMANAGED_EC2_INSTANCE",
        "SCAN_ELIGIBILITY_EXPIRED",
    ] {
        assert!(with_reason(reason) > 0, "the estate has {reason}");
        assert_eq!(
            shown[&("not-scanned-reason".into(), reason.into())],
            with_reason(reason),
            "{reason}"
        );
    }

    // Per account, reason and resource type.
    let mut expected: BTreeMap<String, u64> = BTreeMap::new();
    let mut per_account: BTreeMap<&str, u64> = BTreeMap::new();
    for c in not_scanned(coverage) {
        let key = format!("{}/{}", c.account_id, c.scan_status_reason);
        *expected.entry(key.clone()).or_default() += 1;
        let resource_type = c.resource_type.as_deref().unwrap();
        *expected
            .entry(format!("{key}/{resource_type}"))
            .or_default() += 1;
        *per_account.entry(&c.account_id).or_default() += 1;
    }
    for ((name, key), value) in &shown {
        match name.as_str() {
            "not-scanned" => assert_eq!(expected[key], *value, "{key}"),
            "not-scanned-type" => {
                assert_eq!(expected.get(key).copied().unwrap_or(0), *value, "{key}")
            }
            "not-scanned-account" => assert_eq!(per_account[key.as_str()], *value, "{key}"),
            _ => {}
        }
    }
    for key in expected.keys() {
        let name = if key.matches('/').count() == 1 {
            "not-scanned"
        } else {
            "not-scanned-type"
        };
        assert!(shown.contains_key(&(name.into(), key.clone())), "{key}");
    }

    // The listing: the first 50 of each account, and how many more.
    for (account, total) in &per_account {
        let section = seeded
            .html
            .split(&format!(
                "<section class=\"not-scanned\" data-account=\"{account}\">"
            ))
            .nth(1)
            .unwrap_or_else(|| panic!("no section for {account}"))
            .split("</section>")
            .next()
            .unwrap();
        let rows: Vec<&str> = section
            .split("<tr data-not-scanned=\"")
            .skip(1)
            .map(|row| row.split_once('"').unwrap().0)
            .collect();
        assert_eq!(rows.len() as u64, (*total).min(50), "{account}");
        for id in &rows {
            let listed = coverage.iter().find(|c| c.id == *id).unwrap();
            assert_eq!(
                (listed.account_id.as_str(), listed.scan_status),
                (*account, ScanStatus::Inactive)
            );
        }
        let more = shown
            .get(&("not-scanned-more".into(), account.to_string()))
            .copied()
            .unwrap_or(0);
        assert_eq!(more, total.saturating_sub(50), "{account}");
    }
    assert!(
        per_account.values().any(|n| *n > 50),
        "an account has more than the report lists"
    );
}

#[test]
fn a_bad_coverage_object_is_skipped_and_named() {
    let seeded = seeded();
    assert!(
        seeded.stderr.contains(&format!(
            "skipped {BAD_COVERAGE_KEY}: not a coverage document"
        )),
        "{}",
        seeded.stderr
    );
    assert!(seeded.stderr.contains(&format!(
        "{} coverage documents from s3://{}/coverage/ (1 skipped)",
        seeded.coverage.len(),
        seeded.bucket
    )));
    let shown = metrics(&seeded.html);
    assert_eq!(shown[&("coverage-skipped".into(), String::new())], 1);
    // The findings' own count of skipped objects is not changed by it.
    assert_eq!(shown[&("skipped".into(), String::new())], 1);
}

#[test]
fn no_coverage_documents_is_said_plainly_not_shown_as_zeros() {
    let seeded = seeded();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("empty-coverage.html");
    report(&[
        "--bucket".as_ref(),
        seeded.bucket.as_ref(),
        "--coverage-prefix".as_ref(),
        "no-coverage-here".as_ref(),
        "--out".as_ref(),
        out.as_ref(),
    ]);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(
        html.contains(&format!(
            "<p class=\"empty\" data-coverage=\"none\">No coverage documents under <code>s3://{}/no-coverage-here/</code>",
            seeded.bucket
        )),
        "{html}"
    );
    let shown = metrics(&html);
    assert!(
        !shown
            .keys()
            .any(|(name, _)| name.starts_with("coverage-") || name.starts_with("not-scanned")),
        "no coverage numbers without coverage documents"
    );
    assert_eq!(shown[&("total".into(), String::new())], 60);

    // A directory of findings without --coverage-dir: coverage was not read, and the page
    // says how to read it.
    let findings = dir.path().join("findings");
    std::fs::create_dir_all(&findings).unwrap();
    let out = dir.path().join("no-coverage-dir.html");
    report(&[
        "--from-dir".as_ref(),
        findings.as_ref(),
        "--out".as_ref(),
        out.as_ref(),
    ]);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(
        html.contains("data-coverage=\"not-read\">Coverage documents were not read."),
        "{html}"
    );
}
