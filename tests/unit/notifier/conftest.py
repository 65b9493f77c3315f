"""Shared fixtures for the notifier tests: JSON files under tests/fixtures/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def load(relative: str) -> Any:
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))


@pytest.fixture
def panther() -> list[dict[str, Any]]:
    return load("cloudtrail/panther-analysis.json")


@pytest.fixture
def streamalert() -> list[dict[str, Any]]:
    return load("cloudtrail/streamalert.json")


@pytest.fixture
def own_records() -> list[dict[str, Any]]:
    return load("cloudtrail/bucketguard-records.json")


@pytest.fixture
def alarm_event() -> dict[str, Any]:
    return load("events/alarm-state-alarm.json")
