"""bucketguard.visibility.cloudwatchlogs_test_metric_filter: pure helpers and main() with a fake client."""

from __future__ import annotations

import json
from typing import Any

import botocore.exceptions
import pytest
from ansible_collections.bucketguard.visibility.plugins.modules import cloudwatchlogs_test_metric_filter as module

from tests.lib.module_harness import ModuleFail, run_module

PATTERN = '{ ($.eventSource = "s3.amazonaws.com") && ($.errorCode NOT EXISTS) }'


class FakeLogs:
    """TestMetricFilter that 'matches' every message without an errorCode; records every call."""

    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.error = error

    def test_metric_filter(self, filterPattern: str, logEventMessages: list[str], **_: Any) -> dict[str, Any]:
        self.calls.append(
            ("test_metric_filter", {"filterPattern": filterPattern, "logEventMessages": logEventMessages})
        )
        if self.error is not None:
            raise self.error
        matches = [
            {"eventNumber": number, "eventMessage": message, "extractedValues": {"$.x": "1"}}
            for number, message in enumerate(logEventMessages, start=1)
            if "errorCode" not in message
        ]
        return {"matches": list(reversed(matches))}  # out of order on purpose


def run(args: dict[str, Any], fake: FakeLogs, check_mode: bool = False) -> dict[str, Any]:
    return run_module(module, args, fake, check_mode=check_mode, region="eu-west-3")


def test_as_messages_keeps_strings_and_serialises_the_rest() -> None:
    assert module.as_messages(["plain text", {"a": 1, "b": [2]}]) == ["plain text", '{"a":1,"b":[2]}']


def test_normalise_matches_sorts_and_keeps_extracted_values_as_given() -> None:
    raw = [
        {"eventNumber": 3, "eventMessage": "c", "extractedValues": {"$.Field": "v"}},
        {"eventNumber": 1, "eventMessage": "a"},
    ]
    assert module.normalise_matches(raw) == [
        {"event_number": 1, "event_message": "a", "extracted_values": {}},
        {"event_number": 3, "event_message": "c", "extracted_values": {"$.Field": "v"}},
    ]
    assert module.normalise_matches(None) == []


@pytest.mark.parametrize("check_mode", [False, True])
def test_matches_are_reported_and_nothing_changes(check_mode: bool) -> None:
    fake = FakeLogs()
    records = [
        {"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy"},
        {"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy", "errorCode": "AccessDenied"},
        json.dumps({"eventSource": "s3.amazonaws.com", "eventName": "DeleteBucketPolicy"}),
    ]
    result = run({"filter_pattern": PATTERN, "log_event_messages": records}, fake, check_mode=check_mode)
    assert result["changed"] is False
    assert result["matched_event_numbers"] == [1, 3]
    assert result["matches"][0]["event_message"] == '{"eventSource":"s3.amazonaws.com","eventName":"PutBucketPolicy"}'
    # the same single read-only call in check mode and out of it
    assert [name for name, _ in fake.calls] == ["test_metric_filter"]
    assert fake.calls[0][1]["filterPattern"] == PATTERN


@pytest.mark.parametrize(("messages", "error"), [([], "1 to 50"), (["x"] * 51, "1 to 50"), (["a", ""], "empty")])
def test_bad_message_lists_fail_before_any_call(messages: list[str], error: str) -> None:
    fake = FakeLogs()
    with pytest.raises(ModuleFail) as failure:
        run({"filter_pattern": PATTERN, "log_event_messages": messages}, fake)
    assert error in failure.value.result["msg"]
    assert fake.calls == []


def test_an_invalid_pattern_fails_with_the_service_message() -> None:
    error = botocore.exceptions.ClientError(
        {"Error": {"Code": "InvalidParameterException", "Message": "Invalid metric filter pattern"}},
        "TestMetricFilter",
    )
    with pytest.raises(ModuleFail) as failure:
        run({"filter_pattern": "{ $.x = ", "log_event_messages": ["{}"]}, FakeLogs(error=error))
    assert "Could not test the filter pattern" in failure.value.result["msg"]


def test_the_bundled_verify_records_are_annotated_and_fit_one_call() -> None:
    from pathlib import Path

    records = json.loads(
        (Path(__file__).resolve().parents[2] / "roles/alarm/files/cloudtrail-records.json").read_text()
    )
    assert 1 <= len(records) <= module.MAX_MESSAGES
    assert all("_bucketguard_alarm_expect" in r and "_bucketguard_note" in r for r in records)
    assert sum(bool(r["_bucketguard_alarm_expect"].get("visibility")) for r in records) == 13
