# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The contract between the roles, the notifier and the tests, written once (pure, standard library).

Roles reach these functions through the thin filter plugins of ``plugins/filter/``; tests call them
directly. What lives here: the notifier's package (which files, where in the zip) and the patterns
derived from the one list of watched S3 calls (``cloudtrail.EXPOSURE_EVENTS_DEFAULT``).
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from typing import Any

from ansible_collections.bucketguard.visibility.plugins.module_utils.cloudtrail import (
    REPORTING_EVENTS,
    record_search_pattern,
    watched_event_names,
)

# --------------------------------------------------------------------------- the notifier's package

# The contract files the notifier imports, carried in its zip at their import path.
# contract: the formats the notifier checks its environment with (LOG_GROUP_NAME_RE), written once here.
NOTIFIER_CORE_MODULES = ("bucket_state", "cloudtrail", "contract", "exposure")
NOTIFIER_PACKAGE_ROOT = "bucketguard_notifier"
MODULE_UTILS_IN_ZIP = "ansible_collections/bucketguard/visibility/plugins/module_utils"


def notifier_package(collection_root: str, source_dir: str = "") -> dict:
    """Where the notifier's sources are and which contract files go beside them in the zip.

    ``source_dir`` empty means the notifier shipped with the collection (``files/lambda/bucketguard_notifier``).
    Returns ``{"src": folder, "root": name in the zip, "include": [{"src": file, "dest": path in zip}]}``.
    """
    src = source_dir or os.path.join(collection_root, "files", "lambda", NOTIFIER_PACKAGE_ROOT)
    utils = os.path.join(collection_root, "plugins", "module_utils")
    include = [
        {"src": os.path.join(utils, f"{name}.py"), "dest": f"{MODULE_UTILS_IN_ZIP}/{name}.py"}
        for name in NOTIFIER_CORE_MODULES
    ]
    return {"src": src, "root": NOTIFIER_PACKAGE_ROOT, "include": include}


# --------------------------------------------------------------------------- patterns from the one list


def metric_filter_pattern(event_names: list[str] | tuple[str, ...]) -> str:
    """CloudWatch Logs pattern: successful calls from s3.amazonaws.com with one of ``event_names``."""
    names = " || ".join(f'($.eventName = "{name}")' for name in event_names)
    return f'{{ ($.eventSource = "s3.amazonaws.com") && ({names}) && ($.errorCode NOT EXISTS) }}'


def event_pattern(event_names: list[str] | tuple[str, ...]) -> dict:
    """EventBridge pattern: "AWS API Call via CloudTrail" events of the same successful calls, plus the fast
    path's own ``REPORTING_EVENTS`` (a bucket tagged with the allow tag is mailed as a NOTICE; the metric
    filter does not count them: the visibility alarm is for exposure changes)."""
    return {
        "source": ["aws.s3"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["s3.amazonaws.com"],
            "eventName": list(dict.fromkeys([*event_names, *REPORTING_EVENTS])),
            "errorCode": [{"exists": False}],
        },
    }


def insights_query(log_group: str, event_names: list[str] | tuple[str, ...], limit: int) -> str:
    """Logs Insights query of the dashboard: one row per watched call, newest first."""
    return "\n".join(
        [
            f"SOURCE '{log_group}'",
            f'| filter eventSource = "s3.amazonaws.com" and eventName in {json.dumps(list(event_names))}',
            "| fields @timestamp as time, eventName as event,",
            "    coalesce(requestParameters.bucketName, requestParameters.CreateAccessPointRequest.Bucket, "
            'requestParameters.name, "(account)") as bucket,',
            "    coalesce(userIdentity.arn, userIdentity.principalId) as who,",
            "    sourceIPAddress as source_ip, awsRegion as region,",
            '    coalesce(errorCode, "ok") as result',
            "| sort @timestamp desc",
            f"| limit {int(limit)}",
        ]
    )


__all__ = [
    "event_pattern",
    "insights_query",
    "metric_filter_pattern",
    "notifier_package",
    "record_search_pattern",
    "watched_event_names",
]


