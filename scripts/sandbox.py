#!/usr/bin/env python3
"""The steps of `make sandbox` that talk to the local AWS, and the end-to-end checks of Classic's test.

  sandbox.py push-images <outputs.json>        Inspector v2: push an image into each workload repository
  sandbox.py populate <outputs.json> --images N --instances M
                                               Inspector v2 (benchmark): N images and M instances more per member and region
  sandbox.py scan     <outputs.json>           Inspector v2: make the emulator scan now;
                                               Classic: fire every member region's schedule (the runs it would start)
  sandbox.py count    <outputs.json>           the number of finding documents in S3
  sandbox.py drain    <outputs.json> <logs> [--only send|notify]
                                               run the deployed Lambdas until the central queues are empty
  sandbox.py summary  <outputs.json> <state> [<report.html>]  print what the pipeline did
  sandbox.py check    <outputs.json> <state> <external id>    assert the pipeline's guarantees
  sandbox.py check-report <outputs.json> <report.html> <artefacts dir>
                                               Chromium renders the report: its numbers are S3's; screenshots
  sandbox.py poison   <outputs.json> <logs>    put an unparseable message on the send queue; it must reach the DLQ
  sandbox.py snapshot  <outputs.json> <file>    save the messages waiting on the central queues
  sandbox.py redeliver <outputs.json> <file>    put them on the queues again (SQS delivers at least once)
  sandbox.py set-findings-per-instance <n>     how many findings each tagged instance gets per run

The engine is the one the outputs describe: examples/sandbox (Inspector v2, with `workloads`)
or examples/sandbox-classic (with `assessment_template_arns`). The v2 sandbox's checks are
a Rust test (tests/e2e); these Classic checks predate it.
<state> is the sandbox's directory (mailbox/, the OpenSearch domain name in opensearch-domain).
Runs with the local AWS's env sourced (AWS_ENDPOINT_URL).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

from botocore.exceptions import ClientError
from localaws.accounts import Accounts
from localaws.lambda_runner import Runner
from localaws.schedules import fire

ENDPOINT = os.environ.get("AWS_ENDPOINT_URL") or sys.exit("sandbox.py: source the local AWS's env first (AWS_ENDPOINT_URL)")
ACCOUNTS = Accounts(ENDPOINT)
SEVERITIES = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
V2_SEVERITIES = ["UNTRIAGED", *SEVERITIES]  # ranked as the pipeline ranks them
CLASSIC_SEVERITY = {"High": "HIGH", "Medium": "MEDIUM", "Low": "LOW", "Informational": "INFORMATIONAL", "Undefined": "INFORMATIONAL"}
FINDINGS_PREFIX = "findings/"
INDEX = "inspector-findings"


class Estate:
    """What the sandbox's terraform outputs say about the estate."""

    def __init__(self, outputs_path: str):
        self.outputs = {key: value["value"] for key, value in json.loads(Path(outputs_path).read_text()).items()}
        self.v2 = "workloads" in self.outputs
        self.templates: dict[str, str] = self.outputs.get("assessment_template_arns", {})
        queue = self.outputs["dlq_arns"]["send"].split(":")
        self.security, self.primary = queue[4], queue[3]
        self.bucket: str = self.outputs["findings_bucket"]
        self.prefix = self.bucket.removesuffix(f"-findings-{self.security}")

    def member_regions(self) -> list[tuple[str, str]]:
        return [tuple(key.split("/")) for key in sorted(self.outputs["workloads"] if self.v2 else self.templates)]

    def regions(self) -> list[str]:
        return sorted({region for _, region in self.member_regions()}, key=lambda r: r != self.primary)

    def client(self, service: str, account: str | None = None, region: str | None = None):
        return ACCOUNTS.client(service, account or self.security, region or self.primary)

    def documents(self) -> dict[str, dict]:
        """Every finding document in the bucket, by S3 key."""
        s3 = self.client("s3")
        found = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=FINDINGS_PREFIX):
            for item in page.get("Contents", []):
                found[item["Key"]] = json.loads(s3.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read())
        return found

    def indexed(self, state: Path) -> dict[str, dict]:
        domain = (state / "opensearch-domain").read_text().strip()
        with urllib.request.urlopen(f"{ENDPOINT}/_localaws/opensearch-admin/{domain}", timeout=30) as answer:
            described = json.loads(answer.read())
        return {doc_id: doc["_source"] for doc_id, doc in described["documents"].get(INDEX, {}).items()}

    def emulator_findings(self) -> dict[str, dict]:
        """Every finding the runs of the estate's templates produced, by ARN (ListFindings + DescribeFindings)."""
        findings = {}
        for account, region in self.member_regions():
            inspector = ACCOUNTS.client("inspector", account, region)
            template = self.templates[f"{account}/{region}"]
            runs = [
                arn
                for page in inspector.get_paginator("list_assessment_runs").paginate(assessmentTemplateArns=[template])
                for arn in page["assessmentRunArns"]
            ]
            if not runs:
                continue
            pages = inspector.get_paginator("list_findings").paginate(assessmentRunArns=runs)
            arns = [arn for page in pages for arn in page["findingArns"]]
            for start in range(0, len(arns), 10):
                for finding in inspector.describe_findings(findingArns=arns[start : start + 10])["findings"]:
                    findings[finding["arn"]] = finding
        return findings

    def queue_url(self, kind: str) -> str:
        return self.outputs["queue_urls"][kind]

    def dlq_url(self, kind: str) -> str:
        name = self.outputs["dlq_arns"][kind].split(":")[5]
        return self.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]


