"""Findings reports (CreateFindingsReport / GetFindingsReportStatus) and SBOM exports
(CreateSbomExport / GetSbomExport) of the Inspector v2 emulator.

A request is accepted at once (`IN_PROGRESS`) and done at the next scanner pass, which
writes the objects into moto's S3 bucket, encrypted (`aws:kms`) with the given key, or
ends the report `FAILED` with one of the model's error codes: `BUCKET_NOT_FOUND`,
`INCOMPATIBLE_BUCKET_REGION` (the bucket is not in the request's region),
`MALFORMED_KMS_KEY` (not the ARN of an existing KMS key in the bucket's region),
`NO_FINDINGS_FOUND` (a findings report with nothing to report).
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from . import criteria
from .errors import ResourceNotFoundException, ValidationException

KMS_KEY_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:kms:([a-z0-9-]+):(\d{12}):key/([A-Za-z0-9-]+)$")
SBOM_TYPES = ("AWS_EC2_INSTANCE", "AWS_ECR_CONTAINER_IMAGE", "AWS_LAMBDA_FUNCTION")

# Columns of the CSV report (ours: AWS's column set is not documented), each from the
# finding as ListFindings answers it.
CSV_COLUMNS: list[tuple[str, Any]] = [
    ("AWS Account Id", lambda f: f["awsAccountId"]),
    ("Finding ARN", lambda f: f["findingArn"]),
    ("Severity", lambda f: f["severity"]),
    ("Status", lambda f: f["status"]),
    ("Finding Type", lambda f: f["type"]),
    ("Title", lambda f: f["title"]),
    ("Description", lambda f: f["description"]),
    ("Vulnerability Id", lambda f: (f.get("packageVulnerabilityDetails") or {}).get("vulnerabilityId", "")),
    ("Inspector Score", lambda f: f.get("inspectorScore", "")),
    ("EPSS Score", lambda f: (f.get("epss") or {}).get("score", "")),
    ("Exploit Available", lambda f: f.get("exploitAvailable", "")),
    ("Fix Available", lambda f: f.get("fixAvailable", "")),
    ("Resource Type", lambda f: f["resources"][0]["type"]),
    ("Resource ID", lambda f: f["resources"][0]["id"]),
    ("Region", lambda f: f["resources"][0]["region"]),
    ("Resource Tags", lambda f: json.dumps(f["resources"][0].get("tags") or {}, sort_keys=True)),
    ("Affected Packages", lambda f: ", ".join(sorted({p["name"] for p in (f.get("packageVulnerabilityDetails") or {}).get("vulnerablePackages", [])}))),
    ("Remediation", lambda f: ((f.get("remediation") or {}).get("recommendation") or {}).get("text", "")),
    ("First Seen", lambda f: _iso(f["firstObservedAt"])),
    ("Last Seen", lambda f: _iso(f["lastObservedAt"])),
    ("Last Updated", lambda f: _iso(f["updatedAt"])),
]


@dataclass
class Report:
    id: str
    kind: str  # "findings" or "sbom"
    account: str
    region: str
    format: str
    destination: dict
    criteria: dict
    status: str = "IN_PROGRESS"
    error_code: str | None = None
    error_message: str | None = None
    created: float = 0.0
    keys: list[str] = field(default_factory=list)  # objects written

    def findings_json(self) -> dict:
        answer = {"reportId": self.id, "status": self.status, "destination": self.destination,
                  "filterCriteria": self.criteria}
        return self._errors(answer)

    def sbom_json(self) -> dict:
        answer = {"reportId": self.id, "format": self.format, "status": self.status,
                  "s3Destination": self.destination, "filterCriteria": self.criteria}
        return self._errors(answer)

    def _errors(self, answer: dict) -> dict:
        if self.error_code:
            answer["errorCode"] = self.error_code
            answer["errorMessage"] = self.error_message
        return answer


reports: dict[str, Report] = {}


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# --- requests ----------------------------------------------------------------------------------


def create_findings_report(caller: str, region: str, params: dict, now: float) -> Report:
    wanted = params.get("filterCriteria") or {}
    criteria.check_finding_criteria(wanted)
    report = Report(str(uuid.uuid4()), "findings", caller, region, params["reportFormat"],
                    dict(params["s3Destination"]), wanted, created=now)
    reports[report.id] = report
    return report


def create_sbom_export(caller: str, region: str, params: dict, now: float) -> Report:
    if params["reportFormat"] != "CYCLONEDX_1_4":
        raise ValidationException(f"reportFormat {params['reportFormat']} is not emulated by the local AWS (CYCLONEDX_1_4 is)",
                                  fields=[{"name": "reportFormat", "message": "not emulated"}])
    report = Report(str(uuid.uuid4()), "sbom", caller, region, params["reportFormat"],
                    dict(params["s3Destination"]), params.get("resourceFilterCriteria") or {}, created=now)
    reports[report.id] = report
    return report


def get(caller: str, region: str, report_id: str | None, kind: str) -> Report:
    mine = [r for r in reports.values() if r.account == caller and r.region == region and r.kind == kind]
    if report_id is None:
        if not mine:
            raise ResourceNotFoundException("There is no report to answer the status of")
        return max(mine, key=lambda r: r.created)
    found = next((r for r in mine if r.id == report_id), None)
    if found is None:
        raise ResourceNotFoundException(f"Report {report_id} does not exist")
    return found


# --- the work (scanner passes, under the emulator's lock) ----------------------------------------


def run_pending() -> None:
    for report in list(reports.values()):
        if report.status == "IN_PROGRESS":
            try:
                _run(report)
            except Exception as err:  # never leave a report in progress for ever
                _fail(report, "INTERNAL_ERROR", f"The local AWS failed to write the report: {err!r}")


def _fail(report: Report, code: str, message: str) -> None:
    report.status, report.error_code, report.error_message = "FAILED", code, message


def _destination(report: Report) -> tuple[Any, str] | None:
    """moto's S3 backend holding the bucket and the KMS key id, or None after failing the report."""
    from moto.kms.models import kms_backends
    from moto.s3.exceptions import MissingBucket
    from moto.s3.models import s3_backends

    name = report.destination["bucketName"]
    owner = s3_backends.bucket_accounts.get(name)
    if owner is None:
        _fail(report, "BUCKET_NOT_FOUND", f"The bucket {name} does not exist")
        return None
    partition, account = owner
    backend = s3_backends[account][partition]
    try:
        bucket = backend.get_bucket(name)
    except MissingBucket:
        _fail(report, "BUCKET_NOT_FOUND", f"The bucket {name} does not exist")
        return None
    if bucket.region_name != report.region:
        _fail(report, "INCOMPATIBLE_BUCKET_REGION", f"The bucket {name} is in {bucket.region_name}, not {report.region}")
        return None
    match = KMS_KEY_ARN.match(report.destination["kmsKeyArn"])
    key = None
    if match and match.group(1) == bucket.region_name:
        regions = kms_backends.get(match.group(2))
        kms = regions.get(match.group(1)) if regions is not None else None
        key = kms.keys.get(match.group(3)) if kms is not None else None
    if key is None or getattr(key, "key_state", "Enabled") != "Enabled":
        _fail(report, "MALFORMED_KMS_KEY",
              f"{report.destination['kmsKeyArn']} is not the ARN of an enabled KMS key in {bucket.region_name}")
        return None
    return backend, key.arn


