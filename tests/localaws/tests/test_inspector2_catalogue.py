"""The vulnerability catalogue (localaws/inspector2/catalogue.json) is data: every entry
names its source and holds together (no server needed)."""

from __future__ import annotations

import re

import pytest

from localaws.inspector2 import catalogue

ENTRIES = catalogue.load()["vulnerabilities"]
VECTOR = re.compile(r"^CVSS:3\.[01](/(AV:[NALP]|AC:[LH]|PR:[NLH]|UI:[NR]|S:[UC]|[CIA]:[NLH])){8}$")
KINDS = {"EC2_LINUX", "EC2_WINDOWS", "ECR", "LAMBDA:python", "LAMBDA:nodejs", "LAMBDA:java"}


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_every_entry_names_its_source_and_holds_together(entry):
    assert entry["_source"].startswith("https://")
    assert re.fullmatch(r"CVE-\d{4}-\d{4,}|KB\d{7}", entry["id"])
    assert set(entry["appliesTo"]) <= KINDS and entry["appliesTo"]
    for cvss in entry["cvss"]:
        assert VECTOR.match(cvss["scoringVector"]), cvss
        assert cvss["scoringVector"].startswith(f"CVSS:{cvss['version']}/")
        assert 0 < cvss["baseScore"] <= 10
    score = entry["inspectorScore"]
    if score is None:
        assert catalogue.severity(None) == "UNTRIAGED"
    else:
        assert any(c["baseScore"] == score["score"] and c["source"] == score["source"] for c in entry["cvss"])
    assert 0 <= entry["epss"] <= 1
    assert entry["exploitAvailable"] in ("YES", "NO")
    assert entry["packages"] and all(p["packageManager"] for p in entry["packages"])
    if entry.get("cisa"):
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry["cisa"]["dateAdded"]) and entry["cisa"]["dateDue"] > entry["cisa"]["dateAdded"]
    finding = catalogue.package_finding(entry)
    assert finding["severity"] == catalogue.severity(None if score is None else score["score"])


def test_the_catalogue_covers_what_the_issue_asks_for():
    assert {catalogue.fix_available(e) for e in ENTRIES} == {"YES", "NO", "PARTIAL"}
    assert any(catalogue.severity((e["inspectorScore"] or {}).get("score")) == "UNTRIAGED" for e in ENTRIES)
    windows = [e for e in ENTRIES if e["id"].startswith("KB")]
    assert windows and len(windows[0]["relatedVulnerabilities"]) >= 2
    assert any(e.get("cisa") for e in ENTRIES)
    for kind in KINDS:
        assert catalogue.entries_for(kind), kind


def test_severity_bands():
    assert [catalogue.severity(s) for s in (0, 0.1, 3.9, 4.0, 6.9, 7.0, 8.9, 9.0, 10.0)] == [
        "INFORMATIONAL", "LOW", "LOW", "MEDIUM", "MEDIUM", "HIGH", "HIGH", "CRITICAL", "CRITICAL"]


def test_finding_ids_are_stable_and_fit_the_arn_pattern():
    first = catalogue.finding_id("111111111111", "us-east-1", "i-0123456789abcdef0", "CVE-2024-6387")
    assert first == catalogue.finding_id("111111111111", "us-east-1", "i-0123456789abcdef0", "CVE-2024-6387")
    assert re.fullmatch(r"[a-f0-9]{32}", first)
