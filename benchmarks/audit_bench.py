#!/usr/bin/env python3
"""Audit benchmark on LocalStack: how long playbooks/audit.yml takes for A accounts × B buckets.

For each size (default 1 × 1000, then 10 × 100) on a fresh LocalStack (restarted through
scripts/emulators.sh on BUCKETGUARD_LOCALSTACK_PORT): create the buckets (1 in 10 public by policy,
1 in 20 public by ACL, the rest AWS's defaults), run the audit playbook once (one home-region host per
account), and print wall time, buckets per second, the peak resident memory of the largest process of the
run (ansible-playbook or a module; GNU time's %M) and LocalStack's peak. Checks that the report
counts every bucket. Numbers only, no assertions on time: see benchmarks/README.md.

  .venv/bin/python benchmarks/audit_bench.py [--size 1x1000 --size 10x100] [--workers 16] [--forks 10]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
REGION = "eu-west-3"


def emulators(action: str, port: str) -> None:
    env = {**os.environ, "BUCKETGUARD_LOCALSTACK_PORT": port}
    subprocess.run([str(ROOT / "scripts" / "emulators.sh"), action, "localstack"], env=env, check=True, cwd=ROOT)


def localstack_peak_mib(port: str) -> float | None:
    pid_file = ROOT / ".emulators" / f"localstack-{port}" / "pid"
    try:
        status = Path(f"/proc/{pid_file.read_text().strip()}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def inventory(accounts: list[str], dest: Path) -> Path:
    lines = ["all:", "  children:", "    bucketguard:", "      children:"]
    for account in accounts:
        lines += [
            f"        account_{account}:",
            "          vars:",
            f'            bucketguard_account_id: "{account}"',
            f"            bucketguard_home_region_name: {REGION}",
            "          hosts:",
            f"            {account}-{REGION}:",
            f"              aws_region: {REGION}",
        ]
    (dest / "group_vars").mkdir(parents=True, exist_ok=True)
    (dest / "hosts.yml").write_text("\n".join(lines) + "\n")
    (dest / "group_vars" / "all.yml").write_text((ROOT / "inventories/local/group_vars/all.yml").read_text())
    return dest


def make_buckets(url: str, account: str, count: int) -> None:
    s3 = boto3.client(
        "s3", region_name=REGION, endpoint_url=url, aws_access_key_id=account, aws_secret_access_key="test"
    )

    def one(i: int) -> None:
        name = f"bench-{account[-4:]}-{i:05d}"
        s3.create_bucket(
            Bucket=name,
            CreateBucketConfiguration={"LocationConstraint": REGION},
            ObjectOwnership="ObjectWriter" if i % 20 == 1 else "BucketOwnerEnforced",
        )
        if i % 10 == 0 or i % 20 == 1:
            flags = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict.fromkeys(flags, False))
        if i % 10 == 0:
            policy = {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                               "Resource": f"arn:aws:s3:::{name}/*"}],
            }  # fmt: skip
            s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
        elif i % 20 == 1:
            s3.put_bucket_acl(Bucket=name, ACL="public-read")

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(one, range(count)))


def bench(accounts: int, buckets: int, port: str, workers: int, forks: int, workdir: Path) -> dict:
    url = f"http://127.0.0.1:{port}"
    emulators("down", port)
    emulators("up", port)
    ids = [f"{800000000001 + a:012d}" for a in range(accounts)]
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=min(4, accounts)) as pool:
        list(pool.map(lambda a: make_buckets(url, a, buckets), ids))
    setup = time.monotonic() - start
    inv = inventory(ids, workdir / f"inv-{accounts}x{buckets}")
    out = workdir / f"report-{accounts}x{buckets}"
    env = {
        **os.environ,
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
        "BUCKETGUARD_LOCALSTACK_PORT": port,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    # GNU time's %M: the peak resident memory of the largest process of the run (wait4 of the whole tree).
    cmd = [
        "/usr/bin/time", "-f", "MAXRSS_KB=%M",
        "ansible-playbook", "-i", str(inv), "playbooks/audit.yml", "-f", str(forks),
        "-e", json.dumps({"bucketguard_audit_dir": str(out), "bucketguard_audit_workers": workers}),
    ]  # fmt: skip
    log = workdir / f"audit-{accounts}x{buckets}.log"
    start = time.monotonic()
    with log.open("w") as f:
        proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT, check=False)
    wall = time.monotonic() - start
    found = re.findall(r"^MAXRSS_KB=(\d+)$", log.read_text(), re.M)
    peak = int(found[-1]) / 1024 if found else 0.0
    report = json.loads((out / "audit.json").read_text()) if (out / "audit.json").exists() else {"totals": {}}
    totals = report["totals"]
    return {
        "size": f"{accounts} x {buckets}",
        "rc": proc.returncode,
        "setup_s": round(setup, 1),
        "audit_s": round(wall, 1),
        "buckets_per_s": round(accounts * buckets / wall, 1),
        "peak_rss_mib": round(peak, 1),
        "localstack_peak_mib": round(localstack_peak_mib(port) or 0, 1),
        "counted": totals.get("total"),
        "public": totals.get("public"),
        "undecided": totals.get("undecided"),
        "log": str(log),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", action="append", help="ACCOUNTSxBUCKETS (repeatable); default 1x1000 and 10x100")
    parser.add_argument("--workers", type=int, default=16, help="bucketguard_audit_workers")
    parser.add_argument("--forks", type=int, default=10)
    args = parser.parse_args()
    port = os.environ.get("BUCKETGUARD_LOCALSTACK_PORT", "4599")
    sizes = [tuple(int(n) for n in s.split("x")) for s in (args.size or ["1x1000", "10x100"])]
    rows = []
    with tempfile.TemporaryDirectory(prefix="audit-bench-") as tmp:
        try:
            for accounts, buckets in sizes:
                row = bench(accounts, buckets, port, args.workers, args.forks, Path(tmp))
                rows.append(row)
                print(json.dumps(row), flush=True)
                if row["rc"] != 0 or row["counted"] != accounts * buckets:
                    print(Path(row["log"]).read_text()[-3000:], file=sys.stderr)
        finally:
            emulators("down", port)
    print()
    print("| accounts x buckets | audit (s) | buckets/s | peak RSS, largest process (MiB) | LocalStack peak (MiB) |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['size']} | {r['audit_s']} | {r['buckets_per_s']} | {r['peak_rss_mib']} "
            f"| {r['localstack_peak_mib']} |"
        )
    return 0 if all(r["rc"] == 0 and r["counted"] == int(r["size"].split(" x ")[0]) * int(r["size"].split(" x ")[1])
                    for r in rows) else 1  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
