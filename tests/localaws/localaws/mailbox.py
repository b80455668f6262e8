"""What SNS delivers to email subscribers, kept so tests and the sandbox can read it.

moto drops email deliveries. Here every delivery to an `email` or `email-json`
subscription becomes a message in a mailbox, shaped as SNS sends it: From
"AWS Notifications <no-reply@sns.amazonaws.com>", the publish's Subject (or "AWS
Notification Message"), and as body the protocol's message (MessageStructure=json picks
the `email` key, else `default`) followed by SNS's unsubscribe footer; `email-json`
receives the JSON notification document instead.

GET  /_localaws/sns/mailbox[?to=<address>]  → {"messages": [{to, from, subject, body,
                                               topic_arn, subscription_arn, message_id,
                                               protocol, received_at}]}
POST /_localaws/sns/mailbox {"clear": true}  → forgets every message
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs

MAILBOX_PATH = "/_localaws/sns/mailbox"
SENDER = "AWS Notifications <no-reply@sns.amazonaws.com>"
DEFAULT_SUBJECT = "AWS Notification Message"

_lock = threading.Lock()
_messages: list[dict] = []


def footer(region: str, subscription_arn: str) -> str:
    return (
        "\n\n--\nIf you wish to stop receiving notifications from this topic, please click or visit the link below to unsubscribe:\n"
        f"https://sns.{region}.amazonaws.com/unsubscribe.html?SubscriptionArn={subscription_arn}&Endpoint=\n\n"
        "Please do not reply directly to this email. If you have any questions or comments regarding this email, "
        "please contact us at https://aws.amazon.com/support"
    )


def deliver(message: dict) -> None:
    message = {**message, "from": SENDER, "received_at": time.time()}
    with _lock:
        _messages.append(message)


def messages(to: str | None = None) -> list[dict]:
    with _lock:
        return [m for m in _messages if to is None or m["to"] == to]


def clear() -> None:
    with _lock:
        _messages.clear()


class MailboxMiddleware:
    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != MAILBOX_PATH:
            return self.app(environ, start_response)
        if environ.get("REQUEST_METHOD") == "POST":
            try:
                body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
            except ValueError as err:
                return _json(start_response, "400 Bad Request", {"message": f"body is not JSON: {err}"})
            if body.get("clear"):
                clear()
        to = parse_qs(environ.get("QUERY_STRING", "")).get("to", [None])[0]
        return _json(start_response, "200 OK", {"messages": messages(to)})


def _json(start_response: Callable, status: str, body: dict) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
