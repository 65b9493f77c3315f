# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""CloudTrail records of S3 calls that can change exposure: the one list, and what each call does (pure).

This file is part of the collection's contract: the metric filter pattern, the EventBridge pattern,
the dashboard's query and the notifier's own record search are all derived from ``EXPOSURE_EVENTS``
below (``contract.py`` builds them). It is standard library only: the notifier's Lambda package carries
it unchanged (``lambda_zip`` puts it at the same import path), so the alarm, the audit and the
email all read one definition.

``classify(record)`` returns ``None`` for records that cannot change exposure (failed calls, reads,
unrelated writes, other services) and otherwise a :class:`Change` whose ``effect`` is computed from the
request alone: ``loosens``, ``tightens`` or ``neutral``. Whether the bucket is public *now* is decided by
``exposure.assess`` over the live state, not here.

Record shape: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
Records are often redacted or altered by the tools that store them, so every lookup is tolerant:
keys are matched ignoring case and ``-``/``_``/``:``, the literal ``"..."`` counts as absent,
``userAgent`` may be a list, ``bucketPolicy`` may be a JSON string.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from ansible_collections.bucketguard.visibility.plugins.module_utils.exposure import policy_public_reasons

LOOSENS = "loosens"
TIGHTENS = "tightens"
NEUTRAL = "neutral"

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
PUBLIC_GROUPS = (ALL_USERS, AUTHENTICATED_USERS)
PUBLIC_CANNED_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})
GRANT_HEADERS = ("x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp", "x-amz-grant-write-acp")
GRANT_HEADERS_FULL = (*GRANT_HEADERS, "x-amz-grant-full-control")
PAB_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")

# Every S3 and S3 Control management call is recorded with eventSource s3.amazonaws.com (account-level
# Block Public Access and access point calls included). "s3-control.amazonaws.com" is accepted defensively.
S3_SOURCES = frozenset({"s3.amazonaws.com", "s3-control.amazonaws.com"})

# The one list of S3 calls that can change a bucket's or the account's exposure. Watched by default
# (metric filter, EventBridge rule, dashboard query, the notifier's record search), in this order:
EXPOSURE_EVENTS_DEFAULT = (
    "PutBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
    "PutBucketPolicy",
    "DeleteBucketPolicy",
    "PutBucketAcl",
    "PutBucketOwnershipControls",
    "DeleteBucketOwnershipControls",
    "PutAccountPublicAccessBlock",
    "DeleteAccountPublicAccessBlock",
    "CreateAccessPoint",
    "DeleteAccessPoint",
    "PutAccessPointPolicy",
    "DeleteAccessPointPolicy",
)
# Opt-in: PutObjectAcl is a data event (the trail records it only when asked, and it is charged per
# event); CreateBucket cannot make a bucket public by itself since April 2023 (new buckets have Block
# Public Access on and ACLs disabled). The notifier understands them whenever they arrive.
EXPOSURE_EVENTS_OPTIONAL = ("PutObjectAcl", "CreateBucket")
EXPOSURE_EVENTS = frozenset(EXPOSURE_EVENTS_DEFAULT + EXPOSURE_EVENTS_OPTIONAL)
# Calls that cannot change exposure but change how it is reported: a bucket tagged with the allow tag
# (``bucketguard:public=approved`` by default) is allow-listed, so its later public changes are mailed as
# NOTICE, not CRITICAL. Watched by the fast path only (the EventBridge rule, ``contract.event_pattern``) and
# read back by the notifier's record search; the alarm's metric filter does not count them (the visibility
# alarm is for exposure changes). ``classify`` reports one only when it sets the allow tag's key.
REPORTING_EVENTS = ("PutBucketTagging",)


def record_search_pattern() -> str:
    """The notifier's FilterLogEvents pattern: every record of a call it understands (it re-checks each)."""
    names = " || ".join(f'($.eventName = "{n}")' for n in sorted(EXPOSURE_EVENTS | set(REPORTING_EVENTS)))
    return f'{{ ($.eventSource = "s3.amazonaws.com") && ({names}) }}'


