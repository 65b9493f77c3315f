"""The notifier_lambda role's input checks, names, ARNs, queue settings, policies and the function's environment
(plugins/module_utils/notifier_lambda.py), without AWS.

The role's first task asserts ``notifier_lambda_problems`` is empty (and that the source folder exists) before any
AWS call; everything else comes from ``notifier_lambda_facts``. ``tests/fixtures/roles/notifier_lambda.json`` holds
what the role's Jinja (``roles/notifier_lambda/vars/main.yml``) rendered before the move (issue 11), for the cases
below and more: the functions give the same messages and documents, byte for byte (key order included).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils.notifier_lambda import (
    notifier_lambda_facts,
    notifier_lambda_problems,
)

FIXTURE = json.loads((Path(__file__).resolve().parents[3] / "fixtures" / "roles" / "notifier_lambda.json").read_text())
CASES = FIXTURE["cases"]
ACCOUNT = "240000000001"
# The role's inputs with its defaults, for account 240000000001, home region eu-west-3 and the prefix "bg".
DEFAULTS = CASES[0]["inputs"]
# Host variables that only feed a notifier_lambda_* default (roles/notifier_lambda/defaults/main.yml).
FEEDS = {
    "bucketguard_central_topic_arn": "notifier_lambda_central_topic_arn",
    "bucketguard_account_name": "notifier_lambda_account_name",
    "bucketguard_home_region_name": "notifier_lambda_home_region_name",
}


def _split(overrides: dict[str, Any]) -> tuple[dict[str, Any], str]:
    inputs = {**DEFAULTS, **{FEEDS.get(k, k): v for k, v in overrides.items() if k != "aws_region"}}
    return inputs, overrides.get("aws_region", "eu-west-3")


def render(name: str, **overrides: Any) -> Any:
    """One computed value (``__notifier_lambda_<name>`` in the role) for the defaults and ``overrides``."""
    inputs, region = _split(overrides)
    return notifier_lambda_facts(inputs, partition="aws", region=region)[name]


def failed(**overrides: Any) -> list[str]:
    """The input problems (what the first task's assert prints)."""
    inputs, region = _split(overrides)
    return notifier_lambda_problems(inputs, region=region)


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_same_messages_and_documents_as_the_roles_jinja(case: dict[str, Any]) -> None:
    assert notifier_lambda_problems(case["inputs"], region=case["region"]) == case["problems"]
    if "facts" in case:
        got = notifier_lambda_facts(case["inputs"], partition=case["partition"], region=case["region"])
        for name, wanted in case["facts"].items():
            assert json.dumps(got[name]) == json.dumps(wanted), name


def test_names_and_arns_follow_the_design() -> None:
    assert DEFAULTS["notifier_lambda_buffer_queue_name"] == "bg-fast-path"
    assert DEFAULTS["notifier_lambda_dead_letter_queue_name"] == "bg-dead-letter"
    assert DEFAULTS["notifier_lambda_dead_letter_alarm_name"] == "bg-dead-letter-waiting"
    assert DEFAULTS["notifier_lambda_dedup_table_name"] == "bg-reported"
    assert render("buffer_queue_arn") == f"arn:aws:sqs:eu-west-3:{ACCOUNT}:bg-fast-path"
    assert DEFAULTS["notifier_lambda_failure_destination_arn"] == f"arn:aws:sqs:eu-west-3:{ACCOUNT}:bg-dead-letter"
    assert render("dedup_table_arn") == f"arn:aws:dynamodb:eu-west-3:{ACCOUNT}:table/bg-reported"


def test_the_home_rule_targets_the_buffer_queue_and_other_regions_the_home_bus() -> None:
    assert render("rule_target") == {
        "id": "buffer-queue",
        "arn": f"arn:aws:sqs:eu-west-3:{ACCOUNT}:bg-fast-path",
    }
    elsewhere = render("rule_target", aws_region="us-east-1", bucketguard_home_region_name="eu-west-3")
    assert elsewhere["arn"] == f"arn:aws:events:eu-west-3:{ACCOUNT}:event-bus/default"
    assert "role_arn" in elsewhere


def test_only_the_alarm_may_invoke_the_function() -> None:
    assert [p["sid"] for p in render("permissions")] == ["bucketguard-cloudwatch-alarm"]


def test_queue_settings() -> None:
    # AWS: at least 6 x the function timeout + the batching window
    assert int(render("buffer_visibility_timeout")) == 6 * 60 + 30
    assert int(render("buffer_visibility_timeout", notifier_lambda_timeout=900)) == 5430
    assert render("redrive_policy") == {
        "deadLetterTargetArn": f"arn:aws:sqs:eu-west-3:{ACCOUNT}:bg-dead-letter",
        "maxReceiveCount": 5,
    }
    policy = render("buffer_queue_policy")
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"] == {
        "ArnEquals": {"aws:SourceArn": f"arn:aws:events:eu-west-3:{ACCOUNT}:rule/bg-s3-visibility-change"}
    }


