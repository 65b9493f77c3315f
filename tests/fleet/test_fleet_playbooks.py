"""The fleet playbooks end to end on LocalStack: deploy, verify, drift, teardown (docs/verify.md).

    pytest tests/fleet            (starts LocalStack through scripts/emulators.sh if it is not up)

One account × two regions, derived from inventories/local (its group_vars, its own account id so it shares no
state with the demo fleet): the LocalStack trail stand-in, deploy.yml, verify.yml (healthy, also with --check),
a resource deleted by hand in each region, verify.yml again (fails, naming both), teardown.yml without the
confirmation (refused before any AWS call, nothing deleted), with it (the function, topic and alarms gone, the
log groups kept), and once more (no change). Each playbook runs as `ansible-playbook` in the checkout, as a
person or CI would run it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
import yaml

from tests.awx.runner_layout import ROOT, LocalStack

pytestmark = pytest.mark.fleet

ACCOUNT = "260000000001"
HOME, OTHER = "eu-west-3", "us-east-1"
PREFIX = "bucketguard"
RULE = f"{PREFIX}-s3-visibility-change"
DASHBOARD = f"{PREFIX}-s3-visibility"
FUNCTION = f"{PREFIX}-notifier"
TOPIC_ARN = f"arn:aws:sns:{HOME}:{ACCOUNT}:{PREFIX}-alerts"
TRAIL_LOG_GROUP = f"/{PREFIX}/cloudtrail"
NOTIFIER_LOG_GROUP = f"/aws/lambda/{FUNCTION}"
VENV_BIN = Path(sys.executable).parent


def write_inventory(dest: Path) -> Path:
    """inventories/local's group_vars with one account of two regions (home eu-west-3)."""
    shutil.copytree(ROOT / "inventories" / "local" / "group_vars", dest / "group_vars")
    hosts = {
        "all": {
            "children": {
                "bucketguard": {
                    "children": {
                        f"account_{ACCOUNT}": {
                            "vars": {"bucketguard_account_id": ACCOUNT, "bucketguard_home_region_name": HOME},
                            "hosts": {
                                f"{ACCOUNT}-{HOME}": {"aws_region": HOME},
                                f"{ACCOUNT}-{OTHER}": {"aws_region": OTHER},
                            },
                        }
                    }
                }
            }
        }
    }
    (dest / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    return dest


def playbook(inventory: Path, port: str, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
        "BUCKETGUARD_LOCALSTACK_PORT": port,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        # One finding per line, unwrapped, so the test can search the report.
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
        # Keep the machine's own AWS profiles out of the run (the inventory gives LocalStack keys).
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    return subprocess.run(
        ["ansible-playbook", "-i", str(inventory), name, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def changed_counts(run: subprocess.CompletedProcess[str]) -> dict[str, int]:
    """host -> changed=N of the last PLAY RECAP."""
    recap = run.stdout.rsplit("PLAY RECAP", 1)[-1]
    return {host: int(n) for host, n in re.findall(r"^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)", recap, re.MULTILINE)}


def tail(run: subprocess.CompletedProcess[str]) -> str:
    return (run.stdout + run.stderr)[-6000:]


def client(localstack: LocalStack, service: str, region: str):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=localstack.url,
        aws_access_key_id=ACCOUNT,
        aws_secret_access_key="test",
    )


def function_exists(localstack: LocalStack, region: str) -> bool:
    try:
        client(localstack, "lambda", region).get_function(FunctionName=FUNCTION)
    except client(localstack, "lambda", region).exceptions.ResourceNotFoundException:
        return False
    return True


def log_group_exists(localstack: LocalStack, region: str, name: str) -> bool:
    groups = client(localstack, "logs", region).describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return any(g["logGroupName"] == name for g in groups)


def topic_exists(localstack: LocalStack) -> bool:
    topics = client(localstack, "sns", HOME).list_topics()["Topics"]
    return any(t["TopicArn"] == TOPIC_ARN for t in topics)


def alarms(localstack: LocalStack) -> list[str]:
    found = client(localstack, "cloudwatch", HOME).describe_alarms(AlarmNamePrefix=PREFIX)["MetricAlarms"]
    return sorted(a["AlarmName"] for a in found)


def test_deploy_verify_drift_and_teardown(localstack: LocalStack, tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path / "inventory")
    port = localstack.port
    hosts = {f"{ACCOUNT}-{HOME}", f"{ACCOUNT}-{OTHER}"}

    # LocalStack has no CloudTrail: the local fleet points the stack at an existing log group (trail_manage false).
    stand_in = playbook(inventory, port, "scripts/local_trail_stand_in.yml")
    assert stand_in.returncode == 0, tail(stand_in)
    deploy = playbook(inventory, port, "playbooks/deploy.yml")
    assert deploy.returncode == 0, tail(deploy)

    # A healthy fleet: verify passes, changes nothing, and says so - also in check mode.
    for args in ((), ("--check",)):
        verify = playbook(inventory, port, "playbooks/verify.yml", *args)
        assert verify.returncode == 0, tail(verify)
        assert "bucketguard fleet healthy: 2 account-region(s) OK." in verify.stdout, tail(verify)
        assert f"{ACCOUNT} {HOME}: OK" in verify.stdout and f"{ACCOUNT} {OTHER}: OK" in verify.stdout
        assert set(changed_counts(verify)) == hosts and set(changed_counts(verify).values()) == {0}, tail(verify)

    # Drift by hand: the fast-path rule of the other region and the home region's dashboard.
    events = client(localstack, "events", OTHER)
    events.remove_targets(Rule=RULE, Ids=[t["Id"] for t in events.list_targets_by_rule(Rule=RULE)["Targets"]])
    events.delete_rule(Name=RULE)
    client(localstack, "cloudwatch", HOME).delete_dashboards(DashboardNames=[DASHBOARD])

    drift = playbook(inventory, port, "playbooks/verify.yml")
    assert drift.returncode != 0, tail(drift)
    assert "bucketguard fleet DRIFT: 2 finding(s) on 2 of 2 account-region(s)." in drift.stdout, tail(drift)
    assert f"{ACCOUNT} {OTHER}: EventBridge rule {RULE} is missing" in drift.stdout, tail(drift)
    assert f"{ACCOUNT} {HOME}: dashboard {DASHBOARD} is missing" in drift.stdout, tail(drift)
    assert "Drift: 2 finding(s)." in drift.stdout + drift.stderr, tail(drift)

    # Teardown without the confirmation: refused by its first task, before any role (or AWS) call.
    refused = playbook(inventory, port, "playbooks/teardown.yml")
    assert refused.returncode != 0, tail(refused)
    assert 'Refusing to tear down: set bucketguard_teardown_confirm to "teardown"' in refused.stdout + refused.stderr
    assert "bucketguard.visibility." not in refused.stdout, "a role ran without the confirmation:\n" + tail(refused)
    assert function_exists(localstack, HOME) and function_exists(localstack, OTHER)
    assert topic_exists(localstack) and alarms(localstack)

    # With it: the stack is gone, the audit data kept, and the playbook says what it kept.
    teardown = playbook(inventory, port, "playbooks/teardown.yml", "-e", "bucketguard_teardown_confirm=teardown")
    assert teardown.returncode == 0, tail(teardown)
    assert not function_exists(localstack, HOME) and not function_exists(localstack, OTHER)
    assert not topic_exists(localstack)
    assert alarms(localstack) == []
    assert log_group_exists(localstack, HOME, TRAIL_LOG_GROUP)
    assert log_group_exists(localstack, HOME, NOTIFIER_LOG_GROUP) and log_group_exists(
        localstack, OTHER, NOTIFIER_LOG_GROUP
    )
    assert "Kept (audit data):" in teardown.stdout and NOTIFIER_LOG_GROUP in teardown.stdout, tail(teardown)

    # And again: nothing left to do.
    again = playbook(inventory, port, "playbooks/teardown.yml", "-e", "bucketguard_teardown_confirm=teardown")
    assert again.returncode == 0, tail(again)
    assert set(changed_counts(again)) == hosts and set(changed_counts(again).values()) == {0}, tail(again)
