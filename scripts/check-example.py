"""Checks of the multi-account example on the local AWS (scripts/test-example.sh runs them).

  check-example.py deployed <outputs.json> <name_prefix> <external_id>
      what the estate must do once applied: the member read role refuses other callers; a
      listed member's assessment run reaches the central queue; an unlisted account's
      template, subscribed to the same topic, publishes successfully but reaches no queue.
  check-example.py destroyed <name_prefix> <security> <member,member,...> <region,region,...>
      nothing with the prefix is left in any account and region.
  check-example.py atlantis <atlantis.yaml> <repository root>
      every project names an existing stack root and instance tfvars file, every instance
      file has a project, and depends_on agrees with the execution order groups.

Each check prints one "ok: ..." line or raises; the exit code is 0 only if all hold.
"""

from __future__ import annotations

import json
import os
import sys
import time

from botocore.exceptions import ClientError

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "localaws"))
from localaws.accounts import Accounts  # noqa: E402

AMI = "ami-12c6146b"  # one of moto's built-in AMIs
UNLISTED_ACCOUNT = "444444444444"
ACCOUNTS = Accounts(os.environ["AWS_ENDPOINT_URL"])


def ok(message: str) -> None:
    print(f"ok: {message}", flush=True)


def drain(sqs, queue_urls: list[str], seconds: float = 6.0) -> list[str]:
    """Every message body seen on the queues within `seconds` (messages are left in place)."""
    bodies: dict[str, str] = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for url in queue_urls:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=0)
            for message in batch.get("Messages", []):
                bodies[message["MessageId"]] = message["Body"]
        time.sleep(0.5)
    return list(bodies.values())


def queue_urls(outputs: dict) -> tuple:
    """The central queues and their DLQs (a message may have moved on after failed receives)."""
    primary = outputs["queue_arns"]["value"][0].split(":")[3]
    security = outputs["queue_arns"]["value"][0].split(":")[4]
    sqs = ACCOUNTS.client("sqs", security, primary)
    urls = []
    for arn in outputs["queue_arns"]["value"]:
        name = arn.split(":")[5]
        for candidate in (name, f"{name}-dlq"):
            try:
                urls.append(sqs.get_queue_url(QueueName=candidate)["QueueUrl"])
            except ClientError:
                pass
    return sqs, urls


def start_run(account: str, region: str, template_arn: str, tag: dict) -> dict:
    """A tagged running instance, then a run of the template; returns the described run."""
    ec2 = ACCOUNTS.client("ec2", account, region)
    tags = [{"Key": tag["key"], "Value": tag.get("value") or "any"}]
    instance = ec2.run_instances(
        ImageId=AMI, MinCount=1, MaxCount=1, TagSpecifications=[{"ResourceType": "instance", "Tags": tags}]
    )["Instances"][0]["InstanceId"]
    inspector = ACCOUNTS.client("inspector", account, region)
    run_arn = inspector.start_assessment_run(assessmentTemplateArn=template_arn)["assessmentRunArn"]
    run = inspector.describe_assessment_runs(assessmentRunArns=[run_arn])["assessmentRuns"][0]
    ec2.terminate_instances(InstanceIds=[instance])
    return run


