"""Verifies AWS Signature Version 4 on requests to the OpenSearch test endpoint.

The canonical request is rebuilt from the request as it arrived (method, the raw path with
its /_localaws/opensearch/<domain> prefix, query, the headers the client listed in
SignedHeaders, payload hash) by the rules of the SigV4 documentation for services other
than S3: the path has its dot segments removed and is URI-encoded again, query parameters
are decoded, re-encoded and sorted, header values trimmed with inner spaces collapsed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, unquote

from botocore.utils import normalize_url_path

from ..credentials import Caller, find_caller

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
# How far X-Amz-Date may be from the server's clock, as AWS allows.
MAX_CLOCK_SKEW = timedelta(minutes=15)
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
INVALID_TOKEN = "The security token included in the request is invalid."


class AuthError(Exception):
    """A request AWS would refuse before it reaches OpenSearch.

    `anonymous` marks a request without any signature, which AWS answers differently.
    """

    def __init__(self, message: str, anonymous: bool = False):
        super().__init__(message)
        self.message = message
        self.anonymous = anonymous


@dataclass(frozen=True)
class SignedRequest:
    method: str
    raw_path: str  # as sent, still percent-encoded
    raw_query: str
    headers: dict[str, str]  # lower-case names
    body: bytes


def verify(request: SignedRequest, region: str, service: str, now: datetime | None = None) -> Caller:
    """The caller whose key signed the request, or AuthError saying why AWS would refuse it."""
    authorization = request.headers.get("authorization", "")
    if not authorization:
        raise AuthError("no Authorization header", anonymous=True)
    credential, signed_headers, signature = _parse_authorization(authorization, request.headers)
    access_key_id, date, scope_region, scope_service = _split_credential(credential, authorization)
    if scope_service != service:
        raise AuthError(f"Credential should be scoped to correct service: '{service}'. ")
    if scope_region != region:
        raise AuthError(f"Credential should be scoped to a valid region, not '{scope_region}'. ")
    caller = find_caller(access_key_id)
    if caller is None or request.headers.get("x-amz-security-token") != caller.session_token:
        raise AuthError(INVALID_TOKEN)
    if service == "aoss" and "x-amz-content-sha256" not in request.headers:
        raise AuthError("OpenSearch Serverless requires the x-amz-content-sha256 header")
    if "host" not in signed_headers:
        raise AuthError("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    missing = [name for name in signed_headers if name not in request.headers]
    if missing:
        raise AuthError(f"{SIGNATURE_MISMATCH} Signed headers missing from the request: {', '.join(missing)}")

    payload_hash = _payload_hash(request)
    canonical = canonical_request(request, signed_headers, payload_hash)
    amz_date = request.headers.get("x-amz-date", "")
    scope = f"{date}/{scope_region}/{scope_service}/aws4_request"
    string_to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    expected = hmac.new(
        _signing_key(caller.secret_access_key, date, scope_region, scope_service), string_to_sign.encode(), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise AuthError(
            f"{SIGNATURE_MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical}'\n\n"
            f"The String-to-Sign should have been\n'{string_to_sign}'\n"
        )
    _check_date(amz_date, now or datetime.now(timezone.utc))
    return caller


def canonical_request(request: SignedRequest, signed_headers: list[str], payload_hash: str) -> str:
    path = quote(normalize_url_path(request.raw_path), safe="/~")
    header_lines = "".join(f"{name}:{_canonical_header_value(request.headers[name])}\n" for name in signed_headers)
    return "\n".join(
        [request.method.upper(), path, _canonical_query(request.raw_query), header_lines, ";".join(signed_headers), payload_hash]
    )


def _parse_authorization(authorization: str, headers: dict[str, str]) -> tuple[str, list[str], str]:
    algorithm, _, params_text = authorization.partition(" ")
    if algorithm != ALGORITHM:
        raise AuthError(f"Authorization header requires '{ALGORITHM}' algorithm. Authorization={authorization}")
    params = {}
    for part in params_text.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            params[key] = value
    # AWS lists every problem of the header at once, in this order.
    problems = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not params.get(name)
    ]
    if "x-amz-date" not in headers and "date" not in headers:
        problems.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if problems:
        raise AuthError(" ".join(problems) + f" Authorization={authorization}")
    return params["Credential"], params["SignedHeaders"].split(";"), params["Signature"]


def _split_credential(credential: str, authorization: str) -> tuple[str, str, str, str]:
    """Access key id, date, region and service of `AKID/yyyymmdd/region/service/aws4_request`."""
    parts = credential.split("/")
    if len(parts) != 5 or not re.fullmatch(r"\d{8}", parts[1]):
        raise AuthError(f"Authorization header requires 'Credential' parameter. Authorization={authorization}")
    if parts[4] != "aws4_request":
        raise AuthError("Credential should be scoped to correct terminator: 'aws4_request'. ")
    return parts[0], parts[1], parts[2], parts[3]


def _payload_hash(request: SignedRequest) -> str:
    declared = request.headers.get("x-amz-content-sha256")
    actual = hashlib.sha256(request.body).hexdigest()
    if declared is None:
        return actual
    if declared != UNSIGNED_PAYLOAD and declared != actual:
        raise AuthError("The provided 'x-amz-content-sha256' header does not match what was computed.")
    return declared


def _canonical_query(raw_query: str) -> str:
    pairs = []
    for item in raw_query.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        pairs.append((quote(unquote(key), safe="-_.~"), quote(unquote(value), safe="-_.~")))
    return "&".join(f"{key}={value}" for key, value in sorted(pairs))


def _canonical_header_value(value: str) -> str:
    return " ".join(value.split())


def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _check_date(amz_date: str, now: datetime) -> None:
    try:
        signed_at = datetime.strptime(amz_date, AMZ_DATE_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        raise AuthError(f"Invalid X-Amz-Date '{amz_date}': use the ISO 8601 basic format yyyyMMdd'T'HHmmss'Z'") from None
    stamp = now.strftime(AMZ_DATE_FORMAT)
    if signed_at < now - MAX_CLOCK_SKEW:
        limit = (now - MAX_CLOCK_SKEW).strftime(AMZ_DATE_FORMAT)
        raise AuthError(f"Signature expired: {amz_date} is now earlier than {limit} ({stamp} - 15 min.)")
    if signed_at > now + MAX_CLOCK_SKEW:
        limit = (now + MAX_CLOCK_SKEW).strftime(AMZ_DATE_FORMAT)
        raise AuthError(f"Signature not yet current: {amz_date} is still later than {limit} ({stamp} + 15 min.)")
