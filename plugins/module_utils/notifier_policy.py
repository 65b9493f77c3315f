# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The notifier's IAM policy, action by action (pure; docs/notifier.md "IAM actions used").

No wildcard action; Resource "*" only for the action that takes no resource. One notifier per account, in its
home region: its own log group, the trail's log group, the queues and the dedup table are there. The
``notifier_lambda`` role sets it through the ``notifier_policy`` filter.
"""

from __future__ import annotations

from typing import Any

# What the notifier reads to judge a bucket (bucket_state.read_bucket_state and read_policy_status).
BUCKET_READ_ACTIONS = (
    "s3:GetBucketAcl",
    "s3:GetBucketOwnershipControls",
    "s3:GetBucketPolicy",
    "s3:GetBucketPolicyStatus",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketTagging",
)
BUFFER_QUEUE_ACTIONS = (  # the event source mapping's calls, and the digest window's re-send
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
    "sqs:SendMessage",
)
DEDUP_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)


def _statement(sid: str, actions: list[str] | tuple[str, ...], resource: Any) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": list(actions), "Resource": resource}


def notifier_policy(
    partition: str,
    account_id: str,
    region: str,
    log_group: str,
    trail_log_group: str,
    topic_arn: str,
    failure_destination_arn: str,
    dead_letter_arn: str,
    buffer_queue_arn: str,
    table_arn: str,
    remediate: bool = False,
    topic_kms_key_arn: str = "",
) -> dict[str, Any]:
    """The policy document. ``failure_destination_arn`` is a topic (published to) or a queue (sent to)."""
    logs = f"arn:{partition}:logs:{region}:{account_id}:log-group:"
    failure_is_topic = ":sns:" in failure_destination_arn
    topics = list(dict.fromkeys([topic_arn] + ([failure_destination_arn] if failure_is_topic else [])))
    dead_letters = list(dict.fromkeys([dead_letter_arn] + ([] if failure_is_topic else [failure_destination_arn])))
    buckets = f"arn:{partition}:s3:::*"
    statements = [
        _statement("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [f"{logs}{log_group}:*"]),
        _statement(
            "ReadTrailLogs",
            ["logs:FilterLogEvents"],
            [f"{logs}{trail_log_group}", f"{logs}{trail_log_group}:*"],
        ),
        _statement("ReadBucketExposure", BUCKET_READ_ACTIONS, buckets),
        # GetAccountPublicAccessBlock takes no resource (Service Authorization Reference).
        _statement("ReadAccountPublicAccessBlock", ["s3:GetAccountPublicAccessBlock"], "*"),
    ]
    if remediate:
        statements.append(_statement("RemediateBlockPublicAccess", ["s3:PutBucketPublicAccessBlock"], buckets))
    statements.append(_statement("PublishAlerts", ["sns:Publish"], topics))
    if topic_kms_key_arn:
        statements.append(
            _statement("EncryptAlertsWithTheTopicsKey", ["kms:Decrypt", "kms:GenerateDataKey"], [topic_kms_key_arn])
        )
    statements += [
        _statement("ReadTheBufferQueue", BUFFER_QUEUE_ACTIONS, [buffer_queue_arn]),
        _statement("SendFailedEventsToTheDeadLetterQueue", ["sqs:SendMessage"], dead_letters),
        _statement("RecordReportedEvents", DEDUP_ACTIONS, [table_arn]),
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def hub_notifier_policy(policy: dict[str, Any], partition: str, reader_role_name: str) -> dict[str, Any]:
    """The hub notifier's policy in organisation mode: ``policy`` plus sts:AssumeRole on every account's reader role
    of that one name (the member's trust policy decides who may; docs/organisation.md "Trust chain")."""
    assume = _statement(
        "AssumeMemberReaderRoles", ["sts:AssumeRole"], [f"arn:{partition}:iam::*:role/{reader_role_name}"]
    )
    return {**policy, "Statement": [*policy["Statement"], assume]}
