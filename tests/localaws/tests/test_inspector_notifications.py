"""Event subscriptions and the SNS notifications of runs, including the cross-account flow:
a member account's template notifies a topic in the security account, whose policy must let
the region's Inspector service account publish."""

import json
import re

import pytest
from botocore.exceptions import ClientError
from conftest import MEMBER_ACCOUNTS, SECURITY_ACCOUNT
from inspector_helpers import (
    CVE_PACKAGE,
    SERVICE_ACCOUNT,
    all_pages,
    drain,
    error_of,
    findings_per_instance,
    inspector_may_publish,
    run_instances,
    topic_with_queue,
)
from inspector_helpers import targets  # noqa: F401 (a fixture)

MEMBER, OTHER_MEMBER = MEMBER_ACCOUNTS
MESSAGE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
BASE_KEYS = ["template", "run", "time", "event", "target"]


@pytest.fixture
def sns(accounts):
    return accounts.client("sns", SECURITY_ACCOUNT)


@pytest.fixture
def sqs(accounts):
    return accounts.client("sqs", SECURITY_ACCOUNT)


def expect_error(call, code, error_code, **kwargs):
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    error = error_of(excinfo)
    assert (error["Code"], error["errorCode"], error["canRetry"]) == (code, error_code, False), error
    return error


def notification_messages(bodies):
    """SNS envelopes (JSON with Type/Message) to the Inspector messages they carry."""
    messages = []
    for body in bodies:
        envelope = json.loads(body)
        assert envelope["Type"] == "Notification"
        assert "Subject" not in envelope  # Inspector sends no subject
        messages.append(json.loads(envelope["Message"]))
    return messages


def test_cross_account_findings_reach_the_security_account_queue(ins, ec2, sns, sqs, endpoint, unique, targets):
    topic, queue = topic_with_queue(sns, sqs, f"inspector-{unique}")
    tagged = run_instances(ec2, 2, {"Inspect": unique})
    untagged = run_instances(ec2, 1)
    made = targets.tagged_template(ins, unique, packages=[CVE_PACKAGE])
    ins.subscribe_to_event(resourceArn=made["template"], event="FINDING_REPORTED", topicArn=topic)

    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]

    finding_arns = all_pages(ins.list_findings, "findingArns", assessmentRunArns=[run_arn], maxResults=500)
    assert len(finding_arns) == 2 * findings_per_instance(endpoint, MEMBER)
    raw = drain(sqs, queue)
    envelopes = [json.loads(body) for body in raw]
    assert all(envelope["TopicArn"] == topic for envelope in envelopes)
    messages = notification_messages(raw)
    assert len(messages) == len(finding_arns)  # one per finding, nothing else subscribed
    assert sorted(message["finding"] for message in messages) == sorted(finding_arns)
    for message in messages:
        assert list(message) == ["template", "run", "time", "finding", "event", "target"]
        assert message["event"] == "FINDING_REPORTED"
        assert (message["template"], message["run"], message["target"]) == (made["template"], run_arn, made["target"])
        assert MESSAGE_TIME.fullmatch(message["time"])
    agents = {f["assetAttributes"]["agentId"] for f in ins.describe_findings(findingArns=finding_arns[:10])["findings"]}
    assert agents <= set(tagged) and not agents & set(untagged)

    run = ins.describe_assessment_runs(assessmentRunArns=[run_arn])["assessmentRuns"][0]
    assert len(run["notifications"]) == min(len(finding_arns), 50)
    notification = run["notifications"][0]
    assert notification["event"] == "FINDING_REPORTED"
    assert (notification["snsTopicArn"], notification["snsPublishStatusCode"], notification["error"]) == (topic, "SUCCESS", False)
    assert json.loads(notification["message"])["finding"] in finding_arns


def test_raw_delivery_carries_the_inspector_message_itself(ins, ec2, sns, sqs, unique, targets):
    topic, queue = topic_with_queue(sns, sqs, f"raw-{unique}", raw=True)
    run_instances(ec2, 1, {"Inspect": unique})
    made = targets.tagged_template(ins, unique, packages=[CVE_PACKAGE])
    ins.subscribe_to_event(resourceArn=made["template"], event="FINDING_REPORTED", topicArn=topic)
    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]
    messages = [json.loads(body) for body in drain(sqs, queue)]
    assert messages and all(m["event"] == "FINDING_REPORTED" and m["run"] == run_arn for m in messages)


