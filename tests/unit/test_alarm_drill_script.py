"""scripts/alarm_drill.py: its endpoint follows the emulator variables, and its time-out says what to check."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def drill():
    spec = importlib.util.spec_from_file_location("alarm_drill", ROOT / "scripts" / "alarm_drill.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_endpoint_from_url_then_port_then_default(drill, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BUCKETGUARD_LOCALSTACK_URL", raising=False)
    monkeypatch.delenv("BUCKETGUARD_LOCALSTACK_PORT", raising=False)
    assert drill.default_endpoint() == "http://127.0.0.1:4566"
    monkeypatch.setenv("BUCKETGUARD_LOCALSTACK_PORT", "4640")
    assert drill.default_endpoint() == "http://127.0.0.1:4640"
    monkeypatch.setenv("BUCKETGUARD_LOCALSTACK_URL", "http://localhost:9999")
    assert drill.default_endpoint() == "http://localhost:9999"


def test_timeout_message_names_the_period_and_the_inventory_variables(drill) -> None:
    alarm = {"StateValue": "INSUFFICIENT_DATA", "Period": 60, "EvaluationPeriods": 5, "StateReason": "no data"}
    message = drill.not_in_alarm_message("bucketguard-s3-visibility-change", 180, alarm)
    assert "within 180 s (state INSUFFICIENT_DATA" in message
    assert "60 s x 5 = 300 s" in message and "longer than --timeout 180 s" in message
    assert "alarm_period" in message and "alarm_evaluation_periods" in message


def test_timeout_message_when_the_cycle_fits(drill) -> None:
    alarm = {"StateValue": "OK", "Period": 10, "EvaluationPeriods": 1}
    message = drill.not_in_alarm_message("x", 180, alarm)
    assert "10 s x 1 = 10 s" in message and "longer than" not in message
    assert "metric filter's log group" in message


def test_fast_path_event_is_what_eventbridge_delivers_and_the_notifier_reads(drill) -> None:
    import sys

    sys.path[:0] = [str(ROOT / "files" / "lambda"), str(ROOT / ".collections")]
    from bucketguard_notifier import events

    args = drill.parse_args(
        ["--account", "111111111111", "--region", "eu-west-3", "--bucket", "b-1", "--action", "expose"]
    )
    record = drill.cloudtrail_record(args, "PutBucketPolicy", {"bucketPolicy": {}})
    event = drill.eventbridge_event(record)
    assert event["detail-type"] == "AWS API Call via CloudTrail" and event["source"] == "aws.s3"
    assert (event["account"], event["region"]) == ("111111111111", "eu-west-3")
    parsed = events.parse_event(event)
    assert (parsed.kind, parsed.source, parsed.records) == ("records", "eventbridge", [record])


def test_allow_tag_goes_with_the_fast_path_only(drill) -> None:
    base = ["--account", "111111111111", "--region", "eu-west-3", "--bucket", "b-1", "--action", "allow-tag"]
    assert drill.parse_args([*base, "--path", "fast"]).action == "allow-tag"
    with pytest.raises(SystemExit):
        drill.parse_args([*base, "--path", "alarm"])


def test_subjects_come_from_the_published_log_lines(drill) -> None:
    lines = [{"bucketguard": "received"}, {"bucketguard": "published", "subject": "[PUBLIC] s3://b"}, "START x"]
    assert drill.subjects(lines) == ["[PUBLIC] s3://b"]
    assert drill.plural(1, "email") == "1 email" and drill.plural(2, "email") == "2 emails"
