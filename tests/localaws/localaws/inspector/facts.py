"""Inspector Classic facts shared with the rest of the project: one data file, read once.

The file (functions/inspector-facts/classic-regions.json) lists every Classic region with its
partition, the Inspector service account that publishes SNS notifications there, and the
rules packages DescribeRulesPackages returns. The Rust facts crate embeds the same file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

FACTS_FILE = Path(__file__).resolve().parents[4] / "functions" / "inspector-facts" / "classic-regions.json"


@dataclass(frozen=True)
class RulesPackage:
    arn: str
    name: str
    version: str
    provider: str
    description: str

    def to_api(self) -> dict:
        return {
            "arn": self.arn,
            "name": self.name,
            "version": self.version,
            "provider": self.provider,
            "description": self.description,
        }


@dataclass(frozen=True)
class RegionFacts:
    region: str
    partition: str
    service_account_id: str
    rules_packages: tuple[RulesPackage, ...]

    def rules_package(self, arn: str) -> RulesPackage | None:
        return next((package for package in self.rules_packages if package.arn == arn), None)


@cache
def _all_regions() -> dict[str, RegionFacts]:
    document = json.loads(FACTS_FILE.read_text())
    return {
        region: RegionFacts(
            region=region,
            partition=entry["partition"],
            service_account_id=entry["service_account_id"],
            rules_packages=tuple(RulesPackage(**package) for package in entry["rules_packages"]),
        )
        for region, entry in document["regions"].items()
    }


def region_facts(region: str) -> RegionFacts | None:
    """The facts for an Inspector Classic region, or None where Classic never ran."""
    return _all_regions().get(region)
