//! The report made by the CLI from the local S3 shows exactly what is in S3.

use std::collections::{BTreeMap, BTreeSet};

use inspectorlink_findings::{Finding, Severity, Status};
use inspectorlink_report::summary::{status_str, SEVERITIES, STATUSES};

use crate::util::{metrics, report, seeded, HOSTILE_TITLE};

fn count_by<'a>(
    findings: &'a [Finding],
    key: impl Fn(&'a Finding) -> &'a str,
) -> BTreeMap<&'a str, (u64, u64)> {
    let mut out: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for f in findings {
        let entry = out.entry(key(f)).or_default();
        entry.0 += 1;
        if f.status == Status::Active {
            entry.1 += 1;
        }
    }
    out
}

#[test]
fn the_cli_prints_where_the_report_is_and_what_it_skipped() {
    let seeded = seeded();
    assert_eq!(seeded.stdout.trim(), seeded.report.display().to_string());
    assert!(
        seeded
            .stderr
            .contains("skipped findings/engine=inspector_v2/broken.json: not a finding document"),
        "{}",
        seeded.stderr
    );
    assert!(seeded.stderr.contains(&format!(
        "60 findings from s3://{}/findings/ (1 skipped)",
        seeded.bucket
    )));
    let shown = metrics(&seeded.html);
    assert_eq!(shown[&("skipped".into(), String::new())], 1);
}

#[test]
fn headline_numbers_match_the_findings_in_s3() {
    let seeded = seeded();
    let findings = &seeded.findings;
    let shown = metrics(&seeded.html);
    let headline = |name: &str| shown[&(name.to_owned(), String::new())];
    let with_status = |s: Status| findings.iter().filter(|f| f.status == s).count() as u64;
    assert_eq!(headline("total"), findings.len() as u64);
    assert_eq!(headline("open"), with_status(Status::Active));
    assert_eq!(headline("closed"), with_status(Status::Closed));
    assert_eq!(headline("suppressed"), with_status(Status::Suppressed));
    let accounts: BTreeSet<&str> = findings.iter().map(|f| f.account_id.as_str()).collect();
    assert_eq!(headline("accounts"), accounts.len() as u64);
    let open_resources: BTreeSet<(&str, &str, &str)> = findings
        .iter()
        .filter(|f| f.status == Status::Active)
        .map(|f| {
            (
                f.account_id.as_str(),
                f.region.as_str(),
                f.resource.id.as_str(),
            )
        })
        .collect();
    assert_eq!(headline("open-resources"), open_resources.len() as u64);
    for severity in SEVERITIES {
        let all = findings.iter().filter(|f| f.severity == severity).count() as u64;
        let open = findings
            .iter()
            .filter(|f| f.severity == severity && f.status == Status::Active)
            .count() as u64;
        let key = severity.as_str().to_owned();
        assert_eq!(shown[&("severity-all".into(), key.clone())], all, "{key}");
        assert_eq!(shown[&("severity-open".into(), key.clone())], open, "{key}");
    }
    assert_eq!(
        headline("open-critical"),
        shown[&("severity-open".into(), "CRITICAL".into())]
    );
    for status in STATUSES {
        assert_eq!(
            shown[&("status".into(), status_str(status).into())],
            with_status(status)
        );
    }
    // The estate is varied enough for these checks to mean something.
    assert!(
        with_status(Status::Active) > 0
            && with_status(Status::Closed) > 0
            && with_status(Status::Suppressed) > 0
    );
}

#[test]
fn breakdowns_match_the_findings_in_s3() {
    let seeded = seeded();
    let findings = &seeded.findings;
    let shown = metrics(&seeded.html);
    for (name, expected) in [
        ("account", count_by(findings, |f| f.account_id.as_str())),
        ("region", count_by(findings, |f| f.region.as_str())),
        (
            "finding-type",
            count_by(findings, |f| f.finding_type.as_str()),
        ),
    ] {
        assert!(expected.len() > 1, "{name}: one group only");
        for (key, (all, open)) in expected {
            assert_eq!(
                shown[&(format!("{name}-all"), key.to_owned())],
                all,
                "{name} {key}"
            );
            assert_eq!(
                shown[&(format!("{name}-open"), key.to_owned())],
                open,
                "{name} {key}"
            );
        }
    }
}

