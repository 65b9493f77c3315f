"""Shared helpers for the alarm tests: the role's patterns computed as the role computes them, and the fixtures.

The role reaches the same Python through filters: ``alarm_event_names`` and ``metric_filter_pattern`` (the
default ``alarm_filter_pattern``), ``alarm_facts`` (the tamper patterns). Its inputs with their defaults, for
account 444455556666 in eu-west-3 and the prefix "bucketguard", are the first case of
tests/fixtures/roles/alarm.json (what the role's defaults rendered); test_alarm.py checks the Python against the
role's former Jinja on every case of that file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible_collections.bucketguard.visibility.plugins.module_utils.alarm import (
    FILTER_PATTERN_MAX,
    alarm_event_names,
    alarm_facts,
)
from ansible_collections.bucketguard.visibility.plugins.module_utils.cloudtrail import watched_event_names
from ansible_collections.bucketguard.visibility.plugins.module_utils.contract import metric_filter_pattern

ROOT = Path(__file__).resolve().parents[3]
ROLE = ROOT / "roles" / "alarm"
FIXTURES = ROOT / "tests" / "fixtures"


def load(relative: str) -> Any:
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))


ROLE_CASES = load("roles/alarm.json")["cases"]
DEFAULT_INPUTS = ROLE_CASES[0]["inputs"]
# The CIS pattern is a plain default (no template).
CIS_FILTER_PATTERN = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text(encoding="utf-8"))[
    "alarm_cis_filter_pattern"
]


def inputs_with(**overrides: Any) -> dict[str, Any]:
    """The role's inputs with its defaults and ``overrides`` (alarm_* inputs, or trail_manage: false)."""
    inputs = dict(DEFAULT_INPUTS)
    if "trail_manage" in overrides:  # alarm_tamper_names.trails follows it: as the role rendered it
        wanted = {"trail_manage": overrides.pop("trail_manage")}
        (case,) = [c for c in ROLE_CASES if c["overrides"] == wanted]
        inputs["alarm_tamper_names"] = case["inputs"]["alarm_tamper_names"]
    unknown = set(overrides) - set(inputs)
    assert not unknown, f"not an input of the alarm role: {unknown}"
    return {**inputs, **overrides}


def role_values(**overrides: Any) -> dict[str, Any]:
    """The role's event names, patterns and limit, computed as the role computes them from its inputs.

    ``alarm_event_names`` defaults to the watched list and ``alarm_filter_pattern`` to that list's pattern unless
    overridden (as in roles/alarm/defaults/main.yml)."""
    inputs = inputs_with(**overrides)
    if "alarm_event_names" not in overrides:
        inputs["alarm_event_names"] = watched_event_names()
    names = alarm_event_names(
        inputs["alarm_event_names"], inputs["alarm_object_acl_events"], inputs["alarm_create_bucket_events"]
    )
    inputs["alarm_filter_pattern"] = overrides.get("alarm_filter_pattern", metric_filter_pattern(names))
    return {
        "event_names": names,
        "filter_pattern": inputs["alarm_filter_pattern"],
        "cis_filter_pattern": inputs["alarm_cis_filter_pattern"],
        "filter_pattern_max": FILTER_PATTERN_MAX,
        "tamper_patterns": alarm_facts(inputs)["tamper_patterns"],
    }


def shared_samples(name: str) -> list[dict[str, Any]]:
    """A shared sample file from tests/fixtures/cloudtrail/ (copied there with its attribution)."""
    path = FIXTURES / "cloudtrail" / name
    if not path.exists():
        pytest.skip(f"{path} is not there (another change copies the shared samples)")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def defaults() -> dict[str, Any]:
    return role_values()