def _shown(path: Path) -> str:
    """A path relative to the working directory when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def mailbox(state: Path) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted((state / "mailbox").glob("*.json"))]


def scan(estate: Estate) -> None:
    total = 0
    for account, region in estate.member_regions():
        for run in fire(ACCOUNTS, account, region, prefix=estate.prefix):
            if "error" in run:
                sys.exit(f"sandbox: schedule {run['rule']} in {account} {region}: {run['error']}")
            if "run" not in run:
                continue
            count = sum(run["findings"].values())
            total += count
            print(f"{account} {region}: {run['rule']} ({run['schedule']}) started {run['run'].split('/')[-1]}: {run['state']}, {count} findings")
    print(f"findings reported: {total}")


def drain(estate: Estate, logs: Path, only: str | None, timeout: float) -> None:
    state = logs.parent
    domain = (state / "opensearch-domain").read_text().strip()
    # No OpenSearch data plane here: send-findings indexes into the local AWS's test domain
    # instead of the endpoint it was deployed with (same SigV4 signing, same _bulk API).
    overrides = {"OPENSEARCH_ENDPOINT": f"{ENDPOINT}/_localaws/opensearch/{domain}"}
    runner = Runner(ACCOUNTS, estate.security, estate.primary, logs, overrides, function_prefix=f"{estate.prefix}-")
    if only:
        queue_name = estate.queue_url(only).rsplit("/", 1)[1]
        runner.mappings = [m for m in runner.mappings if m.queue_arn.rsplit(":", 1)[1] == queue_name]
    started = time.monotonic()
    try:
        runner.drain(timeout)
    finally:
        runner.close()  # stops the instances: their CPU time is read then
    seconds = time.monotonic() - started
    for line in runner.summary():
        print(
            f"{line['function']}: {line['records']} records in {line['invocations']} invocations, "
            f"{line['failed_records']} failed, {line['invocation_errors']} invocation errors, {line['cpu_seconds']} s CPU"
        )
    print(f"drained in {seconds:.1f} s")
    (logs / "drain.json").write_text(json.dumps({"seconds": seconds, "functions": runner.summary()}))


def summary(estate: Estate, state: Path, report: str | None) -> None:
    documents = list(estate.documents().items())
    indexed = estate.indexed(state)
    notes = mailbox(state)
    by_place = Counter((d["account_id"], d["region"]) for _, d in documents)
    by_severity = Counter(d["severity"] for _, d in documents)
    print(f"Findings by account and region ({len(documents)} in all):")
    for (account, region), count in sorted(by_place.items()):
        severities = Counter(d["severity"] for _, d in documents if (d["account_id"], d["region"]) == (account, region))
        detail = ", ".join(f"{severities[s]} {s}" for s in reversed(SEVERITIES) if severities[s])
        print(f"  {account}  {region:<10} {count:>4}   {detail}")
    print("By severity: " + ", ".join(f"{s} {by_severity[s]}" for s in reversed(SEVERITIES) if by_severity[s]))
    print(f"S3: {len(documents)} objects in s3://{estate.bucket}/{FINDINGS_PREFIX}")
    if documents:
        print(f"  e.g. {documents[0][0]}")
    print(f"OpenSearch: {len(indexed)} documents in index {INDEX} (the local test domain {(state / 'opensearch-domain').read_text().strip()})")
    threshold = sum(1 for _, d in documents if SEVERITIES.index(d["severity"]) >= SEVERITIES.index("MEDIUM"))
    print(f"Notifications: {len(notes)} delivered to the HTTP mailbox ({threshold} findings at MEDIUM or above), one file each in {_shown(state / 'mailbox')}/")
    if notes:
        print(f"  e.g. {sorted((state / 'mailbox').glob('*.json'))[0].name}: {notes[0]['envelope'].get('Subject')}")
    sqs = estate.client("sqs")
    dead = {
        kind: sqs.get_queue_attributes(QueueUrl=estate.dlq_url(kind), AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
            "ApproximateNumberOfMessages"
        ]
        for kind in ("send", "notify")
    }
    print(f"Dead-letter queues: send-findings {dead['send']}, notify-findings {dead['notify']} messages")
    if report:
        print(f"Report: {_shown(Path(report))}")


# --- Inspector v2 ----------------------------------------------------------------------------


def push_images(estate: Estate) -> None:
    """One image (tag 1.0.0) into each workload repository: Terraform cannot push images."""
    for place, workload in sorted(estate.outputs["workloads"].items()):
        account, region = place.split("/")
        ecr = ACCOUNTS.client("ecr", account, region)
        for repository in workload["repositories"]:
            # A fixed manifest per repository: the same image on every run.
            config = hashlib.sha256(repository.encode()).hexdigest()
            layer = hashlib.sha256(f"{repository}/layer".encode()).hexdigest()
            manifest = {
                "schemaVersion": 2,
                "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1470, "digest": f"sha256:{config}"},
                "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 29124181, "digest": f"sha256:{layer}"}],
            }
            try:
                ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag="1.0.0")
                print(f"{account} {region}: pushed {repository}:1.0.0")
            except ClientError as err:
                if err.response["Error"]["Code"] != "ImageAlreadyExistsException":
                    raise
                print(f"{account} {region}: {repository}:1.0.0 is already there")


def populate(estate: Estate, images: int, instances: int) -> None:
    """More for Inspector v2 to scan, in every member account and region (the benchmark):
    `images` ECR images (four findings each) and `instances` Linux instances (two each)."""
    members = sorted({account for account in estate.outputs["associated_account_ids"][estate.primary]})
    for account in members:
        for region in estate.regions():
            ecr = ACCOUNTS.client("ecr", account, region)
            repository = f"{estate.prefix}/bench"
            try:
                ecr.create_repository(repositoryName=repository)
            except ClientError as err:
                if err.response["Error"]["Code"] != "RepositoryAlreadyExistsException":
                    raise
            for n in range(images):
                layer = hashlib.sha256(f"{account}/{region}/{n}".encode()).hexdigest()
                manifest = {
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1470, "digest": f"sha256:{layer[::-1]}"},
                    "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": 1000 + n, "digest": f"sha256:{layer}"}],
                }
                try:
                    ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=f"build-{n}")
                except ClientError as err:
                    if err.response["Error"]["Code"] != "ImageAlreadyExistsException":
                        raise
            ec2 = ACCOUNTS.client("ec2", account, region)
            ec2.run_instances(
                ImageId="ami-1e749f67", InstanceType="t3.micro", MinCount=instances, MaxCount=instances,
                TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": f"{estate.prefix}-bench"}]}],
            )
            print(f"{account} {region}: {images} images, {instances} instances")


def scan_now() -> dict:
    """Makes the local AWS's Inspector v2 scan at once (it also scans every second)."""
    request = urllib.request.Request(
        f"{ENDPOINT}/_localaws/inspector2/scan", data=b"{}", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.loads(answer.read())


def admin_findings(estate: Estate) -> list[dict]:
    """Every finding of the organisation, as the delegated administrator lists it."""
    found = []
    for region in estate.regions():
        inspector = ACCOUNTS.client("inspector2", estate.security, region)
        for page in inspector.get_paginator("list_findings").paginate():
            found += page["findings"]
    return found


def admin_coverage(estate: Estate) -> list[dict]:
    found = []
    for region in estate.regions():
        inspector = ACCOUNTS.client("inspector2", estate.security, region)
        for page in inspector.get_paginator("list_coverage").paginate():
            found += [dict(item, region=region) for item in page["coveredResources"]]
    return found


def scan_v2(estate: Estate) -> None:
    state = scan_now()
    members = {account for account, _ in estate.member_regions()}
    findings = [f for f in admin_findings(estate) if f["awsAccountId"] in members]
    for region in estate.regions():
        here = Counter(f["status"] for f in findings if f["resources"][0]["region"] == region)
        print(f"{region}: {sum(here.values())} findings (" + ", ".join(f"{n} {s}" for s, n in sorted(here.items())) + ")")
    print(f"Inspector v2 pass {state['passes']}; {state['events_sent']} finding, scan and coverage events sent since the local AWS started")


def _resource_name(document: dict, names: dict[str, str]) -> str:
    resource = document["resource"]
    if resource["id"] in names:
        return names[resource["id"]]
    # An instance gone from the outputs (terminated) still has its Name tag in the finding.
    named = (resource.get("tags") or {}).get("Name", "")
    prefix = document["_prefix"]
    if named.startswith(f"{prefix}-"):
        return named.removeprefix(f"{prefix}-")
    if resource.get("repository_name"):
        return f"{resource['repository_name']}:{','.join(resource.get('image_tags') or []) or resource['id'][-12:]}"
    return resource.get("function_name") or resource["id"]


def summary_v2(estate: Estate, state: Path, report: str | None) -> None:
    documents = list(estate.documents().items())
    docs = [dict(d, _prefix=estate.prefix) for _, d in documents]
    indexed = estate.indexed(state)
    notes = mailbox(state)
    members = {account for account, _ in estate.member_regions()}
    # Names the sandbox gave its instances and functions, to show instead of ids.
    names = {}
    for workload in estate.outputs["workloads"].values():
        names.update({instance: name for name, instance in workload["instances"].items()})
        names.update({arn + ":$LATEST": name for name, arn in workload["functions"].items()})

    rank = lambda d: V2_SEVERITIES.index(d["severity"])  # noqa: E731
    print(f"Findings by account and region ({len(docs)} in all, Inspector v2):")
    for (account, region), count in sorted(Counter((d["account_id"], d["region"]) for d in docs).items()):
        here = [d for d in docs if (d["account_id"], d["region"]) == (account, region)]
        severities = Counter(d["severity"] for d in here)
        detail = ", ".join(f"{severities[s]} {s}" for s in reversed(V2_SEVERITIES) if severities[s])
        print(f"  {account}  {region:<10} {count:>3}   {detail}")
    types = Counter(d["resource"]["type"] for d in docs)
    print("By resource type: " + ", ".join(f"{t} {n}" for t, n in types.most_common()))
    statuses = Counter(d["status"] for d in docs)
    print("By status: " + ", ".join(f"{s} {statuses[s]}" for s in ("ACTIVE", "CLOSED", "SUPPRESSED") if statuses[s]))

    # Top five open findings: severity first, then the chance of exploitation (EPSS).
    open_docs = sorted((d for d in docs if d["status"] == "ACTIVE"), key=lambda d: (rank(d), d.get("epss_score") or 0), reverse=True)[:5]
    kev = {}
    for region in estate.regions():
        arns = [d["finding_arn"] for d in open_docs if d["region"] == region]
        if arns:
            inspector = ACCOUNTS.client("inspector2", estate.security, region)
            for detail in inspector.batch_get_finding_details(findingArns=arns).get("findingDetails", []):
                if detail.get("cisaData"):
                    kev[detail["findingArn"]] = detail["cisaData"]
    print("Top five open findings (severity, then EPSS; KEV: in CISA's Known Exploited Vulnerabilities, with its due date):")
    for d in open_docs:
        epss = f"EPSS {d['epss_score']:.2f}" if d.get("epss_score") is not None else "EPSS -"
        cisa = kev.get(d["finding_arn"])
        known = f"KEV due {cisa['dateDue']:%Y-%m-%d}" if cisa else "not in KEV"
        vuln = d.get("vulnerability_id") or d["finding_type"]
        print(f"  {d['severity']:<8} {vuln:<16} {epss:<9} {known:<17} {_resource_name(d, names)} ({d['account_id']} {d['region']})")

    coverage = [c for c in admin_coverage(estate) if c["accountId"] in members]
    scanned = [c for c in coverage if c["scanStatus"]["statusCode"] == "ACTIVE"]
    print(f"Coverage (ListCoverage, as the delegated administrator): {len(scanned)} of {len(coverage)} resources scanned")
    for c in sorted(coverage, key=lambda c: (c["scanStatus"]["statusCode"], c["accountId"], c["resourceType"])):
        if c["scanStatus"]["statusCode"] != "ACTIVE":
            name = names.get(c["resourceId"], c["resourceId"])
            print(f"  not scanned: {name} ({c['resourceType']}, {c['accountId']} {c['region']}): {c['scanStatus']['reason']}")

    print(f"S3: {len(docs)} objects in s3://{estate.bucket}/{FINDINGS_PREFIX}")
    print(f"OpenSearch: {len(indexed)} documents in index {INDEX} (the local test domain {(state / 'opensearch-domain').read_text().strip()})")
    announced = Counter(n["finding"]["status"] for n in notes)
    print(
        f"Notifications: {len(notes)} delivered to the HTTP mailbox ("
        + ", ".join(f"{n} {s}" for s, n in sorted(announced.items()))
        + f"; one per finding and state at MEDIUM or above), one file each in {_shown(state / 'mailbox')}/"
    )
    for status in ("CLOSED", "SUPPRESSED"):
        changed = [d for d in docs if d["status"] == status]
        if changed:
            print(f"{status} ({len(changed)}):")
            for d in changed:
                told = sum(1 for n in notes if n["finding"]["finding_arn"] == d["finding_arn"] and n["finding"]["status"] == status)
                print(f"  {d['severity']:<8} {d.get('vulnerability_id') or d['finding_type']:<16} {_resource_name(d, names)}: {told} notification")
    sqs = estate.client("sqs")
    depth = lambda url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"]  # noqa: E731
    forwarding = {
        region: ACCOUNTS.client("sqs", estate.security, region).get_queue_attributes(
            QueueUrl=rule["dlq_url"], AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        for region, rule in estate.outputs["rules"].items()
    }
    print(
        f"Dead-letter queues: send-findings {depth(estate.dlq_url('send'))}, notify-findings {depth(estate.dlq_url('notify'))}, "
        + ", ".join(f"forwarding {region} {n}" for region, n in sorted(forwarding.items()))
        + " messages"
    )
    if report:
        print(f"Report: {_shown(Path(report))}")


def check(estate: Estate, state: Path, external_id: str) -> None:
    """The end-to-end guarantees (issue: make sandbox); each prints `ok: ...` or fails."""
    produced = estate.emulator_findings()
    documents = estate.documents()
    indexed = estate.indexed(state)
    assert produced, "the runs produced no finding: nothing to check"

    # Every finding Inspector produced is in S3 and in the index exactly once.
    per_arn = Counter(d["finding_arn"] for d in documents.values())
    missing = set(produced) - set(per_arn)
    assert not missing, f"{len(missing)} findings are not in S3, e.g. {sorted(missing)[:2]}"
    doubled = {arn: n for arn, n in per_arn.items() if n > 1}
    assert not doubled, f"findings stored more than once: {list(doubled.items())[:2]}"
    extra = set(per_arn) - set(produced)
    assert not extra, f"documents for findings Inspector never produced: {sorted(extra)[:2]}"
    indexed_arns = Counter(d["finding_arn"] for d in indexed.values())
    assert set(indexed_arns) == set(produced) and max(indexed_arns.values()) == 1, (
        f"index: {len(indexed_arns)} findings, {sum(indexed_arns.values())} documents; expected {len(produced)} once each"
    )
    assert all(doc_id == d["id"] for doc_id, d in indexed.items()), "an index document's _id is not its finding id"
    print(f"ok: all {len(produced)} findings Inspector produced are in S3 and in the index exactly once")

    # Notifications only at or above the threshold (MEDIUM), one per finding.
    wanted = {arn for arn, f in produced.items() if SEVERITIES.index(CLASSIC_SEVERITY[f["severity"]]) >= SEVERITIES.index("MEDIUM")}
    notes = mailbox(state)
    notified = Counter(n["finding"]["finding_arn"] for n in notes)
    assert set(notified) == wanted, f"notified {len(notified)} findings, expected the {len(wanted)} at MEDIUM or above"
    assert max(notified.values(), default=1) == 1, f"a finding was notified twice: {notified.most_common(1)}"
    below = len(produced) - len(wanted)
    print(f"ok: {len(notes)} notifications for the {len(wanted)} findings at MEDIUM or above; none for the {below} below")

    # Untagged instances produce no finding.
    untagged = {i for place in estate.outputs["instances"].values() for i in place["untagged"]}
    tagged = {i for place in estate.outputs["instances"].values() for i in place["tagged"]}
    assessed = {d["resource"]["id"] for d in documents.values()}
    assert not assessed & untagged, f"untagged instances have findings: {sorted(assessed & untagged)}"
    assert assessed <= tagged, f"findings for instances the sandbox did not create: {sorted(assessed - tagged)[:3]}"
    print(f"ok: the {len(untagged)} untagged instances have no finding; findings cover {len(assessed)} of {len(tagged)} tagged ones")

    # The member roles refuse the central Lambda role without the external id.
    lambda_role = f"arn:aws:iam::{estate.security}:role/{estate.prefix}-send-findings"
    keys = ACCOUNTS.service_credentials(lambda_role, "lambda.amazonaws.com", source_account=estate.security)
    sts = ACCOUNTS.client_with(keys, "sts", estate.primary)
    for account, role in estate.outputs["read_role_arns"].items():
        try:
            sts.assume_role(RoleArn=role, RoleSessionName="no-external-id")
            raise AssertionError(f"{role} let the send-findings role in without an external id")
        except ClientError as err:
            assert err.response["Error"]["Code"] == "AccessDenied", err
        try:
            sts.assume_role(RoleArn=role, RoleSessionName="wrong-external-id", ExternalId=external_id + "-wrong")
            raise AssertionError(f"{role} let the send-findings role in with a wrong external id")
        except ClientError as err:
            assert err.response["Error"]["Code"] == "AccessDenied", err
        sts.assume_role(RoleArn=role, RoleSessionName="with-external-id", ExternalId=external_id)
    print(f"ok: the {len(estate.outputs['read_role_arns'])} member read roles refuse send-findings without the right external id")


def poison(estate: Estate, logs: Path) -> None:
    """An unparseable message on the send queue ends in its DLQ, and the function logged why."""
    sqs = estate.client("sqs")
    body = '{"Type": "Notification", "Message": "this is not an Inspector notification"'
    message_id = sqs.send_message(QueueUrl=estate.queue_url("send"), MessageBody=body)["MessageId"]
    drain(estate, logs, "send", timeout=120)
    dlq = estate.dlq_url("send")
    seen = []
    for _ in range(5):
        seen += sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, AttributeNames=["All"], VisibilityTimeout=0).get("Messages", [])
        if any(m["Body"] == body for m in seen):
            break
        time.sleep(0.5)
    moved = [m for m in seen if m["Body"] == body]
    assert moved, f"the poison message {message_id} is not in {dlq}"
    receives = int(moved[0]["Attributes"]["ApproximateReceiveCount"])
    log = (logs / f"{estate.prefix}-send-findings.log").read_text(errors="replace")
    reasons = [line for line in log.splitlines() if message_id in line]
    assert reasons, f"send-findings logged nothing about {message_id}"
    print(f"ok: poison message {message_id} moved to the DLQ after {receives - 1} failed receives; send-findings logged: {reasons[-1][:300]}")


CHROMIUM_FLAGS = [
    # Headless, with a fresh profile and nothing that reaches for the network (closed here).
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1",
]  # fmt: skip


def chromium(args: list[str]) -> str:
    import shutil
    import subprocess
    import tempfile

    binary = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None)
    if binary is None:
        sys.exit("sandbox.py: Chromium is not installed: run `make setup` (Debian packages chromium and chromium-driver)")
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=180
        )
    assert done.returncode == 0, f"chromium {args} failed: {done.stderr[-2000:]}"
    return done.stdout


