"""The fault suite's ledger: every test records the faults it injected and the alerts it counted.

`pytest tests/faults` (or `make faults`) ends with one line: ``faults injected: N, alerts lost: 0``. Each test
also asserts that it lost nothing, so a lost alert fails the run whatever the summary says.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest


@dataclass
class Ledger:
    faults: int = 0
    alerts: int = 0
    mailed: int = 0
    waiting: int = 0  # batch item failures or raised errors: back in the queue, then the dead-letter queue
    lost: int = 0
    lines: list[str] = field(default_factory=list)


LEDGER = Ledger()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "faults: the notifier under injected faults, counting alerts (moto in-process)")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not LEDGER.faults:
        return
    terminalreporter.section("notifier faults")
    for line in LEDGER.lines:
        terminalreporter.write_line(line)
    terminalreporter.write_line(
        f"alerts: {LEDGER.alerts} (mailed at once: {LEDGER.mailed}, waiting for a retry or in the dead-letter "
        f"queue: {LEDGER.waiting}, each mailed after the fault cleared)"
    )
    terminalreporter.write_line(f"faults injected: {LEDGER.faults}, alerts lost: {LEDGER.lost}")