def _object_key(report: Report, name: str) -> str:
    prefix = (report.destination.get("keyPrefix") or "").strip("/")
    return f"{prefix}/{name}" if prefix else name


def _put(report: Report, backend: Any, kms_key: str, key: str, body: bytes) -> None:
    backend.put_object(report.destination["bucketName"], key, body, encryption="aws:kms", kms_key_id=kms_key)
    report.keys.append(key)


def _run(report: Report) -> None:
    from .state import emulator

    target = _destination(report)
    if target is None:
        return
    backend, kms_key = target
    if report.kind == "findings":
        wanted = dict(report.criteria)
        wanted.setdefault("findingStatus", [{"comparison": "EQUALS", "value": "ACTIVE"}])
        found = [f for f in emulator.visible_findings(report.account, report.region) if criteria.finding_matches(f, wanted)]
        found.sort(key=lambda f: f["findingArn"])
        if not found:
            _fail(report, "NO_FINDINGS_FOUND", "No findings match the report's filter criteria")
            return
        if report.format == "JSON":
            body = json.dumps({"findings": [_iso_times(f) for f in found]}, indent=1).encode()
            _put(report, backend, kms_key, _object_key(report, f"{report.id}.json"), body)
        else:
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow([name for name, _ in CSV_COLUMNS])
            for finding in found:
                writer.writerow([value(finding) for _, value in CSV_COLUMNS])
            _put(report, backend, kms_key, _object_key(report, f"{report.id}.csv"), text.getvalue().encode())
    else:
        for covered in sbom_resources(report.account, report.region, report.criteria):
            bom = cyclonedx(covered, emulator.findings.values(), report.region, emulator.now())
            name = f"SBOM_{report.id}/{covered['accountId']}/{covered['resourceType']}/{_safe(covered['resourceId'])}.json"
            _put(report, backend, kms_key, _object_key(report, name), json.dumps(bom, indent=1).encode())
    report.status = "SUCCEEDED"


