"""The admin route of the OpenSearch test endpoint: /_localaws/opensearch-admin/<domain>.

GET answers what the domain saw and holds (see Domain.describe). POST takes a JSON object;
its keys are applied in this order and the answer is the same as GET's:

  "reset": true            forget data, templates, failures, statistics and settings
  "region": "eu-west-1"    the region requests must be signed for (default us-east-1)
  "service": "aoss"        the signing service, "es" (default) or "aoss"
  "max_payload_bytes": N   the largest request body accepted (default 10 MiB, the smallest
                           instance types' limit); a larger one is refused whole with a 413
  "fail_documents": [{"id": "<doc id>", "status": 429, "type": "...", "reason": "...", "times": 1}, ...]
                           the next `times` bulk/document attempts on that id (any index)
                           fail with that per-item status and error; type and reason
                           default from the status
  "fail_requests": {"status": 503, "type": "...", "reason": "...", "times": 1}
                           the next `times` authenticated requests answer that error
                           instead of doing anything; {"times": 0} cancels. With
                           "rate": r (0 < r <= 1, optional "seed"), that share of the
                           requests, until cancelled (a chaos run)
  "fail_any_document": {"status": 429, "rate": 0.1, "seed": 1, "type": "...", "reason": "..."}
                           that share of all bulk/document attempts fail with that
                           per-item error, until {"rate": 0} cancels
  "indices": {"<name>": {"mappings": {...}}}
                           creates those indices with those mappings, as an earlier
                           release of a client would have left them (an existing one is
                           an error)
"""

from __future__ import annotations

import json
import re

from .documents import OpenSearchError, check_index_name
from .domain import DEFAULT_ERROR_TYPES, DEFAULT_REASONS, SERVICES, Domain, ProgrammedFailure, domains

# Amazon OpenSearch Service's rule for domain names.
DOMAIN_NAME = re.compile(r"[a-z][a-z0-9-]{2,27}")
DOMAIN_NAME_RULE = "3-28 characters: lower-case letters, digits and hyphens, starting with a letter"
KNOWN_KEYS = {"reset", "region", "service", "max_payload_bytes", "fail_documents", "fail_requests", "fail_any_document", "indices"}
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")


class AdminError(ValueError):
    """A request the test can fix; the message says how."""


def handle(method: str, domain_name: str, body: bytes) -> tuple[int, dict]:
    if not DOMAIN_NAME.fullmatch(domain_name):
        return 400, {"message": f"invalid domain name [{domain_name}]: {DOMAIN_NAME_RULE}"}
    if method == "GET":
        domain = domains.get(domain_name)
        with domain.lock:
            return 200, domain.describe()
    if method != "POST":
        return 405, {"message": "use GET or POST"}
    try:
        changes = _read_object(body)
        settings = _validated(changes)
    except AdminError as err:
        return 400, {"message": str(err)}
    if changes.get("reset") is True:
        domains.replace(domain_name)
    domain = domains.get(domain_name)
    with domain.lock:
        try:
            _apply(domain, settings)
        except AdminError as err:
            return 400, {"message": str(err)}
        return 200, domain.describe()


def _read_object(body: bytes) -> dict:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        raise AdminError("the body must be a JSON object") from None
    if not isinstance(parsed, dict):
        raise AdminError("the body must be a JSON object")
    unknown = set(parsed) - KNOWN_KEYS
    if unknown:
        raise AdminError(f"unknown keys {sorted(unknown)}; known: {sorted(KNOWN_KEYS)}")
    return parsed


