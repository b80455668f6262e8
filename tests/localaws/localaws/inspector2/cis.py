"""CIS scan configurations and CIS scans of the Inspector v2 emulator.

A configuration (Create/Update/Delete/ListCisScanConfigurations) belongs to the account
that creates it. It runs on its schedule, read against the emulator's clock (a `oneTime`
schedule runs at once), at the first scanner pass at or after the scheduled moment; the
admin route POST /_localaws/inspector2/cis-scan runs one at once. A scan covers the
running EC2 instances of the targeted accounts (`SELF` is the owner; other accounts only
when they are the owner's members) whose tags match every key of `targetResourceTags`
(any of its values). Each instance gets every check of the benchmark data
(cis_checks.json) up to the configuration's level, PASSED or FAILED as a fixed function of
the instance id and check id; Windows instances get every check SKIPPED. Scans complete
when they run (status COMPLETED).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import AccessDeniedException, ResourceNotFoundException, ValidationException

CONFIG_ARN = re.compile(
    r"^arn:aws(-us-gov|-cn)?:inspector2:[a-z]{2}(-gov)?-[a-z]+-[0-9]{1}:[0-9]{12}:owner/(o-[a-z0-9]+|[0-9]{12})/cis-configuration/[0-9a-fA-F-]+$"
)
SCAN_ARN = re.compile(
    r"^arn:aws(-us-gov|-cn)?:inspector2:[-.a-z0-9]{0,20}:\d{12}:owner/(\d{12}|o-[a-z0-9]{10,32})/cis-scan/"
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
TIME_OF_DAY = re.compile(r"^([0-1]?[0-9]|2[0-3]):[0-5][0-9]$")
DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")  # datetime.weekday() order
LEVELS = {"LEVEL_1": ("LEVEL_1",), "LEVEL_2": ("LEVEL_1", "LEVEL_2")}

_DATA = json.loads((Path(__file__).with_name("cis_checks.json")).read_text())
CHECKS: list[dict] = _DATA["checks"]


@dataclass
class CisConfiguration:
    arn: str
    owner: str
    region: str
    name: str
    level: str
    schedule: dict
    targets: dict
    tags: dict
    next_run: float | None  # emulator time; None once a oneTime schedule has run

    def to_json(self) -> dict:
        return {"scanConfigurationArn": self.arn, "ownerId": self.owner, "scanName": self.name,
                "securityLevel": self.level, "schedule": self.schedule, "targets": self.targets, "tags": self.tags}


@dataclass
class CisScan:
    arn: str
    configuration_arn: str
    owner: str
    region: str
    name: str
    level: str
    targets: dict
    date: float
    results: list[dict] = field(default_factory=list)  # CisScanResultDetails, every instance

    def to_json(self) -> dict:
        return {"scanArn": self.arn, "scanConfigurationArn": self.configuration_arn, "status": "COMPLETED",
                "scanName": self.name, "scanDate": self.date,
                "failedChecks": sum(r["status"] == "FAILED" for r in self.results),
                "totalChecks": len(self.results), "targets": self.targets, "scheduledBy": self.owner,
                "securityLevel": self.level}


configurations: dict[str, CisConfiguration] = {}
scans: dict[str, CisScan] = {}


# --- schedules -----------------------------------------------------------------------------


def check_schedule(schedule: dict, name: str = "schedule") -> None:
    given = [k for k in ("oneTime", "daily", "weekly", "monthly") if schedule.get(k) is not None]
    if len(given) != 1:
        raise ValidationException(f"{name} must have exactly one of oneTime, daily, weekly, monthly",
                                  fields=[{"name": name, "message": "exactly one member"}])
    kind = given[0]
    if kind == "oneTime":
        return
    start = schedule[kind]["startTime"]
    if not TIME_OF_DAY.match(start["timeOfDay"]):
        raise ValidationException(f"{name}.{kind}.startTime.timeOfDay must be HH:MM (24-hour)",
                                  fields=[{"name": f"{name}.{kind}.startTime.timeOfDay", "message": "not HH:MM"}])
    try:
        ZoneInfo(start["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationException(f"{name}.{kind}.startTime.timezone {start['timezone']!r} is not a known time zone",
                                  fields=[{"name": f"{name}.{kind}.startTime.timezone", "message": "unknown time zone"}]) from None


def next_run(schedule: dict, after: float) -> float | None:
    """The first scheduled moment strictly after `after` (epoch seconds); None for oneTime.
    A monthly schedule's `day` is read as the first such weekday of each month."""
    kind = next(k for k in ("oneTime", "daily", "weekly", "monthly") if schedule.get(k) is not None)
    if kind == "oneTime":
        return None
    spec = schedule[kind]
    zone = ZoneInfo(spec["startTime"]["timezone"])
    hour, minute = (int(x) for x in spec["startTime"]["timeOfDay"].split(":"))
    local = datetime.fromtimestamp(after, tz=zone)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    for _ in range(400):
        moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
        weekday = DAYS[moment.weekday()]
        due = (kind == "daily"
               or (kind == "weekly" and weekday in spec["days"])
               or (kind == "monthly" and weekday == spec["day"] and moment.day <= 7))
        if due and moment.timestamp() > after:
            return moment.timestamp()
        day = (day + timedelta(days=1)).replace(hour=0)
    return None


