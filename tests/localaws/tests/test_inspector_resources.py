"""Inspector Classic configuration: resource groups, targets, templates, tags, rules packages,
the cross-account role, pagination, and isolation between accounts and regions."""

import json

import pytest
from botocore.exceptions import ClientError
from conftest import MEMBER_ACCOUNTS
from inspector_helpers import (
    BEST_PRACTICES_PACKAGE,
    CVE_PACKAGE,
    RULES_PACKAGES,
    all_pages,
    error_of,
    fresh_account_id,
)
from inspector_helpers import targets  # noqa: F401 (a fixture)

from localaws.inspector.facts import region_facts

MEMBER, OTHER_MEMBER = MEMBER_ACCOUNTS
ARN_PREFIX = f"arn:aws:inspector:us-east-1:{MEMBER}:"


@pytest.fixture
def other_ins(accounts):
    return accounts.client("inspector", OTHER_MEMBER)


def expect_error(call, code: str, error_code: str | None = None, **kwargs) -> dict:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    error = error_of(excinfo)
    assert error["Code"] == code, error
    if error_code is not None:
        assert error["errorCode"] == error_code, error
        assert error["canRetry"] is False
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error


# --- resource groups ---------------------------------------------------------------------


def test_resource_group_round_trip(ins, unique):
    tags = [{"key": "Inspect", "value": unique}, {"key": "KeyOnly"}]
    arn = ins.create_resource_group(resourceGroupTags=tags)["resourceGroupArn"]
    assert arn.startswith(ARN_PREFIX + "resourcegroup/0-") and len(arn.rsplit("/", 1)[1]) == 10
    described = ins.describe_resource_groups(resourceGroupArns=[arn])
    assert described["failedItems"] == {}
    assert described["resourceGroups"][0]["arn"] == arn
    assert described["resourceGroups"][0]["tags"] == tags
    assert described["resourceGroups"][0]["createdAt"]


def test_resource_group_tags_are_validated(ins):
    too_many = [{"key": f"k{i}", "value": "v"} for i in range(11)]
    expect_error(ins.create_resource_group, "InvalidInputException", "INVALID_NUMBER_OF_RESOURCE_GROUP_TAGS", resourceGroupTags=too_many)
    expect_error(ins.create_resource_group, "InvalidInputException", "INVALID_RESOURCE_GROUP_TAG_KEY", resourceGroupTags=[{"key": "k" * 129}])


def test_describe_reports_each_arn_it_cannot_describe(ins, other_ins, unique):
    mine = ins.create_resource_group(resourceGroupTags=[{"key": "Inspect", "value": unique}])["resourceGroupArn"]
    theirs = other_ins.create_resource_group(resourceGroupTags=[{"key": "Inspect", "value": unique}])["resourceGroupArn"]
    unknown = ARN_PREFIX + "resourcegroup/0-AAAAAAAA"
    described = ins.describe_resource_groups(resourceGroupArns=[mine, theirs, unknown, "not-an-arn"])
    assert [group["arn"] for group in described["resourceGroups"]] == [mine]
    assert described["failedItems"] == {
        theirs: {"failureCode": "ACCESS_DENIED", "retryable": False},
        unknown: {"failureCode": "ITEM_DOES_NOT_EXIST", "retryable": False},
        "not-an-arn": {"failureCode": "INVALID_ARN", "retryable": False},
    }
    expect_error(
        ins.describe_resource_groups, "InvalidInputException", "INVALID_NUMBER_OF_RESOURCE_GROUP_ARNS", resourceGroupArns=[mine] * 11
    )


# --- targets -----------------------------------------------------------------------------


