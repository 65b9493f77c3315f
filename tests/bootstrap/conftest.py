"""Fixtures for the bootstrap test: LocalStack for the session (the AWX tests' fixture, reused).

Run with `pytest -m bootstrap tests/bootstrap` (BUCKETGUARD_LOCALSTACK_PORT picks the port, default 4566).
"""

from __future__ import annotations

import pytest

from tests.awx.conftest import localstack  # noqa: F401 - the session fixture, shared with tests/awx


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "bootstrap: runs playbooks/bootstrap.yml on LocalStack")
