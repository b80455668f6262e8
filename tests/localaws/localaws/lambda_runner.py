"""Runs deployed Lambda functions for their SQS event source mappings, as the Lambda service does.

moto stores functions and event source mappings but cannot run code (it needs Docker).
This runner does the service's part for `provided.al2023` zip functions, which are native
executables (`bootstrap`): for every enabled SQS mapping of an account and region it

  1. fetches the function's deployed package from the local AWS (`/_localaws/lambda/code`)
     and unpacks it once per CodeSha256;
  2. gets credentials for the function's execution role as lambda.amazonaws.com
     (`/_localaws/sts/service-credentials`: the role's trust policy is evaluated, with
     aws:SourceAccount = the function's account);
  3. starts `bootstrap` with the function's environment variables, those credentials,
     AWS_REGION, the AWS_LAMBDA_* variables and a local Runtime API (2018-06-01), and keeps
     it warm between invocations (one instance per function: reserved concurrency 1);
  4. receives up to BatchSize messages, invokes with the documented SQS event, deletes the
     records that succeeded (ReportBatchItemFailures: all but `batchItemFailures`; without
     it, all or none), and makes failed records visible again at once. SQS's redrive policy
     moves a record to the dead-letter queue after maxReceiveCount receives. As Lambda's
     poller does, it reads the queue's attributes, receives and deletes with the execution
     role's keys, so the role's policy must allow them (localaws.identity enforces it).

It stops when every mapped queue is empty (`drain`). Differences from Lambda, on purpose:
failed records are retried at once instead of after the visibility timeout, one batch at a
time per function; the function's logs go to <logs>/<function>.log instead of CloudWatch.

`python -m localaws run-lambdas --account 111111111111 --region us-east-1 --logs DIR`
prints one JSON line per function with what it did.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import random
import shutil
import subprocess
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.request import urlopen

from .accounts import Accounts, ServiceAccessDenied

RUNTIME_PREFIX = "/2018-06-01/runtime"


class LambdaRunnerError(Exception):
    """Something the user can fix; the message says what."""


@dataclass
class Outcome:
    kind: str  # "response" | "error" | "init-error" | "exited" | "timeout"
    payload: object = None


class RuntimeApi:
    """The Lambda Runtime API one function instance talks to."""

    def __init__(self) -> None:
        self.events: queue.Queue = queue.Queue()
        self.outcomes: dict[str, queue.Queue] = {}
        self.init_error: object = None
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # the function's own logs are what matter
                pass

            def handle(self) -> None:
                try:
                    super().handle()
                except ConnectionResetError:
                    pass  # the process was killed mid-request (a chaos kill, a timeout)

            def do_GET(self) -> None:
                if self.path != f"{RUNTIME_PREFIX}/invocation/next":
                    return self._answer(404, {"errorMessage": f"unknown path {self.path}"})
                request_id, event, deadline_ms, function_arn = api.events.get()
                body = json.dumps(event).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(deadline_ms))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", function_arn)
                self.send_header("Lambda-Runtime-Trace-Id", f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}")
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    payload = json.loads(raw) if raw else None
                except ValueError:
                    payload = raw.decode(errors="replace")
                parts = self.path[len(RUNTIME_PREFIX) :].strip("/").split("/")
                if parts == ["init", "error"]:
                    api.init_error = payload
                    return self._answer(202, {"status": "OK"})
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    outcomes = api.outcomes.get(parts[1])
                    if outcomes is None:
                        return self._answer(400, {"errorMessage": f"unknown request id {parts[1]}"})
                    outcomes.put(Outcome(parts[2], payload))
                    return self._answer(202, {"status": "OK"})
                return self._answer(404, {"errorMessage": f"unknown path {self.path}"})

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Function:
    """One deployed function and its warm instance."""

    accounts: Accounts
    account_id: str
    region: str
    name: str
    logs: Path
    cache: Path
    env_overrides: dict[str, str] = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    process: subprocess.Popen | None = None
    api: RuntimeApi | None = None
    log_file: object = None
    invocations: int = 0
    errors: int = 0
    cpu_seconds: float = 0.0  # user + system time of the function's instances
    credentials: dict | None = None
    # Chaos: the share of invocations whose process is killed mid-batch, and how many were.
    kill_rate: float = 0.0
    kills: int = 0
    chance: random.Random = field(default_factory=random.Random)

    def load(self) -> None:
        client = self.accounts.client("lambda", self.account_id, self.region)
        self.config = client.get_function_configuration(FunctionName=self.name)
        if self.config.get("PackageType", "Zip") != "Zip":
            raise LambdaRunnerError(f"{self.name}: only zip functions can run here, not {self.config['PackageType']}")

    def _code_dir(self) -> Path:
        sha = self.config["CodeSha256"]
        directory = self.cache / hashlib.sha256(sha.encode()).hexdigest()[:16]
        if (directory / "bootstrap").exists():
            return directory
        url = f"{self.accounts.endpoint}/_localaws/lambda/code?account={self.account_id}&region={self.region}&function={self.name}"
        with urlopen(url, timeout=60) as answer:
            package = answer.read()
        tmp = directory.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        archive = tmp / "package.zip"
        archive.write_bytes(package)
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                zipped.extract(info, tmp)
                mode = (info.external_attr >> 16) & 0o777
                if mode:
                    os.chmod(tmp / info.filename, mode)
        archive.unlink()
        if not (tmp / "bootstrap").exists():
            raise LambdaRunnerError(f"{self.name}: the deployed package has no `bootstrap` at its root (provided.al2023 needs one)")
        os.chmod(tmp / "bootstrap", 0o755)
        shutil.rmtree(directory, ignore_errors=True)
        tmp.rename(directory)
        return directory

    def role_credentials(self) -> dict:
        """The execution role's keys, as Lambda gets them (once per runner)."""
        if self.credentials is None:
            self.credentials = self._assume_role()
        return self.credentials

    def role_client(self, service: str):
        """A client signed as the execution role: Lambda's SQS poller reads the queue as it."""
        return self.accounts.client_with(self.role_credentials(), service, self.region)

    def _assume_role(self) -> dict:
        try:
            return self.accounts.service_credentials(
                self.config["Role"],
                "lambda.amazonaws.com",
                source_account=self.account_id,
                source_arn=self.config["FunctionArn"],
                session_name=self.name,
            )
        except ServiceAccessDenied as err:
            raise LambdaRunnerError(f"{self.name}: {err}") from None

    def start(self) -> None:
        code = self._code_dir()
        creds = self.role_credentials()
        self.api = RuntimeApi()
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": str(code),
            "AWS_EXECUTION_ENV": "AWS_Lambda_provided.al2023",
            "AWS_LAMBDA_RUNTIME_API": self.api.address,
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_VERSION": self.config.get("Version", "$LATEST"),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.config.get("MemorySize", 128)),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ACCESS_KEY_ID": creds["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": creds["aws_secret_access_key"],
            "AWS_SESSION_TOKEN": creds["aws_session_token"],
            # Not set by Lambda: points the function's SDK at the local AWS.
            "AWS_ENDPOINT_URL": self.accounts.endpoint,
            **(self.config.get("Environment") or {}).get("Variables", {}),
            **self.env_overrides,
        }
        self.logs.mkdir(parents=True, exist_ok=True)
        self.log_file = open(self.logs / f"{self.name}.log", "ab")
        self.process = subprocess.Popen(
            [str(code / "bootstrap")], cwd=code, env=env, stdout=self.log_file, stderr=subprocess.STDOUT
        )

    def invoke(self, event: dict) -> Outcome:
        if self.process is None or self.process.poll() is not None:
            self.stop()
            self.start()
        assert self.api is not None and self.process is not None
        request_id = str(uuid.uuid4())
        timeout = float(self.config.get("Timeout", 3))
        outcomes: queue.Queue = queue.Queue()
        self.api.outcomes[request_id] = outcomes
        self.api.events.put((request_id, event, int((time.time() + timeout) * 1000), self.config["FunctionArn"]))
        self.invocations += 1
        if self.kill_rate and self.chance.random() < self.kill_rate:
            # Mid-batch: within the first 50 ms of the invocation, whatever it is doing.
            threading.Timer(self.chance.uniform(0, 0.05), self._kill, args=(self.process,)).start()
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    outcome = outcomes.get(timeout=0.05)
                    break
                except queue.Empty:
                    pass
                if self.api.init_error is not None:
                    outcome = Outcome("init-error", self.api.init_error)
                    self.stop()
                    break
                if self.process.poll() is not None:
                    outcome = Outcome("exited", self.process.returncode)
                    self.stop()
                    break
                if time.monotonic() > deadline:
                    outcome = Outcome("timeout", f"Task timed out after {timeout:.2f} seconds")
                    self.stop()  # Lambda discards a timed-out instance
                    break
        finally:
            self.api.outcomes.pop(request_id, None) if self.api else None
        if outcome.kind != "response":
            self.errors += 1
        return outcome

    def _kill(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.kill()
            self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.cpu_seconds += _cpu_seconds(self.process.pid)
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
        if self.api is not None:
            self.api.close()
            self.api = None
        if self.log_file is not None:
            self.log_file.close()
            self.log_file = None


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sqs_record(message: dict, queue_arn: str, region: str) -> dict:
    """One record of the SQS event Lambda sends (AWS Lambda Developer Guide, "Using Lambda with Amazon SQS")."""
    attributes = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            key: attributes[key]
            for key in ("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp")
            if key in attributes
        },
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value["DataType"],
            }
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def failed_ids(outcome: Outcome, records: list[dict], reports_item_failures: bool) -> set[str]:
    """The message ids Lambda treats as failed after this invocation."""
    every = {record["messageId"] for record in records}
    if outcome.kind != "response":
        return every
    if not reports_item_failures:
        return set()
    payload = outcome.payload
    if payload is None:
        return set()
    failures = payload.get("batchItemFailures") if isinstance(payload, dict) else None
    if failures is None:
        return set()
    ids = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in every:
            return every  # an invalid report fails the whole batch, as Lambda does
        ids.add(identifier)
    return ids


