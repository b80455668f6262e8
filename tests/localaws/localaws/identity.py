"""Identity policies enforced for the roles our system creates, as IAM authorises requests.

moto evaluates no identity policy: without this, a role missing a permission (or holding a
needless one) passes every test. For a request signed by a session of an enforced role
(`POST /_localaws/iam {"enforce": ["arn:aws:iam::*:role/<prefix>-*", ...]}`, ARN globs;
roles that do not exist in IAM are never enforced, so the test harness's own keys keep
working), the middleware works out what IAM would check and decides as AWS does
(IAM User Guide, "Policy evaluation logic"):

- the action and resource ARN of the call (S3 objects and buckets, SQS queues, SNS
  topics, DynamoDB tables, KMS keys, roles to assume, OpenSearch domain paths; "*" for the
  Inspector and EC2 reads, which have no resource-level permissions);
- what the service checks on the caller's behalf: kms:GenerateDataKey / kms:Decrypt on the
  key of an SSE-KMS object, an encrypted queue or topic, with kms:ViaService and the
  service's encryption context;
- the decision: an explicit Deny in the role's policies (inline and attached), its
  permissions boundary or the resource's policy (bucket, queue, topic) wins; otherwise the
  role's policies or the resource policy may allow a call in the role's own account, and
  both must allow one in another account. A KMS key's policy must allow, either naming the
  role or delegating to its account, whose identity policies then decide. A role's trust
  policy is checked by sts:AssumeRole itself (patches.sts_trust_policy); a role that does
  not exist cannot be assumed (moto would hand out keys for it).

EventBridge putting an event on another bus with an enforced target role is checked the
same way (`service_role_may`, called by patches.events_targets_get_the_whole_event).

A denied call answers AccessDenied in the service's error shape with AWS's message
("User: <session> is not authorized to perform: <action> on resource: <arn> because no
identity-based policy allows the <action> action"). A call whose resource this module
cannot work out is denied too, saying so: an unmodelled call must not pass unchecked.

POST {"enforce": [globs]} adds patterns, {"release": [globs]} removes them, {"clear_log":
[globs]} forgets what the matching roles did: tests that share one local AWS each enforce
their own roles. GET /_localaws/iam[?role=<role ARN>] answers the patterns and the access
log: per role, each distinct call (action, resource, decision, the statements that allowed
it or why it was denied) and `unused`, the (policy, Sid, action) entries of its Allow
statements that no allowed call used.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from . import policy
from .credentials import Caller, find_caller
from .faults import aws_error
from .request_counts import OPENSEARCH_PREFIX, credential_scope, operation
from .wsgi import request_body

IAM_PATH = "/_localaws/iam"

# Calls of these services have no resource-level permissions (or none our roles use).
_STAR_SERVICES = {"inspector", "inspector2", "ec2", "cloudwatch"}
# Other calls without resource-level permissions.
_STAR_CALLS = {"iam:ListAccountAliases"}
# Calls that need no permission at all.
_UNAUTHORISED_CALLS = {"sts:GetCallerIdentity"}
# Where each service puts the error of a denied call: (code, HTTP status).
_DENIED = {
    "s3": ("AccessDenied", 403),
    "sts": ("AccessDenied", 403),
    "sns": ("AuthorizationError", 403),
    "sqs": ("AccessDenied", 403),
    "kms": ("AccessDeniedException", 400),
    "dynamodb": ("AccessDeniedException", 400),
    "ec2": ("UnauthorizedOperation", 403),
    "iam": ("AccessDenied", 403),
    "secretsmanager": ("AccessDeniedException", 400),
}


class NotModelled(Exception):
    """This module does not know what IAM checks for the call."""


@dataclass(frozen=True)
class Check:
    """One authorisation a call needs."""

    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)
    # The resource's own policy (bucket, queue, topic), if it has one.
    resource_policy: str | None = None
    resource_account: str | None = None
    # KMS: the key policy decides first.
    key_policy: str | None = None
    # The call this check is made for, when a service checks it on the caller's behalf.
    via: str | None = None
    # The resource does not exist (a role to assume): AWS refuses whatever the policies say.
    missing: bool = False


@dataclass
class Verdict:
    allowed: bool
    reason: str
    # (policy name, statement index, Sid) of the identity statements that allowed it.
    statements: tuple[tuple[str, int, str], ...] = ()


class Enforcement:
    """Which roles are enforced, and what each did: one per process, shared by the
    middleware and the services that act with a role (EventBridge targets)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.patterns: list[str] = []
        # role ARN -> {(action, resource, decision, reason, via): statements}
        self.log: dict[str, dict[tuple, tuple]] = {}

    def enforced(self, role_arn: str) -> bool:
        return any(policy.glob_matches(pattern, role_arn) for pattern in self.patterns)

    def record(self, role_arn: str, check: Check, verdict: Verdict) -> None:
        key = (check.action, check.resource, "allow" if verdict.allowed else "deny", verdict.reason, check.via)
        with self.lock:
            self.log.setdefault(role_arn, {})[key] = verdict.statements


