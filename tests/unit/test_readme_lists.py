"""README.md names every module of plugins/modules/ and every filter of plugins/filter/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def filter_names() -> list[str]:
    names = []
    for path in sorted((ROOT / "plugins/filter").iterdir()):
        if path.suffix == ".yml":
            names.append(yaml.safe_load(path.read_text())["DOCUMENTATION"]["name"])
        elif path.suffix == ".py":
            names += re.findall(r'"([a-z_]+)":', path.read_text().split("def filters", 1)[1])
    return names


@pytest.mark.parametrize("module", sorted(p.stem for p in (ROOT / "plugins/modules").glob("*.py")))
def test_readme_names_the_module(module: str) -> None:
    assert f"`{module}`" in README


def test_the_filters_are_found() -> None:
    assert {"drift", "fleet_report", "deployer_policy", "watched_events"} <= set(filter_names())


@pytest.mark.parametrize("name", sorted(set(filter_names())))
def test_readme_names_the_filter(name: str) -> None:
    assert f"`{name}`" in README
