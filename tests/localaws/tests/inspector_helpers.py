"""Shared pieces of the Inspector Classic tests: building blocks, the admin call, SQS draining."""

from __future__ import annotations

import json
import secrets
import urllib.request

import pytest
from botocore.exceptions import ClientError

from localaws.inspector.facts import region_facts

REGION = "us-east-1"
FACTS = region_facts(REGION)
SERVICE_ACCOUNT = FACTS.service_account_id  # 316112463485
RULES_PACKAGES = [package.arn for package in FACTS.rules_packages]
CVE_PACKAGE = next(p.arn for p in FACTS.rules_packages if p.name == "Common Vulnerabilities and Exposures")
BEST_PRACTICES_PACKAGE = next(p.arn for p in FACTS.rules_packages if p.name == "Security Best Practices")
AMI = "ami-12c6146b"  # one of moto's built-in AMIs


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> dict:
    """The parsed error: Code and Message, plus the modeled members (errorCode, canRetry, ...)."""
    response = excinfo.value.response
    return {"Code": response["Error"]["Code"], **{k: v for k, v in response.items() if k not in ("Error", "ResponseMetadata")}}


def admin(endpoint: str, body: dict | None = None) -> dict:
    """GET (no body) or POST the Inspector settings admin route."""
    request = urllib.request.Request(
        f"{endpoint}/_localaws/inspector/config",
        data=None if body is None else json.dumps(body).encode(),
        method="GET" if body is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def findings_per_instance(endpoint: str, account_id: str) -> int:
    current = admin(endpoint)
    return current["accounts"].get(account_id, current["default"])["findings_per_instance"]


def fresh_account_id() -> str:
    """An account no other test uses, for tests that need an empty account or own settings."""
    return "9" + "".join(secrets.choice("0123456789") for _ in range(11))


def run_instances(ec2, count: int, tags: dict[str, str] | None = None) -> list[str]:
    kwargs = {}
    if tags:
        kwargs["TagSpecifications"] = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    reservation = ec2.run_instances(ImageId=AMI, MinCount=count, MaxCount=count, **kwargs)
    return [instance["InstanceId"] for instance in reservation["Instances"]]


class Targets:
    """Creates assessment targets (and templates under them) and deletes them after the test:
    an account may have at most 50 targets, and the member accounts are shared by all tests."""

    def __init__(self) -> None:
        self._created: list[tuple[object, str]] = []

    def create(self, ins, name: str, resource_group_arn: str | None = None) -> str:
        group = {"resourceGroupArn": resource_group_arn} if resource_group_arn else {}
        arn = ins.create_assessment_target(assessmentTargetName=name, **group)["assessmentTargetArn"]
        self._created.append((ins, arn))
        return arn

    def tagged_template(self, ins, unique: str, packages: list[str] | None = None, **template_args) -> dict[str, str]:
        """A resource group selecting tag Inspect=<unique>, its target and a template."""
        group = ins.create_resource_group(resourceGroupTags=[{"key": "Inspect", "value": unique}])["resourceGroupArn"]
        target = self.create(ins, f"target-{unique}", group)
        template = ins.create_assessment_template(
            assessmentTargetArn=target,
            assessmentTemplateName=f"template-{unique}",
            durationInSeconds=template_args.pop("durationInSeconds", 3600),
            rulesPackageArns=RULES_PACKAGES if packages is None else packages,
            **template_args,
        )["assessmentTemplateArn"]
        return {"group": group, "target": target, "template": template}

    def delete_all(self) -> None:
        for ins, arn in self._created:
            try:
                ins.delete_assessment_target(assessmentTargetArn=arn)
            except ClientError as err:
                if err.response["Error"]["Code"] != "NoSuchEntityException":  # the test deleted it
                    raise


@pytest.fixture
def targets():
    created = Targets()
    yield created
    created.delete_all()


def inspector_may_publish(topic_arn: str, principal: str = f"arn:aws:iam::{SERVICE_ACCOUNT}:root", **statement) -> str:
    """A topic policy that lets the Inspector account (or another principal) publish."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "InspectorPublish",
                    "Effect": "Allow",
                    "Principal": {"AWS": principal},
                    "Action": "SNS:Publish",
                    "Resource": topic_arn,
                    **statement,
                }
            ],
        }
    )


def topic_with_queue(sns, sqs, name: str, policy: str | None = None, raw: bool = False) -> tuple[str, str]:
    """A topic (policy: Inspector may publish) and an SQS queue subscribed to it."""
    topic = sns.create_topic(Name=name)["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=policy or inspector_may_publish(topic))
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attributes = {"RawMessageDelivery": "true"} if raw else {}
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes)
    return topic, queue_url


def drain(sqs, queue_url: str) -> list[str]:
    """Every message body in the queue (SNS delivers in-process, so all are there already)."""
    bodies = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def all_pages(call, key: str, **kwargs) -> list:
    items, token = [], None
    while True:
        page = call(**kwargs, **({"nextToken": token} if token else {}))
        items += page[key]
        token = page.get("nextToken")
        if not token:
            return items
