"""bucketguard.visibility.aws_organization end to end on moto server: the real `ansible-inventory` over an
organisation with nested OUs, tagged accounts and a suspended account, then `playbooks/check_inventory.yml` on
what it built (that playbook makes no AWS call)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.inventory.conftest import ROOT, Moto, Organization

pytestmark = pytest.mark.inventory
BIN = Path(sys.executable).parent
REGIONS = ["eu-west-3", "us-east-1"]


def _plain(value: Any) -> Any:
    """ansible-inventory marks strings from an inventory plugin as unsafe: {"__ansible_unsafe": "..."}."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {
        **env,
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
        "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true",  # a source that fails fails the command (AWX does the same)
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def write_config(tmp_path: Path, moto: Moto, name: str = "fleet", **options: Any) -> Path:
    config = {
        "plugin": "bucketguard.visibility.aws_organization",
        "endpoint_url": moto.url,
        "access_key": "testing",
        "secret_key": "testing",
        "regions": REGIONS,
        "home_region": "eu-west-3",
        **options,
    }
    path = tmp_path / f"{name}.aws_organization.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


class Listed:
    """The output of `ansible-inventory --list`."""

    def __init__(self, result: subprocess.CompletedProcess[str]):
        self.result = result
        self.data = _plain(json.loads(result.stdout))
        self.hostvars: dict[str, dict[str, Any]] = self.data["_meta"]["hostvars"]

    def children(self, group: str) -> set[str]:
        return set(self.data.get(group, {}).get("children", []))

    def hosts_of(self, group: str) -> set[str]:
        return set(self.data.get(group, {}).get("hosts", []))

    def accounts(self) -> set[str]:
        return {v["bucketguard_account_id"] for v in self.hostvars.values()}


def ansible_inventory(
    tmp_path: Path, config: Path, *args: str, env: dict | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(config), "--list", *args],
        cwd=ROOT,
        env={**_env(tmp_path), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def listed(tmp_path: Path, config: Path, *args: str, env: dict | None = None) -> Listed:
    result = ansible_inventory(tmp_path, config, *args, env=env)
    assert result.returncode == 0, result.stderr
    return Listed(result)


def check_inventory(tmp_path: Path, config: Path, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(config), str(ROOT / "playbooks" / "check_inventory.yml")],
        cwd=ROOT,
        env={**_env(tmp_path), **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_every_active_account_and_region_with_the_host_model(tmp_path, moto: Moto, organization: Organization):
    a = organization.accounts
    config = write_config(tmp_path, moto, deploy_role_name="OrganizationAccountAccessRole")
    inv = listed(tmp_path, config)
    active = {organization.management, a["prod"], a["payments"], a["sandbox"]}
    assert set(inv.hostvars) == {f"{acct}-{region}" for acct in active for region in REGIONS}
    for acct in active:
        assert inv.hosts_of(f"account_{acct}") == {f"{acct}-{region}" for region in REGIONS}
        for region in REGIONS:
            hv = inv.hostvars[f"{acct}-{region}"]
            assert hv["bucketguard_account_id"] == acct and isinstance(hv["bucketguard_account_id"], str)
            assert hv["aws_region"] == region
            assert hv["bucketguard_home_region_name"] == "eu-west-3"
            assert "bucketguard_home_region" not in hv  # deprecated: the playbooks derive the home host
            assert hv["bucketguard_assume_role_arn"] == f"arn:aws:iam::{acct}:role/OrganizationAccountAccessRole"
            assert hv["ansible_connection"] == "local"
    assert inv.hostvars[f"{a['payments']}-us-east-1"]["bucketguard_ou_names"] == ["Prod EU", "Payments"]
    # Groups: the OU tree, nested
    assert inv.children("bucketguard") == {"ou_prod_eu", "ou_sandbox", f"account_{organization.management}"}
    assert inv.children("ou_prod_eu") == {"ou_payments", f"account_{a['prod']}"}
    assert inv.children("ou_payments") == {f"account_{a['payments']}"}
    assert inv.children("ou_sandbox") == {f"account_{a['sandbox']}"}
    # The suspended account: skipped and named
    assert f"account_{a['suspended']}" not in inv.data
    assert a["suspended"] in inv.result.stderr and "SUSPENDED" in inv.result.stderr


def test_check_inventory_accepts_what_the_plugin_builds(tmp_path, moto: Moto, organization: Organization):
    config = write_config(tmp_path, moto, deploy_role_name="automation/bucketguard-deployer", home_region_tag="home")
    result = check_inventory(tmp_path, config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failed=0" in result.stdout
    # 4 accounts x 2 regions checked
    assert result.stdout.count("ok=") == 8


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"include_ous": ["Prod EU"]}, {"prod", "payments"}),
        ({"include_ous": ["Payments"]}, {"payments"}),
        ({"exclude_ous": ["Prod EU"]}, {"management", "sandbox"}),
        ({"include_ous": ["Prod EU"], "exclude_ous": ["Payments"]}, {"prod"}),
        ({"include_accounts": ["prod", "sandbox"]}, {"prod", "sandbox"}),
        ({"exclude_accounts": ["management", "sandbox"]}, {"prod", "payments"}),
        ({"account_tags": {"bucketguard": "enabled"}}, {"prod", "payments"}),
    ],
)
def test_filters(tmp_path, moto: Moto, organization: Organization, options, expected):
    ids = {**organization.ous, **organization.accounts, "management": organization.management}
    options = {
        k: {t: x for t, x in v.items()} if isinstance(v, dict) else [ids[x] for x in v] for k, v in options.items()
    }
    inv = listed(tmp_path, write_config(tmp_path, moto, **options))
    assert inv.accounts() == {ids[name] for name in expected}


