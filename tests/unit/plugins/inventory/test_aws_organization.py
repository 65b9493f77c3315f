"""bucketguard.visibility.aws_organization without a server: the plugin, loaded by Ansible's plugin loader,
over in-memory Organizations / Account / STS clients (tests/lib/fake_organizations.py) and, for ListRegions,
a real botocore client behind a Stubber."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import ansible_collections.amazon.aws as ansible_collections_amazon_aws
import boto3
import pytest
import yaml
from ansible.errors import AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.inventory.helpers import get_group_vars
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import init_plugin_loader, inventory_loader
from ansible.utils.collection_loader._collection_meta import _meta_yml_to_dict
from botocore.stub import Stubber

from tests.lib.fake_organizations import FakeAccount, FakeOrganizations, FakeSTS

ROOT = Path(__file__).resolve().parents[4]
NAME = "bucketguard.visibility.aws_organization"
# Other unit tests import the collections as plain namespace packages (tests/unit/conftest.py) before this
# file; Ansible's collection finder, which the plugin loader installs, then finds those package objects
# without the metadata it would have attached. Attach it as the finder does (from meta/runtime.yml).
for _collection, _meta in (
    ("bucketguard.visibility", ROOT / "meta" / "runtime.yml"),
    ("amazon.aws", Path(ansible_collections_amazon_aws.__path__[0]) / "meta" / "runtime.yml"),
):
    _package = sys.modules.get(f"ansible_collections.{_collection}")
    if _package is not None and getattr(_package, "_collection_meta", None) is None:
        _package._collection_meta = _meta_yml_to_dict(_meta.read_bytes(), (_collection, "runtime.yml"))
init_plugin_loader([str(ROOT / ".collections")])
aws_organization = importlib.import_module(
    "ansible_collections.bucketguard.visibility.plugins.inventory.aws_organization"
)

MGMT = "123456789012"
PROD = "111111111111"
PAY = "222222222222"
SANDBOX = "333333333333"
GONE = "444444444444"
CLOSING = "555555555555"
BASE = {"plugin": NAME, "regions": ["eu-west-3", "us-east-1"], "home_region": "eu-west-3"}


class Run:
    """One build: the inventory, the warnings, the clients the plugin asked for."""

    def __init__(self, tmp_path: Path, config: dict[str, Any], clients: dict[str, Any], name: str = "fleet"):
        self.path = tmp_path / f"{name}.aws_organization.yml"
        self.path.write_text(yaml.safe_dump(config))
        self.clients, self.asked, self.warnings = clients, [], []
        self.plugin = inventory_loader.get(NAME)
        self.plugin.client = self._client
        self.plugin.warn = self.warnings.append
        self.inventory = InventoryData()

    def _client(self, service: str, **kwargs: Any) -> Any:
        self.asked.append(service)
        return self.clients[service]

    def parse(self, cache: bool = True) -> Run:
        self.plugin.parse(self.inventory, DataLoader(), str(self.path), cache=cache)
        if getattr(self.plugin, "_cache", None) is not None and hasattr(self.plugin._cache, "update_cache_if_changed"):
            self.plugin._cache.update_cache_if_changed()  # what InventoryManager does after each source
        return self

    # Views of the result
    def hosts(self) -> set[str]:
        return set(self.inventory.hosts)

    def vars(self, host: str) -> dict[str, Any]:
        found = self.inventory.get_host(host)
        merged = {**get_group_vars(found.get_groups()), **found.vars}  # what a play sees
        return {k: v for k, v in merged.items() if k not in ("inventory_dir", "inventory_file")}

    def children(self, group: str) -> set[str]:
        return {g.name for g in self.inventory.groups[group].child_groups}

    def group_hosts(self, group: str) -> set[str]:
        return {h.name for h in self.inventory.groups[group].get_hosts()}


@pytest.fixture
def org() -> FakeOrganizations:
    """Root: management, sandbox OU (Sandbox account); Prod OU (Prod account) > Payments OU (Payments account,
    a suspended one, one pending closure)."""
    fake = FakeOrganizations(MGMT)
    fake.prod = fake.add_ou("Prod EU")
    fake.payments = fake.add_ou("Payments", fake.prod)
    fake.sandbox = fake.add_ou("Sandbox")
    fake.add_account(PROD, "prod", fake.prod, tags={"bucketguard": "enabled", "home": "us-east-1"})
    fake.add_account(PAY, "payments", fake.payments, tags={"bucketguard": "enabled"})
    fake.add_account(SANDBOX, "sandbox", fake.sandbox, tags={"bucketguard": "disabled"})
    fake.add_account(GONE, "gone", fake.payments, state="SUSPENDED")
    fake.add_account(CLOSING, "closing", fake.payments, state="PENDING_CLOSURE")
    return fake


def build(tmp_path, org, **config) -> Run:
    return Run(tmp_path, {**BASE, **config}, {"organizations": org}).parse()


def accounts_of(run: Run) -> set[str]:
    return {run.vars(h)["bucketguard_account_id"] for h in run.hosts()}


# --- verify_file -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("aws_organization.yml", True),
        ("fleet.aws_organization.yaml", True),
        ("hosts.yml", False),
        ("fleet.aws_ec2.yml", False),
        ("aws_organization.yml.bak", False),
    ],
)
def test_verify_file_takes_only_aws_organization_configs(tmp_path, name, ok):
    path = tmp_path / name
    path.write_text(f"plugin: {NAME}\n")
    assert inventory_loader.get(NAME).verify_file(str(path)) is ok


# --- The host model --------------------------------------------------------------------------------
def test_builds_one_host_per_active_account_and_region_with_the_playbooks_variables(tmp_path, org):
    run = build(tmp_path, org, deploy_role_name="OrganizationAccountAccessRole")
    assert run.hosts() == {f"{a}-{r}" for a in (MGMT, PROD, PAY, SANDBOX) for r in ("eu-west-3", "us-east-1")}
    assert run.vars(f"{PAY}-us-east-1") == {
        "ansible_connection": "local",
        "aws_region": "us-east-1",
        "bucketguard_account_id": PAY,
        "bucketguard_account_name": "payments",
        "bucketguard_home_region_name": "eu-west-3",
        "bucketguard_partition": "aws",
        "bucketguard_assume_role_arn": f"arn:aws:iam::{PAY}:role/OrganizationAccountAccessRole",
        "bucketguard_ou_ids": [org.prod, org.payments],
        "bucketguard_ou_names": ["Prod EU", "Payments"],
    }
    for account in (MGMT, PROD, PAY, SANDBOX):
        assert run.group_hosts(f"account_{account}") == {f"{account}-eu-west-3", f"{account}-us-east-1"}
        homes = [
            h
            for h in run.group_hosts(f"account_{account}")
            if run.vars(h)["aws_region"] == run.vars(h)["bucketguard_home_region_name"]
        ]
        assert homes == [f"{account}-eu-west-3"]
        assert isinstance(run.vars(homes[0])["bucketguard_account_id"], str)


def test_groups_follow_the_ou_tree(tmp_path, org):
    run = build(tmp_path, org)
    assert run.children("bucketguard") == {"ou_prod_eu", "ou_sandbox", f"account_{MGMT}"}
    assert run.children("ou_prod_eu") == {"ou_payments", f"account_{PROD}"}
    assert run.children("ou_payments") == {f"account_{PAY}"}
    # --limit ou_prod_eu takes the nested OU's accounts too
    assert run.group_hosts("ou_prod_eu") == {f"{a}-{r}" for a in (PROD, PAY) for r in ("eu-west-3", "us-east-1")}
    assert "account_" + GONE not in run.inventory.groups


def test_ou_names_that_collide_get_their_id(tmp_path, org):
    other = org.add_ou("payments", org.sandbox)
    org.add_account("666666666666", "other payments", other)
    run = build(tmp_path, org)
    assert f"ou_payments_{org.payments.replace('-', '_')}" in run.inventory.groups
    assert f"ou_payments_{other.replace('-', '_')}" in run.inventory.groups
    assert "ou_payments" not in run.inventory.groups


def test_role_name_with_a_path_and_the_partition_of_the_organisation(tmp_path):
    fake = FakeOrganizations(MGMT, partition="aws-cn")
    run = Run(
        tmp_path,
        {
            "plugin": NAME,
            "regions": ["cn-north-1", "cn-northwest-1"],
            "home_region": "cn-north-1",
            "deploy_role_name": "/automation/bucketguard-deployer",
        },
        {"organizations": fake},
    ).parse()
    assert run.vars(f"{MGMT}-cn-north-1")["bucketguard_assume_role_arn"] == (
        f"arn:aws-cn:iam::{MGMT}:role/automation/bucketguard-deployer"
    )
    assert run.vars(f"{MGMT}-cn-north-1")["bucketguard_partition"] == "aws-cn"


def test_without_deploy_role_name_no_role_is_set(tmp_path, org):
    run = build(tmp_path, org)
    assert all("bucketguard_assume_role_arn" not in run.vars(h) for h in run.hosts())


def test_suspended_and_pending_closure_accounts_are_skipped_and_named(tmp_path, org):
    run = build(tmp_path, org)
    assert {GONE, CLOSING}.isdisjoint(accounts_of(run))
    assert len(run.warnings) == 1
    assert GONE in run.warnings[0] and "SUSPENDED" in run.warnings[0]
    assert CLOSING in run.warnings[0] and "PENDING_CLOSURE" in run.warnings[0]


def test_compose_and_keyed_groups(tmp_path, org):
    run = build(
        tmp_path,
        org,
        home_region_tag="home",
        keyed_groups=[{"key": "bucketguard_home_region_name", "prefix": "home"}],
        compose={"bucketguard_name_prefix": "'bg'"},
    )
    assert run.group_hosts("home_us_east_1") == {f"{PROD}-eu-west-3", f"{PROD}-us-east-1"}
    assert run.vars(f"{PAY}-eu-west-3")["bucketguard_name_prefix"] == "bg"


def test_a_failing_keyed_group_takes_back_everything_added(tmp_path, org):
    run = Run(tmp_path, {**BASE, "strict": True, "keyed_groups": [{"key": "no_such_variable"}]}, {"organizations": org})
    run.inventory.add_host("already-there")
    with pytest.raises(AnsibleParserError, match="no_such_variable"):
        run.parse()
    assert run.hosts() == {"already-there"}
    assert set(run.inventory.groups) == {"all", "ungrouped"}


# --- Filters ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"include_ous": ["PROD"]}, {PROD, PAY}),  # nested OU included
        ({"include_ous": ["PAYMENTS"]}, {PAY}),
        ({"exclude_ous": ["PROD"]}, {MGMT, SANDBOX}),  # nested OU excluded
        ({"include_ous": ["PROD"], "exclude_ous": ["PAYMENTS"]}, {PROD}),
        ({"include_ous": ["ROOT"], "exclude_ous": ["SANDBOX"]}, {MGMT, PROD, PAY}),
        ({"include_accounts": [PROD, SANDBOX]}, {PROD, SANDBOX}),
        ({"exclude_accounts": [MGMT]}, {PROD, PAY, SANDBOX}),
        ({"include_accounts": [PROD, PAY], "exclude_accounts": [PAY]}, {PROD}),
        ({"include_ous": ["PROD"], "include_accounts": [PAY, SANDBOX]}, {PAY}),
    ],
)
def test_account_and_ou_filters(tmp_path, org, config, expected):
    ids = {"PROD": org.prod, "PAYMENTS": org.payments, "SANDBOX": org.sandbox, "ROOT": org.root}
    config = {k: [ids.get(v, v) for v in vs] for k, vs in config.items()}
    run = build(tmp_path, org, **config)
    assert accounts_of(run) == expected
    assert org.count("list_tags_for_resource") == 0  # no tag needed, none read


def test_account_tags_must_all_match_and_are_read_only_for_candidates(tmp_path, org):
    run = build(tmp_path, org, account_tags={"bucketguard": "enabled"}, exclude_accounts=[PAY])
    assert accounts_of(run) == {PROD}
    assert run.vars(f"{PROD}-eu-west-3")["bucketguard_account_tags"] == {"bucketguard": "enabled", "home": "us-east-1"}
    # MGMT, PROD, SANDBOX: not the excluded, suspended or closing accounts
    assert org.count("list_tags_for_resource") == 3


def test_account_tags_with_two_keys(tmp_path, org):
    run = build(tmp_path, org, account_tags={"bucketguard": "enabled", "home": "us-east-1"})
    assert accounts_of(run) == {PROD}


def test_home_region_tag_with_fallback(tmp_path, org):
    run = build(tmp_path, org, home_region_tag="home")
    assert run.vars(f"{PROD}-eu-west-3")["bucketguard_home_region_name"] == "us-east-1"
    assert run.vars(f"{PROD}-us-east-1")["bucketguard_home_region_name"] == "us-east-1"
    assert run.vars(f"{PAY}-eu-west-3")["bucketguard_home_region_name"] == "eu-west-3"  # no tag: home_region
    assert "bucketguard_home_region" not in run.vars(f"{PROD}-us-east-1")  # deprecated: derived by the playbooks


def test_home_region_tag_without_fallback_names_the_untagged_accounts(tmp_path, org):
    config = {"plugin": NAME, "regions": ["eu-west-3", "us-east-1"], "home_region_tag": "home"}
    run = Run(tmp_path, config, {"organizations": org})
    with pytest.raises(AnsibleParserError, match=f"account {PAY}: no tag home and no home_region") as err:
        run.parse()
    assert PROD not in str(err.value)
    assert run.hosts() == set()


@pytest.mark.parametrize("value", ["mars-north-1", "us-east-1\n", "eu-west-9"])
def test_home_region_tag_that_is_not_a_region(tmp_path, org, value):
    org.accounts[PAY]["tags"]["home"] = value
    run = Run(tmp_path, {**BASE, "home_region_tag": "home"}, {"organizations": org})
    with pytest.raises(AnsibleParserError, match=f"account {PAY}: tag home="):
        run.parse()
    assert run.hosts() == set()


def test_home_region_outside_the_account_regions_fails_with_nothing_added(tmp_path, org):
    org.accounts[PAY]["tags"]["home"] = "eu-central-1"
    run = Run(tmp_path, {**BASE, "home_region_tag": "home"}, {"organizations": org})
    with pytest.raises(AnsibleParserError, match=f"account {PAY}: home region eu-central-1 is not one of its regions"):
        run.parse()
    assert run.hosts() == set() and set(run.inventory.groups) == {"all", "ungrouped"}


# --- regions_from: enabled --------------------------------------------------------------------------
def _enabled_fakes(org):
    regions = {
        MGMT: {"us-east-1": "ENABLED_BY_DEFAULT", "eu-west-3": "ENABLED_BY_DEFAULT", "af-south-1": "DISABLED"},
        PROD: {"us-east-1": "ENABLED_BY_DEFAULT", "eu-west-3": "ENABLED_BY_DEFAULT", "af-south-1": "ENABLED"},
        PAY: {"eu-west-3": "ENABLED_BY_DEFAULT", "ap-east-1": "ENABLING"},
        SANDBOX: {"eu-west-3": "ENABLED_BY_DEFAULT", "me-south-1": "DISABLING"},
    }
    return {"organizations": org, "account": FakeAccount(regions, MGMT), "sts": FakeSTS(MGMT)}


def test_regions_from_enabled_reads_each_account(tmp_path, org):
    clients = _enabled_fakes(org)
    run = Run(tmp_path, {"plugin": NAME, "regions_from": "enabled", "home_region": "eu-west-3"}, clients).parse()
    assert run.hosts() == {
        f"{MGMT}-us-east-1",
        f"{MGMT}-eu-west-3",
        f"{PROD}-us-east-1",
        f"{PROD}-eu-west-3",
        f"{PROD}-af-south-1",
        f"{PAY}-eu-west-3",
        f"{SANDBOX}-eu-west-3",
    }
    calls = clients["account"].calls
    assert sorted(p.get("AccountId", "own") for _, p in calls) == sorted(["own", PROD, PAY, SANDBOX])
    assert all(p["RegionOptStatusContains"] == ["ENABLED", "ENABLED_BY_DEFAULT"] for _, p in calls)


def test_regions_from_enabled_with_an_allow_list(tmp_path, org):
    config = {
        "plugin": NAME,
        "regions_from": "enabled",
        "regions": ["eu-west-3", "us-east-1"],
        "home_region": "eu-west-3",
    }
    run = Run(tmp_path, config, _enabled_fakes(org)).parse()
    assert f"{PROD}-af-south-1" not in run.hosts()
    assert f"{PROD}-us-east-1" in run.hosts() and f"{PAY}-us-east-1" not in run.hosts()


def test_regions_from_enabled_home_region_not_enabled_is_an_error(tmp_path, org):
    config = {"plugin": NAME, "regions_from": "enabled", "home_region": "us-east-1"}
    run = Run(tmp_path, config, _enabled_fakes(org))
    with pytest.raises(AnsibleParserError, match=f"account {PAY}: home region us-east-1 is not one of its regions"):
        run.parse()
    assert run.hosts() == set()


def test_enabled_regions_against_botocore_stubber():
    client = boto3.client("account", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        wanted = {"AccountId": PROD, "RegionOptStatusContains": ["ENABLED", "ENABLED_BY_DEFAULT"]}
        stub.add_response(
            "list_regions",
            {
                "Regions": [
                    {"RegionName": "eu-west-3", "RegionOptStatus": "ENABLED_BY_DEFAULT"},
                    {"RegionName": "af-south-1", "RegionOptStatus": "ENABLED"},
                ],
                "NextToken": "page2",
            },
            wanted,
        )
        stub.add_response(
            "list_regions",
            {"Regions": [{"RegionName": "us-east-1", "RegionOptStatus": "ENABLED_BY_DEFAULT"}]},
            {**wanted, "NextToken": "page2"},
        )
        stub.add_response(
            "list_regions", {"Regions": []}, {"RegionOptStatusContains": ["ENABLED", "ENABLED_BY_DEFAULT"]}
        )
        assert aws_organization.enabled_regions(client, PROD, MGMT) == ["af-south-1", "eu-west-3", "us-east-1"]
        assert aws_organization.enabled_regions(client, MGMT, MGMT) == []  # own account: no AccountId
        stub.add_client_error("list_regions", "AccessDeniedException", "no")
        with pytest.raises(AnsibleParserError, match=r"permission account:ListRegions"):
            aws_organization.enabled_regions(client, PAY, MGMT)
        stub.assert_no_pending_responses()


# --- Bad input and errors ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"regionz": ["eu-west-3"]}, r"unknown option\(s\) \['regionz'\]"),
        ({"deploy_role_name": "bad role"}, "deploy_role_name: not an IAM role name"),
        ({"deploy_role_name": "arn:aws:iam::111111111111:role/x"}, "deploy_role_name: not an IAM role name"),
        ({"deploy_role_name": "x" * 65}, "deploy_role_name: not an IAM role name"),
        ({"deploy_role_name": "Deployer\n"}, "deploy_role_name: not an IAM role name"),
        ({"regions": ["eu-west-3", "EU-WEST-1"]}, r"regions: not region names such as eu-west-3: \['EU-WEST-1'\]"),
        ({"regions": ["eu-west-3", "eu-west-3\n"]}, "regions: not region names"),
        ({"regions": []}, "regions is required"),
        ({"regions": ["eu-west-3", "eu-west-3"]}, "listed more than once"),
        ({"home_region": None}, "home_region or home_region_tag is required"),
        ({"home_region": "paris"}, "home_region: not a region name"),
        ({"regions_from": "all"}, "Invalid value 'all' for config 'regions_from'"),
        ({"max_workers": "many"}, "invalid configuration.*max_workers"),
        ({"include_accounts": ["1234"]}, "include_accounts: not 12-digit account ids"),
        ({"exclude_ous": ["Sandbox"]}, "exclude_ous: not OU ids"),
    ],
)
def test_bad_configuration_fails_before_any_call(tmp_path, org, config, message):
    run = Run(tmp_path, {**BASE, **config}, {"organizations": org})
    with pytest.raises(AnsibleParserError, match=message):
        run.parse()
    assert run.asked == [] and org.calls == [] and run.hosts() == set()


def test_a_region_unknown_to_the_partition_is_an_error(tmp_path, org):
    run = Run(tmp_path, {**BASE, "regions": ["eu-west-3", "eu-west-9"]}, {"organizations": org})
    with pytest.raises(AnsibleParserError, match=r"regions not in partition aws .*\['eu-west-9'\]"):
        run.parse()
    assert run.hosts() == set()


def test_an_ou_that_is_not_in_the_organisation_is_an_error(tmp_path, org):
    run = Run(tmp_path, {**BASE, "include_ous": ["ou-ab12-99999999"]}, {"organizations": org})
    with pytest.raises(AnsibleParserError, match=r"not in the organisation: \['ou-ab12-99999999'\]"):
        run.parse()


@pytest.mark.parametrize(
    ("operation", "permission", "config"),
    [
        ("list_roots", "organizations:ListRoots", {}),
        ("list_accounts_for_parent", "organizations:ListAccountsForParent", {}),
        ("list_organizational_units_for_parent", "organizations:ListOrganizationalUnitsForParent", {}),
        ("list_tags_for_resource", "organizations:ListTagsForResource", {"account_tags": {"bucketguard": "enabled"}}),
    ],
)
def test_access_denied_names_the_missing_permission_and_adds_nothing(tmp_path, org, operation, permission, config):
    org.denied.add(operation)
    run = Run(tmp_path, {**BASE, **config}, {"organizations": org})
    with pytest.raises(AnsibleParserError, match=f"needs the IAM permission {permission}"):
        run.parse()
    assert run.hosts() == set() and set(run.inventory.groups) == {"all", "ungrouped"}


def test_no_matching_account_is_a_warning_and_an_empty_inventory(tmp_path, org):
    run = build(tmp_path, org, account_tags={"bucketguard": "nowhere"})
    assert run.hosts() == set()
    assert any("no account to deploy to" in w for w in run.warnings)


def test_an_organisation_of_only_suspended_accounts(tmp_path):
    fake = FakeOrganizations(MGMT)
    fake.accounts[MGMT]["state"] = "SUSPENDED"
    run = Run(tmp_path, BASE, {"organizations": fake}).parse()
    assert run.hosts() == set()
    assert any(MGMT in w for w in run.warnings) and any("no account to deploy to" in w for w in run.warnings)


# --- Efficiency and cache ---------------------------------------------------------------------------
def test_the_tree_is_walked_once_with_paginated_calls(tmp_path, org):
    build(tmp_path, org)
    parents = 1 + len(org.ous)
    assert org.count("list_roots") == 1
    assert org.count("list_accounts_for_parent") == parents
    assert org.count("list_organizational_units_for_parent") == parents
    assert org.count() == 1 + 2 * parents  # no ListParents, no per-account call


def test_a_second_build_from_the_cache_makes_no_call(tmp_path, org):
    cache = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": str(tmp_path / "cache")}
    first = Run(tmp_path, {**BASE, **cache, "home_region_tag": "home"}, {"organizations": org}).parse()
    assert org.count() > 0
    org.calls.clear()
    org.denied.update({"list_roots", "list_accounts_for_parent"})  # any call would now fail
    second = Run(tmp_path, {**BASE, **cache, "home_region_tag": "home"}, {"organizations": org}).parse()
    assert org.calls == [] and second.asked == []
    assert second.hosts() == first.hosts()
    assert {h: second.vars(h) for h in second.hosts()} == {h: first.vars(h) for h in first.hosts()}
    assert second.warnings == first.warnings  # the skipped accounts are still named
    # --flush-cache (cache=False) reads AWS again
    with pytest.raises(AnsibleParserError, match="ListRoots"):
        Run(tmp_path, {**BASE, **cache, "home_region_tag": "home"}, {"organizations": org}).parse(cache=False)


def test_without_the_cache_option_every_build_calls_aws(tmp_path, org):
    build(tmp_path, org)
    calls = org.count()
    build(tmp_path, org)
    assert org.count() == 2 * calls
