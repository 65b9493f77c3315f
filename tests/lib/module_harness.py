"""Run one of our modules' main() in-process with a fake boto3 client (unit tests).

`run_module(module, args, client)` returns the result dict of `exit_json`; `fail_json` raises
ModuleFail with the result (`failure.value.result`). With `client=None` the module makes its own boto3
client (for moto's in-process `mock_aws`). Check and diff mode are module arguments, as
Ansible passes them; AWSRetry's sleeps are made instant.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any
from unittest import mock

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


class ModuleExit(Exception):
    def __init__(self, result: dict[str, Any]) -> None:
        super().__init__(result)
        self.result = result


class ModuleFail(ModuleExit):
    pass


def _exit_json(self: Any, **kwargs: Any) -> None:
    kwargs.setdefault("changed", False)
    raise ModuleExit(kwargs)


def _fail_json(self: Any, msg: str = "", **kwargs: Any) -> None:
    raise ModuleFail(dict(kwargs, failed=True, msg=msg))


def run_module(
    module: Any,
    args: dict[str, Any],
    client: Any = None,
    *,
    check_mode: bool = False,
    diff: bool = False,
    region: str | None = "us-east-1",
) -> dict[str, Any]:
    full = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    if region is not None:  # None: a module without connection options
        full["region"] = region
    client_patch = (
        mock.patch.object(AnsibleAWSModule, "client", return_value=client) if client is not None else nullcontext()
    )
    with (
        patch_module_args(full),
        mock.patch.object(basic.AnsibleModule, "exit_json", _exit_json),
        mock.patch.object(basic.AnsibleModule, "fail_json", _fail_json),
        client_patch,
        mock.patch("ansible_collections.amazon.aws.plugins.module_utils.cloud.time.sleep"),
    ):
        try:
            module.main()
        except ModuleFail:
            raise
        except ModuleExit as e:
            return e.result
    raise AssertionError("the module returned without exit_json")
