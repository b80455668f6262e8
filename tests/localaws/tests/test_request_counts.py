"""The request counter: each signed call is counted once for the caller's account."""

import json
import urllib.request

from conftest import MEMBER_ACCOUNTS


def counts(endpoint, account):
    with urllib.request.urlopen(f"{endpoint}/_localaws/requests?account={account}", timeout=10) as answer:
        return json.loads(answer.read())


def test_calls_are_counted_per_account_service_and_action(accounts, endpoint, unique):
    account = "71" + unique.zfill(10)[:10].translate(str.maketrans("abcdef", "123456"))
    before = counts(endpoint, account)
    sqs = accounts.client("sqs", account)
    url = sqs.create_queue(QueueName=f"count-{unique}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="one")
    sqs.send_message(QueueUrl=url, MessageBody="two")
    accounts.client("sts", account).get_caller_identity()
    s3 = accounts.client("s3", account)
    s3.create_bucket(Bucket=f"count-{unique}")
    s3.put_object(Bucket=f"count-{unique}", Key="a/b.json", Body=b"{}")
    # REST-JSON: named by the operation whose path template matches, literal paths first.
    inspector2 = accounts.client("inspector2", account)
    inspector2.list_findings()
    inspector2.batch_get_finding_details(findingArns=[f"arn:aws:inspector2:us-east-1:{account}:finding/{'0' * 32}"])
    after = counts(endpoint, account)

    delta = {k: v - before["calls"].get(k, 0) for k, v in after["calls"].items() if v != before["calls"].get(k, 0)}
    assert delta == {
        "sqs:CreateQueue": 1,
        "sqs:SendMessage": 2,
        "sts:GetCallerIdentity": 1,
        "s3:PUT bucket": 1,
        "s3:PUT object": 1,
        "inspector2:ListFindings": 1,
        "inspector2:BatchGetFindingDetails": 1,
    }
    assert after["total"] - before["total"] == 8
    assert counts(endpoint, MEMBER_ACCOUNTS[1])["account"] == MEMBER_ACCOUNTS[1]


def test_a_bad_account_is_refused(endpoint):
    try:
        counts(endpoint, "abc")
    except urllib.error.HTTPError as err:
        assert err.code == 400
        assert "12-digit" in json.loads(err.read())["message"]
    else:
        raise AssertionError("expected 400")
