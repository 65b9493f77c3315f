"""bucketguard.visibility.cloudwatchlogs_metric_filter_info against moto's in-process CloudWatch Logs."""

from __future__ import annotations

from typing import Any

import boto3
import botocore.exceptions
import pytest
from ansible_collections.bucketguard.visibility.plugins.modules import cloudwatchlogs_metric_filter_info as module
from moto import mock_aws

from tests.lib.module_harness import run_module

REGION = "eu-west-3"
GROUP = "/bucketguard/cloudtrail"


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    with mock_aws():
        yield boto3.client("logs", region_name=REGION)


def put(
    logs: Any, name: str, pattern: str, metric: str = "BucketVisibilityChanges", default: float | None = 0.0
) -> None:
    transformation = {"metricName": metric, "metricNamespace": "Bucketguard", "metricValue": "1"}
    if default is not None:
        transformation["defaultValue"] = default
    logs.put_metric_filter(
        logGroupName=GROUP, filterName=name, filterPattern=pattern, metricTransformations=[transformation]
    )


def run(args: dict[str, Any]) -> dict[str, Any]:
    return run_module(module, args, None, check_mode=True, region=REGION)


def test_reads_every_filter_sorted_with_its_metric(logs: Any) -> None:
    logs.create_log_group(logGroupName=GROUP)
    put(logs, "bg-tamper-sns", '{ ($.eventSource = "sns.amazonaws.com") }', metric="BucketguardTamper", default=None)
    put(logs, "bg-s3-visibility-change", '{ ($.eventSource = "s3.amazonaws.com") }')
    result = run({"log_group_name": GROUP})
    assert result["changed"] is False and result["missing_log_group"] == ""
    assert result["metric_filters"] == [
        {
            "filter_name": "bg-s3-visibility-change",
            "filter_pattern": '{ ($.eventSource = "s3.amazonaws.com") }',
            "metric_namespace": "Bucketguard",
            "metric_name": "BucketVisibilityChanges",
            "metric_value": "1",
            "default_value": 0.0,
        },
        {
            "filter_name": "bg-tamper-sns",
            "filter_pattern": '{ ($.eventSource = "sns.amazonaws.com") }',
            "metric_namespace": "Bucketguard",
            "metric_name": "BucketguardTamper",
            "metric_value": "1",
        },
    ]
    only = run({"log_group_name": GROUP, "filter_name_prefix": "bg-tamper"})
    assert [f["filter_name"] for f in only["metric_filters"]] == ["bg-tamper-sns"]


class MissingGroup:
    """AWS answers DescribeMetricFilters on a log group that does not exist with ResourceNotFoundException
    (moto answers an empty list, so this one case uses a fake client)."""

    def describe_metric_filters(self, **kwargs: Any) -> dict[str, Any]:
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "ResourceNotFoundException", "Message": "The specified log group does not exist."}},
            "DescribeMetricFilters",
        )


def test_a_missing_log_group_is_no_error() -> None:
    result = run_module(module, {"log_group_name": "/nowhere"}, MissingGroup(), region=REGION)
    assert result["metric_filters"] == [] and result["missing_log_group"] == "/nowhere"


def test_an_empty_log_group(logs: Any) -> None:
    logs.create_log_group(logGroupName=GROUP)
    assert run({"log_group_name": GROUP}) == {
        **run({"log_group_name": GROUP}),
        "metric_filters": [],
        "missing_log_group": "",
    }
