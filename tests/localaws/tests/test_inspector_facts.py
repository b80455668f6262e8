"""The shared Inspector Classic data file: complete, consistent, and what the emulator serves."""

import json

import boto3
import pytest

from localaws.inspector import arns
from localaws.inspector.facts import FACTS_FILE, region_facts

DOCUMENT = json.loads(FACTS_FILE.read_text())
PACKAGE_NAMES = {
    "Common Vulnerabilities and Exposures",
    "CIS Operating System Security Configuration Benchmarks",
    "Network Reachability",
    "Security Best Practices",
}


def test_the_file_has_a_source_note_and_the_documented_shape():
    assert set(DOCUMENT) == {"_source", "regions"}
    assert "inspector_rules-arns" in DOCUMENT["_source"]
    for entry in DOCUMENT["regions"].values():
        assert set(entry) == {"partition", "service_account_id", "rules_packages"}
        for package in entry["rules_packages"]:
            assert set(package) == {"arn", "name", "version", "provider", "description"}
            assert package["provider"] == "Amazon Web Services, Inc."


def test_regions_are_exactly_the_regions_botocore_knows_for_inspector():
    session = boto3.Session()
    botocore_regions = {
        region for partition in session.get_available_partitions() for region in session.get_available_regions("inspector", partition)
    }
    assert set(DOCUMENT["regions"]) == botocore_regions


@pytest.mark.parametrize("region", sorted(DOCUMENT["regions"]))
def test_each_region_has_its_packages_owned_by_its_service_account(region):
    facts = region_facts(region)
    names = {package.name for package in facts.rules_packages}
    expected = PACKAGE_NAMES - ({"Network Reachability"} if region.startswith("us-gov-") else set())
    assert names == expected
    assert facts.partition == ("aws-us-gov" if region.startswith("us-gov-") else "aws")
    for package in facts.rules_packages:
        parsed = arns.parse(package.arn, arns.Kind.RULES_PACKAGE)
        assert (parsed.partition, parsed.region, parsed.account) == (facts.partition, region, facts.service_account_id)


@pytest.mark.parametrize(
    ("region", "account"),
    [("us-east-1", "316112463485"), ("us-west-2", "758058086616"), ("eu-west-1", "357557129151"), ("us-gov-west-1", "850862329162")],
)
def test_documented_service_accounts(region, account):
    assert region_facts(region).service_account_id == account


def test_service_accounts_are_distinct_per_region():
    accounts = [entry["service_account_id"] for entry in DOCUMENT["regions"].values()]
    assert len(set(accounts)) == len(accounts)
