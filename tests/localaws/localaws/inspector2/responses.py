"""The Inspector v2 API: moto's Inspector2Response, extended.

Every request is first checked against the API model (validation.py), so bad input is a
ValidationException and never a 500; an unexpected failure is answered as AWS's
InternalServerException. Organisation operations keep moto's models and add what the
emulator needs (who sees whom, per-account enablement, auto-enable); the findings,
coverage, configuration and aggregation operations are the emulator's.
"""

from __future__ import annotations

import json
import re
import traceback
from typing import Any
from urllib.parse import unquote

from moto.core.exceptions import HTTPException
from moto.inspector2 import urls as moto_urls
from moto.inspector2.responses import Inspector2Response as MotoInspector2Response

from . import catalogue, cis, criteria, reports, validation
from .errors import AccessDeniedException, InternalServerException, ResourceNotFoundException, ValidationException
from .state import AUTO_ENABLE_KEYS, RESOURCE_TYPES, emulator

FINDING_ARN = re.compile(r"^arn:(aws[a-zA-Z-]*)?:inspector2:[-.a-z0-9]{0,20}:\d{12}:finding/[a-f0-9]{32}$")

NEW_PATHS = (
    "{0}/findings/details/batch/get$",
    "{0}/coverage/list$",
    "{0}/coverage/statistics/list$",
    "{0}/configuration/get$",
    "{0}/configuration/update$",
    "{0}/findings/aggregation/list$",
    "{0}/filters/update$",
    "{0}/cis/scan-configuration/create$",
    "{0}/cis/scan-configuration/update$",
    "{0}/cis/scan-configuration/delete$",
    "{0}/cis/scan-configuration/list$",
    "{0}/cis/scan/list$",
    "{0}/cis/scan-result/details/get$",
    "{0}/reporting/create$",
    "{0}/reporting/status/get$",
    "{0}/sbomexport/create$",
    "{0}/sbomexport/get$",
)


