"""Inject each fault into the notifier and count alerts: each one is mailed, or waits for a retry / in the
dead-letter queue (a batch item failure or a raised error), and is mailed once the fault clears. None is lost.

Everything runs against moto in-process (no server). Faults are AWS error answers raised as botocore
``ClientError`` with the codes the services document (SNS Publish: ``Throttling``, ``AuthorizationError``,
``KMSAccessDenied``; S3: ``AccessDenied``, ``SlowDown``, ``NotImplemented``; DynamoDB:
``ProvisionedThroughputExceededException``, ``ThrottlingException``, ``AccessDeniedException``,
``ResourceNotFoundException``, ``InternalServerError``), from a client wrapper around the moto-backed client.

"Mailed" is checked in moto's SNS backend: the alert's eventID (or SQS message id) is in a published body, or
its dedup record says ``reported`` with the message id of a published email that names its bucket.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from bucketguard_notifier import handler
from bucketguard_notifier.handler import PublishError, process
from moto import mock_aws

from tests.faults.conftest import LEDGER
from tests.lib.notifier_moto import (
    OFF,
    PUBLIC_POLICY,
    REGION,
    TABLE,
    Context,
    clients,
    covered,
    destination_record,
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

pytestmark = pytest.mark.faults

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
TRAIL_GROUP = "/bucketguard/cloudtrail"
NOW = datetime.now(UTC).replace(microsecond=0)


# --------------------------------------------------------------------------- the world and its faults


@dataclass(frozen=True)
class Alert:
    key: str  # the CloudTrail eventID, or the SQS message id of an unreadable body
    bucket: str | None = None
    message_id: str | None = None


class Fault:
    """Wraps one service's client: the named calls raise ``ClientError(code)``."""

    def __init__(self, service: str, calls: tuple[str, ...], code: str):
        self.service, self.calls, self.code = service, calls, code

    def wrap(self, client: Any) -> Any:
        fault = self

        class Faulty:
            def __getattr__(self, name: str) -> Any:
                if name in fault.calls or ("*" in fault.calls and not name.startswith(("_", "meta", "exceptions"))):

                    def fail(**_: Any) -> Any:
                        raise ClientError({"Error": {"Code": fault.code, "Message": "injected fault"}}, name)

                    return fail
                return getattr(client, name)

        return Faulty()


def factory_with(*faults: Fault):
    base = clients()

    def factory(service: str, region: str | None) -> Any:
        client = base(service, region)
        for fault in faults:
            if fault.service == service:
                client = fault.wrap(client)
        return client

    return factory


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        topic = make_topic()
        make_table()
        logs = boto3.client("logs", region_name=REGION)
        logs.create_log_group(logGroupName=TRAIL_GROUP)
        logs.create_log_stream(logGroupName=TRAIL_GROUP, logStreamName=f"{ACCOUNT}_CloudTrail_{REGION}")
        yield World(topic, logs)


class World:
    def __init__(self, topic: str, logs: Any):
        self.topic, self.logs = topic, logs
        self.env = env(topic, log_group=TRAIL_GROUP)

    def run(self, event: Any, *faults: Fault, context: Any = None) -> tuple[Any, bool]:
        """(result, raised): ``raised`` means Lambda would retry and then keep the event in the dead-letter queue."""
        try:
            return process(event, self.env, factory_with(*faults), now=lambda: NOW, context=context), False
        except PublishError:
            return None, True

    def put_trail(self, records: list[dict]) -> None:
        when = int((NOW - timedelta(minutes=2)).timestamp() * 1000)
        events = [{"timestamp": when, "message": json.dumps(r)} for r in records]
        for i in range(0, len(events), 5000):
            self.logs.put_log_events(
                logGroupName=TRAIL_GROUP, logStreamName=f"{ACCOUNT}_CloudTrail_{REGION}", logEvents=events[i : i + 5000]
            )

    def mailed(self, alerts: list[Alert]) -> set[Alert]:
        """The alerts an email published so far accounts for (see ``covered``) or a dedup record ties to one."""
        mails = sent(self.topic)
        bodies = {m["message_id"]: m["body"] for m in mails}
        shown: set[str] = set()
        extra: dict[str, int] = {}
        for body in bodies.values():
            ids, counts = covered(body)
            shown |= ids
            for bucket, count in counts.items():
                extra[bucket] = extra.get(bucket, 0) + count
        try:
            items = {i["id"].split("#")[0]: i for i in table_items(TABLE)}
        except ClientError:
            items = {}
        out = set()
        for alert in alerts:
            item = items.get(alert.key)
            reported = item is not None and item.get("status") == "reported" and item.get("message_id") in bodies
            if alert.key in shown or (
                reported and (alert.bucket is None or alert.bucket in bodies[item["message_id"]])
            ):
                out.add(alert)
            elif alert.bucket and extra.get(alert.bucket, 0) > 0:  # counted in the digest, not listed one by one
                extra[alert.bucket] -= 1
                out.add(alert)
            elif any(alert.key in body for body in bodies.values()):  # fallback emails carry the raw input
                out.add(alert)
        return out


