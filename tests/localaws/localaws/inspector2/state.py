"""The emulator's state, shared by every account and region: who has which scan type
enabled, each organisation's configuration, the findings, the coverage and the clock.

Organisation relations live where moto keeps them (moto's inspector2 backends): the
management account's `admin_accounts`, the administrator's `members`, `org_config` and
`filters`. An account's administrator is the account whose backend (same region) has it
as an ENABLED member. One lock guards everything here; the scanner and every request
take it.
"""

from __future__ import annotations

import copy
import json
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from . import criteria

RESOURCE_TYPES = ("EC2", "ECR", "LAMBDA", "LAMBDA_CODE")
STATUS_KEYS = {"EC2": "ec2", "ECR": "ecr", "LAMBDA": "lambda", "LAMBDA_CODE": "lambdaCode"}
AUTO_ENABLE_KEYS = {"ec2": "EC2", "ecr": "ECR", "lambda": "LAMBDA", "lambdaCode": "LAMBDA_CODE"}

DAY = 86400.0
# User Guide, "Understanding Amazon Inspector findings": findings of a deleted, terminated
# or no longer eligible resource are deleted 3 days after closing; findings closed for any
# other reason after 30 days.
RETENTION_RESOURCE_GONE = 3 * DAY
RETENTION_OTHER = 30 * DAY

RESCAN_DURATIONS = {"DAYS_3": 3, "DAYS_7": 7, "DAYS_14": 14, "DAYS_30": 30, "DAYS_60": 60, "DAYS_90": 90, "DAYS_180": 180}


@dataclass
class Finding:
    data: dict  # the API's Finding (epoch timestamps)
    account: str
    region: str
    scope: str  # the scan type that produced it: EC2, ECR, LAMBDA, LAMBDA_CODE
    resource_id: str
    retention: float = RETENTION_OTHER


@dataclass
class Config:
    scan_mode: str = "EC2_HYBRID"
    rescan_duration: str = "LIFETIME"
    pull_date_rescan_duration: str = "DAYS_90"
    pull_date_rescan_mode: str = "LAST_PULL_DATE"
    updated_at: float = field(default_factory=time.time)


