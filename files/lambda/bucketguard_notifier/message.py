"""Email text for SNS (pure, no boto3).

Subject: ASCII, under 100 characters, no line breaks (SNS rules), leading with the verdict.
Body: plain text, what happened / who / when (UTC) / where / verdict now and why / what to do, raw records last,
capped so that the whole message stays well under SNS's 256 KiB limit.
Message attributes: severity, account, region, bucket (String) so subscribers can filter.

Hostile text: every value that comes from a caller (bucket names, user agents, actors, policy Sids in the
details, keys, access point names, error messages) goes through ``safe``: control characters, line and
paragraph separators and bidi controls are escaped (``\\n``, ``\\u2028``), each value is capped, and it is
only ever interpolated after one of our own fixed line prefixes, so it cannot start a line that looks
like a heading or a verdict. Invalid bucket names are shown quoted and marked. The AWS CLI commands of
"What to do" carry only a bucket name, object key, region and account id that passed a strict check
(S3's naming rules, shell-safe characters); anything else is left out of the command line and the line
says so. CloudTrail records are shortened to what matters (time, call, event id, caller ARN, source
address, request parameters capped, console link) and written as JSON, one per line (``json.dumps``
escapes every control and non-ASCII character; a line starts with ``{``).

Plain text only: SNS email subscriptions deliver the message as a text/plain email, and SNS has no HTML
alternative for them (an HTML email needs another channel, e.g. SES from a subscriber).

Severities (most severe first):
  CRITICAL  the bucket is public now and is not allow-listed, or a call in the window made it public and its
            state now cannot be read or is uncertain (the latest change decides; see ``public_requests``)
  WARNING   protection was loosened but the bucket is not public (or its state could not be read)
  NOTICE    the bucket is allow-listed (intentionally public); reported anyway; or a call set the allow tag
  INFO      protection was tightened / the bucket is not public
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from ansible_collections.bucketguard.visibility.plugins.module_utils.cloudtrail import (
    LOOSENS,
    TIGHTENS,
    Change,
    get,
    iso,
)

from .events import Alarm

CRITICAL, WARNING, NOTICE, INFO = "CRITICAL", "WARNING", "NOTICE", "INFO"
SEVERITY_ORDER = (CRITICAL, WARNING, NOTICE, INFO)
SUBJECT_MAX = 99
BODY_MAX_BYTES = 200_000
MAX_BUCKETS_IN_BODY = 20
MAX_CHANGES_PER_BUCKET = 10
MAX_SUMMARY_LINES = 1000
ACCOUNT_LEVEL = "(account-level)"
FIELD_MAX = 200
REASON_MAX = 1000
RAW_RECORD_MAX = 65_536
REQUEST_MAX = 600  # characters of requestParameters kept in a shortened record
ACCOUNT_NAME_MAX = 50  # AWS account names are 1-50 characters
DEFAULT_ALLOW_TAG = "bucketguard:public=approved"
MAX_COMMAND_OBJECTS = 5
ENFORCED_CLI = "'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'"
FULL_BLOCK_CLI = "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
COMMAND = "    $ "  # every command line starts so; a value refused for a command line gives NOT_A_COMMAND
NOT_A_COMMAND = "    (no command: "

# C0 and C1 controls (with DEL), Unicode line/paragraph separators, bidi and other invisible format controls.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_LEGACY_BUCKET_RE = re.compile(r"[A-Za-z0-9._-]{3,255}")  # us-east-1 buckets created before 2018-03-01
_IP_RE = re.compile(r"\d+\.\d+\.\d+\.\d+")
_REGION_RE = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")
_ACCOUNT_RE = re.compile(r"[0-9]{12}")
# Object keys put in a command line: S3's "safe characters" that are also inert in a POSIX shell.
_KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9/._-]{0,199}")
_UNREAD_LABELS = {
    "BPA": "bucket's Block Public Access settings",
    "account Block Public Access": "account's Block Public Access settings",
    "policy": "bucket's policy",
    "ACL": "bucket's ACL",
    "ownership controls": "bucket's ownership controls",
    "policy status": "bucket's policy status (GetBucketPolicyStatus)",
    "tags": "bucket's tags",
}


def safe(value: Any, limit: int = FIELD_MAX) -> str:
    """A caller-controlled value made safe for one line of the email: escaped, then capped at ``limit``."""
    text = value if isinstance(value, str) else str(value)
    text = _UNSAFE.sub(lambda m: _ESCAPES.get(m.group(), f"\\u{ord(m.group()):04x}"), text)
    if len(text) > limit:
        text = f"{text[:limit]}...(+{len(text) - limit} chars)"
    return text


def bucket_name_valid(name: str) -> bool:
    """S3's bucket naming rules (or the legacy us-east-1 character set); nothing else can be a real bucket."""
    if _BUCKET_RE.fullmatch(name) and ".." not in name and not _IP_RE.fullmatch(name):
        return True
    return bool(_LEGACY_BUCKET_RE.fullmatch(name))


