"""Fires EventBridge scheduled rules now, as the schedule would: moto stores them but never fires them.

For every ENABLED rule with a ScheduleExpression in an account and region (optionally only
names starting with a prefix), each target is called as EventBridge calls it: with the
target's RoleArn assumed by events.amazonaws.com (the role's trust policy decides, with
aws:SourceAccount and aws:SourceArn = the rule). Targets supported:

- Inspector Classic assessment templates: StartAssessmentRun with the target's role (what
  modules/member-region schedules).
- SQS queues (the queue the target ARN names, in its account and region): the target's
  Input as the message body; its InputTransformer's template with each <name> replaced by
  the value its InputPathsMap path ($.time, $.detail.x, ...) finds in the event; or without
  either the event EventBridge sends (a "Scheduled Event" from aws.events naming the rule
  in `resources`, `detail` {}), as
  events.amazonaws.com sends it: the queue's policy must allow sqs:SendMessage with
  aws:SourceArn = the rule and aws:SourceAccount = its account, or the target reports an
  error (what modules/security-primary's coverage sweep relies on). Key policies are not
  checked.

Others are reported as skipped.

`python -m localaws fire-schedules --account 222222222222 --region us-east-1 [--prefix P]`
prints one JSON line per target.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timezone

from botocore.exceptions import ClientError

from . import policy
from .accounts import Accounts, ServiceAccessDenied

TEMPLATE_ARN = re.compile(r"arn:aws[a-z-]*:inspector:[a-z0-9-]+:\d{12}:target/[^/]+/template/[^/]+")
QUEUE_ARN = re.compile(r"arn:aws[a-z-]*:sqs:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):(?P<name>[a-zA-Z0-9_.-]{1,80})")


def fire(accounts: Accounts, account_id: str, region: str, prefix: str = "") -> list[dict]:
    events = accounts.client("events", account_id, region)
    fired = []
    for page in events.get_paginator("list_rules").paginate(**({"NamePrefix": prefix} if prefix else {})):
        for rule in page["Rules"]:
            if rule.get("State") != "ENABLED" or not rule.get("ScheduleExpression"):
                continue
            for target in events.list_targets_by_rule(Rule=rule["Name"])["Targets"]:
                fired.append(_call(accounts, account_id, region, rule, target))
    return fired


def _call(accounts: Accounts, account_id: str, region: str, rule: dict, target: dict) -> dict:
    result = {"rule": rule["Name"], "schedule": rule["ScheduleExpression"], "target": target["Arn"]}
    queue = QUEUE_ARN.fullmatch(target["Arn"])
    if queue:
        return {**result, **_send_to_queue(accounts, account_id, region, rule, target, queue)}
    if not TEMPLATE_ARN.fullmatch(target["Arn"]):
        return {**result, "skipped": "only Inspector Classic assessment template and SQS queue targets are fired here"}
    if not target.get("RoleArn"):
        return {**result, "error": "the target has no RoleArn: EventBridge needs one to start an assessment run"}
    try:
        credentials = accounts.service_credentials(
            target["RoleArn"], "events.amazonaws.com", source_account=account_id, source_arn=rule["Arn"]
        )
    except ServiceAccessDenied as err:
        return {**result, "error": str(err)}
    # EventBridge only starts the run, with the target's role; describing it for the report
    # is ours, with the account's own keys.
    inspector = accounts.client_with(credentials, "inspector", region)
    try:
        run_arn = inspector.start_assessment_run(assessmentTemplateArn=target["Arn"])["assessmentRunArn"]
    except ClientError as err:
        # EventBridge records a failed invocation; the role's policy or the template is at fault.
        return {**result, "error": f"StartAssessmentRun as {target['RoleArn']}: {err.response['Error'].get('Message', err)}"}
    described = accounts.client("inspector", account_id, region).describe_assessment_runs(assessmentRunArns=[run_arn])
    run = described["assessmentRuns"][0]
    return {**result, "run": run_arn, "state": run["state"], "findings": run.get("findingCounts", {})}


def scheduled_event(account_id: str, region: str, rule_arn: str) -> dict:
    """The event EventBridge delivers for a schedule when the target has no Input."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


def transform(transformer: dict, event: dict) -> str:
    """EventBridge's input transformer: each <name> of the template becomes what its path
    finds in the event (a string as is, anything else as JSON); a path that finds nothing
    gives an empty string."""
    body = transformer["InputTemplate"]
    for name, path in (transformer.get("InputPathsMap") or {}).items():
        value: object = event
        for part in path.removeprefix("$.").split("."):
            value = value.get(part) if isinstance(value, dict) else None
        text = "" if value is None else value if isinstance(value, str) else json.dumps(value)
        body = body.replace(f"<{name}>", text)
    return body


def _send_to_queue(accounts: Accounts, account_id: str, region: str, rule: dict, target: dict, queue: re.Match) -> dict:
    sqs = accounts.client("sqs", queue["account"], queue["region"])
    try:
        url = sqs.get_queue_url(QueueName=queue["name"], QueueOwnerAWSAccountId=queue["account"])["QueueUrl"]
    except ClientError as err:
        return {"error": f"the target queue {target['Arn']}: {err}"}
    queue_policy = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {}).get("Policy")
    decision = policy.evaluate(
        queue_policy,
        policy.Principal(service="events.amazonaws.com"),
        "sqs:SendMessage",
        target["Arn"],
        {"aws:SourceArn": rule["Arn"], "aws:SourceAccount": account_id, "aws:SecureTransport": "true"},
    )
    if decision is not policy.Decision.ALLOW:
        return {"error": f"the policy of {target['Arn']} does not let events.amazonaws.com send for {rule['Arn']} ({decision.value})"}
    event = scheduled_event(account_id, region, rule["Arn"])
    if "Input" in target:
        body = target["Input"]
    elif "InputTransformer" in target:
        body = transform(target["InputTransformer"], event)
    else:
        body = json.dumps(event)
    message_id = sqs.send_message(QueueUrl=url, MessageBody=body)["MessageId"]
    return {"message": message_id}
