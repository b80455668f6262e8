"""Fidelity patches for moto 5.2.1, applied before the server handles a request.

Each patch closes one gap between stock moto and real AWS that hashicorp/aws 5.100
trips over. Every entry in PATCHES names the gap; tests/localaws/tests/test_patches.py
has, for each, a test against the running local AWS (fails without the patch) and a
test that stock moto still has the gap (fails once moto fixes it, so the patch can go).
"""

from __future__ import annotations

import json
from collections.abc import Callable


def securityhub_update_configuration() -> None:
    """SecurityHub UpdateSecurityHubConfiguration is missing from moto.

    hashicorp/aws calls it from aws_securityhub_account whenever auto_enable_controls or
    control_finding_generator is set, and DescribeHub must then return what was set
    (otherwise every plan shows a diff).
    """
    from moto.securityhub.models import SecurityHubBackend
    from moto.securityhub.responses import SecurityHubResponse
    from moto.securityhub.exceptions import SecurityHubClientError as RESTError

    original_describe = SecurityHubBackend.describe_hub

    def update_security_hub_configuration(
        self: SecurityHubBackend,
        auto_enable_controls: bool | None,
        control_finding_generator: str | None,
    ) -> None:
        if not self.enabled:
            raise RESTError(
                "InvalidAccessException",
                "Account is not subscribed to AWS Security Hub",
            )
        if control_finding_generator not in (None, "SECURITY_CONTROL", "STANDARD_CONTROL"):
            raise RESTError(
                "InvalidInputException",
                "ControlFindingGenerator must be SECURITY_CONTROL or STANDARD_CONTROL",
            )
        settings = self.__dict__.setdefault("_hub_settings", {})
        if auto_enable_controls is not None:
            settings["AutoEnableControls"] = bool(auto_enable_controls)
        if control_finding_generator is not None:
            settings["ControlFindingGenerator"] = control_finding_generator

    def describe_hub(self: SecurityHubBackend, hub_arn: str | None = None) -> dict:
        hub = original_describe(self, hub_arn=hub_arn)
        hub.update(self.__dict__.get("_hub_settings", {}))
        return hub

    original_disable = SecurityHubBackend.disable_security_hub

    def disable_security_hub(self: SecurityHubBackend) -> dict:
        result = original_disable(self)
        self.__dict__.pop("_hub_settings", None)
        return result

    def response_update(self: SecurityHubResponse) -> str:
        params = json.loads(self.body) if self.body else {}
        self.securityhub_backend.update_security_hub_configuration(
            auto_enable_controls=params.get("AutoEnableControls"),
            control_finding_generator=params.get("ControlFindingGenerator"),
        )
        return json.dumps({})

    SecurityHubBackend.update_security_hub_configuration = update_security_hub_configuration
    SecurityHubBackend.describe_hub = describe_hub
    SecurityHubBackend.disable_security_hub = disable_security_hub
    SecurityHubResponse.update_security_hub_configuration = response_update


def sqs_redrive_allow_policy() -> None:
    """SQS rejects the RedriveAllowPolicy attribute name in GetQueueAttributes.

    hashicorp/aws reads it for every aws_sqs_queue (and manages it with
    aws_sqs_queue_redrive_allow_policy); moto stores it on set but answers
    InvalidAttributeName on get, so every queue refresh fails.
    """
    from moto.sqs.models import Queue

    if "RedriveAllowPolicy" in Queue.BASE_ATTRIBUTES:
        return
    Queue.BASE_ATTRIBUTES = [*Queue.BASE_ATTRIBUTES, "RedriveAllowPolicy"]
    # Queues created before a value is set have no such attribute yet.
    Queue.redrive_allow_policy = None


def sqs_compact_redrive_policy() -> None:
    """SQS returns RedrivePolicy JSON with spaces after separators.

    AWS returns compact JSON ({"deadLetterTargetArn":"...","maxReceiveCount":5});
    hashicorp/aws compares the string it sent with the string it reads and shows a
    perpetual diff on aws_sqs_queue.redrive_policy otherwise.
    """
    from moto.sqs.models import Queue

    original = Queue.attributes

    def attributes(self: Queue) -> dict:
        result = original.fget(self)
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    Queue.attributes = property(attributes)


def inspector2_disable_delegated_admin() -> None:
    """inspector2 DisableDelegatedAdminAccount leaves a DISABLED entry behind.

    AWS removes the delegated administrator, so ListDelegatedAdminAccounts no longer
    lists it; hashicorp/aws waits on destroy until the account is gone, and with moto's
    DISABLED entry that wait never ends.
    """
    from moto.inspector2.models import Inspector2Backend

    def disable_delegated_admin_account(self: Inspector2Backend, account_id: str) -> None:
        self.admin_accounts.pop(account_id, None)

    Inspector2Backend.disable_delegated_admin_account = disable_delegated_admin_account


def sns_cross_account_sqs_delivery() -> None:
    """SNS delivers to an SQS subscription in the topic's account, not the queue's.

    AWS delivers to the queue the endpoint ARN names, in whatever account it lives
    (the queue policy decides). moto looks the queue up in the topic's account, so a
    member-account topic subscribed to the security account's queue fails every publish
    with NonExistentQueue.
    """
    import copy

    from moto.sns.models import Subscription

    original = Subscription.publish

    def publish(self: Subscription, *args, **kwargs):
        if self.protocol == "sqs":
            queue_account = self.endpoint.split(":")[4]
            if queue_account != self.account_id:
                # A copy, so concurrent publishes never see a half-changed subscription.
                delivering = copy.copy(self)
                delivering.account_id = queue_account
                return original(delivering, *args, **kwargs)
        return original(self, *args, **kwargs)

    Subscription.publish = publish


PATCHES: dict[str, Callable[[], None]] = {
    "securityhub_update_configuration": securityhub_update_configuration,
    "sqs_redrive_allow_policy": sqs_redrive_allow_policy,
    "sqs_compact_redrive_policy": sqs_compact_redrive_policy,
    "inspector2_disable_delegated_admin": inspector2_disable_delegated_admin,
    "sns_cross_account_sqs_delivery": sns_cross_account_sqs_delivery,
}


def apply_all() -> None:
    for patch in PATCHES.values():
        patch()