# --------------------------------------------------------------------------- formats (anchored at the true end)

# Python's "$" also matches before a trailing newline: every pattern here ends with \Z.
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
ACCOUNT_ID_RE = re.compile(r"^[0-9]{12}\Z")
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]\Z")
PREFIX_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}\Z")
SNS_TOPIC_ARN_RE = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov):sns:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:[A-Za-z0-9_-]{1,256}\Z"
)
# CloudWatch Logs log group names (CreateLogGroup: 1-512 of letters, digits and . _ / # -). The one copy:
# the roles (the log_group_name test), the dashboard and the notifier (carried in its zip) read it.
LOG_GROUP_NAME_RE = re.compile(r"^[A-Za-z0-9._/#-]{1,512}\Z")
# S3 API (CloudTrail event) names as inputs: the notifier_lambda and alarm roles.
EVENT_NAME_RE = re.compile(r"^[A-Za-z]{1,64}\Z")
# IAM role names (CreateRole's RoleName: 1-64 of letters, digits and +=,.@_-).
IAM_ROLE_NAME_RE = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,64}\Z")
IAM_ROLE_ARN_RE = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}\Z")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+\Z")
ENDPOINT_RE = re.compile(r"^https?://[^\s]+\Z")
# Inputs that hold an ARN: each must be in bucketguard_partition.
ARN_INPUTS = (
    "bucketguard_central_topic_arn",
    "bucketguard_assume_role_arn",
    "trail_kms_key_id",
    "trail_log_group_kms_key_arn",
    "trail_existing_trail_arn",
    "sns_kms_key_id",
)
# Renamed inputs, accepted for one release: old name -> new name.
DEPRECATED_INPUTS = {
    "alarm_eventbridge": "notifier_lambda_fast_path",
    "alarm_rule_name": "notifier_lambda_event_rule_name",
    "alarm_event_pattern": "notifier_lambda_event_pattern",
    "notifier_lambda_alarm_name": "notifier_lambda_visibility_alarm_name",
    # A host is its account's home host when its aws_region is the account's bucketguard_home_region_name.
    "bucketguard_home_region": "bucketguard_home_region_name (the home host is derived from it)",
}
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def sns_topic_arn_ok(value: Any) -> bool:
    """Whether ``value`` is an SNS topic ARN of one of the three partitions (``SNS_TOPIC_ARN_RE``)."""
    return isinstance(value, str) and SNS_TOPIC_ARN_RE.match(value) is not None


def log_group_name_ok(value: Any) -> bool:
    """Whether ``value`` is a CloudWatch Logs log group name (``LOG_GROUP_NAME_RE``)."""
    return isinstance(value, str) and LOG_GROUP_NAME_RE.match(value) is not None


def text_matches(regex: re.Pattern[str], value: Any) -> bool:
    """Ansible's ``match`` test: whether ``regex`` matches the value's text (a number or a list is checked as text)."""
    return regex.match(value if isinstance(value, str) else str(value)) is not None


def jinja_int(value: Any) -> int:
    """Jinja's ``int`` filter: the number, else the whole part of a float, else 0."""
    try:
        return int(value, 10) if isinstance(value, str) else int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError, OverflowError):
            return 0


