"""Lambda entry point: parse the event, read live bucket state, assess, mail. I/O lives here only.

``lambda_handler`` never raises except when the SNS publish itself fails (so Lambda retries and the
on-failure destination catches it) or when the topic ARN is missing/invalid (nothing can be mailed).
Any other failure publishes a fallback message with what is known. Log lines are JSON on stdout.
"""

from __future__ import annotations

import json
import os
import re
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ansible_collections.bucketguard.visibility.plugins.module_utils import cloudtrail, exposure
from ansible_collections.bucketguard.visibility.plugins.module_utils.bucket_state import (
    error_code,
    read_account_pab,
    read_bucket_state,
    read_policy_status,
)
from ansible_collections.bucketguard.visibility.plugins.module_utils.cloudtrail import Change

from . import events, message
from .events import Alarm

TOPIC_ARN_RE = re.compile(r"^arn:aws[a-zA-Z-]*:sns:([a-z0-9-]+):(\d{12}):[A-Za-z0-9_-]{1,256}(\.fifo)?$")
LOG_GROUP_RE = re.compile(r"^[\.\-_/#A-Za-z0-9]{1,512}$")
FULL_BLOCK = {flag: True for flag in exposure.PAB_FLAGS}
MAX_DEDUP_LOOKUPS = 200

ClientFactory = Callable[[str, str | None], Any]


class ConfigError(ValueError):
    """Invalid environment configuration; the message names the variable."""


@dataclass(frozen=True)
class Config:
    topic_arn: str
    topic_region: str
    log_group: str | None
    lookback_minutes: int
    allowlist: tuple[str, ...]
    allow_tag_key: str
    allow_tag_value: str
    remediate: bool
    fast_path: bool
    notifier_log_group: str
    max_records: int
    account_names: Mapping[str, str] = field(default_factory=dict)

    @property
    def allow_tag(self) -> tuple[str, str]:
        return self.allow_tag_key, self.allow_tag_value


def log(event: str, **fields: Any) -> None:
    print(json.dumps({"bucketguard": event, **fields}, default=str, sort_keys=True), flush=True)


# --------------------------------------------------------------------------- configuration


def topic_from_env(env: Mapping[str, str]) -> tuple[str, str]:
    arn = (env.get("BUCKETGUARD_TOPIC_ARN") or "").strip()
    match = TOPIC_ARN_RE.match(arn)
    if not match:
        raise ConfigError(f"BUCKETGUARD_TOPIC_ARN must be an SNS topic ARN, got {arn!r}")
    return arn, match.group(1)


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str) -> bool:
    raw = (env.get(name) or "false").strip().lower()
    if raw not in ("true", "false"):
        raise ConfigError(f"{name} must be 'true' or 'false', got {raw!r}")
    return raw == "true"


def load_config(env: Mapping[str, str]) -> Config:
    """Validate every BUCKETGUARD_* variable; raise ConfigError naming the first bad one."""
    topic_arn, topic_region = topic_from_env(env)
    log_group = (env.get("BUCKETGUARD_LOG_GROUP") or "").strip() or None
    if log_group and not LOG_GROUP_RE.match(log_group):
        raise ConfigError(f"BUCKETGUARD_LOG_GROUP is not a valid log group name: {log_group!r}")
    notifier_group = (env.get("BUCKETGUARD_NOTIFIER_LOG_GROUP") or "").strip() or "/aws/lambda/bucketguard-notifier"
    if not LOG_GROUP_RE.match(notifier_group):
        raise ConfigError(f"BUCKETGUARD_NOTIFIER_LOG_GROUP is not a valid log group name: {notifier_group!r}")
    tag = (env.get("BUCKETGUARD_ALLOW_TAG") or "").strip() or "bucketguard:public=approved"
    if "=" not in tag or not tag.split("=", 1)[0].strip():
        raise ConfigError(f"BUCKETGUARD_ALLOW_TAG must look like key=value, got {tag!r}")
    tag_key, tag_value = (part.strip() for part in tag.split("=", 1))
    allowlist = tuple(p.strip() for p in (env.get("BUCKETGUARD_ALLOWLIST") or "").split(",") if p.strip())
    try:
        account_names = message.parse_account_names(env.get("BUCKETGUARD_ACCOUNT_NAMES"))
    except ValueError as exc:
        raise ConfigError(f"BUCKETGUARD_ACCOUNT_NAMES {exc}") from None
    return Config(
        topic_arn=topic_arn,
        topic_region=topic_region,
        log_group=log_group,
        lookback_minutes=_int(env, "BUCKETGUARD_LOOKBACK_MINUTES", 15, 0, 1440),
        allowlist=allowlist,
        allow_tag_key=tag_key,
        allow_tag_value=tag_value,
        remediate=_bool(env, "BUCKETGUARD_REMEDIATE"),
        fast_path=_bool(env, "BUCKETGUARD_FAST_PATH"),
        notifier_log_group=notifier_group,
        max_records=_int(env, "BUCKETGUARD_MAX_RECORDS", 10000, 1, 1_000_000),
        account_names=account_names,
    )