# --- targets and results ---------------------------------------------------------------------


def target_accounts(config: CisConfiguration, members: list[str]) -> list[str]:
    out = []
    for account in config.targets.get("accountIds") or []:
        account = config.owner if account == "SELF" else account
        if (account == config.owner or account in members) and account not in out:
            out.append(account)
    return out


def _tags_match(tags: dict, wanted: dict) -> bool:
    return all(tags.get(key) in values for key, values in (wanted or {}).items())


def _status(instance_id: str, check_id: str) -> str:
    digest = hashlib.sha256(f"{instance_id}/{check_id}".encode()).digest()
    return "FAILED" if digest[0] % 3 == 0 else "PASSED"


def _finding_arn(region: str, account: str, instance_id: str, check_id: str) -> str:
    digest = hashlib.sha256(f"cis/{account}/{instance_id}/{check_id}".encode()).hexdigest()
    return f"arn:aws:inspector2:{region}:{account}:owner/{account}/cis-finding/{uuid.UUID(digest[:32])}"


def instance_results(scan_arn: str, region: str, account: str, instance: Any, tags: dict, level: str) -> list[dict]:
    windows = (instance.platform or "").lower() == "windows"
    rows = []
    for check in CHECKS:
        if check["level"] not in LEVELS[level]:
            continue
        row = {"scanArn": scan_arn, "accountId": account, "targetResourceId": instance.id,
               "platform": "WINDOWS" if windows else "LINUX",
               "checkId": check["checkId"], "title": check["title"], "checkDescription": check["checkDescription"],
               "remediation": check["remediation"], "level": check["level"],
               "findingArn": _finding_arn(region, account, instance.id, check["checkId"])}
        if windows:
            row["status"] = "SKIPPED"
            row["statusReason"] = "The emulator's benchmark data has no Windows checks"
        else:
            row["status"] = _status(instance.id, check["checkId"])
        rows.append(row)
    return rows


def run(config: CisConfiguration, now: float) -> CisScan:
    """One scan of `config` now (the caller holds the emulator's lock)."""
    from moto.ec2.models import ec2_backends

    from .state import emulator

    owner = config.owner
    scan_arn = f"arn:aws:inspector2:{config.region}:{owner}:owner/{owner}/cis-scan/{uuid.uuid4()}"
    scan = CisScan(scan_arn, config.arn, owner, config.region, config.name, config.level,
                   json.loads(json.dumps(config.targets)), now)
    members = emulator.members_of(owner, config.region)
    for account in target_accounts(config, members):
        regions = ec2_backends.get(account)
        ec2 = regions.get(config.region) if regions is not None else None
        if ec2 is None:
            continue
        for instance in sorted(list(ec2.all_instances()), key=lambda i: i.id):
            if instance._state.name != "running":
                continue
            tags = dict(ec2.tags.get(instance.id, {}))
            if _tags_match(tags, config.targets.get("targetResourceTags")):
                scan.results += instance_results(scan_arn, config.region, account, instance, tags, config.level)
    scans[scan_arn] = scan
    return scan


