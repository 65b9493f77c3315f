"""The fleet inventory check (contract.fleet_problems) and the patterns derived from the one list of watched calls."""

from __future__ import annotations

import json
import re

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils import cloudtrail, contract, drift

ACCOUNT = "123456789012"


def host(region: str = "eu-west-3", home: bool | None = None, **extra) -> dict:
    """A host of ACCOUNT (home region eu-west-3); ``home`` sets the deprecated boolean when given."""
    hv = {
        "bucketguard_account_id": ACCOUNT,
        "aws_region": region,
        "bucketguard_home_region_name": "eu-west-3",
        **extra,
    }
    if home is not None:
        hv["bucketguard_home_region"] = home
    return hv


def fleet(**extra) -> dict:
    return {f"{ACCOUNT}-eu-west-3": host(**extra), f"{ACCOUNT}-us-east-1": host("us-east-1", **extra)}


def test_a_good_fleet_has_no_problem():
    assert contract.fleet_problems(fleet()) == []
    assert contract.fleet_problems(fleet(bucketguard_account_name="prod-web")) == []


@pytest.mark.parametrize("name", ["x" * 51, ["prod"], 12])
def test_account_name_is_checked(name):
    problems = contract.host_problems("h", host(bucketguard_account_name=name))
    assert problems == [f"h: bucketguard_account_name must be the account's name, at most 50 characters, got {name!r}."]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("bucketguard_account_id", "12345678901", "bucketguard_account_id must be 12 digits"),
        ("bucketguard_account_id", "123456789012\n", "bucketguard_account_id must be 12 digits"),
        ("bucketguard_account_id", 123456789012, "quoted in YAML"),
        ("aws_region", "us-east-1\n", "aws_region must be a region name"),
        ("aws_region", "US-EAST-1", "aws_region must be a region name"),
        ("bucketguard_name_prefix", "Bad_Prefix", "bucketguard_name_prefix must be"),
        ("bucketguard_name_prefix", "ok\n", "bucketguard_name_prefix must be"),
        ("bucketguard_partition", "aws-iso", "bucketguard_partition must be one of"),
        ("bucketguard_central_topic_arn", "arn:aws:sns:eu-west-3:123456789012:t\n", "must be an SNS topic ARN"),
        ("bucketguard_central_topic_arn", "arn:aws-iso:sns:eu-west-3:123456789012:t", "must be an SNS topic ARN"),
        ("bucketguard_central_topic_arn", "arn:aws-cn:sns:eu-west-3:123456789012:t", "is in the partition 'aws-cn'"),
        ("bucketguard_assume_role_arn", "arn:aws:iam::123:role/x", "must be an IAM role ARN"),
        ("bucketguard_endpoint_url", "ftp://x", "bucketguard_endpoint_url must be an http(s) URL"),
        ("bucketguard_tags", {"aws:owner": "me"}, "must not start with 'aws:'"),
        ("bucketguard_tags", {"team": ["a", "b"]}, "a scalar"),
        ("bucketguard_tags", {"k" * 129: "v"}, "must be 1-128 letters"),
        ("bucketguard_tags", ["not", "a", "dict"], "must be a dict of tags"),
        ("sns_email_subscribers", ["not-an-email"], "sns_email_subscribers has addresses that are not valid"),
        ("sns_email_subscribers", "ok@example.com\nbad", "sns_email_subscribers has addresses that are not valid"),
        ("bucketguard_home_region", "maybe", "bucketguard_home_region must be true or false"),
        ("bucketguard_tags", {"AWS:Owner": "me"}, "not start with 'aws:'"),
        ("bucketguard_tags", {"cost": 1234}, "quoted in YAML"),
        ("bucketguard_tags", {"on": True}, "quoted in YAML"),
        ("bucketguard_tags", {"team<x>": "a"}, "letters, digits, spaces or"),
        ("bucketguard_tags", {"team": "a\nb"}, "at most 256 letters"),
        ("bucketguard_tags", {"team": "v" * 257}, "at most 256 letters"),
        ("trail_tags", {"aws:x": "y"}, "trail_tags key 'aws:x' must not start with 'aws:'"),
        ("bucketguard_assume_role_arn", "arn:aws-cn:iam::123456789012:role/x", "is in the partition 'aws-cn'"),
        (
            "trail_kms_key_id",
            "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/abc",
            "is in the partition 'aws-us-gov'",
        ),
        ("trail_kms_key_id", "arn:aws:kms:eu-west-3:123456789012:key/abc\n", "trail_kms_key_id must be empty or"),
        ("trail_log_group_kms_key_arn", "alias/x", "trail_log_group_kms_key_arn must be empty or a KMS key ARN"),
        ("notifier_lambda_allowlist", ["*"], "made only of wildcards"),
        ("notifier_lambda_allowlist", ["[a-z]*", "??"], "made only of wildcards"),
        ("notifier_lambda_allowlist", ["site\n"], "must be bucket names or globs"),
        ("notifier_lambda_allowlist", "site-*", "must be a list"),
        ("alarm_period", 45, "alarm_period must be 10, 30 or a multiple of 60"),
        ("alarm_period", "60\n", "alarm_period must be 10, 30 or a multiple of 60"),
        ("alarm_period", True, "alarm_period must be 10, 30 or a multiple of 60"),
        ("alarm_evaluation_periods", 0, "alarm_evaluation_periods must be a whole number >= 1"),
        ("alarm_evaluation_periods", 1441, "at most 86400 seconds"),
        ("trail_log_retention_days", 42, "trail_log_retention_days must be one of"),
        ("notifier_lambda_log_retention_days", "14\n", "notifier_lambda_log_retention_days must be one of"),
        ("trail_bucket_name", "Logs", "trail_bucket_name must be a valid S3 bucket name"),
        ("trail_access_log_bucket_name", "a..b", "trail_access_log_bucket_name must be a valid S3 bucket name"),
    ],
)
def test_a_bad_value_names_the_host_and_the_variable(name, value, message):
    problems = contract.fleet_problems({f"{ACCOUNT}-eu-west-3": host(**{name: value})})
    assert any(message in p and p.startswith(f"{ACCOUNT}-eu-west-3: ") for p in problems), problems