# --------------------------------------------------------------------------- AWS clients (lazy)


def default_client_factory() -> ClientFactory:
    cache: dict[tuple[str, str | None], Any] = {}

    def factory(service: str, region: str | None) -> Any:
        key = (service, region)
        if key not in cache:
            import boto3  # imported lazily: no client, and no boto3 cost, at import time
            from botocore.config import Config as BotoConfig

            cache[key] = boto3.client(
                service, region_name=region, config=BotoConfig(retries={"max_attempts": 4, "mode": "standard"})
            )
        return cache[key]

    return factory


# --------------------------------------------------------------------------- CloudTrail records from the log group


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


# The record search is derived from the contract's one list of watched calls.
trail_filter_pattern = cloudtrail.record_search_pattern


def fetch_records(logs: Any, log_group: str, start: datetime, end: datetime, limit: int) -> tuple[list[dict], bool]:
    """CloudTrail records in [start, end], de-duplicated by eventID, at most ``limit``; (records, truncated)."""
    records: list[dict] = []
    seen: set[str] = set()
    kwargs: dict[str, Any] = {
        "logGroupName": log_group,
        "startTime": _ms(start),
        "endTime": _ms(end),
        "filterPattern": trail_filter_pattern(),
    }
    while True:
        page = logs.filter_log_events(**kwargs)
        for item in page.get("events", []):
            record = cloudtrail.load_json(item.get("message"))
            if not isinstance(record, dict):
                continue
            event_id = cloudtrail.clean(record.get("eventID")) or item.get("eventId")
            if event_id in seen:
                continue
            seen.add(event_id)
            records.append(record)
            if len(records) >= limit:
                return records, True
        token = page.get("nextToken")
        if not token or token == kwargs.get("nextToken"):
            return records, False
        kwargs["nextToken"] = token


def _log_mentions_event(text: Any, event_id: str) -> bool:
    if not isinstance(text, str) or "{" not in text:
        return False
    payload = cloudtrail.load_json(text[text.index("{") :].strip())
    return (
        isinstance(payload, dict) and payload.get("bucketguard") == "reported" and payload.get("event_id") == event_id
    )


def already_reported(logs: Any, log_group: str, event_id: str, start: datetime, end: datetime) -> bool:
    """Did the fast path log ``reported`` for this eventID? Any failure counts as "no" (mail it again)."""
    try:
        kwargs: dict[str, Any] = {
            "logGroupName": log_group,
            "startTime": _ms(start),
            "endTime": _ms(end),
            "filterPattern": f'{{ $.event_id = "{event_id}" }}',
        }
        for _ in range(10):
            page = logs.filter_log_events(**kwargs)
            if any(_log_mentions_event(item.get("message"), event_id) for item in page.get("events", [])):
                return True
            token = page.get("nextToken")
            if not token:
                return False
            kwargs["nextToken"] = token
    except Exception as exc:  # a lookup failure must not lose the alert
        log("dedup_lookup_failed", event_id=event_id, error=error_code(exc))
    return False


# --------------------------------------------------------------------------- the pipeline


