"""Organisation mode's policies: the reader cannot write, only the hub notifier assumes it, the bus admits members."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils import hub, notifier_policy

ROOT = Path(__file__).resolve().parents[4]
HUB = "111111111111"
MEMBER = "222222222222"
ORG = "o-abcdefghij"


def _actions(policy: dict) -> list[str]:
    return [a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]


def test_reader_role_can_only_read_bucket_and_account_settings() -> None:
    policy = hub.reader_role_policy("aws")
    actions = _actions(policy)
    assert actions, "the reader must be able to read something"
    for action in actions:
        service, name = action.split(":")
        assert service == "s3", action  # S3 and S3 Control actions share the s3: prefix
        assert re.fullmatch(r"Get[A-Za-z]+", name), f"{action} is not a read"
    assert "*" not in "".join(actions)
    assert all(s["Effect"] == "Allow" for s in policy["Statement"])
    assert not any(a.startswith("s3:GetObject") for a in actions)  # no object data


def test_reader_role_covers_every_read_the_notifier_makes() -> None:
    """What the notifier may read in its own account, the reader role must allow in a member's."""
    reads = set(notifier_policy.BUCKET_READ_ACTIONS) | {"s3:GetAccountPublicAccessBlock"}
    assert len(reads) >= 6
    assert reads <= set(_actions(hub.reader_role_policy()))


@pytest.mark.parametrize("org", [None, ORG])
def test_reader_trust_allows_only_the_hub_notifier_role(org: str | None) -> None:
    policy = hub.reader_trust_policy("aws", HUB, "bucketguard", org)
    (statement,) = policy["Statement"]
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{HUB}:root"}
    assert statement["Condition"]["ArnEquals"] == {
        "aws:PrincipalArn": f"arn:aws:iam::{HUB}:role/bucketguard-notifier-role"
    }
    if org:
        assert statement["Condition"]["StringEquals"] == {"aws:PrincipalOrgID": org}
    else:
        assert "StringEquals" not in statement["Condition"]


def test_reader_trust_follows_partition_and_prefix() -> None:
    policy = hub.reader_trust_policy("aws-cn", HUB, "sec")
    assert (
        policy["Statement"][0]["Condition"]["ArnEquals"]["aws:PrincipalArn"]
        == f"arn:aws-cn:iam::{HUB}:role/sec-notifier-role"
    )


def test_bus_policy_for_the_organisation() -> None:
    policy = hub.hub_bus_policy("aws", "eu-west-3", HUB, organization_id=ORG)
    assert policy["Statement"][0]["Resource"] == f"arn:aws:events:eu-west-3:{HUB}:event-bus/default"
    assert hub.bus_policy_allows(policy, MEMBER, ORG)
    assert not hub.bus_policy_allows(policy, MEMBER, "o-otherorgxyz")
    assert not hub.bus_policy_allows(policy, MEMBER, None)


def test_bus_policy_for_listed_accounts() -> None:
    policy = hub.hub_bus_policy("aws", "eu-west-3", HUB, member_accounts=[MEMBER, HUB, MEMBER])
    assert policy["Statement"][0]["Principal"] == {"AWS": [f"arn:aws:iam::{MEMBER}:root"]}
    assert hub.bus_policy_allows(policy, MEMBER)
    assert not hub.bus_policy_allows(policy, "333333333333")
    with pytest.raises(ValueError, match="organization_id or at least one member"):
        hub.hub_bus_policy("aws", "eu-west-3", HUB)


def test_a_deny_for_the_member_wins() -> None:
    policy = hub.hub_bus_policy("aws", "eu-west-3", HUB, organization_id=ORG)
    policy["Statement"].append(
        {"Effect": "Deny", "Principal": {"AWS": MEMBER}, "Action": "events:PutEvents", "Resource": "*"}
    )
    assert not hub.bus_policy_allows(policy, MEMBER, ORG)
    assert not hub.bus_policy_allows(None, MEMBER, ORG)


def _host(account: str, region: str, **extra: object) -> dict:
    return {
        "bucketguard_account_id": account,
        "aws_region": region,
        "bucketguard_hub_account_id": HUB,
        "bucketguard_hub_region": "eu-west-3",
        **extra,
    }


def test_hub_problems_accept_a_good_fleet_and_ignore_standalone() -> None:
    hosts = {"hub": _host(HUB, "eu-west-3"), "m1": _host(MEMBER, "eu-west-3"), "m2": _host(MEMBER, "us-east-1")}
    assert hub.hub_problems(hosts) == []
    assert hub.hub_problems({"a": {"bucketguard_account_id": MEMBER, "aws_region": "eu-west-3"}}) == []


