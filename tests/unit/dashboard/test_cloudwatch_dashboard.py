"""main() of cloudwatch_dashboard with a fake CloudWatch client."""

from __future__ import annotations

import json
import random

import pytest
from ansible_collections.bucketguard.visibility.plugins.modules import cloudwatch_dashboard as module

from .conftest import FakeCloudWatch, ModuleFail, client_error
from .test_helpers import BODY, shuffled

NAME = "bucketguard-s3-visibility"


def test_create(run_module, fake_cloudwatch: FakeCloudWatch) -> None:
    result = run_module(module, {"name": NAME, "body": BODY})
    assert result["changed"] is True
    assert fake_cloudwatch.write_calls() == ["put_dashboard"]
    assert json.loads(fake_cloudwatch.dashboards[NAME]) == BODY
    assert result["dashboard_arn"] == f"arn:aws:cloudwatch::123456789012:dashboard/{NAME}"
    assert result["dashboard_name"] == NAME
    assert result["body"] == BODY


def test_create_in_check_mode_makes_no_write_call(run_module, fake_cloudwatch: FakeCloudWatch) -> None:
    result = run_module(module, {"name": NAME, "body": BODY}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert fake_cloudwatch.write_calls() == []
    assert fake_cloudwatch.dashboards == {}
    assert result["dashboard_arn"] == ""
    assert result["diff"] == {"before": {}, "after": BODY}


def test_body_as_json_string(run_module, fake_cloudwatch: FakeCloudWatch) -> None:
    result = run_module(module, {"name": NAME, "body": json.dumps(BODY)})
    assert result["changed"] is True
    assert json.loads(fake_cloudwatch.dashboards[NAME]) == BODY


def test_same_body_in_another_key_order_is_no_change(run_module, fake_cloudwatch: FakeCloudWatch) -> None:
    fake_cloudwatch.dashboards[NAME] = json.dumps(shuffled(BODY, random.Random(11)), indent=2)
    result = run_module(module, {"name": NAME, "body": BODY}, diff=True)
    assert result["changed"] is False
    assert fake_cloudwatch.write_calls() == []
    assert result["diff"]["before"] == result["diff"]["after"]
    assert result["dashboard_arn"].endswith(f":dashboard/{NAME}")


def test_update_reports_diff_before_and_after(run_module, fake_cloudwatch: FakeCloudWatch) -> None:
    old = {"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 3, "properties": {"markdown": "old"}}]}
    fake_cloudwatch.dashboards[NAME] = json.dumps(old)
    result = run_module(module, {"name": NAME, "body": BODY}, diff=True)
    assert result["changed"] is True
    assert result["diff"] == {"before": old, "after": BODY}
    assert json.loads(fake_cloudwatch.dashboards[NAME]) == BODY


def test_update_in_check_mode_makes_no_write_call(run_module, fake_cloudwatch: FakeCloudWatch) -> None:
    fake_cloudwatch.dashboards[NAME] = json.dumps({"widgets": []})
    result = run_module(module, {"name": NAME, "body": BODY}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert fake_cloudwatch.write_calls() == []
    assert json.loads(fake_cloudwatch.dashboards[NAME]) == {"widgets": []}
    assert result["diff"]["after"] == BODY


def test_no_diff_key_without_diff_mode(run_module) -> None:
    assert "diff" not in run_module(module, {"name": NAME, "body": BODY})


def test_validation_error_is_a_clear_failure(run_module, fake_cloudwatch: FakeCloudWatch) -> None:
    fake_cloudwatch.put_error = client_error(
        "InvalidParameterInput",
        "The dashboard body is invalid, there are 1 validation errors",
        "PutDashboard",
        dashboardValidationMessages=[{"DataPath": "/widgets/0/type", "Message": "Invalid widget type: bogus"}],
    )
    with pytest.raises(ModuleFail) as failure:
        run_module(module, {"name": NAME, "body": {"widgets": [{"type": "bogus"}]}})
    result = failure.value.result
    assert result["msg"].startswith(f"CloudWatch rejected the body of dashboard {NAME}: ")
    assert "at /widgets/0/type: Invalid widget type: bogus" in result["msg"]
    assert result["validation_messages"] == [{"data_path": "/widgets/0/type", "message": "Invalid widget type: bogus"}]


def test_validation_warnings_are_returned(run_module, fake_cloudwatch: FakeCloudWatch) -> None:
    fake_cloudwatch.put_response = {
        "DashboardValidationMessages": [{"DataPath": "/widgets/0/properties", "Message": "Unusual"}]
    }
    result = run_module(module, {"name": NAME, "body": BODY})
    assert result["changed"] is True
    assert result["validation_messages"] == [{"data_path": "/widgets/0/properties", "message": "Unusual"}]


def test_other_api_errors_fail_with_the_action(run_module, fake_cloudwatch: FakeCloudWatch) -> None:
    fake_cloudwatch.get_errors = [client_error("AccessDenied", "not allowed", "GetDashboard")]
    with pytest.raises(ModuleFail) as failure:
        run_module(module, {"name": NAME, "body": BODY})
    assert f"Failed to get dashboard {NAME}" in failure.value.result["msg"]
    assert fake_cloudwatch.write_calls() == []


def test_throttling_is_retried(run_module, fake_cloudwatch: FakeCloudWatch) -> None:
    fake_cloudwatch.get_errors = [client_error("Throttling", "Rate exceeded", "GetDashboard")] * 2
    result = run_module(module, {"name": NAME, "body": BODY})
    assert result["changed"] is True
    assert [c for c, _ in fake_cloudwatch.calls].count("get_dashboard") == 4  # 2 throttled + read + re-read


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ({"name": NAME, "body": "{oops"}, "not valid JSON"),
        ({"name": NAME, "body": {"start": "-PT3H"}}, "'widgets' list"),
        ({"name": "bad name", "body": BODY}, "name must be 1-255 letters"),
        ({"name": NAME}, "body"),
    ],
)
def test_bad_input_fails_before_any_call(run_module, fake_cloudwatch: FakeCloudWatch, args, says) -> None:
    with pytest.raises(ModuleFail) as failure:
        run_module(module, args)
    assert says in failure.value.result["msg"]
    assert fake_cloudwatch.calls == []


def test_delete(run_module, fake_cloudwatch: FakeCloudWatch) -> None:
    fake_cloudwatch.dashboards[NAME] = json.dumps(BODY)
    result = run_module(module, {"name": NAME, "state": "absent"}, diff=True)
    assert result["changed"] is True
    assert fake_cloudwatch.write_calls() == ["delete_dashboards"]
    assert NAME not in fake_cloudwatch.dashboards
    assert result["diff"] == {"before": BODY, "after": {}}
    assert result["body"] == {}


def test_delete_in_check_mode_makes_no_write_call(run_module, fake_cloudwatch: FakeCloudWatch) -> None:
    fake_cloudwatch.dashboards[NAME] = json.dumps(BODY)
    result = run_module(module, {"name": NAME, "state": "absent"}, check_mode=True)
    assert result["changed"] is True
    assert fake_cloudwatch.write_calls() == []
    assert NAME in fake_cloudwatch.dashboards


@pytest.mark.parametrize("missing_style", ["aws", "localstack"])
def test_delete_absent_is_not_an_error(run_module, fake_cloudwatch: FakeCloudWatch, missing_style: str) -> None:
    fake_cloudwatch.missing_style = missing_style
    result = run_module(module, {"name": NAME, "state": "absent"})
    assert result["changed"] is False
    assert fake_cloudwatch.write_calls() == []


def test_delete_racing_another_delete_is_not_an_error(run_module, fake_cloudwatch: FakeCloudWatch) -> None:
    fake_cloudwatch.dashboards[NAME] = json.dumps(BODY)
    real_get = fake_cloudwatch.get_dashboard

    def get_then_vanish(DashboardName: str):
        found = real_get(DashboardName=DashboardName)
        del fake_cloudwatch.dashboards[DashboardName]  # someone else deletes it now
        return found

    fake_cloudwatch.get_dashboard = get_then_vanish  # type: ignore[method-assign]
    result = run_module(module, {"name": NAME, "state": "absent"})
    assert result["changed"] is True
