"""What the local AWS does in the Lambda service's place: role credentials for a service,
a function's deployed package, the SQS poller (localaws.lambda_runner) and scheduled rules
(localaws.schedules)."""

import io
import json
import re
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from conftest import MEMBER_ACCOUNTS, SECURITY_ACCOUNT
from inspector_helpers import AMI
from localaws.accounts import ServiceAccessDenied
from localaws.lambda_runner import Outcome, Runner, failed_ids
from localaws.schedules import fire

REGION = "us-east-1"

# A provided.al2023 bootstrap in sh: takes events from the Runtime API and answers with a
# batchItemFailures entry for every record whose body contains "fail"; "crash" exits;
# "slow" takes a second.
BOOTSTRAP = r"""#!/bin/sh
api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation"
echo "started as $AWS_LAMBDA_FUNCTION_NAME with key $AWS_ACCESS_KEY_ID, GREETING=$GREETING"
while true; do
  headers=$(mktemp)
  event=$(curl -sS -D "$headers" "$api/next")
  id=$(grep -i '^lambda-runtime-aws-request-id:' "$headers" | cut -d' ' -f2 | tr -d '\r')
  case "$event" in *crash*) echo "crashing on $id"; exit 3 ;; esac
  case "$event" in *slow*) sleep 1 ;; esac
  failures=$(printf '%s' "$event" | python3 -c '
import json, sys
records = json.load(sys.stdin)["Records"]
print(json.dumps({"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records if "fail" in r["body"]]}))')
  echo "request $id: $failures"
  curl -sS -X POST "$api/$id/response" -d "$failures" >/dev/null
done
"""


def _package(script: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o100755 << 16
        archive.writestr(info, script)
    return buffer.getvalue()


def _trust(service: str, account: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": service},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account}},
                }
            ],
        }
    )


@pytest.fixture
def function(accounts, unique):
    """A function with the sh bootstrap, an SQS queue (DLQ after 2 receives) mapped to it."""
    iam = accounts.client("iam", SECURITY_ACCOUNT)
    awslambda = accounts.client("lambda", SECURITY_ACCOUNT)
    sqs = accounts.client("sqs", SECURITY_ACCOUNT)
    name = f"runner-{unique}"
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust("lambda.amazonaws.com", SECURITY_ACCOUNT))["Role"]["Arn"]
    awslambda.create_function(
        FunctionName=name,
        Runtime="provided.al2023",
        Handler="bootstrap",
        Role=role,
        Code={"ZipFile": _package(BOOTSTRAP)},
        Timeout=10,
        Environment={"Variables": {"GREETING": "deployed"}},
    )
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName=name, Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})}
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    mapping = awslambda.create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=name, BatchSize=5, FunctionResponseTypes=["ReportBatchItemFailures"]
    )["UUID"]
    yield {"name": name, "role": role, "url": url, "dlq": dlq, "sqs": sqs}
    awslambda.delete_event_source_mapping(UUID=mapping)
    awslambda.delete_function(FunctionName=name)
    iam.delete_role(RoleName=name)
    sqs.delete_queue(QueueUrl=url)
    sqs.delete_queue(QueueUrl=dlq)


def test_service_credentials_follow_the_trust_policy(accounts, function):
    keys = accounts.service_credentials(function["role"], "lambda.amazonaws.com", source_account=SECURITY_ACCOUNT)
    identity = accounts.client_with(keys, "sts").get_caller_identity()
    assert identity["Account"] == SECURITY_ACCOUNT
    assert identity["Arn"].startswith(f"arn:aws:sts::{SECURITY_ACCOUNT}:assumed-role/{function['name']}/")
    with pytest.raises(ServiceAccessDenied, match="events.amazonaws.com cannot assume .* add a statement"):
        accounts.service_credentials(function["role"], "events.amazonaws.com", source_account=SECURITY_ACCOUNT)
    with pytest.raises(ServiceAccessDenied, match="does not let"):
        accounts.service_credentials(function["role"], "lambda.amazonaws.com", source_account=MEMBER_ACCOUNTS[0])
    with pytest.raises(ServiceAccessDenied, match="no IAM role"):
        accounts.service_credentials(f"arn:aws:iam::{SECURITY_ACCOUNT}:role/missing-{function['name']}", "lambda.amazonaws.com")


