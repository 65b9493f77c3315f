"""The dedup record: which CloudTrail events were already mailed (pure, no boto3).

One DynamoDB item per reported event, in the table ``BUCKETGUARD_DEDUP_TABLE`` (partition key ``id``,
TTL attribute ``expires_at``) that only the notifier's role may write. The fast path (EventBridge, through
the buffer queue) and the alarm path (the trail's log group) claim and write the same item, so an event is
mailed once whichever path sees it first.

Item id: ``<eventID>#<first 16 hex of sha256(eventID|recipientAccountId|eventName|bucket|eventTime)>``.
A record written with a real eventID but other content (another bucket, another time) has another id and
cannot suppress the real event. The table's policy, not this hash, is what keeps outsiders from writing.

Protocol (the idempotency pattern of Powertools for AWS Lambda, reduced to what we need):

1. claim: ``PutItem`` with ``attribute_not_exists(id) OR (status = pending AND claimed_at < now - 5 min)``;
2. publish the email;
3. success: ``UpdateItem`` status ``reported`` (message id, severity, reported_at) if the claim is still ours;
   failure: ``DeleteItem`` of our claim, so the retry mails.

A failed claim (``ConditionalCheckFailedException``) means the item exists: ``reported`` -> leave the event
out of the email; ``pending`` (another invocation is publishing it right now) -> in flight. Any other error
(throttled, denied, table missing, unavailable) -> mail anyway: a duplicate beats silence.

https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ansible_collections.bucketguard.visibility.plugins.module_utils.cloudtrail import Change, iso

PENDING, REPORTED = "pending", "reported"
FAST, ALARM = "fast", "alarm"
STALE_AFTER = timedelta(minutes=5)
DEFAULT_TTL_DAYS = 30

# Outcomes of a claim.
OWNED = "owned"  # we wrote the claim: publish, then mark reported or release
ALREADY = "reported"  # mailed before (either path): leave it out, mention it in one line
IN_FLIGHT = "in_flight"  # another invocation claimed it less than 5 minutes ago
UNAVAILABLE = "unavailable"  # the table could not be used: mail anyway
NO_ID = "no_id"  # the record has no eventID: nothing to key on, mail it
DISABLED = "disabled"  # no table configured (BUCKETGUARD_DEDUP_TABLE unset): mail everything

CLAIM_CONDITION = "attribute_not_exists(#id) OR (#status = :pending AND #claimed_at < :stale)"
OWNER_CONDITION = "#status = :pending AND #token = :token"


def record_id(change: Change) -> str | None:
    """The item id of ``change``; None when the record has no eventID."""
    if not change.event_id:
        return None
    parts = (change.event_id, change.account_id, change.event_name, change.bucket, change.event_time)
    digest = hashlib.sha256("|".join("" if p is None else str(p) for p in parts).encode("utf-8")).hexdigest()
    return f"{change.event_id}#{digest[:16]}"


def _s(value: Any) -> dict[str, str]:
    return {"S": "" if value is None else str(value)}


def _n(value: int) -> dict[str, str]:
    return {"N": str(int(value))}


def claim_request(
    table: str, change: Change, path: str, token: str, now: datetime, ttl_days: int = DEFAULT_TTL_DAYS
) -> dict[str, Any]:
    """Keyword arguments of the conditional ``PutItem`` that claims ``change`` for this invocation."""
    item_id = record_id(change)
    if item_id is None:
        raise ValueError("a change without eventID has no dedup record")
    item = {
        "id": _s(item_id),
        "status": _s(PENDING),
        "path": _s(path),
        "token": _s(token),
        "account": _s(change.account_id),
        "event_name": _s(change.event_name),
        "event_time": _s(change.event_time),
        "claimed_at": _n(now.timestamp()),
        "expires_at": _n((now + timedelta(days=ttl_days)).timestamp()),
    }
    if change.bucket:
        item["bucket"] = _s(change.bucket)
    return {
        "TableName": table,
        "Item": item,
        "ConditionExpression": CLAIM_CONDITION,
        "ExpressionAttributeNames": {"#id": "id", "#status": "status", "#claimed_at": "claimed_at"},
        "ExpressionAttributeValues": {":pending": _s(PENDING), ":stale": _n((now - STALE_AFTER).timestamp())},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def reported_request(
    table: str, item_id: str, token: str, message_id: str, severity: str, now: datetime
) -> dict[str, Any]:
    """Keyword arguments of the ``UpdateItem`` that marks our claim ``reported`` after a successful publish."""
    return {
        "TableName": table,
        "Key": {"id": _s(item_id)},
        "UpdateExpression": "SET #status = :reported, message_id = :mid, severity = :sev, reported_at = :at",
        "ConditionExpression": OWNER_CONDITION,
        "ExpressionAttributeNames": {"#status": "status", "#token": "token"},
        "ExpressionAttributeValues": {
            ":reported": _s(REPORTED),
            ":pending": _s(PENDING),
            ":token": _s(token),
            ":mid": _s(message_id or "unknown"),
            ":sev": _s(severity),
            ":at": _s(iso(now)),
        },
    }


def release_request(table: str, item_id: str, token: str) -> dict[str, Any]:
    """Keyword arguments of the ``DeleteItem`` that gives our claim back when the publish failed."""
    return {
        "TableName": table,
        "Key": {"id": _s(item_id)},
        "ConditionExpression": OWNER_CONDITION,
        "ExpressionAttributeNames": {"#status": "status", "#token": "token"},
        "ExpressionAttributeValues": {":pending": _s(PENDING), ":token": _s(token)},
    }


def plain(item: Any) -> dict[str, str]:
    """A DynamoDB item (``{"status": {"S": "reported"}}``) as ``{"status": "reported"}`` (S and N only)."""
    out: dict[str, str] = {}
    if not isinstance(item, dict):
        return out
    for key, value in item.items():
        if isinstance(value, dict):
            for kind in ("S", "N"):
                if isinstance(value.get(kind), str):
                    out[key] = value[kind]
    return out


def existing_outcome(item: Any, now: datetime) -> str:
    """What an existing item (the claim failed its condition) means for us: ALREADY, IN_FLIGHT or OWNED-able.

    An item that is neither reported nor a fresh claim (unknown status, stale claim read after a race)
    gives UNAVAILABLE: mail it (a duplicate beats silence).
    """
    fields = plain(item)
    status = fields.get("status")
    if status == REPORTED:
        return ALREADY
    if status == PENDING:
        try:
            claimed = float(fields.get("claimed_at", "0"))
        except ValueError:
            claimed = 0.0
        if claimed >= (now - STALE_AFTER).timestamp():
            return IN_FLIGHT
    return UNAVAILABLE


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming one change: ``outcome`` is one of the constants above."""

    change: Change
    item_id: str | None
    outcome: str
    earlier: dict[str, str] | None = None  # the existing item, for ALREADY (path, message_id, reported_at)

    @property
    def mail(self) -> bool:
        """Does this change go into the email? Everything but an event already reported."""
        return self.outcome != ALREADY


