"""events.py: input parsing and classification over shared and own CloudTrail fixtures."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils import cloudtrail as events
from ansible_collections.bucketguard.visibility.plugins.module_utils.cloudtrail import (
    LOOSENS,
    NEUTRAL,
    TIGHTENS,
    classify,
    classify_all,
)
from bucketguard_notifier.events import parse_event

from .conftest import load

OWN = load("cloudtrail/bucketguard-records.json")


@pytest.mark.parametrize("record", OWN, ids=[r["eventID"] for r in OWN])
def test_own_records_classified_as_annotated(record):
    change = classify(record)
    expected = record["_bucketguard_expect"]
    if expected is None:
        assert change is None
        return
    assert change is not None
    assert (change.bucket, change.effect) == tuple(expected)
    assert change.event_id == record["eventID"]
    assert change.event_time == record["eventTime"]
    assert change.region == "eu-west-3"
    assert change.account_id == "111122223333"
    assert change.account_level == (change.event_name in events.ACCOUNT_LEVEL_EVENTS)


def test_every_covered_event_name_has_an_own_fixture():
    covered = {r["eventName"] for r in OWN if r["_bucketguard_expect"] is not None}
    assert covered == events.EXPOSURE_EVENTS


PANTHER_EXPECTED = {
    0: ("example-bucket", LOOSENS),  # Principal {"AWS": "*"}
    1: ("example-bucket", NEUTRAL),  # service principal only
    2: None,  # AccessDenied
    3: (None, NEUTRAL),  # null requestParameters
    4: (None, NEUTRAL),  # bucketPolicy is not JSON
    5: (None, NEUTRAL),  # PrincipalOrgID + SourceVpc + private SourceIp: not public
    6: ("bucket", TIGHTENS),  # x-amz-acl private
    7: None,  # AccessDenied
    8: None,  # GetBucketPolicy is a read
    9: ("corporate-documents", LOOSENS),
    10: None,  # AccessDenied
    11: ("corporate-documents", NEUTRAL),  # configuration not recorded
    12: None,  # PutBucketLogging
    13: None,  # PutBucketEncryption
}


@pytest.mark.parametrize(("index", "expected"), PANTHER_EXPECTED.items())
def test_panther_records(panther, index, expected):
    change = classify(panther[index])
    assert (None if change is None else (change.bucket, change.effect)) == expected


STREAMALERT_EXPECTED = {
    0: (None, LOOSENS, True),  # DeleteAccountPublicAccessBlock
    1: (None, LOOSENS, False),  # all four false, bucketName redacted
    2: ("test", TIGHTENS, False),
    3: ("test", LOOSENS, False),
    4: (None, LOOSENS, False),  # AllUsers + AuthenticatedUsers grants
    5: (None, TIGHTENS, False),  # LogDelivery only (eventSource redacted)
    6: ("an-example-bucket-name", TIGHTENS, False),  # owner-only object ACL
    7: (None, LOOSENS, False),  # lower-case "permission"
    8: (None, LOOSENS, False),  # x_amz_grant_read, userAgent list
}


@pytest.mark.parametrize(("index", "expected"), STREAMALERT_EXPECTED.items())
def test_streamalert_records(streamalert, index, expected):
    change = classify(streamalert[index])
    assert change is not None
    assert (change.bucket, change.effect, change.account_level) == expected


def test_account_level_record_has_account_and_no_bucket(streamalert):
    change = classify(streamalert[0])
    assert change.account_id == "123456789123"
    assert change.bucket is None
    assert change.event_time == "2019-07-09T15:37:48Z"


def test_redacted_values_are_absent(streamalert):
    change = classify(streamalert[7])
    assert change.actor == "unknown"
    assert change.source_ip is None
    assert change.user_agent is None
    assert change.event_id is None


def test_policy_as_string_and_fields(own_records):
    change = classify(own_records[5])  # bucketPolicy given as a JSON string, VPC endpoint condition
    assert change.effect == NEUTRAL
    public = classify(own_records[4])
    assert public.request_public is True
    assert "PublicRead" in public.detail
    assert public.actor == "role Admin (session alice)"
    assert public.source_ip == "203.0.113.10"
    assert public.user_agent.startswith("[aws-cli/2.15.0")


@pytest.mark.parametrize(
    ("index", "actor"),
    [(2, "user bob"), (16, "root (account 111122223333)"), (24, "service cloudformation.amazonaws.com")],
)
def test_actor_is_readable(own_records, index, actor):
    assert classify(own_records[index]).actor == actor


def test_access_point_and_object_fields(own_records):
    created = classify(own_records[18])
    assert (created.access_point, created.bucket) == ("bg-public-ap", "bg-data")
    policy = classify(own_records[21])
    assert (policy.access_point, policy.bucket, policy.effect) == ("bg-public-ap", None, LOOSENS)
    obj = classify(own_records[23])
    assert (obj.key, obj.bucket) == ("index.html", "bg-site")


def test_pab_flag_missing_counts_as_false():
    assert (
        events.pab_effect({"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True})[0] == LOOSENS
    )
    assert events.pab_effect({f: "true" for f in events.PAB_FLAGS})[0] == TIGHTENS
    assert events.pab_effect(None)[0] == NEUTRAL


@pytest.mark.parametrize(
    ("params", "public"),
    [
        ({"x-amz-acl": ["authenticated-read"]}, True),
        ({"x-amz-acl": "bucket-owner-full-control"}, False),
        ({"x-amz-grant-write": 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'}, True),
        ({"X_AMZ_GRANT_READ_ACP": "uri=http://acs.amazonaws.com/groups/global/AuthenticatedUsers"}, True),
        ({"x-amz-grant-read": 'id="abc", emailAddress="a@example.com"'}, False),
        ({}, None),
    ],
)
def test_acl_request(params, public):
    assert events.acl_request(params)[0] is public


def test_lowercase_keys_and_xml_shapes():
    record = copy.deepcopy(OWN[9])  # AccessControlPolicy with AllUsers READ
    params = record.pop("requestParameters")
    record["requestparameters"] = {k.lower(): v for k, v in params.items()}
    record["EVENTNAME"] = record.pop("eventName")
    change = classify(record)
    assert change is not None
    assert change.effect == LOOSENS
    assert change.bucket == "bg-site"


def test_failed_call_with_error_message_only_is_ignored():
    record = copy.deepcopy(OWN[4])
    record["errorMessage"] = "Access Denied"
    assert classify(record) is None


def test_classify_all_drops_duplicates_and_non_changes(own_records):
    changes = classify_all(own_records + own_records)
    expected = [r for r in own_records if r["_bucketguard_expect"] is not None]
    assert [c.event_id for c in changes] == [r["eventID"] for r in expected]


def test_parse_alarm_event(alarm_event):
    parsed = parse_event(alarm_event)
    assert parsed.kind == "alarm"
    alarm = parsed.alarm
    assert alarm.name == "bucketguard-s3-visibility-change"
    assert alarm.state == "ALARM"
    assert alarm.previous_state == "OK"
    assert alarm.region == "eu-west-3"
    assert alarm.account_id == "111122223333"
    assert alarm.period_seconds == 60
    assert alarm.window_start == datetime(2025, 3, 1, 10, 5, tzinfo=UTC)
    assert alarm.window_end == datetime(2025, 3, 1, 10, 7, 30, tzinfo=UTC)


def test_parse_alarm_without_reason_data(alarm_event):
    del alarm_event["alarmData"]["state"]["reasonData"]
    alarm = parse_event(alarm_event).alarm
    assert alarm.window_start == datetime(2025, 3, 1, 10, 5, 30, tzinfo=UTC)
    assert alarm.window_end == datetime(2025, 3, 1, 10, 6, 30, tzinfo=UTC)


def test_parse_eventbridge_and_records():
    eb = load("events/eventbridge-put-bucket-policy.json")
    parsed = parse_event(eb)
    assert parsed.kind == "records"
    assert parsed.source == "eventbridge"
    assert classify(parsed.records[0]).bucket == "bg-site"
    assert parse_event({"Records": OWN[:3]}).records == OWN[:3]
    assert parse_event(OWN[0]).source == "cloudtrail"


@pytest.mark.parametrize("event", load("events/malformed.json"))
def test_malformed_inputs_never_raise(event):
    parsed = parse_event(event)
    assert parsed.kind in {"alarm", "records", "unknown"}
    for record in parsed.records:
        classify(record)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-03-01T10:06:30.000+0000", datetime(2025, 3, 1, 10, 6, 30, tzinfo=UTC)),
        ("2019-01-01T00:00:00Z", datetime(2019, 1, 1, tzinfo=UTC)),
        (1740823590000, datetime(2025, 3, 1, 10, 6, 30, tzinfo=UTC)),
        ("...", None),
        ("yesterday", None),
        (True, None),
    ],
)
def test_parse_time(value, expected):
    assert events.parse_time(value) == expected
