"""Run ansible-playbook in the checkout as a person or CI would (tests/fleet, tests/live, tests/audit).

The project's venv first on PATH, the checkout as the collection, no colour, one JSON result a line (so a test
can search a report), and - against LocalStack (``port`` given) - the machine's own AWS profiles kept out.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def run_playbook(
    inventory: Path, name: str, *args: str, port: str | None = None, timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
    }
    if port:
        env["BUCKETGUARD_LOCALSTACK_PORT"] = port
        env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    return subprocess.run(
        ["ansible-playbook", "-i", str(inventory), name, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def tail(run: subprocess.CompletedProcess[str]) -> str:
    """The end of a run's output, for an assertion message."""
    return (run.stdout + run.stderr)[-6000:]
