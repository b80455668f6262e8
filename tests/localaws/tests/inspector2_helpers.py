"""Shared pieces of the Inspector v2 tests: an organisation of fresh accounts, the admin
route, waiting for the scanner, and an EventBridge rule that feeds a queue."""

from __future__ import annotations

import json
import secrets
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import inspector_helpers

REGION = "us-east-1"
WINDOWS_AMI = "ami-12c6146b"  # moto's Windows Server 2008 R2 SP1 image
LINUX_AMI = "ami-1e749f67"  # moto's Ubuntu 14.04 image
LINUX_FINDINGS = {"CVE-2024-29069", "CVE-2024-6387"}  # catalogue entries for EC2_LINUX
ECR_FINDINGS = {"CVE-2021-44228", "CVE-2023-4863", "CVE-2024-6119", "CVE-2005-2541"}


def fresh_account_id() -> str:
    """An account no other test uses: the emulator's state is per account and region."""
    return "8" + "".join(secrets.choice("0123456789") for _ in range(11))


def scan(endpoint: str, advance_seconds: float = 0) -> dict:
    """POST the admin route: move the emulator's clock, then make a scan pass now."""
    request = urllib.request.Request(
        f"{endpoint}/_localaws/inspector2/scan",
        data=json.dumps({"advance_seconds": advance_seconds}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def wait_for(what: Callable[[], Any], timeout: float = 30, message: str = "") -> Any:
    """Poll `what` until it answers something truthy (the scanner works in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        got = what()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s: {message}")
        time.sleep(0.3)


def all_findings(client, **criteria) -> list[dict]:
    found, token = [], None
    while True:
        kwargs: dict[str, Any] = {"maxResults": 100}
        if criteria:
            kwargs["filterCriteria"] = criteria
        if token:
            kwargs["nextToken"] = token
        page = client.list_findings(**kwargs)
        found += page["findings"]
        token = page.get("nextToken")
        if not token:
            return found


def eq(value: str) -> list[dict]:
    return [{"comparison": "EQUALS", "value": value}]


def vulnerability(finding: dict) -> str:
    details = finding.get("packageVulnerabilityDetails")
    if details:
        return details["vulnerabilityId"]
    if finding["type"] == "NETWORK_REACHABILITY":
        ports = finding["networkReachabilityDetails"]["openPortRange"]
        return f"network:{ports['begin']}-{ports['end']}"
    return "code:" + finding["codeVulnerabilityDetails"]["detectorId"]


@dataclass
class Org:
    """A management account, its delegated administrator and members, all fresh."""

    accounts: Any
    management: str
    admin: str
    members: list[str]

    @classmethod
    def create(cls, accounts, members: int = 1, enable: list[str] | None = None) -> "Org":
        org = cls(accounts, fresh_account_id(), fresh_account_id(), [fresh_account_id() for _ in range(members)])
        org.client(org.management).enable_delegated_admin_account(delegatedAdminAccountId=org.admin)
        for member in org.members:
            org.client(org.admin).associate_member(accountId=member)
        if enable:
            answer = org.client(org.admin).enable(accountIds=[org.admin, *org.members], resourceTypes=enable)
            assert answer["failedAccounts"] == [], answer
        return org

    def client(self, account: str, service: str = "inspector2"):
        return self.accounts.client(service, account, REGION)


def rule_to_queue(accounts, account: str, name: str, detail_type: str) -> tuple[Any, str]:
    """A rule on the account's default bus sending `detail_type` events to a new queue."""
    sqs = accounts.client("sqs", account, REGION)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = accounts.client("events", account, REGION)
    events.put_rule(Name=name, EventPattern=json.dumps({"source": ["aws.inspector2"], "detail-type": [detail_type]}))
    events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": arn}])
    return sqs, url


def drain(sqs, url: str) -> list[dict]:
    """Every event now in the queue (deleted as read), parsed."""
    return [json.loads(body) for body in inspector_helpers.drain(sqs, url)]


def run_instance(ec2, ami: str = LINUX_AMI, tags: dict[str, str] | None = None, **kwargs) -> str:
    if tags:
        kwargs["TagSpecifications"] = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    return ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, **kwargs)["Instances"][0]["InstanceId"]


def push_image(ecr, repository: str, tag: str = "latest") -> str:
    """Pushes a (tiny) image manifest; returns its digest."""
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023,
                   "digest": "sha256:" + secrets.token_hex(32)},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 32654,
                    "digest": "sha256:" + secrets.token_hex(32)}],
    }
    image = ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)["image"]
    return image["imageId"]["imageDigest"]


def unvalidated(accounts, account: str, service: str = "inspector2"):
    """A client that sends what it is given: botocore's own checks switched off, so the
    service's answer to bad input is what the test sees."""
    import boto3
    from botocore.config import Config

    config = Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"})
    return boto3.client(service, region_name=REGION, endpoint_url=accounts.endpoint, config=config,
                        **accounts.credentials(account))
