"""The vulnerability catalogue (catalogue.json) and the findings it gives a resource.

What a resource gets is fixed by its kind, so tests can predict it: every catalogue entry
whose `appliesTo` names the kind (EC2_LINUX, EC2_WINDOWS, ECR, LAMBDA:<family>) is one
PACKAGE_VULNERABILITY finding; LAMBDA_CODE scanning adds the code entries of the
function's language. Finding ids are a hash of account, region, resource and
vulnerability, so the same resource always has the same finding ARNs.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

CATALOGUE_PATH = Path(__file__).with_name("catalogue.json")

# Lambda runtime (moto's spelling) -> (Inspector's LambdaFunctionMetadata runtime, family).
LAMBDA_RUNTIMES = {
    "python3.7": ("PYTHON_3_7", "python"), "python3.8": ("PYTHON_3_8", "python"),
    "python3.9": ("PYTHON_3_9", "python"), "python3.10": ("PYTHON_3_10", "python"),
    "python3.11": ("PYTHON_3_11", "python"), "python3.12": ("PYTHON_3_12", "python"),
    "python3.13": ("PYTHON_3_13", "python"),
    "nodejs12.x": ("NODEJS_12_X", "nodejs"), "nodejs14.x": ("NODEJS_14_X", "nodejs"),
    "nodejs16.x": ("NODEJS_16_X", "nodejs"), "nodejs18.x": ("NODEJS_18_X", "nodejs"),
    "nodejs20.x": ("NODEJS", "nodejs"), "nodejs22.x": ("NODEJS_22_X", "nodejs"),
    "java8": ("JAVA_8", "java"), "java8.al2": ("JAVA_8_AL2", "java"), "java11": ("JAVA_11", "java"),
    "java17": ("JAVA_17", "java"), "java21": ("JAVA_21", "java"),
}


@lru_cache(maxsize=1)
def load() -> dict:
    return json.loads(CATALOGUE_PATH.read_text())


def entries_for(kind: str) -> list[dict]:
    return [e for e in load()["vulnerabilities"] if kind in e["appliesTo"]]


def code_entries_for(family: str) -> list[dict]:
    return [e for e in load()["codeVulnerabilities"] if family in e["appliesTo"]]


def entry(vulnerability_id: str) -> dict | None:
    return next((e for e in load()["vulnerabilities"] if e["id"] == vulnerability_id), None)


def severity(score: float | None) -> str:
    """Inspector's severity from its score (User Guide, "Severity levels for findings")."""
    if score is None:
        return "UNTRIAGED"
    if score == 0:
        return "INFORMATIONAL"
    if score < 4:
        return "LOW"
    if score < 7:
        return "MEDIUM"
    if score < 9:
        return "HIGH"
    return "CRITICAL"


def fix_available(entry: dict) -> str:
    fixed = [p.get("fixedInVersion") not in (None, "", "NotAvailable") for p in entry["packages"]]
    if all(fixed):
        return "YES"
    return "PARTIAL" if any(fixed) else "NO"


def finding_id(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).replace(tzinfo=timezone.utc).timestamp()


def package_finding(entry: dict, arch: str | None = None) -> dict:
    """The vulnerability part of a PACKAGE_VULNERABILITY finding (API shape, epoch times)."""
    score = (entry.get("inspectorScore") or {}).get("score")
    packages = []
    for package in entry["packages"]:
        package = dict(package)
        if arch and package.get("arch") not in (None, "ALL"):
            package["arch"] = arch
        packages.append(package)
    details = {
        "cvss": entry["cvss"],
        "referenceUrls": entry.get("referenceUrls", []),
        "relatedVulnerabilities": entry.get("relatedVulnerabilities", []),
        "source": entry["source"],
        "sourceUrl": entry["sourceUrl"],
        "vendorCreatedAt": epoch(entry["vendorCreatedAt"]),
        "vendorSeverity": entry["vendorSeverity"],
        "vulnerabilityId": entry["id"],
        "vulnerablePackages": packages,
    }
    names = ", ".join(sorted({p["name"] for p in packages}))
    finding = {
        "type": "PACKAGE_VULNERABILITY",
        "title": entry.get("title") or f"{entry['id']} - {names}",
        "description": entry["description"],
        "severity": severity(score),
        "packageVulnerabilityDetails": details,
        "remediation": {"recommendation": {"text": "None Provided"}},
        "exploitAvailable": entry["exploitAvailable"],
        "fixAvailable": fix_available(entry),
        "epss": {"score": entry["epss"]},
    }
    if score is not None:
        source = entry["inspectorScore"]["source"]
        cvss = next(c for c in entry["cvss"] if c["source"] == source and c["baseScore"] == score)
        finding["inspectorScore"] = score
        finding["inspectorScoreDetails"] = {
            "adjustedCvss": {
                "adjustments": [],
                "cvssSource": source,
                "score": score,
                "scoreSource": source,
                "scoringVector": cvss["scoringVector"],
                "version": cvss["version"],
            }
        }
    if entry.get("lastKnownExploitAt"):
        finding["exploitabilityDetails"] = {"lastKnownExploitAt": epoch(entry["lastKnownExploitAt"])}
    return finding


def code_finding(entry: dict, family: str) -> dict:
    file_name = entry["files"][family]
    return {
        "type": "CODE_VULNERABILITY",
        "title": entry["title"],
        "description": entry["description"],
        "severity": entry["severity"],
        "codeVulnerabilityDetails": {
            "cwes": entry["cwes"],
            "detectorId": entry["detectorIds"][family],
            "detectorName": entry["detectorName"],
            "detectorTags": entry["detectorTags"],
            "filePath": {"endLine": 6, "fileName": file_name, "filePath": file_name, "startLine": 6},
            "ruleId": entry["ruleIds"][family],
        },
        "remediation": {"recommendation": {"text": entry["recommendation"]}},
    }


def finding_details(finding: dict) -> dict | None:
    """BatchGetFindingDetails' FindingDetail for a finding, or None when it has none."""
    if finding.get("type") == "CODE_VULNERABILITY":
        return {"findingArn": finding["findingArn"], "cwes": finding["codeVulnerabilityDetails"]["cwes"],
                "evidences": [], "referenceUrls": [], "tools": [], "ttps": []}
    vulnerability = (finding.get("packageVulnerabilityDetails") or {}).get("vulnerabilityId")
    found = entry(vulnerability) if vulnerability else None
    if found is None:
        return None
    detail = {
        "findingArn": finding["findingArn"],
        "epssScore": found["epss"],
        "referenceUrls": found.get("referenceUrls", []),
        "cwes": found.get("cwes", []),
        "tools": found.get("tools", []),
        "ttps": found.get("ttps", []),
        "evidences": [],
    }
    if found.get("cisa"):
        cisa = found["cisa"]
        detail["cisaData"] = {
            "action": cisa["action"],
            "dateAdded": epoch(cisa["dateAdded"] + "T00:00:00Z"),
            "dateDue": epoch(cisa["dateDue"] + "T00:00:00Z"),
        }
        detail["evidences"].append({
            "evidenceRule": "CISA_KEV",
            "evidenceDetail": f"{vulnerability} is in CISA's Known Exploited Vulnerabilities catalog",
            "severity": "HIGH",
        })
    if found.get("exploitObserved"):
        observed = found["exploitObserved"]
        detail["exploitObserved"] = {"firstSeen": epoch(observed["firstSeen"]), "lastSeen": epoch(observed["lastSeen"])}
    detail["riskScore"] = round(10 * (finding.get("inspectorScore") or 0) * (1 + found["epss"]) / 2)
    return detail
