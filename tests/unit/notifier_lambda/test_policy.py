"""The notifier's IAM policy, rendered from the role's template the way Ansible renders it.

The role's defaults and vars are loaded with Ansible's DataLoader and the template is rendered with
Ansible's Templar, for every combination of remediation, central topic and fast path.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from ansible.template import trust_as_template

from tests.lib.role_vars import role_templar

ROLE = Path(__file__).resolve().parents[3] / "roles" / "notifier_lambda"
ACCOUNT = "240000000001"
CENTRAL = "arn:aws:sns:eu-west-1:240000000099:fleet-alerts"


def render_policy(**inputs) -> dict:
    host_vars = {
        "aws_region": "eu-west-3",
        "bucketguard_account_id": ACCOUNT,
        "bucketguard_name_prefix": "bg",
        "bucketguard_home_region": True,
    }
    templar, _, _ = role_templar("notifier_lambda", {**host_vars, **inputs})
    text = (ROLE / "templates" / "notifier-policy.json.j2").read_text(encoding="utf-8")
    return json.loads(templar.template(trust_as_template(text)))


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
    # The account's own topic stays: it is the on-failure destination, next to the function.
    assert publish[0]["Resource"] == ([central, own] if central else [own])


def test_reads_the_trail_and_its_own_logs(case):
    (_, _, fast_path), policy = case
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["ReadTrailLogs"]["Resource"] == [
        f"arn:aws:logs:eu-west-3:{ACCOUNT}:log-group:/bg/cloudtrail",
        f"arn:aws:logs:eu-west-3:{ACCOUNT}:log-group:/bg/cloudtrail:*",
    ]
    # One notifier per account, in its home region: its own log group is there.
    assert by_sid["WriteOwnLogs"]["Resource"] == [
        f"arn:aws:logs:eu-west-3:{ACCOUNT}:log-group:/aws/lambda/bg-notifier:*"
    ]
    assert ("ReadOwnLogsToSkipFastPathEvents" in by_sid) is fast_path


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
        ]
    )