@pytest.mark.parametrize(
    ("hosts", "expected"),
    [
        ({"m1": _host(MEMBER, "eu-west-3")}, "is not an account of the inventory"),
        ({"hub": _host(HUB, "us-east-1")}, "has no host in bucketguard_hub_region eu-west-3"),
        (
            {"hub": _host(HUB, "eu-west-3"), "m1": {"bucketguard_account_id": MEMBER, "aws_region": "eu-west-3"}},
            "missing on: m1",
        ),
        (
            {
                "hub": _host(HUB, "eu-west-3"),
                "m1": _host(MEMBER, "eu-west-3", bucketguard_hub_account_id="333333333333"),
            },
            "differs between hosts",
        ),
        ({"hub": _host(HUB, "eu-west-3", bucketguard_hub_region="eu-west-3\n")}, "bucketguard_hub_region must be one"),
        ({"hub": _host("1111", "eu-west-3", bucketguard_hub_account_id="1111")}, "must be a 12-digit account id"),
        (
            {"hub": _host(HUB, "eu-west-3", bucketguard_organization_id="o-x")},
            "bucketguard_organization_id must look like",
        ),
        (
            {"hub": _host(HUB, "us-east-1", bucketguard_home_region_name="us-east-1")},
            "must be bucketguard_hub_region eu-west-3",
        ),
        (
            {"hub": _host(HUB, "eu-west-3", bucketguard_organization_trail="maybe")},
            "bucketguard_organization_trail must be true or false",
        ),
        (
            {"hub": _host(HUB, "eu-west-3", bucketguard_organization_trail=True, bucketguard_trail_log_group_name="g")},
            "bucketguard_organization_trail needs trail_manage: false",
        ),
        (
            {"hub": _host(HUB, "eu-west-3", bucketguard_organization_trail=True, trail_manage=False)},
            "bucketguard_organization_trail needs bucketguard_trail_log_group_name",
        ),
        (
            {"a": {"bucketguard_account_id": MEMBER, "aws_region": "eu-west-3", "bucketguard_hub_region": "eu-west-3"}},
            "bucketguard_hub_region is set but bucketguard_hub_account_id is not",
        ),
        (
            {"a": {"bucketguard_account_id": MEMBER, "bucketguard_organization_trail": True, "trail_manage": False}},
            "bucketguard_organization_trail is true but bucketguard_hub_account_id is not set",
        ),
    ],
)
def test_hub_problems_name_the_variable(hosts: dict, expected: str) -> None:
    problems = hub.hub_problems(hosts)
    assert any(expected in p for p in problems), problems


def test_the_log_accounts_reader_may_read_only_its_log_group() -> None:
    arn = hub.log_group_arn("aws", "eu-west-3", MEMBER, "aws-controltower/CloudTrailLogs")
    policy = hub.reader_role_policy("aws", log_group_arn=arn)
    logs = [s for s in policy["Statement"] if any(a.startswith("logs:") for a in _actions({"Statement": [s]}))]
    assert logs == [
        {
            "Sid": "ReadOrganisationTrailRecords",
            "Effect": "Allow",
            "Action": ["logs:FilterLogEvents"],
            "Resource": [arn, f"{arn}:*"],
        }
    ]
    # every other statement is the member reader's, unchanged
    assert [s for s in policy["Statement"] if s not in logs] == hub.reader_role_policy("aws")["Statement"]
    assert hub.reader_role_policy("aws", log_group_arn=arn + ":*") == policy


def test_the_forwarder_may_only_put_events_on_one_bus() -> None:
    policy = hub.forwarder_policy("aws-cn", "cn-north-1", HUB)
    assert _actions(policy) == ["events:PutEvents"]
    assert policy["Statement"][0]["Resource"] == f"arn:aws-cn:events:cn-north-1:{HUB}:event-bus/default"


def test_hub_fleet_names_the_members_and_log_accounts() -> None:
    log = {"bucketguard_organization_trail": True, "trail_manage": False, "bucketguard_trail_log_group_name": "g"}
    hosts = {
        "hub": _host(HUB, "eu-west-3"),
        "m1": _host(MEMBER, "eu-west-3", **log),
        "m2": _host(MEMBER, "us-east-1", **log),
        "m3": _host("333333333333", "us-east-1"),
    }
    assert hub.hub_problems(hosts) == []
    fleet = hub.hub_fleet(hosts)
    assert fleet == {
        "hub_account_id": HUB,
        "hub_region": "eu-west-3",
        "organization_id": "",
        "partition": "aws",
        "members": [MEMBER, "333333333333"],
        "log_accounts": {MEMBER: "g"},
        "bus_arn": f"arn:aws:events:eu-west-3:{HUB}:event-bus/default",
    }
    assert hub.hub_fleet({"a": {"bucketguard_account_id": MEMBER}}) == {}


def test_the_alarm_patterns_match_only_cloudwatch_alarm_state_changes() -> None:
    assert hub.alarm_state_pattern([MEMBER, HUB]) == {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "account": [HUB, MEMBER],
    }
    arn = f"arn:aws:cloudwatch:eu-west-3:{MEMBER}:alarm:bucketguard-s3-visibility-change"
    assert hub.alarm_forward_pattern([arn])["resources"] == [arn]


def test_bus_findings_name_each_member_the_policy_refuses() -> None:
    third = "333333333333"
    listed = hub.hub_bus_policy("aws", "eu-west-3", HUB, member_accounts=[MEMBER])
    assert hub.bus_policy_findings(listed, [MEMBER]) == []
    assert hub.bus_policy_findings(listed, [MEMBER, third]) == [
        f"the hub bus policy does not let member account {third} put events: its forwarded S3 calls are refused"
    ]
    org = hub.hub_bus_policy("aws", "eu-west-3", HUB, organization_id=ORG)
    assert hub.bus_policy_findings(org, [MEMBER, third], ORG) == []
    assert "no policy" in hub.bus_policy_findings({}, [MEMBER])[0]


def test_role_findings_name_a_missing_or_changed_role() -> None:
    assert hub.role_findings({"existed": True, "changed": False}, "bucketguard-reader", "reader") == []
    assert hub.role_findings({"existed": False, "changed": True}, "bucketguard-reader", "reader") == [
        "the reader role bucketguard-reader is missing"
    ]
    assert "differs" in hub.role_findings({"existed": True, "changed": True}, "r", "forwarder")[0]
    assert "could not read" in hub.role_findings({"failed": True, "msg": "AccessDenied"}, "r", "reader")[0]
    results = [
        {"skipped": True},
        {"existed": False, "changed": True, "item": {"name": "bucketguard-reader", "what": "reader"}},
    ]
    assert hub.loop_role_findings(results) == ["the reader role bucketguard-reader is missing"]
