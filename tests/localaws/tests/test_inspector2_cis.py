"""CIS scan configurations and CIS scans: the four configuration operations in the shapes
of the API reference, their errors and pagination, scans by schedule (emulator clock) and
by the admin route over tagged running instances, ListCisScans and GetCisScanResultDetails,
and isolation between accounts."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from inspector2_helpers import WINDOWS_AMI, Org, fresh_account_id, run_instance, scan, unvalidated

CONFIG_ARN = re.compile(r"^arn:aws:inspector2:us-east-1:(\d{12}):owner/\1/cis-configuration/[0-9a-f-]+$")
DAILY = {"daily": {"startTime": {"timeOfDay": "02:00", "timezone": "UTC"}}}
LEVEL_1_CHECKS = 7  # cis_checks.json: 7 LEVEL_1 checks, 1 LEVEL_2
ALL_CHECKS = 8


def _targets(tags: dict | None = None, accounts: list[str] | None = None) -> dict:
    return {"accountIds": accounts or ["SELF"], "targetResourceTags": tags or {"cis": ["yes"]}}


def _force(endpoint: str, arn: str) -> tuple[int, dict]:
    request = urllib.request.Request(f"{endpoint}/_localaws/inspector2/cis-scan", method="POST",
                                     data=json.dumps({"scanConfigurationArn": arn}).encode())
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _error(call, *args, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_create_list_update_delete_in_documented_shapes(accounts, unique):
    account = fresh_account_id()
    v2 = accounts.client("inspector2", account)
    arn = v2.create_cis_scan_configuration(scanName=f"nightly-{unique}", securityLevel="LEVEL_1", schedule=DAILY,
                                           targets=_targets({"env": ["prod", "staging"]}), tags={"team": "sec"})["scanConfigurationArn"]
    assert CONFIG_ARN.match(arn) and CONFIG_ARN.match(arn).group(1) == account
    listed = v2.list_cis_scan_configurations()["scanConfigurations"]
    assert listed == [{"scanConfigurationArn": arn, "ownerId": account, "scanName": f"nightly-{unique}",
                       "securityLevel": "LEVEL_1", "schedule": DAILY,
                       "targets": {"accountIds": ["SELF"], "targetResourceTags": {"env": ["prod", "staging"]}},
                       "tags": {"team": "sec"}}]

    weekly = {"weekly": {"days": ["MON", "THU"], "startTime": {"timeOfDay": "23:15", "timezone": "Europe/Berlin"}}}
    assert v2.update_cis_scan_configuration(scanConfigurationArn=arn, scanName=f"weekly-{unique}", securityLevel="LEVEL_2",
                                            schedule=weekly, targets={"targetResourceTags": {"cis": ["on"]}}
                                            )["scanConfigurationArn"] == arn
    (got,) = v2.list_cis_scan_configurations()["scanConfigurations"]
    assert (got["scanName"], got["securityLevel"], got["schedule"]) == (f"weekly-{unique}", "LEVEL_2", weekly)
    assert got["targets"] == {"accountIds": ["SELF"], "targetResourceTags": {"cis": ["on"]}}  # accountIds kept

    monthly = {"monthly": {"day": "SUN", "startTime": {"timeOfDay": "04:00", "timezone": "America/New_York"}}}
    v2.update_cis_scan_configuration(scanConfigurationArn=arn, schedule=monthly)
    assert v2.list_cis_scan_configurations()["scanConfigurations"][0]["schedule"] == monthly

    assert v2.delete_cis_scan_configuration(scanConfigurationArn=arn)["scanConfigurationArn"] == arn
    assert v2.list_cis_scan_configurations()["scanConfigurations"] == []
    assert _error(v2.delete_cis_scan_configuration, scanConfigurationArn=arn) == ("ResourceNotFoundException", 404)
    assert _error(v2.update_cis_scan_configuration, scanConfigurationArn=arn, scanName="x") == ("ResourceNotFoundException", 404)


def test_validation_errors(accounts):
    account = fresh_account_id()
    raw = unvalidated(accounts, account)
    good = {"scanName": "n", "securityLevel": "LEVEL_1", "schedule": DAILY, "targets": _targets()}
    bad_inputs = [
        {**good, "scanName": ""},
        {**good, "securityLevel": "LEVEL_3"},
        {**good, "schedule": {}},
        {**good, "schedule": {"oneTime": {}, **DAILY}},
        {**good, "schedule": {"daily": {"startTime": {"timeOfDay": "24:00", "timezone": "UTC"}}}},
        {**good, "schedule": {"daily": {"startTime": {"timeOfDay": "02:00", "timezone": "Mars/Olympus"}}}},
        {**good, "schedule": {"weekly": {"days": [], "startTime": {"timeOfDay": "02:00", "timezone": "UTC"}}}},
        {**good, "schedule": {"weekly": {"days": ["FUN"], "startTime": {"timeOfDay": "02:00", "timezone": "UTC"}}}},
        {**good, "schedule": {"monthly": {"startTime": {"timeOfDay": "02:00", "timezone": "UTC"}}}},
        {**good, "targets": {"accountIds": ["SELF"]}},
        {**good, "targets": {"accountIds": [], "targetResourceTags": {"a": ["b"]}}},
        {**good, "targets": {"accountIds": ["SELF"], "targetResourceTags": {"a": ["1", "2", "3", "4", "5", "6"]}}},
        {k: v for k, v in good.items() if k != "schedule"},
    ]
    for body in bad_inputs:
        assert _error(raw.create_cis_scan_configuration, **body) == ("ValidationException", 400), body
    assert _error(raw.update_cis_scan_configuration, scanConfigurationArn="arn:aws:inspector2:us-east-1:1:nope") == ("ValidationException", 400)
    assert _error(raw.list_cis_scan_configurations, maxResults=101) == ("ValidationException", 400)
    assert _error(raw.list_cis_scan_configurations, nextToken="garbage") == ("ValidationException", 400)
    assert raw.list_cis_scan_configurations()["scanConfigurations"] == []


def test_list_filters_sorting_pages_and_isolation(accounts, unique):
    account, other = fresh_account_id(), fresh_account_id()
    v2 = accounts.client("inspector2", account)
    arns = {}
    for name, tags in (("beta", {"env": ["prod"]}), ("alpha", {"env": ["dev"]}), ("gamma", {"team": ["x"]})):
        arns[name] = v2.create_cis_scan_configuration(scanName=f"{name}-{unique}", securityLevel="LEVEL_1",
                                                      schedule={"oneTime": {}}, targets=_targets(tags))["scanConfigurationArn"]
    names = lambda answer: [c["scanName"].split("-")[0] for c in answer["scanConfigurations"]]  # noqa: E731
    assert names(v2.list_cis_scan_configurations(sortBy="SCAN_NAME")) == ["alpha", "beta", "gamma"]
    assert names(v2.list_cis_scan_configurations(sortBy="SCAN_NAME", sortOrder="DESC")) == ["gamma", "beta", "alpha"]
    prefix = v2.list_cis_scan_configurations(filterCriteria={"scanNameFilters": [{"comparison": "PREFIX", "value": "be"}]})
    assert names(prefix) == ["beta"]
    not_alpha = v2.list_cis_scan_configurations(filterCriteria={"scanNameFilters": [{"comparison": "NOT_EQUALS", "value": f"alpha-{unique}"}]})
    assert sorted(names(not_alpha)) == ["beta", "gamma"]
    by_tag = v2.list_cis_scan_configurations(filterCriteria={"targetResourceTagFilters": [{"comparison": "EQUALS", "key": "env", "value": "prod"}]})
    assert names(by_tag) == ["beta"]
    by_arn = v2.list_cis_scan_configurations(filterCriteria={"scanConfigurationArnFilters": [{"comparison": "EQUALS", "value": arns["gamma"]}]})
    assert names(by_arn) == ["gamma"]

    seen, token = [], None
    while True:
        page = v2.list_cis_scan_configurations(maxResults=2, sortBy="SCAN_NAME", **({"nextToken": token} if token else {}))
        assert len(page["scanConfigurations"]) <= 2
        seen += names(page)
        token = page.get("nextToken")
        if not token:
            break
    assert seen == ["alpha", "beta", "gamma"]

    stranger = accounts.client("inspector2", other)
    assert stranger.list_cis_scan_configurations()["scanConfigurations"] == []
    assert _error(stranger.delete_cis_scan_configuration, scanConfigurationArn=arns["alpha"]) == ("ResourceNotFoundException", 404)
    assert _error(stranger.update_cis_scan_configuration, scanConfigurationArn=arns["alpha"], scanName="x") == ("ResourceNotFoundException", 404)
    assert len(v2.list_cis_scan_configurations()["scanConfigurations"]) == 3


def test_forced_scan_covers_tagged_running_instances_of_targeted_accounts(accounts, endpoint, unique):
    org = Org.create(accounts, members=2)
    admin_ec2, member_ec2, other_ec2 = (org.client(a, "ec2") for a in (org.admin, *org.members))
    mine = run_instance(admin_ec2, tags={"cis": "yes"})
    untagged = run_instance(admin_ec2, tags={"cis": "no"})
    stopped = run_instance(admin_ec2, tags={"cis": "yes"})
    admin_ec2.stop_instances(InstanceIds=[stopped])
    windows = run_instance(admin_ec2, ami=WINDOWS_AMI, tags={"cis": "yes"})
    member_instance = run_instance(member_ec2, tags={"cis": "yes"})
    run_instance(other_ec2, tags={"cis": "yes"})  # a member the configuration does not target
    stranger = fresh_account_id()
    run_instance(accounts.client("ec2", stranger), tags={"cis": "yes"})  # not a member: never scanned

    v2 = org.client(org.admin)
    arn = v2.create_cis_scan_configuration(scanName=f"org-{unique}", securityLevel="LEVEL_2", schedule=DAILY,
                                           targets=_targets(accounts=["SELF", org.members[0], stranger]))["scanConfigurationArn"]
    status, answer = _force(endpoint, arn)
    assert status == 200
    scan_arn = answer["scanArn"]
    assert re.match(rf"^arn:aws:inspector2:us-east-1:{org.admin}:owner/{org.admin}/cis-scan/[0-9a-f-]{{36}}$", scan_arn)

    (listed,) = v2.list_cis_scans()["scans"]
    assert listed["scanArn"] == scan_arn and listed["scanConfigurationArn"] == arn
    assert listed["status"] == "COMPLETED" and listed["scanName"] == f"org-{unique}" and listed["securityLevel"] == "LEVEL_2"
    assert listed["scheduledBy"] == org.admin and listed["totalChecks"] == 3 * ALL_CHECKS
    assert listed["targets"] == {"accountIds": ["SELF", org.members[0], stranger], "targetResourceTags": {"cis": ["yes"]}}

    def details(instance: str, account: str, client=v2, **kwargs) -> list[dict]:
        return client.get_cis_scan_result_details(scanArn=scan_arn, targetResourceId=instance, accountId=account, **kwargs)["scanResultDetails"]

    linux = details(mine, org.admin)
    assert [r["checkId"] for r in linux] == [f"1.1.1.{i}" for i in range(1, 9)]
    assert {r["status"] for r in linux} <= {"PASSED", "FAILED"} and all(r["platform"] == "LINUX" for r in linux)
    assert all(r["scanArn"] == scan_arn and r["title"].startswith("Ensure ") and r["level"] in ("LEVEL_1", "LEVEL_2")
               and re.match(rf"^arn:aws:inspector2:us-east-1:{org.admin}:owner/{org.admin}/cis-finding/[0-9a-f-]{{36}}$", r["findingArn"])
               for r in linux)
    assert listed["failedChecks"] == sum(r["status"] == "FAILED" for i, a in ((mine, org.admin), (member_instance, org.members[0]))
                                         for r in details(i, a))
    assert {r["status"] for r in details(windows, org.admin)} == {"SKIPPED"}
    assert len(details(member_instance, org.members[0])) == ALL_CHECKS
    for instance in (untagged, stopped):
        assert details(instance, org.admin) == []

    # Per instance, the same answers every scan; sorting, filters and pages.
    again = _force(endpoint, arn)[1]["scanArn"]
    assert [(r["checkId"], r["status"], r["findingArn"]) for r in linux] == [
        (r["checkId"], r["status"], r["findingArn"]) for r in
        v2.get_cis_scan_result_details(scanArn=again, targetResourceId=mine, accountId=org.admin)["scanResultDetails"]]
    failed = details(mine, org.admin, filterCriteria={"findingStatusFilters": [{"comparison": "EQUALS", "value": "FAILED"}]})
    assert failed == [r for r in linux if r["status"] == "FAILED"]
    level2 = details(mine, org.admin, filterCriteria={"securityLevelFilters": [{"comparison": "EQUALS", "value": "LEVEL_2"}]})
    assert [r["checkId"] for r in level2] == ["1.1.1.8"]
    assert [r["checkId"] for r in details(mine, org.admin, sortOrder="DESC")][0] == "1.1.1.8"
    first = v2.get_cis_scan_result_details(scanArn=scan_arn, targetResourceId=mine, accountId=org.admin, maxResults=5)
    rest = v2.get_cis_scan_result_details(scanArn=scan_arn, targetResourceId=mine, accountId=org.admin, maxResults=5,
                                          nextToken=first["nextToken"])
    assert first["scanResultDetails"] + rest["scanResultDetails"] == linux and "nextToken" not in rest

    assert len(v2.list_cis_scans()["scans"]) == 2
    assert v2.list_cis_scans(sortBy="SCAN_START_DATE", sortOrder="ASC")["scans"][0]["scanArn"] == scan_arn
    only = v2.list_cis_scans(filterCriteria={"scanArnFilters": [{"comparison": "EQUALS", "value": again}]})["scans"]
    assert [s["scanArn"] for s in only] == [again]
    by_resource = v2.list_cis_scans(filterCriteria={"targetResourceIdFilters": [{"comparison": "EQUALS", "value": member_instance}]})
    assert len(by_resource["scans"]) == 2
    assert v2.list_cis_scans(filterCriteria={"scanStatusFilters": [{"comparison": "EQUALS", "value": "FAILED"}]})["scans"] == []
    page = v2.list_cis_scans(maxResults=1)
    assert len(page["scans"]) == 1 and v2.list_cis_scans(maxResults=1, nextToken=page["nextToken"])["scans"]

    # The member sees the administrator's scans that covered it (MEMBER) and only its own results.
    member = org.client(org.members[0])
    assert member.list_cis_scans()["scans"] == []
    assert len(member.list_cis_scans(detailLevel="MEMBER")["scans"]) == 2
    assert len(details(member_instance, org.members[0], client=member)) == ALL_CHECKS
    assert _error(member.get_cis_scan_result_details, scanArn=scan_arn, targetResourceId=mine, accountId=org.admin) == ("AccessDeniedException", 403)
    outsider = accounts.client("inspector2", stranger)
    assert outsider.list_cis_scans(detailLevel="MEMBER")["scans"] == []
    assert _error(outsider.get_cis_scan_result_details, scanArn=scan_arn, targetResourceId=mine, accountId=org.admin) == ("AccessDeniedException", 403)


def test_scans_follow_the_schedule_on_the_emulator_clock(accounts, endpoint, unique):
    account = fresh_account_id()
    run_instance(accounts.client("ec2", account), tags={"cis": "yes"})
    v2 = accounts.client("inspector2", account)
    once = v2.create_cis_scan_configuration(scanName=f"once-{unique}", securityLevel="LEVEL_1", schedule={"oneTime": {}},
                                            targets=_targets())["scanConfigurationArn"]
    daily = v2.create_cis_scan_configuration(scanName=f"daily-{unique}", securityLevel="LEVEL_1", schedule=DAILY,
                                             targets=_targets())["scanConfigurationArn"]

    def count(arn: str) -> int:
        wanted = {"scanConfigurationArnFilters": [{"comparison": "EQUALS", "value": arn}]}
        return len(v2.list_cis_scans(filterCriteria=wanted)["scans"])

    scan(endpoint)
    assert (count(once), count(daily)) == (1, 0)  # a oneTime schedule runs at once
    scan(endpoint, advance_seconds=86400)  # 02:00 UTC has come once in any 24 hours
    assert (count(once), count(daily)) == (1, 1)
    scan(endpoint)
    assert count(daily) == 1
    scan(endpoint, advance_seconds=86400)
    assert (count(once), count(daily)) == (1, 2)
    (latest, _) = v2.list_cis_scans(filterCriteria={"scanConfigurationArnFilters": [{"comparison": "EQUALS", "value": daily}]},
                                    sortBy="SCAN_START_DATE", sortOrder="DESC")["scans"]
    assert latest["totalChecks"] == LEVEL_1_CHECKS


def test_admin_route_rejects_bad_requests(endpoint):
    assert _force(endpoint, "arn:aws:inspector2:us-east-1:111111111111:owner/111111111111/cis-configuration/nope")[0] == 404
    request = urllib.request.Request(f"{endpoint}/_localaws/inspector2/cis-scan", method="POST", data=b"[]")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 400


def test_tag_operations_change_the_configurations_own_tags(accounts, unique):
    """TagResource/UntagResource on a CIS scan configuration change the tags
    ListCisScanConfigurations answers, and ListTagsForResource lists those (the tags given
    at creation included); another account's call does not reach them."""
    account = fresh_account_id()
    v2 = accounts.client("inspector2", account)
    arn = v2.create_cis_scan_configuration(scanName=f"tags-{unique}", securityLevel="LEVEL_1", schedule=DAILY,
                                           targets=_targets(), tags={"team": "sec", "env": "prod"})["scanConfigurationArn"]
    assert v2.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "sec", "env": "prod"}
    v2.tag_resource(resourceArn=arn, tags={"env": "test", "owner": "platform"})
    v2.untag_resource(resourceArn=arn, tagKeys=["team"])
    (listed,) = v2.list_cis_scan_configurations()["scanConfigurations"]
    assert listed["tags"] == {"env": "test", "owner": "platform"}
    assert v2.list_tags_for_resource(resourceArn=arn)["tags"] == listed["tags"]
    other = accounts.client("inspector2", fresh_account_id())
    other.tag_resource(resourceArn=arn, tags={"intruder": "yes"})
    (listed,) = v2.list_cis_scan_configurations()["scanConfigurations"]
    assert "intruder" not in listed["tags"]
