# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The trail role's input check, names, ARNs, policies and event selectors (pure, standard library).

The role reaches them through the ``trail_problems`` and ``trail_facts`` filters, with its inputs as one dict
(every ``trail_*`` variable); tests call them directly. Every format check is anchored at the true end (``\\Z``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.bucketguard.visibility.plugins.module_utils.contract import (
    ACCOUNT_ID_RE,
    KMS_KEY_ARN_RE,
    KMS_KEY_RE,
    LOG_GROUP_NAME_RE,
    LOG_RETENTION_DAYS,
    PARTITIONS,
    REGION_RE,
    as_bool,
    s3_bucket_name_ok,
    text_matches,
)
from ansible_collections.bucketguard.visibility.plugins.module_utils.contract import (
    IAM_ROLE_NAME_RE as ROLE_NAME_RE,
)

KMS_ALIAS_RE = re.compile(r"^alias/[A-Za-z0-9/_-]{1,250}\Z")
DAYS_RE = re.compile(r"^[0-9]+\Z")
TRAIL_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]\Z")
KEY_PREFIX_RE = re.compile(r"^([A-Za-z0-9!_.*()-]+(/[A-Za-z0-9!_.*()-]+)*)?\Z")
TRAIL_ARN_RE = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov):cloudtrail:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:trail/[A-Za-z0-9._-]{3,128}\Z"
)
STORAGE_CLASSES = ("glacier", "onezone_ia", "standard_ia", "intelligent_tiering", "deep_archive")
OBJECT_LOCK_MODES = ("", "governance", "compliance")
LOGS_ROLE_POLICY_NAME = "cloudtrail-to-log-group"


def _js(value: Any) -> str:
    return json.dumps(value)


_ok = text_matches


def _days(value: Any) -> bool:
    """A whole number of days >= 0, given as a number or as digits."""
    return DAYS_RE.match(str(value)) is not None


def _on(value: Any) -> bool:
    return as_bool(value) is True


def arn_partitions(v: Mapping[str, Any]) -> list[str]:
    """The partitions of the ARNs given as inputs, each once, in order (others are refused by the ARN's own format)."""
    found: list[str] = []
    for value in (v["trail_kms_key_id"], v["trail_log_group_kms_key_arn"], v["trail_existing_trail_arn"]):
        if isinstance(value, str) and value.startswith("arn:"):
            part = value.split(":")[1]
            if part in PARTITIONS and part not in found:
                found.append(part)
    return found


