"""The findings an assessment run produces for the EC2 instances of its target.

No agent runs here, so findings are synthesised deterministically: an instance's findings are
spread round-robin over the template's rules packages and cycle through the severities
High, Medium, Low, Informational; each rules package has a few sample rules in the style of
the real ones (CVE ids, CIS benchmark rules, reachable ports, best practices). The asset
attributes describe the instance as moto's EC2 knows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .facts import RulesPackage

SCHEMA_VERSION = 1
# Severity and the numericSeverity Inspector Classic gives it.
SEVERITIES = (("High", 9.0), ("Medium", 6.0), ("Low", 3.0), ("Informational", 0.0))
AUTO_SCALING_GROUP_TAG = "aws:autoscaling:groupName"


@dataclass(frozen=True)
class Rule:
    """One sample rule: `id` is the finding id; texts may name {instance}."""

    id: str
    title: str
    description: str
    recommendation: str
    attributes: tuple[tuple[str, str], ...] = ()


_CVE_RECOMMENDATION = "Use your Operating System's update feature to update package {package}. For more information see {url}"
_RULES_BY_PACKAGE_NAME: dict[str, tuple[Rule, ...]] = {
    "Common Vulnerabilities and Exposures": tuple(
        Rule(
            id=cve,
            title=f"Instance {{instance}} is vulnerable to {cve}",
            description=f"{summary} (sample finding of the local AWS.)",
            recommendation=_CVE_RECOMMENDATION.format(package=package, url=f"https://cve.mitre.org/cgi-bin/cvename.cgi?name={cve}"),
            attributes=(("CVE_ID", cve),),
        )
        for cve, package, summary in (
            ("CVE-2021-44228", "log4j", "Apache Log4j2 JNDI features do not protect against attacker controlled LDAP endpoints."),
            ("CVE-2021-3156", "sudo", "Sudo before 1.9.5p2 has an off-by-one error that can result in a heap-based buffer overflow."),
            ("CVE-2016-5195", "kernel", "Race condition in mm/gup.c in the Linux kernel allows local users to gain privileges (Dirty COW)."),
            ("CVE-2014-0160", "openssl", "The TLS heartbeat extension in OpenSSL 1.0.1 before 1.0.1g discloses process memory (Heartbleed)."),
        )
    ),
    "CIS Operating System Security Configuration Benchmarks": tuple(
        Rule(
            id=rule,
            title=f"Instance {{instance}} is not compliant with rule {rule}",
            description=f"This rule helps determine whether your systems are configured securely: {rule}. (sample finding of the local AWS.)",
            recommendation=f"Follow the CIS benchmark remediation for {rule}.",
            attributes=(("BENCHMARK_RULE_ID", rule.split(" ", 1)[0]),),
        )
        for rule in (
            "5.2.8 Ensure SSH root login is disabled",
            "1.1.1.1 Ensure mounting of cramfs filesystems is disabled",
            "3.1.2 Ensure packet redirect sending is disabled",
            "4.1.1.1 Ensure audit log storage size is configured",
        )
    ),
    "Network Reachability": tuple(
        Rule(
            id="Recognized port with listener reachable from internet",
            title=f"On instance {{instance}}, TCP port {port} which is associated with '{service}' is reachable from the internet",
            description=f"TCP port {port} ({service}) on the instance is reachable from the internet through its security groups. (sample finding of the local AWS.)",
            recommendation=f"Restrict access to port {port} in the security groups of the instance to the networks that need it.",
            attributes=(("PORT", str(port)), ("PROTOCOL", "TCP")),
        )
        for port, service in ((22, "SSH"), (3389, "RDP"), (3306, "MySQL"), (80, "HTTP"))
    ),
    "Security Best Practices": tuple(
        Rule(
            id=rule,
            title=f"Instance {{instance}} is not configured to {rule[0].lower()}{rule[1:]}",
            description=f"Security best practice: {rule}. (sample finding of the local AWS.)",
            recommendation=f"{rule} on the instance.",
        )
        for rule in (
            "Disable root login over SSH",
            "Disable password authentication over SSH",
            "Configure password maximum age",
            "Enable Address Space Layout Randomization",
        )
    ),
}
_GENERIC_RULE = Rule(
    id="Sample rule",
    title="Instance {instance} has a sample finding",
    description="A finding of the local AWS for a rules package it has no sample rules for.",
    recommendation="No remediation needed.",
)


def asset_attributes(instance: Any, tags: dict[str, str]) -> dict[str, Any]:
    """AssetAttributes of a moto EC2 instance, as DescribeFindings returns them."""
    attributes: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "agentId": instance.id,
        "amiId": instance.image_id,
        "hostname": instance.public_dns_name or instance.private_dns_name,
        "ipv4Addresses": [nic.private_ip_address for nic in instance.network_interfaces if nic.private_ip_address],
        "tags": [{"key": key, "value": value} for key, value in tags.items()],
        "networkInterfaces": [_network_interface(nic, instance.region_name) for nic in instance.network_interfaces],
    }
    if AUTO_SCALING_GROUP_TAG in tags:
        attributes["autoScalingGroup"] = tags[AUTO_SCALING_GROUP_TAG]
    return attributes


def _network_interface(nic: Any, region: str) -> dict[str, Any]:
    private_dns = _private_dns_name(nic.private_ip_address, region)
    interface: dict[str, Any] = {
        "networkInterfaceId": nic.id,
        "subnetId": nic.subnet.id,
        "vpcId": nic.subnet.vpc_id,
        "privateDnsName": private_dns,
        "privateIpAddress": nic.private_ip_address,
        "privateIpAddresses": [{"privateDnsName": private_dns, "privateIpAddress": nic.private_ip_address}],
        "ipv6Addresses": list(nic.ipv6_addresses),
        "securityGroups": [{"groupName": group.name, "groupId": group.id} for group in nic.group_set],
    }
    if nic.public_ip:
        interface["publicIp"] = nic.public_ip
        interface["publicDnsName"] = _public_dns_name(nic.public_ip, region)
    return interface


# EC2's DNS names, as moto gives them to instances (us-east-1 has its own domains).
def _private_dns_name(ip: str, region: str) -> str:
    domain = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    return f"ip-{ip.replace('.', '-')}.{domain}"


def _public_dns_name(ip: str, region: str) -> str:
    domain = "compute-1.amazonaws.com" if region == "us-east-1" else f"{region}.compute.amazonaws.com"
    return f"ec2-{ip.replace('.', '-')}.{domain}"


@dataclass(frozen=True)
class FindingContent:
    """What one finding says, before it gets an ARN and timestamps."""

    rules_package: RulesPackage
    rule: Rule
    severity: str
    numeric_severity: float


def findings_for_instance(rules_packages: list[RulesPackage], count: int) -> list[FindingContent]:
    """`count` findings for one instance, spread over the rules packages (none without packages)."""
    if not rules_packages:
        return []
    contents = []
    for index in range(count):
        package = rules_packages[index % len(rules_packages)]
        rules = _RULES_BY_PACKAGE_NAME.get(package.name, (_GENERIC_RULE,))
        rule = rules[(index // len(rules_packages)) % len(rules)]
        severity, numeric = SEVERITIES[index % len(SEVERITIES)]
        contents.append(FindingContent(package, rule, severity, numeric))
    return contents