def watched_event_names(object_acl: bool = False, create_bucket: bool = False, extra=()) -> list[str]:
    """The event names to watch: the default list, the opt-in ones asked for, then ``extra``; each once."""
    names = list(EXPOSURE_EVENTS_DEFAULT)
    names += ["PutObjectAcl"] if object_acl else []
    names += ["CreateBucket"] if create_bucket else []
    names += list(extra or ())
    return list(dict.fromkeys(names))


ACCOUNT_LEVEL_EVENTS = frozenset({"PutAccountPublicAccessBlock", "DeleteAccountPublicAccessBlock"})

_REDACTED = frozenset({"", "null", "None", "[]"})
_REDACTED_RE = re.compile(r"^[.:\s]*$")
_ACCOUNT_RE = re.compile(r"^\d{12}$")


# --------------------------------------------------------------------------- tolerant access helpers


_NON_ALNUM = re.compile(r"[^a-z0-9]")


@lru_cache(maxsize=4096)
def _nk(key: str) -> str:
    return _NON_ALNUM.sub("", key.lower())


def get(obj: Any, *names: str) -> Any:
    """Value of the first of ``names`` present in dict ``obj``, ignoring case and ``-_:`` (None if absent)."""
    if not isinstance(obj, dict):
        return None
    for name in names:
        if name in obj:
            return obj[name]
    wanted = {_nk(n) for n in names}
    for key, value in obj.items():
        if _nk(str(key)) in wanted:
            return value
    return None


def clean(value: Any) -> str | None:
    """A usable string: lists are unwrapped, redacted placeholders ("...", "") become None."""
    if isinstance(value, list):
        parts = [c for c in (clean(v) for v in value) if c]
        return " ".join(parts) if parts else None
    if value is None or isinstance(value, dict | bool):
        return None
    text = str(value).strip()
    return None if text in _REDACTED or _REDACTED_RE.match(text) else text


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def load_json(value: Any) -> Any:
    """Parse a JSON document given as a string; dicts/lists are returned as they are; None if unusable."""
    if isinstance(value, dict | list):
        return value
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return None


