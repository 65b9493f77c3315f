"""bucketguard.visibility.sqs_queue_attributes: pure helpers, and main() over a fake SQS client."""

from __future__ import annotations

from typing import Any

import pytest
from ansible_collections.bucketguard.visibility.plugins.modules import sqs_queue_attributes as sqa
from botocore.exceptions import ClientError

from tests.lib.module_harness import ModuleFail, run_module

URL = "https://sqs.eu-west-3.amazonaws.com/240000000001/bg-dead-letter"


class FakeSQS:
    def __init__(self, queues: dict[str, dict[str, str]] | None = None) -> None:
        self.queues = queues or {}
        self.calls: list[tuple[str, dict]] = []

    def get_queue_url(self, QueueName: str, aws_retry: bool = False) -> dict:
        self.calls.append(("get_queue_url", {"QueueName": QueueName}))
        if QueueName not in self.queues:
            raise ClientError(
                {"Error": {"Code": "AWS.SimpleQueueService.NonExistentQueue", "Message": "no"}}, "GetQueueUrl"
            )
        return {"QueueUrl": URL.replace("bg-dead-letter", QueueName)}

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str], aws_retry: bool = False) -> dict:
        self.calls.append(("get_queue_attributes", {}))
        return {"Attributes": dict(self.queues[QueueUrl.rsplit("/", 1)[1]])}

    def set_queue_attributes(self, QueueUrl: str, Attributes: dict[str, str], aws_retry: bool = False) -> dict:
        self.calls.append(("set_queue_attributes", {"Attributes": Attributes}))
        self.queues[QueueUrl.rsplit("/", 1)[1]].update(Attributes)
        return {}

    def writes(self) -> list[dict]:
        return [kw for name, kw in self.calls if name == "set_queue_attributes"]


def queue(**attrs: Any) -> dict[str, str]:
    base = {
        "QueueArn": "arn:aws:sqs:eu-west-3:240000000001:bg-dead-letter",
        "SqsManagedSseEnabled": "false",
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
        "ApproximateNumberOfMessagesDelayed": "0",
    }
    base.update({k: str(v) for k, v in attrs.items()})
    return base


def test_attributes_to_change_compares_booleans_without_case() -> None:
    assert sqa.attributes_to_change({"SqsManagedSseEnabled": "True"}, {"SqsManagedSseEnabled": "true"}) == {}
    assert sqa.attributes_to_change({"SqsManagedSseEnabled": "false"}, {"SqsManagedSseEnabled": "true"}) == {
        "SqsManagedSseEnabled": "true"
    }
    assert sqa.attributes_to_change({}, {"SqsManagedSseEnabled": "true"}) == {"SqsManagedSseEnabled": "true"}
    assert sqa.as_attribute(True) == "true" and sqa.as_attribute(7) == "7"


def test_message_count_adds_visible_in_flight_and_delayed() -> None:
    attrs = queue(
        ApproximateNumberOfMessages=3, ApproximateNumberOfMessagesNotVisible=2, ApproximateNumberOfMessagesDelayed=1
    )
    assert sqa.message_count(attrs) == 6
    assert sqa.message_count({}) == 0
    assert sqa.message_count({"ApproximateNumberOfMessages": "x"}) == 0


def test_sets_sse_once_then_changes_nothing() -> None:
    fake = FakeSQS({"bg-dead-letter": queue()})
    first = run_module(sqa, {"name": "bg-dead-letter", "attributes": {"SqsManagedSseEnabled": True}}, fake)
    assert first["changed"] is True and first["attributes_set"] == ["SqsManagedSseEnabled"]
    assert fake.writes() == [{"Attributes": {"SqsManagedSseEnabled": "true"}}]
    assert first["attributes"]["SqsManagedSseEnabled"] == "true"
    second = run_module(sqa, {"name": "bg-dead-letter", "attributes": {"SqsManagedSseEnabled": True}}, fake)
    assert second["changed"] is False and len(fake.writes()) == 1


def test_check_mode_writes_nothing_and_a_missing_queue_is_a_would_be_change() -> None:
    fake = FakeSQS({"bg-dead-letter": queue()})
    result = run_module(
        sqa, {"name": "bg-dead-letter", "attributes": {"SqsManagedSseEnabled": True}}, fake, check_mode=True, diff=True
    )
    assert result["changed"] is True and fake.writes() == []
    assert result["diff"] == {"before": {"SqsManagedSseEnabled": "false"}, "after": {"SqsManagedSseEnabled": "true"}}
    missing = run_module(
        sqa, {"name": "bg-new", "attributes": {"SqsManagedSseEnabled": True}}, FakeSQS(), check_mode=True
    )
    assert missing["changed"] is True and missing["exists"] is False


def test_a_reader_counts_messages_and_a_missing_queue_is_not_an_error() -> None:
    fake = FakeSQS({"bg-dead-letter": queue(ApproximateNumberOfMessages=4)})
    result = run_module(sqa, {"name": "bg-dead-letter"}, fake)
    assert result["changed"] is False and result["exists"] is True and result["messages"] == 4
    assert fake.writes() == []
    gone = run_module(sqa, {"name": "bg-gone"}, FakeSQS())
    assert gone == gone | {"changed": False, "exists": False, "messages": 0, "attributes": {}}


def test_setting_on_a_missing_queue_fails_and_settings_of_sqs_queue_are_refused() -> None:
    with pytest.raises(ModuleFail) as failure:
        run_module(sqa, {"name": "bg-gone", "attributes": {"SqsManagedSseEnabled": True}}, FakeSQS())
    assert "does not exist" in failure.value.result["msg"]
    fake = FakeSQS({"bg-dead-letter": queue()})
    with pytest.raises(ModuleFail) as failure:
        run_module(sqa, {"name": "bg-dead-letter", "attributes": {"RedrivePolicy": "{}"}}, fake)
    assert "community.aws.sqs_queue" in failure.value.result["msg"]
    assert fake.calls == []