def event_time(epoch: float) -> str:
    """Inspector's event detail timestamps: `Wed Sep 04 16:59:44.356 UTC 2024` (the
    published examples), not the API's epoch seconds."""
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.strftime("%a %b %d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}" + moment.strftime(" UTC %Y")


_TIME_KEYS = {"firstObservedAt", "lastObservedAt", "updatedAt", "launchedAt", "pushedAt", "lastModifiedAt",
              "vendorCreatedAt", "vendorUpdatedAt", "lastKnownExploitAt", "lastInUseAt"}


def _event_shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: event_time(v) if k in _TIME_KEYS and isinstance(v, (int, float)) else _event_shape(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_event_shape(v) for v in value]
    return value


class Emulator:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.wake = threading.Event()
        self.offset = 0.0
        # Continuous scanning (the background thread); the admin route switches it.
        self.scanning = os.environ.get("LOCALAWS_INSPECTOR2_SCANNING", "1").lower() not in ("0", "false", "off", "no")
        self.status: dict[tuple[str, str], dict[str, bool]] = {}
        self.configs: dict[tuple[str, str], Config] = {}
        self.findings: dict[str, Finding] = {}
        self.coverage: dict[tuple[str, str, str, str], dict] = {}
        self.scanned: dict[tuple[str, str, str], Any] = {}  # (account, region, resource) -> fingerprint
        self.first_seen: dict[tuple[str, str, str], float] = {}  # ECR images: emulator time of first sight
        self.initially_scanned: set[tuple[str, str, str]] = set()  # resources whose Inspector2 Scan event went out
        self.events_sent = 0
        self.passes = 0
        self.last_pass_seconds = 0.0

    # --- clock -----------------------------------------------------------------------
    def now(self) -> float:
        return time.time() + self.offset

    # --- organisation -------------------------------------------------------------------
    @staticmethod
    def backend(account: str, region: str):
        from moto.inspector2.models import inspector2_backends

        return inspector2_backends[account][region]

    @staticmethod
    def admin_of(account: str, region: str) -> str | None:
        from moto.inspector2.models import inspector2_backends

        for admin_id, regions in list(inspector2_backends.items()):
            if admin_id == account:
                continue
            backend = regions.get(region)
            member = backend.members.get(account) if backend is not None else None
            if member is not None and member.status == "ENABLED":
                return admin_id
        return None

    def members_of(self, account: str, region: str) -> list[str]:
        return [m for m, member in list(self.backend(account, region).members.items()) if member.status == "ENABLED" and m != account]

    def visible_accounts(self, account: str, region: str) -> set[str]:
        return {account, *self.members_of(account, region)}

    def root_of(self, account: str, region: str) -> str:
        """The account whose configuration and suppression rules apply to `account`."""
        return self.admin_of(account, region) or account

    # --- enablement ---------------------------------------------------------------------
    def enabled(self, account: str, region: str) -> dict[str, bool]:
        return self.status.get((account, region)) or dict.fromkeys(RESOURCE_TYPES, False)

    def set_enabled(self, account: str, region: str, types: list[str], enable: bool) -> None:
        state = self.status.setdefault((account, region), dict.fromkeys(RESOURCE_TYPES, False))
        for kind in types:
            state[kind] = enable
        self.wake.set()

    def any_enabled(self) -> bool:
        return any(any(types.values()) for types in self.status.values())

    def account_json(self, account: str, region: str) -> dict:
        state = self.enabled(account, region)
        words = {k: "ENABLED" if state[k] else "DISABLED" for k in RESOURCE_TYPES}
        return {
            "accountId": account,
            "status": "ENABLED" if any(state.values()) else "DISABLED",
            "resourceStatus": {STATUS_KEYS[k]: words[k] for k in RESOURCE_TYPES},
        }

    def account_state_json(self, account: str, region: str) -> dict:
        plain = self.account_json(account, region)
        return {
            "accountId": account,
            "state": {"status": plain["status"]},
            "resourceState": {key: {"status": value} for key, value in plain["resourceStatus"].items()},
        }

    # --- configuration ------------------------------------------------------------------
    def config(self, account: str, region: str) -> Config:
        return self.configs.setdefault((self.root_of(account, region), region), Config())

    # --- findings -------------------------------------------------------------------------
    def visible_findings(self, account: str, region: str) -> list[dict]:
        accounts = self.visible_accounts(account, region)
        return [f.data for f in self.findings.values() if f.region == region and f.account in accounts]

    def suppressed(self, finding: Finding) -> bool:
        owners = {finding.account, self.root_of(finding.account, finding.region)}
        for owner in owners:
            for rule in list(self.backend(owner, finding.region).filters.values()):
                if rule.action == "SUPPRESS" and criteria.finding_matches(finding.data, rule.filter_criteria or {}):
                    return True
        return False

    def apply_suppression(self, finding: Finding, now: float, announce: bool = True) -> None:
        if finding.data["status"] == "CLOSED":
            return
        wanted = "SUPPRESSED" if self.suppressed(finding) else "ACTIVE"
        if finding.data["status"] != wanted:
            finding.data["status"] = wanted
            finding.data["updatedAt"] = now
            if announce:
                self.finding_event(finding)

    def resuppress(self, region: str | None = None) -> None:
        """Re-evaluate every open finding against the suppression rules (a rule changed)."""
        with self.lock:
            now = self.now()
            for finding in list(self.findings.values()):
                if region is None or finding.region == region:
                    self.apply_suppression(finding, now)

    # --- events ---------------------------------------------------------------------------
    def put_event(self, account: str, region: str, detail_type: str, detail: dict, resources: list[str]) -> None:
        """Onto the default bus of `account` and of its delegated administrator (User Guide,
        "Creating custom responses to Amazon Inspector findings with Amazon EventBridge")."""
        from moto.events.models import events_backends

        targets = [account]
        admin = self.admin_of(account, region)
        if admin:
            targets.append(admin)
        for target in targets:
            entry = {
                "Source": "aws.inspector2",
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
                "Resources": resources,
                "Time": self.now(),
            }
            try:
                events_backends[target][region].put_events([entry])
                self.events_sent += 1
            except Exception as err:  # a broken rule target must not stop the scanner
                print(f"localaws inspector2: event to {target}/{region} failed: {err!r}", flush=True)

    def finding_event(self, finding: Finding) -> None:
        detail = _event_shape(copy.deepcopy(finding.data))
        self.put_event(finding.account, finding.region, "Inspector2 Finding", detail, [finding.resource_id])

    # --- retention ------------------------------------------------------------------------
    def expire(self, now: float) -> None:
        for arn, finding in list(self.findings.items()):
            if finding.data["status"] == "CLOSED" and now - finding.data["updatedAt"] > finding.retention:
                del self.findings[arn]

    def describe(self) -> dict:
        with self.lock:
            counts: dict[str, int] = {}
            for finding in self.findings.values():
                counts[finding.data["status"]] = counts.get(finding.data["status"], 0) + 1
            return {
                "clock": self.now(),
                "scanning": self.scanning,
                "offset_seconds": self.offset,
                "passes": self.passes,
                "last_pass_seconds": round(self.last_pass_seconds, 4),
                "findings": counts,
                "coverage": len(self.coverage),
                "events_sent": self.events_sent,
                "enabled": {f"{a}/{r}": [k for k, v in t.items() if v] for (a, r), t in self.status.items()},
            }


emulator = Emulator()
