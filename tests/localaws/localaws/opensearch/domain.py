"""One test domain: its settings, data, programmed failures and what it saw.

Operations return (HTTP status, JSON body) as OpenSearch 2.x answers them, or raise
OpenSearchError. The caller holds the domain's lock.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field

from ..faults import Strikes
from .documents import (
    NOOP_SHARDS,
    PRIMARY_TERM,
    WRITE_SHARDS,
    Document,
    Index,
    OpenSearchError,
    check_index_name,
    index_not_found,
    merge_mapping_properties,
    merge_partial_document,
    new_document_id,
    new_uuid,
    resolve_indices,
    strict_mapping_violation,
    template_mappings,
)

DEFAULT_REGION = "us-east-1"
SERVICES = ("es", "aoss")
BULK_ACTIONS = ("index", "create", "update", "delete")
# Amazon OpenSearch Service's "maximum size of HTTP request payloads" for the smallest
# instance types (t2/t3/m5.large and the like; 100 MiB on larger ones): its front end
# refuses a larger request whole, before authentication, with a 413.
DEFAULT_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
# The request log keeps the most recent entries only, so a long test run stays small.
REQUEST_LOG_LENGTH = 1000
OPENSEARCH_VERSION = {
    "distribution": "opensearch",
    "number": "2.13.0",
    "build_type": "tar",
    "build_hash": "unknown",
    "build_date": "2024-03-27T09:11:05.305858Z",
    "build_snapshot": False,
    "lucene_version": "9.10.0",
    "minimum_wire_compatibility_version": "7.10.0",
    "minimum_index_compatibility_version": "7.0.0",
}
# Reasons OpenSearch gives for the errors tests usually program, when the test names none.
DEFAULT_REASONS = {
    "es_rejected_execution_exception": (
        "rejected execution of coordinating operation [coordinating_and_primary_bytes=0, "
        "replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1024, max_coordinating_and_primary_bytes=0]"
    ),
    "mapper_parsing_exception": "failed to parse",
    "cluster_block_exception": "blocked by: [SERVICE_UNAVAILABLE/2/no master];",
    "version_conflict_engine_exception": "version conflict",
}
DEFAULT_ERROR_TYPES = {
    400: "mapper_parsing_exception",
    429: "es_rejected_execution_exception",
    503: "cluster_block_exception",
}


@dataclass
class ProgrammedFailure(Strikes):
    """An error to answer instead of doing the work, for the next `times` attempts; with a
    `rate`, for that share of the attempts (seeded), until cancelled."""

    status: int
    error_type: str
    reason: str
    times: int | None
    rate: float | None = None
    seed: int | None = None
    injected: int = 0

    def error(self) -> OpenSearchError:
        return OpenSearchError(self.status, self.error_type, self.reason)


@dataclass
class Domain:
    name: str
    region: str = DEFAULT_REGION
    service: str = "es"
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES
    cluster_uuid: str = field(default_factory=new_uuid)
    indices: dict[str, Index] = field(default_factory=dict)
    index_templates: dict[str, dict] = field(default_factory=dict)
    # Keyed by document id; the failure applies in any index.
    document_failures: dict[str, ProgrammedFailure] = field(default_factory=dict)
    request_failure: ProgrammedFailure | None = None
    # Any document attempt, at a rate (a chaos run).
    document_failure_rate: ProgrammedFailure | None = None
    request_count: int = 0
    bulk_calls: int = 0
    document_attempts: dict[str, dict[str, int]] = field(default_factory=dict)
    request_log: deque = field(default_factory=lambda: deque(maxlen=REQUEST_LOG_LENGTH))
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- what tests read back ------------------------------------------------------------

    def describe(self) -> dict:
        return {
            "domain": self.name,
            "region": self.region,
            "service": self.service,
            "max_payload_bytes": self.max_payload_bytes,
            "request_count": self.request_count,
            "bulk_calls": self.bulk_calls,
            "document_attempts": self.document_attempts,
            "documents": {name: index.stored_documents() for name, index in self.indices.items()},
            "indices": {name: {"uuid": index.uuid, "mappings": index.mappings} for name, index in self.indices.items()},
            "index_templates": self.index_templates,
            "pending_failures": {
                "documents": {doc_id: asdict(failure) for doc_id, failure in self.document_failures.items()},
                "requests": asdict(self.request_failure) if self.request_failure else None,
                "any_document": asdict(self.document_failure_rate) if self.document_failure_rate else None,
            },
            "requests": list(self.request_log),
        }

    def payload_too_large(self, size: int) -> dict | None:
        """The front end's refusal of a payload over the limit (None: within it)."""
        if size <= self.max_payload_bytes:
            return None
        return {"Message": f"Request size exceeded {self.max_payload_bytes} bytes"}

    def take_request_failure(self) -> OpenSearchError | None:
        failure = self.request_failure
        if failure is None or not failure.strikes():
            return None
        if failure.spent():
            self.request_failure = None
        return failure.error()

    # -- cluster and indices -------------------------------------------------------------

    def info(self, account_id: str) -> dict:
        return {
            "name": f"{self.name}-node-1",
            "cluster_name": f"{account_id}:{self.name}",
            "cluster_uuid": self.cluster_uuid,
            "version": OPENSEARCH_VERSION,
            "tagline": "The OpenSearch Project: https://opensearch.org/",
        }

    def create_index(self, name: str, body: dict) -> tuple[int, dict]:
        check_index_name(name)
        if name in self.indices:
            index = self.indices[name]
            raise OpenSearchError(
                400,
                "resource_already_exists_exception",
                f"index [{name}/{index.uuid}] already exists",
                {"index_uuid": index.uuid, "index": name},
            )
        self._new_index(name, body.get("mappings"))
        return 200, {"acknowledged": True, "shards_acknowledged": True, "index": name}

    def delete_index(self, expression: str) -> tuple[int, dict]:
        for index in resolve_indices(self.indices, expression):
            del self.indices[index.name]
        return 200, {"acknowledged": True}

    def index_exists(self, name: str) -> bool:
        return name in self.indices

    def put_mapping(self, expression: str, body: dict) -> tuple[int, dict]:
        """PUT <index>/_mapping: adds fields to live indices; a field's type cannot change."""
        properties = body.get("properties")
        if not isinstance(properties, dict):
            raise validation_failed("mapping source is empty or has no properties")
        # Merged into copies, kept only when every index takes the change: a refused change
        # leaves every index as it was.
        merged = {}
        for index in resolve_indices(self.indices, expression):
            mappings = copy.deepcopy(index.mappings)
            merge_mapping_properties(mappings.setdefault("properties", {}), properties)
            merged[index.name] = mappings
        for name, mappings in merged.items():
            self.indices[name].mappings = mappings
        return 200, {"acknowledged": True}

    def put_index_template(self, name: str, body: dict) -> tuple[int, dict]:
        if not body.get("index_patterns"):
            raise validation_failed("index patterns are missing")
        self.index_templates[name] = body
        return 200, {"acknowledged": True}

    def get_index_template(self, name: str) -> tuple[int, dict]:
        if name not in self.index_templates:
            raise OpenSearchError(404, "resource_not_found_exception", f"index template matching [{name}] not found")
        return 200, {"index_templates": [{"name": name, "index_template": self.index_templates[name]}]}

    def delete_index_template(self, name: str) -> tuple[int, dict]:
        if self.index_templates.pop(name, None) is None:
            raise OpenSearchError(404, "index_template_missing_exception", f"index_template [{name}] missing")
        return 200, {"acknowledged": True}

    def _new_index(self, name: str, mappings: dict | None = None) -> Index:
        index = Index(name, mappings if mappings is not None else template_mappings(self.index_templates, name))
        self.indices[name] = index
        return index

    # -- single documents ----------------------------------------------------------------

    def get_document(self, index_name: str, doc_id: str) -> tuple[int, dict]:
        index = self.indices.get(index_name)
        if index is None:
            raise index_not_found(index_name)
        doc = index.documents.get(doc_id)
        if doc is None:
            return 404, {"_index": index_name, "_id": doc_id, "found": False}
        return 200, {
            "_index": index_name,
            "_id": doc_id,
            "_version": doc.version,
            "_seq_no": doc.seq_no,
            "_primary_term": PRIMARY_TERM,
            "found": True,
            "_source": doc.source,
        }

    def write_document(self, action: str, index_name: str, doc_id: str | None, source: object) -> tuple[int, dict]:
        """PUT/POST <index>/_doc[/<id>], PUT <index>/_create/<id>, DELETE <index>/_doc/<id>."""
        item = self._bulk_item(action, {"_index": index_name, "_id": doc_id}, source)
        status = item.pop("status")
        if "error" in item:
            cause = item["error"]
            return status, {"error": {"root_cause": [cause], **cause}, "status": status}
        return status, item

    # -- _bulk ---------------------------------------------------------------------------

    def bulk(self, body: bytes, path_index: str | None) -> tuple[int, dict]:
        started = time.monotonic()
        self.bulk_calls += 1
        actions = parse_bulk(body, path_index)
        items = [{action: self._bulk_item(action, metadata, source)} for action, metadata, source in actions]
        errors = any("error" in result for item in items for result in item.values())
        took = int((time.monotonic() - started) * 1000)
        return 200, {"took": took, "errors": errors, "items": items}

    def _bulk_item(self, action: str, metadata: dict, source: object) -> dict:
        index_name = metadata["_index"]
        doc_id = metadata.get("_id")
        if doc_id is None and action in ("index", "create"):
            doc_id = new_document_id()
        attempts = self.document_attempts.setdefault(index_name, {})
        attempts[doc_id] = attempts.get(doc_id, 0) + 1
        try:
            check_index_name(index_name)
            failure = self.document_failures.get(doc_id)
            if failure is not None and failure.strikes():
                if failure.spent():
                    del self.document_failures[doc_id]
                raise failure.error()
            if self.document_failure_rate is not None and self.document_failure_rate.strikes():
                raise self.document_failure_rate.error()
            if action in ("index", "create") and metadata.get("version_type") in EXTERNAL_VERSION_TYPES:
                result = self._bulk_index(index_name, doc_id, source, (metadata["version_type"], metadata["version"]))
            else:
                result = getattr(self, f"_bulk_{action}")(index_name, doc_id, source)
        except OpenSearchError as err:
            return {"_index": index_name, "_id": doc_id, "status": err.status, "error": err.cause()}
        return {"_index": index_name, "_id": doc_id, **result}

    def _bulk_index(self, index_name: str, doc_id: str, source: object, external: tuple[str, int] | None = None) -> dict:
        """Writes the document; `external` = (version_type, version) for external versioning:
        the given version becomes the document's, and a write that would not raise it (lower,
        or equal for `external`) is refused with 409, as OpenSearch does."""
        index = self.indices.get(index_name) or self._new_index(index_name)
        self._check_source(index, source)
        existing = index.documents.get(doc_id)
        if external is None:
            version = existing.version + 1 if existing else 1
        else:
            version_type, version = external
            if existing is not None and (
                existing.version > version or (version_type == "external" and existing.version == version)
            ):
                relation = "is higher or equal to" if version_type == "external" else "is higher than"
                raise index.document_error(
                    409,
                    "version_conflict_engine_exception",
                    f"[{doc_id}]: version conflict, current version [{existing.version}] {relation} the one provided [{version}]",
                )
        index.documents[doc_id] = Document(source, version, index.take_seq_no())
        return self._written(index, doc_id, "updated" if existing else "created", 200 if existing else 201)

    def _bulk_create(self, index_name: str, doc_id: str, source: object) -> dict:
        index = self.indices.get(index_name)
        if index is not None and doc_id in index.documents:
            current = index.documents[doc_id].version
            raise index.document_error(
                409,
                "version_conflict_engine_exception",
                f"[{doc_id}]: version conflict, document already exists (current version [{current}])",
            )
        return self._bulk_index(index_name, doc_id, source)

    def _bulk_update(self, index_name: str, doc_id: str, body: object) -> dict:
        if not isinstance(body, dict) or not ("doc" in body or "upsert" in body):
            raise validation_failed("script or doc is missing")
        partial = body.get("doc")
        index = self.indices.get(index_name)
        existing = index.documents.get(doc_id) if index else None
        if existing is None:
            upsert = partial if body.get("doc_as_upsert") else body.get("upsert")
            if upsert is None:
                # OpenSearch names no uuid for an index that does not exist.
                missing_in = index or Index(index_name, {}, uuid="_na_")
                raise missing_in.document_error(404, "document_missing_exception", f"[{doc_id}]: document missing")
            return self._bulk_index(index_name, doc_id, upsert)
        if not isinstance(partial, dict):
            raise validation_failed("script or doc is missing")
        merged = merge_partial_document(existing.source, partial)
        if merged == existing.source and body.get("detect_noop", True):
            return {
                "_version": existing.version,
                "result": "noop",
                "_shards": NOOP_SHARDS,
                "_seq_no": existing.seq_no,
                "_primary_term": PRIMARY_TERM,
                "status": 200,
            }
        return self._bulk_index(index_name, doc_id, merged)

    def _bulk_delete(self, index_name: str, doc_id: str, _source: object) -> dict:
        index = self.indices.get(index_name) or self._new_index(index_name)
        existing = index.documents.pop(doc_id, None)
        seq_no = index.take_seq_no()
        return {
            "_version": existing.version + 1 if existing else 1,
            "result": "deleted" if existing else "not_found",
            "_shards": WRITE_SHARDS,
            "_seq_no": seq_no,
            "_primary_term": PRIMARY_TERM,
            "status": 200 if existing else 404,
        }

    def _written(self, index: Index, doc_id: str, result: str, status: int) -> dict:
        doc = index.documents[doc_id]
        return {
            "_version": doc.version,
            "result": result,
            "_shards": WRITE_SHARDS,
            "_seq_no": doc.seq_no,
            "_primary_term": PRIMARY_TERM,
            "status": status,
        }

    @staticmethod
    def _check_source(index: Index, source: object) -> None:
        if not isinstance(source, dict):
            raise index.document_error(400, "mapper_parsing_exception", "failed to parse")
        reason = strict_mapping_violation(source, index.mappings)
        if reason:
            raise index.document_error(400, "strict_dynamic_mapping_exception", reason)

    # -- _search and _count --------------------------------------------------------------

    def search(self, expression: str, body: dict, params: dict[str, str]) -> tuple[int, dict]:
        if "q" in params:
            # Answering as if the query string matched everything would hide a client's mistake.
            reason = f"the local OpenSearch does not evaluate ?q=; send a query of {SUPPORTED_QUERIES}"
            raise OpenSearchError(400, "parsing_exception", reason)
        matches = self._matching(expression, body)
        size = int(body.get("size", params.get("size", 10)))
        start = int(body.get("from", params.get("from", 0)))
        hits = [
            {"_index": index.name, "_id": doc_id, "_score": 1.0, "_source": doc.source}
            for index, doc_id, doc in matches[start : start + size]
        ]
        return 200, {
            "took": 1,
            "timed_out": False,
            "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {
                "total": {"value": len(matches), "relation": "eq"},
                "max_score": 1.0 if hits else None,
                "hits": hits,
            },
        }

    def count(self, expression: str, body: dict) -> tuple[int, dict]:
        matches = self._matching(expression, body)
        return 200, {"count": len(matches), "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0}}

    def _matching(self, expression: str, body: dict) -> list[tuple[Index, str, Document]]:
        query = body.get("query") or {"match_all": {}}
        return [
            (index, doc_id, doc)
            for index in resolve_indices(self.indices, expression)
            for doc_id, doc in index.documents.items()
            if query_matches(query, doc_id, doc.source)
        ]


SUPPORTED_QUERIES = "match_all, term, terms, ids and bool (filter, must, must_not, should)"


def query_matches(query: dict, doc_id: str, source: dict) -> bool:
    """Whether a document matches a query of the small subset the test endpoint evaluates.

    Term values are compared with the stored value as keyword fields compare them: exactly,
    and an array field matches when any element does.
    """
    if not isinstance(query, dict) or len(query) != 1:
        raise OpenSearchError(400, "parsing_exception", "a query must be an object with exactly one query type")
    (kind, spec), = query.items()
    if kind == "match_all":
        return True
    if kind == "ids":
        return doc_id in spec.get("values", [])
    if kind in ("term", "terms"):
        (field_name, wanted), = ((k, v) for k, v in spec.items() if k != "boost")
        if kind == "term":
            wanted = [wanted.get("value") if isinstance(wanted, dict) else wanted]
        if field_name == "_id":
            return doc_id in wanted
        values = field_values(source, field_name)
        return any(value in wanted for value in values)
    if kind == "bool":
        def clauses(name: str) -> list:
            value = spec.get(name, [])
            return value if isinstance(value, list) else [value]

        required = clauses("filter") + clauses("must")
        should = clauses("should")
        return (
            all(query_matches(q, doc_id, source) for q in required)
            and not any(query_matches(q, doc_id, source) for q in clauses("must_not"))
            and (not should or bool(required) or any(query_matches(q, doc_id, source) for q in should))
        )
    raise OpenSearchError(
        400, "parsing_exception", f"unknown query [{kind}]: the local OpenSearch evaluates only {SUPPORTED_QUERIES}"
    )


def field_values(source: dict, dotted_name: str) -> list:
    """The values at a dotted field path, through objects and arrays of objects."""
    values: list = [source]
    for part in dotted_name.split("."):
        found = []
        for value in values:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict) and part in item:
                    found.append(item[part])
        values = found
    flat = []
    for value in values:
        flat.extend(value if isinstance(value, list) else [value])
    return flat


