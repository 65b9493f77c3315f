# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The alert topic's policy and its drift check (pure, standard library).

The ``sns`` role sets the policy through the ``sns_topic_policy`` filter and ``verify.yml`` compares what
``community.aws.sns_topic_info`` returned through ``drift(kind='topic')``: the same function builds the
wanted policy for both.

Who may do what (docs/roles/sns.md): the owner account manages the topic but does not publish through this
policy; publishers are the notifier role (in this account, in the listed fleet accounts or in the
organisation) and the CloudWatch alarms of this account. Nothing else is granted.
"""

from __future__ import annotations

import json
from typing import Any

OWNER_ACTIONS = (
    "sns:GetTopicAttributes",
    "sns:SetTopicAttributes",
    "sns:AddPermission",
    "sns:RemovePermission",
    "sns:DeleteTopic",
    "sns:Subscribe",
    "sns:ListSubscriptionsByTopic",
)


def topic_arn(partition: str, region: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:sns:{region}:{account_id}:{name}"


def topic_policy(
    partition: str,
    region: str,
    account_id: str,
    topic_name: str,
    notifier_role_name: str,
    publisher_account_ids: list[str] | tuple[str, ...] = (),
    organization_id: str = "",
) -> dict[str, Any]:
    """The topic's resource policy."""
    arn = topic_arn(partition, region, account_id, topic_name)
    root = f"arn:{partition}:iam::{account_id}:root"
    notifier_roles = f"arn:{partition}:iam::*:role/{notifier_role_name}"
    publishers = [root] + [f"arn:{partition}:iam::{a}:root" for a in publisher_account_ids]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "OwnerManagesTopic",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": list(OWNER_ACTIONS),
            "Resource": arn,
        },
        {
            "Sid": "NotifierPublishes",
            "Effect": "Allow",
            "Principal": {"AWS": list(dict.fromkeys(publishers))},
            "Action": "sns:Publish",
            "Resource": arn,
            "Condition": {"ArnLike": {"aws:PrincipalArn": notifier_roles}},
        },
        {
            "Sid": "CloudWatchAlarmsOfThisAccountPublish",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": arn,
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        },
    ]
    if organization_id:
        statements.append(
            {
                "Sid": "OrganizationNotifiersPublish",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "sns:Publish",
                "Resource": arn,
                "Condition": {
                    "StringEquals": {"aws:PrincipalOrgID": organization_id},
                    "ArnLike": {"aws:PrincipalArn": notifier_roles},
                },
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def _actions(statement: dict[str, Any]) -> list[Any]:
    action = statement.get("Action")
    return action if isinstance(action, list) else [action]


def _policy(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    try:
        loaded = json.loads(value or "{}")
    except (TypeError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def policy_findings(deployed: Any, wanted: dict[str, Any]) -> list[str]:
    """The publish statements, compared by Sid, effect, action and condition (AWS may reorder or reformat
    the rest of the document); the owner statement is not a publish path."""
    have = {s.get("Sid"): s for s in _policy(deployed).get("Statement") or [] if isinstance(s, dict)}
    out = []
    for want in wanted.get("Statement") or []:
        if "sns:Publish" not in _actions(want):
            continue
        found = have.get(want["Sid"])
        if found is None:
            out.append(f"lacks the publish statement {want['Sid']}")
        elif (
            found.get("Effect") != "Allow"
            or "sns:Publish" not in _actions(found)
            or (found.get("Condition") or {}) != (want.get("Condition") or {})
        ):
            out.append(f"publish statement {want['Sid']} differs from what the role sets (effect, action or condition)")
    return out


def topic_findings(topic: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """One sentence per difference between the topic ``community.aws.sns_topic_info`` returned and the role's.

    ``topic``: its ``result.sns_topic`` ({} when missing). ``wanted``: ``name``, ``policy`` (from
    ``topic_policy``), ``emails`` (the addresses the role subscribes).
    """
    name = wanted["name"]
    if not topic:
        return [f"topic {name} is missing"]
    out = [f"topic {name} policy: {p}" for p in policy_findings(topic.get("policy"), wanted["policy"])]
    subscribed = {s.get("endpoint") for s in topic.get("subscriptions") or [] if s.get("protocol") == "email"}
    emails = list(wanted.get("emails") or [])
    missing = [e for e in emails if e not in subscribed]
    if not emails and not subscribed:
        out.append(f"topic {name} has no email subscription (confirmed or pending)")
    if missing:
        noun = "subscription" if len(missing) == 1 else "subscriptions"
        out.append(f"topic {name} is missing the {noun} {', '.join(missing)}")
    return out
