# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The deployer role's permissions, written once (pure, standard library).

The role that ``deploy.yml``, ``verify.yml``, ``teardown.yml`` and ``audit.yml`` assume
(``bucketguard_assume_role_arn``) may do what the modules our roles and playbooks call need, and nothing
else. Two tables, both DATA:

- ``MODULE_ACTIONS``: every module (FQCN) used in ``roles/*/tasks/*.yml`` and ``playbooks/**/*.yml``, and
  the IAM actions it calls. Derived by reading the module sources (the boto3 calls each makes, amazon.aws
  11.4 / community.aws 11 and ours), NOT checked against real AWS: an action a module needs only on a
  path we do not use may be missing, and AWS may want one more than the API name suggests.
- ``STATEMENTS``: the policy, grouped by resource. ``{prefix}`` is ``bucketguard_name_prefix``.

From them: ``policy_document(prefix)`` (shipped rendered as ``files/iam/deployer-policy.json``, and in
``files/iam/deployer-role.cfn.yml``), ``trust_policy(principal, external_id)``, and ``is_allowed`` — a small
IAM evaluator (Allow statements only, ``*``/``?`` wildcards in actions and resources) that the unit test
uses to fail when a role calls a module whose actions the policy does not allow.
``scripts/render_deployer_policy.py`` writes the shipped files; a test checks that they are current.
"""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

DEFAULT_PREFIX = "bucketguard"
DEPLOYER_ROLE_NAME = "bucketguard-deployer"
POLICY_NAME = "bucketguard-deployer"

# --------------------------------------------------------------------------- modules -> IAM actions

# Modules that run with the caller's own credentials (the AWX credential), before the role is assumed:
# their actions belong to the caller's policy (docs/deployer.md), not to the deployer role's.
CALLER_MODULES = ("amazon.aws.sts_assume_role",)

# Modules that make no AWS call (they run on the controller, or only compute).
LOCAL_MODULES = (
    "ansible.builtin.assert",
    "ansible.builtin.command",
    "ansible.builtin.debug",
    "ansible.builtin.fail",
    "ansible.builtin.group_by",
    "ansible.builtin.import_playbook",
    "ansible.builtin.import_role",
    "ansible.builtin.import_tasks",
    "ansible.builtin.include_tasks",
    "ansible.builtin.set_fact",
    "ansible.builtin.set_stats",
    "ansible.builtin.validate_argument_spec",
    "bucketguard.visibility.compare",  # compares two values on the controller (check mode's diff)
    "bucketguard.visibility.lambda_zip",  # builds the zip on the controller
    "bucketguard.visibility.s3_exposure_report",  # writes the report files on the controller
)

_IAM_ROLE_READ = (
    "iam:GetRole",
    "iam:ListRoleTags",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:ListInstanceProfilesForRole",
)

# amazon.aws.iam_role without create_instance_profile: false also makes (and on delete removes) an
# instance profile of the role's name (deprecated upstream default; the notifier's roles still use it).
MODULE_ACTIONS: dict[str, tuple[str, ...]] = {
    "amazon.aws.sts_assume_role": ("sts:AssumeRole",),
    "amazon.aws.cloudtrail": (
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:CreateTrail",
        "cloudtrail:UpdateTrail",
        "cloudtrail:DeleteTrail",
        "cloudtrail:StartLogging",
        "cloudtrail:StopLogging",
        "cloudtrail:AddTags",
        "cloudtrail:RemoveTags",
        "cloudtrail:ListTags",
        "kms:ListAliases",
        "iam:PassRole",  # the trail's CloudWatch Logs role
    ),
    "amazon.aws.cloudtrail_info": (
        "cloudtrail:ListTrails",
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:ListTags",
    ),
    "bucketguard.visibility.cloudtrail_event_selectors": (
        "cloudtrail:GetEventSelectors",
        "cloudtrail:PutEventSelectors",
    ),
    "amazon.aws.s3_bucket": (
        "s3:ListAllMyBuckets",
        "s3:CreateBucket",
        "s3:DeleteBucket",
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "s3:GetBucketLocation",
        "s3:GetBucketAcl",
        "s3:PutBucketAcl",
        "s3:GetBucketPolicy",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:GetBucketTagging",
        "s3:PutBucketTagging",
        "s3:GetBucketVersioning",
        "s3:PutBucketVersioning",
        "s3:GetEncryptionConfiguration",
        "s3:PutEncryptionConfiguration",
        "s3:GetBucketPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
        "s3:GetBucketOwnershipControls",
        "s3:PutBucketOwnershipControls",
        "s3:GetBucketObjectLockConfiguration",
        "s3:GetBucketRequestPayment",
        "s3:GetAccelerateConfiguration",
        "s3:GetBucketLogging",
        "s3:GetInventoryConfiguration",
        "s3:PutBucketLogging",  # trail_access_logging: the log bucket's server access logs
        "s3:PutBucketObjectLockConfiguration",  # trail_object_lock_mode (with PutBucketVersioning at creation)
        "s3:DeleteObject",  # force: true (teardown with purge) empties the bucket
        "s3:DeleteObjectVersion",
    ),
    # trail_kms_key_create: the audit data's customer-managed key, found by its alias (list_aliases, list_keys).
    "amazon.aws.kms_key": (
        "kms:ListAliases",
        "kms:ListKeys",
        "kms:ListKeyPolicies",
        "kms:ListGrants",
        "kms:ListResourceTags",
        "kms:DescribeKey",
        "kms:GetKeyPolicy",
        "kms:GetKeyRotationStatus",
        "kms:CreateKey",
        "kms:CreateAlias",
        "kms:PutKeyPolicy",
        "kms:EnableKeyRotation",
        "kms:DisableKeyRotation",
        "kms:EnableKey",
        "kms:DisableKey",
        "kms:UpdateKeyDescription",
        "kms:TagResource",
        "kms:UntagResource",
        "kms:ScheduleKeyDeletion",  # only with trail_purge_logs and trail_kms_key_delete
        "kms:CancelKeyDeletion",
    ),
    "community.aws.s3_lifecycle": (
        "s3:GetLifecycleConfiguration",
        "s3:PutLifecycleConfiguration",  # also DeleteBucketLifecycle's permission
    ),
    "amazon.aws.cloudwatchlogs_log_group": (
        "logs:DescribeLogGroups",
        "logs:CreateLogGroup",
        "logs:DeleteLogGroup",
        "logs:PutRetentionPolicy",
        "logs:DeleteRetentionPolicy",
        "logs:ListTagsLogGroup",
        "logs:TagLogGroup",
        "logs:UntagLogGroup",
        "logs:ListTagsForResource",
        "logs:TagResource",
        "logs:UntagResource",
    ),
    "amazon.aws.cloudwatchlogs_log_group_info": ("logs:DescribeLogGroups", "logs:ListTagsLogGroup"),
    "amazon.aws.cloudwatchlogs_log_group_metric_filter": (
        "logs:DescribeMetricFilters",
        "logs:PutMetricFilter",
        "logs:DeleteMetricFilter",
    ),
    "bucketguard.visibility.cloudwatchlogs_test_metric_filter": ("logs:TestMetricFilter",),
    "bucketguard.visibility.cloudwatchlogs_metric_filter_info": ("logs:DescribeMetricFilters",),
    "amazon.aws.cloudwatch_metric_alarm": (
        "cloudwatch:DescribeAlarms",
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:DeleteAlarms",
    ),
    "amazon.aws.cloudwatch_metric_alarm_info": ("cloudwatch:DescribeAlarms",),
    "bucketguard.visibility.cloudwatch_dashboard": (
        "cloudwatch:GetDashboard",
        "cloudwatch:PutDashboard",
        "cloudwatch:DeleteDashboards",
    ),
    "bucketguard.visibility.cloudwatch_dashboard_info": ("cloudwatch:ListDashboards", "cloudwatch:GetDashboard"),
    # Our rule module: DescribeEventBus only for a bus other than "default", the tag calls only with its
    # tags option; our roles use neither (tests/unit/test_deployer_policy.py UNUSED).
    "bucketguard.visibility.events_rule": (
        "events:DescribeRule",
        "events:PutRule",
        "events:DeleteRule",
        "events:ListTargetsByRule",
        "events:PutTargets",
        "events:RemoveTargets",
        "iam:PassRole",  # the forwarder role of the other regions' rules
    ),
    # Organisation mode: the hub bus policy (hub account only) and the member accounts' roles.
    "bucketguard.visibility.event_bus_policy": (
        "events:DescribeEventBus",
        "events:PutPermission",
        "events:RemovePermission",
    ),
    "bucketguard.visibility.iam_role_with_policy": (
        "iam:GetRole",
        "iam:ListRolePolicies",
        "iam:GetRolePolicy",
        "iam:ListRoleTags",
        "iam:CreateRole",
        "iam:UpdateAssumeRolePolicy",
        "iam:UpdateRole",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:PutRolePolicy",
        "iam:DeleteRolePolicy",
        "iam:DeleteRole",
    ),
    "amazon.aws.iam_role": (
        *_IAM_ROLE_READ,
        "iam:CreateRole",
        "iam:UpdateRole",
        "iam:UpdateAssumeRolePolicy",
        "iam:DeleteRole",
        "iam:TagRole",
        "iam:UntagRole",
        "iam:DeleteRolePolicy",
        "iam:DetachRolePolicy",
        "iam:GetInstanceProfile",
        "iam:CreateInstanceProfile",
        "iam:DeleteInstanceProfile",
        "iam:AddRoleToInstanceProfile",
        "iam:RemoveRoleFromInstanceProfile",
        "iam:TagInstanceProfile",
    ),
    "amazon.aws.iam_role_info": _IAM_ROLE_READ,
    "amazon.aws.iam_policy": (
        "iam:ListRolePolicies",
        "iam:GetRolePolicy",
        "iam:PutRolePolicy",
        "iam:DeleteRolePolicy",
    ),
    "amazon.aws.lambda": (
        "lambda:GetFunction",
        "lambda:CreateFunction",
        "lambda:UpdateFunctionCode",
        "lambda:UpdateFunctionConfiguration",
        "lambda:DeleteFunction",
        "lambda:ListTags",
        "lambda:TagResource",
        "lambda:UntagResource",
        "iam:PassRole",  # the notifier's execution role
    ),
    "amazon.aws.lambda_info": (
        "lambda:ListFunctions",
        "lambda:GetFunction",
        "lambda:GetFunctionConfiguration",
        "lambda:GetPolicy",
    ),
    "amazon.aws.lambda_policy": ("lambda:GetPolicy", "lambda:AddPermission", "lambda:RemovePermission"),
    "amazon.aws.lambda_execute": ("lambda:InvokeFunction", "lambda:GetFunction"),
    "bucketguard.visibility.lambda_event_source_mapping": (
        "lambda:ListEventSourceMappings",
        "lambda:CreateEventSourceMapping",
        "lambda:UpdateEventSourceMapping",
        "lambda:DeleteEventSourceMapping",
    ),
    "community.aws.sqs_queue": (
        "sqs:GetQueueUrl",
        "sqs:CreateQueue",
        "sqs:GetQueueAttributes",
        "sqs:SetQueueAttributes",
        "sqs:DeleteQueue",
        "sqs:ListQueueTags",
        "sqs:TagQueue",
        "sqs:UntagQueue",
    ),
    "bucketguard.visibility.sqs_queue_attributes": (
        "sqs:GetQueueUrl",
        "sqs:GetQueueAttributes",
        "sqs:SetQueueAttributes",
    ),
    "community.aws.dynamodb_table": (
        "dynamodb:DescribeTable",
        "dynamodb:CreateTable",
        "dynamodb:UpdateTable",
        "dynamodb:DeleteTable",
        "dynamodb:ListTagsOfResource",
        "dynamodb:TagResource",
        "dynamodb:UntagResource",
    ),
    "community.aws.dynamodb_table_info": ("dynamodb:DescribeTable", "dynamodb:ListTagsOfResource"),
    "community.aws.dynamodb_ttl": ("dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive"),
    "bucketguard.visibility.lambda_event_invoke_config": (
        "lambda:GetFunctionEventInvokeConfig",
        "lambda:PutFunctionEventInvokeConfig",
        "lambda:DeleteFunctionEventInvokeConfig",
    ),
    "community.aws.sns_topic": (
        "sns:ListTopics",
        "sns:CreateTopic",
        "sns:DeleteTopic",
        "sns:GetTopicAttributes",
        "sns:SetTopicAttributes",
        "sns:ListSubscriptionsByTopic",
        "sns:Subscribe",
        "sns:Unsubscribe",
        "sns:GetSubscriptionAttributes",
        "sns:SetSubscriptionAttributes",
        "sns:ListTagsForResource",
        "sns:TagResource",
        "sns:UntagResource",
    ),
    "community.aws.sns_topic_info": (
        "sns:ListTopics",
        "sns:GetTopicAttributes",
        "sns:ListSubscriptionsByTopic",
        "sns:ListTagsForResource",
    ),
    "bucketguard.visibility.sns_topic_attributes": ("sns:GetTopicAttributes", "sns:SetTopicAttributes"),
    "community.aws.sns": ("sns:Publish",),
    "bucketguard.visibility.s3_exposure_audit": (
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation",
        "s3:GetBucketAcl",
        "s3:GetBucketPolicy",
        "s3:GetBucketPolicyStatus",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketOwnershipControls",
        "s3:GetBucketTagging",
        "s3:GetAccountPublicAccessBlock",
    ),
}

# --------------------------------------------------------------------------- the policy

# Each statement: Sid, actions, resources (``{prefix}`` is the name prefix), optional condition.
# Only actions that take no resource (or that must read every bucket, for the audit) are on "*".
_PASSED_TO = ["cloudtrail.amazonaws.com", "events.amazonaws.com", "lambda.amazonaws.com"]

STATEMENTS: tuple[dict[str, Any], ...] = (
    {
        "Sid": "ReadOnlyWithoutResource",
        "Action": [
            "cloudtrail:DescribeTrails",
            "cloudtrail:ListTrails",
            "cloudwatch:DescribeAlarms",
            "cloudwatch:ListDashboards",
            "kms:CreateKey",
            "kms:ListAliases",
            "kms:ListKeys",
            "lambda:ListEventSourceMappings",
            "lambda:ListFunctions",
            "logs:DescribeLogGroups",
            "logs:TestMetricFilter",
            "sns:ListTopics",
        ],
        "Resource": ["*"],
    },
    {
        "Sid": "AuditReadEveryBucket",
        "Action": [
            "s3:GetAccountPublicAccessBlock",
            "s3:GetBucketAcl",
            "s3:GetBucketLocation",
            "s3:GetBucketOwnershipControls",
            "s3:GetBucketPolicy",
            "s3:GetBucketPolicyStatus",
            "s3:GetBucketPublicAccessBlock",
            "s3:GetBucketTagging",
            "s3:ListAllMyBuckets",
        ],
        "Resource": ["*"],
    },
    {
        "Sid": "TrailLogBucket",
        "Action": [
            "s3:CreateBucket",
            "s3:DeleteBucket",
            "s3:DeleteBucketPolicy",
            "s3:GetAccelerateConfiguration",
            "s3:GetBucketLogging",
            "s3:GetBucketObjectLockConfiguration",
            "s3:GetBucketRequestPayment",
            "s3:GetBucketVersioning",
            "s3:GetEncryptionConfiguration",
            "s3:GetInventoryConfiguration",
            "s3:GetLifecycleConfiguration",
            "s3:ListBucket",
            "s3:ListBucketVersions",
            "s3:PutBucketAcl",
            "s3:PutBucketLogging",
            "s3:PutBucketObjectLockConfiguration",
            "s3:PutBucketOwnershipControls",
            "s3:PutBucketPolicy",
            "s3:PutBucketPublicAccessBlock",
            "s3:PutBucketTagging",
            "s3:PutBucketVersioning",
            "s3:PutEncryptionConfiguration",
            "s3:PutLifecycleConfiguration",
        ],
        "Resource": ["arn:aws:s3:::{prefix}-cloudtrail-*"],
    },
    # A key's ARN holds a random id, unknown until CreateKey: the key actions cannot name our key. The alias
    # can (CreateAlias needs both); tighten further with a kms:ResourceAliases condition if you wish.
    {
        "Sid": "AuditDataKey",
        "Action": [
            "kms:CancelKeyDeletion",
            "kms:CreateAlias",
            "kms:DescribeKey",
            "kms:DisableKey",
            "kms:DisableKeyRotation",
            "kms:EnableKey",
            "kms:EnableKeyRotation",
            "kms:GetKeyPolicy",
            "kms:GetKeyRotationStatus",
            "kms:ListGrants",
            "kms:ListKeyPolicies",
            "kms:ListResourceTags",
            "kms:PutKeyPolicy",
            "kms:ScheduleKeyDeletion",
            "kms:TagResource",
            "kms:UntagResource",
            "kms:UpdateKeyDescription",
        ],
        "Resource": ["arn:aws:kms:*:*:key/*", "arn:aws:kms:*:*:alias/{prefix}-*"],
    },
    {
        "Sid": "TrailLogBucketPurge",
        "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
        "Resource": ["arn:aws:s3:::{prefix}-cloudtrail-*/*"],
    },
    {
        "Sid": "Trail",
        "Action": [
            "cloudtrail:AddTags",
            "cloudtrail:CreateTrail",
            "cloudtrail:DeleteTrail",
            "cloudtrail:GetEventSelectors",
            "cloudtrail:GetTrailStatus",
            "cloudtrail:ListTags",
            "cloudtrail:PutEventSelectors",
            "cloudtrail:RemoveTags",
            "cloudtrail:StartLogging",
            "cloudtrail:StopLogging",
            "cloudtrail:UpdateTrail",
        ],
        "Resource": ["arn:aws:cloudtrail:*:*:trail/{prefix}-*"],
    },
    {
        "Sid": "LogGroups",
        "Action": [
            "logs:CreateLogGroup",
            "logs:DeleteLogGroup",
            "logs:DeleteMetricFilter",
            "logs:DeleteRetentionPolicy",
            "logs:DescribeMetricFilters",
            "logs:ListTagsForResource",
            "logs:ListTagsLogGroup",
            "logs:PutMetricFilter",
            "logs:PutRetentionPolicy",
            "logs:TagLogGroup",
            "logs:TagResource",
            "logs:UntagLogGroup",
            "logs:UntagResource",
        ],
        "Resource": [
            "arn:aws:logs:*:*:log-group:/{prefix}/*",
            "arn:aws:logs:*:*:log-group:/aws/lambda/{prefix}-*",
        ],
    },
    {
        "Sid": "AlarmsAndDashboards",
        "Action": [
            "cloudwatch:DeleteAlarms",
            "cloudwatch:DeleteDashboards",
            "cloudwatch:GetDashboard",
            "cloudwatch:PutDashboard",
            "cloudwatch:PutMetricAlarm",
        ],
        "Resource": [
            "arn:aws:cloudwatch:*:*:alarm:{prefix}-*",
            "arn:aws:cloudwatch::*:dashboard/{prefix}-*",
        ],
    },
    {
        "Sid": "EventRules",
        "Action": [
            "events:DeleteRule",
            "events:DescribeRule",
            "events:ListTargetsByRule",
            "events:PutRule",
            "events:PutTargets",
            "events:RemoveTargets",
        ],
        "Resource": ["arn:aws:events:*:*:rule/{prefix}-*"],
    },
    {
        # Organisation mode: the hub's default bus policy (event_bus_policy); only the default bus.
        "Sid": "HubBusPolicy",
        "Action": ["events:DescribeEventBus", "events:PutPermission", "events:RemovePermission"],
        "Resource": ["arn:aws:events:*:*:event-bus/default"],
    },
    {
        "Sid": "NotifierFunction",
        "Action": [
            "lambda:AddPermission",
            "lambda:CreateFunction",
            "lambda:DeleteFunction",
            "lambda:DeleteFunctionEventInvokeConfig",
            "lambda:GetFunction",
            "lambda:GetFunctionConfiguration",
            "lambda:GetFunctionEventInvokeConfig",
            "lambda:GetPolicy",
            "lambda:InvokeFunction",
            "lambda:ListTags",
            "lambda:PutFunctionEventInvokeConfig",
            "lambda:RemovePermission",
            "lambda:TagResource",
            "lambda:UntagResource",
            "lambda:UpdateFunctionCode",
            "lambda:UpdateFunctionConfiguration",
        ],
        "Resource": ["arn:aws:lambda:*:*:function:{prefix}-*"],
    },
    {
        # Create takes no resource and Update/Delete name the mapping by UUID: the function it invokes
        # (lambda:FunctionArn) is what scopes them to ours.
        "Sid": "EventSourceMappingsOfOurFunction",
        "Action": [
            "lambda:CreateEventSourceMapping",
            "lambda:DeleteEventSourceMapping",
            "lambda:UpdateEventSourceMapping",
        ],
        "Resource": ["*"],
        "Condition": {"ArnLike": {"lambda:FunctionArn": "arn:aws:lambda:*:*:function:{prefix}-*"}},
    },
    {
        "Sid": "BufferAndDeadLetterQueues",
        "Action": [
            "sqs:CreateQueue",
            "sqs:DeleteQueue",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
            "sqs:ListQueueTags",
            "sqs:SetQueueAttributes",
            "sqs:TagQueue",
            "sqs:UntagQueue",
        ],
        "Resource": ["arn:aws:sqs:*:*:{prefix}-*"],
    },
    {
        "Sid": "DedupTable",
        "Action": [
            "dynamodb:CreateTable",
            "dynamodb:DeleteTable",
            "dynamodb:DescribeTable",
            "dynamodb:DescribeTimeToLive",
            "dynamodb:ListTagsOfResource",
            "dynamodb:TagResource",
            "dynamodb:UntagResource",
            "dynamodb:UpdateTable",
            "dynamodb:UpdateTimeToLive",
        ],
        "Resource": ["arn:aws:dynamodb:*:*:table/{prefix}-*"],
    },
    {
        "Sid": "AlertTopic",
        "Action": [
            "sns:CreateTopic",
            "sns:DeleteTopic",
            "sns:GetSubscriptionAttributes",
            "sns:GetTopicAttributes",
            "sns:ListSubscriptionsByTopic",
            "sns:ListTagsForResource",
            "sns:Publish",
            "sns:SetSubscriptionAttributes",
            "sns:SetTopicAttributes",
            "sns:Subscribe",
            "sns:TagResource",
            "sns:Unsubscribe",
            "sns:UntagResource",
        ],
        "Resource": ["arn:aws:sns:*:*:{prefix}-*"],
    },
    {
        "Sid": "ServiceRoles",
        "Action": [
            "iam:AddRoleToInstanceProfile",
            "iam:CreateInstanceProfile",
            "iam:CreateRole",
            "iam:DeleteInstanceProfile",
            "iam:DeleteRole",
            "iam:DeleteRolePolicy",
            "iam:DetachRolePolicy",
            "iam:GetInstanceProfile",
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:ListAttachedRolePolicies",
            "iam:ListInstanceProfilesForRole",
            "iam:ListRolePolicies",
            "iam:ListRoleTags",
            "iam:PutRolePolicy",
            "iam:RemoveRoleFromInstanceProfile",
            "iam:TagInstanceProfile",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:UpdateRole",
        ],
        "Resource": ["arn:aws:iam::*:role/{prefix}-*", "arn:aws:iam::*:instance-profile/{prefix}-*"],
    },
    {
        "Sid": "PassOnlyOurRolesToOurServices",
        "Action": ["iam:PassRole"],
        "Resource": ["arn:aws:iam::*:role/{prefix}-*"],
        "Condition": {"StringEquals": {"iam:PassedToService": _PASSED_TO}},
    },
)

# The deployer role must not manage itself: its own name matches ``{prefix}-*``. An explicit Deny keeps
# a deploy from editing or deleting the role it runs as (bootstrap.yml uses the admin role for that).
SELF_PROTECTION = {
    "Sid": "NotTheDeployerRoleItself",
    "Effect": "Deny",
    "Action": [
        "iam:DeleteRole",
        "iam:DeleteRolePolicy",
        "iam:PutRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:AttachRolePolicy",
        "iam:DetachRolePolicy",
        "iam:PassRole",
    ],
    "Resource": ["arn:aws:iam::*:role/" + DEPLOYER_ROLE_NAME],
}

PREFIX_RE = re.compile(r"^[a-z0-9-]{1,31}\Z")


def policy_document(prefix: str = DEFAULT_PREFIX) -> dict[str, Any]:
    """The deployer's permission policy, resources scoped to ``prefix`` (``bucketguard_name_prefix``)."""
    statements = []
    for st in STATEMENTS:
        out: dict[str, Any] = {"Sid": st["Sid"], "Effect": "Allow", "Action": sorted(st["Action"])}
        out["Resource"] = [r.replace("{prefix}", prefix) for r in st["Resource"]]
        if "Condition" in st:
            out["Condition"] = json.loads(json.dumps(st["Condition"]).replace("{prefix}", prefix))
        statements.append(out)
    statements.append(dict(SELF_PROTECTION))
    return {"Version": "2012-10-17", "Statement": statements}


