//! The OCSF copy's cost in send-findings' process: mapping stored findings to OCSF and
//! writing them as Parquet, the way the sink does (grouped by Security Lake partition,
//! one file each), for 1,000 v2 findings in 2 accounts and 2 regions; and the bytes a
//! finding takes as our JSON document, as OCSF JSON and in Parquet files of 10, 100 and
//! 1,000 records (what one invocation writes per partition). Plain std timing (median of
//! several rounds); prints `BENCH` lines.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use inspectorlink_findings::finding::{finding_id, Finding};
use inspectorlink_findings::ocsf::VulnerabilityFinding;
use inspectorlink_findings::ocsf_parquet::encode_parquet;

const FINDINGS: usize = 1_000;
const ROUNDS: usize = 11;
const ACCOUNTS: [&str; 2] = ["222222222222", "333333333333"];
const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../tests/fixtures/inspector2/", $name, ".json"))
    };
}

/// The shapes of v2 finding the emulator produces, in the proportions of the sandbox
/// (mostly package findings).
const SHAPES: [&str; 8] = [
    fixture!("ec2-package-vulnerability"),
    fixture!("ec2-package-vulnerability"),
    fixture!("ecr-package-vulnerability"),
    fixture!("lambda-package-vulnerability"),
    fixture!("ec2-windows-kb-package-vulnerability"),
    fixture!("ec2-network-reachability"),
    fixture!("lambda-code-vulnerability"),
    fixture!("ecr-package-vulnerability-untriaged"),
];

/// `FINDINGS` distinct stored findings: each shape in turn, in every account and region.
fn findings() -> Vec<Finding> {
    (0..FINDINGS)
        .map(|i| {
            let mut event: serde_json::Value =
                serde_json::from_str(SHAPES[i % SHAPES.len()]).unwrap();
            let mut finding =
                inspectorlink_findings::v2::normalise(event["detail"].take()).unwrap();
            finding.account_id = ACCOUNTS[i % 2].to_owned();
            finding.region = REGIONS[(i / 2) % 2].to_owned();
            finding.finding_arn = format!(
                "arn:aws:inspector2:{}:{}:finding/{i:032x}",
                finding.region, finding.account_id
            );
            finding.id = finding_id(&finding.finding_arn);
            finding.prioritised()
        })
        .collect()
}

/// What the sink does with a batch: map, group by partition, one Parquet file each.
fn write(findings: &[Finding]) -> usize {
    let mut partitions: BTreeMap<String, Vec<VulnerabilityFinding>> = BTreeMap::new();
    for finding in findings {
        let record = VulnerabilityFinding::from_finding(finding, "inspectorlink bench");
        partitions
            .entry(record.partition())
            .or_default()
            .push(record);
    }
    partitions
        .values()
        .map(|records| encode_parquet(records).unwrap().len())
        .sum()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let findings = findings();
    let times: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            black_box(write(black_box(&findings)));
            start.elapsed()
        })
        .collect();
    let per_second = FINDINGS as f64 / median(times).as_secs_f64();
    println!("BENCH ocsf_records_per_second {per_second:.0} records/s");

    let json: usize = findings
        .iter()
        .map(|f| serde_json::to_vec(f).unwrap().len())
        .sum();
    println!(
        "BENCH finding_json_bytes_per_finding {} bytes",
        json / FINDINGS
    );
    let ocsf_json: usize = findings
        .iter()
        .map(|f| {
            serde_json::to_vec(&VulnerabilityFinding::from_finding(
                f,
                "inspectorlink bench",
            ))
            .unwrap()
            .len()
        })
        .sum();
    println!(
        "BENCH ocsf_json_bytes_per_finding {} bytes",
        ocsf_json / FINDINGS
    );
    for batch in [10, 100, 1_000] {
        let records: Vec<VulnerabilityFinding> = findings[..batch]
            .iter()
            .map(|f| VulnerabilityFinding::from_finding(f, "inspectorlink bench"))
            .collect();
        let bytes = encode_parquet(&records).unwrap().len();
        println!(
            "BENCH ocsf_parquet_bytes_per_finding_in_files_of_{batch} {} bytes",
            bytes / batch
        );
    }
}
