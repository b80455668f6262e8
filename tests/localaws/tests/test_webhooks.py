"""Slack and Teams webhooks answer as those services do, and what they accept is in the mailbox."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest


def post(url: str, body: object, raw: bytes | None = None) -> tuple[int, dict, bytes]:
    data = raw if raw is not None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def mailbox(endpoint: str, to: str) -> list[dict]:
    with urllib.request.urlopen(f"{endpoint}/_localaws/sns/mailbox?to={urllib.parse.quote(to, safe='')}", timeout=30) as answer:
        return json.loads(answer.read())["messages"]


TEAMS_CARD = {
    "type": "message",
    "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": {"type": "AdaptiveCard", "version": "1.4", "body": []}}],
}


@pytest.fixture
def hooks(endpoint, unique):
    yield {"slack": f"{endpoint}/_localaws/webhooks/slack/T{unique}/B0/x", "teams": f"{endpoint}/_localaws/webhooks/teams/{unique}/wf"}
    post(f"{endpoint}/_localaws/webhooks", {"clear": True, "path": f"/slack/T{unique}"})
    post(f"{endpoint}/_localaws/webhooks", {"clear": True, "path": f"/teams/{unique}"})


def test_accepted_messages_are_in_the_mailbox_with_slacks_and_teams_answers(endpoint, hooks):
    status, _, body = post(hooks["slack"], {"text": "CVE-2024-6119 on 6 resources", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}]})
    assert (status, body) == (200, b"ok")
    status, _, _ = post(hooks["teams"], TEAMS_CARD | {"summary": "KEV"})
    assert status == 202
    slack = mailbox(endpoint, hooks["slack"])
    assert [(m["protocol"], m["subject"]) for m in slack] == [("slack", "CVE-2024-6119 on 6 resources")]
    assert json.loads(slack[0]["body"])["blocks"][0]["type"] == "section"
    assert [m["subject"] for m in mailbox(endpoint, hooks["teams"])] == ["KEV"]


def test_malformed_messages_are_refused_as_slack_and_teams_refuse_them_and_not_delivered(endpoint, hooks):
    assert post(hooks["slack"], None, raw=b"not json")[::2] == (400, b"invalid_payload")
    assert post(hooks["slack"], {"username": "x"})[::2] == (400, b"no_text")
    header = {"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]}
    assert post(hooks["slack"], header)[::2] == (400, b"invalid_blocks")
    status, _, body = post(hooks["teams"], {"text": "legacy connector card"})
    assert status == 400 and json.loads(body)["error"]["code"] == "InvalidRequestContent"
    assert mailbox(endpoint, hooks["slack"]) == [] and mailbox(endpoint, hooks["teams"]) == []


def test_programmed_failures_strike_the_next_posts_then_stop(endpoint, hooks, unique):
    path = f"/slack/T{unique}"
    post(f"{endpoint}/_localaws/webhooks", {"fail": {"path": path, "status": 429, "times": 1, "retry_after": 3}})
    post(f"{endpoint}/_localaws/webhooks", {"fail": {"path": path, "status": 503, "times": 1}})
    status, headers, body = post(hooks["slack"], {"text": "a"})
    assert (status, headers.get("Retry-After"), body) == (429, "3", b"rate_limited")
    assert post(hooks["slack"], {"text": "a"})[0] == 503
    assert post(hooks["slack"], {"text": "a"})[0] == 200
    assert len(mailbox(endpoint, hooks["slack"])) == 1
    with urllib.request.urlopen(f"{endpoint}/_localaws/webhooks", timeout=30) as answer:
        state = json.loads(answer.read())
    assert [f["injected"] for f in state["failures"] if f["path"] == path] == [1, 1]
    assert state["received"][f"{path}/B0/x"] == 1
    status, _, body = post(f"{endpoint}/_localaws/webhooks", {"fail": {"path": path, "status": 500}})
    assert status == 400 and b"times" in body
