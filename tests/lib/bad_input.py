"""The bad-input table (docs/bad-input.yml): its rows, and the inventory each row makes.

One account in two regions (the home region eu-west-3 and us-east-1), everything valid, the AWS endpoint on a port
where nothing listens (so any AWS call would fail with a connection error, not with the inventory check's
message), and the row's variable set where the row says: ``all`` (the inventory's all vars), ``home`` (the
home-region host), ``every`` (each host) or ``survey`` (an extra var marked ``!unsafe``, as AWX passes a survey
answer); a row's ``with`` (other variables it needs, such as organisation mode's hub account) goes to the all vars.
"""

from __future__ import annotations

import copy
import socket
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "docs" / "bad-input.yml"
ACCOUNT = "111122223333"
HOME, OTHER = f"{ACCOUNT}-eu-west-3", f"{ACCOUNT}-us-east-1"


def rows() -> list[dict[str, Any]]:
    return yaml.safe_load(TABLE.read_text(encoding="utf-8"))["rows"]


def closed_port() -> int:
    """A local TCP port where nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_inventory(port: int, python: str) -> dict[str, Any]:
    return {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": python,
                "bucketguard_account_id": ACCOUNT,
                "bucketguard_home_region_name": "eu-west-3",
                "bucketguard_endpoint_url": f"http://127.0.0.1:{port}",
                "bucketguard_aws_access_key": ACCOUNT,
                "bucketguard_aws_secret_key": "test",
            },
            "hosts": {
                HOME: {"aws_region": "eu-west-3", "bucketguard_home_region": True},
                OTHER: {"aws_region": "us-east-1", "bucketguard_home_region": False},
            },
        }
    }


def row_inventory(row: dict[str, Any], port: int, python: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(inventory, survey extra vars) for one row."""
    inventory = base_inventory(port, python)
    where = row.get("where", "all")
    value = copy.deepcopy(row["value"])
    extra: dict[str, Any] = {}
    inventory["all"]["vars"].update(copy.deepcopy(row.get("with") or {}))
    if where == "all":
        inventory["all"]["vars"][row["variable"]] = value
    elif where == "home":
        inventory["all"]["hosts"][HOME][row["variable"]] = value
    elif where == "every":
        for host in inventory["all"]["hosts"].values():
            host[row["variable"]] = value
    elif where == "survey":
        extra[row["variable"]] = value
    else:
        raise ValueError(f"row {row['id']}: unknown where {where!r}")
    return inventory, extra


def hosts_of(inventory: dict[str, Any], extra: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each host's variables as Ansible would merge them (all vars < host vars < extra vars), untemplated."""
    group = inventory["all"]
    return {name: {**group["vars"], **hv, **extra} for name, hv in group["hosts"].items()}


class _Unsafe(str):
    """A string dumped with the !unsafe tag (how AWX marks survey answers)."""


def _unsafe_representer(dumper: yaml.SafeDumper, data: _Unsafe) -> yaml.Node:
    return dumper.represent_scalar("!unsafe", str(data), style='"')


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Unsafe, _unsafe_representer)


def unsafe_yaml(extra: dict[str, Any]) -> str:
    """Extra vars as YAML, every string marked !unsafe."""

    def mark(value: Any) -> Any:
        if isinstance(value, str):
            return _Unsafe(value)
        if isinstance(value, list):
            return [mark(v) for v in value]
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        return value

    return yaml.dump(mark(extra), Dumper=_Dumper, allow_unicode=True)
