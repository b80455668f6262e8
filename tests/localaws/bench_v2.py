"""Benchmark: Inspector v2 findings produced and delivered as events, per second.

Uses the running local AWS (starts nothing: `python -m localaws up` first; the server is
found through $AWS_ENDPOINT_URL or $LOCALAWS_STATE_DIR). In 10 fresh accounts, each with an
EventBridge rule sending `Inspector2 Finding` events to an SQS queue: 96 Linux EC2
instances behind a security group that opens 9 port ranges to 0.0.0.0/0 (2 package + 9
network findings each) and 4 ECR images (4 findings each), 1,072 findings per account.
The clock starts when v2 (EC2, ECR) is enabled in the accounts and stops when every
queue holds one event per expected finding; then the findings are counted through
ListFindingAggregations. Prints

    BENCH localaws_v2_findings_per_second <value> findings/s

Run: `cd tests/localaws && ../../.venv/bin/python bench_v2.py` (exit 1 if a count is off
or it takes longer than --timeout seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from localaws import control
from localaws.accounts import Accounts
from localaws.inspector2 import catalogue

REGION = "us-east-1"
LINUX_AMI = "ami-1e749f67"
INSTANCES = 96
IMAGES = 4
OPEN_PORTS = [22, 80, 443, 3306, 3389, 5432, 6379, 8080, 9200]


def endpoint() -> str:
    if os.environ.get("AWS_ENDPOINT_URL"):
        return os.environ["AWS_ENDPOINT_URL"]
    info = control.running_server(control.state_dir())
    if not info:
        sys.exit("bench_v2: no local AWS is running (python -m localaws up)")
    return f"http://{control.HOST}:{info['port']}"


def fresh_account() -> str:
    return "7" + "".join(secrets.choice("0123456789") for _ in range(11))


def expected_per_account() -> int:
    linux = len(catalogue.entries_for("EC2_LINUX")) + len(OPEN_PORTS)
    return INSTANCES * linux + IMAGES * len(catalogue.entries_for("ECR"))


def prepare(accounts: Accounts, account: str) -> str:
    """Queue, rule, security group, instances and images; answers the queue URL."""
    sqs = accounts.client("sqs", account, REGION)
    url = sqs.create_queue(QueueName="bench-findings")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = accounts.client("events", account, REGION)
    events.put_rule(Name="bench-findings", EventPattern=json.dumps({"source": ["aws.inspector2"], "detail-type": ["Inspector2 Finding"]}))
    events.put_targets(Rule="bench-findings", Targets=[{"Id": "queue", "Arn": arn}])

    ec2 = accounts.client("ec2", account, REGION)
    group = ec2.create_security_group(GroupName="bench-open", Description="bench")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]} for p in OPEN_PORTS])
    ec2.run_instances(ImageId=LINUX_AMI, MinCount=INSTANCES, MaxCount=INSTANCES, SecurityGroupIds=[group])

    ecr = accounts.client("ecr", account, REGION)
    ecr.create_repository(repositoryName="bench")
    for i in range(IMAGES):
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 7023,
                               "digest": "sha256:" + secrets.token_hex(32)},
                    "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 32654,
                                "digest": "sha256:" + secrets.token_hex(32)}]}
        ecr.put_image(repositoryName="bench", imageManifest=json.dumps(manifest), imageTag=f"v{i}")
    return url


def queued(accounts: Accounts, account: str, url: str) -> int:
    attributes = accounts.client("sqs", account, REGION).get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def findings_of(accounts: Accounts, account: str) -> int:
    v2 = accounts.client("inspector2", account, REGION)
    rows = v2.list_finding_aggregations(aggregationType="ACCOUNT")["responses"]
    return sum(r["accountAggregation"]["severityCounts"]["all"] for r in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()

    accounts = Accounts(endpoint())
    ids = [fresh_account() for _ in range(args.accounts)]
    with ThreadPoolExecutor(4) as pool:
        queues = dict(zip(ids, pool.map(lambda a: prepare(accounts, a), ids)))
    clients = {a: accounts.client("inspector2", a, REGION) for a in ids}
    per_account = expected_per_account()
    total = per_account * len(ids)

    started = time.monotonic()
    for account in ids:
        clients[account].enable(accountIds=[account], resourceTypes=["EC2", "ECR"])
    while True:
        counts = {a: queued(accounts, a, queues[a]) for a in ids}
        if all(n >= per_account for n in counts.values()):
            break
        if time.monotonic() - started > args.timeout:
            print(f"bench_v2: timed out after {args.timeout:.0f}s with {sum(counts.values())} of {total} events", file=sys.stderr)
            return 1
        time.sleep(0.2)
    elapsed = time.monotonic() - started

    findings = sum(findings_of(accounts, a) for a in ids)
    events = sum(counts.values())
    print(f"accounts={len(ids)} resources={len(ids) * (INSTANCES + IMAGES)} findings={findings} events={events} seconds={elapsed:.1f}")
    print(f"BENCH localaws_v2_findings_per_second {findings / elapsed:.0f} findings/s")
    for account in ids:  # leave the server as we found it: no scanning of these accounts
        clients[account].disable(accountIds=[account])
    if findings != total or events != total:
        print(f"bench_v2: expected {total} findings and events, got {findings} findings and {events} events", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
