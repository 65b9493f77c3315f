"""bucketguard.visibility.events_rule: the pure helpers, and main() against moto's in-process EventBridge
(create -> re-run -> modify -> check mode -> delete -> delete-absent; check mode reports and writes nothing).
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from ansible_collections.bucketguard.visibility.plugins.modules import events_rule as module
from ansible_collections.bucketguard.visibility.plugins.modules.events_rule import (
    normalise_targets,
    parse_pattern,
    pattern_problems,
    plan_targets,
    target_from_api,
    target_to_api,
)
from moto import mock_aws

from tests.lib.module_harness import ModuleFail, run_module

REGION = "eu-west-3"
ACCOUNT = "123456789012"
RULE = "bucketguard-s3-exposure"
PATTERN = {
    "source": ["aws.s3"],
    "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {"eventName": ["PutBucketPolicy", "DeleteBucketPublicAccessBlock"]},
}
NOTIFIER = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:bucketguard-notifier"
HOME_BUS = f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/default"
FORWARDER = f"arn:aws:iam::{ACCOUNT}:role/bucketguard-forwarder"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:bucketguard-events"


# ---------------------------------------------------------------- pure helpers


def test_parse_pattern_takes_a_dict_or_json_text() -> None:
    assert parse_pattern(PATTERN) == PATTERN
    assert parse_pattern(json.dumps(PATTERN, indent=2)) == PATTERN
    with pytest.raises(ValueError, match="not JSON"):
        parse_pattern("{source: aws.s3")
    with pytest.raises(ValueError, match="must be a JSON object, got list"):
        parse_pattern('["aws.s3"]')


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ({}, "must not be empty"),
        ({"source": "aws.s3"}, 'field source must be a list of values or an object, got "aws.s3"'),
        ({"detail": {"eventName": []}}, "field detail.eventName is an empty list"),
        ({"detail": {}}, "field detail is an empty object"),
        ({"source": ["x" * 5000]}, "EventBridge allows 4096"),
    ],
)
def test_pattern_problems(pattern: dict, says: str) -> None:
    assert any(says in p for p in pattern_problems(pattern)), pattern_problems(pattern)


def test_a_valid_pattern_has_no_problem() -> None:
    assert pattern_problems(PATTERN) == []
    assert pattern_problems({"detail": {"errorCode": [{"exists": False}]}}) == []


def test_targets_round_trip_through_the_api_form() -> None:
    target = {
        "id": "q",
        "arn": QUEUE,
        "role_arn": None,
        "input": None,
        "input_path": "$.detail",
        "input_transformer": None,
        "dead_letter_config": {"arn": QUEUE + "-dlq"},
        "retry_policy": {"maximum_retry_attempts": 4, "maximum_event_age_in_seconds": None},
        "sqs_parameters": {"message_group_id": "s3"},
    }
    api = target_to_api(target)
    assert api == {
        "Id": "q",
        "Arn": QUEUE,
        "InputPath": "$.detail",
        "DeadLetterConfig": {"Arn": QUEUE + "-dlq"},
        "RetryPolicy": {"MaximumRetryAttempts": 4},
        "SqsParameters": {"MessageGroupId": "s3"},
    }
    assert target_from_api(api) == {k: v for k, v in target.items() if v} | {
        "retry_policy": {"maximum_retry_attempts": 4}
    }


def test_input_is_compared_as_json() -> None:
    a = normalise_targets([{"id": "n", "arn": NOTIFIER, "input": '{"b": 1, "a": 2}'}])
    b = normalise_targets([{"id": "n", "arn": NOTIFIER, "input": {"a": 2, "b": 1}}])
    assert a == b


def test_plan_targets_puts_what_differs_and_purges_what_is_not_declared() -> None:
    current = [{"id": "notifier", "arn": NOTIFIER}, {"id": "stray", "arn": QUEUE}]
    wanted = [{"id": "notifier", "arn": NOTIFIER, "role_arn": None}]
    assert plan_targets(current, wanted, purge=True) == ([], ["stray"], [{"id": "notifier", "arn": NOTIFIER}])
    to_put, to_remove, after = plan_targets(current, wanted, purge=False)
    assert (to_put, to_remove, [t["id"] for t in after]) == ([], [], ["notifier", "stray"])
    moved = [{"id": "notifier", "arn": HOME_BUS, "role_arn": FORWARDER}]
    assert plan_targets(current, moved, purge=True)[0] == [{"id": "notifier", "arn": HOME_BUS, "role_arn": FORWARDER}]


# ---------------------------------------------------------------- main() on moto


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_URL", "EC2_URL"):
        monkeypatch.delenv(key, raising=False)
    with mock_aws():
        yield boto3.client("events", region_name=REGION)


def run(args: dict[str, Any], check_mode: bool = False, diff: bool = True) -> dict[str, Any]:
    return run_module(module, args, None, check_mode=check_mode, diff=diff, region=REGION)


def rule_args(**overrides: Any) -> dict[str, Any]:
    args = {
        "name": RULE,
        "description": "S3 calls that can make a bucket public",
        "event_pattern": PATTERN,
        "targets": [{"id": "notifier", "arn": NOTIFIER}],
    }
    args.update(overrides)
    return args


def deployed(events: Any, name: str = RULE, bus: str = "default") -> tuple[dict, list]:
    rule = events.describe_rule(Name=name, EventBusName=bus)
    targets = events.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]
    return rule, targets


def test_create_rerun_modify_delete_cycle(aws: Any) -> None:
    created = run(rule_args())
    assert created["changed"] is True
    rule, targets = deployed(aws)
    assert rule["State"] == "ENABLED"
    assert json.loads(rule["EventPattern"]) == PATTERN
    assert rule["Description"] == "S3 calls that can make a bucket public"
    assert [(t["Id"], t["Arn"]) for t in targets] == [("notifier", NOTIFIER)]
    assert created["rule"]["arn"] == rule["Arn"]
    assert created["diff"]["before"] == {}
    assert created["diff"]["after"]["targets"] == [{"id": "notifier", "arn": NOTIFIER}]

    # The same pattern as JSON text with other key order and spacing: no change.
    again = run(rule_args(event_pattern=json.dumps(dict(reversed(list(PATTERN.items()))), indent=4)))
    assert again["changed"] is False
    assert again["diff"]["before"] == again["diff"]["after"]

    # Re-point the target through a role and narrow the pattern.
    narrower = dict(PATTERN, detail={"eventName": ["PutBucketPolicy"]})
    modified = run(
        rule_args(event_pattern=narrower, targets=[{"id": "notifier", "arn": HOME_BUS, "role_arn": FORWARDER}])
    )
    assert modified["changed"] is True
    rule, targets = deployed(aws)
    assert json.loads(rule["EventPattern"]) == narrower
    assert [(t["Id"], t["Arn"], t.get("RoleArn")) for t in targets] == [("notifier", HOME_BUS, FORWARDER)]
    assert modified["diff"]["before"]["targets"] == [{"id": "notifier", "arn": NOTIFIER}]

    disabled = run(
        rule_args(
            event_pattern=narrower,
            state="disabled",
            targets=[{"id": "notifier", "arn": HOME_BUS, "role_arn": FORWARDER}],
        )
    )
    assert disabled["changed"] is True
    assert deployed(aws)[0]["State"] == "DISABLED"

    gone = run({"name": RULE, "state": "absent"})
    assert gone["changed"] is True
    assert gone["diff"]["after"] == {}
    assert aws.list_rules(NamePrefix=RULE)["Rules"] == []
    assert run({"name": RULE, "state": "absent"})["changed"] is False


def test_check_mode_on_a_missing_rule_reports_the_change_and_creates_nothing(aws: Any) -> None:
    result = run(rule_args(), check_mode=True)
    assert result["changed"] is True
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["rule"]["name"] == RULE
    assert result["diff"]["after"]["rule"]["event_pattern"] == PATTERN
    assert result["diff"]["after"]["targets"] == [{"id": "notifier", "arn": NOTIFIER}]
    assert aws.list_rules(NamePrefix=RULE)["Rules"] == []


def test_check_mode_on_drift_reports_and_changes_nothing(aws: Any) -> None:
    run(rule_args())
    aws.disable_rule(Name=RULE)
    aws.put_targets(Rule=RULE, Targets=[{"Id": "stray", "Arn": QUEUE}])
    result = run(rule_args(), check_mode=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["rule"]["state"] == "DISABLED"
    assert result["diff"]["after"]["rule"]["state"] == "ENABLED"
    assert [t["id"] for t in result["diff"]["before"]["targets"]] == ["notifier", "stray"]
    assert [t["id"] for t in result["diff"]["after"]["targets"]] == ["notifier"]
    rule, targets = deployed(aws)
    assert rule["State"] == "DISABLED"
    assert sorted(t["Id"] for t in targets) == ["notifier", "stray"]
    # the real run repairs it; then a check-mode run is clean
    assert run(rule_args())["changed"] is True
    assert [t["Id"] for t in deployed(aws)[1]] == ["notifier"]
    assert run(rule_args(), check_mode=True)["changed"] is False


def test_check_mode_absent_reports_and_deletes_nothing(aws: Any) -> None:
    run(rule_args())
    result = run({"name": RULE, "state": "absent"}, check_mode=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["rule"]["name"] == RULE
    assert deployed(aws)[1][0]["Id"] == "notifier"


def test_purge_targets_false_keeps_other_targets(aws: Any) -> None:
    run(rule_args())
    aws.put_targets(Rule=RULE, Targets=[{"Id": "other", "Arn": QUEUE}])
    result = run(rule_args(purge_targets=False))
    assert result["changed"] is False
    assert sorted(t["Id"] for t in deployed(aws)[1]) == ["notifier", "other"]


def test_an_omitted_description_is_kept(aws: Any) -> None:
    run(rule_args())
    args = rule_args()
    args.pop("description")
    assert run(args)["changed"] is False
    assert deployed(aws)[0]["Description"] == "S3 calls that can make a bucket public"


def test_target_options_reach_the_api(aws: Any) -> None:
    target = {
        "id": "queue",
        "arn": QUEUE,
        "input_path": "$.detail",
        "dead_letter_config": {"arn": QUEUE + "-dlq"},
        "retry_policy": {"maximum_retry_attempts": 4, "maximum_event_age_in_seconds": 3600},
    }
    assert run(rule_args(targets=[target]))["changed"] is True
    (deployed_target,) = deployed(aws)[1]
    assert deployed_target["InputPath"] == "$.detail"
    assert deployed_target["DeadLetterConfig"] == {"Arn": QUEUE + "-dlq"}
    assert deployed_target["RetryPolicy"] == {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 3600}
    assert run(rule_args(targets=[target]))["changed"] is False


def test_a_rule_on_another_bus(aws: Any) -> None:
    aws.create_event_bus(Name="audit")
    assert run(rule_args(event_bus_name="audit"))["changed"] is True
    assert deployed(aws, bus="audit")[0]["EventBusName"] == "audit"
    assert aws.list_rules(NamePrefix=RULE)["Rules"] == []  # not on the default bus
    assert run(rule_args(event_bus_name="audit"))["changed"] is False


def test_tags_are_managed_when_given(aws: Any) -> None:
    created = run(rule_args(tags={"owner": "security"}))
    arn = created["rule"]["arn"]
    assert aws.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "owner", "Value": "security"}]
    assert run(rule_args(tags={"owner": "security"}))["changed"] is False
    changed = run(rule_args(tags={"team": "sec"}))
    assert changed["changed"] is True and changed["tags"] == {"team": "sec"}
    assert aws.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "sec"}]


def test_an_unknown_bus_fails_clearly(aws: Any) -> None:
    with pytest.raises(ModuleFail) as failure:
        run(rule_args(event_bus_name="no-such-bus"), check_mode=True)
    assert "the event bus no-such-bus does not exist" in failure.value.result["msg"]
    assert run({"name": RULE, "event_bus_name": "no-such-bus", "state": "absent"})["changed"] is False


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ({"event_pattern": '{"source": "aws.s3"}'}, "field source must be a list of values"),
        ({"event_pattern": "not json"}, "event_pattern is not JSON"),
        ({"targets": [{"id": "a", "arn": NOTIFIER}, {"id": "a", "arn": QUEUE}]}, "target ids must be unique"),
        ({"event_pattern": None}, "event_pattern"),
    ],
)
def test_bad_input_fails_before_any_call(args: dict[str, Any], says: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_client(*_a: Any, **_k: Any) -> None:
        raise AssertionError("an AWS client was made")

    monkeypatch.setattr(module.AnsibleAWSModule, "client", no_client)
    with pytest.raises(ModuleFail) as failure:
        run(rule_args(**args))
    assert says in failure.value.result["msg"]
    assert RULE in failure.value.result["msg"] or "event_pattern" in failure.value.result["msg"]
