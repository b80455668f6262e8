"""The local AWS enforces the identity policies of the roles a test names, as IAM does."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from conftest import MEMBER_ACCOUNTS, SECURITY_ACCOUNT

REGION = "us-east-1"


def iam_admin(endpoint: str, body: dict | None = None, role: str | None = None) -> dict:
    url = f"{endpoint}/_localaws/iam" + (f"?role={role}" if role else "")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST" if data else "GET")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def statement(sid: str, actions: list[str], resources: list[str], effect: str = "Allow", condition: dict | None = None) -> dict:
    return {"Sid": sid, "Effect": effect, "Action": actions, "Resource": resources, **({"Condition": condition} if condition else {})}


@pytest.fixture
def estate(accounts, endpoint, unique):
    """A bucket (default SSE-KMS with a key that delegates to IAM), a queue, and a role
    that may write under findings/ of the bucket and send to the queue; the role enforced."""
    iam = accounts.client("iam", SECURITY_ACCOUNT)
    s3 = accounts.client("s3", SECURITY_ACCOUNT)
    kms = accounts.client("kms", SECURITY_ACCOUNT)
    sqs = accounts.client("sqs", SECURITY_ACCOUNT)
    key_policy = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Account", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{SECURITY_ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}],
    }
    key_arn = kms.create_key(Policy=json.dumps(key_policy))["KeyMetadata"]["Arn"]
    bucket = f"identity-{unique}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}}]},
    )
    queue_url = sqs.create_queue(QueueName=f"identity-{unique}")["QueueUrl"]
    queue_arn = f"arn:aws:sqs:{REGION}:{SECURITY_ACCOUNT}:identity-{unique}"
    # A TLS-only deny, as the modules put on every queue: the enforcer's requests count as TLS.
    sqs.set_queue_attributes(
        QueueUrl=queue_url,
        Attributes={
            "Policy": json.dumps(
                {"Statement": [statement("TlsOnly", ["sqs:*"], [queue_arn], "Deny", {"Bool": {"aws:SecureTransport": "false"}}) | {"Principal": "*"}]}
            )
        },
    )
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{SECURITY_ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}
    role_name = f"idt-{unique}-writer"
    role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    policy_document = {
        "Version": "2012-10-17",
        "Statement": [
            statement("FindingObjects", ["s3:GetObject", "s3:PutObject"], [f"arn:aws:s3:::{bucket}/findings/*"]),
            statement("Key", ["kms:GenerateDataKey", "kms:Decrypt"], [key_arn], condition={"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}),
            statement("Listing", ["s3:ListBucket"], [f"arn:aws:s3:::{bucket}"], condition={"StringLike": {"s3:prefix": ["findings/*"]}}),
            statement("Queue", ["sqs:SendMessage"], [queue_arn]),
            statement("NeverUsed", ["sqs:PurgeQueue"], [queue_arn]),
        ],
    }
    iam.put_role_policy(RoleName=role_name, PolicyName="writer", PolicyDocument=json.dumps(policy_document))
    pattern = f"arn:aws:iam::*:role/idt-{unique}-*"
    iam_admin(endpoint, {"enforce": [pattern]})
    creds = accounts.client("sts", SECURITY_ACCOUNT).assume_role(RoleArn=role_arn, RoleSessionName="writer")["Credentials"]
    session = {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"], "aws_session_token": creds["SessionToken"]}
    yield {
        "role_name": role_name,
        "role_arn": role_arn,
        "policy": policy_document,
        "as_role": lambda service: accounts.client_with(session, service, REGION),
        "harness": {"s3": s3, "sqs": sqs, "iam": iam, "kms": kms},
        "bucket": bucket,
        "queue_url": queue_url,
        "queue_arn": queue_arn,
        "key_arn": key_arn,
    }
    iam_admin(endpoint, {"release": [pattern], "clear_log": [pattern]})


def denied(call) -> ClientError:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value


def test_a_role_does_what_its_policies_allow_and_nothing_else(estate):
    s3 = estate["as_role"]("s3")
    s3.put_object(Bucket=estate["bucket"], Key="findings/a.json", Body=b"{}")
    assert s3.get_object(Bucket=estate["bucket"], Key="findings/a.json")["Body"].read() == b"{}"

    err = denied(lambda: s3.put_object(Bucket=estate["bucket"], Key="other/a.json", Body=b"{}"))
    assert err.response["Error"]["Code"] == "AccessDenied"
    message = err.response["Error"]["Message"]
    assert f"assumed-role/{estate['role_name']}/writer is not authorized to perform: s3:PutObject" in message
    assert f"arn:aws:s3:::{estate['bucket']}/other/a.json" in message
    assert "because no identity-based policy allows the s3:PutObject action" in message
    # Refused, not written.
    harness = estate["harness"]["s3"]
    assert harness.list_objects_v2(Bucket=estate["bucket"], Prefix="other/")["KeyCount"] == 0

    # Listing only under the prefix the condition names.
    assert s3.list_objects_v2(Bucket=estate["bucket"], Prefix="findings/")["KeyCount"] == 1
    assert "s3:ListBucket" in denied(lambda: s3.list_objects_v2(Bucket=estate["bucket"])).response["Error"]["Message"]

    sqs = estate["as_role"]("sqs")
    sqs.send_message(QueueUrl=estate["queue_url"], MessageBody="x")  # the TLS-only deny does not apply
    err = denied(lambda: sqs.receive_message(QueueUrl=estate["queue_url"]))
    assert f"sqs:ReceiveMessage on resource: {estate['queue_arn']}" in err.response["Error"]["Message"]


def test_an_sse_kms_write_needs_the_key_through_s3_and_the_key_alone_is_not_granted(estate):
    iam, role_name = estate["harness"]["iam"], estate["role_name"]
    without_key = document(*(s for s in estate["policy"]["Statement"] if s["Sid"] != "Key"))
    iam.put_role_policy(RoleName=role_name, PolicyName="writer", PolicyDocument=without_key)
    s3 = estate["as_role"]("s3")
    err = denied(lambda: s3.put_object(Bucket=estate["bucket"], Key="findings/b.json", Body=b"{}"))
    message = err.response["Error"]["Message"]
    assert f"kms:GenerateDataKey on resource: {estate['key_arn']} (for s3:PutObject)" in message
    assert estate["harness"]["s3"].list_objects_v2(Bucket=estate["bucket"], Prefix="findings/b")["KeyCount"] == 0

    iam.put_role_policy(RoleName=role_name, PolicyName="writer", PolicyDocument=json.dumps(estate["policy"]))
    s3.put_object(Bucket=estate["bucket"], Key="findings/b.json", Body=b"{}")
    # kms:ViaService holds only when S3 uses the key: the same action called directly is refused.
    kms = estate["as_role"]("kms")
    err = denied(lambda: kms.generate_data_key(KeyId=estate["key_arn"], KeySpec="AES_256"))
    assert err.response["Error"]["Code"] == "AccessDeniedException"
    assert "kms:GenerateDataKey" in err.response["Error"]["Message"]


def test_an_explicit_deny_wins_over_an_allow(estate):
    iam = estate["harness"]["iam"]
    deny = statement("NoFindingsB", ["s3:PutObject"], [f"arn:aws:s3:::{estate['bucket']}/findings/b*"], "Deny")
    iam.put_role_policy(RoleName=estate["role_name"], PolicyName="guard", PolicyDocument=document(deny))
    s3 = estate["as_role"]("s3")
    err = denied(lambda: s3.put_object(Bucket=estate["bucket"], Key="findings/b.json", Body=b"{}"))
    assert "with an explicit deny in an identity-based policy" in err.response["Error"]["Message"]
    s3.put_object(Bucket=estate["bucket"], Key="findings/c.json", Body=b"{}")


def test_another_accounts_topic_needs_its_policy_too(accounts, estate, unique):
    member = MEMBER_ACCOUNTS[0]
    sns = accounts.client("sns", member)
    topic_arn = sns.create_topic(Name=f"identity-{unique}")["TopicArn"]
    iam = estate["harness"]["iam"]
    publish = statement("Publish", ["sns:Publish"], [topic_arn])
    iam.put_role_policy(RoleName=estate["role_name"], PolicyName="publish", PolicyDocument=document(publish))
    role_sns = estate["as_role"]("sns")
    # moto's default topic policy lets only the owner's account publish.
    err = denied(lambda: role_sns.publish(TopicArn=topic_arn, Message="x"))
    assert err.response["Error"]["Code"] == "AuthorizationError"
    assert "because no resource-based policy allows the sns:Publish action" in err.response["Error"]["Message"]
    topic_policy = document(publish | {"Principal": {"AWS": estate["role_arn"]}})
    sns.set_topic_attributes(TopicArn=topic_arn, AttributeName="Policy", AttributeValue=topic_policy)
    role_sns.publish(TopicArn=topic_arn, Message="x")


def test_a_call_the_local_aws_cannot_authorise_is_refused_saying_so(estate):
    iam = estate["as_role"]("iam")
    err = denied(lambda: iam.list_roles())
    assert "does not model what IAM checks for iam:ListRoles" in err.response["Error"]["Message"]


def test_roles_not_enforced_and_the_harness_are_not_checked(accounts, estate, unique):
    # The harness's own keys (a role that does not exist) write anywhere.
    accounts.client("s3", SECURITY_ACCOUNT).put_object(Bucket=estate["bucket"], Key="other/harness.json", Body=b"{}")
    iam = estate["harness"]["iam"]
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{SECURITY_ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}
    free = iam.create_role(RoleName=f"free-{unique}", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    creds = accounts.client("sts", SECURITY_ACCOUNT).assume_role(RoleArn=free, RoleSessionName="free")["Credentials"]
    session = {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"], "aws_session_token": creds["SessionToken"]}
    accounts.client_with(session, "s3", REGION).put_object(Bucket=estate["bucket"], Key="other/free.json", Body=b"{}")


def test_the_access_log_names_each_call_and_the_unused_actions(endpoint, estate):
    s3 = estate["as_role"]("s3")
    s3.put_object(Bucket=estate["bucket"], Key="findings/d.json", Body=b"{}")
    denied(lambda: s3.get_object(Bucket=estate["bucket"], Key="other/d.json"))
    report = iam_admin(endpoint, role=estate["role_arn"])["roles"][estate["role_arn"]]
    calls = {(c["action"], c["resource"], c["decision"]) for c in report["calls"]}
    assert ("s3:PutObject", f"arn:aws:s3:::{estate['bucket']}/findings/d.json", "allow") in calls
    assert ("kms:GenerateDataKey", estate["key_arn"], "allow") in calls
    assert ("s3:GetObject", f"arn:aws:s3:::{estate['bucket']}/other/d.json", "deny") in calls
    put = next(c for c in report["calls"] if c["action"] == "s3:PutObject")
    assert put["statements"] == ["writer/FindingObjects"]
    unused = {(u["sid"], u["action"]) for u in report["unused"]}
    # GetObject was only refused; Decrypt, ListBucket, SendMessage and PurgeQueue never called.
    assert unused == {
        ("FindingObjects", "s3:GetObject"),
        ("Key", "kms:Decrypt"),
        ("Listing", "s3:ListBucket"),
        ("Queue", "sqs:SendMessage"),
        ("NeverUsed", "sqs:PurgeQueue"),
    }


def test_the_admin_route_refuses_what_is_not_a_list_of_role_arn_globs(endpoint):
    for body in ({"enforce": "arn:aws:iam::*:role/x"}, {"enforce": ["role/x"]}, {"release": [1]}, []):
        with pytest.raises(urllib.error.HTTPError) as raised:
            iam_admin(endpoint, body)
        assert raised.value.code == 400


def test_an_enforced_role_cannot_assume_a_role_that_does_not_exist(estate):
    iam = estate["harness"]["iam"]
    ghost = f"arn:aws:iam::{MEMBER_ACCOUNTS[0]}:role/{estate['role_name']}-ghost"
    assume = statement("Assume", ["sts:AssumeRole"], [ghost])
    iam.put_role_policy(RoleName=estate["role_name"], PolicyName="assume", PolicyDocument=document(assume))
    sts = estate["as_role"]("sts")
    err = denied(lambda: sts.assume_role(RoleArn=ghost, RoleSessionName="ghost"))
    assert err.response["Error"]["Code"] == "AccessDenied"
    assert f"is not authorized to perform: sts:AssumeRole on resource: {ghost} (it does not exist)" in err.response["Error"]["Message"]


def test_eventbridge_forwards_with_an_enforced_role_only_what_its_policy_allows(accounts, endpoint, unique):
    """A rule in us-west-2 forwards to us-east-1's default bus with a role: refused, the event
    goes to the target's dead-letter queue with EventBridge's attributes; allowed, it arrives."""
    west, east = accounts.client("events", SECURITY_ACCOUNT, "us-west-2"), accounts.client("events", SECURITY_ACCOUNT, REGION)
    sqs_west, sqs_east = accounts.client("sqs", SECURITY_ACCOUNT, "us-west-2"), accounts.client("sqs", SECURITY_ACCOUNT, REGION)
    iam = accounts.client("iam", SECURITY_ACCOUNT)
    arrivals = sqs_east.create_queue(QueueName=f"fwd-in-{unique}")["QueueUrl"]
    arrivals_arn = f"arn:aws:sqs:{REGION}:{SECURITY_ACCOUNT}:fwd-in-{unique}"
    east.put_rule(Name=f"fwd-in-{unique}", EventPattern=json.dumps({"source": [f"test.{unique}"]}))
    east.put_targets(Rule=f"fwd-in-{unique}", Targets=[{"Id": "q", "Arn": arrivals_arn}])
    dead = sqs_west.create_queue(QueueName=f"fwd-dlq-{unique}")["QueueUrl"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role_name = f"idt-{unique}-forward"
    role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    bus_arn = f"arn:aws:events:{REGION}:{SECURITY_ACCOUNT}:event-bus/default"
    west.put_rule(Name=f"fwd-{unique}", EventPattern=json.dumps({"source": [f"test.{unique}"]}))
    west.put_targets(Rule=f"fwd-{unique}", Targets=[{
        "Id": "bus", "Arn": bus_arn, "RoleArn": role_arn,
        "DeadLetterConfig": {"Arn": f"arn:aws:sqs:us-west-2:{SECURITY_ACCOUNT}:fwd-dlq-{unique}"},
    }])
    pattern = f"arn:aws:iam::*:role/idt-{unique}-*"
    iam_admin(endpoint, {"enforce": [pattern]})
    try:
        west.put_events(Entries=[{"Source": f"test.{unique}", "DetailType": "t", "Detail": '{"n": 1}'}])
        assert sqs_east.receive_message(QueueUrl=arrivals, WaitTimeSeconds=1).get("Messages", []) == []
        letters = sqs_west.receive_message(QueueUrl=dead, MessageAttributeNames=["All"], WaitTimeSeconds=1)["Messages"]
        attributes = {k: v["StringValue"] for k, v in letters[0]["MessageAttributes"].items()}
        assert attributes["ERROR_CODE"] == "NO_PERMISSIONS" and attributes["TARGET_ARN"] == bus_arn
        assert f"is not authorized to perform: events:PutEvents on resource: {bus_arn}" in attributes["ERROR_MESSAGE"]
        assert json.loads(letters[0]["Body"])["detail"] == {"n": 1}

        iam.put_role_policy(RoleName=role_name, PolicyName="forward", PolicyDocument=document(statement("Forward", ["events:PutEvents"], [bus_arn])))
        west.put_events(Entries=[{"Source": f"test.{unique}", "DetailType": "t", "Detail": '{"n": 2}'}])
        arrived = sqs_east.receive_message(QueueUrl=arrivals, WaitTimeSeconds=1)["Messages"]
        assert json.loads(arrived[0]["Body"])["detail"] == {"n": 2}
        calls = iam_admin(endpoint, role=role_arn)["roles"][role_arn]["calls"]
        assert {(c["action"], c["decision"]) for c in calls} == {("events:PutEvents", "deny"), ("events:PutEvents", "allow")}
    finally:
        iam_admin(endpoint, {"release": [pattern], "clear_log": [pattern]})



def test_reading_a_secret_needs_get_secret_value_and_its_key_through_secrets_manager(accounts, estate, unique):
    harness = accounts.client("secretsmanager", SECURITY_ACCOUNT)
    secret_arn = harness.create_secret(Name=f"idt-{unique}/webhook", KmsKeyId=estate["key_arn"], SecretString="https://hooks.example/x")["ARN"]
    iam, role_name = estate["harness"]["iam"], estate["role_name"]
    secrets = estate["as_role"]("secretsmanager")
    err = denied(lambda: secrets.get_secret_value(SecretId=secret_arn))
    assert err.response["Error"]["Code"] == "AccessDeniedException"
    assert f"secretsmanager:GetSecretValue on resource: {secret_arn}" in err.response["Error"]["Message"]

    read = statement("Webhook", ["secretsmanager:GetSecretValue"], [secret_arn])
    iam.put_role_policy(RoleName=role_name, PolicyName="writer", PolicyDocument=document(*estate["policy"]["Statement"], read))
    err = denied(lambda: secrets.get_secret_value(SecretId=secret_arn))
    message = err.response["Error"]["Message"]
    assert f"kms:Decrypt on resource: {estate['key_arn']} (for secretsmanager:GetSecretValue)" in message, message

    through_secrets_manager = statement(
        "SecretKey", ["kms:Decrypt"], [estate["key_arn"]], condition={"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}
    )
    iam.put_role_policy(
        RoleName=role_name, PolicyName="writer", PolicyDocument=document(*estate["policy"]["Statement"], read, through_secrets_manager)
    )
    assert secrets.get_secret_value(SecretId=secret_arn)["SecretString"] == "https://hooks.example/x"
    # The grant names one secret: another is refused.
    other = harness.create_secret(Name=f"idt-{unique}/other", KmsKeyId=estate["key_arn"], SecretString="x")["ARN"]
    assert denied(lambda: secrets.get_secret_value(SecretId=other)).response["Error"]["Code"] == "AccessDeniedException"
