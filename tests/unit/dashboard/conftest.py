"""Make the collection importable by FQCN and give the module tests a fake CloudWatch client.

`.collections/ansible_collections/bucketguard/visibility` is a link to the checkout (made by
`scripts/setup.sh`); amazon.aws comes from the venv's site-packages. Both `ansible_collections`
folders are namespace packages, so adding `.collections` to sys.path merges them.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

ROOT = Path(__file__).resolve().parents[3]
COLLECTIONS = ROOT / ".collections"
if not (COLLECTIONS / "ansible_collections" / "bucketguard" / "visibility").exists():
    raise RuntimeError(f"{COLLECTIONS}/ansible_collections/bucketguard/visibility is missing: run scripts/setup.sh")
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

import botocore.exceptions  # noqa: E402

from tests.lib import module_harness as harness  # noqa: E402
from tests.lib.module_harness import ModuleFail  # noqa: E402, F401 - the tests import it from here

ACCOUNT = "123456789012"


def client_error(code: str, message: str = "", operation: str = "Op", **extra: Any) -> botocore.exceptions.ClientError:
    response: dict[str, Any] = {"Error": {"Code": code, "Message": message}, **extra}
    return botocore.exceptions.ClientError(response, operation)


class FakeCloudWatch:
    """Just enough of boto3's CloudWatch client for dashboards; records every call."""

    def __init__(self, dashboards: dict[str, Any] | None = None) -> None:
        # name -> body string, exactly as CloudWatch would return it
        self.dashboards: dict[str, str] = {
            k: v if isinstance(v, str) else json.dumps(v) for k, v in (dashboards or {}).items()
        }
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.put_error: botocore.exceptions.ClientError | None = None
        self.put_response: dict[str, Any] = {}
        self.get_errors: list[botocore.exceptions.ClientError] = []  # raised first, one per call
        self.missing_style = "aws"  # or "localstack"

    def _arn(self, name: str) -> str:
        return f"arn:aws:cloudwatch::{ACCOUNT}:dashboard/{name}"

    def get_dashboard(self, DashboardName: str) -> dict[str, Any]:
        self.calls.append(("get_dashboard", {"DashboardName": DashboardName}))
        if self.get_errors:
            raise self.get_errors.pop(0)
        if DashboardName not in self.dashboards:
            if self.missing_style == "localstack":
                raise client_error("InvalidParameterValue", f"Dashboard {DashboardName} does not exist.")
            raise client_error("ResourceNotFound", "Dashboard does not exist")
        return {
            "DashboardName": DashboardName,
            "DashboardArn": self._arn(DashboardName),
            "DashboardBody": self.dashboards[DashboardName],
        }

    def put_dashboard(self, DashboardName: str, DashboardBody: str) -> dict[str, Any]:
        self.calls.append(("put_dashboard", {"DashboardName": DashboardName, "DashboardBody": DashboardBody}))
        if self.put_error is not None:
            raise self.put_error
        self.dashboards[DashboardName] = DashboardBody
        return copy.deepcopy(self.put_response)

    def delete_dashboards(self, DashboardNames: list[str]) -> dict[str, Any]:
        self.calls.append(("delete_dashboards", {"DashboardNames": DashboardNames}))
        for name in DashboardNames:
            if name not in self.dashboards:
                raise client_error("ResourceNotFound", "The specified dashboard does not exist.")
        for name in DashboardNames:
            del self.dashboards[name]
        return {}

    def get_paginator(self, operation: str) -> Any:
        assert operation == "list_dashboards"
        fake = self

        class _Paginator:
            def paginate(self, **params: Any) -> Any:
                fake.calls.append(("list_dashboards", params))
                prefix = params.get("DashboardNamePrefix", "")
                entries = [
                    {
                        "DashboardName": name,
                        "DashboardArn": fake._arn(name),
                        "LastModified": "2026-11-27T08:00:00+00:00",
                        "Size": len(body),
                    }
                    for name, body in sorted(fake.dashboards.items())
                    if name.startswith(prefix)
                ]
                return mock.Mock(build_full_result=lambda: {"DashboardEntries": entries})

        return _Paginator()

    def write_calls(self) -> list[str]:
        return [name for name, _ in self.calls if name in ("put_dashboard", "delete_dashboards")]


@pytest.fixture
def fake_cloudwatch() -> FakeCloudWatch:
    return FakeCloudWatch()


@pytest.fixture
def run_module(fake_cloudwatch: FakeCloudWatch):
    """run_module(module, args, check_mode=False, diff=False) -> result; failures raise ModuleFail."""

    def _run(module: Any, args: dict[str, Any], check_mode: bool = False, diff: bool = False) -> dict[str, Any]:
        return harness.run_module(module, args, fake_cloudwatch, check_mode=check_mode, diff=diff)

    return _run