def test_the_deployed_package_is_served(accounts, endpoint, function):
    url = f"{endpoint}/_localaws/lambda/code?account={SECURITY_ACCOUNT}&region={REGION}&function={function['name']}"
    with urllib.request.urlopen(url) as answer:
        package = answer.read()
        sha = answer.headers["x-localaws-code-sha256"]
    configuration = accounts.client("lambda", SECURITY_ACCOUNT).get_function_configuration(FunctionName=function["name"])
    assert sha == configuration["CodeSha256"]
    assert zipfile.ZipFile(io.BytesIO(package)).read("bootstrap").decode() == BOOTSTRAP
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(url.replace(function["name"], "no-such-function"))
    assert missing.value.code == 404


def drain(accounts, function, logs):
    """Runs the function's mapping until its queue is empty; the function's summary line."""
    runner = Runner(accounts, SECURITY_ACCOUNT, REGION, logs, {}, function_prefix=function["name"])
    try:
        runner.drain(timeout=60)
    finally:
        runner.close()
    [summary] = runner.summary()
    return summary


def test_the_runner_deletes_successes_and_redrives_failures(accounts, function, tmp_path):
    sqs = function["sqs"]
    for n in range(7):
        sqs.send_message(QueueUrl=function["url"], MessageBody=f"ok {n}")
    sqs.send_message(QueueUrl=function["url"], MessageBody="please fail")
    summary = drain(accounts, function, tmp_path)
    # 8 records, then the failed one once more: after 2 receives (maxReceiveCount) SQS moves it.
    assert (summary["records"], summary["failed_records"], summary["invocation_errors"]) == (9, 2, 0), summary
    assert "Messages" not in sqs.receive_message(QueueUrl=function["url"])
    moved = sqs.receive_message(QueueUrl=function["dlq"], MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in moved] == ["please fail"]
    log = (tmp_path / f"{function['name']}.log").read_text()
    # One warm instance, started with the function's environment and the role's keys.
    assert log.count("started as") == 1 and "GREETING=deployed" in log


def test_a_relative_logs_directory_works(accounts, function, tmp_path, monkeypatch):
    # Regression: `sandbox.py drain <outputs> .sandbox/logs` could not start the bootstrap.
    monkeypatch.chdir(tmp_path)
    function["sqs"].send_message(QueueUrl=function["url"], MessageBody="ok")
    summary = drain(accounts, function, Path("logs"))
    assert (summary["records"], summary["failed_records"], summary["invocation_errors"]) == (1, 0, 0), summary
    assert (tmp_path / "logs" / f"{function['name']}.log").exists()


def test_a_crashing_function_fails_the_whole_batch(accounts, function, tmp_path):
    sqs = function["sqs"]
    sqs.send_message(QueueUrl=function["url"], MessageBody="crash")
    runner = Runner(accounts, SECURITY_ACCOUNT, REGION, tmp_path, {}, function_prefix=function["name"])
    try:
        assert runner.poll_once(runner.mappings[0]) == 1
    finally:
        runner.close()
    [summary] = runner.summary()
    assert summary["invocation_errors"] == 1 and summary["failed_records"] == 1
    again = sqs.receive_message(QueueUrl=function["url"], AttributeNames=["All"])["Messages"]
    assert again[0]["Body"] == "crash" and again[0]["Attributes"]["ApproximateReceiveCount"] == "2"


