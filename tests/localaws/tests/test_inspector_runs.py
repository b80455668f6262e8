"""Assessment runs and findings: which instances a run assesses, what findings look like,
the filters of ListAssessmentRuns / ListFindings, finding attributes, stopping runs, and the
run settings (findings per instance, runs held in progress)."""

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError
from conftest import MEMBER_ACCOUNTS
from inspector_helpers import (
    BEST_PRACTICES_PACKAGE,
    CVE_PACKAGE,
    RULES_PACKAGES,
    admin,
    all_pages,
    error_of,
    findings_per_instance,
    fresh_account_id,
    run_instances,
)
from inspector_helpers import targets  # noqa: F401 (a fixture)

MEMBER, OTHER_MEMBER = MEMBER_ACCOUNTS
COMPLETED_STATES = [
    "CREATED", "START_DATA_COLLECTION_PENDING", "START_DATA_COLLECTION_IN_PROGRESS", "COLLECTING_DATA",
    "STOP_DATA_COLLECTION_PENDING", "DATA_COLLECTED", "START_EVALUATING_RULES_PENDING", "EVALUATING_RULES", "COMPLETED",
]


@pytest.fixture
def own_account(accounts, endpoint):
    """An account of this test's own, whose run settings the test may change."""
    account = fresh_account_id()
    yield account
    admin(endpoint, {"account_id": account, "reset": True})


def describe_run(ins, run_arn):
    return ins.describe_assessment_runs(assessmentRunArns=[run_arn])["assessmentRuns"][0]


def findings_of(ins, run_arn, **filters):
    arns = all_pages(ins.list_findings, "findingArns", assessmentRunArns=[run_arn], maxResults=500, **filters)
    return [f for chunk in range(0, len(arns), 10) for f in ins.describe_findings(findingArns=arns[chunk:chunk + 10])["findings"]]


def test_run_assesses_the_running_tagged_instances_of_its_target(ins, ec2, endpoint, unique, targets):
    tagged = run_instances(ec2, 2, {"Inspect": unique, "Name": f"web-{unique}"})
    untagged = run_instances(ec2, 1, {"Inspect": f"not-{unique}"})
    stopped = run_instances(ec2, 1, {"Inspect": unique})
    ec2.stop_instances(InstanceIds=stopped)
    made = targets.tagged_template(ins, unique, userAttributesForFindings=[{"key": "team", "value": "blue"}])

    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]

    assert run_arn.startswith(made["template"] + "/run/0-")
    run = describe_run(ins, run_arn)
    per_instance = findings_per_instance(endpoint, MEMBER)
    assert run["state"] == "COMPLETED"
    assert [change["state"] for change in run["stateChanges"]] == COMPLETED_STATES
    assert run["dataCollected"] is True
    assert run["createdAt"] <= run["startedAt"] <= run["completedAt"] == run["stateChangedAt"]
    assert run["name"] == f"Run 1 for template-{unique}"
    assert run["rulesPackageArns"] == RULES_PACKAGES
    assert run["userAttributesForFindings"] == [{"key": "team", "value": "blue"}]
    assert sum(run["findingCounts"].values()) == 2 * per_instance
    assert set(run["findingCounts"]) == {"High", "Medium", "Low", "Informational", "Undefined"}
    assert run["notifications"] == []  # nothing subscribed

    findings = findings_of(ins, run_arn)
    assert len(findings) == 2 * per_instance
    assert {f["assetAttributes"]["agentId"] for f in findings} == set(tagged)
    assert not {f["assetAttributes"]["agentId"] for f in findings} & set(untagged + stopped)
    template = ins.describe_assessment_templates(assessmentTemplateArns=[made["template"]])["assessmentTemplates"][0]
    assert (template["assessmentRunCount"], template["lastAssessmentRunArn"]) == (1, run_arn)