def test_target_lifecycle(ins, unique, targets):
    group = ins.create_resource_group(resourceGroupTags=[{"key": "Inspect", "value": unique}])["resourceGroupArn"]
    arn = targets.create(ins, f"t-{unique}", group)
    assert arn.startswith(ARN_PREFIX + "target/0-")
    target = ins.describe_assessment_targets(assessmentTargetArns=[arn])["assessmentTargets"][0]
    assert (target["name"], target["resourceGroupArn"]) == (f"t-{unique}", group)
    assert target["createdAt"] == target["updatedAt"]

    ins.update_assessment_target(assessmentTargetArn=arn, assessmentTargetName=f"t2-{unique}")
    updated = ins.describe_assessment_targets(assessmentTargetArns=[arn])["assessmentTargets"][0]
    assert updated["name"] == f"t2-{unique}"
    assert "resourceGroupArn" not in updated  # no group: every instance of the account and region
    assert updated["updatedAt"] > target["updatedAt"]

    ins.delete_assessment_target(assessmentTargetArn=arn)
    gone = ins.describe_assessment_targets(assessmentTargetArns=[arn])
    assert gone["assessmentTargets"] == []
    assert gone["failedItems"][arn]["failureCode"] == "ITEM_DOES_NOT_EXIST"
    expect_error(ins.delete_assessment_target, "NoSuchEntityException", "ASSESSMENT_TARGET_DOES_NOT_EXIST", assessmentTargetArn=arn)


def test_target_errors(ins, other_ins, unique, targets):
    targets.create(ins, f"dup-{unique}")
    error = expect_error(
        ins.create_assessment_target, "InvalidInputException", "ASSESSMENT_TARGET_NAME_ALREADY_TAKEN", assessmentTargetName=f"dup-{unique}"
    )
    assert error["message"] == f"Create assessmentTarget - Name already exists; Name: dup-{unique} ParentOwner: {MEMBER}"
    expect_error(
        ins.create_assessment_target, "NoSuchEntityException", "RESOURCE_GROUP_DOES_NOT_EXIST",
        assessmentTargetName=f"x-{unique}", resourceGroupArn=ARN_PREFIX + "resourcegroup/0-AAAAAAAA",
    )
    theirs = other_ins.create_resource_group(resourceGroupTags=[{"key": "k", "value": "v"}])["resourceGroupArn"]
    expect_error(
        ins.create_assessment_target, "AccessDeniedException", "ACCESS_DENIED_TO_RESOURCE_GROUP",
        assessmentTargetName=f"y-{unique}", resourceGroupArn=theirs,
    )
    expect_error(
        ins.create_assessment_target, "InvalidInputException", "INVALID_RESOURCE_GROUP_ARN",
        assessmentTargetName=f"z-{unique}", resourceGroupArn="arn:aws:inspector:us-east-1:1:nonsense",
    )
    expect_error(ins.create_assessment_target, "InvalidInputException", "INVALID_ASSESSMENT_TARGET_NAME", assessmentTargetName="n" * 141)
    expect_error(
        ins.update_assessment_target, "InvalidInputException", "INVALID_ASSESSMENT_TARGET_ARN",
        assessmentTargetArn="arn:aws:inspector:us-east-1:222222222222:target/bad", assessmentTargetName="n",
    )


def test_target_limit_is_fifty_per_account_and_region(accounts):
    ins = accounts.client("inspector", fresh_account_id())
    for number in range(50):
        ins.create_assessment_target(assessmentTargetName=f"target-{number}")
    expect_error(ins.create_assessment_target, "LimitExceededException", "ASSESSMENT_TARGET_LIMIT_EXCEEDED", assessmentTargetName="one-too-many")


