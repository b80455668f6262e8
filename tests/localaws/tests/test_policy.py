"""Unit tests of the policy evaluation: topic policies for Inspector's publishes, role trust policies."""

import json

import pytest

from localaws.policy import Decision, Principal, evaluate

INSPECTOR = Principal(account_id="316112463485")
TOPIC = "arn:aws:sns:us-east-1:111111111111:findings"
# What an Inspector Classic publish carries (no aws:SourceAccount / aws:SourceArn).
CONTEXT = {"aws:PrincipalAccount": "316112463485", "aws:PrincipalIsAWSService": "false"}


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(**fields):
    return {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::316112463485:root"}, "Action": "SNS:Publish", "Resource": TOPIC, **fields}


def decide(document, principal=INSPECTOR, action="sns:Publish", resource=TOPIC, context=CONTEXT):
    return evaluate(document, principal, action, resource, context)


@pytest.mark.parametrize(
    "principal",
    ["*", {"AWS": "*"}, {"AWS": "316112463485"}, {"AWS": "arn:aws:iam::316112463485:root"}, {"AWS": ["123456789012", "316112463485"]}],
)
def test_principals_that_name_the_inspector_account_allow(principal):
    assert decide(policy(allow(Principal=principal))) is Decision.ALLOW


@pytest.mark.parametrize(
    "principal",
    [
        {"AWS": "arn:aws:iam::166987590008:root"},  # another region's Inspector account
        {"AWS": "arn:aws:iam::316112463485:role/some-role"},  # a specific role, not the account
        {"Service": "inspector.amazonaws.com"},
    ],
)
def test_principals_that_do_not_name_the_inspector_account_do_not_allow(principal):
    assert decide(policy(allow(Principal=principal))) is Decision.IMPLICIT_DENY


def test_service_principal_matches_only_its_service():
    trust = policy({"Effect": "Allow", "Principal": {"Service": "inspector.amazonaws.com"}, "Action": "sts:AssumeRole"})
    assert evaluate(trust, Principal(service="inspector.amazonaws.com"), "sts:AssumeRole", "arn:aws:iam::1:role/r", {}) is Decision.ALLOW
    assert evaluate(trust, Principal(service="ec2.amazonaws.com"), "sts:AssumeRole", "arn:aws:iam::1:role/r", {}) is Decision.IMPLICIT_DENY
    assert evaluate(trust, Principal(account_id="316112463485"), "sts:AssumeRole", "arn:aws:iam::1:role/r", {}) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize("action", ["SNS:Publish", "sns:publish", "sns:*", "*", "sns:Pub*", ["sns:Subscribe", "SNS:PUBLISH"]])
def test_actions_match_case_insensitively_with_wildcards(action):
    assert decide(policy(allow(Action=action))) is Decision.ALLOW


@pytest.mark.parametrize("action", ["sns:Subscribe", "sqs:*", "sns:Publish2", ["sns:GetTopicAttributes"]])
def test_other_actions_do_not_allow(action):
    assert decide(policy(allow(Action=action))) is Decision.IMPLICIT_DENY


def test_not_action_allows_everything_else():
    statement = allow()
    del statement["Action"]
    assert decide(policy({**statement, "NotAction": "sns:Subscribe"})) is Decision.ALLOW
    assert decide(policy({**statement, "NotAction": "sns:*"})) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (TOPIC, Decision.ALLOW),
        ("*", Decision.ALLOW),
        ("arn:aws:sns:us-east-1:111111111111:*", Decision.ALLOW),
        ("arn:aws:sns:us-east-1:111111111111:other", Decision.IMPLICIT_DENY),
        ("arn:aws:sns:us-east-1:111111111111:FINDINGS", Decision.IMPLICIT_DENY),  # ARNs are case-sensitive
    ],
)
def test_resource_must_match_the_topic(resource, expected):
    assert decide(policy(allow(Resource=resource))) is expected


def test_deny_beats_allow_and_no_statement_means_implicit_deny():
    deny = {**allow(), "Effect": "Deny", "Principal": "*"}
    assert decide(policy(allow(), deny)) is Decision.EXPLICIT_DENY
    assert decide(policy()) is Decision.IMPLICIT_DENY
    assert decide(None) is Decision.IMPLICIT_DENY


