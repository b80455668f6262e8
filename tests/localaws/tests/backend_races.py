"""Races between moto's request threads, provoked in one process: `python backend_races.py RACE stock|patched`.

Each race runs a backend call that loops over shared state on one thread while another
thread changes that state, with the interpreter switching threads as often as it can, and
prints JSON: {"race", "patched", "failure": <what went wrong or null>, "seconds"}. "stock"
runs moto as installed; "patched" applies the fidelity patch that closes the race first.
test_patches.py runs it in a child process, so the patch never touches the tests' own moto.
"""

from __future__ import annotations

import json
import sys
import threading
import time

ACCOUNT = "123456789012"
REGION = "us-east-1"
# The fidelity patch that closes each race.
RACES = {
    "iam-role-lookup": "iam_roles_under_concurrency",
    "iam-same-name": "iam_roles_under_concurrency",
    "sns-publish": "sns_subscriptions_under_concurrency",
    "dynamodb-conditional-update": "dynamodb_atomic_item_writes",
}


def _churn(stop: threading.Event, step) -> threading.Thread:
    def loop():
        i = 0
        while not stop.is_set():
            step(i)
            i += 1

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def _until_failure(seconds: float, probe, churn_step) -> str | None:
    """Runs probe() while churn_step(i) runs on another thread; the first RuntimeError or None."""
    stop = threading.Event()
    thread = _churn(stop, churn_step)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            try:
                probe()
            except RuntimeError as err:
                return f"RuntimeError: {err}"
    finally:
        stop.set()
        thread.join()
    return None


def iam_role_lookup(seconds: float) -> str | None:
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends

    iam = iam_backends[ACCOUNT]["aws"]
    for i in range(100):
        iam.create_role(f"steady-{i}", "{}", "/", None, "", [], None)

    def lookup():
        # What every request signed with role-session keys does (mark_account_as_visited).
        try:
            iam.get_role_by_arn(f"arn:aws:iam::{ACCOUNT}:role/not-created")
        except NotFoundException:
            pass

    def churn(i):
        iam.create_role(f"churn-{i}", "{}", "/", None, "", [], None)
        iam.delete_role(f"churn-{i}")

    return _until_failure(seconds, lookup, churn)


def iam_same_name(seconds: float) -> str | None:
    """Two threads create one role name at once; AWS lets exactly one succeed."""
    from moto.iam.exceptions import EntityAlreadyExists
    from moto.iam.models import iam_backends

    iam = iam_backends[ACCOUNT]["aws"]
    deadline = time.monotonic() + seconds
    attempt = 0
    while time.monotonic() < deadline:
        name = f"contested-{attempt}"
        attempt += 1
        barrier = threading.Barrier(2)
        created = []

        def create():
            barrier.wait()
            try:
                created.append(iam.create_role(name, "{}", "/", None, "", [], None))
            except EntityAlreadyExists:
                pass

        threads = [threading.Thread(target=create) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if len(created) != 1:
            return f"{len(created)} concurrent CreateRole calls for {name} succeeded"
    return None


def sns_publish(seconds: float) -> str | None:
    from moto.sns.models import sns_backends

    sns = sns_backends[ACCOUNT][REGION]
    topic = sns.create_topic("findings")
    for i in range(200):
        sns.subscribe(topic.arn, f"arn:aws:sqs:{REGION}:{ACCOUNT}:steady-{i}", "sqs")

    def churn(i):
        subscription = sns.subscribe(topic.arn, f"arn:aws:sqs:{REGION}:{ACCOUNT}:churn-{i}", "sqs")
        sns.unsubscribe(subscription.arn)

    # Topic.publish delivers to list_subscriptions_by_topic's answer; the loop is the same.
    return _until_failure(seconds, lambda: sns.list_subscriptions_by_topic(topic.arn), churn)


def dynamodb_conditional_update(seconds: float) -> str | None:
    """Two threads advance one item to versions 1 and 2, each only if it holds an older one,
    asking for the old item (as notify-findings' newest-announced record does). AWS applies
    them one after the other: version 1 sees nothing and version 2 sees 1, or version 2 sees
    nothing and version 1 is refused with the item at 2; the item ends at version 2.

    Through boto3 and moto's request handler, in process: the old item UpdateItem reports is
    read in the handler, before the backend checks the condition.
    """
    import os

    import boto3
    from moto import mock_aws

    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]
    with mock_aws():
        clients = [
            boto3.client("dynamodb", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
            for _ in range(2)
        ]
        clients[0].create_table(
            TableName="claims",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        deadline = time.monotonic() + seconds
        attempt = 0
        while time.monotonic() < deadline:
            key = {"pk": {"S": f"finding-{attempt}#latest"}}
            attempt += 1
            barrier = threading.Barrier(2)
            seen: dict[int, tuple[str, int | None]] = {}

            def advance(client, version: int) -> None:
                barrier.wait()
                try:
                    answer = client.update_item(
                        TableName="claims",
                        Key=key,
                        UpdateExpression="SET version = :version",
                        ConditionExpression="attribute_not_exists(pk) OR version < :version",
                        ExpressionAttributeValues={":version": {"N": str(version)}},
                        ReturnValues="ALL_OLD",
                        ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    )
                    old = answer.get("Attributes", {}).get("version")
                    seen[version] = ("advanced", int(old["N"]) if old else None)
                except client.exceptions.ConditionalCheckFailedException as err:
                    old = err.response.get("Item", {}).get("version")
                    seen[version] = ("refused", int(old["N"]) if old else None)

            threads = [threading.Thread(target=advance, args=(clients[i], i + 1)) for i in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            final = int(clients[0].get_item(TableName="claims", Key=key)["Item"]["version"]["N"])
            serial = seen in (
                {1: ("advanced", None), 2: ("advanced", 1)},
                {2: ("advanced", None), 1: ("refused", 2)},
            )
            if not serial or final != 2:
                return f"{key['pk']['S']}: {seen}, ended at version {final}"
    return None


def main() -> None:
    race, mode = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    if mode == "patched":
        from localaws import patches

        patches.PATCHES[RACES[race]]()
    # Switch threads as often as the interpreter allows, so a race shows in milliseconds.
    sys.setswitchinterval(1e-6)
    started = time.monotonic()
    failure = {
        "iam-role-lookup": iam_role_lookup,
        "iam-same-name": iam_same_name,
        "sns-publish": sns_publish,
        "dynamodb-conditional-update": dynamodb_conditional_update,
    }[race](seconds)
    print(json.dumps({"race": race, "patched": mode == "patched", "failure": failure, "seconds": round(time.monotonic() - started, 3)}))


if __name__ == "__main__":
    main()
