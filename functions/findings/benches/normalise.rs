//! Handler CPU time per finding: parse the SQS record body (SNS envelope around a Classic
//! FINDING_REPORTED notification), parse the DescribeFindings JSON of the finding, normalise
//! it with EC2's details, and serialise the document, for 1,000 findings. Plain std timing
//! (no criterion); prints the median of several rounds as `BENCH` lines.

use std::hint::black_box;
use std::time::{Duration, Instant};

use inspectorlink_findings::classic::{ClassicFinding, InstanceDetails};
use inspectorlink_findings::finding::{Enrichment, EnrichmentStatus};
use inspectorlink_findings::fuzzing::instance_from;
use inspectorlink_findings::message::{parse_record_body, Notification};
use serde_json::json;

const FINDINGS: usize = 1_000;
const ROUNDS: usize = 21;

const ACCOUNTS: [&str; 2] = ["222222222222", "333333333333"];
const REGIONS: [(&str, &str); 2] = [
    (
        "us-east-1",
        "arn:aws:inspector:us-east-1:316112463485:rulespackage/0-gEjTy7T7",
    ),
    (
        "eu-west-1",
        "arn:aws:inspector:eu-west-1:357557129151:rulespackage/0-ubA5XvBh",
    ),
];
const RULES: [(&str, &str, f64, &str); 4] = [
    ("CVE-2021-44228", "High", 9.0, "log4j"),
    ("CVE-2021-3156", "Medium", 6.0, "sudo"),
    ("CVE-2016-5195", "Low", 3.0, "kernel"),
    ("CVE-2014-0160", "Informational", 0.0, "openssl"),
];

/// An Inspector-style id (`0-` and 8 alphanumerics), distinct per `n`.
fn id(n: usize) -> String {
    format!("0-{:08x}", (n as u32).wrapping_mul(2_654_435_761))
}

/// One SQS record body and the DescribeFindings JSON of its finding, as the emulator
/// (tests/localaws/localaws/inspector/) produces them.
fn sample(i: usize) -> (String, String) {
    let account = ACCOUNTS[i % 2];
    let (region, package) = REGIONS[(i / 2) % 2];
    let (cve, severity, score, package_name) = RULES[i % 4];
    let target = format!(
        "arn:aws:inspector:{region}:{account}:target/{}",
        id(i / 100)
    );
    let template = format!("{target}/template/{}", id(i / 100 + 7));
    let run = format!("{template}/run/{}", id(i / 50 + 13));
    let finding = format!("{run}/finding/{}", id(i));
    let instance = format!("i-{:017x}", (i / 4) as u64 * 0x9e37_79b9);
    let ip = format!("10.0.{}.{}", i / 250, i % 250 + 4);
    let public_ip = format!("54.1.{}.{}", i / 250, i % 250 + 4);
    let message = json!({
        "template": template,
        "run": run,
        "time": "2026-11-23T23:00:00.123Z",
        "finding": finding,
        "event": "FINDING_REPORTED",
        "target": target,
    })
    .to_string();
    let record = json!({
        "Type": "Notification",
        "MessageId": format!("5f0a6a3b-6c1e-5a4f-9b1e-{i:012}"),
        "TopicArn": format!("arn:aws:sns:{region}:111111111111:inspector-findings"),
        "Message": message,
        "Timestamp": "2026-11-23T23:00:00.456Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": format!("https://sns.{region}.amazonaws.com/SimpleNotificationService-0000.pem"),
        "UnsubscribeURL": format!("https://sns.{region}.amazonaws.com/?Action=Unsubscribe"),
    })
    .to_string();
    let private_dns = format!("ip-{}.ec2.internal", ip.replace('.', "-"));
    let created = 1_795_993_200.0 + i as f64 * 0.731;
    let classic = json!({
        "arn": finding,
        "schemaVersion": 1,
        "service": "Inspector",
        "serviceAttributes": {"schemaVersion": 1, "assessmentRunArn": run, "rulesPackageArn": package},
        "assetType": "ec2-instance",
        "assetAttributes": {
            "schemaVersion": 1,
            "agentId": instance,
            "amiId": "ami-12c6146b",
            "hostname": format!("ec2-{}.compute-1.amazonaws.com", public_ip.replace('.', "-")),
            "ipv4Addresses": [ip],
            "tags": [{"key": "Name", "value": format!("web-{}", i / 4)}, {"key": "team", "value": "payments"}],
            "networkInterfaces": [{
                "networkInterfaceId": format!("eni-{:017x}", i / 4),
                "subnetId": format!("subnet-{:08x}", i % 3),
                "vpcId": "vpc-0a1b2c3d",
                "privateDnsName": private_dns,
                "privateIpAddress": ip,
                "privateIpAddresses": [{"privateDnsName": private_dns, "privateIpAddress": ip}],
                "publicIp": public_ip,
                "ipv6Addresses": [],
                "securityGroups": [{"groupName": "web", "groupId": "sg-0a1b2c3d"}, {"groupName": "default", "groupId": "sg-0e1f2a3b"}],
            }],
        },
        "id": cve,
        "title": format!("Instance {instance} is vulnerable to {cve}"),
        "description": format!("{package_name} is vulnerable to {cve}. (sample finding of the local AWS.)"),
        "recommendation": format!("Use your Operating System's update feature to update package {package_name}. For more information see https://cve.mitre.org/cgi-bin/cvename.cgi?name={cve}"),
        "severity": severity,
        "numericSeverity": score,
        "confidence": 10,
        "indicatorOfCompromise": false,
        "attributes": [{"key": "INSTANCE_ID", "value": instance}, {"key": "CVE_ID", "value": cve}],
        "userAttributes": [],
        "createdAt": created,
        "updatedAt": created + 60.0,
    })
    .to_string();
    (record, classic)
}