def test_a_single_statement_object_and_a_json_string_are_accepted():
    assert decide({"Statement": allow()}) is Decision.ALLOW
    assert decide(json.dumps(policy(allow()))) is Decision.ALLOW


def test_moto_default_topic_policy_does_not_let_inspector_publish():
    """The default SNS policy allows "*" only with AWS:SourceOwner, which Inspector's publish lacks."""
    default = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": ["SNS:GetTopicAttributes", "SNS:Publish"],
            "Resource": TOPIC,
            "Condition": {"StringEquals": {"AWS:SourceOwner": "111111111111"}},
        }
    )
    assert decide(default) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        # Keys present in Inspector's publish: aws:PrincipalAccount (any case of the key name).
        ({"StringEquals": {"aws:PrincipalAccount": "316112463485"}}, Decision.ALLOW),
        ({"StringEquals": {"AWS:PRINCIPALACCOUNT": ["1", "316112463485"]}}, Decision.ALLOW),
        ({"StringEquals": {"aws:PrincipalAccount": "222222222222"}}, Decision.IMPLICIT_DENY),
        ({"StringNotEquals": {"aws:PrincipalAccount": "222222222222"}}, Decision.ALLOW),
        ({"StringNotEquals": {"aws:PrincipalAccount": ["2", "316112463485"]}}, Decision.IMPLICIT_DENY),
        ({"StringLike": {"aws:PrincipalAccount": "3161*"}}, Decision.ALLOW),
        ({"StringEqualsIgnoreCase": {"aws:PrincipalIsAWSService": "FALSE"}}, Decision.ALLOW),
        ({"Bool": {"aws:PrincipalIsAWSService": False}}, Decision.ALLOW),
        # Keys absent from it: positive operators fail, negated ones and ...IfExists hold.
        ({"StringEquals": {"aws:SourceAccount": "222222222222"}}, Decision.IMPLICIT_DENY),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:inspector:*:222222222222:*"}}, Decision.IMPLICIT_DENY),
        ({"ArnEquals": {"aws:SourceArn": "arn:aws:inspector:us-east-1:222222222222:target/0-abcdefgh"}}, Decision.IMPLICIT_DENY),
        ({"StringNotEquals": {"aws:SourceAccount": "222222222222"}}, Decision.ALLOW),
        ({"StringEqualsIfExists": {"aws:SourceAccount": "222222222222"}}, Decision.ALLOW),
        ({"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:inspector:*:222222222222:*"}}, Decision.ALLOW),
        ({"Null": {"aws:SourceAccount": "true"}}, Decision.ALLOW),
        ({"Null": {"aws:SourceAccount": "false"}}, Decision.IMPLICIT_DENY),
        # Every key and operator must hold.
        ({"StringEquals": {"aws:PrincipalAccount": "316112463485", "aws:SourceAccount": "2"}}, Decision.IMPLICIT_DENY),
        ({"StringEquals": {"aws:PrincipalAccount": "316112463485"}, "StringLike": {"aws:PrincipalAccount": "9*"}}, Decision.IMPLICIT_DENY),
        # An operator we do not know never holds.
        ({"NumericLessThan": {"aws:PrincipalAccount": "1"}}, Decision.IMPLICIT_DENY),
    ],
)
def test_conditions(condition, expected):
    assert decide(policy(allow(Condition=condition))) is expected


def test_arn_operators_compare_arn_parts_with_wildcards():
    context = {"aws:SourceArn": "arn:aws:inspector:us-east-1:222222222222:target/0-abcdefgh"}
    assert decide(policy(allow(Condition={"ArnLike": {"aws:SourceArn": "arn:aws:inspector:*:222222222222:*"}})), context=context) is Decision.ALLOW
    assert decide(policy(allow(Condition={"ArnEquals": {"aws:SourceArn": "arn:aws:inspector:us-?ast-1:*:*"}})), context=context) is Decision.ALLOW
    assert decide(policy(allow(Condition={"ArnLike": {"aws:SourceArn": "arn:aws:inspector:*:333333333333:*"}})), context=context) is Decision.IMPLICIT_DENY
    assert decide(policy(allow(Condition={"ArnNotLike": {"aws:SourceArn": "arn:aws:inspector:*:333333333333:*"}})), context=context) is Decision.ALLOW
    assert decide(policy(allow(Condition={"ArnLike": {"aws:SourceArn": "not-an-arn"}})), context=context) is Decision.IMPLICIT_DENY


