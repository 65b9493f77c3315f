"""exposure.py: one test per documented rule of "public"."""

from __future__ import annotations

import json

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils.exposure import (
    assess,
    block_public_access_summary,
    policy_public_reasons,
)

OWNER = {"DisplayName": "owner", "ID": "abc123"}
OWNER_GRANT = {"Grantee": {"ID": "abc123", "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}
ALL_USERS = {
    "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
    "Permission": "READ",
}
AUTH_USERS = {
    "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},
    "Permission": "WRITE",
}
LOG_DELIVERY = {
    "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"},
    "Permission": "WRITE",
}
ALL_ON = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
ALL_OFF = {k: False for k in ALL_ON}


def state(policy=None, grants=(), bucket_pab=None, account_pab=None, ownership=None):
    return {
        "account_public_access_block": account_pab,
        "public_access_block": bucket_pab,
        "policy": json.dumps(policy) if isinstance(policy, dict) else policy,
        "acl": {"Owner": OWNER, "Grants": [OWNER_GRANT, *grants]},
        "ownership": ownership,
    }


def stmt(principal="*", condition=None, effect="Allow", **extra):
    s = {"Sid": "S", "Effect": effect, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", **extra}
    if principal is not None:
        s["Principal"] = principal
    if condition:
        s["Condition"] = condition
    return s


def pol(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_private_bucket_is_not_public():
    result = assess(state())
    assert result == {"public": False, "via": [], "reasons": ["no public ACL grant and no public bucket policy"]}


def test_all_none_state_is_not_public():
    assert (
        assess(dict.fromkeys(("account_public_access_block", "public_access_block", "policy", "acl", "ownership")))[
            "public"
        ]
        is False
    )


# Rule 1: ACL grants to AllUsers / AuthenticatedUsers
@pytest.mark.parametrize("grant", [ALL_USERS, AUTH_USERS])
def test_acl_public_groups(grant):
    result = assess(state(grants=[grant]))
    assert result["public"] is True
    assert result["via"] == ["acl"]


def test_acl_log_delivery_is_not_public():
    assert assess(state(grants=[LOG_DELIVERY]))["public"] is False


# Rule 2: BucketOwnerEnforced disables ACLs
def test_bucket_owner_enforced_ignores_acl():
    result = assess(state(grants=[ALL_USERS], ownership="BucketOwnerEnforced"))
    assert result["public"] is False
    assert "BucketOwnerEnforced" in result["reasons"][0]


@pytest.mark.parametrize("ownership", ["BucketOwnerPreferred", "ObjectWriter", None])
def test_other_ownership_keeps_acl(ownership):
    assert assess(state(grants=[ALL_USERS], ownership=ownership))["via"] == ["acl"]


# Rule 3: policies
@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["arn:aws:iam::111122223333:root", "*"]}])
def test_wildcard_principal_is_public(principal):
    result = assess(state(policy=pol(stmt(principal))))
    assert result["public"] is True
    assert result["via"] == ["policy"]