def trust_policy(principal_arn: str, external_id: str = "") -> dict[str, Any]:
    """Who may assume the deployer role: the AWX credential's principal, with an optional sts:ExternalId."""
    if not isinstance(principal_arn, str) or not re.match(
        r"^arn:(aws|aws-cn|aws-us-gov):(iam|sts)::\d{12}:\S+\Z", principal_arn
    ):
        raise ValueError(f"the trusted principal must be an IAM or STS ARN, got {principal_arn!r}")
    statement: dict[str, Any] = {
        "Sid": "TheAutomationPrincipal",
        "Effect": "Allow",
        "Principal": {"AWS": principal_arn},
        "Action": "sts:AssumeRole",
    }
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


# --------------------------------------------------------------------------- a tiny IAM evaluator


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _match(pattern: str, value: str, case_sensitive: bool) -> bool:
    if not case_sensitive:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern)


def is_allowed(policy: dict[str, Any], action: str, resource: str = "*", context: dict[str, str] | None = None) -> bool:
    """Whether ``policy`` allows ``action`` on ``resource``: some Allow matches and no Deny does.

    Wildcards ``*`` and ``?`` (actions case-insensitive, resources case-sensitive). Conditions: only
    ``StringEquals``, ``StringLike`` and ``ArnLike`` (``*``/``?`` wildcards) are understood; a statement with
    a condition matches only when ``context`` satisfies it. ``resource="*"`` asks "on some resource": every
    resource pattern matches. NotAction, NotResource and other condition operators are not evaluated (they
    make the statement not match).
    """
    context = context or {}

    def matches(st: dict[str, Any]) -> bool:
        if "NotAction" in st or "NotResource" in st:
            return False
        if not any(_match(a, action, False) for a in _as_list(st.get("Action", []))):
            return False
        if resource != "*" and not any(_match(r, resource, True) for r in _as_list(st.get("Resource", []))):
            return False
        for operator, conditions in st.get("Condition", {}).items():
            if operator not in ("StringEquals", "StringLike", "ArnLike"):
                return False
            for key, wanted in conditions.items():
                have = context.get(key)
                if have is None:
                    return False
                if operator == "StringEquals" and have not in _as_list(wanted):
                    return False
                if operator != "StringEquals" and not any(_match(w, have, True) for w in _as_list(wanted)):
                    return False
        return True

    def denies(st: dict[str, Any]) -> bool:
        # "On some resource": a Deny on named resources leaves the others allowed.
        if resource == "*" and "*" not in _as_list(st.get("Resource", [])):
            return False
        return matches(st)

    statements = _as_list(policy.get("Statement", []))
    if any(st.get("Effect") == "Deny" and denies(st) for st in statements):
        return False
    return any(st.get("Effect") == "Allow" and matches(st) for st in statements)