def test_findings_have_the_documented_shape_and_describe_the_instance(ins, ec2, unique, targets):
    [instance_id] = run_instances(ec2, 1, {"Inspect": unique, "aws:autoscaling:groupName": f"asg-{unique}"})
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    made = targets.tagged_template(ins, unique, packages=[CVE_PACKAGE], userAttributesForFindings=[{"key": "team", "value": "blue"}])
    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"], assessmentRunName=f"named-{unique}")["assessmentRunArn"]
    assert describe_run(ins, run_arn)["name"] == f"named-{unique}"

    finding = findings_of(ins, run_arn)[0]
    assert finding["arn"].startswith(run_arn + "/finding/0-")
    assert finding["schemaVersion"] == 1
    assert finding["service"] == "Inspector"
    assert finding["serviceAttributes"] == {"schemaVersion": 1, "assessmentRunArn": run_arn, "rulesPackageArn": CVE_PACKAGE}
    assert finding["assetType"] == "ec2-instance"
    assert (finding["severity"], finding["numericSeverity"]) == ("High", 9.0)
    assert finding["id"].startswith("CVE-")
    assert finding["title"] == f"Instance {instance_id} is vulnerable to {finding['id']}"
    assert finding["description"] and finding["recommendation"]
    assert (finding["confidence"], finding["indicatorOfCompromise"]) == (10, False)
    assert {"key": "CVE_ID", "value": finding["id"]} in finding["attributes"]
    assert {"key": "INSTANCE_ID", "value": instance_id} in finding["attributes"]
    assert finding["userAttributes"] == [{"key": "team", "value": "blue"}]
    assert finding["createdAt"] == finding["updatedAt"]

    asset = finding["assetAttributes"]
    nic = instance["NetworkInterfaces"][0]
    assert asset["schemaVersion"] == 1
    assert (asset["agentId"], asset["amiId"], asset["autoScalingGroup"]) == (instance_id, instance["ImageId"], f"asg-{unique}")
    assert asset["ipv4Addresses"] == [instance["PrivateIpAddress"]]
    assert {"key": "Inspect", "value": unique} in asset["tags"]
    assert asset["hostname"] in (instance["PublicDnsName"], instance["PrivateDnsName"])
    [interface] = asset["networkInterfaces"]
    assert interface["networkInterfaceId"] == nic["NetworkInterfaceId"]
    assert (interface["subnetId"], interface["vpcId"]) == (instance["SubnetId"], instance["VpcId"])
    assert interface["privateIpAddress"] == instance["PrivateIpAddress"]
    assert interface["privateDnsName"] == instance["PrivateDnsName"]
    assert interface.get("publicIp") == instance.get("PublicIpAddress")
    assert interface["securityGroups"] == [{"groupName": g["GroupName"], "groupId": g["GroupId"]} for g in nic["Groups"]]


def test_findings_cycle_severities_and_spread_over_rules_packages(accounts, endpoint, own_account, unique, targets):
    admin(endpoint, {"account_id": own_account, "findings_per_instance": 8})
    ins, ec2 = accounts.client("inspector", own_account), accounts.client("ec2", own_account)
    run_instances(ec2, 1, {"Inspect": unique})
    made = targets.tagged_template(ins, unique, packages=[CVE_PACKAGE, BEST_PRACTICES_PACKAGE])
    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]
    findings = findings_of(ins, run_arn)
    assert describe_run(ins, run_arn)["findingCounts"] == {"High": 2, "Medium": 2, "Low": 2, "Informational": 2, "Undefined": 0}
    assert sorted(f["numericSeverity"] for f in findings) == [0.0, 0.0, 3.0, 3.0, 6.0, 6.0, 9.0, 9.0]
    by_package = [f["serviceAttributes"]["rulesPackageArn"] for f in findings]
    assert by_package.count(CVE_PACKAGE) == by_package.count(BEST_PRACTICES_PACKAGE) == 4


def test_target_without_resource_group_assesses_every_running_instance(accounts, own_account):
    ins, ec2 = accounts.client("inspector", own_account), accounts.client("ec2", own_account)
    instances = run_instances(ec2, 2) + run_instances(ec2, 1, {"Anything": "x"})
    target = ins.create_assessment_target(assessmentTargetName="everything")["assessmentTargetArn"]
    template = ins.create_assessment_template(
        assessmentTargetArn=target, assessmentTemplateName="all", durationInSeconds=180, rulesPackageArns=[CVE_PACKAGE]
    )["assessmentTemplateArn"]
    agents = {a["agentId"] for a in ins.preview_agents(previewAgentsArn=target)["agentPreviews"]}
    assert agents == set(instances)
    run_arn = ins.start_assessment_run(assessmentTemplateArn=template)["assessmentRunArn"]
    assert {f["assetAttributes"]["agentId"] for f in findings_of(ins, run_arn)} == set(instances)


