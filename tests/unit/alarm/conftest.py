"""Shared helpers for the alarm tests: role defaults rendered as Ansible would, and the fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.lib.role_vars import render_all

ROOT = Path(__file__).resolve().parents[3]
ROLE = ROOT / "roles" / "alarm"
FIXTURES = ROOT / "tests" / "fixtures"

# Host variables of a typical home-region host (the rendered patterns do not depend on them).
HOST_VARS = {
    "aws_region": "eu-west-3",
    "bucketguard_account_id": "444455556666",
    "bucketguard_name_prefix": "bucketguard",
    "bucketguard_home_region_name": "eu-west-3",
}


def role_vars(**overrides: Any) -> dict[str, Any]:
    """Every default and internal var of the role, templated with HOST_VARS and ``overrides``."""
    return render_all("alarm", HOST_VARS, **overrides)


def load(relative: str) -> Any:
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))


def shared_samples(name: str) -> list[dict[str, Any]]:
    """A shared sample file from tests/fixtures/cloudtrail/ (copied there with its attribution)."""
    path = FIXTURES / "cloudtrail" / name
    if not path.exists():
        pytest.skip(f"{path} is not there (another change copies the shared samples)")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def defaults() -> dict[str, Any]:
    return role_vars()
