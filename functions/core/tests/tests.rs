//! send-findings' pipeline against the local AWS: findings produced by the Classic
//! emulator in two member accounts and two regions, delivered through SNS and SQS, then
//! processed in-process; S3, the OpenSearch test endpoint and EC2 are the real local ones.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_inspector::types::InspectorEvent;
use inspectorlink_core::config::{Env, SendFindingsConfig};
use inspectorlink_core::dead_letter::REASON_ATTRIBUTE;
use inspectorlink_core::deadline::Deadline;
use inspectorlink_core::finding::{EnrichmentStatus, Finding, Status};
use inspectorlink_core::pipeline::{BatchOutcome, SendFindings};
use serde_json::{json, Value};
use test_support::classic::{run_instances, SecurityTopic, TaggedTemplate};
use test_support::sqs::{batch, drain, event, failed_ids, held, new_queue, received};
use test_support::{
    unique_account_id, unique_suffix, LocalAws, MEMBER_ACCOUNTS, REGIONS, SECURITY_ACCOUNT,
};

mod attach;
mod coverage;
mod details;
mod history;
mod inspector2;
mod notify;
mod ocsf;

const PRIMARY: &str = "us-east-1";

/// A bucket and an OpenSearch test domain in the security account, and the pipeline over them.
struct Sinks {
    suffix: String,
    bucket: String,
    domain: String,
    s3: aws_sdk_s3::Client,
    /// The Lambda's own SDK config and configuration, which tests vary with `with`.
    security: aws_config::SdkConfig,
    config: SendFindingsConfig,
    pipeline: SendFindings,
}

impl Sinks {
    async fn new() -> Self {
        Self::in_account(SECURITY_ACCOUNT).await
    }

