//! Inspector Classic in the local AWS, through aws-sdk-inspector: every operation our
//! provider, Lambdas and modules rely on, in the documented shapes, across accounts.

use std::collections::BTreeSet;

use aws_sdk_inspector::error::ProvideErrorMetadata;
use aws_sdk_inspector::operation::subscribe_to_event::SubscribeToEventError;
use aws_sdk_inspector::types::{
    AccessDeniedErrorCode, AssessmentRunFilter, AssessmentRunNotificationSnsStatusCode,
    AssessmentRunState, Attribute, FindingFilter, InspectorEvent, Locale, Severity, StopAction,
    Tag,
};
use aws_sdk_inspector::Client as Inspector;
use serde_json::json;
use test_support::classic::{rules_package_arns, run_instances, SecurityTopic, TaggedTemplate};
use test_support::{unique_suffix, LocalAws, MEMBER_ACCOUNTS};

const REGION: &str = "us-east-1";

async fn inspector(account: &str) -> Inspector {
    Inspector::new(&LocalAws::shared().sdk_config(account, REGION).await)
}

/// The event names the template is subscribed to, over every topic.
async fn subscribed_events(client: &Inspector, template: &str) -> BTreeSet<String> {
    let listed = client
        .list_event_subscriptions()
        .resource_arn(template)
        .send()
        .await
        .unwrap();
    listed
        .subscriptions()
        .iter()
        .flat_map(|s| {
            s.event_subscriptions()
                .iter()
                .map(|e| e.event().as_str().to_owned())
        })
        .collect()
}

async fn all_findings(client: &Inspector, run: &str, filter: Option<FindingFilter>) -> Vec<String> {
    let mut pages = client
        .list_findings()
        .assessment_run_arns(run)
        .set_filter(filter)
        .max_results(7)
        .into_paginator()
        .send();
    let mut arns = Vec::new();
    while let Some(page) = pages.next().await {
        arns.extend(page.unwrap().finding_arns);
    }
    arns
}

#[tokio::test]
async fn rules_packages_are_the_documented_ones_of_each_region() {
    for region in ["us-east-1", "us-west-2"] {
        let client = Inspector::new(
            &LocalAws::shared()
                .sdk_config(MEMBER_ACCOUNTS[0], region)
                .await,
        );
        let expected = inspector_facts::classic_region(region).unwrap();
        let listed: BTreeSet<String> = client
            .list_rules_packages()
            .send()
            .await
            .unwrap()
            .rules_package_arns
            .into_iter()
            .collect();
        let documented: BTreeSet<String> = expected
            .rules_packages
            .iter()
            .map(|p| p.arn.clone())
            .collect();
        assert_eq!(listed, documented, "{region}");

        let unknown = format!(
            "arn:aws:inspector:{region}:{}:rulespackage/0-unknown1",
            expected.service_account_id
        );
        let described = client
            .describe_rules_packages()
            .set_rules_package_arns(Some(
                listed.iter().cloned().chain([unknown.clone()]).collect(),
            ))
            .locale(Locale::EnUs)
            .send()
            .await
            .unwrap();
        let names: BTreeSet<&str> = described
            .rules_packages()
            .iter()
            .map(|p| p.name())
            .collect();
        assert!(
            names.contains("Common Vulnerabilities and Exposures"),
            "{names:?}"
        );
        assert_eq!(described.rules_packages().len(), listed.len());
        assert!(
            described.failed_items().contains_key(&unknown),
            "{:?}",
            described.failed_items()
        );
    }
}