def test_a_deny_whose_condition_does_not_hold_does_not_deny():
    deny = {**allow(), "Effect": "Deny", "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "316112463485"}}}
    assert decide(policy(allow(), deny)) is Decision.ALLOW
    deny_for_missing_key = {**allow(), "Effect": "Deny", "Condition": {"StringNotEquals": {"aws:SourceAccount": "222222222222"}}}
    assert decide(policy(allow(), deny_for_missing_key)) is Decision.EXPLICIT_DENY


def test_identity_policies_without_principal_or_resource_apply_to_the_caller():
    identity = policy({"Effect": "Allow", "Action": "ec2:Describe*"})
    assert evaluate(identity, Principal(account_id="1"), "ec2:DescribeInstances", "*", {}) is Decision.ALLOW
    assert evaluate(identity, Principal(account_id="1"), "ec2:RunInstances", "*", {}) is Decision.IMPLICIT_DENY


ROLE = "arn:aws:iam::222222222222:role/member"
# A session of the security account's pipeline role, as the trust policy of ROLE sees it.
PIPELINE_SESSION = Principal(
    account_id="111111111111",
    arns=("arn:aws:sts::111111111111:assumed-role/pipeline/run-1", "arn:aws:iam::111111111111:role/pipeline"),
)


def trusting(principal, **fields):
    return policy({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **fields})


def assume(document, principal=PIPELINE_SESSION, context=None):
    return evaluate(document, principal, "sts:AssumeRole", ROLE, context or {})


@pytest.mark.parametrize(
    "principal",
    [
        {"AWS": "arn:aws:iam::111111111111:role/pipeline"},  # the session's role
        {"AWS": "arn:aws:sts::111111111111:assumed-role/pipeline/run-1"},  # the session itself
        {"AWS": "arn:aws:iam::111111111111:root"},
        {"AWS": "111111111111"},
        {"AWS": ["arn:aws:iam::111111111111:role/other", "arn:aws:iam::111111111111:role/pipeline"]},
        "*",
        {"AWS": "*"},
    ],
)
def test_a_role_session_is_named_by_its_role_its_session_or_its_account(principal):
    assert assume(trusting(principal)) is Decision.ALLOW


@pytest.mark.parametrize(
    "principal",
    [
        {"AWS": "arn:aws:iam::111111111111:role/other"},
        {"AWS": "arn:aws:sts::111111111111:assumed-role/pipeline/run-2"},  # another session of the role
        {"AWS": "arn:aws:iam::333333333333:role/pipeline"},  # the same name in another account
        {"AWS": "arn:aws:iam::333333333333:root"},
        {"AWS": "arn:aws:iam::111111111111:role/*"},  # IAM allows no wildcards in a principal ARN
        {"AWS": "arn:aws:iam::111111111111:role/pipe*"},
        {"Service": "inspector.amazonaws.com"},
    ],
)
def test_other_principals_do_not_name_the_session(principal):
    assert assume(trusting(principal)) is Decision.IMPLICIT_DENY


def test_an_external_id_condition_needs_the_external_id():
    document = trusting({"AWS": "arn:aws:iam::111111111111:role/pipeline"}, Condition={"StringEquals": {"sts:ExternalId": "e-1"}})
    assert assume(document) is Decision.IMPLICIT_DENY
    assert assume(document, context={"sts:ExternalId": "e-2"}) is Decision.IMPLICIT_DENY
    assert assume(document, context={"sts:ExternalId": "e-1"}) is Decision.ALLOW


def test_a_deny_of_the_session_role_beats_an_allow_of_its_account():
    document = policy(
        {"Effect": "Allow", "Principal": {"AWS": "111111111111"}, "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111111111111:role/pipeline"}, "Action": "sts:AssumeRole"},
    )
    assert assume(document) is Decision.EXPLICIT_DENY
    other_role_session = Principal(account_id="111111111111", arns=("arn:aws:sts::111111111111:assumed-role/other/run-1", "arn:aws:iam::111111111111:role/other"))
    assert assume(document, principal=other_role_session) is Decision.ALLOW
