"""Issue 16's "Must show" scenario, with boto3 and nothing prepared by hand: the emulator
finds what the accounts run, by itself, and says so on EventBridge."""

from __future__ import annotations

from inspector2_helpers import (
    ECR_FINDINGS,
    LINUX_FINDINGS,
    REGION,
    Org,
    drain,
    eq,
    push_image,
    rule_to_queue,
    run_instance,
    vulnerability,
    wait_for,
)


def test_organisation_scans_member_resources_and_reports_every_change(accounts, unique):
    org = Org.create(accounts, members=1)
    member = org.members[0]
    admin = org.client(org.admin)
    enabled = admin.enable(accountIds=[org.admin, member], resourceTypes=["EC2", "ECR"])
    assert enabled["failedAccounts"] == []
    sqs, queue = rule_to_queue(accounts, org.admin, f"inspector2-findings-{unique}", "Inspector2 Finding")

    ec2 = org.client(member, "ec2")
    scanned = run_instance(ec2)
    excluded = run_instance(ec2, tags={"InspectorEc2Exclusion": "true"})
    ecr = org.client(member, "ecr")
    ecr.create_repository(repositoryName=f"app-{unique}")
    digest = push_image(ecr, f"app-{unique}")
    image_id = f"arn:aws:ecr:{REGION}:{member}:repository/app-{unique}/{digest}"

    def findings_by_resource():
        found = admin.list_findings(maxResults=100)["findings"]
        by_resource: dict[str, set[str]] = {}
        for finding in found:
            by_resource.setdefault(finding["resources"][0]["id"], set()).add(vulnerability(finding))
        complete = by_resource.get(scanned) == LINUX_FINDINGS and by_resource.get(image_id) == ECR_FINDINGS
        return (found, by_resource) if complete else None

    found, by_resource = wait_for(findings_by_resource, 30, "findings for the instance and the image")
    assert set(by_resource) == {scanned, image_id}, "nothing for the excluded instance"
    assert excluded not in by_resource
    assert {f["awsAccountId"] for f in found} == {member}
    assert {f["status"] for f in found} == {"ACTIVE"}

    # One Inspector2 Finding event per finding, on the administrator's default bus.
    events = drain(sqs, queue)
    assert sorted(e["detail"]["findingArn"] for e in events) == sorted(f["findingArn"] for f in found)
    assert {e["source"] for e in events} == {"aws.inspector2"}
    assert {e["detail"]["status"] for e in events} == {"ACTIVE"}

    details = admin.batch_get_finding_details(findingArns=[f["findingArn"] for f in found][:10])
    assert details["errors"] == []
    assert all(isinstance(d["epssScore"], float) for d in details["findingDetails"])

    # Terminating the instance closes its findings: one CLOSED event each.
    ec2.terminate_instances(InstanceIds=[scanned])
    closed: list[dict] = []
    wait_for(lambda: closed.extend(drain(sqs, queue)) or len(closed) >= len(LINUX_FINDINGS), 30, "CLOSED events")
    assert {e["detail"]["status"] for e in closed} == {"CLOSED"}
    assert {e["detail"]["resources"][0]["id"] for e in closed} == {scanned}

    # A suppression rule on the image's findings: one SUPPRESSED event each, at once.
    admin.create_filter(
        name=f"suppress-{unique}", action="SUPPRESS",
        filterCriteria={"resourceType": eq("AWS_ECR_CONTAINER_IMAGE"), "awsAccountId": eq(member)},
    )
    suppressed = drain(sqs, queue)
    assert sorted(vulnerability(e["detail"]) for e in suppressed) == sorted(ECR_FINDINGS)
    assert {e["detail"]["status"] for e in suppressed} == {"SUPPRESSED"}