def deployed(outputs_path: str, prefix: str, external_id: str) -> None:
    outputs = json.load(open(outputs_path))
    tag = outputs["scan_tag"]["value"]
    templates = outputs["assessment_template_arns"]["value"]
    topics = outputs["topic_arns"]["value"]
    security = next(iter(topics.values())).split(":")[4]

    # 1. The read role trusts only the central Lambda roles: another role of the security
    #    account is refused even with the right external id.
    read_role = next(iter(outputs["read_role_arns"]["value"].values()))
    sts = ACCOUNTS.client("sts", security)
    try:
        sts.assume_role(RoleArn=read_role, RoleSessionName="not-a-lambda", ExternalId=external_id)
        raise AssertionError(f"{read_role} let a session of another security-account role assume it")
    except ClientError as error:
        assert error.response["Error"]["Code"] == "AccessDenied", error
    ok(f"{read_role} refuses a security-account session that is not a central Lambda role")

    # 2. A listed member's run reaches the central queue through its region's topic.
    sqs, urls = queue_urls(outputs)
    key, template = next(iter(templates.items()))
    account, region = key.split("/")
    run = start_run(account, region, template, tag)
    statuses = {n["snsPublishStatusCode"] for n in run["notifications"] if n["event"] == "FINDING_REPORTED"}
    assert run["state"] == "COMPLETED" and statuses == {"SUCCESS"}, (run["state"], run["notifications"][:3])
    bodies = drain(sqs, urls)
    listed = [b for b in bodies if template in b]
    assert listed, f"no message of {template} reached {urls}"
    ok(f"listed member {account} in {region}: {len(listed)} FINDING_REPORTED messages reached the central queues")

    # 3. An account that is not listed subscribes its own template to the same topic: the
    #    topic policy lets Inspector publish (it cannot tell accounts apart), the publishes
    #    succeed, and the subscription filter on the template ARN drops every one of them.
    topic = topics[region]
    inspector = ACCOUNTS.client("inspector", UNLISTED_ACCOUNT, region)
    group = inspector.create_resource_group(resourceGroupTags=[{"key": tag["key"], "value": tag.get("value") or "any"}])
    target = inspector.create_assessment_target(
        assessmentTargetName=f"{prefix}-unlisted", resourceGroupArn=group["resourceGroupArn"]
    )["assessmentTargetArn"]
    packages = inspector.list_rules_packages()["rulesPackageArns"]
    unlisted = inspector.create_assessment_template(
        assessmentTargetArn=target, assessmentTemplateName=f"{prefix}-unlisted", durationInSeconds=180, rulesPackageArns=packages
    )["assessmentTemplateArn"]
    try:
        inspector.subscribe_to_event(resourceArn=unlisted, event="FINDING_REPORTED", topicArn=topic)
        run = start_run(UNLISTED_ACCOUNT, region, unlisted, tag)
        published = [n for n in run["notifications"] if n["event"] == "FINDING_REPORTED"]
        assert published and {n["snsPublishStatusCode"] for n in published} == {"SUCCESS"}, run["notifications"][:3]
        bodies = drain(sqs, urls)
        leaked = [b for b in bodies if unlisted in b or f":{UNLISTED_ACCOUNT}:" in b]
        assert not leaked, f"{len(leaked)} messages of unlisted account {UNLISTED_ACCOUNT} reached the central queues: {leaked[:1]}"
        ok(
            f"unlisted account {UNLISTED_ACCOUNT}: {len(published)} publishes to {topic} accepted by SNS, "
            "none reached the central queues (filter on the template ARN)"
        )
    finally:
        inspector.delete_assessment_target(assessmentTargetArn=target)  # deletes its template and runs


def destroyed(prefix: str, security: str, members: str, regions: str) -> None:
    members_list = members.split(",")
    regions_list = regions.split(",")
    left: list[str] = []
    for account in [security, *members_list]:
        iam = ACCOUNTS.client("iam", account)
        left += [r["Arn"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(prefix)]
        for region in regions_list:
            sns = ACCOUNTS.client("sns", account, region)
            left += [t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].split(":")[5].startswith(prefix)]
            sqs = ACCOUNTS.client("sqs", account, region)
            left += sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])
            lam = ACCOUNTS.client("lambda", account, region)
            left += [f["FunctionArn"] for f in lam.list_functions()["Functions"] if f["FunctionName"].startswith(prefix)]
            events = ACCOUNTS.client("events", account, region)
            left += [r["Arn"] for r in events.list_rules(NamePrefix=prefix)["Rules"]]
            logs = ACCOUNTS.client("logs", account, region)
            left += [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"] if prefix in g["logGroupName"]]
            if account in members_list:
                inspector = ACCOUNTS.client("inspector", account, region)
                for target in inspector.list_assessment_targets()["assessmentTargetArns"]:
                    described = inspector.describe_assessment_targets(assessmentTargetArns=[target])["assessmentTargets"]
                    left += [t["arn"] for t in described if t["name"].startswith(prefix)]
    s3 = ACCOUNTS.client("s3", security)
    left += [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(prefix)]
    dynamodb = ACCOUNTS.client("dynamodb", security, regions_list[0])
    left += [t for t in dynamodb.list_tables()["TableNames"] if t.startswith(prefix)]
    assert not left, f"left after destroy: {left}"
    ok(f"nothing named {prefix}* is left in {security}, {members} ({regions})")


def atlantis(config_path: str, repo_root: str) -> None:
    import glob

    import yaml

    config = yaml.safe_load(open(config_path))
    assert config["version"] == 3, config["version"]
    projects = {p["name"]: p for p in config["projects"]}
    assert len(projects) == len(config["projects"]), "project names must be unique"
    stacks = None
    for name, project in projects.items():
        root = os.path.join(repo_root, project["dir"])
        assert os.path.isfile(os.path.join(root, "main.tf")), f"{name}: no stack root at {project['dir']}"
        stacks = os.path.dirname(root)
        assert os.path.isfile(os.path.join(stacks, "instances", f"{name}.tfvars")), f"{name}: no instances/{name}.tfvars"
        assert project["workspace"] == name and project["workflow"] in config["workflows"], name
        for dependency in project.get("depends_on", []):
            assert projects[dependency]["execution_order_group"] < project["execution_order_group"], (name, dependency)
    instances = {os.path.basename(f)[: -len(".tfvars")] for f in glob.glob(os.path.join(stacks, "instances", "*.tfvars"))}
    assert instances == set(projects), f"instance files without a project: {instances - set(projects)}"
    ok(f"{config_path}: {len(projects)} projects, each with its stack root and instance file, in dependency order")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"deployed": deployed, "destroyed": destroyed, "atlantis": atlantis}[command](*args)
