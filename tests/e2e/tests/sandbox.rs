//! `make sandbox` on Inspector v2, twice, as a user runs it: the first run deploys
//! examples/sandbox (organisation, pipeline, workloads in two members and two regions) and
//! processes what the local AWS's Inspector v2 finds; the second terminates the first
//! member's web instance and suppresses CVE-2024-6119. After each, everything the delegated
//! administrator lists is in S3 and in the index exactly once in its latest status, its
//! coverage is in the coverage store as ListCoverage gives it, every state at or above the
//! threshold was announced once, and no dead-letter queue holds anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use inspectorlink_findings::ocsf::VulnerabilityFinding;
use inspectorlink_findings::ocsf_parquet::read_parquet;
use inspectorlink_findings::{Coverage, DetailsStatus, Finding, Priority, Severity, Status};
use serde_json::Value;
use test_support::inspector2::kev_and_exploitation;
use test_support::{repo_command, unique_account_id, unique_suffix, LocalAws, REGIONS};

use crate::{chaos, least_privilege, routing};

/// notify_min_severity of examples/inspector2, which the sandbox keeps.
const THRESHOLD: Severity = Severity::Medium;
/// The CVE the second run suppresses (examples/sandbox/sandbox.tf).
const ACCEPTED_RISK: &str = "CVE-2024-6119";

/// One sandbox of the test's own: its engine (`v2` or `classic`: examples/sandbox or
/// examples/sandbox-classic), directory, name prefix and accounts.
pub(crate) struct Sandbox {
    pub engine: &'static str,
    pub dir: PathBuf,
    pub prefix: String,
    pub security: String,
    pub members: [String; 2],
    management: String,
}

impl Sandbox {
    pub fn new(engine: &'static str) -> Sandbox {
        LocalAws::shared(); // started (or reused) before the script looks for it
                            // Removed by `scripts/sandbox.sh destroy`, or kept with its logs when the test fails.
        let dir = tempfile::Builder::new()
            .prefix("sandbox-e2e-")
            .tempdir()
            .unwrap()
            .keep();
        Sandbox {
            engine,
            dir,
            prefix: format!("sb{engine}-{}", unique_suffix()),
            // Accounts of its own: the emulator scans whatever enabled accounts run, and
            // the shared member accounts run other tests' instances.
            security: unique_account_id("81"),
            members: [unique_account_id("82"), unique_account_id("83")],
            management: unique_account_id("89"),
        }
    }

