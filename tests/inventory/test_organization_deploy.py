"""End to end: the organisation's API on moto server, the stack on LocalStack. The inventory plugin picks the
accounts of one OU from the organisation, and deploy.yml runs on exactly those hosts, assuming the role the
plugin named in each account. One account x two regions keeps it to a couple of minutes.

LocalStack comes from tests/awx/conftest.py's session fixture (started through scripts/emulators.sh if it is
not up, on BUCKETGUARD_LOCALSTACK_PORT); skipped only without `.venv-localstack`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest
import yaml

from tests.awx.conftest import localstack  # noqa: F401 - the session fixture, shared with tests/awx
from tests.awx.runner_layout import LocalStack
from tests.inventory.conftest import ROOT, Moto, Organization
from tests.inventory.test_organization_inventory import BIN, REGIONS, _env, listed

pytestmark = pytest.mark.inventory
HOME = "eu-west-3"


def write_fleet(dest: Path, moto: Moto, organization: Organization) -> Path:
    """inventories/local's group_vars (LocalStack endpoint, key = account id, trail stand-in) beside a plugin
    config that takes the Payments OU of the moto organisation."""
    shutil.copytree(ROOT / "inventories" / "local" / "group_vars", dest / "group_vars")
    config = dest / "fleet.aws_organization.yml"
    options = {
        "plugin": "bucketguard.visibility.aws_organization",
        "endpoint_url": moto.url,
        "access_key": "testing",
        "secret_key": "testing",
        "regions": REGIONS,
        "home_region": HOME,
        "deploy_role_name": "OrganizationAccountAccessRole",
        "include_ous": [organization.ous["Payments"]],
    }
    config.write_text(yaml.safe_dump(options, sort_keys=False))
    return config


def playbook(tmp_path: Path, config: Path, port: str, name: str) -> subprocess.CompletedProcess[str]:
    env = {
        **_env(tmp_path),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "BUCKETGUARD_LOCALSTACK_PORT": port,
        "ANSIBLE_NOCOLOR": "1",
    }
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(config), name],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_deploy_to_the_accounts_the_organisation_lists(
    tmp_path: Path,
    moto: Moto,
    organization: Organization,
    localstack: LocalStack,  # noqa: F811 - the fixture imported above
) -> None:
    account = organization.accounts["payments"]
    config = write_fleet(tmp_path / "fleet", moto, organization)
    inv = listed(tmp_path, config)
    assert set(inv.hostvars) == {f"{account}-{region}" for region in REGIONS}  # the suspended one is left out

    # Organizations makes this role in every account it creates; LocalStack's STS refuses a role that does not
    # exist, as AWS does (scripts/localstack_ext), so it is made here the way Organizations would.
    iam = boto3.client(
        "iam", region_name=HOME, endpoint_url=localstack.url, aws_access_key_id=account, aws_secret_access_key="test"
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{organization.management}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName="OrganizationAccountAccessRole", AssumeRolePolicyDocument=json.dumps(trust))
    stand_in = playbook(tmp_path, config, localstack.port, "scripts/local_trail_stand_in.yml")
    assert stand_in.returncode == 0, (stand_in.stdout + stand_in.stderr)[-6000:]
    deploy = playbook(tmp_path, config, localstack.port, "playbooks/deploy.yml")
    assert deploy.returncode == 0, (deploy.stdout + deploy.stderr)[-6000:]
    # The role the plugin named was assumed (the task runs, not skipped: without deploy_role_name it is skipped)
    assumed = re.search(r"TASK \[Assume bucketguard_assume_role_arn\][^\n]*\n(?:ok|changed): \[", deploy.stdout)
    assert assumed, deploy.stdout[-6000:]

    def client(service: str, region: str):
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=localstack.url,
            aws_access_key_id=account,
            aws_secret_access_key="test",
        )

    topics = [t["TopicArn"] for t in client("sns", HOME).list_topics()["Topics"]]
    assert f"arn:aws:sns:{HOME}:{account}:bucketguard-alerts" in topics
    function = client("lambda", HOME).get_function(FunctionName="bucketguard-notifier")
    assert function["Configuration"]["FunctionArn"].startswith(f"arn:aws:lambda:{HOME}:{account}:")
    # Both hosts ran (the other region's part differs between releases: a notifier, or a forwarding rule)
    for region in REGIONS:
        assert re.search(
            rf"^{account}-{region}\s+: ok=\d+\s+changed=[1-9]\d*\s+unreachable=0\s+failed=0", deploy.stdout, re.M
        )
