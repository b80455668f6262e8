"""The secret key, session token and account behind an access key id the local AWS issued.

The static keys from `localaws.control` land in moto's default account; every other key
was issued by moto's STS (sts:AssumeRole), so it is looked up in moto's STS backends of
this same process.
"""

from __future__ import annotations

from dataclasses import dataclass

from moto.core import DEFAULT_ACCOUNT_ID

from . import control


@dataclass(frozen=True)
class Caller:
    access_key_id: str
    secret_access_key: str
    # None for long-term keys: a request signed with them must carry no token.
    session_token: str | None
    account_id: str
    # The assumed role's ARN, or None for the static keys.
    role_arn: str | None
    # The session's ARN (arn:aws:sts::<account>:assumed-role/<role>/<session>), or None.
    session_arn: str | None = None


def find_caller(access_key_id: str) -> Caller | None:
    if access_key_id == control.ACCESS_KEY:
        return Caller(control.ACCESS_KEY, control.SECRET_KEY, None, DEFAULT_ACCOUNT_ID, None)
    from moto.sts.models import sts_backends

    # Copies: other request threads may be assuming roles meanwhile.
    for account_backends in list(sts_backends.values()):
        for backend in list(account_backends.values()):
            for role in list(backend.assumed_roles):
                if role.access_key_id == access_key_id:
                    return Caller(
                        role.access_key_id,
                        role.secret_access_key,
                        role.session_token,
                        role.account_id,
                        role.role_arn,
                        f"arn:aws:sts::{role.account_id}:assumed-role/{role.role_arn.rsplit('/', 1)[-1]}/{role.session_name}",
                    )
    return None