    /// Runs `scripts/sandbox.sh <mode>` (what `make sandbox` runs) and returns its output.
    pub fn script(&self, mode: &str) -> String {
        let output = sandbox_script(self.engine, mode)
            .env("SANDBOX_DIR", &self.dir)
            .env("SANDBOX_PREFIX", &self.prefix)
            .env("SANDBOX_SECURITY_ACCOUNT", &self.security)
            .env("SANDBOX_MANAGEMENT_ACCOUNT", &self.management)
            .env("SANDBOX_MEMBER_ACCOUNTS", self.members.join(","))
            .output()
            .expect("running scripts/sandbox.sh");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "scripts/sandbox.sh {mode} failed ({}); logs in {}:\n{stdout}\n{}",
            output.status,
            self.dir.join("logs").display(),
            String::from_utf8_lossy(&output.stderr)
        );
        println!("{stdout}");
        stdout
    }

    /// `scripts/sandbox.py <command> <outputs.json> [<logs>] <args...>` (a step of `make
    /// sandbox`): Ok(what it printed), or Err(all it said) when it fails.
    pub fn py(&self, args: &[&str]) -> Result<String, String> {
        let mut command = repo_command(".venv/bin/python");
        command
            .arg("scripts/sandbox.py")
            .arg(args[0])
            .arg(self.dir.join("outputs.json"));
        if args[0] == "drain" {
            command.arg(self.dir.join("logs"));
        }
        command.args(&args[1..]).envs(LocalAws::shared().env());
        let output = command.output().expect("running scripts/sandbox.py");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        if output.status.success() {
            Ok(stdout)
        } else {
            Err(format!(
                "scripts/sandbox.py {args:?} failed ({}):\n{stdout}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    /// The root's outputs, as `terraform output -json` wrote them after the apply.
    pub fn outputs(&self) -> Value {
        let text = std::fs::read_to_string(self.dir.join("outputs.json")).unwrap();
        let outputs: BTreeMap<String, Value> = serde_json::from_str(&text).unwrap();
        outputs
            .into_iter()
            .map(|(name, output)| (name, output["value"].clone()))
            .collect()
    }

    /// (finding ARN, status, updatedAt) of every notification the HTTP mailbox received.
    pub fn notifications(&self) -> Vec<(String, String, String)> {
        let mut found = vec![];
        for entry in std::fs::read_dir(self.dir.join("mailbox")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let note: Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                let finding = &note["finding"];
                found.push((
                    finding["finding_arn"].as_str().unwrap().to_owned(),
                    finding["status"].as_str().unwrap().to_owned(),
                    finding["updated_at"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                ));
            }
        }
        found
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "the sandbox stays deployed for inspection, with its logs, in {}; remove it with SANDBOX_DIR={} scripts/sandbox.sh destroy",
                self.dir.display(),
                self.dir.display()
            );
            return;
        }
        // Leaves the local AWS running for the rest of the suite.
        let destroyed = sandbox_script(self.engine, "destroy")
            .env("SANDBOX_DIR", &self.dir)
            .env("SANDBOX_PREFIX", &self.prefix)
            .status();
        assert!(
            matches!(destroyed, Ok(status) if status.success()),
            "scripts/sandbox.sh destroy failed ({destroyed:?}); logs in {}",
            self.dir.join("logs").display()
        );
    }
}

/// `ENGINE=<engine> scripts/sandbox.sh <mode>`, without cargo's variables (see
/// [`test_support::repo_command`]: the script builds the Lambdas with cargo).
fn sandbox_script(engine: &str, mode: &str) -> Command {
    let mut command = repo_command("scripts/sandbox.sh");
    command.arg(mode).env("ENGINE", engine);
    command
}

/// What the delegated administrator lists in both regions, by finding ARN:
/// (status, severity, resource id, vulnerability id).
pub(crate) async fn administrator_findings(
    security: &str,
) -> BTreeMap<String, (String, String, String, String)> {
    let aws = LocalAws::shared();
    let mut found = BTreeMap::new();
    for region in REGIONS {
        let inspector = aws_sdk_inspector2::Client::new(&aws.sdk_config(security, region).await);
        let mut pages = inspector.list_findings().into_paginator().items().send();
        while let Some(finding) = pages.next().await {
            let finding = finding.unwrap();
            let vulnerability = finding
                .package_vulnerability_details()
                .map(|d| d.vulnerability_id().to_owned())
                .unwrap_or_default();
            found.insert(
                finding.finding_arn().to_owned(),
                (
                    finding.status().as_str().to_owned(),
                    finding.severity().as_str().to_owned(),
                    finding.resources()[0].id().to_owned(),
                    vulnerability,
                ),
            );
        }
    }
    found
}

/// Every finding document in the bucket, with its S3 key.
pub(crate) async fn stored(security: &str, bucket: &str) -> Vec<(String, Finding)> {
    documents_in(security, bucket, "findings/").await
}

/// Every document in the bucket under `prefix`, with its S3 key.
async fn documents_in<D: serde::de::DeserializeOwned>(
    security: &str,
    bucket: &str,
    prefix: &str,
) -> Vec<(String, D)> {
    objects_in(security, bucket, prefix)
        .await
        .into_iter()
        .map(|(key, bytes)| {
            let document: D = serde_json::from_slice(&bytes)
                .unwrap_or_else(|err| panic!("{key} is not a {prefix} document: {err}"));
            (key, document)
        })
        .collect()
}

/// Every object under `prefix` in `bucket` of the security account: key → body.
async fn objects_in(security: &str, bucket: &str, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let config = LocalAws::shared().sdk_config(security, REGIONS[0]).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let mut found = vec![];
    let mut pages = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for object in page.unwrap().contents() {
            let key = object.key().unwrap().to_owned();
            let body = s3
                .get_object()
                .bucket(bucket)
                .key(&key)
                .send()
                .await
                .unwrap();
            let bytes = body.body.collect().await.unwrap().into_bytes().to_vec();
            found.push((key, bytes));
        }
    }
    found
}

