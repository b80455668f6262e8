"""What an AWS service does for you that moto cannot: routes for the Lambda runner and the sandbox.

POST /_localaws/sts/service-credentials
    {"role_arn", "service": "lambda.amazonaws.com", "source_account"?, "source_arn"?,
     "session_name"?}
    → {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "AssumedRoleArn"}
    The credentials a service principal gets when it assumes a role on your behalf (Lambda
    for a function's execution role, EventBridge for a rule target's role). The role must
    exist and its trust policy must allow the service `sts:AssumeRole` with the request
    context AWS gives services (aws:SourceAccount / aws:SourceArn when passed,
    aws:PrincipalIsAWSService = true, aws:PrincipalServiceName); otherwise 403 with the
    reason, as AWS refuses to run a function whose role Lambda cannot assume.

GET /_localaws/lambda/code?account=<12 digits>&region=<region>&function=<name>
    → the deployment package (zip) of the function's $LATEST version, with headers
    x-localaws-code-sha256 (base64, as CodeSha256) and x-localaws-handler. moto stores the
    code but cannot run it; the runner (localaws.lambda_runner) runs it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs

SERVICE_CREDENTIALS_PATH = "/_localaws/sts/service-credentials"
LAMBDA_CODE_PATH = "/_localaws/lambda/code"
SERVICE_PRINCIPAL = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com")
ACCOUNT_ID = re.compile(r"\d{12}")


class RouteError(Exception):
    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


class ServiceAccessMiddleware:
    def __init__(self, app: Callable):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        try:
            if path == SERVICE_CREDENTIALS_PATH:
                if environ.get("REQUEST_METHOD") != "POST":
                    raise RouteError("405 Method Not Allowed", "use POST with a JSON body")
                return _json(start_response, "200 OK", service_credentials(_read_json(environ)))
            if path == LAMBDA_CODE_PATH:
                query = {key: values[0] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
                code, sha256, handler = lambda_code(query)
                start_response(
                    "200 OK",
                    [
                        ("Content-Type", "application/zip"),
                        ("Content-Length", str(len(code))),
                        ("x-localaws-code-sha256", sha256),
                        ("x-localaws-handler", handler or ""),
                    ],
                )
                return [code]
        except RouteError as err:
            return _json(start_response, err.status, {"message": str(err)})
        return self.app(environ, start_response)


def service_credentials(request: dict) -> dict:
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    from . import policy
    from .patches import existing_role

    role_arn = request.get("role_arn")
    service = request.get("service")
    if not isinstance(service, str) or not SERVICE_PRINCIPAL.fullmatch(service):
        raise RouteError("400 Bad Request", 'service must be a service principal such as "lambda.amazonaws.com"')
    role = existing_role(role_arn) if isinstance(role_arn, str) else None
    if role is None:
        raise RouteError("404 Not Found", f"no IAM role {role_arn!r}: give the ARN of a role that exists")
    context = {
        "aws:PrincipalIsAWSService": "true",
        "aws:PrincipalServiceName": service,
        "aws:SourceAccount": request.get("source_account"),
        "aws:SourceArn": request.get("source_arn"),
    }
    context = {key: value for key, value in context.items() if value is not None}
    decision = policy.evaluate(
        role.assume_role_policy_document, policy.Principal(service=service), "sts:AssumeRole", role_arn, context
    )
    if decision is not policy.Decision.ALLOW:
        raise RouteError(
            "403 Forbidden",
            f"the trust policy of {role_arn} does not let {service} assume it with context {context}: "
            f"add a statement allowing the service principal {service} sts:AssumeRole",
        )
    account_id = role_arn.split(":")[4]
    region = "us-east-1"
    session = sts_backends[account_id][get_partition(region)].assume_role(
        region_name=region,
        role_session_name=request.get("session_name") or service.split(".")[0],
        role_arn=role_arn,
        policy=None,
        duration=3600,
        external_id=None,
    )
    return {
        "AccessKeyId": session.access_key_id,
        "SecretAccessKey": session.secret_access_key,
        "SessionToken": session.session_token,
        "Expiration": session.expiration.isoformat(),
        "AssumedRoleArn": session.arn,
    }


def lambda_code(query: dict) -> tuple[bytes, str, str | None]:
    from moto.awslambda.models import lambda_backends

    account_id, region, name = query.get("account", ""), query.get("region", ""), query.get("function", "")
    if not ACCOUNT_ID.fullmatch(account_id) or not region or not name:
        raise RouteError("400 Bad Request", "give account=<12 digits>, region= and function=<name or ARN>")
    backend = lambda_backends[account_id][region]
    try:
        function = backend.get_function(name, None)
    except Exception as err:  # moto raises its own UnknownFunctionException
        raise RouteError("404 Not Found", f"no function {name!r} in {account_id} {region}: {err}") from None
    if not function.code_bytes:
        raise RouteError("404 Not Found", f"function {name!r} has no zip package (image functions cannot run here)")
    return function.code_bytes, function.code_sha_256, function.handler


def _read_json(environ: dict) -> dict:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    try:
        body = json.loads(environ["wsgi.input"].read(length) or b"{}")
    except ValueError as err:
        raise RouteError("400 Bad Request", f"the body is not JSON: {err}") from None
    if not isinstance(body, dict):
        raise RouteError("400 Bad Request", "the body must be a JSON object")
    return body


def _json(start_response: Callable, status: str, body: dict) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
