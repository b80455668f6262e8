#!/usr/bin/env python3
"""The steps of `make sandbox` that talk to the local AWS: they set up, run and print;
judging the outcome is the end-to-end tests' job (tests/e2e).

  sandbox.py push-images <outputs.json>        Inspector v2: push an image into each workload repository
  sandbox.py populate <outputs.json> --images N --instances M
                                               Inspector v2 (benchmark): N images and M instances more per member and region
  sandbox.py scan     <outputs.json>           Inspector v2: make the emulator scan now, fire the coverage sweep;
                                               Classic: fire every member region's schedule (the runs it would start)
  sandbox.py destinations <outputs.json> <tfvars.json> <state>
                                               the routing rules' destinations on the local AWS: each Slack and Teams
                                               webhook URL and Jira API token into its secret, the Jira site; writes
                                               <state>/destinations.json (where each destination's messages land)
  sandbox.py fire-digests <outputs.json>       Inspector v2: fire the digest rules' schedules now (their requests wait
                                               on the notify queue for the next drain)
  sandbox.py count    <outputs.json>           the number of finding documents in S3
  sandbox.py drain    <outputs.json> <logs> [--only send|notify] [--kill-rate R --seed N]
                                               run the deployed Lambdas until the central queues are empty
                                               (chaos: kill that share of the invocations mid-batch)
  sandbox.py summary  <outputs.json> <state> [<report.html>]  print what the pipeline did
  sandbox.py set-findings-per-instance <n>     how many findings each tagged instance gets per run

The engine is the one the outputs describe: examples/sandbox (Inspector v2, with `workloads`)
or examples/sandbox-classic (with `assessment_template_arns`). Both sandboxes' checks are
Rust tests (tests/e2e: sandbox.rs, sandbox_classic.rs), which run these steps.
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
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pyarrow
import pyarrow.parquet
from botocore.exceptions import ClientError
from localaws.accounts import Accounts
from localaws.lambda_runner import Runner
from localaws.schedules import fire

ENDPOINT = os.environ.get("AWS_ENDPOINT_URL") or sys.exit("sandbox.py: source the local AWS's env first (AWS_ENDPOINT_URL)")
ACCOUNTS = Accounts(ENDPOINT)
SEVERITIES = ["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
V2_SEVERITIES = ["UNTRIAGED", *SEVERITIES]  # ranked as the pipeline ranks them
FINDINGS_PREFIX = "findings/"
COVERAGE_PREFIX = "coverage/"
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

    def documents(self, prefix: str = FINDINGS_PREFIX) -> dict[str, dict]:
        """Every document in the bucket under `prefix` (the findings; COVERAGE_PREFIX: the
        coverage documents), by S3 key."""
        s3 = self.client("s3")
        found = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                found[item["Key"]] = json.loads(s3.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read())
        return found

    def indexed(self, state: Path) -> dict[str, dict]:
        domain = (state / "opensearch-domain").read_text().strip()
        with urllib.request.urlopen(f"{ENDPOINT}/_localaws/opensearch-admin/{domain}", timeout=30) as answer:
            described = json.loads(answer.read())
        return {doc_id: doc["_source"] for doc_id, doc in described["documents"].get(INDEX, {}).items()}

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


def drain(estate: Estate, logs: Path, only: str | None, timeout: float, kill_rate: float = 0.0, seed: int | None = None) -> None:
    state = logs.parent
    domain = (state / "opensearch-domain").read_text().strip()
    # No OpenSearch data plane here: send-findings indexes into the local AWS's test domain
    # instead of the endpoint it was deployed with (same SigV4 signing, same _bulk API).
    overrides = {"OPENSEARCH_ENDPOINT": f"{ENDPOINT}/_localaws/opensearch/{domain}"}
    runner = Runner(
        ACCOUNTS, estate.security, estate.primary, logs, overrides, function_prefix=f"{estate.prefix}-", kill_rate=kill_rate, seed=seed
    )
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


def scan_v2(estate: Estate) -> None:
    state = scan_now()
    members = {account for account, _ in estate.member_regions()}
    findings = [f for f in admin_findings(estate) if f["awsAccountId"] in members]
    for region in estate.regions():
        here = Counter(f["status"] for f in findings if f["resources"][0]["region"] == region)
        print(f"{region}: {sum(here.values())} findings (" + ", ".join(f"{n} {s}" for s, n in sorted(here.items())) + ")")
    print(f"Inspector v2 pass {state['passes']}; {state['events_sent']} finding, scan and coverage events sent since the local AWS started")
    # The coverage sweep's schedule (modules/security-primary), a request on send-findings'
    # queue that the drain then answers. The digests fire on their own (fire-digests).
    for run in fire(ACCOUNTS, estate.security, estate.primary, prefix=f"{estate.prefix}-coverage-sweep"):
        if "error" in run:
            sys.exit(f"sandbox: schedule {run['rule']} in {estate.security} {estate.primary}: {run['error']}")
        if "message" in run:
            print(f"{run['rule']} ({run['schedule']}): a sweep request on {run['target'].rsplit(':', 1)[1]}")


JIRA_TOKEN = "sandbox-jira-api-token"


def destinations(estate: Estate, tfvars: Path, state: Path) -> None:
    """What a team does once after the apply: the webhook URLs and the Jira API token into
    the secrets security-primary created (never into Terraform), here pointing at the local
    AWS's Slack, Teams and Jira; and the Jira site with its account and project."""
    configured = json.loads(tfvars.read_text()).get("notification_destinations") or {}
    secrets = estate.outputs.get("notification_secret_arns") or {}
    client = estate.client("secretsmanager")
    where = {}
    for name, destination in sorted(configured.items()):
        kind = destination["type"]
        if kind in ("slack", "teams"):
            url = f"{ENDPOINT}/_localaws/webhooks/{kind}/{estate.prefix}/{name}"
            client.put_secret_value(SecretId=secrets[name], SecretString=url)
            where[name] = {"type": kind, "url": url}
            print(f"{name}: {kind} webhook {url}")
        elif kind == "jira":
            jira = destination["jira"]
            site = jira["url"].rstrip("/").rsplit("/", 1)[1]
            request = {"site": site, "users": {jira["email"]: JIRA_TOKEN}, "projects": {jira["project_key"]: [jira.get("issue_type") or "Bug"]}}
            urllib.request.urlopen(
                urllib.request.Request(f"{ENDPOINT}/_localaws/jira", data=json.dumps(request).encode(), headers={"Content-Type": "application/json"}),
                timeout=30,
            ).read()
            client.put_secret_value(SecretId=secrets[name], SecretString=JIRA_TOKEN)
            where[name] = {"type": kind, "site": site, "project_key": jira["project_key"]}
            print(f"{name}: Jira site {jira['url']}, project {jira['project_key']}")
        elif kind == "topic":
            where[name] = {"type": kind, "topic_arn": destination["topic_arn"]}
            print(f"{name}: topic {destination['topic_arn']}")
    (state / "destinations.json").write_text(json.dumps(where, indent=2))