ENFORCEMENT = Enforcement()


def service_role_may(role_arn: str, service: str, source_arn: str, check: Check) -> Verdict | None:
    """Whether a service acting with `role_arn` on our behalf (EventBridge with a target's
    role) may make `check`: the role's trust policy must let the service assume it (with
    aws:SourceArn and aws:SourceAccount of `source_arn`), then its policies decide. None
    when the role is not enforced. Logged like a request."""
    if not ENFORCEMENT.enforced(role_arn):
        return None
    from .patches import existing_role

    role = existing_role(role_arn)
    account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
    session = f"arn:aws:sts::{account}:assumed-role/{name}/{service.split('.')[0]}"
    caller = Caller("", "", None, account, role_arn, session)
    context = {"aws:SourceArn": source_arn, "aws:SourceAccount": source_arn.split(":")[4]}
    if role is None:
        verdict = Verdict(False, f"{service} cannot assume {role_arn}: it does not exist")
    elif policy.evaluate(role.assume_role_policy_document, policy.Principal(service=service), "sts:AssumeRole", role_arn, context) is not policy.Decision.ALLOW:
        verdict = Verdict(False, f"the trust policy of {role_arn} does not let {service} assume it for {source_arn}")
    else:
        verdict = authorise(role, caller, check)
    ENFORCEMENT.record(role_arn, check, verdict)
    return verdict