def test_list_targets_filters_by_name_pattern_and_paginates(accounts):
    ins = accounts.client("inspector", fresh_account_id())
    arns = [ins.create_assessment_target(assessmentTargetName=f"web-{n}")["assessmentTargetArn"] for n in range(12)]
    other = ins.create_assessment_target(assessmentTargetName="db-1")["assessmentTargetArn"]

    first = ins.list_assessment_targets()
    assert len(first["assessmentTargetArns"]) == 10  # documented default page size
    assert all_pages(ins.list_assessment_targets, "assessmentTargetArns") == arns + [other]
    assert all_pages(ins.list_assessment_targets, "assessmentTargetArns", maxResults=5, filter={"assessmentTargetNamePattern": "web-*"}) == arns
    assert ins.list_assessment_targets(filter={"assessmentTargetNamePattern": "db-1"})["assessmentTargetArns"] == [other]
    expect_error(ins.list_assessment_targets, "InvalidInputException", "INVALID_PAGINATION_TOKEN", nextToken="garbage")
    expect_error(ins.list_assessment_targets, "InvalidInputException", "INVALID_MAX_RESULTS", maxResults=501)


# --- templates ---------------------------------------------------------------------------


def test_template_round_trip(ins, unique, targets):
    attributes = [{"key": "team", "value": "blue"}]
    made = targets.tagged_template(ins, unique, packages=[CVE_PACKAGE, BEST_PRACTICES_PACKAGE], userAttributesForFindings=attributes, durationInSeconds=900)
    assert made["template"].startswith(made["target"] + "/template/0-")
    template = ins.describe_assessment_templates(assessmentTemplateArns=[made["template"]])["assessmentTemplates"][0]
    assert template["name"] == f"template-{unique}"
    assert template["assessmentTargetArn"] == made["target"]
    assert template["durationInSeconds"] == 900
    assert template["rulesPackageArns"] == [CVE_PACKAGE, BEST_PRACTICES_PACKAGE]
    assert template["userAttributesForFindings"] == attributes
    assert template["assessmentRunCount"] == 0
    assert "lastAssessmentRunArn" not in template

    ins.delete_assessment_template(assessmentTemplateArn=made["template"])
    assert ins.describe_assessment_templates(assessmentTemplateArns=[made["template"]])["failedItems"] == {
        made["template"]: {"failureCode": "ITEM_DOES_NOT_EXIST", "retryable": False}
    }


def test_template_errors(ins, unique, targets):
    made = targets.tagged_template(ins, unique)
    create = ins.create_assessment_template
    base = {"assessmentTargetArn": made["target"], "assessmentTemplateName": f"other-{unique}", "durationInSeconds": 3600, "rulesPackageArns": RULES_PACKAGES}
    expect_error(create, "InvalidInputException", "ASSESSMENT_TEMPLATE_NAME_ALREADY_TAKEN", **{**base, "assessmentTemplateName": f"template-{unique}"})
    expect_error(create, "InvalidInputException", "INVALID_ASSESSMENT_TEMPLATE_DURATION", **{**base, "durationInSeconds": 86401})
    other_region_package = region_facts("eu-west-1").rules_packages[0].arn
    expect_error(create, "NoSuchEntityException", "RULES_PACKAGE_DOES_NOT_EXIST", **{**base, "rulesPackageArns": [other_region_package]})
    expect_error(create, "InvalidInputException", "INVALID_RULES_PACKAGE_ARN", **{**base, "rulesPackageArns": ["arn:aws:s3:::bucket"]})
    expect_error(
        create, "InvalidInputException", "INVALID_NUMBER_OF_USER_ATTRIBUTES",
        **{**base, "userAttributesForFindings": [{"key": f"k{i}", "value": "v"} for i in range(11)]},
    )
    expect_error(
        create, "NoSuchEntityException", "ASSESSMENT_TARGET_DOES_NOT_EXIST", **{**base, "assessmentTargetArn": ARN_PREFIX + "target/0-AAAAAAAA"}
    )
    # The same name is fine under another target.
    other_target = targets.create(ins, f"second-{unique}")
    create(**{**base, "assessmentTargetArn": other_target, "assessmentTemplateName": f"template-{unique}"})


