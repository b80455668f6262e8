"""Inspector Classic over the AWS JSON 1.1 protocol (X-Amz-Target: InspectorService.<Operation>)."""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from moto.core.responses import BaseResponse

from .models import InspectorBackend, inspector_backends, paginate


class InspectorResponse(BaseResponse):
    def __init__(self) -> None:
        super().__init__(service_name="inspector")

    def setup_class(self, request: Any, full_url: str, headers: Any, use_raw_body: bool = False) -> None:
        super().setup_class(request, full_url, headers, use_raw_body)
        self.response_headers["Content-Type"] = "application/x-amz-json-1.1"

    @property
    def backend(self) -> InspectorBackend:
        return inspector_backends[self.current_account][self.region]

    @cached_property
    def body_params(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}

    def _page(self, key: str, items: list) -> str:
        page, next_token = paginate(items, self.body_params.get("nextToken"), self.body_params.get("maxResults"))
        answer: dict[str, Any] = {key: page}
        if next_token:
            answer["nextToken"] = next_token
        return json.dumps(answer)

    @staticmethod
    def _described(key: str, described: tuple[list, dict]) -> str:
        items, failed = described
        return json.dumps({key: [item.to_api() for item in items], "failedItems": failed})

    # Resource groups and targets

    def create_resource_group(self) -> str:
        arn = self.backend.create_resource_group(self.body_params.get("resourceGroupTags", []))
        return json.dumps({"resourceGroupArn": arn})

    def describe_resource_groups(self) -> str:
        return self._described("resourceGroups", self.backend.describe_resource_groups(self.body_params.get("resourceGroupArns", [])))

    def create_assessment_target(self) -> str:
        arn = self.backend.create_assessment_target(self.body_params.get("assessmentTargetName"), self.body_params.get("resourceGroupArn"))
        return json.dumps({"assessmentTargetArn": arn})

    def update_assessment_target(self) -> str:
        self.backend.update_assessment_target(
            self.body_params.get("assessmentTargetArn"), self.body_params.get("assessmentTargetName"), self.body_params.get("resourceGroupArn")
        )
        return ""

    def delete_assessment_target(self) -> str:
        self.backend.delete_assessment_target(self.body_params.get("assessmentTargetArn"))
        return ""

    def describe_assessment_targets(self) -> str:
        return self._described("assessmentTargets", self.backend.describe_assessment_targets(self.body_params.get("assessmentTargetArns", [])))

    def list_assessment_targets(self) -> str:
        name_pattern = self.body_params.get("filter", {}).get("assessmentTargetNamePattern")
        return self._page("assessmentTargetArns", self.backend.list_assessment_targets(name_pattern))

    def preview_agents(self) -> str:
        return self._page("agentPreviews", self.backend.preview_agents(self.body_params.get("previewAgentsArn")))

    # Templates, tags and event subscriptions

    def create_assessment_template(self) -> str:
        arn = self.backend.create_assessment_template(
            self.body_params.get("assessmentTargetArn"),
            self.body_params.get("assessmentTemplateName"),
            self.body_params.get("durationInSeconds"),
            self.body_params.get("rulesPackageArns", []),
            self.body_params.get("userAttributesForFindings", []),
        )
        return json.dumps({"assessmentTemplateArn": arn})

    def delete_assessment_template(self) -> str:
        self.backend.delete_assessment_template(self.body_params.get("assessmentTemplateArn"))
        return ""

    def describe_assessment_templates(self) -> str:
        return self._described(
            "assessmentTemplates", self.backend.describe_assessment_templates(self.body_params.get("assessmentTemplateArns", []))
        )

    def list_assessment_templates(self) -> str:
        arns = self.backend.list_assessment_templates(self.body_params.get("assessmentTargetArns"), self.body_params.get("filter", {}))
        return self._page("assessmentTemplateArns", arns)

    def set_tags_for_resource(self) -> str:
        self.backend.set_tags_for_resource(self.body_params.get("resourceArn"), self.body_params.get("tags", []))
        return ""

    def list_tags_for_resource(self) -> str:
        return json.dumps({"tags": self.backend.list_tags_for_resource(self.body_params.get("resourceArn"))})

    def subscribe_to_event(self) -> str:
        self.backend.subscribe_to_event(self.body_params.get("resourceArn"), self.body_params.get("event"), self.body_params.get("topicArn"))
        return ""

    def unsubscribe_from_event(self) -> str:
        self.backend.unsubscribe_from_event(self.body_params.get("resourceArn"), self.body_params.get("event"), self.body_params.get("topicArn"))
        return ""

    def list_event_subscriptions(self) -> str:
        return self._page("subscriptions", self.backend.list_event_subscriptions(self.body_params.get("resourceArn")))

    # Rules packages

    def list_rules_packages(self) -> str:
        return self._page("rulesPackageArns", self.backend.list_rules_packages())

    def describe_rules_packages(self) -> str:
        described = self.backend.describe_rules_packages(self.body_params.get("rulesPackageArns", []), self.body_params.get("locale"))
        return self._described("rulesPackages", described)

    # Assessment runs

    def start_assessment_run(self) -> str:
        arn = self.backend.start_assessment_run(self.body_params.get("assessmentTemplateArn"), self.body_params.get("assessmentRunName"))
        return json.dumps({"assessmentRunArn": arn})

    def stop_assessment_run(self) -> str:
        self.backend.stop_assessment_run(self.body_params.get("assessmentRunArn"), self.body_params.get("stopAction"))
        return ""

    def delete_assessment_run(self) -> str:
        self.backend.delete_assessment_run(self.body_params.get("assessmentRunArn"))
        return ""

    def describe_assessment_runs(self) -> str:
        return self._described("assessmentRuns", self.backend.describe_assessment_runs(self.body_params.get("assessmentRunArns", [])))

    def list_assessment_runs(self) -> str:
        arns = self.backend.list_assessment_runs(self.body_params.get("assessmentTemplateArns"), self.body_params.get("filter", {}))
        return self._page("assessmentRunArns", arns)

    # Findings

    def list_findings(self) -> str:
        arns = self.backend.list_findings(self.body_params.get("assessmentRunArns"), self.body_params.get("filter", {}))
        return self._page("findingArns", arns)

    def describe_findings(self) -> str:
        described = self.backend.describe_findings(self.body_params.get("findingArns", []), self.body_params.get("locale"))
        return self._described("findings", described)

    def add_attributes_to_findings(self) -> str:
        failed = self.backend.add_attributes_to_findings(self.body_params.get("findingArns", []), self.body_params.get("attributes", []))
        return json.dumps({"failedItems": failed})

    def remove_attributes_from_findings(self) -> str:
        failed = self.backend.remove_attributes_from_findings(self.body_params.get("findingArns", []), self.body_params.get("attributeKeys", []))
        return json.dumps({"failedItems": failed})

    # Cross-account role

    def describe_cross_account_access_role(self) -> str:
        return json.dumps(self.backend.access_role)

    def register_cross_account_access_role(self) -> str:
        self.backend.register_cross_account_access_role(self.body_params.get("roleArn"))
        return ""