def test_run_without_matching_instances_completes_without_findings(ins, unique, targets):
    made = targets.tagged_template(ins, unique)
    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]
    run = describe_run(ins, run_arn)
    assert run["state"] == "COMPLETED"
    assert run["findingCounts"] == {"High": 0, "Medium": 0, "Low": 0, "Informational": 0, "Undefined": 0}
    assert ins.list_findings(assessmentRunArns=[run_arn])["findingArns"] == []


def test_resource_group_selects_instances_with_any_of_its_tags(ins, ec2, unique, targets):
    by_team = run_instances(ec2, 1, {"Team": unique})
    by_inspect = run_instances(ec2, 1, {"Inspect": unique, "Team": "other"})
    by_key = run_instances(ec2, 1, {f"Owner-{unique}": "anyone"})
    run_instances(ec2, 1, {"Team": "other", "Inspect": "other"})
    tags = [{"key": "Team", "value": unique}, {"key": "Inspect", "value": unique}, {"key": f"Owner-{unique}"}]
    group = ins.create_resource_group(resourceGroupTags=tags)["resourceGroupArn"]
    target = targets.create(ins, f"any-{unique}", group)
    agents = {a["agentId"] for a in all_pages(ins.preview_agents, "agentPreviews", previewAgentsArn=target)}
    assert agents == set(by_team + by_inspect + by_key)


def test_preview_agents_accepts_a_template_and_reports_the_instances(ins, ec2, unique, targets):
    instances = run_instances(ec2, 2, {"Inspect": unique})
    made = targets.tagged_template(ins, unique)
    previews = all_pages(ins.preview_agents, "agentPreviews", previewAgentsArn=made["template"], maxResults=1)
    assert {p["agentId"] for p in previews} == set(instances)
    assert all(p["agentHealth"] == "HEALTHY" and p["hostname"] and p["ipv4Address"] for p in previews)


def test_hundreds_of_findings_page_through_list_findings(accounts, endpoint, own_account, unique, targets):
    admin(endpoint, {"account_id": own_account, "findings_per_instance": 60})
    ins, ec2 = accounts.client("inspector", own_account), accounts.client("ec2", own_account)
    run_instances(ec2, 5, {"Inspect": unique})
    made = targets.tagged_template(ins, unique)
    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]

    first = ins.list_findings(assessmentRunArns=[run_arn])
    assert len(first["findingArns"]) == 10 and first["nextToken"]
    arns = all_pages(ins.list_findings, "findingArns", assessmentRunArns=[run_arn], maxResults=100)
    assert len(arns) == len(set(arns)) == 300
    assert sum(describe_run(ins, run_arn)["findingCounts"].values()) == 300


def test_list_findings_filters(ins, ec2, unique, targets):
    first, second = run_instances(ec2, 2, {"Inspect": unique})
    made = targets.tagged_template(ins, unique, userAttributesForFindings=[{"key": "team", "value": unique}])
    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]
    findings = {f["arn"]: f for f in findings_of(ins, run_arn)}

    def listed(**finding_filter):
        return set(all_pages(ins.list_findings, "findingArns", assessmentRunArns=[run_arn], maxResults=500, filter=finding_filter))

    def expected(predicate):
        return {arn for arn, f in findings.items() if predicate(f)}

    some_cve = next(f for f in findings.values() if f["serviceAttributes"]["rulesPackageArn"] == CVE_PACKAGE)
    assert listed(agentIds=[first]) == expected(lambda f: f["assetAttributes"]["agentId"] == first)
    assert listed(severities=["High", "Low"]) == expected(lambda f: f["severity"] in ("High", "Low"))
    assert listed(rulesPackageArns=[BEST_PRACTICES_PACKAGE]) == expected(lambda f: f["serviceAttributes"]["rulesPackageArn"] == BEST_PRACTICES_PACKAGE)
    assert listed(ruleNames=[some_cve["id"]]) == expected(lambda f: f["id"] == some_cve["id"])
    assert listed(attributes=[{"key": "CVE_ID", "value": some_cve["id"]}, {"key": "INSTANCE_ID", "value": second}]) == expected(
        lambda f: f["id"] == some_cve["id"] and f["assetAttributes"]["agentId"] == second
    )
    assert listed(userAttributes=[{"key": "team", "value": unique}]) == set(findings)
    assert listed(userAttributes=[{"key": "team", "value": "other"}]) == set()
    assert listed(autoScalingGroups=["no-such-group"]) == set()
    created = some_cve["createdAt"]
    assert listed(creationTimeRange={"beginDate": created - timedelta(minutes=1), "endDate": created + timedelta(minutes=1)}) == set(findings)
    assert listed(creationTimeRange={"endDate": created - timedelta(minutes=1)}) == set()
    assert listed(agentIds=[first], severities=["Informational"]) == expected(
        lambda f: f["assetAttributes"]["agentId"] == first and f["severity"] == "Informational"
    )
    with pytest.raises(ClientError) as excinfo:
        ins.list_findings(assessmentRunArns=[run_arn], filter={"severities": ["Critical"]})
    assert error_of(excinfo)["errorCode"] == "INVALID_SEVERITY"