def test_deleting_a_target_deletes_its_templates(ins, unique, targets):
    made = targets.tagged_template(ins, unique)
    ins.delete_assessment_target(assessmentTargetArn=made["target"])
    assert made["template"] in ins.describe_assessment_templates(assessmentTemplateArns=[made["template"]])["failedItems"]


def test_list_templates_filters(accounts):
    ins = accounts.client("inspector", fresh_account_id())
    first_target = ins.create_assessment_target(assessmentTargetName="first")["assessmentTargetArn"]
    second_target = ins.create_assessment_target(assessmentTargetName="second")["assessmentTargetArn"]

    def template(target, name, duration, packages):
        return ins.create_assessment_template(
            assessmentTargetArn=target, assessmentTemplateName=name, durationInSeconds=duration, rulesPackageArns=packages
        )["assessmentTemplateArn"]

    short_cve = template(first_target, "short-cve", 900, [CVE_PACKAGE])
    long_all = template(first_target, "long-all", 86400, RULES_PACKAGES)
    other = template(second_target, "short-other", 900, [BEST_PRACTICES_PACKAGE])

    def listed(**kwargs):
        return all_pages(ins.list_assessment_templates, "assessmentTemplateArns", **kwargs)

    assert listed() == [short_cve, long_all, other]
    assert listed(assessmentTargetArns=[first_target]) == [short_cve, long_all]
    assert listed(filter={"namePattern": "short-*"}) == [short_cve, other]
    assert listed(filter={"durationRange": {"minSeconds": 3600}}) == [long_all]
    assert listed(filter={"rulesPackageArns": [CVE_PACKAGE]}) == [short_cve, long_all]
    assert listed(assessmentTargetArns=[second_target], filter={"rulesPackageArns": [CVE_PACKAGE]}) == []
    expect_error(
        ins.list_assessment_templates, "InvalidInputException", "INVALID_ASSESSMENT_TEMPLATE_DURATION_RANGE",
        filter={"durationRange": {"minSeconds": 3600, "maxSeconds": 900}},
    )
    expect_error(
        ins.list_assessment_templates, "NoSuchEntityException", "ASSESSMENT_TARGET_DOES_NOT_EXIST",
        assessmentTargetArns=[first_target[:-8] + "AAAAAAAA"],
    )


def test_template_limit_is_five_hundred_per_account_and_region(accounts):
    ins = accounts.client("inspector", fresh_account_id())
    target = ins.create_assessment_target(assessmentTargetName="target")["assessmentTargetArn"]
    for number in range(500):
        ins.create_assessment_template(
            assessmentTargetArn=target, assessmentTemplateName=f"t{number}", durationInSeconds=180, rulesPackageArns=[]
        )
    expect_error(
        ins.create_assessment_template, "LimitExceededException", "ASSESSMENT_TEMPLATE_LIMIT_EXCEEDED",
        assessmentTargetArn=target, assessmentTemplateName="t500", durationInSeconds=180, rulesPackageArns=[],
    )


# --- tags --------------------------------------------------------------------------------


def test_template_tags_are_set_as_a_whole(ins, unique, targets):
    template = targets.tagged_template(ins, unique)["template"]
    assert ins.list_tags_for_resource(resourceArn=template)["tags"] == []
    ins.set_tags_for_resource(resourceArn=template, tags=[{"key": "env", "value": "test"}, {"key": "owner", "value": unique}])
    assert ins.list_tags_for_resource(resourceArn=template)["tags"] == [{"key": "env", "value": "test"}, {"key": "owner", "value": unique}]
    ins.set_tags_for_resource(resourceArn=template, tags=[{"key": "env", "value": "prod"}])
    assert ins.list_tags_for_resource(resourceArn=template)["tags"] == [{"key": "env", "value": "prod"}]
    ins.set_tags_for_resource(resourceArn=template)
    assert ins.list_tags_for_resource(resourceArn=template)["tags"] == []


