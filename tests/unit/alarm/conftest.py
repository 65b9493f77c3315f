"""Shared helpers for the alarm tests: role defaults rendered as Ansible would, and the fixtures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROOT = Path(__file__).resolve().parents[3]
ROLE = ROOT / "roles" / "alarm"
FIXTURES = ROOT / "tests" / "fixtures"

# Host variables of a typical home-region host (the rendered patterns do not depend on them).
HOST_VARS = {
    "aws_region": "eu-west-3",
    "bucketguard_account_id": "444455556666",
    "bucketguard_name_prefix": "bucketguard",
    "bucketguard_home_region": True,
}


def _trusted(value: Any) -> Any:
    """Mark every string as a template, as Ansible does for role files it loads."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, list):
        return [_trusted(item) for item in value]
    if isinstance(value, dict):
        return {key: _trusted(item) for key, item in value.items()}
    return value


def _plain(value: Any) -> Any:
    """Tagged Ansible values back to plain Python (str/list/dict) for comparisons and JSON."""
    return json.loads(json.dumps(value))


def role_vars(**overrides: Any) -> dict[str, Any]:
    """Every default and internal var of the role, templated with HOST_VARS and ``overrides``."""
    loader = DataLoader()
    defaults = _trusted(loader.load_from_file(str(ROLE / "defaults" / "main.yml")))
    internal = _trusted(loader.load_from_file(str(ROLE / "vars" / "main.yml")))
    variables = {**defaults, **internal, **HOST_VARS, **_trusted(overrides)}
    templar = Templar(loader=loader, variables=variables)
    return {name: _plain(templar.template(variables[name])) for name in (*defaults, *internal)}


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
