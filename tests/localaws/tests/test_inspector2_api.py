"""The Inspector v2 API beyond moto's: ListFindings (seeded and emulated findings),
BatchGetFindingDetails, ListCoverage, ListCoverageStatistics, Get/UpdateConfiguration,
ListFindingAggregations, with their documented errors and paging."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from inspector2_helpers import (
    ECR_FINDINGS,
    LINUX_FINDINGS,
    WINDOWS_AMI,
    Org,
    all_findings,
    eq,
    fresh_account_id,
    push_image,
    run_instance,
    scan,
    unvalidated,
    vulnerability,
)

REGION = "us-east-1"


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


# --- the emulator's findings ----------------------------------------------------------------


@pytest.fixture(scope="module")
def estate(accounts, endpoint):
    """An organisation with two members: two Linux instances and a Windows one in the
    first, an image in the second; scanned once."""
    org = Org.create(accounts, members=2, enable=["EC2", "ECR"])
    first, second = org.members
    ec2 = org.client(first, "ec2")
    linux = [run_instance(ec2, tags={"team": "blue"}), run_instance(ec2)]
    windows = run_instance(ec2, ami=WINDOWS_AMI)
    ecr = org.client(second, "ecr")
    ecr.create_repository(repositoryName="estate")
    digest = push_image(ecr, "estate")
    scan(endpoint)
    return {"org": org, "linux": linux, "windows": windows, "image": f"arn:aws:ecr:us-east-1:{second}:repository/estate/{digest}"}


def test_list_findings_filters_sorts_and_pages_the_emulated_findings(estate):
    org = estate["org"]
    admin = org.client(org.admin)
    everything = all_findings(admin)
    assert len(everything) == 2 * len(LINUX_FINDINGS) + 1 + len(ECR_FINDINGS)
    pages, token = [], None
    while True:
        page = admin.list_findings(maxResults=4, sortCriteria={"field": "INSPECTOR_SCORE", "sortOrder": "DESC"},
                                   **({"nextToken": token} if token else {}))
        pages.append(page["findings"])
        token = page.get("nextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [4, 4, 1]
    scores = [f.get("inspectorScore", 0) for p in pages for f in p]
    assert scores == sorted(scores, reverse=True) and scores[0] == 10.0

    critical = all_findings(admin, severity=eq("CRITICAL"))
    assert {vulnerability(f) for f in critical} == {"CVE-2021-44228"}
    windows = all_findings(admin, ec2InstanceImageId=eq(WINDOWS_AMI), findingType=eq("PACKAGE_VULNERABILITY"))
    assert {f["resources"][0]["id"] for f in windows} == {estate["windows"]}
    scored = all_findings(admin, inspectorScore=[{"lowerInclusive": 8.0, "upperInclusive": 9.0}])
    assert {vulnerability(f) for f in scored} == {"CVE-2024-6387", "KB4012212", "CVE-2023-4863"}
    assert all_findings(admin, epssScore=[{"lowerInclusive": 0.9}], awsAccountId=eq(org.members[1])) != []
    assert {vulnerability(f) for f in all_findings(admin, relatedVulnerabilities=eq("CVE-2017-0144"))} == {"KB4012212"}
    blue = all_findings(admin, resourceTags=[{"comparison": "EQUALS", "key": "team", "value": "blue"}])
    assert {f["resources"][0]["id"] for f in blue} == {estate["linux"][0]}
    assert all_findings(admin, resourceTags=[{"comparison": "EQUALS", "key": "team", "value": "red"}]) == []
    with pytest.raises(ClientError, match="not emulated"):
        admin.list_findings(filterCriteria={"portRange": [{"beginInclusive": 1}]})


def test_batch_get_finding_details(estate, accounts):
    org = estate["org"]
    admin = org.client(org.admin)
    by_vulnerability = {vulnerability(f): f["findingArn"] for f in all_findings(admin, resourceId=eq(estate["image"]))}
    log4shell = by_vulnerability["CVE-2021-44228"]
    missing = log4shell[:-4] + "0000" if not log4shell.endswith("0000") else log4shell[:-4] + "1111"
    answer = admin.batch_get_finding_details(findingArns=[log4shell, by_vulnerability["CVE-2024-6119"], missing, "arn:aws:nope"])
    details = {d["findingArn"]: d for d in answer["findingDetails"]}
    kev = details[log4shell]
    assert kev["epssScore"] == 0.94
    assert kev["cisaData"]["action"].startswith("Apply updates")
    assert (kev["cisaData"]["dateAdded"].date().isoformat(), kev["cisaData"]["dateDue"].date().isoformat()) == ("2021-12-10", "2021-12-24")
    assert kev["exploitObserved"]["firstSeen"].year == 2021
    assert "T1190" in kev["ttps"] and kev["evidences"][0]["evidenceRule"] == "CISA_KEV"
    plain = details[by_vulnerability["CVE-2024-6119"]]
    assert plain["epssScore"] == 0.00045 and "cisaData" not in plain
    assert {(e["findingArn"], e["errorCode"]) for e in answer["errors"]} == {
        (missing, "FINDING_DETAILS_NOT_FOUND"), ("arn:aws:nope", "INVALID_INPUT")}
    # The member that owns the image reads them too; the other member may not.
    assert org.client(org.members[1]).batch_get_finding_details(findingArns=[log4shell])["errors"] == []
    denied = org.client(org.members[0]).batch_get_finding_details(findingArns=[log4shell])
    assert denied["errors"][0]["errorCode"] == "ACCESS_DENIED"
    # At most 10 ARNs.
    with pytest.raises(ClientError) as caught:
        unvalidated(accounts, org.admin).batch_get_finding_details(findingArns=[log4shell] * 11)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["fields"][0]["name"] == "findingArns"


def test_list_coverage_and_statistics(estate):
    org = estate["org"]
    admin = org.client(org.admin)
    pages, token = [], None
    while True:
        page = admin.list_coverage(maxResults=2, **({"nextToken": token} if token else {}))
        pages.append(page["coveredResources"])
        token = page.get("nextToken")
        if not token:
            break
    covered = [c for p in pages for c in p]
    expected = {*estate["linux"], estate["windows"], estate["image"], f"arn:aws:ecr:us-east-1:{org.members[1]}:repository/estate"}
    assert {c["resourceId"] for c in covered} == expected
    assert all(c["scanStatus"] == {"statusCode": "ACTIVE", "reason": "SUCCESSFUL"} for c in covered)
    ec2 = admin.list_coverage(filterCriteria={"resourceType": eq("AWS_EC2_INSTANCE")})["coveredResources"]
    assert {c["resourceMetadata"]["ec2"]["platform"] for c in ec2} == {"LINUX", "WINDOWS"}
    tagged = admin.list_coverage(filterCriteria={"ec2InstanceTags": [{"comparison": "EQUALS", "key": "team", "value": "blue"}]})
    assert [c["resourceId"] for c in tagged["coveredResources"]] == [estate["linux"][0]]
    recent = admin.list_coverage(filterCriteria={"lastScannedAt": [{"startInclusive": 0}], "accountId": eq(org.members[1])})
    assert len(recent["coveredResources"]) == 2

    by_type = admin.list_coverage_statistics(groupBy="RESOURCE_TYPE")
    assert by_type["totalCounts"] == 5
    assert {g["groupKey"]: g["count"] for g in by_type["countsByGroup"]} == {
        "AWS_EC2_INSTANCE": 3, "AWS_ECR_CONTAINER_IMAGE": 1, "AWS_ECR_REPOSITORY": 1}
    by_account = admin.list_coverage_statistics(groupBy="ACCOUNT_ID")
    assert {g["groupKey"]: g["count"] for g in by_account["countsByGroup"]} == {org.members[0]: 3, org.members[1]: 2}
    member = org.client(org.members[1]).list_coverage_statistics(groupBy="SCAN_STATUS_CODE")
    assert member["totalCounts"] == 2 and member["countsByGroup"] == [{"groupKey": "ACTIVE", "count": 2}]
    with pytest.raises(ClientError, match="ValidationException"):
        admin.list_coverage(nextToken="garbage")


def test_finding_aggregations_by_account_severity_and_resource(estate):
    org = estate["org"]
    first, second = org.members
    admin = org.client(org.admin)
    accounts = admin.list_finding_aggregations(aggregationType="ACCOUNT")
    rows = {r["accountAggregation"]["accountId"]: r["accountAggregation"] for r in accounts["responses"]}
    assert rows[first]["severityCounts"]["all"] == 2 * len(LINUX_FINDINGS) + 1
    assert rows[first]["severityCounts"]["high"] == 3  # regreSSHion twice, the KB once
    assert rows[second]["severityCounts"]["critical"] == 1
    assert rows[second]["severityCounts"]["untriaged"] == 1
    assert rows[second]["fixAvailableCount"] == 2 and rows[second]["exploitAvailableCount"] == 2
    assert [r["accountAggregation"]["accountId"] for r in accounts["responses"]] == [second, first], "most critical first"

    images = admin.list_finding_aggregations(
        aggregationType="FINDING_TYPE",
        aggregationRequest={"findingTypeAggregation": {"resourceType": "AWS_ECR_CONTAINER_IMAGE"}})
    assert [r["findingTypeAggregation"]["accountId"] for r in images["responses"]] == [second]
    instances = admin.list_finding_aggregations(aggregationType="AWS_EC2_INSTANCE",
                                                aggregationRequest={"ec2InstanceAggregation": {"sortBy": "HIGH"}})
    per_instance = {r["ec2InstanceAggregation"]["instanceId"]: r["ec2InstanceAggregation"] for r in instances["responses"]}
    assert set(per_instance) == {*estate["linux"], estate["windows"]}
    assert per_instance[estate["windows"]]["operatingSystem"] == "WINDOWS"
    titles = admin.list_finding_aggregations(aggregationType="TITLE", accountIds=eq(first))
    assert {r["titleAggregation"]["vulnerabilityId"] for r in titles["responses"]} == LINUX_FINDINGS | {"KB4012212"}
    # The member only counts its own.
    mine = org.client(first).list_finding_aggregations(aggregationType="ACCOUNT")
    assert [r["accountAggregation"]["accountId"] for r in mine["responses"]] == [first]
    with pytest.raises(ClientError, match="does not match aggregationType"):
        admin.list_finding_aggregations(aggregationType="ACCOUNT", aggregationRequest={"titleAggregation": {}})
    with pytest.raises(ClientError, match="not emulated"):
        admin.list_finding_aggregations(aggregationType="IMAGE_LAYER")


def test_configuration_is_the_administrators_and_refused_to_members(accounts):
    org = Org.create(accounts, members=1)
    admin, member = org.client(org.admin), org.client(org.members[0])
    default = admin.get_configuration()
    assert default["ec2Configuration"]["scanModeState"] == {"scanMode": "EC2_HYBRID", "scanModeStatus": "SUCCESS"}
    assert default["ecrConfiguration"]["rescanDurationState"]["rescanDuration"] == "LIFETIME"
    admin.update_configuration(ec2Configuration={"scanMode": "EC2_SSM_AGENT_BASED"},
                               ecrConfiguration={"rescanDuration": "DAYS_30", "pullDateRescanDuration": "DAYS_14"})
    for client in (admin, member):  # org-wide: the member reads the administrator's
        got = client.get_configuration()
        assert got["ec2Configuration"]["scanModeState"]["scanMode"] == "EC2_SSM_AGENT_BASED"
        state = got["ecrConfiguration"]["rescanDurationState"]
        assert (state["rescanDuration"], state["pullDateRescanDuration"]) == ("DAYS_30", "DAYS_14")
    with pytest.raises(ClientError) as caught:
        member.update_configuration(ec2Configuration={"scanMode": "EC2_HYBRID"})
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    with pytest.raises(ClientError, match="ValidationException"):
        admin.update_configuration()
    with pytest.raises(ClientError) as caught:
        unvalidated(accounts, org.admin).update_configuration(ec2Configuration={"scanMode": "EC2_SOMETIMES"})
    assert caught.value.response["fields"][0]["name"] == "ec2Configuration.scanMode"
    # Another organisation keeps its own.
    assert org.client(fresh_account_id()).get_configuration()["ec2Configuration"]["scanModeState"]["scanMode"] == "EC2_HYBRID"


def _missing(shape, value, path: str = "") -> list[str]:
    """Required members (of the API model's output shape) that an answer lacks."""
    out = []
    if shape.type_name == "structure" and isinstance(value, dict):
        out += [f"{path}.{name}" for name in shape.required_members if name not in value]
        for name, item in value.items():
            if name in shape.members:
                out += _missing(shape.members[name], item, f"{path}.{name}")
    elif shape.type_name == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            out += _missing(shape.member, item, f"{path}[{i}]")
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            out += _missing(shape.value, item, f"{path}.{key}")
    return out


def test_answers_carry_the_members_the_model_requires(estate):
    """SDKs that insist on required members (the Rust SDK's builders) can read every answer."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("inspector2")
    org = estate["org"]
    admin = org.client(org.admin)
    admin.create_filter(name="required", action="NONE", filterCriteria={"severity": eq("LOW")})
    arns = [f["findingArn"] for f in admin.list_findings(maxResults=100)["findings"]]
    calls = {
        "ListFindings": lambda: admin.list_findings(maxResults=100),
        "ListCoverage": lambda: admin.list_coverage(),
        "ListCoverageStatistics": lambda: admin.list_coverage_statistics(groupBy="RESOURCE_TYPE"),
        "GetConfiguration": lambda: admin.get_configuration(),
        "Enable": lambda: admin.enable(accountIds=[org.members[0], fresh_account_id()], resourceTypes=["EC2"]),
        "ListMembers": lambda: admin.list_members(),
        "ListFilters": lambda: admin.list_filters(),
        "BatchGetFindingDetails": lambda: admin.batch_get_finding_details(findingArns=arns[:9] + ["not-an-arn"]),
        **{f"ListFindingAggregations {kind}": (lambda k=kind: admin.list_finding_aggregations(aggregationType=k))
           for kind in ("ACCOUNT", "FINDING_TYPE", "TITLE", "AWS_EC2_INSTANCE", "AWS_ECR_CONTAINER", "AWS_LAMBDA_FUNCTION")},
    }
    for name, call in calls.items():
        answer = call()
        answer.pop("ResponseMetadata")
        assert _missing(model.operation_model(name.split()[0]).output_shape, answer) == [], name
    # The one known gap: State's errorCode/errorMessage (README, "Not confirmed").
    status = admin.batch_get_account_status(accountIds=org.members)
    status.pop("ResponseMetadata")
    gaps = _missing(model.operation_model("BatchGetAccountStatus").output_shape, status)
    assert {g.rsplit(".", 1)[1] for g in gaps} <= {"errorCode", "errorMessage"}