def routing_summary(state: Path) -> None:
    """How many messages each destination got (the local AWS keeps them)."""
    path = state / "destinations.json"
    if not path.exists():
        return
    print("Routing rules' destinations:")
    for name, where in json.loads(path.read_text()).items():
        if where["type"] in ("slack", "teams"):
            messages = _local_json(f"/_localaws/sns/mailbox?to={urllib.parse.quote(where['url'], safe='')}")["messages"]
            print(f"  {name:<16} {where['type']:<6} {len(messages)} messages")
        elif where["type"] == "jira":
            issues = _local_json(f"/_localaws/jira?site={where['site']}")["issues"]
            states = Counter(i["status"] for i in issues)
            print(f"  {name:<16} jira   {len(issues)} tickets in {where['project_key']} (" + ", ".join(f"{n} {s}" for s, n in sorted(states.items())) + ")")
        elif where["type"] == "topic":
            mails = [m for m in _local_json("/_localaws/sns/mailbox")["messages"] if m.get("topic_arn") == where["topic_arn"]]
            addresses = sorted({m["to"] for m in mails})
            print(f"  {name:<16} topic  {len(mails)} emails to {', '.join(addresses) or 'nobody'} ({where['topic_arn'].rsplit(':', 1)[1]})")


def _local_json(path: str) -> dict:
    with urllib.request.urlopen(f"{ENDPOINT}{path}", timeout=30) as answer:
        return json.loads(answer.read())