def test_list_findings_errors(ins, accounts, unique, targets):
    made = targets.tagged_template(ins, unique)
    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]
    other = accounts.client("inspector", OTHER_MEMBER)
    for call, kwargs, code, error_code in [
        (other.list_findings, {"assessmentRunArns": [run_arn]}, "AccessDeniedException", "ACCESS_DENIED_TO_ASSESSMENT_RUN"),
        (ins.list_findings, {"assessmentRunArns": [run_arn[:-8] + "AAAAAAAA"]}, "NoSuchEntityException", "ASSESSMENT_RUN_DOES_NOT_EXIST"),
        (ins.list_findings, {"assessmentRunArns": ["arn:aws:inspector:us-east-1:1:run"]}, "InvalidInputException", "INVALID_ASSESSMENT_RUN_ARN"),
        (ins.list_findings, {"assessmentRunArns": [run_arn] * 51}, "InvalidInputException", "INVALID_NUMBER_OF_ASSESSMENT_RUN_ARNS"),
    ]:
        with pytest.raises(ClientError) as excinfo:
            call(**kwargs)
        assert (error_of(excinfo)["Code"], error_of(excinfo)["errorCode"]) == (code, error_code)


def test_describe_findings_limits_and_failed_items(ins, ec2, accounts, unique, targets):
    run_instances(ec2, 1, {"Inspect": unique})
    made = targets.tagged_template(ins, unique, packages=[CVE_PACKAGE])
    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]
    [known, *_] = ins.list_findings(assessmentRunArns=[run_arn])["findingArns"]
    unknown = run_arn + "/finding/0-AAAAAAAA"
    theirs = f"arn:aws:inspector:us-east-1:{OTHER_MEMBER}:target/0-AAAAAAAA/template/0-BBBBBBBB/run/0-CCCCCCCC/finding/0-DDDDDDDD"
    described = ins.describe_findings(findingArns=[known, unknown, theirs, "junk"], locale="EN_US")
    assert [f["arn"] for f in described["findings"]] == [known]
    assert described["failedItems"] == {
        unknown: {"failureCode": "ITEM_DOES_NOT_EXIST", "retryable": False},
        theirs: {"failureCode": "ACCESS_DENIED", "retryable": False},
        "junk": {"failureCode": "INVALID_ARN", "retryable": False},
    }
    for kwargs, error_code in [
        ({"findingArns": [known] * 11}, "INVALID_NUMBER_OF_FINDING_ARNS"),
        ({"findingArns": [known], "locale": "FR_FR"}, "INVALID_LOCALE"),
    ]:
        with pytest.raises(ClientError) as excinfo:
            ins.describe_findings(**kwargs)
        assert error_of(excinfo) == {
            "Code": "InvalidInputException", "message": error_of(excinfo)["message"], "errorCode": error_code, "canRetry": False
        }