def trail_problems(v: Mapping[str, Any], partition: str, region: Any) -> list[str]:
    """Every input problem of the trail role, one sentence each naming the variable (empty: inputs are fine).

    ``v``: the role's ``trail_*`` variables; ``partition``: ``bucketguard_partition``; ``region``: ``aws_region``.
    """
    name, bucket, prefix = v["trail_name"], v["trail_bucket_name"], v["trail_s3_key_prefix"]
    kms_id, lg_kms, existing = v["trail_kms_key_id"], v["trail_log_group_kms_key_arn"], v["trail_existing_trail_arn"]
    transition, expiration = v["trail_log_transition_days"], v["trail_log_expiration_days"]
    alias, deletion = v["trail_kms_key_alias"], v["trail_kms_key_deletion_days"]
    lock_mode, lock_days = v["trail_object_lock_mode"], v["trail_object_lock_days"]
    access_bucket = v["trail_access_log_bucket_name"]
    partitions = arn_partitions(v)
    problems = [
        (
            f"trail_account_id (bucketguard_account_id) must be 12 digits, got {_js(str(v['trail_account_id']))}.",
            not _ok(ACCOUNT_ID_RE, str(v["trail_account_id"])),
        ),
        (
            f"aws_region must be a region name such as eu-west-3, got {_js(str(region))}.",
            not _ok(REGION_RE, str(region)),
        ),
        (
            "trail_name must be 3-128 letters, digits, dots, hyphens or underscores, starting and ending with a letter"
            f" or digit, got {_js(name)}.",
            not _ok(TRAIL_NAME_RE, name),
        ),
        (
            "trail_bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens; start and"
            ' end with a letter or digit; no "..", no IP address, no reserved prefix or suffix), got'
            f" {_js(bucket)}.",
            not s3_bucket_name_ok(bucket),
        ),
        (
            f"trail_s3_key_prefix must be empty or path segments without leading or trailing slash, got {_js(prefix)}.",
            not _ok(KEY_PREFIX_RE, prefix),
        ),
        (
            f"trail_kms_key_id must be empty, a key id, key ARN, alias/NAME or alias ARN, got {_js(kms_id)}.",
            not (kms_id == "" or _ok(KMS_KEY_RE, kms_id)),
        ),
        (
            "trail_log_group_kms_key_arn must be empty or a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID; CloudWatch"
            f" Logs takes no alias), got {_js(lg_kms)}.",
            not (lg_kms == "" or _ok(KMS_KEY_ARN_RE, lg_kms)),
        ),
        (
            f"trail_log_group_name must be 1-512 letters, digits, or . _ / # -, got {_js(v['trail_log_group_name'])}.",
            not _ok(LOG_GROUP_NAME_RE, v["trail_log_group_name"]),
        ),
        (
            f"trail_log_retention_days must be one of {', '.join(map(str, LOG_RETENTION_DAYS))}, got"
            f" {_js(v['trail_log_retention_days'])}.",
            str(v["trail_log_retention_days"]) not in map(str, LOG_RETENTION_DAYS),
        ),
        (
            f"trail_logs_role_name must be 1-64 letters, digits or +=,.@_-, got {_js(v['trail_logs_role_name'])}.",
            not _ok(ROLE_NAME_RE, v["trail_logs_role_name"]),
        ),
        (
            f"trail_log_transition_days must be a whole number of days >= 0 (0: never), got {_js(transition)}.",
            not _days(transition),
        ),
        (
            f"trail_log_expiration_days must be a whole number of days >= 0 (0: keep forever), got {_js(expiration)}.",
            not _days(expiration),
        ),
        (
            f"trail_log_expiration_days ({expiration}) must be greater than trail_log_transition_days ({transition}).",
            _days(transition)
            and _days(expiration)
            and int(transition) > 0
            and int(expiration) > 0
            and int(expiration) <= int(transition),
        ),
        (
            f"trail_log_transition_storage_class must be one of {', '.join(STORAGE_CLASSES)}, got"
            f" {_js(v['trail_log_transition_storage_class'])}.",
            v["trail_log_transition_storage_class"] not in STORAGE_CLASSES,
        ),
        (
            "trail_existing_trail_arn must be empty or a trail ARN (arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME), got"
            f" {_js(existing)}.",
            not (existing == "" or _ok(TRAIL_ARN_RE, existing)),
        ),
        (
            "trail_kms_key_id, trail_log_group_kms_key_arn and trail_existing_trail_arn must be ARNs of"
            f" bucketguard_partition {_js(partition)}, got the partition(s) {_js(partitions)}.",
            any(p != partition for p in partitions),
        ),
        (
            "trail_kms_key_create (make a key) and trail_kms_key_id (use an existing key) cannot both be set:"
            " choose one.",
            _on(v["trail_kms_key_create"]) and kms_id != "",
        ),
        (
            f"trail_kms_key_alias must be alias/NAME (letters, digits, / _ -; not alias/aws/...), got {_js(alias)}.",
            not _ok(KMS_ALIAS_RE, alias) or alias.startswith("alias/aws/"),
        ),
        (
            f"trail_kms_key_deletion_days must be 7-30 (the KMS waiting period), got {_js(deletion)}.",
            not _days(deletion) or not 7 <= int(deletion) <= 30,
        ),
        (
            "trail_kms_key_delete would leave the kept log files unreadable: it takes effect only with trail_state:"
            " absent and trail_purge_logs: true; set both or leave trail_kms_key_delete false.",
            _on(v["trail_kms_key_delete"]) and v["trail_state"] == "absent" and not _on(v["trail_purge_logs"]),
        ),
        (
            "trail_access_log_bucket_name must be a valid S3 bucket name other than trail_bucket_name, got"
            f" {_js(access_bucket)}.",
            _on(v["trail_access_logging"]) and (not s3_bucket_name_ok(access_bucket) or access_bucket == bucket),
        ),
        (
            f"trail_object_lock_mode must be empty, governance or compliance, got {_js(lock_mode)}.",
            lock_mode not in OBJECT_LOCK_MODES,
        ),
        (
            f"trail_object_lock_days must be 1-36500 with trail_object_lock_mode {_js(lock_mode)} (0 without it), got"
            f" {_js(lock_days)}.",
            not _days(lock_days)
            or (lock_mode != "" and not 1 <= int(lock_days) <= 36500)
            or (lock_mode == "" and int(lock_days) != 0),
        ),
    ]
    return [message for message, failed in problems if failed]