/// The handler's CPU work for one finding; returns the document's size so nothing is
/// optimised away. EC2's details are an input (DescribeInstances is not CPU work here).
fn handle(record: &str, classic: &str, instance: &InstanceDetails) -> usize {
    let Ok(Notification::ClassicFinding { finding_arn }) = parse_record_body(record) else {
        panic!("not a FINDING_REPORTED record: {record}");
    };
    black_box(finding_arn);
    let classic: ClassicFinding = serde_json::from_str(classic).expect("a finding");
    let enrichment = Enrichment {
        status: EnrichmentStatus::Enriched,
        detail: None,
    };
    let finding = classic
        .normalise(Some(instance), enrichment)
        .expect("normalises");
    serde_json::to_vec(&finding).expect("serialises").len()
}

fn main() {
    let samples: Vec<(String, String)> = (0..FINDINGS).map(sample).collect();
    let instances: Vec<InstanceDetails> = samples
        .iter()
        .map(|(_, classic)| instance_from(&serde_json::from_str(classic).unwrap()))
        .collect();
    let round = || {
        let start = Instant::now();
        for ((record, classic), instance) in samples.iter().zip(&instances) {
            black_box(handle(black_box(record), black_box(classic), instance));
        }
        start.elapsed()
    };
    round(); // warm-up
    let mut times: Vec<Duration> = (0..ROUNDS).map(|_| round()).collect();
    times.sort();
    let median = times[ROUNDS / 2];
    let per_finding_us = median.as_secs_f64() * 1e6 / FINDINGS as f64;
    println!("BENCH findings_cpu_per_finding {per_finding_us:.2} us/finding");
    println!(
        "BENCH findings_cpu_per_1000 {:.2} ms",
        median.as_secs_f64() * 1e3 * 1_000.0 / FINDINGS as f64
    );
    eprintln!(
        "{ROUNDS} rounds of {FINDINGS} findings: min {:?}, median {median:?}, max {:?}",
        times[0],
        times[ROUNDS - 1]
    );
}