def test_environment_names_the_dedup_table_and_no_longer_the_notifiers_log_group() -> None:
    env = render("environment")
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


def policy_of(**overrides: Any) -> dict:
    """The notifier role's policy (``__notifier_lambda_policy``, from notifier_policy.py)."""
    return render("policy", **overrides)


def actions(policy: dict) -> list[str]:
    found = []
    for statement in policy["Statement"]:
        action = statement["Action"]
        found.extend([action] if isinstance(action, str) else action)
    return found


CENTRAL = "arn:aws:sns:eu-west-1:240000000099:fleet-alerts"
COMBINATIONS = list(itertools.product([False, True], ["", CENTRAL], [False, True]))


@pytest.fixture(params=COMBINATIONS, ids=lambda c: f"remediate={c[0]},central={bool(c[1])},fast_path={c[2]}")
def case(request):
    remediate, central, fast_path = request.param
    inputs = {
        "notifier_lambda_remediate": remediate,
        "notifier_lambda_fast_path": fast_path,
        "bucketguard_central_topic_arn": central,
    }
    return request.param, policy_of(**inputs)


def test_no_wildcard_action(case):
    _, policy = case
    for action in actions(policy):
        assert "*" not in action, f"wildcard action {action!r}"
        assert ":" in action
    assert all(s["Effect"] == "Allow" for s in policy["Statement"])
    assert all("NotAction" not in s and "NotResource" not in s for s in policy["Statement"])


def test_resource_star_only_where_the_action_takes_no_resource(case):
    _, policy = case
    star = [s for s in policy["Statement"] if s["Resource"] in ("*", ["*"])]
    assert [a for s in star for a in s["Action"]] == ["s3:GetAccountPublicAccessBlock"]


def test_remediation_only_when_asked(case):
    (remediate, _, _), policy = case
    assert ("s3:PutBucketPublicAccessBlock" in actions(policy)) is remediate


def test_publishes_to_the_central_topic_when_given(case):
    (_, central, _), policy = case
    publish = [s for s in policy["Statement"] if "sns:Publish" in s["Action"]]
    assert len(publish) == 1
    own = f"arn:aws:sns:eu-west-3:{ACCOUNT}:bg-alerts"
    # The on-failure destination is the dead-letter queue now, not the account's topic.
    assert publish[0]["Resource"] == ([central] if central else [own])


def test_reads_the_trail_and_its_own_logs(case):
    _, policy = case
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["ReadTrailLogs"]["Resource"] == [
        f"arn:aws:logs:eu-west-3:{ACCOUNT}:log-group:/bg/cloudtrail",
        f"arn:aws:logs:eu-west-3:{ACCOUNT}:log-group:/bg/cloudtrail:*",
    ]
    # One notifier per account, in its home region: its own log group is there.
    assert by_sid["WriteOwnLogs"]["Resource"] == [
        f"arn:aws:logs:eu-west-3:{ACCOUNT}:log-group:/aws/lambda/bg-notifier:*"
    ]
    # The dedup record is the DynamoDB table now: anyone who can write a log line could forge a
    # "reported" line, so the notifier no longer reads its own logs, whatever the fast path.
    assert "ReadOwnLogsToSkipFastPathEvents" not in by_sid
    assert by_sid["ReadTrailLogs"]["Action"] == ["logs:FilterLogEvents"]


