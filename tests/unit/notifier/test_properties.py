"""Property: the handler never raises on arbitrary JSON, except when publishing fails."""

from __future__ import annotations

from typing import Any

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils import cloudtrail as events
from ansible_collections.bucketguard.visibility.plugins.module_utils import exposure
from bucketguard_notifier.handler import PublishError, process
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import load

TOPIC = "arn:aws:sns:us-east-1:123456789012:bucketguard-alerts"
ENV = {
    "BUCKETGUARD_TOPIC_ARN": TOPIC,
    "BUCKETGUARD_LOG_GROUP": "/bucketguard/cloudtrail",
    "BUCKETGUARD_FAST_PATH": "true",
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)
KEYS = [
    "alarmData",
    "state",
    "value",
    "detail",
    "detail-type",
    "eventName",
    "eventSource",
    "requestParameters",
    "Records",
    "bucketName",
    "bucketPolicy",
    "PublicAccessBlockConfiguration",
    "userIdentity",
    "eventTime",
]
shaped = st.recursive(
    st.sampled_from(["ALARM", "PutBucketPolicy", "s3.amazonaws.com", "...", "*", "2025-03-01T10:00:00Z"]) | json_values,
    lambda children: st.dictionaries(st.sampled_from(KEYS), children, max_size=6) | st.lists(children, max_size=3),
    max_leaves=30,
)


class FakeClient:
    """Answers every call with junk or an error, and records publishes."""

    def __init__(self, fail_publish: bool = False):
        self.fail_publish = fail_publish
        self.published: list[dict[str, Any]] = []

    def publish(self, **kwargs):
        if self.fail_publish:
            raise RuntimeError("SNS down")
        assert len(kwargs["Subject"]) < 100 and kwargs["Subject"].isascii()
        self.published.append(kwargs)
        return {"MessageId": "m"}

    def filter_log_events(self, **_):
        return {"events": [{"message": '{"eventName": "PutBucketAcl", "eventSource": "s3.amazonaws.com"}'}, {}]}

    def __getattr__(self, name):
        def fail(**_):
            raise RuntimeError(f"{name} unavailable")

        return fail


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=st.one_of(json_values, shaped))
def test_handler_never_raises_on_arbitrary_json(event):
    client = FakeClient()
    result = process(event, ENV, lambda service, region: client)
    assert isinstance(result, dict)
    assert result["status"] in {"published", "ignored", "fallback", "deduplicated"}
    if result["status"] in {"published", "fallback"}:
        assert len(client.published) == 1


@settings(max_examples=100, deadline=None)
@given(event=st.one_of(json_values, shaped))
def test_handler_raises_only_when_publish_fails(event):
    client = FakeClient(fail_publish=True)
    try:
        result = process(event, ENV, lambda service, region: client)
    except PublishError:
        return
    assert result["status"] in {"ignored", "deduplicated"}


def test_alarm_always_mails_even_when_everything_else_fails():
    client = FakeClient()
    result = process(load("events/alarm-state-alarm.json"), ENV, lambda service, region: client)
    assert result["status"] == "published"
    assert len(client.published) == 1
    with pytest.raises(PublishError):
        process(load("events/alarm-state-alarm.json"), ENV, lambda s, r: FakeClient(fail_publish=True))


@settings(max_examples=300, deadline=None)
@given(record=shaped)
def test_classify_and_assess_never_raise(record):
    events.classify(record)
    exposure.assess(record if isinstance(record, dict) else {})
    exposure.assess({"policy": record, "acl": record, "public_access_block": record})
