"""Fixtures for the AWX tests: the checkout's paths and a LocalStack server for the session.

Run them with `pytest tests/awx` (or `pytest -m awx tests/awx`). The LocalStack fixture starts the server through
the project's own script (`scripts/emulators.sh up localstack`) when it is not up, on
BUCKETGUARD_LOCALSTACK_PORT (default 4566), and stops it at the end only if it started it. The tests are skipped
only when the LocalStack virtual environment is missing (`make setup` creates it; CI always has it).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.awx.runner_layout import ROOT, LocalStack

EMULATORS = ROOT / "scripts" / "emulators.sh"
LOCALSTACK_VENV = Path(os.environ.get("BUCKETGUARD_LOCALSTACK_VENV", ROOT / ".venv-localstack"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "awx: runs the playbooks the way AWX does (ansible-runner, ansible-builder); `pytest tests/awx`"
    )


def _emulators(*args: str, port: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BUCKETGUARD_LOCALSTACK_PORT": port}
    return subprocess.run(
        [str(EMULATORS), *args, "localstack"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="session")
def localstack() -> Iterator[LocalStack]:
    """LocalStack on BUCKETGUARD_LOCALSTACK_PORT; started (and later stopped) here if it is not up."""
    port = os.environ.get("BUCKETGUARD_LOCALSTACK_PORT", "4566")
    if not (LOCALSTACK_VENV / "bin" / "python").exists():
        pytest.skip(f"no LocalStack virtual environment at {LOCALSTACK_VENV}: run `make setup` first")
    started = False
    if _emulators("status", port=port).returncode != 0:
        up = _emulators("up", port=port)
        if up.returncode != 0:
            pytest.fail(f"scripts/emulators.sh up localstack failed (port {port}):\n{up.stdout}{up.stderr}")
        started = True
    try:
        yield LocalStack(port=port, url=f"http://127.0.0.1:{port}")
    finally:
        if started:
            _emulators("down", port=port)
