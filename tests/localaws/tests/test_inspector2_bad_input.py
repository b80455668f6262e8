"""Bad input never takes the Inspector v2 emulator down: a few hundred requests generated
from the API model, each certainly invalid (bodies that are not JSON objects, missing
required members, a wrong type or an unknown enum value at some depth), are each answered
with a 4xx in AWS's JSON error shape, and the service still works afterwards."""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.request

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from inspector2_helpers import REGION, fresh_account_id

OPERATIONS = [
    "Enable", "Disable", "BatchGetAccountStatus", "AssociateMember", "DisassociateMember", "GetMember",
    "ListMembers", "EnableDelegatedAdminAccount", "DisableDelegatedAdminAccount", "ListDelegatedAdminAccounts",
    "DescribeOrganizationConfiguration", "UpdateOrganizationConfiguration", "CreateFilter", "UpdateFilter",
    "DeleteFilter", "ListFilters", "ListFindings", "BatchGetFindingDetails", "ListCoverage",
    "ListCoverageStatistics", "GetConfiguration", "UpdateConfiguration", "ListFindingAggregations",
]
WRONG = {  # a value of another type for each model type
    "string": [12345, ["a"], {"a": 1}, True],
    "integer": ["7", 1.5, True, [1]],
    "long": ["7", {"n": 1}],
    "double": ["0.5", [0.5], False],
    "boolean": ["true", 1, "false"],
    "timestamp": ["yesterday", [1]],
    "list": ["x", {"a": 1}, 3],
    "map": [[], "x", 2],
    "structure": ["x", [], 7],
}
ERROR_TYPES = {"ValidationException", "AccessDeniedException", "ResourceNotFoundException", "BadRequestException", "ConflictException"}


def _valid(shape, rng: random.Random, depth: int = 0):
    """A plausible value of `shape` (only used around the one broken member)."""
    kind = shape.type_name
    if kind == "structure":
        return {name: _valid(member, rng, depth + 1) for name, member in shape.members.items()
                if name in shape.required_members and member.serialization.get("location") is None and depth < 4}
    if kind == "list":
        return [] if depth >= 4 or shape.metadata.get("min", 0) == 0 else [_valid(shape.member, rng, depth + 1)]
    if kind == "map":
        return {}
    if kind == "string":
        enum = getattr(shape, "enum", None)
        return enum[0] if enum else "x" * max(1, shape.metadata.get("min", 1))
    if kind in ("integer", "long"):
        return int(shape.metadata.get("min", 1))
    if kind in ("double", "float"):
        return 1.0
    if kind == "boolean":
        return True
    return 1700000000


def _broken(shape, rng: random.Random, depth: int = 0) -> tuple[object, str]:
    """A value of `shape` with exactly one certainly-invalid spot; returns it and its path."""
    kind = shape.type_name
    if kind == "structure":
        members = [(n, m) for n, m in shape.members.items() if m.serialization.get("location") is None]
        if depth >= 3 or not members or rng.random() < 0.25:
            return rng.choice(WRONG["structure"]), "(self)"
        name, member = rng.choice(members)
        value = _valid(shape, rng, depth)
        # A union takes one member only.
        if shape.metadata.get("union"):
            value = {}
        bad, where = _broken(member, rng, depth + 1)
        value[name] = bad
        return value, f"{name}.{where}"
    if kind == "list" and depth < 3 and rng.random() < 0.6:
        bad, where = _broken(shape.member, rng, depth + 1)
        return [bad], f"[0].{where}"
    if kind == "string" and getattr(shape, "enum", None) and rng.random() < 0.5:
        return "NOT_A_" + shape.enum[0], "(enum)"
    return rng.choice(WRONG.get(kind, WRONG["string"])), f"({kind})"


def _bodies(operation, rng: random.Random) -> list[tuple[bytes, str]]:
    shape = operation.input_shape
    out = [(b"{", "not JSON"), (b"[1, 2]", "an array"), (b'"text"', "a string"), (b"null", "null"),
           (bytes(rng.getrandbits(8) for _ in range(40)), "random bytes")]
    body_members = {n: m for n, m in shape.members.items() if m.serialization.get("location") is None} if shape else {}
    required = [n for n in (shape.required_members if shape else []) if n in body_members]
    if required:
        out.append((b"{}", f"missing {required[0]}"))
    for _ in range(8 if body_members else 0):
        value, where = _broken(shape, rng)  # not a dict: the body itself is not an object
        out.append((json.dumps(value).encode(), where))
    return out


def _send(endpoint: str, credentials: Credentials, path: str, body: bytes) -> tuple[int, dict, bytes]:
    request = AWSRequest(method="POST", url=f"{endpoint}{path}", data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(credentials, "inspector2", REGION).add_auth(request)
    prepared = urllib.request.Request(request.url, data=body, method="POST", headers=dict(request.headers.items()))
    try:
        with urllib.request.urlopen(prepared, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_hundreds_of_bad_requests_each_get_an_aws_error(accounts, endpoint):
    model = botocore.session.get_session().get_service_model("inspector2")
    account = fresh_account_id()
    keys = accounts.credentials(account)
    credentials = Credentials(keys["aws_access_key_id"], keys["aws_secret_access_key"], keys["aws_session_token"])
    rng = random.Random(16)
    sent = 0
    for name in OPERATIONS:
        operation = model.operation_model(name)
        for body, why in _bodies(operation, rng):
            status, headers, raw = _send(endpoint, credentials, operation.http["requestUri"], body)
            sent += 1
            context = f"{name} with {why}: {status} {raw[:300]!r}"
            assert 400 <= status < 500, context
            answer = json.loads(raw)
            assert answer.get("__type") in ERROR_TYPES, context
            assert isinstance(answer.get("message"), str) and answer["message"], context
            if answer["__type"] == "ValidationException":
                assert answer["reason"] in ("CANNOT_PARSE", "FIELD_VALIDATION_FAILED", "OTHER"), context
    assert sent >= 200
    # Still serving.
    client = accounts.client("inspector2", account)
    assert client.list_findings()["findings"] == []
    assert client.enable(resourceTypes=["EC2"])["accounts"][0]["resourceStatus"]["ec2"] == "ENABLED"
