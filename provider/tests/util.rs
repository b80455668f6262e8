//! What every acceptance test needs: the provider installed where terraform finds it, and
//! Inspector and SNS clients of the test estate's accounts.

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_inspector::types::InspectorEvent;
use serde_json::Value;
use test_support::{install_provider, LocalAws, Terraform, TerraformOutput, SECURITY_ACCOUNT};

pub const REGION: &str = "us-east-1";
pub const MEMBER: &str = test_support::MEMBER_ACCOUNTS[0];

/// A terraform working copy of `root` that uses the provider binary cargo built for this test.
pub fn terraform(root: &str) -> Terraform {
    install_provider(Path::new(env!(
        "CARGO_BIN_EXE_terraform-provider-inspectorlink"
    )));
    LocalAws::shared().terraform(root)
}

pub async fn inspector(account: &str) -> aws_sdk_inspector::Client {
    aws_sdk_inspector::Client::new(&LocalAws::shared().sdk_config(account, REGION).await)
}

/// The events `template` notifies `topic` of, as Inspector lists them.
pub async fn subscribed(template: &str, topic: &str) -> Vec<String> {
    let listed = inspector(MEMBER)
        .await
        .list_event_subscriptions()
        .resource_arn(template)
        .send()
        .await
        .unwrap();
    let mut events: Vec<String> = listed
        .subscriptions()
        .iter()
        .filter(|s| s.topic_arn() == topic)
        .flat_map(|s| {
            s.event_subscriptions()
                .iter()
                .map(|e| e.event().as_str().to_owned())
        })
        .collect();
    events.sort();
    events
}

pub async fn unsubscribe(template: &str, topic: &str, event: &str) {
    inspector(MEMBER)
        .await
        .unsubscribe_from_event()
        .resource_arn(template)
        .topic_arn(topic)
        .event(InspectorEvent::from(event))
        .send()
        .await
        .unwrap();
}

pub async fn delete_topic(topic: &str) {
    let sns = aws_sdk_sns::Client::new(
        &LocalAws::shared()
            .sdk_config(SECURITY_ACCOUNT, REGION)
            .await,
    );
    sns.delete_topic().topic_arn(topic).send().await.unwrap();
}

/// `terraform output` values as strings.
pub fn output(tf: &Terraform, name: &str) -> String {
    tf.outputs()[name]
        .as_str()
        .unwrap_or_else(|| panic!("output {name} is not a string"))
        .to_owned()
}

/// Subscription times by event, as the resource reports them.
pub fn subscribed_at(tf: &Terraform) -> BTreeMap<String, String> {
    serde_json::from_value(tf.outputs()["subscribed_at"].clone()).unwrap()
}

/// Runs `args` with `vars` and checks that it failed with every one of `expected` in its
/// output, on the attachment (or the provider) block, and without a backtrace.
#[track_caller]
pub fn fails_with(
    tf: &Terraform,
    vars: Value,
    args: &[&str],
    expected: &[&str],
) -> TerraformOutput {
    tf.set_vars(&vars);
    let out = tf.run(args);
    assert_eq!(out.code, 1, "{out}");
    // Terraform wraps long lines of a diagnostic; compare with single spaces.
    let text: String = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in expected {
        assert!(text.contains(needle), "missing {needle:?} in:\n{out}");
    }
    assert!(
        !text.contains("backtrace"),
        "a backtrace leaked into a diagnostic:\n{out}"
    );
    out
}

/// A plan with `vars` fails with every one of `expected`, without a backtrace.
#[track_caller]
pub fn plan_fails_with(tf: &Terraform, vars: Value, expected: &[&str]) {
    fails_with(tf, vars, &["plan", "-no-color", "-input=false"], expected);
}

pub async fn inspector2(account: &str) -> aws_sdk_inspector2::Client {
    aws_sdk_inspector2::Client::new(&LocalAws::shared().sdk_config(account, REGION).await)
}

/// (rescan duration, pull date duration, pull date mode, scan mode) as GetConfiguration
/// answers `account`.
pub async fn configuration(account: &str) -> [String; 4] {
    let got = inspector2(account)
        .await
        .get_configuration()
        .send()
        .await
        .unwrap();
    let ecr = got
        .ecr_configuration()
        .unwrap()
        .rescan_duration_state()
        .unwrap();
    let ec2 = got.ec2_configuration().unwrap().scan_mode_state().unwrap();
    [
        ecr.rescan_duration().unwrap().as_str().to_owned(),
        ecr.pull_date_rescan_duration().unwrap().as_str().to_owned(),
        ecr.pull_date_rescan_mode().unwrap().as_str().to_owned(),
        ec2.scan_mode().unwrap().as_str().to_owned(),
    ]
}

/// An Inspector organisation of fresh accounts, made as AWS users make one: the management
/// account names the delegated administrator, which associates the member.
pub struct Organisation {
    pub admin: String,
    pub member: String,
}

impl Organisation {
    pub async fn create() -> Organisation {
        let org = Organisation {
            admin: test_support::unique_account_id("81"),
            member: test_support::unique_account_id("82"),
        };
        inspector2(&test_support::unique_account_id("80"))
            .await
            .enable_delegated_admin_account()
            .delegated_admin_account_id(&org.admin)
            .send()
            .await
            .unwrap();
        inspector2(&org.admin)
            .await
            .associate_member()
            .account_id(&org.member)
            .send()
            .await
            .unwrap();
        org
    }
}

/// A plan that changes one resource in place, replacing nothing.
#[track_caller]
pub fn plans_update_in_place(tf: &Terraform) -> TerraformOutput {
    let plan = tf.plan();
    assert_eq!(plan.code, 2, "{plan}");
    assert!(plan.stdout.contains("update in-place"), "{plan}");
    assert!(!plan.stdout.contains("must be replaced"), "{plan}");
    assert!(
        plan.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{plan}"
    );
    plan
}

/// A plan that creates again one resource deleted outside Terraform.
#[track_caller]
pub fn plans_recreation(tf: &Terraform) -> TerraformOutput {
    let plan = tf.plan();
    assert_eq!(plan.code, 2, "{plan}");
    assert!(plan.stdout.contains("has been deleted"), "{plan}");
    assert!(
        plan.stdout
            .contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    plan
}

/// `base` with the members of `extra` added or replaced (both JSON objects).
pub fn merged(base: &Value, extra: Value) -> Value {
    let mut vars = base.clone();
    if let (Some(vars), Value::Object(extra)) = (vars.as_object_mut(), extra) {
        vars.extend(extra);
    }
    vars
}

/// Applies, then checks that a plan right after proposes nothing.
#[track_caller]
pub fn applies_clean(tf: &Terraform) {
    tf.apply().assert_success();
    let plan = tf.plan();
    assert_eq!(
        plan.code, 0,
        "a plan right after apply must be clean:\n{plan}"
    );
}

/// Forgets `address` and imports it again by `id`: the import succeeds and plans clean.
#[track_caller]
pub fn reimports(tf: &Terraform, address: &str, id: &str) {
    tf.run(&["state", "rm", "-no-color", address])
        .assert_success();
    let import = tf
        .run(&["import", "-no-color", "-input=false", address, id])
        .assert_success();
    assert!(import.stdout.contains("Import successful!"), "{import}");
    let plan = tf.plan();
    assert_eq!(plan.code, 0, "an import must plan clean:\n{plan}");
}