def test_run_lifecycle_messages(ins, ec2, sns, sqs, endpoint, unique, targets):
    topic, queue = topic_with_queue(sns, sqs, f"lifecycle-{unique}")
    run_instances(ec2, 1, {"Inspect": unique})
    made = targets.tagged_template(ins, unique, packages=[CVE_PACKAGE])
    for event in ("ASSESSMENT_RUN_STARTED", "ASSESSMENT_RUN_STATE_CHANGED", "ASSESSMENT_RUN_COMPLETED"):
        ins.subscribe_to_event(resourceArn=made["template"], event=event, topicArn=topic)

    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]

    messages = notification_messages(drain(sqs, queue))
    events = [m["event"] for m in messages]
    run = ins.describe_assessment_runs(assessmentRunArns=[run_arn])["assessmentRuns"][0]
    assert events.count("ASSESSMENT_RUN_STARTED") == events.count("ASSESSMENT_RUN_COMPLETED") == 1
    assert events.count("ASSESSMENT_RUN_STATE_CHANGED") == len(run["stateChanges"]) - 1  # every change after CREATED
    started = next(m for m in messages if m["event"] == "ASSESSMENT_RUN_STARTED")
    assert list(started) == BASE_KEYS
    assert (started["template"], started["run"], started["target"]) == (made["template"], run_arn, made["target"])
    completed = next(m for m in messages if m["event"] == "ASSESSMENT_RUN_COMPLETED")
    assert list(completed) == ["template", "findingsCount", "run", "time", "event", "target"]
    assert completed["findingsCount"] == f"{{{CVE_PACKAGE}={findings_per_instance(endpoint, MEMBER)}}}"
    # SQS keeps no order: the completion is the last event by its own time.
    assert all(m["time"] <= completed["time"] for m in messages), [(m["event"], m["time"]) for m in messages]


def test_a_topic_policy_that_stops_allowing_inspector_gets_nothing(ins, ec2, sns, sqs, unique, targets):
    topic, queue = topic_with_queue(sns, sqs, f"revoked-{unique}")
    run_instances(ec2, 1, {"Inspect": unique})
    made = targets.tagged_template(ins, unique, packages=[CVE_PACKAGE])
    ins.subscribe_to_event(resourceArn=made["template"], event="FINDING_REPORTED", topicArn=topic)
    # Now only another region's Inspector account may publish.
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=inspector_may_publish(topic, "arn:aws:iam::166987590008:root"))

    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]

    assert drain(sqs, queue) == []
    notifications = ins.describe_assessment_runs(assessmentRunArns=[run_arn])["assessmentRuns"][0]["notifications"]
    assert notifications
    assert all(n["snsPublishStatusCode"] == "ACCESS_DENIED" and n["error"] is True for n in notifications)


def test_an_explicit_deny_wins_over_the_allow(ins, ec2, sns, sqs, unique, targets):
    topic, queue = topic_with_queue(sns, sqs, f"denied-{unique}")
    run_instances(ec2, 1, {"Inspect": unique})
    made = targets.tagged_template(ins, unique, packages=[CVE_PACKAGE])
    ins.subscribe_to_event(resourceArn=made["template"], event="FINDING_REPORTED", topicArn=topic)
    allow = json.loads(inspector_may_publish(topic))
    deny = {"Sid": "DenyAll", "Effect": "Deny", "Principal": "*", "Action": "sns:*", "Resource": topic}
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({**allow, "Statement": [*allow["Statement"], deny]}))
    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]
    assert drain(sqs, queue) == []
    statuses = {n["snsPublishStatusCode"] for n in ins.describe_assessment_runs(assessmentRunArns=[run_arn])["assessmentRuns"][0]["notifications"]}
    assert statuses == {"ACCESS_DENIED"}


