"""Continuous scanning: what Inspector v2 does without being asked.

A background thread makes a pass every LOCALAWS_INSPECTOR2_SCAN_INTERVAL seconds
(default 1), at once after an Enable, and does nothing while no account has a scan type
enabled. A pass reads each enabled account and region's resources from moto's own EC2,
ECR and Lambda backends (never creating a backend), works out the findings and coverage
they should have, and reconciles: new findings are created ACTIVE (or SUPPRESSED), findings
of a resource seen again are reopened, findings whose resource is gone, excluded or no
longer eligible are CLOSED (updatedAt moves, lastObservedAt stays), closed findings past
their retention are deleted, and every change is an `Inspector2 Finding` event.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from . import catalogue, cis, reports
from .state import RESCAN_DURATIONS, RETENTION_OTHER, RETENTION_RESOURCE_GONE, DAY, Finding, emulator

EC2_EXCLUSION_TAG = "InspectorEc2Exclusion"
LAMBDA_EXCLUSION = ("InspectorExclusion", "LambdaStandardScanning")
LAMBDA_CODE_EXCLUSION = ("InspectorCodeExclusion", "LambdaCodeScanning")


@dataclass
class Resource:
    """One resource as a scan type sees it."""

    scope: str  # EC2, ECR, LAMBDA, LAMBDA_CODE
    resource: dict  # the finding's `resources[0]`
    fingerprint: Any
    coverage: dict  # CoveredResource without lastScannedAt
    findings: list[dict] = field(default_factory=list)  # vulnerability parts, each with a `_key`
    scan_event: dict | None = None  # Inspector2 Scan detail, sent after the first scan
    scan_event_resource: str | None = None  # its `resources` entry when not the resource itself

    @property
    def id(self) -> str:
        return self.resource["id"]

    @property
    def eligible(self) -> bool:
        return self.coverage["scanStatus"]["statusCode"] == "ACTIVE"


def _sub(backends: Any, account: str, region: str) -> Any:
    """moto's backend of account and region if it exists; never creates one."""
    regions = backends.get(account)
    return regions.get(region) if regions is not None else None


def _epoch_of(moment: Any, default: float) -> float:
    """moto's timestamps (naive UTC datetimes or ISO strings) as epoch seconds."""
    if isinstance(moment, datetime):
        return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()
    if isinstance(moment, str):
        try:
            return catalogue.epoch(moment[:19] + "Z")
        except ValueError:
            return default
    return default


def _status(active: bool, reason: str) -> dict:
    return {"statusCode": "ACTIVE" if active else "INACTIVE", "reason": reason}


# --- EC2 -----------------------------------------------------------------------------------


def _open_ranges(instance: Any) -> list[tuple[str, int, int, str]]:
    """(protocol, begin, end, security group) open to 0.0.0.0/0 by the instance's groups."""
    found = []
    for group in getattr(instance, "security_groups", None) or []:
        for rule in list(getattr(group, "ingress_rules", []) or []):
            ranges = list(getattr(rule, "ip_ranges", None) or [])
            if getattr(rule, "ip_range", None):
                ranges.append(rule.ip_range)
            if not any((r or {}).get("CidrIp") == "0.0.0.0/0" for r in ranges):
                continue
            protocol = str(rule.ip_protocol)
            if protocol in ("-1", "all"):
                found.append(("TCP", 0, 65535, group.id))
            elif protocol in ("tcp", "6", "udp", "17"):
                begin = int(rule.from_port if rule.from_port is not None else 0)
                end = int(rule.to_port if rule.to_port is not None else 65535)
                found.append(("TCP" if protocol in ("tcp", "6") else "UDP", begin, end, group.id))
    return sorted(set(found))