def run_due(now: float) -> None:
    """Every configuration whose scheduled moment has come runs once (missed moments in
    between are not caught up); the caller holds the emulator's lock."""
    for config in list(configurations.values()):
        if config.next_run is not None and config.next_run <= now:
            run(config, now)
            config.next_run = next_run(config.schedule, now)


# --- the API ---------------------------------------------------------------------------------


def _strings(value: str, filters: list[dict] | None) -> bool:
    """CisStringFilters: any EQUALS or PREFIX filter matches (when there is one), and no
    NOT_EQUALS filter does."""
    if not filters:
        return True
    positive = [f for f in filters if f["comparison"] != "NOT_EQUALS"]
    if any(f["comparison"] == "NOT_EQUALS" and value == f["value"] for f in filters):
        return False
    return not positive or any(value == f["value"] if f["comparison"] == "EQUALS" else value.startswith(f["value"])
                               for f in positive)


def _any_strings(values: list[str], filters: list[dict] | None) -> bool:
    return not filters or any(_strings(v, filters) for v in values)


def _tag_filters(tags: dict, filters: list[dict] | None) -> bool:
    return not filters or any(f["value"] in (tags.get(f["key"]) or []) for f in filters)


def owned(arn: str, caller: str, region: str) -> CisConfiguration:
    if not CONFIG_ARN.match(arn):
        raise ValidationException(f"{arn} is not a CIS scan configuration ARN",
                                  fields=[{"name": "scanConfigurationArn", "message": "invalid ARN"}])
    config = configurations.get(arn)
    if config is None or config.owner != caller or config.region != region:
        raise ResourceNotFoundException(f"CIS scan configuration {arn} does not exist")
    return config


def create(caller: str, region: str, params: dict, now: float) -> CisConfiguration:
    check_schedule(params["schedule"])
    arn = f"arn:aws:inspector2:{region}:{caller}:owner/{caller}/cis-configuration/{uuid.uuid4()}"
    schedule = {k: v for k, v in params["schedule"].items() if v is not None}
    config = CisConfiguration(arn, caller, region, params["scanName"], params["securityLevel"], schedule,
                              {"accountIds": list(params["targets"]["accountIds"]),
                               "targetResourceTags": params["targets"]["targetResourceTags"]},
                              params.get("tags") or {}, None)
    config.next_run = now if "oneTime" in schedule else next_run(schedule, now)
    configurations[arn] = config
    return config


def update(caller: str, region: str, params: dict, now: float) -> CisConfiguration:
    config = owned(params["scanConfigurationArn"], caller, region)
    if params.get("schedule") is not None:
        check_schedule(params["schedule"])
    if params.get("scanName") is not None:
        config.name = params["scanName"]
    if params.get("securityLevel") is not None:
        config.level = params["securityLevel"]
    targets = params.get("targets") or {}
    for key in ("accountIds", "targetResourceTags"):
        if targets.get(key) is not None:
            config.targets[key] = targets[key]
    if params.get("schedule") is not None:
        config.schedule = {k: v for k, v in params["schedule"].items() if v is not None}
        config.next_run = now if "oneTime" in config.schedule else next_run(config.schedule, now)
    return config


def delete(caller: str, region: str, arn: str) -> None:
    owned(arn, caller, region)
    del configurations[arn]


def list_configurations(caller: str, region: str, params: dict) -> list[dict]:
    wanted = params.get("filterCriteria") or {}
    rows = [c for c in configurations.values() if c.owner == caller and c.region == region
            and _strings(c.name, wanted.get("scanNameFilters"))
            and _strings(c.arn, wanted.get("scanConfigurationArnFilters"))
            and _tag_filters(c.targets.get("targetResourceTags") or {}, wanted.get("targetResourceTagFilters"))]
    key = (lambda c: c.arn) if params.get("sortBy") == "SCAN_CONFIGURATION_ARN" else (lambda c: (c.name, c.arn))
    rows.sort(key=key, reverse=params.get("sortOrder") == "DESC")
    return [json.loads(json.dumps(c.to_json())) for c in rows]


def visible_scans(caller: str, region: str, detail_level: str, admin: str | None) -> list[CisScan]:
    """ORGANIZATION: the caller's own scans. MEMBER: those, and its administrator's scans
    that covered the caller."""
    out = []
    for scan in scans.values():
        if scan.region != region:
            continue
        if scan.owner == caller:
            out.append(scan)
        elif detail_level == "MEMBER" and scan.owner == admin and any(r["accountId"] == caller for r in scan.results):
            out.append(scan)
    return out


