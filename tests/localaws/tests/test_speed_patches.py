"""The speed patches (`sqs_send_without_counting`, `sqs_receive_without_counting`,
`events_cached_json_paths`) change no behaviour: SendMessage still deduplicates by content on
FIFO queues and GetQueueAttributes still counts; ReceiveMessage still hands out messages
within the retention period and no others; EventBridge input transformers still fill their
templates, event after event."""

from __future__ import annotations

import json
import time

from inspector2_helpers import fresh_account_id


def test_sqs_sends_still_deduplicate_and_count(accounts, unique):
    sqs = accounts.client("sqs", fresh_account_id())
    fifo = sqs.create_queue(QueueName=f"dedup-{unique}.fifo",
                            Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    for _ in range(3):
        sqs.send_message(QueueUrl=fifo, MessageBody="same", MessageGroupId="g")
    sqs.send_message(QueueUrl=fifo, MessageBody="other", MessageGroupId="g")
    attributes = sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "2" and attributes["ContentBasedDeduplication"] == "true"
    plain = sqs.create_queue(QueueName=f"plain-{unique}")["QueueUrl"]
    for i in range(5):
        sqs.send_message(QueueUrl=plain, MessageBody=str(i))
    attributes = sqs.get_queue_attributes(QueueUrl=plain, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "5" and "ContentBasedDeduplication" not in attributes


def test_sqs_receives_still_honour_the_retention_period(accounts, unique):
    sqs = accounts.client("sqs", fresh_account_id())
    kept = sqs.create_queue(QueueName=f"kept-{unique}", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    # Shorter than SQS allows (60 s), which moto accepts: the messages expire while waiting.
    expiring = sqs.create_queue(QueueName=f"expiring-{unique}", Attributes={"MessageRetentionPeriod": "1"})["QueueUrl"]
    for url in (kept, expiring):
        for i in range(3):
            sqs.send_message(QueueUrl=url, MessageBody=str(i))
    time.sleep(1.5)

    received = sqs.receive_message(QueueUrl=kept, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in received) == ["0", "1", "2"]
    assert "Messages" not in sqs.receive_message(QueueUrl=expiring, MaxNumberOfMessages=10)


def test_input_transformers_still_fill_templates(accounts, unique):
    account = fresh_account_id()
    sqs = accounts.client("sqs", account)
    url = sqs.create_queue(QueueName=f"shaped-{unique}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = accounts.client("events", account)
    events.put_rule(Name=f"shaped-{unique}", EventPattern=json.dumps({"source": ["bench.test"]}))
    events.put_targets(Rule=f"shaped-{unique}", Targets=[{"Id": "q", "Arn": arn, "InputTransformer": {
        "InputPathsMap": {"who": "$.detail.who"}, "InputTemplate": '{"greeting": "<who>"}'}}])
    for who in ("a", "b"):
        events.put_events(Entries=[{"Source": "bench.test", "DetailType": "t", "Detail": json.dumps({"who": who})}])
    bodies = sorted(json.loads(m["Body"])["greeting"] for m in
                    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"])
    assert bodies == ["a", "b"]
