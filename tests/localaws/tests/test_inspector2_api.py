"""The Inspector v2 API beyond moto's: ListFindings (seeded and emulated findings),
BatchGetFindingDetails, ListCoverage, ListCoverageStatistics, Get/UpdateConfiguration,
ListFindingAggregations, with their documented errors and paging."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

REGION = "us-east-1"


@pytest.fixture
def stock(monkeypatch):
    import os

    import boto3

    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(name)
    with mock_aws():
        yield lambda service: boto3.client(service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")


# Findings seeded through moto's /moto-api/static/inspector2/findings-results route (the
# backfill's Rust tests seed this way): stock moto hands each seeded list out once per
# distinct request and never pages; the local AWS lists them as the account's findings.

def _inspector2_findings(account: str, n: int) -> list[dict]:
    """`n` findings in the API's shape (epoch timestamps), alternating status and severity."""
    return [
        {
            "findingArn": f"arn:aws:inspector2:{REGION}:{account}:finding/{i:032x}",
            "awsAccountId": account,
            "type": "PACKAGE_VULNERABILITY",
            "title": f"CVE-2024-{i:04d} - pkg",
            "description": "seeded",
            "severity": ["HIGH", "LOW", "CRITICAL"][i % 3],
            "status": "ACTIVE" if i % 2 == 0 else "CLOSED",
            "firstObservedAt": 1725469184.356 + i,
            "lastObservedAt": 1725469184.476 + i,
            "remediation": {"recommendation": {"text": "Upgrade"}},
            "resources": [{"type": "AWS_EC2_INSTANCE", "id": f"i-{i:017x}"}],
        }
        for i in range(n)
    ]


def _seed_inspector2(endpoint: str, account: str, results: list[list[dict]]) -> None:
    import urllib.request

    request = urllib.request.Request(
        f"{endpoint}/moto-api/static/inspector2/findings-results",
        data=json.dumps({"results": results, "account_id": account, "region": REGION}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request).read()


def test_inspector2_list_findings_pages_and_filters(accounts, endpoint, unique):
    account = f"5{int(unique, 16) % 10**11:011d}"  # an account of its own: nothing else seeded
    seeded = _inspector2_findings(account, 7)
    # Two seeds: a list per call, as moto's API takes them; a re-seeded ARN replaces its finding.
    _seed_inspector2(endpoint, account, [seeded[:4], seeded[4:]])
    closed_again = dict(seeded[0], status="CLOSED")
    _seed_inspector2(endpoint, account, [[closed_again]])
    inspector2 = accounts.client("inspector2", account)

    pages, token = [], None
    while True:
        page = inspector2.list_findings(maxResults=3, **({"nextToken": token} if token else {}))
        pages.append([f["findingArn"] for f in page["findings"]])
        token = page.get("nextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [3, 3, 1]
    arns = [arn for page in pages for arn in page]
    assert sorted(arns) == sorted(f["findingArn"] for f in seeded)
    assert arns[-1] == closed_again["findingArn"], "the re-seeded finding moved to the end"

    def listed(**criteria):
        return {f["findingArn"][-2:] for f in inspector2.list_findings(filterCriteria=criteria)["findings"]}

    active = {"findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}]}
    assert listed(**active) == {"02", "04", "06"}
    either = [{"comparison": "EQUALS", "value": "HIGH"}, {"comparison": "EQUALS", "value": "CRITICAL"}]
    assert listed(**active, severity=either) == {"02", "06"}
    assert listed(severity=[{"comparison": "NOT_EQUALS", "value": "LOW"}], findingStatus=active["findingStatus"]) == {"02", "06"}
    assert listed(title=[{"comparison": "PREFIX", "value": "CVE-2024-0006"}]) == {"06"}
    assert listed(findingArn=[{"comparison": "EQUALS", "value": seeded[5]["findingArn"]}]) == {"05"}
    assert len(inspector2.list_findings(maxResults=100)["findings"]) == 7

    first = inspector2.list_findings(maxResults=2)
    with pytest.raises(ClientError, match="ValidationException"):
        inspector2.list_findings(maxResults=2, nextToken=first["nextToken"], filterCriteria=active)
    with pytest.raises(ClientError, match="ValidationException"):
        inspector2.list_findings(nextToken="not-a-token")


def test_inspector2_list_findings_gap_in_stock_moto(stock):
    import requests

    seeded = _inspector2_findings("123456789012", 3)
    requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/inspector2/findings-results",
        json={"results": [seeded], "region": REGION},
    )
    page = stock("inspector2").list_findings(maxResults=1)
    # The whole seeded list in one answer and no nextToken: a paging client stops early.
    assert len(page["findings"]) == 3 and "nextToken" not in page
