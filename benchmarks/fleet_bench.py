#!/usr/bin/env python3
"""Fleet benchmark on LocalStack: how long a rollout takes for N accounts × M regions.

For each fleet size (default 10 × 3, 30 × 3, then 1 × 1) on a fresh LocalStack:
  1. first rollout of playbooks/deploy.yml,
  2. the same again (must report changed=0: idempotent),
  3. a --check run,
and prints wall time, seconds per account-region, tasks per host (from the play recap: ok + skipped +
failed, split between home-region hosts and the other regions' hosts) and the number of changed tasks.
Numbers only, no assertions on time: see benchmarks/README.md.

  .venv/bin/python benchmarks/fleet_bench.py [--fleet 10x3 --fleet 30x3 --fleet 1x1] [--forks 10]
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
        return {"hosts": 0, "tasks_per_host": 0, "home": 0, "other": 0, "changed": 0, "failed": 0}

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
        "changed": sum(int(h["changed"]) for h in hosts),
        "failed": sum(int(h["failed"]) + int(h["unreachable"]) for h in hosts),
    }


def bench(accounts: int, regions: int, forks: int, port: int, workdir: Path) -> list[dict]:
    inv_dir = workdir / f"inv-{accounts}x{regions}"
    (inv_dir / "group_vars").mkdir(parents=True, exist_ok=True)
    (inv_dir / "hosts.yml").write_text(inventory(accounts, regions))
    # Same settings as the local fleet (endpoint, credentials, trail stand-in).
    (inv_dir / "group_vars" / "all.yml").write_text((ROOT / "inventories/local/group_vars/all.yml").read_text())
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
        _, _, rc = run([*playbook, str(ROOT / "scripts/local_trail_stand_in.yml")], env, workdir / "prepare.log")
        if rc:
            sys.exit(f"stand-in trail preparation failed, see {workdir / 'prepare.log'}")
        for label, extra in (("first rollout", []), ("re-run (idempotent)", []), ("--check", ["--check"])):
            log = workdir / f"{accounts}x{regions}-{label.split()[0].strip('-')}.log"
            seconds, out, rc = run([*playbook, str(ROOT / "playbooks/deploy.yml"), *extra], env, log)
            r = recap(out)
            rows.append(
                {
                    "fleet": f"{accounts} x {regions}",
                    "run": label,
                    "seconds": round(seconds, 1),
                    "per_host": round(seconds / max(r["hosts"], 1), 2),
                    "tasks_per_host": r["tasks_per_host"],
                    "home": r["home"],
                    "other": r["other"],
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
    p.add_argument("--fleet", action="append", help="ACCOUNTSxREGIONS (repeatable; default 10x3 and 1x1)")
    p.add_argument("--forks", type=int, default=int(os.environ.get("BENCH_FORKS", "10")))
    p.add_argument("--port", type=int, default=int(os.environ.get("BUCKETGUARD_LOCALSTACK_PORT", "4599")))
    args = p.parse_args()
    fleets = args.fleet or [os.environ.get("BENCH_FLEET", "10x3"), "30x3", "1x1"]
    workdir = Path(tempfile.mkdtemp(prefix="bucketguard-bench-"))
    rows = []
    for fleet in fleets:
        accounts, regions = (int(x) for x in fleet.lower().split("x"))
        rows += bench(accounts, regions, args.forks, args.port, workdir)
    header = (
        f"{'fleet':<8} {'run':<20} {'wall s':>8} {'s/host':>7} {'tasks/host':>10} {'home':>6} {'other':>6} "
        f"{'changed':>8} {'failed':>7}"
    )
    print(f"\nforks={args.forks}, logs in {workdir}\n{header}\n{'-' * len(header)}")
    for r in rows:
        print(
            f"{r['fleet']:<8} {r['run']:<20} {r['seconds']:>8} {r['per_host']:>7} {r['tasks_per_host']:>10} "
            f"{r['home']:>6} {r['other']:>6} {r['changed']:>8} {r['failed']:>7}"
        )
    return 1 if any(r["failed"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
