"""verify's findings for the alarm role: the filters and alarms it makes, compared with what AWS returned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils.drift import (
    alarm_role_findings,
    pattern_test_findings,
)

ROOT = Path(__file__).resolve().parents[4]
TOPIC = ["arn:aws:sns:eu-west-3:111111111111:bg-alerts"]
WANTED = {
    "log_group": "/bg/cloudtrail",
    "namespace": "Bucketguard",
    "filters": [{"name": "bg-visibility", "pattern": '{ ($.eventName = "PutBucketPolicy") }', "metric": "Changes"}],
    "tamper": {"prefix": "bg-tamper", "patterns": {"events": "{ E }", "sns": "{ S }"}, "metric": "Tamper"},
    "alarms": [
        {
            "name": "bg-visibility",
            "checks": [
                ["metric", "Bucketguard/Changes"],
                ["period", 60],
                ["evaluation periods", 5],
                ["datapoints to alarm", 1],
                ["threshold", 1.0],
                ["missing data", "notBreaching"],
                ["actions", TOPIC],
            ],
        },
        {"name": "bg-heartbeat", "checks": [["period", 3600], ["log group", "/bg/cloudtrail"], ["actions", TOPIC]]},
        {"name": "bg-tamper", "checks": [["metric name", "Tamper"], ["actions", TOPIC]]},
    ],
}


def healthy() -> dict:
    filters = [
        {
            "filter_name": "bg-visibility",
            "filter_pattern": WANTED["filters"][0]["pattern"],
            "metric_namespace": "Bucketguard",
            "metric_name": "Changes",
        },
        {
            "filter_name": "bg-tamper-events",
            "filter_pattern": "{ E }",
            "metric_namespace": "Bucketguard",
            "metric_name": "Tamper",
        },
        {
            "filter_name": "bg-tamper-sns",
            "filter_pattern": "{ S }",
            "metric_namespace": "Bucketguard",
            "metric_name": "Tamper",
        },
    ]
    alarms = [
        {
            "alarm_name": "bg-visibility",
            "namespace": "Bucketguard",
            "metric_name": "Changes",
            "period": 60,
            "evaluation_periods": 5,
            "datapoints_to_alarm": 1,
            "threshold": 1,
            "treat_missing_data": "notBreaching",
            "alarm_actions": TOPIC,
        },
        {
            "alarm_name": "bg-heartbeat",
            "period": 3600,
            "dimensions": [{"name": "LogGroupName", "value": "/bg/cloudtrail"}],
            "alarm_actions": TOPIC,
        },
        {"alarm_name": "bg-tamper", "metric_name": "Tamper", "alarm_actions": TOPIC},
    ]
    return {"filters": filters, "filters_error": "", "alarms": alarms}


def test_a_healthy_deployment_has_no_findings() -> None:
    assert alarm_role_findings(healthy(), WANTED) == []


def test_each_difference_is_one_sentence_naming_the_resource() -> None:
    found = healthy()
    found["filters"][0]["filter_pattern"] = "{ $.x = 1 }"
    del found["filters"][2]
    found["alarms"][0]["period"] = 300
    found["alarms"][0]["alarm_actions"] = []
    found["alarms"][1]["dimensions"] = [{"name": "LogGroupName", "value": "/other"}]
    found["alarms"][2]["metric_name"] = "Other"
    assert alarm_role_findings(found, WANTED) == [
        'metric filter bg-visibility pattern is not alarm_filter_pattern: "{ $.x = 1 }"',
        "metric filter bg-tamper-sns on /bg/cloudtrail is missing",
        "alarm bg-visibility period is 300, the role sets 60",
        f"alarm bg-visibility actions are [], the role sets {json.dumps(TOPIC)}",
        'alarm bg-heartbeat log group is "/other", the role sets "/bg/cloudtrail"',
        'alarm bg-tamper metric is "Other", the role sets "Tamper"',
    ]


def test_missing_alarm_wrong_metric_and_a_failed_read() -> None:
    found = healthy()
    found["alarms"] = found["alarms"][1:]
    found["filters"][1]["metric_name"] = "Else"
    found["filters_error"] = "AccessDeniedException"
    assert alarm_role_findings(found, WANTED) == [
        "could not read the metric filters of /bg/cloudtrail (AccessDeniedException)",
        "metric filter bg-tamper-events publishes Bucketguard/Else, the role sets Bucketguard/Tamper",
        "alarm bg-visibility is missing",
    ]


def test_tamper_off_wants_no_tamper_filters() -> None:
    found = healthy()
    found["filters"] = found["filters"][:1]
    assert alarm_role_findings(found, {**WANTED, "tamper": {}, "alarms": []}) == []


RECORDS = json.loads((ROOT / "roles/alarm/files/cloudtrail-records.json").read_text())


def expected(object_acl: bool, create_bucket: bool) -> list[int]:
    out = []
    for number, record in enumerate(RECORDS, start=1):
        e = record["_bucketguard_alarm_expect"]
        if e.get("visibility") or (object_acl and e.get("object_acl")) or (create_bucket and e.get("create_bucket")):
            out.append(number)
    return out


@pytest.mark.parametrize(("object_acl", "create_bucket"), [(False, False), (True, False), (True, True)])
def test_tested_records_agree_when_the_pattern_counts_what_it_should(object_acl: bool, create_bucket: bool) -> None:
    assert pattern_test_findings(expected(object_acl, create_bucket), RECORDS, object_acl, create_bucket) == []


def test_tested_records_name_what_is_missed_and_what_is_counted_wrongly() -> None:
    matched = expected(False, False)
    missed = matched.pop(0)
    wrong = next(n for n in range(1, len(RECORDS) + 1) if n not in expected(True, True))
    findings = pattern_test_findings([*matched, wrong], RECORDS, False, False)
    assert findings[0].startswith(f"TestMetricFilter: alarm_filter_pattern misses record {missed} ")
    assert findings[1].startswith(f"TestMetricFilter: alarm_filter_pattern counts record {wrong} ")
    assert len(findings) == 2
