"""The bad-input table through ansible-playbook: `pytest -m bad_input tests/bad_input` (no emulator)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "bad_input: every row of docs/bad-input.yml through playbooks/deploy.yml, refused before any AWS call",
    )
