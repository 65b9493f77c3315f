"""Email text for SNS (pure, no boto3).

Subject: ASCII, under 100 characters, no line breaks (SNS rules), leading with the verdict.
Body: plain text, what happened / who / when (UTC) / where / verdict now and why / what to do, raw records last,
capped so that the whole message stays well under SNS's 256 KiB limit.
Message attributes: severity, account, region, bucket (String) so subscribers can filter.

Severities (most severe first):
  CRITICAL  the bucket is public now and is not allow-listed
  WARNING   protection was loosened but the bucket is not public (or its state could not be read)
  NOTICE    the bucket is allow-listed (intentionally public); reported anyway
  INFO      protection was tightened / the bucket is not public
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.bucketguard.visibility.plugins.module_utils.cloudtrail import LOOSENS, TIGHTENS, Change, iso

from .events import Alarm

CRITICAL, WARNING, NOTICE, INFO = "CRITICAL", "WARNING", "NOTICE", "INFO"
SEVERITY_ORDER = (CRITICAL, WARNING, NOTICE, INFO)
SUBJECT_MAX = 99
BODY_MAX_BYTES = 200_000
MAX_BUCKETS_IN_BODY = 20
MAX_CHANGES_PER_BUCKET = 10
ACCOUNT_LEVEL = "(account-level)"


@dataclass
class BucketReport:
    """Everything known about one bucket (or one account, for account-level calls) in this notification."""

    account_id: str | None
    region: str | None
    bucket: str | None
    changes: list[Change]
    assessment: dict[str, Any] | None = None
    state_error: str | None = None
    allowlisted: str | None = None
    remediation: str | None = None
    block_public_access: str | None = None


@dataclass
class Notification:
    subject: str
    body: str
    severity: str
    attributes: dict[str, str] = field(default_factory=dict)

    def sns_attributes(self) -> dict[str, dict[str, str]]:
        return {k: {"DataType": "String", "StringValue": v} for k, v in self.attributes.items() if v}


def group_changes(changes: Iterable[Change]) -> list[BucketReport]:
    """One report per (account, region, bucket); account-level changes form one report per account."""
    groups: dict[tuple[str | None, str | None, str | None], list[Change]] = {}
    for change in changes:
        key = (change.account_id, None if change.account_level else change.region, change.bucket)
        groups.setdefault(key, []).append(change)
    return [
        BucketReport(account_id=a, region=r, bucket=b, changes=sorted(c, key=lambda x: x.event_time or ""))
        for (a, r, b), c in groups.items()
    ]


def net_effect(report: BucketReport) -> str | None:
    """The direction of the latest change that had one (changes are in time order): a bucket
    opened and locked down again within one window ends "tightens"."""
    directed = [c.effect for c in report.changes if c.effect in (LOOSENS, TIGHTENS)]
    return directed[-1] if directed else None


def severity(report: BucketReport) -> str:
    loosened = net_effect(report) == LOOSENS
    if report.allowlisted:
        return NOTICE
    if report.assessment is not None and report.assessment.get("public"):
        return CRITICAL
    if loosened:
        return WARNING
    return INFO


def _rank(report: BucketReport) -> int:
    return SEVERITY_ORDER.index(severity(report))


def ascii_text(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii")


def _subject_line(report: BucketReport, sev: str) -> tuple[str, str, str]:
    """(tag, bucket part, rest) of the subject for the most severe report."""
    via = "+".join(report.assessment.get("via", [])) if report.assessment else ""
    where = f"({report.account_id or 'unknown account'}{' ' + report.region if report.region else ''})"
    if report.bucket is None:
        if not any(c.account_level for c in report.changes):
            points = sorted({c.access_point or "?" for c in report.changes})
            return f"[{sev}]", "", f"access point {', '.join(points)} changed {where}"
        text = "account Block Public Access " + ("loosened" if sev == WARNING else "changed")
        return f"[{sev}]", "", f"{text} {where}"
    target = f"s3://{report.bucket}"
    if sev == CRITICAL:
        return "[PUBLIC]", target, f"exposed via {via} {where}"
    if sev == NOTICE:
        verdict = f"public via {via}" if via else "changed"
        return "[NOTICE]", target, f"allow-listed, {verdict} {where}"
    if sev == WARNING:
        state = "state unknown" if report.assessment is None else "not public"
        return "[WARNING]", target, f"protection loosened, {state} {where}"
    state = "state unknown" if report.assessment is None else "not public"
    done = "locked down" if net_effect(report) == TIGHTENS else "changed"
    return "[INFO]", target, f"{done}, {state} {where}"


def build_subject(tag: str, target: str, rest: str, more: int = 0) -> str:
    """Join the parts and make the result valid for SNS: ASCII, one line, at most SUBJECT_MAX characters."""
    suffix = f" +{more} more" if more else ""
    tag, target, rest = (ascii_text(" ".join(p.split())) for p in (tag, target, rest))
    subject = " ".join(p for p in (tag, target, rest) if p) + suffix
    if len(subject) > SUBJECT_MAX and "(" in rest:
        rest = rest[: rest.rfind("(")].rstrip()
        subject = " ".join(p for p in (tag, target, rest) if p) + suffix
    if len(subject) > SUBJECT_MAX and target:
        room = max(8, len(target) - (len(subject) - SUBJECT_MAX) - 3)
        target = target[:room] + "..."
        subject = " ".join(p for p in (tag, target, rest) if p) + suffix
    return subject[:SUBJECT_MAX]


def _links(report: BucketReport, change: Change | None) -> list[str]:
    region = report.region or (change.region if change else None) or "us-east-1"
    out = []
    if report.bucket:
        out.append(
            f"Bucket permissions: https://{region}.console.aws.amazon.com/s3/buckets/{report.bucket}"
            f"?region={region}&tab=permissions"
        )
    else:
        out.append(f"Account Block Public Access: https://{region}.console.aws.amazon.com/s3/settings?region={region}")
    if change and change.event_id:
        ev_region = change.region or region
        out.append(
            f"CloudTrail event: https://{ev_region}.console.aws.amazon.com/cloudtrailv2/home"
            f"?region={ev_region}#/events/{change.event_id}"
        )
    return out


def _next_steps(report: BucketReport, sev: str) -> list[str]:
    if sev == CRITICAL and report.remediation:
        return [
            "Confirm with the actor whether exposure was intended.",
            "If it was, add the bucket to the allow-list (tag it) instead of disabling Block Public Access.",
        ]
    if sev == CRITICAL:
        return [
            "If this exposure is not intended: turn on all four Block Public Access settings for the bucket now.",
            "Then remove the public policy statement / ACL grant and ask the actor why it was made.",
            "If it is intended: tag the bucket with the allow tag so future changes are reported as NOTICE.",
        ]
    if sev == WARNING and report.bucket is None:
        return ["Account-wide protection was loosened: check that it was intended and turn it back on if not."]
    if sev == WARNING:
        return ["Protection was loosened but the bucket is not public yet: check that this was intended."]
    if sev == NOTICE:
        return ["No action needed if the bucket is still meant to be public."]
    return ["No action needed."]


def _describe_change(change: Change) -> list[str]:
    what = change.event_name + (f" on object {change.key!r}" if change.key else "")
    what += f" (access point {change.access_point})" if change.access_point else ""
    lines = [
        f"  - {what}: {change.detail} [{change.effect}]",
        f"    who:   {change.actor}",
        f"    when:  {change.event_time or 'unknown'} (UTC)",
        f"    from:  {change.source_ip or 'unknown'}" + (f" using {change.user_agent}" if change.user_agent else ""),
        f"    event: {change.event_id or 'unknown'}",
    ]
    return lines


def _report_section(report: BucketReport) -> list[str]:
    sev = severity(report)
    title = f"s3://{report.bucket}" if report.bucket else f"Account {report.account_id or 'unknown'} (all buckets)"
    lines = [f"== {sev}: {title}", f"Account {report.account_id or 'unknown'}, region {report.region or 'n/a'}", ""]
    lines.append("What happened:")
    shown = report.changes[:MAX_CHANGES_PER_BUCKET]
    for change in shown:
        lines.extend(_describe_change(change))
    if len(report.changes) > len(shown):
        lines.append(f"  ... and {len(report.changes) - len(shown)} more changes to this bucket")
    lines.append("")
    if report.bucket is None and not any(c.account_level for c in report.changes):
        lines.append("Verdict now: not assessed - the call names an access point, not a bucket.")
    elif report.bucket is None:
        lines.append("Verdict now: account-level setting; every bucket in the account is affected.")
    elif report.assessment is None:
        lines.append(
            f"Verdict now: UNKNOWN - the bucket's state could not be read ({report.state_error or 'no data'})."
        )
    else:
        verdict = "PUBLIC via " + ", ".join(report.assessment["via"]) if report.assessment["public"] else "not public"
        lines.append(f"Verdict now: {verdict}")
        lines.extend(f"  - {reason}" for reason in report.assessment.get("reasons", []))
        if report.state_error:
            lines.append(f"  (partly unknown: {report.state_error})")
    if report.block_public_access:
        lines.append(f"Block Public Access: {report.block_public_access}")
    if report.allowlisted:
        lines.append(f"Allow-listed: {report.allowlisted}")
    if report.remediation:
        lines.append(f"Remediation: {report.remediation}")
    lines.append("")
    lines.append("What to do:")
    lines.extend(f"  - {step}" for step in _next_steps(report, sev))
    lines.extend(f"  {link}" for link in _links(report, report.changes[0] if report.changes else None))
    lines.append("")
    return lines


def _alarm_lines(alarm: Alarm | None) -> list[str]:
    if alarm is None:
        return []
    return [
        f"Alarm: {alarm.name} ({alarm.state}, was {alarm.previous_state or 'unknown'})"
        f" at {iso(alarm.timestamp) or '?'} (UTC)",
        f"Alarm reason: {alarm.reason or 'n/a'}",
        f"Alarm window: {iso(alarm.window_start) or '?'} .. {iso(alarm.window_end) or '?'} (UTC)",
    ]


def _raw_section(records: list[dict[str, Any]], budget: int) -> list[str]:
    lines = ["", "---- Raw CloudTrail records ----"]
    used = 0
    for index, record in enumerate(records):
        text = json.dumps(record, sort_keys=True, default=str)
        if used + len(text) > budget:
            lines.append(f"[truncated: {len(records) - index} of {len(records)} raw records left out (size limit)]")
            break
        lines.append(text)
        used += len(text) + 1
    return lines


def _fit(lines: list[str], raw: list[dict[str, Any]]) -> str:
    body = "\n".join(lines)
    budget = BODY_MAX_BYTES - len(body.encode("utf-8")) - 200
    if budget < 0:
        body = body.encode("utf-8")[: BODY_MAX_BYTES - 200].decode("utf-8", "ignore") + "\n[truncated: size limit]"
        budget = 0
    return body + "\n" + "\n".join(_raw_section(raw, budget))


def build_message(
    reports: list[BucketReport], alarm: Alarm | None = None, notes: list[str] | None = None
) -> Notification:
    """One digest for all reports, most severe bucket first."""
    reports = sorted(reports, key=_rank)
    top = reports[0]
    sev = severity(top)
    subject = build_subject(*_subject_line(top, sev), more=len(reports) - 1)
    critical = sum(1 for r in reports if severity(r) == CRITICAL)
    lines = [
        f"bucketguard: {len(reports)} bucket(s)/account(s) with exposure-relevant changes; "
        f"{critical} public now and not allow-listed.",
        *_alarm_lines(alarm),
        *(notes or []),
        "",
    ]
    for report in reports[:MAX_BUCKETS_IN_BODY]:
        lines.extend(_report_section(report))
    if len(reports) > MAX_BUCKETS_IN_BODY:
        rest = reports[MAX_BUCKETS_IN_BODY:]
        lines.append(f"... and {len(rest)} more: " + ", ".join(r.bucket or ACCOUNT_LEVEL for r in rest[:50]))
    raw = [c.record for r in reports for c in r.changes]
    regions = sorted({r.region for r in reports if r.region})
    attributes = {
        "severity": sev,
        "account": top.account_id or "unknown",
        "region": top.region or (regions[0] if regions else "unknown"),
        "bucket": top.bucket or ACCOUNT_LEVEL,
    }
    return Notification(subject=subject, body=_fit(lines, raw), severity=sev, attributes=attributes)


def build_no_records_message(alarm: Alarm, notes: list[str] | None = None) -> Notification:
    """The alarm fired but no exposure-changing record was found (yet): say so, never drop it."""
    subject = build_subject("[WARNING]", "", f"{alarm.name} fired, no matching CloudTrail records yet")
    lines = [
        "The bucket visibility alarm fired, but no successful exposure-changing S3 call was found in the trail's",
        "log group for the alarm window. CloudTrail can deliver records up to ~15 minutes late; check the trail",
        "and the metric filter if this repeats.",
        "",
        *_alarm_lines(alarm),
        *(notes or []),
        "",
        f"Alarm ARN: {alarm.arn or 'unknown'}",
        f"Alarm description: {alarm.description or 'n/a'}",
    ]
    attributes = {"severity": WARNING, "account": alarm.account_id or "unknown", "region": alarm.region or "unknown"}
    return Notification(subject=subject, body="\n".join(lines), severity=WARNING, attributes=attributes)


def build_fallback_message(
    error: str, event: Any, alarm: Alarm | None = None, severity_: str = CRITICAL, account: str | None = None
) -> Notification:
    """Enrichment failed: send what is known (the error, the alarm, the raw event)."""
    what = alarm.name if alarm else "S3 visibility event"
    subject = build_subject("[BUCKETGUARD]", "", f"could not fully process {what}")
    try:
        raw = json.dumps(event, sort_keys=True, default=str, indent=1)
    except (TypeError, ValueError):
        raw = repr(event)
    if len(raw) > BODY_MAX_BYTES // 2:
        raw = raw[: BODY_MAX_BYTES // 2] + "\n[truncated: size limit]"
    lines = [
        "bucketguard received an event it could not fully process. Check it by hand:",
        f"Error: {error}",
        *_alarm_lines(alarm),
        "",
        "---- Raw event ----",
        raw,
    ]
    attributes = {
        "severity": severity_,
        "account": account or (alarm.account_id if alarm else None) or "unknown",
        "region": (alarm.region if alarm else None) or "unknown",
    }
    return Notification(subject=subject, body="\n".join(lines), severity=severity_, attributes=attributes)
