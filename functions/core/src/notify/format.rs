//! What a notification says: a plain-text email for people, the full normalised JSON for
//! HTTP(S) and every other protocol, and message attributes for SNS filter policies.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::json;

use crate::finding::{ClosedReason, Engine, Finding, Severity, Status};

/// SNS refuses messages (attributes included) over 256 KiB; leave room for the attributes.
pub const MESSAGE_BUDGET: usize = 256 * 1024 - 4 * 1024;
/// SNS subjects are ASCII, single-line and under 100 characters.
const SUBJECT_MAX: usize = 99;
const WRAP: usize = 76;

/// One notification, ready to publish with MessageStructure=json.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub subject: String,
    /// The JSON object mapping protocol → message (`default`, `email`, `http`, `https`).
    pub message: String,
    pub attributes: BTreeMap<&'static str, Attribute>,
    /// The finding's `raw` field had to be left out of the JSON to fit SNS's size limit.
    pub raw_omitted: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Attribute {
    String(String),
    Number(i64),
}

/// A rank for numeric SNS filter policies: INFORMATIONAL 0 … CRITICAL 4. UNTRIAGED ranks
/// with INFORMATIONAL: a policy of rank 1 (LOW) or more never takes it on no evidence, and
/// the ranks that existing policies name keep their meaning.
pub fn severity_rank(severity: Severity) -> i64 {
    match severity {
        Severity::Informational | Severity::Untriaged => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

pub fn status_str(status: Status) -> &'static str {
    match status {
        Status::Active => "ACTIVE",
        Status::Closed => "CLOSED",
        Status::Suppressed => "SUPPRESSED",
    }
}

fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::InspectorClassic => "Amazon Inspector Classic",
        Engine::InspectorV2 => "Amazon Inspector",
    }
}

/// Builds the notification of `finding`; `alias` is the account's IAM alias when known.
pub fn notification(finding: &Finding, alias: Option<&str>) -> Result<Notification, String> {
    let email = email_text(finding, alias);
    let mut raw_omitted = false;
    let mut document = serde_json::to_string(finding).expect("a Finding always serialises");
    if 3 * document.len() + email.len() > MESSAGE_BUDGET {
        // The engine's raw finding is the only unbounded part; S3 and the index keep it.
        let mut slim = finding.clone();
        slim.raw = serde_json::Value::Null;
        document = serde_json::to_string(&slim).expect("a Finding always serialises");
        raw_omitted = true;
    }
    let message = json!({
        "default": document,
        "email": email,
        "http": document,
        "https": document,
    })
    .to_string();
    if message.len() > MESSAGE_BUDGET {
        return Err(format!(
            "the notification of finding {} is {} bytes even without the raw finding; SNS accepts at most 256 KiB",
            finding.id,
            message.len()
        ));
    }
    let priority = finding.current_priority();
    let attributes = BTreeMap::from([
        // Digests say "digest": a subscriber's filter policy can tell them apart.
        ("kind", Attribute::String("finding".to_owned())),
        (
            "severity",
            Attribute::String(finding.severity.as_str().to_owned()),
        ),
        (
            "severity_rank",
            Attribute::Number(severity_rank(finding.severity)),
        ),
        ("account_id", Attribute::String(finding.account_id.clone())),
        ("region", Attribute::String(finding.region.clone())),
        (
            "engine",
            Attribute::String(finding.engine.as_str().to_owned()),
        ),
        (
            "status",
            Attribute::String(status_str(finding.status).to_owned()),
        ),
        (
            "priority",
            Attribute::String(priority.label.as_str().to_owned()),
        ),
        (
            "priority_score",
            Attribute::Number(i64::from(priority.score)),
        ),
    ]);
    Ok(Notification {
        subject: subject(finding),
        message,
        attributes,
        raw_omitted,
    })
}