#[test]
fn ranked_tables_match_the_open_findings_in_s3() {
    let seeded = seeded();
    let open: Vec<&Finding> = seeded
        .findings
        .iter()
        .filter(|f| f.status == Status::Active)
        .collect();
    let shown = metrics(&seeded.html);

    let mut cves: BTreeMap<&str, (u64, BTreeSet<&str>)> = BTreeMap::new();
    for f in &open {
        for cve in &f.cve_ids {
            let entry = cves.entry(cve).or_default();
            entry.0 += 1;
            entry.1.insert(&f.resource.id);
        }
    }
    let listed: Vec<&(String, String)> = shown.keys().filter(|(m, _)| m == "cve-open").collect();
    assert_eq!(listed.len(), cves.len().min(15));
    for (cve, (n, resources)) in &cves {
        assert_eq!(shown[&("cve-open".into(), cve.to_string())], *n, "{cve}");
        assert_eq!(
            shown[&("cve-resources".into(), cve.to_string())],
            resources.len() as u64,
            "{cve}"
        );
    }

    let mut resources: BTreeMap<String, u64> = BTreeMap::new();
    for f in &open {
        *resources
            .entry(format!("{}/{}/{}", f.account_id, f.region, f.resource.id))
            .or_default() += 1;
    }
    let listed: Vec<(&String, &u64)> = shown
        .iter()
        .filter(|((m, _), _)| m == "resource-open")
        .map(|((_, k), v)| (k, v))
        .collect();
    assert_eq!(listed.len(), resources.len().min(15));
    for (key, n) in listed {
        assert_eq!(resources[key], *n, "{key}");
    }

    // Top risks: the 25 open findings of highest priority, highest first, each row with
    // its priority.
    let rows: Vec<&str> = seeded.html.split("<tr data-finding=\"").skip(1).collect();
    assert_eq!(rows.len(), open.len().min(25));
    let priority_of = |row: &str| {
        let id = row.split_once('"').unwrap().0;
        let priority = open.iter().find(|f| f.id == id).unwrap().current_priority();
        let cell = format!(
            "<td class=\"nowrap\">{} {}</td>",
            priority.label.as_str(),
            priority.score
        );
        assert!(row.contains(&cell), "{id}: {cell}");
        // In KEV: said, with its due date.
        let finding = open.iter().find(|f| f.id == id).unwrap();
        if let Some(kev) = finding.details.as_ref().and_then(|d| d.kev.as_ref()) {
            let due = &kev.due_date.as_ref().unwrap()[..10];
            let cell = format!("<td class=\"nowrap exploited\">KEV, due {due}</td>");
            assert!(row.contains(&cell), "{id}: {cell}");
        }
        priority.score
    };
    assert!(
        rows.iter().any(|row| row.contains(">KEV, due ")),
        "a KEV finding is among the top risks"
    );
    assert!(rows
        .windows(2)
        .all(|w| priority_of(w[0]) >= priority_of(w[1])));
    let highest = open
        .iter()
        .map(|f| f.current_priority().score)
        .max()
        .unwrap();
    assert_eq!(priority_of(rows[0]), highest);
}

#[test]
fn the_timeline_counts_every_finding_by_day_first_observed() {
    let seeded = seeded();
    let mut expected: BTreeMap<&str, u64> = BTreeMap::new();
    for f in &seeded.findings {
        *expected.entry(&f.first_observed_at[..10]).or_default() += 1;
    }
    let mut shown: BTreeMap<String, u64> = BTreeMap::new();
    for chunk in seeded.html.split("<g data-bucket=\"").skip(1) {
        let (day, rest) = chunk.split_once('"').unwrap();
        let total = rest
            .split_once("data-total=\"")
            .unwrap()
            .1
            .split_once('"')
            .unwrap()
            .0;
        shown.insert(day.to_owned(), total.parse().unwrap());
    }
    let (first, last) = (
        expected.keys().next().unwrap(),
        expected.keys().last().unwrap(),
    );
    assert_eq!(shown.keys().next().unwrap(), first);
    assert_eq!(shown.keys().last().unwrap(), last);
    for (day, n) in &shown {
        assert_eq!(
            expected.get(day.as_str()).copied().unwrap_or(0),
            *n,
            "{day}"
        );
    }
}

#[test]
fn a_hostile_title_is_shown_as_text() {
    let html = &seeded().html;
    assert!(
        !html.contains("<script"),
        "the report must not contain a script element"
    );
    assert!(!html.contains("<b>bash"));
    assert!(html.contains(
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; CVE-2026-6666 in &lt;b&gt;bash&lt;/b&gt;"
    ));
    assert!(html.contains("<title>Estate findings &lt;test&gt;</title>"));
    assert!(HOSTILE_TITLE.contains("<script>"));
}

