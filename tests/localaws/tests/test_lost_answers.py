"""Lost answers (localaws/lost_answers.py): a retry whose earlier attempt the server
completed gets that attempt's answer, since carrying it out again failed applies with
EntityAlreadyExists or ResourceNotFoundException; answers to the Go SDK wait for its
writer goroutine, which otherwise loses some of them on loopback."""

import http.client
import json
import time
import urllib.parse
import urllib.request
import uuid

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Response

from localaws import control, lost_answers
from localaws.lost_answers import LostAnswers

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture
def account(unique):
    return "76" + str(int(unique, 16)).zfill(10)[-10:]


class Caller:
    """Sends one attempt of an SDK operation as the SDKs do: signed, with the invocation
    id and attempt number headers, on a connection of its own."""

    def __init__(self, endpoint: str, credentials: dict):
        self.endpoint = endpoint
        self.credentials = Credentials(
            credentials["aws_access_key_id"], credentials["aws_secret_access_key"], credentials["aws_session_token"]
        )

    def send(self, service: str, body: str, invocation: str, attempt: int, headers: dict | None = None) -> tuple[int, bytes]:
        request = AWSRequest(
            method="POST",
            url=self.endpoint + "/",
            data=body.encode(),
            headers={"amz-sdk-invocation-id": invocation, "amz-sdk-request": f"attempt={attempt}; max=3", **(headers or {})},
        )
        SigV4Auth(self.credentials, service, control.DEFAULT_REGION).add_auth(request)
        url = urllib.parse.urlsplit(self.endpoint)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        try:
            connection.request("POST", "/", body=request.body, headers=dict(request.headers))
            answer = connection.getresponse()
            return answer.status, answer.read()
        finally:
            connection.close()

    def create_role(self, name: str, invocation: str, attempt: int) -> tuple[int, bytes]:
        form = urllib.parse.urlencode({"Action": "CreateRole", "Version": "2010-05-08", "RoleName": name, "AssumeRolePolicyDocument": TRUST})
        return self.send("iam", form, invocation, attempt, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})

    def delete_table(self, name: str, invocation: str, attempt: int) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.DeleteTable"}
        return self.send("dynamodb", json.dumps({"TableName": name}), invocation, attempt, headers)


@pytest.fixture
def caller(accounts, endpoint, account):
    return Caller(endpoint, accounts.credentials(account))


def test_a_retried_create_gets_the_first_attempts_answer_and_makes_nothing_more(accounts, caller, account, unique):
    invocation = str(uuid.uuid4())
    first = caller.create_role(f"lost-{unique}", invocation, 1)
    assert first[0] == 200, first
    # The client lost that answer and retries: it gets the same answer, not EntityAlreadyExists.
    assert caller.create_role(f"lost-{unique}", invocation, 2) == first
    roles = accounts.client("iam", account).list_roles()["Roles"]
    assert [role["RoleName"] for role in roles] == [f"lost-{unique}"]
    # Another invocation of the same create is a new request, refused as AWS refuses it.
    status, body = caller.create_role(f"lost-{unique}", str(uuid.uuid4()), 1)
    assert status == 409 and b"EntityAlreadyExists" in body


