"""A multi-account organisation (hub) mode inventory for LocalStack, reusable by every hub test.

    from tests.hub.inventory import write_hub_inventory
    inventory = write_hub_inventory(tmp_path, hub="...", members=["...", "..."])

LocalStack takes the account from the access key id (a 12-digit access key id = that account), which
inventories/local's group_vars already do (bucketguard_aws_access_key = bucketguard_account_id). The hosts are
named ``{account}-{region}``, in one group ``account_{account}`` per account under the group ``bucketguard``,
whose vars carry the fleet-wide hub inputs (docs/organisation.md).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import yaml

from tests.lib.playbook import ROOT

HUB_REGION = "eu-west-3"
OTHER_REGION = "us-east-1"
ORG_TRAIL_LOG_GROUP = "aws-controltower/CloudTrailLogs"


def host_name(account: str, region: str) -> str:
    return f"{account}-{region}"


def write_hub_inventory(
    dest: Path,
    hub: str,
    members: Sequence[str],
    regions: Sequence[str] = (HUB_REGION, OTHER_REGION),
    hub_region: str = HUB_REGION,
    log_account: str | None = None,
    log_group: str = ORG_TRAIL_LOG_GROUP,
    organization_id: str | None = None,
    extra_vars: dict | None = None,
) -> Path:
    """Write ``dest/hosts.yml`` and ``dest/group_vars`` (inventories/local's) and return ``dest``.

    ``hub``: the hub account (its home region is ``hub_region``); ``members``: the other accounts (home region the
    first of ``regions``); every account gets one host per region of ``regions``. ``log_account`` (the hub or a
    member, or None: no organisation trail) holds the organisation trail's log group ``log_group``: its hosts set
    ``bucketguard_organization_trail: true`` and ``bucketguard_trail_log_group_name``; without a log account the
    hub's stack uses inventories/local's existing-trail log group (/bucketguard/cloudtrail, which the caller
    creates, as scripts/local_trail_stand_in.yml does). ``extra_vars`` are added to the fleet-wide vars.
    """
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "inventories" / "local" / "group_vars", dest / "group_vars", dirs_exist_ok=True)
    fleet_vars = {"bucketguard_hub_account_id": hub, "bucketguard_hub_region": hub_region, **(extra_vars or {})}
    if organization_id:
        fleet_vars["bucketguard_organization_id"] = organization_id
    accounts = {}
    for account in [hub, *[m for m in members if m != hub]]:
        home = hub_region if account == hub else regions[0]
        account_vars = {"bucketguard_account_id": account, "bucketguard_home_region_name": home}
        if account == log_account:
            account_vars |= {
                "bucketguard_organization_trail": True,
                "bucketguard_trail_log_group_name": log_group,
                "trail_log_group_name": log_group,  # the trail role's existing log group (trail_manage: false)
            }
        account_regions = list(dict.fromkeys([home, *regions]))
        accounts[f"account_{account}"] = {
            "vars": account_vars,
            "hosts": {host_name(account, region): {"aws_region": region} for region in account_regions},
        }
    hosts = {"all": {"children": {"bucketguard": {"vars": fleet_vars, "children": accounts}}}}
    (dest / "hosts.yml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    return dest