def earlier_line(claims: list[Claim], limit: int = 10) -> str | None:
    """The one line about changes in this window that were already mailed, or None."""
    ids = sorted({c.change.event_id or "?" for c in claims if c.outcome == ALREADY})
    if not ids:
        return None
    shown = ", ".join(ids[:limit]) + (f", +{len(ids) - limit} more" if len(ids) > limit else "")
    noun = "change was" if len(ids) == 1 else "changes were"
    return f"earlier in this window: {len(ids)} {noun} already mailed (event ids {shown})"


# --------------------------------------------------------------------------- the digest window
# One item per account, ``digest#<account id>`` (an event's id is ``<eventID>#<16 hex>``: never equal), holds
# when the fast path last mailed that account's digest. A batch that finds a digest younger than the window
# is sent back to the buffer queue, delayed to the end of the window: a storm gives one email per account per
# window, and a single change (no digest in the window) is mailed at once.
DIGEST_PREFIX = "digest#"
SQS_MAX_DELAY = 900  # SendMessage DelaySeconds upper bound


def digest_id(account: str) -> str:
    return f"{DIGEST_PREFIX}{account}"


def digest_wait(item: Any, now: datetime, window_seconds: int) -> int:
    """Seconds until this account may get its next digest (0: mail now)."""
    if window_seconds <= 0:
        return 0
    try:
        last = float(plain(item).get("mailed_at", ""))
    except ValueError:
        return 0
    left = last + window_seconds - now.timestamp()
    return max(0, min(SQS_MAX_DELAY, int(left) + 1)) if left > 0 else 0


def digest_request(table: str, account: str, message_id: str, now: datetime, window_seconds: int) -> dict[str, Any]:
    """Keyword arguments of the ``PutItem`` that records a mailed digest (kept a day past its window)."""
    return {
        "TableName": table,
        "Item": {
            "id": _s(digest_id(account)),
            "status": _s("digest"),
            "account": _s(account),
            "message_id": _s(message_id or "unknown"),
            "mailed_at": _n(now.timestamp()),
            "expires_at": _n((now + timedelta(seconds=window_seconds, days=1)).timestamp()),
        },
    }
