//! Shared by the report tests: a realistic estate of findings and coverage documents
//! seeded into the local S3 once per test run, the report generated from it through the
//! CLI, and a reader for the numbers the report shows.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;

use aws_sdk_s3::primitives::ByteStream;
use inspectorlink_findings::finding::{Enrichment, EnrichmentStatus, Resource};
use inspectorlink_findings::testing::ec2_instance;
use inspectorlink_findings::{
    Coverage, DetailsStatus, Engine, Finding, FindingDetails, Kev, Severity, Status,
};
use test_support::{repo_root, unique_suffix, LocalAws};

pub const HOSTILE_TITLE: &str = r#"<script>alert("x")</script> CVE-2026-6666 in <b>bash</b>"#;

const ACCOUNTS: [&str; 3] = ["222222222222", "333333333333", "444444444444"];
const REGIONS: [&str; 3] = ["us-east-1", "us-west-2", "eu-west-1"];
const CLASSIC_PACKAGES: [&str; 4] = [
    "Common Vulnerabilities and Exposures",
    "CIS Operating System Security Configuration Benchmarks",
    "Network Reachability",
    "Security Best Practices",
];
const CVES: [(&str, &str, &str); 6] = [
    (
        "CVE-2024-6387",
        "openssh",
        "Upgrade openssh to 9.8p1 or later (regreSSHion).",
    ),
    (
        "CVE-2023-38545",
        "curl",
        "Upgrade curl and libcurl to 8.4.0 or later.",
    ),
    (
        "CVE-2024-3094",
        "xz-utils",
        "Downgrade xz-utils to 5.4.6 or upgrade to a fixed build.",
    ),
    (
        "CVE-2022-0778",
        "openssl",
        "Upgrade openssl to 1.1.1n / 3.0.2 or later.",
    ),
    (
        "CVE-2023-4911",
        "glibc",
        "Upgrade glibc to a version with the ld.so fix (Looney Tunables).",
    ),
    (
        "CVE-2021-44228",
        "log4j",
        "Upgrade log4j-core to 2.17.1 or later.",
    ),
];

