"""Watch the watcher: the tamper filters (contract.tamper_filter_patterns, via the alarm role's alarm_facts) run with
the CloudWatch Logs pattern evaluator over CloudTrail records of every watched call - on our resources and on others,
succeeded and failed, by a role session and by an IAM user.

Record shapes follow CloudTrail's documented management-event records (requestParameters as each service logs
them: EventBridge ``name``/``rule``, CloudWatch ``alarmNames`` list or ``alarmName``, Lambda ``functionName`` as a
name or an ARN with versioned event names, SNS ``topicArn``/``subscriptionArn``, CloudTrail ``name`` as a name or
an ARN, IAM ``roleName``, CloudWatch Logs ``logGroupName``, SQS ``queueUrl``, DynamoDB ``tableName``)."""

from __future__ import annotations

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils.contract import TAMPER_CALLS

from tests.lib.filter_pattern import parse

from .conftest import role_values

ACCOUNT = "444455556666"
REGION = "eu-west-3"
OURS = {
    "rule": "bucketguard-s3-visibility-change",
    "alarm": "bucketguard-s3-visibility-change",
    "log_group": "/bucketguard/cloudtrail",
    "function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:bucketguard-notifier",
    "topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:bucketguard-alerts",
    "subscription": f"arn:aws:sns:{REGION}:{ACCOUNT}:bucketguard-alerts:0a1b2c3d-4e5f-6789-abcd-ef0123456789",
    "trail": f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/bucketguard-trail",
    "role": "bucketguard-notifier-role",
    "queue": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/bucketguard-dead-letter",
    "table": "bucketguard-reported",
}
THEIRS = {
    "rule": "payments-s3-events",
    "alarm": "payments-high-latency",
    "log_group": "/payments/app",
    "function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:payments-api",
    "topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:payments-alerts",
    "subscription": f"arn:aws:sns:{REGION}:{ACCOUNT}:payments-alerts:0a1b2c3d-4e5f-6789-abcd-ef0123456789",
    "trail": f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/org-trail",
    "role": "payments-role",
    "queue": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/payments-jobs",
    "table": "payments-orders",
}
ROLE_SESSION = {
    "type": "AssumedRole",
    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/mallory",
    "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "Admin"}},
}
IAM_USER = {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/mallory", "userName": "mallory"}


def cases():
    """(service, event name as CloudTrail logs it, request field, kind of name) for every watched call."""
    for service, (source, names, fields) in TAMPER_CALLS.items():
        for name in names:
            logged = name[:-1] + "20150331v2" if name.endswith("*") else name
            for selector, kind in fields:
                yield service, source, logged, selector.removeprefix("$.requestParameters."), kind


def record(source, event, field, value, identity=ROLE_SESSION, error=None):
    params = {field.removesuffix("[*]"): [value] if field.endswith("[*]") else value}
    out = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": "2026-12-01T10:00:00Z",
        "eventSource": source,
        "eventName": event,
        "awsRegion": REGION,
        "sourceIPAddress": "203.0.113.7",
        "requestParameters": params,
        "responseElements": None,
        "eventID": "3e1c8f4a-0000-4000-8000-000000000001",
        "recipientAccountId": ACCOUNT,
    }
    if error:
        out["errorCode"] = error
        out["errorMessage"] = "User is not authorized to perform this action"
    return out


@pytest.fixture(scope="module")
def rendered():
    """The role's own tamper patterns (defaults, prefix bucketguard), parsed."""
    patterns = role_values()["tamper_patterns"]
    assert set(patterns) == set(TAMPER_CALLS)
    assert all(len(p) <= 1024 for p in patterns.values())
    return {service: parse(p) for service, p in patterns.items()}


CASES = list(cases())


@pytest.mark.parametrize(("service", "source", "event", "field", "kind"), CASES, ids=[f"{c[2]}-{c[3]}" for c in CASES])
def test_a_successful_call_on_our_resource_fires_and_nothing_else_does(rendered, service, source, event, field, kind):
    pattern = rendered[service]
    assert pattern.matches(record(source, event, field, OURS[kind]))
    assert pattern.matches(record(source, event, field, OURS[kind], identity=IAM_USER))
    assert not pattern.matches(record(source, event, field, THEIRS[kind]))
    assert not pattern.matches(record(source, event, field, OURS[kind], error="AccessDenied"))
    other_service = "s3.amazonaws.com"
    assert not pattern.matches(record(other_service, event, field, OURS[kind]))


def test_reads_and_creations_of_our_resources_do_not_fire(rendered):
    assert not rendered["events"].matches(record("events.amazonaws.com", "DescribeRule", "name", OURS["rule"]))
    assert not rendered["lambda"].matches(
        record("lambda.amazonaws.com", "GetFunction20150331v2", "functionName", OURS["function"])
    )
    assert not rendered["iam"].matches(record("iam.amazonaws.com", "GetRole", "roleName", OURS["role"]))


def test_lambda_by_plain_name_and_qualified_arn_fires(rendered):
    for value in ("bucketguard-notifier", OURS["function"] + ":$LATEST"):
        assert rendered["lambda"].matches(
            record("lambda.amazonaws.com", "PutFunctionConcurrency20171031", "functionName", value)
        )


def test_an_ignored_role_does_not_fire_but_a_user_or_another_role_still_does():
    patterns = role_values(alarm_tamper_ignore_roles=["bucketguard-deployer"])["tamper_patterns"]
    pattern = parse(patterns["events"])
    deployer = {
        **ROLE_SESSION,
        "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "bucketguard-deployer"}},
    }
    assert not pattern.matches(record("events.amazonaws.com", "DisableRule", "name", OURS["rule"], identity=deployer))
    assert pattern.matches(record("events.amazonaws.com", "DisableRule", "name", OURS["rule"], identity=ROLE_SESSION))
    assert pattern.matches(record("events.amazonaws.com", "DisableRule", "name", OURS["rule"], identity=IAM_USER))


def test_an_organisation_trail_is_not_ours_to_watch():
    patterns = role_values(trail_manage=False)["tamper_patterns"]
    assert "cloudtrail" not in patterns
    assert set(patterns) == set(TAMPER_CALLS) - {"cloudtrail"}