def parse_bulk(body: bytes, path_index: str | None) -> list[tuple[str, dict, object]]:
    """(action, metadata with _index, source or None) for each action of an NDJSON _bulk body."""
    if not body.strip():
        raise validation_failed("no requests added")
    if not body.endswith(b"\n"):
        raise OpenSearchError(400, "illegal_argument_exception", "The bulk request must be terminated by a newline [\\n]")
    lines = body.split(b"\n")[:-1]
    actions = []
    problems = []
    line_number = 0
    while line_number < len(lines):
        line = lines[line_number]
        line_number += 1
        if not line.strip():
            continue
        action, metadata = _parse_action_line(line, line_number)
        if "_index" not in metadata:
            if path_index is None:
                problems.append("index is missing")
            metadata["_index"] = path_index
        if metadata.get("_id") is not None:
            metadata["_id"] = str(metadata["_id"])
        elif action in ("update", "delete"):
            problems.append("id is missing")
        if action in ("index", "create"):
            problems += _versioning_problems(metadata)
        source = None
        if action != "delete":
            if line_number >= len(lines):
                raise validation_failed(f"source is missing for action line [{line_number}]")
            source = _parse_source_line(lines[line_number])
            line_number += 1
        actions.append((action, metadata, source))
    if problems:
        raise validation_failed(*problems)
    return actions


