"""main() of cloudwatch_dashboard_info with a fake CloudWatch client."""

from __future__ import annotations

import json

import pytest
from ansible_collections.bucketguard.visibility.plugins.modules import cloudwatch_dashboard_info as module

from .conftest import FakeCloudWatch, ModuleFail
from .test_helpers import BODY


@pytest.fixture
def three(fake_cloudwatch: FakeCloudWatch) -> FakeCloudWatch:
    fake_cloudwatch.dashboards.update(
        {
            "bg-s3-visibility": json.dumps(BODY),
            "bg-fleet": json.dumps({"widgets": []}),
            "other": json.dumps({"widgets": []}),
        }
    )
    return fake_cloudwatch


def test_list_all_without_bodies(run_module, three: FakeCloudWatch) -> None:
    result = run_module(module, {})
    assert result["changed"] is False
    assert [x["dashboard_name"] for x in result["dashboards"]] == ["bg-fleet", "bg-s3-visibility", "other"]
    assert all("body" not in x for x in result["dashboards"])
    assert [c for c, _ in three.calls] == ["list_dashboards"]


def test_list_by_prefix_with_bodies(run_module, three: FakeCloudWatch) -> None:
    result = run_module(module, {"name_prefix": "bg-", "include_body": True})
    assert [x["dashboard_name"] for x in result["dashboards"]] == ["bg-fleet", "bg-s3-visibility"]
    assert result["dashboards"][1]["body"] == BODY


def test_get_one_by_name_has_body_and_ignores_prefix_matches(run_module, three: FakeCloudWatch) -> None:
    three.dashboards["bg-s3-visibility-old"] = json.dumps({"widgets": []})
    result = run_module(module, {"name": "bg-s3-visibility"})
    assert len(result["dashboards"]) == 1
    assert result["dashboards"][0]["body"] == BODY
    assert result["dashboards"][0]["dashboard_arn"].endswith(":dashboard/bg-s3-visibility")


def test_missing_name_is_an_empty_list(run_module, three: FakeCloudWatch) -> None:
    assert run_module(module, {"name": "nope"})["dashboards"] == []


def test_works_in_check_mode(run_module, three: FakeCloudWatch) -> None:
    assert len(run_module(module, {}, check_mode=True)["dashboards"]) == 3


def test_name_and_prefix_are_exclusive(run_module, three: FakeCloudWatch) -> None:
    with pytest.raises(ModuleFail) as failure:
        run_module(module, {"name": "a", "name_prefix": "b"})
    assert "mutually exclusive" in failure.value.result["msg"]
