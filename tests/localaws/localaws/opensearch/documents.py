"""Indices, documents and index templates of one test domain, kept in memory.

Every write is visible at once (as if each request had `refresh=true`). Each index has one
primary shard: `_seq_no` counts the index's writes from 0 and `_primary_term` is 1.
"""

from __future__ import annotations

import copy
import fnmatch
import secrets
from dataclasses import dataclass, field

PRIMARY_TERM = 1
# A domain with one replica that the cluster has not placed (a one-node test domain).
WRITE_SHARDS = {"total": 2, "successful": 1, "failed": 0}
NOOP_SHARDS = {"total": 0, "successful": 0, "failed": 0}
# OpenSearch's rules for index names (MetadataCreateIndexService.validateIndexOrAliasName).
INVALID_INDEX_CHARACTERS = set('\\/*?"<>| ,#:')


class OpenSearchError(Exception):
    """An error OpenSearch reports as `{"type", "reason", ...}` with an HTTP status."""

    def __init__(self, status: int, error_type: str, reason: str, details: dict | None = None):
        super().__init__(reason)
        self.status = status
        self.error_type = error_type
        self.reason = reason
        self.details = details or {}

    def cause(self) -> dict:
        return {"type": self.error_type, "reason": self.reason, **self.details}

    def body(self) -> dict:
        """The whole-request error body: the cause repeated as root_cause, and the status."""
        cause = self.cause()
        return {"error": {"root_cause": [cause], **cause}, "status": self.status}


@dataclass
class Document:
    source: dict
    version: int
    seq_no: int


@dataclass
class Index:
    name: str
    mappings: dict
    uuid: str = field(default_factory=lambda: new_uuid())
    documents: dict[str, Document] = field(default_factory=dict)
    next_seq_no: int = 0

    def take_seq_no(self) -> int:
        self.next_seq_no += 1
        return self.next_seq_no - 1

    def document_error(self, status: int, error_type: str, reason: str) -> OpenSearchError:
        """An error about one document, which OpenSearch locates by index and shard."""
        return OpenSearchError(status, error_type, reason, {"index_uuid": self.uuid, "shard": "0", "index": self.name})

    def stored_documents(self) -> dict:
        return {
            doc_id: {"_source": doc.source, "_version": doc.version, "_seq_no": doc.seq_no}
            for doc_id, doc in self.documents.items()
        }


def check_index_name(name: str) -> None:
    """Raise OpenSearch's invalid_index_name_exception for a name it would refuse."""
    problem = None
    if not name:
        problem = "must not be empty"
    elif name != name.lower():
        problem = "must be lowercase"
    elif name[0] in "_-+":
        problem = "must not start with '_', '-', or '+'"
    elif name in (".", ".."):
        problem = "must not be '.' or '..'"
    elif INVALID_INDEX_CHARACTERS & set(name):
        problem = "must not contain the following characters " + str(sorted(INVALID_INDEX_CHARACTERS))
    elif len(name.encode()) > 255:
        problem = "index name is too long, (" + str(len(name.encode())) + " > 255)"
    if problem:
        raise OpenSearchError(
            400,
            "invalid_index_name_exception",
            f"Invalid index name [{name}], {problem}",
            {"index_uuid": "_na_", "index": name},
        )


def new_document_id() -> str:
    """An id like the ones OpenSearch generates: 20 URL-safe base64 characters."""
    return secrets.token_urlsafe(15)


def strict_mapping_violation(source: dict, mapping: dict, dynamic: str = "true", parent: str = "_doc") -> str | None:
    """OpenSearch's reason for refusing `source` under `mapping`, if a strict object gets a new field."""
    dynamic = str(mapping.get("dynamic", dynamic)).lower()
    properties = mapping.get("properties") or {}
    for key, value in source.items():
        if key not in properties:
            if dynamic == "strict":
                return f"mapping set to strict, dynamic introduction of [{key}] within [{parent}] is not allowed"
            continue
        field_mapping = properties[key]
        if field_mapping.get("enabled", True) is False or field_mapping.get("type", "object") not in ("object", "nested"):
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                reason = strict_mapping_violation(item, field_mapping, dynamic, key)
                if reason:
                    return reason
    return None


def merge_mapping_properties(existing: dict, added: dict, parent: str = "") -> None:
    """Adds `added`'s fields to the mapping properties `existing`, as PUT _mapping does: new
    fields join, objects merge field by field, and a field keeps its type (OpenSearch's
    illegal_argument_exception otherwise)."""
    for name, mapping in added.items():
        path = f"{parent}{name}"
        current = existing.get(name)
        if current is None:
            existing[name] = copy.deepcopy(mapping)
            continue
        current_type = current.get("type", "object")
        new_type = mapping.get("type", "object")
        if current_type != new_type:
            raise OpenSearchError(400, "illegal_argument_exception", f"mapper [{path}] cannot be changed from type [{current_type}] to [{new_type}]")
        if new_type in ("object", "nested") and "properties" in mapping:
            merge_mapping_properties(current.setdefault("properties", {}), mapping["properties"], f"{path}.")


def merge_partial_document(source: dict, partial: dict) -> dict:
    """An update's `doc` merged into the stored source as OpenSearch does: objects recursively."""
    merged = dict(source)
    for key, value in partial.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_partial_document(merged[key], value)
        else:
            merged[key] = value
    return merged


def template_mappings(templates: dict[str, dict], index_name: str) -> dict:
    """The mappings of the highest-priority index template whose patterns match the index."""
    matching = []
    for name, template in templates.items():
        patterns = template.get("index_patterns") or []
        if isinstance(patterns, str):
            patterns = [patterns]
        if any(fnmatch.fnmatchcase(index_name, pattern) for pattern in patterns):
            matching.append((template.get("priority", 0), name, template))
    if not matching:
        return {}
    _, _, template = max(matching, key=lambda entry: (entry[0], entry[1]))
    return (template.get("template") or {}).get("mappings") or {}


def resolve_indices(indices: dict[str, Index], expression: str) -> list[Index]:
    """The indices a search path names: comma-separated names or wildcards, `_all` or `*`."""
    found: dict[str, Index] = {}
    for part in expression.split(","):
        if part in ("_all", "*"):
            found.update(indices)
        elif "*" in part or "?" in part:
            found.update({name: index for name, index in indices.items() if fnmatch.fnmatchcase(name, part)})
        elif part in indices:
            found[part] = indices[part]
        else:
            raise index_not_found(part)
    return list(found.values())


def index_not_found(name: str) -> OpenSearchError:
    return OpenSearchError(
        404,
        "index_not_found_exception",
        f"no such index [{name}]",
        {"resource.type": "index_or_alias", "resource.id": name, "index_uuid": "_na_", "index": name},
    )



def new_uuid() -> str:
    """A 22-character id in the style of OpenSearch's index and cluster UUIDs."""
    return secrets.token_urlsafe(16)[:22]
