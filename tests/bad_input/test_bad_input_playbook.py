"""Every row of docs/bad-input.yml, run through playbooks/deploy.yml with ansible-playbook: refused before any AWS call.

Each row gets its own inventory (one account in two regions, valid except for the row's value; see
tests/lib/bad_input.py) whose AWS endpoint is a local port where nothing listens: had any task called AWS, the run
would show a connection error from that task. A row passes when the only task that ran is the fleet inventory
check, it failed with "Invalid inventory, nothing was changed", and its message names the variable and contains
the row's expected text. Survey rows pass the value as AWX does, in an extra-vars file with the string tagged
!unsafe. Rows run two at a time (about 5-7 s each on a loaded 2-core machine).
"""

from __future__ import annotations

import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from tests.lib.bad_input import closed_port, row_inventory, rows, unsafe_yaml
from tests.lib.playbook import run_playbook, tail

pytestmark = pytest.mark.bad_input

ROWS = rows()
CHECK_TASK = "Check every host's inputs and each account's home region"
TASK_LINE = re.compile(r"^TASK \[(.+?)\]", re.M)


def failed_results(output: str) -> list[dict]:
    """The JSON results printed after "FAILED! => " (ANSIBLE_CALLBACK_RESULT_FORMAT=json)."""
    decoder = json.JSONDecoder()
    found = []
    for match in re.finditer(r"FAILED! => ", output):
        found.append(decoder.raw_decode(output, match.end())[0])
    return found


def run_row(row: dict, folder: Path) -> tuple[dict, str, int, list[dict]]:
    port = closed_port()
    inventory, extra = row_inventory(row, port, sys.executable)
    work = folder / row["id"]
    work.mkdir(parents=True)
    (work / "hosts.yml").write_text(yaml.safe_dump(inventory, allow_unicode=True), encoding="utf-8")
    args = []
    if extra:
        (work / "survey.yml").write_text(unsafe_yaml(extra), encoding="utf-8")
        args = ["-e", f"@{work / 'survey.yml'}"]
    run = run_playbook(work / "hosts.yml", "playbooks/deploy.yml", *args, timeout=300)
    output = run.stdout + run.stderr
    return row, output, run.returncode, failed_results(output)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[dict, str, int, list[dict]]]:
    folder = tmp_path_factory.mktemp("bad-input")
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(lambda r: run_row(r, folder), ROWS))
    return {row["id"]: (row, output, rc, failed) for row, output, rc, failed in done}


@pytest.mark.parametrize("row_id", [r["id"] for r in ROWS])
def test_the_row_is_refused_by_the_inventory_check_before_any_aws_call(results, row_id: str) -> None:
    row, output, rc, failed = results[row_id]
    assert rc != 0, tail_of(output)
    assert TASK_LINE.findall(output) == [CHECK_TASK], tail_of(output)
    assert "Could not connect" not in output and "EndpointConnectionError" not in output
    assert len(failed) == 1, tail_of(output)
    message = failed[0]["msg"]
    assert message.startswith("Invalid inventory, nothing was changed"), message
    assert row["variable"] in message, message
    assert row["expect"] in message, message


def tail_of(output: str) -> str:
    return output[-4000:]


def test_a_valid_inventory_passes_the_check_and_then_fails_on_the_closed_port(tmp_path: Path) -> None:
    """The control: without a bad value the check passes and the first AWS call meets the closed port."""
    port = closed_port()
    inventory, _ = row_inventory({"id": "none", "variable": "unused_variable", "value": 1}, port, sys.executable)
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    run = run_playbook(tmp_path / "hosts.yml", "playbooks/deploy.yml", "--limit", "*-eu-west-3", timeout=300)
    output = run.stdout + run.stderr
    assert run.returncode != 0
    tasks = TASK_LINE.findall(output)
    assert tasks[0] == CHECK_TASK and len(tasks) > 2, tail(run)
    assert f"127.0.0.1:{port}" in output, tail(run)
