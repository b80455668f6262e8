"""Inspector Classic ARNs: the real formats, generation of new ones, and parsing.

  arn:aws:inspector:us-east-1:123456789012:resourcegroup/0-AB6DMKnv
  arn:aws:inspector:us-east-1:123456789012:target/0-nvgVhaxX
  ...:target/0-nvgVhaxX/template/0-it5r2S4T
  ...:target/0-nvgVhaxX/template/0-it5r2S4T/run/0-jOoroxyY
  ...:target/0-nvgVhaxX/template/0-it5r2S4T/run/0-jOoroxyY/finding/0-HwPnsDm4
  arn:aws:inspector:us-east-1:316112463485:rulespackage/0-gEjTy7T7  (owned by the service)
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from enum import Enum

_ID_ALPHABET = string.ascii_letters + string.digits
_ID = r"0-[A-Za-z0-9]{8}"


class Kind(Enum):
    RESOURCE_GROUP = "resourcegroup"
    TARGET = "target"
    TEMPLATE = "template"
    RUN = "run"
    FINDING = "finding"
    RULES_PACKAGE = "rulespackage"


_RESOURCE_PATTERNS = {
    Kind.RESOURCE_GROUP: re.compile(rf"resourcegroup/{_ID}"),
    Kind.TARGET: re.compile(rf"target/{_ID}"),
    Kind.TEMPLATE: re.compile(rf"target/{_ID}/template/{_ID}"),
    Kind.RUN: re.compile(rf"target/{_ID}/template/{_ID}/run/{_ID}"),
    Kind.FINDING: re.compile(rf"target/{_ID}/template/{_ID}/run/{_ID}/finding/{_ID}"),
    Kind.RULES_PACKAGE: re.compile(rf"rulespackage/{_ID}"),
}
_ARN = re.compile(r"arn:(?P<partition>aws[a-z-]*):inspector:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):(?P<resource>.+)")
_SNS_TOPIC_ARN = re.compile(r"arn:(?P<partition>aws[a-z-]*):sns:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):(?P<name>[A-Za-z0-9_-]{1,256}(\.fifo)?)")
_IAM_ROLE_ARN = re.compile(r"arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):role/(?P<path_and_name>.+)")


@dataclass(frozen=True)
class InspectorArn:
    kind: Kind
    partition: str
    region: str
    account: str
    arn: str


@dataclass(frozen=True)
class ForeignArn:
    """An ARN of another service (an SNS topic, an IAM role) that Inspector refers to."""

    partition: str
    region: str
    account: str
    arn: str


def new_id() -> str:
    return "0-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(8))


def resource_group_arn(partition: str, region: str, account: str) -> str:
    return f"arn:{partition}:inspector:{region}:{account}:resourcegroup/{new_id()}"


def target_arn(partition: str, region: str, account: str) -> str:
    return f"arn:{partition}:inspector:{region}:{account}:target/{new_id()}"


def child_arn(parent_arn: str, kind: Kind) -> str:
    """A template under a target, a run under a template, a finding under a run."""
    return f"{parent_arn}/{kind.value}/{new_id()}"


def parse(arn: object, kind: Kind) -> InspectorArn | None:
    """The parts of an Inspector ARN of the given kind, or None if it is not one."""
    match = _ARN.fullmatch(arn) if isinstance(arn, str) else None
    if not match or not _RESOURCE_PATTERNS[kind].fullmatch(match["resource"]):
        return None
    return InspectorArn(kind, match["partition"], match["region"], match["account"], arn)


def parse_any(arn: object) -> InspectorArn | None:
    """The parts of an Inspector ARN of any kind (ListTagsForResource takes any)."""
    return next((parsed for kind in Kind if (parsed := parse(arn, kind))), None)


def parse_sns_topic(arn: object) -> ForeignArn | None:
    match = _SNS_TOPIC_ARN.fullmatch(arn) if isinstance(arn, str) else None
    return ForeignArn(match["partition"], match["region"], match["account"], arn) if match else None


def parse_iam_role(arn: object) -> ForeignArn | None:
    match = _IAM_ROLE_ARN.fullmatch(arn) if isinstance(arn, str) else None
    return ForeignArn(match["partition"], "", match["account"], arn) if match else None
