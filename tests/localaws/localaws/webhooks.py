"""Slack and Microsoft Teams incoming webhooks, answering as those services do, so that
notify-findings' chat messages can be read and counted.

An accepted message lands in the local mailbox (mailbox.py) with `protocol` "slack" or
"teams", `to` the webhook's URL and `body` the JSON posted; tests read it with
GET /_localaws/sns/mailbox?to=<webhook URL>.

POST /_localaws/webhooks/slack/<path>   Slack (api.slack.com/messaging/webhooks): a JSON
    object with `text` or `blocks` → 200 "ok"; not JSON → 400 "invalid_payload"; neither
    text nor blocks → 400 "no_text"; a header block over 150 characters → 400
    "invalid_blocks".
POST /_localaws/webhooks/teams/<path>   Teams Workflows ("when a Teams webhook request is
    received"): a JSON `message` whose attachments are Adaptive Cards → 202 Accepted;
    otherwise 400 with {"error": {"code": "InvalidRequestContent", "message": ...}}.

Programmed failures (the Strikes of faults.py: the next `times` posts, or a seeded `rate`):
POST /_localaws/webhooks {"fail": {"path": "/slack/T0", "status": 503, "times": 2}}
    posts whose path (after /_localaws/webhooks) starts with `path` answer `status`: 429
    says "rate_limited" with Retry-After `retry_after` (default 1) seconds, as Slack does;
    others Slack's or Teams' error text.
GET  /_localaws/webhooks   → {"failures": [...], "received": <count per path>}
POST /_localaws/webhooks {"clear": true[, "path": "/slack/T0"]} → forgets the failures and
    counts (of paths starting with `path`)
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from . import mailbox
from .faults import Strikes

WEBHOOKS_PATH = "/_localaws/webhooks"
SLACK_HEADER_MAX = 150


@dataclass
class Failure(Strikes):
    path: str
    status: int
    times: int | None = None
    rate: float | None = None
    seed: int | None = None
    retry_after: int = 1
    injected: int = 0


class Webhooks:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.failures: list[Failure] = []
        self.received: Counter[str] = Counter()

    def program(self, body: dict) -> None:
        with self.lock:
            if body.get("clear"):
                # Only a path's own, when it names one: tests running side by side.
                prefix = body.get("path") or ""
                self.failures = [f for f in self.failures if not f.path.startswith(prefix)]
                for path in [p for p in self.received if p.startswith(prefix)]:
                    del self.received[path]
            fail = body.get("fail")
            if fail:
                if not isinstance(fail.get("path"), str) or not isinstance(fail.get("status"), int):
                    raise ValueError("fail needs a path (a prefix such as /slack/T0) and an HTTP status")
                if fail.get("times") is None and fail.get("rate") is None:
                    raise ValueError("fail needs times (the next N posts) or rate (a share of them)")
                self.failures.append(Failure(**fail))

    def failure_for(self, path: str) -> Failure | None:
        with self.lock:
            for failure in self.failures:
                if path.startswith(failure.path) and not failure.spent() and failure.strikes():
                    return failure
        return None

    def describe(self) -> dict:
        with self.lock:
            return {
                "failures": [{k: v for k, v in asdict(f).items()} for f in self.failures],
                "received": dict(self.received),
            }


WEBHOOKS = Webhooks()


class WebhooksMiddleware:
    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(WEBHOOKS_PATH):
            return self.app(environ, start_response)
        rest = path[len(WEBHOOKS_PATH) :]
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        if rest in ("", "/"):
            return self._admin(environ, start_response, body)
        kind = rest.split("/")[1]
        if kind not in ("slack", "teams") or environ.get("REQUEST_METHOD") != "POST":
            return _answer(start_response, "404 Not Found", b"no_service", "text/plain")
        failure = WEBHOOKS.failure_for(rest)
        if failure is not None:
            return _failure(start_response, kind, failure)
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        problem = (_slack_problem if kind == "slack" else _teams_problem)(payload)
        if problem is not None:
            if kind == "slack":
                return _answer(start_response, "400 Bad Request", problem.encode(), "text/plain")
            error = {"error": {"code": "InvalidRequestContent", "message": problem}}
            return _answer(start_response, "400 Bad Request", json.dumps(error).encode(), "application/json")
        url = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}{path}"
        subject = payload.get("text") if kind == "slack" else payload.get("summary")
        mailbox.deliver({"to": url, "subject": subject or "", "body": body.decode(), "protocol": kind})
        with WEBHOOKS.lock:
            WEBHOOKS.received[rest] += 1
        if kind == "slack":
            return _answer(start_response, "200 OK", b"ok", "text/plain")
        return _answer(start_response, "202 Accepted", b"", "text/plain")

    def _admin(self, environ: dict, start_response: Callable, body: bytes) -> list[bytes]:
        if environ.get("REQUEST_METHOD") == "POST":
            try:
                WEBHOOKS.program(json.loads(body or b"{}"))
            except (ValueError, TypeError) as err:
                return _answer(start_response, "400 Bad Request", json.dumps({"message": str(err)}).encode(), "application/json")
        return _answer(start_response, "200 OK", json.dumps(WEBHOOKS.describe()).encode(), "application/json")


def _slack_problem(payload: object) -> str | None:
    if not isinstance(payload, dict):
        return "invalid_payload"
    if not payload.get("text") and not payload.get("blocks"):
        return "no_text"
    for block in payload.get("blocks") or []:
        if not isinstance(block, dict) or "type" not in block:
            return "invalid_blocks"
        if block["type"] == "header" and len((block.get("text") or {}).get("text", "")) > SLACK_HEADER_MAX:
            return "invalid_blocks"
    return None


def _teams_problem(payload: object) -> str | None:
    if not isinstance(payload, dict) or payload.get("type") != "message":
        return "The request body must be a JSON object of type \"message\"."
    attachments = payload.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return "The message must have attachments."
    for attachment in attachments:
        content = (attachment or {}).get("content") or {}
        if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive" or content.get("type") != "AdaptiveCard":
            return "Each attachment must be an Adaptive Card (contentType application/vnd.microsoft.card.adaptive)."
        if not isinstance(content.get("body"), list):
            return "The Adaptive Card has no body."
    return None


def _failure(start_response: Callable, kind: str, failure: Failure) -> list[bytes]:
    status = f"{failure.status} {'Too Many Requests' if failure.status == 429 else 'Error'}"
    if failure.status == 429:
        body = b"rate_limited"
        start_response(status, [("Content-Type", "text/plain"), ("Retry-After", str(failure.retry_after)), ("Content-Length", str(len(body)))])
        return [body]
    text = b"internal_error" if kind == "slack" else json.dumps({"error": {"code": "InternalServerError", "message": "The service is unavailable."}}).encode()
    return _answer(start_response, status, text, "text/plain" if kind == "slack" else "application/json")


def _answer(start_response: Callable, status: str, body: bytes, content_type: str) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]