#[test]
fn from_dir_gives_the_same_numbers_as_s3() {
    let seeded = seeded();
    let dir = tempfile::tempdir().unwrap();
    let write = |key: String, body: Vec<u8>| {
        let path = dir.path().join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    };
    for f in &seeded.findings {
        write(f.s3_key("findings"), serde_json::to_vec(f).unwrap());
    }
    for c in &seeded.coverage {
        write(c.s3_key("coverage"), serde_json::to_vec(c).unwrap());
    }
    let out = dir.path().join("out/report.html");
    report(&[
        "--from-dir".as_ref(),
        dir.path().join("findings").as_ref(),
        "--coverage-dir".as_ref(),
        dir.path().join("coverage").as_ref(),
        "--out".as_ref(),
        out.as_ref(),
    ]);
    let from_dir = metrics(&std::fs::read_to_string(&out).unwrap());
    let mut from_s3 = metrics(&seeded.html);
    from_s3.remove(&("skipped".into(), String::new()));
    from_s3.remove(&("coverage-skipped".into(), String::new()));
    assert_eq!(from_dir, from_s3);
}

#[test]
fn bad_usage_exits_2_with_the_usage() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_inspectorlink-report"))
        .arg("--bukket")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown argument \"--bukket\"") && stderr.contains("Usage:"),
        "{stderr}"
    );
}

#[test]
fn every_page_of_the_listing_is_read() {
    let seeded = seeded();
    let aws = test_support::LocalAws::shared();
    let loaded = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let s3 = inspectorlink_report::s3_client(&aws.base_config("us-east-1").await);
            // 62 keys under the prefix in pages of 7: nine ListObjectsV2 calls.
            inspectorlink_report::source::from_s3_in_pages::<Finding>(
                &s3,
                &seeded.bucket,
                "findings",
                7,
            )
            .await
            .unwrap()
        });
    let mut expected: Vec<&str> = seeded.findings.iter().map(|f| f.id.as_str()).collect();
    expected.sort();
    let read: Vec<&str> = loaded.documents.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(read, expected);
    assert_eq!(loaded.skipped.len(), 1);
}

#[test]
fn remediation_times_and_sla_overdue_counts_match_the_findings_in_s3() {
    let seeded = seeded();
    let html = &seeded.html;
    // Mean time to remediate per severity, over the closed findings that have one.
    for severity in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ] {
        let times: Vec<i64> = seeded
            .findings
            .iter()
            .filter(|f| f.severity == severity && f.status == Status::Closed)
            .filter_map(|f| f.time_to_remediate_seconds)
            .collect();
        let row = html
            .split(&format!("<tr data-severity=\"{}\">", severity.as_str()))
            .nth(1)
            .unwrap_or_else(|| panic!("no remediation row for {severity:?}"));
        let row = row.split("</tr>").next().unwrap();
        let mean = if times.is_empty() {
            "–".to_owned()
        } else {
            format!(
                "{:.1} days",
                times.iter().sum::<i64>() as f64 / times.len() as f64 / 86_400.0
            )
        };
        assert!(
            row.contains(&format!(">{mean}</td>")),
            "{severity:?}: {mean} in {row}"
        );
    }
    assert!(
        seeded
            .findings
            .iter()
            .any(|f| f.time_to_remediate_seconds.is_some()),
        "the estate has remediated findings"
    );

    // Overdue on the day the report was made: open, and first observed longer ago than the
    // severity's days (CRITICAL 15, HIGH 30, MEDIUM 90, LOW 180), or past a KEV due date.
    let today = time::OffsetDateTime::now_utc().date();
    let day = |t: &str| {
        time::Date::parse(
            &t[..10],
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .unwrap()
    };
    let mut expected: BTreeMap<&str, usize> = BTreeMap::new();
    for finding in seeded
        .findings
        .iter()
        .filter(|f| f.status == Status::Active)
    {
        let days = match finding.severity {
            Severity::Critical => Some(15),
            Severity::High => Some(30),
            Severity::Medium => Some(90),
            Severity::Low => Some(180),
            _ => None,
        };
        let by_severity =
            days.is_some_and(|d| day(&finding.first_observed_at) + time::Duration::days(d) < today);
        let by_kev = finding
            .details
            .as_ref()
            .and_then(|d| d.kev.as_ref())
            .and_then(|k| k.due_date.as_deref())
            .is_some_and(|due| day(due) < today);
        if by_severity || by_kev {
            *expected.entry(&finding.account_id).or_default() += 1;
        }
    }
    let total: usize = expected.values().sum();
    assert!(total > 0, "the estate has overdue findings");
    assert!(
        html.contains(&format!("data-overdue=\"{total}\">")),
        "{total} overdue in all"
    );
    for (account, count) in &expected {
        assert!(
            html.contains(&format!(
                "<tr data-overdue-account=\"{account}\" data-overdue=\"{count}\">"
            )),
            "{account}: {count} overdue"
        );
    }
    assert_eq!(
        html.matches("<tr data-overdue-account=").count(),
        expected.len()
    );
}
