"""WSGI middleware serving the OpenSearch test endpoint and its admin route.

  /_localaws/opensearch/<domain>/...       OpenSearch REST API, every request SigV4-verified
  /_localaws/opensearch-admin/<domain>     GET: what the domain saw and holds; POST: program it

Routing uses the raw path split on "/" and then percent-decoded, so a document id may
contain an encoded "/" (%2F) as in OpenSearch.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from urllib.parse import parse_qsl, unquote

from ..wsgi import request_body
from . import admin
from .domain import Domain, domains
from .documents import OpenSearchError
from .sigv4 import AuthError, SignedRequest, verify

API_PREFIX = "/_localaws/opensearch/"
ADMIN_PREFIX = "/_localaws/opensearch-admin/"
JSON_CONTENT_TYPE = "application/json; charset=UTF-8"
# Bodies OpenSearch parses; others it refuses with 406.
ACCEPTED_CONTENT_TYPES = ("application/json", "application/x-ndjson", "application/vnd.opensearch+json")
STATUS_TEXT = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Request Entity Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class OpenSearchMiddleware:
    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        raw_path, _, raw_query = _raw_uri(environ).partition("?")
        if raw_path.startswith(ADMIN_PREFIX):
            domain_name = unquote(raw_path[len(ADMIN_PREFIX) :])
            status, body = admin.handle(environ["REQUEST_METHOD"], domain_name, request_body(environ))
            return _answer(start_response, status, body)
        if not raw_path.startswith(API_PREFIX):
            return self.app(environ, start_response)
        domain_name, _, rest = raw_path[len(API_PREFIX) :].partition("/")
        if not admin.DOMAIN_NAME.fullmatch(domain_name):
            return _answer(start_response, 404, {"message": f"no test domain [{domain_name}]: {admin.DOMAIN_NAME_RULE}"})
        domain = domains.get(domain_name)
        request = SignedRequest(
            method=environ["REQUEST_METHOD"],
            raw_path=raw_path,
            raw_query=raw_query,
            headers=_headers(environ),
            body=request_body(environ),
        )
        with domain.lock:
            status, body, headers = _serve(domain, request, rest, raw_query)
        if request.method == "HEAD":
            return _answer(start_response, status, body, headers, send_body=False)
        return _answer(start_response, status, body, headers)


def _serve(domain: Domain, request: SignedRequest, rest: str, raw_query: str) -> tuple[int, object, list]:
    domain.request_count += 1
    entry = {
        "method": request.method,
        "path": "/" + rest + ("?" + raw_query if raw_query else ""),
        "bytes": len(request.body),
    }
    domain.request_log.append(entry)
    refusal = domain.payload_too_large(len(request.body))
    if refusal is not None:
        entry["status"] = 413
        return 413, refusal, []
    try:
        caller = verify(request, domain.region, domain.service)
    except AuthError as err:
        entry.update(status=403, auth_error=err.message)
        return _auth_failure(domain, request.method, err)
    entry.update(account_id=caller.account_id, access_key_id=caller.access_key_id, role_arn=caller.role_arn)
    try:
        failure = domain.take_request_failure()
        if failure is not None:
            entry["programmed_failure"] = True
            raise failure
        parts = [unquote(part) for part in rest.split("/") if part]
        status, body = _route(domain, request, parts, raw_query, caller.account_id)
    except OpenSearchError as err:
        status, body = err.status, err.body()
    entry["status"] = status
    return status, body, []


def _route(domain: Domain, request: SignedRequest, parts: list[str], raw_query: str, account_id: str) -> tuple[int, object]:
    method = request.method
    params = dict(parse_qsl(raw_query))
    _check_content_type(request)

    def allow(*methods: str) -> None:
        if method not in methods:
            raise _wrong_method(parts, method, methods)

    if not parts:
        allow("GET", "HEAD")
        return 200, domain.info(account_id)
    if parts == ["_bulk"]:
        allow("POST", "PUT")
        return domain.bulk(request.body, None)
    if len(parts) == 2 and parts[0] == "_index_template":
        allow("GET", "PUT", "POST", "DELETE")
        if method == "GET":
            return domain.get_index_template(parts[1])
        if method == "DELETE":
            return domain.delete_index_template(parts[1])
        return domain.put_index_template(parts[1], _json_body(request))
    index = parts[0]
    if index.startswith("_"):
        raise _no_handler(parts, method)
    if len(parts) == 1:
        allow("PUT", "DELETE", "HEAD")
        if method == "PUT":
            return domain.create_index(index, _json_body(request))
        if method == "DELETE":
            return domain.delete_index(index)
        return (200 if domain.index_exists(index) else 404), {}
    endpoint = parts[1]
    if parts[1:] == ["_bulk"]:
        allow("POST", "PUT")
        return domain.bulk(request.body, index)
    if endpoint == "_mapping" and len(parts) == 2:
        allow("PUT", "POST")
        return domain.put_mapping(index, _json_body(request))
    if endpoint in ("_search", "_count") and len(parts) == 2:
        allow("GET", "POST")
        if endpoint == "_search":
            return domain.search(index, _json_body(request), params)
        return domain.count(index, _json_body(request))
    if endpoint == "_doc" and len(parts) == 2:
        allow("POST")
        return domain.write_document("index", index, None, _json_body(request))
    if endpoint in ("_doc", "_create") and len(parts) == 3:
        doc_id = parts[2]
        if endpoint == "_create":
            allow("PUT", "POST")
            return domain.write_document("create", index, doc_id, _json_body(request))
        allow("GET", "HEAD", "PUT", "POST", "DELETE")
        if method in ("GET", "HEAD"):
            return domain.get_document(index, doc_id)
        if method == "DELETE":
            return domain.write_document("delete", index, doc_id, None)
        action = "create" if params.get("op_type") == "create" else "index"
        return domain.write_document(action, index, doc_id, _json_body(request))
    raise _no_handler(parts, method)


def _auth_failure(domain: Domain, method: str, err: AuthError) -> tuple[int, dict, list]:
    if domain.service == "aoss":
        # Serverless collections answer every authentication failure alike; the hint header
        # is the only clue they give.
        body = {"status": 403, "request-id": str(uuid.uuid4()), "error": {"reason": "403 Forbidden", "type": "Forbidden"}}
        return 403, body, [("x-aoss-response-hint", "X01:gw-helper-deny")]
    if err.anonymous:
        action = "es:ESHttp" + method.capitalize()
        message = (
            f"User: anonymous is not authorized to perform: {action} "
            f"because no resource-based policy allows the {action} action"
        )
        return 403, {"Message": message}, []
    return 403, {"message": err.message}, []


def _check_content_type(request: SignedRequest) -> None:
    content_type = request.headers.get("content-type")
    if request.body and content_type and content_type.split(";")[0].strip().lower() not in ACCEPTED_CONTENT_TYPES:
        raise _PlainError(406, f"Content-Type header [{content_type}] is not supported")


def _json_body(request: SignedRequest) -> dict:
    if not request.body.strip():
        return {}
    try:
        body = json.loads(request.body)
    except ValueError as err:
        raise OpenSearchError(400, "parse_exception", f"Failed to parse content to map: {err}") from None
    if not isinstance(body, dict):
        raise OpenSearchError(400, "parse_exception", "request body is required to be an object")
    return body


class _PlainError(OpenSearchError):
    """The few errors OpenSearch's REST layer answers as {"error": "<text>", "status": N}."""

    def __init__(self, status: int, message: str):
        super().__init__(status, "", message)

    def body(self) -> dict:
        return {"error": self.reason, "status": self.status}


