"""`ansible-galaxy collection build` ships inventories/example/ and inventories/local/ only.

Built from a copy of the tree in a tmp folder (never in the checkout), with other inventories, an audit
report folder and caches present, as a user's working copy would have them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SKIP = shutil.ignore_patterns(
    ".git", ".venv", ".venv-localstack", ".collections", ".emulators", "build", "__pycache__", "*.tar.gz"
)
# Names close to the kept ones: the build_ignore patterns are character-by-character.
OTHERS = ("mine", "e", "exampl", "examples", "example2", "lab", "loc", "locals", "zz-prod")


@pytest.fixture(scope="module")
def tarball_names(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    tmp = tmp_path_factory.mktemp("build")
    tree = tmp / "tree"
    shutil.copytree(ROOT, tree, ignore=SKIP, symlinks=True)
    for name in OTHERS:
        (tree / "inventories" / name).mkdir(parents=True, exist_ok=True)
        (tree / "inventories" / name / "hosts.yml").write_text("---\nall: {}\n")
    (tree / "audit-reports").mkdir(exist_ok=True)
    (tree / "audit-reports" / "audit.json").write_text("{}\n")
    (tree / ".pytest_cache").mkdir(exist_ok=True)
    (tree / ".pytest_cache" / "x").write_text("x\n")
    galaxy = Path(sys.executable).parent / "ansible-galaxy"
    result = subprocess.run(
        [str(galaxy), "collection", "build", "--output-path", str(tmp / "out"), str(tree)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = (tmp / "out").glob("bucketguard-visibility-*.tar.gz")
    with tarfile.open(built) as tar:
        return tar.getnames()


def test_the_example_and_local_inventories_ship(tarball_names: list[str]) -> None:
    for kept in (
        "inventories/example/hosts.yml",
        "inventories/example/group_vars/all.yml",
        "inventories/local/hosts.yml",
    ):
        assert kept in tarball_names


@pytest.mark.parametrize("name", OTHERS)
def test_no_other_inventory_ships(tarball_names: list[str], name: str) -> None:
    assert not [n for n in tarball_names if n == f"inventories/{name}" or n.startswith(f"inventories/{name}/")]


def test_reports_and_caches_do_not_ship(tarball_names: list[str]) -> None:
    assert not [n for n in tarball_names if n.split("/")[0] in {"audit-reports", ".pytest_cache", ".emulators"}]
    assert "galaxy.yml" not in tarball_names  # the build writes MANIFEST.json instead
    assert "MANIFEST.json" in tarball_names and "playbooks/bootstrap.yml" in tarball_names


def test_no_placeholder_url_ships() -> None:
    """Real repository/issue URLs or none: no reserved example host in galaxy.yml or collections/requirements.yml."""
    placeholder = re.compile(r"\bexample\.(invalid|com|org|net)\b|\.invalid\b")
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    assert not [k for k, v in galaxy.items() if isinstance(v, str) and placeholder.search(v)]
    requirements = yaml.safe_load((ROOT / "collections" / "requirements.yml").read_text())
    names = [c["name"] for c in requirements["collections"]]
    assert names == ["amazon.aws", "community.aws"]
    assert not placeholder.search((ROOT / "collections" / "requirements.yml").read_text())
