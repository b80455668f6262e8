"""SNS notifications of Inspector Classic: the documented message bodies, and publishing them
into moto's SNS as the region's Inspector service account.

Message bodies are compact JSON with the fields in the order AWS sends them (captured
notifications in AWS samples and user Lambdas; see the README):
  ASSESSMENT_RUN_STARTED / _STATE_CHANGED: template, run, time, event, target
  ASSESSMENT_RUN_COMPLETED:                template, findingsCount, run, time, event, target
  FINDING_REPORTED:                        template, run, time, finding, event, target
`findingsCount` is the Java rendering of a map from rules package ARN to count,
"{arn:...:rulespackage/0-gEjTy7T7=4}". Notifications have no Subject.

Inspector Classic publishes as an IAM principal of its service account, not as a service
principal, so the request carries aws:PrincipalAccount but none of aws:SourceAccount,
aws:SourceArn or AWS:SourceOwner (IAM: those exist only for service principals).
"""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum
from typing import Any

from moto.core.exceptions import ServiceException
from moto.sns.models import Topic, sns_backends

from .. import policy
from . import arns

PUBLISH_ACTION = "sns:Publish"


class PublishStatus(Enum):
    """AssessmentRunNotificationSnsStatusCode."""

    SUCCESS = "SUCCESS"
    TOPIC_DOES_NOT_EXIST = "TOPIC_DOES_NOT_EXIST"
    ACCESS_DENIED = "ACCESS_DENIED"
    INTERNAL_ERROR = "INTERNAL_ERROR"


def message_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def message_body(
    event: str,
    *,
    template_arn: str,
    run_arn: str,
    target_arn: str,
    moment: datetime,
    finding_arn: str | None = None,
    findings_count: dict[str, int] | None = None,
) -> str:
    body: dict[str, Any] = {"template": template_arn}
    if findings_count is not None:
        body["findingsCount"] = "{" + ", ".join(f"{arn}={count}" for arn, count in findings_count.items()) + "}"
    body["run"] = run_arn
    body["time"] = message_time(moment)
    if finding_arn is not None:
        body["finding"] = finding_arn
    body["event"] = event
    body["target"] = target_arn
    return json.dumps(body, separators=(",", ":"))


def find_topic(topic_arn: str) -> Topic | None:
    """The topic in its own account and region, or None if there is no such topic."""
    parsed = arns.parse_sns_topic(topic_arn)
    if parsed is None:
        return None
    account_backends = sns_backends[parsed.account]
    if parsed.region not in account_backends:
        return None
    return account_backends[parsed.region].topics.get(topic_arn)


def publisher_decision(topic: Topic, service_account_id: str) -> policy.Decision:
    """Whether the topic policy lets the Inspector service account publish to the topic."""
    return policy.evaluate(
        topic._policy_json,
        policy.Principal(account_id=service_account_id),
        PUBLISH_ACTION,
        topic.arn,
        {"aws:PrincipalAccount": service_account_id, "aws:PrincipalIsAWSService": "false"},
    )


def publish(topic_arn: str, body: str, service_account_id: str) -> PublishStatus:
    topic = find_topic(topic_arn)
    if topic is None:
        return PublishStatus.TOPIC_DOES_NOT_EXIST
    if publisher_decision(topic, service_account_id) is not policy.Decision.ALLOW:
        return PublishStatus.ACCESS_DENIED
    try:
        # Through the backend, so SNS's own checks (size, FIFO group ids) apply as they would.
        topic.sns_backend.publish(message=body, arn=topic_arn)
    except (ServiceException, ValueError):
        # moto's SNS refused the message (or failed delivering it to a subscriber).
        return PublishStatus.INTERNAL_ERROR
    return PublishStatus.SUCCESS