def fire_digests(estate: Estate) -> None:
    """The digest rules' schedules (modules/security-primary names them <prefix>-digest-<rule>)."""
    fired = fire(ACCOUNTS, estate.security, estate.primary, prefix=f"{estate.prefix}-digest-")
    for run in fired:
        if "error" in run:
            sys.exit(f"sandbox: schedule {run['rule']} in {estate.security} {estate.primary}: {run['error']}")
        print(f"{run['rule']} ({run['schedule']}): a digest request on {run['target'].rsplit(':', 1)[1]}")
    if not fired:
        print("no digest rule")


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

    # Top five open findings by the pipeline's priority (docs/finding-schema.md), then severity.
    # (A document stored by a release before priorities has none: it sorts last.)
    open_docs = sorted((d for d in docs if d["status"] == "ACTIVE"), key=lambda d: ((d.get("priority") or {}).get("score", -1), rank(d)), reverse=True)[:5]
    print("Top five open findings by priority (severity, exploitation, exposure, fix; KEV: in CISA's Known Exploited Vulnerabilities, with its due date):")
    for d in open_docs:
        epss = f"EPSS {d['epss_score']:.2f}" if d.get("epss_score") is not None else "EPSS -"
        # What send-findings stored from BatchGetFindingDetails (docs/finding-schema.md).
        cisa = (d.get("details") or {}).get("kev")
        known = f"KEV due {(cisa.get('due_date') or '-')[:10]}" if cisa else "not in KEV"
        vuln = d.get("vulnerability_id") or d["finding_type"]
        priority = f"{d['priority']['label']} {d['priority']['score']:>3}" if d.get("priority") else "  -   "
        print(f"  {priority}  {d['severity']:<8} {vuln:<16} {epss:<9} {known:<17} {_resource_name(d, names)} ({d['account_id']} {d['region']})")

    # What send-findings stored from the Coverage events and the sweep (docs/finding-schema.md).
    coverage = [c for c in estate.documents(COVERAGE_PREFIX).values() if c["account_id"] in members]
    scanned = [c for c in coverage if c["scan_status"] == "ACTIVE"]
    print(f"Coverage (stored from Coverage events and the sweep, s3://{estate.bucket}/{COVERAGE_PREFIX}): {len(scanned)} of {len(coverage)} resources scanned")
    for c in sorted(coverage, key=lambda c: (c["account_id"], c["resource_type"] or "", c["resource_id"])):
        if c["scan_status"] != "ACTIVE":
            # Functions outside the workloads (the pipeline's own) by their name.
            name = names.get(c["resource_id"]) or c["resource_id"].split(":function:")[-1].removesuffix(":$LATEST")
            print(f"  not scanned: {name} ({c['resource_type']}, {c['account_id']} {c['region']}): {c['scan_status_reason']}")

    print(f"S3: {len(docs)} objects in s3://{estate.bucket}/{FINDINGS_PREFIX}")
    ocsf_location = estate.outputs.get("ocsf_location")
    if ocsf_location:
        # The OCSF copy (docs/ocsf.md): Parquet in the Security Lake layout.
        ocsf_prefix = ocsf_location.removeprefix(f"s3://{estate.bucket}/")
        s3 = estate.client("s3")
        objects, records = 0, 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=estate.bucket, Prefix=ocsf_prefix):
            for item in page.get("Contents", []):
                body = s3.get_object(Bucket=estate.bucket, Key=item["Key"])["Body"].read()
                records += pyarrow.parquet.ParquetFile(pyarrow.BufferReader(body)).metadata.num_rows
                objects += 1
        print(f"OCSF: {records} Vulnerability Finding records (OCSF 1.1.0) in {objects} Parquet objects under {ocsf_location}region=/accountId=/eventDay=/")
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
    routing_summary(state)
    if report:
        print(f"Report: {_shown(Path(report))}")


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
    sub.add_parser("fire-digests").add_argument("outputs")
    ds = sub.add_parser("destinations")
    ds.add_argument("outputs")
    ds.add_argument("tfvars", type=Path)
    ds.add_argument("state", type=Path)
    d = sub.add_parser("drain")
    d.add_argument("outputs")
    d.add_argument("logs", type=Path)
    d.add_argument("--only", choices=["send", "notify"])
    d.add_argument("--timeout", type=float, default=900)
    d.add_argument("--kill-rate", type=float, default=0.0, help="chaos: the share of invocations killed mid-batch")
    d.add_argument("--seed", type=int, help="chaos: the seed of the kills")
    s = sub.add_parser("summary")
    s.add_argument("outputs")
    s.add_argument("state", type=Path)
    s.add_argument("report", nargs="?")
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
    elif args.command == "fire-digests":
        fire_digests(estate)
    elif args.command == "destinations":
        destinations(estate, args.tfvars, args.state)
    elif args.command == "drain":
        drain(estate, args.logs, args.only, args.timeout, args.kill_rate, args.seed)
    elif args.command == "summary":
        (summary_v2 if estate.v2 else summary)(estate, args.state, args.report)


if __name__ == "__main__":
    main()