/// The OCSF copy (docs/ocsf.md) after a run: every stored finding's newest record is its
/// stored document mapped; and, downloaded into the sandbox's folder, every object passes
/// tests/localaws/tests/test_ocsf.py (pyarrow reads it back, each row is valid OCSF 1.1.0,
/// its key is in the Security Lake layout, its columns are the Glue table's).
async fn assert_ocsf_copy(
    sandbox: &Sandbox,
    bucket: &str,
    stored: &BTreeMap<String, Finding>,
    run: &str,
) {
    let folder = sandbox.dir.join(format!("ocsf-{}", run.replace(' ', "-")));
    let mut newest: BTreeMap<String, VulnerabilityFinding> = BTreeMap::new();
    let objects = objects_in(&sandbox.security, bucket, "ocsf/").await;
    assert!(!objects.is_empty(), "{run}: no OCSF object under ocsf/");
    for (key, bytes) in objects {
        let path = folder.join(&key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        let records = read_parquet(bytes).unwrap_or_else(|err| panic!("{run}: {key}: {err}"));
        for record in records {
            match newest.entry(record.finding_info.uid.clone()) {
                std::collections::btree_map::Entry::Vacant(entry) => {
                    entry.insert(record);
                }
                std::collections::btree_map::Entry::Occupied(mut entry) => {
                    if record.time > entry.get().time {
                        entry.insert(record);
                    }
                }
            }
        }
    }
    assert!(
        newest.keys().eq(stored.keys()),
        "{run}: the OCSF copy holds exactly the stored findings"
    );
    for (arn, finding) in stored {
        let record = &newest[arn];
        let mut expected = VulnerabilityFinding::from_finding(finding, "");
        expected.metadata.log_provider = record.metadata.log_provider.clone();
        assert_eq!(*record, expected, "{run}: {arn}'s newest OCSF record");
    }

    let python = test_support::repo_root().join(".venv/bin/python");
    let output = Command::new(&python)
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_ocsf.py",
            "-k",
            "parquet",
        ])
        .current_dir(test_support::repo_root().join("tests/localaws"))
        .env("OCSF_PARQUET_DIR", &folder)
        .output()
        .expect("running pytest");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains(" passed") && !stdout.contains("skipped"),
        "{run}: test_ocsf.py over {}:\n{stdout}{}",
        folder.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// What the delegated administrator's ListCoverage says of `members` in both regions:
/// (account, region, resource id, scan type) → (status, reason).
async fn administrator_coverage(
    security: &str,
    members: &[String],
) -> BTreeMap<(String, String, String, String), (String, String)> {
    let aws = LocalAws::shared();
    let mut found = BTreeMap::new();
    for region in REGIONS {
        let inspector = aws_sdk_inspector2::Client::new(&aws.sdk_config(security, region).await);
        let mut pages = inspector.list_coverage().into_paginator().items().send();
        while let Some(resource) = pages.next().await {
            let resource = resource.unwrap();
            if !members.iter().any(|m| m == resource.account_id()) {
                continue;
            }
            let status = resource.scan_status().unwrap();
            found.insert(
                (
                    resource.account_id().to_owned(),
                    region.to_owned(),
                    resource.resource_id().to_owned(),
                    resource.scan_type().as_str().to_owned(),
                ),
                (
                    status.status_code().as_str().to_owned(),
                    status.reason().as_str().to_owned(),
                ),
            );
        }
    }
    found
}