def _ec2_resources(account: str, region: str, now: float) -> list[Resource]:
    from moto.ec2.models import ec2_backends

    ec2 = _sub(ec2_backends, account, region)
    if ec2 is None:
        return []
    mode = emulator.config(account, region).scan_mode
    out = []
    for instance in list(ec2.all_instances()):
        state = instance._state.name
        if state in ("terminated", "shutting-down"):
            continue
        tags = dict(ec2.tags.get(instance.id, {}))
        windows = (instance.platform or "").lower() == "windows"
        managed = bool(getattr(instance, "iam_instance_profile", None))
        if mode == "EC2_SSM_AGENT_BASED" or managed:
            scan_mode = "EC2_SSM_AGENT_BASED"
        else:
            scan_mode = "EC2_AGENTLESS"
        launched = instance.launch_time
        details = {
            "awsEc2Instance": {
                "imageId": instance.image_id,
                "ipV4Addresses": [a for a in (instance.private_ip, instance.public_ip) if a],
                "ipV6Addresses": [],
                "launchedAt": _epoch_of(launched, now),
                "platform": "WINDOWS" if windows else "LINUX",
                "subnetId": instance.subnet_id,
                "type": instance.instance_type,
                "vpcId": getattr(instance, "vpc_id", None),
            }
        }
        profile = getattr(instance, "iam_instance_profile", None)
        if isinstance(profile, dict) and profile.get("Arn"):
            details["awsEc2Instance"]["iamInstanceProfileArn"] = profile["Arn"]
        resource = {"type": "AWS_EC2_INSTANCE", "id": instance.id, "partition": "aws", "region": region,
                    "tags": tags, "details": details}
        if EC2_EXCLUSION_TAG in tags:
            reason, active = "EXCLUDED_BY_TAG", False
        elif state == "stopped":
            reason, active = "EC2_INSTANCE_STOPPED", False
        elif mode == "EC2_SSM_AGENT_BASED" and not managed:
            reason, active = "UNMANAGED_EC2_INSTANCE", False
        else:
            reason, active = "SUCCESSFUL", True
        ranges = _open_ranges(instance)
        coverage = {
            "accountId": account, "resourceId": instance.id, "resourceType": "AWS_EC2_INSTANCE",
            "scanType": "PACKAGE", "scanStatus": _status(active, reason), "scanMode": scan_mode,
            "resourceMetadata": {"ec2": {"amiId": instance.image_id, "platform": "WINDOWS" if windows else "LINUX", "tags": tags}},
        }
        item = Resource("EC2", resource, (state, tuple(sorted(tags.items())), tuple(ranges), mode), coverage)
        if active:
            for entry in catalogue.entries_for("EC2_WINDOWS" if windows else "EC2_LINUX"):
                vuln = catalogue.package_finding(entry, "X86_64")
                vuln["_key"] = entry["id"]
                item.findings.append(vuln)
        if state == "running" and EC2_EXCLUSION_TAG not in tags:
            igw = _internet_gateway(ec2, getattr(instance, "vpc_id", None))
            for protocol, begin, end, group_id in ranges:
                item.findings.append(_network_finding(instance, protocol, begin, end, group_id, igw))
        item.scan_event = {"scan-status": "INITIAL_SCAN_COMPLETE", "instance-id": instance.id, "version": "1.0"}
        out.append(item)
    return out


def _internet_gateway(ec2: Any, vpc_id: str | None) -> str | None:
    for gateway in list(getattr(ec2, "internet_gateways", {}).values()):
        vpc = getattr(gateway, "vpc", None)
        if vpc is not None and vpc.id == vpc_id:
            return gateway.id
    return None


def _network_finding(instance: Any, protocol: str, begin: int, end: int, group_id: str, igw: str | None) -> dict:
    ports = f"Port {begin}" if begin == end else f"Port range {begin}-{end}"
    eni = next(iter(getattr(instance, "nics", {}).values()), None)
    steps = []
    if igw:
        steps.append({"componentId": igw, "componentType": "AWS::EC2::InternetGateway"})
    steps.append({"componentId": group_id, "componentType": "AWS::EC2::SecurityGroup"})
    if eni is not None:
        steps.append({"componentId": eni.id, "componentType": "AWS::EC2::NetworkInterface"})
    steps.append({"componentId": instance.id, "componentType": "AWS::EC2::Instance"})
    via = f"the InternetGateway {igw}" if igw else "the internet (0.0.0.0/0)"
    return {
        "_key": f"network:{protocol}:{begin}-{end}",
        "type": "NETWORK_REACHABILITY",
        "title": f"{ports} is reachable from an Internet Gateway - {protocol}",
        "description": f"On the instance {instance.id}, the port range {begin}-{end} is reachable from {via} through the security group {group_id}.",
        "severity": "MEDIUM",
        "networkReachabilityDetails": {"networkPath": {"steps": steps}, "openPortRange": {"begin": begin, "end": end}, "protocol": protocol},
        "remediation": {"recommendation": {"text": "You can restrict access to your instance by modifying the Security Groups or ACLs in the network path."}},
    }


