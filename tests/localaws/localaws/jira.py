"""A Jira Cloud site, as its REST API v3 documentation describes it, for notify-findings'
tickets: create issue, search (enhanced JQL search), get issue, transitions, comments.

Sites live under /_localaws/jira/<site> (a site's base URL stands for
https://<site>.atlassian.net). Requests authenticate as Jira Cloud's do, with Basic
auth of an account's email address and API token; errors have Jira's shape
({"errorMessages": [...], "errors": {field: message}}). Every project has the simplified
workflow: statuses To Do (category "new"), In Progress ("indeterminate") and Done ("done"),
and from each status a transition to each other one, named after its target.

Admin (no authentication):
POST /_localaws/jira {"site": "acme", "users": {"bot@example.com": "<token>"},
                      "projects": {"SEC": ["Bug", "Task"]}}        creates or extends a site
POST /_localaws/jira {"site": "acme", "fail": {"operation": "create", "status": 429,
                      "times": 1, "retry_after": 1, "after_commit": false}}
    the next `times` (or a seeded `rate` of) calls of `operation` (create, search, issue,
    transitions, transition, comment, or any) answer `status`; 429 with Retry-After, as
    Jira's rate limiting does. after_commit: the call takes effect, then the answer is lost
    (a 5xx after the write: what makes blind retries create a second ticket).
GET  /_localaws/jira?site=acme   → {"issues": [{key, summary, status, labels, comments,
                                    transitions, description}], "calls": {operation: n}}
POST /_localaws/jira {"site": "acme", "clear_failures": true} forgets the programmed failures.
POST /_localaws/jira {"site": "acme", "clear": true} forgets the site.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from .faults import Strikes

JIRA_PATH = "/_localaws/jira"
API = "/rest/api/3"
STATUSES = {"To Do": "new", "In Progress": "indeterminate", "Done": "done"}
TRANSITION_IDS = {"To Do": "11", "In Progress": "21", "Done": "31"}
SUMMARY_MAX = 255
SEARCH_FIELDS = {"jql", "nextPageToken", "maxResults", "fields", "expand", "properties", "fieldsByKeys", "failFast", "reconcileIssues"}
INVALID_PAYLOAD = "Invalid request payload. Refer to the REST API documentation and try again."


@dataclass
class Failure(Strikes):
    operation: str
    status: int
    times: int | None = None
    rate: float | None = None
    seed: int | None = None
    retry_after: int = 1
    after_commit: bool = False
    injected: int = 0


@dataclass
class Issue:
    id: str
    key: str
    project: str
    issue_type: str
    summary: str
    description: dict
    labels: list[str]
    status: str = "To Do"
    comments: list[dict] = field(default_factory=list)
    transitions: list[str] = field(default_factory=list)
    created: float = field(default_factory=time.time)


@dataclass
class Site:
    users: dict[str, str] = field(default_factory=dict)
    projects: dict[str, list[str]] = field(default_factory=dict)
    issues: dict[str, Issue] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    calls: Counter = field(default_factory=Counter)
    next_id: int = 10000


class JiraError(Exception):
    def __init__(self, status: int, messages: list[str] | None = None, errors: dict | None = None):
        super().__init__(status)
        self.status = status
        self.body = {"errorMessages": messages or [], "errors": errors or {}}


_lock = threading.Lock()
_sites: dict[str, Site] = {}


class JiraMiddleware:
    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(JIRA_PATH):
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        rest = path[len(JIRA_PATH) :]
        if rest in ("", "/"):
            return self._admin(environ, start_response, body)
        site_name, _, api_path = rest.lstrip("/").partition("/")
        api_path = "/" + api_path
        with _lock:
            site = _sites.get(site_name)
            if site is None:
                # Atlassian answers an unknown site with a 404 page, not the API.
                return _answer(start_response, 404, {"errorMessages": ["Site temporarily unavailable"], "errors": {}})
            try:
                _authenticate(site, environ)
                operation, handler = _route(environ.get("REQUEST_METHOD", "GET"), api_path)
                site.calls[operation] += 1
                failure = _failure(site, operation)
                if failure is not None and not failure.after_commit:
                    return _failed(start_response, failure)
                status, answer = handler(site, api_path, _json(body) if body else None, environ, _base(environ, site_name))
                if failure is not None:
                    return _failed(start_response, failure)
                return _answer(start_response, status, answer)
            except JiraError as err:
                return _answer(start_response, err.status, err.body)

    def _admin(self, environ: dict, start_response: Callable, body: bytes) -> list[bytes]:
        if environ.get("REQUEST_METHOD") == "POST":
            try:
                request = json.loads(body or b"{}")
                _program(request)
            except (ValueError, TypeError, KeyError) as err:
                return _answer(start_response, 400, {"message": str(err)})
            name = request["site"]
        else:
            name = parse_qs(environ.get("QUERY_STRING", "")).get("site", [""])[0]
        with _lock:
            site = _sites.get(name)
            if site is None:
                return _answer(start_response, 404, {"message": f"no Jira site {name!r}: create it with POST {JIRA_PATH} {{\"site\": ...}}"})
            return _answer(start_response, 200, {"issues": [_describe(i) for i in site.issues.values()], "calls": dict(site.calls)})


def _program(request: dict) -> None:
    name = request["site"]
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9-]+", name):
        raise ValueError("site must be lower-case letters, digits and -")
    with _lock:
        if request.get("clear"):
            _sites.pop(name, None)
            return
        site = _sites.setdefault(name, Site())
        if request.get("clear_failures"):
            site.failures.clear()
        site.users.update(request.get("users") or {})
        for key, types in (request.get("projects") or {}).items():
            site.projects[key] = list(types)
        fail = request.get("fail")
        if fail:
            if fail.get("times") is None and fail.get("rate") is None:
                raise ValueError("fail needs times (the next N calls) or rate (a share of them)")
            site.failures.append(Failure(**fail))


def _describe(issue: Issue) -> dict:
    return {
        "key": issue.key,
        "summary": issue.summary,
        "status": issue.status,
        "labels": issue.labels,
        "issue_type": issue.issue_type,
        "comments": [_text(c["body"]) for c in issue.comments],
        "transitions": issue.transitions,
        "description": _text(issue.description),
    }


def _text(document: dict) -> str:
    """The text of an Atlassian Document, for assertions."""
    parts: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text":
                parts.append(node.get("text", ""))
            for child in node.get("content") or []:
                walk(child)
            if node.get("type") == "paragraph":
                parts.append("\n")

    walk(document)
    return "".join(parts).strip()


def _authenticate(site: Site, environ: dict) -> None:
    header = environ.get("HTTP_AUTHORIZATION", "")
    if header.startswith("Basic "):
        try:
            email, _, token = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            email, token = "", ""
        if email and site.users.get(email) == token:
            return
    raise JiraError(401, ["You are not authenticated. Authentication required to perform this operation."])


def _route(method: str, path: str) -> tuple[str, Callable]:
    if not path.startswith(API + "/"):
        raise JiraError(404, ["No API at this address: Jira Cloud's REST API v3 is under /rest/api/3."])
    rest = path[len(API) :]
    if method == "POST" and rest == "/issue":
        return "create", _create
    if method == "POST" and rest == "/search/jql":
        return "search", _search
    if method == "POST" and rest == "/search":
        raise JiraError(410, ["The requested API has been removed. Please migrate to the /rest/api/3/search/jql API."])
    match = re.fullmatch(r"/issue/([^/]+)(/transitions|/comment)?", rest)
    if match:
        tail = match.group(2)
        if method == "GET" and tail is None:
            return "issue", _get_issue
        if tail == "/transitions":
            return ("transitions", _transitions) if method == "GET" else ("transition", _transition)
        if method == "POST" and tail == "/comment":
            return "comment", _comment
    raise JiraError(405 if match else 404, [f"{method} {path} is not an operation of Jira's REST API v3 here."])


def _failure(site: Site, operation: str) -> Failure | None:
    for failure in site.failures:
        if failure.operation in (operation, "any") and not failure.spent() and failure.strikes():
            return failure
    return None


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        raise JiraError(400, ["Unexpected character: the request body is not JSON."]) from None


def _base(environ: dict, site: str) -> str:
    return f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}{JIRA_PATH}/{site}"


def _issue(site: Site, key: str) -> Issue:
    issue = site.issues.get(key) or next((i for i in site.issues.values() if i.id == key), None)
    if issue is None:
        raise JiraError(404, ["Issue does not exist or you do not have permission to see it."])
    return issue


def _is_document(value: object) -> bool:
    return isinstance(value, dict) and value.get("type") == "doc" and value.get("version") == 1 and isinstance(value.get("content"), list)


def _create(site: Site, _path: str, body: object, _environ: dict, base: str) -> tuple[int, dict]:
    fields = body.get("fields") if isinstance(body, dict) else None
    if not isinstance(fields, dict):
        raise JiraError(400, ["Issue must have fields."])
    errors = {}
    project = (fields.get("project") or {}).get("key")
    if project not in site.projects:
        errors["project"] = "valid project is required"
    issue_type = (fields.get("issuetype") or {}).get("name")
    if project in site.projects and issue_type not in site.projects[project]:
        errors["issuetype"] = "Specify a valid issue type"
    summary = fields.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors["summary"] = "You must specify a summary of the issue."
    elif len(summary) > SUMMARY_MAX or "\n" in summary:
        errors["summary"] = "Summary must be less than 255 characters." if len(summary) > SUMMARY_MAX else "The summary is invalid because it contains newline characters."
    description = fields.get("description")
    if description is not None and not _is_document(description):
        errors["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
    labels = fields.get("labels") or []
    bad = [label for label in labels if not isinstance(label, str) or " " in label or len(label) > 255]
    if bad:
        errors["labels"] = f"The label '{bad[0]}' contains spaces which is invalid."
    if errors:
        raise JiraError(400, [], errors)
    site.next_id += 1
    number = sum(1 for i in site.issues.values() if i.project == project) + 1
    issue = Issue(str(site.next_id), f"{project}-{number}", project, issue_type, summary, description or {}, list(labels))
    site.issues[issue.key] = issue
    return 201, {"id": issue.id, "key": issue.key, "self": f"{base}{API}/issue/{issue.id}"}


JQL_CLAUSE = re.compile(r'\s*(project|labels|key|status|issuetype)\s*=\s*("([^"]*)"|([^\s"]+))\s*', re.IGNORECASE)


def _search(site: Site, _path: str, body: object, _environ: dict, base: str) -> tuple[int, dict]:
    if not isinstance(body, dict) or set(body) - SEARCH_FIELDS:
        raise JiraError(400, [INVALID_PAYLOAD])
    jql = body.get("jql")
    if not isinstance(jql, str) or not jql.strip():
        raise JiraError(400, ["The JQL query is required and must be bounded (name a project or another restriction)."])
    clauses = []
    for part in re.split(r"\s+AND\s+", jql.strip(), flags=re.IGNORECASE):
        match = JQL_CLAUSE.fullmatch(part)
        if not match:
            raise JiraError(400, [f"Error in the JQL Query: this site understands field = value clauses joined by AND, not {part!r}."])
        clauses.append((match.group(1).lower(), match.group(3) if match.group(3) is not None else match.group(4)))
    wanted = body.get("fields") or ["id"]
    found = [i for i in sorted(site.issues.values(), key=lambda i: int(i.id)) if all(_matches(i, name, value) for name, value in clauses)]
    limit = int(body.get("maxResults") or 50)
    start = int(body.get("nextPageToken") or 0)
    page = found[start : start + limit]
    answer: dict = {"issues": [_issue_json(i, wanted, base) for i in page], "isLast": start + limit >= len(found)}
    if not answer["isLast"]:
        answer["nextPageToken"] = str(start + limit)
    return 200, answer


def _matches(issue: Issue, name: str, value: str) -> bool:
    return {
        "project": issue.project == value,
        "labels": value in issue.labels,
        "key": issue.key == value,
        "status": issue.status.lower() == value.lower(),
        "issuetype": issue.issue_type.lower() == value.lower(),
    }[name]


def _status_json(issue: Issue) -> dict:
    return {"name": issue.status, "statusCategory": {"key": STATUSES[issue.status]}}


def _issue_json(issue: Issue, wanted: list[str], base: str) -> dict:
    all_fields = {
        "summary": issue.summary,
        "status": _status_json(issue),
        "labels": issue.labels,
        "issuetype": {"name": issue.issue_type},
        "project": {"key": issue.project},
        "description": issue.description,
    }
    fields = all_fields if "*all" in wanted else {k: v for k, v in all_fields.items() if k in wanted}
    return {"id": issue.id, "key": issue.key, "self": f"{base}{API}/issue/{issue.id}", "fields": fields}


def _key_of(path: str) -> str:
    return path[len(API) :].split("/")[2]


def _get_issue(site: Site, path: str, _body: object, environ: dict, base: str) -> tuple[int, dict]:
    issue = _issue(site, _key_of(path))
    wanted = ",".join(parse_qs(environ.get("QUERY_STRING", "")).get("fields", ["*all"])).split(",")
    return 200, _issue_json(issue, wanted, base)


def _transitions(site: Site, path: str, _body: object, _environ: dict, _base_url: str) -> tuple[int, dict]:
    issue = _issue(site, _key_of(path))
    return 200, {
        "expand": "transitions",
        "transitions": [
            {"id": TRANSITION_IDS[status], "name": status, "hasScreen": False, "to": {"name": status, "statusCategory": {"key": category}}}
            for status, category in STATUSES.items()
            if status != issue.status
        ],
    }


def _transition(site: Site, path: str, body: object, _environ: dict, _base_url: str) -> tuple[int, dict | None]:
    issue = _issue(site, _key_of(path))
    wanted = ((body or {}).get("transition") or {}).get("id") if isinstance(body, dict) else None
    target = next((s for s, i in TRANSITION_IDS.items() if i == str(wanted) and s != issue.status), None)
    if target is None:
        raise JiraError(400, [f"Transition id '{wanted}' is not valid for this issue."])
    issue.status = target
    issue.transitions.append(target)
    return 204, None


def _comment(site: Site, path: str, body: object, _environ: dict, base: str) -> tuple[int, dict]:
    issue = _issue(site, _key_of(path))
    document = body.get("body") if isinstance(body, dict) else None
    if not _is_document(document):
        raise JiraError(400, [], {"comment": "Comment body must be an Atlassian Document (see the Atlassian Document Format)"})
    comment = {"id": str(10000 + len(issue.comments)), "body": document, "created": time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime())}
    issue.comments.append(comment)
    return 201, {**comment, "self": f"{base}{API}/issue/{issue.id}/comment/{comment['id']}"}


def _failed(start_response: Callable, failure: Failure) -> list[bytes]:
    if failure.status == 429:
        body = json.dumps({"errorMessages": ["Rate limit exceeded."], "errors": {}}).encode()
        start_response("429 Too Many Requests", [("Content-Type", "application/json"), ("Retry-After", str(failure.retry_after)), ("Content-Length", str(len(body)))])
        return [body]
    return _answer(start_response, failure.status, {"errorMessages": ["Internal server error"], "errors": {}})


def _answer(start_response: Callable, status: int, body: dict | None) -> list[bytes]:
    data = b"" if body is None else json.dumps(body).encode()
    reason = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed", 410: "Gone", 429: "Too Many Requests"}.get(status, "Error")
    start_response(f"{status} {reason}", [("Content-Type", "application/json;charset=UTF-8"), ("Content-Length", str(len(data)))])
    return [data]