/// The keys of the history entries in the sandbox's findings bucket.
async fn history_keys(security: &str, outputs: &Value) -> Vec<String> {
    let config = LocalAws::shared().sdk_config(security, REGIONS[0]).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let mut keys = Vec::new();
    let mut pages = s3
        .list_objects_v2()
        .bucket(outputs["findings_bucket"].as_str().unwrap())
        .prefix("history/")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        keys.extend(
            page.unwrap()
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
    }
    keys
}

/// The sandbox's finding documents in S3 by finding ARN; fails if a finding is stored twice.
pub(crate) async fn stored_once(
    sandbox: &Sandbox,
    outputs: &Value,
    run: &str,
) -> BTreeMap<String, Finding> {
    let bucket = outputs["findings_bucket"].as_str().unwrap();
    let mut by_arn: BTreeMap<String, Finding> = BTreeMap::new();
    for (key, finding) in stored(&sandbox.security, bucket).await {
        let arn = finding.finding_arn.clone();
        assert!(
            by_arn.insert(arn.clone(), finding).is_none(),
            "{run}: {arn} is stored twice (again under {key})"
        );
    }
    by_arn
}

/// (finding ARN, status) of every document of the sandbox's index, by document id.
pub(crate) fn indexed(domain: &str) -> BTreeMap<String, (String, String)> {
    let described = LocalAws::shared().get(&format!("/_localaws/opensearch-admin/{domain}"));
    let documents = described["documents"]["inspector-findings"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    documents
        .into_iter()
        .map(|(id, document)| {
            let source = &document["_source"];
            let field = |name: &str| source[name].as_str().unwrap().to_owned();
            (id, (field("finding_arn"), field("status")))
        })
        .collect()
}

pub(crate) fn status_name(status: Status) -> &'static str {
    match status {
        Status::Active => "ACTIVE",
        Status::Closed => "CLOSED",
        Status::Suppressed => "SUPPRESSED",
    }
}

/// How many messages wait in the queue at `url` of the security account in `region`.
pub(crate) async fn depth(security: &str, region: &str, url: &str) -> usize {
    let config = LocalAws::shared().sdk_config(security, region).await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    let count = attributes
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages))
        .expect("ApproximateNumberOfMessages");
    count.parse().unwrap()
}

pub(crate) fn queue_url(arn: &str, endpoint: &str) -> String {
    // arn:aws:sqs:<region>:<account>:<name> -> the local AWS's queue URL.
    let parts: Vec<&str> = arn.split(':').collect();
    format!("{endpoint}/{}/{}", parts[4], parts[5])
}