#[tokio::test]
async fn resource_group_target_and_template_lifecycle_with_tags() {
    let suffix = unique_suffix();
    let client = inspector(MEMBER_ACCOUNTS[0]).await;
    let setup = TaggedTemplate::create(&client, &suffix, REGION).await;

    let groups = client
        .describe_resource_groups()
        .resource_group_arns(&setup.group)
        .send()
        .await
        .unwrap();
    let tags = groups.resource_groups()[0].tags();
    assert_eq!(
        (tags[0].key(), tags[0].value()),
        ("Inspect", Some(suffix.as_str()))
    );

    client
        .update_assessment_target()
        .assessment_target_arn(&setup.target)
        .assessment_target_name(format!("renamed-{suffix}"))
        .resource_group_arn(&setup.group)
        .send()
        .await
        .unwrap();
    let targets = client
        .describe_assessment_targets()
        .assessment_target_arns(&setup.target)
        .send()
        .await
        .unwrap();
    assert_eq!(
        targets.assessment_targets()[0].name(),
        format!("renamed-{suffix}")
    );
    let named = client
        .list_assessment_targets()
        .filter(
            aws_sdk_inspector::types::AssessmentTargetFilter::builder()
                .assessment_target_name_pattern(format!("renamed-{suffix}"))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        named.assessment_target_arns(),
        std::slice::from_ref(&setup.target)
    );

    let templates = client
        .list_assessment_templates()
        .assessment_target_arns(&setup.target)
        .send()
        .await
        .unwrap();
    assert_eq!(
        templates.assessment_template_arns(),
        std::slice::from_ref(&setup.template)
    );
    let described = client
        .describe_assessment_templates()
        .assessment_template_arns(&setup.template)
        .send()
        .await
        .unwrap();
    let template = &described.assessment_templates()[0];
    assert_eq!(template.duration_in_seconds(), 3600);
    assert_eq!(template.assessment_target_arn(), setup.target);
    assert_eq!(
        template.rules_package_arns().len(),
        rules_package_arns(REGION).len()
    );
    assert_eq!(template.user_attributes_for_findings()[0].key(), "Team");

    client
        .set_tags_for_resource()
        .resource_arn(&setup.template)
        .tags(
            Tag::builder()
                .key("Owner")
                .value("security")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let listed = client
        .list_tags_for_resource()
        .resource_arn(&setup.template)
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed
            .tags()
            .iter()
            .map(|t| (t.key(), t.value()))
            .collect::<Vec<_>>(),
        [("Owner", Some("security"))]
    );

    // Another account cannot see the template; an unknown one is a failed item, not an error.
    let other = inspector(MEMBER_ACCOUNTS[1]).await;
    let seen = other
        .describe_assessment_templates()
        .assessment_template_arns(&setup.template)
        .send()
        .await
        .unwrap();
    assert!(seen.assessment_templates().is_empty());
    assert!(seen.failed_items().contains_key(&setup.template));

    client
        .delete_assessment_template()
        .assessment_template_arn(&setup.template)
        .send()
        .await
        .unwrap();
    let gone = client
        .describe_assessment_templates()
        .assessment_template_arns(&setup.template)
        .send()
        .await
        .unwrap();
    let failure = &gone.failed_items()[&setup.template];
    assert_eq!(failure.failure_code().as_str(), "ITEM_DOES_NOT_EXIST");
    let err = client
        .delete_assessment_template()
        .assessment_template_arn(&setup.template)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.into_service_error().code(),
        Some("NoSuchEntityException")
    );
}

#[tokio::test]
async fn event_subscriptions_follow_subscribe_and_unsubscribe() {
    let suffix = unique_suffix();
    let client = inspector(MEMBER_ACCOUNTS[0]).await;
    let setup = TaggedTemplate::create(&client, &suffix, REGION).await;
    let topic = SecurityTopic::create(&suffix, REGION).await;

    for event in [
        InspectorEvent::FindingReported,
        InspectorEvent::AssessmentRunCompleted,
    ] {
        setup.subscribe(event, &topic.topic).await;
    }
    assert_eq!(
        subscribed_events(&client, &setup.template).await,
        BTreeSet::from(["ASSESSMENT_RUN_COMPLETED".into(), "FINDING_REPORTED".into()])
    );

    client
        .unsubscribe_from_event()
        .resource_arn(&setup.template)
        .event(InspectorEvent::AssessmentRunCompleted)
        .topic_arn(&topic.topic)
        .send()
        .await
        .unwrap();
    assert_eq!(
        subscribed_events(&client, &setup.template).await,
        BTreeSet::from(["FINDING_REPORTED".into()])
    );

    // A topic whose policy does not let the region's Inspector account publish is refused.
    topic.let_publish("arn:aws:iam::999999999999:root").await;
    let err = client
        .subscribe_to_event()
        .resource_arn(&setup.template)
        .event(InspectorEvent::AssessmentRunStarted)
        .topic_arn(&topic.topic)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    let SubscribeToEventError::AccessDeniedException(denied) = &err else {
        panic!("expected AccessDeniedException, got {err:?}");
    };
    assert_eq!(
        denied.error_code(),
        &AccessDeniedErrorCode::AccessDeniedToSnsTopic
    );
    assert!(!denied.can_retry());

    let err = client
        .subscribe_to_event()
        .resource_arn(&setup.template)
        .event(InspectorEvent::from("FINDING_DELETED"))
        .topic_arn(&topic.topic)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("InvalidInputException"), "{err:?}");
}

