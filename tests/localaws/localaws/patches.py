"""Fidelity patches for moto 5.2.1, applied before the server handles a request.

Each patch closes one gap between stock moto and real AWS that hashicorp/aws 5.100 or
our pipeline trips over. Every entry in PATCHES names the gap;
tests/localaws/tests/test_patches.py has, for each, a test against the running local AWS
(fails without the patch) and a test that stock moto still has the gap (fails once moto
fixes it, so the patch can go).
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


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


def securityhub_product_subscriptions() -> None:
    """SecurityHub has no product subscriptions (EnableImportFindingsForProduct & co.).

    hashicorp/aws's aws_securityhub_product_subscription calls
    EnableImportFindingsForProduct, reads with ListEnabledProductsForImport and destroys
    with DisableImportFindingsForProduct; moto has no route for /productSubscriptions, so
    the create fails with a 404. Subscriptions live per account and region, need an
    enabled hub (InvalidAccessException otherwise), refuse a second subscription to the
    same product (ResourceConflictException) and go with the hub when it is disabled.
    """
    import re
    from urllib.parse import unquote

    import moto.securityhub.urls as urls
    from moto.securityhub.exceptions import SecurityHubClientError as RESTError
    from moto.securityhub.models import SecurityHubBackend
    from moto.securityhub.responses import SecurityHubResponse

    if "{0}/productSubscriptions$" in urls.url_paths:
        return
    urls.url_paths["{0}/productSubscriptions$"] = SecurityHubResponse.dispatch
    urls.url_paths["{0}/productSubscriptions/(?P<arn>.+)$"] = SecurityHubResponse.dispatch
    product_arn_pattern = re.compile(r"^arn:(aws[a-z-]*):securityhub:([a-z0-9-]+):(\d{12})?:product/([^/]+)/([^/]+)$")

    def subscriptions(backend: SecurityHubBackend) -> dict[str, str]:
        """Product subscription ARN -> product ARN."""
        return backend.__dict__.setdefault("_product_subscriptions", {})

    def require_hub(backend: SecurityHubBackend) -> None:
        if not backend.enabled:
            raise RESTError(
                "InvalidAccessException",
                f"Account {backend.account_id} is not subscribed to AWS Security Hub",
            )

    def enable_import(self: SecurityHubResponse) -> str:
        backend = self.securityhub_backend
        require_hub(backend)
        product_arn = (json.loads(self.body) if self.body else {}).get("ProductArn", "")
        match = product_arn_pattern.match(product_arn)
        if not match or match.group(2) != backend.region_name:
            raise RESTError("InvalidInputException", f"Invalid ProductArn: {product_arn}")
        partition, _, _, company, product = match.groups()
        arn = f"arn:{partition}:securityhub:{backend.region_name}:{backend.account_id}:product-subscription/{company}/{product}"
        if arn in subscriptions(backend):
            raise RESTError("ResourceConflictException", f"Product {product_arn} is already enabled for import")
        subscriptions(backend)[arn] = product_arn
        return json.dumps({"ProductSubscriptionArn": arn})

    def list_enabled(self: SecurityHubResponse) -> str:
        backend = self.securityhub_backend
        require_hub(backend)
        return json.dumps({"ProductSubscriptions": sorted(subscriptions(backend))})

    def disable_import(self: SecurityHubResponse) -> str:
        backend = self.securityhub_backend
        require_hub(backend)
        arn = unquote(self.path.split("/productSubscriptions/", 1)[1])
        if subscriptions(backend).pop(arn, None) is None:
            raise RESTError("ResourceNotFoundException", f"Product subscription {arn} not found")
        return json.dumps({})

    original_disable = SecurityHubBackend.disable_security_hub

    def disable_security_hub(self: SecurityHubBackend) -> dict:
        result = original_disable(self)
        self.__dict__.pop("_product_subscriptions", None)
        return result

    SecurityHubResponse.enable_import_findings_for_product = enable_import
    SecurityHubResponse.list_enabled_products_for_import = list_enabled
    SecurityHubResponse.disable_import_findings_for_product = disable_import
    SecurityHubBackend.disable_security_hub = disable_security_hub


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


def inspector2_member_disassociation() -> None:
    """inspector2 DisassociateMember leaves the member DISABLED; unknown members are a 500.

    AWS reports a disassociated member as relationshipStatus REMOVED, which hashicorp/aws's
    aws_inspector2_member_association treats as gone; with moto's DISABLED its destroy
    fails ("unexpected state 'DISABLED'"). GetMember of an account that is no member of
    the caller answers AccessDeniedException "Invoking account does not have access to get
    member account ..." and DisassociateMember of one ValidationException "... is not yet
    associated to it" (the texts hashicorp/aws matches); moto raises a KeyError (500).
    """
    from moto.core.exceptions import JsonRESTError
    from moto.inspector2.models import Inspector2Backend

    def member(self: Inspector2Backend, account_id: str):
        found = self.members.get(account_id)
        if found is None or found.status == "REMOVED":
            return None
        return found

    def disassociate_member(self: Inspector2Backend, account_id: str) -> None:
        found = member(self, account_id)
        if found is None:
            raise JsonRESTError(
                "ValidationException",
                "The request is rejected because the current account cannot disassociate the given member account ID since the latter is not yet associated to it.",
            )
        found.status = "REMOVED"

    def get_member(self: Inspector2Backend, account_id: str):
        found = self.members.get(account_id)
        if found is None:
            denied = JsonRESTError(
                "AccessDeniedException",
                f"Invoking account does not have access to get member account {account_id}",
            )
            denied.code = 403
            raise denied
        return found

    Inspector2Backend.disassociate_member = disassociate_member
    Inspector2Backend.get_member = get_member


def events_targets_get_the_whole_event() -> None:
    """EventBridge targets get the event without `account`; bus targets get a new event.

    AWS delivers the whole event (version, id, detail-type, source, account, time, region,
    resources, detail) to a target without an input transformer; moto's default template
    leaves `account` out. And AWS delivers the event itself to an event-bus target
    (another region or account): its id, time, source account, region and resources stay
    those of the original, which is how the receiving side tells where an event came
    from. moto calls PutEvents on the target bus instead, so the event arrives with a new
    id, the target's account and region, the current time and no resources.
    """
    import copy

    from moto.events.models import Rule, events_backends
    from moto.events.utils import EventTemplateParser

    if '"account"' not in EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE:
        EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE.replace(
            '"source": "<source>", ', '"source": "<source>", "account": "<account>", '
        )

    original = Rule.send_to_targets

    def send_to_targets(self: Rule, original_event: dict, transform_input: bool = True) -> None:
        buses = [t for t in self.targets if ":event-bus/" in t["Arn"]]
        if not buses or not self.event_pattern.matches_event(original_event):
            return original(self, original_event, transform_input)
        # A copy without the bus targets, so concurrent deliveries see an unchanged rule.
        others = copy.copy(self)
        others.targets = [t for t in self.targets if t not in buses]
        # Targets may rewrite what they get (SQS formats `time`): each its own copy.
        original(others, copy.deepcopy(original_event), transform_input)
        for target in buses:
            if not _bus_target_may_deliver(self, target, original_event):
                continue
            _, _, _, region, account, resource = target["Arn"].split(":", 5)
            bus = events_backends[account][region].describe_event_bus(resource.split("/", 1)[1])
            for rule in list(bus.rules.values()):
                rule.send_to_targets(copy.deepcopy(original_event))

    Rule.send_to_targets = send_to_targets


def _bus_target_may_deliver(rule, target: dict, event: dict) -> bool:
    """EventBridge puts an event on another bus with the target's role: its trust policy and
    its events:PutEvents on that bus decide, for the roles localaws.identity enforces. A
    refused delivery goes to the target's dead-letter queue, with the attributes AWS sets
    (EventBridge User Guide, "Using dead-letter queues to process undelivered events")."""
    import json

    from moto.sqs.models import sqs_backends

    from .identity import Check, service_role_may

    role_arn = target.get("RoleArn")
    verdict = service_role_may(role_arn, "events.amazonaws.com", rule.arn, Check("events:PutEvents", target["Arn"])) if role_arn else None
    if verdict is None or verdict.allowed:
        return True
    print(f"localaws events: {rule.arn} did not deliver to {target['Arn']}: {verdict.reason}", flush=True)
    dead_letters = (target.get("DeadLetterConfig") or {}).get("Arn")
    if dead_letters:
        _, _, _, region, account, queue = dead_letters.split(":", 5)
        attributes = {"ERROR_CODE": "NO_PERMISSIONS", "ERROR_MESSAGE": verdict.reason, "RULE_ARN": rule.arn, "TARGET_ARN": target["Arn"]}
        sqs_backends[account][region].send_message(
            queue_name=queue,
            message_body=json.dumps(event, default=str),
            message_attributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
        )
    return False


def events_rules_deliver_only_matching_events() -> None:
    """A scheduled rule matches no event; a disabled rule delivers nothing.

    In EventBridge a rule either has an event pattern or a schedule: a scheduled rule only
    fires on its schedule, and a DISABLED rule neither matches nor fires. moto loads a
    missing pattern as an empty one, which matches every event, and never reads the
    rule's state: every event put on a bus that holds a scheduled rule (security-primary's
    coverage sweep) reaches that rule's targets, as the whole event, not its Input.
    """
    from moto.events.models import Rule

    if getattr(Rule, "_localaws_matches_only_its_pattern", False):
        return
    original = Rule.send_to_targets

    def send_to_targets(self: Rule, original_event: dict, transform_input: bool = True) -> None:
        if self.state != "ENABLED" or self.event_pattern._raw_pattern is None:
            return
        return original(self, original_event, transform_input)

    Rule.send_to_targets = send_to_targets
    Rule._localaws_matches_only_its_pattern = True


def s3_delete_markers_in_suspended_buckets() -> None:
    """Deleting an object whose versions include a delete marker, once versioning is suspended.

    AWS deletes the version asked for. moto, in a bucket whose versioning is suspended,
    drops every version of the key and disposes of each, and a delete marker has no
    dispose: DeleteObjects answers 500. terraform destroy suspends a bucket's versioning
    (aws_s3_bucket_versioning goes first) and then empties it version by version, so a
    bucket that ever had an object deleted (the coverage sweep deletes the coverage of
    resources that are gone) could not be destroyed. A delete marker holds no data: there
    is nothing to dispose of.
    """
    from moto.s3.models import FakeDeleteMarker

    if not hasattr(FakeDeleteMarker, "dispose"):
        FakeDeleteMarker.dispose = lambda self, garbage=False: None


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


def sns_email_and_http_delivery() -> None:
    """SNS drops email deliveries, and its HTTP(S) deliveries lack attributes and headers.

    AWS mails `email` / `email-json` subscribers; moto does nothing for them, so nothing
    can show what a person would read: here they land in the local mailbox
    (localaws/mailbox.py). AWS's HTTP(S) POST carries the notification's MessageAttributes
    and the x-amz-sns-* headers subscribers route on; moto sends neither.
    """
    import requests
    from moto.sns.models import Subscription

    from . import mailbox

    original = Subscription.publish

    def publish(self: Subscription, message: str, message_id: str, subject=None, message_attributes=None,
                group_id=None, deduplication_id=None, message_structure=None):
        if self.protocol not in ("email", "email-json", "http", "https"):
            return original(self, message, message_id, subject=subject, message_attributes=message_attributes,
                            group_id=group_id, deduplication_id=deduplication_id, message_structure=message_structure)
        if self._filter_policy_matcher is not None and not self._filter_policy_matcher.matches(message_attributes, message):
            return None
        if message_structure == "json":
            message = self._parse_message_structure(message, self.protocol)
        document = self.get_post_data(message, message_id, subject, message_attributes=message_attributes)
        region = self.topic.arn.split(":")[3]
        if self.protocol == "email":
            mailbox.deliver({
                "to": self.endpoint, "subject": subject or mailbox.DEFAULT_SUBJECT,
                "body": message + mailbox.footer(region, self.arn), "protocol": "email",
                "topic_arn": self.topic.arn, "subscription_arn": self.arn, "message_id": message_id,
            })
        elif self.protocol == "email-json":
            mailbox.deliver({
                "to": self.endpoint, "subject": subject or mailbox.DEFAULT_SUBJECT,
                "body": json.dumps(document), "protocol": "email-json",
                "topic_arn": self.topic.arn, "subscription_arn": self.arn, "message_id": message_id,
            })
        else:
            try:
                requests.post(
                    self.endpoint,
                    data=json.dumps(document),
                    headers={
                        "Content-Type": "text/plain; charset=UTF-8",
                        "x-amz-sns-message-type": "Notification",
                        "x-amz-sns-message-id": message_id,
                        "x-amz-sns-topic-arn": self.topic.arn,
                        "x-amz-sns-subscription-arn": self.arn,
                        "User-Agent": "Amazon Simple Notification Service Agent",
                    },
                    timeout=15,
                )
            except requests.RequestException:
                # AWS retries failed HTTP deliveries in the background; the publish succeeds.
                pass
        return None

    Subscription.publish = publish


_IAM_ROLE_ARN = re.compile(r"arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):role/.+")


def existing_role(role_arn: str):
    """The IAM role (moto's Role) with this ARN, or None if the ARN names no role that exists."""
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends
    from moto.utilities.utils import PARTITION_NAMES

    parsed = _IAM_ROLE_ARN.fullmatch(role_arn or "")
    if parsed is None or parsed["partition"] not in PARTITION_NAMES:
        return None
    try:
        return iam_backends[parsed["account"]][parsed["partition"]].get_role_by_arn(role_arn)
    except NotFoundException:
        return None


def sts_trust_policy() -> None:
    """STS AssumeRole ignores the trust policy of the role it is asked to assume.

    AWS hands out credentials only if the role's trust policy allows the caller (its
    principal, and conditions such as sts:ExternalId); moto hands them out for any role
    ARN, so a member role that trusts another principal or wants an external id never
    refuses our pipeline. Only roles that exist in IAM are checked: assuming
    arn:aws:iam::N:role/<any> that does not exist stays the way tests reach account N.
    The caller's own identity policies are not evaluated (moto evaluates none).
    """
    from moto.core.responses import ActionResult
    from moto.organizations.models import organizations_backends
    from moto.sts.exceptions import STSClientError
    from moto.sts.responses import TokenResponse

    from . import policy

    def organization_id(account_id: str, partition: str) -> str | None:
        # moto maps member accounts to their management account, which holds the organisation.
        management_account_id, management_partition = organizations_backends.master_accounts.get(
            account_id, (account_id, partition)
        )
        organization = organizations_backends[management_account_id][management_partition].org
        return organization.id if organization else None

    def caller_of(response: TokenResponse) -> tuple[str, policy.Principal, dict[str, str]]:
        """The caller's ARN as GetCallerIdentity reports it, its principal and request context."""
        access_key_id = response.get_access_key()
        _, caller_arn, account_id = response.backend.get_caller_identity(access_key_id, response.region)
        session = response.backend.get_assumed_role_from_access_key(access_key_id)
        # A Principal element names a role session by its session ARN or its role's ARN;
        # its aws:PrincipalArn is the role's ARN (IAM User Guide, "AWS global condition
        # context keys").
        principal_arn = session.role_arn if session else caller_arn
        arns = (caller_arn, session.role_arn) if session else (caller_arn,)
        principal = policy.Principal(account_id=account_id, arns=arns)
        context = {
            "aws:PrincipalAccount": account_id,
            "aws:PrincipalArn": principal_arn,
            "aws:PrincipalIsAWSService": "false",
            # Keys AWS sets only when the caller has the value: an organisation, a parameter.
            "aws:PrincipalOrgID": organization_id(account_id, response.partition),
            "sts:ExternalId": response._get_param("ExternalId"),
            "sts:RoleSessionName": response._get_param("RoleSessionName"),
            "sts:SourceIdentity": response._get_param("SourceIdentity"),
        }
        return caller_arn, principal, {key: value for key, value in context.items() if value is not None}

    original = TokenResponse.assume_role

    def assume_role(self: TokenResponse):
        role_arn = self._get_param("RoleArn")
        role = existing_role(role_arn)
        if role is None:
            return original(self)
        caller_arn, principal, context = caller_of(self)
        decision = policy.evaluate(role.assume_role_policy_document, principal, "sts:AssumeRole", role_arn, context)
        if decision is policy.Decision.ALLOW:
            return original(self)
        refusal = STSClientError(
            "AccessDenied", f"User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        )
        _, headers, body = self.serialized(ActionResult(refusal))
        # AccessDenied is not in STS's service model, so moto's serializer would answer 400.
        headers["status"] = 403
        return body, headers

    TokenResponse.assume_role = assume_role


def lambda_kms_key_arn() -> None:
    """Lambda drops the function's KMSKeyArn (the key of its environment variables).

    AWS returns KMSKeyArn in GetFunction / GetFunctionConfiguration when one is set, and
    UpdateFunctionConfiguration changes it; moto ignores it, so hashicorp/aws reads ""
    after every apply of an aws_lambda_function with kms_key_arn and plans to set it again.
    """
    from moto.awslambda.models import LambdaFunction

    if getattr(LambdaFunction, "_localaws_kms_key_arn", False):
        return
    original_init = LambdaFunction.__init__
    original_get = LambdaFunction.get_configuration
    original_update = LambdaFunction.update_configuration

    def __init__(self: LambdaFunction, account_id: str, spec: dict, *args, **kwargs) -> None:
        original_init(self, account_id, spec, *args, **kwargs)
        self.__dict__["_kms_key_arn"] = spec.get("KMSKeyArn") or None

    def get_configuration(self: LambdaFunction, *args, **kwargs) -> dict:
        config = original_get(self, *args, **kwargs)
        if self.__dict__.get("_kms_key_arn"):
            config["KMSKeyArn"] = self.__dict__["_kms_key_arn"]
        return config

    def update_configuration(self: LambdaFunction, config_updates: dict) -> dict:
        if "KMSKeyArn" in config_updates:
            self.__dict__["_kms_key_arn"] = config_updates["KMSKeyArn"] or None
        return original_update(self, config_updates)

    LambdaFunction.__init__ = __init__
    LambdaFunction.get_configuration = get_configuration
    LambdaFunction.update_configuration = update_configuration
    LambdaFunction._localaws_kms_key_arn = True


def s3_bucket_policy_secure_transport() -> None:
    """S3 bucket policies: moto ignores conditions it cannot evaluate, so a TLS-only bucket denies all.

    The usual statement "Deny s3:* to * when aws:SecureTransport is false" never matches on
    AWS, where SDKs and hashicorp/aws use TLS. moto's bucket-policy check supports only
    StringEquals and treats every other condition as true, so that statement denies every
    object request (security-primary's findings bucket answers 403 to every PutObject).
    Here bucket policies are evaluated by localaws.policy (Bool, String*, Arn*, Null, ...)
    in the context of a TLS request (aws:SecureTransport = "true": requests to the local
    AWS stand for TLS requests to AWS). As in moto, the caller is not known at this point:
    statements naming "*" (or {"AWS": "*"}) apply, statements naming specific principals
    do not.
    """
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    from . import policy

    if getattr(FakeBucket, "_localaws_secure_transport", False):
        return

    def get_permission(self: FakeBucket, action: str, resource: str) -> PermissionResult:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        decision = policy.evaluate(self.policy.decode(), policy.Principal(), action, resource, {"aws:SecureTransport": "true"})
        if decision is policy.Decision.EXPLICIT_DENY:
            return PermissionResult.DENIED
        if decision is policy.Decision.ALLOW:
            return PermissionResult.PERMITTED
        return PermissionResult.NEUTRAL

    FakeBucket.get_permission = get_permission
    FakeBucket._localaws_secure_transport = True


def sqs_no_lambda_invocation_on_send() -> None:
    """SendMessage to a queue with a Lambda event source mapping invokes the function in moto.

    moto runs Lambda code in Docker, which is not here: every send then receives up to
    BatchSize messages of the queue, fails the invocation and makes them visible again,
    each one receive closer to the dead-letter queue; after maxReceiveCount sends the
    messages are in the DLQ, never processed. On AWS, Lambda's poller receives them. Here
    the mapping stays (ListEventSourceMappings shows it) and localaws.lambda_runner polls.
    """
    from moto.sqs.models import Queue

    # moto registers mappings on the queue object only for the invocation on send.
    Queue.lambda_event_source_mappings = property(lambda self: {}, lambda self, value: None)


def sqs_standard_queue_order() -> None:
    """SQS standard queues hand out messages in the order they were sent.

    AWS promises no order for a standard queue ("best-effort ordering": a consumer may
    receive a later message first, and one batch may mix old and new), only FIFO queues
    keep it. moto always answers oldest first, so a consumer or a test that assumes the
    sending order passes here and fails on AWS. Here ReceiveMessage on a standard queue
    takes the visible messages in a random order; FIFO queues keep theirs.
    """
    import random

    from moto.sqs.models import Queue

    if getattr(Queue, "_localaws_unordered", False):
        return
    visible = Queue.messages.fget

    def messages(self: Queue) -> list:
        found = visible(self)
        if not self.fifo_queue:
            random.shuffle(found)
        return found

    Queue.messages = property(messages)
    Queue._localaws_unordered = True


class _SnapshotViews:
    """Iteration and views of a dict as lists copied in one step.

    moto's server answers requests on parallel threads and its backends keep resources in
    plain dicts that one request iterates (a Python-level loop or comprehension, which the
    interpreter may suspend) while another inserts or removes: the loop then fails with
    "dictionary changed size during iteration" and the request answers 500. Copying a
    dict's view into a list runs in C under the GIL without a thread switch, so iterating
    the copy is safe; lookups and writes are the dict's own.
    """

    def __iter__(self):
        return iter(list(super().keys()))

    def keys(self):
        return list(super().keys())

    def values(self):
        return list(super().values())

    def items(self):
        return list(super().items())


class SnapshotDict(_SnapshotViews, dict):
    pass


class SnapshotOrderedDict(_SnapshotViews, OrderedDict):
    """For the OrderedDicts moto uses where order is part of the answer."""


def iam_roles_under_concurrency() -> None:
    """IAM: a request fails with 500 while another creates or deletes a role in its account.

    moto looks up the caller's role on every request signed with role-session keys
    (mark_account_as_visited -> get_role_by_arn) and checks a new role's name, both by
    looping over the account's roles, so a CreateRole or DeleteRole on another thread
    ends them with "dictionary changed size during iteration" (terraform creates several
    roles of one account at once). And CreateRole checks the name, then inserts: two
    concurrent calls with one name both succeed, where AWS answers EntityAlreadyExists to
    the second. Here the roles are a SnapshotDict and CreateRole holds the account's lock
    from the check to the insert.
    """
    import threading

    from moto.iam.models import IAMBackend

    if getattr(IAMBackend, "_localaws_concurrency", False):
        return
    original_init = IAMBackend.__init__
    original_create_role = IAMBackend.create_role

    def __init__(self: IAMBackend, *args, **kwargs) -> None:
        original_init(self, *args, **kwargs)
        self.roles = SnapshotDict(self.roles)
        self._localaws_roles_lock = threading.Lock()

    def create_role(self: IAMBackend, *args, **kwargs):
        with self._localaws_roles_lock:
            return original_create_role(self, *args, **kwargs)

    IAMBackend.__init__ = __init__
    IAMBackend.create_role = create_role
    IAMBackend._localaws_concurrency = True


def sns_subscriptions_under_concurrency() -> None:
    """SNS: a Publish fails with 500 while a Subscribe or Unsubscribe runs in its account and region.

    moto's Topic.publish, Subscribe (looking for an existing subscription) and
    SetSubscriptionAttributes loop over the region's subscriptions, an OrderedDict that a
    concurrent Subscribe or Unsubscribe changes: "OrderedDict mutated during iteration".
    Our Inspector Classic backend publishes from assessment runs while terraform
    subscribes queues. Here the subscriptions are a SnapshotOrderedDict.
    """
    from moto.sns.models import SNSBackend

    if getattr(SNSBackend, "_localaws_concurrency", False):
        return
    original_init = SNSBackend.__init__

    def __init__(self: SNSBackend, *args, **kwargs) -> None:
        original_init(self, *args, **kwargs)
        self.subscriptions = SnapshotOrderedDict(self.subscriptions)

    SNSBackend.__init__ = __init__
    SNSBackend._localaws_concurrency = True


def sqs_send_without_counting() -> None:
    """Speed: moto's SendMessage reads `queue.attributes` for one flag
    (ContentBasedDeduplication), and that property counts every message in the queue, so
    sending N messages costs O(N^2) (the Inspector v2 benchmark's 10,000 events). While a
    send runs, the property answers that flag alone; nothing else changes."""
    import threading

    from moto.sqs.models import Queue, SQSBackend

    if getattr(SQSBackend, "_localaws_cheap_send", False):
        return
    sending = threading.local()
    full = Queue.attributes.fget
    send = SQSBackend.send_message

    def attributes(self: Queue) -> dict:
        if getattr(sending, "active", False):
            # As the full property has it: a FIFO attribute, a lower-case string.
            return {"ContentBasedDeduplication": str(bool(self.content_based_deduplication)).lower()} if self.fifo_queue else {}
        return full(self)

    def send_message(self: SQSBackend, *args: Any, **kwargs: Any) -> Any:
        sending.active = True
        try:
            return send(self, *args, **kwargs)
        finally:
            sending.active = False

    Queue.attributes = property(attributes)
    SQSBackend.send_message = send_message
    SQSBackend._localaws_cheap_send = True


def sqs_receive_without_counting() -> None:
    """Speed: ReceiveMessage checks every message it hands out against the queue's
    retention period, which moto reads through GetQueueAttributes, whose `attributes`
    counts every message in the queue: draining N messages costs O(N^2) (the v2 sandbox
    benchmark's 5,000 findings went at 3 a second). The check reads the period from the
    queue itself; its outcome is the same."""
    from moto.core.utils import unix_time
    from moto.sqs.models import Message, SQSBackend

    if getattr(SQSBackend, "_localaws_cheap_receive", False):
        return

    def is_message_valid_based_on_retention_period(self: SQSBackend, queue_name: str, message: Message) -> bool:
        retention_period = int(self.get_queue(queue_name).message_retention_period)
        return retention_period + message.sent_timestamp / 1000 > unix_time()

    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period
    SQSBackend._localaws_cheap_receive = True


def events_cached_json_paths() -> None:
    """Speed: moto's EventBridge parses the same eight JSONPath expressions (its default
    input template) again for every event and target; parsed paths are reusable, so they
    are parsed once."""
    import functools

    import jsonpath_ng.ext

    if getattr(jsonpath_ng.ext, "_localaws_cached", False):
        return
    jsonpath_ng.ext.parse = functools.lru_cache(maxsize=1024)(jsonpath_ng.ext.parse)
    jsonpath_ng.ext._localaws_cached = True


def dynamodb_delete_missing_table_message() -> None:
    """DeleteTable of a missing table answers "Requested resource not found" alone.

    AWS (and moto's own DescribeTable) say "Requested resource not found: Table: <name> not
    found"; hashicorp/aws's aws_dynamodb_table destroy treats exactly that message as
    "already gone" and anything else as a failure, so a table deleted behind Terraform's
    back fails the destroy here and not in AWS.
    """
    from moto.dynamodb.exceptions import ResourceNotFoundException
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.delete_table
    if getattr(original, "_localaws_patched", False):
        return

    def delete_table(self: DynamoDBBackend, name: str):
        try:
            return original(self, name)
        except ResourceNotFoundException as err:
            if err.message == "Requested resource not found":
                raise ResourceNotFoundException(table_name=name) from None
            raise

    delete_table._localaws_patched = True
    DynamoDBBackend.delete_table = delete_table


def dynamodb_atomic_item_writes() -> None:
    """DynamoDB: two concurrent conditional writes to one item can both succeed.

    AWS checks a write's condition and applies it atomically, per item. moto checks the
    condition, then writes, with nothing in between to stop another request thread; and
    UpdateItem's ReturnValues=ALL_OLD copies the old item before the condition is even
    checked. So two claims with attribute_not_exists(pk) both win, and a "newest version
    only" update reports an old item that another request replaced meanwhile. Our
    notify-findings relies on both (its claims and its newest-seen record). Here every
    request that reads or writes items runs alone; DynamoDB traffic here is small.
    """
    import threading

    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler, "_localaws_atomic_items", False):
        return
    items = threading.RLock()

    def alone(action: Callable[..., Any]) -> Callable[..., Any]:
        def run(self: DynamoHandler, *args: Any, **kwargs: Any) -> Any:
            with items:
                return action(self, *args, **kwargs)

        return run

    for name in (
        "get_item",
        "put_item",
        "update_item",
        "delete_item",
        "batch_get_item",
        "batch_write_item",
        "transact_get_items",
        "transact_write_items",
        "query",
        "scan",
        "execute_statement",
        "execute_transaction",
        "batch_execute_statement",
    ):
        setattr(DynamoHandler, name, alone(getattr(DynamoHandler, name)))
    DynamoHandler._localaws_atomic_items = True


def athena_tags_and_named_queries() -> None:
    """Athena: ListTagsForResource of an untagged workgroup says it does not exist (400),
    DeleteNamedQuery is missing, and GetNamedQuery of an unknown id fails with a 500.

    hashicorp/aws reads a workgroup's tags after creating it (an untagged one then fails
    to create), deletes named queries with DeleteNamedQuery, and reads a named query gone
    behind Terraform's back as gone only from AWS's InvalidRequestException "... does
    not exist". AWS answers an existing resource without tags with an empty list.
    """
    from moto.athena.models import AthenaBackend
    from moto.athena.responses import AthenaResponse

    if hasattr(AthenaResponse, "delete_named_query"):
        return
    original_list_tags = AthenaResponse.list_tags_for_resource
    original_get_named_query = AthenaResponse.get_named_query

    def exists(backend: AthenaBackend, arn: str) -> bool:
        kind, _, name = arn.split(":", 5)[-1].partition("/")
        found = {
            "workgroup": backend.work_groups,
            "datacatalog": backend.data_catalogs,
            "capacity-reservation": backend.capacity_reservations,
        }.get(kind, {})
        return name in found

    def list_tags_for_resource(self: AthenaResponse):  # type: ignore[no-untyped-def]
        arn = self._get_param("ResourceARN") or ""
        if not self.athena_backend.tagger.has_tags(arn) and exists(self.athena_backend, arn):
            return json.dumps({"Tags": []})
        return original_list_tags(self)

    def unknown(self: AthenaResponse, query_id: str):  # type: ignore[no-untyped-def]
        return self.error(f"NamedQuery {query_id} does not exist", 400)

    def get_named_query(self: AthenaResponse):  # type: ignore[no-untyped-def]
        query_id = self._get_param("NamedQueryId")
        if self.athena_backend.get_named_query(query_id) is None:
            return unknown(self, query_id)
        return original_get_named_query(self)

    def delete_named_query(self: AthenaResponse):  # type: ignore[no-untyped-def]
        query_id = self._get_param("NamedQueryId")
        if self.athena_backend.named_queries.pop(query_id, None) is None:
            return unknown(self, query_id)
        return json.dumps({})

    AthenaResponse.list_tags_for_resource = list_tags_for_resource
    AthenaResponse.get_named_query = get_named_query
    AthenaResponse.delete_named_query = delete_named_query


PATCHES: dict[str, Callable[[], None]] = {
    "securityhub_update_configuration": securityhub_update_configuration,
    "securityhub_product_subscriptions": securityhub_product_subscriptions,
    "sqs_redrive_allow_policy": sqs_redrive_allow_policy,
    "sqs_compact_redrive_policy": sqs_compact_redrive_policy,
    "inspector2_disable_delegated_admin": inspector2_disable_delegated_admin,
    "inspector2_member_disassociation": inspector2_member_disassociation,
    "events_targets_get_the_whole_event": events_targets_get_the_whole_event,
    "events_rules_deliver_only_matching_events": events_rules_deliver_only_matching_events,
    "s3_delete_markers_in_suspended_buckets": s3_delete_markers_in_suspended_buckets,
    "sns_cross_account_sqs_delivery": sns_cross_account_sqs_delivery,
    "sts_trust_policy": sts_trust_policy,
    "sns_email_and_http_delivery": sns_email_and_http_delivery,
    "lambda_kms_key_arn": lambda_kms_key_arn,
    "s3_bucket_policy_secure_transport": s3_bucket_policy_secure_transport,
    "sqs_no_lambda_invocation_on_send": sqs_no_lambda_invocation_on_send,
    "sqs_standard_queue_order": sqs_standard_queue_order,
    "iam_roles_under_concurrency": iam_roles_under_concurrency,
    "sns_subscriptions_under_concurrency": sns_subscriptions_under_concurrency,
    "sqs_send_without_counting": sqs_send_without_counting,
    "sqs_receive_without_counting": sqs_receive_without_counting,
    "events_cached_json_paths": events_cached_json_paths,
    "dynamodb_delete_missing_table_message": dynamodb_delete_missing_table_message,
    "dynamodb_atomic_item_writes": dynamodb_atomic_item_writes,
    "athena_tags_and_named_queries": athena_tags_and_named_queries,
}


def apply_all() -> None:
    for patch in PATCHES.values():
        patch()
