"""bucket_state.read_policy_status and exposure.with_policy_status: S3's GetBucketPolicyStatus as a second opinion.

https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicyStatus.html
"""

from __future__ import annotations

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils.bucket_state import read_policy_status
from ansible_collections.bucketguard.visibility.plugins.module_utils.exposure import (
    verdict_is_certain,
    with_policy_status,
)
from botocore.exceptions import ClientError

POLICY_PUBLIC = {"public": True, "via": ["policy"], "reasons": ["bucket policy: statement allows *"]}
NOT_PUBLIC = {"public": False, "via": [], "reasons": ["no public ACL grant and no public bucket policy"]}
RESTRICTED = {
    "public": False,
    "via": [],
    "reasons": ["bucket policy is public but RestrictPublicBuckets is on at bucket level: ..."],
}


class FakeS3:
    def __init__(self, answer=None, code=None):
        self.answer, self.code = answer, code

    def get_bucket_policy_status(self, Bucket):
        if self.code:
            raise ClientError({"Error": {"Code": self.code, "Message": "m"}}, "GetBucketPolicyStatus")
        return self.answer


@pytest.mark.parametrize(
    ("client", "expected", "errors"),
    [
        (FakeS3({"PolicyStatus": {"IsPublic": True}}), True, []),
        (FakeS3({"PolicyStatus": {"IsPublic": False}}), False, []),
        # No policy: NoSuchBucketPolicy means "not public by policy".
        (FakeS3(code="NoSuchBucketPolicy"), False, []),
        (FakeS3(code="AccessDenied"), None, ["policy status: AccessDenied"]),
        (FakeS3(code="NotImplemented"), None, ["policy status: NotImplemented"]),
        (FakeS3({"PolicyStatus": {}}), None, []),
        (FakeS3({"PolicyStatus": {"IsPublic": "true"}}), None, []),
    ],
)
def test_read_policy_status(client, expected, errors):
    found: list[str] = []
    assert read_policy_status(client, "b", found) is expected
    assert found == errors


def test_policy_status_error_never_changes_certainty():
    assert verdict_is_certain(NOT_PUBLIC, ["policy status: AccessDenied"])
    assert verdict_is_certain(POLICY_PUBLIC, ["policy status: AccessDenied"])


def test_no_answer_changes_nothing():
    out = with_policy_status(POLICY_PUBLIC, None)
    assert (out["public"], out["via"], out["policy_status_disagrees"]) == (True, ["policy"], None)


def test_agreement_is_silent():
    assert with_policy_status(POLICY_PUBLIC, True)["policy_status_disagrees"] is None
    assert with_policy_status(NOT_PUBLIC, False)["policy_status_disagrees"] is None
    assert with_policy_status(NOT_PUBLIC, False)["reasons"] == NOT_PUBLIC["reasons"]


def test_s3_public_rules_not_the_more_severe_wins():
    out = with_policy_status(NOT_PUBLIC, True)
    assert (out["public"], out["via"], out["policy_status_disagrees"]) == (True, ["policy"], "s3-public")
    assert out["reasons"][-1].startswith("AWS's own policy check (GetBucketPolicyStatus) disagrees")
    assert NOT_PUBLIC["via"] == []  # the input is not modified


def test_s3_public_but_restrict_public_buckets_is_not_public():
    out = with_policy_status(NOT_PUBLIC, True, restricted=True)
    assert (out["public"], out["policy_status_disagrees"]) == (False, "s3-public")
    assert "RestrictPublicBuckets is on" in out["reasons"][-1]


def test_rules_public_s3_not_is_kept_public():
    out = with_policy_status(POLICY_PUBLIC, False)
    assert (out["public"], out["policy_status_disagrees"]) == (True, "rules-public")
    assert "kept as public" in out["reasons"][-1]


def test_rules_public_but_restricted_s3_not():
    out = with_policy_status(RESTRICTED, False)
    assert (out["public"], out["policy_status_disagrees"]) == (False, "rules-public")
    assert "not public either way" in out["reasons"][-1]


def test_restricted_and_s3_public_is_agreement():
    out = with_policy_status(RESTRICTED, True, restricted=True)
    assert (out["public"], out["policy_status_disagrees"]) == (False, None)


def test_unread_policy_is_filled_in_not_a_disagreement():
    out = with_policy_status(NOT_PUBLIC, True, policy_read=False)
    assert (out["public"], out["via"], out["policy_status_disagrees"]) == (True, ["policy"], None)
    assert "could not be read" in out["reasons"][-1]
    # A public policy seen by S3 is certain even though we could not read the policy ourselves.
    assert verdict_is_certain(out, ["policy: AccessDenied"])
    quiet = with_policy_status(NOT_PUBLIC, False, policy_read=False)
    assert (quiet["public"], quiet["policy_status_disagrees"]) == (False, None)
    assert not verdict_is_certain(quiet, ["policy: AccessDenied"])
    restricted = with_policy_status(NOT_PUBLIC, True, restricted=True, policy_read=False)
    assert restricted["public"] is False
