"""security-primary's Athena named queries (modules/security-primary/queries/*.sql), run.

Each query is parsed as Trino SQL (Athena engine version 3) with sqlglot, transpiled to
DuckDB, and run over a folder of finding documents and history entries laid out as the
S3 keys are (docs/finding-schema.md, "S3 key" and "History"). DuckDB reads them with the
Glue columns of the tables (modules/security-primary/athena/findings-columns.json, the
file athena.tf reads), the partition keys from the path as partition projection gives
them. Each result must equal the same figure computed here from the documents.

The documents are generated (seeded, so every run is the same) as send-findings writes
them: both engines, every status, v2 lifecycle fields, KEV details, priorities from the
documented formula, and a few Classic documents written before priority existed; and
coverage documents (docs/finding-schema.md, "Coverage documents": one per resource and
scan type, under account_id=/region=) for the coverage table.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import sqlglot
from sqlglot.errors import ErrorLevel

MODULE = Path(__file__).resolve().parents[3] / "modules" / "security-primary"
COLUMNS = json.loads((MODULE / "athena" / "findings-columns.json").read_text())
COVERAGE_COLUMNS = json.loads((MODULE / "athena" / "coverage-columns.json").read_text())
QUERIES = {p.stem: p.read_text() for p in sorted((MODULE / "queries").glob("*.sql"))}
INDEX_TEMPLATE = Path(__file__).resolve().parents[3] / "functions" / "core" / "opensearch" / "index-template.json"
COVERAGE_TEMPLATE = INDEX_TEMPLATE.with_name("coverage-index-template.json")

ACCOUNTS = ("222222222222", "333333333333", "444444444444")
REGIONS = ("us-east-1", "eu-west-1")
SEVERITY_SCORE = {"LOW": 3.1, "MEDIUM": 5.5, "HIGH": 7.8, "CRITICAL": 9.8}
CLASSIC_SCORE = {"INFORMATIONAL": 0.0, "LOW": 3.0, "MEDIUM": 6.0, "HIGH": 9.0}
CVES = [f"CVE-20{20 + i % 6}-{1000 + 37 * i}" for i in range(40)]


# --- Glue types in DuckDB ----------------------------------------------------------------


def duckdb_type(hive: str) -> str:
    """A Glue (Hive) column type as the DuckDB type that reads the same JSON."""
    hive = hive.strip()
    simple = {"string": "VARCHAR", "int": "INTEGER", "bigint": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN"}
    if hive in simple:
        return simple[hive]
    outer, _, inner = hive.partition("<")
    assert inner.endswith(">"), hive
    parts = split_top_level(inner[:-1])
    if outer == "array":
        return f"{duckdb_type(parts[0])}[]"
    if outer == "map":
        key, value = split_top_level(inner[:-1], ",")
        return f"MAP({duckdb_type(key)}, {duckdb_type(value)})"
    if outer == "struct":
        fields = [p.split(":", 1) for p in parts]
        return "STRUCT(" + ", ".join(f'"{n}" {duckdb_type(t)}' for n, t in fields) + ")"
    raise AssertionError(f"no DuckDB type for {hive}")


def split_top_level(text: str, sep: str = ",") -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"<": 1, ">": -1}.get(ch, 0)
        if ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def create_views(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    columns = {c["name"]: duckdb_type(c["type"]) for c in COLUMNS["columns"]}
    partitions = {c["name"]: duckdb_type(c["type"]) for c in COLUMNS["partition_keys"]}
    for table in ("findings", "history"):
        # Everything under the table's location, as Athena reads a partition's folder (the
        # history's entries are one folder further down, <id>/<version>.json).
        location = f"{root}/{table}/**/*.json".replace("'", "''")
        con.execute(
            f"CREATE VIEW {table} AS SELECT * FROM read_json('{location}', columns = {sql_struct(columns)},"
            f" hive_partitioning = true, hive_types = {sql_struct(partitions)}, format = 'newline_delimited')"
        )


def sql_struct(mapping: dict[str, str]) -> str:
    return "{" + ", ".join(f"'{k}': '{v}'" for k, v in mapping.items()) + "}"


def run(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple]:
    sql = transpiled(name)
    return [tuple(row) for row in con.execute(sql).fetchall()]


def transpiled(name: str) -> str:
    (statement,) = sqlglot.parse(QUERIES[name], read="trino", error_level=ErrorLevel.RAISE)
    return statement.sql(dialect="duckdb", unsupported_level=ErrorLevel.RAISE)


# --- the documents -----------------------------------------------------------------------


def rfc3339(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def priority(doc: dict) -> dict:
    """docs/finding-schema.md, "Priority"."""
    band = {"LOW": 2, "MEDIUM": 5.5, "HIGH": 8, "CRITICAL": 9.5}
    score = doc.get("severity_score")
    if score is None and doc.get("cvss"):
        score = doc["cvss"]["base_score"]
    if score is None:
        score = band.get(doc["severity"], 0)
    points = min(6 * score, 60)
    details = doc.get("details") or {}
    if doc.get("exploit_available") or details.get("exploit_observed"):
        points += 12
    epss = doc.get("epss_score") or 0
    points += 15 if epss >= 0.5 else 9 if epss >= 0.1 else 4 if epss >= 0.01 else 0
    if doc.get("network_reachability") or doc["resource"]["public_ips"]:
        points += 8
    points += {"YES": 5, "PARTIAL": 2}.get(doc.get("fix_available"), 0)
    total = math.floor(points + 0.5)
    if details.get("kev"):
        total = max(total, 80)
    label = "P1" if total >= 80 else "P2" if total >= 60 else "P3" if total >= 40 else "P4" if total >= 15 else "P5"
    return {"score": total, "label": label}


def finding_arn(engine: str, account: str, region: str, n: int) -> str:
    if engine == "inspector_v2":
        return f"arn:aws:inspector2:{region}:{account}:finding/{hashlib.md5(str(n).encode()).hexdigest()}"
    return f"arn:aws:inspector:{region}:{account}:target/0-tgt/template/0-tpl/run/0-run/finding/0-{n:08d}"


def resource(rng: random.Random, engine: str, account: str, region: str) -> dict:
    public = rng.random() < 0.3
    base = {
        "type": "AWS_EC2_INSTANCE",
        "id": f"i-{rng.randrange(16**4):04x}{account[-2:]}",
        "image_id": "ami-0abc1234",
        "hostname": "ip-10-0-0-5.ec2.internal" if engine == "inspector_classic" else None,
        "vpc_id": "vpc-0123",
        "subnet_ids": ["subnet-0a"],
        "security_group_ids": ["sg-0a"],
        "private_ips": ["10.0.0.5"],
        "public_ips": ["203.0.113.7"] if public else [],
        "tags": {"Team": rng.choice(["payments", "search"]), "aws:autoscaling:groupName": "web"},
    }
    if engine == "inspector_v2":
        if rng.random() < 0.3:
            base.update(
                type="AWS_ECR_CONTAINER_IMAGE",
                id=f"arn:aws:ecr:{region}:{account}:repository/web/sha256:{rng.randrange(16**8):08x}",
                image_id=f"sha256:{rng.randrange(16**8):08x}",
                vpc_id=None, subnet_ids=[], security_group_ids=[], private_ips=[], public_ips=[],
                repository_name="web", image_tags=["v1"], pushed_at="2025-01-02T03:04:05Z", in_use_count=2,
            )
        base["platform"] = "UBUNTU_22_04"
    return base


def documents(today: date) -> tuple[list[dict], list[dict]]:
    """(current documents, history entries), as send-findings stores them."""
    rng = random.Random(21)
    now = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
    docs, history = [], []
    for n in range(240):
        engine = "inspector_classic" if n % 5 == 0 else "inspector_v2"
        account, region = rng.choice(ACCOUNTS), rng.choice(REGIONS)
        arn = finding_arn(engine, account, region, n)
        first = now - timedelta(days=rng.randrange(3, 400), seconds=rng.randrange(86400))
        last = first + timedelta(days=rng.randrange(0, 3))
        cves = sorted(set(rng.sample(CVES[: 10 + n % 30], rng.choice([0, 1, 1, 1, 2, 3]))))
        doc = {
            "schema_version": 1,
            "id": hashlib.sha256(arn.encode()).hexdigest()[:32],
            "engine": engine,
            "finding_arn": arn,
            "account_id": account,
            "region": region,
            "title": f"{cves[0] if cves else 'Port 22 reachable'} - finding {n}",
            "description": "A vulnerability.",
            "recommendation": "Upgrade the package.",
            "cve_ids": cves,
            "first_observed_at": rfc3339(first),
            "last_observed_at": rfc3339(last),
            "resource": resource(rng, engine, account, region),
            "raw": {"n": n},
        }
        if engine == "inspector_classic":
            severity = rng.choice(list(CLASSIC_SCORE))
            doc.update(
                severity=severity,
                severity_score=CLASSIC_SCORE[severity],
                finding_type="Common Vulnerabilities and Exposures",
                status="ACTIVE",
                enrichment={"status": "enriched", "detail": None},
            )
            if n % 15 != 0:  # documents written before priority existed have none
                doc["priority"] = priority(doc)
        else:
            v2_fields(rng, doc, n, first, now, history)
        docs.append(doc)
    return docs, history


def v2_fields(rng: random.Random, doc: dict, n: int, first: datetime, now: datetime, history: list[dict]) -> None:
    severity = rng.choice(["LOW", "MEDIUM", "HIGH", "HIGH", "CRITICAL", "UNTRIAGED"])
    score = SEVERITY_SCORE.get(severity)
    doc.update(
        severity=severity,
        severity_score=score,
        finding_type="PACKAGE_VULNERABILITY",
        enrichment={"status": "not_needed", "detail": None},
        vulnerability_id=doc["cve_ids"][0] if doc["cve_ids"] else f"GHSA-{n:04d}",
        fix_available=rng.choice(["YES", "NO", "PARTIAL"]),
        exploit_available=rng.random() < 0.3,
        epss_score=round(rng.random() ** 3, 4),
        vulnerable_packages=[{
            "name": "openssl", "version": "3.0.2", "epoch": 0, "release": "0ubuntu1", "arch": "X86_64",
            "package_manager": "OS", "fixed_in_version": "3.0.13", "file_path": None,
        }],
    )
    if score is not None:
        doc["cvss"] = {"base_score": score, "scoring_vector": "CVSS:3.1/AV:N/AC:L", "version": "3.1", "source": "NVD"}
    details: dict = {"status": "fetched", "reason": None, "ttps": [], "tools": []}
    if n % 4 == 1:
        # Due dates whole days away from today, in the past and the future.
        due = now.replace(hour=0) + timedelta(days=rng.choice([-200, -30, -3, -1, 2, 40]))
        details["kev"] = {"date_added": rfc3339(due - timedelta(days=21)), "due_date": rfc3339(due), "required_action": "Apply updates."}
    if n % 9 == 2:
        details["exploit_observed"] = {"first_seen": "2024-02-01T00:00:00Z", "last_seen": "2025-03-01T00:00:00Z"}
        details["ttps"] = ["T1190"]
    doc["details"] = details

    # The lifecycle: ACTIVE, or closed (after a reopening, sometimes), or suppressed.
    roll = rng.random()
    updated = first + timedelta(hours=rng.randrange(1, 48))
    states = [("ACTIVE", updated)]
    if roll < 0.45:
        closed = first + timedelta(seconds=rng.randrange(3600, 90 * 86400))
        states.append(("CLOSED", closed))
        if rng.random() < 0.25:
            states.append(("ACTIVE", closed + timedelta(days=2)))
            states.append(("CLOSED", closed + timedelta(days=2 + rng.randrange(1, 20), seconds=rng.randrange(86400))))
    elif roll < 0.55:
        states.append(("SUPPRESSED", first + timedelta(days=rng.randrange(1, 30))))
    status, updated = states[-1]
    doc["status"] = status
    doc["updated_at"] = rfc3339(updated)
    doc["status_changed_at"] = rfc3339(updated if len(states) > 1 else first)
    reopened = sum(1 for (a, _), (b, _) in zip(states, states[1:]) if a == "CLOSED" and b == "ACTIVE")
    if reopened:
        doc["reopened_count"] = reopened
    if status == "CLOSED":
        doc["closed_at"] = rfc3339(updated)
        if doc["resource"]["type"] == "AWS_ECR_CONTAINER_IMAGE":
            doc["closed_reason"] = "no_longer_scanned"  # no remediation: no time to remediate
        else:
            doc["time_to_remediate_seconds"] = int((updated - first).total_seconds())
    doc["priority"] = priority(doc)
    # One history entry per status change: the document of the state that changed it.
    for i, (state, at) in enumerate(states[1:], start=1):
        entry = dict(doc, status=state, updated_at=rfc3339(at), status_changed_at=rfc3339(at))
        for key in ("closed_at", "closed_reason", "time_to_remediate_seconds", "reopened_count"):
            entry.pop(key, None)
        if state == "CLOSED":
            entry["closed_at"] = rfc3339(at)
            if doc["resource"]["type"] != "AWS_ECR_CONTAINER_IMAGE":
                entry["time_to_remediate_seconds"] = int((at - first).total_seconds())
            else:
                entry["closed_reason"] = "no_longer_scanned"
        reopens = sum(1 for (a, _), (b, _) in zip(states[: i + 1], states[1 : i + 1]) if a == "CLOSED" and b == "ACTIVE")
        if reopens:
            entry["reopened_count"] = reopens
        history.append(entry)


def key(doc: dict, prefix: str) -> str:
    day = doc["first_observed_at"][:10]
    return f"{prefix}/engine={doc['engine']}/account_id={doc['account_id']}/region={doc['region']}/day={day}"


def write_store(root: Path, docs: list[dict], history: list[dict]) -> None:
    for doc in docs:
        path = root / key(doc, "findings") / f"{doc['id']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc))
    for entry in history:
        version = int(datetime.fromisoformat(entry["updated_at"]).timestamp() * 1000)
        path = root / key(entry, "history") / entry["id"] / f"{version}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(entry))


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    today = datetime.now(UTC).date()
    docs, history = documents(today)
    root = tmp_path_factory.mktemp("store")
    write_store(root, docs, history)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # Athena's sessions are UTC
    create_views(con, root)
    return con, docs, history, today


def active(docs: list[dict]) -> list[dict]:
    return [d for d in docs if d["status"] == "ACTIVE"]


# --- the tests ---------------------------------------------------------------------------


def test_every_query_is_athena_sql_and_has_a_description():
    assert set(QUERIES) == {
        "open_findings_by_account_and_priority",
        "top_cves",
        "kev_findings_past_due",
        "mean_time_to_remediate_by_severity",
        "coverage_gaps",
    }
    for name, sql in QUERIES.items():
        assert re.match(r"^-- \S.{20,1000}\n", sql), f"{name}: the first line is the named query's description"
        transpiled(name)  # raises on a parse error or a function DuckDB has no equivalent of


def test_the_columns_are_the_documents_fields():
    """Every field of the finding document (the OpenSearch template maps them all) is a
    column with the same subfields, except the partition keys and raw."""
    template = json.loads(INDEX_TEMPLATE.read_text())
    fields = template["template"]["mappings"]["properties"]
    partition_keys = [c["name"] for c in COLUMNS["partition_keys"]]
    assert partition_keys == ["engine", "account_id", "region", "day"]
    expected = set(fields) - {"engine", "account_id", "region", "raw"}
    columns = {c["name"]: c["type"] for c in COLUMNS["columns"]}
    assert set(columns) == expected

    def names(hive: str) -> set[str]:
        inner = re.sub(r"^array<(.*)>$", r"\1", hive)
        inner = inner[len("struct<") : -1]
        return {p.split(":", 1)[0] for p in split_top_level(inner)}

    for name, spec in fields.items():
        if "properties" in spec and name in columns:
            assert names(columns[name]) == set(spec["properties"]), name


def test_the_views_read_every_document(store):
    con, docs, history, _ = store
    assert con.execute("SELECT count(*), count(DISTINCT id) FROM findings").fetchone() == (len(docs), len(docs))
    assert con.execute("SELECT count(*) FROM history").fetchone() == (len(history),)
    # Partition values come from the key, and equal the document's own fields.
    by_key = {(d["id"], d["engine"], d["account_id"], d["region"], d["first_observed_at"][:10]) for d in docs}
    rows = con.execute("SELECT id, engine, account_id, region, day FROM findings").fetchall()
    assert set(rows) == by_key
    # A history query: the states of the findings that were reopened, in order.
    reopened = {d["id"] for d in docs if d.get("reopened_count")}
    assert reopened
    rows = con.execute(
        "SELECT id, list(status ORDER BY updated_at) FROM history WHERE reopened_count > 0 OR id IN "
        "(SELECT id FROM findings WHERE reopened_count > 0) GROUP BY id"
    ).fetchall()
    assert {r[0] for r in rows} == reopened
    assert all(r[1][:3] == ["CLOSED", "ACTIVE", "CLOSED"] for r in rows)


def test_open_findings_by_account_and_priority(store):
    con, docs, _, _ = store
    expected = defaultdict(lambda: [0, 0, 0])
    for d in active(docs):
        row = expected[(d["account_id"], (d.get("priority") or {}).get("label", "unscored"))]
        row[0] += 1
        row[1] += d["severity"] == "CRITICAL"
        row[2] += bool((d.get("details") or {}).get("kev"))
    expected = [(a, p, *counts) for (a, p), counts in sorted(expected.items())]
    assert any(p == "unscored" for _, p, *_ in expected) and any(r[4] for r in expected)
    assert run(con, "open_findings_by_account_and_priority") == expected


def test_top_cves(store):
    con, docs, _, _ = store
    findings, accounts, resources = defaultdict(int), defaultdict(set), defaultdict(set)
    for d in active(docs):
        for cve in d["cve_ids"]:
            findings[cve] += 1
            accounts[cve].add(d["account_id"])
            resources[cve].add(f"{d['account_id']}/{d['resource']['id']}")
    ranked = sorted(findings, key=lambda c: (-len(resources[c]), -findings[c], c))
    assert len(ranked) > 25
    expected = [(c, findings[c], len(accounts[c]), len(resources[c]), sorted(resources[c])) for c in ranked[:25]]
    assert run(con, "top_cves") == expected


def test_kev_findings_past_due(store):
    con, docs, _, today = store
    expected = []
    for d in active(docs):
        kev = (d.get("details") or {}).get("kev")
        due = kev and datetime.fromisoformat(kev["due_date"])
        if due and due < datetime.now(UTC):
            r = d["resource"]
            expected.append((d["account_id"], d["region"], d["id"], d["vulnerability_id"], d["title"],
                             r["type"], r["id"], due.date(), (today - due.date()).days))
    expected.sort(key=lambda e: (e[7], e[0], e[2]))
    assert expected and any(
        (d.get("details") or {}).get("kev") and d["status"] == "ACTIVE" and d["details"]["kev"]["due_date"] > rfc3339(datetime.now(UTC))
        for d in docs
    ), "the documents hold KEV findings both past and before their due date"
    if datetime.now(UTC).date() != today:
        pytest.fail("the day changed while the test ran: run it again")
    assert run(con, "kev_findings_past_due") == expected


def test_mean_time_to_remediate_by_severity(store):
    con, docs, _, _ = store
    times = defaultdict(list)
    for d in docs:
        if d["status"] == "CLOSED" and d.get("time_to_remediate_seconds") is not None:
            times[d["severity"]].append(d["time_to_remediate_seconds"])
    assert any(d.get("closed_reason") == "no_longer_scanned" for d in docs), "closures that fixed nothing are left out"
    order = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNTRIAGED", "INFORMATIONAL"]

    def days(seconds: float) -> float:  # round(x, 1): half away from zero, as Trino does
        return math.floor(seconds / 86400 * 10 + 0.5) / 10

    expected = [(s, len(times[s]), days(sum(times[s]) / len(times[s])), days(max(times[s]))) for s in order if times[s]]
    assert len(expected) >= 4
    rows = run(con, "mean_time_to_remediate_by_severity")
    assert [r[:2] for r in rows] == [e[:2] for e in expected]
    for row, want in zip(rows, expected):
        assert row[2:] == pytest.approx(want[2:], abs=1e-9), row[0]


# --- coverage ------------------------------------------------------------------------------

COVERAGE_REASONS = {
    "INACTIVE": ["EXCLUDED_BY_TAG", "UNMANAGED_EC2_INSTANCE", "EC2_INSTANCE_STOPPED", "UNSUPPORTED_OS", "SCAN_ELIGIBILITY_EXPIRED", "UNSUPPORTED_RUNTIME"],
    "ACTIVE": ["SUCCESSFUL"],
}


def coverage_documents() -> list[dict]:
    """Coverage documents as send-findings stores them: instances, images and functions
    (a function once per scan type), scanned or not."""
    rng = random.Random(19)
    docs = []
    for n in range(150):
        account, region = rng.choice(ACCOUNTS), rng.choice(REGIONS)
        kind = rng.choice(["AWS_EC2_INSTANCE", "AWS_EC2_INSTANCE", "AWS_ECR_CONTAINER_IMAGE", "AWS_LAMBDA_FUNCTION"])
        resource_id = {
            "AWS_EC2_INSTANCE": f"i-{n:017x}",
            "AWS_ECR_CONTAINER_IMAGE": f"arn:aws:ecr:{region}:{account}:repository/web/sha256:{n:064x}",
            "AWS_LAMBDA_FUNCTION": f"arn:aws:lambda:{region}:{account}:function:fn-{n}:$LATEST",
        }[kind]
        for scan_type in ["PACKAGE", "CODE"] if kind == "AWS_LAMBDA_FUNCTION" else ["PACKAGE"]:
            status = "INACTIVE" if rng.random() < 0.4 else "ACTIVE"
            observed = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=n)
            docs.append({
                "schema_version": 1,
                "id": hashlib.sha256(f"{account}:{region}:{scan_type}:{resource_id}".encode()).hexdigest()[:32],
                "account_id": account,
                "region": region,
                "resource_id": resource_id,
                "resource_type": kind,
                "scan_type": scan_type,
                "scan_status": status,
                "scan_status_reason": rng.choice(COVERAGE_REASONS[status]),
                "scan_mode": "EC2_SSM_AGENT_BASED" if kind == "AWS_EC2_INSTANCE" else None,
                "last_scanned_at": rfc3339(observed - timedelta(hours=3)) if status == "ACTIVE" else None,
                "observed_at": rfc3339(observed),
                "source": rng.choice(["coverage_event", "list_coverage"]),
                "raw": {"n": n},
            })
    return docs


@pytest.fixture(scope="module")
def coverage_store(tmp_path_factory):
    docs = coverage_documents()
    root = tmp_path_factory.mktemp("coverage")
    for doc in docs:
        path = root / "coverage" / f"account_id={doc['account_id']}" / f"region={doc['region']}" / f"{doc['id']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc))
    con = duckdb.connect()
    columns = {c["name"]: duckdb_type(c["type"]) for c in COVERAGE_COLUMNS["columns"]}
    partitions = {c["name"]: duckdb_type(c["type"]) for c in COVERAGE_COLUMNS["partition_keys"]}
    location = f"{root}/coverage/**/*.json".replace("'", "''")
    con.execute(
        f"CREATE VIEW coverage AS SELECT * FROM read_json('{location}', columns = {sql_struct(columns)},"
        f" hive_partitioning = true, hive_types = {sql_struct(partitions)}, format = 'newline_delimited')"
    )
    return con, docs


def test_the_coverage_columns_are_the_coverage_documents_fields():
    fields = json.loads(COVERAGE_TEMPLATE.read_text())["template"]["mappings"]["properties"]
    assert [c["name"] for c in COVERAGE_COLUMNS["partition_keys"]] == ["account_id", "region"]
    assert {c["name"] for c in COVERAGE_COLUMNS["columns"]} == set(fields) - {"account_id", "region", "raw"}


def test_the_coverage_view_reads_every_document(coverage_store):
    con, docs = coverage_store
    assert con.execute("SELECT count(*), count(DISTINCT id) FROM coverage").fetchone() == (len(docs), len(docs))
    rows = con.execute("SELECT id, account_id, region FROM coverage").fetchall()
    assert set(rows) == {(d["id"], d["account_id"], d["region"]) for d in docs}


def test_coverage_gaps(coverage_store):
    con, docs = coverage_store
    groups = defaultdict(list)
    for d in docs:
        if d["scan_status"] == "INACTIVE":
            groups[(d["account_id"], d["region"], d["scan_type"], d["scan_status_reason"])].append(d)
    expected = [
        (*key, len(found),
         sum(d["resource_type"] == "AWS_EC2_INSTANCE" for d in found),
         sum(d["resource_type"] == "AWS_ECR_CONTAINER_IMAGE" for d in found),
         sum(d["resource_type"] == "AWS_LAMBDA_FUNCTION" for d in found),
         sorted(d["resource_id"] for d in found))
        for key, found in groups.items()
    ]
    expected.sort(key=lambda r: (-r[4], *r[:4]))
    assert len(expected) > 10 and any(r[2] == "CODE" for r in expected)
    assert run(con, "coverage_gaps") == expected
