"""Fixtures for the fleet playbook tests: LocalStack for the session (the AWX tests' fixture, reused).

Run them with `pytest tests/fleet` (or `pytest -m fleet tests/fleet`). LocalStack is started through the project's
own script (`scripts/emulators.sh up localstack`) on BUCKETGUARD_LOCALSTACK_PORT (default 4566) when it is not up,
and stopped at the end only if the fixture started it; the tests are skipped only when `.venv-localstack` is
missing (`make setup`).
"""

from __future__ import annotations

import pytest

from tests.awx.conftest import localstack  # noqa: F401 - the session fixture, shared with tests/awx


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fleet: runs the fleet playbooks (deploy, verify, teardown) on LocalStack; `pytest tests/fleet`"
    )