# --- ECR -----------------------------------------------------------------------------------


def _ecr_resources(account: str, region: str, now: float) -> list[Resource]:
    from moto.ecr.models import ecr_backends

    ecr = _sub(ecr_backends, account, region)
    if ecr is None:
        return []
    duration = RESCAN_DURATIONS.get(emulator.config(account, region).rescan_duration)
    out = []
    for repository in list(ecr.repositories.values()):
        for image in list(repository.images):
            digest = image.get_image_digest()
            image_id = f"arn:aws:ecr:{region}:{repository.registry_id}:repository/{repository.name}/{digest}"
            pushed = float(image.image_pushed_at)
            # Ages run on the emulator's clock (the admin route moves it), from first sight.
            seen = emulator.first_seen.setdefault((account, region, image_id), now)
            expired = duration is not None and now - seen > duration * DAY
            tags = list(image.image_tags)
            resource = {
                "type": "AWS_ECR_CONTAINER_IMAGE", "id": image_id, "partition": "aws", "region": region,
                "details": {"awsEcrContainerImage": {
                    "architecture": "amd64", "imageHash": digest, "imageTags": tags, "pushedAt": pushed,
                    "registry": repository.registry_id, "repositoryName": repository.name,
                }},
            }
            coverage = {
                "accountId": account, "resourceId": image_id, "resourceType": "AWS_ECR_CONTAINER_IMAGE",
                "scanType": "PACKAGE",
                "scanStatus": _status(not expired, "SCAN_ELIGIBILITY_EXPIRED" if expired else "SUCCESSFUL"),
                "resourceMetadata": {"ecrImage": {"tags": tags}, "ecrRepository": {"name": repository.name, "scanFrequency": "CONTINUOUS_SCAN"}},
            }
            item = Resource("ECR", resource, (tuple(tags), expired), coverage)
            if not expired:
                for entry in catalogue.entries_for("ECR"):
                    vuln = catalogue.package_finding(entry, "X86_64")
                    vuln["_key"] = entry["id"]
                    item.findings.append(vuln)
            item.scan_event = {"scan-status": "INITIAL_SCAN_COMPLETE", "repository-name": repository.arn,
                               "image-digest": digest, "image-tags": tags, "version": "1.0"}
            item.scan_event_resource = repository.arn  # as in the documented example
            out.append(item)
        # The repository itself is covered too (ListCoverage's AWS_ECR_REPOSITORY).
        repo_coverage = {
            "accountId": account, "resourceId": repository.arn, "resourceType": "AWS_ECR_REPOSITORY",
            "scanType": "PACKAGE", "scanStatus": _status(True, "SUCCESSFUL"),
            "resourceMetadata": {"ecrRepository": {"name": repository.name, "scanFrequency": "CONTINUOUS_SCAN"}},
        }
        repo = {"type": "AWS_ECR_REPOSITORY", "id": repository.arn, "partition": "aws", "region": region}
        out.append(Resource("ECR", repo, len(repository.images), repo_coverage))
    images = {item.id for item in out}
    for key in [k for k in emulator.first_seen if k[0] == account and k[1] == region and k[2] not in images]:
        del emulator.first_seen[key]
    return out


# --- Lambda --------------------------------------------------------------------------------