def _wrong_method(parts: list[str], method: str, allowed: tuple[str, ...]) -> OpenSearchError:
    uri = "/" + "/".join(parts)
    return _PlainError(405, f"Incorrect HTTP method for uri [{uri}] and method [{method}], allowed: [{', '.join(allowed)}]")


def _no_handler(parts: list[str], method: str) -> OpenSearchError:
    uri = "/" + "/".join(parts)
    return _PlainError(400, f"no handler found for uri [{uri}] and method [{method}]")


def _raw_uri(environ: dict) -> str:
    """The request target as the client sent it; PATH_INFO is already percent-decoded."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return raw.encode("latin-1").decode("utf-8", "replace")
    query = environ.get("QUERY_STRING")
    return environ.get("PATH_INFO", "") + ("?" + query if query else "")


def _headers(environ: dict) -> dict[str, str]:
    headers = {
        key[5:].replace("_", "-").lower(): value.encode("latin-1").decode("utf-8", "replace")
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    return headers


def _answer(
    start_response: Callable, status: int, body: object, headers: list | None = None, send_body: bool = True
) -> list[bytes]:
    payload = json.dumps(body).encode()
    start_response(
        f"{status} {STATUS_TEXT.get(status, 'Unknown')}",
        [("Content-Type", JSON_CONTENT_TYPE), ("Content-Length", str(len(payload))), *(headers or [])],
    )
    return [payload] if send_body else []
