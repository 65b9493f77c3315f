"""SQS batches from the buffer queue (issue 14.8): one digest per account, batchItemFailures, never drop."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from bucketguard_notifier import dedup, handler
from bucketguard_notifier.handler import cloudtrail, process
from moto import mock_aws

from tests.lib.notifier_moto import (
    OFF,
    ON,
    PUBLIC_POLICY,
    REGION,
    TABLE,
    Context,
    clients,
    destination_record,
    env,
    eventbridge,
    make_bucket,
    make_table,
    make_topic,
    record,
    sent,
    sqs_batch,
    sqs_message,
    table_items,
)

OTHER = "111122223333"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        topic = make_topic()
        make_table()
        yield topic


def run(event, environment, factory=None, context=None):
    return process(event, environment, factory or clients(), now=lambda: NOW, context=context)


def msg(rec, message_id):
    return sqs_message(eventbridge(rec), message_id)


def put_policy(bucket, event_id, account="123456789012"):
    return record("PutBucketPolicy", bucket, {"bucketPolicy": PUBLIC_POLICY}, event_id, account=account)


def test_one_digest_per_account_most_severe_first(aws):
    make_bucket("bg-open", policy=PUBLIC_POLICY, pab=OFF)
    make_bucket("bg-loose", pab=OFF)
    make_bucket("bg-lock", pab=ON)
    make_bucket("bg-b", pab=OFF)
    batch = sqs_batch(
        msg(record("PutBucketPublicAccessBlock", "bg-lock", {"PublicAccessBlockConfiguration": ON}, "e-lock"), "m1"),
        msg(record("DeleteBucketPublicAccessBlock", "bg-loose", None, "e-loose"), "m2"),
        msg(record("DeleteBucketPolicy", "bg-b", None, "e-b", account=OTHER), "m3"),
        msg(put_policy("bg-open", "e-open"), "m4"),
    )
    assert run(batch, env(aws)) == {"batchItemFailures": []}
    mails = sent(aws)
    assert len(mails) == 2
    by_account = {m["attributes"]["account"]: m for m in mails}
    mine = by_account["123456789012"]
    assert mine["subject"].startswith("[PUBLIC] s3://bg-open") and mine["subject"].endswith("+2 more")
    body = mine["body"]
    assert (
        body.index("== CRITICAL: s3://bg-open") < body.index("== WARNING: s3://bg-loose") < body.index("s3://bg-lock")
    )
    assert "s3://bg-b" not in body
    assert "s3://bg-b" in by_account[OTHER]["body"]
    items = {i["id"].split("#")[0]: i for i in table_items()}
    assert set(items) == {"e-lock", "e-loose", "e-b", "e-open"}
    assert {i["status"] for i in items.values()} == {"reported"}
    assert items["e-open"]["message_id"] == mine["message_id"]


def test_same_event_in_two_messages_is_mailed_once(aws):
    """EventBridge delivers at least once: the second copy is the same CloudTrail event."""
    make_bucket("bg-twice", pab=OFF)
    rec = record("DeleteBucketPolicy", "bg-twice", None, "e-twice")
    assert run(sqs_batch(msg(rec, "m1"), msg(rec, "m2")), env(aws)) == {"batchItemFailures": []}
    (mail,) = sent(aws)
    assert mail["body"].count("event: e-twice") == 1


def test_already_mailed_event_is_not_mailed_again_and_its_message_succeeds(aws):
    make_bucket("bg-x", pab=OFF)
    rec = record("DeleteBucketPolicy", "bg-x", None, "e-x")
    run(sqs_batch(msg(rec, "m1")), env(aws))
    assert run(sqs_batch(msg(rec, "m2")), env(aws)) == {"batchItemFailures": []}
    assert len(sent(aws)) == 1


def test_replayed_dead_letter_records_are_unwrapped(aws):
    """`aws sqs start-message-move-task` from the dead-letter queue to the buffer queue replays everything."""
    logs = boto3.client("logs", region_name=REGION)
    logs.create_log_group(logGroupName="/bucketguard/cloudtrail")
    logs.create_log_stream(logGroupName="/bucketguard/cloudtrail", logStreamName="s")
    make_bucket("bg-replay", pab=OFF)
    alarm = json.loads(Path("tests/fixtures/events/alarm-state-alarm.json").read_text())
    alarm["alarmData"]["state"]["timestamp"] = NOW.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    batch = sqs_batch(
        sqs_message(destination_record(eventbridge(record("DeleteBucketPolicy", "bg-replay", None, "e-r"))), "m1"),
        sqs_message(destination_record(alarm), "m2"),
    )
    assert run(batch, env(aws, log_group="/bucketguard/cloudtrail")) == {"batchItemFailures": []}
    subjects = sorted(m["subject"] for m in sent(aws))
    assert subjects[0].startswith("[INFO] s3://bg-replay locked down")
    assert subjects[1].startswith("[WARNING] bucketguard-s3-visibility-change fired, no matching CloudTrail records")


def test_unreadable_bodies_end_in_one_fallback_email(aws):
    make_bucket("bg-ok", pab=OFF)
    good = eventbridge(record("DeleteBucketPolicy", "bg-ok", None, "e-ok"))
    batch = sqs_batch(
        sqs_message("this is not JSON", "m-text"),
        sqs_message(json.dumps(good)[:120], "m-truncated"),
        sqs_message("x" * (1_048_576 + 1), "m-oversized"),
        sqs_message({"hello": "world"}, "m-unknown"),
        {**sqs_message("", "m-none"), "body": None},
        sqs_message(good, "m-good"),
    )
    assert run(batch, env(aws)) == {"batchItemFailures": []}
    mails = sent(aws)
    assert len(mails) == 2
    (fallback,) = [m for m in mails if m["subject"].startswith("[BUCKETGUARD]")]
    for message_id in ("m-text", "m-truncated", "m-oversized", "m-unknown", "m-none"):
        assert f'"messageId": "{message_id}"' in fallback["body"]
    assert "oversized body: 1048577 bytes" in fallback["body"]
    assert "not JSON (truncated?)" in fallback["body"]
    assert len(fallback["body"]) < 200_000
    assert any("s3://bg-ok" in m["body"] for m in mails)


class FailingPublish:
    """An SNS client whose publish fails (``code``) for messages about ``account``."""

    def __init__(self, real, account, code="Throttling"):
        self.real, self.account, self.code = real, account, code

    def __getattr__(self, name):
        return getattr(self.real, name)

    def publish(self, **kwargs):
        if kwargs["MessageAttributes"]["account"]["StringValue"] == self.account:
            raise ClientError({"Error": {"Code": self.code, "Message": "injected"}}, "Publish")
        return self.real.publish(**kwargs)


def test_failed_publish_returns_exactly_the_unpublished_messages(aws):
    make_bucket("bg-a", pab=OFF)
    make_bucket("bg-b", pab=OFF)
    batch = sqs_batch(
        msg(record("DeleteBucketPolicy", "bg-a", None, "e-a"), "m-a"),
        msg(record("DeleteBucketPolicy", "bg-b", None, "e-b1", account=OTHER), "m-b1"),
        msg(record("DeleteBucketPublicAccessBlock", "bg-b", None, "e-b2", account=OTHER), "m-b2"),
    )
    base = clients()

    def factory(service, region):
        client = base(service, region)
        return FailingPublish(client, OTHER) if service == "sns" else client

    result = run(batch, env(aws), factory)
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-b1"}, {"itemIdentifier": "m-b2"}]}
    assert [i["id"].split("#")[0] for i in table_items()] == ["e-a"]  # the failed ones' claims given back
    # The queue delivers them again; this time the publish works.
    retry = sqs_batch(batch["Records"][1], batch["Records"][2])
    assert run(retry, env(aws)) == {"batchItemFailures": []}
    assert sorted(m["attributes"]["account"] for m in sent(aws)) == sorted(["123456789012", OTHER])


def test_event_in_flight_elsewhere_goes_back_to_the_queue(aws):
    make_bucket("bg-x", pab=OFF)
    make_bucket("bg-y", pab=OFF)
    busy = record("DeleteBucketPolicy", "bg-x", None, "e-busy")
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName=TABLE,
        Item={
            "id": {"S": dedup.record_id(cloudtrail.classify(busy))},
            "status": {"S": "pending"},
            "token": {"S": "other-invocation"},
            "claimed_at": {"N": str(int(NOW.timestamp()) - 30)},
        },
    )
    batch = sqs_batch(msg(busy, "m-busy"), msg(record("DeleteBucketPolicy", "bg-y", None, "e-y"), "m-y"))
    assert run(batch, env(aws)) == {"batchItemFailures": [{"itemIdentifier": "m-busy"}]}
    (mail,) = sent(aws)
    assert "s3://bg-y" in mail["body"] and "s3://bg-x" not in mail["body"]


def test_reads_not_done_in_time_are_reported_unread_and_never_downgraded(aws, monkeypatch):
    monkeypatch.setattr(handler, "PUBLISH_RESERVE_SECONDS", 0.2)
    make_bucket("bg-slow", policy=PUBLIC_POLICY, pab=OFF)
    release = threading.Event()
    base = clients()

    class Slow:
        def __init__(self, real):
            self.real = real

        def __getattr__(self, name):
            if name == "get_bucket_acl":

                def slow(**kwargs):
                    release.wait(5)
                    raise ClientError({"Error": {"Code": "SlowDown", "Message": "late"}}, name)

                return slow
            return getattr(self.real, name)

    def factory(service, region):
        client = base(service, region)
        return Slow(client) if service == "s3" else client

    try:
        result = run(sqs_batch(msg(put_policy("bg-slow", "e-slow"), "m1")), env(aws), factory, Context(900))
    finally:
        release.set()
    assert result == {"batchItemFailures": []}
    (mail,) = sent(aws)
    assert mail["subject"].startswith("[PUBLIC] s3://bg-slow public per request via policy, unconfirmed")
    assert "not confirmed: state not read: the function's time ran out" in mail["body"]


def test_no_time_left_carries_the_batch_into_the_next_one(aws):
    make_bucket("bg-late", pab=OFF)
    batch = sqs_batch(msg(record("DeleteBucketPolicy", "bg-late", None, "e-late"), "m1"))
    assert run(batch, env(aws), context=Context(2000)) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert sent(aws) == []
    assert table_items() == []


def test_a_batch_that_cannot_be_handled_is_mailed_and_every_message_returned(aws, monkeypatch):
    def broken(self, messages, raw):
        raise RuntimeError("bug")

    monkeypatch.setattr(handler.Notifier, "handle_batch", broken)
    batch = sqs_batch(msg(record("DeleteBucketPolicy", "bg-x", None, "e-x"), "m1"), sqs_message("junk", "m2"))
    result = run(batch, env(aws))
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]}
    (mail,) = sent(aws)
    assert mail["subject"].startswith("[BUCKETGUARD] could not fully process")
    assert "RuntimeError: bug" in mail["body"]


def test_lambda_handler_passes_the_context_deadline(aws, monkeypatch):
    monkeypatch.setenv("BUCKETGUARD_TOPIC_ARN", aws)
    monkeypatch.setenv("BUCKETGUARD_DEDUP_TABLE", TABLE)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setattr(handler, "_CLIENTS", None)
    batch = sqs_batch(msg(record("DeleteBucketPolicy", "bg-ctx", None, "e-ctx"), "m1"))
    assert handler.lambda_handler(batch, Context(1000)) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert handler.lambda_handler(batch, Context(60_000)) == {"batchItemFailures": []}


def test_stale_time_constant_matches_the_design():
    assert timedelta(minutes=5) == dedup.STALE_AFTER