/// `[HIGH] 222222222222 us-east-1: <title>`, or `[CLOSED HIGH] …` once resolved; ASCII,
/// one line, under 100 characters as SNS requires.
pub fn subject(finding: &Finding) -> String {
    let state = match finding.status {
        Status::Active => String::new(),
        other => format!("{} ", status_str(other)),
    };
    let full = format!(
        "[{state}{}] {} {}: {}",
        finding.severity.as_str(),
        finding.account_id,
        finding.region,
        finding.title
    );
    sns_subject(&full)
}

/// `text` as SNS takes a subject: ASCII, one line, under 100 characters.
pub fn sns_subject(text: &str) -> String {
    let ascii: String = text
        .chars()
        .map(|c| match c {
            ' '..='~' => c,
            c if c.is_whitespace() => ' ',
            _ => '?',
        })
        .collect();
    if ascii.len() <= SUBJECT_MAX {
        ascii
    } else {
        format!("{}...", ascii[..SUBJECT_MAX - 3].trim_end())
    }
}

/// What happened to the finding, in a line: "HIGH finding", "CLOSED: this HIGH finding is
/// resolved", ... Shared by email and chat.
pub fn headline(finding: &Finding) -> String {
    match (finding.status, finding.closed_reason) {
        (Status::Active, _) if finding.reopened_count > 0 => {
            format!("REOPENED: {} finding", finding.severity.as_str())
        }
        (Status::Active, _) => format!("{} finding", finding.severity.as_str()),
        (Status::Closed, None) => format!(
            "CLOSED: this {} finding is resolved",
            finding.severity.as_str()
        ),
        (Status::Closed, Some(ClosedReason::NoLongerScanned)) => format!(
            "CLOSED, NOT FIXED: Inspector no longer scans the resource of this {} finding \
             (an image past its re-scan duration, or deleted)",
            finding.severity.as_str()
        ),
        (Status::Suppressed, _) => format!(
            "SUPPRESSED: this {} finding was suppressed",
            finding.severity.as_str()
        ),
    }
}

/// The facts a person reads first, labelled; `alias` is the account's IAM alias when known.
pub fn facts(finding: &Finding, alias: Option<&str>) -> Vec<(&'static str, String)> {
    let account = match alias {
        Some(alias) => format!("{} ({alias})", finding.account_id),
        None => finding.account_id.clone(),
    };
    let score = finding
        .severity_score
        .map(|s| format!(" (score {s})"))
        .unwrap_or_default();
    let resource = match finding.resource.tags.get("Name") {
        Some(name) => format!("{} (Name: {name})", finding.resource.id),
        None => finding.resource.id.clone(),
    };
    let cves = if finding.cve_ids.is_empty() {
        "none".to_owned()
    } else {
        finding.cve_ids.join(", ")
    };
    vec![
        ("Severity", format!("{}{score}", finding.severity.as_str())),
        ("Status", status_str(finding.status).to_owned()),
        ("Account", account),
        ("Region", finding.region.clone()),
        ("Resource", resource),
        ("CVEs", cves),
        ("Type", finding.finding_type.clone()),
        ("First seen", finding.first_observed_at.clone()),
        ("Last seen", finding.last_observed_at.clone()),
        ("Engine", engine_name(finding.engine).to_owned()),
    ]
}

/// The email body: what it is, where, how bad, what to do, and where to look.
pub fn email_text(finding: &Finding, alias: Option<&str>) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "{}: {}", headline(finding), finding.title.trim());
    let _ = writeln!(text);
    for (label, value) in facts(finding, alias) {
        let _ = writeln!(text, "{:<12}{value}", format!("{label}:"));
    }
    for (heading, body) in [
        ("What it is", finding.description.as_str()),
        ("What to do", finding.recommendation.as_str()),
    ] {
        if body.trim().is_empty() {
            continue;
        }
        let _ = writeln!(text, "\n{heading}\n{}", wrap(body.trim(), WRAP, "  "));
    }
    let _ = writeln!(
        text,
        "\nOpen it in the console (signed in to account {}):\n  {}",
        finding.account_id,
        console_link(finding)
    );
    let _ = writeln!(text, "\nFinding ARN: {}", finding.finding_arn);
    let _ = writeln!(
        text,
        "Finding id:  {} (S3 object name and index _id)",
        finding.id
    );
    text
}