def test_text_survey_answers_for_subscribers_are_split():
    assert contract.split_emails("a@example.com; b@example.com\nc@example.com,") == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
    ]
    assert contract.fleet_problems(fleet(sns_email_subscribers="a@example.com\nb@example.com")) == []


def test_a_missing_home_region_name_names_the_account():
    hosts = fleet()
    for hv in hosts.values():
        del hv["bucketguard_home_region_name"]
    problems = contract.fleet_problems(hosts)
    assert any("bucketguard_home_region_name is not set" in p and ACCOUNT in p for p in problems), problems


def test_a_region_whose_home_region_is_not_in_the_inventory_is_refused():
    problems = contract.fleet_problems({f"{ACCOUNT}-us-east-1": host("us-east-1", False)})
    assert problems == [
        f"account {ACCOUNT}: needs exactly one host in its home region (bucketguard_home_region_name), has 0 "
        "(its home region eu-west-3 is not in the inventory)."
    ]


def test_a_job_slice_may_hold_region_hosts_without_their_home_host():
    region_only = {f"{ACCOUNT}-us-east-1": host("us-east-1", False)}
    assert contract.fleet_problems(region_only, sliced=True) == []
    two = {**fleet(), f"{ACCOUNT}-us-east-1": host("us-east-1", True)}
    assert any("has 2" in p for p in contract.fleet_problems(two, sliced=True))
    bad = {f"{ACCOUNT}-us-east-1": host("us-east-1\n", False)}
    assert contract.fleet_problems(bad, sliced=True) != []


