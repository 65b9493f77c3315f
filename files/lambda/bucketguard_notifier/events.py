"""Recognise what the notifier was invoked with (pure, no boto3).

Inputs the function receives:

* the CloudWatch alarm's Lambda action event (``{"source": "aws.cloudwatch", "alarmData": {...}}``),
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-actions-Lambda.html
* an EventBridge "CloudWatch Alarm State Change" event (organisation mode: a log account's alarm forwarded to
  the hub bus; ``account``, ``region``, ``time``, ``resources`` = [alarm ARN], ``detail`` with the same
  ``alarmName``, ``state``, ``previousState`` and ``configuration`` as ``alarmData``),
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
* an EventBridge "AWS API Call via CloudTrail" event (``{"detail-type": ..., "detail": <record>}``),
  https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html
* a bare CloudTrail record, or ``{"Records": [...]}`` as in a CloudTrail log file,
  https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
* an SQS batch from the buffer queue (``{"Records": [{"eventSource": "aws:sqs", "messageId", "body"}]}``),
  https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html - each body is one of the inputs above, or a
  Lambda on-failure destination record (``{"requestContext": ..., "requestPayload": <original event>}``,
  https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html) replayed from the
  dead-letter queue: its ``requestPayload`` is unwrapped and handled as the original event.

What a record means (the watched calls, ``classify``) is the collection's contract, in
``plugins/module_utils/cloudtrail.py``; the Lambda package carries that file at the same import path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ansible_collections.bucketguard.visibility.plugins.module_utils.cloudtrail import (
    as_list,
    clean,
    get,
    load_json,
    parse_time,
)


@dataclass(frozen=True)
class Alarm:
    """What the CloudWatch alarm action event tells us."""

    name: str
    arn: str | None
    account_id: str | None
    region: str | None
    state: str
    previous_state: str | None
    reason: str
    timestamp: datetime | None
    period_seconds: int
    window_start: datetime | None
    window_end: datetime | None
    description: str | None = None
    metrics: tuple[tuple[str, str], ...] = ()  # (namespace, metric name) of the alarm's metrics
    source: str = "lambda-action"  # "lambda-action" (alarmData) or "eventbridge" (CloudWatch Alarm State Change)


ALARM_STATE_CHANGE = "CloudWatch Alarm State Change"
# The collection's other alarms (roles/alarm), told apart by their metric: they are not searched for S3 calls.
HEARTBEAT_METRIC = ("AWS/Logs", "IncomingLogEvents")
TAMPER_METRIC_NAME = "BucketguardTamper"


def alarm_kind(alarm: Alarm) -> str:
    """ "heartbeat" (the trail's dead man's switch), "tamper" (watch the watcher) or "visibility" (the rest)."""
    if HEARTBEAT_METRIC in alarm.metrics:
        return "heartbeat"
    if any(name == TAMPER_METRIC_NAME for _, name in alarm.metrics):
        return "tamper"
    return "visibility"


@dataclass(frozen=True)
class Parsed:
    """Normalised input: ``kind`` is "alarm", "records" (EventBridge or CloudTrail), "sqs" or "unknown"."""

    kind: str
    alarm: Alarm | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    source: str = ""
    messages: list[Message] = field(default_factory=list)


@dataclass(frozen=True)
class Message:
    """One SQS message of a batch: what its body is (``parsed``), or why it could not be read (``error``)."""

    message_id: str
    parsed: Parsed | None
    error: str | None = None
    excerpt: str = ""  # the start of an unreadable body, for the fallback email
    unwrapped: int = 0  # how many on-failure destination records were unwrapped


# SQS's largest message (1 MiB): a bigger body cannot have come through the queue and is not parsed.
MAX_BODY_BYTES = 1_048_576
EXCERPT_CHARS = 1000
MAX_UNWRAP = 3


# --------------------------------------------------------------------------- input parsing


def parse_alarm(event: dict[str, Any]) -> Alarm:
    """The Lambda alarm action's event (``alarmData``)."""
    data = get(event, "alarmData")
    return _alarm(
        data if isinstance(data, dict) else {},
        clean(get(event, "alarmArn")),
        clean(get(event, "accountId")),
        clean(get(event, "region")),
        get(event, "time"),
        "lambda-action",
    )


def is_alarm_state_change(event: Any) -> bool:
    return (
        isinstance(event, dict)
        and get(event, "source") == "aws.cloudwatch"
        and get(event, "detail-type") == ALARM_STATE_CHANGE
        and isinstance(get(event, "detail"), dict)
    )


def parse_alarm_state_change(event: dict[str, Any]) -> Alarm:
    """An EventBridge "CloudWatch Alarm State Change" event: the alarm's ARN is ``resources[0]``."""
    resources = [r for r in as_list(get(event, "resources")) if isinstance(r, str)]
    arn = clean(next((r for r in resources if ":alarm:" in r), resources[0] if resources else None))
    return _alarm(
        get(event, "detail"),
        arn,
        clean(get(event, "account")),
        clean(get(event, "region")),
        get(event, "time"),
        "eventbridge",
    )


