"""Inspector v2's EventBridge events: `Inspector2 Finding` on creation and every change,
`Inspector2 Scan` after a resource's first scan, `Inspector2 Coverage` when a scan status
changes; on the default bus of the resource's account and of its delegated
administrator, from where moto's rules route them (also to other accounts' buses)."""

from __future__ import annotations

import json
import re

from inspector2_helpers import (
    LINUX_FINDINGS,
    REGION,
    Org,
    drain,
    fresh_account_id,
    push_image,
    rule_to_queue,
    run_instance,
    scan,
    vulnerability,
)

EVENT_TIME = re.compile(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2}\.\d{3} UTC \d{4}$")


def test_finding_events_reach_the_member_and_the_administrator_only(accounts, endpoint, unique):
    org = Org.create(accounts, members=1)
    member = org.members[0]
    outsider = fresh_account_id()
    queues = {a: rule_to_queue(accounts, a, f"findings-{unique}", "Inspector2 Finding") for a in (org.admin, member, outsider)}
    org.client(org.admin).enable(accountIds=[member], resourceTypes=["EC2"])
    instance = run_instance(org.client(member, "ec2"))
    scan(endpoint)

    got = {a: drain(*queues[a]) for a in queues}
    assert got[outsider] == []
    for account in (org.admin, member):
        events = got[account]
        assert sorted(vulnerability(e["detail"]) for e in events) == sorted(LINUX_FINDINGS)
        for event in events:
            assert (event["source"], event["detail-type"], event["region"], event["version"]) == (
                "aws.inspector2", "Inspector2 Finding", REGION, "0")
            assert event["account"] == account
            assert event["resources"] == [instance]
            detail = event["detail"]
            assert detail["awsAccountId"] == member
            # Event details carry timestamps as strings in the documented examples' form.
            for key in ("firstObservedAt", "lastObservedAt", "updatedAt"):
                assert EVENT_TIME.match(detail[key]), detail[key]
            assert EVENT_TIME.match(detail["resources"][0]["details"]["awsEc2Instance"]["launchedAt"])

    # Nothing changed, nothing to say (regression: moto's launch time, a datetime, was
    # taken for "unknown" and replaced by the pass's time, so every pass re-sent every
    # EC2 finding).
    scan(endpoint)
    scan(endpoint)
    assert drain(*queues[org.admin]) == []

    # Every change is an event again: here, a closed finding.
    org.client(member, "ec2").terminate_instances(InstanceIds=[instance])
    scan(endpoint)
    closed = drain(*queues[org.admin])
    assert sorted(vulnerability(e["detail"]) for e in closed) == sorted(LINUX_FINDINGS)
    assert {e["detail"]["status"] for e in closed} == {"CLOSED"}
    assert all(e["detail"]["updatedAt"] != e["detail"]["lastObservedAt"] for e in closed)


def test_scan_and_coverage_events(accounts, endpoint, unique):
    org = Org.create(accounts, members=1)
    member = org.members[0]
    scans = rule_to_queue(accounts, member, f"scans-{unique}", "Inspector2 Scan")
    coverage = rule_to_queue(accounts, member, f"coverage-{unique}", "Inspector2 Coverage")
    org.client(org.admin).enable(accountIds=[member], resourceTypes=["EC2"])
    ec2 = org.client(member, "ec2")
    instance = run_instance(ec2)
    scan(endpoint)
    scan(endpoint)  # a second pass changes nothing: no new events

    [scanned] = drain(*scans)
    assert scanned["resources"] == [instance]
    assert scanned["detail"] == {
        "scan-status": "INITIAL_SCAN_COMPLETE", "instance-id": instance, "version": "1.0",
        "finding-severity-counts": {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 1, "TOTAL": 2},
    }
    [covered] = drain(*coverage)
    assert covered["resources"] == [instance]
    detail = covered["detail"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z", detail.pop("eventTimestamp"))
    assert detail == {
        "scanStatus": {"reason": "SUCCESSFUL", "statusCodeValue": "ACTIVE"}, "scanType": "PACKAGE",
        "provider": "AWS", "providerAccountId": member, "providerRegion": REGION, "version": "1.0",
    }

    # ECR: the event names the repository (as AWS's example does), the detail the image.
    ecr = org.client(member, "ecr")
    org.client(org.admin).enable(accountIds=[member], resourceTypes=["ECR"])
    repository = ecr.create_repository(repositoryName=f"scanned-{unique}")["repository"]["repositoryArn"]
    digest = push_image(ecr, f"scanned-{unique}", tag="v2")
    scan(endpoint)
    [image] = drain(*scans)
    assert image["resources"] == [repository]
    assert image["detail"] == {
        "scan-status": "INITIAL_SCAN_COMPLETE", "repository-name": repository, "image-digest": digest,
        "image-tags": ["v2"], "version": "1.0",
        "finding-severity-counts": {"CRITICAL": 1, "HIGH": 2, "MEDIUM": 0, "TOTAL": 4},
    }
    drain(*coverage)

    ec2.create_tags(Resources=[instance], Tags=[{"Key": "InspectorEc2Exclusion", "Value": "yes"}])
    scan(endpoint)
    [excluded] = drain(*coverage)
    assert excluded["detail"]["scanStatus"] == {"reason": "EXCLUDED_BY_TAG", "statusCodeValue": "INACTIVE"}
    assert drain(*scans) == []


def test_events_follow_rules_to_a_bus_in_another_account_and_region(accounts, endpoint, unique):
    org = Org.create(accounts, members=1)
    central, central_region = fresh_account_id(), "eu-west-1"
    # The central account's bus accepts and routes to its queue.
    sqs = accounts.client("sqs", central, central_region)
    url = sqs.create_queue(QueueName=f"central-{unique}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    central_events = accounts.client("events", central, central_region)
    central_events.put_rule(Name="inspector", EventPattern=json.dumps({"source": ["aws.inspector2"]}))
    central_events.put_targets(Rule="inspector", Targets=[{"Id": "q", "Arn": arn}])
    # The administrator forwards its findings there.
    events = accounts.client("events", org.admin, REGION)
    events.put_rule(Name="forward", EventPattern=json.dumps({"source": ["aws.inspector2"], "detail-type": ["Inspector2 Finding"]}))
    events.put_targets(Rule="forward", Targets=[{"Id": "bus", "Arn": f"arn:aws:events:{central_region}:{central}:event-bus/default"}])

    org.client(org.admin).enable(accountIds=[org.members[0]], resourceTypes=["EC2"])
    run_instance(org.client(org.members[0], "ec2"))
    scan(endpoint)
    forwarded = drain(sqs, url)
    assert sorted(vulnerability(e["detail"]) for e in forwarded) == sorted(LINUX_FINDINGS)
    assert {(e["account"], e["region"]) for e in forwarded} == {(org.admin, REGION)}


def test_the_initial_scan_event_waits_until_the_resource_is_eligible(accounts, endpoint, unique):
    org = Org.create(accounts, members=1, enable=["EC2"])
    member = org.members[0]
    scans = rule_to_queue(accounts, member, f"initial-{unique}", "Inspector2 Scan")
    ec2 = org.client(member, "ec2")
    instance = run_instance(ec2, tags={"InspectorEc2Exclusion": "true"})
    scan(endpoint)
    assert drain(*scans) == []
    ec2.delete_tags(Resources=[instance], Tags=[{"Key": "InspectorEc2Exclusion"}])
    scan(endpoint)
    [event] = drain(*scans)
    assert event["detail"]["instance-id"] == instance
