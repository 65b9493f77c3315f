"""A fake AWS account for the audit's unit tests: S3, S3 Control and STS answers from a dict, read calls only.

Any call other than Get*/List*/Head* (and GetBucketPolicyStatus, which is a Get*) is recorded in
``forbidden`` and raises: the tests assert ``forbidden == []``. Every call is recorded in ``calls``.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

READ_PREFIXES = ("get_", "list_", "head_")
OFF = {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}
ON = dict.fromkeys(OFF, True)
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
OWNER = {"ID": "owner-canonical-id", "DisplayName": "owner"}


def public_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                 "Resource": f"arn:aws:s3:::{bucket}/*"}
            ],
        }
    )  # fmt: skip


def public_acl() -> dict[str, Any]:
    return {
        "Owner": OWNER,
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", **OWNER}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
        ],
    }


def private_acl() -> dict[str, Any]:
    return {"Owner": OWNER, "Grants": [{"Grantee": {"Type": "CanonicalUser", **OWNER}, "Permission": "FULL_CONTROL"}]}


@dataclass
class Bucket:
    region: str = "eu-west-3"
    acl: dict[str, Any] = field(default_factory=private_acl)
    pab: dict[str, bool] | None = None
    policy: str | None = None
    ownership: str | None = "BucketOwnerEnforced"
    tags: dict[str, str] | None = None
    policy_status: bool | None = None  # None: GetBucketPolicyStatus answers like LocalStack (not emulated)
    fail: dict[str, str] = field(default_factory=dict)  # method -> error code


def error(code: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"fake {code}"}}, operation)


class FakeAWS:
    """One account: ``buckets`` by name, its account Block Public Access, its STS identity."""

    def __init__(self, account_id: str = "123456789012", buckets: dict[str, Bucket] | None = None) -> None:
        self.account_id = account_id
        self.buckets = buckets or {}
        self.account_pab: dict[str, bool] | None = None
        self.account_fail: dict[str, str] = {}  # method -> code for account-level calls
        self.caller_account = account_id
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.forbidden: list[str] = []
        self.throttle: dict[str, int] = {}  # method -> how many Throttling answers before the real one
        self.vanish_after_location: set[str] = set()  # buckets deleted right after GetBucketLocation
        self._lock = threading.Lock()

    # -- bookkeeping
    def _record(self, name: str, kwargs: dict[str, Any]) -> None:
        with self._lock:
            self.calls.append((name, kwargs))
            if self.throttle.get(name):
                self.throttle[name] -= 1
                raise error("Throttling", name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        with self._lock:
            self.forbidden.append(name)
        raise AssertionError(f"the audit called {name}, which is not a read call")

    def _bucket(self, name: str, method: str, operation: str) -> Bucket:
        bucket = self.buckets.get(name)
        if bucket is None:
            raise error("NoSuchBucket", operation)
        code = bucket.fail.get(method)
        if code:
            raise error(code, operation)
        return bucket

    # -- STS
    def get_caller_identity(self, **kwargs: Any) -> dict[str, Any]:
        self._record("get_caller_identity", kwargs)
        if "get_caller_identity" in self.account_fail:
            raise error(self.account_fail["get_caller_identity"], "GetCallerIdentity")
        return {"Account": self.caller_account, "Arn": f"arn:aws:sts::{self.caller_account}:assumed-role/audit/x"}

    # -- S3
    def list_buckets(self, **kwargs: Any) -> dict[str, Any]:
        self._record("list_buckets", kwargs)
        if "list_buckets" in self.account_fail:
            raise error(self.account_fail["list_buckets"], "ListBuckets")
        return {"Buckets": [{"Name": n, "BucketRegion": b.region} for n, b in sorted(self.buckets.items())]}

    def get_bucket_location(self, Bucket: str, **kwargs: Any) -> dict[str, Any]:
        self._record("get_bucket_location", {"Bucket": Bucket, **kwargs})
        bucket = self._bucket(Bucket, "get_bucket_location", "GetBucketLocation")
        if Bucket in self.vanish_after_location:
            with self._lock:
                self.buckets.pop(Bucket, None)
        return {"LocationConstraint": None if bucket.region == "us-east-1" else bucket.region}

    def get_bucket_acl(self, Bucket: str, **kwargs: Any) -> dict[str, Any]:
        self._record("get_bucket_acl", {"Bucket": Bucket, **kwargs})
        return dict(self._bucket(Bucket, "get_bucket_acl", "GetBucketAcl").acl)

    def get_public_access_block(self, **kwargs: Any) -> dict[str, Any]:
        self._record("get_public_access_block", kwargs)
        if "AccountId" in kwargs:  # S3 Control
            if kwargs["AccountId"] != self.account_id:
                raise error("AccessDenied", "GetPublicAccessBlock")
            if "get_account_pab" in self.account_fail:
                raise error(self.account_fail["get_account_pab"], "GetPublicAccessBlock")
            if self.account_pab is None:
                raise error("NoSuchPublicAccessBlockConfiguration", "GetPublicAccessBlock")
            return {"PublicAccessBlockConfiguration": dict(self.account_pab)}
        bucket = self._bucket(kwargs["Bucket"], "get_public_access_block", "GetPublicAccessBlock")
        if bucket.pab is None:
            raise error("NoSuchPublicAccessBlockConfiguration", "GetPublicAccessBlock")
        return {"PublicAccessBlockConfiguration": dict(bucket.pab)}

    def get_bucket_policy(self, Bucket: str, **kwargs: Any) -> dict[str, Any]:
        self._record("get_bucket_policy", {"Bucket": Bucket, **kwargs})
        bucket = self._bucket(Bucket, "get_bucket_policy", "GetBucketPolicy")
        if bucket.policy is None:
            raise error("NoSuchBucketPolicy", "GetBucketPolicy")
        return {"Policy": bucket.policy}

    def get_bucket_policy_status(self, Bucket: str, **kwargs: Any) -> dict[str, Any]:
        self._record("get_bucket_policy_status", {"Bucket": Bucket, **kwargs})
        bucket = self._bucket(Bucket, "get_bucket_policy_status", "GetBucketPolicyStatus")
        if bucket.policy is None:
            raise error("NoSuchBucketPolicy", "GetBucketPolicyStatus")
        if bucket.policy_status is None:
            raise error("NotImplemented", "GetBucketPolicyStatus")
        return {"PolicyStatus": {"IsPublic": bucket.policy_status}}

    def get_bucket_ownership_controls(self, Bucket: str, **kwargs: Any) -> dict[str, Any]:
        self._record("get_bucket_ownership_controls", {"Bucket": Bucket, **kwargs})
        bucket = self._bucket(Bucket, "get_bucket_ownership_controls", "GetBucketOwnershipControls")
        if bucket.ownership is None:
            raise error("OwnershipControlsNotFoundError", "GetBucketOwnershipControls")
        return {"OwnershipControls": {"Rules": [{"ObjectOwnership": bucket.ownership}]}}

    def get_bucket_tagging(self, Bucket: str, **kwargs: Any) -> dict[str, Any]:
        self._record("get_bucket_tagging", {"Bucket": Bucket, **kwargs})
        bucket = self._bucket(Bucket, "get_bucket_tagging", "GetBucketTagging")
        if not bucket.tags:
            raise error("NoSuchTagSet", "GetBucketTagging")
        return {"TagSet": [{"Key": k, "Value": v} for k, v in bucket.tags.items()]}
