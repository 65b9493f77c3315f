"""The notifier_lambda role's buffer queue, dead-letter queue, mapping and dedup table: names, ARNs,
queue settings and the input checks of the first task, templated as Ansible would (no AWS call)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.lib.role_vars import render as render_role_var

ACCOUNT = "240000000001"
HOST_VARS = {
    "aws_region": "eu-west-3",
    "bucketguard_account_id": ACCOUNT,
    "bucketguard_name_prefix": "bg",
    "bucketguard_home_region_name": "eu-west-3",
}


def render(name: str, **overrides: Any) -> Any:
    return render_role_var("notifier_lambda", name, HOST_VARS, **overrides)


def failed(**overrides: Any) -> list[str]:
    """The messages of the checks that fail (what the first task's assert prints)."""
    return [c["msg"] for c in render("__notifier_lambda_checks", **overrides) if not c["ok"]]


def test_names_and_arns_follow_the_design() -> None:
    assert render("notifier_lambda_buffer_queue_name") == "bg-fast-path"
    assert render("notifier_lambda_dead_letter_queue_name") == "bg-dead-letter"
    assert render("notifier_lambda_dead_letter_alarm_name") == "bg-dead-letter-waiting"
    assert render("notifier_lambda_dedup_table_name") == "bg-reported"
    assert render("__notifier_lambda_buffer_queue_arn") == f"arn:aws:sqs:eu-west-3:{ACCOUNT}:bg-fast-path"
    assert render("notifier_lambda_failure_destination_arn") == f"arn:aws:sqs:eu-west-3:{ACCOUNT}:bg-dead-letter"
    assert render("__notifier_lambda_dedup_table_arn") == f"arn:aws:dynamodb:eu-west-3:{ACCOUNT}:table/bg-reported"


def test_the_home_rule_targets_the_buffer_queue_and_other_regions_the_home_bus() -> None:
    assert render("__notifier_lambda_rule_target") == {
        "id": "buffer-queue",
        "arn": f"arn:aws:sqs:eu-west-3:{ACCOUNT}:bg-fast-path",
    }
    elsewhere = render(
        "__notifier_lambda_rule_target", aws_region="us-east-1", bucketguard_home_region_name="eu-west-3"
    )
    assert elsewhere["arn"] == f"arn:aws:events:eu-west-3:{ACCOUNT}:event-bus/default"
    assert "role_arn" in elsewhere


def test_only_the_alarm_may_invoke_the_function() -> None:
    assert [p["sid"] for p in render("__notifier_lambda_permissions")] == ["bucketguard-cloudwatch-alarm"]


def test_queue_settings() -> None:
    # AWS: at least 6 x the function timeout + the batching window
    assert int(render("__notifier_lambda_buffer_visibility_timeout")) == 6 * 60 + 30
    assert int(render("__notifier_lambda_buffer_visibility_timeout", notifier_lambda_timeout=900)) == 5430
    assert render("__notifier_lambda_redrive_policy") == {
        "deadLetterTargetArn": f"arn:aws:sqs:eu-west-3:{ACCOUNT}:bg-dead-letter",
        "maxReceiveCount": 5,
    }
    policy = render("__notifier_lambda_buffer_queue_policy")
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"] == {
        "ArnEquals": {"aws:SourceArn": f"arn:aws:events:eu-west-3:{ACCOUNT}:rule/bg-s3-visibility-change"}
    }


def test_environment_names_the_dedup_table_and_no_longer_the_notifiers_log_group() -> None:
    env = render("__notifier_lambda_environment")
    assert env["BUCKETGUARD_DEDUP_TABLE"] == "bg-reported"
    assert env["BUCKETGUARD_DEDUP_TTL_DAYS"] == "30"
    assert "BUCKETGUARD_NOTIFIER_LOG_GROUP" not in env
    assert all(isinstance(v, str) for v in env.values())


def test_defaults_pass_the_checks() -> None:
    assert failed() == []


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"notifier_lambda_batch_size": 0}, "notifier_lambda_batch_size"),
        ({"notifier_lambda_batch_size": 10001}, "notifier_lambda_batch_size"),
        ({"notifier_lambda_batch_size": "100\n"}, "notifier_lambda_batch_size"),
        ({"notifier_lambda_batch_window_seconds": 301}, "notifier_lambda_batch_window_seconds"),
        ({"notifier_lambda_batch_window_seconds": -1}, "notifier_lambda_batch_window_seconds"),
        ({"notifier_lambda_batch_window_seconds": 0}, "notifier_lambda_batch_window_seconds must be at least 1"),
        ({"notifier_lambda_max_concurrency": 1}, "notifier_lambda_max_concurrency"),
        ({"notifier_lambda_max_concurrency": 1001}, "notifier_lambda_max_concurrency"),
        ({"notifier_lambda_max_receive_count": 0}, "notifier_lambda_max_receive_count"),
        ({"notifier_lambda_dedup_ttl_days": 0}, "notifier_lambda_dedup_ttl_days"),
        ({"notifier_lambda_dedup_ttl_days": "30 days"}, "notifier_lambda_dedup_ttl_days"),
        ({"notifier_lambda_buffer_queue_name": "bad name"}, "notifier_lambda_buffer_queue_name"),
        ({"notifier_lambda_buffer_queue_name": "q\n"}, "notifier_lambda_buffer_queue_name"),
        ({"notifier_lambda_buffer_queue_name": "x" * 81}, "notifier_lambda_buffer_queue_name"),
        ({"notifier_lambda_dead_letter_queue_name": "a.fifo"}, "notifier_lambda_dead_letter_queue_name"),
        (
            {"notifier_lambda_dead_letter_queue_name": "bg-fast-path"},
            "must differ from notifier_lambda_buffer_queue_name",
        ),
        ({"notifier_lambda_dedup_table_name": "ab"}, "notifier_lambda_dedup_table_name"),
        ({"notifier_lambda_dedup_table_name": "a/b"}, "notifier_lambda_dedup_table_name"),
        ({"notifier_lambda_dead_letter_alarm_name": ""}, "notifier_lambda_dead_letter_alarm_name"),
        ({"notifier_lambda_topic_kms_key_arn": "alias/aws/sns"}, "notifier_lambda_topic_kms_key_arn"),
        (
            {"notifier_lambda_failure_destination_arn": "arn:aws:lambda:eu-west-3:1:function:x"},
            "notifier_lambda_failure_destination_arn",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_variable(overrides: dict, variable: str) -> None:
    messages = failed(**overrides)
    # one message per failed check (a bad dead-letter queue name also makes the derived failure
    # destination bad; a negative window also breaks the window-for-batches rule)
    assert 1 <= len(messages) <= 2, messages
    assert any(variable in m for m in messages), messages


def test_small_batches_may_go_without_a_window_and_a_topic_may_still_be_the_failure_destination() -> None:
    assert failed(notifier_lambda_batch_size=10, notifier_lambda_batch_window_seconds=0) == []
    topic = f"arn:aws:sns:eu-west-3:{ACCOUNT}:bg-alerts"
    assert failed(notifier_lambda_failure_destination_arn=topic) == []
    key = f"arn:aws:kms:eu-west-3:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert failed(notifier_lambda_topic_kms_key_arn=key) == []