def as_bool(value: Any) -> bool | None:
    """Ansible's boolean reading of ``value`` (None when it is not a boolean)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else None
    return True if text in _TRUE else False if text in _FALSE else None


def split_emails(value: Any) -> list[str]:
    """Subscribers as a list: an AWX text survey answer arrives as one string (commas, semicolons, lines)."""
    if isinstance(value, str):
        value = value.replace(";", ",").replace("\n", ",").split(",")
    return [str(v).strip() for v in value or [] if str(v).strip()]


# AWS's tag rules (Tagging AWS resources, "Tag naming limits and requirements"): keys 1-128 and values
# 0-256 Unicode characters of letters, digits, spaces and + - = . _ : / @, values are strings, and the
# aws: prefix (any case) is reserved for AWS.
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
TAG_EXTRA_CHARACTERS = "_.:/=+-@"
# Role inputs that are tags (each defaults to bucketguard_tags).
TAG_INPUTS = ("bucketguard_tags", "trail_tags", "sns_tags", "notifier_lambda_tags")


def tag_text_ok(text: str) -> bool:
    """Only letters, digits, space separators and ``_ . : / = + - @`` (AWS's ``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]``)."""
    return all(c.isalnum() or c in TAG_EXTRA_CHARACTERS or unicodedata.category(c).startswith("Z") for c in text)


def tag_problems(tags: Any, name: str) -> list[str]:
    """AWS's tag rules for a dict of tags, one sentence per problem naming ``name`` and the key."""
    if tags in (None, ""):
        return []
    if not isinstance(tags, dict):
        return [f"{name} must be a dict of tags, got {type(tags).__name__}."]
    out = []
    for key, value in tags.items():
        if not isinstance(key, str) or not 1 <= len(key) <= TAG_KEY_MAX or not tag_text_ok(key):
            out.append(f"{name} key {key!r} must be 1-{TAG_KEY_MAX} letters, digits, spaces or _ . : / = + - @.")
        elif key.lower().startswith("aws:"):
            out.append(f"{name} key {key!r} must not start with 'aws:' (reserved for AWS).")
        if isinstance(value, bool | int | float):
            out.append(f"{name}[{key!r}] must be a string, quoted in YAML, got the {type(value).__name__} {value!r}.")
        elif not isinstance(value, str):
            out.append(f"{name}[{key!r}] must be a string (a scalar), got {value!r}.")
        elif len(value) > TAG_VALUE_MAX or not tag_text_ok(value):
            out.append(
                f"{name}[{key!r}] must be at most {TAG_VALUE_MAX} letters, digits, spaces or _ . : / = + - @, "
                f"got {value!r}."
            )
    return out


# --------------------------------------------------------------------------- S3 names, allow-list, role inputs

S3_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
_IPV4_RE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+\Z")
_S3_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_S3_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", ".mrap")


def s3_bucket_name_ok(name: Any) -> bool:
    """S3's general purpose bucket naming rules (3-63 lower-case letters, digits, dots, hyphens; a letter or digit at
    each end; no "..", ".-" or "-."; not an IP address; no reserved prefix or suffix)."""
    return (
        isinstance(name, str)
        and bool(S3_BUCKET_RE.match(name))
        and not any(part in name for part in ("..", ".-", "-."))
        and not _IPV4_RE.match(name)
        and not name.startswith(_S3_RESERVED_PREFIXES)
        and not name.endswith(_S3_RESERVED_SUFFIXES)
    )


# An allow-list entry: a bucket name or a glob of one (* ? [..]).
ALLOW_ENTRY_RE = re.compile(r"^[a-z0-9.*?\[\]-]{1,63}\Z")
# ... made only of wildcards (``*``, ``?*``, ``[a-z]*``): it would approve every bucket.
WILDCARD_ONLY_RE = re.compile(r"^([*?]|\[[^\]]*\])+\Z")


def allowlist_problems(entries: Any, name: str = "notifier_lambda_allowlist") -> list[str]:
    """Allow-list entries that are not bucket names or globs, or that are only wildcards."""
    if entries in (None, "", []):
        return []
    if not isinstance(entries, list):
        return [f"{name} must be a list of bucket names or globs, got {type(entries).__name__}."]
    out = []
    bad = [e for e in entries if not isinstance(e, str) or not ALLOW_ENTRY_RE.match(e)]
    if bad:
        out.append(f"{name} entries must be bucket names or globs (a-z 0-9 . - * ? [ ]), not: {bad!r}.")
    broad = [e for e in entries if isinstance(e, str) and WILDCARD_ONLY_RE.match(e)]
    if broad:
        out.append(f"{name} entries made only of wildcards would approve every bucket, refused: {broad!r}.")
    return out


KMS_KEY_ARN_RE = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):kms:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:key/[A-Za-z0-9-]+\Z")
KMS_KEY_RE = re.compile(
    r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/[A-Za-z0-9/_-]+"
    r"|arn:(aws|aws-cn|aws-us-gov):kms:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+))\Z"
)
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


