"""playbooks/bootstrap.yml on LocalStack: the deployer role is created through an admin role, with the
shipped policy and the given trust, a second run changes nothing, and a missing principal fails naming
the variable before any AWS call. LocalStack does not enforce IAM: this checks what is written, not
that AWS would accept or enforce it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import unquote

import boto3
import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils.deployer_policy import policy_document

from tests.awx.runner_layout import ROOT, LocalStack

pytestmark = pytest.mark.bootstrap

ACCOUNT = "111111111111"
PRINCIPAL = "arn:aws:iam::999999999999:role/awx"


def iam(localstack: LocalStack):
    return boto3.client(
        "iam",
        endpoint_url=localstack.url,
        region_name="us-east-1",
        aws_access_key_id=ACCOUNT,
        aws_secret_access_key="test",
    )


def bootstrap(localstack: LocalStack, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BUCKETGUARD_LOCALSTACK_PORT": localstack.port,
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    cmd = ["ansible-playbook", "-i", "inventories/local", "playbooks/bootstrap.yml", "--limit", f"account_{ACCOUNT}"]
    return subprocess.run([*cmd, *extra], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def changed_of(stdout: str) -> int:
    found = re.search(rf"{ACCOUNT}-eu-west-3\s*:\s*ok=\d+\s+changed=(\d+)", stdout)
    assert found, stdout[-2000:]
    return int(found.group(1))


def test_a_missing_principal_fails_naming_the_variable(localstack: LocalStack) -> None:
    result = bootstrap(localstack)
    assert result.returncode != 0
    assert "bucketguard_deployer_trusted_principal" in result.stdout
    bad = bootstrap(localstack, "-e", "bucketguard_deployer_trusted_principal=awx")
    assert bad.returncode != 0
    assert "must be the ARN of an IAM user or role" in bad.stdout


def test_bootstrap_creates_the_role_once_through_the_admin_role(localstack: LocalStack) -> None:
    suffix = uuid.uuid4().hex[:8]
    admin, role = f"bg-admin-{suffix}", f"bucketguard-deployer-{suffix}"
    client = iam(localstack)
    client.create_role(
        RoleName=admin,
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}],
            }
        ),
    )
    args = (
        "-e",
        f"bucketguard_deployer_trusted_principal={PRINCIPAL}",
        "-e",
        "bucketguard_deployer_external_id=fleet-42",
        "-e",
        f"bucketguard_bootstrap_admin_role_name={admin}",
        "-e",
        f"bucketguard_deployer_role_name={role}",
    )
    first = bootstrap(localstack, *args)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    assert changed_of(first.stdout) == 2  # the role and its policy
    assert f"bucketguard_assume_role_arn: arn:aws:iam::{ACCOUNT}:role/{role}" in first.stdout

    made = client.get_role(RoleName=role)["Role"]
    trust = made["AssumeRolePolicyDocument"]
    trust = json.loads(unquote(trust)) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"AWS": PRINCIPAL}
    assert trust["Statement"][0]["Condition"] == {"StringEquals": {"sts:ExternalId": "fleet-42"}}
    inline = client.get_role_policy(RoleName=role, PolicyName="bucketguard-deployer")["PolicyDocument"]
    inline = json.loads(unquote(inline)) if isinstance(inline, str) else inline
    assert inline == policy_document("bucketguard")
    assert client.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"] == []

    again = bootstrap(localstack, *args)
    assert again.returncode == 0, again.stdout[-3000:]
    assert changed_of(again.stdout) == 0