class Notifier:
    """One invocation's work, with injectable clients (tests pass moto-backed ones)."""

    def __init__(self, config: Config, client: ClientFactory, now: Callable[[], datetime] | None = None):
        self.config = config
        self.client = client
        self.now = now or (lambda: datetime.now(UTC))
        self._account_pab: dict[str, tuple[Any, list[str]]] = {}

    def publish(self, note: message.Notification) -> str:
        sns = self.client("sns", self.config.topic_region)
        response = sns.publish(
            TopicArn=self.config.topic_arn,
            Subject=note.subject,
            Message=note.body,
            MessageAttributes=note.sns_attributes(),
        )
        log("published", severity=note.severity, subject=note.subject, message_id=response.get("MessageId"))
        return response.get("MessageId", "")

    def enrich(self, report: message.BucketReport) -> None:
        region = report.region or (report.changes[0].region if report.changes else None)
        if report.bucket is None:
            return
        account = report.account_id or ""
        if account not in self._account_pab:
            errors: list[str] = []
            value = read_account_pab(self.client("s3control", region), report.account_id, errors)
            self._account_pab[account] = (value, errors)
        account_pab, account_errors = self._account_pab[account]
        s3 = self.client("s3", region)
        state = read_bucket_state(s3, report.bucket, account_pab)
        if state.missing:
            report.state_error = "; ".join(state.errors)
            report.state_missing = True
            return
        errors = account_errors + state.errors
        result = self.second_opinion(s3, report, state.state, errors)
        report.block_public_access = exposure.block_public_access_summary(state.state)
        report.state_error = "; ".join(errors) or None
        certain = exposure.verdict_is_certain(result, errors)
        if certain:
            report.assessment = result
        report.allowlisted = exposure.allowlist_reason(
            report.bucket, state.tags, self.config.allowlist, self.config.allow_tag_key, self.config.allow_tag_value
        )
        # Unreadable or uncertain state: the request's own verdict stands (an attacker can deny our reads).
        public = result["public"] or (not certain and message.public_unconfirmed(report))
        if self.config.remediate and public and not report.allowlisted:
            report.remediation = self.remediate(s3, report.bucket, state.state)

    def second_opinion(self, s3: Any, report: message.BucketReport, state: dict[str, Any], errors: list[str]) -> dict:
        """``assess`` merged with S3's GetBucketPolicyStatus; a disagreement is logged (and told in the email)."""
        status = read_policy_status(s3, report.bucket or "", errors)
        report.policy_status = status
        merged = exposure.judge(state, errors, status)
        if merged["policy_status_disagrees"]:
            ours = "public" if merged["policy_status_disagrees"] == "rules-public" else "not public"
            log(
                "policy_status_disagrees",
                bucket=report.bucket,
                ours=ours,
                s3="public" if status else "not public",
                public=merged["public"],
            )
        return merged

    def remediate(self, s3: Any, bucket: str, state: dict[str, Any]) -> str:
        try:
            s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=dict(FULL_BLOCK))
        except Exception as exc:
            log("remediation_failed", bucket=bucket, error=error_code(exc))
            return message.remediation_failed(error_code(exc))
        after = exposure.assess({**state, "public_access_block": dict(FULL_BLOCK)})
        log("remediated", bucket=bucket, public_after=after["public"])
        return message.remediation_done(self.now(), after["public"])

    def report_changes(self, changes: list[Change], alarm: Alarm | None, notes: list[str]) -> message.Notification:
        reports = message.group_changes(changes)
        for report in reports:
            try:
                self.enrich(report)
            except Exception as exc:  # unknown state beats a lost alert
                report.state_error = f"{type(exc).__name__}: {exc}"
                log("enrich_failed", bucket=report.bucket, error=report.state_error)
        return message.build_message(
            reports,
            alarm=alarm,
            notes=notes,
            allow_tag=f"{self.config.allow_tag_key}={self.config.allow_tag_value}",
            account_names=self.config.account_names,
        )

    def handle_alarm(self, alarm: Alarm) -> dict[str, Any]:
        if alarm.state != "ALARM":
            log("alarm_ignored", alarm=alarm.name, state=alarm.state)
            return {"status": "ignored", "reason": f"alarm state {alarm.state}"}
        if not self.config.log_group:
            raise ConfigError("BUCKETGUARD_LOG_GROUP is required for the alarm path and is not set")
        now = self.now()
        margin = timedelta(minutes=self.config.lookback_minutes)
        start = (alarm.window_start or now) - margin
        end = max(alarm.window_end or now, now)
        home = alarm.region or os.environ.get("AWS_REGION")
        records, truncated = fetch_records(
            self.client("logs", home), self.config.log_group, start, end, self.config.max_records
        )
        changes = cloudtrail.classify_all(records, self.config.allow_tag)
        notes = [
            message.search_notes(self.config.log_group, start, end, self.config.lookback_minutes),
            message.records_note(self.config.log_group, len(records), len(changes)),
        ]
        if truncated:
            notes.append(message.truncated_note(self.config.max_records))
        log("alarm_records", alarm=alarm.name, records=len(records), changes=len(changes), truncated=truncated)
        if self.config.fast_path and changes:
            kept = self._drop_reported(changes, start, end, home)
            skipped = len(changes) - len(kept)
            if skipped:
                notes.append(message.skipped_note(skipped))
            if changes and not kept:
                log("alarm_all_reported", alarm=alarm.name, skipped=skipped)
                return {"status": "deduplicated", "skipped": skipped}
            changes = kept
        if not changes:
            note = message.build_no_records_message(alarm, notes)
            return {"status": "published", "message_id": self.publish(note), "severity": note.severity}
        note = self.report_changes(changes, alarm, notes)
        return {"status": "published", "message_id": self.publish(note), "severity": note.severity}

    def _drop_reported(self, changes: list[Change], start: datetime, end: datetime, home: str | None) -> list[Change]:
        """Leave out the changes the fast path already reported (one notifier per account: its log group
        is in the home region, whatever region the change was made in)."""
        kept = []
        logs = self.client("logs", home)
        for index, change in enumerate(changes):
            if (
                change.event_id
                and index < MAX_DEDUP_LOOKUPS
                and already_reported(logs, self.config.notifier_log_group, change.event_id, start, end)
            ):
                log("dedup_skip", event_id=change.event_id)
                continue
            kept.append(change)
        return kept

    def handle_records(self, records: list[dict[str, Any]], source: str) -> dict[str, Any]:
        changes = cloudtrail.classify_all(records, self.config.allow_tag)
        if not changes:
            log("records_ignored", source=source, records=len(records))
            return {"status": "ignored", "reason": "no exposure-changing record"}
        note = self.report_changes(changes, None, [])
        message_id = self.publish(note)
        if source == "eventbridge":
            for change in changes:
                if change.event_id:
                    log(
                        "reported",
                        event_id=change.event_id,
                        event_name=change.event_name,
                        bucket=change.bucket,
                        severity=note.severity,
                        message_id=message_id,
                    )
        return {"status": "published", "message_id": message_id, "severity": note.severity}