#[tokio::test]
async fn a_run_reports_each_finding_of_the_tagged_instances_to_the_security_account() {
    let suffix = unique_suffix();
    let member = MEMBER_ACCOUNTS[0];
    let client = inspector(member).await;
    let setup = TaggedTemplate::create(&client, &suffix, REGION).await;
    let topic = SecurityTopic::create(&suffix, REGION).await;
    setup
        .subscribe(InspectorEvent::FindingReported, &topic.topic)
        .await;
    let tagged: BTreeSet<String> = run_instances(member, REGION, 2, Some(&suffix))
        .await
        .into_iter()
        .collect();
    let untagged = run_instances(member, REGION, 1, None).await;

    let run = client
        .start_assessment_run()
        .assessment_template_arn(&setup.template)
        .send()
        .await
        .unwrap()
        .assessment_run_arn;
    let described = client
        .describe_assessment_runs()
        .assessment_run_arns(&run)
        .send()
        .await
        .unwrap();
    let details = &described.assessment_runs()[0];
    assert_eq!(details.state(), &AssessmentRunState::Completed);
    assert!(details.data_collected());
    assert!(details.state_changes().len() >= 3);
    assert!(!details.notifications().is_empty());
    for notification in details.notifications() {
        assert_eq!(
            notification.sns_publish_status_code(),
            Some(&AssessmentRunNotificationSnsStatusCode::Success)
        );
        assert!(!notification.error());
    }
    let by_template = client
        .list_assessment_runs()
        .assessment_template_arns(&setup.template)
        .filter(
            AssessmentRunFilter::builder()
                .states(AssessmentRunState::Completed)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_template.assessment_run_arns(),
        std::slice::from_ref(&run)
    );

    // Findings: only for the tagged instances, every one announced exactly once.
    let findings = all_findings(&client, &run, None).await;
    assert!(!findings.is_empty());
    let counted: i32 = details.finding_counts().values().sum();
    assert_eq!(counted as usize, findings.len());
    let mut agents = BTreeSet::new();
    for chunk in findings.chunks(10) {
        let page = client
            .describe_findings()
            .set_finding_arns(Some(chunk.to_vec()))
            .locale(Locale::EnUs)
            .send()
            .await
            .unwrap();
        assert!(page.failed_items().is_empty());
        for finding in page.findings() {
            let asset = finding.asset_attributes().unwrap();
            agents.insert(asset.agent_id().unwrap().to_owned());
            assert!(finding.title().is_some() && finding.recommendation().is_some());
            assert_eq!(
                finding.service_attributes().unwrap().assessment_run_arn(),
                Some(run.as_str())
            );
            assert!(finding.user_attributes().iter().any(|a| a.key() == "Team"));
        }
    }
    assert_eq!(agents, tagged);
    assert!(!agents.contains(&untagged[0]));

    let messages = topic.drain().await;
    let reported: BTreeSet<String> = messages
        .iter()
        .inspect(|m| {
            assert_eq!(m["event"], "FINDING_REPORTED");
            assert_eq!(m["template"], setup.template.as_str());
            assert_eq!(m["run"], run.as_str());
        })
        .map(|m| m["finding"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        messages.len(),
        findings.len(),
        "one notification per finding"
    );
    assert_eq!(reported, findings.iter().cloned().collect());

    // Filters narrow the list the way the API documents.
    let one_agent = tagged.iter().next().unwrap();
    let filtered = all_findings(
        &client,
        &run,
        Some(FindingFilter::builder().agent_ids(one_agent).build()),
    )
    .await;
    assert_eq!(filtered.len(), findings.len() / 2);
    let high = all_findings(
        &client,
        &run,
        Some(FindingFilter::builder().severities(Severity::High).build()),
    )
    .await;
    let high_page = client
        .describe_findings()
        .set_finding_arns(Some(high.iter().take(10).cloned().collect()))
        .send()
        .await
        .unwrap();
    assert!(high_page
        .findings()
        .iter()
        .all(|f| f.severity() == Some(&Severity::High)));

    // DescribeFindings: at most 10 ARNs; an unknown ARN is a failed item.
    let eleven: Vec<String> = findings.iter().cycle().take(11).cloned().collect();
    let err = client
        .describe_findings()
        .set_finding_arns(Some(eleven))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("InvalidInputException"));
    let unknown = format!("{run}/finding/0-doesnotx");
    let mixed = client
        .describe_findings()
        .finding_arns(&findings[0])
        .finding_arns(&unknown)
        .send()
        .await
        .unwrap();
    assert_eq!(mixed.findings().len(), 1);
    assert_eq!(
        mixed.failed_items()[&unknown].failure_code().as_str(),
        "ITEM_DOES_NOT_EXIST"
    );

    let added = client
        .add_attributes_to_findings()
        .finding_arns(&findings[0])
        .attributes(
            Attribute::builder()
                .key("Ticket")
                .value("SEC-1")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(added.failed_items().is_empty());
    let annotated = client
        .describe_findings()
        .finding_arns(&findings[0])
        .send()
        .await
        .unwrap();
    assert!(annotated.findings()[0]
        .user_attributes()
        .iter()
        .any(|a| a.key() == "Ticket" && a.value() == Some("SEC-1")));
}

#[tokio::test]
async fn a_topic_policy_that_stops_inspector_gets_no_findings_and_the_run_records_access_denied() {
    let suffix = unique_suffix();
    let member = MEMBER_ACCOUNTS[1];
    let client = inspector(member).await;
    let setup = TaggedTemplate::create(&client, &suffix, REGION).await;
    let topic = SecurityTopic::create(&suffix, REGION).await;
    setup
        .subscribe(InspectorEvent::FindingReported, &topic.topic)
        .await;
    run_instances(member, REGION, 1, Some(&suffix)).await;
    // The policy changes after subscribing: Inspector only finds out when it publishes.
    topic.let_publish("arn:aws:iam::999999999999:root").await;

    let run = client
        .start_assessment_run()
        .assessment_template_arn(&setup.template)
        .send()
        .await
        .unwrap()
        .assessment_run_arn;
    let described = client
        .describe_assessment_runs()
        .assessment_run_arns(&run)
        .send()
        .await
        .unwrap();
    let notifications = described.assessment_runs()[0].notifications();
    assert!(!notifications.is_empty());
    for notification in notifications {
        assert_eq!(
            notification.sns_publish_status_code(),
            Some(&AssessmentRunNotificationSnsStatusCode::AccessDenied)
        );
        assert!(notification.error());
    }
    assert!(
        topic.drain().await.is_empty(),
        "nothing may reach the queue"
    );
}

#[tokio::test]
async fn stop_assessment_run_ends_a_run_in_progress() {
    // An account of its own, whose runs stay in progress until stopped.
    let account = format!(
        "55{:010}",
        u32::from_str_radix(&unique_suffix(), 16).unwrap()
    );
    let aws = LocalAws::shared();
    aws.admin(
        "/_localaws/inspector/config",
        &json!({"account_id": account, "complete_runs": false}),
    );
    let client = inspector(&account).await;
    let suffix = unique_suffix();
    let setup = TaggedTemplate::create(&client, &suffix, REGION).await;
    run_instances(&account, REGION, 1, Some(&suffix)).await;

    let run = client
        .start_assessment_run()
        .assessment_template_arn(&setup.template)
        .send()
        .await
        .unwrap()
        .assessment_run_arn;
    let state = |client: Inspector, run: String| async move {
        client
            .describe_assessment_runs()
            .assessment_run_arns(run)
            .send()
            .await
            .unwrap()
            .assessment_runs()[0]
            .state()
            .clone()
    };
    assert_eq!(
        state(client.clone(), run.clone()).await,
        AssessmentRunState::CollectingData
    );
    let busy = client
        .start_assessment_run()
        .assessment_template_arn(&setup.template)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(busy.code(), Some("AgentsAlreadyRunningAssessmentException"));

    client
        .stop_assessment_run()
        .assessment_run_arn(&run)
        .stop_action(StopAction::SkipEvaluation)
        .send()
        .await
        .unwrap();
    assert_eq!(
        state(client.clone(), run.clone()).await,
        AssessmentRunState::Canceled
    );
    assert!(
        all_findings(&client, &run, None).await.is_empty(),
        "a skipped evaluation reports nothing"
    );
    aws.admin(
        "/_localaws/inspector/config",
        &json!({"account_id": account, "reset": true}),
    );
}

#[tokio::test]
async fn cross_account_access_role_is_checked_and_described() {
    let account = MEMBER_ACCOUNTS[0];
    let client = inspector(account).await;
    let missing = format!("arn:aws:iam::{account}:role/missing-{}", unique_suffix());
    let err = client
        .register_cross_account_access_role()
        .role_arn(&missing)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(
        err.code(),
        Some("InvalidCrossAccountRoleException"),
        "{err:?}"
    );

    let iam = aws_sdk_iam::Client::new(&LocalAws::shared().sdk_config(account, REGION).await);
    let name = format!("inspector-{}", unique_suffix());
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "inspector.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    let role = iam
        .create_role()
        .role_name(&name)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    let allow = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}]});
    iam.put_role_policy()
        .role_name(&name)
        .policy_name("describe")
        .policy_document(allow.to_string())
        .send()
        .await
        .unwrap();

    client
        .register_cross_account_access_role()
        .role_arn(role.arn())
        .send()
        .await
        .unwrap();
    let described = client
        .describe_cross_account_access_role()
        .send()
        .await
        .unwrap();
    assert_eq!(described.role_arn(), role.arn());
    assert!(described.valid());
}

