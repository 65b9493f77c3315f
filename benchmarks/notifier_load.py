"""Notifier load test: a storm of exposure events fed through the buffer queue's batches, moto in-process.

For each size (default 1,000 and 10,000 events): the events are spread over one minute, across 50 buckets and
3 accounts, each a unique CloudTrail event in an EventBridge envelope in its own SQS message, fed to
``handler.process`` in batches of 100 (the event source mapping's batch size) with a Lambda context of 60 s
(the function's default timeout). Messages returned as ``batchItemFailures`` are fed again, as the queue
would redeliver them, up to 5 receives (then they would be in the dead-letter queue).

Prints: emails sent, events reported (a ``reported`` dedup record whose message id is an email SNS published),
events mailed without a record (the invocation ran short of time for the record: listed in an email, or
counted in an email's per-bucket figures), events waiting in the dead-letter queue, events lost (must be 0),
peak memory, wall time. Numbers only: no
assertion on time. Usage:

    .venv/bin/python benchmarks/notifier_load.py [--sizes 1000,10000] [--batch 100]

Peak memory: ``tracemalloc`` peak of one ``process`` call (the first 3 batches are traced; the figure includes
what moto allocates inside the call, so it over-states the Lambda's own use), and the process's maximum RSS
(``resource``: the notifier, moto and every stored item together).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "files" / "lambda"), str(ROOT / ".collections"), str(ROOT)]
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="eu-west-3")

from bucketguard_notifier import handler  # noqa: E402
from moto import mock_aws  # noqa: E402

from tests.lib.notifier_moto import (  # noqa: E402
    OFF,
    ON,
    PUBLIC_POLICY,
    Context,
    clients,
    covered,
    env,
    eventbridge,
    make_bucket,
    make_table,
    make_topic,
    record,
    sent,
    sqs_batch,
    sqs_message,
    table_items,
)

ACCOUNTS = ("123456789012", "111122223333", "444455556666")
BUCKETS = 50
MAX_RECEIVES = 5
TRACED_BATCHES = 3


def make_buckets() -> list[str]:
    """50 buckets: public by policy, loosened but private, locked down, allow-listed (tag) - in turn."""
    names = []
    for i in range(BUCKETS):
        name = f"load-{i:02d}"
        kind = i % 4
        if kind == 0:
            make_bucket(name, policy=PUBLIC_POLICY, pab=OFF)
        elif kind == 1:
            make_bucket(name, pab=OFF)
        elif kind == 2:
            make_bucket(name, pab=ON)
        else:
            make_bucket(name, policy=PUBLIC_POLICY, pab=OFF, tags={"bucketguard:public": "approved"})
        names.append(name)
    return names


def storm(size: int, run: str) -> list[dict]:
    """``size`` SQS messages, each one EventBridge event of a unique CloudTrail record, within one minute."""
    messages = []
    for i in range(size):
        bucket = f"load-{i % BUCKETS:02d}"
        account = ACCOUNTS[i % BUCKETS % len(ACCOUNTS)]  # a bucket lives in one account
        when = f"2025-03-01T10:05:{(i * 60 // size):02d}Z"
        event_id = f"{run}-{i:06d}"
        kind = i % BUCKETS % 4
        if kind in (0, 3):
            rec = record("PutBucketPolicy", bucket, {"bucketPolicy": PUBLIC_POLICY}, event_id, when, account)
        elif kind == 1:
            rec = record("DeleteBucketPublicAccessBlock", bucket, None, event_id, when, account)
        else:
            rec = record(
                "PutBucketPublicAccessBlock", bucket, {"PublicAccessBlockConfiguration": ON}, event_id, when, account
            )
        messages.append(sqs_message(eventbridge(rec), f"msg-{event_id}"))
    return messages


def load(size: int, batch_size: int) -> dict:
    with mock_aws():
        topic = make_topic()
        table = make_table()
        make_buckets()
        environment = env(topic, table)
        factory = clients()
        messages = storm(size, f"ev{size}")
        bucket_of = {
            m["messageId"].removeprefix("msg-"): json.loads(m["body"])["detail"]["requestParameters"]["bucketName"]
            for m in messages
        }
        receives: dict[str, int] = {}
        queue = list(messages)
        dead_letter: list[dict] = []
        batches = peak_traced = 0
        per_batch: list[float] = []
        emails_per_account_batch = 0
        started = time.perf_counter()
        while queue:
            batch, queue = queue[:batch_size], queue[batch_size:]
            for m in batch:
                receives[m["messageId"]] = receives.get(m["messageId"], 0) + 1
            traced = batches < TRACED_BATCHES
            if traced:
                tracemalloc.start()
            before = len(sent(topic))
            t0 = time.perf_counter()
            result = handler.process(sqs_batch(*batch), environment, factory, context=Context(60_000))
            per_batch.append(time.perf_counter() - t0)
            if traced:
                peak_traced = max(peak_traced, tracemalloc.get_traced_memory()[1])
                tracemalloc.stop()
            new = sent(topic)[before:]
            accounts = [m["attributes"].get("account") for m in new]
            emails_per_account_batch = max(
                emails_per_account_batch, max((accounts.count(a) for a in accounts), default=0)
            )
            batches += 1
            failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
            for m in batch:
                if m["messageId"] in failed:
                    (dead_letter if receives[m["messageId"]] >= MAX_RECEIVES else queue).append(m)
        wall = time.perf_counter() - started
        mails = sent(topic)
        published = {m["message_id"]: m["body"] for m in mails}
        items = {i["id"].split("#")[0]: i for i in table_items(table)}
        listed: set[str] = set()
        counted: dict[str, int] = {}
        for body in published.values():
            ids, counts = covered(body)
            listed |= ids
            for bucket, count in counts.items():
                counted[bucket] = counted.get(bucket, 0) + count
        dlq_ids = {m["messageId"] for m in dead_letter}
        reported = without_record = lost = 0
        unconfirmed: dict[str, int] = {}
        confirmed: dict[str, int] = {}
        for m in messages:
            event_id = m["messageId"].removeprefix("msg-")
            bucket = bucket_of[event_id]
            item = items.get(event_id)
            if item and item.get("status") == "reported" and item.get("message_id") in published:
                reported += 1
                confirmed[bucket] = confirmed.get(bucket, 0) + 1
            elif event_id in listed:
                without_record += 1
                confirmed[bucket] = confirmed.get(bucket, 0) + 1
            elif m["messageId"] not in dlq_ids:
                unconfirmed[bucket] = unconfirmed.get(bucket, 0) + 1
        # Events neither recorded nor listed one by one: mailed if the emails' per-bucket counts cover them
        # (conservatively, the counts are first spent on the confirmed events of the bucket).
        for bucket, count in unconfirmed.items():
            listed_here = sum(1 for e in listed if bucket_of.get(e) == bucket)
            slack = max(0, listed_here + counted.get(bucket, 0) - confirmed.get(bucket, 0))
            without_record += min(count, slack)
            lost += count - min(count, slack)
        return {
            "events": size,
            "batches": batches,
            "emails": len(mails),
            "max emails per account per batch": emails_per_account_batch,
            "reported": reported,
            "mailed without a record": without_record,
            "dead-letter": len(dead_letter),
            "lost": lost,
            "peak MiB (tracemalloc, one invocation)": peak_traced / 2**20,
            "max RSS MiB (process)": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "wall s": wall,
            "s per batch (mean / max)": (sum(per_batch) / len(per_batch), max(per_batch)),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    # The notifier's JSON log lines would drown the figures: keep them out of the output.
    handler.log = lambda *a, **k: None
    print(f"notifier load test, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, moto in-process")
    print(f"{BUCKETS} buckets, {len(ACCOUNTS)} accounts, events within one minute, SQS batches of {args.batch}")
    print(
        "events  batches  emails  max/acct/batch  reported  no record  dead-letter  lost  peak MiB  max RSS MiB  wall s"
        "  s/batch mean/max"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        r = load(size, args.batch)
        mean, worst = r["s per batch (mean / max)"]
        print(
            f"{r['events']:>6}  {r['batches']:>7}  {r['emails']:>6}  {r['max emails per account per batch']:>14}  "
            f"{r['reported']:>8}  {r['mailed without a record']:>9}  {r['dead-letter']:>11}  {r['lost']:>4}  "
            f"{r['peak MiB (tracemalloc, one invocation)']:>8.1f}  "
            f"{r['max RSS MiB (process)']:>11.0f}  {r['wall s']:>6.1f}  {mean:>6.2f} / {worst:.2f}",
            flush=True,
        )
        if r["lost"]:
            raise SystemExit(f"{r['lost']} events lost")


if __name__ == "__main__":
    main()