EXTERNAL_VERSION_TYPES = ("external", "external_gte")


def _versioning_problems(metadata: dict) -> list[str]:
    """What is wrong with an index or create action's `version` / `version_type`."""
    version_type = metadata.get("version_type", "internal")
    if version_type not in ("internal", *EXTERNAL_VERSION_TYPES):
        raise OpenSearchError(400, "illegal_argument_exception", f"No version type match [{version_type}]")
    version = metadata.get("version")
    if version_type == "internal":
        if version is None:
            return []
        return [
            "internal versioning can not be used for optimistic concurrency control. "
            "Please use `if_seq_no` and `if_primary_term` instead"
        ]
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        shown = -3 if version is None else version  # OpenSearch's "match any" when none is given
        return [f"illegal version value [{shown}] for version type [{version_type.upper()}]"]
    return []


def validation_failed(*problems: str) -> OpenSearchError:
    """OpenSearch's error for a request that fails validation, its problems numbered."""
    listed = "".join(f"{number}: {problem};" for number, problem in enumerate(problems, 1))
    return OpenSearchError(400, "action_request_validation_exception", f"Validation Failed: {listed}")


def _parse_action_line(line: bytes, line_number: int) -> tuple[str, dict]:
    try:
        parsed = json.loads(line)
    except ValueError:
        raise OpenSearchError(
            400, "illegal_argument_exception", f"Malformed action/metadata line [{line_number}], expected START_OBJECT"
        ) from None
    if not isinstance(parsed, dict) or len(parsed) != 1:
        raise OpenSearchError(
            400,
            "illegal_argument_exception",
            f"Malformed action/metadata line [{line_number}], expected a simple value for field [{next(iter(parsed), '')}]"
            if isinstance(parsed, dict)
            else f"Malformed action/metadata line [{line_number}], expected START_OBJECT",
        )
    (action, metadata), = parsed.items()
    if action not in BULK_ACTIONS:
        raise OpenSearchError(
            400,
            "illegal_argument_exception",
            f"Malformed action/metadata line [{line_number}], "
            f"expected field [create], [delete], [index] or [update] but found [{action}]",
        )
    if not isinstance(metadata, dict):
        raise OpenSearchError(
            400, "illegal_argument_exception", f"Malformed action/metadata line [{line_number}], expected START_OBJECT"
        )
    return action, dict(metadata)


def _parse_source_line(line: bytes) -> object:
    """The document (or update body); one that is not JSON fails only its own item, as in OpenSearch."""
    try:
        return json.loads(line)
    except ValueError:
        return None



class Domains:
    """Every test domain of the server. A domain exists from its first request or admin call."""

    def __init__(self):
        self._lock = threading.Lock()
        self._domains: dict[str, Domain] = {}

    def get(self, name: str) -> Domain:
        with self._lock:
            if name not in self._domains:
                self._domains[name] = Domain(name)
            return self._domains[name]

    def replace(self, name: str) -> Domain:
        """Forget the domain's data, settings, failures and statistics."""
        with self._lock:
            self._domains[name] = Domain(name)
            return self._domains[name]


domains = Domains()