#[tokio::test(flavor = "multi_thread")]
async fn hashicorp_aws_classic_resources_apply_update_plan_clean_and_destroy() {
    let aws = LocalAws::shared();
    let suffix = unique_suffix();
    let tf = aws.terraform("tests/terraform/classic");
    tf.set_vars(&json!({ "name_suffix": suffix }));
    tf.init().assert_success();
    tf.apply().assert_success();
    let plan = tf.plan();
    assert_eq!(plan.code, 0, "no drift after apply:\n{plan}");

    let outputs = tf.outputs();
    let template = outputs["assessment_template_arn"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = inspector(MEMBER_ACCOUNTS[0]).await;
    assert_eq!(
        subscribed_events(&client, &template).await,
        BTreeSet::from(["FINDING_REPORTED".to_owned()])
    );

    tf.set_vars(&json!({ "name_suffix": suffix, "events": ["FINDING_REPORTED", "ASSESSMENT_RUN_COMPLETED"] }));
    assert_eq!(tf.plan().code, 2, "adding an event is a change");
    tf.apply().assert_success();
    assert_eq!(tf.plan().code, 0);
    assert_eq!(subscribed_events(&client, &template).await.len(), 2);

    tf.destroy().assert_success();
    let gone = client
        .describe_assessment_templates()
        .assessment_template_arns(&template)
        .send()
        .await
        .unwrap();
    assert!(
        gone.assessment_templates().is_empty(),
        "destroy left the template behind"
    );
}