/// A small deterministic generator, so the estate is the same on every run.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// 60 findings over 3 member accounts × 3 regions × 12 instances, both engines, every
/// severity and status, CVEs with titles and recommendations, and one hostile title.
pub fn estate() -> Vec<Finding> {
    let mut rng = Lcg(9);
    let severities = [
        Severity::Critical,
        Severity::High,
        Severity::High,
        Severity::Medium,
        Severity::Medium,
        Severity::Low,
        Severity::Informational,
    ];
    (0..60u32)
        .map(|n| {
            let account = ACCOUNTS[rng.next(3)];
            let region = REGIONS[rng.next(3)];
            let instance = format!("i-0{:015x}", 0xa11ce00 + rng.next(12));
            let mut severity = severities[rng.next(severities.len())];
            let mut status = match rng.next(10) {
                0..=6 => Status::Active,
                7 | 8 => Status::Closed,
                _ => Status::Suppressed,
            };
            if n == 7 {
                // The hostile title must reach the top risks table.
                (severity, status) = (Severity::Critical, Status::Active);
            }
            let first_day = 1 + rng.next(20);
            let classic = n.is_multiple_of(3);
            let cve = CVES[rng.next(CVES.len())];
            let with_cve = rng.next(4) != 0;
            let (engine, arn, finding_type, score) = if classic {
                let package = CLASSIC_PACKAGES[rng.next(4)];
                let score = match severity {
                    Severity::Critical | Severity::High => 9.0,
                    Severity::Medium => 6.0,
                    Severity::Low => 3.0,
                    Severity::Informational => 0.0,
                    Severity::Untriaged => unreachable!("Classic has no UNTRIAGED, and none is drawn"),
                };
                (
                    Engine::InspectorClassic,
                    format!("arn:aws:inspector:{region}:{account}:target/0-AbCdEfGh/template/0-IjKlMnOp/run/0-QrStUvWx/finding/0-{n:08}"),
                    package.to_owned(),
                    score,
                )
            } else {
                (
                    Engine::InspectorV2,
                    format!("arn:aws:inspector2:{region}:{account}:finding/{n:032x}"),
                    "PACKAGE_VULNERABILITY".to_owned(),
                    [9.8, 8.1, 7.5, 5.3, 3.1, 0.0][severity_rank(severity).min(5)],
                )
            };
            let (title, recommendation, cve_ids) = if with_cve {
                (
                    format!("{} - {}", cve.0, cve.1),
                    cve.2.to_owned(),
                    vec![cve.0.to_owned()],
                )
            } else {
                (
                    format!("Instance {instance} is configured with a weak setting ({n})"),
                    "Follow the CIS benchmark's remediation.".to_owned(),
                    Vec::new(),
                )
            };
            Finding {
                title: if n == 7 { HOSTILE_TITLE.to_owned() } else { title },
                description: "Synthesised for the report tests.".into(),
                recommendation,
                severity,
                severity_score: Some(score),
                finding_type,
                cve_ids,
                status,
                first_observed_at: format!("2026-02-{first_day:02}T{:02}:15:00Z", n % 24),
                last_observed_at: format!("2026-02-{:02}T09:00:00Z", first_day + rng.next(8)),
                resource: Resource {
                    image_id: Some("ami-0abcdef1234567890".into()),
                    hostname: Some(format!("ip-10-0-{}-{}.ec2.internal", n % 4, n)),
                    vpc_id: Some("vpc-0123456789abcdef0".into()),
                    private_ips: vec![format!("10.0.{}.{}", n % 4, n)],
                    ..ec2_instance(instance.clone())
                },
                enrichment: Enrichment {
                    status: EnrichmentStatus::Enriched,
                    detail: None,
                },
                raw: serde_json::json!({"arn": "synthesised"}),
                // Closed v2 findings were remediated in 1 to 10 days.
                time_to_remediate_seconds: (!classic && status == Status::Closed)
                    .then(|| i64::from(n % 10 + 1) * 86_400),
                // Some v2 findings are in CISA's KEV (BatchGetFindingDetails).
                details: (!classic && n % 5 == 1).then(|| FindingDetails {
                    kev: Some(Kev {
                        date_added: Some("2026-01-10T00:00:00Z".to_owned()),
                        due_date: Some(format!("2026-01-{:02}T00:00:00Z", 11 + n % 19)),
                        required_action: Some("Apply updates per vendor instructions.".into()),
                    }),
                    ..FindingDetails::missing(DetailsStatus::Fetched, "")
                }),
                ..Finding::new(engine, &arn, account, region)
            }
        })
        .collect()
}

/// The key of the coverage object that is not a coverage document.
pub const BAD_COVERAGE_KEY: &str = "coverage/account_id=222222222222/region=us-east-1/broken.json";

/// Coverage documents made from the emulator's ListCoverage items
/// (functions/findings/tests/fixtures/inspector2/list-coverage-*.json), each in every
/// account with resource ids of its own: the first account has 53 instances excluded by
/// tag (more than the report lists per account), the second two copies of each item, the
/// third one; two regions.
pub fn coverage_estate() -> Vec<Coverage> {
    let fixtures = repo_root().join("functions/findings/tests/fixtures/inspector2");
    let mut items: Vec<(String, String)> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("list-coverage-") && name.ends_with(".json")
        })
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(path).unwrap())
        })
        .collect();
    items.sort();
    assert_eq!(items.len(), 6, "the ListCoverage fixtures");
    let observed = time::macros::datetime!(2026-03-01 06:00 UTC);
    let mut documents = Vec::new();
    for (a, account) in ACCOUNTS.iter().enumerate() {
        for (name, text) in &items {
            let copies = match a {
                0 if name.ends_with("excluded-by-tag") => 53,
                0 | 2 => 1,
                _ => 2,
            };
            for k in 0..copies {
                let mut item: serde_json::Value =
                    serde_json::from_str(&text.replace("123456789012", account)).unwrap();
                let id = format!("{}-{k}", item["resourceId"].as_str().unwrap());
                item["resourceId"] = id.into();
                let region = REGIONS[k % 2];
                documents.push(Coverage::from_covered_resource(item, region, observed).unwrap());
            }
        }
    }
    documents
}

