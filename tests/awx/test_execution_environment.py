"""execution-environment.yml: `ansible-builder create` writes a complete build context, offline.

Building the image (`ansible-builder build`) needs a container engine and registry access, which CI does not
have; `create` needs neither, so this is as far as a test here can go (docs/awx.md, "Execution environment").
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.awx.runner_layout import ROOT, VENV_BIN

pytestmark = pytest.mark.awx

EE_FILE = ROOT / "execution-environment.yml"
BUILDER = VENV_BIN / "ansible-builder"


def dev_pins() -> dict[str, str]:
    """name -> version pinned in requirements/dev.txt (what the tests run)."""
    pins = {}
    for line in (ROOT / "requirements" / "dev.txt").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==([^\s#]+)", line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def create(context: Path, *prefix: str) -> subprocess.CompletedProcess[str]:
    cmd = [*prefix, str(BUILDER), "create", "-f", str(EE_FILE), "--context", str(context)]
    # Containerfile whatever engine is (not) installed: the default name follows `podman` on PATH.
    cmd += ["--output-filename", "Containerfile"]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ctx = tmp_path_factory.mktemp("ee") / "context"
    proc = create(ctx)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return ctx


def test_containerfile_installs_pinned_core_runner_and_collections(context: Path) -> None:
    containerfile = (context / "Containerfile").read_text()
    pins = dev_pins()
    assert 'EE_BASE_IMAGE="quay.io/centos/centos:stream9"' in containerfile
    assert 'PYCMD="/usr/bin/python3.12"' in containerfile
    assert f"ansible-core=={pins['ansible-core']}" in containerfile
    assert f"ansible-runner=={pins['ansible-runner']}" in containerfile
    assert "ansible-galaxy collection install" in containerfile
    assert "-r requirements.yml" in containerfile
    # git must be in the galaxy stage (it clones bucketguard.visibility), which runs on the base image.
    galaxy_stage = containerfile.split("FROM base AS galaxy", 1)[1].split("FROM base AS builder", 1)[0]
    assert "install -y git-core" in galaxy_stage
    assert "introspect" in containerfile


def test_build_context_holds_the_requirement_files(context: Path) -> None:
    build = context / "_build"
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    assert galaxy == yaml.safe_load((ROOT / "collections" / "requirements.yml").read_text())
    by_name = {c["name"]: c for c in galaxy["collections"]}
    assert by_name["amazon.aws"]["version"] == ">=11.0.0"
    assert by_name["community.aws"]["version"] == ">=11.0.0"
    # No placeholder URL for bucketguard.visibility (the repository has none yet): docs/awx.md says how to add it.
    assert sorted(by_name) == ["amazon.aws", "community.aws"]

    pins = dev_pins()
    python = (build / "requirements.txt").read_text().split()
    assert f"boto3=={pins['boto3']}" in python
    assert f"botocore=={pins.get('botocore', pins['boto3'])}" in python
    assert "aiobotocore" in (build / "exclude-requirements.txt").read_text().split()
    assert "git-core [platform:rpm]" in (build / "bindep.txt").read_text()
    for script in ("assemble", "introspect.py", "install-from-bindep", "check_galaxy", "check_ansible"):
        assert (build / "scripts" / script).is_file(), script


def test_create_needs_no_network(tmp_path: Path) -> None:
    """Run `create` in a network namespace with no interfaces up: it must not need any download."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-n", "true"], capture_output=True, check=False).returncode != 0:
        pytest.skip("cannot make a network namespace here (needs unshare and root or user namespaces)")
    proc = create(tmp_path / "context", unshare, "-n")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "context" / "Containerfile").is_file()
