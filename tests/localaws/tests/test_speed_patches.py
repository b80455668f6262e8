"""The speed patches (`sqs_send_without_counting`, `events_cached_json_paths`) change no
behaviour: SendMessage still deduplicates by content on FIFO queues and GetQueueAttributes
still counts; EventBridge input transformers still fill their templates, event after event."""

from __future__ import annotations

import json

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
