"""Check mode's diff for upstream modules that give none (plugins/module_utils/drift.py: alarm_change,
lambda_change, sns_topic_change, compare), the check_diff filter, and the compare action and module.

The results below have the shape the upstream modules answer in check mode (read from amazon.aws 11.4's
cloudwatch_metric_alarm.py and lambda.py and community.aws 11's sns_topic.py), with the task's options
under invocation.module_args as Ansible returns them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.bucketguard.visibility.plugins.filter.check_diff import check_diff
from ansible_collections.bucketguard.visibility.plugins.module_utils import drift
from ansible_collections.bucketguard.visibility.plugins.modules import compare as compare_module

from tests.lib.module_harness import run_module

ROOT = Path(__file__).resolve().parents[4]
TOPIC = "arn:aws:sns:eu-west-3:123456789012:bg-alerts"
ALARM_ARGS = {
    "name": "bg-notifier-errors",
    "state": "present",
    "namespace": "AWS/Lambda",
    "metric_name": "Errors",
    "statistic": "Sum",
    "comparison": "GreaterThanOrEqualToThreshold",
    "threshold": 1.0,
    "period": 300,
    "evaluation_periods": 1,
    "treat_missing_data": "notBreaching",
    "dimensions": {"FunctionName": "bg-notifier"},
    "alarm_actions": [TOPIC],
    "ok_actions": [],
    "insufficient_data_actions": [],
    "description": None,
    "unit": None,
}


def alarm_result(changed: bool = True, **current: Any) -> dict[str, Any]:
    """cloudwatch_metric_alarm's check-mode answer: the alarm as it is (name None when there is none)."""
    found = {
        "name": "bg-notifier-errors",
        "namespace": "AWS/Lambda",
        "metric_name": "Errors",
        "statistic": "Sum",
        "comparison": "GreaterThanOrEqualToThreshold",
        "threshold": 1.0,
        "period": 300,
        "evaluation_periods": 1,
        "treat_missing_data": "notBreaching",
        "dimensions": [{"Name": "FunctionName", "Value": "bg-notifier"}],
        "alarm_actions": [TOPIC],
        "ok_actions": [],
        "insufficient_data_actions": [],
    }
    found.update(current)
    return {"changed": changed, **found, "invocation": {"module_args": dict(ALARM_ARGS)}}


def test_an_alarm_whose_actions_were_changed_by_hand_shows_them() -> None:
    change = drift.alarm_change(alarm_result(alarm_actions=[], period=60))
    assert change["name"] == "alarm bg-notifier-errors"
    assert change["before"]["alarm_actions"] == [] and change["after"]["alarm_actions"] == [TOPIC]
    assert change["before"]["period"] == 60 and change["after"]["period"] == 300
    # the same dimensions in the API's list form and the option's dict form are no difference
    assert change["before"]["dimensions"] == change["after"]["dimensions"] == {"FunctionName": "bg-notifier"}
    assert drift.compare(change["before"], change["after"])["differences"] == ["alarm_actions", "period"]


def test_a_missing_alarm_shows_everything_as_new() -> None:
    change = drift.alarm_change(alarm_result(name=None))
    assert change["before"] == {}
    assert change["after"]["metric_name"] == "Errors" and change["after"]["threshold"] == 1.0


def test_an_unchanged_skipped_or_absent_alarm() -> None:
    assert drift.alarm_change(alarm_result(changed=False)) == {
        "name": "alarm bg-notifier-errors",
        "before": {},
        "after": {},
    }
    assert drift.alarm_change({"skipped": True, "changed": False})["before"] == {}
    gone = {"changed": True, "invocation": {"module_args": {**ALARM_ARGS, "state": "absent"}}}
    assert drift.alarm_change(gone) == {
        "name": "alarm bg-notifier-errors",
        "before": {"name": "bg-notifier-errors"},
        "after": {},
    }


