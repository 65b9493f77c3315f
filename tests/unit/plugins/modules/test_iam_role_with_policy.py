"""iam_role_with_policy against moto's IAM: creates a role with its trust and one inline policy, idempotent,
compares as documents, check mode and diff, a changed trust or policy, a stray inline policy, removal."""

from __future__ import annotations

import json
from urllib.parse import unquote

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper
from ansible_collections.bucketguard.visibility.plugins.module_utils import hub
from ansible_collections.bucketguard.visibility.plugins.modules import iam_role_with_policy
from moto import mock_aws

from tests.lib.module_harness import ModuleFail, run_module

HUB = "111111111111"
NAME = "bucketguard-reader"
TRUST = hub.reader_trust_policy("aws", HUB, "bucketguard")
POLICY = hub.reader_role_policy("aws")


@pytest.fixture
def iam():
    with mock_aws():
        yield boto3.client("iam", region_name="us-east-1")


def run(client, check_mode: bool = False, **args) -> dict:
    wrapped = RetryingBotoClientWrapper(client, AWSRetry.jittered_backoff())
    return run_module(iam_role_with_policy, args, wrapped, check_mode=check_mode, diff=True, region="us-east-1")


def present(client, check_mode: bool = False, trust: dict = TRUST, policy: dict = POLICY, **extra) -> dict:
    return run(
        client,
        check_mode=check_mode,
        name=NAME,
        assume_role_policy_document=json.dumps(trust),
        policy_name="read-bucket-exposure",
        policy=json.dumps(policy),
        **extra,
    )


def _doc(value) -> dict:
    return value if isinstance(value, dict) else json.loads(unquote(value))


def test_creates_the_role_and_its_policy_then_is_idempotent(iam) -> None:
    first = present(iam, tags={"project": "bucketguard"})
    assert first["changed"] is True and first["existed"] is False
    assert first["arn"].endswith(f":role/{NAME}")
    role = iam.get_role(RoleName=NAME)["Role"]
    assert _doc(role["AssumeRolePolicyDocument"]) == TRUST
    assert iam.list_role_policies(RoleName=NAME)["PolicyNames"] == ["read-bucket-exposure"]
    stored = iam.get_role_policy(RoleName=NAME, PolicyName="read-bucket-exposure")["PolicyDocument"]
    assert _doc(stored) == POLICY
    again = present(iam, tags={"project": "bucketguard"})
    assert again["changed"] is False and again["existed"] is True


def test_check_mode_on_nothing_reports_and_makes_nothing(iam) -> None:
    result = present(iam, check_mode=True)
    assert result["changed"] is True and result["existed"] is False
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["policies"] == {"read-bucket-exposure": POLICY}
    assert [r for r in iam.list_roles()["Roles"] if r["RoleName"] == NAME] == []


def test_a_changed_policy_or_trust_is_a_change_and_a_stray_policy_goes(iam) -> None:
    present(iam)
    iam.put_role_policy(RoleName=NAME, PolicyName="stray", PolicyDocument=json.dumps(POLICY))
    assert present(iam, check_mode=True)["changed"] is True
    assert present(iam)["changed"] is True
    assert iam.list_role_policies(RoleName=NAME)["PolicyNames"] == ["read-bucket-exposure"]
    log_reader = hub.reader_role_policy("aws", log_group_arn="arn:aws:logs:eu-west-3:1:log-group:g")
    assert present(iam, policy=log_reader)["changed"] is True
    assert present(iam, policy=log_reader)["changed"] is False
    org_trust = hub.reader_trust_policy("aws", HUB, "bucketguard", organization_id="o-abcdefghij")
    changed = present(iam, trust=org_trust, policy=log_reader)
    assert changed["changed"] is True
    assert _doc(iam.get_role(RoleName=NAME)["Role"]["AssumeRolePolicyDocument"]) == org_trust


def test_absent_deletes_the_role_and_its_policies(iam) -> None:
    present(iam)
    assert run(iam, check_mode=True, name=NAME, state="absent")["changed"] is True
    assert iam.get_role(RoleName=NAME)
    assert run(iam, name=NAME, state="absent")["changed"] is True
    assert [r for r in iam.list_roles()["Roles"] if r["RoleName"] == NAME] == []
    assert run(iam, name=NAME, state="absent")["changed"] is False


def test_a_policy_without_statements_is_refused(iam) -> None:
    with pytest.raises(ModuleFail) as failure:
        present(iam, policy={"Version": "2012-10-17"})
    assert "at least one Statement" in failure.value.result["msg"]
