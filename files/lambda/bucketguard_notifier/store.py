"""DynamoDB I/O of the dedup record, through a client the caller gives (no boto3 import here).

Every function turns AWS errors into an outcome and a log line, never an exception: a dedup failure must
not lose an alert (see ``dedup`` for the protocol and the item's shape).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ansible_collections.bucketguard.visibility.plugins.module_utils.bucket_state import error_code
from ansible_collections.bucketguard.visibility.plugins.module_utils.cloudtrail import Change

from . import dedup

Log = Callable[..., None]


def _print_log(event: str, **fields: Any) -> None:
    print(json.dumps({"bucketguard": event, **fields}, default=str, sort_keys=True), flush=True)


BATCH_GET_MAX = 100  # BatchGetItem's limit of keys per request


def lookup(client: Any, table: str, item_ids: list[str], log: Log = _print_log) -> dict[str, dict[str, Any]]:
    """The existing items among ``item_ids`` (BatchGetItem, consistent reads, 100 keys a call).

    A cheap first look, so the alarm path does not write a claim for every event the fast path already
    mailed. Failures and unprocessed keys just leave ids out: the conditional claim decides anyway.
    """
    found: dict[str, dict[str, Any]] = {}
    unique = list(dict.fromkeys(item_ids))
    for start in range(0, len(unique), BATCH_GET_MAX):
        keys = [{"id": {"S": i}} for i in unique[start : start + BATCH_GET_MAX]]
        try:
            response = client.batch_get_item(RequestItems={table: {"Keys": keys, "ConsistentRead": True}})
        except Exception as exc:
            log("dedup_unavailable", step="lookup", keys=len(keys), error=error_code(exc))
            return found
        for item in (response.get("Responses") or {}).get(table, []):
            item_id = dedup.plain(item).get("id")
            if item_id:
                found[item_id] = item
    return found


def claim(
    client: Any,
    table: str,
    change: Change,
    path: str,
    token: str,
    now: datetime,
    ttl_days: int = dedup.DEFAULT_TTL_DAYS,
    log: Log = _print_log,
) -> dedup.Claim:
    """Claim ``change`` for this invocation (conditional PutItem); the outcome says what to do with it."""
    item_id = dedup.record_id(change)
    if item_id is None:
        return dedup.Claim(change, None, dedup.NO_ID)
    try:
        client.put_item(**dedup.claim_request(table, change, path, token, now, ttl_days))
        return dedup.Claim(change, item_id, dedup.OWNED)
    except Exception as exc:
        code = error_code(exc)
        if code != "ConditionalCheckFailedException":
            log("dedup_unavailable", step="claim", event_id=change.event_id, error=code)
            return dedup.Claim(change, item_id, dedup.UNAVAILABLE)
        item = (getattr(exc, "response", None) or {}).get("Item")
    if item is None:  # the answer did not carry the existing item: read it
        try:
            item = client.get_item(TableName=table, Key={"id": {"S": item_id}}, ConsistentRead=True).get("Item")
        except Exception as exc:
            log("dedup_unavailable", step="read", event_id=change.event_id, error=error_code(exc))
            return dedup.Claim(change, item_id, dedup.UNAVAILABLE)
    outcome = dedup.existing_outcome(item, now)
    earlier = dedup.plain(item)
    if outcome == dedup.UNAVAILABLE:
        log("dedup_unavailable", step="claim", event_id=change.event_id, error=f"status {earlier.get('status')!r}")
    elif outcome == dedup.ALREADY:
        log("dedup_skip", event_id=change.event_id, path=earlier.get("path"), message_id=earlier.get("message_id"))
    return dedup.Claim(change, item_id, outcome, earlier)


def mark_reported(
    client: Any,
    table: str,
    claim_: dedup.Claim,
    token: str,
    message_id: str,
    severity: str,
    now: datetime,
    log: Log = _print_log,
) -> bool:
    """After a successful publish: our claim becomes ``reported``. False (logged) if that failed."""
    if claim_.outcome != dedup.OWNED or claim_.item_id is None:
        return False
    try:
        client.update_item(**dedup.reported_request(table, claim_.item_id, token, message_id, severity, now))
        return True
    except Exception as exc:  # the claim stays pending and goes stale after 5 minutes: a later path mails again
        log("dedup_unavailable", step="reported", event_id=claim_.change.event_id, error=error_code(exc))
        return False


def release(client: Any, table: str, claim_: dedup.Claim, token: str, log: Log = _print_log) -> bool:
    """After a failed publish: delete our claim so the retry mails. False (logged) if that failed."""
    if claim_.outcome != dedup.OWNED or claim_.item_id is None:
        return False
    try:
        client.delete_item(**dedup.release_request(table, claim_.item_id, token))
        return True
    except Exception as exc:  # the claim goes stale after 5 minutes; the retry then claims it again
        log("dedup_unavailable", step="release", event_id=claim_.change.event_id, error=error_code(exc))
        return False


def digest_wait(client: Any, table: str, account: str, now: datetime, window: int, log: Log = _print_log) -> int:
    """Seconds until ``account`` may get its next digest; 0 (mail now) when the table cannot be read."""
    try:
        item = client.get_item(TableName=table, Key={"id": {"S": dedup.digest_id(account)}}, ConsistentRead=True)
    except Exception as exc:
        log("dedup_unavailable", step="digest_read", account=account, error=error_code(exc))
        return 0
    return dedup.digest_wait(item.get("Item"), now, window)


def record_digest(
    client: Any, table: str, account: str, message_id: str, now: datetime, window: int, log: Log = _print_log
) -> bool:
    """After a digest was published: remember when. False (logged) if that failed (the next batch mails)."""
    try:
        client.put_item(**dedup.digest_request(table, account, message_id, now, window))
        return True
    except Exception as exc:
        log("dedup_unavailable", step="digest_write", account=account, error=error_code(exc))
        return False
