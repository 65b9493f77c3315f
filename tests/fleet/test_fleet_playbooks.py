"""The fleet playbooks end to end on LocalStack: deploy, upgrade, verify, drift, teardown (docs/verify.md).

    pytest tests/fleet            (starts LocalStack through scripts/emulators.sh if it is not up)

Two accounts × three regions, derived from inventories/local (its group_vars, its own account ids so they
share no state with the demo fleet). Account FRESH is deployed from nothing; account OLD first gets the
layout of the previous version (a notifier, its invoke permission, async configuration and Errors alarm in
every region, each region's rule targeting its own notifier), made here with plain boto3 calls, and is
upgraded in place by the same deploy.yml run. OLD is reached through an assumed role
(bucketguard_assume_role_arn, from FRESH's credentials), in every play, in normal and check mode. Then: both
accounts have exactly one notifier (home region), one rule per region (home: the notifier; elsewhere: the
home region's default bus, with the forwarder role), and the upgraded account equals the fresh one, with the
old log groups kept (audit data). Then verify.yml (healthy, also with --check), deploy.yml --check --diff with
one region's rule deleted by hand (that host alone shows one change, the diff names the rule), drift made by hand in two
regions (a rule re-pointed, a dashboard deleted), verify.yml again (fails, naming both), teardown.yml
without the confirmation (refused before any AWS call, said once), with it (the stack gone, the log groups
kept), and once more (no change). Each playbook runs as `ansible-playbook` in the checkout, as a person or CI
would run it.
"""

from __future__ import annotations

import io
import json
import random
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import boto3
import pytest
import yaml

from tests.awx.runner_layout import ROOT, LocalStack
from tests.lib.playbook import run_playbook, tail

pytestmark = pytest.mark.fleet

# Fresh account ids for each run: LocalStack keeps state between runs of the same server.
_RUN = random.SystemRandom().randrange(10**9)
FRESH, OLD = f"26{2 * _RUN:010d}", f"26{2 * _RUN + 1:010d}"
ACCOUNT = FRESH
HOME, OTHER, THIRD = "eu-west-3", "us-east-1", "eu-central-1"
REGIONS = (HOME, OTHER, THIRD)
PREFIX = "bucketguard"
RULE = f"{PREFIX}-s3-visibility-change"
DASHBOARD = f"{PREFIX}-s3-visibility"
FUNCTION = f"{PREFIX}-notifier"
TRAIL_LOG_GROUP = f"/{PREFIX}/cloudtrail"
NOTIFIER_LOG_GROUP = f"/aws/lambda/{FUNCTION}"
NOTIFIER_TASK = "bucketguard.visibility.notifier_lambda : Notifier_lambda | "  # how the output names the role's tasks


DEPLOYER = f"arn:aws:iam::{OLD}:role/fleet-deployer"