def _lambda_resources(account: str, region: str, now: float, code: bool) -> list[Resource]:
    from moto.awslambda.models import lambda_backends

    backend = _sub(lambda_backends, account, region)
    if backend is None:
        return []
    out = []
    for function in list(backend._lambdas.latest()):
        runtime, family = catalogue.LAMBDA_RUNTIMES.get(function.run_time or "", ("UNSUPPORTED", None))
        tags = dict(function.tags or {})
        function_id = f"arn:aws:lambda:{region}:{account}:function:{function.function_name}:$LATEST"
        last_modified = function.last_modified
        resource = {
            "type": "AWS_LAMBDA_FUNCTION", "id": function_id, "partition": "aws", "region": region, "tags": tags,
            "details": {"awsLambdaFunction": {
                "architectures": [a.upper() for a in function.architectures],
                "codeSha256": function.code_sha_256,
                "executionRoleArn": function.role,
                "functionName": function.function_name,
                "lastModifiedAt": _epoch_of(last_modified, now),
                "packageType": (function.package_type or "Zip").upper(),
                "runtime": runtime,
                "version": "$LATEST",
            }},
        }
        exclusion = LAMBDA_CODE_EXCLUSION if code else LAMBDA_EXCLUSION
        if tags.get(exclusion[0]) == exclusion[1]:
            reason, active = "EXCLUDED_BY_TAG", False
        elif family is None:
            reason, active = "UNSUPPORTED_RUNTIME", False
        else:
            reason, active = "SUCCESSFUL", True
        coverage = {
            "accountId": account, "resourceId": function_id, "resourceType": "AWS_LAMBDA_FUNCTION",
            "scanType": "CODE" if code else "PACKAGE", "scanStatus": _status(active, reason),
            "resourceMetadata": {"lambdaFunction": {"functionName": function.function_name, "functionTags": tags,
                                                    "layers": [], "runtime": runtime}},
        }
        item = Resource("LAMBDA_CODE" if code else "LAMBDA", resource,
                        (function.code_sha_256, function.run_time, tuple(sorted(tags.items()))), coverage)
        if not code:
            item.scan_event = {"scan-status": "INITIAL_SCAN_COMPLETE", "version": "1.0"}
        if active:
            if code:
                for entry in catalogue.code_entries_for(family):
                    vuln = catalogue.code_finding(entry, family)
                    vuln["_key"] = "code:" + entry["detectorIds"][family]
                    item.findings.append(vuln)
            else:
                for entry in catalogue.entries_for(f"LAMBDA:{family}"):
                    vuln = catalogue.package_finding(entry)
                    vuln["_key"] = entry["id"]
                    item.findings.append(vuln)
        out.append(item)
    return out


# --- a pass ----------------------------------------------------------------------------------


def resources_of(account: str, region: str, scope: str, now: float) -> list[Resource]:
    if scope == "EC2":
        return _ec2_resources(account, region, now)
    if scope == "ECR":
        return _ecr_resources(account, region, now)
    return _lambda_resources(account, region, now, code=scope == "LAMBDA_CODE")


def scan_all() -> None:
    with emulator.lock:
        try:
            cis.run_due(emulator.now())
            reports.run_pending()
        except Exception:
            traceback.print_exc()
        if not emulator.any_enabled() and not emulator.findings and not emulator.coverage:
            return
        started = time.perf_counter()
        now = emulator.now()
        emulator.passes += 1
        for (account, region), types in list(emulator.status.items()):
            for scope, on in types.items():
                try:
                    scan(account, region, scope, on, now)
                except RuntimeError as err:
                    # moto's dicts changed under us (a request thread): the next pass sees it whole.
                    print(f"localaws inspector2: {account}/{region} {scope} pass skipped: {err}", flush=True)
                except Exception:
                    traceback.print_exc()
        emulator.expire(now)
        emulator.last_pass_seconds = time.perf_counter() - started