/// Runs the CLI with the local AWS's environment; it must succeed.
pub fn report(args: &[&std::ffi::OsStr]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_inspectorlink-report"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(LocalAws::shared().env())
        .output()
        .expect("running inspectorlink-report");
    assert!(
        output.status.success(),
        "inspectorlink-report failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn severity_rank(severity: Severity) -> usize {
    match severity {
        Severity::Critical => 0,
        Severity::High => 1,
        Severity::Medium => 2,
        Severity::Low => 3,
        Severity::Informational => 4,
        Severity::Untriaged => 5,
    }
}

/// Where test artefacts go: `<target dir>/test-artefacts/`.
pub fn artefacts_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let dir = target.join("test-artefacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub struct Seeded {
    pub bucket: String,
    pub findings: Vec<Finding>,
    pub coverage: Vec<Coverage>,
    pub report: PathBuf,
    pub html: String,
    pub stdout: String,
    pub stderr: String,
}

/// The estate in a fresh bucket of the local S3 (plus an unreadable object and one
/// outside the prefix), its coverage documents under `coverage/` (plus one unreadable),
/// and the report the CLI made of it. Once per test binary.
pub fn seeded() -> &'static Seeded {
    static SEEDED: OnceLock<Seeded> = OnceLock::new();
    SEEDED.get_or_init(|| {
        let aws = LocalAws::shared();
        let bucket = format!("report-{}", unique_suffix());
        let findings = estate();
        let coverage = coverage_estate();
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                // The CLI runs with the local AWS's static keys: seed with the same.
                let s3 = inspectorlink_report::s3_client(&aws.base_config("us-east-1").await);
                s3.create_bucket().bucket(&bucket).send().await.unwrap();
                for finding in &findings {
                    s3.put_object()
                        .bucket(&bucket)
                        .key(finding.s3_key("findings"))
                        .body(ByteStream::from(serde_json::to_vec(finding).unwrap()))
                        .send()
                        .await
                        .unwrap();
                }
                for document in &coverage {
                    s3.put_object()
                        .bucket(&bucket)
                        .key(document.s3_key("coverage"))
                        .body(ByteStream::from(serde_json::to_vec(document).unwrap()))
                        .send()
                        .await
                        .unwrap();
                }
                for (key, body) in [
                    (BAD_COVERAGE_KEY, "{\"schema_version\": 1}"),
                    (
                        "findings/engine=inspector_v2/broken.json",
                        "{\"not\": \"a finding\"}",
                    ),
                    ("elsewhere/unrelated.json", "{}"),
                    ("findings/README.txt", "not json, not listed"),
                ] {
                    s3.put_object()
                        .bucket(&bucket)
                        .key(key)
                        .body(ByteStream::from_static(body.as_bytes()))
                        .send()
                        .await
                        .unwrap();
                }
            });

        let report = artefacts_dir().join("report.html");
        let output = self::report(&[
            "--bucket".as_ref(),
            bucket.as_ref(),
            "--out".as_ref(),
            report.as_ref(),
            "--title".as_ref(),
            "Estate findings <test>".as_ref(),
        ]);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let html = std::fs::read_to_string(&report).unwrap();
        Seeded {
            bucket,
            findings,
            coverage,
            report,
            html,
            stdout,
            stderr,
        }
    })
}

/// Every `data-metric` number in a page: (metric, key) → value, where the key is
/// `data-key` (HTML-unescaped) or "" for headline figures.
pub fn metrics(html: &str) -> BTreeMap<(String, String), u64> {
    let mut out = BTreeMap::new();
    for chunk in html.split("data-metric=\"").skip(1) {
        let (name, rest) = chunk.split_once('"').unwrap();
        let tag_end = rest.find('>').unwrap();
        let attributes = &rest[..tag_end];
        let attribute = |attr: &str| {
            attributes
                .split_once(&format!("{attr}=\""))
                .map(|(_, v)| v.split_once('"').unwrap().0.to_owned())
        };
        let key = attribute(" data-key").unwrap_or_default();
        let value: u64 = attribute(" data-value")
            .expect("every metric has data-value")
            .parse()
            .unwrap();
        let text: String = rest[tag_end + 1..]
            .split('<')
            .next()
            .unwrap()
            .replace(',', "");
        assert_eq!(
            text,
            value.to_string(),
            "{name} {key}: shown text differs from data-value"
        );
        let key = key
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&");
        assert!(
            out.insert((name.to_owned(), key.clone()), value).is_none(),
            "{name} {key} shown twice"
        );
    }
    out
}