def bucket_label(name: str | None) -> str:
    """The bucket name as shown: as it is when valid, else quoted, escaped and marked."""
    if name is None:
        return "unknown"
    return name if bucket_name_valid(name) else f'"{safe(name, 70)}" (invalid bucket name)'


def plural(count: int, word: str) -> str:
    """ "1 bucket", "2 buckets", "1 change", "3 changes"."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def parse_account_names(raw: str | None) -> dict[str, str]:
    """Account names from their JSON form ``{"111122223333": "prod-web"}``; ValueError says what is wrong."""
    if not raw or not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise ValueError("must be a JSON object of 12-digit account id -> name") from None
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object of 12-digit account id -> name")
    for key, name in value.items():
        if not _ACCOUNT_RE.fullmatch(key):
            raise ValueError(f"has {key!r}, not a 12-digit account id")
        if not isinstance(name, str) or not 1 <= len(name) <= ACCOUNT_NAME_MAX:  # shown through ``safe``
            raise ValueError(f"names account {key} {name!r}: a name is a string of 1-{ACCOUNT_NAME_MAX} characters")
    return dict(value)


def account_label(account_id: str | None, names: Mapping[str, str] | None = None) -> str:
    """ "111122223333 (prod-web)" when the account's name is known, else the id alone."""
    account = safe(account_id or "unknown", 40)
    name = (names or {}).get(account_id or "")
    return f"{account} ({safe(name, ACCOUNT_NAME_MAX)})" if name else account


def command_bucket_ok(name: str | None) -> bool:
    """May this bucket name go into a command line? S3's rules (or the legacy us-east-1 set: letters, digits,
    ``.``, ``_``, ``-``, all inert in a shell), starting with a letter or digit (never read as an option)."""
    return bool(name) and bucket_name_valid(name) and name[0].isalnum()


# --------------------------------------------------------------------------- what the on-call person runs


def _cli_scope(report: BucketReport, owner: bool = True) -> str:
    """``--region`` and ``--expected-bucket-owner`` for a command, each only when the value is well-formed."""
    parts = []
    if report.region and _REGION_RE.fullmatch(report.region):
        parts.append(f"--region {report.region}")
    if owner and report.account_id and _ACCOUNT_RE.fullmatch(report.account_id):
        parts.append(f"--expected-bucket-owner {report.account_id}")
    return (" " + " ".join(parts)) if parts else ""


def bucket_command(report: BucketReport, args: str, tail: str = "") -> str:
    """One ``aws s3api`` command line on the report's bucket, or the line saying why there is none."""
    if not command_bucket_ok(report.bucket):
        return f"{NOT_A_COMMAND}bucket name invalid, not quoted in a command)"
    subcommand, _, rest = args.partition(" ")
    rest = f" {rest}" if rest else ""
    return f"{COMMAND}aws s3api {subcommand} --bucket {report.bucket}{rest}{_cli_scope(report)}{tail}"


def block_public_access_command(report: BucketReport) -> str:
    return bucket_command(report, f"put-public-access-block --public-access-block-configuration {FULL_BLOCK_CLI}")


def _public_vehicles(report: BucketReport) -> list[str]:
    """What makes the bucket public: "policy", "acl" (the verdict's "through what"; for a verdict that could
    not be confirmed, the requests that made it public), and "object-acl <key>" for object ACLs."""
    if report.assessment is not None and report.assessment.get("public"):
        return [v for v in ("policy", "acl") if v in report.assessment.get("via", [])]
    order = {"policy": 0, "acl": 1}
    vehicles = {_vehicle(c) or "" for c in public_requests(report)} - {""}
    return sorted(vehicles, key=lambda v: (order.get(v, 2), v))