def test_a_retried_delete_gets_the_first_attempts_answer(accounts, caller, account, unique):
    dynamodb = accounts.client("dynamodb", account)
    dynamodb.create_table(
        TableName=f"lost-{unique}",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    invocation = str(uuid.uuid4())
    first = caller.delete_table(f"lost-{unique}", invocation, 1)
    assert first[0] == 200, first
    assert caller.delete_table(f"lost-{unique}", invocation, 2) == first
    assert dynamodb.list_tables()["TableNames"] == []
    status, body = caller.delete_table(f"lost-{unique}", str(uuid.uuid4()), 1)
    assert status == 400 and b"ResourceNotFoundException" in body


def test_a_retry_after_a_failed_attempt_is_carried_out(accounts, caller, endpoint, account, unique):
    _post(endpoint, "/_localaws/faults", {"account_id": account, "call": "iam:CreateRole", "code": "Throttling", "status": 400})
    invocation = str(uuid.uuid4())
    status, body = caller.create_role(f"retried-{unique}", invocation, 1)
    assert status == 400 and b"Throttling" in body
    status, body = caller.create_role(f"retried-{unique}", invocation, 2)
    assert status == 200, body
    assert accounts.client("iam", account).get_role(RoleName=f"retried-{unique}")["Role"]["RoleName"] == f"retried-{unique}"


def test_another_request_under_the_same_invocation_is_carried_out(accounts, caller, account, unique):
    invocation = str(uuid.uuid4())
    assert caller.create_role(f"one-{unique}", invocation, 1)[0] == 200
    assert caller.create_role(f"two-{unique}", invocation, 2)[0] == 200
    roles = accounts.client("iam", account).list_roles()["Roles"]
    assert sorted(role["RoleName"] for role in roles) == [f"one-{unique}", f"two-{unique}"]


def test_a_replayed_answer_is_not_counted_as_a_second_call(caller, endpoint, account, unique):
    invocation = str(uuid.uuid4())
    caller.create_role(f"counted-{unique}", invocation, 1)
    caller.create_role(f"counted-{unique}", invocation, 2)
    counts = json.loads(_get(endpoint, f"/_localaws/requests?account={account}"))
    assert counts["calls"]["iam:CreateRole"] == 1


# The cases below need an answer the local AWS's services do not give (a huge one, one
# the client leaves half-read): a WSGI app stands in for them.


class Service:
    """Counts what it carries out; answers `body` in chunks."""

    def __init__(self, body: bytes = b'{"made": true}', chunks: int = 1):
        self.body, self.chunks, self.calls = body, chunks, 0

    def __call__(self, environ, start_response):
        self.calls += 1
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(self.body)))])
        step = max(1, len(self.body) // self.chunks)
        return [self.body[i : i + step] for i in range(0, len(self.body), step)]


def attempt(invocation: str, number: int, method: str = "POST", data: bytes = b"{}") -> dict:
    return {
        "method": method,
        "data": data if method not in ("GET", "HEAD") else None,
        "headers": {"amz-sdk-invocation-id": invocation, "amz-sdk-request": f"attempt={number}; max=3"},
        "buffered": True,  # read to the end and closed, as the server does
    }


def test_gets_are_always_carried_out():
    service = Service()
    client = Client(LostAnswers(service, log=lambda _: None), Response)
    client.open("/bucket/key", **attempt("g", 1, "GET"))
    client.open("/bucket/key", **attempt("g", 2, "GET"))
    assert service.calls == 2


def test_an_answer_over_the_limit_is_not_kept(monkeypatch):
    monkeypatch.setattr(lost_answers, "MAX_ANSWER_BYTES", 10)
    service = Service(b"x" * 11)
    client = Client(LostAnswers(service, log=lambda _: None), Response)
    client.open("/", **attempt("big", 1))
    assert client.open("/", **attempt("big", 2)).data == b"x" * 11
    assert service.calls == 2


def test_an_answer_the_client_left_half_read_is_kept_whole():
    service = Service(b"0123456789", chunks=5)
    replay = LostAnswers(service, log=lambda _: None)
    first = EnvironBuilder(path="/", **_without_buffered(attempt("half", 1))).get_environ()
    answer = replay(first, lambda status, headers, exc_info=None: None)
    assert next(iter(answer)) == b"01"
    answer.close()  # the server stops writing: the client has gone
    second = EnvironBuilder(path="/", **_without_buffered(attempt("half", 2))).get_environ()
    assert b"".join(replay(second, lambda status, headers, exc_info=None: None)) == b"0123456789"
    assert service.calls == 1


def test_old_answers_are_forgotten_beyond_the_memory_budget(monkeypatch):
    monkeypatch.setattr(lost_answers, "MAX_KEPT_BYTES", 25)
    service = Service(b"x" * 10)
    replay = LostAnswers(service, log=lambda _: None)
    client = Client(replay, Response)
    for invocation in ("a", "b", "c"):
        client.open("/", **attempt(invocation, 1))
    assert replay.kept_bytes == 20
    client.open("/", **attempt("a", 2))  # forgotten: carried out again
    client.open("/", **attempt("c", 2))  # kept: replayed
    assert service.calls == 4


def _without_buffered(options: dict) -> dict:
    return {key: value for key, value in options.items() if key != "buffered"}


def _post(endpoint: str, path: str, body: dict) -> bytes:
    request = urllib.request.Request(endpoint + path, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.read()


def _get(endpoint: str, path: str) -> bytes:
    with urllib.request.urlopen(endpoint + path, timeout=10) as answer:
        return answer.read()


def test_answers_to_the_go_sdk_wait_for_its_writer():
    started = []
    service = Service()

    def timed(environ, start_response):
        started.append(time.monotonic())
        return service(environ, start_response)

    client = Client(LostAnswers(timed, log=lambda _: None), Response)
    sent = time.monotonic()
    client.open("/", method="POST", data=b"{}", headers={"User-Agent": "aws-sdk-go-v2/1.36.3 os/linux"}, buffered=True)
    assert started[0] - sent >= lost_answers.GO_SDK_ANSWER_DELAY_SECONDS
