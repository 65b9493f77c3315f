"""The notifier's IAM policy as the role renders it (its ``__notifier_lambda_policy``, from
plugins/module_utils/notifier_policy.py through the notifier_policy filter), for every combination of
remediation, central topic and fast path.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from tests.lib.role_vars import render

ROLE = Path(__file__).resolve().parents[3] / "roles" / "notifier_lambda"
ACCOUNT = "240000000001"
CENTRAL = "arn:aws:sns:eu-west-1:240000000099:fleet-alerts"


def render_policy(**inputs) -> dict:
    host_vars = {
        "aws_region": "eu-west-3",
        "bucketguard_account_id": ACCOUNT,
        "bucketguard_name_prefix": "bg",
        "bucketguard_home_region_name": "eu-west-3",
    }
    return json.loads(json.dumps(render("notifier_lambda", "__notifier_lambda_policy", {**host_vars, **inputs})))


def actions(policy: dict) -> list[str]:
    found = []
    for statement in policy["Statement"]:
        action = statement["Action"]
        found.extend([action] if isinstance(action, str) else action)
    return found


COMBINATIONS = list(itertools.product([False, True], ["", CENTRAL], [False, True]))


@pytest.fixture(params=COMBINATIONS, ids=lambda c: f"remediate={c[0]},central={bool(c[1])},fast_path={c[2]}")
def case(request):
    remediate, central, fast_path = request.param
    inputs = {
        "notifier_lambda_remediate": remediate,
        "notifier_lambda_fast_path": fast_path,
        "bucketguard_central_topic_arn": central,
    }
    return request.param, render_policy(**inputs)


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
    by_sid = {s["Sid"]: s for s in render_policy(notifier_lambda_topic_kms_key_arn=key)["Statement"]}
    assert by_sid["EncryptAlertsWithTheTopicsKey"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert by_sid["EncryptAlertsWithTheTopicsKey"]["Resource"] == [key]
    # the sns role's key, when the inventory gives it as a key ARN; an alias is not a resource IAM matches
    by_sid = {s["Sid"]: s for s in render_policy(sns_kms_key_id=key)["Statement"]}
    assert by_sid["EncryptAlertsWithTheTopicsKey"]["Resource"] == [key]
    by_sid = {s["Sid"]: s for s in render_policy(sns_kms_key_id="alias/aws/sns")["Statement"]}
    assert "EncryptAlertsWithTheTopicsKey" not in by_sid


def test_a_topic_as_failure_destination_is_published_to_not_sent_to():
    topic = f"arn:aws:sns:eu-west-3:{ACCOUNT}:bg-alerts"
    by_sid = {s["Sid"]: s for s in render_policy(notifier_lambda_failure_destination_arn=topic)["Statement"]}
    assert by_sid["PublishAlerts"]["Resource"] == [topic]
    assert by_sid["SendFailedEventsToTheDeadLetterQueue"]["Resource"] == [
        f"arn:aws:sqs:eu-west-3:{ACCOUNT}:bg-dead-letter"
    ]


def test_expected_actions_exactly():
    policy = render_policy(notifier_lambda_remediate=True)
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
