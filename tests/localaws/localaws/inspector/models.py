"""The Inspector Classic backend: resource groups, targets, templates, runs, findings and
event subscriptions of one account in one region, with the documented validation, errors,
limits and pagination of the Inspector Classic API (2016-02-16)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from moto.core.base_backend import BackendDict, BaseBackend
from moto.ec2.models import ec2_backends
from moto.iam.exceptions import NotFoundException as IAMRoleNotFound
from moto.iam.models import iam_backends

from .. import policy
from . import arns, notifications
from .arns import Kind
from .exceptions import (
    AccessDeniedException,
    AgentsAlreadyRunningAssessmentException,
    AssessmentRunInProgressException,
    InvalidCrossAccountRoleException,
    InvalidInputException,
    LimitExceededException,
    NoSuchEntityException,
)
from .facts import RegionFacts, RulesPackage, region_facts
from .findings import AUTO_SCALING_GROUP_TAG, SCHEMA_VERSION, SEVERITIES, asset_attributes, findings_for_instance
from .settings import settings

EVENTS = ("ASSESSMENT_RUN_STARTED", "ASSESSMENT_RUN_COMPLETED", "ASSESSMENT_RUN_STATE_CHANGED", "FINDING_REPORTED", "OTHER")
RUN_STATES = (
    "CREATED", "START_DATA_COLLECTION_PENDING", "START_DATA_COLLECTION_IN_PROGRESS", "COLLECTING_DATA",
    "STOP_DATA_COLLECTION_PENDING", "DATA_COLLECTED", "START_EVALUATING_RULES_PENDING", "EVALUATING_RULES",
    "FAILED", "ERROR", "COMPLETED", "COMPLETED_WITH_ERRORS", "CANCELED",
)
FINISHED_RUN_STATES = ("FAILED", "ERROR", "COMPLETED", "COMPLETED_WITH_ERRORS", "CANCELED")
STOP_ACTIONS = ("START_EVALUATION", "SKIP_EVALUATION")
SEVERITY_NAMES = (*(name for name, _ in SEVERITIES), "Undefined")
LOCALE = "EN_US"

# Documented limits per account and region (User Guide, "Amazon Inspector service limits").
MAX_TARGETS = 50
MAX_TEMPLATES = 500
MAX_RUNS = 50_000
# Model limits: batch describes, list pages, notifications recorded on a run, name lengths.
MAX_DESCRIBE_ARNS = 10
MAX_LIST_PARENT_ARNS = 50
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 500
MAX_RUN_NOTIFICATIONS = 50
MAX_NAME_LENGTH = 140
MIN_DURATION, MAX_DURATION = 180, 86400

SERVICE_LINKED_ROLE = "role/aws-service-role/inspector.amazonaws.com/AWSServiceRoleForAmazonInspector"
INSPECTOR_SERVICE_PRINCIPAL = "inspector.amazonaws.com"
# What Inspector does with a registered cross-account role (API reference, RegisterCrossAccountAccessRole).
ROLE_NEEDS_ACTION = "ec2:DescribeInstances"


def _now() -> datetime:
    """Now, to the millisecond: AWS timestamps have milliseconds, and filters compare them."""
    moment = datetime.now(timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _epoch(moment: datetime | None) -> float | None:
    """A timestamp as the JSON protocol carries it: epoch seconds."""
    return moment.timestamp() if moment else None


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class EntityKind:
    """How the API names one kind of entity in its error codes."""

    kind: Kind
    label: str
    invalid_arn: str
    access_denied: str
    does_not_exist: str
    invalid_count: str


RESOURCE_GROUP = EntityKind(Kind.RESOURCE_GROUP, "resource group", "INVALID_RESOURCE_GROUP_ARN", "ACCESS_DENIED_TO_RESOURCE_GROUP", "RESOURCE_GROUP_DOES_NOT_EXIST", "INVALID_NUMBER_OF_RESOURCE_GROUP_ARNS")
TARGET = EntityKind(Kind.TARGET, "assessment target", "INVALID_ASSESSMENT_TARGET_ARN", "ACCESS_DENIED_TO_ASSESSMENT_TARGET", "ASSESSMENT_TARGET_DOES_NOT_EXIST", "INVALID_NUMBER_OF_ASSESSMENT_TARGET_ARNS")
TEMPLATE = EntityKind(Kind.TEMPLATE, "assessment template", "INVALID_ASSESSMENT_TEMPLATE_ARN", "ACCESS_DENIED_TO_ASSESSMENT_TEMPLATE", "ASSESSMENT_TEMPLATE_DOES_NOT_EXIST", "INVALID_NUMBER_OF_ASSESSMENT_TEMPLATE_ARNS")
RUN = EntityKind(Kind.RUN, "assessment run", "INVALID_ASSESSMENT_RUN_ARN", "ACCESS_DENIED_TO_ASSESSMENT_RUN", "ASSESSMENT_RUN_DOES_NOT_EXIST", "INVALID_NUMBER_OF_ASSESSMENT_RUN_ARNS")
FINDING = EntityKind(Kind.FINDING, "finding", "INVALID_FINDING_ARN", "ACCESS_DENIED_TO_FINDING", "FINDING_DOES_NOT_EXIST", "INVALID_NUMBER_OF_FINDING_ARNS")
RULES_PACKAGE = EntityKind(Kind.RULES_PACKAGE, "rules package", "INVALID_RULES_PACKAGE_ARN", "ACCESS_DENIED_TO_RULES_PACKAGE", "RULES_PACKAGE_DOES_NOT_EXIST", "INVALID_NUMBER_OF_RULES_PACKAGE_ARNS")


# ---------------------------------------------------------------------------------------
# Entities


@dataclass
class ResourceGroup:
    arn: str
    tags: list[dict[str, str]]
    created_at: datetime = field(default_factory=_now)

    def matches(self, instance_tags: dict[str, str]) -> bool:
        """An instance belongs to the group if it has any of its tags (User Guide,
        "Tagging resources to create an assessment target"); a tag without a value
        matches any value of that key."""
        return any(
            tag["key"] in instance_tags and ("value" not in tag or instance_tags[tag["key"]] == tag["value"])
            for tag in self.tags
        )

    def to_api(self) -> dict:
        return {"arn": self.arn, "tags": self.tags, "createdAt": _epoch(self.created_at)}


@dataclass
class AssessmentTarget:
    arn: str
    name: str
    resource_group_arn: str | None
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.updated_at = self.created_at

    def to_api(self) -> dict:
        return _without_none(
            {
                "arn": self.arn,
                "name": self.name,
                "resourceGroupArn": self.resource_group_arn,
                "createdAt": _epoch(self.created_at),
                "updatedAt": _epoch(self.updated_at),
            }
        )


@dataclass
class AssessmentTemplate:
    arn: str
    name: str
    target_arn: str
    duration: int
    rules_package_arns: list[str]
    user_attributes: list[dict[str, str]]
    created_at: datetime = field(default_factory=_now)
    tags: list[dict[str, str]] = field(default_factory=list)
    run_count: int = 0
    last_run_arn: str | None = None
    # (topic ARN, event) -> when it was subscribed, in subscription order.
    subscriptions: dict[tuple[str, str], datetime] = field(default_factory=dict)

    def topics_for(self, event: str) -> list[str]:
        return [topic for topic, subscribed_event in self.subscriptions if subscribed_event == event]

    def to_api(self) -> dict:
        return _without_none(
            {
                "arn": self.arn,
                "name": self.name,
                "assessmentTargetArn": self.target_arn,
                "durationInSeconds": self.duration,
                "rulesPackageArns": self.rules_package_arns,
                "userAttributesForFindings": self.user_attributes,
                "lastAssessmentRunArn": self.last_run_arn,
                "assessmentRunCount": self.run_count,
                "createdAt": _epoch(self.created_at),
            }
        )


@dataclass
class Finding:
    arn: str
    content: dict[str, Any]
    user_attributes: list[dict[str, str]]
    created_at: datetime
    updated_at: datetime

    @property
    def severity(self) -> str:
        return self.content["severity"]

    @property
    def agent_id(self) -> str:
        return self.content["assetAttributes"]["agentId"]

    def to_api(self) -> dict:
        return {
            "arn": self.arn,
            **self.content,
            "userAttributes": self.user_attributes,
            "createdAt": _epoch(self.created_at),
            "updatedAt": _epoch(self.updated_at),
        }


@dataclass
class AssessmentRun:
    arn: str
    name: str
    template: AssessmentTemplate
    instance_ids: list[str]
    created_at: datetime = field(default_factory=_now)
    state: str = "CREATED"
    state_changes: list[dict] = field(default_factory=list)
    started_at: datetime | None = None
    completed_at: datetime | None = None
    data_collected: bool = False
    notifications: list[dict] = field(default_factory=list)
    findings: dict[str, Finding] = field(default_factory=dict)
    state_changed_at: datetime = field(init=False)
    # A run keeps the template's configuration as it was when the run started.
    duration: int = field(init=False)
    rules_package_arns: list[str] = field(init=False)
    user_attributes: list[dict[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        self.state_changed_at = self.created_at
        self.duration = self.template.duration
        self.rules_package_arns = list(self.template.rules_package_arns)
        self.user_attributes = list(self.template.user_attributes)
        self.state_changes.append({"state": self.state, "stateChangedAt": _epoch(self.created_at)})

    @property
    def in_progress(self) -> bool:
        return self.state not in FINISHED_RUN_STATES

    def finding_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITY_NAMES, 0)
        for finding in self.findings.values():
            counts[finding.severity] += 1
        return counts

    def to_api(self) -> dict:
        return _without_none(
            {
                "arn": self.arn,
                "name": self.name,
                "assessmentTemplateArn": self.template.arn,
                "state": self.state,
                "durationInSeconds": self.duration,
                "rulesPackageArns": self.rules_package_arns,
                "userAttributesForFindings": self.user_attributes,
                "createdAt": _epoch(self.created_at),
                "startedAt": _epoch(self.started_at),
                "completedAt": _epoch(self.completed_at),
                "stateChangedAt": _epoch(self.state_changed_at),
                "dataCollected": self.data_collected,
                "stateChanges": self.state_changes,
                "notifications": self.notifications,
                "findingCounts": self.finding_counts(),
            }
        )


# ---------------------------------------------------------------------------------------
# Request validation shared by the operations


def _check_count(values: list, minimum: int, maximum: int, error_code: str, what: str) -> None:
    if not minimum <= len(values) <= maximum:
        raise InvalidInputException(error_code, f"The number of {what} must be between {minimum} and {maximum}; got {len(values)}.")


def _check_name(name: Any, error_code: str, what: str) -> None:
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise InvalidInputException(error_code, f"The {what} must be 1 to {MAX_NAME_LENGTH} characters long.")


def _check_key_values(
    pairs: list[dict], maximum: int, count_code: str, key_code: str, value_code: str, what: str, minimum: int = 0
) -> list[dict[str, str]]:
    """Tags and attributes: {key, value?} with key 1-128 and value 1-256 characters."""
    _check_count(pairs, minimum, maximum, count_code, what)
    for pair in pairs:
        key, value = pair.get("key"), pair.get("value")
        if not isinstance(key, str) or not 1 <= len(key) <= 128:
            raise InvalidInputException(key_code, f"Invalid key in {what}: {key!r} (1 to 128 characters).")
        if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= 256):
            raise InvalidInputException(value_code, f"Invalid value for key {key!r} in {what}: {value!r} (1 to 256 characters).")
    return [_without_none({"key": pair["key"], "value": pair.get("value")}) for pair in pairs]


def _check_duration_range(duration_range: dict | None, error_code: str) -> tuple[int, int]:
    duration_range = duration_range or {}
    low, high = duration_range.get("minSeconds", MIN_DURATION), duration_range.get("maxSeconds", MAX_DURATION)
    if not (MIN_DURATION <= low <= MAX_DURATION and MIN_DURATION <= high <= MAX_DURATION and low <= high):
        raise InvalidInputException(error_code, f"Invalid duration range: {duration_range}.")
    return low, high


def _check_time_range(time_range: dict | None, error_code: str) -> tuple[float, float]:
    time_range = time_range or {}
    begin, end = time_range.get("beginDate", float("-inf")), time_range.get("endDate", float("inf"))
    if begin > end:
        raise InvalidInputException(error_code, f"Invalid time range: {time_range}.")
    return begin, end


def _name_matcher(pattern: str | None, error_code: str) -> Callable[[str], bool]:
    """Filters take an exact name or a pattern with * wildcards."""
    if pattern is None:
        return lambda _name: True
    _check_name(pattern, error_code, "name pattern")
    return lambda name: policy.glob_matches(pattern, name)


def _in_range(moment: datetime | None, time_range: tuple[float, float]) -> bool:
    return moment is not None and time_range[0] <= moment.timestamp() <= time_range[1]


def _contains_all(have: list[dict], wanted: list[dict]) -> bool:
    return all(item in have for item in wanted)


def paginate(items: list, next_token: str | None, max_results: int | None) -> tuple[list, str | None]:
    """One page of a List* answer; the token is the offset of the next page."""
    size = DEFAULT_PAGE_SIZE if max_results is None else max_results
    if not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidInputException("INVALID_MAX_RESULTS", f"maxResults must be from 1 to {MAX_PAGE_SIZE}.")
    start = 0
    if next_token is not None:
        if not (isinstance(next_token, str) and next_token.isdigit() and int(next_token) <= len(items)):
            raise InvalidInputException("INVALID_PAGINATION_TOKEN", f"Invalid pagination token: {next_token}.")
        start = int(next_token)
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


# ---------------------------------------------------------------------------------------
# The backend


def _under_lock(method: Callable) -> Callable:
    """For reads that walk the backend's dicts: a create or delete in another request thread
    would end them with "dictionary changed size during iteration" (a 500)."""

    @functools.wraps(method)
    def locked(self: InspectorBackend, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return method(self, *args, **kwargs)

    return locked


class InspectorBackend(BaseBackend):
    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        # Threaded server: operations that check and then change state run one at a time.
        self.lock = threading.RLock()
        self.facts: RegionFacts = region_facts(region_name)
        self.resource_groups: dict[str, ResourceGroup] = {}
        self.targets: dict[str, AssessmentTarget] = {}
        self.templates: dict[str, AssessmentTemplate] = {}
        self.runs: dict[str, AssessmentRun] = {}
        self.findings: dict[str, Finding] = {}
        # The service-linked role counts as registered from the first call in the account
        # and region; RegisterCrossAccountAccessRole replaces it.
        self.access_role = {
            "roleArn": f"arn:{self.facts.partition}:iam::{account_id}:{SERVICE_LINKED_ROLE}",
            "valid": True,
            "registeredAt": _epoch(_now()),
        }

    # --- entity lookup ------------------------------------------------------------------

    def _get(self, arn: Any, entity: EntityKind, store: dict[str, Any]) -> Any:
        """The entity an ARN names, or the error AWS gives for a malformed ARN, an entity
        of another account, or one that does not exist (here)."""
        parsed = arns.parse(arn, entity.kind)
        if parsed is None:
            raise InvalidInputException(entity.invalid_arn, f"Invalid {entity.label} ARN: {arn}")
        if parsed.account != self.account_id:
            raise AccessDeniedException(entity.access_denied, f"You do not have access to the {entity.label} {arn}.")
        if parsed.region != self.region_name or arn not in store:
            raise NoSuchEntityException(entity.does_not_exist, f"The {entity.label} {arn} does not exist.")
        return store[arn]

    def _get_rules_package(self, arn: Any) -> RulesPackage:
        if arns.parse(arn, Kind.RULES_PACKAGE) is None:
            raise InvalidInputException(RULES_PACKAGE.invalid_arn, f"Invalid rules package ARN: {arn}")
        package = self.facts.rules_package(arn)
        if package is None:
            raise NoSuchEntityException(RULES_PACKAGE.does_not_exist, f"The rules package {arn} does not exist in {self.region_name}.")
        return package

    def _get_all(self, arn_list: list | None, entity: EntityKind, store: dict[str, Any]) -> list:
        """The entities a List* call restricts itself to (ListParentArnList: at most 50)."""
        arn_list = arn_list or []
        _check_count(arn_list, 0, MAX_LIST_PARENT_ARNS, entity.invalid_count, f"{entity.label} ARNs")
        return [self._get(arn, entity, store) for arn in arn_list]

    def _describe(self, arn_list: list, entity: EntityKind, lookup: Callable[[str], Any]) -> tuple[list, dict]:
        """Describe* semantics: up to 10 ARNs; each one either described or a failed item."""
        _check_count(arn_list, 1, MAX_DESCRIBE_ARNS, entity.invalid_count, f"{entity.label} ARNs")
        described, failed = {}, {}
        for arn in arn_list:
            parsed = arns.parse(arn, entity.kind)
            if parsed is None:
                failed[arn] = "INVALID_ARN"
            elif entity is not RULES_PACKAGE and parsed.account != self.account_id:
                failed[arn] = "ACCESS_DENIED"  # rules packages belong to the service account
            elif parsed.region != self.region_name or (item := lookup(arn)) is None:
                failed[arn] = "ITEM_DOES_NOT_EXIST"
            else:
                described[arn] = item
        return list(described.values()), {arn: {"failureCode": code, "retryable": False} for arn, code in failed.items()}

    # --- resource groups ---------------------------------------------------------------

    def create_resource_group(self, tags: list[dict]) -> str:
        tags = _check_key_values(
            tags, 10, "INVALID_NUMBER_OF_RESOURCE_GROUP_TAGS", "INVALID_RESOURCE_GROUP_TAG_KEY",
            "INVALID_RESOURCE_GROUP_TAG_VALUE", "resource group tags", minimum=1,
        )
        with self.lock:
            group = ResourceGroup(arns.resource_group_arn(self.facts.partition, self.region_name, self.account_id), tags)
            self.resource_groups[group.arn] = group
        return group.arn

    def describe_resource_groups(self, arn_list: list) -> tuple[list, dict]:
        return self._describe(arn_list, RESOURCE_GROUP, self.resource_groups.get)

    # --- targets ----------------------------------------------------------------------

    def _check_target_name_free(self, name: str, except_arn: str | None = None) -> None:
        _check_name(name, "INVALID_ASSESSMENT_TARGET_NAME", "assessment target name")
        if any(target.name == name and target.arn != except_arn for target in self.targets.values()):
            raise InvalidInputException(
                "ASSESSMENT_TARGET_NAME_ALREADY_TAKEN",
                f"Create assessmentTarget - Name already exists; Name: {name} ParentOwner: {self.account_id}",
            )

    def create_assessment_target(self, name: str, resource_group_arn: str | None) -> str:
        with self.lock:
            self._check_target_name_free(name)
            if resource_group_arn is not None:
                self._get(resource_group_arn, RESOURCE_GROUP, self.resource_groups)
            if len(self.targets) >= MAX_TARGETS:
                raise LimitExceededException("ASSESSMENT_TARGET_LIMIT_EXCEEDED", f"You can have at most {MAX_TARGETS} assessment targets.")
            target = AssessmentTarget(arns.target_arn(self.facts.partition, self.region_name, self.account_id), name, resource_group_arn)
            self.targets[target.arn] = target
        return target.arn

    def update_assessment_target(self, arn: str, name: str, resource_group_arn: str | None) -> None:
        with self.lock:
            target = self._get(arn, TARGET, self.targets)
            self._check_target_name_free(name, except_arn=arn)
            if resource_group_arn is not None:
                self._get(resource_group_arn, RESOURCE_GROUP, self.resource_groups)
            target.name, target.resource_group_arn, target.updated_at = name, resource_group_arn, _now()

    def delete_assessment_target(self, arn: str) -> None:
        with self.lock:
            target = self._get(arn, TARGET, self.targets)
            templates = [t for t in self.templates.values() if t.target_arn == target.arn]
            self._refuse_if_running(run for template in templates for run in self._runs_of(template))
            for template in templates:
                self._remove_template(template)
            del self.targets[arn]

    def describe_assessment_targets(self, arn_list: list) -> tuple[list, dict]:
        return self._describe(arn_list, TARGET, self.targets.get)

    @_under_lock
    def list_assessment_targets(self, name_pattern: str | None) -> list[str]:
        matches = _name_matcher(name_pattern, "INVALID_ASSESSMENT_TARGET_NAME_PATTERN")
        return [target.arn for target in self.targets.values() if matches(target.name)]

    @property
    def _ec2(self) -> Any:
        return ec2_backends[self.account_id][self.region_name]

    def _tags_of(self, instance: Any) -> dict[str, str]:
        return self._ec2.tags.get(instance.id, {})

    def _instances_of(self, target: AssessmentTarget) -> list[Any]:
        """The RUNNING EC2 instances of the account and region that the target selects."""
        group = self.resource_groups.get(target.resource_group_arn) if target.resource_group_arn else None
        return [
            instance
            for instance in self._ec2.all_running_instances()
            if group is None or group.matches(self._tags_of(instance))
        ]

    def preview_agents(self, arn: str) -> list[dict]:
        """PreviewAgents takes a target or a template ARN."""
        with self.lock:
            if arns.parse(arn, Kind.TEMPLATE):
                target = self.targets[self._get(arn, TEMPLATE, self.templates).target_arn]
            else:
                target = self._get(arn, TARGET, self.targets)
            instances = self._instances_of(target)
        return [
            _without_none(
                {
                    "agentId": instance.id,
                    "hostname": instance.public_dns_name or instance.private_dns_name,
                    "ipv4Address": instance.private_ip,
                    "agentHealth": "HEALTHY",
                    "autoScalingGroup": self._tags_of(instance).get(AUTO_SCALING_GROUP_TAG),
                }
            )
            for instance in instances
        ]

    # --- templates --------------------------------------------------------------------

    def create_assessment_template(
        self, target_arn: str, name: str, duration: int, rules_package_arns: list, user_attributes: list
    ) -> str:
        _check_name(name, "INVALID_ASSESSMENT_TEMPLATE_NAME", "assessment template name")
        if not isinstance(duration, int) or not MIN_DURATION <= duration <= MAX_DURATION:
            raise InvalidInputException("INVALID_ASSESSMENT_TEMPLATE_DURATION", f"durationInSeconds must be from {MIN_DURATION} to {MAX_DURATION}.")
        _check_count(rules_package_arns, 0, 50, "INVALID_NUMBER_OF_RULES_PACKAGE_ARNS", "rules package ARNs")
        packages = [self._get_rules_package(arn) for arn in rules_package_arns]
        user_attributes = _check_key_values(
            user_attributes, 10, "INVALID_NUMBER_OF_USER_ATTRIBUTES", "INVALID_USER_ATTRIBUTE_KEY",
            "INVALID_USER_ATTRIBUTE_VALUE", "user attributes",
        )
        with self.lock:
            target = self._get(target_arn, TARGET, self.targets)
            if any(t.name == name and t.target_arn == target.arn for t in self.templates.values()):
                raise InvalidInputException(
                    "ASSESSMENT_TEMPLATE_NAME_ALREADY_TAKEN",
                    f"Create assessmentTemplate - Name already exists; Name: {name} ParentOwner: {self.account_id}",
                )
            if len(self.templates) >= MAX_TEMPLATES:
                raise LimitExceededException("ASSESSMENT_TEMPLATE_LIMIT_EXCEEDED", f"You can have at most {MAX_TEMPLATES} assessment templates.")
            template = AssessmentTemplate(
                arns.child_arn(target.arn, Kind.TEMPLATE), name, target.arn, duration,
                list(dict.fromkeys(package.arn for package in packages)), user_attributes,
            )
            self.templates[template.arn] = template
        return template.arn

    def _runs_of(self, template: AssessmentTemplate) -> list[AssessmentRun]:
        return [run for run in self.runs.values() if run.template is template]

    def _refuse_if_running(self, runs: Iterable[AssessmentRun]) -> None:
        running = [run.arn for run in runs if run.in_progress]
        if running:
            raise AssessmentRunInProgressException("You cannot do this while assessment runs are in progress.", running)

    def _remove_run(self, run: AssessmentRun) -> None:
        for finding_arn in run.findings:
            self.findings.pop(finding_arn, None)
        del self.runs[run.arn]

    def _remove_template(self, template: AssessmentTemplate) -> None:
        """Deleting a template deletes its runs and their findings (User Guide)."""
        for run in self._runs_of(template):
            self._remove_run(run)
        del self.templates[template.arn]

    def delete_assessment_template(self, arn: str) -> None:
        with self.lock:
            template = self._get(arn, TEMPLATE, self.templates)
            self._refuse_if_running(self._runs_of(template))
            self._remove_template(template)

    def describe_assessment_templates(self, arn_list: list) -> tuple[list, dict]:
        return self._describe(arn_list, TEMPLATE, self.templates.get)

    @_under_lock
    def list_assessment_templates(self, target_arns: list | None, template_filter: dict) -> list[str]:
        targets = {target.arn for target in self._get_all(target_arns, TARGET, self.targets)}
        matches = _name_matcher(template_filter.get("namePattern"), "INVALID_ASSESSMENT_TEMPLATE_NAME_PATTERN")
        low, high = _check_duration_range(template_filter.get("durationRange"), "INVALID_ASSESSMENT_TEMPLATE_DURATION_RANGE")
        wanted_packages = template_filter.get("rulesPackageArns", [])
        _check_count(wanted_packages, 0, 50, "INVALID_NUMBER_OF_RULES_PACKAGE_ARNS", "rules package ARNs")
        return [
            template.arn
            for template in self.templates.values()
            if (not targets or template.target_arn in targets)
            and matches(template.name)
            and low <= template.duration <= high
            and set(wanted_packages) <= set(template.rules_package_arns)
        ]

    # --- tags (assessment templates only) -----------------------------------------------

    def _tagged_template(self, arn: str) -> AssessmentTemplate:
        parsed = arns.parse_any(arn)
        if parsed is None or parsed.kind is not Kind.TEMPLATE:
            raise InvalidInputException("INVALID_RESOURCE_ARN", f"Only assessment templates have tags; not a template ARN: {arn}")
        return self._get(arn, TEMPLATE, self.templates)

    def set_tags_for_resource(self, arn: str, tags: list) -> None:
        tags = _check_key_values(tags, 10, "INVALID_NUMBER_OF_TAGS", "INVALID_TAG_KEY", "INVALID_TAG_VALUE", "tags")
        if len({tag["key"] for tag in tags}) != len(tags):
            raise InvalidInputException("INVALID_TAG", "Tag keys must be unique.")
        with self.lock:
            self._tagged_template(arn).tags = tags

    def list_tags_for_resource(self, arn: str) -> list[dict]:
        return self._tagged_template(arn).tags

    # --- event subscriptions ----------------------------------------------------------

    def _subscription_args(self, template_arn: str, event: Any, topic_arn: Any) -> AssessmentTemplate:
        template = self._get(template_arn, TEMPLATE, self.templates)
        if event not in EVENTS:
            raise InvalidInputException("INVALID_EVENT", f"Invalid event: {event}; valid events: {', '.join(EVENTS)}.")
        if arns.parse_sns_topic(topic_arn) is None:
            raise InvalidInputException("INVALID_SNS_TOPIC_ARN", f"Invalid SNS topic ARN: {topic_arn}")
        return template

    def subscribe_to_event(self, template_arn: str, event: str, topic_arn: str) -> None:
        """Inspector accepts a topic only if it can publish to it: the topic must exist in the
        template's region and its policy must let the region's Inspector account publish."""
        with self.lock:
            template = self._subscription_args(template_arn, event, topic_arn)
            topic = notifications.find_topic(topic_arn)
            if topic is None or arns.parse_sns_topic(topic_arn).region != self.region_name:
                raise NoSuchEntityException("SNS_TOPIC_DOES_NOT_EXIST", f"The SNS topic {topic_arn} does not exist in {self.region_name}.")
            if notifications.publisher_decision(topic, self.facts.service_account_id) is not policy.Decision.ALLOW:
                raise AccessDeniedException(
                    "ACCESS_DENIED_TO_SNS_TOPIC",
                    f"Amazon Inspector (account {self.facts.service_account_id}) is not allowed to publish to {topic_arn}; "
                    "the topic policy must allow it sns:Publish.",
                )
            template.subscriptions.setdefault((topic_arn, event), _now())

    def unsubscribe_from_event(self, template_arn: str, event: str, topic_arn: str) -> None:
        with self.lock:
            template = self._subscription_args(template_arn, event, topic_arn)
            template.subscriptions.pop((topic_arn, event), None)

    @_under_lock
    def list_event_subscriptions(self, template_arn: str | None) -> list[dict]:
        templates = [self._get(template_arn, TEMPLATE, self.templates)] if template_arn is not None else list(self.templates.values())
        subscriptions = []
        for template in templates:
            by_topic: dict[str, list[dict]] = {}
            for (topic, event), subscribed_at in template.subscriptions.items():
                by_topic.setdefault(topic, []).append({"event": event, "subscribedAt": _epoch(subscribed_at)})
            subscriptions += [
                {"resourceArn": template.arn, "topicArn": topic, "eventSubscriptions": events} for topic, events in by_topic.items()
            ]
        return subscriptions

    # --- rules packages ---------------------------------------------------------------

    def list_rules_packages(self) -> list[str]:
        return [package.arn for package in self.facts.rules_packages]

    def describe_rules_packages(self, arn_list: list, locale: str | None) -> tuple[list, dict]:
        _check_locale(locale)
        return self._describe(arn_list, RULES_PACKAGE, self.facts.rules_package)

    # --- assessment runs --------------------------------------------------------------

    def start_assessment_run(self, template_arn: str, name: str | None) -> str:
        with self.lock:
            template = self._get(template_arn, TEMPLATE, self.templates)
            if len(self.runs) >= MAX_RUNS:
                raise LimitExceededException("ASSESSMENT_RUN_LIMIT_EXCEEDED", f"You can create at most {MAX_RUNS} assessment runs.")
            instances = self._instances_of(self.targets[template.target_arn])
            busy = {
                instance_id: run.arn
                for run in self.runs.values()
                if run.in_progress
                for instance_id in run.instance_ids
            }
            already_running = [
                {"agentId": instance.id, "assessmentRunArn": busy[instance.id]} for instance in instances if instance.id in busy
            ]
            if already_running:
                raise AgentsAlreadyRunningAssessmentException(
                    "Some instances of the target are already in an assessment run.", already_running
                )
            template.run_count += 1
            run = AssessmentRun(
                arns.child_arn(template.arn, Kind.RUN),
                name or f"Run {template.run_count} for {template.name}",
                template,
                [instance.id for instance in instances],
            )
            self.runs[run.arn] = run
            template.last_run_arn = run.arn
            for state in ("START_DATA_COLLECTION_PENDING", "START_DATA_COLLECTION_IN_PROGRESS", "COLLECTING_DATA"):
                self._change_state(run, state)
            run.started_at = run.state_changed_at
            self._notify(run, "ASSESSMENT_RUN_STARTED")
            if settings.for_account(self.account_id).complete_runs:
                self._finish(run, evaluate=True)
        return run.arn

    def stop_assessment_run(self, arn: str, stop_action: str | None) -> None:
        """A finished run is left as it is: there is nothing left to stop."""
        stop_action = stop_action or "START_EVALUATION"
        if stop_action not in STOP_ACTIONS:
            raise InvalidInputException("INVALID_ASSESSMENT_RUN_STATE", f"stopAction must be one of {', '.join(STOP_ACTIONS)}.")
        with self.lock:
            run = self._get(arn, RUN, self.runs)
            if run.in_progress:
                self._finish(run, evaluate=stop_action == "START_EVALUATION")

    def delete_assessment_run(self, arn: str) -> None:
        with self.lock:
            run = self._get(arn, RUN, self.runs)
            self._refuse_if_running([run])
            self._remove_run(run)

    def _change_state(self, run: AssessmentRun, state: str, at: datetime | None = None) -> None:
        run.state, run.state_changed_at = state, at or _now()
        run.state_changes.append({"state": state, "stateChangedAt": _epoch(run.state_changed_at)})
        self._notify(run, "ASSESSMENT_RUN_STATE_CHANGED")

    def _finish(self, run: AssessmentRun, evaluate: bool) -> None:
        self._change_state(run, "STOP_DATA_COLLECTION_PENDING")
        self._change_state(run, "DATA_COLLECTED")
        run.data_collected = True
        if evaluate:
            self._change_state(run, "START_EVALUATING_RULES_PENDING")
            self._change_state(run, "EVALUATING_RULES")
            self._report_findings(run)
        # One instant: AWS reports completedAt equal to the final stateChangedAt.
        run.completed_at = _now()
        self._change_state(run, "COMPLETED" if evaluate else "CANCELED", at=run.completed_at)
        findings_count = {arn: 0 for arn in run.rules_package_arns}
        for finding in run.findings.values():
            findings_count[finding.content["serviceAttributes"]["rulesPackageArn"]] += 1
        self._notify(run, "ASSESSMENT_RUN_COMPLETED", findings_count=findings_count)

    def _report_findings(self, run: AssessmentRun) -> None:
        packages = [self.facts.rules_package(arn) for arn in run.rules_package_arns]
        per_instance = settings.for_account(self.account_id).findings_per_instance
        for instance_id in run.instance_ids:
            instance = self._ec2.get_instance_by_id(instance_id)
            if instance is None:
                continue  # terminated and gone since the run started
            asset = asset_attributes(instance, self._tags_of(instance))
            for content in findings_for_instance(packages, per_instance):
                created = _now()
                finding = Finding(
                    arns.child_arn(run.arn, Kind.FINDING),
                    {
                        "schemaVersion": SCHEMA_VERSION,
                        "service": "Inspector",
                        "serviceAttributes": {
                            "schemaVersion": SCHEMA_VERSION,
                            "assessmentRunArn": run.arn,
                            "rulesPackageArn": content.rules_package.arn,
                        },
                        "assetType": "ec2-instance",
                        "assetAttributes": asset,
                        "id": content.rule.id,
                        "title": content.rule.title.format(instance=instance.id),
                        "description": content.rule.description,
                        "recommendation": content.rule.recommendation,
                        "severity": content.severity,
                        "numericSeverity": content.numeric_severity,
                        "confidence": 10,
                        "indicatorOfCompromise": False,
                        "attributes": [
                            {"key": key, "value": value}
                            for key, value in (("INSTANCE_ID", instance.id), *content.rule.attributes)
                        ],
                    },
                    list(run.user_attributes),
                    created,
                    created,
                )
                run.findings[finding.arn] = self.findings[finding.arn] = finding
                self._notify(run, "FINDING_REPORTED", finding_arn=finding.arn)

    def _notify(self, run: AssessmentRun, event: str, **details: Any) -> None:
        """Publish one event to every topic subscribed to it, and record the outcome."""
        topics = run.template.topics_for(event)
        if not topics:
            return
        moment = _now()
        body = notifications.message_body(
            event, template_arn=run.template.arn, run_arn=run.arn, target_arn=run.template.target_arn, moment=moment, **details
        )
        for topic_arn in topics:
            status = notifications.publish(topic_arn, body, self.facts.service_account_id)
            if len(run.notifications) < MAX_RUN_NOTIFICATIONS:
                run.notifications.append(
                    {
                        "date": _epoch(moment),
                        "event": event,
                        "message": body,
                        "error": status is not notifications.PublishStatus.SUCCESS,
                        "snsTopicArn": topic_arn,
                        "snsPublishStatusCode": status.value,
                    }
                )

    def describe_assessment_runs(self, arn_list: list) -> tuple[list, dict]:
        return self._describe(arn_list, RUN, self.runs.get)

    @_under_lock
    def list_assessment_runs(self, template_arns: list | None, run_filter: dict) -> list[str]:
        templates = {template.arn for template in self._get_all(template_arns, TEMPLATE, self.templates)}
        matches = _name_matcher(run_filter.get("namePattern"), "INVALID_ASSESSMENT_TEMPLATE_NAME_PATTERN")
        states = run_filter.get("states", [])
        _check_count(states, 0, 50, "INVALID_NUMBER_OF_ASSESSMENT_RUN_STATES", "assessment run states")
        if any(state not in RUN_STATES for state in states):
            raise InvalidInputException("INVALID_ASSESSMENT_RUN_STATE", f"Invalid assessment run states: {states}.")
        low, high = _check_duration_range(run_filter.get("durationRange"), "INVALID_ASSESSMENT_RUN_DURATION_RANGE")
        wanted_packages = run_filter.get("rulesPackageArns", [])
        _check_count(wanted_packages, 0, 50, "INVALID_NUMBER_OF_RULES_PACKAGE_ARNS", "rules package ARNs")
        time_ranges = {
            "started_at": ("startTimeRange", "INVALID_ASSESSMENT_RUN_START_TIME_RANGE"),
            "completed_at": ("completionTimeRange", "INVALID_ASSESSMENT_RUN_COMPLETION_TIME_RANGE"),
            "state_changed_at": ("stateChangeTimeRange", "INVALID_ASSESSMENT_RUN_STATE_CHANGE_TIME_RANGE"),
        }
        wanted_times = {
            attribute: _check_time_range(run_filter[name], code)
            for attribute, (name, code) in time_ranges.items()
            if name in run_filter
        }
        return [
            run.arn
            for run in self.runs.values()
            if (not templates or run.template.arn in templates)
            and matches(run.name)
            and (not states or run.state in states)
            and low <= run.duration <= high
            and set(wanted_packages) <= set(run.rules_package_arns)
            and all(_in_range(getattr(run, attribute), time_range) for attribute, time_range in wanted_times.items())
        ]

    # --- findings ---------------------------------------------------------------------

    @_under_lock
    def list_findings(self, run_arns: list | None, finding_filter: dict) -> list[str]:
        runs = self._get_all(run_arns, RUN, self.runs)
        findings = [f for run in runs for f in run.findings.values()] if runs else list(self.findings.values())
        limits = {
            "agentIds": (99, "INVALID_NUMBER_OF_AGENT_IDS"),
            "autoScalingGroups": (20, "INVALID_NUMBER_OF_AUTO_SCALING_GROUPS"),
            "ruleNames": (50, "INVALID_NUMBER_OF_RULE_NAMES"),
            "severities": (50, "INVALID_NUMBER_OF_SEVERITIES"),
            "rulesPackageArns": (50, "INVALID_NUMBER_OF_RULES_PACKAGE_ARNS"),
            "attributes": (50, "INVALID_NUMBER_OF_ATTRIBUTES"),
            "userAttributes": (50, "INVALID_NUMBER_OF_USER_ATTRIBUTES"),
        }
        for name, (maximum, code) in limits.items():
            _check_count(finding_filter.get(name, []), 0, maximum, code, name)
        severities = finding_filter.get("severities", [])
        if any(severity not in SEVERITY_NAMES for severity in severities):
            raise InvalidInputException("INVALID_SEVERITY", f"Invalid severities: {severities}.")
        created = _check_time_range(finding_filter.get("creationTimeRange"), "INVALID_ASSESSMENT_RUN_START_TIME_RANGE")

        def one_of(name: str, value: Any) -> bool:
            wanted = finding_filter.get(name, [])
            return not wanted or value in wanted

        return [
            finding.arn
            for finding in findings
            if one_of("agentIds", finding.agent_id)
            and one_of("autoScalingGroups", finding.content["assetAttributes"].get("autoScalingGroup"))
            and one_of("ruleNames", finding.content["id"])
            and one_of("severities", finding.severity)
            and one_of("rulesPackageArns", finding.content["serviceAttributes"]["rulesPackageArn"])
            and _contains_all(finding.content["attributes"], finding_filter.get("attributes", []))
            and _contains_all(finding.user_attributes, finding_filter.get("userAttributes", []))
            and _in_range(finding.created_at, created)
        ]

    def describe_findings(self, arn_list: list, locale: str | None) -> tuple[list, dict]:
        _check_locale(locale)
        return self._describe(arn_list, FINDING, self.findings.get)

    def _change_findings(self, arn_list: list, change: Callable[[Finding], str | None]) -> dict:
        """Add/RemoveAttributes: up to 10 findings; `change` answers a failure code or None."""
        with self.lock:
            findings, failed = self._describe(arn_list, FINDING, self.findings.get)
            for finding in findings:
                failure = change(finding)
                if failure:
                    failed[finding.arn] = {"failureCode": failure, "retryable": False}
                else:
                    finding.updated_at = _now()
        return failed

    def add_attributes_to_findings(self, arn_list: list, attributes: list) -> dict:
        attributes = _check_key_values(
            attributes, 10, "INVALID_NUMBER_OF_USER_ATTRIBUTES", "INVALID_USER_ATTRIBUTE_KEY",
            "INVALID_USER_ATTRIBUTE_VALUE", "attributes",
        )

        def add(finding: Finding) -> str | None:
            added_keys = {attribute["key"] for attribute in attributes}
            merged = [a for a in finding.user_attributes if a["key"] not in added_keys] + attributes
            if len(merged) > 10:
                return "LIMIT_EXCEEDED"  # a finding has at most 10 user attributes
            finding.user_attributes = merged
            return None

        return self._change_findings(arn_list, add)

    def remove_attributes_from_findings(self, arn_list: list, keys: list) -> dict:
        _check_count(keys, 0, 10, "INVALID_NUMBER_OF_USER_ATTRIBUTES", "attribute keys")

        def remove(finding: Finding) -> None:
            finding.user_attributes = [a for a in finding.user_attributes if a["key"] not in keys]

        return self._change_findings(arn_list, remove)

    # --- cross-account role -------------------------------------------------------------

    def register_cross_account_access_role(self, role_arn: str) -> None:
        """Inspector must be able to assume the role (trust policy) and list EC2 instances with it."""
        parsed = arns.parse_iam_role(role_arn)
        if parsed is None:
            raise InvalidInputException("INVALID_IAM_ROLE_ARN", f"Invalid IAM role ARN: {role_arn}")
        try:
            role = iam_backends[parsed.account][parsed.partition].get_role_by_arn(role_arn)
        except IAMRoleNotFound:
            role = None
        inspector = policy.Principal(service=INSPECTOR_SERVICE_PRINCIPAL)
        if role is None or policy.evaluate(role.assume_role_policy_document, inspector, "sts:AssumeRole", role_arn, {}) is not policy.Decision.ALLOW:
            raise InvalidCrossAccountRoleException(
                "ROLE_DOES_NOT_EXIST_OR_INVALID_TRUST_RELATIONSHIP",
                f"Amazon Inspector cannot assume {role_arn}: it must exist and trust {INSPECTOR_SERVICE_PRINCIPAL}.",
            )
        documents = [*role.policies.values()] + [
            version.document for attached in role.managed_policies.values() for version in attached.versions if version.is_default
        ]
        caller = policy.Principal(account_id=parsed.account)
        if not any(policy.evaluate(document, caller, ROLE_NEEDS_ACTION, "*", {}) is policy.Decision.ALLOW for document in documents):
            raise InvalidCrossAccountRoleException(
                "ROLE_DOES_NOT_HAVE_CORRECT_POLICY", f"{role_arn} has no policy that allows {ROLE_NEEDS_ACTION}."
            )
        with self.lock:
            self.access_role = {"roleArn": role_arn, "valid": True, "registeredAt": _epoch(_now())}


def _check_locale(locale: str | None) -> None:
    if locale is not None and locale != LOCALE:
        raise InvalidInputException("INVALID_LOCALE", f"Invalid locale: {locale}; the only locale is {LOCALE}.")


inspector_backends = BackendDict(InspectorBackend, "inspector")