def test_a_chaos_kill_fails_the_batch_it_interrupts_and_the_records_come_back(accounts, function, tmp_path):
    sqs = function["sqs"]
    sqs.send_message(QueueUrl=function["url"], MessageBody="slow")
    runner = Runner(accounts, SECURITY_ACCOUNT, REGION, tmp_path, {}, function_prefix=function["name"], kill_rate=1.0, seed=1)
    try:
        assert runner.poll_once(runner.mappings[0]) == 1
    finally:
        runner.close()
    [summary] = runner.summary()
    assert (summary["kills"], summary["invocation_errors"], summary["failed_records"]) == (1, 1, 1), summary
    again = sqs.receive_message(QueueUrl=function["url"], AttributeNames=["All"])["Messages"]
    assert again[0]["Body"] == "slow" and again[0]["Attributes"]["ApproximateReceiveCount"] == "2"


@pytest.mark.parametrize(
    ("payload", "failed"),
    [
        ({"batchItemFailures": []}, set()),
        (None, set()),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
        ({"batchItemFailures": [{"itemIdentifier": "unknown"}]}, {"a", "b"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"a", "b"}),
    ],
)
def test_partial_batch_responses_as_lambda_reads_them(payload, failed):
    records = [{"messageId": "a"}, {"messageId": "b"}]
    assert failed_ids(Outcome("response", payload), records, True) == failed
    assert failed_ids(Outcome("error", {"errorMessage": "x"}), records, True) == {"a", "b"}
    assert failed_ids(Outcome("response", payload), records, False) == set()


def test_fire_schedules_starts_the_run_as_eventbridge_with_the_targets_role(accounts, unique):
    account = MEMBER_ACCOUNTS[1]
    inspector = accounts.client("inspector", account)
    events = accounts.client("events", account)
    iam = accounts.client("iam", account)
    tags = [{"key": "Sched", "value": unique}]
    accounts.client("ec2", account).run_instances(
        ImageId=AMI, MinCount=1, MaxCount=1, TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Sched", "Value": unique}]}]
    )
    group = inspector.create_resource_group(resourceGroupTags=tags)["resourceGroupArn"]
    target = inspector.create_assessment_target(assessmentTargetName=f"sched-{unique}", resourceGroupArn=group)["assessmentTargetArn"]
    template = inspector.create_assessment_template(
        assessmentTargetArn=target,
        assessmentTemplateName=f"sched-{unique}",
        durationInSeconds=180,
        rulesPackageArns=inspector.list_rules_packages()["rulesPackageArns"][:1],
    )["assessmentTemplateArn"]
    role = iam.create_role(RoleName=f"sched-{unique}", AssumeRolePolicyDocument=_trust("events.amazonaws.com", account))["Role"]["Arn"]
    wrong = iam.create_role(RoleName=f"sched-wrong-{unique}", AssumeRolePolicyDocument=_trust("lambda.amazonaws.com", account))["Role"]["Arn"]
    try:
        events.put_rule(Name=f"sched-{unique}", ScheduleExpression="rate(1 day)")
        events.put_targets(Rule=f"sched-{unique}", Targets=[{"Id": "template", "Arn": template, "RoleArn": role}])
        [fired] = fire(accounts, account, REGION, prefix=f"sched-{unique}")
        assert fired["state"] == "COMPLETED" and sum(fired["findings"].values()) > 0, fired
        assert inspector.list_assessment_runs(assessmentTemplateArns=[template])["assessmentRunArns"] == [fired["run"]]
        events.put_targets(Rule=f"sched-{unique}", Targets=[{"Id": "template", "Arn": template, "RoleArn": wrong}])
        [refused] = fire(accounts, account, REGION, prefix=f"sched-{unique}")
        assert "events.amazonaws.com cannot assume" in refused["error"], refused
        events.disable_rule(Name=f"sched-{unique}")
        assert fire(accounts, account, REGION, prefix=f"sched-{unique}") == []
    finally:
        events.remove_targets(Rule=f"sched-{unique}", Ids=["template"])
        events.delete_rule(Name=f"sched-{unique}")
        inspector.delete_assessment_target(assessmentTargetArn=target)
        for name in (f"sched-{unique}", f"sched-wrong-{unique}"):
            try:
                iam.delete_role(RoleName=name)
            except ClientError:
                pass