def test_tag_errors(ins, other_ins, unique, targets):
    made = targets.tagged_template(ins, unique)
    template = made["template"]
    expect_error(
        ins.set_tags_for_resource, "InvalidInputException", "INVALID_NUMBER_OF_TAGS",
        resourceArn=template, tags=[{"key": f"k{i}", "value": "v"} for i in range(11)],
    )
    expect_error(ins.set_tags_for_resource, "InvalidInputException", "INVALID_TAG_VALUE", resourceArn=template, tags=[{"key": "k", "value": "v" * 257}])
    expect_error(ins.list_tags_for_resource, "InvalidInputException", "INVALID_RESOURCE_ARN", resourceArn=made["target"])
    expect_error(ins.list_tags_for_resource, "InvalidInputException", "INVALID_RESOURCE_ARN", resourceArn="arn:aws:sns:us-east-1:1:x")
    expect_error(
        ins.list_tags_for_resource, "NoSuchEntityException", "ASSESSMENT_TEMPLATE_DOES_NOT_EXIST", resourceArn=template[:-8] + "AAAAAAAA"
    )
    expect_error(other_ins.list_tags_for_resource, "AccessDeniedException", "ACCESS_DENIED_TO_ASSESSMENT_TEMPLATE", resourceArn=template)


# --- rules packages ----------------------------------------------------------------------


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "us-gov-west-1"])
def test_rules_packages_are_the_regions_documented_ones(accounts, region):
    ins = accounts.client("inspector", MEMBER, region)
    facts = region_facts(region)
    listed = all_pages(ins.list_rules_packages, "rulesPackageArns", maxResults=1)
    assert listed == [package.arn for package in facts.rules_packages]
    described = ins.describe_rules_packages(rulesPackageArns=listed, locale="EN_US")
    assert described["failedItems"] == {}
    assert described["rulesPackages"] == [package.to_api() for package in facts.rules_packages]


def test_govcloud_arns_have_their_partition(accounts, unique):
    ins = accounts.client("inspector", MEMBER, "us-gov-west-1")
    group = ins.create_resource_group(resourceGroupTags=[{"key": "Inspect", "value": unique}])["resourceGroupArn"]
    assert group.startswith(f"arn:aws-us-gov:inspector:us-gov-west-1:{MEMBER}:resourcegroup/0-")
    role = ins.describe_cross_account_access_role()["roleArn"]
    assert role.startswith(f"arn:aws-us-gov:iam::{MEMBER}:role/")


def test_describe_rules_packages_errors(ins):
    other_region = region_facts("eu-west-1").rules_packages[0].arn
    described = ins.describe_rules_packages(rulesPackageArns=[CVE_PACKAGE, other_region])
    assert [p["arn"] for p in described["rulesPackages"]] == [CVE_PACKAGE]
    assert described["failedItems"] == {other_region: {"failureCode": "ITEM_DOES_NOT_EXIST", "retryable": False}}
    expect_error(ins.describe_rules_packages, "InvalidInputException", "INVALID_LOCALE", rulesPackageArns=[CVE_PACKAGE], locale="DE_DE")
    expect_error(
        ins.describe_rules_packages, "InvalidInputException", "INVALID_NUMBER_OF_RULES_PACKAGE_ARNS", rulesPackageArns=[CVE_PACKAGE] * 11
    )


# --- cross-account role ------------------------------------------------------------------


def test_cross_account_role_defaults_to_the_service_linked_role(accounts):
    account = fresh_account_id()
    role = accounts.client("inspector", account).describe_cross_account_access_role()
    assert role["roleArn"] == f"arn:aws:iam::{account}:role/aws-service-role/inspector.amazonaws.com/AWSServiceRoleForAmazonInspector"
    assert role["valid"] is True
    assert role["registeredAt"]