class Inspector2Response(MotoInspector2Response):
    # --- every request --------------------------------------------------------------------
    def _dispatch(self, *args: Any, **kwargs: Any):
        try:
            return super()._dispatch(*args, **kwargs)
        except UnicodeDecodeError:  # moto decodes the body before any operation runs
            return _error(ValidationException("The request body is not UTF-8 text", reason="CANNOT_PARSE"))
        except HTTPException as error:
            return _error(error)
        except Exception:
            traceback.print_exc()
            return _error(InternalServerException("The local AWS failed to handle the request (see its server log)"))

    def call_action(self):
        try:
            operation = self._get_action()
            if not operation:
                return 404, self.response_headers, ""
            self.params = validation.parse_body(self.body)
            validation.check(operation, self.params)
            self.response_headers["Content-Type"] = "application/json"
            return super().call_action()
        except HTTPException as error:
            return _error(error)
        except Exception:
            traceback.print_exc()
            return _error(InternalServerException("The local AWS failed to handle the request (see its server log)"))

    def _get_param(self, param_name: str, if_none: Any = None) -> Any:
        value = getattr(self, "params", {}).get(param_name)
        return if_none if value is None else value

    @property
    def caller(self) -> str:
        return self.current_account

    # --- enablement -------------------------------------------------------------------------
    def _change(self, enable: bool) -> str:
        account_ids = self._get_param("accountIds") or [self.caller]
        types = self._get_param("resourceTypes") or []
        if not enable and not types:
            types = list(RESOURCE_TYPES)
        unknown = [t for t in types if t not in RESOURCE_TYPES]
        if not enable:
            # Types the emulator never enables are off already: hashicorp/aws's enabler
            # disables every type its SDK knows (CODE_REPOSITORY too) on destroy.
            types = [t for t in types if t in RESOURCE_TYPES]
        elif unknown:
            raise ValidationException(
                f"resourceTypes {unknown} are not emulated by the local AWS",
                fields=[{"name": "resourceTypes", "message": "not emulated"}],
            )
        if enable and not types:
            raise ValidationException("resourceTypes must not be empty", fields=[{"name": "resourceTypes", "message": "required"}])
        done, failed = [], []
        with emulator.lock:
            members = emulator.members_of(self.caller, self.region)
            own_admin = emulator.admin_of(self.caller, self.region)
            for account in dict.fromkeys(account_ids):
                if account == self.caller and own_admin is not None:
                    failed.append(self._failed(account, f"Account {account} is a member of {own_admin}: only the delegated administrator can change its scans"))
                elif account != self.caller and account not in members:
                    failed.append(self._failed(account, f"Account {self.caller} is not the delegated administrator of {account}"))
                else:
                    emulator.set_enabled(account, self.region, types, enable)
                    done.append(emulator.account_json(account, self.region))
        return json.dumps({"accounts": done, "failedAccounts": failed})

    def _failed(self, account: str, message: str) -> dict:
        plain = emulator.account_json(account, self.region)
        return {"accountId": account, "status": plain["status"], "resourceStatus": plain["resourceStatus"],
                "errorCode": "ACCESS_DENIED", "errorMessage": message}

    def enable(self) -> str:
        return self._change(True)

    def disable(self) -> str:
        return self._change(False)

    def batch_get_account_status(self) -> str:
        account_ids = self._get_param("accountIds") or [self.caller]
        with emulator.lock:
            visible = emulator.visible_accounts(self.caller, self.region)
            accounts, failed = [], []
            for account in dict.fromkeys(account_ids):
                if account in visible:
                    accounts.append(emulator.account_state_json(account, self.region))
                else:
                    failed.append({"accountId": account, "errorCode": "ACCESS_DENIED",
                                   "errorMessage": f"Account {self.caller} cannot see the status of {account}"})
        return json.dumps({"accounts": accounts, "failedAccounts": failed})

    def associate_member(self) -> str:
        account_id = self._get_param("accountId")
        if account_id == self.caller:
            raise ValidationException("An account cannot be its own member", fields=[{"name": "accountId", "message": "is the caller"}])
        with emulator.lock:
            answer = super().associate_member()
            # Auto-enable: the administrator's organisation configuration enables the new member.
            auto = self.inspector2_backend.org_config
            types = [AUTO_ENABLE_KEYS[k] for k, on in auto.items() if on and k in AUTO_ENABLE_KEYS]
            if types:
                emulator.set_enabled(account_id, self.region, types, True)
        return answer

    def list_members(self) -> str:
        members = list(self.inspector2_backend.list_members())
        if self._get_param("onlyAssociated"):
            members = [m for m in members if m.status == "ENABLED"]
        rows = [m.to_json() for m in members]
        chunk, token = criteria.page(rows, ["members", self._get_param("onlyAssociated")], self._max_results(50), self._get_param("nextToken"))
        return json.dumps({"members": chunk, **({"nextToken": token} if token else {})})

    def list_filters(self) -> str:
        arns = self._get_param("arns") or []
        action = self._get_param("action")
        rules = [f for f in self.inspector2_backend.filters.values()
                 if (not arns or f.arn in arns) and (action is None or f.action == action)]
        rows = [dict(f.to_json(), updatedAt=getattr(f, "updated_at", f.created_at)) for f in rules]
        chunk, token = criteria.page(rows, ["filters", arns, action], self._max_results(100), self._get_param("nextToken"))
        return json.dumps({"filters": chunk, **({"nextToken": token} if token else {})})

    def update_organization_configuration(self) -> str:
        if emulator.admin_of(self.caller, self.region):
            raise AccessDeniedException("Only the delegated administrator can update the organization configuration")
        return super().update_organization_configuration()

    # --- filters (suppression rules) -------------------------------------------------------
    def create_filter(self) -> str:
        criteria.check_finding_criteria(self._get_param("filterCriteria"))
        if emulator.admin_of(self.caller, self.region):
            raise AccessDeniedException("Only the delegated administrator can create filters for the organization's members")
        arn = self.inspector2_backend.create_filter(
            action=self._get_param("action"),
            description=self._get_param("description"),
            filter_criteria=self._get_param("filterCriteria"),
            name=self._get_param("name"),
            reason=self._get_param("reason"),
            tags=self._get_param("tags", {}),
        )
        emulator.resuppress(self.region)
        return json.dumps({"arn": arn})

    def update_filter(self) -> str:
        arn = self._get_param("filterArn")
        rule = self.inspector2_backend.filters.get(arn)
        if rule is None:
            raise ResourceNotFoundException(f"Filter {arn} does not exist")
        if self._get_param("filterCriteria") is not None:
            criteria.check_finding_criteria(self._get_param("filterCriteria"))
            rule.filter_criteria = self._get_param("filterCriteria")
        for name, attribute in (("action", "action"), ("description", "description"), ("name", "name"), ("reason", "reason")):
            if self._get_param(name) is not None:
                setattr(rule, attribute, self._get_param(name))
        rule.updated_at = emulator.now()
        emulator.resuppress(self.region)
        return json.dumps({"arn": arn})

    def delete_filter(self) -> str:
        arn = self._get_param("arn")
        if arn not in self.inspector2_backend.filters:
            raise ResourceNotFoundException(f"Filter {arn} does not exist")
        answer = super().delete_filter()
        emulator.resuppress(self.region)
        return answer

    # --- findings ---------------------------------------------------------------------------
    def _max_results(self, default: int) -> int:
        return self._get_param("maxResults", default)

    def list_findings(self) -> str:
        filter_criteria = self._get_param("filterCriteria") or {}
        sort = self._get_param("sortCriteria")
        criteria.check_finding_criteria(filter_criteria)
        if sort and sort.get("field") not in criteria.FINDING_SORT_KEYS:
            raise ValidationException(f"sortCriteria.field {sort.get('field')} is not emulated by the local AWS",
                                      fields=[{"name": "sortCriteria.field", "message": "not emulated"}])
        with emulator.lock:
            # Findings seeded through /moto-api/static/inspector2/findings-results (a later
            # seed of the same ARN replaces it), then the emulator's own.
            by_arn: dict[str, dict] = {}
            for seeded in list(self.inspector2_backend.findings_queue):
                for finding in seeded or []:
                    by_arn.pop(finding.get("findingArn"), None)
                    by_arn[finding.get("findingArn")] = finding
            for finding in emulator.visible_findings(self.caller, self.region):
                by_arn.setdefault(finding["findingArn"], json.loads(json.dumps(finding)))
        found = [f for f in by_arn.values() if criteria.finding_matches(f, filter_criteria)]
        if sort:
            found.sort(key=criteria.FINDING_SORT_KEYS[sort["field"]], reverse=sort.get("sortOrder") == "DESC")
        chunk, token = criteria.page(found, [filter_criteria, sort], self._max_results(50), self._get_param("nextToken"))
        answer: dict[str, Any] = {"findings": chunk}
        if token:
            answer["nextToken"] = token
        return json.dumps(answer)

    def batch_get_finding_details(self) -> str:
        arns = self._get_param("findingArns") or []
        details, errors = [], []
        with emulator.lock:
            visible = emulator.visible_accounts(self.caller, self.region)
            for arn in arns:
                if not FINDING_ARN.match(arn):
                    errors.append({"findingArn": arn, "errorCode": "INVALID_INPUT", "errorMessage": "Not a finding ARN"})
                    continue
                finding = emulator.findings.get(arn)
                if finding is None or finding.region != self.region:
                    errors.append({"findingArn": arn, "errorCode": "FINDING_DETAILS_NOT_FOUND", "errorMessage": "No such finding"})
                elif finding.account not in visible:
                    errors.append({"findingArn": arn, "errorCode": "ACCESS_DENIED",
                                   "errorMessage": f"Account {self.caller} cannot see findings of {finding.account}"})
                else:
                    detail = catalogue.finding_details(finding.data)
                    if detail is None:
                        errors.append({"findingArn": arn, "errorCode": "FINDING_DETAILS_NOT_FOUND",
                                       "errorMessage": "This finding has no vulnerability details"})
                    else:
                        details.append(detail)
        return json.dumps({"findingDetails": details, "errors": errors})

    # --- coverage ---------------------------------------------------------------------------
    def _coverage(self) -> list[dict]:
        filter_criteria = self._get_param("filterCriteria") or {}
        criteria.check_coverage_criteria(filter_criteria)
        with emulator.lock:
            visible = emulator.visible_accounts(self.caller, self.region)
            items = [json.loads(json.dumps(c)) for (account, region, _, _), c in sorted(emulator.coverage.items())
                     if region == self.region and account in visible]
        return [c for c in items if criteria.coverage_matches(c, filter_criteria)]

    def list_coverage(self) -> str:
        items = self._coverage()
        chunk, token = criteria.page(items, self._get_param("filterCriteria"), self._max_results(100), self._get_param("nextToken"))
        answer: dict[str, Any] = {"coveredResources": chunk}
        if token:
            answer["nextToken"] = token
        return json.dumps(answer)

    def list_coverage_statistics(self) -> str:
        items = self._coverage()
        group_by = self._get_param("groupBy")
        answer: dict[str, Any] = {"totalCounts": len(items)}
        if group_by:
            getters = {
                "SCAN_STATUS_CODE": lambda c: c["scanStatus"]["statusCode"],
                "SCAN_STATUS_REASON": lambda c: c["scanStatus"]["reason"],
                "ACCOUNT_ID": lambda c: c["accountId"],
                "RESOURCE_TYPE": lambda c: c["resourceType"],
                "ECR_REPOSITORY_NAME": lambda c: ((c.get("resourceMetadata") or {}).get("ecrRepository") or {}).get("name"),
            }
            if group_by not in getters:
                raise ValidationException(f"groupBy {group_by} is not emulated by the local AWS",
                                          fields=[{"name": "groupBy", "message": "not emulated"}])
            counts: dict[str, int] = {}
            for c in items:
                key = getters[group_by](c)
                if key is not None:
                    counts[key] = counts.get(key, 0) + 1
            answer["countsByGroup"] = [{"groupKey": k, "count": n} for k, n in sorted(counts.items())]
        return json.dumps(answer)

    # --- configuration --------------------------------------------------------------------
    def get_configuration(self) -> str:
        with emulator.lock:
            config = emulator.config(self.caller, self.region)
            return json.dumps({
                "ec2Configuration": {"scanModeState": {"scanMode": config.scan_mode, "scanModeStatus": "SUCCESS"}},
                "ecrConfiguration": {"rescanDurationState": {
                    "rescanDuration": config.rescan_duration, "status": "SUCCESS", "updatedAt": config.updated_at,
                    "pullDateRescanDuration": config.pull_date_rescan_duration,
                    "pullDateRescanMode": config.pull_date_rescan_mode,
                }},
            })

    def update_configuration(self) -> str:
        ec2 = self._get_param("ec2Configuration")
        ecr = self._get_param("ecrConfiguration")
        if ec2 is None and ecr is None:
            raise ValidationException("Either ec2Configuration or ecrConfiguration must be given",
                                      fields=[{"name": "ecrConfiguration", "message": "required"}])
        with emulator.lock:
            admin = emulator.admin_of(self.caller, self.region)
            if admin is not None:
                raise AccessDeniedException(f"Account {self.caller} is a member of {admin}: only the delegated administrator can update the configuration")
            config = emulator.config(self.caller, self.region)
            if ec2 is not None:
                config.scan_mode = ec2["scanMode"]
            if ecr is not None:
                config.rescan_duration = ecr["rescanDuration"]
                config.pull_date_rescan_duration = ecr.get("pullDateRescanDuration", config.pull_date_rescan_duration)
                config.pull_date_rescan_mode = ecr.get("pullDateRescanMode", config.pull_date_rescan_mode)
            config.updated_at = emulator.now()
            emulator.wake.set()
        return "{}"

    # --- aggregations -------------------------------------------------------------------------
    def list_finding_aggregations(self) -> str:
        kind = self._get_param("aggregationType")
        request = self._get_param("aggregationRequest") or {}
        if kind not in AGGREGATIONS:
            raise ValidationException(f"aggregationType {kind} is not emulated by the local AWS",
                                      fields=[{"name": "aggregationType", "message": "not emulated"}])
        key, group_of, row_of, filters = AGGREGATIONS[kind]
        others = [k for k in request if k != key]
        if others:
            raise ValidationException(f"aggregationRequest.{others[0]} does not match aggregationType {kind}",
                                      fields=[{"name": f"aggregationRequest.{others[0]}", "message": "does not match aggregationType"}])
        spec = request.get(key) or {}
        unknown = [k for k in spec if k not in ("sortBy", "sortOrder", "findingType", "resourceType", *filters)]
        if unknown:
            raise ValidationException(f"aggregationRequest.{key}.{unknown[0]} is not emulated by the local AWS",
                                      fields=[{"name": f"aggregationRequest.{key}.{unknown[0]}", "message": "not emulated"}])
        account_filter = self._get_param("accountIds") or []
        with emulator.lock:
            findings = [f for f in emulator.visible_findings(self.caller, self.region) if f["status"] == "ACTIVE"]
        if account_filter:
            findings = [f for f in findings if criteria.finding_matches(f, {"awsAccountId": account_filter})]
        if spec.get("findingType"):
            findings = [f for f in findings if f["type"] == spec["findingType"]]
        if spec.get("resourceType"):
            findings = [f for f in findings if f["resources"][0]["type"] == spec["resourceType"]]
        findings = [f for f in findings if all(criteria.finding_matches(f, {field: spec[name]}) for name, field in filters.items() if name in spec)]
        groups: dict[Any, dict] = {}
        for finding in findings:
            group_key = group_of(finding)
            if group_key is None:
                continue
            group = groups.get(group_key)
            if group is None:
                group = groups[group_key] = row_of(finding)
                group["severityCounts"] = dict.fromkeys(("all", "critical", "high", "medium", "low", "informational", "untriaged"), 0)
            counts = group["severityCounts"]
            counts["all"] += 1
            counts[finding["severity"].lower()] += 1
            if "exploitAvailableCount" in group:
                group["exploitAvailableCount"] += finding.get("exploitAvailable") == "YES"
                group["fixAvailableCount"] += finding.get("fixAvailable") == "YES"
            if "networkFindings" in group:
                group["networkFindings"] += finding["type"] == "NETWORK_REACHABILITY"
        sort_by = spec.get("sortBy") or "CRITICAL"

        def rank(group: dict) -> int:
            return group.get("networkFindings", 0) if sort_by == "NETWORK_FINDINGS" else group["severityCounts"][sort_by.lower()]

        rows = sorted(groups.values(), key=lambda g: (rank(g), json.dumps(g, sort_keys=True)),
                      reverse=spec.get("sortOrder", "DESC") == "DESC")
        responses = [{key: row} for row in rows]
        chunk, token = criteria.page(responses, [kind, request, account_filter], self._max_results(50), self._get_param("nextToken"))
        answer: dict[str, Any] = {"aggregationType": kind, "responses": chunk}
        if token:
            answer["nextToken"] = token
        return json.dumps(answer)

    # --- CIS scan configurations and scans (cis.py) -----------------------------------------
    def create_cis_scan_configuration(self) -> str:
        with emulator.lock:
            config = cis.create(self.caller, self.region, self.params, emulator.now())
            emulator.wake.set()  # a oneTime schedule runs at the next pass
        return json.dumps({"scanConfigurationArn": config.arn})

    def update_cis_scan_configuration(self) -> str:
        with emulator.lock:
            config = cis.update(self.caller, self.region, self.params, emulator.now())
            emulator.wake.set()
        return json.dumps({"scanConfigurationArn": config.arn})

    def delete_cis_scan_configuration(self) -> str:
        arn = self._get_param("scanConfigurationArn")
        with emulator.lock:
            cis.delete(self.caller, self.region, arn)
        return json.dumps({"scanConfigurationArn": arn})

    def list_cis_scan_configurations(self) -> str:
        with emulator.lock:
            rows = cis.list_configurations(self.caller, self.region, self.params)
        chunk, token = criteria.page(rows, ["cis-configurations", self.params.get("filterCriteria"), self.params.get("sortBy"),
                                            self.params.get("sortOrder")], self._max_results(100), self._get_param("nextToken"))
        return json.dumps({"scanConfigurations": chunk, **({"nextToken": token} if token else {})})

    # TagResource, UntagResource and ListTagsForResource act on a CIS scan configuration's
    # own tags (those CreateCisScanConfiguration set and ListCisScanConfigurations answers);
    # other ARNs keep moto's tag store.
    def _cis_tags(self) -> dict | None:
        arn = unquote(self.path.split("/tags/")[-1])
        config = cis.configurations.get(arn)
        if config is None or config.owner != self.caller or config.region != self.region:
            return None
        return config.tags

    def tag_resource(self) -> str:
        with emulator.lock:
            tags = self._cis_tags()
            if tags is None:
                return super().tag_resource()
            tags.update(self._get_param("tags") or {})
        return "{}"

    def untag_resource(self) -> str:
        with emulator.lock:
            tags = self._cis_tags()
            if tags is None:
                return super().untag_resource()
            for key in self.querystring.get("tagKeys") or []:
                tags.pop(key, None)
        return "{}"

    def list_tags_for_resource(self) -> str:
        with emulator.lock:
            tags = self._cis_tags()
            if tags is None:
                return super().list_tags_for_resource()
            return json.dumps({"tags": dict(tags)})

    def list_cis_scans(self) -> str:
        with emulator.lock:
            rows = cis.list_scans(self.caller, self.region, self.params, emulator.admin_of(self.caller, self.region))
        query = ["cis-scans", *(self.params.get(k) for k in ("filterCriteria", "detailLevel", "sortBy", "sortOrder"))]
        chunk, token = criteria.page(rows, query, self._max_results(50), self._get_param("nextToken"))
        return json.dumps({"scans": chunk, **({"nextToken": token} if token else {})})

    def get_cis_scan_result_details(self) -> str:
        with emulator.lock:
            rows = cis.result_details(self.caller, self.region, self.params, emulator.admin_of(self.caller, self.region))
        query = ["cis-results", *(self.params.get(k) for k in ("scanArn", "targetResourceId", "accountId", "filterCriteria", "sortBy", "sortOrder"))]
        chunk, token = criteria.page(rows, query, self._max_results(100), self._get_param("nextToken"))
        return json.dumps({"scanResultDetails": chunk, **({"nextToken": token} if token else {})})

    # --- findings reports and SBOM exports (reports.py) --------------------------------------
    def create_findings_report(self) -> str:
        with emulator.lock:
            report = reports.create_findings_report(self.caller, self.region, self.params, emulator.now())
            emulator.wake.set()
        return json.dumps({"reportId": report.id})

    def get_findings_report_status(self) -> str:
        with emulator.lock:
            return json.dumps(reports.get(self.caller, self.region, self._get_param("reportId"), "findings").findings_json())

    def create_sbom_export(self) -> str:
        with emulator.lock:
            report = reports.create_sbom_export(self.caller, self.region, self.params, emulator.now())
            emulator.wake.set()
        return json.dumps({"reportId": report.id})

    def get_sbom_export(self) -> str:
        with emulator.lock:
            return json.dumps(reports.get(self.caller, self.region, self._get_param("reportId"), "sbom").sbom_json())


