"""Run settings: the environment variable read at start-up, the Settings store, and the admin route."""

import json
import urllib.error
import urllib.request

import pytest
from inspector_helpers import admin, fresh_account_id

from localaws.inspector import settings as settings_module
from localaws.inspector.settings import RunSettings, Settings, SettingsError


def test_findings_per_instance_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(settings_module.FINDINGS_PER_INSTANCE_ENV, "25")
    assert settings_module._default_from_environment() == RunSettings(findings_per_instance=25)
    monkeypatch.delenv(settings_module.FINDINGS_PER_INSTANCE_ENV)
    assert settings_module._default_from_environment() == RunSettings()
    for bad in ("many", "-1", "1001"):
        monkeypatch.setenv(settings_module.FINDINGS_PER_INSTANCE_ENV, bad)
        with pytest.raises(SettingsError):
            settings_module._default_from_environment()


def test_account_settings_override_the_default_until_reset():
    store = Settings(RunSettings())
    store.update({"findings_per_instance": 7}, account_id="123456789012")
    store.update({"complete_runs": False})
    assert store.for_account("123456789012") == RunSettings(findings_per_instance=7, complete_runs=True)
    assert store.for_account("210987654321") == RunSettings(complete_runs=False)
    store.reset("123456789012")
    assert store.for_account("123456789012") == RunSettings(complete_runs=False)
    for bad in ({"findings_per_instance": True}, {"findings_per_instance": 1.5}, {"complete_runs": "no"}, {"colour": "blue"}):
        with pytest.raises(SettingsError):
            store.update(bad)


def post(endpoint, body, method="POST"):
    request = urllib.request.Request(
        f"{endpoint}/_localaws/inspector/config", data=json.dumps(body).encode(), method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_admin_route_changes_one_account_and_resets_it(endpoint):
    account = fresh_account_id()
    before = admin(endpoint)
    assert set(before) == {"default", "accounts"}
    assert set(before["default"]) == {"findings_per_instance", "complete_runs"}

    changed = admin(endpoint, {"account_id": account, "findings_per_instance": 3, "complete_runs": False})
    assert changed["accounts"][account] == {"findings_per_instance": 3, "complete_runs": False}
    assert changed["default"] == before["default"]

    reset = admin(endpoint, {"account_id": account, "reset": True})
    assert account not in reset["accounts"]


@pytest.mark.parametrize(
    ("body", "method", "status"),
    [
        ({"account_id": "123456789012", "findings_per_instance": -1}, "POST", 400),
        ({"account_id": "123456789012", "findings_per_instance": "ten"}, "POST", 400),
        ({"account_id": "123456789012", "unknown": 1}, "POST", 400),
        ({"account_id": "12345", "findings_per_instance": 1}, "POST", 400),
        ({"reset": True}, "POST", 400),
        ([1, 2], "POST", 400),
        ({}, "PUT", 405),
    ],
)
def test_admin_route_rejects_what_it_cannot_apply(endpoint, body, method, status):
    before = admin(endpoint)
    answer_status, answer = post(endpoint, body, method)
    assert answer_status == status
    assert answer["message"]
    after = admin(endpoint)
    assert after["default"] == before["default"]
    assert "123456789012" not in after["accounts"]