def _undo_steps(report: BucketReport) -> list[str]:
    """The "remove what makes it public" steps, each followed by its command lines."""
    lines: list[str] = []
    objects = 0
    for vehicle in _public_vehicles(report):
        if vehicle == "policy":
            lines += [
                '  - Then take the public statement (named under "Verdict now") out of the bucket policy. If the '
                "whole policy can go:",
                bucket_command(report, "delete-bucket-policy"),
                "  - or keep the rest of it: save it, delete that statement from policy.json, and put it back:",
                bucket_command(report, "get-bucket-policy --query Policy --output text", " > policy.json"),
                bucket_command(report, "put-bucket-policy --policy file://policy.json"),
            ]
        elif vehicle == "acl":
            lines += [
                "  - Then reset the bucket ACL to private (only the owner keeps access):",
                bucket_command(report, "put-bucket-acl --acl private"),
            ]
        elif vehicle.startswith("object-acl ") and objects < MAX_COMMAND_OBJECTS:
            objects += 1
            key = vehicle.removeprefix("object-acl ")
            lines.append("  - Then reset the ACL of the object named above to private:")
            if _KEY_RE.fullmatch(key) and ".." not in key:
                lines.append(bucket_command(report, f"put-object-acl --key {key} --acl private"))
            else:
                lines.append(f"{NOT_A_COMMAND}object key has characters a shell would read, not quoted in a command)")
    return lines


def _allow_tag_advice(allow_tag: str) -> str:
    return (
        f"  - If it is intended: add the tag {safe(allow_tag, 300)} to the bucket (keep its other tags: "
        "put-bucket-tagging replaces them all); its later changes are then reported as NOTICE, not CRITICAL."
    )


def allow_tag_changes(report: BucketReport) -> list[Change]:
    """The calls in this report that set the allow tag's key (PutBucketTagging), oldest first."""
    return [c for c in report.changes if c.allow_tag_value is not None]


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
    state_missing: bool = False
    policy_status: bool | None = None


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


def _vehicle(change: Change) -> str | None:
    if change.event_name in ("PutBucketPolicy", "DeleteBucketPolicy"):
        return "policy"
    if change.event_name in ("PutBucketAcl", "CreateBucket"):
        return "acl"
    if change.event_name == "PutObjectAcl":
        return f"object-acl {change.key}"
    return None


def _clears(change: Change) -> bool:
    """Does this call surely undo a public request on its own vehicle (policy, bucket ACL, object ACL)?"""
    if change.event_name == "DeleteBucketPolicy":
        return True
    if change.event_name == "PutBucketPolicy":
        return change.detail.startswith("new policy is not public")
    return change.effect == TIGHTENS


def public_requests(report: BucketReport) -> list[Change]:
    """The calls that made the bucket public by their own request and that no later call undid.

    The latest change decides: a non-public policy put or a policy delete undoes a public policy, a
    non-public ACL undoes a public ACL, turning all four Block Public Access settings on undoes both,
    BucketOwnerEnforced undoes ACLs. Loosening calls never undo anything.
    """
    standing: dict[str, Change] = {}
    for change in report.changes:
        vehicle = _vehicle(change)
        if vehicle and change.request_public:
            standing[vehicle] = change
        elif vehicle and _clears(change):
            standing.pop(vehicle, None)
        elif change.event_name == "PutBucketPublicAccessBlock" and change.effect == TIGHTENS:
            standing.clear()
        elif change.event_name == "PutBucketOwnershipControls" and change.effect == TIGHTENS:
            standing = {k: v for k, v in standing.items() if k == "policy"}
    return list(standing.values())


def public_unconfirmed(report: BucketReport) -> bool:
    """Public per the request while the live state could not be read or is uncertain."""
    return (
        report.bucket is not None
        and report.assessment is None
        and not report.state_missing
        and bool(public_requests(report))
    )


def unread_reason(state_error: str | None) -> str:
    """ "policy: AccessDenied; BPA: Throttling" -> "the bucket's policy could not be read: AccessDenied; ..." """
    parts = []
    for item in (state_error or "").split(";"):
        label, _, code = item.strip().partition(": ")
        if not label:
            continue
        if label in _UNREAD_LABELS and code:
            parts.append(f"the {_UNREAD_LABELS[label]} could not be read: {code}")
        else:
            parts.append(item.strip())
    return safe("; ".join(parts) or "the bucket's state could not be read", REASON_MAX)


def _partly_unknown(state_error: str) -> str:
    """What could not be read beside a verdict, in words; S3's second opinion missing is said for what it is."""
    items = [i.strip() for i in state_error.split(";") if i.strip()]
    if items and all(i.startswith("policy status: ") for i in items):
        code = items[0].partition(": ")[2]
        return safe(
            f"S3's own check of the policy (GetBucketPolicyStatus) gave no answer ({code}); "
            "the verdict above is from bucketguard's rules alone",
            REASON_MAX,
        )
    return unread_reason(state_error)


