"""Counts the AWS API calls the local AWS answers, per caller account, service and action,
so tests and benchmarks can count a component's calls instead of estimating them.

GET /_localaws/requests?account=<12 digits> answers {"account": ..., "total": n,
"calls": {"<service>:<action>": n, ...}} for the calls signed with that account's keys
(the action is the API operation, e.g. "inspector2:BatchGetFindingDetails"; S3 and
OpenSearch are named by method and what they address, e.g. "s3:PUT object", "es:POST _bulk")
(static keys: moto's default account; assumed-role keys: the role's account). Counts only
grow: read them before and after what you measure.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs

from .credentials import find_caller
from .wsgi import request_body

COUNTS_PATH = "/_localaws/requests"
OPENSEARCH_PREFIX = "/_localaws/opensearch/"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/([^/]+)/aws4_request")


class RequestCounter:
    def __init__(self, app: Callable):
        self.app = app
        self.lock = threading.Lock()
        self.counts: dict[str, Counter] = {}

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == COUNTS_PATH:
            return self._answer(environ, start_response)
        if not path.startswith("/_localaws/") or path.startswith(OPENSEARCH_PREFIX):
            self._count(environ)
        return self.app(environ, start_response)

    def _count(self, environ: dict) -> None:
        call = classify(environ)
        if call is None:
            return
        account, key = call
        with self.lock:
            self.counts.setdefault(account, Counter())[key] += 1

    def _answer(self, environ: dict, start_response: Callable) -> list[bytes]:
        account = parse_qs(environ.get("QUERY_STRING", "")).get("account", [""])[0]
        if not re.fullmatch(r"\d{12}", account):
            return _json(start_response, "400 Bad Request", {"message": "give ?account=<12-digit account id>"})
        with self.lock:
            calls = dict(self.counts.get(account, Counter()))
        return _json(start_response, "200 OK", {"account": account, "total": sum(calls.values()), "calls": calls})


def credential_scope(environ: dict) -> tuple[str, str, str] | None:
    """(access key id, region, service) a request is signed for; None if unsigned."""
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.groups() if match else None


def classify(environ: dict) -> tuple[str, str] | None:
    """(caller account, "service:action") of a signed AWS request; None if unsigned."""
    scope = credential_scope(environ)
    if scope is None:
        return None
    access_key_id, _region, service = scope
    caller = find_caller(access_key_id)
    return (caller.account_id if caller else "unknown", f"{service}:{operation(environ, service)}")


def operation(environ: dict, service: str) -> str:
    """The operation: JSON protocols name it in X-Amz-Target, query protocols in Action."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if action:
        return action[0]
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        action = parse_qs(request_body(environ).decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD", "")
    rest_operation = _rest_operation(service, method, path)
    if rest_operation:
        return rest_operation
    # OpenSearch names its API in the path (_bulk, _index_template); S3 (path-style here)
    # addresses a bucket or an object in it.
    if path.startswith(OPENSEARCH_PREFIX):
        path = path[len(OPENSEARCH_PREFIX) :].partition("/")[2]
    segments = [segment for segment in path.split("/") if segment]
    api = next((segment for segment in segments if segment.startswith("_")), None)
    resource = api or ("object" if len(segments) > 1 else "bucket" if segments else "/")
    return f"{method} {resource}"


def _rest_operation(service: str, method: str, path: str) -> str | None:
    """The operation of a REST-JSON call (Inspector v2, Lambda, ...), from the HTTP method
    and path templates of botocore's model of the service. None for S3 and OpenSearch,
    whose calls are named by what they address, and for services botocore does not know."""
    for pattern_method, pattern, operation in _rest_routes(service):
        if method == pattern_method and pattern.fullmatch(path):
            return operation
    return None


@functools.cache
def _rest_routes(service: str) -> tuple[tuple[str, re.Pattern, str], ...]:
    if service in ("s3", "es", "aoss"):
        return ()
    import botocore.session
    from botocore.exceptions import UnknownServiceError

    try:
        model = botocore.session.get_session().get_service_model(service)
    except UnknownServiceError:
        return ()
    if model.protocol not in ("rest-json", "rest-xml"):
        return ()
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        template = http["requestUri"].split("?", 1)[0]
        # {Name+} spans segments, {Name} is one segment.
        regex = re.sub(r"\\\{[^}]+\\\+\\\}", ".+", re.escape(template))
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", regex)
        routes.append((http["method"], re.compile(regex.rstrip("/") + "/?"), name))
    # Literal paths before templated ones: /findings/list must not read as /findings/{id}.
    routes.sort(key=lambda route: route[1].pattern.count("[^/]+") + route[1].pattern.count(".+"))
    return tuple(routes)


def _json(start_response: Callable, status: str, body: dict) -> list[bytes]:
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]
