"""Build an ansible-runner private data dir laid out the way AWX lays out a job's.

    <private_data_dir>/
      project/            the project's SCM checkout (here: the files git would check out)
      inventory/          the job's inventory (here: a copy of inventories/local)
      env/envvars         environment (AWX: credential injectors, e.g. AWS_ACCESS_KEY_ID)
      env/extravars       extra variables (AWX: job template extra vars + survey answers)
      env/settings        runner settings (AWX: job timeout, idle timeout)

Only standard library and PyYAML, so docs/awx.md can point at it as a reference.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
# The venv that runs pytest also holds ansible-playbook and ansible-builder (requirements/dev.txt).
VENV_BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class LocalStack:
    """A running LocalStack server (the `localstack` fixture)."""

    port: str
    url: str


def project_files(root: Path = ROOT) -> list[str]:
    """The files an SCM checkout of the project holds: tracked plus new, not ignored (.venv, .collections...).
    Untracked files under .ansible/ are left out: that is the tools' run-time cache (Molecule's scenario state,
    ansible-lint's), which a checkout never holds and which another stage of `make test` may be writing."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    tracked = set(
        subprocess.run(["git", "ls-files", "--cached", "-z"], cwd=root, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    return sorted(
        f for f in out.split("\0") if f and (f in tracked or not f.startswith(".ansible/")) and (root / f).is_file()
    )


def copy_project(dest: Path, root: Path = ROOT) -> None:
    """Copy the project as AWX copies its checkout into each job's private data dir."""
    for rel in project_files(root):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, target)


def home_hosts(inventory_dir: Path) -> list[dict[str, str]]:
    """The home-region host of every account of a fleet inventory (hosts.yml), in file order:
    [{"host": ..., "account_id": ..., "region": ...}]."""
    data = yaml.safe_load((inventory_dir / "hosts.yml").read_text())
    found: list[dict[str, str]] = []

    def walk(group: dict[str, Any], inherited: dict[str, Any]) -> None:
        group_vars = {**inherited, **(group.get("vars") or {})}
        for name, host_vars in (group.get("hosts") or {}).items():
            merged = {**group_vars, **(host_vars or {})}
            if merged.get("aws_region") == merged.get("bucketguard_home_region_name"):
                found.append(
                    {"host": name, "account_id": str(merged["bucketguard_account_id"]), "region": merged["aws_region"]}
                )
        for child in (group.get("children") or {}).values():
            walk(child or {}, group_vars)

    walk(data["all"], {})
    return found


def make_private_data_dir(
    base: Path,
    *,
    inventory_src: Path,
    envvars: dict[str, str],
    extravars: dict[str, Any],
    settings: dict[str, Any] | None = None,
) -> Path:
    """Write a private data dir under `base` and return it."""
    pdd = base / "private_data_dir"
    copy_project(pdd / "project")
    shutil.copytree(inventory_src, pdd / "inventory")
    env = pdd / "env"
    env.mkdir(parents=True)
    # ansible-runner reads these as YAML or JSON; JSON keeps the types exact.
    (env / "envvars").write_text(json.dumps(envvars, indent=2))
    (env / "extravars").write_text(json.dumps(extravars, indent=2))
    (env / "settings").write_text(json.dumps(settings or {}, indent=2))
    os.chmod(env / "envvars", 0o600)
    return pdd