def test_register_cross_account_role_checks_trust_and_permissions(accounts, unique):
    account = fresh_account_id()
    ins, iam = accounts.client("inspector", account), accounts.client("iam", account)
    trust_inspector = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "inspector.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    trust_ec2 = {**trust_inspector, "Statement": [{**trust_inspector["Statement"][0], "Principal": {"Service": "ec2.amazonaws.com"}}]}
    untrusted = iam.create_role(RoleName=f"untrusted-{unique}", AssumeRolePolicyDocument=json.dumps(trust_ec2))["Role"]["Arn"]
    powerless = iam.create_role(RoleName=f"powerless-{unique}", AssumeRolePolicyDocument=json.dumps(trust_inspector))["Role"]["Arn"]
    good = iam.create_role(RoleName=f"good-{unique}", AssumeRolePolicyDocument=json.dumps(trust_inspector))["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=f"good-{unique}",
        PolicyName="describe",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}]}),
    )
    register = ins.register_cross_account_access_role
    expect_error(register, "InvalidInputException", "INVALID_IAM_ROLE_ARN", roleArn="arn:aws:iam::123:user/someone")
    expect_error(
        register, "InvalidCrossAccountRoleException", "ROLE_DOES_NOT_EXIST_OR_INVALID_TRUST_RELATIONSHIP",
        roleArn=f"arn:aws:iam::{account}:role/missing-{unique}",
    )
    expect_error(register, "InvalidCrossAccountRoleException", "ROLE_DOES_NOT_EXIST_OR_INVALID_TRUST_RELATIONSHIP", roleArn=untrusted)
    expect_error(register, "InvalidCrossAccountRoleException", "ROLE_DOES_NOT_HAVE_CORRECT_POLICY", roleArn=powerless)
    register(roleArn=good)
    described = ins.describe_cross_account_access_role()
    assert (described["roleArn"], described["valid"]) == (good, True)


# --- isolation ---------------------------------------------------------------------------


def test_accounts_see_only_their_own_resources(ins, other_ins, unique, targets):
    made = targets.tagged_template(ins, unique)
    assert made["target"] in all_pages(ins.list_assessment_targets, "assessmentTargetArns", maxResults=500)
    assert made["target"] not in all_pages(other_ins.list_assessment_targets, "assessmentTargetArns", maxResults=500)
    assert made["template"] not in all_pages(other_ins.list_assessment_templates, "assessmentTemplateArns", maxResults=500)
    assert other_ins.describe_assessment_templates(assessmentTemplateArns=[made["template"]])["failedItems"] == {
        made["template"]: {"failureCode": "ACCESS_DENIED", "retryable": False}
    }
    expect_error(other_ins.delete_assessment_template, "AccessDeniedException", "ACCESS_DENIED_TO_ASSESSMENT_TEMPLATE", assessmentTemplateArn=made["template"])
    expect_error(other_ins.delete_assessment_target, "AccessDeniedException", "ACCESS_DENIED_TO_ASSESSMENT_TARGET", assessmentTargetArn=made["target"])
    expect_error(
        other_ins.list_assessment_templates, "AccessDeniedException", "ACCESS_DENIED_TO_ASSESSMENT_TARGET", assessmentTargetArns=[made["target"]]
    )
    # Still there for its owner.
    assert ins.describe_assessment_templates(assessmentTemplateArns=[made["template"]])["assessmentTemplates"]


def test_regions_are_separate(accounts, ins, unique, targets):
    made = targets.tagged_template(ins, unique)
    west = accounts.client("inspector", MEMBER, "us-west-2")
    assert made["target"] not in all_pages(west.list_assessment_targets, "assessmentTargetArns", maxResults=500)
    assert west.describe_assessment_targets(assessmentTargetArns=[made["target"]])["failedItems"][made["target"]]["failureCode"] == "ITEM_DOES_NOT_EXIST"
    expect_error(west.delete_assessment_template, "NoSuchEntityException", "ASSESSMENT_TEMPLATE_DOES_NOT_EXIST", assessmentTemplateArn=made["template"])
