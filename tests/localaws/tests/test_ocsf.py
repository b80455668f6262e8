"""The OCSF copy (docs/ocsf.md) against the OCSF schema as published.

The schema is OCSF 1.1.0's export, shipped by the pinned ocsf-json-schema package, as JSON
Schema for the Vulnerability Finding class (2002) with the cloud profile; records are
validated with jsonschema. Unknown attributes are refused (additionalProperties is false
in every OCSF object), so whatever OCSF has no place for must be in `unmapped`.

Two sets of records:
- the checked-in records (functions/findings/tests/ocsf/*.json), which the Rust mapping
  must reproduce exactly (its unit test): one per shape of finding we store;
- with OCSF_PARQUET_DIR set, the Parquet objects send-findings wrote (the v2 sandbox test
  downloads the sandbox's into a folder and runs this file over it): the Security Lake
  layout of their keys, the Glue columns as their schema, and every row, read back with
  pyarrow, a valid record.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from jsonschema import Draft202012Validator
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((REPO / "functions" / "findings" / "tests" / "ocsf").glob("*.json"))
COLUMNS = json.loads((REPO / "modules" / "security-primary" / "athena" / "ocsf-columns.json").read_text())
OCSF_VERSION = "1.1.0"
PARQUET_DIR = os.environ.get("OCSF_PARQUET_DIR")
# <prefix>/region=<region>/accountId=<12 digits>/eventDay=<YYYYMMDD>/<32 hex>.parquet
KEY = re.compile(r"^(?:.+/)?region=([a-z0-9-]+)/accountId=(\d{12})/eventDay=(\d{8})/[0-9a-f]{32}\.parquet$")


@functools.cache
def validator() -> Draft202012Validator:
    schema = OcsfJsonSchemaEmbedded(get_ocsf_schema(version=OCSF_VERSION))
    class_name = schema.lookup_class_name_from_uid(class_uid=2002)
    assert class_name == "vulnerability_finding"
    return Draft202012Validator(schema.get_class_schema(class_name=class_name, profiles=["cloud"]))


def problems(record: dict) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(record)'}: [{error.validator}] {error.message[:300]}"
        for error in validator().iter_errors(record)
    ]


def test_the_examples_cover_every_shape_we_store():
    names = {p.stem for p in EXAMPLES}
    for shape in (
        "ec2-package-vulnerability",
        "ec2-windows-kb-package-vulnerability",
        "ec2-windows-kb-with-kev-details",
        "ec2-network-reachability",
        "lambda-code-vulnerability",
        "code-repository-code-vulnerability",
        "ecr-package-vulnerability-closed-expired",
        "ecr-package-vulnerability-untriaged",
        "ec2-package-vulnerability-fixed",
        "classic-cve",
        "classic-cis-benchmark",
    ):
        assert shape in names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_checked_in_record_is_a_valid_vulnerability_finding(path: Path):
    record = json.loads(path.read_text())
    assert problems(record) == []
    assert record["metadata"]["version"] == OCSF_VERSION
    assert record["type_uid"] == record["class_uid"] * 100 + record["activity_id"]


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (lambda r: r["finding_info"].pop("uid"), "finding_info: [required] 'uid' is a required property"),
        (lambda r: r.update(inspector_score=7.5), "(record): [additionalProperties]"),
        (lambda r: r["vulnerabilities"][0]["cve"]["epss"].update(score=0.9), "epss/score: [type]"),
        (lambda r: r.update(severity_id=7), "severity_id: [enum]"),
        (lambda r: r["vulnerabilities"][0].pop("cve"), "vulnerabilities/0: [anyOf]"),
    ],
    ids=["no finding uid", "an attribute OCSF lacks", "EPSS as a number", "a severity OCSF lacks", "neither CVE nor CWE"],
)
def test_the_schema_refuses_what_ocsf_does_not_allow(breakage, expected):
    # The validator is not vacuous: each breakage of a valid record is named.
    record = json.loads((EXAMPLES[0].parent / "ec2-package-vulnerability.json").read_text())
    broken = copy.deepcopy(record)
    breakage(broken)
    found = problems(broken)
    assert any(expected in p for p in found), found


# --- the Parquet objects ---------------------------------------------------------------


def arrow_type(hive: str) -> pa.DataType:
    """A Glue (Hive) column type as the Arrow type of the Parquet column."""
    hive = hive.strip()
    simple = {"string": pa.string(), "int": pa.int32(), "bigint": pa.int64(), "double": pa.float64(), "boolean": pa.bool_()}
    if hive in simple:
        return simple[hive]
    outer, _, inner = hive.partition("<")
    inner = inner[:-1]
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        depth += {"<": 1, ">": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    if outer == "array":
        return pa.list_(arrow_type(parts[0]))
    if outer == "map":
        return pa.map_(arrow_type(parts[0]), arrow_type(parts[1]))
    if outer == "struct":
        return pa.struct([pa.field(n, arrow_type(t)) for n, t in (p.split(":", 1) for p in parts)])
    raise AssertionError(f"no Arrow type for {hive}")


def without_nulls(value):
    """A row as JSON: nulls (absent attributes) dropped, maps as objects."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        if value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
            return {k: without_nulls(v) for k, v in value}
        return [without_nulls(v) for v in value]
    return value


def parquet_objects() -> list[Path]:
    return sorted(Path(PARQUET_DIR).rglob("*.parquet")) if PARQUET_DIR else []


@pytest.mark.skipif(not PARQUET_DIR, reason="OCSF_PARQUET_DIR names no folder (the v2 sandbox test sets it)")
def test_the_sandbox_wrote_parquet_objects():
    assert parquet_objects(), f"no .parquet under {PARQUET_DIR}"


@pytest.mark.skipif(not PARQUET_DIR, reason="OCSF_PARQUET_DIR names no folder (the v2 sandbox test sets it)")
@pytest.mark.parametrize("path", parquet_objects(), ids=lambda p: str(p.relative_to(PARQUET_DIR)))
def test_every_parquet_row_is_a_valid_vulnerability_finding_in_its_partition(path: Path):
    key = str(path.relative_to(PARQUET_DIR))
    match = KEY.match(key)
    assert match, f"{key} is not in the Security Lake layout"
    region, account, day = match.groups()
    table = pq.ParquetFile(path).read()  # the file alone: no partition columns from the path
    expected = pa.schema([pa.field(c["name"], arrow_type(c["type"])) for c in COLUMNS["columns"]])
    assert table.schema.equals(expected, check_metadata=False), f"{key}: the columns are not the Glue table's"
    assert table.num_rows > 0
    for row in table.to_pylist():
        record = without_nulls(row)
        assert problems(record) == [], f"{key}: {record['finding_info']['uid']}"
        assert (record["cloud"]["region"], record["cloud"]["account"]["uid"]) == (region, account)
        assert f"{day[:4]}-{day[4:6]}-{day[6:]}" == pa.scalar(record["time"], pa.timestamp("ms")).as_py().date().isoformat()
