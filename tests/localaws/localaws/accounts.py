"""boto3 clients for any account and region of the local AWS.

Account N is reached by sts:AssumeRole into arn:aws:iam::N:role/<any> with the static
keys; the static keys alone land in moto's default account 123456789012.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3
from botocore.config import Config

from . import control

# Fail fast: moto answers 500 for operations it lacks, and default retries only slow that down.
CLIENT_CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"})


class Accounts:
    """Clients per account and region, with each account's assumed-role keys cached."""

    def __init__(self, endpoint: str):
        self.endpoint = endpoint
        self._base = boto3.Session(
            aws_access_key_id=control.ACCESS_KEY,
            aws_secret_access_key=control.SECRET_KEY,
            region_name=control.DEFAULT_REGION,
        )
        self._keys: dict[str, dict] = {}

    def credentials(self, account_id: str) -> dict:
        if account_id not in self._keys:
            sts = self._base.client("sts", endpoint_url=self.endpoint, config=CLIENT_CONFIG)
            creds = sts.assume_role(
                RoleArn=f"arn:aws:iam::{account_id}:role/inspectorlink-test",
                RoleSessionName="localaws",
            )["Credentials"]
            self._keys[account_id] = {
                "aws_access_key_id": creds["AccessKeyId"],
                "aws_secret_access_key": creds["SecretAccessKey"],
                "aws_session_token": creds["SessionToken"],
            }
        return self._keys[account_id]

    def client(self, service: str, account_id: str, region: str = control.DEFAULT_REGION):
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.endpoint,
            config=CLIENT_CONFIG,
            **self.credentials(account_id),
        )

    def service_credentials(
        self, role_arn: str, service: str, source_account: str | None = None, source_arn: str | None = None, session_name: str | None = None
    ) -> dict:
        """Keys for `role_arn` as the service principal `service` gets them (Lambda for a
        function's role, EventBridge for a target's role): the role's trust policy decides.
        Raises ServiceAccessDenied with the local AWS's reason when it refuses."""
        body = {"role_arn": role_arn, "service": service, "source_account": source_account, "source_arn": source_arn}
        if session_name:
            body["session_name"] = session_name
        request = urllib.request.Request(
            f"{self.endpoint}/_localaws/sts/service-credentials",
            data=json.dumps({k: v for k, v in body.items() if v is not None}).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                creds = json.loads(answer.read())
        except urllib.error.HTTPError as err:
            reason = json.loads(err.read() or b"{}").get("message", err.reason)
            raise ServiceAccessDenied(f"{service} cannot assume {role_arn}: {reason}") from None
        return {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"],
        }

    def client_with(self, credentials: dict, service: str, region: str = control.DEFAULT_REGION):
        """A client signed with `credentials` (as service_credentials returns them)."""
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint, config=CLIENT_CONFIG, **credentials)


class ServiceAccessDenied(Exception):
    """A role's trust policy does not let the service assume it."""
