"""The trail role's input check, policies and event selectors (plugins/module_utils/trail.py).

The role's first task asserts ``trail_problems`` is empty before any AWS call; the bucket, key, access-log and
logs-role policies and the advanced event selectors come from ``trail_facts``. ``tests/fixtures/roles/trail.json``
holds what the role's Jinja (``roles/trail/vars/main.yml``) rendered before the move (issue 11), for the cases
below and more: the functions give the same messages and documents, byte for byte (key order included).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils.trail import trail_facts, trail_problems
from ansible_collections.bucketguard.visibility.plugins.modules.cloudtrail_event_selectors import (
    normalize_advanced_selectors,
    selector_problems,
)

FIXTURE = json.loads((Path(__file__).resolve().parents[3] / "fixtures" / "roles" / "trail.json").read_text())
CASES = FIXTURE["cases"]
# The role's inputs with its defaults, for account 444455556666 in eu-west-3 and the prefix "bucketguard".
DEFAULTS = CASES[0]["inputs"]
# Host variables the role reads besides its own inputs.
HOST = ("aws_region", "bucketguard_partition", "made_key_arn")


def split(overrides: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    inputs = {**DEFAULTS, **{k: v for k, v in overrides.items() if k not in HOST}}
    if "bucketguard_account_id" in overrides:  # trail_account_id defaults to it
        inputs["trail_account_id"] = inputs.pop("bucketguard_account_id")
    host = {
        "partition": overrides.get("bucketguard_partition", "aws"),
        "region": overrides.get("aws_region", "eu-west-3"),
    }
    return inputs, host


def errors(**overrides: Any) -> list[str]:
    inputs, host = split(overrides)
    return trail_problems(inputs, **host)


def facts(**overrides: Any) -> dict[str, Any]:
    inputs, host = split(overrides)
    return trail_facts(inputs, made_key_arn=overrides.get("made_key_arn", ""), **host)


@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_same_messages_and_documents_as_the_roles_jinja(case: dict[str, Any]) -> None:
    host = {"partition": case["partition"], "region": case["region"]}
    assert trail_problems(case["inputs"], **host) == case["problems"]
    if "facts" in case:
        got = trail_facts(case["inputs"], made_key_arn=case.get("made_key_arn", ""), **host)
        for name, wanted in case["facts"].items():
            assert json.dumps(got[name]) == json.dumps(wanted), name


def test_defaults_are_valid_and_names_follow_the_design() -> None:
    assert errors() == []
    assert DEFAULTS["trail_name"] == "bucketguard-trail"
    assert DEFAULTS["trail_log_group_name"] == "/bucketguard/cloudtrail"
    assert DEFAULTS["trail_bucket_name"] == "bucketguard-cloudtrail-444455556666-eu-west-3"
    assert DEFAULTS["trail_logs_role_name"] == "bucketguard-cloudtrail-logs-role"
    assert facts()["arn"] == "arn:aws:cloudtrail:eu-west-3:444455556666:trail/bucketguard-trail"
    assert facts()["log_group_arn"] == "arn:aws:logs:eu-west-3:444455556666:log-group:/bucketguard/cloudtrail:*"


def facts_of(name: str, **overrides: Any) -> Any:
    return facts(**overrides)[name]


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"bucketguard_account_id": "12345"}, "trail_account_id"),
        ({"trail_account_id": "12345678901a"}, "trail_account_id"),
        ({"aws_region": "eu-west-3a"}, "aws_region"),
        ({"trail_name": "-bad"}, "trail_name"),
        ({"trail_bucket_name": "Bad_Bucket"}, "trail_bucket_name"),
        ({"trail_bucket_name": "ab"}, "trail_bucket_name"),
        ({"trail_bucket_name": "a" * 64}, "trail_bucket_name"),
        ({"trail_bucket_name": "my..bucket"}, "trail_bucket_name"),
        ({"trail_bucket_name": "192.168.1.10"}, "trail_bucket_name"),
        ({"trail_bucket_name": "xn--bucket"}, "trail_bucket_name"),
        ({"trail_bucket_name": "logs-s3alias"}, "trail_bucket_name"),
        ({"trail_s3_key_prefix": "/logs"}, "trail_s3_key_prefix"),
        ({"trail_s3_key_prefix": "logs/"}, "trail_s3_key_prefix"),
        ({"trail_kms_key_id": "my-key"}, "trail_kms_key_id"),
        ({"trail_log_group_kms_key_arn": "alias/aws/logs"}, "trail_log_group_kms_key_arn"),
        ({"trail_log_group_name": "bad name"}, "trail_log_group_name"),
        ({"trail_log_retention_days": 42}, "trail_log_retention_days"),
        ({"trail_log_retention_days": 0}, "trail_log_retention_days"),
        ({"trail_logs_role_name": "bad role"}, "trail_logs_role_name"),
        ({"trail_log_transition_days": -1}, "trail_log_transition_days"),
        ({"trail_log_expiration_days": -5}, "trail_log_expiration_days"),
        ({"trail_log_transition_days": 90, "trail_log_expiration_days": 30}, "trail_log_expiration_days"),
        ({"trail_log_transition_storage_class": "tape"}, "trail_log_transition_storage_class"),
        ({"trail_existing_trail_arn": "org-trail"}, "trail_existing_trail_arn"),
        # A trailing newline passes Python's "$": every pattern ends with \\Z.
        (
            {"aws_region": "eu-west-3\n", "trail_bucket_name": "logs", "trail_access_log_bucket_name": "access"},
            "aws_region",
        ),
        (
            {
                "bucketguard_account_id": "444455556666\n",
                "trail_bucket_name": "logs",
                "trail_access_log_bucket_name": "access",
            },
            "trail_account_id",
        ),
        ({"trail_name": "trail\n"}, "trail_name"),
        ({"trail_bucket_name": "bucket-name\n"}, "trail_bucket_name"),
        ({"trail_log_group_name": "/bg/cloudtrail\n"}, "trail_log_group_name"),
        ({"trail_log_retention_days": "365\n"}, "trail_log_retention_days"),
        ({"trail_log_transition_days": "30\n"}, "trail_log_transition_days"),
        ({"trail_kms_key_id": "alias/cloudtrail\n"}, "trail_kms_key_id"),
        # ARNs: only aws, aws-cn, aws-us-gov, and the fleet's own partition.
        ({"trail_kms_key_id": "arn:aws-iso:kms:eu-west-3:444455556666:key/1234abcd"}, "trail_kms_key_id"),
        (
            {"trail_log_group_kms_key_arn": "arn:aws-cn:kms:eu-west-3:444455556666:key/1234abcd"},
            "trail_kms_key_id, trail_log_group_kms_key_arn",
        ),
        (
            {"trail_existing_trail_arn": "arn:aws-us-gov:cloudtrail:us-east-1:444455556666:trail/org"},
            "trail_kms_key_id, trail_log_group_kms_key_arn",
        ),
        # The CIS options.
        ({"trail_kms_key_create": True, "trail_kms_key_id": "alias/mine"}, "trail_kms_key_create"),
        ({"trail_kms_key_alias": "alias/aws/cloudtrail"}, "trail_kms_key_alias"),
        ({"trail_kms_key_alias": "cloudtrail"}, "trail_kms_key_alias"),
        ({"trail_kms_key_deletion_days": 3}, "trail_kms_key_deletion_days"),
        ({"trail_kms_key_delete": True, "trail_state": "absent"}, "trail_kms_key_delete"),
        ({"trail_access_log_bucket_name": "Access_Logs"}, "trail_access_log_bucket_name"),
        (
            {"trail_access_log_bucket_name": "bucketguard-cloudtrail-444455556666-eu-west-3"},
            "trail_access_log_bucket_name",
        ),
        ({"trail_object_lock_mode": "legal-hold", "trail_object_lock_days": 1}, "trail_object_lock_mode"),
        ({"trail_object_lock_mode": "governance"}, "trail_object_lock_days"),
        ({"trail_object_lock_days": 30}, "trail_object_lock_days"),
    ],
)
def test_a_bad_value_gives_one_error_naming_the_variable(overrides: dict[str, Any], variable: str) -> None:
    found = errors(**overrides)
    assert len(found) == 1, found
    assert found[0].startswith(variable) or f"{variable} " in found[0] or f"{variable}:" in found[0]


@pytest.mark.parametrize(
    "overrides",
    [
        {"trail_log_retention_days": 3653},
        {"trail_log_retention_days": "1"},
        {"trail_kms_key_id": "alias/cloudtrail"},
        {"trail_kms_key_id": "1234abcd-12ab-34cd-56ef-1234567890ab"},
        {"trail_kms_key_id": "arn:aws:kms:eu-west-3:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
        {"trail_log_group_kms_key_arn": "arn:aws:kms:eu-west-3:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
        {"trail_log_transition_days": 30, "trail_log_expiration_days": 3653},
        {"trail_log_expiration_days": 365},
        {"trail_s3_key_prefix": "org/audit"},
        {"trail_bucket_name": "audit.logs-1"},
        {"trail_existing_trail_arn": "arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail"},
        # The event selector options are applied (no longer refused), whatever the state.
        {"trail_management_events": "write_only"},
        {"trail_object_acl_events": True},
        {"trail_management_events": "write_only", "trail_object_acl_events": "true"},
        {"trail_manage": False, "trail_object_acl_events": True, "trail_management_events": "write_only"},
        {"trail_state": "absent", "trail_object_acl_events": True},
        {"trail_kms_key_create": True},
        {"trail_kms_key_create": True, "trail_kms_key_delete": True, "trail_state": "absent", "trail_purge_logs": True},
        {"trail_kms_key_delete": True},  # present: the flag only matters at teardown
        {"trail_access_logging": False, "trail_access_log_bucket_name": "not checked when off"},
        {"trail_object_lock_mode": "compliance", "trail_object_lock_days": 3653},
        {"trail_object_lock_mode": "governance", "trail_object_lock_days": "1"},
        {"bucketguard_partition": "aws-cn", "trail_kms_key_id": "arn:aws-cn:kms:cn-north-1:444455556666:key/1234abcd"},
    ],
)
def test_good_values_pass(overrides: dict[str, Any]) -> None:
    assert errors(**overrides) == []


def test_several_bad_values_are_all_reported() -> None:
    found = errors(trail_log_retention_days=42, trail_bucket_name="Bad_Bucket", bucketguard_account_id="x")
    assert len(found) == 3
    assert any("got 42" in e for e in found)
    assert any('"Bad_Bucket"' in e for e in found)


def test_bucket_policy_lets_only_this_trail_write_and_denies_plain_http() -> None:
    policy = facts(trail_s3_key_prefix="org/audit")["bucket_policy"]
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert set(by_sid) == {"AWSCloudTrailAclCheck", "AWSCloudTrailWrite", "DenyInsecureTransport"}
    trail_arn = "arn:aws:cloudtrail:eu-west-3:444455556666:trail/bucketguard-trail"
    write = by_sid["AWSCloudTrailWrite"]
    assert write["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert write["Action"] == "s3:PutObject"
    assert (
        write["Resource"]
        == "arn:aws:s3:::bucketguard-cloudtrail-444455556666-eu-west-3/org/audit/AWSLogs/444455556666/*"
    )
    assert write["Condition"]["StringEquals"] == {
        "s3:x-amz-acl": "bucket-owner-full-control",
        "aws:SourceArn": trail_arn,
    }
    assert by_sid["AWSCloudTrailAclCheck"]["Condition"]["StringEquals"] == {"aws:SourceArn": trail_arn}
    deny = by_sid["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == "*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_logs_role_is_for_this_trail_and_writes_only_to_its_log_group() -> None:
    trust = facts()["logs_role_trust"]["Statement"]
    assert trust == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceArn": facts()["arn"]}},
        }
    ]
    (statement,) = facts()["logs_role_policy"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == "arn:aws:logs:eu-west-3:444455556666:log-group:/bucketguard/cloudtrail:log-stream:*"


def test_arns_follow_the_partition() -> None:
    assert facts_of("arn", bucketguard_partition="aws-cn", aws_region="cn-north-1").startswith("arn:aws-cn:cloudtrail:")
    assert facts_of("bucket_arn", bucketguard_partition="aws-us-gov").startswith("arn:aws-us-gov:s3:::")


MANAGEMENT_ALL = {"Name": "Management events", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
MANAGEMENT_WRITE = {
    "Name": "Management events",
    "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]},
        {"Field": "readOnly", "Equals": ["false"]},
    ],
}
OBJECT_ACL = {
    "Name": "S3 object ACL changes",
    "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        {"Field": "eventName", "Equals": ["PutObjectAcl"]},
    ],
}


@pytest.mark.parametrize(
    ("overrides", "selectors"),
    [
        ({}, [MANAGEMENT_ALL]),  # the defaults: every management event, no data events
        ({"trail_management_events": "write_only"}, [MANAGEMENT_WRITE]),
        ({"trail_object_acl_events": True}, [MANAGEMENT_ALL, OBJECT_ACL]),
        ({"trail_management_events": "write_only", "trail_object_acl_events": "true"}, [MANAGEMENT_WRITE, OBJECT_ACL]),
        ({"trail_object_acl_events": "false"}, [MANAGEMENT_ALL]),
    ],
)
def test_advanced_event_selectors(overrides: dict[str, Any], selectors: list[dict[str, Any]]) -> None:
    assert facts_of("advanced_event_selectors", **overrides) == selectors


def test_rendered_selectors_pass_the_modules_own_checks() -> None:
    rendered = facts_of("advanced_event_selectors", trail_management_events="write_only", trail_object_acl_events=True)
    assert selector_problems(rendered) == []
    # readOnly stays the string "false" through templating (a boolean would be refused by CloudTrail).
    assert rendered[0]["FieldSelectors"][1] == {"Field": "readOnly", "Equals": ["false"]}
    assert normalize_advanced_selectors(rendered) == normalize_advanced_selectors([OBJECT_ACL, MANAGEMENT_WRITE])


def test_the_kms_key_policy_pins_cloudtrail_to_this_trail_and_logs_to_this_log_group() -> None:
    policy = facts()["kms_key_policy"]
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    trail_arn = "arn:aws:cloudtrail:eu-west-3:444455556666:trail/bucketguard-trail"
    assert by_sid["EnableIAMPolicies"]["Principal"] == {"AWS": "arn:aws:iam::444455556666:root"}
    encrypt = by_sid["AllowCloudTrailToEncryptLogs"]
    assert encrypt["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert encrypt["Action"] == "kms:GenerateDataKey*"
    assert encrypt["Condition"]["StringEquals"] == {"aws:SourceArn": trail_arn}
    assert encrypt["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:444455556666:trail/*"
    }
    assert by_sid["AllowCloudTrailToDescribeKey"]["Condition"]["StringEquals"] == {"aws:SourceArn": trail_arn}
    assert by_sid["AllowCloudTrailToDecryptWithTheBucketKey"]["Condition"]["StringEquals"] == {
        "aws:SourceArn": trail_arn
    }
    decrypt = by_sid["AllowPrincipalsInTheAccountToDecryptLogFiles"]
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Condition"] == {
        "StringEquals": {"kms:CallerAccount": "444455556666"},
        "Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "false"},
    }
    logs = by_sid["AllowCloudWatchLogsForTheTrailLogGroup"]
    assert logs["Principal"] == {"Service": "logs.eu-west-3.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnEquals": {
            "kms:EncryptionContext:aws:logs:arn": (
                "arn:aws:logs:eu-west-3:444455556666:log-group:/bucketguard/cloudtrail"
            )
        }
    }
    assert len(by_sid) == 6


def test_the_trail_uses_the_made_key_or_the_given_one() -> None:
    assert facts()["kms_key"] == ""
    assert facts()["kms_key_arn"] == ""
    assert facts()["log_group_kms_key"] == ""
    alias_arn = "arn:aws:kms:eu-west-3:444455556666:alias/bucketguard-cloudtrail"
    assert facts_of("kms_key", trail_kms_key_create=True) == alias_arn
    # Before the key exists (check mode on an empty account): the alias for the trail, nothing for the log group.
    assert facts_of("kms_key_arn", trail_kms_key_create=True) == alias_arn
    assert facts_of("log_group_kms_key", trail_kms_key_create=True) == ""
    made = {"key_arn": "arn:aws:kms:eu-west-3:444455556666:key/made"}
    assert facts_of("kms_key_arn", trail_kms_key_create=True, made_key_arn=made["key_arn"]) == made["key_arn"]
    assert facts_of("log_group_kms_key", trail_kms_key_create=True, made_key_arn=made["key_arn"]) == made["key_arn"]
    given = "arn:aws:kms:eu-west-3:444455556666:key/given"
    assert facts_of("kms_key_arn", trail_kms_key_id=given) == given
    assert facts_of("log_group_kms_key", trail_log_group_kms_key_arn=given) == given


def test_the_access_log_bucket_takes_only_s3_logging_for_this_log_bucket_and_denies_plain_http() -> None:
    assert DEFAULTS["trail_access_log_bucket_name"] == "bucketguard-cloudtrail-access-444455556666-eu-west-3"
    policy = facts()["access_log_bucket_policy"]
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert set(by_sid) == {"S3ServerAccessLogsPolicy", "DenyInsecureTransport"}
    write = by_sid["S3ServerAccessLogsPolicy"]
    assert write["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert write["Action"] == "s3:PutObject"
    assert write["Resource"] == (
        "arn:aws:s3:::bucketguard-cloudtrail-access-444455556666-eu-west-3/bucketguard-cloudtrail-444455556666-eu-west-3/*"
    )
    assert write["Condition"] == {
        "ArnLike": {"aws:SourceArn": "arn:aws:s3:::bucketguard-cloudtrail-444455556666-eu-west-3"},
        "StringEquals": {"aws:SourceAccount": "444455556666"},
    }
    deny = by_sid["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
