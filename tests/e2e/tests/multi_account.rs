//! examples/multi-account as a platform engineer runs it, on the local AWS: one root, a
//! security account and two members in two regions, applied with the real terraform and
//! the inspectorlink provider; a plan right after must be empty; what the estate must do
//! (the read role's trust, a listed member's findings reach the central queues, an
//! unlisted account's do not); destroyed, with nothing of it left in any account and
//! region. Also: examples/atlantis.yaml agrees with the per-stack layout beside it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use aws_sdk_inspector::types::{AssessmentRun, AssessmentRunState, InspectorEvent};
use aws_sdk_sts::error::ProvideErrorMetadata;
use serde_json::{json, Value};
use test_support::classic::{run_instances, TaggedTemplate};
use test_support::{
    install_provider, repo_root, target_debug_dir, unique_suffix, LocalAws, MEMBER_ACCOUNTS,
    REGIONS, SECURITY_ACCOUNT,
};

/// An account the example does not list: its template may publish to the topics, but
/// nothing of it may reach the central queues.
const UNLISTED_ACCOUNT: &str = "444444444444";

#[tokio::test(flavor = "multi_thread")]
#[ignore = "applies examples/multi-account (minutes): make test-example runs it"]
async fn multi_account_plans_clean_keeps_unlisted_accounts_out_and_destroys_without_leftovers() {
    let aws = LocalAws::shared();
    install_provider(&provider_binary());
    let prefix = format!("ilex{}", unique_suffix());
    let external_id = format!("example-{prefix}-external-id");
    // A scan tag of the test's own: other tests' tagged instances stay out of its targets.
    let scan_tag = format!("{prefix}-scan");
    let tf = aws.terraform("examples/multi-account");
    let zip = tf.stand_in_zip();
    tf.set_vars(&json!({
        "security_account_id": SECURITY_ACCOUNT,
        "member_account_ids": MEMBER_ACCOUNTS,
        "primary_region": REGIONS[0],
        "secondary_region": REGIONS[1],
        "account_role_name": "inspectorlink-test",
        "local_aws": true,
        "name_prefix": prefix,
        "external_id": external_id,
        "scan_tag": {"key": "Inspect", "value": scan_tag},
        "bucket_force_destroy": true,
        "tags": {"Suite": "test-example"},
        "send_findings_zip": zip,
        "notify_findings_zip": zip,
    }));
    tf.init().assert_success();
    tf.run(&["validate", "-no-color"]).assert_success();
    {
        let deployed = tf.deploy();
        // The example's own check blocks (checks.tf) warn instead of failing a command.
        for output in [&deployed.apply, &deployed.plan] {
            let text = format!("{}{}", output.stdout, output.stderr);
            assert!(
                !text.contains("Warning: Check block"),
                "a check block of the example did not hold:\n{output}"
            );
        }
        let outputs = tf.outputs();
        read_role_refuses_other_security_sessions(&outputs, &external_id).await;
        let queues = central_queues(&outputs).await;
        listed_member_reaches_the_queues(&outputs, &queues, &scan_tag).await;
        unlisted_account_is_kept_out(&outputs, &queues, &scan_tag).await;
        println!(
            "BENCH multi_account_single_root_apply_2x2 {:.1} s",
            deployed.apply_seconds
        );
    }
    nothing_left(&prefix).await;
}

/// The debug build of the provider in this test's target directory: `cargo test
/// --workspace` and scripts/test-example.sh build it.
fn provider_binary() -> PathBuf {
    let binary = target_debug_dir().join("terraform-provider-inspectorlink");
    assert!(
        binary.exists(),
        "{} is missing: build the workspace's binaries first (scripts/test-example.sh does)",
        binary.display()
    );
    binary
}

