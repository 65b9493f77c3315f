"""drift.py: the buffer queue, the dead-letter queue, their mapping and the dedup table (verify.yml findings)."""

from __future__ import annotations

import json

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils import drift

DLQ_ARN = "arn:aws:sqs:eu-west-3:240000000001:bg-dead-letter"
RULE_ARN = "arn:aws:events:eu-west-3:240000000001:rule/bg-s3-visibility-change"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "OnlyOurFastPathRuleSends",
            "Effect": "Allow",
            "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": "arn:aws:sqs:eu-west-3:240000000001:bg-fast-path",
            "Condition": {"ArnEquals": {"aws:SourceArn": RULE_ARN}},
        }
    ],
}
WANTED = [
    {"name": "bg-dead-letter", "what": "dead-letter queue", "retention": 1209600, "report_messages": True},
    {
        "name": "bg-fast-path",
        "what": "buffer queue",
        "retention": 345600,
        "visibility_timeout": 390,
        "redrive": {"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 5},
        "policy": POLICY,
    },
]


def found(dlq: dict | None = None, buffer: dict | None = None, waiting: int = 0) -> list[dict]:
    """Two sqs_queue_attributes answers as a loop over the role's queue list registers them."""
    dlq_attrs = {"SqsManagedSseEnabled": "true", "MessageRetentionPeriod": "1209600", **(dlq or {})}
    buffer_attrs = {
        "SqsManagedSseEnabled": "true",
        "MessageRetentionPeriod": "345600",
        "VisibilityTimeout": "390",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 5}),
        # AWS answers with the policy as a string; a single Action may come back as a list
        "Policy": json.dumps({**POLICY, "Statement": [{**POLICY["Statement"][0], "Action": ["sqs:SendMessage"]}]}),
        **(buffer or {}),
    }
    return [
        {"item": {"name": "bg-dead-letter"}, "exists": True, "attributes": dlq_attrs, "messages": waiting},
        {"item": {"name": "bg-fast-path"}, "exists": True, "attributes": buffer_attrs, "messages": 12},
    ]


def test_queues_as_the_role_makes_them_have_no_finding() -> None:
    # messages passing through the buffer queue are normal: only the dead-letter queue's are reported
    assert drift.queue_findings(found(), WANTED) == []


def test_messages_waiting_in_the_dead_letter_queue_are_a_finding() -> None:
    assert drift.queue_findings(found(waiting=3), WANTED) == [
        "3 messages waiting in bg-dead-letter (the dead-letter queue): alerts not reported; "
        "replay them (docs/roles/notifier_lambda.md, Replay the dead-letter queue)"
    ]


@pytest.mark.parametrize(
    ("dlq", "buffer", "expected"),
    [
        ({"SqsManagedSseEnabled": "false"}, {}, "SQS dead-letter queue bg-dead-letter is not encrypted"),
        ({"MessageRetentionPeriod": "345600"}, {}, "keeps messages 345600 s, the role sets 1209600 s"),
        ({}, {"VisibilityTimeout": "30"}, "visibility timeout is 30 s, the role sets 390 s"),
        ({}, {"RedrivePolicy": ""}, "does not send messages received 5 times to " + DLQ_ARN),
        (
            {},
            {"RedrivePolicy": json.dumps({"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 50})},
            "does not send messages received 5 times",
        ),
        ({}, {"Policy": ""}, "SQS buffer queue bg-fast-path policy differs"),
        (
            {},
            {"Policy": json.dumps({**POLICY, "Statement": [{**POLICY["Statement"][0], "Condition": {}}]})},
            "policy differs",
        ),
    ],
)
def test_each_difference_is_named(dlq: dict, buffer: dict, expected: str) -> None:
    findings = drift.queue_findings(found(dlq, buffer), WANTED)
    assert len(findings) == 1 and expected in findings[0], findings


def test_a_kms_encrypted_queue_counts_as_encrypted_and_a_missing_queue_is_named() -> None:
    answer = found({"SqsManagedSseEnabled": "false", "KmsMasterKeyId": "alias/x"})
    assert drift.queue_findings(answer, WANTED) == []
    missing = [found()[0], {"item": {"name": "bg-fast-path"}, "exists": False, "attributes": {}, "messages": 0}]
    assert drift.queue_findings(missing, WANTED) == ["SQS buffer queue bg-fast-path is missing"]
    # a skipped read (other host kinds) or nothing at all: every queue is missing
    assert len(drift.queue_findings([], WANTED)) == 2


MAPPING = {"batch_size": 100, "enabled": True, "scaling_config": {"maximum_concurrency": 2}}


def test_mapping_findings() -> None:
    wanted = {"function": "bg-notifier", "queue": "bg-fast-path"}
    same = {"previous_event_source_mapping": MAPPING, "event_source_mapping": MAPPING}
    assert drift.mapping_findings(same, wanted) == []
    missing = {"previous_event_source_mapping": {}, "event_source_mapping": MAPPING}
    assert drift.mapping_findings(missing, wanted) == [
        "event source mapping from bg-fast-path to bg-notifier is missing: the buffered S3 events are not read"
    ]
    off = {
        "previous_event_source_mapping": {**MAPPING, "enabled": False, "batch_size": 10},
        "event_source_mapping": MAPPING,
    }
    assert drift.mapping_findings(off, wanted) == [
        "event source mapping from bg-fast-path to bg-notifier differs from the role's in batch_size, enabled"
    ]


def test_table_findings() -> None:
    table = {
        "key_schema": [{"attribute_name": "id", "key_type": "HASH"}],
        "attribute_definitions": [{"attribute_name": "id", "attribute_type": "S"}],
        "billing_mode": "PAY_PER_REQUEST",
    }
    assert drift.table_findings(table, {"name": "bg-reported"}) == []
    assert drift.table_findings({}, {"name": "bg-reported"}) == [
        "DynamoDB table bg-reported is missing: the notifier cannot record what it mailed"
    ]
    provisioned = {**table, "billing_mode": "PROVISIONED"}
    assert drift.table_findings(provisioned, {"name": "bg-reported"}) == [
        "DynamoDB table bg-reported billing mode is PROVISIONED, the role sets PAY_PER_REQUEST"
    ]
    numeric = {**table, "attribute_definitions": [{"attribute_name": "id", "attribute_type": "N"}]}
    assert "key is" in drift.table_findings(numeric, {"name": "bg-reported"})[0]
