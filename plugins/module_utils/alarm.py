# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The alarm role's input check, event names, part states, tamper patterns and verify values (pure, standard library).

The role reaches them through the ``alarm_problems``, ``alarm_event_names`` and ``alarm_facts`` filters, with its
inputs as one dict (every ``alarm_*`` variable); tests call them directly. Every format check is anchored at the
true end (``\\Z``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.bucketguard.visibility.plugins.module_utils.contract import (
    ACCOUNT_ID_RE,
    EVENT_NAME_RE,
    REGION_RE,
    as_bool,
    jinja_int,
    log_group_name_ok,
    sns_topic_arn_ok,
    tamper_filter_patterns,
    text_matches,
)

# CloudWatch Logs' limit on a metric filter's FilterPattern, checked before any AWS call.
FILTER_PATTERN_MAX = 1024
LAMBDA_FUNCTION_ARN_RE = re.compile(
    r"^arn:aws(-cn|-us-gov)?:lambda:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}\Z"
)
# Alarm names and metric filter names as the role accepts them (CloudWatch allows more; the role keeps to these).
ALARM_NAME_RE = re.compile(r"^[A-Za-z0-9._/-]{1,255}\Z")
# The longest alarm window CloudWatch evaluates (period x evaluation periods), in seconds.
WINDOW_MAX_SECONDS = 86400


def _js(value: Any) -> str:
    return json.dumps(value)


def _on(value: Any) -> bool:
    return as_bool(value) is True


def _float(value: Any) -> float:
    """Jinja's ``float`` filter: the number, else 0.0."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _windows_ok(v: Mapping[str, Any]) -> bool:
    period = jinja_int(v["alarm_period"])
    evaluations = jinja_int(v["alarm_evaluation_periods"])
    datapoints = jinja_int(v["alarm_datapoints_to_alarm"])
    return (
        (period in (10, 30) or (period >= 60 and period % 60 == 0))
        and evaluations >= 1
        and 1 <= datapoints <= evaluations
        and period * evaluations <= WINDOW_MAX_SECONDS
    )


def _heartbeat_ok(v: Mapping[str, Any]) -> bool:
    period = jinja_int(v["alarm_heartbeat_period"])
    minutes = jinja_int(v["alarm_heartbeat_minutes"])
    return (
        period >= 60
        and period % 60 == 0
        and minutes >= 1
        and (minutes * 60) % period == 0
        and minutes * 60 <= WINDOW_MAX_SECONDS
    )


def tamper_patterns(v: Mapping[str, Any]) -> dict[str, str]:
    """The tamper filters' patterns, service -> pattern (``contract.tamper_filter_patterns``)."""
    return tamper_filter_patterns(v["alarm_tamper_names"], ignore_roles=v["alarm_tamper_ignore_roles"] or ())


def alarm_names(v: Mapping[str, Any]) -> list[Any]:
    """Every alarm and metric filter name the role may make, the tamper filters' ("<prefix>-<service>") last."""
    prefix = str(v["alarm_tamper_filter_prefix"])
    return [
        v["alarm_filter_name"],
        v["alarm_name"],
        v["alarm_heartbeat_name"],
        v["alarm_cis_filter_name"],
        v["alarm_cis_alarm_name"],
        v["alarm_tamper_alarm_name"],
    ] + [f"{prefix}-{service}" for service in tamper_patterns(v)]


def alarm_problems(v: Mapping[str, Any], region: Any) -> list[str]:
    """Every input problem of the alarm role, one sentence each naming the variable (empty: inputs are fine).

    ``v`` holds every ``alarm_*`` variable; ``region`` is the host's ``aws_region``."""
    problems = []
    if not text_matches(ACCOUNT_ID_RE, v["alarm_account_id"]):
        problems.append(
            f"alarm_account_id (bucketguard_account_id) must be 12 digits, got {_js(str(v['alarm_account_id']))}."
        )
    if not text_matches(REGION_RE, region):
        problems.append(f"aws_region must be a region name such as eu-west-3, got {_js(str(region))}.")
    names = v["alarm_event_names"]
    if len(names) == 0 or any(not text_matches(EVENT_NAME_RE, name) for name in names):
        problems.append(f"alarm_event_names must be a non-empty list of S3 API names (letters only), got {_js(names)}.")
    pattern = v["alarm_filter_pattern"]
    if not 0 < len(pattern) <= FILTER_PATTERN_MAX:
        problems.append(
            f"alarm_filter_pattern must be 1-{FILTER_PATTERN_MAX} characters (CloudWatch Logs limit), it has "
            f"{len(pattern)}: shorten alarm_event_names or override the pattern."
        )
    if len(v["alarm_cis_filter_pattern"]) > FILTER_PATTERN_MAX:
        problems.append(f"alarm_cis_filter_pattern must be at most {FILTER_PATTERN_MAX} characters.")
    if not text_matches(LAMBDA_FUNCTION_ARN_RE, v["alarm_notifier_arn"]):
        problems.append(
            "alarm_notifier_arn (bucketguard_notifier_arn) must be a Lambda function ARN, got "
            f"{_js(v['alarm_notifier_arn'])}."
        )
    if not sns_topic_arn_ok(v["alarm_topic_arn"]):
        problems.append(
            f"alarm_topic_arn (bucketguard_topic_arn) must be an SNS topic ARN, got {_js(v['alarm_topic_arn'])}."
        )
    if not log_group_name_ok(v["alarm_log_group_name"]):
        problems.append(
            "alarm_log_group_name (bucketguard_trail_log_group_name) is not a log group name: "
            f"{_js(v['alarm_log_group_name'])}."
        )
    bad_names = [name for name in alarm_names(v) if not text_matches(ALARM_NAME_RE, name)]
    if bad_names:
        problems.append(f"alarm names and metric filter names must be 1-255 letters, digits, ._/- : {_js(bad_names)}.")
    filter_name, cis_filter_name = str(v["alarm_filter_name"]), str(v["alarm_cis_filter_name"])
    if cis_filter_name.startswith(filter_name) or filter_name.startswith(cis_filter_name):
        problems.append(
            "alarm_filter_name and alarm_cis_filter_name must not start with one another"
            " (the metric filter module looks filters up by prefix)."
        )
    if not _windows_ok(v):
        problems.append(
            "alarm_period must be 10, 30 or a multiple of 60;"
            " 1 <= alarm_datapoints_to_alarm <= alarm_evaluation_periods;"
            " alarm_period x alarm_evaluation_periods at most 86400."
        )
    if not _heartbeat_ok(v):
        problems.append(
            "alarm_heartbeat_period must be a multiple of 60, alarm_heartbeat_minutes a multiple of it in minutes,"
            " at most 1440."
        )
    return problems


def alarm_event_names(names: Any, object_acl: Any = False, create_bucket: Any = False) -> list[Any]:
    """The event names the metric filter matches: ``names`` plus the opt-in ones, each once, in order."""
    wanted = (
        list(names) + (["PutObjectAcl"] if _on(object_acl) else []) + (["CreateBucket"] if _on(create_bucket) else [])
    )
    return list(dict.fromkeys(wanted))


def _verify_wanted(v: Mapping[str, Any], patterns: dict[str, str]) -> dict[str, Any]:
    """What verify compares with AWS (drift.alarm_role_findings): the filters and alarms this host should have."""
    cis, tamper, heartbeat = _on(v["alarm_cis_compat"]), _on(v["alarm_tamper"]), _on(v["alarm_trail_heartbeat"])
    filters = [{"name": v["alarm_filter_name"], "pattern": v["alarm_filter_pattern"], "metric": v["alarm_metric_name"]}]
    if cis:
        filters.append(
            {
                "name": v["alarm_cis_filter_name"],
                "pattern": v["alarm_cis_filter_pattern"],
                "metric": v["alarm_cis_metric_name"],
            }
        )
    alarms = [
        {
            "name": v["alarm_name"],
            "checks": [
                ["metric", f"{v['alarm_metric_namespace']}/{v['alarm_metric_name']}"],
                ["period", jinja_int(v["alarm_period"])],
                ["evaluation periods", jinja_int(v["alarm_evaluation_periods"])],
                ["datapoints to alarm", jinja_int(v["alarm_datapoints_to_alarm"])],
                ["threshold", _float(v["alarm_threshold"])],
                ["missing data", v["alarm_treat_missing_data"]],
                ["actions", v["alarm_actions"]],
            ],
        }
    ]
    if heartbeat:
        alarms.append(
            {
                "name": v["alarm_heartbeat_name"],
                "checks": [
                    ["period", jinja_int(v["alarm_heartbeat_period"])],
                    ["log group", v["alarm_log_group_name"]],
                    ["actions", v["alarm_heartbeat_actions"]],
                ],
            }
        )
    if cis:
        alarms.append({"name": v["alarm_cis_alarm_name"], "checks": [["actions", v["alarm_cis_actions"]]]})
    if tamper:
        alarms.append(
            {
                "name": v["alarm_tamper_alarm_name"],
                "checks": [["metric name", v["alarm_tamper_metric_name"]], ["actions", v["alarm_tamper_actions"]]],
            }
        )
    return {
        "log_group": v["alarm_log_group_name"],
        "namespace": v["alarm_metric_namespace"],
        "filters": filters,
        "tamper": (
            {"prefix": v["alarm_tamper_filter_prefix"], "patterns": patterns, "metric": v["alarm_tamper_metric_name"]}
            if tamper
            else {}
        ),
        "alarms": alarms,
    }


def alarm_facts(v: Mapping[str, Any]) -> dict[str, Any]:
    """What the alarm role computes from its inputs: ``present``, each part's state (``heartbeat_state``,
    ``cis_state``, ``tamper_state``: present when the role is present and the part is switched on),
    ``tamper_patterns`` (service -> pattern) and ``verify_wanted`` (what verify compares with AWS)."""
    present = v["alarm_state"] == "present"

    def state(part: str) -> str:
        return "present" if present and _on(v[part]) else "absent"

    patterns = tamper_patterns(v)
    return {
        "present": present,
        "heartbeat_state": state("alarm_trail_heartbeat"),
        "cis_state": state("alarm_cis_compat"),
        "tamper_state": state("alarm_tamper"),
        "tamper_patterns": patterns,
        "verify_wanted": _verify_wanted(v, patterns),
    }