def _whole(value: Any) -> int | None:
    """A whole number given as an int or as digits (a survey answer), else None (bools are not numbers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.match(r"^[0-9]{1,9}\Z", value):
        return int(value)
    return None


def role_input_problems(get: Any) -> list[str]:
    """The role inputs an inventory or a survey most often sets, checked fleet-wide before any AWS call.

    Each role checks all its inputs again in its first task; these are here so that a bad value on one host
    stops every host. ``get(name, default)`` reads a host variable (None: not set).
    """
    out: list[str] = []
    # Not set: the alarm role's default period (60 s) for the window check.
    period = _whole(get("alarm_period")) if get("alarm_period") is not None else 60
    if get("alarm_period") is not None and not (period in (10, 30) or (period and period >= 60 and period % 60 == 0)):
        out.append(f"alarm_period must be 10, 30 or a multiple of 60 (seconds), got {get('alarm_period')!r}.")
    evaluations = _whole(get("alarm_evaluation_periods"))
    if get("alarm_evaluation_periods") is not None and not (evaluations and evaluations >= 1):
        out.append(f"alarm_evaluation_periods must be a whole number >= 1, got {get('alarm_evaluation_periods')!r}.")
    if period and evaluations and period * evaluations > 86400:
        out.append(
            f"alarm_period x alarm_evaluation_periods must be at most 86400 seconds, got {period * evaluations}."
        )
    for name in ("trail_log_retention_days", "notifier_lambda_log_retention_days"):
        value = get(name)
        if value is not None and _whole(value) not in LOG_RETENTION_DAYS:
            out.append(f"{name} must be one of {', '.join(map(str, LOG_RETENTION_DAYS))}, got {value!r}.")
    out += allowlist_problems(get("notifier_lambda_allowlist"))
    for name in ("trail_bucket_name", "trail_access_log_bucket_name"):
        value = get(name)
        if value is not None and not s3_bucket_name_ok(value):
            out.append(f"{name} must be a valid S3 bucket name, got {value!r}.")
    for name, pattern, what in (
        ("trail_kms_key_id", KMS_KEY_RE, "a KMS key id, key ARN, alias/NAME or alias ARN"),
        ("trail_log_group_kms_key_arn", KMS_KEY_ARN_RE, "a KMS key ARN"),
        ("sns_kms_key_id", KMS_KEY_RE, "a KMS key id, key ARN, alias/NAME or alias ARN"),
    ):
        value = get(name)
        if value in (None, ""):
            continue
        if not isinstance(value, str) or not pattern.match(value):
            out.append(f"{name} must be empty or {what}, got {value!r}.")
    for name in TAG_INPUTS[1:]:
        out += tag_problems(get(name), name)
    return out


def host_problems(host: str, hv: Any) -> list[str]:
    """Every problem of one inventory host's shared inputs, each naming the host and the variable."""

    def get(name: str, default: Any = None) -> Any:
        try:
            value = hv.get(name, default)
            str(value)  # Ansible may hand back an undefined value that only fails when it is used
            return value
        except Exception as exc:  # an undefined or broken template in the inventory
            return _Broken(str(exc))

    out: list[str] = []
    account = get("bucketguard_account_id")
    if not isinstance(account, str) or not ACCOUNT_ID_RE.match(account):
        hint = ", quoted in YAML (a number loses its leading zeros)" if isinstance(account, int) else ""
        out.append(f"bucketguard_account_id must be 12 digits{hint}, got {account!r}.")
    for name in ("aws_region", "bucketguard_home_region_name"):
        value = get(name)
        if value is None and name == "bucketguard_home_region_name":
            out.append(
                "bucketguard_home_region_name is not set: name the account's home region "
                f"(for example on the account's group); account {account}."
            )
        elif not isinstance(value, str) or not REGION_RE.match(value):
            out.append(f"{name} must be a region name such as eu-west-3, got {value!r}.")
    if "bucketguard_home_region" in hv and as_bool(get("bucketguard_home_region")) is None:
        out.append(f"bucketguard_home_region must be true or false, got {get('bucketguard_home_region')!r}.")
    prefix = get("bucketguard_name_prefix", "bucketguard")
    if not isinstance(prefix, str) or not PREFIX_RE.match(prefix):
        out.append(
            "bucketguard_name_prefix must be 1-31 lower-case letters, digits or hyphens (it names S3 buckets), "
            f"got {prefix!r}."
        )
    partition = get("bucketguard_partition", "aws")
    if partition not in PARTITIONS:
        out.append(f"bucketguard_partition must be one of {', '.join(PARTITIONS)}, got {partition!r}.")
    for name, pattern, what in (
        ("bucketguard_central_topic_arn", SNS_TOPIC_ARN_RE, "an SNS topic ARN"),
        ("bucketguard_assume_role_arn", IAM_ROLE_ARN_RE, "an IAM role ARN"),
    ):
        value = get(name, "")
        if value in ("", None):
            continue
        if not isinstance(value, str) or not pattern.match(value):
            out.append(f"{name} must be {what}, got {value!r}.")
    # Every ARN given must be in the fleet's partition (aws, aws-cn or aws-us-gov: the patterns allow no other).
    for name in ARN_INPUTS:
        value = get(name, "")
        if isinstance(value, str) and value.startswith("arn:") and value.split(":")[1] != partition:
            out.append(f"{name} is in the partition {value.split(':')[1]!r}, bucketguard_partition is {partition!r}.")
    endpoint = get("bucketguard_endpoint_url", "")
    if endpoint not in ("", None) and (not isinstance(endpoint, str) or not ENDPOINT_RE.match(endpoint)):
        out.append(f"bucketguard_endpoint_url must be an http(s) URL, got {endpoint!r}.")
    profile = get("bucketguard_aws_profile", "")
    if profile not in ("", None) and not isinstance(profile, str):
        out.append(f"bucketguard_aws_profile must be a string, got {profile!r}.")
    name = get("bucketguard_account_name", "")
    if name not in ("", None) and (not isinstance(name, str) or len(name) > 50):
        out.append(f"bucketguard_account_name must be the account's name, at most 50 characters, got {name!r}.")
    out += tag_problems(get("bucketguard_tags", {}), "bucketguard_tags")
    out += role_input_problems(get)
    bad = [e for e in split_emails(get("sns_email_subscribers", [])) if not EMAIL_RE.match(e)]
    if bad:
        out.append(f"sns_email_subscribers has addresses that are not valid: {bad!r}.")
    out += [f"{p}" for p in (v.problem for v in (account, prefix, partition) if isinstance(v, _Broken))]
    return [f"{host}: {problem}" for problem in out]