    /// The sinks and the pipeline acting as `security_account` (the Lambda's account).
    async fn in_account(security_account: &str) -> Self {
        let aws = LocalAws::shared();
        let suffix = unique_suffix();
        let security = aws.sdk_config(security_account, PRIMARY).await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&security)
                .force_path_style(true)
                .build(),
        );
        let bucket = format!("findings-{suffix}");
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        let domain = format!("send-{suffix}");
        let endpoint = format!("{}/_localaws/opensearch/{domain}", aws.endpoint());
        let vars = BTreeMap::from([
            ("FINDINGS_BUCKET", bucket.clone()),
            ("MEMBER_ROLE_NAME", "inspectorlink-read".to_owned()),
            ("OPENSEARCH_ENDPOINT", endpoint),
            ("AWS_REGION", PRIMARY.to_owned()),
        ]);
        let config =
            SendFindingsConfig::from_env(&Env::new(|name: &str| vars.get(name).cloned())).unwrap();
        let pipeline = pipeline_over(config.clone(), &security, &s3);
        Sinks {
            suffix,
            bucket,
            domain,
            s3,
            security,
            config,
            pipeline,
        }
    }

    /// A pipeline over this test's configuration as `change` alters it.
    fn with(&self, change: impl FnOnce(&mut SendFindingsConfig)) -> SendFindings {
        let mut config = self.config.clone();
        change(&mut config);
        pipeline_over(config, &self.security, &self.s3)
    }

    /// Every finding object in the bucket, by key.
    async fn objects(&self) -> BTreeMap<String, Finding> {
        objects_in(&self.s3, &self.bucket, "findings/").await
    }

    /// The OpenSearch test domain's state: documents, attempts, requests.
    fn opensearch(&self, body: Value) -> Value {
        LocalAws::shared().admin(
            &format!("/_localaws/opensearch-admin/{}", self.domain),
            &body,
        )
    }

    fn indexed_ids(&self) -> BTreeSet<String> {
        let state = self.opensearch(json!({}));
        state["documents"]["inspector-findings"]
            .as_object()
            .map(|docs| docs.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// Every document in `bucket` under `prefix` (`findings/`: the findings; `history/`:
/// their history entries; `coverage/`: coverage documents), by key.
async fn objects_in<D: serde::de::DeserializeOwned>(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> BTreeMap<String, D> {
    let mut objects = BTreeMap::new();
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
                .unwrap()
                .body
                .collect()
                .await
                .unwrap();
            objects.insert(key, serde_json::from_slice(&body.into_bytes()).unwrap());
        }
    }
    objects
}

/// Runs a tagged template in `account`/`region` whose findings reach `topic`; returns the
/// instance ids it assessed.
async fn scan(
    account: &str,
    region: &str,
    topic: &SecurityTopic,
    suffix: &str,
    instances: i32,
) -> (TaggedTemplate, Vec<String>) {
    let client =
        aws_sdk_inspector::Client::new(&LocalAws::shared().sdk_config(account, region).await);
    let template = TaggedTemplate::create(&client, suffix, region).await;
    template
        .subscribe(InspectorEvent::FindingReported, &topic.topic)
        .await;
    let ids = run_instances(account, region, instances, Some(suffix)).await;
    client
        .start_assessment_run()
        .assessment_template_arn(&template.template)
        .send()
        .await
        .unwrap();
    (template, ids)
}

/// The pipeline over `config`; its S3 sink uses `s3`, which addresses buckets path-style
/// as the local AWS needs (the Lambda's own client is virtual-hosted).
fn pipeline_over(
    config: SendFindingsConfig,
    security: &aws_config::SdkConfig,
    s3: &aws_sdk_s3::Client,
) -> SendFindings {
    let sink = inspectorlink_core::s3::S3Sink::new(
        s3.clone(),
        config.bucket.clone(),
        config.prefix.clone(),
        config.history_prefix.clone(),
        config.coverage_prefix.clone(),
        config.kms_key_arn.clone(),
    );
    let ocsf = config
        .ocsf
        .clone()
        .map(|ocsf| inspectorlink_core::ocsf::OcsfSink::with_client(s3.clone(), ocsf));
    let mut pipeline = SendFindings::new(config, security);
    pipeline.s3 = sink;
    pipeline.ocsf = ocsf;
    pipeline
}

/// Every SQS message body in the topic's queue, with its message id.
async fn queued(topic: &SecurityTopic) -> Vec<(String, String)> {
    drain(&topic.sqs, &topic.queue_url).await
}

async fn process_in_batches(pipeline: &SendFindings, records: &[(String, String)]) -> BatchOutcome {
    let mut all = BatchOutcome::default();
    for batch in records.chunks(10) {
        let outcome = pipeline.process(event(batch), Deadline::NONE).await;
        all.failed.extend(outcome.failed);
        all.stored.extend(outcome.stored);
        all.ignored += outcome.ignored;
        all.gone += outcome.gone;
        all.api_calls += outcome.api_calls;
    }
    all
}

#[tokio::test(flavor = "multi_thread")]
async fn findings_from_two_accounts_and_two_regions_land_enriched_in_s3_and_opensearch_once() {
    let sinks = Sinks::new().await;
    let mut records = Vec::new();
    let mut instances_by_account_region = BTreeMap::new();
    let mut templates = Vec::new();
    for region in REGIONS {
        let topic = SecurityTopic::create(&format!("{}-{region}", sinks.suffix), region).await;
        for account in MEMBER_ACCOUNTS {
            let (template, ids) = scan(account, region, &topic, &sinks.suffix, 2).await;
            templates.push(template);
            instances_by_account_region.insert((account, region), ids);
        }
        records.extend(queued(&topic).await);
    }
    assert_eq!(
        records.len(),
        4 * 2 * 4,
        "4 findings for each of 2 instances in 4 account-regions"
    );

    let outcome = process_in_batches(&sinks.pipeline, &records).await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(outcome.stored.len(), records.len());

    let objects = sinks.objects().await;
    assert_eq!(objects.len(), records.len(), "one object per finding");
    for (key, finding) in &objects {
        assert_eq!(key, &finding.s3_key("findings"));
        assert_eq!(
            finding.enrichment.status,
            EnrichmentStatus::Enriched,
            "{key}"
        );
        let ids =
            &instances_by_account_region[&(finding.account_id.as_str(), finding.region.as_str())];
        assert!(
            ids.contains(&finding.resource.id),
            "{key}: {} not among {ids:?}",
            finding.resource.id
        );
        // Enrichment matches what EC2 says of the instance now.
        let ec2 = aws_sdk_ec2::Client::new(
            &LocalAws::shared()
                .sdk_config(&finding.account_id, &finding.region)
                .await,
        );
        let described = ec2
            .describe_instances()
            .instance_ids(&finding.resource.id)
            .send()
            .await
            .unwrap();
        let instance = &described.reservations()[0].instances()[0];
        assert_eq!(finding.resource.vpc_id.as_deref(), instance.vpc_id());
        assert_eq!(
            finding.resource.subnet_ids,
            [instance.subnet_id().unwrap().to_owned()]
        );
        // EC2 lists groups on the instance and on its interfaces (moto only on the latter).
        let groups: BTreeSet<String> = instance
            .security_groups()
            .iter()
            .filter_map(|g| g.group_id())
            .chain(
                instance
                    .network_interfaces()
                    .iter()
                    .flat_map(|n| n.groups())
                    .filter_map(|g| g.group_id()),
            )
            .map(str::to_owned)
            .collect();
        assert!(!groups.is_empty());
        assert_eq!(
            finding.resource.security_group_ids,
            groups.into_iter().collect::<Vec<_>>()
        );
        assert!(finding
            .resource
            .private_ips
            .contains(&instance.private_ip_address().unwrap().to_owned()));
        assert_eq!(finding.resource.tags["Inspect"], sinks.suffix);
    }
    let ids: BTreeSet<String> = objects.values().map(|f| f.id.clone()).collect();
    assert_eq!(
        sinks.indexed_ids(),
        ids,
        "OpenSearch holds the same documents as S3"
    );

    // Delivered again: the same keys and ids, nothing new.
    let again = process_in_batches(&sinks.pipeline, &records).await;
    assert!(again.failed.is_empty(), "{:?}", again.failed);
    assert_eq!(
        sinks.objects().await.keys().collect::<Vec<_>>(),
        objects.keys().collect::<Vec<_>>()
    );
    assert_eq!(sinks.indexed_ids(), ids);
    // Each document's version is its finding's (external versioning), which a redelivery
    // of the same state rewrites without raising.
    let state = sinks.opensearch(json!({}));
    let documents = &state["documents"]["inspector-findings"];
    for finding in objects.values() {
        assert_eq!(
            documents[&finding.id]["_version"],
            json!(finding.version().unwrap())
        );
    }
    // The index template shipped with the code was applied before the first document.
    assert!(
        state["index_templates"]["inspector-findings"].is_object(),
        "{}",
        state["index_templates"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_index_an_earlier_release_made_takes_the_fields_added_since() {
    let sinks = Sinks::new().await;
    // The index as a release before `priority` left it: strict, and without that field.
    let template: Value =
        serde_json::from_str(inspectorlink_core::opensearch::INDEX_TEMPLATE).unwrap();
    let mut mappings = template["template"]["mappings"].clone();
    mappings["properties"]
        .as_object_mut()
        .unwrap()
        .remove("priority")
        .expect("the template maps priority");
    sinks.opensearch(json!({"indices": {"inspector-findings": {"mappings": mappings}}}));
    let topic = SecurityTopic::create(&sinks.suffix, PRIMARY).await;
    let (_template, _) = scan(MEMBER_ACCOUNTS[0], PRIMARY, &topic, &sinks.suffix, 2).await;

    let outcome = process_in_batches(&sinks.pipeline, &queued(&topic).await).await;

    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert!(!outcome.stored.is_empty(), "gone: {}", outcome.gone);
    let state = sinks.opensearch(json!({}));
    let properties = &state["indices"]["inspector-findings"]["mappings"]["properties"];
    assert_eq!(
        properties["priority"],
        template["template"]["mappings"]["properties"]["priority"]
    );
    let documents = state["documents"]["inspector-findings"]
        .as_object()
        .unwrap();
    assert_eq!(documents.len(), outcome.stored.len());
    for (id, document) in documents {
        let stored = outcome.stored.iter().find(|f| &f.id == id).unwrap();
        assert_eq!(
            document["_source"]["priority"],
            json!(stored.priority.unwrap()),
            "{id}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_bad_record_fails_alone_and_the_rest_of_the_batch_is_stored() {
    let sinks = Sinks::new().await;
    let topic = SecurityTopic::create(&sinks.suffix, PRIMARY).await;
    let (_template, _) = scan(MEMBER_ACCOUNTS[0], PRIMARY, &topic, &sinks.suffix, 1).await;
    let mut records = queued(&topic).await;
    let good = records.len();
    let (_, sample) = records[0].clone();
    let envelope: Value = serde_json::from_str(&sample).unwrap();
    let message: Value = serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
    let wrap = |message: Value| {
        let mut e = envelope.clone();
        e["Message"] = Value::String(message.to_string());
        e.to_string()
    };
    let finding = message["finding"].as_str().unwrap();
    let unknown_finding = format!(
        "{}/finding/0-gone0000",
        finding.rsplit_once("/finding/").unwrap().0
    );
    records.extend([
        ("not-json".to_owned(), "{not json".to_owned()),
        ("bad-envelope".to_owned(), {
            let mut e = envelope.clone();
            e["Message"] = Value::String("{broken".into());
            e.to_string()
        }),
        ("unknown-event".to_owned(), wrap(json!({"event": "FINDING_DELETED", "finding": finding}))),
        ("bad-arn".to_owned(), wrap(json!({"event": "FINDING_REPORTED", "finding": "arn:aws:inspector:us-east-1:222222222222:target/0-x"}))),
        ("run-completed".to_owned(), wrap(json!({"event": "ASSESSMENT_RUN_COMPLETED", "template": message["template"]}))),
        ("gone".to_owned(), wrap(json!({"event": "FINDING_REPORTED", "finding": unknown_finding}))),
    ]);

    let outcome = sinks
        .pipeline
        .process(event(&records), Deadline::NONE)
        .await;
    let failed: BTreeSet<&str> = outcome.failed.keys().map(String::as_str).collect();
    assert_eq!(
        failed,
        BTreeSet::from(["not-json", "bad-envelope", "unknown-event", "bad-arn"]),
        "{:#?}",
        outcome.failed
    );
    assert!(outcome.failed["unknown-event"].contains("FINDING_DELETED"));
    assert!(outcome.failed["bad-arn"].contains("expected a finding"));
    assert_eq!(
        outcome.ignored, 1,
        "ASSESSMENT_RUN_COMPLETED is acknowledged"
    );
    assert_eq!(
        outcome.gone, 1,
        "a finding Inspector no longer has is acknowledged"
    );
    assert_eq!(outcome.stored.len(), good);
    assert_eq!(failed_ids(&outcome.response()), failed);
    assert_eq!(sinks.objects().await.len(), good);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terminated_instance_is_stored_from_the_finding_and_says_so() {
    let sinks = Sinks::new().await;
    let topic = SecurityTopic::create(&sinks.suffix, PRIMARY).await;
    let (_template, ids) = scan(MEMBER_ACCOUNTS[1], PRIMARY, &topic, &sinks.suffix, 1).await;
    let ec2 = aws_sdk_ec2::Client::new(
        &LocalAws::shared()
            .sdk_config(MEMBER_ACCOUNTS[1], PRIMARY)
            .await,
    );
    ec2.terminate_instances()
        .instance_ids(&ids[0])
        .send()
        .await
        .unwrap();

    let records = queued(&topic).await;
    let outcome = sinks
        .pipeline
        .process(event(&records), Deadline::NONE)
        .await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    for finding in sinks.objects().await.values() {
        assert_eq!(
            finding.enrichment.status,
            EnrichmentStatus::InstanceNotFound
        );
        assert!(finding
            .enrichment
            .detail
            .as_deref()
            .unwrap()
            .contains("terminated"));
        assert_eq!(finding.resource.id, ids[0]);
        assert!(
            finding.resource.vpc_id.is_some(),
            "the finding's own asset attributes still describe the network"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_opensearch_429_on_one_document_fails_only_its_record() {
    let sinks = Sinks::new().await;
    let topic = SecurityTopic::create(&sinks.suffix, PRIMARY).await;
    let (_template, _) = scan(MEMBER_ACCOUNTS[0], PRIMARY, &topic, &sinks.suffix, 1).await;
    let records = queued(&topic).await;
    let message: Value = serde_json::from_str(&records[0].1).unwrap();
    let inner: Value = serde_json::from_str(message["Message"].as_str().unwrap()).unwrap();
    let throttled = inspectorlink_core::finding_id(inner["finding"].as_str().unwrap());
    // More refusals than the sink's attempts: the document fails for this invocation.
    sinks.opensearch(json!({"fail_documents": [{"id": throttled, "status": 429, "times": 10}]}));

    let outcome = sinks
        .pipeline
        .process(event(&records), Deadline::NONE)
        .await;
    assert_eq!(
        outcome.failed.keys().collect::<Vec<_>>(),
        [&records[0].0],
        "{:?}",
        outcome.failed
    );
    assert!(
        outcome.failed[&records[0].0].contains("429"),
        "{}",
        outcome.failed[&records[0].0]
    );
    assert_eq!(outcome.stored.len(), records.len() - 1);
    let attempts =
        &sinks.opensearch(json!({}))["document_attempts"]["inspector-findings"][&throttled];
    assert_eq!(
        attempts.as_u64(),
        Some(3),
        "retried within the invocation before giving up"
    );

    // One refusal only: the retry inside the invocation succeeds.
    sinks.opensearch(json!({"fail_documents": [{"id": throttled, "status": 429, "times": 1}]}));
    let outcome = sinks
        .pipeline
        .process(event(&records), Deadline::NONE)
        .await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_s3_write_that_fails_fails_its_records() {
    let sinks = Sinks::new().await;
    let topic = SecurityTopic::create(&sinks.suffix, PRIMARY).await;
    let (_template, _) = scan(MEMBER_ACCOUNTS[0], PRIMARY, &topic, &sinks.suffix, 1).await;
    let records = queued(&topic).await;
    let pipeline = sinks.with(|config| config.bucket = format!("missing-{}", sinks.suffix));

    let outcome = pipeline.process(event(&records), Deadline::NONE).await;
    assert_eq!(outcome.failed.len(), records.len());
    assert!(
        outcome
            .failed
            .values()
            .all(|reason| reason.contains("writing to S3") && reason.contains("NoSuchBucket")),
        "{:?}",
        outcome.failed
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_failing_its_last_receive_goes_to_the_dead_letter_queue_with_the_reason() {
    let sinks = Sinks::new().await;
    let sqs = aws_sdk_sqs::Client::new(&sinks.security);
    let dlq = new_queue(&sqs, &format!("send-dlq-{}", sinks.suffix)).await;
    let pipeline = sinks.with(|config| config.dead_letter_queue = Some((dlq.clone(), 5)));
    let stored = inspector2_event("ecr-package-vulnerability");
    let unreadable = "{\"detail-type\": \"Inspector2 Finding\", \"detail\": ".to_owned();
    let event = batch(vec![
        received("stored", &stored, 5),
        received("last", &unreadable, 5),
        received("first", &unreadable, 1),
    ]);

    let response = pipeline.handle(event, Deadline::NONE).await;
    assert_eq!(
        failed_ids(&response),
        BTreeSet::from(["first"]),
        "the last receive is taken off its queue; the first is retried"
    );
    let [moved] = &held(&sqs, &dlq).await[..] else {
        panic!("one message in the DLQ")
    };
    assert_eq!(
        moved.body, unreadable,
        "unchanged: a redrive puts it back as it came"
    );
    assert!(
        moved.attributes[REASON_ATTRIBUTE].contains("not JSON"),
        "{:?}",
        moved.attributes
    );
    assert_eq!(moved.attributes["inspectorlink_function"], "send-findings");
    assert_eq!(moved.attributes["inspectorlink_receive_count"], "5");
    assert_eq!(moved.attributes["inspectorlink_source_message_id"], "last");
    assert_eq!(sinks.objects().await.len(), 1);

    // A dead-letter queue it cannot send to loses nothing: the record fails as before,
    // and SQS's redrive moves it.
    let pipeline =
        sinks.with(|config| config.dead_letter_queue = Some((format!("{dlq}-missing"), 5)));
    let response = pipeline
        .handle(
            batch(vec![received("last", &unreadable, 5)]),
            Deadline::NONE,
        )
        .await;
    assert_eq!(response.batch_item_failures.len(), 1);
    assert_eq!(held(&sqs, &dlq).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_role_that_cannot_be_assumed_fails_its_records_and_says_which_role() {
    let sinks = Sinks::new().await;
    let member = MEMBER_ACCOUNTS[1];
    let topic = SecurityTopic::create(&sinks.suffix, PRIMARY).await;
    let (_template, _) = scan(member, PRIMARY, &topic, &sinks.suffix, 1).await;
    let records = queued(&topic).await;

    // A member role that trusts the pipeline's own role, only with the external id.
    let role_name = format!("inspectorlink-read-{}", sinks.suffix);
    let external_id = format!("ext-{}", sinks.suffix);
    let trust = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::{SECURITY_ACCOUNT}:role/inspectorlink-test")},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": external_id}}
    }]});
    let iam = aws_sdk_iam::Client::new(&LocalAws::shared().sdk_config(member, PRIMARY).await);
    iam.create_role()
        .role_name(&role_name)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .unwrap();

    let pipeline_with = |external_id: Option<String>| {
        sinks.with(|config| {
            config.member_role_name = Some(role_name.clone());
            config.member_role_external_id = external_id;
            config.opensearch = None;
        })
    };

    let refused = pipeline_with(None)
        .process(event(&records), Deadline::NONE)
        .await;
    assert_eq!(refused.failed.len(), records.len());
    let role_arn = format!("arn:aws:iam::{member}:role/{role_name}");
    for reason in refused.failed.values() {
        assert!(
            reason.contains(&role_arn)
                && reason.contains("not authorized to perform: sts:AssumeRole"),
            "{reason}"
        );
    }
    assert!(sinks.objects().await.is_empty(), "nothing may be stored");

    let allowed = pipeline_with(Some(external_id))
        .process(event(&records), Deadline::NONE)
        .await;
    assert!(allowed.failed.is_empty(), "{:?}", allowed.failed);
    assert_eq!(sinks.objects().await.len(), records.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_classic_finding_without_member_roles_fails_saying_what_to_deploy() {
    let sinks = Sinks::new().await;
    let topic = SecurityTopic::create(&sinks.suffix, PRIMARY).await;
    let (_template, _) = scan(MEMBER_ACCOUNTS[0], PRIMARY, &topic, &sinks.suffix, 1).await;
    let records = queued(&topic).await;
    // An Inspector v2 estate's configuration: security-primary's member_roles = false.
    let pipeline = sinks.with(|config| config.member_role_name = None);

    let outcome = pipeline.process(event(&records), Deadline::NONE).await;
    assert_eq!(outcome.failed.len(), records.len());
    assert!(
        outcome
            .failed
            .values()
            .all(|reason| reason.contains("MEMBER_ROLE_NAME is unset")
                && reason.contains("modules/member-account")
                && reason.contains("member_roles = true")),
        "{:?}",
        outcome.failed
    );
    assert!(sinks.objects().await.is_empty(), "nothing may be stored");
}

/// AWS API calls the local AWS answered for `account`, by "service:action".
fn calls_of(account: &str) -> BTreeMap<String, u64> {
    let counts = LocalAws::shared().get(&format!("/_localaws/requests?account={account}"));
    serde_json::from_value(counts["calls"].clone()).unwrap()
}

fn calls_since(before: &BTreeMap<String, u64>, account: &str) -> BTreeMap<String, u64> {
    calls_of(account)
        .into_iter()
        .filter_map(|(call, n)| {
            let new = n - before.get(&call).copied().unwrap_or(0);
            (new > 0).then_some((call, new))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ten_finding_batch_from_one_account_costs_at_most_one_and_a_half_api_calls_per_finding() {
    // Accounts of this test's own, so the counts hold only the pipeline's calls.
    let (security, member) = (unique_account_id("72"), unique_account_id("73"));
    LocalAws::shared().admin(
        "/_localaws/inspector/config",
        &json!({"account_id": member, "findings_per_instance": 10}),
    );
    let sinks = Sinks::in_account(&security).await;
    let topic = SecurityTopic::create(&sinks.suffix, PRIMARY).await;

    // Cold: the first batch of an execution environment; warm: the next batch, of new
    // findings from another run, with credentials and the index template reused.
    let mut per_batch = Vec::new();
    let mut last_records = Vec::new();
    // Kept until the end: a template deletes its runs and findings when dropped.
    let mut templates = Vec::new();
    for round in ["cold", "warm"] {
        let (template, _) = scan(
            &member,
            PRIMARY,
            &topic,
            &format!("{}{round}", sinks.suffix),
            1,
        )
        .await;
        templates.push(template);
        let records = queued(&topic).await;
        assert_eq!(records.len(), 10);
        let (security_before, member_before) = (calls_of(&security), calls_of(&member));
        let outcome = sinks
            .pipeline
            .process(event(&records), Deadline::NONE)
            .await;
        assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
        let mut calls = calls_since(&security_before, &security);
        calls.extend(calls_since(&member_before, &member));
        // The ApiCalls metric counts the same calls, less the SDK's own AssumeRole.
        let assume_role = calls.get("sts:AssumeRole").copied().unwrap_or(0);
        assert_eq!(
            outcome.api_calls,
            calls.values().sum::<u64>() - assume_role,
            "{calls:?}"
        );
        per_batch.push(calls);
        last_records = records;
    }
    // A redelivered batch: each object exists at the same version, so each write is the
    // create-only PutObject refused, a GetObject (the stored state: its version, and what
    // a v2 finding's lifecycle follows from) and the conditional PutObject: the price of
    // never writing an older state over a newer one.
    let before = calls_of(&security);
    let outcome = sinks
        .pipeline
        .process(event(&last_records), Deadline::NONE)
        .await;
    assert_eq!(outcome.stored.len(), 10, "{outcome:?}");
    let redelivered = calls_since(&before, &security);
    assert_eq!(redelivered["s3:PUT object"], 20, "{redelivered:?}");
    assert_eq!(redelivered["s3:GET object"], 10, "{redelivered:?}");
    println!(
        "BENCH send_findings_s3_calls_per_redelivered_finding {:.1} calls/finding",
        (redelivered["s3:PUT object"] + redelivered["s3:GET object"]) as f64 / 10.0
    );
    let [cold, warm] = &per_batch[..] else {
        unreachable!()
    };
    let total = |calls: &BTreeMap<String, u64>| calls.values().sum::<u64>();
    // Cold: AssumeRole + DescribeFindings + DescribeInstances + 10 PutObject + index template + _bulk.
    assert_eq!(cold["sts:AssumeRole"], 1, "{cold:?}");
    assert_eq!(cold["inspector:DescribeFindings"], 1, "{cold:?}");
    assert_eq!(cold["ec2:DescribeInstances"], 1, "{cold:?}");
    assert_eq!(cold["s3:PUT object"], 10, "{cold:?}");
    assert_eq!(cold["es:POST _bulk"], 1, "{cold:?}");
    assert!(
        total(cold) <= 15,
        "cold batch: {} calls for 10 findings: {cold:?}",
        total(cold)
    );
    // Warm: the role's credentials and the index template are reused.
    assert!(
        !warm.contains_key("sts:AssumeRole") && !warm.contains_key("es:PUT _index_template"),
        "{warm:?}"
    );
    assert!(
        total(warm) <= 13,
        "warm batch: {} calls for 10 findings: {warm:?}",
        total(warm)
    );
    println!(
        "BENCH send_findings_api_calls_per_finding_cold {:.1} calls/finding",
        total(cold) as f64 / 10.0
    );
    println!(
        "BENCH send_findings_api_calls_per_finding_warm {:.1} calls/finding",
        total(warm) as f64 / 10.0
    );
    LocalAws::shared().admin(
        "/_localaws/inspector/config",
        &json!({"account_id": member, "reset": true}),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn opensearch_serverless_signing_and_whole_request_503s_are_handled() {
    let sinks = Sinks::new().await;
    let topic = SecurityTopic::create(&sinks.suffix, PRIMARY).await;
    let (_template, _) = scan(MEMBER_ACCOUNTS[0], PRIMARY, &topic, &sinks.suffix, 1).await;
    let records = queued(&topic).await;

    // A collection endpoint: SigV4 service aoss, payload hash header required.
    let collection = format!("aoss-{}", sinks.suffix);
    let admin = format!("/_localaws/opensearch-admin/{collection}");
    LocalAws::shared().admin(
        &admin,
        &json!({"service": "aoss", "fail_requests": {"status": 503, "times": 2}}),
    );
    let pipeline = sinks.with(|config| {
        config.opensearch = Some(inspectorlink_core::config::OpenSearchConfig {
            endpoint: format!(
                "{}/_localaws/opensearch/{collection}",
                LocalAws::shared().endpoint()
            ),
            index: "inspector-findings".into(),
            coverage_index: "inspector-coverage".into(),
            service: "aoss".into(),
            region: PRIMARY.into(),
        })
    });

    let outcome = pipeline.process(event(&records), Deadline::NONE).await;
    assert!(
        outcome.failed.is_empty(),
        "two 503s are retried within the invocation: {:?}",
        outcome.failed
    );
    let state = LocalAws::shared().get(&admin);
    assert_eq!(
        state["documents"]["inspector-findings"]
            .as_object()
            .unwrap()
            .len(),
        records.len()
    );
    let refused: Vec<&Value> = state["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["auth_error"].is_string())
        .collect();
    assert!(
        refused.is_empty(),
        "every request was signed as aoss accepts: {refused:?}"
    );
}

/// Makes the next `times` calls `call` ("service:action") of `account` fail with `code`.
fn inject_fault(account: &str, call: &str, code: &str, status: u16, times: u32) {
    LocalAws::shared().admin("/_localaws/faults", &json!({"account_id": account, "call": call, "code": code, "status": status, "times": times}));
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_access_denied_fails_only_the_record_it_refused() {
    let security = unique_account_id("76");
    let sinks = Sinks::in_account(&security).await;
    let topic = SecurityTopic::create(&sinks.suffix, PRIMARY).await;
    let (_template, _) = scan(MEMBER_ACCOUNTS[0], PRIMARY, &topic, &sinks.suffix, 1).await;
    let records = queued(&topic).await;
    inject_fault(&security, "s3:PUT object", "AccessDenied", 403, 1);

    let outcome = sinks
        .pipeline
        .process(event(&records), Deadline::NONE)
        .await;
    assert_eq!(outcome.failed.len(), 1, "{:?}", outcome.failed);
    let reason = outcome.failed.values().next().unwrap();
    assert!(
        reason.contains("writing to S3") && reason.contains("AccessDenied"),
        "{reason}"
    );
    assert_eq!(sinks.objects().await.len(), records.len() - 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn throttled_describe_findings_is_retried_then_reported_per_record() {
    let member = unique_account_id("77");
    let sinks = Sinks::new().await;
    let topic = SecurityTopic::create(&sinks.suffix, PRIMARY).await;
    let (_template, _) = scan(&member, PRIMARY, &topic, &sinks.suffix, 1).await;
    let records = queued(&topic).await;

    // Once: the SDK's retry (with backoff) absorbs it.
    inject_fault(
        &member,
        "inspector:DescribeFindings",
        "ThrottlingException",
        400,
        1,
    );
    let outcome = sinks
        .pipeline
        .process(event(&records), Deadline::NONE)
        .await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);

    // Longer than the retries last: the records fail, with the reason, not the batch.
    inject_fault(
        &member,
        "inspector:DescribeFindings",
        "ThrottlingException",
        400,
        10,
    );
    let outcome = sinks
        .pipeline
        .process(event(&records), Deadline::NONE)
        .await;
    assert_eq!(outcome.failed.len(), records.len());
    assert!(
        outcome
            .failed
            .values()
            .all(|r| r.contains("ThrottlingException") && r.contains(&member)),
        "{:?}",
        outcome.failed
    );
    LocalAws::shared().admin(
        "/_localaws/faults",
        &json!({"account_id": member, "clear": true}),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn objects_are_encrypted_with_the_configured_kms_key() {
    let sinks = Sinks::new().await;
    let topic = SecurityTopic::create(&sinks.suffix, PRIMARY).await;
    let (_template, _) = scan(MEMBER_ACCOUNTS[0], PRIMARY, &topic, &sinks.suffix, 1).await;
    let records = queued(&topic).await;
    let key = format!(
        "arn:aws:kms:{PRIMARY}:{SECURITY_ACCOUNT}:key/0000aaaa-bbbb-cccc-dddd-{}",
        "0".repeat(12)
    );
    let pipeline = sinks.with(|config| config.kms_key_arn = Some(key.clone()));

    let outcome = pipeline.process(event(&records), Deadline::NONE).await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    for object in sinks.objects().await.keys() {
        let head = sinks
            .s3
            .head_object()
            .bucket(&sinks.bucket)
            .key(object)
            .send()
            .await
            .unwrap();
        assert_eq!(
            head.server_side_encryption(),
            Some(&aws_sdk_s3::types::ServerSideEncryption::AwsKms)
        );
        assert_eq!(head.ssekms_key_id(), Some(key.as_str()));
        assert_eq!(head.bucket_key_enabled(), Some(true));
    }
}

/// A documented `Inspector2 Finding` event (functions/findings/tests/fixtures/inspector2/).
fn inspector2_event(name: &str) -> String {
    let path = format!(
        "{}/../findings/tests/fixtures/inspector2/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_over_the_domain_payload_limit_is_indexed_in_bulk_requests_of_at_most_5_mib() {
    let sinks = Sinks::new().await;
    // 30 findings of about 400 KB each (a 200 KB description, kept twice: in the document
    // and in its raw finding): 12 MB, over the smallest domains' 10 MiB payload limit.
    let template: Value =
        serde_json::from_str(&inspector2_event("ecr-package-vulnerability")).unwrap();
    let records: Vec<(String, String)> = (0..30)
        .map(|i| {
            let mut event = template.clone();
            let arn = event["detail"]["findingArn"].as_str().unwrap().to_owned();
            event["detail"]["findingArn"] = format!("{arn}{i:04}").into();
            event["detail"]["description"] = "d".repeat(200_000).into();
            (format!("m{i}"), event.to_string())
        })
        .collect();

    let outcome = sinks
        .pipeline
        .process(event(&records), Deadline::NONE)
        .await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(sinks.indexed_ids().len(), 30);
    let state = sinks.opensearch(json!({}));
    let bulks: Vec<u64> = state["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"] == "/_bulk")
        .map(|r| {
            assert_eq!(r["status"], 200, "{r}");
            r["bytes"].as_u64().unwrap()
        })
        .collect();
    assert!(bulks.len() >= 3, "{bulks:?}");
    assert!(
        bulks
            .iter()
            .all(|&bytes| bytes <= inspectorlink_core::opensearch::MAX_BULK_BYTES as u64),
        "{bulks:?}"
    );
    assert!(bulks.iter().sum::<u64>() > 10 * 1024 * 1024, "{bulks:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn records_without_time_before_the_deadline_fail_and_nothing_is_half_written() {
    let sinks = Sinks::new().await;
    let records: Vec<(String, String)> =
        ["ec2-network-reachability", "lambda-package-vulnerability"]
            .iter()
            .map(|name| (name.to_string(), inspector2_event(name)))
            .collect();

    // 4 s left: inside the 5 s kept for answering Lambda.
    let outcome = sinks
        .pipeline
        .process(
            event(&records),
            Deadline::after(std::time::Duration::from_secs(4)),
        )
        .await;
    assert_eq!(outcome.failed.len(), 2, "{outcome:?}");
    assert!(
        outcome
            .failed
            .values()
            .all(|reason| reason.contains("deadline")),
        "{:?}",
        outcome.failed
    );
    assert!(sinks.objects().await.is_empty());
    assert!(sinks.indexed_ids().is_empty());

    // The redelivery stores both.
    let outcome = sinks
        .pipeline
        .process(
            event(&records),
            Deadline::after(std::time::Duration::from_secs(60)),
        )
        .await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(sinks.objects().await.len(), 2);
    assert_eq!(sinks.indexed_ids().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn inspector2_events_are_stored_as_they_come_and_closing_overwrites_the_document() {
    let sinks = Sinks::new().await;
    // The documented EC2 event is the CLOSED one; its ACTIVE event came first.
    let (active, closed) = notify::v2_states();
    let mut records: Vec<(String, String)> = [
        "ec2-network-reachability",
        "ecr-package-vulnerability",
        "ecr-package-vulnerability-2021",
        "lambda-package-vulnerability",
        "lambda-code-vulnerability",
    ]
    .iter()
    .map(|name| (name.to_string(), inspector2_event(name)))
    .collect();
    records.push(("ec2-active".into(), active));
    records.push((
        "no-arn".into(),
        json!({"detail-type": "Inspector2 Finding", "source": "aws.inspector2", "detail": {"status": "ACTIVE"}})
            .to_string(),
    ));

    let outcome = sinks
        .pipeline
        .process(event(&records), Deadline::NONE)
        .await;
    assert_eq!(
        outcome.failed.keys().collect::<Vec<_>>(),
        ["no-arn"],
        "{:#?}",
        outcome.failed
    );
    assert!(outcome.failed["no-arn"].contains("without detail.findingArn"));
    assert_eq!(outcome.stored.len(), 6);
    let objects = sinks.objects().await;
    assert_eq!(objects.len(), 6);
    // The strict index template accepted every document, new fields included.
    let ids: BTreeSet<String> = objects.values().map(|f| f.id.clone()).collect();
    assert_eq!(sinks.indexed_ids(), ids);

    // The CLOSED event overwrites the same object and document.
    let outcome = sinks
        .pipeline
        .process(event(&[("ec2-closed".into(), closed)]), Deadline::NONE)
        .await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    let after = sinks.objects().await;
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        objects.keys().collect::<Vec<_>>()
    );
    let ec2 = &outcome.stored[0];
    assert_eq!(
        after[&ec2.s3_key(&sinks.config.prefix)].status,
        Status::Closed
    );
    let state = sinks.opensearch(json!({}));
    let document = &state["documents"]["inspector-findings"][&ec2.id];
    assert_eq!(document["_source"]["status"], "CLOSED");
    // External versioning: the document's version is the finding's updatedAt.
    assert_eq!(document["_version"], ec2.version().unwrap());
}

/// The stored state of the one finding of `sinks`: (S3 object status, index status and version).
async fn stored_state(sinks: &Sinks, finding: &Finding) -> (Status, Value, Value) {
    let object = sinks.objects().await[&finding.s3_key(&sinks.config.prefix)].status;
    let state = sinks.opensearch(json!({}));
    let document = &state["documents"]["inspector-findings"][&finding.id];
    (
        object,
        document["_source"]["status"].clone(),
        document["_version"].clone(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_finding_never_goes_back_to_an_older_state_across_batches_and_retries() {
    let sinks = Sinks::new().await;
    let (active, closed) = notify::v2_states();

    // Newest first, in two batches: the CLOSED event, then the older ACTIVE one.
    let first = sinks
        .pipeline
        .process(event(&[("closed".into(), closed.clone())]), Deadline::NONE)
        .await;
    assert!(first.failed.is_empty(), "{:?}", first.failed);
    let newest = first.stored[0].clone();
    let closed_version = json!(newest.version().unwrap());
    let older = sinks
        .pipeline
        .process(event(&[("active".into(), active.clone())]), Deadline::NONE)
        .await;
    assert!(older.failed.is_empty(), "{:?}", older.failed);
    assert!(older.stored.is_empty(), "{:?}", older.stored);
    assert_eq!(
        older.superseded.len(),
        1,
        "the older state is done, not stored"
    );
    assert_eq!(
        stored_state(&sinks, &newest).await,
        (Status::Closed, json!("CLOSED"), closed_version.clone())
    );

    // The older event redelivered after the newer one, the newer one redelivered, and both
    // in one batch in either order: still the newest state, one object, one document.
    for records in [
        vec![("active-again".into(), active.clone())],
        vec![("closed-again".into(), closed.clone())],
        vec![("a".into(), active.clone()), ("c".into(), closed.clone())],
    ] {
        let outcome = sinks
            .pipeline
            .process(event(&records), Deadline::NONE)
            .await;
        assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
        assert_eq!(
            stored_state(&sinks, &newest).await,
            (Status::Closed, json!("CLOSED"), closed_version.clone())
        );
    }
    assert_eq!(sinks.objects().await.len(), 1);
    assert_eq!(sinks.indexed_ids().len(), 1);

    // A newer state (the finding reopens) replaces it.
    let mut reopened: Value = serde_json::from_str(&closed).unwrap();
    reopened["detail"]["status"] = "ACTIVE".into();
    reopened["detail"]["updatedAt"] = "Thu Sep 05 08:00:00.000 UTC 2024".into();
    let outcome = sinks
        .pipeline
        .process(
            event(&[("reopened".into(), reopened.to_string())]),
            Deadline::NONE,
        )
        .await;
    assert_eq!(outcome.stored.len(), 1, "{:?}", outcome.failed);
    let reopened_version = json!(outcome.stored[0].version().unwrap());
    assert_eq!(
        stored_state(&sinks, &newest).await,
        (Status::Active, json!("ACTIVE"), reopened_version)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_object_written_before_versions_is_replaced_and_then_versioned() {
    let sinks = Sinks::new().await;
    let (_, closed) = notify::v2_states();
    let outcome = sinks
        .pipeline
        .process(event(&[("closed".into(), closed.clone())]), Deadline::NONE)
        .await;
    let finding = outcome.stored[0].clone();
    let key = finding.s3_key(&sinks.config.prefix);
    // What send-findings wrote before objects carried their version: no metadata.
    let mut old = finding.clone();
    old.status = Status::Active;
    sinks
        .s3
        .put_object()
        .bucket(&sinks.bucket)
        .key(&key)
        .body(serde_json::to_vec(&old).unwrap().into())
        .send()
        .await
        .unwrap();
    let outcome = sinks
        .pipeline
        .process(event(&[("closed".into(), closed)]), Deadline::NONE)
        .await;
    assert_eq!(outcome.stored.len(), 1, "{:?}", outcome.failed);
    let head = sinks
        .s3
        .head_object()
        .bucket(&sinks.bucket)
        .key(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.metadata().unwrap()[inspectorlink_core::s3::VERSION_METADATA],
        finding.version().unwrap().to_string()
    );
    assert_eq!(sinks.objects().await[&key].status, Status::Closed);
}
