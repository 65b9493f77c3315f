"""store.py against moto: the conditional claim, its answers, and the paths a race takes (no BatchGetItem first)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from bucketguard_notifier import dedup, store
from bucketguard_notifier.handler import cloudtrail
from moto import mock_aws

from tests.lib.notifier_moto import REGION, TABLE, make_table, record, table_items

NOW = datetime(2025, 3, 1, 10, 6, tzinfo=UTC)


@pytest.fixture
def ddb(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        make_table()
        yield boto3.client("dynamodb", region_name=REGION)


def change(event_id="ev-1"):
    return cloudtrail.classify(record("DeleteBucketPolicy", "bg-x", None, event_id))


def quiet(*_, **__):
    pass


def test_claim_then_race_then_reported(ddb):
    first = store.claim(ddb, TABLE, change(), dedup.FAST, "tok-a", NOW, log=quiet)
    assert first.outcome == dedup.OWNED
    # Another invocation, the same event, at the same time: the condition fails, the answer carries the item.
    second = store.claim(ddb, TABLE, change(), dedup.ALARM, "tok-b", NOW + timedelta(seconds=5), log=quiet)
    assert second.outcome == dedup.IN_FLIGHT
    assert second.earlier["token"] == "tok-a"
    assert not store.mark_reported(ddb, TABLE, second, "tok-b", "mid-b", "INFO", NOW, log=quiet)  # not its claim
    assert store.mark_reported(ddb, TABLE, first, "tok-a", "mid-a", "INFO", NOW, log=quiet)
    third = store.claim(ddb, TABLE, change(), dedup.ALARM, "tok-c", NOW + timedelta(hours=1), log=quiet)
    assert (third.outcome, third.earlier["message_id"], third.earlier["path"]) == (dedup.ALREADY, "mid-a", "fast")


def test_a_stale_claim_is_taken_over_and_the_old_owner_cannot_release_it(ddb):
    first = store.claim(ddb, TABLE, change(), dedup.FAST, "tok-a", NOW, log=quiet)
    later = NOW + dedup.STALE_AFTER + timedelta(seconds=1)
    taken = store.claim(ddb, TABLE, change(), dedup.ALARM, "tok-b", later, log=quiet)
    assert taken.outcome == dedup.OWNED
    assert not store.release(ddb, TABLE, first, "tok-a", log=quiet)  # the crashed owner's late delete misses
    assert [i["token"] for i in table_items()] == ["tok-b"]
    assert store.release(ddb, TABLE, taken, "tok-b", log=quiet)
    assert table_items() == []


def test_conditional_failure_without_the_item_reads_it(ddb):
    """If the error answer does not carry the existing item, a consistent GetItem decides."""
    store.claim(ddb, TABLE, change(), dedup.FAST, "tok-a", NOW, log=quiet)

    class NoItemInError:
        def put_item(self, **kwargs):
            raise ClientError({"Error": {"Code": "ConditionalCheckFailedException", "Message": "x"}}, "PutItem")

        def get_item(self, **kwargs):
            assert kwargs["ConsistentRead"] is True
            return ddb.get_item(**kwargs)

    claim = store.claim(NoItemInError(), TABLE, change(), dedup.ALARM, "tok-b", NOW, log=quiet)
    assert claim.outcome == dedup.IN_FLIGHT


def test_lookup_finds_existing_items_in_pages_of_100(ddb):
    changes = [change(f"ev-{i:03d}") for i in range(150)]
    for c in changes[::2]:
        store.claim(ddb, TABLE, c, dedup.FAST, "tok", NOW, log=quiet)
    calls = []

    class Counting:
        def batch_get_item(self, **kwargs):
            calls.append(len(kwargs["RequestItems"][TABLE]["Keys"]))
            return ddb.batch_get_item(**kwargs)

    found = store.lookup(Counting(), TABLE, [dedup.record_id(c) for c in changes], log=quiet)
    assert calls == [100, 50]
    assert set(found) == {dedup.record_id(c) for c in changes[::2]}


def test_errors_become_outcomes_and_log_lines():
    lines = []

    class Broken:
        def __getattr__(self, name):
            def fail(**_):
                raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "x"}}, name)

            return fail

    def log(event, **fields):
        lines.append((event, fields["step"], fields["error"]))

    assert store.lookup(Broken(), TABLE, ["a#1"], log=log) == {}
    assert store.claim(Broken(), TABLE, change(), dedup.FAST, "t", NOW, log=log).outcome == dedup.UNAVAILABLE
    owned = dedup.Claim(change(), "ev-1#x", dedup.OWNED)
    assert not store.mark_reported(Broken(), TABLE, owned, "t", "m", "INFO", NOW, log=log)
    assert not store.release(Broken(), TABLE, owned, "t", log=log)
    code = "ProvisionedThroughputExceededException"
    assert lines == [("dedup_unavailable", s, code) for s in ("lookup", "claim", "reported", "release")]