def _metric_ids(config: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    out = []
    for metric in as_list(get(config, "metrics")):
        m = get(get(metric, "metricStat"), "metric")
        namespace, name = clean(get(m, "namespace")), clean(get(m, "name"))
        if namespace or name:
            out.append((namespace or "", name or ""))
    return tuple(out)


def _alarm(data: dict[str, Any], arn: str | None, account: str | None, region: str | None, time: Any, source: str):
    state = get(data, "state")
    state = state if isinstance(state, dict) else {}
    previous = get(data, "previousState")
    previous = previous if isinstance(previous, dict) else {}
    config = get(data, "configuration")
    config = config if isinstance(config, dict) else {}
    timestamp = parse_time(get(state, "timestamp")) or parse_time(time)
    period = 60
    for metric in as_list(get(config, "metrics")):
        stat = get(metric, "metricStat")
        value = get(stat, "period")
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            period = value
            break
    reason_data = load_json(get(state, "reasonData"))
    reason_data = reason_data if isinstance(reason_data, dict) else {}
    value = get(reason_data, "period")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        period = value
    points = [parse_time(get(p, "timestamp")) for p in as_list(get(reason_data, "evaluatedDatapoints"))]
    points = [p for p in points if p]
    window_end = timestamp
    if points:
        window_start: datetime | None = min(points)
        window_end = max([*points, timestamp] if timestamp else points) + timedelta(seconds=period)
    else:
        window_start = timestamp - timedelta(seconds=period) if timestamp else None
    if not region and arn and arn.count(":") >= 4:
        region = arn.split(":")[3] or None
    if not account and arn and arn.count(":") >= 5:
        account = arn.split(":")[4] or None
    return Alarm(
        name=clean(get(data, "alarmName")) or (arn.rsplit(":", 1)[-1] if arn else "unknown alarm"),
        arn=arn,
        account_id=account,
        region=region,
        state=clean(get(state, "value")) or "UNKNOWN",
        previous_state=clean(get(previous, "value")),
        reason=clean(get(state, "reason")) or "",
        timestamp=timestamp,
        period_seconds=period,
        window_start=window_start,
        window_end=window_end,
        description=clean(get(config, "description")),
        metrics=_metric_ids(config),
        source=source,
    )


def is_record(obj: Any) -> bool:
    return isinstance(obj, dict) and get(obj, "eventName") is not None and get(obj, "eventSource") is not None


def is_sqs_batch(event: Any) -> bool:
    records = event.get("Records") if isinstance(event, dict) else None
    return (
        isinstance(records, list)
        and bool(records)
        and all(isinstance(r, dict) and get(r, "eventSource") == "aws:sqs" for r in records)
    )


def is_destination_record(obj: Any) -> bool:
    """A Lambda on-failure destination record (the original event is its ``requestPayload``)."""
    return isinstance(obj, dict) and isinstance(obj.get("requestContext"), dict) and "requestPayload" in obj


def parse_message(record: dict[str, Any], index: int) -> Message:
    """One SQS message: its body parsed (destination records unwrapped), or the reason it cannot be."""
    message_id = clean(get(record, "messageId")) or f"message-{index}"
    body = get(record, "body")
    if not isinstance(body, str):
        return Message(message_id, None, f"body is {type(body).__name__}, not text", repr(body)[:EXCERPT_CHARS])
    excerpt = body[:EXCERPT_CHARS]
    size = len(body.encode("utf-8", "replace"))
    if size > MAX_BODY_BYTES:
        return Message(message_id, None, f"oversized body: {size} bytes (over {MAX_BODY_BYTES})", excerpt)
    try:
        payload = json.loads(body)
    except ValueError as exc:
        return Message(message_id, None, f"body is not JSON (truncated?): {exc}", excerpt)
    unwrapped = 0
    while is_destination_record(payload) and unwrapped < MAX_UNWRAP:
        payload = payload["requestPayload"]
        unwrapped += 1
    if is_sqs_batch(payload):
        return Message(message_id, None, "body is itself an SQS batch", excerpt, unwrapped)
    parsed = parse_event(payload)
    if parsed.kind == "unknown":
        return Message(
            message_id,
            None,
            "unrecognised body (neither an alarm, an EventBridge event nor a record)",
            excerpt,
            unwrapped,
        )
    return Message(message_id, parsed, None, "", unwrapped)


def parse_event(event: Any) -> Parsed:
    """Recognise which of the inputs ``event`` is."""
    if not isinstance(event, dict):
        return Parsed(kind="unknown", source=type(event).__name__)
    if is_sqs_batch(event):
        messages = [parse_message(r, i) for i, r in enumerate(event["Records"])]
        return Parsed(kind="sqs", source="sqs", messages=messages)
    if isinstance(get(event, "alarmData"), dict):
        return Parsed(kind="alarm", alarm=parse_alarm(event), source="cloudwatch-alarm")
    if is_alarm_state_change(event):
        return Parsed(kind="alarm", alarm=parse_alarm_state_change(event), source="eventbridge-alarm")
    detail = event.get("detail")
    if isinstance(detail, dict) and is_record(detail):
        return Parsed(kind="records", records=[detail], source="eventbridge")
    # An EventBridge event whose detail is not a CloudTrail record (no eventSource/eventName) is not from our
    # rule: "unknown", mailed as a fallback rather than ignored.
    if is_record(event):
        return Parsed(kind="records", records=[event], source="cloudtrail")
    records = event.get("Records")
    if isinstance(records, list):
        return Parsed(kind="records", records=[r for r in records if is_record(r)], source="cloudtrail")
    return Parsed(kind="unknown", source="unrecognised")
