"""Inspector Classic through the deployed security stack: a listed member's findings reach
both central queues from both regions; an unlisted member's are dropped.

Usage: check.py <terraform output -json file> <run id>   (scripts/test-modules.sh runs it
against the local AWS of $AWS_ENDPOINT_URL). SubscribeToEvent itself checks that the
topic policy lets the region's Inspector service account publish (the emulator refuses
otherwise), so a subscription that succeeds is the policy working.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "localaws"))

from localaws.accounts import Accounts  # noqa: E402
from localaws.inspector.facts import region_facts  # noqa: E402

LISTED, UNLISTED = "222222222222", "333333333333"
REGIONS = ("us-east-1", "us-west-2")
AMI = "ami-12c6146b"  # one of moto's built-in AMIs


def run_assessment(accounts: Accounts, account: str, region: str, topic: str, tag: str) -> tuple[str, list[str]]:
    ec2 = accounts.client("ec2", account, region)
    ins = accounts.client("inspector", account, region)
    instance = ec2.run_instances(
        ImageId=AMI, MinCount=1, MaxCount=1,
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Inspect", "Value": tag}]}],
    )["Instances"][0]["InstanceId"]
    group = ins.create_resource_group(resourceGroupTags=[{"key": "Inspect", "value": tag}])["resourceGroupArn"]
    target = ins.create_assessment_target(assessmentTargetName=f"target-{tag}", resourceGroupArn=group)["assessmentTargetArn"]
    cve = next(p.arn for p in region_facts(region).rules_packages if p.name == "Common Vulnerabilities and Exposures")
    template = ins.create_assessment_template(
        assessmentTargetArn=target, assessmentTemplateName=f"template-{tag}", durationInSeconds=3600, rulesPackageArns=[cve],
    )["assessmentTemplateArn"]
    ins.subscribe_to_event(resourceArn=template, event="FINDING_REPORTED", topicArn=topic)
    run = ins.start_assessment_run(assessmentTemplateArn=template)["assessmentRunArn"]
    findings = ins.list_findings(assessmentRunArns=[run], maxResults=500)["findingArns"]
    return target, findings, instance


def drain(sqs, queue_url: str) -> list[dict]:
    messages = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            messages.append(json.loads(json.loads(message["Body"])["Message"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def main() -> int:
    outputs = {k: v["value"] for k, v in json.loads(Path(sys.argv[1]).read_text()).items()}
    tag = f"ilstack-{sys.argv[2]}"
    accounts = Accounts(os.environ["AWS_ENDPOINT_URL"])
    sqs = accounts.client("sqs", "111111111111", "us-east-1")

    created, expected = [], []
    for region, topic in zip(REGIONS, outputs["topic_arns"], strict=True):
        for account in (LISTED, UNLISTED):
            target, findings, instance = run_assessment(accounts, account, region, topic, f"{tag}-{account[:3]}")
            created.append((account, region, target, instance))
            if account == LISTED:
                expected += findings
            print(f"  {account} {region}: {len(findings)} findings reported to {topic}")

    ok = True
    for name, url in zip(("send", "notify"), outputs["queue_urls"], strict=True):
        messages = drain(sqs, url)
        by_account = Counter(m["template"].split(":")[4] for m in messages)
        got = sorted(m["finding"] for m in messages if m.get("event") == "FINDING_REPORTED")
        print(f"  {name} queue: {len(messages)} messages, by template account {dict(by_account)}")
        if got != sorted(expected) or UNLISTED in by_account:
            print(f"  FAIL: the {name} queue should hold exactly the {len(expected)} findings of {LISTED}", file=sys.stderr)
            ok = False

    for account, region, target, instance in created:
        accounts.client("inspector", account, region).delete_assessment_target(assessmentTargetArn=target)
        accounts.client("ec2", account, region).terminate_instances(InstanceIds=[instance])
    print("  listed member delivered, unlisted member dropped" if ok else "  check failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