def scan(account: str, region: str, scope: str, enabled: bool, now: float) -> None:
    if scope == "LAMBDA_CODE":
        # Lambda code scanning needs Lambda standard scanning (User Guide, "Scanning Lambda functions").
        enabled = enabled and emulator.enabled(account, region).get("LAMBDA", False)
    items = resources_of(account, region, scope, now) if enabled else []
    ids = {item.id for item in items}

    # Coverage: what is there now; a coverage event when a resource's scan status changes.
    seen_coverage = set()
    for item in items:
        key = (account, region, item.id, item.coverage["scanType"])
        seen_coverage.add(key)
        before = emulator.coverage.get(key)
        fingerprint_key = (account, region, f"{scope}:{item.id}")
        rescanned = emulator.scanned.get(fingerprint_key) != item.fingerprint
        covered = dict(item.coverage, lastScannedAt=now if rescanned or before is None else before.get("lastScannedAt", now))
        emulator.coverage[key] = covered
        if before is None or before["scanStatus"] != covered["scanStatus"]:
            # As the EventBridge integration page shows it (the newer version adds provider*).
            emulator.put_event(account, region, "Inspector2 Coverage", {
                "scanStatus": {"reason": covered["scanStatus"]["reason"], "statusCodeValue": covered["scanStatus"]["statusCode"]},
                "scanType": covered["scanType"],
                "provider": "AWS", "providerAccountId": account, "providerRegion": region,
                "eventTimestamp": _iso(now), "version": "1.0",
            }, [item.id])
    for key in [k for k in emulator.coverage if k[0] == account and k[1] == region and k not in seen_coverage]:
        if _coverage_scope(emulator.coverage[key]) == scope:
            del emulator.coverage[key]

    # Findings.
    wanted: set[str] = set()
    present = {item.id for item in items if item.eligible}
    for item in items:
        fingerprint_key = (account, region, f"{scope}:{item.id}")
        rescanned = emulator.scanned.get(fingerprint_key) != item.fingerprint
        emulator.scanned[fingerprint_key] = item.fingerprint
        for vuln in item.findings:
            arn = f"arn:aws:inspector2:{region}:{account}:finding/{catalogue.finding_id(account, region, item.id, vuln['_key'])}"
            wanted.add(arn)
            _observe(arn, account, region, scope, item, vuln, now, rescanned)
        # The initial scan: the first time the resource is eligible and scanned.
        if item.scan_event is not None and item.eligible and fingerprint_key not in emulator.initially_scanned:
            emulator.initially_scanned.add(fingerprint_key)
            counts = {"CRITICAL": 0, "HIGH": 0, "MEDIUM": 0, "TOTAL": 0}
            for vuln in item.findings:
                if vuln["severity"] in counts:
                    counts[vuln["severity"]] += 1
                counts["TOTAL"] += 1
            emulator.put_event(account, region, "Inspector2 Scan", dict(item.scan_event, **{"finding-severity-counts": counts}),
                               [item.scan_event_resource or item.id])
    for key in [k for k in emulator.scanned if k[0] == account and k[1] == region and k[2].startswith(scope + ":")]:
        if key[2][len(scope) + 1:] not in ids:
            del emulator.scanned[key]
            emulator.initially_scanned.discard(key)

    for arn, finding in list(emulator.findings.items()):
        if finding.account != account or finding.region != region or finding.scope != scope or arn in wanted:
            continue
        if finding.data["status"] == "CLOSED":
            continue
        finding.data["status"] = "CLOSED"
        finding.data["updatedAt"] = now
        finding.retention = RETENTION_OTHER if finding.resource_id in present else RETENTION_RESOURCE_GONE
        emulator.finding_event(finding)


def _iso(epoch: float) -> str:
    """`2023-01-20T22:51:35.665501Z`, as coverage events show it."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _coverage_scope(covered: dict) -> str:
    kind = covered["resourceType"]
    if kind == "AWS_EC2_INSTANCE":
        return "EC2"
    if kind.startswith("AWS_ECR"):
        return "ECR"
    return "LAMBDA_CODE" if covered["scanType"] == "CODE" else "LAMBDA"


def _observe(arn: str, account: str, region: str, scope: str, item: Resource, vuln: dict, now: float, rescanned: bool) -> None:
    existing = emulator.findings.get(arn)
    body = {k: v for k, v in vuln.items() if k != "_key"}
    resource = dict(item.resource)
    if existing is None:
        data = {
            "awsAccountId": account,
            "findingArn": arn,
            **body,
            "resources": [resource],
            "status": "ACTIVE",
            "firstObservedAt": now,
            "lastObservedAt": now,
            "updatedAt": now,
        }
        finding = Finding(data, account, region, scope, item.id)
        emulator.findings[arn] = finding
        emulator.apply_suppression(finding, now, announce=False)
        emulator.finding_event(finding)
        return
    data = existing.data
    changed = False
    if data["status"] == "CLOSED":
        data["status"] = "ACTIVE"
        data["lastObservedAt"] = now
        changed = True
    elif rescanned:
        data["lastObservedAt"] = now
    if data.get("resources") != [resource]:
        data["resources"] = [resource]
        changed = True
    if changed:
        data["updatedAt"] = now
        existing.retention = RETENTION_OTHER
        emulator.apply_suppression(existing, now, announce=False)
        emulator.finding_event(existing)


# --- the thread ------------------------------------------------------------------------------

_thread: threading.Thread | None = None


def _loop(interval: float) -> None:
    while True:
        emulator.wake.wait(interval)
        emulator.wake.clear()
        if not emulator.scanning:
            continue
        try:
            scan_all()
        except Exception:
            traceback.print_exc()


def start() -> None:
    global _thread
    if _thread is not None:
        return
    interval = float(os.environ.get("LOCALAWS_INSPECTOR2_SCAN_INTERVAL", "1"))
    _thread = threading.Thread(target=_loop, args=(interval,), name="inspector2-scanner", daemon=True)
    _thread.start()
