#!/usr/bin/env python3
"""Fleet benchmark on LocalStack: how long a rollout takes for N accounts × M regions.

For each fleet size (default 10 × 3, 30 × 3, then 1 × 1) on a fresh LocalStack:
  1. first rollout of playbooks/deploy.yml,
  2. the same again (must report changed=0: idempotent),
  3. a --check run,
and prints wall time, seconds per account-region, tasks per host (from the play recap: ok + skipped +
failed, split between home-region hosts and the other regions' hosts) and the number of changed tasks.

Organisation (hub) mode (``--hub MEMBERSxREGIONS``, default 100 × 3 after the standalone sizes): a hub
account plus MEMBERS member accounts × REGIONS regions in one inventory (docs/organisation.md); the hub
is deployed once first (``--limit account_<hub>``, not timed), then the three runs above are timed on
the members only (``--limit '!account_<hub>'``). Seconds per member account-region are printed next to
the standalone 10 × 3 figure of the same invocation, and the tasks per member host against the goal
(≤ 3 per member account-region, ≤ 5 per member account's home region). ``--hub-only`` skips the
standalone sizes; ``--fleet`` alone runs no hub size. Numbers only, no assertions on time: see benchmarks/README.md.

  .venv/bin/python benchmarks/fleet_bench.py [--fleet 10x3 --fleet 30x3 --fleet 1x1] [--hub 100x3] [--forks 10]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.hub.inventory import write_hub_inventory  # noqa: E402 - the hub tests' inventory writer

HUB_ACCOUNT = "700000000000"  # the standalone fleets' accounts start at 700000000001
# Organisation mode's goal for a member (docs/organisation.md): tasks per host from the play recap.
MEMBER_GOAL_OTHER, MEMBER_GOAL_HOME = 3, 5
REGIONS = ["eu-west-3", "us-east-1", "eu-central-1", "us-west-2", "ap-southeast-2"]
RECAP = re.compile(
    r"^(?P<host>\S+)\s+: ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+"
    r"failed=(?P<failed>\d+)\s+skipped=(?P<skipped>\d+)",
    re.M,
)


def inventory(accounts: int, regions: int) -> str:
    """A YAML inventory shaped like inventories/local: one host per account × region."""
    lines = ["all:", "  children:", "    bucketguard:", "      children:"]
    for a in range(accounts):
        account = f"{700000000001 + a:012d}"
        home = REGIONS[0]
        lines += [
            f"        account_{account}:",
            "          vars:",
            f'            bucketguard_account_id: "{account}"',
            f"            bucketguard_home_region_name: {home}",
            "          hosts:",
        ]
        for r in REGIONS[:regions]:
            lines += [f"            {account}-{r}:", f"              aws_region: {r}"]
    return "\n".join(lines) + "\n"


def run(cmd: list[str], env: dict[str, str], log: Path) -> tuple[float, str, int]:
    start = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, check=False)
    return time.monotonic() - start, log.read_text(), proc.returncode


def recap(text: str) -> dict[str, float]:
    hosts = [m.groupdict() for m in RECAP.finditer(text)]
    if not hosts:
        return {
            "hosts": 0,
            "tasks_per_host": 0,
            "home": 0,
            "other": 0,
            "home_max": 0,
            "other_max": 0,
            "changed": 0,
            "failed": 0,
        }

    def tasks(h: dict) -> int:  # "ok" already counts the changed tasks
        return int(h["ok"]) + int(h["skipped"]) + int(h["failed"])

    def mean(values: list[int]) -> float:
        return round(sum(values) / len(values), 1) if values else 0

    home = [tasks(h) for h in hosts if h["host"].endswith(REGIONS[0])]
    other = [tasks(h) for h in hosts if not h["host"].endswith(REGIONS[0])]
    return {
        "hosts": len(hosts),
        "tasks_per_host": mean(home + other),
        "home": mean(home),
        "other": mean(other),
        "home_max": max(home, default=0),
        "other_max": max(other, default=0),
        "changed": sum(int(h["changed"]) for h in hosts),
        "failed": sum(int(h["failed"]) + int(h["unreachable"]) for h in hosts),
    }


def members(accounts: int) -> list[str]:
    return [f"{700000000001 + a:012d}" for a in range(accounts)]


# deploy.yml's play for member accounts (organisation mode); tests/hub/test_hub_playbooks.py counts the same.
MEMBER_PLAY = "PLAY [Forward the member accounts' S3 events to the hub (organisation mode)]"


def member_play_tasks(text: str) -> dict[str, float]:
    """Tasks of the member play that ran (ok or changed) per member host: the organisation-mode budget's measure
    (the once-per-fleet inventory checks and skipped tasks not counted). Mean and most, home and other regions."""
    if MEMBER_PLAY not in text:
        return {"home": 0, "home_max": 0, "other": 0, "other_max": 0}
    play = re.split(r"^PLAY ", text.split(MEMBER_PLAY, 1)[1], flags=re.M)[0]
    counts: dict[str, int] = {}
    for block in re.split(r"^TASK \[", play, flags=re.M)[1:]:
        for host in set(re.findall(r"^(?:ok|changed): \[([^\]]+)\]", block, re.M)):
            counts[host] = counts.get(host, 0) + 1
    home = [n for h, n in counts.items() if h.endswith(REGIONS[0])]
    other = [n for h, n in counts.items() if not h.endswith(REGIONS[0])]
    return {
        "home": round(sum(home) / len(home), 1) if home else 0,
        "home_max": max(home, default=0),
        "other": round(sum(other) / len(other), 1) if other else 0,
        "other_max": max(other, default=0),
    }


def write_inventory(inv_dir: Path, accounts: int, regions: int, hub: bool) -> None:
    if hub:  # the hub tests' writer: hub + members, fleet-wide hub vars, inventories/local's group_vars
        write_hub_inventory(inv_dir, hub=HUB_ACCOUNT, members=members(accounts), regions=REGIONS[:regions])
        return
    (inv_dir / "group_vars").mkdir(parents=True, exist_ok=True)
    (inv_dir / "hosts.yml").write_text(inventory(accounts, regions))
    # Same settings as the local fleet (endpoint, credentials, trail stand-in).
    (inv_dir / "group_vars" / "all.yml").write_text((ROOT / "inventories/local/group_vars/all.yml").read_text())


def bench(accounts: int, regions: int, forks: int, port: int, workdir: Path, hub: bool = False) -> list[dict]:
    mode = "hub" if hub else "standalone"
    inv_dir = workdir / f"inv-{mode}-{accounts}x{regions}"
    write_inventory(inv_dir, accounts, regions, hub)
    env = {
        **os.environ,
        "PATH": f"{ROOT / '.venv/bin'}:{os.environ['PATH']}",
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
        "BUCKETGUARD_LOCALSTACK_PORT": str(port),
        "ANSIBLE_FORKS": str(forks),
    }
    emulators = str(ROOT / "scripts/emulators.sh")
    subprocess.run([emulators, "down", "localstack"], env=env, check=False, capture_output=True)
    subprocess.run([emulators, "up", "localstack"], env=env, check=True, capture_output=True)
    rows = []
    try:
        playbook = ["ansible-playbook", "-i", str(inv_dir)]
        prepare = workdir / f"prepare-{mode}-{accounts}x{regions}.log"
        _, _, rc = run([*playbook, str(ROOT / "scripts/local_trail_stand_in.yml")], env, prepare)
        if rc:
            sys.exit(f"stand-in trail preparation failed, see {prepare}")
        if hub:  # the hub once, before the members (not timed)
            log = workdir / f"hub-{accounts}x{regions}-hub-deploy.log"
            seconds, _, rc = run(
                [*playbook, "--limit", f"account_{HUB_ACCOUNT}", str(ROOT / "playbooks/deploy.yml")], env, log
            )
            if rc:
                sys.exit(f"the hub's deploy failed, see {log}")
            print(f"hub {HUB_ACCOUNT} deployed in {seconds:.1f} s (not counted)", flush=True)
            playbook += ["--limit", f"!account_{HUB_ACCOUNT}"]
        for label, extra in (("first rollout", []), ("re-run (idempotent)", []), ("--check", ["--check"])):
            log = workdir / f"{mode}-{accounts}x{regions}-{label.split()[0].strip('-')}.log"
            seconds, out, rc = run([*playbook, str(ROOT / "playbooks/deploy.yml"), *extra], env, log)
            r = recap(out)
            print(f"{mode} {accounts} x {regions} {label}: {seconds:.1f} s", flush=True)
            rows.append(
                {
                    "mode": mode,
                    "fleet": f"{accounts} x {regions}",
                    "run": label,
                    "seconds": round(seconds, 1),
                    "per_host": round(seconds / max(r["hosts"], 1), 2),
                    "tasks_per_host": r["tasks_per_host"],
                    "home": r["home"],
                    "other": r["other"],
                    "home_max": r["home_max"],
                    "other_max": r["other_max"],
                    "member_play": member_play_tasks(out) if hub else None,
                    "changed": r["changed"],
                    "failed": r["failed"] + (1 if rc and not r["failed"] else 0),
                    "log": str(log),
                }
            )
    finally:
        subprocess.run([emulators, "down", "localstack"], env=env, check=False, capture_output=True)
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fleet", action="append", help="ACCOUNTSxREGIONS (repeatable; default 10x3, 30x3 and 1x1)")
    p.add_argument(
        "--hub", action="append", help="organisation mode: MEMBERSxREGIONS after a hub (repeatable; default 100x3)"
    )
    p.add_argument("--hub-only", action="store_true", help="only the organisation-mode runs")
    p.add_argument("--forks", type=int, default=int(os.environ.get("BENCH_FORKS", "10")))
    p.add_argument("--port", type=int, default=int(os.environ.get("BUCKETGUARD_LOCALSTACK_PORT", "4599")))
    args = p.parse_args()
    # No size given: every default. --fleet alone: only those; --hub alone (or --hub-only): only the hub runs.
    default_fleets = [os.environ.get("BENCH_FLEET", "10x3"), "30x3", "1x1"]
    fleets = args.fleet or ([] if args.hub or args.hub_only else default_fleets)
    hubs = args.hub or ([] if args.fleet and not args.hub_only else [os.environ.get("BENCH_HUB", "100x3")])
    workdir = Path(tempfile.mkdtemp(prefix="bucketguard-bench-"))
    rows = []
    load = os.getloadavg()
    for fleet in fleets:
        accounts, regions = (int(x) for x in fleet.lower().split("x"))
        rows += bench(accounts, regions, args.forks, args.port, workdir)
    for fleet in hubs:
        members_, regions = (int(x) for x in fleet.lower().split("x"))
        rows += bench(members_, regions, args.forks, args.port, workdir, hub=True)
    load_after = os.getloadavg()
    header = (
        f"{'mode':<10} {'fleet':<9} {'run':<20} {'wall s':>8} {'s/host':>7} {'tasks/host':>10} {'home':>6} "
        f"{'other':>6} {'changed':>8} {'failed':>7}"
    )
    print(
        f"\nforks={args.forks}, {os.cpu_count()} CPUs, load average {load[0]:.1f} at the start, "
        f"{load_after[0]:.1f} at the end; logs in {workdir}\n{header}\n{'-' * len(header)}"
    )
    for r in rows:
        print(
            f"{r['mode']:<10} {r['fleet']:<9} {r['run']:<20} {r['seconds']:>8} {r['per_host']:>7} "
            f"{r['tasks_per_host']:>10} {r['home']:>6} {r['other']:>6} {r['changed']:>8} {r['failed']:>7}"
        )
    print_hub_comparison(rows)
    return 1 if any(r["failed"] for r in rows) else 0


def print_hub_comparison(rows: list[dict]) -> None:
    """Seconds per member account-region next to the standalone 10 x 3 figure; tasks per member host vs the goal."""
    hub_rows = [r for r in rows if r["mode"] == "hub"]
    if not hub_rows:
        return
    standalone = {r["run"]: r["per_host"] for r in rows if r["mode"] == "standalone" and r["fleet"] == "10 x 3"}
    print("\norganisation mode, members only (the hub deployed before): seconds per account-region")
    for r in hub_rows:
        beside = standalone.get(r["run"])
        versus = f"standalone 10 x 3: {beside} s" if beside is not None else "standalone 10 x 3: not run here"
        print(f"  {r['fleet']:<9} {r['run']:<20} {r['per_host']:>6} s   ({versus})")
    print(
        f"tasks per member host, mean / most (goal <= {MEMBER_GOAL_OTHER} per account-region, <= {MEMBER_GOAL_HOME} "
        "in the home region: tasks of the member play that ran; recap: ok + skipped + failed, checks included)"
    )
    for r in hub_rows:
        ran = r["member_play"]
        home_ok = "met" if ran["home_max"] <= MEMBER_GOAL_HOME else "NOT met"
        other_ok = "met" if ran["other_max"] <= MEMBER_GOAL_OTHER else "NOT met"
        print(
            f"  {r['fleet']:<9} {r['run']:<20} ran: home {ran['home']} / {ran['home_max']} ({home_ok}), "
            f"other {ran['other']} / {ran['other_max']} ({other_ok});  recap: home {r['home']} / {r['home_max']}, "
            f"other {r['other']} / {r['other_max']}"
        )


if __name__ == "__main__":
    sys.exit(main())
