"""The bad-input table (docs/bad-input.yml, docs/bad-input.md) against the fleet check, without Ansible.

Every row must be refused by contract.fleet_problems with a message naming the variable and containing the row's
expected text; the page must be the rendering of the rows. tests/bad_input/ runs the same rows through
ansible-playbook (that is where an inventory template is evaluated).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils import contract

from tests.lib.bad_input import ROOT, hosts_of, row_inventory, rows

ROWS = rows()
# Ansible templates these before the check sees them (the command runs, the undefined variable fails): only the
# playbook test shows their expected text; here they must still be refused, naming the variable.
NEEDS_ANSIBLE = {"jinja-in-inventory", "account-undefined-template"}


def test_the_table_has_at_least_30_distinct_rows_of_every_kind() -> None:
    assert len(ROWS) >= 30
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    variables = {r["variable"] for r in ROWS}
    for needed in (
        "bucketguard_name_prefix",
        "bucketguard_account_id",
        "aws_region",
        "sns_email_subscribers",
        "bucketguard_central_topic_arn",
        "bucketguard_tags",
        "alarm_period",
        "notifier_lambda_allowlist",
    ):
        assert needed in variables, needed
    assert any(r.get("where") == "survey" for r in ROWS)
    assert any("{{" in str(r["value"]) and r.get("where", "all") != "survey" for r in ROWS)


def test_the_base_inventory_of_the_rows_is_valid() -> None:
    inventory, extra = row_inventory({"id": "none", "variable": "unused_variable", "value": 1}, 9, sys.executable)
    assert contract.fleet_problems(hosts_of(inventory, extra)) == []


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["id"])
def test_every_row_is_refused_naming_the_variable(row: dict) -> None:
    inventory, extra = row_inventory(row, 9, sys.executable)
    problems = contract.fleet_problems(hosts_of(inventory, extra))
    naming = [p for p in problems if row["variable"] in p]
    assert naming, problems
    if row["id"] not in NEEDS_ANSIBLE:
        assert any(row["expect"] in p for p in naming), problems


def test_the_page_is_the_rendering_of_the_rows() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "render_bad_input_doc.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    page = (ROOT / "docs" / "bad-input.md").read_text(encoding="utf-8")
    assert page.count("\n| ") == len(ROWS) + 2  # header, rule, one line a row
