"""The multi-account convention: each assumed-role account sees only its own resources."""

from conftest import MEMBER_ACCOUNTS


def test_assumed_role_lands_in_the_named_account(accounts):
    for account in MEMBER_ACCOUNTS:
        identity = accounts.client("sts", account).get_caller_identity()
        assert identity["Account"] == account


def test_each_account_lists_only_its_own_topics(accounts, unique):
    first, second = MEMBER_ACCOUNTS
    topic = accounts.client("sns", first).create_topic(Name=f"isolation-{unique}")["TopicArn"]
    assert topic.split(":")[4] == first

    def names(account):
        listed = accounts.client("sns", account).list_topics()["Topics"]
        return {t["TopicArn"].rsplit(":", 1)[1] for t in listed}

    assert f"isolation-{unique}" in names(first)
    assert f"isolation-{unique}" not in names(second)


def test_regions_are_separate_within_an_account(accounts, unique):
    account = MEMBER_ACCOUNTS[0]
    url = accounts.client("sqs", account, "us-west-2").create_queue(QueueName=f"regional-{unique}")["QueueUrl"]
    assert url
    east = accounts.client("sqs", account, "us-east-1").list_queues(QueueNamePrefix=f"regional-{unique}")
    west = accounts.client("sqs", account, "us-west-2").list_queues(QueueNamePrefix=f"regional-{unique}")
    assert "QueueUrls" not in east
    assert len(west["QueueUrls"]) == 1