def alarm_event() -> dict[str, Any]:
    event = json.loads((ROOT / "tests/fixtures/events/alarm-state-alarm.json").read_text())
    fired = NOW - timedelta(minutes=1)
    stamp = fired.strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    event["accountId"], event["time"] = ACCOUNT, stamp
    event["alarmData"]["state"]["timestamp"] = stamp
    reason = json.loads(event["alarmData"]["state"]["reasonData"])
    reason["evaluatedDatapoints"][0]["timestamp"] = (fired - timedelta(minutes=2)).strftime(
        "%Y-%m-%dT%H:%M:%S.000+0000"
    )
    event["alarmData"]["state"]["reasonData"] = json.dumps(reason)
    return event


def exposures(prefix: str, count: int, buckets: int = 3) -> tuple[list[dict], list[Alert]]:
    """``count`` public-policy puts over ``buckets`` public buckets (made in moto), one Alert each."""
    for b in range(buckets):
        name = f"{prefix}-{b:02d}"
        with contextlib.suppress(ClientError):  # made by an earlier call of this test
            make_bucket(name, policy=PUBLIC_POLICY, pab=OFF)
    records, alerts = [], []
    for i in range(count):
        bucket = f"{prefix}-{i % buckets:02d}"
        event_id = f"{prefix}-ev-{i:06d}"
        records.append(
            record("PutBucketPolicy", bucket, {"bucketPolicy": PUBLIC_POLICY}, event_id, when="2025-03-01T10:05:00Z")
        )
        alerts.append(Alert(event_id, bucket, f"m-{event_id}"))
    return records, alerts


def settle(world: World, name: str, faults: int, alerts: list[Alert], failures: set[str], raised: bool, replay) -> None:
    """Count: mailed now, or waiting (batch item failure / raised); then clear the fault, replay, count again."""
    mailed = world.mailed(alerts)
    waiting = {a for a in alerts if a not in mailed and (raised or a.message_id in failures)}
    lost = [a for a in alerts if a not in mailed and a not in waiting]
    if waiting:
        replay(waiting)
        still = [a for a in waiting if a not in world.mailed(alerts)]
        lost += still
    LEDGER.faults += faults
    LEDGER.alerts += len(alerts)
    LEDGER.mailed += len(mailed)
    LEDGER.waiting += len(waiting)
    LEDGER.lost += len(lost)
    LEDGER.lines.append(
        f"{name}: {faults} fault(s), {len(alerts)} alert(s): "
        f"mailed {len(mailed)}, waiting {len(waiting)}, lost {len(lost)}"
    )
    assert not lost, f"{name}: lost {[a.key for a in lost][:10]}"


def failures_of(result: Any) -> set[str]:
    if isinstance(result, dict) and "batchItemFailures" in result:
        return {f["itemIdentifier"] for f in result["batchItemFailures"]}
    return set()


def feed(world: World, name: str, kind: str, records: list[dict], alerts: list[Alert], *faults: Fault, **kw) -> Any:
    """Deliver ``records`` the way ``kind`` does (SQS batch, direct EventBridge, alarm path) under ``faults``."""
    if kind == "sqs":
        messages = {
            a.message_id: sqs_message(eventbridge(r), a.message_id) for r, a in zip(records, alerts, strict=True)
        }
        result, raised = world.run(sqs_batch(*messages.values()), *faults, **kw)

        def replay(waiting: set[Alert]) -> None:  # the queue delivers them again (or they are moved back from the DLQ)
            again, _ = world.run(sqs_batch(*(messages[a.message_id] for a in waiting)))
            assert failures_of(again) == set()

    elif kind == "direct":
        (rec,) = records
        result, raised = world.run(eventbridge(rec), *faults, **kw)

        def replay(waiting: set[Alert]) -> None:  # the on-failure destination record, moved to the buffer queue
            world.run(sqs_batch(sqs_message(destination_record(eventbridge(rec)))))

    else:
        world.put_trail(records)
        result, raised = world.run(alarm_event(), *faults, **kw)

        def replay(waiting: set[Alert]) -> None:
            world.run(sqs_batch(sqs_message(destination_record(alarm_event()))))

    settle(world, name, len(faults) or 1, alerts, failures_of(result), raised, replay)
    return result


