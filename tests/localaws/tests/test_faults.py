"""Injected faults: the next N matching calls of one account fail in the protocol's own shape."""

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError


def faults(endpoint, body):
    request = urllib.request.Request(f"{endpoint}/_localaws/faults", data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


@pytest.fixture
def account(unique):
    return "75" + str(int(unique, 16)).zfill(10)[-10:]


def test_s3_access_denied_once_then_the_call_works(accounts, endpoint, unique, account):
    s3 = accounts.client("s3", account)
    s3.create_bucket(Bucket=f"faults-{unique}")
    faults(endpoint, {"account_id": account, "call": "s3:PUT object", "code": "AccessDenied", "status": 403, "message": "Access Denied"})
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket=f"faults-{unique}", Key="a.json", Body=b"{}")
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    s3.put_object(Bucket=f"faults-{unique}", Key="a.json", Body=b"{}")
    assert s3.get_object(Bucket=f"faults-{unique}", Key="a.json")["Body"].read() == b"{}"


def test_throttling_in_json_and_ec2_shapes(accounts, endpoint, account):
    # The test clients retry twice (botocore's max_attempts counts retries): 3 faults exhaust them.
    faults(endpoint, {"account_id": account, "call": "inspector:ListRulesPackages", "code": "ThrottlingException", "times": 3})
    faults(endpoint, {"account_id": account, "call": "ec2:DescribeInstances", "code": "RequestLimitExceeded", "status": 503, "times": 3})
    inspector, ec2 = accounts.client("inspector", account), accounts.client("ec2", account)
    with pytest.raises(ClientError) as throttled:
        inspector.list_rules_packages()
    assert throttled.value.response["Error"]["Code"] == "ThrottlingException"
    with pytest.raises(ClientError) as limited:
        ec2.describe_instances()
    assert limited.value.response["Error"]["Code"] == "RequestLimitExceeded"
    assert inspector.list_rules_packages()["rulesPackageArns"]
    assert "Reservations" in ec2.describe_instances()
    assert all(f["account_id"] != account for f in faults(endpoint, {"account_id": account, "clear": True})["pending"])


def test_rest_json_services_get_the_code_in_x_amzn_errortype(accounts, endpoint, account):
    # inspector2 speaks REST-JSON: the SDKs read the error code from the x-amzn-ErrorType header.
    faults(endpoint, {"account_id": account, "call": "inspector2:ListFindings", "code": "AccessDeniedException", "status": 403})
    inspector2 = accounts.client("inspector2", account)
    with pytest.raises(ClientError) as denied:
        inspector2.list_findings()
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert denied.value.response["Error"]["Message"] == "AccessDeniedException (injected by the local AWS)"
    assert "findings" in inspector2.list_findings()


def test_after_lets_that_many_calls_through_first(accounts, endpoint, account):
    faults(endpoint, {"account_id": account, "call": "sts:GetCallerIdentity", "code": "AccessDenied", "status": 403, "after": 2})
    sts = accounts.client("sts", account)
    assert [sts.get_caller_identity()["Account"] for _ in range(2)] == [account, account]
    with pytest.raises(ClientError) as denied:
        sts.get_caller_identity()
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert sts.get_caller_identity()["Account"] == account


def test_faults_are_per_account_and_can_be_cleared(accounts, endpoint, account):
    faults(endpoint, {"account_id": account, "call": "sts:GetCallerIdentity", "code": "Throttling", "times": 5})
    assert accounts.client("sts", "222222222222").get_caller_identity()["Account"] == "222222222222"
    pending = faults(endpoint, {"account_id": account, "clear": True})["pending"]
    assert all(f["account_id"] != account for f in pending)
    assert accounts.client("sts", account).get_caller_identity()["Account"] == account


@pytest.mark.parametrize(
    "body, message",
    [
        ({"call": "s3:PUT object", "code": "AccessDenied"}, "account_id"),
        ({"account_id": "111111111111", "code": "AccessDenied"}, "service:action"),
        ({"account_id": "111111111111", "call": "s3:PUT object", "code": "X", "times": 0}, "times"),
        ({"account_id": "111111111111", "call": "s3:PUT object", "code": "X", "after": -1}, "after"),
    ],
)
def test_bad_fault_requests_are_refused(endpoint, body, message):
    with pytest.raises(urllib.error.HTTPError) as refused:
        faults(endpoint, body)
    assert refused.value.code == 400
    assert message in json.loads(refused.value.read())["message"]


def test_a_rate_fault_fails_that_share_of_the_calls_until_cleared(accounts, endpoint, unique, account):
    s3 = accounts.client("s3", account)
    bucket = f"rate-{unique}"
    s3.create_bucket(Bucket=bucket)
    faults(endpoint, {"account_id": account, "call": "s3:PUT object", "code": "InternalError", "status": 500, "rate": 0.5, "seed": 3})
    failed = 0
    for n in range(40):
        try:
            s3.put_object(Bucket=bucket, Key=f"{n}.json", Body=b"{}")
        except ClientError as err:
            assert err.response["Error"]["Code"] == "InternalError"
            failed += 1
    with urllib.request.urlopen(f"{endpoint}/_localaws/faults", timeout=10) as answer:
        [mine] = [f for f in json.loads(answer.read())["pending"] if f["account_id"] == account]
    # About half the attempts (the client's retries included) failed; what failed was not written.
    assert 15 <= mine["injected"] <= 60, mine
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 40 - failed
    faults(endpoint, {"account_id": account, "clear": True})
    s3.put_object(Bucket=bucket, Key="after.json", Body=b"{}")


def test_a_rate_fault_reports_what_it_injected_and_refuses_bad_rates(endpoint, account):
    answer = faults(endpoint, {"account_id": account, "call": "sns:Publish", "code": "InternalError", "status": 500, "rate": 1})
    mine = [f for f in answer["pending"] if f["account_id"] == account]
    assert mine[0]["rate"] == 1 and mine[0]["times"] is None and mine[0]["injected"] == 0
    for rate in (0, 1.5, True, "half"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            faults(endpoint, {"account_id": account, "call": "sns:Publish", "code": "InternalError", "rate": rate})
        assert refused.value.code == 400
    faults(endpoint, {"account_id": account, "clear": True})
