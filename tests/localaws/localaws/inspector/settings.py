"""How assessment runs behave in the local AWS; set at start-up and by the admin call.

- findings_per_instance: findings each EC2 instance of a run produces (spread over the
  template's rules packages). LOCALAWS_INSPECTOR_FINDINGS_PER_INSTANCE sets the default.
- complete_runs: True completes a run inside StartAssessmentRun; False leaves it
  COLLECTING_DATA until StopAssessmentRun, so that in-progress behaviour can be tested.

Settings are server-wide defaults with optional per-account overrides, so a test can change
them for an account of its own without affecting other tests sharing the server.
"""

from __future__ import annotations

import os
import threading
from dataclasses import asdict, dataclass, replace

FINDINGS_PER_INSTANCE_ENV = "LOCALAWS_INSPECTOR_FINDINGS_PER_INSTANCE"
# One finding per severity, so a default run shows every severity.
DEFAULT_FINDINGS_PER_INSTANCE = 4
MAX_FINDINGS_PER_INSTANCE = 1000


class SettingsError(ValueError):
    """A settings value the caller can fix; the message says how."""


@dataclass(frozen=True)
class RunSettings:
    findings_per_instance: int = DEFAULT_FINDINGS_PER_INSTANCE
    complete_runs: bool = True

    def updated(self, changes: dict) -> RunSettings:
        unknown = set(changes) - set(asdict(self))
        if unknown:
            raise SettingsError(f"unknown settings {sorted(unknown)}; known: {sorted(asdict(self))}")
        if "findings_per_instance" in changes:
            _check_findings_per_instance(changes["findings_per_instance"])
        if "complete_runs" in changes and not isinstance(changes["complete_runs"], bool):
            raise SettingsError("complete_runs must be true or false")
        return replace(self, **changes)


def _check_findings_per_instance(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FINDINGS_PER_INSTANCE:
        raise SettingsError(f"findings_per_instance must be an integer from 0 to {MAX_FINDINGS_PER_INSTANCE}")


def _default_from_environment() -> RunSettings:
    raw = os.environ.get(FINDINGS_PER_INSTANCE_ENV, "")
    if not raw:
        return RunSettings()
    if not raw.isdigit():
        raise SettingsError(f"{FINDINGS_PER_INSTANCE_ENV}={raw} is not a whole number")
    return RunSettings().updated({"findings_per_instance": int(raw)})


class Settings:
    def __init__(self, default: RunSettings):
        self._lock = threading.Lock()
        self._default = default
        self._accounts: dict[str, RunSettings] = {}

    def for_account(self, account_id: str) -> RunSettings:
        with self._lock:
            return self._accounts.get(account_id, self._default)

    def update(self, changes: dict, account_id: str | None = None) -> None:
        """Change the default, or (with account_id) that account's settings."""
        with self._lock:
            if account_id is None:
                self._default = self._default.updated(changes)
            else:
                self._accounts[account_id] = self._accounts.get(account_id, self._default).updated(changes)

    def reset(self, account_id: str) -> None:
        """Make an account follow the default again."""
        with self._lock:
            self._accounts.pop(account_id, None)

    def describe(self) -> dict:
        with self._lock:
            return {
                "default": asdict(self._default),
                "accounts": {account: asdict(values) for account, values in self._accounts.items()},
            }


settings = Settings(_default_from_environment())
