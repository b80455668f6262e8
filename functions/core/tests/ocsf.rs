//! The OCSF copy (docs/ocsf.md): send-findings writes every stored state of a finding as
//! an OCSF Vulnerability Finding, in Parquet objects laid out as Security Lake's custom
//! sources are, over findings the local AWS's v2 emulator produces.

use std::collections::BTreeMap;

use inspectorlink_core::config::OcsfConfig;
use inspectorlink_core::deadline::Deadline;
use inspectorlink_core::finding::Finding;
use inspectorlink_core::ocsf::{read_parquet, LOG_PROVIDER};
use inspectorlink_findings::ocsf::VulnerabilityFinding;
use test_support::inspector2::{Organisation, LINUX_AMI, WINDOWS_AMI};
use test_support::sqs::event;

use super::{Sinks, PRIMARY};

fn ocsf_into(bucket: &str) -> OcsfConfig {
    OcsfConfig {
        bucket: bucket.to_owned(),
        prefix: "ocsf".to_owned(),
        kms_key_arn: None,
        role_arn: None,
        external_id: None,
    }
}

/// Every OCSF object under `ocsf/` in `bucket`: key → its records.
async fn ocsf_objects(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
) -> BTreeMap<String, Vec<VulnerabilityFinding>> {
    let mut objects = BTreeMap::new();
    let listed = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix("ocsf/")
        .send()
        .await
        .unwrap();
    for object in listed.contents() {
        let key = object.key().unwrap().to_owned();
        let body = s3
            .get_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .unwrap();
        let bytes = body.body.collect().await.unwrap().into_bytes().to_vec();
        objects.insert(key, read_parquet(bytes).unwrap());
    }
    objects
}

/// `ocsf/region=R/accountId=A/eventDay=YYYYMMDD/<32 hex>.parquet` → its partition.
fn partition_of(key: &str) -> String {
    let parts: Vec<&str> = key.split('/').collect();
    assert_eq!(parts.len(), 5, "{key}");
    assert_eq!(parts[0], "ocsf", "{key}");
    assert!(parts[1].starts_with("region="), "{key}");
    let account = parts[2].strip_prefix("accountId=").expect(key);
    assert!(
        account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()),
        "{key}"
    );
    let day = parts[3].strip_prefix("eventDay=").expect(key);
    assert!(
        day.len() == 8 && day.bytes().all(|b| b.is_ascii_digit()),
        "{key}"
    );
    let name = parts[4].strip_suffix(".parquet").expect(key);
    assert!(
        name.len() == 32 && name.bytes().all(|b| b.is_ascii_hexdigit()),
        "{key}"
    );
    parts[1..4].join("/")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_stored_finding_is_an_ocsf_record_in_its_security_lake_partition() {
    let org = Organisation::create("65", 2, PRIMARY).await;
    org.run_instances(&org.members[0], WINDOWS_AMI, 1).await;
    org.run_instances(&org.members[1], LINUX_AMI, 2).await;
    let records = org.events(5).await;
    let sinks = Sinks::in_account(&org.admin).await;
    let pipeline = sinks.with(|config| config.ocsf = Some(ocsf_into(&sinks.bucket)));

    let outcome = pipeline.process(event(&records), Deadline::NONE).await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    let stored: BTreeMap<String, Finding> = sinks
        .objects()
        .await
        .into_values()
        .map(|f| (f.finding_arn.clone(), f))
        .collect();
    assert_eq!(stored.len(), 5);

    let objects = ocsf_objects(&sinks.s3, &sinks.bucket).await;
    assert_eq!(objects.len(), outcome.ocsf_objects.len());
    assert!(objects.len() >= 2, "one object per member account at least");
    let mut seen = 0;
    for (key, records) in &objects {
        let partition = partition_of(key);
        for record in records {
            assert_eq!(record.partition(), partition, "{key}");
            // Exactly the stored document, mapped: nothing added or lost on the way.
            let finding = &stored[&record.finding_info.uid];
            assert_eq!(
                *record,
                VulnerabilityFinding::from_finding(finding, LOG_PROVIDER)
            );
            seen += 1;
        }
    }
    assert_eq!(seen, stored.len(), "each stored finding once");

    // The same batch again (SQS delivers at least once): the same objects, no copies.
    let again = pipeline.process(event(&records), Deadline::NONE).await;
    assert!(again.failed.is_empty(), "{:?}", again.failed);
    assert_eq!(ocsf_objects(&sinks.s3, &sinks.bucket).await, objects);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ocsf_bucket_that_refuses_the_write_fails_the_records_and_loses_nothing() {
    let org = Organisation::create("65", 1, PRIMARY).await;
    org.run_instances(&org.members[0], LINUX_AMI, 1).await;
    let records = org.events(2).await;
    let sinks = Sinks::in_account(&org.admin).await;
    let lake = format!("lake-{}", sinks.suffix);
    let pipeline = sinks.with(|config| config.ocsf = Some(ocsf_into(&lake)));

    // The bucket does not exist yet: every record fails, saying where and why.
    let outcome = pipeline.process(event(&records), Deadline::NONE).await;
    assert_eq!(outcome.failed.len(), records.len(), "{:?}", outcome.failed);
    for reason in outcome.failed.values() {
        assert!(
            reason.contains(&format!("writing OCSF to s3://{lake}/ocsf/region="))
                && reason.contains("NoSuchBucket"),
            "{reason}"
        );
    }

    // SQS delivers them again once the bucket is there: every finding reaches it.
    sinks.s3.create_bucket().bucket(&lake).send().await.unwrap();
    let outcome = pipeline.process(event(&records), Deadline::NONE).await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    let written: Vec<String> = ocsf_objects(&sinks.s3, &lake)
        .await
        .into_values()
        .flatten()
        .map(|record| record.finding_info.uid)
        .collect();
    let mut stored: Vec<String> = sinks
        .objects()
        .await
        .into_values()
        .map(|f| f.finding_arn)
        .collect();
    stored.sort();
    let mut written = written;
    written.sort();
    assert_eq!(written, stored);
    assert_eq!(written.len(), 2);
}
