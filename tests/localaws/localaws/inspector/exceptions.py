"""Inspector Classic errors in the shapes of the service model (inspector 2016-02-16).

The JSON protocol body is {"__type": <shape name>, "message": ..., <members>}: most shapes
carry an `errorCode` from a per-exception enum and `canRetry`; the two "in progress"
exceptions carry the ARNs involved instead of an errorCode.
"""

from __future__ import annotations

import json
from typing import Any

from moto.core.exceptions import JsonRESTError

# A list in an exception is cut to this many items, with a `...Truncated` flag (model: max 10).
MAX_LISTED_IN_ERROR = 10


class InspectorError(JsonRESTError):
    code = 400

    def __init__(self, message: str, **members: Any):
        super().__init__(type(self).__name__, message)
        self.description = json.dumps({"__type": self.error_type, "message": message, **members})


class CodedError(InspectorError):
    """An exception whose `errorCode` names the cause (an enum per exception in the model)."""

    def __init__(self, error_code: str, message: str):
        super().__init__(message, errorCode=error_code, canRetry=False)


class InvalidInputException(CodedError):
    """errorCode: InvalidInputErrorCode (INVALID_*_ARN, INVALID_NUMBER_OF_*, ..._ALREADY_TAKEN, ...)."""


class NoSuchEntityException(CodedError):
    """errorCode: NoSuchEntityErrorCode (*_DOES_NOT_EXIST)."""


class AccessDeniedException(CodedError):
    """errorCode: AccessDeniedErrorCode (ACCESS_DENIED_TO_*)."""


class LimitExceededException(CodedError):
    """errorCode: LimitExceededErrorCode (*_LIMIT_EXCEEDED)."""


class InvalidCrossAccountRoleException(CodedError):
    """errorCode: InvalidCrossAccountRoleErrorCode."""


class AssessmentRunInProgressException(InspectorError):
    def __init__(self, message: str, run_arns: list[str]):
        super().__init__(
            message,
            assessmentRunArns=run_arns[:MAX_LISTED_IN_ERROR],
            assessmentRunArnsTruncated=len(run_arns) > MAX_LISTED_IN_ERROR,
            canRetry=True,
        )


class AgentsAlreadyRunningAssessmentException(InspectorError):
    def __init__(self, message: str, agents: list[dict[str, str]]):
        super().__init__(
            message,
            agents=agents[:MAX_LISTED_IN_ERROR],
            agentsTruncated=len(agents) > MAX_LISTED_IN_ERROR,
            canRetry=True,
        )
