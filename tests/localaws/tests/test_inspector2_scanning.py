"""Continuous scanning and the finding lifecycle: what the emulator finds in EC2, ECR and
Lambda by itself, exclusions, scan modes, closing, suppression and retention."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from inspector2_helpers import (
    ECR_FINDINGS,
    LINUX_FINDINGS,
    REGION,
    WINDOWS_AMI,
    Org,
    all_findings,
    drain,
    eq,
    push_image,
    rule_to_queue,
    run_instance,
    scan,
    vulnerability,
    wait_for,
)

DAY = 86400


def by_vulnerability(findings: list[dict]) -> dict[str, dict]:
    return {vulnerability(f): f for f in findings}


def of_resource(client, resource_id: str) -> dict[str, dict]:
    return by_vulnerability(all_findings(client, resourceId=eq(resource_id)))


def coverage_of(client, resource_id: str) -> list[dict]:
    return client.list_coverage(filterCriteria={"resourceId": [{"comparison": "EQUALS", "value": resource_id}]})["coveredResources"]


def test_a_resource_is_scanned_within_seconds_of_enablement(accounts):
    org = Org.create(accounts, members=1)
    instance = run_instance(org.client(org.members[0], "ec2"))
    org.client(org.admin).enable(accountIds=org.members, resourceTypes=["EC2"])
    got = wait_for(lambda: of_resource(org.client(org.admin), instance), 5, "findings within 5 s of Enable")
    assert set(got) == LINUX_FINDINGS


def test_ec2_findings_by_platform_with_scores_from_the_catalogue(accounts, endpoint):
    org = Org.create(accounts, members=1, enable=["EC2"])
    ec2 = org.client(org.members[0], "ec2")
    linux, windows = run_instance(ec2), run_instance(ec2, ami=WINDOWS_AMI)
    scan(endpoint)
    client = org.client(org.admin)
    assert set(of_resource(client, linux)) == LINUX_FINDINGS
    kb = of_resource(client, windows)["KB4012212"]
    details = kb["packageVulnerabilityDetails"]
    assert details["relatedVulnerabilities"] == [f"CVE-2017-014{i}" for i in range(3, 9)]
    assert kb["severity"] == "HIGH" and kb["inspectorScore"] == 8.1
    assert kb["resources"][0]["details"]["awsEc2Instance"]["platform"] == "WINDOWS"

    regre = of_resource(client, linux)["CVE-2024-6387"]
    assert regre["inspectorScoreDetails"]["adjustedCvss"]["scoringVector"] == "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"
    assert (regre["exploitAvailable"], regre["fixAvailable"], regre["status"]) == ("YES", "YES", "ACTIVE")
    assert regre["findingArn"].startswith(f"arn:aws:inspector2:{REGION}:{org.members[0]}:finding/")
    assert regre["firstObservedAt"] == regre["lastObservedAt"] == regre["updatedAt"]


def test_scan_mode_exclusion_tag_and_reopening(accounts, endpoint):
    org = Org.create(accounts, members=1, enable=["EC2"])
    member, admin = org.members[0], org.client(org.admin)
    ec2 = org.client(member, "ec2")
    iam = org.client(member, "iam")
    iam.create_instance_profile(InstanceProfileName="ssm")
    managed = run_instance(ec2, IamInstanceProfile={"Name": "ssm"})
    unmanaged = run_instance(ec2)
    scan(endpoint)
    # Hybrid mode (the default here): agentless where there is no agent.
    assert coverage_of(admin, managed)[0]["scanMode"] == "EC2_SSM_AGENT_BASED"
    assert coverage_of(admin, unmanaged)[0]["scanMode"] == "EC2_AGENTLESS"
    before = of_resource(admin, unmanaged)

    # Agent-based only: the unmanaged instance is no longer scanned, its findings close.
    admin.update_configuration(ec2Configuration={"scanMode": "EC2_SSM_AGENT_BASED"})
    scan(endpoint)
    assert coverage_of(admin, unmanaged)[0]["scanStatus"] == {"statusCode": "INACTIVE", "reason": "UNMANAGED_EC2_INSTANCE"}
    closed = of_resource(admin, unmanaged)
    assert {f["status"] for f in closed.values()} == {"CLOSED"}
    for key, finding in closed.items():
        assert finding["lastObservedAt"] == before[key]["lastObservedAt"]
        assert finding["updatedAt"] > before[key]["updatedAt"]
    assert {f["status"] for f in of_resource(admin, managed).values()} == {"ACTIVE"}

    # The exclusion tag takes the managed one out; removing it brings the same findings back.
    ec2.create_tags(Resources=[managed], Tags=[{"Key": "InspectorEc2Exclusion", "Value": "true"}])
    scan(endpoint)
    assert coverage_of(admin, managed)[0]["scanStatus"] == {"statusCode": "INACTIVE", "reason": "EXCLUDED_BY_TAG"}
    first = of_resource(admin, managed)
    assert {f["status"] for f in first.values()} == {"CLOSED"}
    ec2.delete_tags(Resources=[managed], Tags=[{"Key": "InspectorEc2Exclusion"}])
    scan(endpoint)
    again = of_resource(admin, managed)
    assert {f["status"] for f in again.values()} == {"ACTIVE"}
    assert {k: f["firstObservedAt"] for k, f in again.items()} == {k: f["firstObservedAt"] for k, f in first.items()}


def test_network_reachability_of_a_port_open_to_the_internet(accounts, endpoint):
    org = Org.create(accounts, members=1, enable=["EC2"])
    ec2 = org.client(org.members[0], "ec2")
    group = ec2.create_security_group(GroupName="open-ssh", Description="ssh from anywhere")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
    ])
    instance = run_instance(ec2, SecurityGroupIds=[group])
    scan(endpoint)
    admin = org.client(org.admin)
    network = [f for f in of_resource(admin, instance).values() if f["type"] == "NETWORK_REACHABILITY"]
    assert [f["title"] for f in network] == ["Port 22 is reachable from an Internet Gateway - TCP"]
    details = network[0]["networkReachabilityDetails"]
    assert details["openPortRange"] == {"begin": 22, "end": 22} and details["protocol"] == "TCP"
    steps = [s["componentType"] for s in details["networkPath"]["steps"]]
    assert "AWS::EC2::SecurityGroup" in steps and steps[-1] == "AWS::EC2::Instance"

    # Closing the port closes the finding; it is kept 30 days, not 3 (the instance is still there).
    ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    scan(endpoint)
    assert of_resource(admin, instance)["network:22-22"]["status"] == "CLOSED"
    scan(endpoint, advance_seconds=4 * DAY)
    assert of_resource(admin, instance)["network:22-22"]["status"] == "CLOSED"
    scan(endpoint, advance_seconds=27 * DAY)
    assert "network:22-22" not in of_resource(admin, instance)


def test_ecr_image_findings_fix_states_untriaged_and_deletion(accounts, endpoint, unique):
    org = Org.create(accounts, members=1, enable=["ECR"])
    member = org.members[0]
    ecr = org.client(member, "ecr")
    ecr.create_repository(repositoryName=f"svc-{unique}")
    digest = push_image(ecr, f"svc-{unique}", tag="v1")
    image = f"arn:aws:ecr:{REGION}:{member}:repository/svc-{unique}/{digest}"
    scan(endpoint)
    admin = org.client(org.admin)
    found = of_resource(admin, image)
    assert set(found) == ECR_FINDINGS
    assert {k: f["fixAvailable"] for k, f in found.items()} == {
        "CVE-2021-44228": "YES", "CVE-2023-4863": "PARTIAL", "CVE-2024-6119": "YES", "CVE-2005-2541": "NO"}
    assert found["CVE-2005-2541"]["severity"] == "UNTRIAGED" and "inspectorScore" not in found["CVE-2005-2541"]
    assert found["CVE-2021-44228"]["severity"] == "CRITICAL"
    ecr_details = found["CVE-2021-44228"]["resources"][0]["details"]["awsEcrContainerImage"]
    assert (ecr_details["repositoryName"], ecr_details["imageHash"], ecr_details["imageTags"]) == (f"svc-{unique}", digest, ["v1"])
    kinds = {c["resourceType"] for c in admin.list_coverage(filterCriteria={"ecrRepositoryName": eq(f"svc-{unique}")})["coveredResources"]}
    assert kinds == {"AWS_ECR_CONTAINER_IMAGE", "AWS_ECR_REPOSITORY"}

    before = {k: f["lastObservedAt"] for k, f in found.items()}
    ecr.batch_delete_image(repositoryName=f"svc-{unique}", imageIds=[{"imageDigest": digest}])
    scan(endpoint)
    closed = of_resource(admin, image)
    assert {f["status"] for f in closed.values()} == {"CLOSED"}
    assert {k: f["lastObservedAt"] for k, f in closed.items()} == before
    # A deleted resource's findings are gone 3 days after closing.
    scan(endpoint, advance_seconds=3 * DAY + 60)
    assert of_resource(admin, image) == {}


def test_ecr_images_older_than_the_rescan_duration_are_no_longer_scanned(accounts, endpoint, unique):
    org = Org.create(accounts, members=1, enable=["ECR"])
    ecr = org.client(org.members[0], "ecr")
    ecr.create_repository(repositoryName=f"old-{unique}")
    digest = push_image(ecr, f"old-{unique}")
    image = f"arn:aws:ecr:{REGION}:{org.members[0]}:repository/old-{unique}/{digest}"
    admin = org.client(org.admin)
    admin.update_configuration(ecrConfiguration={"rescanDuration": "DAYS_14"})
    scan(endpoint)
    assert {f["status"] for f in of_resource(admin, image).values()} == {"ACTIVE"}
    scan(endpoint, advance_seconds=15 * DAY)
    assert coverage_of(admin, image)[0]["scanStatus"] == {"statusCode": "INACTIVE", "reason": "SCAN_ELIGIBILITY_EXPIRED"}
    assert {f["status"] for f in of_resource(admin, image).values()} == {"CLOSED"}


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lambda_function.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def _function(org, name: str, runtime: str, tags: dict | None = None) -> str:
    member = org.members[0]
    iam = org.client(member, "iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    try:
        role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        role = iam.get_role(RoleName="fn")["Role"]["Arn"]
    org.client(member, "lambda").create_function(
        FunctionName=name, Runtime=runtime, Role=role, Handler="lambda_function.handler",
        Code={"ZipFile": _zip()}, Tags=tags or {},
    )
    return f"arn:aws:lambda:{REGION}:{member}:function:{name}:$LATEST"


def test_lambda_package_and_code_findings_by_runtime(accounts, endpoint, unique):
    org = Org.create(accounts, members=1, enable=["LAMBDA", "LAMBDA_CODE"])
    admin = org.client(org.admin)
    scans = rule_to_queue(accounts, org.members[0], f"lambda-scans-{unique}", "Inspector2 Scan")
    python = _function(org, "py", "python3.11")
    node = _function(org, "node", "nodejs18.x")
    rust = _function(org, "rust", "provided.al2023")
    excluded = _function(org, "quiet", "python3.12", tags={"InspectorExclusion": "LambdaStandardScanning"})
    scan(endpoint)
    assert set(of_resource(admin, python)) == {"CVE-2023-30861", "code:python/hardcoded-credentials@v1.0"}
    assert set(of_resource(admin, node)) == {"CVE-2021-23337", "code:javascript/hardcoded-credentials@v1.0"}
    assert of_resource(admin, rust) == {}
    assert {c["scanType"]: c["scanStatus"]["reason"] for c in coverage_of(admin, rust)} == {
        "PACKAGE": "UNSUPPORTED_RUNTIME", "CODE": "UNSUPPORTED_RUNTIME"}
    # The standard-scanning exclusion leaves code scanning on.
    assert set(of_resource(admin, excluded)) == {"code:python/hardcoded-credentials@v1.0"}
    code = of_resource(admin, python)["code:python/hardcoded-credentials@v1.0"]
    assert code["type"] == "CODE_VULNERABILITY" and code["codeVulnerabilityDetails"]["cwes"] == ["CWE-798"]
    # One initial-scan event per scanned function (not for the unsupported runtime).
    by_function = {e["resources"][0]: e["detail"] for e in drain(*scans)}
    assert set(by_function) == {python, node}
    assert by_function[python] == {"scan-status": "INITIAL_SCAN_COMPLETE", "version": "1.0",
                                   "finding-severity-counts": {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 0, "TOTAL": 1}}
    flask = of_resource(admin, python)["CVE-2023-30861"]
    assert flask["resources"][0]["details"]["awsLambdaFunction"]["runtime"] == "PYTHON_3_11"
    assert flask["epss"] == {"score": 0.00208}

    # Code scanning off: code findings close, package findings stay.
    admin.disable(accountIds=org.members, resourceTypes=["LAMBDA_CODE"])
    scan(endpoint)
    assert {k: f["status"] for k, f in of_resource(admin, python).items()} == {
        "CVE-2023-30861": "ACTIVE", "code:python/hardcoded-credentials@v1.0": "CLOSED"}
    org.client(org.members[0], "lambda").delete_function(FunctionName="py")
    scan(endpoint)
    assert {f["status"] for f in of_resource(admin, python).values()} == {"CLOSED"}


def test_suppression_rules_suppress_and_release(accounts, endpoint, unique):
    org = Org.create(accounts, members=1, enable=["EC2"])
    instance = run_instance(org.client(org.members[0], "ec2"))
    scan(endpoint)
    admin = org.client(org.admin)
    rule = admin.create_filter(name=f"hide-{unique}", action="SUPPRESS",
                               filterCriteria={"vulnerabilityId": eq("CVE-2024-29069"), "resourceId": eq(instance)})["arn"]
    statuses = {k: f["status"] for k, f in of_resource(admin, instance).items()}
    assert statuses == {"CVE-2024-29069": "SUPPRESSED", "CVE-2024-6387": "ACTIVE"}
    # Only the matching findings: by severity HIGH now (regreSSHion is 8.1).
    admin.update_filter(filterArn=rule, filterCriteria={"severity": eq("HIGH"), "resourceId": eq(instance)})
    statuses = {k: f["status"] for k, f in of_resource(admin, instance).items()}
    assert statuses == {"CVE-2024-29069": "ACTIVE", "CVE-2024-6387": "SUPPRESSED"}
    admin.delete_filter(arn=rule)
    assert {f["status"] for f in of_resource(admin, instance).values()} == {"ACTIVE"}
    with pytest.raises(admin.exceptions.ResourceNotFoundException):
        admin.delete_filter(arn=rule)
    # Suppression rules belong to the administrator.
    with pytest.raises(admin.exceptions.AccessDeniedException):
        org.client(org.members[0]).create_filter(name="mine", action="SUPPRESS", filterCriteria={"severity": eq("LOW")})


def test_regions_are_separate(accounts, endpoint):
    org = Org.create(accounts, members=1)
    member = org.members[0]
    west = accounts.client("inspector2", org.admin, "us-west-2")
    west.associate_member(accountId=member)
    west.enable(accountIds=[member], resourceTypes=["EC2"])  # us-west-2 only
    east_instance = run_instance(org.client(member, "ec2"))
    west_instance = run_instance(accounts.client("ec2", member, "us-west-2"))
    scan(endpoint)
    assert {f["resources"][0]["id"] for f in all_findings(west)} == {west_instance}
    assert {f["findingArn"].split(":")[3] for f in all_findings(west)} == {"us-west-2"}
    assert all_findings(org.client(org.admin), resourceId=eq(east_instance)) == []
    assert org.client(org.admin).batch_get_account_status(accountIds=[member])["accounts"][0]["state"]["status"] == "DISABLED"


def test_scans_racing_launches_and_terminations_end_consistent(accounts, endpoint):
    import threading

    org = Org.create(accounts, members=1, enable=["EC2"])
    ec2 = org.client(org.members[0], "ec2")
    done = threading.Event()
    errors: list[BaseException] = []

    def scanning():
        try:
            while not done.is_set():
                scan(endpoint)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    thread = threading.Thread(target=scanning)
    thread.start()
    try:
        launched = [ec2.run_instances(ImageId="ami-1e749f67", MinCount=3, MaxCount=3)["Instances"] for _ in range(6)]
        ids = [i["InstanceId"] for batch in launched for i in batch]
        ec2.terminate_instances(InstanceIds=ids[::2])
    finally:
        done.set()
        thread.join(30)
    assert errors == []
    scan(endpoint)
    admin = org.client(org.admin)
    open_findings = all_findings(admin, findingStatus=eq("ACTIVE"))
    assert {f["resources"][0]["id"] for f in open_findings} == set(ids[1::2])
    assert len(open_findings) == len(ids[1::2]) * len(LINUX_FINDINGS)
    closed = {f["resources"][0]["id"] for f in all_findings(admin, findingStatus=eq("CLOSED"))}
    assert closed <= set(ids[::2])