def lambda_result(tmp_path: Path, changed: bool = True) -> tuple[dict[str, Any], str]:
    package = tmp_path / "notifier.zip"
    package.write_bytes(b"the package")
    sha = base64.b64encode(hashlib.sha256(b"the package").digest()).decode()
    args = {
        "name": "bg-notifier",
        "state": "present",
        "runtime": "python3.13",
        "handler": "bucketguard_notifier.handler.lambda_handler",
        "role": "arn:aws:iam::123456789012:role/bg-notifier-role",
        "timeout": 60,
        "memory_size": 256,
        "description": "bucketguard notifier",
        "architecture": "arm64",
        "zip_file": str(package),
        "environment_variables": {"BUCKETGUARD_TOPIC_ARN": TOPIC, "BUCKETGUARD_LOOKBACK_MINUTES": "15"},
    }
    return {"changed": changed, "invocation": {"module_args": args}}, sha


def function_info(sha: str, **environment: str) -> dict[str, Any]:
    """lambda_info's functions[0] (query: config): environment variable names kept as they are."""
    return {
        "function_name": "bg-notifier",
        "runtime": "python3.13",
        "handler": "bucketguard_notifier.handler.lambda_handler",
        "role": "arn:aws:iam::123456789012:role/bg-notifier-role",
        "timeout": 60,
        "memory_size": 256,
        "description": "bucketguard notifier",
        "architectures": ["arm64"],
        "code_sha256": sha,
        "environment": {
            "variables": {"BUCKETGUARD_TOPIC_ARN": TOPIC, "BUCKETGUARD_LOOKBACK_MINUTES": "15", **environment}
        },
    }


def test_a_function_environment_changed_by_hand_is_named(tmp_path: Path) -> None:
    result, sha = lambda_result(tmp_path)
    change = drift.lambda_change(result, function_info(sha, BUCKETGUARD_LOOKBACK_MINUTES="60"))
    assert change["name"] == "function bg-notifier"
    assert change["before"]["environment"]["BUCKETGUARD_LOOKBACK_MINUTES"] == "60"
    assert change["after"]["environment"]["BUCKETGUARD_LOOKBACK_MINUTES"] == "15"
    assert drift.compare(change["before"], change["after"])["differences"] == ["environment"]


def test_other_code_is_shown_by_its_sha256(tmp_path: Path) -> None:
    result, sha = lambda_result(tmp_path)
    change = drift.lambda_change(result, function_info("other="))
    assert change["before"]["code_sha256"] == "other=" and change["after"]["code_sha256"] == sha
    assert drift.compare(change["before"], change["after"])["differences"] == ["code_sha256"]


def test_a_missing_function_and_a_healthy_one(tmp_path: Path) -> None:
    result, sha = lambda_result(tmp_path)
    missing = drift.lambda_change(result, {})
    assert missing["before"] == {} and missing["after"]["runtime"] == "python3.13"
    healthy, _ = lambda_result(tmp_path, changed=False)
    assert drift.lambda_change(healthy, function_info(sha)) == {
        "name": "function bg-notifier",
        "before": {},
        "after": {},
    }


def sns_result(subscriptions: list[tuple[str, str]], wanted: list[str], changed: bool = True) -> dict[str, Any]:
    return {
        "changed": changed,
        "sns_topic": {
            "name": "bg-alerts",
            "display_name": "bucketguard",
            "subscriptions": [
                {"protocol": "email", "endpoint": endpoint, "subscription_arn": arn} for endpoint, arn in subscriptions
            ],
            "subscriptions_added": [],  # community.aws 11 always answers these empty
            "subscriptions_deleted": [],
        },
        "invocation": {
            "module_args": {
                "name": "bg-alerts",
                "display_name": "bucketguard",
                "purge_subscriptions": True,
                "subscriptions": [{"protocol": "email", "endpoint": e} for e in wanted],
            }
        },
    }


