"""Evaluation of one policy (an SNS topic policy, a role trust policy, a role's permissions) for one request.

Only what the local AWS needs to decide whether a principal may act on a resource: Inspector
publishing to a topic or assuming a role, a caller assuming a role with sts:AssumeRole, and
the identity, resource and key policies of the roles localaws.identity enforces.
It follows the IAM policy evaluation rules (docs: IAM User Guide, "Policy evaluation
logic", "AWS JSON policy elements: Principal", "Condition operators", "AWS global condition
context keys"):

- An explicit Deny in any matching statement wins; otherwise any matching Allow allows;
  otherwise the request is implicitly denied.
- Principal: "*" matches every principal, {"AWS": "*"} every one but a service principal;
  {"AWS": "<account id>" | "arn:<partition>:iam::<id>:root"} any principal of that account;
  {"AWS": "<principal ARN>"} the principal with that ARN: an assumed-role session matches
  its session ARN and its role's ARN. IAM allows no wildcards in a principal ARN, so a
  "*" inside one matches nothing. {"Service": "<service>.amazonaws.com"} matches only that
  service principal; NotPrincipal is the negation.
- Action / NotAction: case-insensitive, with * and ? wildcards ("SNS:Publish", "sns:*", "*").
- Resource / NotResource: case-sensitive, with wildcards; a statement without either
  (a trust policy) applies to the resource the policy is attached to.
- Condition: String(Not)Equals, String(Not)EqualsIgnoreCase, String(Not)Like,
  Arn(Not)Equals, Arn(Not)Like, Bool, each also as ...IfExists, and Null. Keys are
  case-insensitive. A key missing from the request context makes a positive operator false
  and a negated one true; ...IfExists makes a missing key true. Several values for one key
  match if any matches (all must differ for a negated operator); several keys and operators
  must all hold. Unsupported operators never hold, so they can neither allow nor deny.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any


class Decision(Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit-deny"
    IMPLICIT_DENY = "implicit-deny"


@dataclass(frozen=True)
class Principal:
    """Who makes the request: an IAM principal of an account, or a service principal.

    `arns` are the ARNs a Principal element may name it by: an IAM user's ARN, or an
    assumed-role session's ARN and its role's ARN. Without any, only the account matches.
    """

    account_id: str | None = None
    arns: tuple[str, ...] = ()
    service: str | None = None


def evaluate(
    policy: str | Mapping[str, Any] | None,
    principal: Principal,
    action: str,
    resource: str,
    context: Mapping[str, str],
) -> Decision:
    return decide(matching_statements(policy, principal, action, resource, context))


def statements_of(policy: str | Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    document = json.loads(policy) if isinstance(policy, str) else policy
    statements = (document or {}).get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


def matching_statements(
    policy: str | Mapping[str, Any] | None,
    principal: Principal,
    action: str,
    resource: str,
    context: Mapping[str, str],
) -> list[Mapping[str, Any]]:
    """The statements of `policy` that apply to the request, whatever their effect."""
    context = {key.lower(): value for key, value in context.items()}
    return [s for s in statements_of(policy) if _applies(s, principal, action, resource, context)]


def decide(matching: list[Mapping[str, Any]]) -> Decision:
    """What the statements that apply to a request decide: an explicit Deny wins."""
    if any(s.get("Effect") == "Deny" for s in matching):
        return Decision.EXPLICIT_DENY
    if any(s.get("Effect") == "Allow" for s in matching):
        return Decision.ALLOW
    return Decision.IMPLICIT_DENY


def action_matches(pattern: str, action: str) -> bool:
    """Whether an Action element's entry covers `action` (case-insensitive, wildcards)."""
    return glob_matches(pattern, action, ignore_case=True)


def _applies(statement: Mapping[str, Any], principal: Principal, action: str, resource: str, context: dict) -> bool:
    return (
        _element_matches(statement, "Principal", "NotPrincipal", lambda value: _principal_matches(value, principal))
        and _element_matches(statement, "Action", "NotAction", lambda value: _any_glob(value, action, ignore_case=True))
        and _element_matches(statement, "Resource", "NotResource", lambda value: _any_glob(value, resource))
        and _conditions_hold(statement.get("Condition", {}), context)
    )


def _element_matches(statement: Mapping[str, Any], name: str, negated_name: str, matches: Callable[[Any], bool]) -> bool:
    if name in statement:
        return matches(statement[name])
    if negated_name in statement:
        return not matches(statement[negated_name])
    return True


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _principal_matches(value: Any, principal: Principal) -> bool:
    if value == "*":
        return True
    if not isinstance(value, Mapping):
        return False
    if principal.service is not None:
        return principal.service in _as_list(value.get("Service", []))
    return any(_names_principal(entry, principal) for entry in _as_list(value.get("AWS", [])))


_ACCOUNT_PRINCIPAL = re.compile(r"(?P<bare>\d{12})|arn:aws[a-z-]*:iam::(?P<root>\d{12}):root")


def _names_principal(entry: str, principal: Principal) -> bool:
    if entry == "*":
        return True
    account = _ACCOUNT_PRINCIPAL.fullmatch(entry)
    if account is not None:
        return (account["bare"] or account["root"]) == principal.account_id
    # Compared literally: IAM allows no wildcards in a principal ARN.
    return entry in principal.arns


@lru_cache(maxsize=1024)
def _glob_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """Whether `value` matches `pattern`, where * matches any run of characters and ? one."""
    return _glob_regex(pattern, ignore_case).fullmatch(value) is not None


def _any_glob(patterns: Any, value: str, ignore_case: bool = False) -> bool:
    return any(glob_matches(pattern, value, ignore_case) for pattern in _as_list(patterns))


def _arn_like(pattern: str, value: str) -> bool:
    """ARN operators compare the six colon-separated parts separately, each with wildcards."""
    pattern_parts, value_parts = pattern.split(":", 5), value.split(":", 5)
    return len(pattern_parts) == len(value_parts) == 6 and all(
        glob_matches(p, v) for p, v in zip(pattern_parts, value_parts)
    )


_MATCHERS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    # operator: (does one policy value match the context value, is the operator negated)
    "StringEquals": (lambda p, v: p == v, False),
    "StringNotEquals": (lambda p, v: p == v, True),
    "StringEqualsIgnoreCase": (lambda p, v: p.lower() == v.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda p, v: p.lower() == v.lower(), True),
    "StringLike": (glob_matches, False),
    "StringNotLike": (glob_matches, True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
    "Bool": (lambda p, v: p.lower() == v.lower(), False),
}


def _conditions_hold(conditions: Mapping[str, Mapping[str, Any]], context: dict) -> bool:
    return all(
        _condition_holds(operator, key.lower(), [str(v).lower() if isinstance(v, bool) else str(v) for v in _as_list(values)], context)
        for operator, keys in conditions.items()
        for key, values in keys.items()
    )


def _condition_holds(operator: str, key: str, values: list[str], context: dict) -> bool:
    present = key in context
    if operator == "Null":
        return any((value.lower() == "true") != present for value in values)
    if_exists = operator.endswith("IfExists")
    matcher = _MATCHERS.get(operator.removesuffix("IfExists"))
    if matcher is None:
        return False
    if not present:
        return if_exists or matcher[1]
    matches, negated = matcher
    matched = any(matches(value, context[key]) for value in values)
    return not matched if negated else matched
