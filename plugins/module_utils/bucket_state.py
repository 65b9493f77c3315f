# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read what decides a bucket's exposure, through clients the caller gives (no boto3 import here).

The notifier (its Lambda package carries this file) and the audit read a bucket with these same
functions, so both judge the same state with ``exposure.assess``. Every read failure becomes an
error string "part: code" (never an exception): ``exposure.verdict_is_certain`` decides whether the
verdict still holds without that part. AWS's documented "not configured" answers are not errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Answers that mean "this part is not configured" (the bucket has no policy, no tags, ...).
ABSENT_CODES = frozenset(
    {
        "NoSuchPublicAccessBlockConfiguration",
        "NoSuchBucketPolicy",
        "OwnershipControlsNotFoundError",
        "NoSuchTagSet",
        "NoSuchTagSetError",
    }
)
MISSING_BUCKET_CODES = frozenset({"NoSuchBucket", "404"})
_ACCOUNT_RE = re.compile(r"^\d{12}$")


@dataclass
class BucketState:
    """The parts read (keys of ``exposure.STATE_KEYS``), the tags, and what could not be read."""

    state: dict[str, Any]
    tags: dict[str, str] | None
    errors: list[str]
    missing: bool = False


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError, else the exception's class name."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", type(exc).__name__))
    return type(exc).__name__


def _read(call: Callable[[], Any], label: str, errors: list[str]) -> tuple[Any, bool]:
    """(value, ok). Documented "not configured" errors give (None, True)."""
    try:
        return call(), True
    except Exception as exc:  # any read failure becomes "unknown", never a crash
        code = error_code(exc)
        if code in ABSENT_CODES:
            return None, True
        errors.append(f"{label}: {code}")
        return None, False


def read_account_pab(s3control: Any, account_id: str | None, errors: list[str]) -> Any:
    """The account's Block Public Access configuration (None when not set or not readable)."""
    if not account_id or not _ACCOUNT_RE.match(account_id):
        errors.append("account Block Public Access: account id unknown")
        return None
    value, _ = _read(
        lambda: s3control.get_public_access_block(AccountId=account_id)["PublicAccessBlockConfiguration"],
        "account Block Public Access",
        errors,
    )
    return value


def read_bucket_state(s3: Any, bucket: str, account_pab: Any) -> BucketState:
    """ACL, Block Public Access, policy, ownership controls and tags of ``bucket``."""
    errors: list[str] = []
    acl, _ = _read(lambda: s3.get_bucket_acl(Bucket=bucket), "ACL", errors)
    if any(e.split(": ", 1)[-1] in MISSING_BUCKET_CODES for e in errors):
        return BucketState(state={}, tags=None, errors=["bucket does not exist (deleted?)"], missing=True)
    pab, _ = _read(lambda: s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"], "BPA", errors)
    policy, _ = _read(lambda: s3.get_bucket_policy(Bucket=bucket)["Policy"], "policy", errors)

    def ownership() -> Any:
        rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
        return rules[0]["ObjectOwnership"] if rules else None

    owner, _ = _read(ownership, "ownership controls", errors)
    tag_set, tags_ok = _read(lambda: s3.get_bucket_tagging(Bucket=bucket)["TagSet"], "tags", errors)
    tags = {t["Key"]: t["Value"] for t in tag_set or []} if tags_ok else None
    if isinstance(acl, dict):
        acl = {"Owner": acl.get("Owner"), "Grants": acl.get("Grants", [])}
    state = {
        "account_public_access_block": account_pab,
        "public_access_block": pab,
        "policy": policy,
        "acl": acl,
        "ownership": owner,
    }
    return BucketState(state=state, tags=tags, errors=errors)


# GetBucketPolicyStatus answers these where it is not emulated or not allowed: the second opinion is
# then simply missing (recorded as an error "policy status: code", which never changes a verdict).
def read_policy_status(s3: Any, bucket: str, errors: list[str]) -> bool | None:
    """S3's own verdict on the bucket policy (``PolicyStatus.IsPublic``); None when it cannot be had.

    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicyStatus.html - a bucket without a
    policy answers NoSuchBucketPolicy, which means "not public by policy" (False).
    """
    try:
        status = s3.get_bucket_policy_status(Bucket=bucket)
    except Exception as exc:  # denied, throttled, not implemented: no second opinion
        code = error_code(exc)
        if code == "NoSuchBucketPolicy":
            return False
        errors.append(f"policy status: {code}")
        return None
    value = (status or {}).get("PolicyStatus", {}).get("IsPublic")
    return value if isinstance(value, bool) else None


def read_bucket_region(s3: Any, bucket: str, errors: list[str]) -> str | None:
    """The bucket's region from GetBucketLocation; None when it cannot be read (error "region: code").

    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html - buckets in us-east-1
    answer an empty LocationConstraint, and the legacy value ``EU`` means eu-west-1.
    """
    value, ok = _read(lambda: s3.get_bucket_location(Bucket=bucket).get("LocationConstraint"), "region", errors)
    if not ok:
        return None
    if not value:
        return "us-east-1"
    return "eu-west-1" if value == "EU" else str(value)