def _account_hint(event: Any) -> str | None:
    if isinstance(event, dict):
        for key in ("accountId", "account", "recipientAccountId"):
            value = event.get(key)
            if isinstance(value, str) and value:
                return value
    return None


def process(
    event: Any, env: Mapping[str, str], client: ClientFactory, now: Callable[[], datetime] | None = None
) -> Any:
    """The whole invocation; separated from lambda_handler for tests and the benchmark."""
    topic_arn, topic_region = topic_from_env(env)  # no topic, nothing to mail: raise
    parsed: events.Parsed | None = None
    try:
        config = load_config(env)
        notifier = Notifier(config, client, now)
        parsed = events.parse_event(event)
        log("received", kind=parsed.kind, source=parsed.source)
        if parsed.kind == "alarm" and parsed.alarm is not None:
            return notifier.handle_alarm(parsed.alarm)
        if parsed.kind == "records":
            return notifier.handle_records(parsed.records, parsed.source)
        error = "unrecognised event (neither a CloudWatch alarm action, an EventBridge CloudTrail event nor a record)"
        note = message.build_fallback_message(error, event, severity_=message.WARNING, account=_account_hint(event))
    except Exception as exc:  # never lose an alert (a failed publish is retried once as fallback)
        log("processing_failed", error=f"{type(exc).__name__}: {exc}", trace=traceback.format_exc(limit=5))
        alarm = parsed.alarm if parsed else None
        if alarm is not None and alarm.state != "ALARM" and not isinstance(exc, ConfigError):
            return {"status": "ignored", "reason": f"alarm state {alarm.state}"}
        note = message.build_fallback_message(
            f"{type(exc).__name__}: {exc}", event, alarm, account=_account_hint(event)
        )
    fallback = Notifier(
        Config(topic_arn, topic_region, None, 15, (), "", "", False, False, "", 1),
        client,
        now,
    )
    try:
        return {"status": "fallback", "message_id": fallback.publish(note), "severity": note.severity}
    except Exception as exc:
        log("publish_failed", error=error_code(exc))
        raise PublishError(f"could not publish to {topic_arn}: {exc}") from exc


class PublishError(RuntimeError):
    """Publishing to SNS failed: raised so Lambda retries and the on-failure destination keeps the event."""


_CLIENTS: ClientFactory | None = None


def lambda_handler(event: Any, context: Any = None) -> Any:
    global _CLIENTS
    if _CLIENTS is None:
        _CLIENTS = default_client_factory()
    started = time.perf_counter()
    result = process(event, os.environ, _CLIENTS)
    log("done", status=result.get("status"), ms=round((time.perf_counter() - started) * 1000, 1))
    return result


def iter_reported_ids(lines: Iterable[str]) -> list[str]:
    """event_ids in ``reported`` log lines (used by tests and by operators grepping logs)."""
    out = []
    for line in lines:
        payload = cloudtrail.load_json(line[line.index("{") :]) if "{" in line else None
        if isinstance(payload, dict) and payload.get("bucketguard") == "reported":
            out.append(str(payload.get("event_id")))
    return out
