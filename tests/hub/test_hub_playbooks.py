"""Organisation (hub) mode end to end on LocalStack: deploy, idempotence, check mode, verify, drift, teardown.

    pytest tests/hub            (starts LocalStack through scripts/emulators.sh if it is not up)

A hub account and two member accounts, each in two regions (tests/hub/inventory.py; the hub is also the log
account, holding the organisation trail's log group aws-controltower/CloudTrailLogs, created here as Control
Tower would have). LocalStack takes the account from the access key id. deploy.yml makes the hub's stack and bus
policy, and in each member account-region only the rule forwarding to the hub's default bus (plus its
FailedInvocations alarm), and in the member's home region the forwarder and reader roles; the number of tasks each
member host runs is measured from the output (budget: 3 a region, 5 in the home region). A second deploy changes
nothing, nor does --check --diff. verify.yml is healthy; then the hub bus policy stops admitting one member, another
member's reader role is deleted and a member rule is re-pointed, and verify.yml names all three. teardown.yml
removes the member parts and the hub bus policy and keeps the audit data (the organisation trail's log group).
"""

from __future__ import annotations

import json
import random
import re
import subprocess
from pathlib import Path

import boto3
import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils import hub as hub_policies

from tests.awx.runner_layout import LocalStack
from tests.hub.inventory import HUB_REGION, ORG_TRAIL_LOG_GROUP, OTHER_REGION, host_name, write_hub_inventory
from tests.lib.playbook import run_playbook, tail

pytestmark = pytest.mark.hub

_RUN = random.SystemRandom().randrange(10**8)
HUB, M1, M2 = (f"28{3 * _RUN + i:010d}" for i in range(3))
MEMBERS = (M1, M2)
REGIONS = (HUB_REGION, OTHER_REGION)
PREFIX = "bucketguard"
RULE = f"{PREFIX}-s3-visibility-change"
FORWARDER = f"{PREFIX}-event-forwarder"
READER = f"{PREFIX}-reader"
HUB_BUS = f"arn:aws:events:{HUB_REGION}:{HUB}:event-bus/default"
MEMBER_PLAY = "PLAY [Forward the member accounts' S3 events to the hub (organisation mode)]"


def client(localstack: LocalStack, service: str, region: str, account: str):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=localstack.url,
        aws_access_key_id=account,
        aws_secret_access_key="test",
    )