def test_finding_user_attributes_can_be_added_and_removed(ins, ec2, unique, targets):
    run_instances(ec2, 1, {"Inspect": unique})
    made = targets.tagged_template(ins, unique, packages=[CVE_PACKAGE], userAttributesForFindings=[{"key": "team", "value": "blue"}])
    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]
    arns = ins.list_findings(assessmentRunArns=[run_arn])["findingArns"][:2]
    before = ins.describe_findings(findingArns=arns)["findings"][0]
    unknown = run_arn + "/finding/0-AAAAAAAA"

    added = ins.add_attributes_to_findings(findingArns=[*arns, unknown], attributes=[{"key": "Status", "value": "Urgent"}, {"key": "team", "value": "red"}])
    assert added["failedItems"] == {unknown: {"failureCode": "ITEM_DOES_NOT_EXIST", "retryable": False}}
    after = ins.describe_findings(findingArns=arns)["findings"]
    assert all(f["userAttributes"] == [{"key": "Status", "value": "Urgent"}, {"key": "team", "value": "red"}] for f in after)
    assert after[0]["updatedAt"] >= before["updatedAt"] and after[0]["createdAt"] == before["createdAt"]
    assert set(all_pages(ins.list_findings, "findingArns", assessmentRunArns=[run_arn], filter={"userAttributes": [{"key": "Status", "value": "Urgent"}]})) == set(arns)

    too_many = [{"key": f"k{i}", "value": "v"} for i in range(9)]
    assert ins.add_attributes_to_findings(findingArns=arns[:1], attributes=too_many)["failedItems"] == {
        arns[0]: {"failureCode": "LIMIT_EXCEEDED", "retryable": False}
    }
    removed = ins.remove_attributes_from_findings(findingArns=arns, attributeKeys=["Status"])
    assert removed["failedItems"] == {}
    assert all(f["userAttributes"] == [{"key": "team", "value": "red"}] for f in ins.describe_findings(findingArns=arns)["findings"])
    with pytest.raises(ClientError) as excinfo:
        ins.add_attributes_to_findings(findingArns=arns * 6, attributes=[])
    assert error_of(excinfo)["errorCode"] == "INVALID_NUMBER_OF_FINDING_ARNS"


def test_list_assessment_runs_filters(ins, unique, targets):
    short = targets.tagged_template(ins, unique, packages=[CVE_PACKAGE], durationInSeconds=900)
    long = targets.tagged_template(ins, f"{unique}-long", durationInSeconds=3600)
    short_run = ins.start_assessment_run(assessmentTemplateArn=short["template"], assessmentRunName=f"alpha-{unique}")["assessmentRunArn"]
    long_run = ins.start_assessment_run(assessmentTemplateArn=long["template"], assessmentRunName=f"beta-{unique}")["assessmentRunArn"]
    templates = [short["template"], long["template"]]

    def listed(**run_filter):
        return all_pages(ins.list_assessment_runs, "assessmentRunArns", assessmentTemplateArns=templates, filter=run_filter)

    assert listed() == [short_run, long_run]
    assert ins.list_assessment_runs(assessmentTemplateArns=[long["template"]])["assessmentRunArns"] == [long_run]
    assert listed(namePattern=f"alpha-{unique}") == [short_run]
    assert listed(namePattern="*-" + unique) == [short_run, long_run]
    assert listed(states=["COMPLETED"]) == [short_run, long_run]
    assert listed(states=["COLLECTING_DATA"]) == []
    assert listed(durationRange={"maxSeconds": 1000}) == [short_run]
    assert listed(rulesPackageArns=[BEST_PRACTICES_PACKAGE]) == [long_run]
    completed = describe_run(ins, long_run)["completedAt"]
    assert listed(completionTimeRange={"beginDate": completed, "endDate": completed + timedelta(minutes=1)})[-1] == long_run
    assert listed(startTimeRange={"endDate": completed - timedelta(hours=1)}) == []
    with pytest.raises(ClientError) as excinfo:
        ins.list_assessment_runs(filter={"states": ["RUNNING"]})
    assert error_of(excinfo)["errorCode"] == "INVALID_ASSESSMENT_RUN_STATE"


def test_deleting_a_run_or_its_template_deletes_the_findings(ins, ec2, unique, targets):
    run_instances(ec2, 1, {"Inspect": unique})
    made = targets.tagged_template(ins, unique, packages=[CVE_PACKAGE])
    first_run = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]
    second_run = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]
    first_findings = ins.list_findings(assessmentRunArns=[first_run])["findingArns"]
    second_findings = ins.list_findings(assessmentRunArns=[second_run])["findingArns"]

    ins.delete_assessment_run(assessmentRunArn=first_run)
    assert set(ins.describe_findings(findingArns=first_findings)["failedItems"]) == set(first_findings)
    assert ins.describe_assessment_runs(assessmentRunArns=[first_run])["failedItems"][first_run]["failureCode"] == "ITEM_DOES_NOT_EXIST"

    ins.delete_assessment_template(assessmentTemplateArn=made["template"])
    assert set(ins.describe_findings(findingArns=second_findings)["failedItems"]) == set(second_findings)
    assert second_run in ins.describe_assessment_runs(assessmentRunArns=[second_run])["failedItems"]


# --- runs held in progress (complete_runs = false) ---------------------------------------