class _Broken:
    """An inventory value whose template failed: its error is the problem."""

    def __init__(self, error: str):
        self.problem = f"an inventory value could not be templated: {error}"

    def __repr__(self) -> str:
        return f"<{self.problem}>"


def is_home_host(hv: Any) -> bool:
    """Is this host its account's home-region host? Its aws_region is the account's bucketguard_home_region_name.

    ``bucketguard_home_region`` (deprecated, a boolean) still decides when an inventory sets it; the fleet
    check refuses a value that contradicts the region names.
    """
    if "bucketguard_home_region" in hv:
        return bool(as_bool(hv.get("bucketguard_home_region")))
    name = hv.get("bucketguard_home_region_name")
    return name is not None and str(hv.get("aws_region")) == str(name)


def fleet_problems(hosts: dict[str, Any], sliced: bool = False) -> list[str]:
    """The whole inventory's problems: each host's inputs, then each account's home region.

    ``hosts`` maps inventory host name -> its variables. Every account needs exactly one host in the region
    its hosts name as ``bucketguard_home_region_name`` (``is_home_host``);
    a region host whose account has no such host is refused (its events would have nowhere to go) -
    unless ``sliced``: an AWX job slice holds only part of the inventory, so an account's home-region host
    may be in another slice (the other checks still apply: one home host at most, in the named region).
    """
    out: list[str] = []
    accounts: dict[str, list[tuple[str, Any]]] = {}
    for host, hv in hosts.items():
        out += host_problems(host, hv)
        try:
            accounts.setdefault(str(hv.get("bucketguard_account_id")), []).append((host, hv))
        except Exception:  # reported above
            continue
    for account, members in sorted(accounts.items()):
        names = sorted({str(hv.get("bucketguard_home_region_name")) for _, hv in members})
        homes = [(h, hv) for h, hv in members if is_home_host(hv)]
        if len(names) > 1:
            out.append(f"account {account}: its hosts disagree on bucketguard_home_region_name ({', '.join(names)}).")
        if len(homes) != 1 and not (sliced and not homes):
            out.append(
                f"account {account}: needs exactly one host in its home region (bucketguard_home_region_name), "
                f"has {len(homes)}"
                + (
                    f" ({', '.join(h for h, _ in homes)})"
                    if homes
                    else f" (its home region {names[0]} is not in the inventory)"
                )
                + "."
            )
        elif homes and str(homes[0][1].get("aws_region")) != names[0]:
            out.append(
                f"account {account}: the host {homes[0][0]} has bucketguard_home_region true but its aws_region "
                f"{homes[0][1].get('aws_region')} is not bucketguard_home_region_name {names[0]}."
            )
    from .hub import hub_problems  # hub imports this module

    out += hub_problems(hosts, sliced=sliced)
    return out