def _deny_insecure_transport(bucket_arn: str) -> dict:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def bucket_policy(bucket_arn: str, objects_arn: str, trail_arn: str) -> dict:
    """CloudTrail may read the ACL and write log files only for this trail (aws:SourceArn), with
    bucket-owner-full-control; any access without TLS is denied."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AWSCloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": bucket_arn,
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
            },
            {
                "Sid": "AWSCloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": objects_arn,
                "Condition": {
                    "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}
                },
            },
            _deny_insecure_transport(bucket_arn),
        ],
    }


def access_log_bucket_policy(access_log_bucket_arn: str, prefix: str, bucket_arn: str, account_id: str) -> dict:
    """From the S3 guide ("Enabling Amazon S3 server access logging", permissions for log delivery): only the
    logging service may write, only under this log bucket's prefix, only for this log bucket of this account;
    every request without TLS is denied."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "S3ServerAccessLogsPolicy",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{access_log_bucket_arn}/{prefix}*",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": bucket_arn},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            },
            _deny_insecure_transport(access_log_bucket_arn),
        ],
    }


def kms_key_policy(partition: str, region: str, account_id: str, trail_arn: str, log_group_name: str) -> dict:
    """Key policy from AWS's guides: "Configure AWS KMS key policies for CloudTrail" (encrypt pinned to this trail
    by aws:SourceArn and the encryption context, describe, decrypt for the account's principals whose IAM policies
    allow it) and "Encrypt log data in CloudWatch Logs using AWS KMS" (this log group only, by its encryption
    context). The account root statement keeps the key manageable through IAM (without it nobody could change or
    delete the key). The Bucket Key statement is the CloudTrail guide's "Granting decrypt permissions"."""
    this_trail = {"StringEquals": {"aws:SourceArn": trail_arn}}
    cloudtrail = {"Service": "cloudtrail.amazonaws.com"}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EnableIAMPolicies",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "AllowCloudTrailToEncryptLogs",
                "Effect": "Allow",
                "Principal": cloudtrail,
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    **this_trail,
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{partition}:cloudtrail:*:{account_id}:trail/*"
                    },
                },
            },
            {
                "Sid": "AllowCloudTrailToDescribeKey",
                "Effect": "Allow",
                "Principal": cloudtrail,
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": this_trail,
            },
            {
                "Sid": "AllowCloudTrailToDecryptWithTheBucketKey",
                "Effect": "Allow",
                "Principal": cloudtrail,
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": this_trail,
            },
            {
                "Sid": "AllowPrincipalsInTheAccountToDecryptLogFiles",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:CallerAccount": account_id},
                    "Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "false"},
                },
            },
            {
                "Sid": "AllowCloudWatchLogsForTheTrailLogGroup",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group_name}"
                        )
                    }
                },
            },
        ],
    }


def advanced_event_selectors(management_events: str, object_acl_events: Any) -> list[dict]:
    """What the trail records (always set, so that going back from write_only or from the object ACL events
    converges): management events, all or only writes (readOnly takes the strings "true"/"false"); with
    ``object_acl_events``, S3 data events of PutObjectAcl only (object-level exposure without paying for every
    object read)."""
    management = [{"Field": "eventCategory", "Equals": ["Management"]}]
    if management_events == "write_only":
        management.append({"Field": "readOnly", "Equals": ["false"]})
    selectors = [{"Name": "Management events", "FieldSelectors": management}]
    if _on(object_acl_events):
        selectors.append(
            {
                "Name": "S3 object ACL changes",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    {"Field": "eventName", "Equals": ["PutObjectAcl"]},
                ],
            }
        )
    return selectors


def trail_facts(v: Mapping[str, Any], partition: str, region: str, made_key_arn: str = "") -> dict[str, Any]:
    """The trail role's computed values (ARNs from names, so they exist in check mode and before creation), by the
    name they have in ``roles/trail/vars/main.yml`` without the ``__trail_`` prefix.

    ``made_key_arn``: the ARN of the key the role made (``amazon.aws.kms_key``'s ``key_arn``), empty before it exists.
    """
    account, name, group = str(v["trail_account_id"]), v["trail_name"], v["trail_log_group_name"]
    bucket, prefix = v["trail_bucket_name"], v["trail_s3_key_prefix"]
    create = _on(v["trail_kms_key_create"])
    trail_arn = f"arn:{partition}:cloudtrail:{region}:{account}:trail/{name}"
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    objects_arn = f"{bucket_arn}/{prefix + '/' if prefix else ''}AWSLogs/{account}/*"
    alias_arn = f"arn:{partition}:kms:{region}:{account}:{v['trail_kms_key_alias']}"
    access_log_bucket_arn = f"arn:{partition}:s3:::{v['trail_access_log_bucket_name']}"
    access_log_prefix = f"{bucket}/"
    return {
        "arn": trail_arn,
        # The form CloudTrail takes and DescribeLogGroups returns (with the trailing ":*").
        "log_group_arn": f"arn:{partition}:logs:{region}:{account}:log-group:{group}:*",
        "logs_role_arn": f"arn:{partition}:iam::{account}:role/{v['trail_logs_role_name']}",
        "bucket_arn": bucket_arn,
        "bucket_policy": bucket_policy(bucket_arn, objects_arn, trail_arn),
        "advanced_event_selectors": advanced_event_selectors(
            v["trail_management_events"], v["trail_object_acl_events"]
        ),
        # CloudTrail assumes the logs role, for this trail only ...
        "logs_role_trust": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudtrail.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
                }
            ],
        },
        # ... and may create streams in, and write to, that one log group and nothing else.
        "logs_role_policy_name": LOGS_ROLE_POLICY_NAME,
        "logs_role_policy": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "WriteTrailEventsToTheLogGroup",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": f"arn:{partition}:logs:{region}:{account}:log-group:{group}:log-stream:*",
                }
            ],
        },
        # The key the trail and the bucket use: the one made here (named by its alias until it exists: CloudTrail
        # takes an alias ARN), the one given, or none (SSE-S3); its ARN once known.
        "kms_key": alias_arn if create else v["trail_kms_key_id"],
        "kms_key_arn": (made_key_arn or alias_arn) if create else v["trail_kms_key_id"],
        # The log group's key (a key ARN only): trail_log_group_kms_key_arn, else the made key once it exists.
        "log_group_kms_key": v["trail_log_group_kms_key_arn"] or (made_key_arn if create else ""),
        "kms_key_policy": kms_key_policy(partition, region, account, trail_arn, group),
        "access_log_prefix": access_log_prefix,
        "access_log_bucket_policy": access_log_bucket_policy(
            access_log_bucket_arn, access_log_prefix, bucket_arn, account
        ),
    }