def _error(error: HTTPException) -> tuple[int, dict, str]:
    headers = dict(error.get_headers() or [])
    headers["status"] = error.code
    return error.code, headers, error.get_body()


def _resource(finding: dict) -> dict:
    return finding["resources"][0]


def _details(finding: dict, key: str) -> dict:
    return (_resource(finding).get("details") or {}).get(key) or {}


# aggregationType -> (request/response member, group key, new row, {request filter: ListFindings filter}).
AGGREGATIONS: dict[str, tuple] = {
    "ACCOUNT": ("accountAggregation", lambda f: f["awsAccountId"],
                lambda f: {"accountId": f["awsAccountId"], "exploitAvailableCount": 0, "fixAvailableCount": 0}, {}),
    "FINDING_TYPE": ("findingTypeAggregation", lambda f: f["awsAccountId"],
                     lambda f: {"accountId": f["awsAccountId"], "exploitAvailableCount": 0, "fixAvailableCount": 0}, {}),
    "TITLE": ("titleAggregation", lambda f: (f["awsAccountId"], f["title"]),
              lambda f: {"title": f["title"], "accountId": f["awsAccountId"],
                         **({"vulnerabilityId": (f.get("packageVulnerabilityDetails") or {})["vulnerabilityId"]}
                            if f.get("packageVulnerabilityDetails") else {})},
              {"titles": "title", "vulnerabilityIds": "vulnerabilityId"}),
    "AWS_EC2_INSTANCE": ("ec2InstanceAggregation",
                         lambda f: _resource(f)["id"] if _resource(f)["type"] == "AWS_EC2_INSTANCE" else None,
                         lambda f: {"instanceId": _resource(f)["id"], "ami": _details(f, "awsEc2Instance").get("imageId"),
                                    "operatingSystem": _details(f, "awsEc2Instance").get("platform"),
                                    "instanceTags": _resource(f).get("tags") or {}, "accountId": f["awsAccountId"],
                                    "networkFindings": 0},
                         {"instanceIds": "resourceId", "amis": "ec2InstanceImageId"}),
    "AWS_ECR_CONTAINER": ("awsEcrContainerAggregation",
                          lambda f: _resource(f)["id"] if _resource(f)["type"] == "AWS_ECR_CONTAINER_IMAGE" else None,
                          lambda f: {"resourceId": _resource(f)["id"], "imageSha": _details(f, "awsEcrContainerImage").get("imageHash"),
                                     "repository": _details(f, "awsEcrContainerImage").get("repositoryName"),
                                     "architecture": _details(f, "awsEcrContainerImage").get("architecture"),
                                     "imageTags": _details(f, "awsEcrContainerImage").get("imageTags") or [],
                                     "accountId": f["awsAccountId"]},
                          {"resourceIds": "resourceId", "repositories": "ecrImageRepositoryName", "imageTags": "ecrImageTags"}),
    "AWS_LAMBDA_FUNCTION": ("lambdaFunctionAggregation",
                            lambda f: _resource(f)["id"] if _resource(f)["type"] == "AWS_LAMBDA_FUNCTION" else None,
                            lambda f: {"resourceId": _resource(f)["id"], "functionName": _details(f, "awsLambdaFunction").get("functionName"),
                                       "runtime": _details(f, "awsLambdaFunction").get("runtime"),
                                       "lambdaTags": _resource(f).get("tags") or {}, "accountId": f["awsAccountId"],
                                       "lastModifiedAt": _details(f, "awsLambdaFunction").get("lastModifiedAt")},
                            {"resourceIds": "resourceId", "functionNames": "lambdaFunctionName", "runtimes": "lambdaFunctionRuntime"}),
}


def install() -> None:
    """Route every inspector2 path, moto's and ours, to the extended response class, and
    make the backends' lookups go through the emulator."""
    for path in NEW_PATHS:
        moto_urls.url_paths.setdefault(path, Inspector2Response.dispatch)
    for path in list(moto_urls.url_paths):
        moto_urls.url_paths[path] = Inspector2Response.dispatch
