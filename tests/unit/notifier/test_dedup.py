"""dedup.py (pure): the item id, the conditional requests, what an existing item means; events.parse_message."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from bucketguard_notifier import dedup, events
from bucketguard_notifier.handler import cloudtrail

from tests.lib.notifier_moto import destination_record, eventbridge, record, sqs_message

NOW = datetime(2025, 3, 1, 10, 6, tzinfo=UTC)


def change(**overrides):
    rec = record("DeleteBucketPolicy", "bg-x", None, "ev-1")
    rec.update(overrides)
    return cloudtrail.classify(rec)


def test_record_id_is_event_id_and_a_hash_of_the_content():
    item_id = dedup.record_id(change())
    event_id, digest = item_id.split("#")
    assert event_id == "ev-1"
    assert len(digest) == 16 and int(digest, 16) >= 0
    assert dedup.record_id(change()) == item_id  # deterministic


@pytest.mark.parametrize(
    "overrides",
    [
        {"recipientAccountId": "111122223333"},
        {"eventName": "DeleteBucketPublicAccessBlock"},
        {"requestParameters": {"bucketName": "bg-other"}},
        {"eventTime": "2025-03-01T10:05:11Z"},
    ],
)
def test_the_same_event_id_with_other_content_has_another_id(overrides):
    """A forged record with a real eventID but another bucket, account, call or time cannot suppress it."""
    assert dedup.record_id(change(**overrides)) != dedup.record_id(change())


def test_no_event_id_no_record():
    assert dedup.record_id(change(eventID="...")) is None
    with pytest.raises(ValueError):
        dedup.claim_request("t", change(eventID=None), dedup.FAST, "tok", NOW)


def test_claim_request_is_conditional_and_carries_ttl():
    request = dedup.claim_request("bucketguard-reported", change(), dedup.ALARM, "tok", NOW, ttl_days=30)
    assert (
        request["ConditionExpression"] == "attribute_not_exists(#id) OR (#status = :pending AND #claimed_at < :stale)"
    )
    item = dedup.plain(request["Item"])
    assert item["status"] == "pending" and item["path"] == "alarm" and item["token"] == "tok"
    assert item["bucket"] == "bg-x" and item["event_name"] == "DeleteBucketPolicy"
    assert int(item["expires_at"]) == int((NOW + timedelta(days=30)).timestamp())
    assert int(request["ExpressionAttributeValues"][":stale"]["N"]) == int((NOW - timedelta(minutes=5)).timestamp())
    assert request["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"


def test_reported_and_release_only_touch_our_own_claim():
    for request in (
        dedup.reported_request("t", "ev-1#abc", "tok", "mid", "CRITICAL", NOW),
        dedup.release_request("t", "ev-1#abc", "tok"),
    ):
        assert request["ConditionExpression"] == "#status = :pending AND #token = :token"
        assert request["ExpressionAttributeValues"][":token"] == {"S": "tok"}


@pytest.mark.parametrize(
    ("item", "outcome"),
    [
        ({"status": {"S": "reported"}}, dedup.ALREADY),
        ({"status": {"S": "pending"}, "claimed_at": {"N": str(int(NOW.timestamp()) - 60)}}, dedup.IN_FLIGHT),
        ({"status": {"S": "pending"}, "claimed_at": {"N": str(int(NOW.timestamp()) - 301)}}, dedup.UNAVAILABLE),
        ({"status": {"S": "pending"}, "claimed_at": {"N": "soon"}}, dedup.UNAVAILABLE),
        ({"status": {"S": "something"}}, dedup.UNAVAILABLE),
        (None, dedup.UNAVAILABLE),
    ],
)
def test_existing_outcome(item, outcome):
    assert dedup.existing_outcome(item, NOW) == outcome


def test_earlier_line_is_one_line_and_capped():
    claims = [dedup.Claim(change(eventID=f"ev-{i:02d}"), None, dedup.ALREADY) for i in range(12)]
    claims.append(dedup.Claim(change(eventID="new"), None, dedup.OWNED))
    line = dedup.earlier_line(claims, limit=10)
    assert line.startswith("earlier in this window: 12 changes were already mailed (event ids ev-00, ev-01")
    assert line.endswith(", +2 more)") and "new" not in line and "\n" not in line
    assert dedup.earlier_line(claims[-1:]) is None


def test_parse_message_unwraps_destination_records_and_names_bad_bodies():
    rec = record("DeleteBucketPolicy", "bg-x", None, "ev-1")
    wrapped = events.parse_message(sqs_message(destination_record(destination_record(eventbridge(rec))), "m1"), 0)
    assert (wrapped.message_id, wrapped.unwrapped, wrapped.parsed.kind) == ("m1", 2, "records")
    assert wrapped.parsed.records == [rec]
    cases = {
        "not json": "body is not JSON (truncated?)",
        json.dumps(eventbridge(rec))[:50]: "body is not JSON (truncated?)",
        json.dumps({"a": 1}): "unrecognised body",
        json.dumps({"Records": [sqs_message("{}")]}): "body is itself an SQS batch",
        "y" * (events.MAX_BODY_BYTES + 1): "oversized body",
    }
    for body, error in cases.items():
        parsed = events.parse_message(sqs_message(body, "m"), 3)
        assert parsed.parsed is None and parsed.error.startswith(error)
        assert len(parsed.excerpt) <= events.EXCERPT_CHARS
    assert events.parse_message({"eventSource": "aws:sqs", "body": 5}, 7).message_id == "message-7"


def test_sqs_batch_is_recognised_before_cloudtrail_records():
    rec = record("DeleteBucketPolicy", "bg-x", None, "ev-1")
    assert events.parse_event({"Records": [sqs_message(eventbridge(rec))]}).kind == "sqs"
    assert events.parse_event({"Records": [rec]}).kind == "records"
    assert events.parse_event({"Records": []}).kind == "records"
