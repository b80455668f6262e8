"""The local Jira Cloud site answers REST API v3 as documented: authentication, Jira's
error shape, the simplified workflow, enhanced JQL search, and programmed rate limiting."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request

import pytest

ADF = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "CVE-2024-6119 on i-0abc"}]}]}


def call(url: str, method: str = "GET", body: object = None, auth: tuple[str, str] | None = None) -> tuple[int, dict, object]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            raw = answer.read()
            return answer.status, dict(answer.headers), json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, dict(err.headers), json.loads(raw) if raw else None


@pytest.fixture
def site(endpoint, unique):
    name = f"acme-{unique}".lower()
    call(f"{endpoint}/_localaws/jira", "POST", {"site": name, "users": {"bot@example.com": "s3cret"}, "projects": {"SEC": ["Bug", "Task"]}})
    base = f"{endpoint}/_localaws/jira/{name}/rest/api/3"
    yield {"name": name, "base": base, "auth": ("bot@example.com", "s3cret"), "admin": f"{endpoint}/_localaws/jira"}
    call(f"{endpoint}/_localaws/jira", "POST", {"site": name, "clear": True})


def create(site: dict, **fields) -> tuple[int, dict, object]:
    body = {"fields": {"project": {"key": "SEC"}, "issuetype": {"name": "Bug"}, "summary": "CVE-2024-6119", "description": ADF, "labels": ["inspectorlink", "il-abc"], **fields}}
    return call(f"{site['base']}/issue", "POST", body, site["auth"])


def test_an_issue_is_created_found_by_label_transitioned_commented_and_reopened(site):
    status, _, created = create(site)
    assert status == 201 and created["key"] == "SEC-1" and created["self"].endswith(f"/issue/{created['id']}")
    status, _, found = call(f"{site['base']}/search/jql", "POST", {"jql": 'project = SEC AND labels = "il-abc"', "fields": ["status"]}, site["auth"])
    assert status == 200 and [i["key"] for i in found["issues"]] == ["SEC-1"] and found["isLast"] is True
    assert "nextPageToken" not in found, "Jira leaves it out on the last page"
    assert found["issues"][0]["fields"] == {"status": {"name": "To Do", "statusCategory": {"key": "new"}}}

    _, _, transitions = call(f"{site['base']}/issue/SEC-1/transitions", auth=site["auth"])
    done = next(t for t in transitions["transitions"] if t["name"] == "Done")
    assert done["to"]["statusCategory"]["key"] == "done"
    assert call(f"{site['base']}/issue/SEC-1/transitions", "POST", {"transition": {"id": done["id"]}}, site["auth"])[0] == 204
    assert call(f"{site['base']}/issue/SEC-1/comment", "POST", {"body": ADF}, site["auth"])[0] == 201
    _, _, issue = call(f"{site['base']}/issue/SEC-1?fields=status", auth=site["auth"])
    assert issue["fields"]["status"]["statusCategory"]["key"] == "done"
    # Done offers no transition to Done again; To Do reopens it.
    _, _, transitions = call(f"{site['base']}/issue/SEC-1/transitions", auth=site["auth"])
    assert "Done" not in [t["name"] for t in transitions["transitions"]]
    status, _, error = call(f"{site['base']}/issue/SEC-1/transitions", "POST", {"transition": {"id": done["id"]}}, site["auth"])
    assert status == 400 and error == {"errorMessages": [f"Transition id '{done['id']}' is not valid for this issue."], "errors": {}}
    call(f"{site['base']}/issue/SEC-1/transitions", "POST", {"transition": {"id": "11"}}, site["auth"])
    _, _, state = call(site["admin"] + f"?site={site['name']}")
    assert state["issues"][0]["transitions"] == ["Done", "To Do"] and state["issues"][0]["comments"] == ["CVE-2024-6119 on i-0abc"]


def test_bad_requests_get_jiras_error_shape_and_change_nothing(site):
    assert call(f"{site['base']}/issue/SEC-1", auth=("bot@example.com", "wrong"))[0] == 401
    status, _, error = call(f"{site['base']}/issue/SEC-1")
    assert status == 401 and error["errorMessages"][0].startswith("You are not authenticated")
    status, _, error = create(site, project={"key": "NOPE"}, summary="x" * 256, labels=["has space"], description="plain text")
    assert status == 400 and error["errorMessages"] == []
    assert set(error["errors"]) == {"project", "summary", "labels", "description"}
    status, _, error = create(site, issuetype={"name": "Epic"})
    assert (status, error["errors"]) == (400, {"issuetype": "Specify a valid issue type"})
    status, _, error = call(f"{site['base']}/search/jql", "POST", {"jql": "project = SEC", "startAt": 0}, site["auth"])
    assert (status, error["errorMessages"]) == (400, ["Invalid request payload. Refer to the REST API documentation and try again."])
    assert call(f"{site['base']}/search", "POST", {"jql": "project = SEC"}, site["auth"])[0] == 410
    status, _, error = call(f"{site['base']}/issue/SEC-9", auth=site["auth"])
    assert status == 404 and error["errorMessages"] == ["Issue does not exist or you do not have permission to see it."]
    _, _, state = call(site["admin"] + f"?site={site['name']}")
    assert state["issues"] == []


def test_rate_limits_answer_429_with_retry_after_and_a_lost_answer_still_creates(site):
    call(site["admin"], "POST", {"site": site["name"], "fail": {"operation": "create", "status": 429, "times": 1, "retry_after": 7}})
    status, headers, error = create(site)
    assert (status, headers["Retry-After"], error["errorMessages"]) == (429, "7", ["Rate limit exceeded."])
    call(site["admin"], "POST", {"site": site["name"], "fail": {"operation": "create", "status": 502, "times": 1, "after_commit": True}})
    assert create(site)[0] == 502
    _, _, state = call(site["admin"] + f"?site={site['name']}")
    assert [i["key"] for i in state["issues"]] == ["SEC-1"], "the 429 created nothing; the lost answer did create"
    assert state["calls"]["create"] == 2