# --------------------------------------------------------------------------- SNS publish


@pytest.mark.parametrize("code", ["Throttling", "AuthorizationError", "KMSAccessDenied"])
@pytest.mark.parametrize("kind", ["sqs", "direct", "alarm"])
def test_publish_fails(world, code, kind):
    records, alerts = exposures(f"pub-{kind}-{code.lower()}", 1 if kind == "direct" else 5)
    feed(world, f"SNS publish {code} ({kind})", kind, records, alerts, Fault("sns", ("publish",), code))
    if kind != "sqs":
        return
    # The claims of the failed digest were given back: the retry mailed them and recorded them once.
    assert sorted(i["status"] for i in table_items()) == ["reported"] * len(alerts)


# --------------------------------------------------------------------------- S3 reads


S3_READS = [
    ("s3", "get_bucket_acl"),
    ("s3", "get_public_access_block"),
    ("s3", "get_bucket_policy"),
    ("s3", "get_bucket_ownership_controls"),
    ("s3", "get_bucket_tagging"),
    ("s3", "get_bucket_policy_status"),
    ("s3control", "get_public_access_block"),
]


@pytest.mark.parametrize("code", ["AccessDenied", "SlowDown"])
@pytest.mark.parametrize(("service", "call"), S3_READS)
def test_s3_read_fails(world, service, call, code):
    records, alerts = exposures(f"s3-{call.replace('_', '-')[:20]}-{code.lower()}"[:40], 3, buckets=1)
    feed(world, f"{service} {call} {code}", "sqs", records, alerts, Fault(service, (call,), code))
    (mail,) = sent(world.topic)
    # The request made the bucket public: an unreadable part never downgrades the alert.
    assert mail["attributes"]["severity"] == "CRITICAL"


def test_policy_status_unsupported(world):
    records, alerts = exposures("status-unsupported", 2, buckets=1)
    feed(
        world,
        "GetBucketPolicyStatus NotImplemented",
        "sqs",
        records,
        alerts,
        Fault("s3", ("get_bucket_policy_status",), "NotImplemented"),
    )
    (mail,) = sent(world.topic)
    assert mail["attributes"]["severity"] == "CRITICAL"
    assert "Verdict now: PUBLIC via policy" in mail["body"]


def test_every_s3_read_denied(world):
    records, alerts = exposures("s3-all-denied", 3, buckets=1)
    feed(
        world,
        "every S3 read AccessDenied",
        "sqs",
        records,
        alerts,
        Fault("s3", ("*",), "AccessDenied"),
        Fault("s3control", ("*",), "AccessDenied"),
    )
    (mail,) = sent(world.topic)
    assert mail["subject"].startswith("[PUBLIC]") and "unconfirmed" in mail["subject"]


# --------------------------------------------------------------------------- DynamoDB


@pytest.mark.parametrize(
    "code",
    [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "AccessDeniedException",
        "ResourceNotFoundException",
        "InternalServerError",
    ],
)
@pytest.mark.parametrize("kind", ["sqs", "alarm"])
def test_dynamodb_unavailable(world, code, kind):
    records, alerts = exposures(f"ddb-{kind}-{code.lower()[:12]}", 4)
    feed(world, f"DynamoDB {code} ({kind})", kind, records, alerts, Fault("dynamodb", ("*",), code))


def test_dynamodb_and_publish_both_fail(world):
    records, alerts = exposures("ddb-and-sns", 4)
    faults = (Fault("dynamodb", ("*",), "InternalServerError"), Fault("sns", ("publish",), "Throttling"))
    feed(world, "DynamoDB InternalServerError + SNS Throttling", "sqs", records, alerts, *faults)