def deprecated_inputs(hv: Any) -> list[str]:
    """Warnings for renamed inputs still set (accepted for one release)."""
    return [
        f"{old} is deprecated and will be removed in 0.3.0: use {new}."
        for old, new in DEPRECATED_INPUTS.items()
        if old in hv
    ]


# --------------------------------------------------------------------------- watch the watcher (tamper alarm)

# Successful calls that disable, blind or re-point bucketguard itself, per service: (eventSource, event names,
# [(request field selector, kind of name)]). Lambda's CloudTrail event names carry version suffixes
# (DeleteFunction20150331, UpdateFunctionCode20150331v2...): they are matched by prefix ("Name*").
TAMPER_CALLS: dict[str, tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    "events": (
        "events.amazonaws.com",
        ("DeleteRule", "DisableRule", "PutRule", "RemoveTargets", "PutTargets"),
        (("$.requestParameters.name", "rule"), ("$.requestParameters.rule", "rule")),
    ),
    "cloudwatch": (
        "monitoring.amazonaws.com",
        ("DeleteAlarms", "DisableAlarmActions", "PutMetricAlarm", "SetAlarmState"),
        (("$.requestParameters.alarmNames[*]", "alarm"), ("$.requestParameters.alarmName", "alarm")),
    ),
    "logs": (
        "logs.amazonaws.com",
        ("DeleteLogGroup", "PutRetentionPolicy", "DeleteMetricFilter", "PutMetricFilter", "DisassociateKmsKey"),
        (("$.requestParameters.logGroupName", "log_group"),),
    ),
    "lambda": (
        "lambda.amazonaws.com",
        (
            "DeleteFunction*",
            "UpdateFunctionCode*",
            "UpdateFunctionConfiguration*",
            "PutFunctionConcurrency*",
            "AddPermission*",
            "RemovePermission*",
            "PutFunctionEventInvokeConfig*",
            "UpdateFunctionEventInvokeConfig*",
        ),
        (("$.requestParameters.functionName", "function"),),
    ),
    "sns": (
        "sns.amazonaws.com",
        ("DeleteTopic", "SetTopicAttributes", "RemovePermission", "AddPermission", "Unsubscribe"),
        (("$.requestParameters.topicArn", "topic"), ("$.requestParameters.subscriptionArn", "subscription")),
    ),
    "cloudtrail": (
        "cloudtrail.amazonaws.com",
        ("StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"),
        (("$.requestParameters.name", "trail"), ("$.requestParameters.trailName", "trail")),
    ),
    # The notifier's buffer and dead-letter queues (SendMessage/ReceiveMessage are data events, not logged
    # here) and its dedup table (deleting it, or its TTL, makes every event look new: duplicates, not silence).
    "sqs": (
        "sqs.amazonaws.com",
        ("DeleteQueue", "PurgeQueue", "SetQueueAttributes", "AddPermission", "RemovePermission"),
        (("$.requestParameters.queueUrl", "queue"),),
    ),
    "dynamodb": (
        "dynamodb.amazonaws.com",
        ("DeleteTable", "UpdateTable", "UpdateTimeToLive"),
        (("$.requestParameters.tableName", "table"),),
    ),
    "iam": (
        "iam.amazonaws.com",
        (
            "DeleteRole",
            "PutRolePolicy",
            "DeleteRolePolicy",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "UpdateAssumeRolePolicy",
        ),
        (("$.requestParameters.roleName", "role"),),
    ),
}