def write_inventory(dest: Path) -> Path:
    """inventories/local's group_vars with two accounts of three regions each (home eu-west-3).

    Account OLD is reached as a real fleet would be: the job's credentials are FRESH's, and every play assumes
    bucketguard_assume_role_arn in OLD (LocalStack's STS answers with credentials of the role's account), so any
    task that ran without the assumed role would act in the wrong account."""
    shutil.copytree(ROOT / "inventories" / "local" / "group_vars", dest / "group_vars")
    (dest / "group_vars" / f"account_{OLD}.yml").write_text(
        yaml.safe_dump({"bucketguard_aws_access_key": FRESH, "bucketguard_assume_role_arn": DEPLOYER})
    )
    accounts = {
        f"account_{account}": {
            "vars": {"bucketguard_account_id": account, "bucketguard_home_region_name": HOME},
            "hosts": {f"{account}-{region}": {"aws_region": region} for region in REGIONS},
        }
        for account in (FRESH, OLD)
    }
    hosts = {"all": {"children": {"bucketguard": {"children": accounts}}}}
    (dest / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    return dest


def playbook(inventory: Path, port: str, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_playbook(inventory, name, *args, port=port)


def changed_counts(run: subprocess.CompletedProcess[str]) -> dict[str, int]:
    """host -> changed=N of the last PLAY RECAP."""
    recap = run.stdout.rsplit("PLAY RECAP", 1)[-1]
    return {host: int(n) for host, n in re.findall(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)", recap, re.MULTILINE)}


def changed_tasks(run: subprocess.CompletedProcess[str], host: str) -> list[str]:
    """The names of the tasks that reported "changed" for the host (default callback's TASK headers)."""
    names, task = [], ""
    for line in run.stdout.splitlines():
        if line.startswith("TASK ["):
            task = line[len("TASK [") :].rsplit("]", 1)[0]
        elif line.startswith(f"changed: [{host}]") and task not in names:
            names.append(task)
    return names


def client(localstack: LocalStack, service: str, region: str, account: str = FRESH):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=localstack.url,
        aws_access_key_id=account,
        aws_secret_access_key="test",
    )


def functions(localstack: LocalStack, account: str, region: str) -> list[str]:
    return sorted(
        f["FunctionName"] for f in client(localstack, "lambda", region, account).list_functions()["Functions"]
    )


def log_group_exists(localstack: LocalStack, region: str, name: str, account: str = FRESH) -> bool:
    groups = client(localstack, "logs", region, account).describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return any(g["logGroupName"] == name for g in groups)


def topic_exists(localstack: LocalStack, account: str = FRESH) -> bool:
    topics = client(localstack, "sns", HOME, account).list_topics()["Topics"]
    return any(t["TopicArn"] == f"arn:aws:sns:{HOME}:{account}:{PREFIX}-alerts" for t in topics)


def alarms(localstack: LocalStack, region: str = HOME, account: str = FRESH) -> list[str]:
    found = client(localstack, "cloudwatch", region, account).describe_alarms(AlarmNamePrefix=PREFIX)["MetricAlarms"]
    return sorted(a["AlarmName"] for a in found)


def snapshot(localstack: LocalStack, account: str) -> dict:
    """What bucketguard made in the account, with the account id replaced by ACCOUNT (to compare two accounts)."""
    roles = client(localstack, "iam", HOME, account).list_roles()["Roles"]
    out: dict = {"roles": sorted(r["RoleName"] for r in roles if r["RoleName"].startswith(PREFIX))}
    for region in REGIONS:
        lam = client(localstack, "lambda", region, account)
        events = client(localstack, "events", region, account)
        names = functions(localstack, account, region)
        rules = [r["Name"] for r in events.list_rules(NamePrefix=PREFIX)["Rules"]]
        out[region] = {
            "functions": names,
            "permissions": sorted(
                st["Sid"] for n in names for st in json.loads(lam.get_policy(FunctionName=n)["Policy"])["Statement"]
            ),
            "invoke_configs": sorted(
                c["DestinationConfig"]["OnFailure"].get("Destination", "")
                for n in names
                for c in lam.list_function_event_invoke_configs(FunctionName=n)["FunctionEventInvokeConfigs"]
            ),
            "rules": {
                rule: sorted(
                    (t["Id"], t["Arn"], t.get("RoleArn")) for t in events.list_targets_by_rule(Rule=rule)["Targets"]
                )
                for rule in rules
            },
            "alarms": sorted(
                (a["AlarmName"], tuple(a.get("AlarmActions", [])))
                for a in client(localstack, "cloudwatch", region, account).describe_alarms(AlarmNamePrefix=PREFIX)[
                    "MetricAlarms"
                ]
            ),
        }
    return json.loads(json.dumps(out, default=list).replace(account, "ACCOUNT"))


def make_previous_version(localstack: LocalStack, account: str) -> None:
    """The layout of the previous version, with plain boto3 calls: a notifier in every region, each with its
    invoke permission, async configuration (failures to the home topic) and Errors alarm, each region's rule
    targeting its own region's notifier, and each notifier's log group with a log line (audit data)."""
    iam = client(localstack, "iam", HOME, account)
    deployer_trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": FRESH}, "Action": "sts:AssumeRole"}],
    }
    iam.create_role(RoleName="fleet-deployer", AssumeRolePolicyDocument=json.dumps(deployer_trust))
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    role = iam.create_role(RoleName=f"{PREFIX}-notifier-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bucketguard_notifier/__init__.py", "")
    topic = f"arn:aws:sns:{HOME}:{account}:{PREFIX}-alerts"
    # The existing (organisation) trail's log group: scripts/local_trail_stand_in.yml does not assume roles.
    client(localstack, "logs", HOME, account).create_log_group(logGroupName=TRAIL_LOG_GROUP)
    for region in REGIONS:
        lam = client(localstack, "lambda", region, account)
        arn = lam.create_function(
            FunctionName=FUNCTION,
            Runtime="python3.13",
            Role=role,
            Handler="bucketguard_notifier.handler.lambda_handler",
            Code={"ZipFile": buffer.getvalue()},
        )["FunctionArn"]
        rule_arn = client(localstack, "events", region, account).put_rule(
            Name=RULE, EventPattern=json.dumps({"source": ["aws.s3"]})
        )["RuleArn"]
        client(localstack, "events", region, account).put_targets(Rule=RULE, Targets=[{"Id": "notifier", "Arn": arn}])
        lam.add_permission(
            FunctionName=FUNCTION,
            StatementId="bucketguard-eventbridge-rule",
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceArn=rule_arn,
        )
        lam.put_function_event_invoke_config(
            FunctionName=FUNCTION,
            MaximumRetryAttempts=2,
            DestinationConfig={"OnFailure": {"Destination": topic}},
        )
        client(localstack, "cloudwatch", region, account).put_metric_alarm(
            AlarmName=f"{PREFIX}-notifier-errors",
            Namespace="AWS/Lambda",
            MetricName="Errors",
            Dimensions=[{"Name": "FunctionName", "Value": FUNCTION}],
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
        logs = client(localstack, "logs", region, account)
        logs.create_log_group(logGroupName=NOTIFIER_LOG_GROUP)
        logs.create_log_stream(logGroupName=NOTIFIER_LOG_GROUP, logStreamName="old")
        logs.put_log_events(
            logGroupName=NOTIFIER_LOG_GROUP,
            logStreamName="old",
            logEvents=[
                {"timestamp": int(time.time() * 1000), "message": '{"bucketguard": "reported", "event_id": "old"}'}
            ],
        )


def test_upgrade_deploy_verify_drift_and_teardown(localstack: LocalStack, tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path / "inventory")
    port = localstack.port
    hosts = {f"{account}-{region}" for account in (FRESH, OLD) for region in REGIONS}

    # LocalStack has no CloudTrail: the local fleet points the stack at an existing log group (trail_manage false).
    # (For FRESH only: the stand-in does not assume roles; OLD's log group is made with the previous version.)
    stand_in = playbook(inventory, port, "scripts/local_trail_stand_in.yml", "--limit", f"account_{FRESH}")
    assert stand_in.returncode == 0, tail(stand_in)
    make_previous_version(localstack, OLD)
    assert all(functions(localstack, OLD, region) == [FUNCTION] for region in REGIONS)

    deploy = playbook(inventory, port, "playbooks/deploy.yml")
    assert deploy.returncode == 0, tail(deploy)

    # One notifier per account (home region); one rule per region: home -> the buffer queue the notifier
    # reads, elsewhere -> the home region's default bus with the forwarder role. The upgraded account equals
    # the fresh one (the old rule's invoke permission is gone: only the alarm's is left).
    fresh = snapshot(localstack, FRESH)
    assert fresh[HOME]["functions"] == [FUNCTION]
    assert fresh[HOME]["rules"] == {RULE: [["buffer-queue", f"arn:aws:sqs:{HOME}:ACCOUNT:{PREFIX}-fast-path", None]]}
    assert fresh[HOME]["permissions"] == ["bucketguard-cloudwatch-alarm"]
    assert fresh[HOME]["invoke_configs"] == [f"arn:aws:sqs:{HOME}:ACCOUNT:{PREFIX}-dead-letter"]
    for region in (OTHER, THIRD):
        assert fresh[region]["functions"] == []
        assert fresh[region]["rules"] == {
            RULE: [
                [
                    "home-event-bus",
                    f"arn:aws:events:{HOME}:ACCOUNT:event-bus/default",
                    f"arn:aws:iam::ACCOUNT:role/{PREFIX}-event-forwarder",
                ]
            ]
        }
    assert f"{PREFIX}-event-forwarder" in fresh["roles"] and f"{PREFIX}-notifier-role" in fresh["roles"]
    assert snapshot(localstack, OLD) == fresh
    for region in REGIONS:  # audit data kept: the old notifier log groups, with their lines
        assert log_group_exists(localstack, region, NOTIFIER_LOG_GROUP, OLD)
        events = client(localstack, "logs", region, OLD).filter_log_events(logGroupName=NOTIFIER_LOG_GROUP)["events"]
        assert any('"event_id": "old"' in e["message"] for e in events)

    # A healthy fleet: verify passes, changes nothing, and says so - also in check mode.
    for args in ((), ("--check",)):
        verify = playbook(inventory, port, "playbooks/verify.yml", *args)
        assert verify.returncode == 0, tail(verify)
        assert "bucketguard fleet healthy: 6 account-region(s) OK." in verify.stdout, tail(verify)
        assert f"{FRESH} {HOME}: OK" in verify.stdout and f"{OLD} {OTHER}: OK" in verify.stdout
        assert set(changed_counts(verify)) == hosts and set(changed_counts(verify).values()) == {0}, tail(verify)

    # deploy.yml --check --diff tells the truth: with a region's rule deleted by hand, that host (and only
    # it) shows one change, and the diff names the rule and its target; nothing is created.
    events = client(localstack, "events", THIRD)
    rule = events.describe_rule(Name=RULE)
    targets = events.list_targets_by_rule(Rule=RULE)["Targets"]
    events.remove_targets(Rule=RULE, Ids=[t["Id"] for t in targets])
    events.delete_rule(Name=RULE)
    check = playbook(inventory, port, "playbooks/deploy.yml", "--check", "--diff")
    assert check.returncode == 0, tail(check)
    counts = changed_counts(check)
    assert set(counts) == hosts, tail(check)
    assert changed_tasks(check, f"{FRESH}-{THIRD}") == [
        f"{NOTIFIER_TASK}Forward the watched S3 calls of this region to the home region's event bus"
    ], tail(check)
    # LocalStack gap (docs/emulators.md): TagLogGroup stores nothing, so the upgraded account's notifier log group
    # (made untagged by the previous version) is reported changed on every run there, in check mode too.
    assert changed_tasks(check, f"{OLD}-{HOME}") in (
        [],
        [f"{NOTIFIER_TASK}Create the function's log group with its retention"],
    ), tail(check)
    expected = {host: int(host == f"{FRESH}-{THIRD}") for host in hosts}
    expected[f"{OLD}-{HOME}"] = len(changed_tasks(check, f"{OLD}-{HOME}"))
    assert counts == expected, (counts, tail(check))
    assert f'"name": "{RULE}"' in check.stdout and f"arn:aws:events:{HOME}:{FRESH}:event-bus/default" in check.stdout
    assert events.list_rules(NamePrefix=RULE)["Rules"] == [], "check mode created the rule"
    # (put it back as it was, for the checks below)
    events.put_rule(Name=RULE, EventPattern=rule["EventPattern"], State=rule["State"], Description=rule["Description"])
    events.put_targets(Rule=RULE, Targets=targets)

    # Drift by hand: a region whose rule no longer reaches the home bus, and the home region's dashboard.
    events = client(localstack, "events", OTHER)
    events.put_targets(
        Rule=RULE, Targets=[{"Id": "home-event-bus", "Arn": f"arn:aws:events:{OTHER}:{FRESH}:event-bus/default"}]
    )
    client(localstack, "cloudwatch", HOME).delete_dashboards(DashboardNames=[DASHBOARD])

    drift = playbook(inventory, port, "playbooks/verify.yml")
    assert drift.returncode != 0, tail(drift)
    assert "bucketguard fleet DRIFT: 2 finding(s) on 2 of 6 account-region(s)." in drift.stdout, tail(drift)
    assert f"{FRESH} {OTHER}: EventBridge rule {RULE} does not reach the {HOME} event bus" in drift.stdout, tail(drift)
    assert f"{FRESH} {HOME}: dashboard {DASHBOARD} is missing" in drift.stdout, tail(drift)
    assert "Drift: 2 finding(s)." in drift.stdout + drift.stderr, tail(drift)

    # Teardown without the confirmation: refused once, before any role (or AWS) call.
    refused = playbook(inventory, port, "playbooks/teardown.yml")
    assert refused.returncode != 0, tail(refused)
    said = [line for line in (refused.stdout + refused.stderr).splitlines() if line.startswith("fatal:")]
    assert len(said) == 1 and "Refusing to tear down: set bucketguard_teardown_confirm" in said[0], tail(refused)
    assert "bucketguard.visibility." not in refused.stdout, "a role ran without the confirmation:\n" + tail(refused)
    assert functions(localstack, FRESH, HOME) == [FUNCTION]
    assert topic_exists(localstack) and alarms(localstack)

    # With it: the stack is gone, the audit data kept, and the playbook says what it kept.
    teardown = playbook(inventory, port, "playbooks/teardown.yml", "-e", "bucketguard_teardown_confirm=teardown")
    assert teardown.returncode == 0, tail(teardown)
    for account in (FRESH, OLD):
        assert all(functions(localstack, account, region) == [] for region in REGIONS)
        assert not topic_exists(localstack, account)
        assert all(alarms(localstack, region, account) == [] for region in REGIONS)
        assert all(
            client(localstack, "events", r, account).list_rules(NamePrefix=PREFIX)["Rules"] == [] for r in REGIONS
        )
        assert log_group_exists(localstack, HOME, TRAIL_LOG_GROUP, account)
        assert log_group_exists(localstack, HOME, NOTIFIER_LOG_GROUP, account)
        # the queues were empty: gone with the dedup table
        queues = client(localstack, "sqs", HOME, account).list_queues(QueueNamePrefix=PREFIX).get("QueueUrls", [])
        assert queues == [], queues
        assert client(localstack, "dynamodb", HOME, account).list_tables()["TableNames"] == []
    assert log_group_exists(localstack, OTHER, NOTIFIER_LOG_GROUP, OLD)
    assert "Kept (audit data):" in teardown.stdout and NOTIFIER_LOG_GROUP in teardown.stdout, tail(teardown)

    # And again: nothing left to do.
    again = playbook(inventory, port, "playbooks/teardown.yml", "-e", "bucketguard_teardown_confirm=teardown")
    assert again.returncode == 0, tail(again)
    assert set(changed_counts(again)) == hosts and set(changed_counts(again).values()) == {0}, tail(again)