def test_dynamodb_fails_only_after_the_publish(world):
    """The claim works, marking it reported fails: mailed now; the pending claim goes stale in 5 minutes."""
    records, alerts = exposures("ddb-update", 3)
    feed(
        world,
        "DynamoDB UpdateItem ProvisionedThroughputExceeded",
        "sqs",
        records,
        alerts,
        Fault("dynamodb", ("update_item",), "ProvisionedThroughputExceededException"),
    )
    assert {i["status"] for i in table_items()} == {"pending"}


# --------------------------------------------------------------------------- bad input


def test_malformed_truncated_oversized_bodies(world):
    good = eventbridge(record("DeleteBucketPolicy", "bad-input-ok", None, "bad-ev-000001"))
    bodies = {
        "m-bad-notjson": "{not json",
        "m-bad-truncated": json.dumps(good)[:200],
        "m-bad-oversized": json.dumps({**good, "padding": "x" * 1_100_000}),
        "m-bad-unknown": json.dumps({"hello": "world"}),
    }
    alerts = [Alert(mid, None, mid) for mid in bodies]
    result, raised = world.run(sqs_batch(*(sqs_message(b, mid) for mid, b in bodies.items())))
    settle(
        world, "malformed, truncated, oversized, unrecognised SQS bodies", 4, alerts, failures_of(result), raised, None
    )


def test_malformed_bodies_and_publish_fails(world):
    alerts = [Alert("m-bad-retry", None, "m-bad-retry")]
    batch = sqs_batch(sqs_message("{trunc", "m-bad-retry"))
    result, raised = world.run(batch, Fault("sns", ("publish",), "Throttling"))
    settle(world, "malformed body + SNS Throttling", 2, alerts, failures_of(result), raised, lambda _: world.run(batch))


@pytest.mark.parametrize(
    "shape",
    [
        lambda m: m,
        lambda m: [m],
        lambda m: {"hello": m},
        lambda m: {"alarmData": m},
        lambda m: {"detail": m},
        lambda m: {"Records": m},
        lambda m: {"detail-type": "AWS API Call via CloudTrail", "detail": {"eventName": m}},
    ],
    ids=[
        "string",
        "list",
        "unknown-keys",
        "alarmData-not-object",
        "detail-not-object",
        "Records-not-list",
        "no-source",
    ],
)
def test_malformed_direct_event(world, shape, request):
    marker = f"malformed-{request.node.callspec.id}"
    result, raised = world.run(shape(marker))
    settle(world, f"malformed direct event ({request.node.callspec.id})", 1, [Alert(marker)], set(), raised, None)
    assert result["status"] in ("fallback", "ignored")


# --------------------------------------------------------------------------- time and size


def test_reads_do_not_finish_in_time(world, monkeypatch):
    """The function's remaining time runs out during the reads: unread buckets are mailed from the request."""
    monkeypatch.setattr(handler, "PUBLISH_RESERVE_SECONDS", 0.3)
    import threading

    gate = threading.Event()

    class Slow(Fault):
        def wrap(self, client):
            class Wrapped:
                def __getattr__(self, name):
                    if name == "get_bucket_acl":

                        def slow(**_):
                            gate.wait(5)
                            raise ClientError({"Error": {"Code": "SlowDown", "Message": "late"}}, name)

                        return slow
                    return getattr(client, name)

            return Wrapped()

    records, alerts = exposures("slow-reads", 6)
    try:
        feed(
            world,
            "S3 reads slower than the function's timeout",
            "sqs",
            records,
            alerts,
            Slow("s3", (), ""),
            context=Context(1200),
        )
    finally:
        gate.set()
    (mail,) = sent(world.topic)
    assert mail["attributes"]["severity"] == "CRITICAL"


def test_no_time_left_for_a_digest(world):
    records, alerts = exposures("no-time", 5)
    feed(world, "no time left in the invocation", "sqs", records, alerts, context=Context(1000))


def test_ten_thousand_record_window(world):
    """The alarm path over a window of 10,000 exposure records across 50 buckets, in a 60-second invocation:
    one email that accounts for every event (listed, or counted per bucket); the dedup records written in the
    time there was, the rest mailed without one."""
    records, alerts = exposures("window", 10_000, buckets=50)
    feed(world, "10,000-record alarm window (60 s invocation)", "alarm", records, alerts, context=Context(60_000))
    (mail,) = sent(world.topic)
    assert "of which 10000 can change exposure" in mail["body"]
    ids, counts = covered(mail["body"])
    assert len(ids) + sum(counts.values()) == 10_000
    for b in range(50):
        assert f"window-{b:02d}" in mail["body"]
