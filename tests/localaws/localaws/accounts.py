"""boto3 clients for any account and region of the local AWS.

Account N is reached by sts:AssumeRole into arn:aws:iam::N:role/<any> with the static
keys; the static keys alone land in moto's default account 123456789012.
"""

from __future__ import annotations

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
