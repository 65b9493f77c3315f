"""bucketguard.visibility.lambda_event_source_mapping: pure helpers, and main() over a fake Lambda client."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from ansible_collections.bucketguard.visibility.plugins.modules import lambda_event_source_mapping as esm
from botocore.exceptions import ClientError

from tests.lib.module_harness import ModuleFail, run_module

QUEUE = "arn:aws:sqs:eu-west-3:240000000001:bg-fast-path"
FUNCTION = "bg-notifier"
ARGS = {
    "function_name": FUNCTION,
    "event_source_arn": QUEUE,
    "batch_size": 100,
    "maximum_batching_window_in_seconds": 30,
    "function_response_types": ["ReportBatchItemFailures"],
    "maximum_concurrency": 2,
}


def deployed(**overrides: Any) -> dict:
    """A ListEventSourceMappings item as Lambda answers for the role's settings."""
    item = {
        "UUID": "u-1",
        "EventSourceArn": QUEUE,
        "FunctionArn": f"arn:aws:lambda:eu-west-3:240000000001:function:{FUNCTION}",
        "State": "Enabled",
        "BatchSize": 100,
        "MaximumBatchingWindowInSeconds": 30,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "ScalingConfig": {"MaximumConcurrency": 2},
        "LastModified": "2026-12-01T00:00:00Z",
    }
    item.update(overrides)
    return item


class FakeLambda:
    """Just the event source mapping calls; records every call made."""

    def __init__(self, mappings: list[dict] | None = None, function_exists: bool = True) -> None:
        self.mappings = [copy.deepcopy(m) for m in mappings or []]
        self.function_exists = function_exists
        self.calls: list[tuple[str, dict]] = []

    def list_event_source_mappings(self, **kw: Any) -> dict:
        kw.pop("aws_retry", None)  # AWSRetry's argument of the real wrapped client
        self.calls.append(("list", kw))
        if not self.function_exists:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "no"}}, "List")
        return {"EventSourceMappings": [m for m in self.mappings if m["EventSourceArn"] == kw["EventSourceArn"]]}

    def create_event_source_mapping(self, **kw: Any) -> dict:
        kw.pop("aws_retry", None)  # AWSRetry's argument of the real wrapped client
        self.calls.append(("create", kw))
        item = deployed(
            UUID="u-new", State="Creating", **{k: v for k, v in kw.items() if k not in ("FunctionName", "Enabled")}
        )
        self.mappings.append(item)
        return item

    def update_event_source_mapping(self, **kw: Any) -> dict:
        kw.pop("aws_retry", None)  # AWSRetry's argument of the real wrapped client
        self.calls.append(("update", kw))
        item = next(m for m in self.mappings if m["UUID"] == kw["UUID"])
        item.update({k: v for k, v in kw.items() if k not in ("UUID", "Enabled")})
        return item

    def delete_event_source_mapping(self, **kw: Any) -> dict:
        kw.pop("aws_retry", None)  # AWSRetry's argument of the real wrapped client
        self.calls.append(("delete", kw))
        self.mappings = [m for m in self.mappings if m["UUID"] != kw["UUID"]]
        return {}

    def writes(self) -> list[str]:
        return [name for name, _ in self.calls if name != "list"]


def test_wanted_mapping_carries_only_the_options_given() -> None:
    assert esm.wanted_mapping(ARGS | {"enabled": True}) == {
        "EventSourceArn": QUEUE,
        "Enabled": True,
        "BatchSize": 100,
        "MaximumBatchingWindowInSeconds": 30,
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "ScalingConfig": {"MaximumConcurrency": 2},
    }
    assert esm.wanted_mapping({"event_source_arn": QUEUE}) == {"EventSourceArn": QUEUE, "Enabled": True}
    # 0 removes the concurrency limit (UpdateEventSourceMapping takes an empty ScalingConfig for that)
    assert esm.wanted_mapping({"event_source_arn": QUEUE, "maximum_concurrency": 0})["ScalingConfig"] == {}