def severity(report: BucketReport) -> str:
    loosened = net_effect(report) == LOOSENS
    if report.allowlisted:
        return NOTICE
    if report.assessment is not None and report.assessment.get("public"):
        return CRITICAL
    if public_unconfirmed(report):
        return CRITICAL
    if loosened:
        return WARNING
    if allow_tag_changes(report):
        return NOTICE
    return INFO


def _rank(report: BucketReport) -> int:
    return SEVERITY_ORDER.index(severity(report))


def ascii_text(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii")


def _subject_line(report: BucketReport, sev: str, names: Mapping[str, str] | None = None) -> tuple[str, str, str]:
    """(tag, bucket part, rest) of the subject for the most severe report."""
    via = "+".join(report.assessment.get("via", [])) if report.assessment else ""
    name = (names or {}).get(report.account_id or "")
    where = (
        f"({safe(name, ACCOUNT_NAME_MAX) + ' ' if name else ''}{safe(report.account_id or 'unknown account', 40)}"
        f"{' ' + safe(report.region, 30) if report.region else ''})"
    )
    if report.bucket is None:
        if not any(c.account_level for c in report.changes):
            points = sorted({safe(c.access_point or "?", 60) for c in report.changes})
            return f"[{sev}]", "", f"access point {', '.join(points)} changed {where}"
        text = "account Block Public Access " + ("loosened" if sev == WARNING else "changed")
        return f"[{sev}]", "", f"{text} {where}"
    target = f"s3://{bucket_label(report.bucket)}"
    if sev == CRITICAL and report.assessment is None:
        via = "+".join(sorted({_vehicle(c).split(" ")[0] for c in public_requests(report)}))
        return "[PUBLIC]", target, f"public per request via {via}, unconfirmed {where}"
    if sev == CRITICAL:
        return "[PUBLIC]", target, f"exposed via {via} {where}"
    tagged = allow_tag_changes(report)
    if sev == NOTICE and tagged:
        state = "state unknown" if report.assessment is None else f"public via {via}" if via else "not public"
        approved = report.allowlisted or tagged[-1].detail.endswith("the bucket is allow-listed")
        done = "allow-listed by tag" if approved else "allow tag changed, not allow-listed"
        return "[NOTICE]", target, f"{done}, {state} {where}"
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
    tag, target, rest = (" ".join(ascii_text(safe(p, SUBJECT_MAX)).split()) for p in (tag, target, rest))
    subject = " ".join(p for p in (tag, target, rest) if p) + suffix
    if len(subject) > SUBJECT_MAX and "(" in rest:
        rest = rest[: rest.rfind("(")].rstrip()
        subject = " ".join(p for p in (tag, target, rest) if p) + suffix
    if len(subject) > SUBJECT_MAX and target:
        room = max(8, len(target) - (len(subject) - SUBJECT_MAX) - 3)
        target = target[:room] + "..."
        subject = " ".join(p for p in (tag, target, rest) if p) + suffix
    return subject[:SUBJECT_MAX]


def event_link(event_id: str, region: str | None) -> str:
    """The CloudTrail console page of one event (URL-encoded: the id and region come from the record)."""
    ev_region = quote(region or "us-east-1", safe="")
    return (
        f"https://{ev_region}.console.aws.amazon.com/cloudtrailv2/home?region={ev_region}"
        f"#/events/{quote(event_id, safe='')}"
    )


def _links(report: BucketReport, change: Change | None) -> list[str]:
    region = report.region or (change.region if change else None) or "us-east-1"
    out = []
    region = quote(region, safe="")
    if report.bucket:
        out.append(
            f"Bucket permissions: https://{region}.console.aws.amazon.com/s3/buckets/{quote(report.bucket, safe='')}"
            f"?region={region}&tab=permissions"
        )
    else:
        out.append(f"Account Block Public Access: https://{region}.console.aws.amazon.com/s3/settings?region={region}")
    if change and change.event_id:
        out.append(f"CloudTrail event: {event_link(change.event_id, change.region or report.region)}")
    return out


def _account_block_command(report: BucketReport) -> str:
    account = report.account_id or ""
    if not _ACCOUNT_RE.fullmatch(account):
        return f"{NOT_A_COMMAND}account id invalid, not quoted in a command)"
    return (
        f"{COMMAND}aws s3control put-public-access-block --account-id {account} "
        f"--public-access-block-configuration {FULL_BLOCK_CLI}"
    )


def _next_steps(report: BucketReport, sev: str, allow_tag: str = DEFAULT_ALLOW_TAG) -> list[str]:
    """The "What to do" lines: steps ("  - ...") each followed by the command lines that carry it out."""
    tag = safe(allow_tag, 300)
    remediated = report.remediation and not report.remediation.startswith(REMEDIATION_FAILED)
    if sev == CRITICAL and remediated:
        return [
            "  - Ask whoever made the change (who, above) whether the exposure was intended.",
            f"  - If it was: add the tag {tag} to the bucket (keep its other tags: put-bucket-tagging replaces them "
            "all), then turn Block Public Access off again on purpose.",
        ]
    if sev == CRITICAL:
        return [
            "  - If this exposure is not intended, turn on all four Block Public Access settings of the bucket now "
            "(they override its public policy and ACL):",
            block_public_access_command(report),
            *_undo_steps(report),
            "  - Ask whoever made the change (who, above) why it was made.",
            _allow_tag_advice(allow_tag),
        ]
    if sev == WARNING and report.bucket is None and any(c.account_level for c in report.changes):
        return [
            "  - Account-wide protection was loosened: check that it was intended. If not, turn it back on:",
            _account_block_command(report),
        ]
    if sev == WARNING and report.bucket is None:
        return ["  - An access point's protection was loosened: check that it was intended."]
    if sev == WARNING:
        lines = [
            "  - Protection was loosened but the bucket is not public yet: check that this was intended. If not, "
            "turn Block Public Access back on:",
            block_public_access_command(report),
        ]
        if any(c.event_name.endswith("BucketOwnershipControls") and c.effect == LOOSENS for c in report.changes):
            lines += [
                "  - and disable ACLs again (object ownership BucketOwnerEnforced):",
                bucket_command(report, f"put-bucket-ownership-controls --ownership-controls {ENFORCED_CLI}"),
            ]
        return lines
    tagged = allow_tag_changes(report)
    if sev == NOTICE and tagged:
        key = safe(allow_tag.split("=", 1)[0], 200)
        return [
            f"  - If allow-listing this bucket was not agreed: remove the tag {key} from it (S3 console: the bucket's "
            "Properties, Tags) and ask whoever set it (who, above) why; until then its public changes are mailed as "
            "NOTICE, not CRITICAL."
        ]
    if sev == NOTICE:
        return ["  - No action needed if the bucket is still meant to be public."]
    return ["  - No action needed."]


def _describe_change(change: Change) -> list[str]:
    what = safe(change.event_name, 60) + (f' on object "{safe(change.key)}"' if change.key else "")
    what += f" (access point {safe(change.access_point, 60)})" if change.access_point else ""
    source = safe(change.source_ip or "unknown", 100)
    lines = [
        f"  - {what}: {safe(change.detail, REASON_MAX)} [{change.effect}]",
        f"    who:   {safe(change.actor)}",
        f"    when:  {safe(change.event_time or 'unknown', 40)} (UTC)",
        f"    from:  {source}" + (f" using {safe(change.user_agent)}" if change.user_agent else ""),
        f"    event: {safe(change.event_id or 'unknown', 100)}",
    ]
    return lines


def _allow_tag_line(report: BucketReport, allow_tag: str) -> list[str]:
    """What the latest allow-tag change did to the bucket (the request's value, and the live tags if read)."""
    tagged = allow_tag_changes(report)
    if not tagged:
        return []
    change = tagged[-1]
    key, _, approving = allow_tag.partition("=")
    who = f"set by {safe(change.actor)} at {safe(change.event_time or 'unknown', 40)} (UTC)"
    if change.allow_tag_value == approving:
        return [
            f"Allow tag: {safe(key, 200)}={safe(approving, 300)} {who}: this bucket is now allow-listed: future "
            "public changes to it are reported as NOTICE, not CRITICAL."
        ]
    return [
        f'Allow tag: {safe(key, 200)} set to "{safe(change.allow_tag_value or "", 300)}" {who}; only '
        f'"{safe(approving, 300)}" allow-lists, so the tag does not allow-list this bucket.'
    ]


def _report_section(
    report: BucketReport, allow_tag: str = DEFAULT_ALLOW_TAG, names: Mapping[str, str] | None = None
) -> list[str]:
    sev = severity(report)
    account = account_label(report.account_id, names)
    title = f"s3://{bucket_label(report.bucket)}" if report.bucket else f"Account {account}, all buckets"
    lines = [f"== {sev}: {title}", f"Account {account}, region {safe(report.region or 'n/a', 30)}", ""]
    lines.append("What happened:")
    shown = report.changes[:MAX_CHANGES_PER_BUCKET]
    for change in shown:
        lines.extend(_describe_change(change))
    if len(report.changes) > len(shown):
        more = plural(len(report.changes) - len(shown), "more change")
        lines.append(f"  ... and {more} to this bucket")
    lines.append("")
    if report.bucket is None and not any(c.account_level for c in report.changes):
        lines.append("Verdict now: not assessed - the call names an access point, not a bucket.")
    elif report.bucket is None:
        lines.append("Verdict now: account-level setting; every bucket in the account is affected.")
    elif public_unconfirmed(report):
        lines.append(f"Verdict now: PUBLIC per the request (not confirmed: {unread_reason(report.state_error)})")
        lines.extend(
            f"  - {safe(c.event_name, 60)} at {safe(c.event_time or 'unknown', 40)}: {safe(c.detail, REASON_MAX)}"
            for c in public_requests(report)
        )
        lines.extend(_policy_status_lines(report))
    elif report.assessment is None:
        lines.append(
            "Verdict now: UNKNOWN - the bucket's state could not be read "
            f"({safe(report.state_error or 'no data', REASON_MAX)})."
        )
        lines.extend(_policy_status_lines(report))
    else:
        verdict = "PUBLIC via " + ", ".join(report.assessment["via"]) if report.assessment["public"] else "not public"
        lines.append(f"Verdict now: {verdict}")
        lines.extend(f"  - {safe(reason, REASON_MAX)}" for reason in report.assessment.get("reasons", []))
        if report.state_error:
            lines.append(f"  (partly unknown: {_partly_unknown(report.state_error)})")
    if report.block_public_access:
        lines.append(f"Block Public Access: {safe(report.block_public_access, REASON_MAX)}")
    if report.allowlisted:
        lines.append(f"Allow-listed: {safe(report.allowlisted, REASON_MAX)}")
    lines.extend(_allow_tag_line(report, allow_tag))
    if report.remediation:
        lines.append(f"Remediation: {safe(report.remediation, REASON_MAX)}")
    lines.append("")
    lines.append("What to do:")
    lines.extend(_next_steps(report, sev, allow_tag))
    # The links point at the latest change: the event that triggered this email.
    lines.extend(f"  {link}" for link in _links(report, report.changes[-1] if report.changes else None))
    lines.append("")
    return lines


def _policy_status_lines(report: BucketReport) -> list[str]:
    if report.policy_status is None:
        return []
    verdict = "public" if report.policy_status else "not public"
    return [f"  AWS's own policy check (GetBucketPolicyStatus) says the bucket policy is {verdict}."]


def _alarm_lines(alarm: Alarm | None) -> list[str]:
    if alarm is None:
        return []
    return [
        f"Alarm: {safe(alarm.name)} ({safe(alarm.state, 30)}, was {safe(alarm.previous_state or 'unknown', 30)})"
        f" at {iso(alarm.timestamp) or '?'} (UTC)",
        f"Alarm reason: {safe(alarm.reason or 'n/a', REASON_MAX)}",
        f"Alarm window: {iso(alarm.window_start) or '?'} .. {iso(alarm.window_end) or '?'} (UTC)",
    ]


def _short(value: Any, limit: int = FIELD_MAX) -> Any:
    """A record value for the shortened record: strings capped, anything else kept if small, else as capped text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    if len(text) > limit:
        return f"{text[:limit]}...(+{len(text) - limit} chars)"
    return value


def short_record(record: dict[str, Any]) -> dict[str, Any]:
    """What matters of a CloudTrail record for the email: when, what, which event, who, from where, the request
    (capped at REQUEST_MAX characters of JSON) and the event's console link; the rest is one click away."""
    out = {
        "eventTime": _short(get(record, "eventTime")),
        "eventName": _short(get(record, "eventName")),
        "eventID": _short(get(record, "eventID")),
        "userIdentity.arn": _short(get(get(record, "userIdentity"), "arn")),
        "sourceIPAddress": _short(get(record, "sourceIPAddress")),
        "requestParameters": _short(get(record, "requestParameters"), REQUEST_MAX),
    }
    event_id, region = get(record, "eventID"), get(record, "awsRegion")
    if isinstance(event_id, str) and event_id:
        out["link"] = event_link(event_id, region if isinstance(region, str) and _REGION_RE.fullmatch(region) else None)
    return out


def _raw_section(records: list[dict[str, Any]], budget: int) -> list[str]:
    lines = ["", "---- CloudTrail records (shortened; the link opens the full record) ----"]
    used = 0
    for index, record in enumerate(records):
        # one line; controls and non-ASCII escaped
        text = json.dumps(short_record(record) if isinstance(record, dict) else record, default=str)
        if len(text) > RAW_RECORD_MAX:
            text = f"{text[:RAW_RECORD_MAX]} ...[record truncated: {len(text) - RAW_RECORD_MAX} more characters]"
        if used + len(text) > budget:
            lines.append(
                f"[truncated: {len(records) - index} of {plural(len(records), 'record')} left out (size limit)]"
            )
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


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def headline(reports: list[BucketReport]) -> str:
    """ "bucketguard: exposure-relevant changes to 2 buckets. Public now and not allow-listed: 1 bucket." """
    buckets = sum(1 for r in reports if r.bucket)
    accounts = sum(1 for r in reports if r.bucket is None and any(c.account_level for c in r.changes))
    points = len(reports) - buckets - accounts
    parts = [plural(buckets, "bucket")] if buckets else []
    parts += [f"the account-wide settings of {plural(accounts, 'account')}"] if accounts else []
    parts += [f"{plural(points, 'access point')} (no bucket named)"] if points else []
    critical = sum(1 for r in reports if severity(r) == CRITICAL)
    public = plural(critical, "bucket") if critical else "none"
    return f"bucketguard: exposure-relevant changes to {_join(parts)}. Public now and not allow-listed: {public}."


def _summary_line(report: BucketReport) -> str:
    """One line for a bucket beyond MAX_BUCKETS_IN_BODY: its verdict and how many changes it had."""
    title = f"s3://{bucket_label(report.bucket)}" if report.bucket else "account-level"
    where = f"account {safe(report.account_id or 'unknown', 40)}, region {safe(report.region or 'n/a', 30)}"
    return f"  - {severity(report)}: {title} ({where}): {plural(len(report.changes), 'change')}"


def build_message(
    reports: list[BucketReport],
    alarm: Alarm | None = None,
    notes: list[str] | None = None,
    allow_tag: str = DEFAULT_ALLOW_TAG,
    account_names: Mapping[str, str] | None = None,
    earlier: str | None = None,
) -> Notification:
    """One digest for all reports, most severe bucket first. ``allow_tag`` (``key=value``) is named where the email
    suggests allow-listing; ``account_names`` (id -> name) are shown beside the account ids.

    ``earlier`` is one line about changes in this window that were already mailed (``dedup.earlier_line``):
    shown once, never as new changes.
    """
    reports = sorted(reports, key=_rank)
    top = reports[0]
    sev = severity(top)
    subject = build_subject(*_subject_line(top, sev, account_names), more=len(reports) - 1)
    lines = [
        headline(reports),
        *_alarm_lines(alarm),
        *(safe(note, REASON_MAX) for note in notes or []),
        *([safe(earlier, REASON_MAX)] if earlier else []),
        "",
    ]
    for report in reports[:MAX_BUCKETS_IN_BODY]:
        lines.extend(_report_section(report, allow_tag, account_names))
    if len(reports) > MAX_BUCKETS_IN_BODY:
        rest = reports[MAX_BUCKETS_IN_BODY:]
        lines.append(f"... and {len(rest)} more: " + ", ".join(bucket_label(r.bucket) for r in rest[:50]))
        # Every bucket of the digest is listed with its verdict, one line each (the storm case).
        lines.extend(_summary_line(r) for r in rest[:MAX_SUMMARY_LINES])
        if len(rest) > MAX_SUMMARY_LINES:
            lines.append(f"  ... {len(rest) - MAX_SUMMARY_LINES} more not listed (size limit)")
    raw = [c.record for r in reports for c in r.changes]
    regions = sorted({r.region for r in reports if r.region})
    attributes = {
        "severity": sev,
        "account": safe(top.account_id or "unknown", 40),
        "region": safe(top.region or (regions[0] if regions else "unknown"), 30),
        "bucket": safe(top.bucket, 255) if top.bucket else ACCOUNT_LEVEL,
    }
    return Notification(subject=subject, body=_fit(lines, raw), severity=sev, attributes=attributes)


# --------------------------------------------------------------------------- notes the handler adds (in words)

REMEDIATION_FAILED = "FAILED to re-enable Block Public Access"


def search_notes(log_group: str, start: datetime, end: datetime, lookback_minutes: int) -> str:
    """Where and when the alarm path looked, in words (no setting names)."""
    return (
        f"Records searched in {log_group} from {iso(start)} to {iso(end)} (UTC): the alarm window and "
        f"{plural(lookback_minutes, 'minute')} before it, for CloudTrail's delivery delay, so earlier changes to "
        "the same bucket may be listed too."
    )


def records_note(log_group: str, read: int, relevant: int) -> str:
    return f"Records read from {log_group}: {read}, of which {relevant} can change exposure."


def truncated_note(limit: int) -> str:
    return (
        f"The notifier stopped after the first {plural(limit, 'record')} (its limit per alarm); there may be more "
        "in the log group."
    )


def skipped_note(skipped: int) -> str:
    verb = "was" if skipped == 1 else "were"
    return f"{plural(skipped, 'change')} {verb} already mailed by the fast path and left out here."


def remediation_done(when: datetime, still_public: bool) -> str:
    verdict = "STILL public" if still_public else "no longer public"
    return (
        f"bucketguard re-enabled all four Block Public Access settings on the bucket at {iso(when)} (automatic "
        f"remediation is on for this notifier); it is {verdict}."
    )


def remediation_failed(code: str) -> str:
    return f"{REMEDIATION_FAILED} ({code}); act by hand."


def build_no_records_message(alarm: Alarm, notes: list[str] | None = None) -> Notification:
    """The alarm fired but no exposure-changing record was found (yet): say so, never drop it."""
    subject = build_subject("[WARNING]", "", f"{alarm.name} fired, no matching CloudTrail records yet")
    lines = [
        "The bucket visibility alarm fired, but no successful exposure-changing S3 call was found in the trail's",
        "log group for the alarm window. CloudTrail can deliver records up to ~15 minutes late; check the trail",
        "and the metric filter if this repeats.",
        "",
        *_alarm_lines(alarm),
        *(safe(note, REASON_MAX) for note in notes or []),
        "",
        f"Alarm ARN: {safe(alarm.arn or 'unknown', 300)}",
        f"Alarm description: {safe(alarm.description or 'n/a', REASON_MAX)}",
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
        f"Error: {safe(error, REASON_MAX)}",
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


# --------------------------------------------------------------------------- organisation (hub) mode


def reader_unavailable(account: str, role_arn: str, code: str) -> str:
    """The line of a bucket whose account's reader role could not be assumed (the request's verdict stands)."""
    return (
        f"could not read the bucket's state in account {safe(account, 40)}: role missing or not trusting the hub "
        f"({safe(role_arn, 300)}: {safe(code, 100)})"
    )


def log_reader_unavailable(account: str, role_arn: str, code: str, log_group: str) -> str:
    """The alarm of a log account whose reader role could not be assumed: its records cannot be searched."""
    return (
        f"could not read the CloudTrail records of log group {safe(log_group, 600)} in log account "
        f"{safe(account, 40)}: role missing or not trusting the hub ({safe(role_arn, 300)}: {safe(code, 100)})"
    )


def remediation_not_in_hub(account: str) -> str:
    return (
        f"not done: the bucket is in account {safe(account, 40)}, and the hub reads other accounts through a "
        "read-only role (remediation covers the hub's own account only); act by hand."
    )


def accounts_note(accounts: list[str], names: Mapping[str, str] | None = None) -> str:
    """Said in each email of an alarm whose window had changes in several accounts (one email per account)."""
    shown = ", ".join(account_label(a, names) for a in accounts[:20])
    more = f" and {len(accounts) - 20} more" if len(accounts) > 20 else ""
    return (
        f"The window had changes in {plural(len(accounts), 'account')} ({shown}{more}): one email per account; "
        "this one covers one account."
    )


RELAYED = {
    "heartbeat": (
        WARNING,
        "the trail's log group received no CloudTrail events for the alarm's period: CloudTrail delivery may "
        "have stopped (trail stopped, deleted or re-pointed), and the alarm path is blind until it resumes.",
    ),
    "tamper": (
        CRITICAL,
        "a successful call deleted, disabled or re-pointed one of bucketguard's own resources (rule, function, "
        "topic, trail, log group, queue, table or role). If it was not a deploy of yours, investigate now.",
    ),
}


def build_alarm_relay_message(alarm: Alarm, kind: str, names: Mapping[str, str] | None = None) -> Notification:
    """A heartbeat or tamper alarm forwarded from a log account: the alarm itself, in words (no record search)."""
    sev, meaning = RELAYED.get(kind, (WARNING, "an alarm of bucketguard fired."))
    where = account_label(alarm.account_id, names)
    subject = build_subject(f"[{sev}]", "", f"{alarm.name} in ALARM (account {where})")
    lines = [
        f"bucketguard's {kind} alarm fired in account {where}, region {safe(alarm.region or 'unknown', 30)}:",
        meaning,
        "",
        *_alarm_lines(alarm),
        f"Alarm ARN: {safe(alarm.arn or 'unknown', 300)}",
        f"Alarm description: {safe(alarm.description or 'n/a', REASON_MAX)}",
    ]
    attributes = {"severity": sev, "account": alarm.account_id or "unknown", "region": alarm.region or "unknown"}
    return Notification(subject=subject, body="\n".join(lines), severity=sev, attributes=attributes)