def test_fire_schedules_sends_the_targets_input_to_a_queue_the_rule_may_send_to(accounts, unique):
    account = SECURITY_ACCOUNT
    events = accounts.client("events", account)
    sqs = accounts.client("sqs", account)
    rule = f"sweep-{unique}"
    rule_arn = events.put_rule(Name=rule, ScheduleExpression="rate(1 day)")["RuleArn"]
    allowed = sqs.create_queue(QueueName=f"sweep-{unique}", Attributes={"Policy": _queue_policy(account, f"sweep-{unique}", rule_arn)})["QueueUrl"]
    closed = sqs.create_queue(QueueName=f"sweep-closed-{unique}")["QueueUrl"]
    arn = {url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"] for url in (allowed, closed)}
    sweep = json.dumps({"inspectorlink": "coverage-sweep", "regions": ["us-east-1", "us-west-2"]})
    try:
        events.put_targets(Rule=rule, Targets=[{"Id": "send-queue", "Arn": arn[allowed], "Input": sweep}])
        [fired] = fire(accounts, account, REGION, prefix=rule)
        assert "message" in fired and "error" not in fired, fired
        [message] = sqs.receive_message(QueueUrl=allowed, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
        assert message["Body"] == sweep and message["MessageId"] == fired["message"]
        sqs.delete_message(QueueUrl=allowed, ReceiptHandle=message["ReceiptHandle"])

        # Without Input: the event EventBridge sends for a schedule.
        events.put_targets(Rule=rule, Targets=[{"Id": "send-queue", "Arn": arn[allowed]}])
        fire(accounts, account, REGION, prefix=rule)
        [message] = sqs.receive_message(QueueUrl=allowed, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
        event = json.loads(message["Body"])
        assert {k: event[k] for k in ("detail-type", "source", "account", "region", "resources", "detail")} == {
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": account,
            "region": REGION,
            "resources": [rule_arn],
            "detail": {},
        }
        sqs.delete_message(QueueUrl=allowed, ReceiptHandle=message["ReceiptHandle"])

        # An input transformer: the template with the event's time (a digest's schedule).
        template = '{"inspectorlink": "digest", "rule": "daily", "scheduled_at": "<time>", "missing": "<nothing>"}'
        transformer = {"InputPathsMap": {"time": "$.time", "nothing": "$.detail.absent"}, "InputTemplate": template}
        events.put_targets(Rule=rule, Targets=[{"Id": "send-queue", "Arn": arn[allowed], "InputTransformer": transformer}])
        fire(accounts, account, REGION, prefix=rule)
        [message] = sqs.receive_message(QueueUrl=allowed, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
        body = json.loads(message["Body"])
        assert (body["inspectorlink"], body["rule"], body["missing"]) == ("digest", "daily", "")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["scheduled_at"]), body
        sqs.delete_message(QueueUrl=allowed, ReceiptHandle=message["ReceiptHandle"])

        # A queue whose policy does not let the rule send gets nothing.
        events.put_targets(Rule=rule, Targets=[{"Id": "send-queue", "Arn": arn[closed], "Input": sweep}])
        [refused] = fire(accounts, account, REGION, prefix=rule)
        assert "does not let events.amazonaws.com send" in refused["error"], refused
        assert "Messages" not in sqs.receive_message(QueueUrl=closed, WaitTimeSeconds=1)
    finally:
        events.remove_targets(Rule=rule, Ids=["send-queue"])
        events.delete_rule(Name=rule)
        for url in (allowed, closed):
            sqs.delete_queue(QueueUrl=url)


def _queue_policy(account: str, queue: str, rule_arn: str) -> str:
    """What modules/security-primary gives its send queue for the coverage sweep."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": f"arn:aws:sqs:{REGION}:{account}:{queue}",
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}, "StringEquals": {"aws:SourceAccount": account}},
                }
            ],
        }
    )
