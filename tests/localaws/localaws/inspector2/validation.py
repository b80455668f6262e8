"""Request checks from the Inspector v2 API model (botocore's), as the service makes them.

Every request body is checked against the operation's input shape before the operation
runs: JSON that does not parse, wrong types, missing required members, enum values,
string lengths, list sizes and number ranges. A failure is a ValidationException with
`reason` and `fields`, the model's error shape; unknown members are ignored, as the
service ignores them.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any

from .errors import ValidationException


@lru_cache(maxsize=1)
def service_model():
    import botocore.session

    return botocore.session.get_session().get_service_model("inspector2")


def parse_body(raw: bytes | str | None) -> dict:
    if raw in (None, b"", ""):
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ValidationException("Could not parse the request body as JSON", reason="CANNOT_PARSE") from None
    if not isinstance(body, dict):
        raise ValidationException("The request body must be a JSON object", reason="CANNOT_PARSE")
    return body


def check(operation: str, body: dict) -> None:
    model = service_model().operation_model(operation)
    shape = model.input_shape
    if shape is None:
        return
    problems: list[dict[str, str]] = []
    _check(shape, body, "", problems)
    if problems:
        count = len(problems)
        raise ValidationException(
            f"{count} validation error{'s' if count > 1 else ''} detected: "
            + "; ".join(f"Value at '{p['name']}' failed to satisfy constraint: {p['message']}" for p in problems[:10]),
            fields=problems[:10],
        )


def _name(path: str, member: str) -> str:
    return f"{path}.{member}" if path else member


def _check(shape: Any, value: Any, path: str, problems: list[dict[str, str]]) -> None:
    if len(problems) >= 10:
        return
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if not isinstance(value, dict):
            problems.append({"name": path or "body", "message": "Member must be an object"})
            return
        for required in shape.required_members:
            if shape.members[required].serialization.get("location") in ("uri", "querystring", "header"):
                continue
            if value.get(required) is None:
                problems.append({"name": _name(path, required), "message": "Member must not be null"})
        for member, member_shape in shape.members.items():
            if member in value and value[member] is not None:
                if member_shape.serialization.get("location") in ("uri", "querystring", "header"):
                    continue
                _check(member_shape, value[member], _name(path, member), problems)
        return
    if kind == "list":
        if not isinstance(value, list):
            problems.append({"name": path, "message": "Member must be a list"})
            return
        _check_size(len(value), meta, path, problems, "length")
        for i, item in enumerate(value):
            if item is None:
                problems.append({"name": f"{path}.{i + 1}", "message": "Member must not be null"})
                continue
            _check(shape.member, item, f"{path}.{i + 1}", problems)
        return
    if kind == "map":
        if not isinstance(value, dict):
            problems.append({"name": path, "message": "Member must be a map"})
            return
        _check_size(len(value), meta, path, problems, "length")
        for key, item in value.items():
            _check(shape.key, key, f"{path}.key", problems)
            if item is None:
                problems.append({"name": f"{path}.{key}", "message": "Member must not be null"})
            else:
                _check(shape.value, item, f"{path}.{key}", problems)
        return
    if kind == "string":
        if not isinstance(value, str):
            problems.append({"name": path, "message": "Member must be a string"})
            return
        enum = getattr(shape, "enum", None)
        if enum and value not in enum:
            problems.append({"name": path, "message": f"Member must satisfy enum value set: [{', '.join(enum)}]"})
            return
        _check_size(len(value), meta, path, problems, "length")
        return
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append({"name": path, "message": "Member must be an integer"})
            return
        _check_size(value, meta, path, problems, "value")
        return
    if kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            problems.append({"name": path, "message": "Member must be a number"})
            return
        _check_size(value, meta, path, problems, "value")
        return
    if kind == "boolean":
        if not isinstance(value, bool):
            problems.append({"name": path, "message": "Member must be a boolean"})
        return
    if kind == "timestamp":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            problems.append({"name": path, "message": "Member must be a timestamp (epoch seconds)"})
        return


def _check_size(size: float, meta: dict, path: str, problems: list[dict[str, str]], what: str) -> None:
    low, high = meta.get("min"), meta.get("max")
    if low is not None and size < low:
        problems.append({"name": path, "message": f"Member must have {what} greater than or equal to {low}"})
    elif high is not None and size > high:
        problems.append({"name": path, "message": f"Member must have {what} less than or equal to {high}"})