def test_a_subscription_deleted_by_hand_and_one_not_wanted() -> None:
    result = sns_result([("old@example.org", f"{TOPIC}:1")], ["ops@example.org"])
    change = drift.sns_topic_change(result)
    assert change == {
        "name": "topic bg-alerts",
        "before": {"subscriptions": ["email:old@example.org"], "display_name": "bucketguard"},
        "after": {"subscriptions": ["email:ops@example.org"], "display_name": "bucketguard"},
    }


def test_pending_confirmations_are_kept() -> None:
    result = sns_result([("new@example.org", "PendingConfirmation")], ["ops@example.org"])
    assert drift.sns_topic_change(result)["after"]["subscriptions"] == [
        "email:new@example.org",
        "email:ops@example.org",
    ]
    unchanged = sns_result([("ops@example.org", f"{TOPIC}:1")], ["ops@example.org"], changed=False)
    assert drift.sns_topic_change(unchanged)["before"] == drift.sns_topic_change(unchanged)["after"] == {}


def test_the_filter_dispatches_and_refuses_an_unknown_kind(tmp_path: Path) -> None:
    assert check_diff(alarm_result(alarm_actions=[]), "metric_alarm")["after"]["alarm_actions"] == [TOPIC]
    result, sha = lambda_result(tmp_path)
    assert check_diff(result, "lambda", function_info(sha))["before"]["code_sha256"] == sha
    assert check_diff(sns_result([], ["a@example.org"]), "sns_topic")["after"] == {
        "subscriptions": ["email:a@example.org"],
        "display_name": "bucketguard",
    }
    with pytest.raises(AnsibleFilterError, match="kind must be"):
        check_diff({}, "rule")


@pytest.mark.parametrize(
    ("before", "after", "changed", "differences"),
    [
        ({"a": 1}, {"a": 1}, False, []),
        ({"a": 1, "b": [1]}, {"b": [1], "a": 1}, False, []),
        ({"a": 1}, {"a": 2, "c": 3}, True, ["a", "c"]),
        (None, {}, False, []),
        ("x", "y", True, ["(value)"]),
    ],
)
def test_compare(before: Any, after: Any, changed: bool, differences: list[str]) -> None:
    assert drift.compare(before, after) == {"changed": changed, "differences": differences}


def test_the_compare_module_reports_the_change_with_a_diff() -> None:
    result = run_module(
        compare_module,
        {"name": "alarm x", "before": {"period": 60}, "after": {"period": 300}},
        object(),
        check_mode=True,
        diff=True,
        region=None,
    )
    assert result["changed"] is True and result["differences"] == ["period"]
    assert result["diff"]["before"] == {"period": 60} and result["diff"]["before_header"] == "alarm x"


def test_the_compare_action_in_a_playbook_check_diff(tmp_path: Path) -> None:
    """The action plugin as ansible-playbook runs it: changed and a diff for a difference, ok for none."""
    playbook = tmp_path / "compare.yml"
    playbook.write_text(
        json.dumps(
            [
                {
                    "hosts": "localhost",
                    "gather_facts": False,
                    "tasks": [
                        {
                            "name": "Differ",
                            "bucketguard.visibility.compare": {
                                "name": "alarm bg-x",
                                "before": {"period": 60},
                                "after": {"period": 300},
                            },
                        },
                        {
                            "name": "Same",
                            "bucketguard.visibility.compare": {
                                "name": "alarm bg-y",
                                "before": {"a": 1},
                                "after": {"a": 1},
                            },
                        },
                    ],
                }
            ]
        )
    )
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"), "ANSIBLE_NOCOLOR": "1"}
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            "localhost,",
            "-c",
            "local",
            str(playbook),
            "--check",
            "--diff",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "changed=1" in run.stdout, run.stdout
    assert '-    "period": 60' in run.stdout and '+    "period": 300' in run.stdout, run.stdout
    assert "alarm bg-x" in run.stdout
