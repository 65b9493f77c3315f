"""AWX job slicing: two slices of a 2-account × 3-region fleet converge to the state of one run (docs/awx.md).

AWX runs a sliced job template as a workflow of jobs, each on a part of the inventory's hosts; a slice may hold
some regions of an account without its home region. deploy.yml's other-regions play needs nothing from the home
play (the rule may name a forwarder role that does not exist yet), so the slices may run in any order, even at
once. The test deploys accounts ONE_RUN with one job and accounts SLICED with two jobs over the two halves of
their hosts (AWX's round-robin split, the slice with the region hosts first), each slice job with
`bucketguard_inventory_slice: true` (the inventory check then accepts an account whose home host is in the other
slice), and compares what each account holds, account by account.

Two sliced accounts are enough for both cases (AWX's split of their six hosts, sorted): the first slice holds one
account's two other regions without its home, and the home of the other account, whose two other regions run in
the second slice afterwards (the test asserts the first case; three accounts covered the same two cases with 50%
more hosts to deploy).
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import ansible_runner
import boto3
import pytest
import yaml

from tests.awx.runner_layout import ROOT, VENV_BIN, LocalStack, make_private_data_dir

pytestmark = pytest.mark.awx

_RUN = random.SystemRandom().randrange(10**8)
ONE_RUN = [f"29{_RUN:08d}{i}0" for i in range(2)]
SLICED = [f"29{_RUN:08d}{i}1" for i in range(2)]
HOME, REGIONS = "eu-west-3", ("eu-west-3", "us-east-1", "eu-central-1")
PREFIX = "bucketguard"


def write_inventory(dest: Path, accounts: list[str], hosts: list[str] | None = None) -> Path:
    """inventories/local's group_vars and the accounts' hosts (only `hosts` when given: one slice)."""
    import shutil

    shutil.copytree(ROOT / "inventories" / "local" / "group_vars", dest / "group_vars")
    groups = {}
    for account in accounts:
        members = {f"{account}-{r}": {"aws_region": r} for r in REGIONS if hosts is None or f"{account}-{r}" in hosts}
        if members:
            groups[f"account_{account}"] = {
                "vars": {"bucketguard_account_id": account, "bucketguard_home_region_name": HOME},
                "hosts": members,
            }
    (dest / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {"bucketguard": {"children": groups}}}}))
    return dest


def job(tmp: Path, inventory: Path, port: str, playbook: str, extravars: dict) -> tuple[str, str]:
    env = {
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "BUCKETGUARD_LOCALSTACK_PORT": port,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    pdd = make_private_data_dir(tmp, inventory_src=inventory, envvars=env, extravars=extravars, settings={})
    result = ansible_runner.run(private_data_dir=str(pdd), playbook=playbook, forks=10, quiet=True)
    return result.status, result.stdout.read()


def state(localstack: LocalStack, account: str) -> dict:
    """What the account holds: functions and rules (with targets) per region, roles, alarms, account id masked."""

    def c(service: str, region: str):
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=localstack.url,
            aws_access_key_id=account,
            aws_secret_access_key="test",
        )

    out: dict = {"roles": sorted(r["RoleName"] for r in c("iam", HOME).list_roles()["Roles"])}
    for region in REGIONS:
        events = c("events", region)
        out[region] = {
            "functions": sorted(f["FunctionName"] for f in c("lambda", region).list_functions()["Functions"]),
            "rules": {
                r["Name"]: sorted(
                    (t["Id"], t["Arn"], t.get("RoleArn"))
                    for t in events.list_targets_by_rule(Rule=r["Name"])["Targets"]
                )
                for r in events.list_rules(NamePrefix=PREFIX)["Rules"]
            },
            "alarms": sorted(a["AlarmName"] for a in c("cloudwatch", region).describe_alarms()["MetricAlarms"]),
        }
    return json.loads(json.dumps(out, default=list).replace(account, "ACCOUNT"))


def test_two_slices_converge_to_the_state_of_one_run(tmp_path: Path, localstack: LocalStack) -> None:
    everyone = write_inventory(tmp_path / "all", ONE_RUN + SLICED)
    status, out = job(tmp_path / "stand-in", everyone, localstack.port, "scripts/local_trail_stand_in.yml", {})
    assert status == "successful", out[-3000:]

    status, out = job(
        tmp_path / "one", write_inventory(tmp_path / "one-inv", ONE_RUN), localstack.port, "playbooks/deploy.yml", {}
    )
    assert status == "successful", out[-3000:]

    # AWX's split: host i goes to slice i % 2. Run the slice holding other regions without their home first.
    hosts = sorted(f"{a}-{r}" for a in SLICED for r in REGIONS)
    slices = [hosts[0::2], hosts[1::2]]
    slices.sort(key=lambda s: sum(h.endswith(HOME) for h in s))
    assert any(f"{a}-{HOME}" not in slices[0] and any(h.startswith(a) for h in slices[0]) for a in SLICED)
    assert any(f"{a}-{HOME}" in slices[0] and any(h.startswith(a) for h in slices[1]) for a in SLICED)
    for number, part in enumerate(slices, 1):
        inventory = write_inventory(tmp_path / f"slice{number}-inv", SLICED, part)
        # Without the slice flag, the inventory check refuses a region whose home host it cannot see.
        if number == 1:
            refused, out = job(tmp_path / "refused", inventory, localstack.port, "playbooks/deploy.yml", {})
            assert refused == "failed" and "is not in the inventory" in out, out[-3000:]
        status, out = job(
            tmp_path / f"slice{number}",
            inventory,
            localstack.port,
            "playbooks/deploy.yml",
            {"bucketguard_inventory_slice": True},
        )
        assert status == "successful", out[-3000:]

    for one, sliced in zip(ONE_RUN, SLICED, strict=True):
        assert state(localstack, sliced) == state(localstack, one)
        assert state(localstack, one)[HOME]["functions"] == [f"{PREFIX}-notifier"]
