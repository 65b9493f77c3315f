"""aws_organization inventory benchmark: 1,000 accounts x 17 regions (17,000 hosts) by default.

The plugin is loaded by Ansible's plugin loader and run over the in-memory Organizations / Account clients of
tests/lib/fake_organizations.py (50 OUs, 10 of them nested), so the numbers are the plugin's and Ansible's
inventory's own cost, not AWS latency. Prints numbers only (no assertions on time). Usage:
    .venv/bin/python benchmarks/inventory_bench.py [--accounts 1000] [--regions 17]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
import yaml  # noqa: E402
from ansible.inventory.data import InventoryData  # noqa: E402
from ansible.parsing.dataloader import DataLoader  # noqa: E402
from ansible.plugins.loader import init_plugin_loader, inventory_loader  # noqa: E402

from tests.lib.fake_organizations import FakeAccount, FakeOrganizations, FakeSTS  # noqa: E402

NAME = "bucketguard.visibility.aws_organization"


def organisation(accounts: int, regions: list[str]) -> tuple[FakeOrganizations, FakeAccount]:
    org = FakeOrganizations("100000000000")
    top = [org.add_ou(f"Unit {n}") for n in range(40)]
    ous = top + [org.add_ou(f"Team {n}", top[n % 40]) for n in range(10)]
    for n in range(1, accounts):
        org.add_account(f"{100000000000 + n}", f"account {n}", ous[n % len(ous)], tags={"bucketguard": "enabled"})
    enabled = {a: dict.fromkeys(regions, "ENABLED_BY_DEFAULT") for a in org.accounts}
    return org, FakeAccount(enabled, org.management_id)


def build(
    config: Path, clients: dict, cache: bool = True, trace: bool = False
) -> tuple[float, float, InventoryData, list]:
    """One parse (what ansible-inventory does per source): seconds, peak MiB (trace=True only: tracemalloc
    slows Python down, so times are taken without it), the inventory, the clients the plugin asked for."""
    plugin = inventory_loader.get(NAME)
    asked: list[str] = []

    def client(service: str, **_kwargs):
        asked.append(service)
        return clients[service]

    plugin.client = client
    plugin.warn = lambda _message: None
    inventory = InventoryData()
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    plugin.parse(inventory, DataLoader(), str(config), cache=cache)
    if getattr(plugin, "_cache", None) is not None:
        plugin._cache.update_cache_if_changed()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else 0.0
    if trace:
        tracemalloc.stop()
    return seconds, peak, inventory, asked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--regions", type=int, default=17)
    parser.add_argument("--repeat", type=int, default=3, help="builds per case; the median is printed")
    args = parser.parse_args()
    init_plugin_loader([str(ROOT / ".collections")])
    regions = boto3.session.Session().get_available_regions("s3", partition_name="aws")[: args.regions]
    org, account = organisation(args.accounts, regions)
    clients = {"organizations": org, "account": account, "sts": FakeSTS(org.management_id)}
    print(f"aws_organization: {args.accounts} accounts x {len(regions)} regions, {len(org.ous)} OUs")
    with tempfile.TemporaryDirectory() as tmp:
        cases = {
            "regions list": {"regions": regions},
            "+ tags (account_tags, home_region_tag)": {
                "regions": regions,
                "account_tags": {"bucketguard": "enabled"},
                "home_region_tag": "home",
            },
            "regions_from enabled": {"regions_from": "enabled"},
        }
        for n, (label, options) in enumerate(cases.items()):
            config = Path(tmp) / f"case{n}.aws_organization.yml"
            cache = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile", "cache_connection": f"{tmp}/cache"}
            config.write_text(yaml.safe_dump({"plugin": NAME, "home_region": regions[0], **options, **cache}))
            times, cached_times = [], []
            for _ in range(args.repeat):  # median of a few: the machine is shared
                for fake in clients.values():
                    fake.calls.clear()
                seconds, _, inventory, _ = build(config, clients, cache=False)
                times.append(seconds)
                calls = sum(fake.count() for fake in clients.values())
                for fake in clients.values():
                    fake.calls.clear()
                seconds, _, cached, asked = build(config, clients)
                cached_times.append(seconds)
                cached_calls = sum(fake.count() for fake in clients.values())
            seconds, cached_seconds = statistics.median(times), statistics.median(cached_times)
            _, peak, _, _ = build(config, clients, cache=False, trace=True)
            _, cached_peak, _, _ = build(config, clients, trace=True)
            print(
                f"  {label}: {len(inventory.hosts)} hosts, {len(inventory.groups)} groups\n"
                f"    first build      {seconds:5.2f} s, peak {peak:5.1f} MiB, {calls} API calls "
                f"(times: median of {args.repeat})\n"
                f"    from the cache   {cached_seconds:5.2f} s, peak {cached_peak:5.1f} MiB, {cached_calls} API calls, "
                f"{len(asked)} clients made, same hosts: {set(cached.hosts) == set(inventory.hosts)}"
            )


if __name__ == "__main__":
    main()
