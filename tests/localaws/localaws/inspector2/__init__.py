"""Amazon Inspector v2 for the local AWS: moto's inspector2 (organisation settings), extended
with continuous scanning of the local AWS's EC2 instances, ECR images and Lambda functions,
findings from a vulnerability catalogue, their lifecycle, EventBridge events and the API
around them. `install()` wires it into moto before the server starts."""

from __future__ import annotations


def install() -> None:
    from . import responses, scanner

    responses.install()
    scanner.start()