/// The finding's page in the console of the account and region it belongs to.
pub fn console_link(finding: &Finding) -> String {
    let region = &finding.region;
    let domain = console_domain(region);
    match finding.engine {
        // Classic's console has no per-finding address; its findings page filters by run.
        Engine::InspectorClassic => {
            format!("https://{domain}/inspector/home?region={region}#/finding")
        }
        Engine::InspectorV2 => format!(
            "https://{domain}/inspector/v2/home?region={region}#/findings/all?search=findingArn%3D{}",
            percent_encode(&finding.finding_arn)
        ),
    }
}

/// The console's host for `region`, in its partition.
pub fn console_domain(region: &str) -> String {
    if region.starts_with("cn-") {
        "console.amazonaws.cn".to_owned()
    } else if region.starts_with("us-gov-") {
        "console.amazonaws-us-gov.com".to_owned()
    } else {
        format!("{region}.console.aws.amazon.com")
    }
}

pub fn percent_encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                encoded.push(byte as char)
            }
            _ => {
                let _ = write!(encoded, "%{byte:02X}");
            }
        }
    }
    encoded
}

/// Wraps `text` at `width` columns, keeping its paragraphs, each line indented.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > width {
                out.push(format!("{indent}{line}"));
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push(format!("{indent}{line}").trim_end().to_owned());
    }
    out.join("\n")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn finding(severity: Severity, status: Status) -> Finding {
        // Through JSON, so fields added to the document later take their defaults.
        serde_json::from_value(json!({
            "schema_version": crate::finding::SCHEMA_VERSION,
            "id": "0123456789abcdef0123456789abcdef",
            "engine": "inspector_classic",
            "finding_arn": "arn:aws:inspector:us-east-1:222222222222:target/0-a/template/0-b/run/0-c/finding/0-d",
            "account_id": "222222222222",
            "region": "us-east-1",
            "title": "Instance i-0abc is vulnerable to CVE-2016-5195",
            "description": "Race condition in mm/gup.c in the Linux kernel allows local users to gain privileges by leveraging incorrect handling of a copy-on-write feature to write to a read-only memory mapping.",
            "recommendation": "Use your Operating System's update feature to update package kernel.",
            "severity": severity,
            "severity_score": 9.0,
            "finding_type": "Common Vulnerabilities and Exposures",
            "cve_ids": ["CVE-2016-5195"],
            "status": status,
            "first_observed_at": "2026-11-23T23:00:00Z",
            "last_observed_at": "2026-11-23T23:10:00Z",
            "resource": {
                "type": "AWS_EC2_INSTANCE", "id": "i-0abc", "image_id": null, "hostname": null,
                "vpc_id": null, "subnet_ids": [], "security_group_ids": [], "private_ips": [],
                "public_ips": [], "tags": {"Name": "web-1"}
            },
            "enrichment": {"status": "enriched", "detail": null},
            "raw": {"arn": "x"},
        }))
        .expect("a valid finding document")
    }

    #[test]
    fn the_email_reads_as_text_with_everything_a_person_needs() {
        let text = email_text(
            &finding(Severity::High, Status::Active),
            Some("payments-prod"),
        );
        let expected_start = "\
HIGH finding: Instance i-0abc is vulnerable to CVE-2016-5195

Severity:   HIGH (score 9)
Status:     ACTIVE
Account:    222222222222 (payments-prod)
Region:     us-east-1
Resource:   i-0abc (Name: web-1)
CVEs:       CVE-2016-5195
";
        assert!(text.starts_with(expected_start), "{text}");
        assert!(text.contains("\nWhat to do\n  Use your Operating System's update feature"));
        assert!(text.contains(
            "https://us-east-1.console.aws.amazon.com/inspector/home?region=us-east-1#/finding"
        ));
        assert!(
            text.lines()
                .all(|line| line.len() <= 100 || line.contains("https://")),
            "{text}"
        );
        assert!(!text.contains('{'), "no JSON in the email: {text}");
    }

    #[test]
    fn closures_say_so_in_subject_and_body() {
        let closed = finding(Severity::High, Status::Closed);
        assert!(subject(&closed).starts_with("[CLOSED HIGH] 222222222222 us-east-1: "));
        assert!(email_text(&closed, None).starts_with("CLOSED: this HIGH finding is resolved"));
        // An image Inspector stopped scanning was not fixed, and the email says so.
        let unscanned = Finding {
            closed_reason: Some(ClosedReason::NoLongerScanned),
            ..closed
        };
        let text = email_text(&unscanned, None);
        assert!(
            text.starts_with("CLOSED, NOT FIXED: Inspector no longer scans the resource of this HIGH finding (an image past its re-scan duration, or deleted): "),
            "{text}"
        );
        assert!(!text.contains("resolved"), "{text}");
    }

    #[test]
    fn untriaged_ranks_with_informational_below_every_rated_severity() {
        assert_eq!(severity_rank(Severity::Untriaged), 0);
        assert_eq!(severity_rank(Severity::Informational), 0);
        assert!(severity_rank(Severity::Untriaged) < severity_rank(Severity::Low));
        let notification =
            notification(&finding(Severity::Untriaged, Status::Active), None).unwrap();
        assert_eq!(
            notification.attributes["severity"],
            Attribute::String("UNTRIAGED".into())
        );
        assert!(notification.subject.starts_with("[UNTRIAGED] "));
    }

    #[test]
    fn subjects_are_ascii_single_line_and_short() {
        let mut long = finding(Severity::Critical, Status::Active);
        long.title = format!("Ünïcode\ttitle\n{}", "x".repeat(300));
        let subject = subject(&long);
        assert!(subject.len() < 100 && subject.is_ascii() && !subject.contains(['\n', '\t']));
        assert!(subject.ends_with("..."));
    }

    #[test]
    fn every_protocol_gets_its_body_and_filters_get_attributes() {
        let f = finding(Severity::Medium, Status::Active);
        let n = notification(&f, None).unwrap();
        let structure: serde_json::Value = serde_json::from_str(&n.message).unwrap();
        for protocol in ["default", "http", "https"] {
            let document: Finding =
                serde_json::from_str(structure[protocol].as_str().unwrap()).unwrap();
            assert_eq!(document, f);
        }
        assert_eq!(structure["email"].as_str().unwrap(), email_text(&f, None));
        assert_eq!(n.attributes["severity_rank"], Attribute::Number(2));
        let priority = f.current_priority();
        assert_eq!(
            (&n.attributes["priority"], &n.attributes["priority_score"]),
            (
                &Attribute::String(priority.label.as_str().into()),
                &Attribute::Number(priority.score.into())
            )
        );
        assert_eq!(
            n.attributes["engine"],
            Attribute::String("inspector_classic".into())
        );
        assert!(!n.raw_omitted);
    }

    #[test]
    fn an_oversized_raw_finding_is_left_out_not_refused() {
        let mut f = finding(Severity::High, Status::Active);
        f.raw = json!({"blob": "x".repeat(200_000)});
        let n = notification(&f, None).unwrap();
        assert!(n.raw_omitted && n.message.len() <= MESSAGE_BUDGET);
        f.description = "y".repeat(300_000);
        assert!(notification(&f, None).unwrap_err().contains("256 KiB"));
    }

    #[test]
    fn v2_links_search_for_the_finding_arn() {
        let mut f = finding(Severity::High, Status::Active);
        f.engine = Engine::InspectorV2;
        f.finding_arn = "arn:aws:inspector2:eu-west-1:222222222222:finding/abc".to_owned();
        f.region = "eu-west-1".to_owned();
        assert_eq!(
            console_link(&f),
            "https://eu-west-1.console.aws.amazon.com/inspector/v2/home?region=eu-west-1#/findings/all?search=findingArn%3Darn%3Aaws%3Ainspector2%3Aeu-west-1%3A222222222222%3Afinding%2Fabc"
        );
    }
}