/// The read role trusts only the central Lambda roles: a session of another role of the
/// security account is refused, even with the right external id.
async fn read_role_refuses_other_security_sessions(outputs: &Value, external_id: &str) {
    let aws = LocalAws::shared();
    let sts = aws_sdk_sts::Client::new(&aws.sdk_config(SECURITY_ACCOUNT, REGIONS[0]).await);
    let roles = outputs["read_role_arns"].as_object().unwrap();
    assert_eq!(roles.len(), MEMBER_ACCOUNTS.len(), "a read role per member");
    for role in roles.values() {
        let role = role.as_str().unwrap();
        let assumed = sts
            .assume_role()
            .role_arn(role)
            .role_session_name("not-a-lambda")
            .external_id(external_id)
            .send()
            .await;
        match assumed {
            Ok(_) => panic!("{role} let a session of another security-account role assume it"),
            Err(err) => assert_eq!(err.code(), Some("AccessDenied"), "{role}: {err:?}"),
        }
        println!("ok: {role} refuses a security-account session that is not a central Lambda role");
    }
}

/// The central queues and their dead-letter queues (a message may have moved on there).
struct Queues {
    sqs: aws_sdk_sqs::Client,
    urls: Vec<String>,
}

async fn central_queues(outputs: &Value) -> Queues {
    let aws = LocalAws::shared();
    let sqs = aws_sdk_sqs::Client::new(&aws.sdk_config(SECURITY_ACCOUNT, REGIONS[0]).await);
    let mut urls = Vec::new();
    for kind in ["send", "notify"] {
        urls.push(outputs["queue_urls"][kind].as_str().unwrap().to_owned());
        let dlq = outputs["dlq_arns"][kind].as_str().unwrap();
        let name = dlq.rsplit(':').next().unwrap();
        let url = sqs.get_queue_url().queue_name(name).send().await.unwrap();
        urls.push(url.queue_url.unwrap());
    }
    Queues { sqs, urls }
}

impl Queues {
    /// Every message body seen on the queues within a few seconds (left in place).
    async fn bodies(&self) -> Vec<String> {
        test_support::sqs::peek(&self.sqs, &self.urls, Duration::from_secs(6)).await
    }
}

/// A tagged running instance, then a run of `template`; returns the described run.
async fn start_run(account: &str, region: &str, template: &str, scan_tag: &str) -> AssessmentRun {
    let aws = LocalAws::shared();
    let config = aws.sdk_config(account, region).await;
    let instances = run_instances(account, region, 1, Some(scan_tag)).await;
    let inspector = aws_sdk_inspector::Client::new(&config);
    let run = inspector
        .start_assessment_run()
        .assessment_template_arn(template)
        .send()
        .await
        .unwrap()
        .assessment_run_arn;
    let described = inspector
        .describe_assessment_runs()
        .assessment_run_arns(&run)
        .send()
        .await
        .unwrap();
    aws_sdk_ec2::Client::new(&config)
        .terminate_instances()
        .set_instance_ids(Some(instances))
        .send()
        .await
        .unwrap();
    described
        .assessment_runs
        .into_iter()
        .next()
        .expect("the run just started")
}

/// The publish status of each FINDING_REPORTED notification of `run`.
fn finding_reported_statuses(run: &AssessmentRun) -> Vec<String> {
    run.notifications
        .iter()
        .filter(|n| n.event == InspectorEvent::FindingReported)
        .map(|n| {
            n.sns_publish_status_code
                .as_ref()
                .map(|code| code.as_str().to_owned())
                .unwrap_or_default()
        })
        .collect()
}

/// A listed member's run reaches the central queues through its region's topic.
async fn listed_member_reaches_the_queues(outputs: &Value, queues: &Queues, scan_tag: &str) {
    let templates = outputs["assessment_template_arns"].as_object().unwrap();
    assert_eq!(templates.len(), MEMBER_ACCOUNTS.len() * REGIONS.len());
    let (place, template) = templates.iter().next().unwrap();
    let template = template.as_str().unwrap();
    let (account, region) = place.split_once('/').unwrap();
    let run = start_run(account, region, template, scan_tag).await;
    let statuses = finding_reported_statuses(&run);
    assert_eq!(run.state, AssessmentRunState::Completed, "{run:?}");
    assert!(
        !statuses.is_empty() && statuses.iter().all(|s| s == "SUCCESS"),
        "{account} {region}: FINDING_REPORTED publishes {statuses:?}"
    );
    let listed: Vec<String> = queues
        .bodies()
        .await
        .into_iter()
        .filter(|body| body.contains(template))
        .collect();
    assert!(
        !listed.is_empty(),
        "no message of {template} reached {:?}",
        queues.urls
    );
    println!(
        "ok: listed member {account} in {region}: {} FINDING_REPORTED messages reached the central queues",
        listed.len()
    );
}