def test_two_home_hosts_or_a_home_host_in_the_wrong_region_are_refused():
    two = {**fleet(), f"{ACCOUNT}-us-east-1": host("us-east-1", True)}
    assert any("has 2" in p for p in contract.fleet_problems(two))
    wrong = {f"{ACCOUNT}-us-east-1": host("us-east-1", True)}
    assert any("is not bucketguard_home_region_name eu-west-3" in p for p in contract.fleet_problems(wrong))


def test_the_home_host_is_derived_from_the_home_region_name():
    assert contract.is_home_host(host()) is True
    assert contract.is_home_host(host("us-east-1")) is False
    assert contract.is_home_host({"aws_region": "eu-west-3"}) is False  # no home region named: not a home host
    assert contract.fleet_problems(fleet()) == []
    # Two hosts of one account in its home region (say, under two names): refused, naming the account.
    twice = {**fleet(), f"{ACCOUNT}-eu-west-3-again": host()}
    assert any(
        f"account {ACCOUNT}: needs exactly one host" in p and "has 2" in p for p in contract.fleet_problems(twice)
    )


def test_the_deprecated_boolean_still_decides_and_is_warned_about():
    assert contract.is_home_host(host("us-east-1", True)) is True
    assert contract.is_home_host(host(home="false")) is False
    assert contract.deprecated_inputs(host(home=True)) == [
        "bucketguard_home_region is deprecated and will be removed in 0.3.0: use bucketguard_home_region_name "
        "(the home host is derived from it)."
    ]
    assert any(
        "bucketguard_home_region must be true or false" in p for p in contract.host_problems("h", host(home="maybe"))
    )
    assert contract.host_problems("h", host()) == []


def test_hosts_of_one_account_must_agree_on_the_home_region():
    hosts = fleet()
    hosts[f"{ACCOUNT}-us-east-1"]["bucketguard_home_region_name"] = "us-east-1"
    assert any("disagree on bucketguard_home_region_name" in p for p in contract.fleet_problems(hosts))


def test_renamed_inputs_are_warned_about():
    assert contract.deprecated_inputs({"alarm_rule_name": "x"}) == [
        "alarm_rule_name is deprecated and will be removed in 0.3.0: use notifier_lambda_event_rule_name."
    ]
    assert contract.deprecated_inputs(host()) == []


# --------------------------------------------------------------------------- one list, every consumer


def test_every_pattern_is_derived_from_the_one_list(monkeypatch):
    """Change the list: the metric filter, the EventBridge pattern, the query and the notifier's search follow."""
    names = contract.watched_event_names()
    assert names == list(cloudtrail.EXPOSURE_EVENTS_DEFAULT)
    assert contract.metric_filter_pattern(names).count("$.eventName") == len(names)
    # The fast path also gets the calls that change reporting only (the allow tag); the metric filter does not.
    assert contract.event_pattern(names)["detail"]["eventName"] == [*names, *cloudtrail.REPORTING_EVENTS]
    assert "PutBucketTagging" not in contract.metric_filter_pattern(names)
    assert json.dumps(names) in contract.insights_query("/g", names, 10)
    monkeypatch.setattr(cloudtrail, "EXPOSURE_EVENTS_DEFAULT", ("PutBucketPolicy",))
    monkeypatch.setattr(cloudtrail, "EXPOSURE_EVENTS", frozenset({"PutBucketPolicy"}))
    assert cloudtrail.watched_event_names() == ["PutBucketPolicy"]
    from bucketguard_notifier import handler

    assert (
        handler.trail_filter_pattern()
        == contract.record_search_pattern()
        == (
            '{ ($.eventSource = "s3.amazonaws.com") && (($.eventName = "PutBucketPolicy") || '
            '($.eventName = "PutBucketTagging")) }'
        )
    )


def test_opt_ins_are_added_once_after_the_default_list():
    names = cloudtrail.watched_event_names(object_acl=True, create_bucket=True, extra=["PutObjectAcl"])
    assert names[-2:] == ["PutObjectAcl", "CreateBucket"] and len(names) == len(set(names))
    assert set(cloudtrail.EXPOSURE_EVENTS) == set(names)


# --------------------------------------------------------------------------- drift of the fast-path rule