def list_scans(caller: str, region: str, params: dict, admin: str | None) -> list[dict]:
    wanted = params.get("filterCriteria") or {}
    rows = []
    for scan in visible_scans(caller, region, params.get("detailLevel") or "ORGANIZATION", admin):
        row = scan.to_json()
        ids = sorted({r["targetResourceId"] for r in scan.results})
        accounts = sorted({r["accountId"] for r in scan.results})
        date_ok = all((f.get("earliestScanStartTime") is None or scan.date >= f["earliestScanStartTime"])
                      and (f.get("latestScanStartTime") is None or scan.date <= f["latestScanStartTime"])
                      for f in wanted.get("scanAtFilters") or [])
        failed_ok = not wanted.get("failedChecksFilters") or any(
            (f.get("lowerInclusive") is None or row["failedChecks"] >= f["lowerInclusive"])
            and (f.get("upperInclusive") is None or row["failedChecks"] <= f["upperInclusive"])
            for f in wanted["failedChecksFilters"])
        if (date_ok and failed_ok
                and _strings(scan.name, wanted.get("scanNameFilters"))
                and _strings(scan.configuration_arn, wanted.get("scanConfigurationArnFilters"))
                and _strings(scan.arn, wanted.get("scanArnFilters"))
                and _strings(scan.owner, wanted.get("scheduledByFilters"))
                and _any_strings(ids, wanted.get("targetResourceIdFilters"))
                and _any_strings(accounts, wanted.get("targetAccountIdFilters"))
                and _tag_filters(scan.targets.get("targetResourceTags") or {}, wanted.get("targetResourceTagFilters"))
                and (not wanted.get("scanStatusFilters") or any(f["value"] == "COMPLETED" for f in wanted["scanStatusFilters"]))):
            rows.append(row)
    keys = {"STATUS": lambda r: (r["status"], r["scanDate"]), "SCHEDULED_BY": lambda r: (r["scheduledBy"], r["scanDate"]),
            "SCAN_START_DATE": lambda r: r["scanDate"], "FAILED_CHECKS": lambda r: (r["failedChecks"], r["scanDate"])}
    rows.sort(key=keys[params.get("sortBy") or "SCAN_START_DATE"], reverse=(params.get("sortOrder") or "DESC") == "DESC")
    return json.loads(json.dumps(rows))


def result_details(caller: str, region: str, params: dict, admin: str | None) -> list[dict]:
    arn = params["scanArn"]
    if not SCAN_ARN.match(arn):
        raise ValidationException(f"{arn} is not a CIS scan ARN", fields=[{"name": "scanArn", "message": "invalid ARN"}])
    scan = scans.get(arn)
    if scan is None or scan.region != region:
        raise ValidationException(f"CIS scan {arn} does not exist", fields=[{"name": "scanArn", "message": "no such scan"}])
    account = params["accountId"]
    if scan.owner != caller and not (scan.owner == admin and account == caller):
        raise AccessDeniedException(f"Account {caller} cannot see the results of CIS scan {arn} for account {account}")
    wanted = params.get("filterCriteria") or {}
    rows = [r for r in scan.results if r["accountId"] == account and r["targetResourceId"] == params["targetResourceId"]
            and (not wanted.get("findingStatusFilters") or any(r["status"] == f["value"] for f in wanted["findingStatusFilters"]))
            and (not wanted.get("securityLevelFilters") or any(r["level"] == f["value"] for f in wanted["securityLevelFilters"]))
            and _strings(r["checkId"], wanted.get("checkIdFilters"))
            and _strings(r["title"], wanted.get("titleFilters"))
            and _strings(r["findingArn"], wanted.get("findingArnFilters"))]

    def check_key(row: dict) -> tuple:
        return tuple(int(p) if p.isdigit() else p for p in row["checkId"].split("."))

    key = (lambda r: (r["status"], check_key(r))) if params.get("sortBy") == "STATUS" else check_key
    rows.sort(key=key, reverse=params.get("sortOrder") == "DESC")
    return json.loads(json.dumps(rows))
