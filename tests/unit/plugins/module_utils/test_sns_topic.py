"""The alert topic's policy and its drift check: one function builds what the role sets and what verify compares."""

from __future__ import annotations

import json

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils.sns_topic import (
    policy_findings,
    topic_findings,
    topic_policy,
)

ACCOUNT = "111111111111"
ARN = f"arn:aws:sns:eu-west-3:{ACCOUNT}:bucketguard-alerts"


def policy(**kwargs) -> dict:
    args = {
        "partition": "aws",
        "region": "eu-west-3",
        "account_id": ACCOUNT,
        "topic_name": "bucketguard-alerts",
        "notifier_role_name": "bucketguard-notifier-role",
        **kwargs,
    }
    return topic_policy(**args)


def by_sid(doc: dict) -> dict:
    return {s["Sid"]: s for s in doc["Statement"]}


def test_only_the_notifier_role_and_this_accounts_alarms_publish() -> None:
    statements = by_sid(policy())
    assert set(statements) == {"OwnerManagesTopic", "NotifierPublishes", "CloudWatchAlarmsOfThisAccountPublish"}
    assert "sns:Publish" not in statements["OwnerManagesTopic"]["Action"]
    assert statements["NotifierPublishes"]["Principal"] == {"AWS": [f"arn:aws:iam::{ACCOUNT}:root"]}
    assert statements["NotifierPublishes"]["Condition"] == {
        "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/bucketguard-notifier-role"}
    }
    assert statements["CloudWatchAlarmsOfThisAccountPublish"]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT}
    }
    assert all(s["Resource"] == ARN for s in statements.values())


def test_fleet_accounts_and_organisation_publish_only_through_the_notifier_role() -> None:
    statements = by_sid(policy(publisher_account_ids=["222222222222", ACCOUNT], organization_id="o-abcdefghij"))
    assert statements["NotifierPublishes"]["Principal"]["AWS"] == [
        f"arn:aws:iam::{ACCOUNT}:root",
        "arn:aws:iam::222222222222:root",
    ]
    org = statements["OrganizationNotifiersPublish"]
    assert org["Principal"] == {"AWS": "*"}
    assert org["Condition"]["StringEquals"] == {"aws:PrincipalOrgID": "o-abcdefghij"}
    assert org["Condition"]["ArnLike"] == statements["NotifierPublishes"]["Condition"]["ArnLike"]


def test_partition_reaches_every_arn() -> None:
    text = json.dumps(policy(partition="aws-cn", publisher_account_ids=["222222222222"]))
    assert "arn:aws:" not in text
    assert "arn:aws-cn:sns:eu-west-3" in text


def test_the_deployed_policy_as_aws_returns_it_has_no_findings() -> None:
    wanted = policy(organization_id="o-abcdefghij")
    deployed = json.loads(json.dumps(wanted))
    deployed["Statement"].reverse()  # AWS may reorder
    deployed["Statement"][0]["Action"] = [deployed["Statement"][0]["Action"]]  # or wrap a single action
    assert policy_findings(json.dumps(deployed), wanted) == []


@pytest.mark.parametrize(
    ("mutate", "finding"),
    [
        (lambda d: d["Statement"].pop(1), "lacks the publish statement NotifierPublishes"),
        (
            lambda d: d["Statement"][2].update(Condition={}),
            "publish statement CloudWatchAlarmsOfThisAccountPublish differs",
        ),
        (lambda d: d["Statement"][1].update(Effect="Deny"), "publish statement NotifierPublishes differs"),
    ],
)
def test_a_changed_publish_statement_is_named(mutate, finding: str) -> None:
    wanted = policy()
    deployed = json.loads(json.dumps(wanted))
    mutate(deployed)
    findings = policy_findings(json.dumps(deployed), wanted)
    assert len(findings) == 1
    assert findings[0].startswith(finding)


def test_owner_statement_changes_are_not_a_publish_path() -> None:
    wanted = policy()
    deployed = json.loads(json.dumps(wanted))
    deployed["Statement"][0]["Action"] = ["sns:GetTopicAttributes"]
    assert policy_findings(deployed, wanted) == []


def topic(emails: list[str], doc: dict | None = None) -> dict:
    return {
        "policy": json.dumps(doc or policy()),
        "subscriptions": [{"protocol": "email", "endpoint": e} for e in emails]
        + [{"protocol": "sqs", "endpoint": "x"}],
    }


def test_topic_findings() -> None:
    wanted = {"name": "bucketguard-alerts", "policy": policy(), "emails": ["a@example.com", "b@example.com"]}
    assert topic_findings({}, wanted) == ["topic bucketguard-alerts is missing"]
    assert topic_findings(topic(["a@example.com", "b@example.com"]), wanted) == []
    assert topic_findings(topic(["a@example.com"]), wanted) == [
        "topic bucketguard-alerts is missing the subscription b@example.com"
    ]
    assert topic_findings(topic([]), wanted) == [
        "topic bucketguard-alerts is missing the subscriptions a@example.com, b@example.com"
    ]
    none_wanted = dict(wanted, emails=[])
    assert topic_findings(topic([]), none_wanted) == [
        "topic bucketguard-alerts has no email subscription (confirmed or pending)"
    ]
    assert topic_findings(topic(["c@example.com"]), none_wanted) == []
    broken = policy()
    broken["Statement"].pop(2)
    assert topic_findings(topic(["a@example.com", "b@example.com"], broken), wanted) == [
        "topic bucketguard-alerts policy: lacks the publish statement CloudWatchAlarmsOfThisAccountPublish"
    ]