@pytest.mark.parametrize(
    "principal",
    [
        {"AWS": "arn:aws:iam::111122223333:root"},
        {"AWS": "111122223333"},
        {"Service": "cloudtrail.amazonaws.com"},
        {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
    ],
)
def test_fixed_principal_is_not_public(principal):
    assert assess(state(policy=pol(stmt(principal))))["public"] is False


def test_deny_statement_never_grants():
    assert assess(state(policy=pol(stmt("*", effect="Deny"))))["public"] is False


def test_not_principal_allow_is_public():
    statement = stmt(None, NotPrincipal={"AWS": "arn:aws:iam::111122223333:root"})
    assert assess(state(policy=pol(statement)))["public"] is True


@pytest.mark.parametrize(
    "key",
    [
        "aws:SourceArn",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceOwner",
        "aws:SourceAccount",
        "aws:PrincipalOrgID",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "s3:DataAccessPointAccount",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "aws:userid",
    ],
)
def test_fixed_restricting_key_makes_statement_not_public(key):
    fixed = assess(state(policy=pol(stmt("*", {"StringEquals": {key: "fixed-value-1"}}))))
    wildcard = assess(state(policy=pol(stmt("*", {"StringLike": {key: "fixed-*"}}))))
    variable = assess(state(policy=pol(stmt("*", {"StringEquals": {key: "${aws:username}"}}))))
    assert (fixed["public"], wildcard["public"], variable["public"]) == (False, True, True)


def test_unrelated_condition_key_does_not_restrict():
    assert assess(state(policy=pol(stmt("*", {"Bool": {"aws:SecureTransport": "true"}}))))["public"] is True
    assert assess(state(policy=pol(stmt("*", {"StringEquals": {"s3:prefix": "home/"}}))))["public"] is True


@pytest.mark.parametrize("operator", ["StringNotEquals", "StringEqualsIfExists", "ArnNotLike", "Null"])
def test_negated_or_ifexists_operators_do_not_restrict(operator):
    assert assess(state(policy=pol(stmt("*", {operator: {"aws:SourceVpce": "vpce-1234"}}))))["public"] is True


def test_for_any_value_operator_restricts():
    condition = {"ForAnyValue:StringEquals": {"aws:SourceVpce": ["vpce-1", "vpce-2"]}}
    assert assess(state(policy=pol(stmt("*", condition))))["public"] is False


def test_userid_role_pattern_counts_as_fixed():
    assert assess(state(policy=pol(stmt("*", {"StringLike": {"aws:userid": "AROAEXAMPLEID:*"}}))))["public"] is False
    assert assess(state(policy=pol(stmt("*", {"StringLike": {"aws:userid": "AROA*"}}))))["public"] is True


def test_data_access_point_arn_wildcard_name_with_fixed_account():
    fixed = {"StringLike": {"s3:DataAccessPointArn": "arn:aws:s3:us-west-2:123456789012:accesspoint/*"}}
    open_ = {"StringLike": {"s3:DataAccessPointArn": "arn:aws:s3:us-west-2:*:accesspoint/*"}}
    assert assess(state(policy=pol(stmt("*", fixed))))["public"] is False
    assert assess(state(policy=pol(stmt("*", open_))))["public"] is True


@pytest.mark.parametrize(
    ("cidrs", "public"),
    [
        (["10.0.0.0/8"], False),
        (["203.0.113.0/24", "198.51.100.7/32"], False),
        (["0.0.0.0/1"], True),
        (["0.0.0.0/0"], True),
        (["10.0.0.0/7"], True),
        (["203.0.113.0/24", "0.0.0.0/0"], True),
        (["2001:db8::/32"], False),
        (["2001:db8::/31"], True),
        (["::/0"], True),
        (["not-an-ip"], True),
    ],
)
def test_source_ip_ranges(cidrs, public):
    assert assess(state(policy=pol(stmt("*", {"IpAddress": {"aws:SourceIp": cidrs}}))))["public"] is public


def test_not_ip_address_does_not_restrict():
    assert assess(state(policy=pol(stmt("*", {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))))["public"] is True


def test_one_public_statement_among_private_ones_makes_policy_public():
    policy = pol(stmt({"Service": "cloudtrail.amazonaws.com"}), stmt({"AWS": "222233334444"}), stmt("*"))
    assert len(policy_public_reasons(policy)) == 1
    assert assess(state(policy=policy))["public"] is True


def test_policy_statement_as_dict_and_invalid_json():
    assert policy_public_reasons({"Statement": stmt("*")})
    result = assess(state(policy="{not json"))
    assert result["public"] is False
    assert "could not be parsed" in result["reasons"][0]


# Rule 4: Block Public Access
def test_ignore_public_acls_hides_acl_grants():
    result = assess(state(grants=[ALL_USERS], bucket_pab={**ALL_OFF, "IgnorePublicAcls": True}))
    assert result["public"] is False
    assert "IgnorePublicAcls" in result["reasons"][0]


def test_block_public_acls_alone_does_not_hide_existing_acl():
    result = assess(state(grants=[ALL_USERS], bucket_pab={**ALL_OFF, "BlockPublicAcls": True}))
    assert result["public"] is True
    assert any("BlockPublicAcls" in r for r in result["reasons"])


def test_restrict_public_buckets_makes_public_policy_not_public():
    result = assess(state(policy=pol(stmt("*")), account_pab={**ALL_OFF, "RestrictPublicBuckets": True}))
    assert result["public"] is False
    assert "RestrictPublicBuckets is on at account level" in result["reasons"][0]


def test_block_public_policy_alone_does_not_change_existing_policy():
    result = assess(state(policy=pol(stmt("*")), bucket_pab={**ALL_OFF, "BlockPublicPolicy": True}))
    assert result["public"] is True


def test_effective_setting_is_or_of_account_and_bucket():
    account = {**ALL_OFF, "IgnorePublicAcls": True}
    result = assess(state(grants=[ALL_USERS], policy=pol(stmt("*")), account_pab=account, bucket_pab=ALL_OFF))
    assert result["via"] == ["policy"]
    both = assess(state(grants=[ALL_USERS], policy=pol(stmt("*")), bucket_pab=ALL_ON))
    assert both["public"] is False


def test_public_via_acl_and_policy_sorted():
    result = assess(state(grants=[AUTH_USERS], policy=pol(stmt({"AWS": "*"}))))
    assert result["via"] == ["acl", "policy"]
    assert len(result["reasons"]) == 2


def test_block_public_access_summary():
    text = block_public_access_summary(state(bucket_pab=ALL_ON, account_pab={**ALL_OFF, "BlockPublicAcls": True}))
    assert text.startswith("BlockPublicAcls=on (account+bucket)")
    assert "IgnorePublicAcls=on (bucket)" in text
    assert block_public_access_summary(state()).count("=off") == 4
