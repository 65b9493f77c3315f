"""event_bus_policy against moto's EventBridge: sets, compares as documents, check mode, diff, removes."""

from __future__ import annotations

import json

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper
from ansible_collections.bucketguard.visibility.plugins.module_utils import hub
from ansible_collections.bucketguard.visibility.plugins.modules import event_bus_policy
from moto import mock_aws

from tests.lib.module_harness import ModuleFail, run_module

HUB = "123456789012"  # moto's default account
POLICY = hub.hub_bus_policy("aws", "eu-west-3", HUB, member_accounts=["222222222222", "333333333333"])


@pytest.fixture
def events():
    with mock_aws():
        yield boto3.client("events", region_name="eu-west-3")


def run(client, check_mode: bool = False, **args) -> dict:
    wrapped = RetryingBotoClientWrapper(client, AWSRetry.jittered_backoff())
    return run_module(event_bus_policy, args, wrapped, check_mode=check_mode, diff=True, region="eu-west-3")


def bus_policy(client) -> dict:
    text = client.describe_event_bus(Name="default").get("Policy")
    return json.loads(text) if text else {}


def test_sets_the_policy_then_is_idempotent(events) -> None:
    first = run(events, policy=json.dumps(POLICY))
    assert first["changed"] is True
    assert first["diff"]["before"] == {}
    assert hub.bus_policy_allows(bus_policy(events), "222222222222")
    # Same document with the principals in another order: no change.
    reordered = json.loads(json.dumps(POLICY))
    reordered["Statement"][0]["Principal"]["AWS"].reverse()
    again = run(events, policy=json.dumps(reordered))
    assert again["changed"] is False


def test_check_mode_reports_and_changes_nothing(events) -> None:
    result = run(events, check_mode=True, policy=json.dumps(POLICY))
    assert result["changed"] is True
    assert result["diff"]["after"]["Statement"][0]["Sid"] == hub.BUS_POLICY_SID
    assert bus_policy(events) == {}


def test_a_changed_member_list_is_a_change(events) -> None:
    run(events, policy=json.dumps(POLICY))
    smaller = hub.hub_bus_policy("aws", "eu-west-3", HUB, member_accounts=["222222222222"])
    result = run(events, policy=json.dumps(smaller))
    assert result["changed"] is True
    assert not hub.bus_policy_allows(bus_policy(events), "333333333333")


def test_absent_removes_every_statement(events) -> None:
    run(events, policy=json.dumps(POLICY))
    assert run(events, check_mode=True, state="absent")["changed"] is True
    assert bus_policy(events) != {}
    assert run(events, state="absent")["changed"] is True
    assert not bus_policy(events).get("Statement")
    assert run(events, state="absent")["changed"] is False


def test_bad_policy_is_refused_before_any_call(events) -> None:
    with pytest.raises(ModuleFail) as failure:
        run(events, policy="{not json")
    assert "policy is not valid JSON" in failure.value.result["msg"]
    with pytest.raises(ModuleFail) as failure:
        run(events, policy=json.dumps({"Version": "2012-10-17"}))
    assert "at least one Statement" in failure.value.result["msg"]
