"""Every module of the collection documents itself: ansible-doc renders it and every description is text.

A description line with an unquoted ": " becomes a YAML mapping and breaks ansible-doc; this guards it.
"""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py"))


def _doc_blocks(name: str) -> dict:
    tree = ast.parse((ROOT / "plugins" / "modules" / f"{name}.py").read_text(encoding="utf-8"))
    return {
        node.targets[0].id: yaml.safe_load(node.value.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id in ("DOCUMENTATION", "RETURN", "EXAMPLES")
    }


def _descriptions(value, path=()):
    if isinstance(value, dict):
        for key, item in value.items():
            # an option or return value named "description" is a dict, not a description
            if key == "description" and path[-1:] not in (("options",), ("suboptions",), ("contains",)):
                for line in item if isinstance(item, list) else [item]:
                    yield path, line
            yield from _descriptions(item, (*path, key))
    elif isinstance(value, list):
        for item in value:
            yield from _descriptions(item, path)


@pytest.mark.parametrize("name", MODULES)
def test_documentation_blocks_are_complete_and_text(name):
    blocks = _doc_blocks(name)
    assert set(blocks) == {"DOCUMENTATION", "RETURN", "EXAMPLES"}, name
    assert blocks["DOCUMENTATION"]["module"] == name
    for block in ("DOCUMENTATION", "RETURN"):
        bad = [(path, line) for path, line in _descriptions(blocks[block]) if not isinstance(line, str)]
        assert not bad, f"{name} {block}: descriptions that are not text (quote a ': '): {bad}"


def test_ansible_doc_renders_every_module():
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections")}
    ansible_doc = Path(sys.executable).parent / "ansible-doc"
    result = subprocess.run(
        [str(ansible_doc), "-j", *(f"bucketguard.visibility.{m}" for m in MODULES)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    docs = json.loads(result.stdout)
    assert sorted(docs) == [f"bucketguard.visibility.{m}" for m in MODULES]
    for name, doc in docs.items():
        assert doc["doc"]["short_description"], name


FILTERS = sorted(p.stem for p in (ROOT / "plugins" / "filter").glob("*.py"))


@pytest.mark.parametrize("name", FILTERS)
def test_every_filter_documents_itself(name: str) -> None:
    """ansible-doc -t filter bucketguard.visibility.<name> renders (its DOCUMENTATION parses, descriptions are text)."""
    tree = ast.parse((ROOT / "plugins" / "filter" / f"{name}.py").read_text(encoding="utf-8"))
    docs = {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id in ("DOCUMENTATION", "RETURN", "EXAMPLES")
    }
    documentation = yaml.safe_load(docs["DOCUMENTATION"])
    assert documentation["name"] in (name, *[n for n in ("fleet_report",) if name == "drift"])
    for path, line in _descriptions(documentation):
        assert isinstance(line, str), f"{name}: description at {'.'.join(path)} is not text: {line!r}"
    yaml.safe_load(docs["RETURN"])
