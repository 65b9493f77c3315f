"""The digest window (issue 14.8): at most one fast-path email per account per window; a change in a quiet
account is mailed at once; what arrives inside the window goes back to the buffer queue, delayed to its end,
and is mailed then - never dropped. moto in-process (SQS, DynamoDB, SNS, S3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from bucketguard_notifier import dedup
from bucketguard_notifier.handler import process
from moto import mock_aws

from tests.lib.notifier_moto import (
    OFF,
    PUBLIC_POLICY,
    REGION,
    clients,
    env,
    eventbridge,
    make_bucket,
    make_table,
    make_topic,
    record,
    sent,
    sqs_batch,
    sqs_message,
)

T0 = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)
QUEUE = "bg-fast-path"
OTHER = "111122223333"


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        topic = make_topic()
        make_table()
        boto3.client("sqs", region_name=REGION).create_queue(QueueName=QUEUE)
        for i in range(4):
            make_bucket(f"bg-{i}", policy=PUBLIC_POLICY, pab=OFF)
        yield topic


def windowed(topic: str, **extra: str) -> dict[str, str]:
    return env(topic, digest_window_seconds="60", buffer_queue=QUEUE, **extra)


def batch(*pairs: tuple[int, str], account: str = "123456789012"):
    return sqs_batch(
        *(
            sqs_message(
                eventbridge(record("DeleteBucketPublicAccessBlock", f"bg-{b}", None, event_id, account=account)),
                f"m-{event_id}",
            )
            for b, event_id in pairs
        )
    )


def run(event, environment, at: datetime):
    return process(event, environment, clients(), now=lambda: at)


def test_a_storm_gives_one_email_per_account_per_window_and_loses_nothing(aws):
    environment = windowed(aws)
    # A quiet account: the first change is mailed at once.
    assert run(batch((0, "e1")), environment, T0) == {"batchItemFailures": []}
    assert len(sent(aws)) == 1
    # 20 s later, three more changes: inside the window - no email, back to the queue, delayed to its end.
    assert run(batch((1, "e2"), (2, "e3"), (3, "e4")), environment, T0 + timedelta(seconds=20)) == {
        "batchItemFailures": []
    }
    assert len(sent(aws)) == 1
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert int(attrs["ApproximateNumberOfMessagesDelayed"]) + int(attrs["ApproximateNumberOfMessages"]) == 3
    # Another account is not held back by this one's window.
    assert run(batch((0, "x1"), account=OTHER), environment, T0 + timedelta(seconds=21)) == {"batchItemFailures": []}
    assert len(sent(aws)) == 2
    # After the window the requeued messages arrive again (as the mapping would deliver them): one digest.
    assert run(batch((1, "e2"), (2, "e3"), (3, "e4")), environment, T0 + timedelta(seconds=61)) == {
        "batchItemFailures": []
    }
    mails = sent(aws)
    assert len(mails) == 3
    last = mails[-1]["body"]
    for event_id in ("e2", "e3", "e4"):
        assert f"event: {event_id}" in last


def test_requeued_bodies_are_the_original_events(aws):
    environment = windowed(aws)
    run(batch((0, "e1")), environment, T0)
    original = batch((1, "e2"))
    run(original, environment, T0 + timedelta(seconds=5))
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    # moto honours DelaySeconds: nothing is visible yet.
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    assert attrs["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"


def test_without_the_queue_the_change_is_mailed_now(aws):
    environment = env(aws, digest_window_seconds="60", buffer_queue="no-such-queue")
    run(batch((0, "e1")), environment, T0)
    assert run(batch((1, "e2")), environment, T0 + timedelta(seconds=5)) == {"batchItemFailures": []}
    assert len(sent(aws)) == 2  # a requeue failure must not delay or lose the alert


def test_window_zero_or_no_queue_configured_mails_every_batch(aws):
    for environment in (env(aws, digest_window_seconds="0", buffer_queue=QUEUE), env(aws)):
        before = len(sent(aws))
        run(batch((0, f"a{before}")), environment, T0)
        run(batch((1, f"b{before}")), environment, T0 + timedelta(seconds=1))
        assert len(sent(aws)) == before + 2


def test_bad_settings_are_refused_naming_the_variable(aws):
    for extra, name in (
        ({"digest_window_seconds": "901"}, "BUCKETGUARD_DIGEST_WINDOW_SECONDS"),
        ({"buffer_queue": "bad name"}, "BUCKETGUARD_BUFFER_QUEUE"),
    ):
        run(batch((0, "z")), env(aws, **extra), T0)
        assert name in sent(aws)[-1]["body"]


@pytest.mark.parametrize(
    ("mailed_ago", "window", "wait"),
    [(None, 60, 0), (0, 60, 61), (20, 60, 41), (59.5, 60, 1), (60, 60, 0), (100, 60, 0), (10, 0, 0), (0, 2000, 900)],
)
def test_digest_wait(mailed_ago, window, wait):
    item = (
        None if mailed_ago is None else {"mailed_at": {"N": str(int((T0 - timedelta(seconds=mailed_ago)).timestamp()))}}
    )
    if mailed_ago == 59.5:
        item = {"mailed_at": {"N": str((T0 - timedelta(seconds=59.5)).timestamp())}}
    assert dedup.digest_wait(item, T0, window) == wait


def test_the_digest_item_cannot_collide_with_an_event_item():
    assert dedup.digest_id("123456789012") == "digest#123456789012"
    # An event's id is "<eventID>#<16 hex>": after the last "#" 16 hex characters, never a 12-digit account.
    assert len(dedup.digest_id("123456789012").rsplit("#", 1)[1]) == 12


def test_the_allow_tag_through_the_buffer_queue_is_a_notice(aws):
    """PutBucketTagging that sets the allow tag reaches the notifier through SQS too: a NOTICE naming who."""
    tagging = {"Tagging": {"TagSet": {"Tag": [{"Key": "bucketguard:public", "Value": "approved"}]}}}
    make_bucket("bg-site", tags={"bucketguard:public": "approved"})
    rec = record("PutBucketTagging", "bg-site", tagging, "tag-1")
    other = record("PutBucketTagging", "bg-1", {"Tagging": {"TagSet": {"Tag": [{"Key": "team", "Value": "web"}]}}})
    result = run(sqs_batch(sqs_message(eventbridge(rec), "m1"), sqs_message(eventbridge(other), "m2")), env(aws), T0)
    assert result == {"batchItemFailures": []}
    (mail,) = sent(aws)
    assert mail["subject"].startswith("[NOTICE]")
    assert "bucketguard:public=approved set by user mallory" in mail["body"]
    assert "s3://bg-1" not in mail["body"]  # a tagging call that leaves the allow tag alone is not mailed