def changed_counts(run: subprocess.CompletedProcess[str]) -> dict[str, int]:
    recap = run.stdout.rsplit("PLAY RECAP", 1)[-1]
    return {host: int(n) for host, n in re.findall(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)", recap, re.MULTILINE)}


def tasks_run(run: subprocess.CompletedProcess[str], play: str) -> dict[str, int]:
    """host -> the tasks of one play that ran on it (ok or changed; skipped ones did not run)."""
    text = run.stdout.split(play, 1)[1]
    text = re.split(r"^PLAY ", text, flags=re.MULTILINE)[0]
    counts: dict[str, int] = {}
    for block in re.split(r"^TASK \[", text, flags=re.MULTILINE)[1:]:
        hosts = set(re.findall(r"^(?:ok|changed): \[([^\]]+)\]", block, re.MULTILINE))
        for host in hosts:
            counts[host] = counts.get(host, 0) + 1
    return counts


def rules(localstack: LocalStack, account: str, region: str) -> dict[str, list[tuple]]:
    events = client(localstack, "events", region, account)
    return {
        r["Name"]: sorted((t["Arn"], t.get("RoleArn")) for t in events.list_targets_by_rule(Rule=r["Name"])["Targets"])
        for r in events.list_rules(NamePrefix=PREFIX)["Rules"]
    }


def role_names(localstack: LocalStack, account: str) -> list[str]:
    roles = client(localstack, "iam", HUB_REGION, account).list_roles()["Roles"]
    return sorted(r["RoleName"] for r in roles if r["RoleName"].startswith(PREFIX))


def bus_policy(localstack: LocalStack) -> dict:
    text = client(localstack, "events", HUB_REGION, HUB).describe_event_bus(Name="default").get("Policy")
    return json.loads(text) if text else {}


def test_hub_deploy_verify_drift_and_teardown(localstack: LocalStack, tmp_path: Path) -> None:
    port = localstack.port
    inventory = write_hub_inventory(tmp_path / "inventory", HUB, MEMBERS, log_account=HUB)
    client(localstack, "logs", HUB_REGION, HUB).create_log_group(logGroupName=ORG_TRAIL_LOG_GROUP)

    deploy = run_playbook(inventory, "playbooks/deploy.yml", port=port, timeout=1800)
    assert deploy.returncode == 0, tail(deploy)

    # The member budget: 3 tasks a region, 5 in the home region (the once-per-fleet check play not counted).
    member_tasks = tasks_run(deploy, MEMBER_PLAY)
    print("tasks per member host:", member_tasks)
    assert set(member_tasks) == {host_name(m, r) for m in MEMBERS for r in REGIONS}
    for member in MEMBERS:
        assert member_tasks[host_name(member, HUB_REGION)] <= 5
        assert member_tasks[host_name(member, OTHER_REGION)] <= 3

    # Members: only the rule to the hub bus (with the forwarder role), no notifier, and the two roles.
    for member in MEMBERS:
        forwarder = f"arn:aws:iam::{member}:role/{FORWARDER}"
        for region in REGIONS:
            assert rules(localstack, member, region) == {RULE: [(HUB_BUS, forwarder)]}
            assert client(localstack, "lambda", region, member).list_functions()["Functions"] == []
            assert client(localstack, "sqs", region, member).list_queues().get("QueueUrls", []) == []
            assert client(localstack, "sns", region, member).list_topics()["Topics"] == []
        assert role_names(localstack, member) == [FORWARDER, READER]
        iam = client(localstack, "iam", HUB_REGION, member)
        trust = iam.get_role(RoleName=READER)["Role"]["AssumeRolePolicyDocument"]
        trust = trust if isinstance(trust, dict) else json.loads(trust)
        assert trust == hub_policies.reader_trust_policy("aws", HUB, PREFIX)
        put = iam.get_role_policy(RoleName=FORWARDER, PolicyName="put-events-on-hub-bus")["PolicyDocument"]
        assert (put if isinstance(put, dict) else json.loads(put))["Statement"][0]["Resource"] == HUB_BUS

    # The hub: today's stack in the hub region, the bus policy admitting both members, the notifier's hub settings.
    assert rules(localstack, HUB, HUB_REGION)[RULE] == [(f"arn:aws:sqs:{HUB_REGION}:{HUB}:{PREFIX}-fast-path", None)]
    assert rules(localstack, HUB, OTHER_REGION) == {RULE: [(HUB_BUS, f"arn:aws:iam::{HUB}:role/{FORWARDER}")]}
    policy = bus_policy(localstack)
    assert all(hub_policies.bus_policy_allows(policy, m) for m in MEMBERS)
    assert not hub_policies.bus_policy_allows(policy, "999999999999")
    env = client(localstack, "lambda", HUB_REGION, HUB).get_function_configuration(FunctionName=f"{PREFIX}-notifier")[
        "Environment"
    ]["Variables"]
    assert env["BUCKETGUARD_HOME_ACCOUNT"] == HUB
    assert env["BUCKETGUARD_READER_ROLE"] == READER
    assert json.loads(env["BUCKETGUARD_LOG_ACCOUNTS"]) == {HUB: ORG_TRAIL_LOG_GROUP}
    hub_role_policy = client(localstack, "iam", HUB_REGION, HUB).get_role_policy(
        RoleName=f"{PREFIX}-notifier-role", PolicyName=f"{PREFIX}-notifier-policy"
    )["PolicyDocument"]
    hub_role_policy = hub_role_policy if isinstance(hub_role_policy, dict) else json.loads(hub_role_policy)
    assert {
        "Sid": "AssumeMemberReaderRoles",
        "Effect": "Allow",
        "Action": ["sts:AssumeRole"],
        "Resource": [f"arn:aws:iam::*:role/{READER}"],
    } in hub_role_policy["Statement"]

    again = run_playbook(inventory, "playbooks/deploy.yml", port=port, timeout=1800)
    assert again.returncode == 0, tail(again)
    assert set(changed_counts(again).values()) == {0}, changed_counts(again)

    check = run_playbook(inventory, "playbooks/deploy.yml", "--check", "--diff", port=port, timeout=1800)
    assert check.returncode == 0, tail(check)
    assert set(changed_counts(check).values()) == {0}, changed_counts(check)

    verify = run_playbook(inventory, "playbooks/verify.yml", port=port)
    assert verify.returncode == 0, tail(verify)

    # Drift: the bus no longer admits M2, M1's reader role is gone, M2's other-region rule points elsewhere.
    client(localstack, "events", HUB_REGION, HUB).put_permission(
        EventBusName="default",
        Policy=json.dumps(hub_policies.hub_bus_policy("aws", HUB_REGION, HUB, member_accounts=[M1])),
    )
    iam = client(localstack, "iam", HUB_REGION, M1)
    iam.delete_role_policy(RoleName=READER, PolicyName="read-bucket-exposure")
    iam.delete_role(RoleName=READER)
    elsewhere = f"arn:aws:events:{HUB_REGION}:{M2}:event-bus/default"
    client(localstack, "events", OTHER_REGION, M2).put_targets(
        Rule=RULE,
        Targets=[{"Id": "hub-event-bus", "Arn": elsewhere, "RoleArn": f"arn:aws:iam::{M2}:role/{FORWARDER}"}],
    )
    drift = run_playbook(inventory, "playbooks/verify.yml", port=port)
    assert drift.returncode != 0, tail(drift)
    out = drift.stdout
    assert f"the hub bus policy does not let member account {M2} put events" in out, tail(drift)
    assert f"the hub bus policy does not let member account {M1}" not in out
    assert f"the reader role {READER} is missing" in out, tail(drift)
    assert re.search(rf"{M1}\W+{HUB_REGION}\W[^\n]*the reader role {READER} is missing", out), tail(drift)
    assert f"EventBridge rule {RULE} does not reach the hub's event bus ({HUB_BUS}); it sends to {elsewhere}" in out

    teardown = run_playbook(
        inventory, "playbooks/teardown.yml", "-e", "bucketguard_teardown_confirm=teardown", port=port, timeout=1800
    )
    assert teardown.returncode == 0, tail(teardown)
    for member in MEMBERS:
        for region in REGIONS:
            assert rules(localstack, member, region) == {}
            alarms = client(localstack, "cloudwatch", region, member).describe_alarms(AlarmNamePrefix=PREFIX)
            assert alarms["MetricAlarms"] == []
        assert role_names(localstack, member) == []
    assert bus_policy(localstack).get("Statement", []) == []
    assert rules(localstack, HUB, HUB_REGION) == {}
    groups = client(localstack, "logs", HUB_REGION, HUB).describe_log_groups(logGroupNamePrefix="aws-controltower")
    assert [g["logGroupName"] for g in groups["logGroups"]] == [ORG_TRAIL_LOG_GROUP]  # audit data kept
