"""Fixtures for the inventory plugin's moto-server tests: moto server for the session and an organisation.

Run them with `pytest -m inventory tests/inventory`. moto server is started through the project's own script
(`scripts/emulators.sh up moto`) on BUCKETGUARD_MOTO_PORT (default 5055) when it is not up, and stopped at the end
only if the fixture started it (the same rule as tests/awx/conftest.py for LocalStack). moto maps every access key
to one account, so the organisation fixture resets moto's state first (`POST /moto-api/reset`).
"""

from __future__ import annotations

import os
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
EMULATORS = ROOT / "scripts" / "emulators.sh"
VENV = Path(os.environ.get("BUCKETGUARD_VENV", ROOT / ".venv"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "inventory: the aws_organization inventory plugin against moto server; `pytest -m inventory tests/inventory`",
    )


@dataclass(frozen=True)
class Moto:
    """A running moto server (the `moto` fixture)."""

    port: str
    url: str

    def client(self, service: str):
        return boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=self.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200


@dataclass
class Organization:
    """The organisation the tests build (see the `organization` fixture); ids are moto's."""

    root: str
    management: str
    ous: dict[str, str] = field(default_factory=dict)  # name -> id
    accounts: dict[str, str] = field(default_factory=dict)  # name -> id


def _emulators(*args: str, port: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BUCKETGUARD_MOTO_PORT": port}
    return subprocess.run(
        [str(EMULATORS), *args, "moto"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="session")
def moto() -> Iterator[Moto]:
    """moto server on BUCKETGUARD_MOTO_PORT; started (and later stopped) here if it is not up."""
    port = os.environ.get("BUCKETGUARD_MOTO_PORT", "5055")
    if not (VENV / "bin" / "moto_server").exists():
        pytest.skip(f"no moto_server in {VENV}: run `make setup` first")
    started = False
    if _emulators("status", port=port).returncode != 0:
        up = _emulators("up", port=port)
        if up.returncode != 0:
            pytest.fail(f"scripts/emulators.sh up moto failed (port {port}):\n{up.stdout}{up.stderr}")
        started = True
    try:
        yield Moto(port=port, url=f"http://127.0.0.1:{port}")
    finally:
        if started:
            _emulators("down", port=port)


@pytest.fixture(scope="module")
def organization(moto: Moto) -> Organization:
    """Root: the management account, `sandbox` (OU Sandbox); OU Prod EU: `prod` > OU Payments: `payments`,
    `suspended` (closed: SUSPENDED). Tags: prod and payments bucketguard=enabled, prod home=us-east-1."""
    moto.reset()
    org = moto.client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    management = org.describe_organization()["Organization"]["MasterAccountId"]
    found = Organization(root=root, management=management)

    def ou(name: str, parent: str) -> str:
        found.ous[name] = org.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]
        return found.ous[name]

    def account(name: str, parent: str, tags: dict[str, str]) -> str:
        created = org.create_account(
            Email=f"{name}@example.com", AccountName=name, Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
        )["CreateAccountStatus"]["AccountId"]
        if parent != root:
            org.move_account(AccountId=created, SourceParentId=root, DestinationParentId=parent)
        found.accounts[name] = created
        return created

    prod = ou("Prod EU", root)
    payments = ou("Payments", prod)
    sandbox = ou("Sandbox", root)
    account("prod", prod, {"bucketguard": "enabled", "home": "us-east-1"})
    account("payments", payments, {"bucketguard": "enabled"})
    account("sandbox", sandbox, {})
    org.close_account(AccountId=account("suspended", payments, {"bucketguard": "enabled"}))
    return found
