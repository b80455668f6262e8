"""Filter criteria (ListFindings, suppression rules, ListCoverage) and paging tokens.

String filters are ANDed across fields; within a field, EQUALS / PREFIX values are ORed
and NOT_EQUALS values ANDed (the API reference's FilterCriteria). Number and date
filters hold when the value lies in any of the given ranges. A field not listed here is
refused with a ValidationException naming it, rather than silently ignored.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

from .errors import ValidationException


def _resources(finding: dict) -> list:
    return finding.get("resources") or []


def _details(finding: dict, key: str) -> list:
    return [(r.get("details") or {}).get(key) or {} for r in _resources(finding)]


def _package(finding: dict) -> dict:
    return finding.get("packageVulnerabilityDetails") or {}


FINDING_STRINGS: dict[str, Callable[[dict], list]] = {
    "findingArn": lambda f: [f.get("findingArn")],
    "awsAccountId": lambda f: [f.get("awsAccountId")],
    "findingType": lambda f: [f.get("type")],
    "severity": lambda f: [f.get("severity")],
    "findingStatus": lambda f: [f.get("status")],
    "title": lambda f: [f.get("title")],
    "fixAvailable": lambda f: [f.get("fixAvailable")],
    "exploitAvailable": lambda f: [f.get("exploitAvailable")],
    "resourceType": lambda f: [r.get("type") for r in _resources(f)],
    "resourceId": lambda f: [r.get("id") for r in _resources(f)],
    "vulnerabilityId": lambda f: [_package(f).get("vulnerabilityId")],
    "vulnerabilitySource": lambda f: [_package(f).get("source")],
    "vendorSeverity": lambda f: [_package(f).get("vendorSeverity")],
    "relatedVulnerabilities": lambda f: list(_package(f).get("relatedVulnerabilities") or []),
    "ec2InstanceImageId": lambda f: [d.get("imageId") for d in _details(f, "awsEc2Instance")],
    "ec2InstanceVpcId": lambda f: [d.get("vpcId") for d in _details(f, "awsEc2Instance")],
    "ec2InstanceSubnetId": lambda f: [d.get("subnetId") for d in _details(f, "awsEc2Instance")],
    "ecrImageRepositoryName": lambda f: [d.get("repositoryName") for d in _details(f, "awsEcrContainerImage")],
    "ecrImageRegistry": lambda f: [d.get("registry") for d in _details(f, "awsEcrContainerImage")],
    "ecrImageHash": lambda f: [d.get("imageHash") for d in _details(f, "awsEcrContainerImage")],
    "ecrImageTags": lambda f: [t for d in _details(f, "awsEcrContainerImage") for t in d.get("imageTags") or []],
    "lambdaFunctionName": lambda f: [d.get("functionName") for d in _details(f, "awsLambdaFunction")],
    "lambdaFunctionRuntime": lambda f: [d.get("runtime") for d in _details(f, "awsLambdaFunction")],
    "lambdaFunctionExecutionRoleArn": lambda f: [d.get("executionRoleArn") for d in _details(f, "awsLambdaFunction")],
    "networkProtocol": lambda f: [(f.get("networkReachabilityDetails") or {}).get("protocol")],
    "codeVulnerabilityDetectorName": lambda f: [(f.get("codeVulnerabilityDetails") or {}).get("detectorName")],
}
FINDING_NUMBERS: dict[str, Callable[[dict], list]] = {
    "inspectorScore": lambda f: [f.get("inspectorScore")],
    "epssScore": lambda f: [(f.get("epss") or {}).get("score")],
}
FINDING_DATES: dict[str, Callable[[dict], list]] = {
    "firstObservedAt": lambda f: [f.get("firstObservedAt")],
    "lastObservedAt": lambda f: [f.get("lastObservedAt")],
    "updatedAt": lambda f: [f.get("updatedAt")],
}

COVERAGE_STRINGS: dict[str, Callable[[dict], list]] = {
    "accountId": lambda c: [c.get("accountId")],
    "resourceId": lambda c: [c.get("resourceId")],
    "resourceType": lambda c: [c.get("resourceType")],
    "scanType": lambda c: [c.get("scanType")],
    "scanMode": lambda c: [c.get("scanMode")],
    "scanStatusCode": lambda c: [(c.get("scanStatus") or {}).get("statusCode")],
    "scanStatusReason": lambda c: [(c.get("scanStatus") or {}).get("reason")],
    "ecrRepositoryName": lambda c: [((c.get("resourceMetadata") or {}).get("ecrRepository") or {}).get("name")],
    "ecrImageTags": lambda c: list(((c.get("resourceMetadata") or {}).get("ecrImage") or {}).get("tags") or []),
    "lambdaFunctionName": lambda c: [((c.get("resourceMetadata") or {}).get("lambdaFunction") or {}).get("functionName")],
    "lambdaFunctionRuntime": lambda c: [((c.get("resourceMetadata") or {}).get("lambdaFunction") or {}).get("runtime")],
}
COVERAGE_MAPS: dict[str, Callable[[dict], dict]] = {
    "ec2InstanceTags": lambda c: ((c.get("resourceMetadata") or {}).get("ec2") or {}).get("tags") or {},
    "lambdaFunctionTags": lambda c: ((c.get("resourceMetadata") or {}).get("lambdaFunction") or {}).get("functionTags") or {},
}
COVERAGE_DATES: dict[str, Callable[[dict], list]] = {"lastScannedAt": lambda c: [c.get("lastScannedAt")]}


def _not_emulated(where: str, key: str) -> ValidationException:
    return ValidationException(
        f"{where}.{key} is not emulated by the local AWS (localaws/inspector2/criteria.py)",
        fields=[{"name": f"{where}.{key}", "message": "not emulated"}],
    )


def check_finding_criteria(criteria: dict, where: str = "filterCriteria") -> None:
    for key in criteria or {}:
        if key not in FINDING_STRINGS and key not in FINDING_NUMBERS and key not in FINDING_DATES and key != "resourceTags":
            raise _not_emulated(where, key)


def check_coverage_criteria(criteria: dict) -> None:
    for key in criteria or {}:
        if key not in COVERAGE_STRINGS and key not in COVERAGE_MAPS and key not in COVERAGE_DATES:
            raise _not_emulated("filterCriteria", key)


def _strings(values: list, filters: list[dict]) -> bool:
    values = [v for v in values if v is not None]
    wanted = [f for f in filters if f.get("comparison") in ("EQUALS", "PREFIX")]
    excluded = [f["value"] for f in filters if f.get("comparison") == "NOT_EQUALS"]
    if wanted and not any(
        v == f["value"] if f["comparison"] == "EQUALS" else v.startswith(f["value"]) for f in wanted for v in values
    ):
        return False
    return not any(v in excluded for v in values)


def _ranges(values: list, filters: list[dict], low: str, high: str) -> bool:
    values = [v for v in values if v is not None]
    return any(
        (f.get(low) is None or v >= f[low]) and (f.get(high) is None or v <= f[high]) for f in filters for v in values
    )


def _maps(tags: dict, filters: list[dict]) -> bool:
    for f in filters:
        present = f.get("key") in tags and ("value" not in f or tags[f["key"]] == f.get("value"))
        if (f.get("comparison") == "NOT_EQUALS") == present:
            return False
    return True


def finding_matches(finding: dict, criteria: dict) -> bool:
    for key, filters in (criteria or {}).items():
        if key in FINDING_STRINGS:
            ok = _strings(FINDING_STRINGS[key](finding), filters)
        elif key in FINDING_NUMBERS:
            ok = _ranges(FINDING_NUMBERS[key](finding), filters, "lowerInclusive", "upperInclusive")
        elif key in FINDING_DATES:
            ok = _ranges(FINDING_DATES[key](finding), filters, "startInclusive", "endInclusive")
        elif key == "resourceTags":
            tags: dict = {}
            for r in _resources(finding):
                tags.update(r.get("tags") or {})
            ok = _maps(tags, filters)
        else:
            raise _not_emulated("filterCriteria", key)
        if not ok:
            return False
    return True


def coverage_matches(covered: dict, criteria: dict) -> bool:
    for key, filters in (criteria or {}).items():
        if key in COVERAGE_STRINGS:
            ok = _strings(COVERAGE_STRINGS[key](covered), filters)
        elif key in COVERAGE_MAPS:
            ok = _maps(COVERAGE_MAPS[key](covered), filters)
        elif key in COVERAGE_DATES:
            ok = _ranges(COVERAGE_DATES[key](covered), filters, "startInclusive", "endInclusive")
        else:
            raise _not_emulated("filterCriteria", key)
        if not ok:
            return False
    return True


SEVERITY_RANK = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4, "UNTRIAGED": 5}
FINDING_SORT_KEYS: dict[str, Callable[[dict], Any]] = {
    "AWS_ACCOUNT_ID": lambda f: f.get("awsAccountId") or "",
    "FINDING_TYPE": lambda f: f.get("type") or "",
    "SEVERITY": lambda f: SEVERITY_RANK.get(f.get("severity"), -1),
    "FINDING_STATUS": lambda f: f.get("status") or "",
    "TITLE": lambda f: f.get("title") or "",
    "FIRST_OBSERVED_AT": lambda f: f.get("firstObservedAt") or 0,
    "LAST_OBSERVED_AT": lambda f: f.get("lastObservedAt") or 0,
    "INSPECTOR_SCORE": lambda f: f.get("inspectorScore") or 0,
    "EPSS_SCORE": lambda f: (f.get("epss") or {}).get("score") or 0,
    "RESOURCE_TYPE": lambda f: ((f.get("resources") or [{}])[0]).get("type") or "",
    "VULNERABILITY_ID": lambda f: (f.get("packageVulnerabilityDetails") or {}).get("vulnerabilityId") or "",
}


def page(items: list, query: Any, max_results: int, next_token: str | None) -> tuple[list, str | None]:
    """One page of `items` and the token for the next; a token only fits the query it came from."""
    digest = hashlib.sha256(json.dumps(query, sort_keys=True, default=str).encode()).hexdigest()[:16]
    offset = 0
    if next_token:
        try:
            token = json.loads(base64.urlsafe_b64decode(next_token.encode()))
            offset = int(token["offset"])
            if token["query"] != digest or offset < 0:
                raise ValueError
        except Exception:
            raise ValidationException(
                "The nextToken is not valid for this request", fields=[{"name": "nextToken", "message": "invalid"}]
            ) from None
    chunk = items[offset : offset + max_results]
    if offset + max_results < len(items):
        token = base64.urlsafe_b64encode(json.dumps({"offset": offset + max_results, "query": digest}).encode()).decode()
        return chunk, token
    return chunk, None