def _iso_times(finding: dict) -> dict:
    copy = json.loads(json.dumps(finding))
    for key in ("firstObservedAt", "lastObservedAt", "updatedAt"):
        copy[key] = _iso(copy[key])
    return copy


def _safe(resource_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", resource_id)


# --- SBOM -----------------------------------------------------------------------------------------


def _strings(value: str | None, filters: list[dict] | None) -> bool:
    if not filters:
        return True
    if value is None:
        return False
    positive = [f for f in filters if f["comparison"] == "EQUALS"]
    if any(f["comparison"] == "NOT_EQUALS" and f["value"] == value for f in filters):
        return False
    return not positive or any(f["value"] == value for f in positive)


def _maps(tags: dict | None, filters: list[dict] | None) -> bool:
    return not filters or any((tags or {}).get(f["key"]) == f["value"] for f in filters)


def sbom_resources(account: str, region: str, wanted: dict) -> list[dict]:
    from .state import emulator

    visible = emulator.visible_accounts(account, region)
    out = []
    for (owner, where, _, _), covered in sorted(emulator.coverage.items()):
        if where != region or owner not in visible or covered["resourceType"] not in SBOM_TYPES:
            continue
        meta = covered.get("resourceMetadata") or {}
        image_tags = (meta.get("ecrImage") or {}).get("tags") or []
        if (_strings(covered["accountId"], wanted.get("accountId"))
                and _strings(covered["resourceId"], wanted.get("resourceId"))
                and _strings(covered["resourceType"], wanted.get("resourceType"))
                and _strings((meta.get("ecrRepository") or {}).get("name"), wanted.get("ecrRepositoryName"))
                and _strings((meta.get("lambdaFunction") or {}).get("functionName"), wanted.get("lambdaFunctionName"))
                and (not wanted.get("ecrImageTags") or any(_strings(t, wanted["ecrImageTags"]) for t in image_tags))
                and _maps((meta.get("ec2") or {}).get("tags") if "ec2" in meta else None, wanted.get("ec2InstanceTags"))
                and _maps((meta.get("lambdaFunction") or {}).get("functionTags"), wanted.get("lambdaFunctionTags"))):
            out.append(json.loads(json.dumps(covered)))
    return out


def _purl(package: dict) -> str:
    manager = (package.get("packageManager") or "generic").lower()
    kind = {"os": "deb", "pip": "pypi", "pythonpkg": "pypi", "npm": "npm", "nodepkg": "npm", "jar": "maven",
            "gobinary": "golang", "nuget": "nuget"}.get(manager, "generic")
    return f"pkg:{kind}/{package['name']}@{package.get('version', '')}"


def cyclonedx(covered: dict, findings: Any, region: str, now: float) -> dict:
    """A CycloneDX 1.4 JSON BOM of one resource: its packages are those its findings name
    (the emulator has no inventory beyond the catalogue), each vulnerability pointing at
    the components it affects."""
    components: dict[str, dict] = {}
    vulnerabilities: dict[str, dict] = {}
    for finding in findings:
        if (finding.account != covered["accountId"] or finding.region != region
                or finding.resource_id != covered["resourceId"] or finding.data["status"] == "CLOSED"):
            continue
        details = finding.data.get("packageVulnerabilityDetails") or {}
        for package in details.get("vulnerablePackages") or []:
            purl = _purl(package)
            components.setdefault(purl, {"type": "library", "bom-ref": purl, "name": package["name"],
                                         "version": package.get("version", ""), "purl": purl})
            if details.get("vulnerabilityId"):
                entry = vulnerabilities.setdefault(details["vulnerabilityId"], {
                    "bom-ref": f"vuln-{details['vulnerabilityId']}", "id": details["vulnerabilityId"],
                    "source": {"name": details.get("source", ""), "url": details.get("sourceUrl", "")},
                    "affects": []})
                if {"ref": purl} not in entry["affects"]:
                    entry["affects"].append({"ref": purl})
    kind = {"AWS_EC2_INSTANCE": "operating-system", "AWS_ECR_CONTAINER_IMAGE": "container",
            "AWS_LAMBDA_FUNCTION": "application"}[covered["resourceType"]]
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.4",
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": _iso(now),
            "tools": [{"vendor": "localaws", "name": "inspector2 emulator"}],
            "component": {"type": kind, "bom-ref": covered["resourceId"], "name": covered["resourceId"]},
            "properties": [{"name": "amazon:inspector:account_id", "value": covered["accountId"]},
                           {"name": "amazon:inspector:resource_type", "value": covered["resourceType"]}],
        },
        "components": sorted(components.values(), key=lambda c: c["bom-ref"]),
        "vulnerabilities": sorted(vulnerabilities.values(), key=lambda v: v["id"]),
    }