def test_a_deleted_topic_is_recorded_as_missing(ins, ec2, sns, sqs, unique, targets):
    topic, _queue = topic_with_queue(sns, sqs, f"deleted-{unique}")
    made = targets.tagged_template(ins, unique)
    ins.subscribe_to_event(resourceArn=made["template"], event="ASSESSMENT_RUN_STARTED", topicArn=topic)
    sns.delete_topic(TopicArn=topic)
    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]
    [notification] = ins.describe_assessment_runs(assessmentRunArns=[run_arn])["assessmentRuns"][0]["notifications"]
    assert (notification["event"], notification["snsPublishStatusCode"], notification["error"]) == (
        "ASSESSMENT_RUN_STARTED", "TOPIC_DOES_NOT_EXIST", True,
    )


def test_subscribe_requires_a_topic_inspector_may_publish_to(ins, sns, accounts, unique, targets):
    made = targets.tagged_template(ins, unique)
    template = made["template"]

    default_policy_topic = sns.create_topic(Name=f"default-{unique}")["TopicArn"]
    error = expect_error(
        ins.subscribe_to_event, "AccessDeniedException", "ACCESS_DENIED_TO_SNS_TOPIC",
        resourceArn=template, event="FINDING_REPORTED", topicArn=default_policy_topic,
    )
    assert SERVICE_ACCOUNT in error["message"]

    # aws:SourceAccount is not in Inspector Classic's publish, so this condition never holds...
    source_account_topic = sns.create_topic(Name=f"source-account-{unique}")["TopicArn"]
    sns.set_topic_attributes(
        TopicArn=source_account_topic, AttributeName="Policy",
        AttributeValue=inspector_may_publish(source_account_topic, Condition={"StringEquals": {"aws:SourceAccount": MEMBER}}),
    )
    expect_error(
        ins.subscribe_to_event, "AccessDeniedException", "ACCESS_DENIED_TO_SNS_TOPIC",
        resourceArn=template, event="FINDING_REPORTED", topicArn=source_account_topic,
    )
    # ...while one on aws:PrincipalAccount does.
    principal_account_topic = sns.create_topic(Name=f"principal-account-{unique}")["TopicArn"]
    sns.set_topic_attributes(
        TopicArn=principal_account_topic, AttributeName="Policy",
        AttributeValue=inspector_may_publish(principal_account_topic, principal="*", Condition={"StringEquals": {"aws:PrincipalAccount": SERVICE_ACCOUNT}}),
    )
    ins.subscribe_to_event(resourceArn=template, event="FINDING_REPORTED", topicArn=principal_account_topic)

    missing = f"arn:aws:sns:us-east-1:{SECURITY_ACCOUNT}:missing-{unique}"
    expect_error(ins.subscribe_to_event, "NoSuchEntityException", "SNS_TOPIC_DOES_NOT_EXIST", resourceArn=template, event="FINDING_REPORTED", topicArn=missing)
    west_sns = accounts.client("sns", SECURITY_ACCOUNT, "us-west-2")
    west_topic = west_sns.create_topic(Name=f"west-{unique}")["TopicArn"]
    west_sns.set_topic_attributes(TopicArn=west_topic, AttributeName="Policy", AttributeValue=inspector_may_publish(west_topic, principal="*"))
    expect_error(
        ins.subscribe_to_event, "NoSuchEntityException", "SNS_TOPIC_DOES_NOT_EXIST", resourceArn=template, event="FINDING_REPORTED", topicArn=west_topic
    )
    expect_error(ins.subscribe_to_event, "InvalidInputException", "INVALID_SNS_TOPIC_ARN", resourceArn=template, event="FINDING_REPORTED", topicArn="topic")
    expect_error(
        ins.subscribe_to_event, "InvalidInputException", "INVALID_EVENT", resourceArn=template, event="FINDING_CLOSED", topicArn=principal_account_topic
    )
    expect_error(
        ins.subscribe_to_event, "InvalidInputException", "INVALID_ASSESSMENT_TEMPLATE_ARN",
        resourceArn=made["target"], event="FINDING_REPORTED", topicArn=principal_account_topic,
    )
    expect_error(
        accounts.client("inspector", OTHER_MEMBER).subscribe_to_event, "AccessDeniedException", "ACCESS_DENIED_TO_ASSESSMENT_TEMPLATE",
        resourceArn=template, event="FINDING_REPORTED", topicArn=principal_account_topic,
    )


