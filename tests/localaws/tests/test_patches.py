"""Each fidelity patch: the local AWS behaves as AWS does, and stock moto still does not.

The `*_gap_in_stock_moto` tests run moto in-process without our patches; when one fails,
moto has fixed the gap and the patch (and both tests) can go.
"""

import json
import os

import boto3
import pytest
from moto import mock_aws

from conftest import MEMBER_ACCOUNTS, SECURITY_ACCOUNT

REGION = "us-east-1"


@pytest.fixture
def stock(monkeypatch):
    # `make test` exports AWS_ENDPOINT_URL; botocore would send these clients to the
    # patched server instead of moto's in-process mock.
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name)
    with mock_aws():
        yield lambda service: boto3.client(
            service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
        )


def test_securityhub_update_configuration(accounts):
    hub = accounts.client("securityhub", MEMBER_ACCOUNTS[0])
    try:
        hub.disable_security_hub()
    except hub.exceptions.ClientError:
        pass
    hub.enable_security_hub(EnableDefaultStandards=False)
    hub.update_security_hub_configuration(AutoEnableControls=False, ControlFindingGenerator="STANDARD_CONTROL")
    described = hub.describe_hub()
    assert described["AutoEnableControls"] is False
    assert described["ControlFindingGenerator"] == "STANDARD_CONTROL"
    hub.disable_security_hub()


def test_securityhub_update_configuration_gap_in_stock_moto(stock):
    hub = stock("securityhub")
    hub.enable_security_hub(EnableDefaultStandards=False)
    with pytest.raises(Exception):
        hub.update_security_hub_configuration(AutoEnableControls=False)


def _queue_with_dlq(sqs, name):
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}
    allow = {"redrivePermission": "allowAll"}
    url = sqs.create_queue(
        QueueName=name,
        Attributes={"RedrivePolicy": json.dumps(policy), "RedriveAllowPolicy": json.dumps(allow)},
    )["QueueUrl"]
    return url, dlq_arn


def test_sqs_redrive_allow_policy_is_readable(accounts, unique):
    sqs = accounts.client("sqs", SECURITY_ACCOUNT)
    url, _ = _queue_with_dlq(sqs, f"allow-{unique}")
    named = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedriveAllowPolicy"])["Attributes"]
    assert json.loads(named["RedriveAllowPolicy"]) == {"redrivePermission": "allowAll"}
    everything = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert "RedriveAllowPolicy" in everything


def test_sqs_redrive_allow_policy_gap_in_stock_moto(stock):
    sqs = stock("sqs")
    url = sqs.create_queue(QueueName="q", Attributes={"RedriveAllowPolicy": '{"redrivePermission":"allowAll"}'})["QueueUrl"]
    with pytest.raises(sqs.exceptions.ClientError, match="InvalidAttributeName"):
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedriveAllowPolicy"])


def test_sqs_redrive_policy_is_compact_json(accounts, unique):
    sqs = accounts.client("sqs", SECURITY_ACCOUNT)
    url, dlq_arn = _queue_with_dlq(sqs, f"compact-{unique}")
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"]
    assert got == json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}, separators=(",", ":"))


def test_sqs_redrive_policy_gap_in_stock_moto(stock):
    sqs = stock("sqs")
    url, _ = _queue_with_dlq_stock(sqs)
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"]
    assert ", " in got


def _queue_with_dlq_stock(sqs):
    dlq_url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5})
    return sqs.create_queue(QueueName="q", Attributes={"RedrivePolicy": policy})["QueueUrl"], dlq_arn


def test_inspector2_disable_delegated_admin_removes_it(accounts):
    # An account of its own: the delegated admin is per organisation management account.
    inspector2 = accounts.client("inspector2", "444444444444")
    inspector2.enable_delegated_admin_account(delegatedAdminAccountId=SECURITY_ACCOUNT)
    inspector2.disable_delegated_admin_account(delegatedAdminAccountId=SECURITY_ACCOUNT)
    listed = inspector2.list_delegated_admin_accounts()["delegatedAdminAccounts"]
    assert all(a["accountId"] != SECURITY_ACCOUNT for a in listed), listed


def test_inspector2_disable_delegated_admin_gap_in_stock_moto(stock):
    inspector2 = stock("inspector2")
    inspector2.enable_delegated_admin_account(delegatedAdminAccountId=SECURITY_ACCOUNT)
    inspector2.disable_delegated_admin_account(delegatedAdminAccountId=SECURITY_ACCOUNT)
    listed = inspector2.list_delegated_admin_accounts()["delegatedAdminAccounts"]
    assert [a["status"] for a in listed] == ["DISABLED"]


def _cross_account_subscription(topic_sns, queue_sqs, name):
    topic = topic_sns.create_topic(Name=name)["TopicArn"]
    url = queue_sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = queue_sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic_sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return topic, url


def test_sns_delivers_to_a_queue_in_another_account(accounts, unique):
    topic, url = _cross_account_subscription(
        accounts.client("sns", MEMBER_ACCOUNTS[0]), accounts.client("sqs", SECURITY_ACCOUNT), f"xacct-{unique}"
    )
    accounts.client("sns", MEMBER_ACCOUNTS[0]).publish(TopicArn=topic, Message="across accounts")
    messages = accounts.client("sqs", SECURITY_ACCOUNT).receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert json.loads(messages[0]["Body"])["Message"] == "across accounts"


def test_sns_cross_account_delivery_gap_in_stock_moto(stock):
    # The topic lives in moto's default account; the subscribed queue ARN names another
    # account. Stock moto looks the queue up by name in the topic's account instead.
    sqs, sns = stock("sqs"), stock("sns")
    wrong_account_queue = sqs.create_queue(QueueName="q")["QueueUrl"]
    topic = sns.create_topic(Name="t")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=f"arn:aws:sqs:{REGION}:{SECURITY_ACCOUNT}:q")
    sns.publish(TopicArn=topic, Message="misrouted")
    assert sqs.receive_message(QueueUrl=wrong_account_queue)["Messages"][0]["Body"]