def _validated(changes: dict) -> dict:
    """The changes checked, failures built: a request with any bad value changes nothing."""
    settings: dict = {}
    if "reset" in changes and not isinstance(changes["reset"], bool):
        raise AdminError("reset must be true or false")
    if "region" in changes:
        if not (isinstance(changes["region"], str) and REGION.fullmatch(changes["region"])):
            raise AdminError(f"region must be an AWS region name such as us-east-1, not {changes['region']!r}")
        settings["region"] = changes["region"]
    if "service" in changes:
        if changes["service"] not in SERVICES:
            raise AdminError(f"service must be one of {list(SERVICES)}, not {changes['service']!r}")
        settings["service"] = changes["service"]
    if "max_payload_bytes" in changes:
        limit = changes["max_payload_bytes"]
        if not (isinstance(limit, int) and not isinstance(limit, bool) and limit > 0):
            raise AdminError(f"max_payload_bytes must be a positive number of bytes, not {limit!r}")
        settings["max_payload_bytes"] = limit
    if "fail_documents" in changes:
        settings["document_failures"] = {}
        for spec in _list(changes["fail_documents"], "fail_documents"):
            doc_id = spec.get("id")
            if not isinstance(doc_id, str) or not doc_id:
                raise AdminError('each fail_documents entry needs an "id" (the document _id)')
            settings["document_failures"][doc_id] = _failure(spec, "fail_documents", allowed={"id"})
    if "fail_requests" in changes:
        spec = changes["fail_requests"]
        if not isinstance(spec, dict):
            raise AdminError("fail_requests must be an object")
        settings["request_failure"] = None if spec.get("times") == 0 or spec.get("rate") == 0 else _failure(spec, "fail_requests")
    if "fail_any_document" in changes:
        spec = changes["fail_any_document"]
        if not isinstance(spec, dict) or "rate" not in spec:
            raise AdminError('fail_any_document must be an object with a "rate"')
        settings["document_failure_rate"] = None if spec["rate"] == 0 else _failure(spec, "fail_any_document")
    if "indices" in changes:
        indices = changes["indices"]
        if not isinstance(indices, dict) or not all(
            isinstance(spec, dict) and set(spec) <= {"mappings"} and isinstance(spec.get("mappings", {}), dict) for spec in indices.values()
        ):
            raise AdminError('indices must map index names to {"mappings": {...}}')
        for name in indices:
            try:
                check_index_name(name)
            except OpenSearchError as err:
                raise AdminError(err.reason) from None
        settings["indices"] = indices
    return settings


def _apply(domain: Domain, settings: dict) -> None:
    for name in settings.get("indices", {}):
        if domain.index_exists(name):
            raise AdminError(f"index [{name}] exists already; reset the domain first")
    for name, spec in settings.get("indices", {}).items():
        domain.create_index(name, spec)
    domain.region = settings.get("region", domain.region)
    domain.service = settings.get("service", domain.service)
    domain.max_payload_bytes = settings.get("max_payload_bytes", domain.max_payload_bytes)
    domain.document_failures.update(settings.get("document_failures", {}))
    if "request_failure" in settings:
        domain.request_failure = settings["request_failure"]
    if "document_failure_rate" in settings:
        domain.document_failure_rate = settings["document_failure_rate"]


def _list(value: object, key: str) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise AdminError(f"{key} must be a list of objects")
    return value


def _failure(spec: dict, key: str, allowed: frozenset | set = frozenset()) -> ProgrammedFailure:
    unknown = set(spec) - {"status", "type", "reason", "times", "rate", "seed"} - set(allowed)
    if unknown:
        raise AdminError(f"{key}: unknown keys {sorted(unknown)}")
    status = spec.get("status")
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise AdminError(f"{key}: status must be an HTTP error status (400-599)")
    rate = spec.get("rate")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= 1):
        raise AdminError(f"{key}: rate must be a number above 0 and at most 1")
    seed = spec.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise AdminError(f"{key}: seed must be an integer")
    times = spec.get("times", None if rate is not None else 1)
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise AdminError(f"{key}: times must be a positive integer")
    error_type = spec.get("type") or DEFAULT_ERROR_TYPES.get(status, "exception")
    reason = spec.get("reason") or DEFAULT_REASONS.get(error_type, error_type.replace("_", " "))
    if not isinstance(error_type, str) or not isinstance(reason, str):
        raise AdminError(f"{key}: type and reason must be strings")
    return ProgrammedFailure(status, error_type, reason, times, rate, seed)