/// An account that is not listed subscribes its own template to the same topic: the topic
/// policy lets Inspector publish (it cannot tell accounts apart), the publishes succeed,
/// and the subscription's filter on the template ARN drops every one of them.
async fn unlisted_account_is_kept_out(outputs: &Value, queues: &Queues, scan_tag: &str) {
    let region = REGIONS[0];
    let topic = outputs["topic_arns"][region].as_str().unwrap();
    let config = LocalAws::shared()
        .sdk_config(UNLISTED_ACCOUNT, region)
        .await;
    let unlisted =
        TaggedTemplate::create(&aws_sdk_inspector::Client::new(&config), scan_tag, region).await;
    unlisted
        .subscribe(InspectorEvent::FindingReported, topic)
        .await;
    let run = start_run(UNLISTED_ACCOUNT, region, &unlisted.template, scan_tag).await;
    let statuses = finding_reported_statuses(&run);
    assert!(
        !statuses.is_empty() && statuses.iter().all(|s| s == "SUCCESS"),
        "{UNLISTED_ACCOUNT}: FINDING_REPORTED publishes {statuses:?}"
    );
    let leaked: Vec<String> = queues
        .bodies()
        .await
        .into_iter()
        .filter(|body| {
            body.contains(&unlisted.template) || body.contains(&format!(":{UNLISTED_ACCOUNT}:"))
        })
        .collect();
    assert!(
        leaked.is_empty(),
        "{} messages of unlisted account {UNLISTED_ACCOUNT} reached the central queues: {:?}",
        leaked.len(),
        leaked.first()
    );
    println!(
        "ok: unlisted account {UNLISTED_ACCOUNT}: {} publishes to {topic} accepted by SNS, none reached the central queues (filter on the template ARN)",
        statuses.len()
    );
}

/// Nothing named `<prefix>*` is left in the security account or the members, in any region.
async fn nothing_left(prefix: &str) {
    let aws = LocalAws::shared();
    let mut left: Vec<String> = Vec::new();
    for account in std::iter::once(SECURITY_ACCOUNT).chain(MEMBER_ACCOUNTS) {
        let iam = aws_sdk_iam::Client::new(&aws.sdk_config(account, REGIONS[0]).await);
        let roles = iam.list_roles().send().await.unwrap();
        left.extend(
            roles
                .roles()
                .iter()
                .filter(|r| r.role_name().starts_with(prefix))
                .map(|r| r.arn().to_owned()),
        );
        for region in REGIONS {
            let config = aws.sdk_config(account, region).await;
            let topics = aws_sdk_sns::Client::new(&config)
                .list_topics()
                .send()
                .await
                .unwrap();
            left.extend(
                topics
                    .topics()
                    .iter()
                    .filter_map(|t| t.topic_arn())
                    .filter(|arn| arn.rsplit(':').next().unwrap().starts_with(prefix))
                    .map(str::to_owned),
            );
            let queues = aws_sdk_sqs::Client::new(&config)
                .list_queues()
                .queue_name_prefix(prefix)
                .send()
                .await
                .unwrap();
            left.extend(queues.queue_urls().iter().cloned());
            let functions = aws_sdk_lambda::Client::new(&config)
                .list_functions()
                .send()
                .await
                .unwrap();
            left.extend(
                functions
                    .functions()
                    .iter()
                    .filter(|f| f.function_name().unwrap_or_default().starts_with(prefix))
                    .filter_map(|f| f.function_arn().map(str::to_owned)),
            );
            let rules = aws_sdk_eventbridge::Client::new(&config)
                .list_rules()
                .name_prefix(prefix)
                .send()
                .await
                .unwrap();
            left.extend(
                rules
                    .rules()
                    .iter()
                    .filter_map(|r| r.arn().map(str::to_owned)),
            );
            let groups = aws_sdk_cloudwatchlogs::Client::new(&config)
                .describe_log_groups()
                .send()
                .await
                .unwrap();
            left.extend(
                groups
                    .log_groups()
                    .iter()
                    .filter_map(|g| g.log_group_name())
                    .filter(|name| name.contains(prefix))
                    .map(str::to_owned),
            );
            if MEMBER_ACCOUNTS.contains(&account) {
                let inspector = aws_sdk_inspector::Client::new(&config);
                let targets = inspector.list_assessment_targets().send().await.unwrap();
                if !targets.assessment_target_arns().is_empty() {
                    let described = inspector
                        .describe_assessment_targets()
                        .set_assessment_target_arns(Some(targets.assessment_target_arns.clone()))
                        .send()
                        .await
                        .unwrap();
                    left.extend(
                        described
                            .assessment_targets()
                            .iter()
                            .filter(|t| t.name().starts_with(prefix))
                            .map(|t| t.arn().to_owned()),
                    );
                }
            }
        }
    }
    let config = aws.sdk_config(SECURITY_ACCOUNT, REGIONS[0]).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let buckets = s3.list_buckets().send().await.unwrap();
    left.extend(
        buckets
            .buckets()
            .iter()
            .filter_map(|b| b.name())
            .filter(|name| name.starts_with(prefix))
            .map(str::to_owned),
    );
    let tables = aws_sdk_dynamodb::Client::new(&config)
        .list_tables()
        .send()
        .await
        .unwrap();
    left.extend(
        tables
            .table_names()
            .iter()
            .filter(|t| t.starts_with(prefix))
            .cloned(),
    );
    assert!(left.is_empty(), "left after destroy: {left:?}");
    println!(
        "ok: nothing named {prefix}* is left in {SECURITY_ACCOUNT}, {} ({})",
        MEMBER_ACCOUNTS.join(", "),
        REGIONS.join(", ")
    );
}