def policy_json(prefix: str = DEFAULT_PREFIX) -> str:
    """The shipped ``files/iam/deployer-policy.json`` text."""
    return json.dumps(policy_document(prefix), indent=2) + "\n"


# --------------------------------------------------------------------------- CloudFormation (StackSet)


def _sub(value: Any) -> Any:
    """Resources and conditions rendered with the ``${NamePrefix}`` parameter become ``Fn::Sub`` strings."""
    if isinstance(value, list):
        return [_sub(v) for v in value]
    if isinstance(value, dict):
        return {k: _sub(v) for k, v in value.items()}
    if isinstance(value, str) and "${" in value:
        return {"Fn::Sub": value}
    return value


def cfn_template() -> dict[str, Any]:
    """``files/iam/deployer-role.cfn.yml``: the deployer role and the same policy, for a StackSet."""
    policy = policy_document("${NamePrefix}")
    for st in policy["Statement"]:
        st["Resource"] = _sub(st["Resource"])
        if "Condition" in st:
            st["Condition"] = _sub(st["Condition"])
    statement = {
        "Sid": "TheAutomationPrincipal",
        "Effect": "Allow",
        "Principal": {"AWS": {"Ref": "TrustedPrincipalArn"}},
        "Action": "sts:AssumeRole",
        "Condition": {
            "Fn::If": [
                "HasExternalId",
                {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}},
                {"Ref": "AWS::NoValue"},
            ]
        },
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            "bucketguard deployer role: what deploy.yml, verify.yml, teardown.yml and audit.yml need "
            "(rendered by scripts/render_deployer_policy.py from plugins/module_utils/deployer_policy.py)."
        ),
        "Parameters": {
            "TrustedPrincipalArn": {
                "Type": "String",
                "Description": "The ARN of the principal AWX runs as (user or role of the AWX AWS credential).",
                "AllowedPattern": r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:\S+$",
            },
            "ExternalId": {
                "Type": "String",
                "Default": "",
                "Description": "Optional sts:ExternalId the principal must pass (empty: none).",
            },
            "NamePrefix": {
                "Type": "String",
                "Default": DEFAULT_PREFIX,
                "AllowedPattern": "^[a-z0-9-]{1,31}$",
                "Description": "bucketguard_name_prefix: the role may only manage resources named with it.",
            },
        },
        "Conditions": {"HasExternalId": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ExternalId"}, ""]}]}},
        "Resources": {
            "DeployerRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": DEPLOYER_ROLE_NAME,
                    "Description": "bucketguard: assumed by AWX / ansible-playbook to deploy, verify, tear down, audit",
                    "MaxSessionDuration": 3600,
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [statement]},
                    "Policies": [{"PolicyName": POLICY_NAME, "PolicyDocument": policy}],
                    "Tags": [{"Key": "bucketguard:managed-by", "Value": "cloudformation"}],
                },
            }
        },
        "Outputs": {"DeployerRoleArn": {"Value": {"Fn::GetAtt": ["DeployerRole", "Arn"]}}},
    }
