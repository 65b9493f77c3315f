"""Notifier benchmark: cold import time, and time / peak memory for alarm windows of 1, 100, 10,000 records.

Prints numbers only (no assertions on time). Usage:
    .venv/bin/python benchmarks/notifier_bench.py            # pure path: classify + group + message
    .venv/bin/python benchmarks/notifier_bench.py --moto     # also the handler against moto in-process
    .venv/bin/python benchmarks/notifier_bench.py --sample   # print a sample email (used in docs/notifier.md)
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The notifier and the contract files its package carries (plugins/module_utils, through the collection link).
sys.path[:0] = [str(ROOT / "files" / "lambda"), str(ROOT / ".collections")]

from ansible_collections.bucketguard.visibility.plugins.module_utils import cloudtrail as events  # noqa: E402
from ansible_collections.bucketguard.visibility.plugins.module_utils import exposure  # noqa: E402
from bucketguard_notifier import events as notifier_events  # noqa: E402
from bucketguard_notifier import message  # noqa: E402

RECORDS = json.loads((ROOT / "tests/fixtures/cloudtrail/bucketguard-records.json").read_text())
PUBLIC_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
    ],
}


def window(size: int) -> list[dict]:
    """``size`` records: a realistic mix of exposure changes over 50 buckets, unique eventIDs."""
    base = [r for r in RECORDS if r["_bucketguard_expect"] is not None]
    out = []
    for i in range(size):
        record = copy.deepcopy(base[i % len(base)])
        record["eventID"] = f"bench-{i}"
        if "bucketName" in (record.get("requestParameters") or {}):
            record["requestParameters"]["bucketName"] = f"bench-bucket-{i % 50:02d}"
        out.append(record)
    return out


def cold_import_ms() -> float:
    code = "import time; t=time.perf_counter(); import bucketguard_notifier.handler; print(time.perf_counter()-t)"
    runs = []
    for _ in range(5):
        done = subprocess.run(
            [sys.executable, "-X", "frozen_modules=on", "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT / "files" / "lambda",
            env={**os.environ, "PYTHONPATH": str(ROOT / ".collections")},
        )
        runs.append(float(done.stdout) * 1000)
    return min(runs)


def pure(records: list[dict]) -> message.Notification:
    changes = events.classify_all(records)
    reports = message.group_changes(changes)
    state = {"account_public_access_block": None, "public_access_block": None, "policy": json.dumps(PUBLIC_POLICY)}
    for report in reports:
        report.assessment = exposure.assess({**state, "acl": None, "ownership": None})
    return message.build_message(reports)


def measure(func, *args) -> tuple[float, float, object]:
    """(wall ms without tracing, tracemalloc peak MiB from a second, traced run, result)."""
    started = time.perf_counter()
    result = func(*args)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    func(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed * 1000, peak / 1024 / 1024, result


def bench_moto(size: int) -> tuple[float, float]:
    import boto3
    from moto import mock_aws

    sys.path.insert(0, str(ROOT))
    from datetime import UTC, datetime, timedelta

    from bucketguard_notifier.handler import process

    with mock_aws():
        region = "eu-west-3"
        topic = boto3.client("sns", region_name="us-east-1").create_topic(Name="bench")["TopicArn"]
        logs = boto3.client("logs", region_name=region)
        logs.create_log_group(logGroupName="/bucketguard/cloudtrail")
        logs.create_log_stream(logGroupName="/bucketguard/cloudtrail", logStreamName="s")
        s3 = boto3.client("s3", region_name=region)
        for i in range(50):
            s3.create_bucket(Bucket=f"bench-bucket-{i:02d}", CreateBucketConfiguration={"LocationConstraint": region})
        now = datetime.now(UTC)
        stamp = int((now - timedelta(minutes=2)).timestamp() * 1000)
        items = [{"timestamp": stamp, "message": json.dumps(r)} for r in window(size)]
        for i in range(0, len(items), 5000):
            logs.put_log_events(
                logGroupName="/bucketguard/cloudtrail", logStreamName="s", logEvents=items[i : i + 5000]
            )
        event = json.loads((ROOT / "tests/fixtures/events/alarm-state-alarm.json").read_text())
        event["alarmData"]["state"].pop("reasonData")
        event["alarmData"]["state"]["timestamp"] = now.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
        env = {"BUCKETGUARD_TOPIC_ARN": topic, "BUCKETGUARD_LOG_GROUP": "/bucketguard/cloudtrail"}
        cache: dict = {}

        def clients(service, reg):
            return cache.setdefault((service, reg), boto3.client(service, region_name=reg or region))

        import io
        from contextlib import redirect_stdout

        with redirect_stdout(io.StringIO()):
            tracemalloc.start()
            started = time.perf_counter()
            process(event, env, clients)
            ms = (time.perf_counter() - started) * 1000
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        return ms, peak / 1024 / 1024


def sample_email() -> None:
    """Print a sample email built by the real code from fixture records and a realistic bucket state."""
    picked = [
        {k: v for k, v in r.items() if not k.startswith("_")} for r in (RECORDS[4], RECORDS[0], RECORDS[6])
    ]  # public policy, BPA off, policy delete (bg-site)
    changes = events.classify_all(picked)
    reports = message.group_changes(changes)
    state = {
        "account_public_access_block": None,
        "public_access_block": {k: False for k in exposure.PAB_FLAGS},
        "policy": json.dumps(PUBLIC_POLICY),
        "acl": {"Owner": {"ID": "a1b2"}, "Grants": []},
        "ownership": "BucketOwnerEnforced",
    }
    for report in reports:
        report.assessment = exposure.assess(state)
        report.block_public_access = exposure.block_public_access_summary(state)
    alarm = notifier_events.parse_event(
        json.loads((ROOT / "tests/fixtures/events/alarm-state-alarm.json").read_text())
    ).alarm
    note = message.build_message(reports, alarm=alarm, notes=["Records read from /bucketguard/cloudtrail: 3."])
    print("Subject:", note.subject)
    print("Attributes:", json.dumps(note.attributes))
    print()
    print(note.body)


def main() -> None:
    if "--sample" in sys.argv:
        sample_email()
        return
    print(f"cold import of bucketguard_notifier.handler: {cold_import_ms():.1f} ms (best of 5)")
    print(f"{'records':>8} {'pure ms':>10} {'pure peak MiB':>14} {'body KiB':>9}")
    for size in (1, 100, 10_000):
        records = window(size)
        ms, mib, note = measure(pure, records)
        print(f"{size:>8} {ms:>10.1f} {mib:>14.2f} {len(note.body.encode()) / 1024:>9.1f}")
    if "--moto" in sys.argv:
        print("handler against moto in-process (time includes tracemalloc overhead and moto's own work)")
        print(f"{'records':>8} {'handler+moto ms':>16} {'peak MiB':>9}")
        for size in (1, 100, 10_000):
            ms, mib = bench_moto(size)
            print(f"{size:>8} {ms:>16.1f} {mib:>9.2f}")


if __name__ == "__main__":
    main()