def test_list_and_unsubscribe(ins, sns, sqs, unique, targets):
    first_topic, _ = topic_with_queue(sns, sqs, f"first-{unique}")
    second_topic, _ = topic_with_queue(sns, sqs, f"second-{unique}")
    made = targets.tagged_template(ins, unique)
    template = made["template"]
    for event, topic in [("FINDING_REPORTED", first_topic), ("ASSESSMENT_RUN_COMPLETED", first_topic), ("FINDING_REPORTED", second_topic)]:
        ins.subscribe_to_event(resourceArn=template, event=event, topicArn=topic)
    ins.subscribe_to_event(resourceArn=template, event="FINDING_REPORTED", topicArn=first_topic)  # again: no duplicate

    subscriptions = ins.list_event_subscriptions(resourceArn=template)["subscriptions"]
    assert [(s["resourceArn"], s["topicArn"]) for s in subscriptions] == [(template, first_topic), (template, second_topic)]
    assert [e["event"] for e in subscriptions[0]["eventSubscriptions"]] == ["FINDING_REPORTED", "ASSESSMENT_RUN_COMPLETED"]
    assert all(e["subscribedAt"] for s in subscriptions for e in s["eventSubscriptions"])
    assert all_pages(ins.list_event_subscriptions, "subscriptions", resourceArn=template, maxResults=1) == subscriptions
    everything = all_pages(ins.list_event_subscriptions, "subscriptions", maxResults=500)
    assert all(s in everything for s in subscriptions)

    ins.unsubscribe_from_event(resourceArn=template, event="FINDING_REPORTED", topicArn=first_topic)
    ins.unsubscribe_from_event(resourceArn=template, event="FINDING_REPORTED", topicArn=first_topic)  # already gone: fine
    remaining = ins.list_event_subscriptions(resourceArn=template)["subscriptions"]
    assert [(s["topicArn"], [e["event"] for e in s["eventSubscriptions"]]) for s in remaining] == [
        (first_topic, ["ASSESSMENT_RUN_COMPLETED"]), (second_topic, ["FINDING_REPORTED"]),
    ]
    expect_error(ins.unsubscribe_from_event, "InvalidInputException", "INVALID_EVENT", resourceArn=template, event="BOGUS", topicArn=first_topic)

    ins.delete_assessment_template(assessmentTemplateArn=template)
    expect_error(ins.list_event_subscriptions, "NoSuchEntityException", "ASSESSMENT_TEMPLATE_DOES_NOT_EXIST", resourceArn=template)


def test_unsubscribed_events_are_not_sent(ins, ec2, sns, sqs, unique, targets):
    topic, queue = topic_with_queue(sns, sqs, f"unsubscribed-{unique}")
    run_instances(ec2, 1, {"Inspect": unique})
    made = targets.tagged_template(ins, unique, packages=[CVE_PACKAGE])
    ins.subscribe_to_event(resourceArn=made["template"], event="FINDING_REPORTED", topicArn=topic)
    ins.unsubscribe_from_event(resourceArn=made["template"], event="FINDING_REPORTED", topicArn=topic)
    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]
    assert ins.list_findings(assessmentRunArns=[run_arn])["findingArns"]
    assert drain(sqs, queue) == []


def test_a_message_sns_refuses_is_recorded_as_an_internal_error(ins, sns, unique, targets):
    # A FIFO topic needs a message group id, which Inspector's publishes do not have.
    topic = sns.create_topic(Name=f"fifo-{unique}.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=inspector_may_publish(topic))
    made = targets.tagged_template(ins, unique)
    ins.subscribe_to_event(resourceArn=made["template"], event="ASSESSMENT_RUN_COMPLETED", topicArn=topic)
    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]
    [notification] = ins.describe_assessment_runs(assessmentRunArns=[run_arn])["assessmentRuns"][0]["notifications"]
    assert (notification["snsPublishStatusCode"], notification["error"]) == ("INTERNAL_ERROR", True)
