"""Inspector v2 errors in the API model's shapes (restJson1: `__type`, `message`, members)."""

from __future__ import annotations

import json

from moto.core.exceptions import JsonRESTError


class Inspector2Error(JsonRESTError):
    code = 400

    def __init__(self, error_type: str, message: str, status: int = 400, **members):
        super().__init__(error_type, message)
        self.code = status
        self.description = json.dumps({"__type": error_type, "message": message, **members})


class ValidationException(Inspector2Error):
    def __init__(self, message: str, reason: str = "FIELD_VALIDATION_FAILED", fields: list[dict] | None = None):
        super().__init__("ValidationException", message, 400, reason=reason, fields=fields or [])


class AccessDeniedException(Inspector2Error):
    def __init__(self, message: str):
        super().__init__("AccessDeniedException", message, 403)


class ResourceNotFoundException(Inspector2Error):
    def __init__(self, message: str):
        super().__init__("ResourceNotFoundException", message, 404)


class InternalServerException(Inspector2Error):
    def __init__(self, message: str):
        super().__init__("InternalServerException", message, 500)
