"""Injected failures, so tests can show what a component does when AWS refuses or throttles.

POST /_localaws/faults with {"account_id": "<12 digits>", "call": "<service>:<action>"
(as /_localaws/requests names calls, e.g. "s3:PUT object", "inspector:DescribeFindings"),
"code": "ThrottlingException", "status": 400, "message": "...", "times": 1, "after": 0}:
the first `after` matching calls signed by that account go through, the `times` after them
get that error (so a test can fail the Nth call without watching for the N-1 before it),
in the protocol's own error shape (JSON with __type, REST-JSON with x-amzn-ErrorType, S3 XML, EC2 XML, or query
XML), and do nothing. With "rate": 0 < r <= 1 (and an optional "seed"), each matching
call fails with that probability instead, for as long as the fault stays (a chaos run);
"times" then defaults to unlimited. {"account_id": ..., "clear": true} forgets the
account's pending faults. Answers the pending faults, each with how many calls it failed
(`injected`).
"""

from __future__ import annotations

import json
import random
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from xml.sax.saxutils import escape

from .request_counts import classify

FAULTS_PATH = "/_localaws/faults"


class Strikes:
    """When a programmed failure strikes: the next `times` attempts, or with a `rate` that
    share of them (seeded), counted in `injected`. Mixed into dataclasses with the fields
    `times`, `rate`, `seed` and `injected` (this module's faults, the OpenSearch domain's)."""

    times: int | None
    rate: float | None
    seed: int | None
    injected: int

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def strikes(self) -> bool:
        """Whether this attempt fails (the caller holds the lock that guards it)."""
        if self.rate is not None and self._random.random() >= self.rate:
            return False
        self.injected += 1
        if self.times is not None:
            self.times -= 1
        return True

    def spent(self) -> bool:
        return self.times is not None and self.times <= 0


@dataclass
class Fault(Strikes):
    account_id: str
    call: str
    code: str
    status: int
    message: str
    times: int | None  # None: until cleared (a rate fault)
    after: int = 0
    rate: float | None = None
    seed: int | None = None
    injected: int = 0

    def strikes(self) -> bool:
        """Whether this matching call fails: the first `after` go through."""
        if self.after:
            self.after -= 1
            return False
        return super().strikes()


class FaultInjector:
    def __init__(self, app: Callable):
        self.app = app
        self.lock = threading.Lock()
        self.pending: list[Fault] = []

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == FAULTS_PATH:
            return self._admin(environ, start_response)
        if self.pending:
            fault = self._take(environ)
            if fault is not None:
                return _error(environ, start_response, fault)
        return self.app(environ, start_response)

    def _take(self, environ: dict) -> Fault | None:
        call = classify(environ)
        if call is None:
            return None
        account, name = call
        with self.lock:
            for fault in self.pending:
                if fault.account_id == account and fault.call == name:
                    if not fault.strikes():
                        return None
                    if fault.spent():
                        self.pending.remove(fault)
                    return fault
        return None

    def _admin(self, environ: dict, start_response: Callable) -> list[bytes]:
        if environ.get("REQUEST_METHOD") == "POST":
            try:
                body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
                self._apply(body)
            except (ValueError, KeyError, TypeError) as err:
                return _json(start_response, "400 Bad Request", {"message": str(err)})
        with self.lock:
            pending = [asdict(f) for f in self.pending]
        return _json(start_response, "200 OK", {"pending": pending})

    def _apply(self, body: dict) -> None:
        account = body.get("account_id")
        if not (isinstance(account, str) and re.fullmatch(r"\d{12}", account)):
            raise ValueError("account_id must be a 12-digit account id")
        if body.get("clear"):
            with self.lock:
                self.pending = [f for f in self.pending if f.account_id != account]
            return
        call, code = body.get("call"), body.get("code")
        if not (isinstance(call, str) and ":" in call and isinstance(code, str) and code):
            raise ValueError('give "call" as service:action and the error "code"')
        rate = body.get("rate")
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= 1):
            raise ValueError("rate must be a number above 0 and at most 1")
        times = body.get("times", None if rate is not None else 1)
        times = None if times is None else int(times)
        status, after = int(body.get("status", 400)), int(body.get("after", 0))
        if (times is not None and times < 1) or after < 0 or not 400 <= status <= 599:
            raise ValueError("times must be at least 1, after at least 0 and status an HTTP error status")
        seed = body.get("seed")
        message = str(body.get("message") or f"{code} (injected by the local AWS)")
        fault = Fault(account, call, code, status, message, times, after, rate, None if seed is None else int(seed))
        with self.lock:
            self.pending.append(fault)


_STATUS_TEXT = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


def _error(environ: dict, start_response: Callable, fault: Fault) -> list[bytes]:
    return aws_error(environ, start_response, fault.call.split(":", 1)[0], fault.code, fault.status, fault.message)


def aws_error(environ: dict, start_response: Callable, service: str, error_code: str, status: int, error_message: str) -> list[bytes]:
    """An error answer in the protocol of the request (JSON, REST-JSON, S3 XML, EC2 XML, query XML)."""
    request_id = str(uuid.uuid4())
    code, message = escape(error_code), escape(error_message)
    extra_headers = []
    if environ.get("HTTP_X_AMZ_TARGET"):
        content_type = "application/x-amz-json-1.1"
        body = json.dumps({"__type": error_code, "message": error_message}).encode()
    elif service not in ("s3", "ec2") and not _is_query_protocol(environ):
        # REST-JSON (inspector2, lambda, ...): the code travels in x-amzn-ErrorType.
        content_type = "application/json"
        body = json.dumps({"message": error_message}).encode()
        extra_headers = [("x-amzn-ErrorType", error_code)]
    elif service == "s3":
        content_type = "application/xml"
        body = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId></Error>'.encode()
    elif service == "ec2":
        content_type = "text/xml"
        body = f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>".encode()
    else:
        content_type = "text/xml"
        error_type = "Receiver" if status >= 500 else "Sender"
        body = f"<ErrorResponse><Error><Type>{error_type}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>".encode()
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body))), ("x-amzn-RequestId", request_id), *extra_headers]
    start_response(f"{status} {_STATUS_TEXT.get(status, 'Error')}", headers)
    return [body]


def _is_query_protocol(environ: dict) -> bool:
    """Query-protocol requests (STS, SNS, SQS query, IAM) name their Action in the query or form."""
    return "Action=" in environ.get("QUERY_STRING", "") or environ.get("CONTENT_TYPE", "").startswith(
        "application/x-www-form-urlencoded"
    )


def _json(start_response: Callable, status: str, body: dict) -> list[bytes]:
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]