def test_the_queues_and_the_dedup_table_each_get_only_their_actions(case):
    _, policy = case
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["ReadTheBufferQueue"] == {
        "Sid": "ReadTheBufferQueue",
        "Effect": "Allow",
        "Action": [
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
            "sqs:ReceiveMessage",
            "sqs:SendMessage",  # a batch inside the digest window goes back to this queue, delayed
        ],
        "Resource": [f"arn:aws:sqs:eu-west-3:{ACCOUNT}:bg-fast-path"],
    }
    assert by_sid["SendFailedEventsToTheDeadLetterQueue"]["Action"] == ["sqs:SendMessage"]
    assert by_sid["SendFailedEventsToTheDeadLetterQueue"]["Resource"] == [
        f"arn:aws:sqs:eu-west-3:{ACCOUNT}:bg-dead-letter"
    ]
    assert by_sid["RecordReportedEvents"]["Resource"] == [f"arn:aws:dynamodb:eu-west-3:{ACCOUNT}:table/bg-reported"]
    assert sorted(by_sid["RecordReportedEvents"]["Action"]) == [
        "dynamodb:BatchGetItem",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ]
    assert "EncryptAlertsWithTheTopicsKey" not in by_sid


def test_kms_on_the_topics_key_only_when_it_is_customer_managed():
    key = f"arn:aws:kms:eu-west-3:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    by_sid = {s["Sid"]: s for s in policy_of(notifier_lambda_topic_kms_key_arn=key)["Statement"]}
    assert by_sid["EncryptAlertsWithTheTopicsKey"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert by_sid["EncryptAlertsWithTheTopicsKey"]["Resource"] == [key]
    by_sid = {s["Sid"]: s for s in policy_of(notifier_lambda_topic_kms_key_arn="")["Statement"]}
    assert "EncryptAlertsWithTheTopicsKey" not in by_sid


def test_a_topic_as_failure_destination_is_published_to_not_sent_to():
    topic = f"arn:aws:sns:eu-west-3:{ACCOUNT}:bg-alerts"
    by_sid = {s["Sid"]: s for s in policy_of(notifier_lambda_failure_destination_arn=topic)["Statement"]}
    assert by_sid["PublishAlerts"]["Resource"] == [topic]
    assert by_sid["SendFailedEventsToTheDeadLetterQueue"]["Resource"] == [
        f"arn:aws:sqs:eu-west-3:{ACCOUNT}:bg-dead-letter"
    ]


def test_expected_actions_exactly():
    policy = policy_of(notifier_lambda_remediate=True)
    assert sorted(set(actions(policy))) == sorted(
        [
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "logs:FilterLogEvents",
            "s3:GetBucketAcl",
            "s3:GetBucketOwnershipControls",
            "s3:GetBucketPolicy",
            "s3:GetBucketPolicyStatus",
            "s3:GetBucketPublicAccessBlock",
            "s3:GetBucketTagging",
            "s3:GetAccountPublicAccessBlock",
            "s3:PutBucketPublicAccessBlock",
            "sns:Publish",
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
            "sqs:ReceiveMessage",
            "sqs:SendMessage",
            "dynamodb:BatchGetItem",
            "dynamodb:DeleteItem",
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
        ]
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [({}, {}), ({"bucketguard_account_name": "prod-web"}, {ACCOUNT: "prod-web"})],
)
def test_environment_names_the_account(extra: dict, expected: dict) -> None:
    environment = render("environment", **extra)
    value = environment["BUCKETGUARD_ACCOUNT_NAMES"]
    assert isinstance(value, str)  # Lambda's type, and what amazon.aws.lambda compares
    assert json.loads(value) == expected
    from bucketguard_notifier import message

    assert message.parse_account_names(value) == expected  # what the notifier accepts


@pytest.mark.parametrize("name", ["x" * 51, ["prod"]])
def test_a_bad_name_is_refused_naming_the_variable(name):
    messages = failed(bucketguard_account_name=name)
    assert any(m.startswith("notifier_lambda_account_name must be a name of at most 50 characters") for m in messages)


def test_a_good_name_passes_the_checks():
    assert not [m for m in failed(bucketguard_account_name="prod-web") if "account_name" in m]


# --------------------------------------------------------------------------- organisation (hub) mode

HUB, MEMBER, LOGS = "240000000001", "240000000002", "240000000003"
HUB_VIEW = {
    "hub_account_id": HUB,
    "hub_region": "eu-west-3",
    "organization_id": "o-abcdefghij",
    "partition": "aws",
    "members": [MEMBER, LOGS],
    "log_accounts": {LOGS: "aws-controltower/CloudTrailLogs"},
    "bus_arn": f"arn:aws:events:eu-west-3:{HUB}:event-bus/default",
}


def hub_facts_of(account: str, region: str = "eu-west-3", hub: dict | None = None) -> dict[str, Any]:
    inputs = {**DEFAULTS, "notifier_lambda_account_id": account}
    return notifier_lambda_facts(inputs, "aws", region, hub=HUB_VIEW if hub is None else hub, prefix="bg")


def test_standalone_wants_exactly_the_standalone_values() -> None:
    facts = hub_facts_of(HUB, hub={})
    assert facts["hub_mode"] is False
    assert facts["wanted_policy"] == facts["policy"]
    assert facts["wanted_queue_policy"] == facts["buffer_queue_policy"]
    assert facts["wanted_environment"] == facts["environment"]
    assert not any(k.startswith("BUCKETGUARD_READER") for k in facts["wanted_environment"])


def test_the_hub_lets_both_rules_send_assumes_the_readers_and_names_the_log_accounts() -> None:
    facts = hub_facts_of(HUB)
    assert facts["hub_mode"] is True
    condition = facts["wanted_queue_policy"]["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert condition == [
        f"arn:aws:events:eu-west-3:{HUB}:rule/bg-s3-visibility-change",
        f"arn:aws:events:eu-west-3:{HUB}:rule/bg-alarm-state",
    ]
    assume = [s for s in facts["wanted_policy"]["Statement"] if s["Action"] == ["sts:AssumeRole"]]
    assert assume and assume[0]["Resource"] == ["arn:aws:iam::*:role/bg-reader"]
    env = facts["wanted_environment"]
    assert env["BUCKETGUARD_HOME_ACCOUNT"] == HUB and env["BUCKETGUARD_READER_ROLE"] == "bg-reader"
    assert json.loads(env["BUCKETGUARD_LOG_ACCOUNTS"]) == {LOGS: "aws-controltower/CloudTrailLogs"}
    assert facts["alarm_state_accounts"] == [LOGS]


def test_a_member_forwards_to_the_hub_bus_and_its_reader_trusts_only_the_hub_notifier() -> None:
    facts = hub_facts_of(MEMBER, region="us-east-1")
    assert facts["member_target"] == {
        "id": "hub-event-bus",
        "arn": HUB_VIEW["bus_arn"],
        "role_arn": f"arn:aws:iam::{MEMBER}:role/bg-event-forwarder",
    }
    forwarder, reader = facts["member_roles"]
    assert forwarder["policy"]["Statement"][0]["Resource"] == HUB_VIEW["bus_arn"]
    assert reader["name"] == "bg-reader"
    trust = reader["trust"]["Statement"][0]
    assert trust["Principal"] == {"AWS": f"arn:aws:iam::{HUB}:root"}
    assert trust["Condition"]["ArnEquals"]["aws:PrincipalArn"] == f"arn:aws:iam::{HUB}:role/bg-notifier-role"
    assert trust["Condition"]["StringEquals"]["aws:PrincipalOrgID"] == "o-abcdefghij"
    assert not any("logs:" in a for s in reader["policy"]["Statement"] for a in s["Action"])  # not a log account


def test_the_log_accounts_reader_may_read_its_log_group_and_its_alarms_are_forwarded() -> None:
    facts = hub_facts_of(LOGS)
    reader = facts["member_roles"][1]
    logs = [s for s in reader["policy"]["Statement"] if any(a.startswith("logs:") for a in s["Action"])]
    assert logs and all(a == "logs:FilterLogEvents" for a in logs[0]["Action"])
    assert any("log-group:aws-controltower/CloudTrailLogs" in r for r in logs[0]["Resource"])
    assert facts["log_alarm_arns"] == [
        f"arn:aws:cloudwatch:eu-west-3:{LOGS}:alarm:{DEFAULTS['notifier_lambda_visibility_alarm_name']}",
        f"arn:aws:cloudwatch:eu-west-3:{LOGS}:alarm:bg-trail-heartbeat",
        f"arn:aws:cloudwatch:eu-west-3:{LOGS}:alarm:bg-tamper",
    ]