class IdentityPolicyEnforcer:
    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == IAM_PATH:
            return self._admin(environ, start_response)
        if not ENFORCEMENT.patterns or (path.startswith("/_localaws/") and not path.startswith(OPENSEARCH_PREFIX)):
            return self.app(environ, start_response)
        scope = credential_scope(environ)
        if scope is None:
            return self.app(environ, start_response)
        access_key_id, region, service = scope
        caller = find_caller(access_key_id)
        if caller is None or caller.role_arn is None or not ENFORCEMENT.enforced(caller.role_arn):
            return self.app(environ, start_response)
        from .patches import existing_role

        role = existing_role(caller.role_arn)
        if role is None:
            return self.app(environ, start_response)
        call = f"{service}:{operation(environ, service)}"
        try:
            checks = checks_for(environ, caller, region, service)
        except NotModelled as err:
            reason = f"the local AWS does not model what IAM checks for {call} ({err}); add it to localaws/identity.py"
            ENFORCEMENT.record(caller.role_arn, Check(call, "?"), Verdict(False, reason))
            return _denied(environ, start_response, service, caller, reason)
        for check in checks:
            verdict = authorise(role, caller, check)
            ENFORCEMENT.record(caller.role_arn, check, verdict)
            if not verdict.allowed:
                return _denied(environ, start_response, service, caller, verdict.reason)
        return self.app(environ, start_response)

    def _admin(self, environ: dict, start_response: Callable) -> list[bytes]:
        if environ.get("REQUEST_METHOD") == "POST":
            try:
                body = json.loads(request_body(environ) or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("the body must be a JSON object")
                enforce, release, clear = (_globs(body, name) for name in ("enforce", "release", "clear_log"))
                with ENFORCEMENT.lock:
                    kept = [p for p in ENFORCEMENT.patterns if p not in release]
                    ENFORCEMENT.patterns = kept + [p for p in enforce if p not in kept]
                    ENFORCEMENT.log = {
                        arn: e for arn, e in ENFORCEMENT.log.items() if not any(policy.glob_matches(p, arn) for p in clear)
                    }
            except ValueError as err:
                return _json(start_response, "400 Bad Request", {"message": str(err)})
        role_filter = parse_qs(environ.get("QUERY_STRING", "")).get("role", [None])[0]
        with ENFORCEMENT.lock:
            log = {arn: dict(entries) for arn, entries in ENFORCEMENT.log.items()}
            patterns = list(ENFORCEMENT.patterns)
        # Enforced roles that made no call yet are reported too: every grant of theirs is unused.
        roles = {arn: log.get(arn, {}) for arn in {*log, *_roles_matching(patterns)} if role_filter in (None, arn)}
        return _json(start_response, "200 OK", {"enforce": patterns, "roles": {arn: _report(arn, entries) for arn, entries in sorted(roles.items())}})


def _roles_matching(patterns: list[str]) -> list[str]:
    from moto.iam.models import iam_backends

    return [
        role.arn
        for account_backends in list(iam_backends.values())
        for backend in list(account_backends.values())
        for role in list(backend.roles.values())
        if any(policy.glob_matches(p, role.arn) for p in patterns)
    ]


def _globs(body: dict, name: str) -> list[str]:
    patterns = body.get(name, [])
    if not (isinstance(patterns, list) and all(isinstance(p, str) and p.startswith("arn:") for p in patterns)):
        raise ValueError(f'"{name}" must be a list of role ARN globs, e.g. ["arn:aws:iam::*:role/sbx-*"]')
    return patterns


def _report(role_arn: str, entries: dict[tuple, tuple]) -> dict:
    from .patches import existing_role

    calls = [
        {"action": a, "resource": r, "decision": d, "reason": why, "via": via, "statements": [f"{p}/{sid}" for p, _, sid in used]}
        for (a, r, d, why, via), used in sorted(entries.items(), key=lambda item: item[0][:3])
    ]
    role = existing_role(role_arn)
    unused = []
    if role is not None:
        for name, document in identity_policies(role):
            for index, statement in enumerate(policy.statements_of(document)):
                if statement.get("Effect") != "Allow" or "Action" not in statement:
                    continue
                for pattern in _as_list(statement["Action"]):
                    if not any(
                        decision == "allow"
                        and policy.action_matches(pattern, action)
                        and any(p == name and i == index for p, i, _ in used)
                        for (action, _r, decision, _why, _via), used in entries.items()
                    ):
                        unused.append({"policy": name, "sid": statement.get("Sid", f"#{index}"), "action": pattern})
    return {"calls": calls, "unused": unused}


def identity_policies(role) -> list[tuple[str, Any]]:
    """(name, document) of the role's inline policies and (ARN, document) of its attached ones."""
    return [*role.policies.items(), *((arn, _default_document(p)) for arn, p in role.managed_policies.items())]


def _default_document(managed_policy) -> Any:
    versions = managed_policy.versions
    return next((v.document for v in versions if v.is_default), versions[-1].document if versions else None)


def authorise(role, caller: Caller, check: Check) -> Verdict:
    if check.missing:
        return Verdict(False, _message(caller, check, "(it does not exist)"))
    principal = policy.Principal(account_id=caller.account_id, arns=tuple(a for a in (caller.session_arn, caller.role_arn) if a))
    context = {**base_context(caller, check), **check.context}
    if check.key_policy is not None:
        context["kms:CallerAccount"] = caller.account_id
    matched: list[tuple[str, int, Mapping]] = []
    for name, document in identity_policies(role):
        for index, statement in enumerate(policy.statements_of(document)):
            if policy.matching_statements({"Statement": [statement]}, principal, check.action, check.resource, context):
                matched.append((name, index, statement))
    identity = policy.decide([s for _, _, s in matched])
    allowing = tuple((name, index, s.get("Sid", f"#{index}")) for name, index, s in matched if s.get("Effect") == "Allow")
    if identity is policy.Decision.ALLOW and role.permissions_boundary_arn:
        boundary = _managed_document(role.permissions_boundary_arn)
        if policy.evaluate(boundary, principal, check.action, check.resource, context) is not policy.Decision.ALLOW:
            return Verdict(False, _message(caller, check, "because no permissions boundary allows the {action} action"))
    if identity is policy.Decision.EXPLICIT_DENY:
        return Verdict(False, _message(caller, check, "with an explicit deny in an identity-based policy"))

    if check.key_policy is not None:
        key_decision = policy.evaluate(check.key_policy, principal, check.action, check.resource, context)
        if key_decision is policy.Decision.EXPLICIT_DENY:
            return Verdict(False, _message(caller, check, "with an explicit deny in a resource-based policy"))
        names_role = policy.evaluate(
            check.key_policy, policy.Principal(arns=principal.arns), check.action, check.resource, context
        ) is policy.Decision.ALLOW
        if names_role:
            return Verdict(True, "the key policy names the role", allowing)
        if key_decision is policy.Decision.ALLOW and identity is policy.Decision.ALLOW:
            return Verdict(True, "the key policy delegates to the account's IAM policies", allowing)
        if key_decision is not policy.Decision.ALLOW:
            return Verdict(False, _message(caller, check, "because no resource-based policy allows the {action} action"))
        return Verdict(False, _message(caller, check, "because no identity-based policy allows the {action} action"))

    resource = (
        policy.evaluate(check.resource_policy, principal, check.action, check.resource, context)
        if check.resource_policy
        else policy.Decision.IMPLICIT_DENY
    )
    if resource is policy.Decision.EXPLICIT_DENY:
        return Verdict(False, _message(caller, check, "with an explicit deny in a resource-based policy"))
    same_account = check.resource_account in (None, caller.account_id)
    if identity is policy.Decision.ALLOW and (same_account or resource is policy.Decision.ALLOW):
        return Verdict(True, "identity-based policy", allowing)
    if same_account and resource is policy.Decision.ALLOW:
        return Verdict(True, "resource-based policy", allowing)
    if identity is policy.Decision.ALLOW:
        return Verdict(False, _message(caller, check, "because no resource-based policy allows the {action} action"))
    return Verdict(False, _message(caller, check, "because no identity-based policy allows the {action} action"))


def base_context(caller: Caller, check: Check) -> dict[str, str]:
    """The global condition keys of a request by a role session over TLS."""
    return {
        "aws:SecureTransport": "true",
        "aws:PrincipalArn": caller.role_arn or "",
        "aws:PrincipalAccount": caller.account_id,
        "aws:PrincipalType": "AssumedRole",
        "aws:PrincipalIsAWSService": "false",
        "aws:ViaAWSService": "true" if check.via else "false",
        "aws:CurrentTime": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _message(caller: Caller, check: Check, why: str) -> str:
    via = f" (for {check.via})" if check.via else ""
    return (
        f"User: {caller.session_arn} is not authorized to perform: {check.action} on resource: {check.resource}{via} "
        + why.format(action=check.action)
    )


def _managed_document(policy_arn: str) -> Any:
    """The default version of a customer managed policy (a permissions boundary)."""
    from moto.iam.models import iam_backends

    account = policy_arn.split(":")[4]
    for backend in iam_backends[account].values() if account.isdigit() else ():
        managed = backend.managed_policies.get(policy_arn)
        if managed is not None:
            return _default_document(managed)
    return None


# ---------------------------------------------------------------------------------------
# What IAM checks for a call
# ---------------------------------------------------------------------------------------


def checks_for(environ: dict, caller: Caller, region: str, service: str) -> list[Check]:
    path = environ.get("PATH_INFO", "")
    if path.startswith(OPENSEARCH_PREFIX):
        return [_opensearch(environ, caller, region)]
    name = operation(environ, service)
    if f"{service}:{name}" in _UNAUTHORISED_CALLS:
        return []
    if service == "s3":
        return _s3(environ, caller, region)
    params = _params(environ)
    action = f"{service}:{name}"
    if service in _STAR_SERVICES or action in _STAR_CALLS:
        return [Check(action, "*")]
    if service == "sqs":
        return _sqs(name, params, caller, region)
    if service == "sns":
        return _sns(name, params, region)
    if service == "sts":
        if name in ("AssumeRole", "TagSession"):
            from .patches import existing_role

            role_arn = _required(params, "RoleArn")
            context = {"sts:ExternalId": params["ExternalId"]} if params.get("ExternalId") else {}
            # moto hands out keys for any role ARN (the harness reaches accounts that way);
            # AWS refuses a role that does not exist, which a deployed role must see too.
            return [Check(action, role_arn, context, missing=existing_role(role_arn) is None)]
        raise NotModelled(f"sts:{name}")
    if service == "dynamodb":
        tables = params.get("RequestItems", {}).keys() if "RequestItems" in params else [_required(params, "TableName")]
        return [Check(action, f"arn:aws:dynamodb:{region}:{caller.account_id}:table/{t}") for t in tables]
    if service == "secretsmanager":
        return _secretsmanager(name, params, caller, region)
    if service == "kms":
        key_arn, key_policy = _key(_required(params, "KeyId"), caller.account_id, region)
        context = {f"kms:EncryptionContext:{k}": v for k, v in (params.get("EncryptionContext") or {}).items()}
        return [Check(action, key_arn, context, key_policy=key_policy)]
    raise NotModelled(f"the service {service}")


def _params(environ: dict) -> dict:
    body = request_body(environ)
    if environ.get("HTTP_X_AMZ_TARGET") or environ.get("CONTENT_TYPE", "").startswith("application/x-amz-json"):
        try:
            parsed = json.loads(body or b"{}")
            return parsed if isinstance(parsed, dict) else {}
        except ValueError:
            return {}
    form = parse_qs(environ.get("QUERY_STRING", ""))
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        form.update(parse_qs(body.decode("utf-8", "replace")))
    return {key: values[0] for key, values in form.items()}


def _required(params: dict, name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise NotModelled(f"the call names no {name}")
    return value


def _s3(environ: dict, caller: Caller, region: str) -> list[Check]:
    from moto.s3.models import s3_backends

    method = environ.get("REQUEST_METHOD", "")
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    bucket_name, _, key = environ.get("PATH_INFO", "").lstrip("/").partition("/")
    key = unquote(key)
    if not bucket_name:
        raise NotModelled("S3 calls without a bucket (ListBuckets)")
    owner = s3_backends.bucket_accounts.get(bucket_name)
    bucket = s3_backends[owner[1]][owner[0]].buckets.get(bucket_name) if owner else None
    bucket_account = owner[1] if owner else caller.account_id
    bucket_policy = bucket.policy.decode() if bucket is not None and bucket.policy else None
    bucket_arn = f"arn:aws:s3:::{bucket_name}"

    def check(action: str, resource: str, context: Mapping[str, str] | None = None) -> Check:
        return Check(action, resource, context or {}, bucket_policy, bucket_account)

    if key:
        object_arn = f"{bucket_arn}/{key}"
        # The SDKs name the operation in x-id (?x-id=GetObject); it changes nothing.
        query.pop("x-id", None)
        if method in ("GET", "HEAD") and not (query.keys() - {"versionId", "partNumber", "response-content-type"}):
            checks = [check("s3:GetObject", object_arn)]
            stored = bucket.keys.get(key) if bucket is not None else None
            if stored is not None and stored.encryption == "aws:kms":
                checks.append(_via_kms("kms:Decrypt", stored.kms_key_id, bucket_account, region, "s3", "s3:GetObject", {"kms:EncryptionContext:aws:s3:arn": bucket_arn}))
            return checks
        if method == "PUT" or (method == "POST" and ("uploads" in query or "uploadId" in query)):
            checks = [check("s3:PutObject", object_arn)]
            if "HTTP_X_AMZ_COPY_SOURCE" in environ:
                raise NotModelled("S3 CopyObject")
            key_id = _s3_put_key(environ, bucket)
            if key_id and "uploadId" not in query:
                checks.append(_via_kms("kms:GenerateDataKey", key_id, bucket_account, region, "s3", "s3:PutObject", {"kms:EncryptionContext:aws:s3:arn": bucket_arn}))
            return checks
        if method == "DELETE" and not (query.keys() - {"versionId"}):
            return [check("s3:DeleteObject", object_arn)]
        raise NotModelled(f"S3 {method} of an object with {sorted(query)}")
    if method == "GET" and not (query.keys() - {"list-type", "prefix", "delimiter", "continuation-token", "max-keys", "start-after", "encoding-type", "fetch-owner"}):
        context = {"s3:prefix": query.get("prefix", [""])[0]} if "prefix" in query else {}
        return [check("s3:ListBucket", bucket_arn, context)]
    if method == "HEAD" and not query:
        return [check("s3:ListBucket", bucket_arn)]
    if method == "POST" and "delete" in query:
        keys = _deleted_keys(request_body(environ))
        return [check("s3:DeleteObject", f"{bucket_arn}/{k}") for k in keys]
    if method == "GET" and "location" in query:
        return [check("s3:GetBucketLocation", bucket_arn)]
    raise NotModelled(f"S3 {method} of a bucket with {sorted(query)}")


def _s3_put_key(environ: dict, bucket) -> str | None:
    if environ.get("HTTP_X_AMZ_SERVER_SIDE_ENCRYPTION") == "aws:kms":
        return environ.get("HTTP_X_AMZ_SERVER_SIDE_ENCRYPTION_AWS_KMS_KEY_ID") or "alias/aws/s3"
    if environ.get("HTTP_X_AMZ_SERVER_SIDE_ENCRYPTION"):
        return None
    rule = (bucket.encryption or {}).get("Rule") if bucket is not None else None
    if isinstance(rule, list):
        rule = rule[0] if rule else None
    default = (rule or {}).get("ApplyServerSideEncryptionByDefault") or {}
    if default.get("SSEAlgorithm") == "aws:kms":
        return default.get("KMSMasterKeyID") or "alias/aws/s3"
    return None


def _deleted_keys(body: bytes) -> list[str]:
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        raise NotModelled("a DeleteObjects body that is not XML") from None
    return [element.text or "" for element in root.iter() if element.tag.rsplit("}", 1)[-1] == "Key"]


def _sqs(name: str, params: dict, caller: Caller, region: str) -> list[Check]:
    from moto.sqs.models import sqs_backends

    if name == "GetQueueUrl":
        account = params.get("QueueOwnerAWSAccountId") or caller.account_id
        queue_name = _required(params, "QueueName")
    else:
        path = urlparse(_required(params, "QueueUrl")).path.strip("/").split("/")
        if len(path) != 2:
            raise NotModelled("a QueueUrl that is not <endpoint>/<account>/<name>")
        account, queue_name = path
    queue_arn = f"arn:aws:sqs:{region}:{account}:{queue_name}"
    queue = sqs_backends[account][region].queues.get(queue_name)
    action = f"sqs:{name.removesuffix('Batch')}"
    checks = [Check(action, queue_arn, {}, getattr(queue, "policy", None), account)]
    key_id = getattr(queue, "kms_master_key_id", None)
    if key_id and name.startswith(("SendMessage", "ReceiveMessage")):
        context = {"kms:EncryptionContext:aws:sqs:arn": queue_arn}
        actions = ["kms:GenerateDataKey", "kms:Decrypt"] if name.startswith("SendMessage") else ["kms:Decrypt"]
        checks += [_via_kms(a, key_id, account, region, "sqs", action, context) for a in actions]
    return checks


def _sns(name: str, params: dict, region: str) -> list[Check]:
    from moto.sns.models import sns_backends

    topic_arn = params.get("TopicArn") or params.get("TargetArn")
    if not topic_arn:
        raise NotModelled(f"sns:{name} without a TopicArn")
    account = topic_arn.split(":")[4]
    topic = sns_backends[account][region].topics.get(topic_arn)
    action = f"sns:{'Publish' if name == 'PublishBatch' else name}"
    checks = [Check(action, topic_arn, {}, topic.policy if topic is not None else None, account)]
    if topic is not None and topic.kms_master_key_id and action == "sns:Publish":
        context = {"kms:EncryptionContext:aws:sns:topicArn": topic_arn}
        checks += [_via_kms(a, topic.kms_master_key_id, account, region, "sns", action, context) for a in ("kms:GenerateDataKey", "kms:Decrypt")]
    return checks


def _secretsmanager(name: str, params: dict, caller: Caller, region: str) -> list[Check]:
    """Reading a secret: the secret's ARN, its resource policy, and the Decrypt Secrets
    Manager asks of its key on the caller's behalf (encryption context SecretARN)."""
    from moto.secretsmanager.models import secretsmanager_backends

    if name not in ("GetSecretValue", "DescribeSecret"):
        raise NotModelled(f"secretsmanager:{name}")
    secret_id = _required(params, "SecretId")
    account, secret_region = caller.account_id, region
    if secret_id.startswith("arn:"):
        account, secret_region = secret_id.split(":")[4], secret_id.split(":")[3]
    secret = secretsmanager_backends[account][secret_region].secrets.get(secret_id)
    arn = secret.arn if secret is not None else (secret_id if secret_id.startswith("arn:") else f"arn:aws:secretsmanager:{region}:{account}:secret:{secret_id}")
    action = f"secretsmanager:{name}"
    checks = [Check(action, arn, {}, secret.policy if secret is not None else None, account)]
    if secret is not None and name == "GetSecretValue":
        key_id = secret.kms_key_id or "alias/aws/secretsmanager"
        context = {"kms:EncryptionContext:SecretARN": arn}
        checks.append(_via_kms("kms:Decrypt", key_id, account, secret_region, "secretsmanager", action, context))
    return checks


def _opensearch(environ: dict, caller: Caller, region: str) -> Check:
    domain, _, rest = environ.get("PATH_INFO", "")[len(OPENSEARCH_PREFIX) :].partition("/")
    method = environ.get("REQUEST_METHOD", "GET").capitalize()
    return Check(f"es:ESHttp{method}", f"arn:aws:es:{region}:{caller.account_id}:domain/{domain}/{rest}")


def _key(key_id: str, account: str, region: str) -> tuple[str, str | None]:
    """The ARN and policy of the key `key_id` (an id, ARN, alias or alias ARN) names."""
    from moto.kms.models import kms_backends

    if key_id.startswith("arn:"):
        account, region = key_id.split(":")[4], key_id.split(":")[3]
    backend = kms_backends[account][region]
    try:
        raw = backend.any_id_to_key_id(key_id)
    except Exception:  # an alias that names nothing
        raw = None
    key = backend.keys.get(raw) if raw else None
    if key is None:
        return f"arn:aws:kms:{region}:{account}:key/{key_id}", None
    return key.arn, key.policy


def _via_kms(action: str, key_id: str, account: str, region: str, service: str, via: str, context: Mapping[str, str]) -> Check:
    """What `service` checks with the caller's identity for `via` on the resource's key
    (`key_id` as the resource in `account` names it)."""
    key_arn, key_policy = _key(key_id, account, region)
    if key_policy is None:
        # AWS managed keys (aws/s3, ...) allow every principal of the account through the service.
        key_policy = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}]})
    return Check(
        action,
        key_arn,
        {"kms:ViaService": f"{service}.{region}.amazonaws.com", **context},
        key_policy=key_policy,
        via=via,
    )


def _denied(environ: dict, start_response: Callable, service: str, caller: Caller, reason: str) -> list[bytes]:
    if environ.get("PATH_INFO", "").startswith(OPENSEARCH_PREFIX):
        return _json(start_response, "403 Forbidden", {"Message": reason})
    code, status = _DENIED.get(service, ("AccessDeniedException", 403))
    return aws_error(environ, start_response, service, code, status, reason)


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _json(start_response: Callable, status: str, body: dict) -> list[bytes]:
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]
