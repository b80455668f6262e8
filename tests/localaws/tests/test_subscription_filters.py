"""The SNS subscription filters the security modules rely on, checked against the local AWS.

modules/security-region cannot restrict a regional topic to the listed member accounts in
its policy: Inspector Classic publishes as an IAM principal of its service account, so its
publishes carry no aws:SourceAccount / aws:SourceArn (see the Inspector Classic section of
the README). The module instead gives each topic -> queue subscription a MessageBody filter
on the notification's `template` ARN prefix, one prefix per listed member. These tests run
real assessment runs in a listed and an unlisted member and check what reaches the queue.

modules/security-primary turns a subscriber's minimum severity into a MessageAttributes
filter on `severity_rank` that also lets messages without it (CloudWatch alarms) through.
"""

import json

import pytest
from conftest import MEMBER_ACCOUNTS, SECURITY_ACCOUNT
from inspector_helpers import CVE_PACKAGE, REGION, drain, inspector_may_publish, run_instances
from inspector_helpers import targets  # noqa: F401 (a fixture)

LISTED, UNLISTED = MEMBER_ACCOUNTS


def member_filter(*members: str) -> str:
    """The filter policy modules/security-region puts on each topic -> queue subscription."""
    return json.dumps({"template": [{"prefix": f"arn:aws:inspector:{REGION}:{m}:"} for m in members]})


@pytest.fixture
def topic_and_queue(accounts, unique):
    sns = accounts.client("sns", SECURITY_ACCOUNT)
    sqs = accounts.client("sqs", SECURITY_ACCOUNT)
    topic = sns.create_topic(Name=f"findings-{unique}")["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=inspector_may_publish(topic))
    queue_url = sqs.create_queue(QueueName=f"central-{unique}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    yield sns, sqs, topic, queue_arn, queue_url
    sns.delete_topic(TopicArn=topic)
    sqs.delete_queue(QueueUrl=queue_url)


def run_in(accounts, targets, account: str, unique: str, topic: str) -> str:
    """One tagged instance and a CVE-only template in `account`, subscribed to `topic`; runs it."""
    ins = accounts.client("inspector", account)
    tag = f"{unique}-{account[:3]}"
    run_instances(accounts.client("ec2", account), 1, {"Inspect": tag})
    made = targets.tagged_template(ins, tag, packages=[CVE_PACKAGE])
    ins.subscribe_to_event(resourceArn=made["template"], event="FINDING_REPORTED", topicArn=topic)
    ins.start_assessment_run(assessmentTemplateArn=made["template"])
    return made["template"]


def test_a_body_filter_on_the_template_prefix_drops_unlisted_members(accounts, targets, topic_and_queue, unique):
    sns, sqs, topic, queue_arn, queue_url = topic_and_queue
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"FilterPolicyScope": "MessageBody", "FilterPolicy": member_filter(LISTED)},
    )
    listed_template = run_in(accounts, targets, LISTED, unique, topic)
    unlisted_template = run_in(accounts, targets, UNLISTED, unique, topic)

    messages = [json.loads(json.loads(body)["Message"]) for body in drain(sqs, queue_url)]
    assert messages, "the listed member's findings must arrive"
    assert {m["template"] for m in messages} == {listed_template}
    assert unlisted_template not in {m["template"] for m in messages}


def test_without_the_filter_every_inspector_customer_gets_through(accounts, targets, topic_and_queue, unique):
    """What the filter is for: the policy alone lets any account's templates notify the topic."""
    sns, sqs, topic, queue_arn, queue_url = topic_and_queue
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    unlisted_template = run_in(accounts, targets, UNLISTED, unique, topic)
    messages = [json.loads(json.loads(body)["Message"]) for body in drain(sqs, queue_url)]
    assert {m["template"] for m in messages} == {unlisted_template}


def test_a_severity_rank_filter_lets_alarms_through(accounts, topic_and_queue):
    """min_severity = HIGH: ranks 3 and 4 pass, 2 does not, a message without the attribute does."""
    sns, sqs, topic, queue_arn, queue_url = topic_and_queue
    policy = {"severity_rank": [{"numeric": [">=", 3]}, {"exists": False}]}
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"FilterPolicyScope": "MessageAttributes", "FilterPolicy": json.dumps(policy)},
    )
    for rank in (2, 3, 4):
        sns.publish(
            TopicArn=topic,
            Message=f"rank {rank}",
            MessageAttributes={"severity_rank": {"DataType": "Number", "StringValue": str(rank)}},
        )
    sns.publish(TopicArn=topic, Message="ALARM: dlq depth")
    bodies = sorted(json.loads(body)["Message"] for body in drain(sqs, queue_url))
    assert bodies == ["ALARM: dlq depth", "rank 3", "rank 4"]
