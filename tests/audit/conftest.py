"""Fixtures for the audit tests: LocalStack for the session (the AWX tests' fixture, reused).

Run them with `pytest -m audit tests/audit`. LocalStack is started through the project's own script
(`scripts/emulators.sh up localstack`) on BUCKETGUARD_LOCALSTACK_PORT (default 4566) when it is not up, and
stopped at the end only if the fixture started it; the tests are skipped only when `.venv-localstack` is missing
(`make setup`). The browser test installs Chromium with scripts/ensure-chromium.sh when it is missing.
"""

from __future__ import annotations

import pytest

from tests.awx.conftest import localstack  # noqa: F401 - the session fixture, shared with tests/awx


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "audit: runs playbooks/audit.yml on LocalStack and renders its report in Chromium; `pytest tests/audit`",
    )
