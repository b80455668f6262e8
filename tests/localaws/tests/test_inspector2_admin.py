"""The Inspector v2 emulator's admin route: state, forced passes, the clock, and switching
continuous scanning off and on."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from inspector2_helpers import Org, eq, run_instance, scan


def _post(endpoint: str, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(f"{endpoint}/_localaws/inspector2/scan", data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_state_and_bad_requests(endpoint):
    with urllib.request.urlopen(f"{endpoint}/_localaws/inspector2/scan", timeout=10) as response:
        state = json.loads(response.read())
    assert {"clock", "scanning", "passes", "last_pass_seconds", "findings", "events_sent", "enabled"} <= set(state)
    for body in (b"[]", b"{", json.dumps({"advance_seconds": -1}).encode(), json.dumps({"advance_seconds": "1"}).encode(),
                 json.dumps({"scanning": "no"}).encode(), json.dumps({"advance_seconds": 10**9}).encode()):
        status, answer = _post(endpoint, body)
        assert status == 400 and answer["message"], body
    clock = scan(endpoint)["clock"]
    assert scan(endpoint, advance_seconds=60)["clock"] >= clock + 60


def test_continuous_scanning_can_be_switched_off(accounts, endpoint):
    org = Org.create(accounts, members=1, enable=["EC2"])
    admin = org.client(org.admin)
    status, _ = _post(endpoint, json.dumps({"scanning": False}).encode())
    assert status == 200
    try:
        instance = run_instance(org.client(org.members[0], "ec2"))
        time.sleep(2.5)  # more than two background intervals
        assert admin.list_findings(filterCriteria={"resourceId": eq(instance)})["findings"] == []
        # A forced pass still scans.
        assert scan(endpoint)["scanning"] is False
        assert admin.list_findings(filterCriteria={"resourceId": eq(instance)})["findings"] != []
    finally:
        status, answer = _post(endpoint, json.dumps({"scanning": True}).encode())
        assert status == 200 and answer["scanning"] is True