/// Every project of examples/atlantis.yaml names an existing stack root and instance tfvars
/// file, every instance file has a project, and depends_on agrees with the execution order
/// groups.
#[test]
fn atlantis_yaml_matches_the_stacks_and_their_instances() {
    let root = repo_root();
    let text = std::fs::read_to_string(root.join("examples/atlantis.yaml")).unwrap();
    let config: Value = serde_norway::from_str(&text).expect("examples/atlantis.yaml is YAML");
    assert_eq!(config["version"], 3);
    let listed = config["projects"].as_array().expect("projects");
    let projects: BTreeMap<&str, &Value> = listed
        .iter()
        .map(|p| (p["name"].as_str().expect("a project name"), p))
        .collect();
    assert_eq!(projects.len(), listed.len(), "project names must be unique");
    let mut stacks = BTreeSet::new();
    for (name, project) in &projects {
        let dir = root.join(project["dir"].as_str().unwrap());
        assert!(
            dir.join("main.tf").is_file(),
            "{name}: no stack root at {}",
            dir.display()
        );
        let stack_folder = dir.parent().unwrap().to_path_buf();
        assert!(
            stack_folder
                .join(format!("instances/{name}.tfvars"))
                .is_file(),
            "{name}: no instances/{name}.tfvars"
        );
        stacks.insert(stack_folder);
        assert_eq!(project["workspace"], **name, "{name}: its workspace");
        let workflow = project["workflow"].as_str().unwrap();
        assert!(
            config["workflows"].get(workflow).is_some(),
            "{name}: no workflow {workflow}"
        );
        let group = project["execution_order_group"].as_i64().unwrap();
        for dependency in project["depends_on"].as_array().into_iter().flatten() {
            let dependency = dependency.as_str().unwrap();
            let before = projects[dependency]["execution_order_group"]
                .as_i64()
                .unwrap();
            assert!(
                before < group,
                "{name} depends on {dependency}, which is not applied before it"
            );
        }
    }
    assert_eq!(
        stacks.len(),
        1,
        "every stack root sits in one folder: {stacks:?}"
    );
    let instances: BTreeSet<String> = std::fs::read_dir(stacks.first().unwrap().join("instances"))
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_suffix(".tfvars").map(str::to_owned)
        })
        .collect();
    let named: BTreeSet<String> = projects.keys().map(|n| n.to_string()).collect();
    assert_eq!(instances, named, "instance files and projects");
}
