"""Fixtures for the live smoke test (tests/live/test_live_smoke.py).

Against LocalStack by default (the session fixture of tests/awx, started through scripts/emulators.sh when it
is not up); against a real AWS sandbox account when BUCKETGUARD_LIVE=aws (see the test's docstring and README).
"""

from __future__ import annotations

import pytest

from tests.awx.conftest import localstack  # noqa: F401 - the session fixture, shared with tests/awx


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "live: the live smoke test (LocalStack by default; a real AWS sandbox with BUCKETGUARD_LIVE=aws)"
    )
