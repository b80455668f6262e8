"""Keeps clients from losing answers, and gives a retry the answer its earlier attempt
lost instead of carrying the request out a second time.

Why: hashicorp/aws (Go's net/http under smithy-go) loses an answer that arrives too soon.
Go's writer goroutine puts the request body on the wire, then copies the body once more
to check it is at its end; smithy-go closes the body as soon as the response headers are
in, and a closed body answers that copy with io.EOF from WriteTo, which io.Copy reports
as a failure. So when the headers overtake the writer, the transport closes its own
connection (FIN right after the headers; the server's body then meets RST) and reading
the answer fails with "use of closed network connection", which the SDK retries. Across
the internet the writer is long done; on loopback, under load, some answers in a thousand
were lost (tests/localaws/README.md, "Lost answers"). Retried reads are harmless; a
retried create meets what its first attempt made (`EntityAlreadyExists`), a retried
delete what its first attempt removed (`ResourceNotFoundException`), and the apply fails.

So answers to the Go SDK wait GO_SDK_ANSWER_DELAY_SECONDS, less than AWS's own latency,
which gives the writer the time it needs.

And SDKs name an operation invocation in `amz-sdk-invocation-id` (the same in every attempt)
and the attempt in `amz-sdk-request: attempt=N; max=M` (Go, Rust and Python SDKs). A
request with attempt > 1, the same method, path, query and body as the earlier attempt of
its invocation, whose earlier attempt produced a 2xx answer, gets that answer back. Any
other request is carried out: first attempts, retries of failed attempts (5xx, throttling,
injected faults) and requests without the headers. GET and HEAD are never replayed (they
are idempotent, and S3 objects can be large); nor are answers over MAX_ANSWER_BYTES.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from .request_counts import classify
from .wsgi import request_body

INVOCATION_HEADER = "HTTP_AMZ_SDK_INVOCATION_ID"
ATTEMPT_HEADER = "HTTP_AMZ_SDK_REQUEST"
MAX_ANSWER_BYTES = 1 << 20
# Retries come within seconds; the budget bounds memory, not correctness.
MAX_KEPT_BYTES = 64 << 20
MAX_KEPT_INVOCATIONS = 20_000
# A retry that overtakes its earlier attempt (a client timeout) waits for it this long.
WAIT_FOR_EARLIER_SECONDS = 60
GO_SDK_ANSWER_DELAY_SECONDS = 0.005
_ATTEMPT = re.compile(r"(?:^|;)\s*attempt=(\d+)")


@dataclass
class _Answer:
    status: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class _Attempt:
    fingerprint: bytes
    done: threading.Event = field(default_factory=threading.Event)
    answer: _Answer | None = None


class LostAnswers:
    def __init__(self, app: Callable, log: Callable[[str], None] = print):
        self.app = app
        self.log = log
        self.lock = threading.Lock()
        self.attempts: OrderedDict[str, _Attempt] = OrderedDict()
        self.kept_bytes = 0

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if "aws-sdk-go" in environ.get("HTTP_USER_AGENT", ""):
            time.sleep(GO_SDK_ANSWER_DELAY_SECONDS)
        invocation = environ.get(INVOCATION_HEADER)
        if not invocation or environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return self.app(environ, start_response)
        fingerprint = _fingerprint(environ)
        attempt_number = _attempt_number(environ.get(ATTEMPT_HEADER, ""))
        with self.lock:
            earlier = self.attempts.get(invocation)
        if earlier is not None and attempt_number > 1 and earlier.fingerprint == fingerprint:
            earlier.done.wait(WAIT_FOR_EARLIER_SECONDS)
            answer = earlier.answer
            if answer is not None:
                call = classify(environ)
                self.log(
                    f"localaws: attempt {attempt_number} of {call[1] if call else 'a request'} "
                    f"(invocation {invocation}) gets the answer its earlier attempt got: "
                    "the client lost that answer, and carrying it out again would fail"
                )
                start_response(answer.status, answer.headers)
                return [answer.body]
        record = _Attempt(fingerprint)
        with self.lock:
            self._forget(self.attempts.pop(invocation, None))
            self.attempts[invocation] = record
        captured: dict = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info=None):
            captured["status"] = status
            captured["headers"] = list(headers)
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, capture)
        except BaseException:
            record.done.set()
            raise
        return _Recorder(body, captured, record, self._keep)

    def _keep(self, record: _Attempt, answer: _Answer) -> None:
        with self.lock:
            record.answer = answer
            self.kept_bytes += len(answer.body)
            while self.attempts and (
                self.kept_bytes > MAX_KEPT_BYTES or len(self.attempts) > MAX_KEPT_INVOCATIONS
            ):
                _, oldest = self.attempts.popitem(last=False)
                self._forget(oldest)

    def _forget(self, record: _Attempt | None) -> None:
        """Called with the lock held."""
        if record is not None and record.answer is not None:
            self.kept_bytes -= len(record.answer.body)
            record.answer = None


class _Recorder:
    """Passes the answer through to the server and keeps a copy of a complete 2xx one."""

    def __init__(self, body: Iterable[bytes], captured: dict, record: _Attempt, keep: Callable):
        self.body = body
        self.chunks: Iterator[bytes] = iter(body)
        self.captured = captured
        self.record = record
        self.keep = keep
        self.parts: list[bytes] = []
        self.size = 0
        self.finished = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        try:
            chunk = next(self.chunks)
        except StopIteration:
            self.finished = True
            raise
        self._add(chunk)
        return chunk

    def _add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size <= MAX_ANSWER_BYTES:
            self.parts.append(chunk)

    def close(self) -> None:
        try:
            # The server stops iterating when the client is gone: the operation is done
            # all the same, so the rest of the answer is kept for the retry.
            while not self.finished and self.size <= MAX_ANSWER_BYTES:
                try:
                    self._add(next(self.chunks))
                except StopIteration:
                    self.finished = True
            status = self.captured.get("status", "")
            if self.finished and self.size <= MAX_ANSWER_BYTES and status.startswith("2"):
                self.keep(self.record, _Answer(status, self.captured["headers"], b"".join(self.parts)))
        finally:
            self.record.done.set()
            if hasattr(self.body, "close"):
                self.body.close()


def _attempt_number(header: str) -> int:
    match = _ATTEMPT.search(header)
    return int(match.group(1)) if match else 1


def _fingerprint(environ: dict) -> bytes:
    """What makes two attempts the same request: method, path, query and body."""
    body = request_body(environ)
    digest = hashlib.sha256()
    for part in (environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(body)
    return digest.digest()