def parse_time(value: Any) -> datetime | None:
    """Parse CloudTrail / CloudWatch timestamps ("2019-01-01T00:00:00Z", "...+0000", epoch ms)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    text = clean(value)
    if not text:
        return None
    text = text.replace("Z", "+00:00")
    text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


# --------------------------------------------------------------------------- data classes


@dataclass(frozen=True)
class Change:
    """One exposure-relevant, successful S3 call."""

    bucket: str | None
    account_level: bool
    event_name: str
    event_id: str | None
    event_time: str | None
    region: str | None
    account_id: str | None
    actor: str
    source_ip: str | None
    user_agent: str | None
    effect: str
    detail: str
    key: str | None = None
    access_point: str | None = None
    request_public: bool = False
    record: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # PutBucketTagging only: the value the request gives the allow tag's key (None: not a tagging change).
    allow_tag_value: str | None = None


# --------------------------------------------------------------------------- actor and identity


def describe_actor(identity: Any) -> str:
    """A readable "who": user name, role/session, root, or the AWS service."""
    if not isinstance(identity, dict):
        return "unknown"
    kind = clean(get(identity, "type")) or ""
    arn = clean(get(identity, "arn")) or ""
    invoked_by = clean(get(identity, "invokedBy"))
    if kind == "Root" or arn.endswith(":root"):
        return "root (account " + (clean(get(identity, "accountId")) or "?") + ")"
    if kind == "AWSService":
        return "service " + (invoked_by or clean(get(identity, "principalId")) or "unknown")
    if kind == "AssumedRole" or ":assumed-role/" in arn:
        issuer = get(get(identity, "sessionContext"), "sessionIssuer")
        role = clean(get(issuer, "userName"))
        session = None
        if ":assumed-role/" in arn:
            parts = arn.split(":assumed-role/", 1)[1].split("/")
            role = role or parts[0]
            session = parts[1] if len(parts) > 1 else None
        principal = clean(get(identity, "principalId"))
        if not session and principal and ":" in principal:
            session = principal.split(":", 1)[1]
        role = role or clean(get(identity, "userName")) or "unknown role"
        text = f"role {role}" + (f" (session {session})" if session else "")
    elif kind == "IAMUser" or ":user/" in arn:
        text = "user " + (clean(get(identity, "userName")) or arn.rsplit("/", 1)[-1] or "unknown")
    elif kind == "FederatedUser" or ":federated-user/" in arn:
        text = "federated user " + (arn.rsplit("/", 1)[-1] if arn else clean(get(identity, "principalId")) or "?")
    elif kind == "AWSAccount":
        text = "account " + (clean(get(identity, "accountId")) or clean(get(identity, "principalId")) or "?")
    else:
        text = arn or clean(get(identity, "userName")) or clean(get(identity, "principalId")) or "unknown"
    return text + (f" via {invoked_by}" if invoked_by else "")


def _account_from(record: dict[str, Any]) -> str | None:
    params = get(record, "requestParameters")
    candidates = [
        clean(get(record, "recipientAccountId")),
        clean(get(params, "x-amz-account-id", "accountId")),
        clean(get(get(record, "userIdentity"), "accountId")),
    ]
    host = clean(get(params, "host", "Host"))
    if host:
        match = re.match(r"^(\d{12})\.s3-control", host)
        candidates.append(match.group(1) if match else None)
    for candidate in candidates:
        if candidate and _ACCOUNT_RE.match(candidate):
            return candidate
    return next((c for c in candidates if c), None)


# --------------------------------------------------------------------------- request interpretation


def pab_effect(config: Any) -> tuple[str, str]:
    """Effect of a Put*PublicAccessBlock request body. A flag left out is false (AWS's default)."""
    if not isinstance(config, dict) or not any(get(config, f) is not None for f in PAB_FLAGS):
        return NEUTRAL, "Block Public Access configuration not recorded"
    values = {f: str(get(config, f)).lower() == "true" for f in PAB_FLAGS}
    off = [f for f, on in values.items() if not on]
    if not off:
        return TIGHTENS, "all four Block Public Access settings turned on"
    return LOOSENS, "Block Public Access settings off: " + ", ".join(off)


def _grants_from_policy(acp: Any) -> list[tuple[str, str]]:
    """(grantee uri-or-id, permission) pairs from an AccessControlPolicy as CloudTrail records it."""
    acl = get(acp, "AccessControlList")
    grants = get(acl, "Grant", "Grants") if isinstance(acl, dict) else None
    out = []
    for grant in as_list(grants):
        grantee = get(grant, "Grantee")
        who = clean(get(grantee, "URI")) or clean(get(grantee, "ID")) or clean(get(grantee, "EmailAddress")) or "?"
        out.append((who, clean(get(grant, "Permission")) or "?"))
    return out


def _grants_from_headers(params: dict[str, Any], container: Any = None) -> list[tuple[str, str]]:
    out = []
    for header in GRANT_HEADERS_FULL:
        value = clean(get(params, header)) or clean(get(container, header))
        if not value:
            continue
        permission = header.removeprefix("x-amz-grant-").upper().replace("-", "_")
        for part in value.split(","):
            item = part.strip().strip('"')
            who = item.split("=", 1)[1].strip().strip('"') if "=" in item else item
            out.append((who, permission))
    return out


def acl_request(params: Any) -> tuple[bool | None, str]:
    """Is the ACL in this request public? (None when the request carries no recognisable ACL.)"""
    if not isinstance(params, dict):
        return None, "ACL not recorded"
    canned = clean(get(params, "x-amz-acl"))
    grants = _grants_from_headers(params, get(params, "AccessControlList"))
    grants += _grants_from_policy(get(params, "AccessControlPolicy"))
    public = sorted({f"{p} to {w.rsplit('/', 1)[-1]}" for w, p in grants if w in PUBLIC_GROUPS})
    if canned and canned.lower() in PUBLIC_CANNED_ACLS:
        return True, f"canned ACL {canned}"
    if public:
        return True, "ACL grants " + ", ".join(public)
    if canned:
        return False, f"canned ACL {canned}"
    if grants:
        return False, "ACL with no public grantee"
    return None, "ACL not recorded"


def _policy_doc(value: Any) -> Any:
    doc = load_json(value)
    if isinstance(doc, list) and doc and all(isinstance(v, str) for v in doc):
        doc = load_json(doc[0])
    return doc


def _ownership(params: Any) -> str | None:
    controls = get(params, "OwnershipControls")
    for rule in as_list(get(controls, "Rule", "Rules")):
        value = clean(get(rule, "ObjectOwnership"))
        if value:
            return value
    return clean(get(params, "x-amz-object-ownership"))


def _interpret(name: str, params: dict[str, Any]) -> tuple[str, str, bool] | None:
    """(effect, human detail, request itself is public) for an exposure event; None = cannot change exposure."""
    if name in ("PutBucketPublicAccessBlock", "PutAccountPublicAccessBlock"):
        effect, detail = pab_effect(get(params, "PublicAccessBlockConfiguration"))
        return effect, detail, False
    if name in ("DeleteBucketPublicAccessBlock", "DeleteAccountPublicAccessBlock"):
        return LOOSENS, "Block Public Access configuration deleted (all settings off)", False
    if name in ("PutBucketPolicy", "PutAccessPointPolicy"):
        raw = get(params, "bucketPolicy")
        if raw is None:
            raw = get(get(params, "PutAccessPointPolicyRequest"), "Policy")
        if raw is None:
            raw = get(params, "Policy", "policy")
        doc = _policy_doc(raw)
        if not isinstance(doc, dict):
            return NEUTRAL, "policy replaced (document not recorded or not valid JSON)", False
        reasons = policy_public_reasons(doc)
        if reasons:
            return LOOSENS, "new policy is public: " + "; ".join(reasons), True
        return NEUTRAL, "new policy is not public", False
    if name in ("DeleteBucketPolicy", "DeleteAccessPointPolicy"):
        return TIGHTENS, "policy deleted", False
    if name in ("PutBucketAcl", "PutObjectAcl", "CreateBucket"):
        public, detail = acl_request(params)
        if public:
            return LOOSENS, detail, True
        if name == "CreateBucket":
            ownership = _ownership(params)
            if ownership and ownership != "BucketOwnerEnforced":
                return NEUTRAL, f"bucket created with object ownership {ownership} (ACLs enabled)", False
            return (NEUTRAL, f"bucket created with {detail}", False) if public is False else None
        if public is False:
            return TIGHTENS, f"{detail} (replaces any public grant)", False
        return NEUTRAL, detail, False
    if name == "PutBucketOwnershipControls":
        ownership = _ownership(params)
        if ownership == "BucketOwnerEnforced":
            return TIGHTENS, "object ownership BucketOwnerEnforced (ACLs disabled)", False
        if ownership:
            return LOOSENS, f"object ownership {ownership} (ACLs enabled again)", False
        return NEUTRAL, "ownership controls changed (value not recorded)", False
    if name == "DeleteBucketOwnershipControls":
        return LOOSENS, "ownership controls deleted (ACLs enabled again)", False
    if name == "CreateAccessPoint":
        request = get(params, "CreateAccessPointRequest")
        if get(request, "VpcConfiguration"):
            return NEUTRAL, "access point restricted to a VPC", False
        config = get(request, "PublicAccessBlockConfiguration")
        if isinstance(config, dict):
            effect, detail = pab_effect(config)
            if effect == LOOSENS:
                return LOOSENS, "internet access point with " + detail, False
        return NEUTRAL, "internet access point created (Block Public Access on by default)", False
    if name == "DeleteAccessPoint":
        return TIGHTENS, "access point deleted", False
    return None


def request_tags(params: Any) -> dict[str, str] | None:
    """The tag set of a PutBucketTagging request as CloudTrail records it (None when not recorded).

    ``requestParameters.Tagging.TagSet.Tag`` is a list of ``{"Key", "Value"}`` objects, or one object when the
    request has a single tag (the XML body turned into JSON). A missing ``Value`` is the empty string.
    """
    tag_set = get(get(params, "Tagging"), "TagSet")
    tags = get(tag_set, "Tag") if isinstance(tag_set, dict) else tag_set
    if tags is None:
        return None
    out: dict[str, str] = {}
    for tag in as_list(tags):
        key = get(tag, "Key")
        if isinstance(key, str | int | float) and not isinstance(key, bool):
            value = get(tag, "Value")
            out[str(key)] = "" if value is None or isinstance(value, dict | list | bool) else str(value)
    return out


def allow_tag_change(params: Any, allow_tag: tuple[str, str] | None) -> tuple[str, str] | None:
    """(value set, human detail) when a PutBucketTagging request sets the allow tag's key, else None.

    S3 replaces the whole tag set, so a request without the key either removes the tag or never had it;
    the request alone cannot tell which, so it is not reported (the bucket's live tags decide later)."""
    if not allow_tag or not allow_tag[0]:
        return None
    key, approving = allow_tag
    tags = request_tags(params)
    if not tags or key not in tags:
        return None
    value = tags[key]
    if value == approving:
        return value, f"allow tag {key}={value} set: the bucket is allow-listed"
    return value, f"allow tag {key} set to {value!r}, not {approving!r}: the tag does not allow-list the bucket"


def classify(record: Any, allow_tag: tuple[str, str] | None = None) -> Change | None:
    """A :class:`Change` for a successful exposure-changing S3 call, else None.

    ``allow_tag`` (key, value): the notifier's allow tag. With it, a PutBucketTagging that sets the tag's key
    is a (neutral) change too; any other tagging call, and every tagging call without ``allow_tag``, is None.
    """
    if not isinstance(record, dict):
        return None
    name = clean(get(record, "eventName"))
    if not name or (name not in EXPOSURE_EVENTS and not (allow_tag and name in REPORTING_EVENTS)):
        return None
    source = clean(get(record, "eventSource"))
    if source is not None and source not in S3_SOURCES:
        return None
    if clean(get(record, "errorCode")) or clean(get(record, "errorMessage")):
        return None
    params = get(record, "requestParameters")
    params = params if isinstance(params, dict) else {}
    tagged = allow_tag_change(params, allow_tag) if name in REPORTING_EVENTS else None
    interpreted = (NEUTRAL, tagged[1], False) if tagged else _interpret(name, params)
    if interpreted is None:
        return None
    effect, detail, request_public = interpreted
    account_level = name in ACCOUNT_LEVEL_EVENTS
    bucket = None
    if not account_level:
        bucket = clean(get(params, "bucketName")) or clean(get(get(params, "CreateAccessPointRequest"), "Bucket"))
    access_point = clean(get(params, "name")) if "AccessPoint" in name else None
    if access_point and ":accesspoint/" in access_point:
        access_point = access_point.rsplit("/", 1)[-1]
    when = parse_time(get(record, "eventTime"))
    return Change(
        bucket=bucket,
        account_level=account_level,
        event_name=name,
        event_id=clean(get(record, "eventID")),
        event_time=iso(when) or clean(get(record, "eventTime")),
        region=clean(get(record, "awsRegion")),
        account_id=_account_from(record),
        actor=describe_actor(get(record, "userIdentity")),
        source_ip=clean(get(record, "sourceIPAddress")),
        user_agent=clean(get(record, "userAgent")),
        effect=effect,
        detail=detail,
        key=clean(get(params, "key")) if name == "PutObjectAcl" else None,
        access_point=access_point,
        request_public=request_public,
        record=record,
        allow_tag_value=tagged[0] if tagged else None,
    )


def classify_all(records: list[Any], allow_tag: tuple[str, str] | None = None) -> list[Change]:
    """Classify records, dropping non-changes and duplicate eventIDs (first one wins)."""
    seen: set[str] = set()
    out = []
    for record in records:
        change = classify(record, allow_tag)
        if change is None:
            continue
        if change.event_id:
            if change.event_id in seen:
                continue
            seen.add(change.event_id)
        out.append(change)
    return out