def shown_metrics(dom: str) -> dict[tuple[str, str], int]:
    """Every number the report shows: (data-metric, data-key) -> value; the text must equal data-value."""
    import html
    import re

    shown = {}
    pattern = r'<[a-z0-9]+[^>]*?data-metric="([^"]+)"(?: data-key="([^"]*)")? data-value="(\d+)"[^>]*>([^<]*)<'
    for name, key, value, text in re.findall(pattern, dom):
        assert text.replace(",", "") == value, f"{name} {key}: shows {text!r}, data-value {value}"
        shown[(name, html.unescape(key))] = int(value)
    return shown


def check_report(estate: Estate, report: Path, artefacts: Path) -> None:
    """The report of the sandbox's findings, rendered by headless Chromium, shows the numbers in S3."""
    documents = list(estate.documents().values())
    dom = chromium(["--dump-dom", report.resolve().as_uri()])
    assert "<script" not in dom, "a script element reached the DOM"
    shown = shown_metrics(dom)
    assert shown.get(("total", "")) == len(documents), f"total: shows {shown.get(('total', ''))}, S3 has {len(documents)}"
    for metric, field in (("severity-all", "severity"), ("account-all", "account_id"), ("region-all", "region")):
        expected = Counter(d[field] for d in documents)
        actual = {key: value for (name, key), value in shown.items() if name == metric and value}
        assert actual == dict(expected), f"{metric}: shows {actual}, S3 has {dict(expected)}"
    print(f"ok: Chromium shows the {len(documents)} findings in S3, by severity, account and region ({len(shown)} numbers)")
    artefacts.mkdir(parents=True, exist_ok=True)
    for name, width, height in (("phone", 390, 3000), ("desktop", 1366, 2400)):
        path = artefacts / f"sandbox-report-{name}.png"
        chromium([f"--screenshot={path}", f"--window-size={width},{height}", report.resolve().as_uri()])
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
        print(f"ok: screenshot ({name}, {width} px): {_shown(path)}")


