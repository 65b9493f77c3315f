"""Recognise what the notifier was invoked with (pure, no boto3).

Inputs the function receives:

* the CloudWatch alarm's Lambda action event (``{"source": "aws.cloudwatch", "alarmData": {...}}``),
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-actions-Lambda.html
* an EventBridge "AWS API Call via CloudTrail" event (``{"detail-type": ..., "detail": <record>}``),
  https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html
* a bare CloudTrail record, or ``{"Records": [...]}`` as in a CloudTrail log file,
  https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html

What a record means (the watched calls, ``classify``) is the collection's contract, in
``plugins/module_utils/cloudtrail.py``; the Lambda package carries that file at the same import path.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Parsed:
    """Normalised input: ``kind`` is "alarm", "records" (EventBridge or CloudTrail) or "unknown"."""

    kind: str
    alarm: Alarm | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    source: str = ""


# --------------------------------------------------------------------------- input parsing


def parse_alarm(event: dict[str, Any]) -> Alarm:
    data = get(event, "alarmData")
    data = data if isinstance(data, dict) else {}
    state = get(data, "state")
    state = state if isinstance(state, dict) else {}
    previous = get(data, "previousState")
    previous = previous if isinstance(previous, dict) else {}
    config = get(data, "configuration")
    config = config if isinstance(config, dict) else {}
    timestamp = parse_time(get(state, "timestamp")) or parse_time(get(event, "time"))
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
    arn = clean(get(event, "alarmArn"))
    region = clean(get(event, "region"))
    if not region and arn and arn.count(":") >= 4:
        region = arn.split(":")[3] or None
    return Alarm(
        name=clean(get(data, "alarmName")) or (arn.rsplit(":", 1)[-1] if arn else "unknown alarm"),
        arn=arn,
        account_id=clean(get(event, "accountId")),
        region=region,
        state=clean(get(state, "value")) or "UNKNOWN",
        previous_state=clean(get(previous, "value")),
        reason=clean(get(state, "reason")) or "",
        timestamp=timestamp,
        period_seconds=period,
        window_start=window_start,
        window_end=window_end,
        description=clean(get(config, "description")),
    )


def is_record(obj: Any) -> bool:
    return isinstance(obj, dict) and get(obj, "eventName") is not None and get(obj, "eventSource") is not None


def parse_event(event: Any) -> Parsed:
    """Recognise which of the three inputs ``event`` is."""
    if not isinstance(event, dict):
        return Parsed(kind="unknown", source=type(event).__name__)
    if isinstance(get(event, "alarmData"), dict):
        return Parsed(kind="alarm", alarm=parse_alarm(event), source="cloudwatch-alarm")
    detail = event.get("detail")
    if isinstance(detail, dict) and ("detail-type" in event or is_record(detail)):
        return Parsed(kind="records", records=[detail] if is_record(detail) else [], source="eventbridge")
    if is_record(event):
        return Parsed(kind="records", records=[event], source="cloudtrail")
    records = event.get("Records")
    if isinstance(records, list):
        return Parsed(kind="records", records=[r for r in records if is_record(r)], source="cloudtrail")
    return Parsed(kind="unknown", source="unrecognised")