@pytest.fixture
def held_runs(accounts, endpoint, own_account):
    """An account whose runs stay COLLECTING_DATA until StopAssessmentRun."""
    admin(endpoint, {"account_id": own_account, "complete_runs": False, "findings_per_instance": 2})
    return accounts.client("inspector", own_account), accounts.client("ec2", own_account)


def test_stop_with_evaluation_completes_the_run_with_findings(held_runs, unique, targets):
    ins, ec2 = held_runs
    run_instances(ec2, 2, {"Inspect": unique})
    made = targets.tagged_template(ins, unique)
    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]
    running = describe_run(ins, run_arn)
    assert running["state"] == "COLLECTING_DATA"
    assert running["dataCollected"] is False and "completedAt" not in running
    assert ins.list_findings(assessmentRunArns=[run_arn])["findingArns"] == []

    ins.stop_assessment_run(assessmentRunArn=run_arn)
    stopped = describe_run(ins, run_arn)
    assert [change["state"] for change in stopped["stateChanges"]] == COMPLETED_STATES
    assert sum(stopped["findingCounts"].values()) == 4
    ins.stop_assessment_run(assessmentRunArn=run_arn)  # a finished run stays as it is
    assert describe_run(ins, run_arn)["stateChanges"] == stopped["stateChanges"]


def test_stop_skipping_evaluation_cancels_the_run_without_findings(held_runs, unique, targets):
    ins, ec2 = held_runs
    run_instances(ec2, 1, {"Inspect": unique})
    made = targets.tagged_template(ins, unique)
    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]
    ins.stop_assessment_run(assessmentRunArn=run_arn, stopAction="SKIP_EVALUATION")
    run = describe_run(ins, run_arn)
    assert run["state"] == "CANCELED" and run["completedAt"]
    assert "EVALUATING_RULES" not in [change["state"] for change in run["stateChanges"]]
    assert sum(run["findingCounts"].values()) == 0


def test_runs_in_progress_block_deletes_and_overlapping_runs(held_runs, unique, targets):
    ins, ec2 = held_runs
    instances = run_instances(ec2, 2, {"Inspect": unique})
    made = targets.tagged_template(ins, unique)
    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]

    for call, kwargs in [
        (ins.delete_assessment_template, {"assessmentTemplateArn": made["template"]}),
        (ins.delete_assessment_target, {"assessmentTargetArn": made["target"]}),
        (ins.delete_assessment_run, {"assessmentRunArn": run_arn}),
    ]:
        with pytest.raises(ClientError) as excinfo:
            call(**kwargs)
        assert error_of(excinfo) == {
            "Code": "AssessmentRunInProgressException", "message": error_of(excinfo)["message"],
            "assessmentRunArns": [run_arn], "assessmentRunArnsTruncated": False, "canRetry": True,
        }

    with pytest.raises(ClientError) as excinfo:
        ins.start_assessment_run(assessmentTemplateArn=made["template"])
    error = error_of(excinfo)
    assert error["Code"] == "AgentsAlreadyRunningAssessmentException"
    assert sorted(error["agents"], key=lambda a: a["agentId"]) == sorted(
        ({"agentId": i, "assessmentRunArn": run_arn} for i in instances), key=lambda a: a["agentId"]
    )
    assert error["agentsTruncated"] is False

    ins.stop_assessment_run(assessmentRunArn=run_arn, stopAction="SKIP_EVALUATION")
    ins.delete_assessment_target(assessmentTargetArn=made["target"])


def test_stop_errors(ins, accounts, unique, targets):
    made = targets.tagged_template(ins, unique)
    run_arn = ins.start_assessment_run(assessmentTemplateArn=made["template"])["assessmentRunArn"]
    with pytest.raises(ClientError) as excinfo:
        accounts.client("inspector", OTHER_MEMBER).stop_assessment_run(assessmentRunArn=run_arn)
    assert error_of(excinfo)["errorCode"] == "ACCESS_DENIED_TO_ASSESSMENT_RUN"
    with pytest.raises(ClientError) as excinfo:
        ins.stop_assessment_run(assessmentRunArn=run_arn[:-8] + "AAAAAAAA")
    assert error_of(excinfo)["errorCode"] == "ASSESSMENT_RUN_DOES_NOT_EXIST"
    with pytest.raises(ClientError) as excinfo:
        ins.start_assessment_run(assessmentTemplateArn=made["template"][:-8] + "AAAAAAAA")
    assert error_of(excinfo)["errorCode"] == "ASSESSMENT_TEMPLATE_DOES_NOT_EXIST"