@dataclass
class Mapping:
    uuid: str
    queue_arn: str
    queue_url: str
    batch_size: int
    reports_item_failures: bool
    function: Function
    records: int = 0
    failed: int = 0
    poller: object = None  # SQS client signed as the function's execution role


class Runner:
    def __init__(
        self,
        accounts: Accounts,
        account_id: str,
        region: str,
        logs: Path,
        env_overrides: dict[str, str],
        function_prefix: str = "",
        kill_rate: float = 0.0,
        seed: int | None = None,
    ):
        self.accounts = accounts
        self.account_id = account_id
        self.region = region
        self.sqs = accounts.client("sqs", account_id, region)
        self.cache = logs.resolve() / ".code"  # absolute: the bootstrap starts in its own directory
        functions: dict[str, Function] = {}
        self.mappings: list[Mapping] = []
        client = accounts.client("lambda", account_id, region)
        for page in client.get_paginator("list_event_source_mappings").paginate():
            for mapping in page["EventSourceMappings"]:
                if mapping.get("State") not in ("Enabled", "Enabling") or ":sqs:" not in mapping.get("EventSourceArn", ""):
                    continue
                name = mapping["FunctionArn"].split(":")[6]
                if not name.startswith(function_prefix):
                    continue
                if name not in functions:
                    functions[name] = Function(
                        accounts, account_id, region, name, logs, self.cache, env_overrides, kill_rate=kill_rate, chance=random.Random(seed)
                    )
                    functions[name].load()
                queue_arn = mapping["EventSourceArn"]
                queue_name, queue_account = queue_arn.split(":")[5], queue_arn.split(":")[4]
                url = self.sqs.get_queue_url(QueueName=queue_name, QueueOwnerAWSAccountId=queue_account)["QueueUrl"]
                poller = functions[name].role_client("sqs")
                # Lambda reads the queue's attributes as the execution role when it starts polling.
                poller.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
                self.mappings.append(
                    Mapping(
                        uuid=mapping["UUID"],
                        queue_arn=queue_arn,
                        queue_url=url,
                        batch_size=min(int(mapping.get("BatchSize", 10)), 10),
                        reports_item_failures="ReportBatchItemFailures" in mapping.get("FunctionResponseTypes", []),
                        function=functions[name],
                        poller=poller,
                    )
                )
        self.functions = functions

    def poll_once(self, mapping: Mapping) -> int:
        """One receive + invoke; returns the number of records handed to the function."""
        answer = mapping.poller.receive_message(
            QueueUrl=mapping.queue_url,
            MaxNumberOfMessages=mapping.batch_size,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        )
        messages = answer.get("Messages", [])
        if not messages:
            return 0
        records = [sqs_record(message, mapping.queue_arn, self.region) for message in messages]
        outcome = mapping.function.invoke({"Records": records})
        failed = failed_ids(outcome, records, mapping.reports_item_failures)
        if outcome.kind != "response":
            print(
                f"lambda-runner: {mapping.function.name}: invocation failed ({outcome.kind}): {json.dumps(outcome.payload)[:500]}",
                flush=True,
            )
        succeeded = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(succeeded), 10):
            chunk = succeeded[start : start + 10]
            mapping.poller.delete_message_batch(
                QueueUrl=mapping.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
        retry = [m for m in messages if m["MessageId"] in failed]
        if retry:
            # Lambda leaves failed records until their visibility timeout ends; making them
            # visible at once is the runner's shortcut, not a call of the execution role.
            self.sqs.change_message_visibility_batch(
                QueueUrl=mapping.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0} for i, m in enumerate(retry)],
            )
        mapping.records += len(records)
        mapping.failed += len(retry)
        return len(records)

    def queue_depth(self, mapping: Mapping) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=mapping.queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def drain(self, timeout: float) -> None:
        """Polls every mapping (one thread each) until all their queues are empty."""
        deadline = time.monotonic() + timeout
        errors: list[BaseException] = []

        def work(mapping: Mapping) -> None:
            try:
                idle = 0
                while time.monotonic() < deadline:
                    if self.poll_once(mapping):
                        idle = 0
                        continue
                    if self.queue_depth(mapping) == 0:
                        idle += 1
                        if idle >= 2:
                            return
                    time.sleep(0.2)
                raise LambdaRunnerError(
                    f"{mapping.queue_arn} still has {self.queue_depth(mapping)} messages after {timeout:.0f} s"
                )
            except BaseException as err:  # reported by drain's caller
                errors.append(err)

        threads = [threading.Thread(target=work, args=(mapping,)) for mapping in self.mappings]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def summary(self) -> list[dict]:
        return [
            {
                "function": mapping.function.name,
                "queue": mapping.queue_arn,
                "records": mapping.records,
                "failed_records": mapping.failed,
                "invocations": mapping.function.invocations,
                "invocation_errors": mapping.function.errors,
                "kills": mapping.function.kills,
                "cpu_seconds": round(mapping.function.cpu_seconds, 2),
            }
            for mapping in self.mappings
        ]

    def close(self) -> None:
        for function in self.functions.values():
            function.stop()


def run(
    endpoint: str, account_id: str, region: str, logs: Path, timeout: float, env_overrides: dict[str, str], function_prefix: str = ""
) -> list[dict]:
    runner = Runner(Accounts(endpoint), account_id, region, logs, env_overrides, function_prefix)
    if not runner.mappings:
        raise LambdaRunnerError(f"no enabled SQS event source mapping in {account_id} {region}: apply the stack first")
    try:
        runner.drain(timeout)
    finally:
        runner.close()
    return runner.summary()
