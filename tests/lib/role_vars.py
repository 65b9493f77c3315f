"""A role's defaults and internal vars templated the way Ansible would (unit tests of pure role logic).

`role_templar(role, host_vars)` gives a Templar over the role's defaults, vars/main.yml and the host
variables; `render(role, name, host_vars)` templates one variable to plain Python values.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ansible_collections
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader
from ansible.template import Templar, trust_as_template

ROOT = Path(__file__).resolve().parents[2]
# The collection's filter plugins (bucketguard.visibility.*) resolve as in a playbook run.
init_plugin_loader([str(ROOT / ".collections"), *(str(Path(p).parent) for p in ansible_collections.__path__)])


def trusted(value: Any) -> Any:
    """Mark every string as a template, as Ansible does for role files it loads."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, list):
        return [trusted(item) for item in value]
    if isinstance(value, dict):
        return {key: trusted(item) for key, item in value.items()}
    return value


def plain(value: Any) -> Any:
    """Tagged Ansible values back to plain Python (str/list/dict) for comparisons and JSON."""
    return json.loads(json.dumps(value))


def role_templar(role: str, host_vars: dict[str, Any], **overrides: Any) -> tuple[Templar, dict[str, Any], list[str]]:
    """(templar, variables, names of the role's own variables) for ``roles/<role>``."""
    loader = DataLoader()
    path = ROOT / "roles" / role
    defaults = trusted(loader.load_from_file(str(path / "defaults" / "main.yml")))
    internal = trusted(loader.load_from_file(str(path / "vars" / "main.yml")))
    variables = {**defaults, **internal, "role_path": str(path), **host_vars, **trusted(overrides)}
    return Templar(loader=loader, variables=variables), variables, [*defaults, *internal]


def render(role: str, name: str, host_vars: dict[str, Any], **overrides: Any) -> Any:
    templar, variables, _ = role_templar(role, host_vars, **overrides)
    return plain(templar.template(variables[name]))


def render_all(role: str, host_vars: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    templar, variables, names = role_templar(role, host_vars, **overrides)
    return {name: plain(templar.template(variables[name])) for name in names}