def test_home_region_from_a_tag_with_fallback(tmp_path, moto: Moto, organization: Organization):
    a = organization.accounts
    inv = listed(tmp_path, write_config(tmp_path, moto, home_region_tag="home"))
    homes = {h for h, v in inv.hostvars.items() if v["aws_region"] == v["bucketguard_home_region_name"]}
    assert homes == {
        f"{a['prod']}-us-east-1",
        f"{a['payments']}-eu-west-3",
        f"{a['sandbox']}-eu-west-3",
        f"{organization.management}-eu-west-3",
    }
    assert inv.hostvars[f"{a['prod']}-eu-west-3"]["bucketguard_home_region_name"] == "us-east-1"
    assert inv.hostvars[f"{a['prod']}-eu-west-3"]["bucketguard_account_tags"] == {
        "bucketguard": "enabled",
        "home": "us-east-1",
    }


def test_keyed_groups(tmp_path, moto: Moto, organization: Organization):
    config = write_config(
        tmp_path,
        moto,
        home_region_tag="home",
        keyed_groups=[{"key": "bucketguard_home_region_name", "prefix": "home"}],
    )
    inv = listed(tmp_path, config)
    assert inv.hosts_of("home_us_east_1") == {f"{organization.accounts['prod']}-{r}" for r in REGIONS}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"regionz": ["eu-west-3"]}, "unknown option(s) ['regionz']"),
        ({"deploy_role_name": "not a role"}, "deploy_role_name: not an IAM role name"),
        ({"regions": ["eu-west-3", "eu-west-9"]}, "regions not in partition aws"),
        ({"include_ous": ["ou-zzzz-zzzzzzzz"]}, "not in the organisation: ['ou-zzzz-zzzzzzzz']"),
    ],
)
def test_bad_configuration_fails_the_source(tmp_path, moto: Moto, organization: Organization, options, message):
    result = ansible_inventory(tmp_path, write_config(tmp_path, moto, **options))
    assert result.returncode != 0
    assert message in " ".join(result.stderr.split())
    result = check_inventory(tmp_path, write_config(tmp_path, moto, **options))
    assert result.returncode != 0 and "ok=" not in result.stdout  # no play ran on any host


def test_second_build_is_served_from_the_cache(tmp_path, moto: Moto, organization: Organization):
    cache = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(tmp_path / "cache")}
    first = listed(tmp_path, write_config(tmp_path, moto, **cache))
    # Same file (the cache key), now pointing at a port where nothing listens: a call would fail.
    dead = write_config(tmp_path, Moto(port="9", url="http://127.0.0.1:9"), **cache)
    second = listed(tmp_path, dead)
    assert second.data == first.data
    assert organization.accounts["suspended"] in second.result.stderr  # the warning still says what was skipped
    # --flush-cache reads AWS again (and here fails: nothing on port 9)
    assert ansible_inventory(tmp_path, dead, "--flush-cache").returncode != 0


def test_the_shipped_example_config(tmp_path, moto: Moto, organization: Organization):
    """inventories/example-organization as shipped, with the endpoint and keys from the environment."""
    example = ROOT / "inventories" / "example-organization" / "aws_organization.yml"
    env = {"AWS_URL": moto.url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    inv = listed(tmp_path, example, env=env)
    accounts = {organization.management, *(v for k, v in organization.accounts.items() if k != "suspended")}
    assert inv.accounts() == accounts and len(inv.hostvars) == 2 * len(accounts)
    for host, hv in inv.hostvars.items():
        acct = hv["bucketguard_account_id"]
        assert hv["bucketguard_assume_role_arn"] == f"arn:aws:iam::{acct}:role/bucketguard-deployer"
        assert (hv["aws_region"] == hv["bucketguard_home_region_name"]) is host.endswith("eu-west-3")
        # group_vars/all.yml beside the config (the fleet settings) comes along
        assert hv["bucketguard_name_prefix"] == "bucketguard"
    result = check_inventory(tmp_path, example, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("ok=") == 2 * len(accounts)