/// The guarantees that hold after every run: returns the stored findings by ARN.
pub(crate) async fn assert_pipeline_kept_up(
    sandbox: &Sandbox,
    run: &str,
) -> BTreeMap<String, Finding> {
    let outputs = sandbox.outputs();
    let reported = administrator_findings(&sandbox.security).await;
    assert!(!reported.is_empty(), "{run}: Inspector v2 reported nothing");

    // In S3 exactly once, in the status Inspector reports now.
    let by_arn = stored_once(sandbox, &outputs, run).await;
    assert!(
        by_arn.keys().eq(reported.keys()),
        "{run}: S3 holds exactly the findings Inspector reports"
    );
    for (arn, (status, ..)) in &reported {
        assert_eq!(
            status_name(by_arn[arn].status),
            status,
            "{run}: {arn} in S3 is not in its latest status"
        );
    }

    // Coverage: what send-findings stored (Coverage events, then the sweep the sandbox
    // fires, which also removed what Inspector no longer lists) is what Inspector lists.
    let listed = administrator_coverage(&sandbox.security, &sandbox.members).await;
    let bucket = outputs["findings_bucket"].as_str().unwrap();
    let coverage: BTreeMap<_, _> = documents_in::<Coverage>(&sandbox.security, bucket, "coverage/")
        .await
        .into_iter()
        // The administrator's own resources (its Lambdas) are covered too.
        .filter(|(_, c)| sandbox.members.contains(&c.account_id))
        .map(|(key, c)| {
            assert_eq!(
                key,
                c.s3_key("coverage"),
                "{run}: coverage stored at its key"
            );
            (
                (c.account_id, c.region, c.resource_id, c.scan_type),
                (c.scan_status.as_str().to_owned(), c.scan_status_reason),
            )
        })
        .collect();
    assert!(
        listed.values().any(|(status, _)| status == "INACTIVE"),
        "{run}: the sandbox has resources Inspector does not scan"
    );
    assert_eq!(
        coverage, listed,
        "{run}: stored coverage is what Inspector lists"
    );

    assert_ocsf_copy(sandbox, bucket, &by_arn, run).await;

    // Every package finding carries the details Inspector has for it (KEV, exploitation
    // observed), and the priority they give; no other finding asks for them.
    let packages: Vec<&Finding> = by_arn
        .values()
        .filter(|f| f.finding_type == "PACKAGE_VULNERABILITY")
        .collect();
    let arns: Vec<(String, String)> = packages
        .iter()
        .map(|f| (f.region.clone(), f.finding_arn.clone()))
        .collect();
    let expected = kev_and_exploitation(&sandbox.security, &arns).await;
    assert!(
        expected.values().any(|(due, _)| due.is_some()),
        "{run}: no finding in KEV among {} package findings",
        packages.len()
    );
    for finding in &packages {
        let arn = &finding.finding_arn;
        let details = finding
            .details
            .as_ref()
            .unwrap_or_else(|| panic!("{run}: {arn} has no details"));
        match expected.get(arn) {
            Some((due, last_seen)) => {
                assert_eq!(
                    details.status,
                    DetailsStatus::Fetched,
                    "{run}: {arn}: {details:?}"
                );
                assert_eq!(
                    details.kev.as_ref().and_then(|k| k.due_date.as_ref()),
                    due.as_ref(),
                    "{run}: {arn}"
                );
                assert_eq!(
                    details
                        .exploit_observed
                        .as_ref()
                        .and_then(|e| e.last_seen.as_ref()),
                    last_seen.as_ref(),
                    "{run}: {arn}"
                );
            }
            None => assert_eq!(details.status, DetailsStatus::NotFound, "{run}: {arn}"),
        }
        assert_eq!(
            finding.priority,
            Some(Priority::of(finding)),
            "{run}: {arn}"
        );
    }
    assert!(
        by_arn
            .values()
            .filter(|f| f.finding_type != "PACKAGE_VULNERABILITY")
            .all(|f| f.details.is_none()),
        "{run}: details on a finding that is no package vulnerability"
    );

    // In the index exactly once (document id = finding id), in the same status.
    let index = indexed(&format!("{}-findings", sandbox.prefix));
    assert_eq!(
        index.len(),
        by_arn.len(),
        "{run}: one index document per finding"
    );
    for (id, (arn, status)) in &index {
        let finding = by_arn.get(arn).unwrap_or_else(|| {
            panic!("{run}: index document {id} is no finding Inspector reports")
        });
        assert_eq!(id, &finding.id, "{run}: the document id is the finding id");
        assert_eq!(
            status,
            status_name(finding.status),
            "{run}: {arn} in the index"
        );
    }

    // Announced once per finding and state change at or above the threshold (a state
    // that comes back, as a lifted suppression, is a change of its own); nothing below it.
    let notifications = sandbox.notifications();
    let changes: BTreeSet<&(String, String, String)> = notifications.iter().collect();
    assert_eq!(
        changes.len(),
        notifications.len(),
        "{run}: a finding's state change was announced twice"
    );
    let announced: BTreeSet<(String, String)> = notifications
        .iter()
        .map(|(arn, status, _)| (arn.clone(), status.clone()))
        .collect();
    for (arn, finding) in &by_arn {
        let current = (arn.clone(), status_name(finding.status).to_owned());
        if finding.severity >= THRESHOLD {
            assert!(
                announced.contains(&current),
                "{run}: {current:?} was never announced"
            );
        } else {
            assert!(
                !announced.iter().any(|(a, _)| a == arn),
                "{run}: {arn} ({:?}) is below the threshold but was announced",
                finding.severity
            );
        }
    }
    assert!(
        announced.iter().all(|(arn, _)| by_arn.contains_key(arn)),
        "{run}: a notification for a finding Inspector does not report"
    );

    // No dead letters: neither the central queues' nor the forwarding rules'.
    let endpoint = LocalAws::shared().endpoint();
    for kind in ["send", "notify"] {
        let url = queue_url(outputs["dlq_arns"][kind].as_str().unwrap(), endpoint);
        assert_eq!(
            depth(&sandbox.security, REGIONS[0], &url).await,
            0,
            "{run}: {kind} DLQ"
        );
    }
    for region in REGIONS {
        let url = outputs["rules"][region]["dlq_url"].as_str().unwrap();
        assert_eq!(
            depth(&sandbox.security, region, url).await,
            0,
            "{run}: forwarding DLQ in {region}"
        );
    }
    by_arn
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "deploys the whole sandbox twice (minutes): make test-sandbox runs it"]
async fn make_sandbox_twice_stores_every_finding_once_then_shows_closure_and_suppression() {
    let sandbox = Sandbox::new("v2");
    routing::program_jira_faults(&sandbox);

    // Run 1: the estate, its first scan, the pipeline.
    let first = sandbox.script("up");
    assert!(
        first.contains("Findings by account and region"),
        "the summary is printed"
    );
    let outputs = sandbox.outputs();
    let findings = assert_pipeline_kept_up(&sandbox, "run 1").await;
    let workloads = &outputs["workloads"];
    let member_a_primary = &workloads[format!("{}/{}", sandbox.members[0], REGIONS[0])];
    let web = member_a_primary["instances"]["web"]
        .as_str()
        .unwrap()
        .to_owned();
    let excluded = member_a_primary["instances"]["excluded"].as_str().unwrap();
    let of = |resource: &str| -> Vec<&Finding> {
        findings
            .values()
            .filter(|f| f.resource.id == resource)
            .collect()
    };
    assert!(
        of(excluded).is_empty(),
        "the instance tagged InspectorEc2Exclusion has findings"
    );
    assert!(
        of(&web)
            .iter()
            .any(|f| f.finding_type == "NETWORK_REACHABILITY"),
        "the web instance open to SSH has no network reachability finding"
    );
    let types: BTreeSet<&str> = findings
        .values()
        .map(|f| f.resource.resource_type.as_str())
        .collect();
    assert_eq!(
        types,
        BTreeSet::from([
            "AWS_EC2_INSTANCE",
            "AWS_ECR_CONTAINER_IMAGE",
            "AWS_LAMBDA_FUNCTION"
        ]),
        "findings on instances, images and functions"
    );
    let web_findings: Vec<String> = of(&web).iter().map(|f| f.finding_arn.clone()).collect();
    let accepted: Vec<String> = findings
        .values()
        .filter(|f| f.vulnerability_id.as_deref() == Some(ACCEPTED_RISK))
        .map(|f| f.finding_arn.clone())
        .collect();
    assert!(
        !accepted.is_empty(),
        "no {ACCEPTED_RISK} finding to suppress"
    );
    for arn in web_findings.iter().chain(&accepted) {
        assert_eq!(findings[arn].status, Status::Active, "run 1: {arn}");
    }
    let routed = routing::assert_routed(&sandbox, "run 1", &findings, None, 0);
    routing::assert_one_digest_entry_for_a_cve_across_accounts(&sandbox, "CVE-2024-29069", 6, 3);
    let run_1 = findings.clone();

    // Run 2: web terminated, the accepted risk suppressed.
    let second = sandbox.script("up");
    assert!(
        second.contains("terminate member A's web"),
        "the second run shows the lifecycle"
    );
    let findings = assert_pipeline_kept_up(&sandbox, "run 2").await;
    let routed_2 =
        routing::assert_routed(&sandbox, "run 2", &findings, Some(&run_1), routed["digest"]);
    println!("| destination | messages after run 1 | after run 2 |\n|---|---|---|");
    for (destination, count) in &routed {
        println!("| {destination} | {count} | {} |", routed_2[destination]);
    }
    let notifications = sandbox.notifications();
    let told = |arn: &str, status: &str| {
        notifications
            .iter()
            .filter(|(a, s, _)| a == arn && s == status)
            .count()
    };
    let announced = |arn: &str| usize::from(findings[arn].severity >= THRESHOLD);
    for arn in &web_findings {
        assert_eq!(
            findings[arn].status,
            Status::Closed,
            "run 2: {arn} of the terminated web instance"
        );
        assert_eq!(
            told(arn, "CLOSED"),
            announced(arn),
            "run 2: {arn}'s closure announced once"
        );
    }
    // Each status change is kept: the current document says when, and a history entry of
    // its own holds the state (docs/finding-schema.md, "History").
    let history = history_keys(&sandbox.security, &sandbox.outputs()).await;
    for arn in web_findings.iter().chain(&accepted) {
        let finding = &findings[arn];
        assert_eq!(
            finding.status_changed_at, finding.updated_at,
            "run 2: {arn}"
        );
        let entry = format!("/{}/{}.json", finding.id, finding.version().unwrap());
        assert!(
            history.iter().any(|key| key.ends_with(&entry)),
            "run 2: no history entry {entry} for {arn}"
        );
        match finding.status {
            Status::Closed => {
                assert_eq!(finding.closed_at, finding.updated_at, "run 2: {arn}");
                assert!(
                    finding.time_to_remediate_seconds.is_some_and(|s| s >= 0),
                    "run 2: {arn} closed without a time to remediate"
                );
            }
            _ => assert_eq!(finding.closed_at, None, "run 2: {arn}"),
        }
    }
    for arn in &accepted {
        assert_eq!(findings[arn].status, Status::Suppressed, "run 2: {arn}");
        assert_eq!(
            told(arn, "SUPPRESSED"),
            announced(arn),
            "run 2: {arn}'s suppression announced once"
        );
    }
    let unchanged = findings
        .values()
        .filter(|f| f.status == Status::Active)
        .count();
    assert!(unchanged > 0, "run 2 closed or suppressed everything");
    // Team A's ticket for the web instance's HIGH CVE is done; the CVE comes back elsewhere.
    let web_cve = web_findings
        .iter()
        .map(|arn| &findings[arn])
        .find(|f| f.severity >= Severity::High && f.finding_type == "PACKAGE_VULNERABILITY")
        .map(|f| f.vulnerability_group())
        .expect("the web instance has a HIGH package vulnerability");
    routing::assert_a_returning_cve_reopens_its_ticket(&sandbox, &web_cve).await;

    // Least privilege: both runs went through with the roles' policies enforced.
    least_privilege::assert_healthy_run_needs_every_grant_but(
        &sandbox,
        least_privilege::V2_GRANTED_NOT_CALLED,
    );
    let removals = least_privilege::assert_each_statement_used_is_needed(&sandbox).await;
    println!("| role | statement removed | denied action | what broke |\n|---|---|---|---|");
    for [role, sid, action, broke] in removals {
        println!("| {role} | {sid} | {action} | {broke} |");
    }

    // Faults at set rates while findings change: nothing lost or doubled (chaos.rs).
    chaos::assert_reliable_under_faults(&sandbox, &chaos::SHORT, None).await;
}