@pytest.mark.parametrize(
    ("current", "changes"),
    [
        (deployed(), {}),
        (deployed(BatchSize=10), {"BatchSize": 100}),
        (deployed(MaximumBatchingWindowInSeconds=None), {"MaximumBatchingWindowInSeconds": 30}),
        (deployed(FunctionResponseTypes=[]), {"FunctionResponseTypes": ["ReportBatchItemFailures"]}),
        (deployed(ScalingConfig={}), {"ScalingConfig": {"MaximumConcurrency": 2}}),
        (deployed(ScalingConfig={"MaximumConcurrency": 50}), {"ScalingConfig": {"MaximumConcurrency": 2}}),
        (deployed(State="Disabled"), {"Enabled": True}),
        (deployed(State="Creating"), {}),  # about to poll: not a change
    ],
)
def test_mapping_changes(current: dict, changes: dict) -> None:
    assert esm.mapping_changes(current, esm.wanted_mapping(ARGS | {"enabled": True})) == changes


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"batch_size": 0}, "batch_size must be 1-10000"),
        ({"batch_size": 10001}, "batch_size must be 1-10000"),
        ({"maximum_batching_window_in_seconds": 301}, "maximum_batching_window_in_seconds must be 0-300"),
        ({"maximum_batching_window_in_seconds": 0}, "needs maximum_batching_window_in_seconds of at least 1"),
        ({"maximum_concurrency": 1}, "maximum_concurrency must be 2-1000"),
        ({"maximum_concurrency": 1001}, "maximum_concurrency must be 2-1000"),
    ],
)
def test_out_of_range_options_fail_before_any_call(args: dict, message: str) -> None:
    fake = FakeLambda()
    with pytest.raises(ModuleFail) as failure:
        run_module(esm, ARGS | args, fake)
    assert message in failure.value.result["msg"]
    assert fake.calls == []


def test_creates_the_mapping_then_changes_nothing() -> None:
    fake = FakeLambda()
    first = run_module(esm, ARGS, fake)
    assert first["changed"] is True
    assert fake.writes() == ["create"]
    create = fake.calls[-1][1]
    assert create["FunctionName"] == FUNCTION
    assert create["ScalingConfig"] == {"MaximumConcurrency": 2}
    assert create["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert first["uuid"] == "u-new"
    second = run_module(esm, ARGS, fake)
    assert second["changed"] is False
    assert fake.writes() == ["create"]
    assert second["previous_event_source_mapping"] == second["event_source_mapping"]


def test_check_mode_reports_without_writing_even_without_the_function() -> None:
    fake = FakeLambda(function_exists=False)
    result = run_module(esm, ARGS, fake, check_mode=True, diff=True)
    assert result["changed"] is True
    assert fake.writes() == []
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["BatchSize"] == 100
    drifted = FakeLambda([deployed(BatchSize=10)])
    result = run_module(esm, ARGS, drifted, check_mode=True)
    assert result["changed"] is True and drifted.writes() == []
    assert result["previous_event_source_mapping"]["batch_size"] == 10
    assert result["event_source_mapping"]["batch_size"] == 100


def test_updates_only_what_differs() -> None:
    fake = FakeLambda([deployed(BatchSize=10, ScalingConfig={})])
    result = run_module(esm, ARGS, fake)
    assert result["changed"] is True
    assert fake.calls[-1] == (
        "update",
        {"UUID": "u-1", "BatchSize": 100, "ScalingConfig": {"MaximumConcurrency": 2}},
    )


def test_absent_deletes_every_mapping_of_the_queue_and_is_then_a_no_op() -> None:
    other = deployed(UUID="u-other", EventSourceArn=QUEUE.replace("fast-path", "other"))
    fake = FakeLambda([deployed(), deployed(UUID="u-2"), other])
    result = run_module(esm, {"function_name": FUNCTION, "event_source_arn": QUEUE, "state": "absent"}, fake)
    assert result["changed"] is True
    assert sorted(kw["UUID"] for name, kw in fake.calls if name == "delete") == ["u-1", "u-2"]
    assert [m["UUID"] for m in fake.mappings] == ["u-other"]
    again = run_module(esm, {"function_name": FUNCTION, "event_source_arn": QUEUE, "state": "absent"}, fake)
    assert again["changed"] is False
    gone = FakeLambda(function_exists=False)
    result = run_module(esm, {"function_name": FUNCTION, "event_source_arn": QUEUE, "state": "absent"}, gone)
    assert result["changed"] is False and gone.writes() == []


def test_check_mode_absent_writes_nothing() -> None:
    fake = FakeLambda([deployed()])
    result = run_module(
        esm, {"function_name": FUNCTION, "event_source_arn": QUEUE, "state": "absent"}, fake, check_mode=True
    )
    assert result["changed"] is True
    assert fake.writes() == [] and len(fake.mappings) == 1
