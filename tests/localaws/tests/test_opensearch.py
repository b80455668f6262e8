"""The OpenSearch test endpoint: SigV4 verification, _bulk semantics, programmed failures.

Requests are signed as the Lambda signs them: botocore's SigV4Auth for service "es" (or
"aoss") over the full URL, including the /_localaws/opensearch/<domain> prefix.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from unittest import mock

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import SECURITY_ACCOUNT
from localaws import control

STATIC_ACCOUNT = "123456789012"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
SHARDS = {"total": 2, "successful": 1, "failed": 0}
STATIC_CREDENTIALS = Credentials(control.ACCESS_KEY, control.SECRET_KEY)


class OpenSearch:
    """A signed client for one test domain, and its admin route."""

    def __init__(self, endpoint: str, domain: str):
        self.endpoint = endpoint
        self.domain = domain
        self.url = f"{endpoint}/_localaws/opensearch/{domain}"

    def signed(
        self,
        method: str,
        path: str,
        body: str | bytes | None = None,
        credentials: Credentials = STATIC_CREDENTIALS,
        service: str = "es",
        region: str = control.DEFAULT_REGION,
        content_type: str = "application/json",
        headers: dict | None = None,
    ) -> requests.PreparedRequest:
        request = AWSRequest(method=method, url=self.url + path, data=body, headers=dict(headers or {}))
        if body is not None:
            request.headers["Content-Type"] = content_type
        SigV4Auth(credentials, service, region).add_auth(request)
        prepared = request.prepare()
        return requests.Request(prepared.method, prepared.url, headers=dict(prepared.headers), data=prepared.body).prepare()

    def send(self, prepared: requests.PreparedRequest) -> requests.Response:
        with requests.Session() as session:
            return session.send(prepared, timeout=10)

    def call(self, method: str, path: str, body: object = None, **signing) -> requests.Response:
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        return self.send(self.signed(method, path, body, **signing))

    def bulk(self, lines: list[dict], path: str = "/_bulk", **signing) -> requests.Response:
        body = "".join(json.dumps(line) + "\n" for line in lines)
        return self.call("POST", path, body, content_type="application/x-ndjson", **signing)

    def admin(self, **changes) -> dict:
        response = requests.post(f"{self.endpoint}/_localaws/opensearch-admin/{self.domain}", json=changes, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def stats(self) -> dict:
        return requests.get(f"{self.endpoint}/_localaws/opensearch-admin/{self.domain}", timeout=10).json()


@pytest.fixture
def opensearch(endpoint, unique) -> OpenSearch:
    client = OpenSearch(endpoint, f"os-{unique}")
    client.admin(reset=True)
    return client


def role_credentials(accounts, account_id: str) -> Credentials:
    keys = accounts.credentials(account_id)
    return Credentials(keys["aws_access_key_id"], keys["aws_secret_access_key"], keys["aws_session_token"])


def items(response: requests.Response) -> list[tuple[str, dict]]:
    assert response.status_code == 200, response.text
    return [next(iter(item.items())) for item in response.json()["items"]]


# -- signature verification -------------------------------------------------------------


def test_static_keys_are_accepted_and_the_caller_recorded(opensearch):
    response = opensearch.call("GET", "/")

    assert response.status_code == 200, response.text
    info = response.json()
    assert info["cluster_name"] == f"{STATIC_ACCOUNT}:{opensearch.domain}"
    assert info["version"]["distribution"] == "opensearch"
    logged = opensearch.stats()["requests"][-1]
    assert logged == {
        "method": "GET",
        "path": "/",
        "bytes": 0,
        "account_id": STATIC_ACCOUNT,
        "access_key_id": control.ACCESS_KEY,
        "role_arn": None,
        "status": 200,
    }


def test_assumed_role_keys_are_accepted_and_the_role_recorded(opensearch, accounts):
    credentials = role_credentials(accounts, SECURITY_ACCOUNT)

    response = opensearch.bulk([{"index": {"_index": "findings", "_id": "f1"}}, {"title": "t"}], credentials=credentials)

    assert response.status_code == 200, response.text
    logged = opensearch.stats()["requests"][-1]
    assert logged["account_id"] == SECURITY_ACCOUNT
    assert logged["access_key_id"] == credentials.access_key
    assert logged["role_arn"] == f"arn:aws:iam::{SECURITY_ACCOUNT}:role/inspectorlink-test"


def test_query_strings_and_encoded_ids_are_signed_as_sent(opensearch):
    opensearch.call("PUT", "/findings/_doc/arn%3Aaws%2Fx", {"title": "t"})

    response = opensearch.call("GET", "/findings/_search?size=1&from=0&filter_path=hits.hits._id")
    document = opensearch.call("GET", "/findings/_doc/arn%3Aaws%2Fx")

    assert response.status_code == 200, response.text
    assert document.json()["_id"] == "arn:aws/x"


def test_a_tampered_body_is_rejected(opensearch):
    prepared = opensearch.signed("PUT", "/findings/_doc/1", json.dumps({"title": "signed"}))
    prepared.body = json.dumps({"title": "forged"}).encode()
    prepared.headers["Content-Length"] = str(len(prepared.body))

    response = opensearch.send(prepared)

    assert response.status_code == 403
    message = response.json()["message"]
    assert message.startswith(SIGNATURE_MISMATCH)
    assert "The Canonical String for this request should have been" in message
    assert f"/_localaws/opensearch/{opensearch.domain}/findings/_doc/1" in message
    assert opensearch.stats()["documents"] == {}


def test_a_tampered_query_is_rejected(opensearch):
    prepared = opensearch.signed("GET", "/findings/_search?size=1")
    prepared.url = prepared.url.replace("size=1", "size=2")

    response = opensearch.send(prepared)

    assert response.status_code == 403
    assert response.json()["message"].startswith(SIGNATURE_MISMATCH)


def test_a_wrong_secret_is_rejected(opensearch):
    response = opensearch.call("GET", "/", credentials=Credentials(control.ACCESS_KEY, "not-the-secret"))

    assert response.status_code == 403
    assert response.json()["message"].startswith(SIGNATURE_MISMATCH)


def test_the_domain_region_must_be_signed_for(opensearch):
    opensearch.admin(region="eu-west-1")

    wrong = opensearch.call("GET", "/")
    right = opensearch.call("GET", "/", region="eu-west-1")

    assert wrong.status_code == 403
    assert wrong.json() == {"message": "Credential should be scoped to a valid region, not 'us-east-1'. "}
    assert right.status_code == 200, right.text


def test_the_domain_service_must_be_signed_for(opensearch):
    response = opensearch.call("GET", "/", service="aoss")

    assert response.status_code == 403
    assert response.json() == {"message": "Credential should be scoped to correct service: 'es'. "}


def test_an_unknown_access_key_is_rejected(opensearch):
    response = opensearch.call("GET", "/", credentials=Credentials("AKIAIOSFODNN7EXAMPLE", "secret"))

    assert response.status_code == 403
    assert response.json() == {"message": "The security token included in the request is invalid."}


@pytest.mark.parametrize("token", ["forged-token", None])
def test_an_assumed_role_key_needs_its_own_session_token(opensearch, accounts, token):
    real = role_credentials(accounts, SECURITY_ACCOUNT)

    response = opensearch.call("GET", "/", credentials=Credentials(real.access_key, real.secret_key, token))

    assert response.status_code == 403
    assert response.json() == {"message": "The security token included in the request is invalid."}


def test_an_unsigned_request_is_anonymous_and_refused(opensearch):
    response = requests.post(
        f"{opensearch.url}/_bulk", data="{}\n", headers={"Content-Type": "application/json"}, timeout=10
    )

    assert response.status_code == 403
    assert response.json() == {
        "Message": "User: anonymous is not authorized to perform: es:ESHttpPost "
        "because no resource-based policy allows the es:ESHttpPost action"
    }
    assert opensearch.stats()["bulk_calls"] == 0


def test_an_old_signature_has_expired(opensearch):
    signed_at = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(minutes=20)
    with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at):
        prepared = opensearch.signed("GET", "/")

    response = opensearch.send(prepared)

    assert response.status_code == 403
    assert response.json()["message"].startswith(f"Signature expired: {signed_at:%Y%m%dT%H%M%SZ} is now earlier than ")


def test_a_serverless_collection_needs_the_payload_hash_header(opensearch):
    opensearch.admin(service="aoss")
    body = json.dumps({"title": "t"})

    without = opensearch.call("PUT", "/findings/_doc/1", body, service="aoss")
    with_hash = opensearch.call(
        "PUT",
        "/findings/_doc/1",
        body,
        service="aoss",
        headers={"X-Amz-Content-SHA256": hashlib.sha256(body.encode()).hexdigest()},
    )

    assert without.status_code == 403
    assert without.headers["x-aoss-response-hint"] == "X01:gw-helper-deny"
    assert without.json()["error"] == {"reason": "403 Forbidden", "type": "Forbidden"}
    assert with_hash.status_code == 201, with_hash.text
    assert "x-amz-content-sha256" in opensearch.stats()["requests"][0]["auth_error"]


# -- _bulk ------------------------------------------------------------------------------


def test_create_then_index_again_updates_to_version_2(opensearch):
    created = items(opensearch.bulk([{"create": {"_index": "findings", "_id": "f1"}}, {"severity": "LOW"}]))
    updated = items(opensearch.bulk([{"index": {"_index": "findings", "_id": "f1"}}, {"severity": "HIGH"}]))

    assert created == [
        (
            "create",
            {
                "_index": "findings",
                "_id": "f1",
                "_version": 1,
                "result": "created",
                "_shards": SHARDS,
                "_seq_no": 0,
                "_primary_term": 1,
                "status": 201,
            },
        )
    ]
    assert updated[0][1] | {"_shards": None} == {
        "_index": "findings",
        "_id": "f1",
        "_version": 2,
        "result": "updated",
        "_shards": None,
        "_seq_no": 1,
        "_primary_term": 1,
        "status": 200,
    }
    document = opensearch.call("GET", "/findings/_doc/f1").json()
    assert document["_source"] == {"severity": "HIGH"}
    assert document["_version"] == 2


def test_create_of_an_existing_document_conflicts(opensearch):
    opensearch.bulk([{"index": {"_index": "findings", "_id": "f1"}}, {"a": 1}])

    response = opensearch.bulk([{"create": {"_index": "findings", "_id": "f1"}}, {"a": 2}])

    assert response.json()["errors"] is True
    (action, item), = items(response)
    assert item["status"] == 409
    assert item["error"]["type"] == "version_conflict_engine_exception"
    assert item["error"]["reason"] == "[f1]: version conflict, document already exists (current version [1])"


def test_external_versions_keep_the_newest_document(opensearch):
    def write(version: int, status: str, version_type: str = "external_gte") -> dict:
        meta = {"_index": "findings", "_id": "f1", "version": version, "version_type": version_type}
        return items(opensearch.bulk([{"index": meta}, {"status": status}]))[0][1]

    assert (write(200, "CLOSED")["_version"], write(200, "CLOSED")["status"]) == (200, 200)  # equal: rewritten
    older = write(100, "ACTIVE")
    assert older["status"] == 409
    assert older["error"]["type"] == "version_conflict_engine_exception"
    assert older["error"]["reason"] == "[f1]: version conflict, current version [200] is higher than the one provided [100]"
    same = write(200, "ACTIVE", "external")
    assert same["error"]["reason"] == "[f1]: version conflict, current version [200] is higher or equal to the one provided [200]"
    assert write(300, "ACTIVE")["_version"] == 300
    assert opensearch.stats()["documents"]["findings"]["f1"] == {"_source": {"status": "ACTIVE"}, "_version": 300, "_seq_no": 2}


@pytest.mark.parametrize(
    ("metadata", "problem"),
    [
        ({"version": 5}, "internal versioning can not be used for optimistic concurrency control"),
        ({"version_type": "external"}, "illegal version value [-3] for version type [EXTERNAL]"),
        ({"version_type": "external_gte", "version": -1}, "illegal version value [-1] for version type [EXTERNAL_GTE]"),
    ],
)
def test_bad_versioning_fails_the_request(opensearch, metadata, problem):
    response = opensearch.bulk([{"index": {"_index": "findings", "_id": "f1", **metadata}}, {"a": 1}])
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "action_request_validation_exception"
    assert problem in response.json()["error"]["reason"]
    assert "findings" not in opensearch.stats()["documents"]


def test_an_unknown_version_type_fails_the_request(opensearch):
    response = opensearch.bulk([{"index": {"_index": "findings", "_id": "f1", "version_type": "newest"}}, {"a": 1}])
    assert response.status_code == 400
    assert response.json()["error"]["reason"] == "No version type match [newest]"


def test_the_same_id_twice_in_one_bulk_applies_both_in_order(opensearch):
    response = opensearch.bulk(
        [
            {"index": {"_index": "findings", "_id": "f1"}},
            {"status": "ACTIVE"},
            {"index": {"_index": "findings", "_id": "f1"}},
            {"status": "CLOSED"},
        ]
    )

    results = [(item["result"], item["_version"], item["_seq_no"], item["status"]) for _, item in items(response)]
    assert results == [("created", 1, 0, 201), ("updated", 2, 1, 200)]
    assert response.json()["errors"] is False
    assert opensearch.stats()["documents"]["findings"]["f1"]["_source"] == {"status": "CLOSED"}


def test_delete_then_delete_again_is_not_found_without_an_error(opensearch):
    opensearch.bulk([{"index": {"_index": "findings", "_id": "f1"}}, {"a": 1}])

    delete = {"delete": {"_index": "findings", "_id": "f1"}}

    response = opensearch.bulk([delete, delete])

    first, second = (item for _, item in items(response))
    assert (first["result"], first["_version"], first["status"]) == ("deleted", 2, 200)
    assert (second["result"], second["status"]) == ("not_found", 404)
    assert "error" not in second
    assert response.json()["errors"] is False
    assert opensearch.stats()["documents"]["findings"] == {}


def test_update_merges_upserts_and_reports_missing_documents(opensearch):
    response = opensearch.bulk(
        [
            {"update": {"_index": "findings", "_id": "f1"}},
            {"doc": {"status": "ACTIVE", "resource": {"id": "i-1"}}, "doc_as_upsert": True},
            {"update": {"_index": "findings", "_id": "f1"}},
            {"doc": {"resource": {"tags": {"env": "prod"}}}},
            {"update": {"_index": "findings", "_id": "f1"}},
            {"doc": {"status": "ACTIVE"}},
            {"update": {"_index": "findings", "_id": "missing"}},
            {"doc": {"status": "ACTIVE"}},
        ]
    )

    upserted, merged, unchanged, missing = (item for _, item in items(response))
    assert (upserted["result"], upserted["status"]) == ("created", 201)
    assert (merged["result"], merged["_version"]) == ("updated", 2)
    assert (unchanged["result"], unchanged["_version"], unchanged["status"]) == ("noop", 2, 200)
    assert missing["status"] == 404
    assert missing["error"]["type"] == "document_missing_exception"
    assert missing["error"]["reason"] == "[missing]: document missing"
    assert opensearch.stats()["documents"]["findings"]["f1"]["_source"] == {
        "status": "ACTIVE",
        "resource": {"id": "i-1", "tags": {"env": "prod"}},
    }


def test_the_index_can_come_from_the_path_and_ids_can_be_generated(opensearch):
    lines = [{"index": {}}, {"a": 1}, {"index": {"_index": "other", "_id": "x"}}, {"b": 2}]

    response = opensearch.bulk(lines, path="/findings/_bulk")

    (_, generated), (_, explicit) = items(response)
    assert generated["_index"] == "findings"
    assert len(generated["_id"]) == 20
    assert explicit["_index"] == "other"


def test_a_bulk_action_without_an_index_fails_the_request(opensearch):
    response = opensearch.bulk([{"index": {"_id": "x"}}, {"a": 1}])

    assert response.status_code == 400
    assert response.json()["error"]["type"] == "action_request_validation_exception"
    assert response.json()["error"]["reason"] == "Validation Failed: 1: index is missing;"


def test_a_bulk_body_must_end_with_a_newline(opensearch):
    body = json.dumps({"index": {"_index": "findings", "_id": "f1"}}) + "\n" + json.dumps({"a": 1})

    response = opensearch.call("POST", "/_bulk", body, content_type="application/x-ndjson")

    assert response.status_code == 400
    reason = "The bulk request must be terminated by a newline [\\n]"
    cause = {"type": "illegal_argument_exception", "reason": reason}
    assert response.json() == {"error": {"root_cause": [cause], **cause}, "status": 400}
    assert opensearch.stats()["documents"] == {}


def test_a_payload_over_the_domain_limit_is_refused_whole_before_authentication(opensearch):
    assert opensearch.stats()["max_payload_bytes"] == 10 * 1024 * 1024
    opensearch.admin(max_payload_bytes=1000)

    def bulk_body(size: int) -> str:
        action = json.dumps({"index": {"_index": "findings", "_id": "f1"}}) + "\n"
        padding = size - len(action) - len(json.dumps({"text": ""}) + "\n")
        return action + json.dumps({"text": "x" * padding}) + "\n"

    over = opensearch.call("POST", "/_bulk", bulk_body(1001), content_type="application/x-ndjson")
    unsigned = requests.post(f"{opensearch.url}/_bulk", data="x" * 1001, timeout=10)
    at_limit = opensearch.call("POST", "/_bulk", bulk_body(1000), content_type="application/x-ndjson")

    assert over.status_code == 413
    assert over.json() == {"Message": "Request size exceeded 1000 bytes"}
    assert unsigned.status_code == 413
    assert at_limit.status_code == 200, at_limit.text
    stats = opensearch.stats()
    assert list(stats["documents"]["findings"]) == ["f1"]
    assert [(r["status"], r["bytes"]) for r in stats["requests"]] == [(413, 1001), (413, 1001), (200, 1000)]


def test_an_invalid_index_name_fails_its_item_only(opensearch):
    response = opensearch.bulk(
        [{"index": {"_index": "Findings", "_id": "1"}}, {"a": 1}, {"index": {"_index": "findings", "_id": "2"}}, {"a": 1}]
    )

    (_, invalid), (_, valid) = items(response)
    assert invalid["status"] == 400
    assert invalid["error"]["type"] == "invalid_index_name_exception"
    assert invalid["error"]["reason"] == "Invalid index name [Findings], must be lowercase"
    assert valid["status"] == 201


def test_strict_template_mappings_refuse_unknown_fields(opensearch):
    template = {
        "index_patterns": ["findings-*"],
        "template": {
            "mappings": {
                "dynamic": "strict",
                "properties": {"title": {"type": "keyword"}, "resource": {"properties": {"id": {"type": "keyword"}}}},
            }
        },
    }
    assert opensearch.call("PUT", "/_index_template/findings", template).json() == {"acknowledged": True}

    response = opensearch.bulk(
        [
            {"index": {"_index": "findings-1", "_id": "ok"}},
            {"title": "t", "resource": {"id": "i-1"}},
            {"index": {"_index": "findings-1", "_id": "bad"}},
            {"title": "t", "resource": {"ip": "10.0.0.1"}},
        ]
    )

    (_, ok), (_, bad) = items(response)
    assert ok["status"] == 201
    assert bad["status"] == 400
    assert bad["error"]["type"] == "strict_dynamic_mapping_exception"
    assert bad["error"]["reason"] == "mapping set to strict, dynamic introduction of [ip] within [resource] is not allowed"
    stats = opensearch.stats()
    assert stats["index_templates"] == {"findings": template}
    assert stats["indices"]["findings-1"]["mappings"] == template["template"]["mappings"]


def test_put_mapping_adds_fields_to_a_live_index_and_keeps_every_type(opensearch):
    mappings = {"dynamic": "strict", "properties": {"title": {"type": "keyword"}, "cvss": {"properties": {"base_score": {"type": "float"}}}}}
    assert opensearch.call("PUT", "/findings-live", {"mappings": mappings}).status_code == 200
    new_field = [{"index": {"_index": "findings-live", "_id": "p"}}, {"title": "t", "priority": {"score": 80, "label": "P2"}}]
    ((_, refused),) = items(opensearch.bulk(new_field))
    assert refused["error"]["type"] == "strict_dynamic_mapping_exception"

    added = {"properties": {"priority": {"properties": {"score": {"type": "integer"}, "label": {"type": "keyword"}}}, "cvss": {"properties": {"version": {"type": "keyword"}}}}}
    assert opensearch.call("PUT", "/findings-live/_mapping", added).json() == {"acknowledged": True}
    ((_, indexed),) = items(opensearch.bulk(new_field))
    assert indexed["status"] == 201
    properties = opensearch.stats()["indices"]["findings-live"]["mappings"]["properties"]
    assert properties["cvss"]["properties"] == {"base_score": {"type": "float"}, "version": {"type": "keyword"}}
    assert properties["priority"]["properties"]["label"] == {"type": "keyword"}

    # A type never changes, and a refused change leaves the mapping as it was.
    retyped = {"properties": {"extra": {"type": "keyword"}, "cvss": {"properties": {"base_score": {"type": "keyword"}}}}}
    response = opensearch.call("PUT", "/findings-live/_mapping", retyped)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "illegal_argument_exception"
    assert response.json()["error"]["reason"] == "mapper [cvss.base_score] cannot be changed from type [float] to [keyword]"
    assert "extra" not in opensearch.stats()["indices"]["findings-live"]["mappings"]["properties"]

    missing = opensearch.call("PUT", "/findings-missing/_mapping", added)
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "index_not_found_exception"


def test_an_unsupported_content_type_is_not_acceptable(opensearch):
    response = opensearch.call("POST", "/_bulk", "{}\n", content_type="text/plain")

    assert response.status_code == 406
    assert response.json() == {"error": "Content-Type header [text/plain] is not supported", "status": 406}


# -- programmed failures ----------------------------------------------------------------


def test_one_document_can_be_rejected_with_429(opensearch):
    opensearch.admin(fail_documents=[{"id": "f2", "status": 429, "times": 1}])
    lines = [
        line for doc_id in ("f1", "f2", "f3") for line in ({"index": {"_index": "findings", "_id": doc_id}}, {"id": doc_id})
    ]

    first = opensearch.bulk(lines)
    retry = opensearch.bulk(lines[2:4])

    assert first.json()["errors"] is True
    statuses = {item["_id"]: item["status"] for _, item in items(first)}
    assert statuses == {"f1": 201, "f2": 429, "f3": 201}
    rejected = items(first)[1][1]
    assert rejected["error"]["type"] == "es_rejected_execution_exception"
    assert rejected["error"]["reason"].startswith("rejected execution of coordinating operation")
    assert items(retry)[0][1]["status"] == 201
    stats = opensearch.stats()
    assert stats["document_attempts"]["findings"] == {"f1": 1, "f2": 2, "f3": 1}
    assert sorted(stats["documents"]["findings"]) == ["f1", "f2", "f3"]
    assert stats["pending_failures"]["documents"] == {}


def test_a_document_failure_can_name_its_error(opensearch):
    error = {"type": "mapper_parsing_exception", "reason": "failed to parse field [x]"}
    opensearch.admin(fail_documents=[{"id": "f1", "status": 400, **error, "times": 2}])

    for _ in range(2):
        (_, item), = items(opensearch.bulk([{"index": {"_index": "findings", "_id": "f1"}}, {"a": 1}]))
        assert (item["status"], item["error"]) == (400, error)
    (_, item), = items(opensearch.bulk([{"index": {"_index": "findings", "_id": "f1"}}, {"a": 1}]))
    assert item["status"] == 201


def test_whole_requests_can_fail_with_503(opensearch):
    opensearch.admin(fail_requests={"status": 503, "times": 2})
    lines = [{"index": {"_index": "findings", "_id": "f1"}}, {"a": 1}]

    failed = [opensearch.bulk(lines) for _ in range(2)]
    succeeded = opensearch.bulk(lines)

    for response in failed:
        assert response.status_code == 503
        assert response.json()["error"]["type"] == "cluster_block_exception"
        assert response.json()["status"] == 503
    assert succeeded.status_code == 200
    stats = opensearch.stats()
    assert stats["bulk_calls"] == 1
    assert [entry["status"] for entry in stats["requests"]] == [503, 503, 200]


def test_a_request_failure_needs_a_valid_signature_first(opensearch):
    opensearch.admin(fail_requests={"status": 429, "times": 1})

    unsigned = requests.get(opensearch.url + "/", timeout=10)
    signed = opensearch.call("GET", "/")

    assert unsigned.status_code == 403
    assert signed.status_code == 429
    assert signed.json()["error"]["type"] == "es_rejected_execution_exception"


def test_admin_refuses_what_it_cannot_apply(opensearch, endpoint):
    url = f"{endpoint}/_localaws/opensearch-admin/{opensearch.domain}"

    opensearch.bulk([{"index": {"_index": "findings", "_id": "kept"}}, {"a": 1}])
    refused = (
        {"service": "opensearch"},
        {"fail_requests": {"status": 200}},
        {"fail_documents": [{"status": 429}]},
        {"colour": 1},
        {"reset": True, "region": "moon-1"},
        {"max_payload_bytes": 0},
        {"max_payload_bytes": "10mb"},
        {"indices": {"Findings": {}}},
        {"indices": {"old": {"settings": {}}}},
        {"indices": ["old"]},
        {"indices": {"findings": {}}, "region": "eu-west-1"},
    )

    for body in refused:
        response = requests.post(url, json=body, timeout=10)
        assert response.status_code == 400, body
        assert response.json()["message"]
        assert response.headers["Content-Length"] == str(len(response.content))
    stats = opensearch.stats()
    assert stats["service"] == "es"
    assert stats["region"] == "us-east-1", "a refused request changes nothing"
    assert list(stats["documents"]["findings"]) == ["kept"]


def test_admin_creates_an_index_as_an_earlier_client_left_it(opensearch, endpoint):
    url = f"{endpoint}/_localaws/opensearch-admin/{opensearch.domain}"
    mappings = {"dynamic": "strict", "properties": {"title": {"type": "keyword"}}}

    created = requests.post(url, json={"indices": {"findings-old": {"mappings": mappings}}}, timeout=10)

    assert created.status_code == 200
    assert created.json()["indices"]["findings-old"]["mappings"] == mappings
    ((_, refused),) = items(opensearch.bulk([{"index": {"_index": "findings-old", "_id": "n"}}, {"severity": "LOW"}]))
    assert refused["error"]["type"] == "strict_dynamic_mapping_exception"


# -- reading back -----------------------------------------------------------------------


def test_documents_can_be_read_searched_counted_and_deleted(opensearch):
    opensearch.bulk(
        [
            {"index": {"_index": "findings", "_id": "f1"}},
            {"severity": "HIGH", "resource": {"tags": ["a", "b"]}},
            {"index": {"_index": "findings", "_id": "f2"}},
            {"severity": "LOW", "resource": {"tags": ["b"]}},
        ]
    )

    found = opensearch.call("GET", "/findings/_doc/f1")
    missing = opensearch.call("GET", "/findings/_doc/nope")
    everything = opensearch.call("GET", "/findings/_search", {"query": {"match_all": {}}, "size": 1})
    high = opensearch.call("POST", "/findings/_search", {"query": {"term": {"severity": "HIGH"}}})
    tagged = opensearch.call("GET", "/findings/_count", {"query": {"bool": {"filter": [{"term": {"resource.tags": "b"}}]}}})
    deleted = opensearch.call("DELETE", "/findings")
    gone = opensearch.call("GET", "/findings/_doc/f1")

    assert found.json()["_source"] == {"severity": "HIGH", "resource": {"tags": ["a", "b"]}}
    assert (missing.status_code, missing.json()) == (404, {"_index": "findings", "_id": "nope", "found": False})
    assert everything.json()["hits"]["total"] == {"value": 2, "relation": "eq"}
    assert len(everything.json()["hits"]["hits"]) == 1
    assert [hit["_id"] for hit in high.json()["hits"]["hits"]] == ["f1"]
    assert tagged.json()["count"] == 2
    assert deleted.json() == {"acknowledged": True}
    assert gone.status_code == 404
    assert gone.json()["error"]["type"] == "index_not_found_exception"


def test_the_admin_route_reports_what_the_domain_saw(opensearch):
    opensearch.call("PUT", "/_index_template/findings", {"index_patterns": ["findings*"], "priority": 1})
    opensearch.bulk([{"index": {"_index": "findings", "_id": "f1"}}, {"a": 1}])
    opensearch.call("HEAD", "/")

    stats = opensearch.stats()

    assert stats["domain"] == opensearch.domain
    assert (stats["region"], stats["service"]) == ("us-east-1", "es")
    assert stats["request_count"] == 3
    assert stats["bulk_calls"] == 1
    assert stats["document_attempts"] == {"findings": {"f1": 1}}
    assert stats["documents"] == {"findings": {"f1": {"_source": {"a": 1}, "_version": 1, "_seq_no": 0}}}
    assert stats["index_templates"] == {"findings": {"index_patterns": ["findings*"], "priority": 1}}
    assert [(entry["method"], entry["path"]) for entry in stats["requests"]] == [
        ("PUT", "/_index_template/findings"),
        ("POST", "/_bulk"),
        ("HEAD", "/"),
    ]
    assert opensearch.admin(reset=True)["request_count"] == 0


def test_rate_failures_fail_that_share_of_documents_and_requests_until_cancelled(opensearch):
    opensearch.admin(fail_any_document={"status": 429, "rate": 1, "seed": 1})
    failed = items(opensearch.bulk([{"index": {"_index": "findings", "_id": f"r{n}"}} if i == 0 else {"n": n} for n in range(5) for i in range(2)]))
    assert [item["status"] for _, item in failed] == [429] * 5
    assert all(item["error"]["type"] == "es_rejected_execution_exception" for _, item in failed)
    assert opensearch.stats()["pending_failures"]["any_document"]["injected"] == 5
    opensearch.admin(fail_any_document={"status": 429, "rate": 0})
    assert [item["status"] for _, item in items(opensearch.bulk([{"index": {"_index": "findings", "_id": "r0"}}, {"n": 0}]))] == [201]

    opensearch.admin(fail_requests={"status": 503, "rate": 0.5, "seed": 2})
    statuses = [opensearch.call("GET", "/").status_code for _ in range(30)]
    assert 3 < statuses.count(503) < 27 and set(statuses) == {200, 503}, statuses
    opensearch.admin(fail_requests={"status": 503, "rate": 0})
    assert opensearch.call("GET", "/").status_code == 200


def test_rate_failures_refuse_bad_rates(opensearch):
    for changes in ({"fail_any_document": {"status": 429}}, {"fail_any_document": {"status": 429, "rate": 2}}, {"fail_requests": {"status": 503, "rate": -1}}):
        response = requests.post(f"{opensearch.endpoint}/_localaws/opensearch-admin/{opensearch.domain}", json=changes, timeout=10)
        assert response.status_code == 400, changes
