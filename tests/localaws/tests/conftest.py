"""Fixtures for tests against the local AWS: one instance per test run, reached as any account.

Account N is reached by sts:AssumeRole into arn:aws:iam::N:role/<any> with the static keys;
the static keys alone land in moto's default account 123456789012.
"""

from __future__ import annotations

import os
import uuid

import pytest

from localaws import control
from localaws.accounts import Accounts

SECURITY_ACCOUNT = "111111111111"
MEMBER_ACCOUNTS = ("222222222222", "333333333333")


@pytest.fixture(scope="session")
def endpoint() -> str:
    info = control.up()
    return f"http://{control.HOST}:{info['port']}"


@pytest.fixture(scope="session")
def accounts(endpoint: str) -> Accounts:
    return Accounts(endpoint)


@pytest.fixture
def ins(accounts):
    """Inspector Classic in the first member account, us-east-1."""
    return accounts.client("inspector", MEMBER_ACCOUNTS[0])


@pytest.fixture
def ec2(accounts):
    """EC2 in the first member account, us-east-1."""
    return accounts.client("ec2", MEMBER_ACCOUNTS[0])


@pytest.fixture
def unique() -> str:
    """A short random suffix: tests share one local AWS, so names must not collide."""
    return uuid.uuid4().hex[:8]


@pytest.fixture
def stock(monkeypatch):
    """boto3 clients of stock moto, in-process and without our patches: for the gap tests
    that show moto still lacks what a patch adds."""
    import boto3
    from moto import mock_aws

    # `make test` exports AWS_ENDPOINT_URL; botocore would send these clients to the
    # patched server instead of moto's in-process mock.
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name)
    with mock_aws():
        yield lambda service: boto3.client(
            service, region_name=control.DEFAULT_REGION, aws_access_key_id="x", aws_secret_access_key="x"
        )


@pytest.fixture(autouse=True)
def _no_caller_aws_profile(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "MOTO_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    os.environ.setdefault("AWS_DEFAULT_REGION", control.DEFAULT_REGION)