def snapshot(estate: Estate, path: Path) -> None:
    """Copies the bodies (and attributes) waiting on the send and notify queues to `path`."""
    sqs = estate.client("sqs")
    saved: dict[str, list[dict]] = {}
    for kind in ("send", "notify"):
        url = estate.queue_url(kind)
        seen: dict[str, dict] = {}
        handles = []
        while True:
            # Hidden while we look, so each is read once; made visible again below.
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60, MessageAttributeNames=["All"])
            messages = batch.get("Messages", [])
            if not messages:
                break
            for message in messages:
                seen[message["MessageId"]] = {"body": message["Body"], "attributes": message.get("MessageAttributes", {})}
                handles.append(message["ReceiptHandle"])
        for start in range(0, len(handles), 10):
            entries = [{"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": 0} for i, h in enumerate(handles[start : start + 10])]
            sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)
        saved[kind] = list(seen.values())
    path.write_text(json.dumps(saved))
    print(", ".join(f"{kind}: {len(messages)} messages" for kind, messages in saved.items()) + f" saved to {path}")


def redeliver(estate: Estate, path: Path) -> None:
    """Puts the saved messages on their queues again: SQS delivers at least once."""
    sqs = estate.client("sqs")
    for kind, messages in json.loads(path.read_text()).items():
        for start in range(0, len(messages), 10):
            entries = [
                {"Id": str(i), "MessageBody": m["body"], **({"MessageAttributes": m["attributes"]} if m["attributes"] else {})}
                for i, m in enumerate(messages[start : start + 10])
            ]
            failed = sqs.send_message_batch(QueueUrl=estate.queue_url(kind), Entries=entries).get("Failed", [])
            assert not failed, failed
        print(f"{kind}: {len(messages)} messages delivered again")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("scan").add_argument("outputs")
    sub.add_parser("push-images").add_argument("outputs")
    pop = sub.add_parser("populate")
    pop.add_argument("outputs")
    pop.add_argument("--images", type=int, required=True)
    pop.add_argument("--instances", type=int, required=True)
    sub.add_parser("count").add_argument("outputs")
    for name in ("snapshot", "redeliver"):
        r = sub.add_parser(name)
        r.add_argument("outputs")
        r.add_argument("file", type=Path)
    d = sub.add_parser("drain")
    d.add_argument("outputs")
    d.add_argument("logs", type=Path)
    d.add_argument("--only", choices=["send", "notify"])
    d.add_argument("--timeout", type=float, default=900)
    s = sub.add_parser("summary")
    s.add_argument("outputs")
    s.add_argument("state", type=Path)
    s.add_argument("report", nargs="?")
    c = sub.add_parser("check")
    c.add_argument("outputs")
    c.add_argument("state", type=Path)
    c.add_argument("external_id")
    r = sub.add_parser("check-report")
    r.add_argument("outputs")
    r.add_argument("report", type=Path)
    r.add_argument("artefacts", type=Path)
    p = sub.add_parser("poison")
    p.add_argument("outputs")
    p.add_argument("logs", type=Path)
    f = sub.add_parser("set-findings-per-instance")
    f.add_argument("count", type=int)
    args = parser.parse_args()

    if args.command == "set-findings-per-instance":
        request = urllib.request.Request(
            f"{ENDPOINT}/_localaws/inspector/config",
            data=json.dumps({"findings_per_instance": args.count}).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).read()
        return
    estate = Estate(args.outputs)
    if args.command == "scan":
        scan_v2(estate) if estate.v2 else scan(estate)
    elif args.command == "push-images":
        push_images(estate)
    elif args.command == "populate":
        populate(estate, args.images, args.instances)
    elif args.command == "count":
        print(len(estate.documents()))
    elif args.command == "drain":
        drain(estate, args.logs, args.only, args.timeout)
    elif args.command == "summary":
        (summary_v2 if estate.v2 else summary)(estate, args.state, args.report)
    elif args.command == "check":
        check(estate, args.state, args.external_id)
    elif args.command == "check-report":
        check_report(estate, args.report, args.artefacts)
    elif args.command == "poison":
        poison(estate, args.logs)
    elif args.command == "snapshot":
        snapshot(estate, args.file)
    elif args.command == "redeliver":
        redeliver(estate, args.file)


if __name__ == "__main__":
    main()
