"""Amazon Inspector Classic for the local AWS, laid out like a moto service (models, responses, urls)."""

from .models import inspector_backends  # noqa: F401
