"""The alarm role's patterns, computed as the role computes them (conftest.role_values), run over CloudTrail records.

LocalStack's metric filters ignore their pattern, so this is where the patterns are tested: the
metric filter pattern and the CIS pattern with tests/lib/filter_pattern.py, the EventBridge pattern's
shape here and its matching against LocalStack's TestEventPattern (when LocalStack is up) below.
"""

from __future__ import annotations

import json
import os
import urllib.request

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils.cloudtrail import watched_event_names
from ansible_collections.bucketguard.visibility.plugins.module_utils.contract import (
    event_pattern as contract_event_pattern,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.lib import event_pattern as eventbridge
from tests.lib.filter_pattern import parse

from .conftest import CIS_FILTER_PATTERN, ROLE_CASES, load, role_values, shared_samples

OWN = load("alarm/cloudtrail-records.json")
OWN_IDS = [f"{r['eventName']}-{r['eventID'][-3:]}" for r in OWN]
DEFAULT_NAMES = {
    "PutBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
    "PutBucketPolicy",
    "DeleteBucketPolicy",
    "PutBucketAcl",
    "PutBucketOwnershipControls",
    "DeleteBucketOwnershipControls",
    "PutAccountPublicAccessBlock",
    "DeleteAccountPublicAccessBlock",
    "CreateAccessPoint",
    "DeleteAccessPoint",
    "PutAccessPointPolicy",
    "DeleteAccessPointPolicy",
}


def event_pattern(**overrides):
    """The fast-path rule's pattern, as the notifier_lambda role (which owns the rule) computes it by default
    (notifier_lambda_event_names: the watched list with the opt-ins the alarm inputs ask for)."""
    names = watched_event_names(
        object_acl=overrides.get("alarm_object_acl_events", False),
        create_bucket=overrides.get("alarm_create_bucket_events", False),
    )
    return contract_event_pattern(names)


@pytest.fixture(scope="module")
def visibility(defaults):
    return parse(defaults["filter_pattern"])


@pytest.fixture(scope="module")
def cis(defaults):
    return parse(defaults["cis_filter_pattern"])


@pytest.fixture(scope="module")
def with_opt_ins():
    return parse(role_values(alarm_object_acl_events=True, alarm_create_bucket_events=True)["filter_pattern"])


# --------------------------------------------------------------------------- the rendered pattern


def test_the_role_rendered_these_patterns():
    # What the role's defaults rendered (tests/fixtures/roles/alarm.json): defaults, PutObjectAcl, CreateBucket.
    for case, overrides in zip(
        ROLE_CASES[:3], [{}, {"alarm_object_acl_events": True}, {"alarm_create_bucket_events": True}], strict=True
    ):
        assert case["overrides"] == overrides
        assert role_values(**overrides)["filter_pattern"] == case["inputs"]["alarm_filter_pattern"]
        assert role_values(**overrides)["cis_filter_pattern"] == case["inputs"]["alarm_cis_filter_pattern"]
    assert ROLE_CASES[0]["inputs"]["alarm_cis_filter_pattern"] == CIS_FILTER_PATTERN


def test_rendered_pattern_reads_as_documented(defaults):
    pattern = defaults["filter_pattern"]
    assert pattern.startswith('{ ($.eventSource = "s3.amazonaws.com") && (($.eventName = "PutBucketPublicAccessBlock")')
    assert pattern.endswith(") && ($.errorCode NOT EXISTS) }")
    assert pattern.count("$.eventName") == len(DEFAULT_NAMES)
    assert set(defaults["event_names"]) == DEFAULT_NAMES


@pytest.mark.parametrize(
    "overrides",
    [{}, {"alarm_object_acl_events": True, "alarm_create_bucket_events": True}],
    ids=["defaults", "opt-ins"],
)
def test_patterns_fit_the_service_limits(overrides):
    rendered = role_values(**overrides)
    assert 0 < len(rendered["filter_pattern"]) <= rendered["filter_pattern_max"] == 1024
    assert len(rendered["cis_filter_pattern"]) <= 1024
    assert len(json.dumps(event_pattern(**overrides))) <= 4096


def test_opt_ins_add_their_event_names_once():
    names = role_values(
        alarm_object_acl_events=True,
        alarm_create_bucket_events=True,
        alarm_event_names=[*sorted(DEFAULT_NAMES), "PutObjectAcl"],
    )["event_names"]
    assert set(names) == DEFAULT_NAMES | {"PutObjectAcl", "CreateBucket"}
    assert len(names) == len(set(names))


def test_cis_pattern_is_security_hubs_exact_pattern(defaults):
    # Security Hub CloudWatch.8 / CIS 1.4.0 4.8 fails unless the exact pattern is used.
    assert defaults["cis_filter_pattern"] == (
        "{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || "
        "($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || "
        "($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || "
        "($.eventName=DeleteBucketReplication))}"
    )


# --------------------------------------------------------------------------- our own records


@pytest.mark.parametrize("record", OWN, ids=OWN_IDS)
def test_own_records(record, visibility, cis, with_opt_ins):
    expect = record["_bucketguard_alarm_expect"]
    assert visibility.matches(record) is expect["visibility"], record["_bucketguard_note"]
    assert cis.matches(record) is expect["cis"], record["_bucketguard_note"]
    opted_in = expect["visibility"] or expect.get("object_acl", False) or expect.get("create_bucket", False)
    assert with_opt_ins.matches(record) is opted_in, record["_bucketguard_note"]


def test_own_records_cover_every_default_event_name_successful_and_failed():
    successful = {r["eventName"] for r in OWN if r["_bucketguard_alarm_expect"]["visibility"]}
    assert successful == DEFAULT_NAMES
    assert any("errorCode" in r and r["eventName"] in DEFAULT_NAMES for r in OWN)


def test_own_records_match_as_one_line_of_json(visibility):
    # CloudTrail writes each record to CloudWatch Logs as one JSON log event.
    for record in OWN:
        assert visibility.matches(json.dumps(record)) is record["_bucketguard_alarm_expect"]["visibility"]


# --------------------------------------------------------------------------- shared samples

# Index -> (visibility filter, CIS filter). See tests/fixtures/cloudtrail/README.md for each record.
PANTHER = {
    0: (True, True),  # PutBucketPolicy
    1: (True, True),
    2: (False, True),  # PutBucketPolicy, AccessDenied: failed, ours skips it, CIS counts it
    3: (True, True),
    4: (True, True),  # minimal hand-written record
    5: (True, True),
    6: (True, True),  # PutBucketAcl
    7: (False, True),  # PutBucketAcl, AccessDenied
    8: (False, False),  # GetBucketPolicy
    9: (True, False),  # DeleteBucketPublicAccessBlock
    10: (False, False),  # DeleteBucketPublicAccessBlock, AccessDenied
    11: (True, False),  # PutBucketPublicAccessBlock
    12: (False, False),  # PutBucketLogging
    13: (False, False),  # PutBucketEncryption
}
STREAMALERT = {
    0: (True, False),  # DeleteAccountPublicAccessBlock (S3 Control host, eventSource s3.amazonaws.com)
    1: (True, False),  # PutBucketPublicAccessBlock
    2: (True, False),
    3: (True, True),  # PutBucketPolicy
    4: (True, True),  # PutBucketAcl
    5: (False, False),  # PutBucketAcl with eventSource redacted to "..."
    6: (False, False),  # PutObjectAcl (redacted eventSource; not in the default list anyway)
    7: (False, False),
    8: (False, False),
}


@pytest.mark.parametrize(("name", "expected"), [("panther-analysis.json", PANTHER), ("streamalert.json", STREAMALERT)])
def test_shared_samples(name, expected, visibility, cis):
    records = shared_samples(name)
    assert len(records) == len(expected)
    got = {i: (visibility.matches(r), cis.matches(r)) for i, r in enumerate(records)}
    assert got == expected


def test_filter_sees_every_change_the_notifier_reports(with_opt_ins):
    """Every record the notifier classifies as a change (the notifier's own annotated fixtures) is
    counted by the metric filter with the opt-ins on, and nothing it ignores is counted."""
    records = shared_samples("bucketguard-records.json")
    for record in records:
        reported = record["_bucketguard_expect"] is not None
        if reported:
            assert with_opt_ins.matches(record), record["eventID"]
        elif "errorCode" in record or record["eventSource"] != "s3.amazonaws.com":
            assert not with_opt_ins.matches(record), record["eventID"]


# --------------------------------------------------------------------------- any list of names


@settings(max_examples=60, deadline=None)
@given(st.sets(st.sampled_from(sorted(DEFAULT_NAMES | {"PutObjectAcl", "CreateBucket", "PutBucketCors"})), min_size=1))
def test_pattern_matches_exactly_the_listed_successful_calls(names):
    pattern = parse(role_values(alarm_event_names=sorted(names))["filter_pattern"])
    for record in OWN:
        wanted = (
            record["eventName"] in names and record["eventSource"] == "s3.amazonaws.com" and "errorCode" not in record
        )
        assert pattern.matches(record) is wanted


# --------------------------------------------------------------------------- EventBridge pattern


def test_event_pattern_shape(defaults):
    pattern = event_pattern()
    assert pattern == {
        "source": ["aws.s3"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["s3.amazonaws.com"],
            "eventName": [*defaults["event_names"], "PutBucketTagging"],
            "errorCode": [{"exists": False}],
        },
    }


def envelope(record):
    """The EventBridge event CloudTrail makes of a record ("AWS API Call via CloudTrail")."""
    detail = {k: v for k, v in record.items() if not k.startswith("_bucketguard")}
    return {
        "version": "0",
        "id": "6f1a0b52-0000-4000-8000-" + record["eventID"][-12:],
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws." + record["eventSource"].split(".")[0],
        "account": record["recipientAccountId"],
        "time": record["eventTime"],
        "region": record["awsRegion"],
        "resources": [],
        "detail": detail,
    }


def _localstack_url():
    url = os.environ.get("BUCKETGUARD_LOCALSTACK_URL", "")
    if not url:
        return None
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/_localstack/health", timeout=2):
            return url
    except OSError:
        return None


def test_event_pattern_with_localstack_test_event_pattern(defaults):
    url = _localstack_url()
    if url is None:
        pytest.skip("set BUCKETGUARD_LOCALSTACK_URL to a running LocalStack to run TestEventPattern")
    import boto3

    events = boto3.client(
        "events",
        endpoint_url=url,
        region_name="eu-west-3",
        aws_access_key_id="250000000009",
        aws_secret_access_key="test",
    )
    pattern = json.dumps(event_pattern())
    for record in OWN:
        result = events.test_event_pattern(EventPattern=pattern, Event=json.dumps(envelope(record)))["Result"]
        assert result is record["_bucketguard_alarm_expect"]["visibility"], record["_bucketguard_note"]
    for record in load("cloudtrail/put-bucket-tagging.json"):  # fast path only: every successful tagging call
        result = events.test_event_pattern(EventPattern=pattern, Event=json.dumps(envelope(record)))["Result"]
        assert result is ("errorCode" not in record), record["_bucketguard_note"]


# --------------------------------------------------------------------------- the allow tag: fast path only

TAGGING = load("cloudtrail/put-bucket-tagging.json")


@pytest.mark.parametrize("record", TAGGING, ids=[r["eventID"] for r in TAGGING])
def test_tagging_reaches_the_fast_path_but_not_the_alarm(record, visibility, with_opt_ins):
    """The visibility alarm is for exposure changes: its metric filter never counts a tagging call. The fast-path
    rule takes every successful PutBucketTagging (the notifier mails only those that set the allow tag)."""
    assert visibility.matches(record) is False
    assert with_opt_ins.matches(record) is False
    assert eventbridge.matches(event_pattern(), envelope(record)) is ("errorCode" not in record)


@pytest.mark.parametrize("record", OWN, ids=OWN_IDS)
def test_event_pattern_matches_what_the_metric_filter_counts(record, visibility):
    """Our small EventBridge evaluator agrees with the metric filter on every exposure record (and with
    LocalStack's TestEventPattern below, when it runs)."""
    assert eventbridge.matches(event_pattern(), envelope(record)) is visibility.matches(record)


def test_event_pattern_evaluator_refuses_what_it_does_not_understand():
    with pytest.raises(ValueError):
        eventbridge.matches({"detail": {"eventName": [{"anything-but": "x"}]}}, {"detail": {"eventName": "y"}})
    with pytest.raises(ValueError):
        eventbridge.matches({"$or": []}, {})
    assert eventbridge.matches({"a": [{"exists": False}]}, {}) is True
    assert eventbridge.matches({"a": ["x"]}, {"a": ["y", "x"]}) is True
    assert eventbridge.matches({"a": ["1"]}, {"a": 1}) is False