BUS = "arn:aws:events:eu-west-3:123456789012:event-bus/default"
ROLE = "arn:aws:iam::123456789012:role/bucketguard-event-forwarder"
WANTED = {"name": "r", "pattern": {"source": ["aws.s3"]}, "target": {"arn": BUS, "role_arn": ROLE}, "where": "the bus"}


def probe(*targets, state="ENABLED", pattern=None):
    """What bucketguard.visibility.events_rule answers in check mode for a rule that exists."""
    rule = {"name": "r", "state": state, "event_pattern": pattern or WANTED["pattern"], "event_bus_name": "default"}
    return {"changed": False, "previous_rule": rule, "previous_targets": list(targets)}


def test_a_rule_that_reaches_the_home_bus_with_the_role_is_fine():
    assert drift.rule_findings(probe({"arn": BUS, "role_arn": ROLE}), WANTED) == []


def test_a_rule_pointed_elsewhere_is_one_finding_naming_where_it_sends():
    other = "arn:aws:events:us-east-1:123456789012:event-bus/default"
    assert drift.rule_findings(probe({"arn": other}), WANTED) == [
        f"EventBridge rule r does not reach the bus ({BUS}); it sends to {other}"
    ]


def test_wrong_role_extra_target_disabled_and_missing_rules_are_named():
    assert drift.rule_findings(probe({"arn": BUS, "role_arn": "x"}), WANTED) == [
        f"EventBridge rule r forwards with the role x, not {ROLE}"
    ]
    assert drift.rule_findings(probe({"arn": BUS, "role_arn": ROLE}, {"arn": "y"}), WANTED) == [
        "EventBridge rule r also sends to y"
    ]
    assert "is DISABLED" in drift.rule_findings(probe({"arn": BUS, "role_arn": ROLE}, state="DISABLED"), WANTED)[0]
    missing = {"changed": True, "previous_rule": {}, "previous_targets": []}
    assert drift.rule_findings(missing, WANTED) == ["EventBridge rule r is missing"]
    assert drift.rule_findings(missing, {**WANTED, "enabled": False}) == []
    assert drift.rule_findings(probe({"arn": BUS, "role_arn": ROLE}), {**WANTED, "enabled": False}) == [
        "EventBridge rule r exists, the fast path is switched off"
    ]
    assert (
        "event pattern differs"
        in drift.rule_findings(probe({"arn": BUS, "role_arn": ROLE}, pattern={"x": [1]}), WANTED)[0]
    )


def test_a_rule_that_could_not_be_read_is_a_finding():
    failed = {"failed": True, "msg": "Could not read the EventBridge rule r (bus default): AccessDenied"}
    assert drift.rule_findings(failed, WANTED) == [
        "could not read the EventBridge rule r (Could not read the EventBridge rule r (bus default): AccessDenied)"
    ]


def test_the_fleet_report_counts_findings_and_hosts_that_failed():
    hosts = {
        "a-eu-west-3": {"bucketguard_account_id": "a", "aws_region": "eu-west-3", "bucketguard_drift": []},
        "a-us-east-1": {"bucketguard_account_id": "a", "aws_region": "us-east-1", "bucketguard_drift": ["x"]},
        "b-eu-west-3": {"bucketguard_account_id": "b", "aws_region": "eu-west-3"},
    }
    report = drift.fleet_report(hosts, ["a-eu-west-3", "a-us-east-1"])
    assert report["findings"] == ["a us-east-1: x"]
    assert report["not_checked"] == 1
    assert "b eu-west-3: NOT CHECKED" in report["lines"][-1]
    assert drift.fleet_report(dict(list(hosts.items())[:1]), ["a-eu-west-3"])["headline"] == (
        "bucketguard fleet healthy: 1 account-region(s) OK."
    )


