"""Fires EventBridge scheduled rules now, as the schedule would: moto stores them but never fires them.

For every ENABLED rule with a ScheduleExpression in an account and region (optionally only
names starting with a prefix), each target is called as EventBridge calls it: with the
target's RoleArn assumed by events.amazonaws.com (the role's trust policy decides, with
aws:SourceAccount and aws:SourceArn = the rule). Targets supported: Inspector Classic
assessment templates (StartAssessmentRun, what modules/member-region schedules). Others are
reported as skipped.

`python -m localaws fire-schedules --account 222222222222 --region us-east-1 [--prefix P]`
prints one JSON line per target.
"""

from __future__ import annotations

import re

from .accounts import Accounts, ServiceAccessDenied

TEMPLATE_ARN = re.compile(r"arn:aws[a-z-]*:inspector:[a-z0-9-]+:\d{12}:target/[^/]+/template/[^/]+")


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
    if not TEMPLATE_ARN.fullmatch(target["Arn"]):
        return {**result, "skipped": "only Inspector Classic assessment template targets are fired here"}
    if not target.get("RoleArn"):
        return {**result, "error": "the target has no RoleArn: EventBridge needs one to start an assessment run"}
    try:
        credentials = accounts.service_credentials(
            target["RoleArn"], "events.amazonaws.com", source_account=account_id, source_arn=rule["Arn"]
        )
    except ServiceAccessDenied as err:
        return {**result, "error": str(err)}
    inspector = accounts.client_with(credentials, "inspector", region)
    run_arn = inspector.start_assessment_run(assessmentTemplateArn=target["Arn"])["assessmentRunArn"]
    run = inspector.describe_assessment_runs(assessmentRunArns=[run_arn])["assessmentRuns"][0]
    return {**result, "run": run_arn, "state": run["state"], "findings": run.get("findingCounts", {})}
