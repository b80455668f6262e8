//! Coverage as a root asserts it: the administrator sees its organisation (or one member
//! with account_ids), the member itself only; a `check` block warns while an instance is
//! excluded from scanning and stops warning once it is scanned again.

use std::time::{Duration, Instant};

use aws_sdk_inspector2::types::ResourceScanType;
use serde_json::{json, Value};
use test_support::classic::run_instances;
use test_support::LocalAws;

use crate::util::{inspector2, plan_fails_with, terraform, Organisation, REGION};

const EXCLUSION_TAG: &str = "InspectorEc2Exclusion";

async fn ec2(account: &str) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&LocalAws::shared().sdk_config(account, REGION).await)
}

/// Waits until the administrator's coverage lists `instances` EC2 instances, `excluded` of
/// them excluded by tag (the emulator's scanner makes a pass every second).
async fn wait_for_coverage(admin: &str, instances: usize, excluded: usize) {
    let client = inspector2(admin).await;
    let started = Instant::now();
    loop {
        let listed = client.list_coverage().send().await.unwrap();
        let ec2: Vec<_> = listed
            .covered_resources()
            .iter()
            .filter(|c| c.resource_type().as_str() == "AWS_EC2_INSTANCE")
            .collect();
        let tagged = ec2
            .iter()
            .filter(|c| {
                c.scan_status()
                    .is_some_and(|s| s.reason().as_str() == "EXCLUDED_BY_TAG")
            })
            .count();
        if ec2.len() == instances && tagged == excluded {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "coverage never reached {instances}/{excluded}: {listed:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn ec2_counts(coverage: &Value) -> &Value {
    &coverage["by_resource_type"]["AWS_EC2_INSTANCE"]
}

#[tokio::test(flavor = "multi_thread")]
async fn coverage_of_the_organisation_and_of_a_member_feeds_a_check_block() {
    let org = Organisation::create().await;
    let answer = inspector2(&org.admin)
        .await
        .enable()
        .account_ids(&org.admin)
        .account_ids(&org.member)
        .resource_types(ResourceScanType::Ec2)
        .send()
        .await
        .unwrap();
    assert!(answer.failed_accounts().is_empty(), "{answer:?}");
    let admin_instances = run_instances(&org.admin, REGION, 1, None).await;
    let member_instances = run_instances(&org.member, REGION, 2, None).await;
    let excluded = &member_instances[0];
    let member_ec2 = ec2(&org.member).await;
    member_ec2
        .create_tags()
        .resources(excluded)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key(EXCLUSION_TAG)
                .value("true")
                .build(),
        )
        .send()
        .await
        .unwrap();
    wait_for_coverage(&org.admin, 3, 1).await;

    let mut tf = terraform("tests/terraform/provider-inspector2-coverage");
    tf.set_env("RUST_BACKTRACE", "1");
    tf.set_vars(&json!({"admin_account_id": org.admin, "member_account_id": org.member, "account_ids": [org.member]}));
    tf.init().assert_success();
    let apply = tf.apply().assert_success();
    let text: String = apply
        .stdout
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("Warning: Check block assertion failed"),
        "{apply}"
    );
    assert!(
        text.contains(r#"Inspector does not scan every EC2 instance: [{"count":1,"resource_type":"AWS_EC2_INSTANCE","scan_status_code":"INACTIVE","scan_status_reason":"EXCLUDED_BY_TAG"}]"#),
        "{apply}"
    );
    let outputs = tf.outputs();
    let whole = &outputs["org"];
    assert_eq!(
        (
            whole["total"].as_i64(),
            whole["active"].as_i64(),
            whole["inactive"].as_i64()
        ),
        (Some(3), Some(2), Some(1)),
        "{whole}"
    );
    assert_eq!(
        ec2_counts(whole),
        &json!({"total": 3, "active": 2, "inactive": 1, "reasons": {"SUCCESSFUL": 2, "EXCLUDED_BY_TAG": 1}})
    );
    assert_eq!(
        whole["statistics"],
        json!([
            {"resource_type": "AWS_EC2_INSTANCE", "scan_status_code": "ACTIVE", "scan_status_reason": "SUCCESSFUL", "count": 2},
            {"resource_type": "AWS_EC2_INSTANCE", "scan_status_code": "INACTIVE", "scan_status_reason": "EXCLUDED_BY_TAG", "count": 1},
        ])
    );
    // The member sees itself only; the administrator narrowed to the member sees the same.
    assert_eq!(outputs["member"]["total"], 2);
    assert_eq!(
        ec2_counts(&outputs["member"]),
        &json!({"total": 2, "active": 1, "inactive": 1, "reasons": {"SUCCESSFUL": 1, "EXCLUDED_BY_TAG": 1}})
    );
    assert_eq!(outputs["member_from_admin"], outputs["member"]);

    // The instance scanned again: the check passes.
    member_ec2
        .delete_tags()
        .resources(excluded)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key(EXCLUSION_TAG)
                .build(),
        )
        .send()
        .await
        .unwrap();
    wait_for_coverage(&org.admin, 3, 0).await;
    let apply = tf.apply().assert_success();
    assert!(
        !apply.stdout.contains("Check block assertion failed"),
        "{apply}"
    );
    assert_eq!(
        ec2_counts(&tf.outputs()["org"]),
        &json!({"total": 3, "active": 3, "inactive": 0, "reasons": {"SUCCESSFUL": 3}})
    );

    // Bad input is reported on its attribute.
    plan_fails_with(
        &tf,
        json!({"admin_account_id": org.admin, "member_account_id": org.member, "account_ids": ["2222"]}),
        &[
            "Error: invalid account id \"2222\"",
            "An account id is 12 digits.",
            "account_ids = var.account_ids",
        ],
    );

    // A data source makes nothing; the instances were the test's own.
    tf.set_vars(&json!({"admin_account_id": org.admin, "member_account_id": org.member, "account_ids": [org.member]}));
    tf.destroy().assert_success();
    for (account, instances) in [
        (&org.admin, &admin_instances),
        (&org.member, &member_instances),
    ] {
        ec2(account)
            .await
            .terminate_instances()
            .set_instance_ids(Some(instances.clone()))
            .send()
            .await
            .unwrap();
    }
}
