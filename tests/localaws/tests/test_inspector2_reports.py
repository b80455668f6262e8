"""Findings reports and SBOM exports: objects written into moto's S3, KMS-encrypted with the
given key, read back and checked; ACTIVE findings unless the filter says otherwise; the
documented error codes; isolation between accounts."""

from __future__ import annotations

import csv
import io
import json

import pytest
from botocore.exceptions import ClientError

from inspector2_helpers import LINUX_FINDINGS, Org, all_findings, eq, fresh_account_id, run_instance, unvalidated, wait_for


@pytest.fixture(scope="module")
def org(accounts):
    """An administrator with one member; each has one scanned Linux instance."""
    org = Org.create(accounts, members=1, enable=["EC2", "ECR"])
    org.instances = {account: run_instance(org.client(account, "ec2"), tags={"team": account[-4:]})
                     for account in (org.admin, *org.members)}
    admin = org.client(org.admin)
    wait_for(lambda: len(all_findings(admin, findingType=eq("PACKAGE_VULNERABILITY"))) >= 2 * len(LINUX_FINDINGS),
             message="findings of both instances")
    return org


def _bucket_and_key(org, unique: str, region: str = "us-east-1") -> tuple[str, str]:
    s3 = org.client(org.admin, "s3")
    bucket = f"reports-{unique}"
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    key = org.accounts.client("kms", org.admin, region).create_key()["KeyMetadata"]["Arn"]
    return bucket, key


def _finished(get, report_id: str) -> dict:
    return wait_for(lambda: (lambda s: s if s["status"] != "IN_PROGRESS" else None)(get(reportId=report_id)),
                    timeout=20, message=f"report {report_id}")


def _object(org, bucket: str, key: str, kms_key: str) -> bytes:
    got = org.client(org.admin, "s3").get_object(Bucket=bucket, Key=key)
    assert got["ServerSideEncryption"] == "aws:kms" and got["SSEKMSKeyId"] == kms_key
    return got["Body"].read()


def test_csv_and_json_reports_of_active_findings_into_s3(org, unique):
    admin = org.client(org.admin)
    bucket, kms_key = _bucket_and_key(org, unique)
    active = {f["findingArn"] for f in all_findings(admin, findingStatus=eq("ACTIVE"))}

    csv_id = admin.create_findings_report(reportFormat="CSV", s3Destination={"bucketName": bucket, "keyPrefix": "inspector/", "kmsKeyArn": kms_key})["reportId"]
    status = _finished(admin.get_findings_report_status, csv_id)
    assert status["status"] == "SUCCEEDED" and status["reportId"] == csv_id and "errorCode" not in status
    assert status["destination"] == {"bucketName": bucket, "keyPrefix": "inspector/", "kmsKeyArn": kms_key}
    rows = list(csv.DictReader(io.StringIO(_object(org, bucket, f"inspector/{csv_id}.csv", kms_key).decode())))
    assert {r["Finding ARN"] for r in rows} >= active  # the administrator's and its member's
    assert {r["Status"] for r in rows} == {"ACTIVE"}
    assert {r["AWS Account Id"] for r in rows} == {org.admin, *org.members}
    assert LINUX_FINDINGS <= {r["Vulnerability Id"] for r in rows}

    json_id = admin.create_findings_report(reportFormat="JSON", s3Destination={"bucketName": bucket, "kmsKeyArn": kms_key},
                                           filterCriteria={"awsAccountId": eq(org.members[0])})["reportId"]
    assert _finished(admin.get_findings_report_status, json_id)["filterCriteria"] == {"awsAccountId": eq(org.members[0])}
    body = json.loads(_object(org, bucket, f"{json_id}.json", kms_key))
    assert body["findings"] and {f["awsAccountId"] for f in body["findings"]} == {org.members[0]}
    assert all(f["status"] == "ACTIVE" and f["firstObservedAt"].endswith("Z") for f in body["findings"])
    # Without a reportId, the latest report.
    assert admin.get_findings_report_status()["reportId"] == json_id


def test_suppressed_findings_only_when_the_filter_asks(org, unique):
    member = org.client(org.members[0])
    bucket, kms_key = _bucket_and_key(org, unique)
    admin = org.client(org.admin)
    rule = admin.create_filter(name=f"hide-{unique}", action="SUPPRESS",
                               filterCriteria={"vulnerabilityId": eq("CVE-2024-6387"), "awsAccountId": eq(org.members[0])})["arn"]
    try:
        wait_for(lambda: all_findings(member, findingStatus=eq("SUPPRESSED")), message="suppressed finding")
        destination = {"bucketName": bucket, "kmsKeyArn": kms_key}
        default = member.create_findings_report(reportFormat="JSON", s3Destination=destination)["reportId"]
        _finished(member.get_findings_report_status, default)
        ids = {f["packageVulnerabilityDetails"]["vulnerabilityId"] for f in json.loads(_object(org, bucket, f"{default}.json", kms_key))["findings"]
               if f["type"] == "PACKAGE_VULNERABILITY"}
        assert "CVE-2024-6387" not in ids and ids  # the member's report: its own ACTIVE findings
        suppressed = member.create_findings_report(reportFormat="JSON", s3Destination=destination,
                                                   filterCriteria={"findingStatus": eq("SUPPRESSED")})["reportId"]
        _finished(member.get_findings_report_status, suppressed)
        got = json.loads(_object(org, bucket, f"{suppressed}.json", kms_key))["findings"]
        assert {f["status"] for f in got} == {"SUPPRESSED"} and {f["awsAccountId"] for f in got} == {org.members[0]}
    finally:
        admin.delete_filter(arn=rule)


