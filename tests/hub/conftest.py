"""Fixtures for the organisation (hub) mode tests: LocalStack for the session (the AWX tests' fixture, reused).

Run them with `pytest tests/hub` (or `pytest -m hub tests/hub`). LocalStack is started through the project's own
script (`scripts/emulators.sh up localstack`) on BUCKETGUARD_LOCALSTACK_PORT (default 4566) when it is not up, and
stopped at the end only if the fixture started it; the tests are skipped only when `.venv-localstack` is missing.
"""

from __future__ import annotations

import pytest

from tests.awx.conftest import localstack  # noqa: F401 - the session fixture, shared with tests/awx


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "hub: organisation (hub) mode on LocalStack with several accounts; `pytest tests/hub`"
    )
