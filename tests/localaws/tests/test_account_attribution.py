"""Under concurrency, every request lands in the account whose credentials signed it.

Terraform applies many resources at once in several accounts, with the same role name and
session name in each (as the examples do), and `make test` runs lanes in parallel. A
request attributed to the wrong account shows up as a resource in another account's
listing, or as EntityAlreadyExists / QueueAlreadyExists for a name that only the other
account holds. This test provokes that: 20 accounts of its own, each assuming roles (new
and reused sessions) and creating same-named IAM roles, SQS queues and SNS topics from
parallel threads, then checks every answer and every account's listing.
"""

from __future__ import annotations

import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

from localaws import control

ACCOUNT_COUNT = 20
RESOURCES_PER_ACCOUNT = 6
# The examples give every member provider the same role name and session name.
ROLE_NAME = "inspectorlink-deploy"
SESSION_NAME = "terraform"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
)
# No retries: a retried create would hide a wrong answer behind "already exists".
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=50)


def _accounts(unique: str) -> list[str]:
    # Accounts of this test's own, fresh in the local AWS: their per-account backends are
    # created lazily while other threads already use them, as on a first apply.
    seed = int(unique, 16) % 10**6
    return [f"7{seed:06d}{index:05d}" for index in range(ACCOUNT_COUNT)]


class _Sessions:
    """Assumed-role keys per account: a new session sometimes, a reused one otherwise."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self.lock = threading.Lock()
        # One boto3 session builds every client (its model cache makes that cheap); boto3
        # sessions are not thread-safe, clients are: building takes the lock.
        self.boto = boto3.Session(region_name="us-east-1")
        self.cached: dict[str, dict] = {}
        self.assumed = 0
        self.sts = self._client("sts", aws_access_key_id=control.ACCESS_KEY, aws_secret_access_key=control.SECRET_KEY)

    def _client(self, service: str, **keys):
        with self.lock:
            return self.boto.client(service, endpoint_url=self.endpoint, config=NO_RETRIES, **keys)

    def assume(self, account: str) -> dict:
        creds = self.sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE_NAME}", RoleSessionName=SESSION_NAME)[
            "Credentials"
        ]
        with self.lock:
            self.assumed += 1
        return {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }

    def keys(self, account: str, rng: random.Random) -> dict:
        with self.lock:
            if account in self.cached and rng.random() < 0.5:
                return self.cached[account]
        keys = self.assume(account)
        with self.lock:
            self.cached[account] = keys
        return keys

    def client(self, service: str, account: str, rng: random.Random):
        return self._client(service, **self.keys(account, rng))


def _create(sessions: _Sessions, account: str, kind: str, name: str, seed: int) -> list[str]:
    """Creates one resource in `account`; returns what was wrong with the answers."""
    rng = random.Random(seed)
    problems = []
    who = sessions.client("sts", account, rng).get_caller_identity()["Account"]
    if who != account:
        problems.append(f"GetCallerIdentity with {account}'s keys answered {who}")
    if kind == "role":
        arn = sessions.client("iam", account, rng).create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"][
            "Arn"
        ]
    elif kind == "queue":
        url = sessions.client("sqs", account, rng).create_queue(QueueName=name)["QueueUrl"]
        arn = f"arn:aws:sqs:us-east-1:{url.rstrip('/').split('/')[-2]}:{name}"
    else:
        arn = sessions.client("sns", account, rng).create_topic(Name=name)["TopicArn"]
    if arn.split(":")[4] != account:
        problems.append(f"{kind} {name} created with {account}'s keys came back as {arn}")
    return problems


def _listing(sessions: _Sessions, account: str, unique: str) -> dict[str, set[str]]:
    rng = random.Random(0)
    roles = sessions.client("iam", account, rng).list_roles(PathPrefix="/")["Roles"]
    queues = sessions.client("sqs", account, rng).list_queues(QueueNamePrefix=f"attr-{unique}").get("QueueUrls", [])
    topics = sessions.client("sns", account, rng).list_topics()["Topics"]
    return {
        "role": {role["RoleName"] for role in roles if unique in role["RoleName"]},
        "queue": {url.rstrip("/").rsplit("/", 1)[1] for url in queues},
        "topic": {t["TopicArn"].rsplit(":", 1)[1] for t in topics if unique in t["TopicArn"]},
    }


def test_concurrent_requests_land_in_the_account_that_signed_them(endpoint, unique):
    accounts = _accounts(unique)
    sessions = _Sessions(endpoint)
    # The same names in every account, so a misattributed create collides or leaks.
    names = {kind: [f"attr-{unique}-{kind}-{i}" for i in range(RESOURCES_PER_ACCOUNT)] for kind in ("role", "queue", "topic")}
    jobs = [(account, kind, name) for account in accounts for kind, kind_names in names.items() for name in kind_names]
    random.Random(unique).shuffle(jobs)

    with ThreadPoolExecutor(max_workers=24) as pool:
        futures = [pool.submit(_create, sessions, account, kind, name, seed) for seed, (account, kind, name) in enumerate(jobs)]
        problems = [problem for future in futures for problem in future.result()]

    assert not problems, "\n".join(problems[:20])
    assert len(jobs) == ACCOUNT_COUNT * 3 * RESOURCES_PER_ACCOUNT
    assert sessions.assumed > ACCOUNT_COUNT, "the test meant to mix new and reused role sessions"

    expected = {kind: set(kind_names) for kind, kind_names in names.items()}
    with ThreadPoolExecutor(max_workers=8) as pool:
        listings = dict(zip(accounts, pool.map(lambda account: _listing(sessions, account, unique), accounts)))
    wrong = {account: listing for account, listing in listings.items() if listing != expected}
    assert not wrong, f"accounts whose listing is not exactly their own resources: {sorted(wrong)[:5]}"