def _tamper_values(kind: str, names: dict) -> list[str]:
    """The request values that name one of our resources, for one kind of name (wildcards at the ends only)."""
    prefix = names["prefix"]
    if kind == "rule":
        return [names["rule"]]
    if kind == "alarm":
        return [f"{prefix}-*"]
    if kind == "log_group":
        return list(names["log_groups"])
    if kind == "function":
        return [names["function"], f"*:function:{names['function']}", f"*:function:{names['function']}:*"]
    if kind == "topic":
        return [f"*:{names['topic']}"]
    if kind == "subscription":
        return [f"*:{names['topic']}:*"]
    if kind == "trail":
        return [v for t in names.get("trails") or [] for v in (t, f"*:trail/{t}")]
    if kind == "role":
        return list(names["roles"])
    if kind == "queue":  # a queue URL ends with "/<account>/<name>"
        return [f"*/{q}" for q in names.get("queues") or []]
    if kind == "table":
        return [names["table"]] if names.get("table") else []
    raise ValueError(f"unknown kind of name {kind!r}")


def tamper_filter_patterns(names: dict, ignore_roles: list[str] | tuple[str, ...] = ()) -> dict[str, str]:
    """One CloudWatch Logs pattern per service: a successful call on one of OUR resources that can disable,
    blind or re-point bucketguard. ``names``: prefix, rule, function, topic, trails (may be empty: not ours),
    log_groups, roles, queues, table (the notifier's; may be missing: not watched). ``ignore_roles``: role names
    whose sessions are not alarmed (e.g. the deployer).
    Each pattern stays under CloudWatch Logs' 1024 characters; a service with nothing of ours is left out."""
    out = {}
    for label, (source, event_names, fields) in TAMPER_CALLS.items():
        targets = []
        for selector, kind in fields:
            values = _tamper_values(kind, names)
            targets += [f'({selector} = "{value}")' for value in values]
        if not targets:
            continue
        calls = " || ".join(f'($.eventName = "{name}")' for name in event_names)
        # "!=" never matches a missing property: an IAM user or root (no session issuer) must still match.
        issuer = "$.userIdentity.sessionContext.sessionIssuer.userName"
        ignore = "".join(f' && (({issuer} NOT EXISTS) || ({issuer} != "{role}"))' for role in ignore_roles)
        pattern = (
            f'{{ ($.eventSource = "{source}") && ({calls}) && ({" || ".join(targets)})'
            f"{ignore} && ($.errorCode NOT EXISTS) }}"
        )
        if len(pattern) > 1024:
            raise ValueError(f"the tamper pattern for {label} is {len(pattern)} characters, over 1024")
        out[label] = pattern
    return out