def test_report_errors(org, accounts, unique):
    admin = org.client(org.admin)
    bucket, kms_key = _bucket_and_key(org, unique)
    west_bucket, west_key = _bucket_and_key(org, f"w{unique}", region="us-west-2")
    cases = [
        ({"bucketName": f"missing-{unique}", "kmsKeyArn": kms_key}, None, "BUCKET_NOT_FOUND"),
        ({"bucketName": west_bucket, "kmsKeyArn": west_key}, None, "INCOMPATIBLE_BUCKET_REGION"),
        ({"bucketName": bucket, "kmsKeyArn": "not-a-key"}, None, "MALFORMED_KMS_KEY"),
        ({"bucketName": bucket, "kmsKeyArn": kms_key.replace(kms_key.rsplit("/", 1)[1], "00000000-0000-0000-0000-000000000000")}, None, "MALFORMED_KMS_KEY"),
        ({"bucketName": bucket, "kmsKeyArn": kms_key}, {"vulnerabilityId": eq("CVE-1999-0001")}, "NO_FINDINGS_FOUND"),
    ]
    for destination, wanted, code in cases:
        report_id = admin.create_findings_report(reportFormat="CSV", s3Destination=destination,
                                                 **({"filterCriteria": wanted} if wanted else {}))["reportId"]
        status = _finished(admin.get_findings_report_status, report_id)
        assert (status["status"], status["errorCode"]) == ("FAILED", code) and status["errorMessage"], status
    for call, kwargs in ((admin.get_findings_report_status, {"reportId": "00000000-0000-0000-0000-000000000000"}),
                         (admin.get_sbom_export, {"reportId": "00000000-0000-0000-0000-000000000000"})):
        with pytest.raises(ClientError) as caught:
            call(**kwargs)
        assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    # Another account sees neither the reports nor a latest one.
    stranger = accounts.client("inspector2", fresh_account_id())
    with pytest.raises(ClientError) as caught:
        stranger.get_findings_report_status(reportId=report_id)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as caught:
        stranger.get_findings_report_status()
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    raw = unvalidated(accounts, org.admin)
    for bad in ({"reportFormat": "XML"}, {"s3Destination": {"bucketName": bucket}}, {"filterCriteria": {"findingStatus": [{"comparison": "SOMETIMES", "value": "ACTIVE"}]}}):
        with pytest.raises(ClientError) as caught:
            raw.create_findings_report(**{"reportFormat": "CSV", "s3Destination": {"bucketName": bucket, "kmsKeyArn": kms_key}, **bad})
        assert caught.value.response["Error"]["Code"] == "ValidationException", bad


def test_sbom_export_one_cyclonedx_document_per_resource(org, unique):
    admin = org.client(org.admin)
    bucket, kms_key = _bucket_and_key(org, unique)
    destination = {"bucketName": bucket, "keyPrefix": "sbom", "kmsKeyArn": kms_key}
    report_id = admin.create_sbom_export(reportFormat="CYCLONEDX_1_4", s3Destination=destination,
                                         resourceFilterCriteria={"resourceType": [{"comparison": "EQUALS", "value": "AWS_EC2_INSTANCE"}]})["reportId"]
    status = _finished(admin.get_sbom_export, report_id)
    assert status["status"] == "SUCCEEDED" and status["format"] == "CYCLONEDX_1_4" and status["s3Destination"] == destination
    s3 = org.client(org.admin, "s3")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"sbom/SBOM_{report_id}/")["Contents"])
    expected = sorted(f"sbom/SBOM_{report_id}/{account}/AWS_EC2_INSTANCE/{instance}.json" for account, instance in org.instances.items())
    assert keys == expected
    for key in keys:
        bom = json.loads(_object(org, bucket, key, kms_key))
        assert (bom["bomFormat"], bom["specVersion"], bom["version"]) == ("CycloneDX", "1.4", 1)
        assert bom["serialNumber"].startswith("urn:uuid:")
        assert bom["metadata"]["component"]["type"] == "operating-system"
        assert bom["metadata"]["component"]["name"] in org.instances.values()
        refs = {c["bom-ref"] for c in bom["components"]}
        assert refs and all(c["purl"].startswith("pkg:") and c["name"] and c["version"] for c in bom["components"])
        assert LINUX_FINDINGS <= {v["id"] for v in bom["vulnerabilities"]}
        assert all(a["ref"] in refs for v in bom["vulnerabilities"] for a in v["affects"])

    # Filters: one account's instance by tag.
    member = org.members[0]
    only = admin.create_sbom_export(reportFormat="CYCLONEDX_1_4", s3Destination={"bucketName": bucket, "kmsKeyArn": kms_key},
                                    resourceFilterCriteria={"ec2InstanceTags": [{"comparison": "EQUALS", "key": "team", "value": member[-4:]}]})["reportId"]
    assert _finished(admin.get_sbom_export, only)["status"] == "SUCCEEDED"
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"SBOM_{only}/")["Contents"]]
    assert listed == [f"SBOM_{only}/{member}/AWS_EC2_INSTANCE/{org.instances[member]}.json"]

    with pytest.raises(ClientError) as caught:
        admin.create_sbom_export(reportFormat="SPDX_2_3", s3Destination=destination)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    failed = admin.create_sbom_export(reportFormat="CYCLONEDX_1_4", s3Destination={"bucketName": f"none-{unique}", "kmsKeyArn": kms_key})["reportId"]
    assert _finished(admin.get_sbom_export, failed)["errorCode"] == "BUCKET_NOT_FOUND"