@pytest.mark.parametrize(
    "extra",
    [
        {"bucketguard_tags": {"cost-center": "1234", "Owner": "Security Team", "path": "a/b:c=d+e@f_g.h", "é": "ü"}},
        {"bucketguard_tags": {"empty": ""}},
        {"notifier_lambda_allowlist": ["public-site-*", "www.example.org", "logs-20[0-9][0-9]"]},
        {"alarm_period": 10, "alarm_evaluation_periods": 1},
        {"alarm_period": "300", "alarm_evaluation_periods": "288"},
        {"trail_log_retention_days": "3653", "notifier_lambda_log_retention_days": 14},
        {"bucketguard_partition": "aws-cn", "trail_kms_key_id": "arn:aws-cn:kms:cn-north-1:123456789012:key/abc"},
        {"trail_kms_key_id": "alias/cloudtrail", "sns_kms_key_id": "1234abcd-12ab-34cd-56ef-1234567890ab"},
    ],
)
def test_good_role_inputs_pass(extra):
    assert contract.fleet_problems(fleet(**extra)) == []


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("bucketguard-cloudtrail-123456789012-eu-west-3", True),
        ("a.b-c", True),
        ("ab", False),
        ("a" * 64, False),
        ("Upper", False),
        ("bucket\n", False),
        ("a..b", False),
        ("a.-b", False),
        ("192.168.0.1", False),
        ("xn--bucket", False),
        ("bucket-s3alias", False),
        ("bucket--ol-s3", False),
        (None, False),
    ],
)
def test_s3_bucket_names(name, ok):
    assert contract.s3_bucket_name_ok(name) is ok


def test_every_format_pattern_is_anchored_at_the_true_end():
    patterns = [v for v in vars(contract).values() if isinstance(v, re.Pattern)]
    assert len(patterns) >= 10
    for pattern in patterns:
        if pattern.pattern.startswith("^"):
            assert pattern.pattern.endswith("\\Z"), pattern.pattern


@pytest.mark.parametrize(
    ("arn", "ok"),
    [
        ("arn:aws:sns:eu-west-3:123456789012:bucketguard-alerts", True),
        ("arn:aws-cn:sns:cn-north-1:123456789012:a_b", True),
        ("arn:aws-us-gov:sns:us-gov-west-1:123456789012:t", True),
        ("arn:aws-iso:sns:us-iso-east-1:123456789012:t", False),
        ("arn:aws:sns:eu-west-3:123456789012:t\n", False),
        ("arn:aws:sns:eu-west-3:12345:t", False),
        ("arn:aws:sns:eu-west-3:123456789012:t.fifo", False),
        ("arn:aws:sqs:eu-west-3:123456789012:t", False),
        ("", False),
        (None, False),
    ],
)
def test_sns_topic_arns(arn, ok):
    assert contract.sns_topic_arn_ok(arn) is ok


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("/bucketguard/cloudtrail", True),
        ("aws-cloudtrail-logs_1.#x", True),
        ("a" * 512, True),
        ("a" * 513, False),
        ("", False),
        ("bad name", False),
        ("/bg/cloudtrail\n", False),
        ("a:b", False),
        (42, False),
    ],
)
def test_log_group_names(name, ok):
    assert contract.log_group_name_ok(name) is ok


def test_the_notifier_zip_carries_the_contract_it_checks_its_environment_with():
    parts = contract.notifier_package("/c")
    assert {"src": "/c/plugins/module_utils/contract.py", "dest": f"{contract.MODULE_UTILS_IN_ZIP}/contract.py"} in (
        parts["include"]
    )


def test_text_matches_reads_a_value_as_ansibles_match_test_does():
    assert contract.text_matches(contract.ACCOUNT_ID_RE, 123456789012)
    assert not contract.text_matches(contract.ACCOUNT_ID_RE, "123456789012\n")
    assert not contract.text_matches(contract.REGION_RE, None)


@pytest.mark.parametrize(
    ("value", "number"), [(5, 5), ("5", 5), (" 5\n", 5), ("2.7", 2), ("x", 0), (None, 0), (True, 1)]
)
def test_jinja_int(value, number):
    assert contract.jinja_int(value) == number
