"""exposure.py against AWS's documented meaning of "public" and IAM's condition semantics.

Every expectation below is labelled from AWS's documentation, not from our own fixtures; the comment on
each case names the page (keys of DOCS) and what it says. Where a case is our reading of a page rather
than a sentence of it, the comment says "our reading".
"""

from __future__ import annotations

import json

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils.exposure import (
    assess,
    condition_pins,
    policy_public_reasons,
    split_operator,
    statement_public,
)
from hypothesis import given, settings
from hypothesis import strategies as st

DOCS = {
    # S3 User Guide, "The meaning of public" (bucket policies, the four example policies, the CIDR note).
    "S3": "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html"
    "#access-control-block-public-access-policy-status",
    # IAM: "If the key ... is not present in the request context, the values do not match" (all operators
    # but ...IfExists and Null); negated operators are true for an absent key; IfExists: "If the key is not
    # present, evaluate the condition element as true"; Null "false": the key exists.
    "OPS": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html",
    # IAM: ForAllValues "also returns true if there are no context keys in the request"; ForAnyValue returns
    # false then; aws:SourceVpce is single-valued; prevent absent keys with Null false.
    "SETS": "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
    "reference_policies_condition-single-vs-multi-valued-context-keys.html",
    # IAM: several operators -> AND, several keys of one operator -> AND, several values of one key -> OR.
    "LOGIC": "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
    "reference_policies_condition-logic-multiple-context-keys-or-values.html",
    # IAM: Principal forms ("*", {"AWS": "*"}, AWS accounts, CanonicalUser, Federated, Service).
    "PRINCIPAL": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html",
    # IAM: NotPrincipal with Allow grants to everyone not listed.
    "NOTPRINCIPAL": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html",
    # IAM: policy evaluation - an explicit Deny only removes access; it never grants.
    "EVAL": "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
}

VPCE = "vpce-1a2b3c4d"
ACCOUNT = "111122223333"


def stmt(principal="*", condition=None, effect="Allow", **extra):
    s = {"Effect": effect, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*", **extra}
    if principal is not None:
        s["Principal"] = principal
    if condition is not None:
        s["Condition"] = condition
    return s


def is_public(*statements) -> bool:
    policy = {"Version": "2012-10-17", "Statement": list(statements)}
    return bool(policy_public_reasons(policy))


NULL_FALSE = {"Null": {"aws:SourceVpce": "false"}}

# (id, statement, public) - the comment before each group names the page (DOCS key) the labels come from.
CASES = [
    # S3: the guide's example public policies, verbatim.
    ("s3-example-federated-facebook", stmt({"Federated": "graph.facebook.com"}, Resource="*"), True),
    ("s3-example-star", stmt("*", Resource="*"), True),
    ("s3-example-sourcevpc-wildcard", stmt("*", {"StringLike": {"aws:SourceVpc": "vpc-*"}}), True),
    # S3: "you can make the last policy preceding non-public by setting aws:SourceVpc to a fixed value".
    ("s3-example-sourcevpc-fixed", stmt("*", {"StringEquals": {"aws:SourceVpc": "vpc-91237329"}}), False),
    # S3: the listed keys with a fixed value make a statement non-public.
    ("s3-sourcearn", stmt("*", {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:eu-west-3:111122223333:t"}}), False),
    ("s3-sourcevpce", stmt("*", {"StringEquals": {"aws:SourceVpce": VPCE}}), False),
    ("s3-sourceowner", stmt("*", {"StringEquals": {"aws:SourceOwner": ACCOUNT}}), False),
    ("s3-sourceaccount", stmt("*", {"StringEquals": {"aws:SourceAccount": ACCOUNT}}), False),
    ("s3-kms-key", stmt("*", {"StringEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "k-1"}}), False),
    ("s3-userid-role-pattern", stmt("*", {"StringLike": {"aws:userid": "AROAEXAMPLEID:*"}}), False),
    ("s3-userid-open-pattern", stmt("*", {"StringLike": {"aws:userid": "AROA*"}}), True),
    ("s3-dataaccesspointaccount", stmt("*", {"StringEquals": {"s3:DataAccessPointAccount": ACCOUNT}}), False),
    # S3: a wildcard access point name is fine in a bucket policy "as long as the account id is fixed".
    (
        "s3-dataaccesspointarn-any-name-fixed-account",
        stmt("*", {"StringLike": {"s3:DataAccessPointArn": "arn:aws:s3:us-west-2:123456789012:accesspoint/*"}}),
        False,
    ),
    (
        "s3-dataaccesspointarn-any-account",
        stmt("*", {"StringLike": {"s3:DataAccessPointArn": "arn:aws:s3:us-west-2:*:accesspoint/*"}}),
        True,
    ),
    # S3: "An AWS principal, user, role, or service principal (e.g. aws:PrincipalOrgID)".
    ("s3-principalorgid", stmt("*", {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}), False),
    ("s3-principalorgid-wildcard", stmt("*", {"StringLike": {"aws:PrincipalOrgID": "o-*"}}), True),
    # S3 (our reading: the principal-pinning keys are the same "fixed principal" rule).
    ("s3-principalaccount", stmt("*", {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}), False),
    ("s3-principalarn", stmt("*", {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/r"}}), False),
    ("s3-principalarn-any-account", stmt("*", {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/r"}}), True),
    # S3: fixed values are values "that don't contain a wildcard or ... Policy Variable".
    ("s3-policy-variable", stmt("*", {"StringEquals": {"aws:SourceVpce": "${aws:SourceVpce}"}}), True),
    ("s3-question-mark-wildcard", stmt("*", {"StringLike": {"aws:SourceVpce": "vpce-1a2b3c4?"}}), True),
    # S3: CIDR note - "very broad IP ranges (for example, 0.0.0.0/1) are evaluated as public ... values
    # broader than /8 for IPv4 and /32 for IPv6 (excluding RFC1918 private ranges)".
    ("s3-ip-0.0.0.0/1", stmt("*", {"IpAddress": {"aws:SourceIp": "0.0.0.0/1"}}), True),
    ("s3-ip-/8", stmt("*", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}), False),
    ("s3-ip-/7", stmt("*", {"IpAddress": {"aws:SourceIp": "12.0.0.0/7"}}), True),
    ("s3-ip-rfc1918-/12", stmt("*", {"IpAddress": {"aws:SourceIp": "172.16.0.0/12"}}), False),
    ("s3-ip-single-address", stmt("*", {"IpAddress": {"aws:SourceIp": "203.0.113.7"}}), False),
    ("s3-ipv6-/32", stmt("*", {"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}), False),
    ("s3-ipv6-/31", stmt("*", {"IpAddress": {"aws:SourceIp": "2001:db8::/31"}}), True),
    # S3 + LOGIC: values of one key are ORed - one broad range opens the statement.
    ("s3-ip-one-broad-value", stmt("*", {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "0.0.0.0/0"]}}), True),
    # Our reading of the /8 rule: an IPv4-mapped IPv6 /96 covers every IPv4 address, i.e. 0.0.0.0/0.
    ("ipv4-mapped-all", stmt("*", {"IpAddress": {"aws:SourceIp": "::ffff:0.0.0.0/96"}}), True),
    ("ipv4-mapped-/120", stmt("*", {"IpAddress": {"aws:SourceIp": "::ffff:203.0.113.0/120"}}), False),
    # SETS: ForAllValues on a single-valued key is TRUE when the key is absent: anyone not using a VPC
    # endpoint matches. The attacker's favourite: it reads like a VPC endpoint restriction.
    ("sets-forallvalues-sourcevpce", stmt("*", {"ForAllValues:StringEquals": {"aws:SourceVpce": VPCE}}), True),
    ("sets-forallvalues-sourceip", stmt("*", {"ForAllValues:IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}), True),
    (
        "sets-forallvalues-sourceaccount",
        stmt("*", {"ForAllValues:StringEquals": {"aws:SourceAccount": ACCOUNT}}),
        True,
    ),
    # SETS: "prevent missing context keys ... from evaluating to true" with Null false on the same key.
    (
        "sets-forallvalues-with-null-false",
        stmt("*", {"ForAllValues:StringEquals": {"aws:SourceVpce": VPCE}, **NULL_FALSE}),
        False,
    ),
    (
        "sets-forallvalues-with-null-true",
        stmt("*", {"ForAllValues:StringEquals": {"aws:SourceVpce": VPCE}, "Null": {"aws:SourceVpce": "true"}}),
        True,
    ),
    (
        "sets-forallvalues-null-false-on-other-key",
        stmt("*", {"ForAllValues:StringEquals": {"aws:SourceVpce": VPCE}, "Null": {"aws:SourceVpc": "false"}}),
        True,
    ),
    # SETS: ForAnyValue returns false when the key is absent, so a fixed value pins.
    ("sets-foranyvalue-sourcevpce", stmt("*", {"ForAnyValue:StringEquals": {"aws:SourceVpce": VPCE}}), False),
    ("sets-foranyvalue-negated", stmt("*", {"ForAnyValue:StringNotEquals": {"aws:SourceVpce": VPCE}}), True),
    # OPS: IfExists - "If the key is not present, evaluate the condition element as true".
    ("ops-ifexists", stmt("*", {"StringEqualsIfExists": {"aws:SourceVpce": VPCE}}), True),
    ("ops-ifexists-ip", stmt("*", {"IpAddressIfExists": {"aws:SourceIp": "203.0.113.0/24"}}), True),
    ("ops-ifexists-arn", stmt("*", {"ArnEqualsIfExists": {"aws:SourceArn": "arn:aws:sns:eu-west-3:1:t"}}), True),
    (
        "ops-ifexists-with-null-false",
        stmt("*", {"StringEqualsIfExists": {"aws:SourceVpce": VPCE}, **NULL_FALSE}),
        False,
    ),
    (
        "ops-foranyvalue-ifexists",
        stmt("*", {"ForAnyValue:StringEqualsIfExists": {"aws:SourceVpce": VPCE}}),
        True,
    ),
    # OPS: negated operators are true for an absent key and for every other value.
    ("ops-stringnotequals", stmt("*", {"StringNotEquals": {"aws:SourceVpce": VPCE}}), True),
    ("ops-stringnotlike", stmt("*", {"StringNotLike": {"aws:SourceVpce": VPCE}}), True),
    ("ops-stringnotequalsignorecase", stmt("*", {"StringNotEqualsIgnoreCase": {"aws:SourceVpce": VPCE}}), True),
    ("ops-arnnotequals", stmt("*", {"ArnNotEquals": {"aws:SourceArn": "arn:aws:sns:eu-west-3:1:t"}}), True),
    ("ops-arnnotlike", stmt("*", {"ArnNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/r"}}), True),
    ("ops-notipaddress", stmt("*", {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}), True),
    # OPS: Null "false" only says the key exists: any VPC endpoint in the world.
    ("ops-null-false-alone", stmt("*", NULL_FALSE), True),
    # OPS: Bool, Numeric and Date compare nothing that names a caller.
    ("ops-bool", stmt("*", {"Bool": {"aws:SecureTransport": "true"}}), True),
    ("ops-numeric", stmt("*", {"NumericLessThan": {"s3:max-keys": "10"}}), True),
    ("ops-date", stmt("*", {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}), True),
    ("ops-string-on-other-key", stmt("*", {"StringEquals": {"s3:prefix": "home/"}}), True),
    # OPS: StringEqualsIgnoreCase matches a fixed value (ignoring case): still a fixed set.
    ("ops-stringequalsignorecase", stmt("*", {"StringEqualsIgnoreCase": {"aws:SourceVpce": VPCE}}), False),
    # OPS (our reading): condition key names are not case-sensitive; operators compared ignoring case too.
    ("case-key", stmt("*", {"StringEquals": {"AWS:SOURCEVPCE": VPCE}}), False),
    ("case-operator", stmt("*", {"stringequals": {"aws:sourcevpce": VPCE}}), False),
    ("case-forallvalues", stmt("*", {"forallvalues:stringequals": {"aws:SourceVpce": VPCE}}), True),
    ("case-ifexists", stmt("*", {"STRINGEQUALSIFEXISTS": {"aws:SourceVpce": VPCE}}), True),
    # LOGIC: several keys / operators are ANDed - one pinning entry pins the whole statement.
    ("logic-and-keys", stmt("*", {"StringEquals": {"s3:prefix": "p/", "aws:SourceVpce": VPCE}}), False),
    (
        "logic-and-operators",
        stmt("*", {"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:SourceAccount": ACCOUNT}}),
        False,
    ),
    (
        "logic-ifexists-and-fixed",
        stmt(
            "*",
            {"StringEqualsIfExists": {"aws:SourceVpce": VPCE}, "StringEquals": {"aws:SourceAccount": ACCOUNT}},
        ),
        False,
    ),
    # LOGIC: values of one key are ORed - one wildcard value opens the statement.
    ("logic-or-values", stmt("*", {"StringEquals": {"aws:SourceVpce": [VPCE, "vpce-*"]}}), True),
    ("logic-or-fixed-values", stmt("*", {"StringEquals": {"aws:SourceVpce": [VPCE, "vpce-9z8y7x6w"]}}), False),
    # PRINCIPAL: "*" and {"AWS": "*"} are everyone; an account, user, role, canonical user or service is fixed.
    ("principal-aws-star", stmt({"AWS": "*"}), True),
    ("principal-aws-list-with-star", stmt({"AWS": [f"arn:aws:iam::{ACCOUNT}:root", "*"]}), True),
    ("principal-aws-wildcard-account", stmt({"AWS": "arn:aws:iam::*:root"}), True),
    ("principal-aws-account", stmt({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), False),
    ("principal-aws-account-id", stmt({"AWS": ACCOUNT}), False),
    ("principal-canonical-user", stmt({"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d9"}), False),
    ("principal-service", stmt({"Service": "cloudtrail.amazonaws.com"}), False),
    ("principal-service-wildcard", stmt({"Service": "*"}), True),
    # S3 + PRINCIPAL: web identity providers (anyone with an account there) are public like the guide's
    # graph.facebook.com example; a SAML provider of a fixed account is a fixed principal.
    ("principal-federated-google", stmt({"Federated": "accounts.google.com"}), True),
    ("principal-federated-amazon", stmt({"Federated": "www.amazon.com"}), True),
    ("principal-federated-cognito", stmt({"Federated": "cognito-identity.amazonaws.com"}), True),
    ("principal-federated-saml", stmt({"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/Corp"}), False),
    # Our reading: an OIDC provider's users are whoever the issuer serves (GitHub, Google...).
    (
        "principal-federated-oidc",
        stmt({"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"}),
        True,
    ),
    ("principal-federated-saml-any-account", stmt({"Federated": "arn:aws:iam::*:saml-provider/Corp"}), True),
    (
        "principal-federated-pinned",
        stmt({"Federated": "graph.facebook.com"}, {"StringEquals": {"aws:SourceVpce": VPCE}}),
        False,
    ),
    ("principal-mixed-one-public", stmt({"Service": "s3.amazonaws.com", "Federated": "accounts.google.com"}), True),
    # NOTPRINCIPAL: Allow + NotPrincipal grants to everyone not listed.
    ("notprincipal-allow", stmt(None, NotPrincipal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}), True),
    (
        "notprincipal-allow-pinned",
        stmt(None, {"StringEquals": {"aws:SourceVpce": VPCE}}, NotPrincipal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
        False,
    ),
    (
        "notprincipal-allow-forallvalues",
        stmt(None, {"ForAllValues:StringEquals": {"aws:SourceVpce": VPCE}}, NotPrincipal={"AWS": ACCOUNT}),
        True,
    ),
    # S3 + PRINCIPAL: NotAction / NotResource change what is granted, not to whom.
    ("notaction-star", {"Effect": "Allow", "Principal": "*", "NotAction": "s3:DeleteObject", "Resource": "*"}, True),
    ("notresource-star", {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "NotResource": "x"}, True),
    (
        "notaction-fixed-principal",
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "NotAction": "s3:DeleteObject", "Resource": "*"},
        False,
    ),
    # EVAL: an explicit Deny never grants.
    ("deny-star", stmt("*", effect="Deny"), False),
    ("deny-forallvalues", stmt("*", {"ForAllValues:StringEquals": {"aws:SourceVpce": VPCE}}, effect="Deny"), False),
]


@pytest.mark.parametrize(("statement", "public"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_documented_case(statement, public):
    assert is_public(statement) is public
    assert (statement_public(statement) is not None) is public


def test_case_ids_are_unique():
    assert len({c[0] for c in CASES}) == len(CASES)


def test_forallvalues_attack_is_public_end_to_end():
    """The attack from issue #14: reads like a VPC endpoint restriction, lets anyone in."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [stmt("*", {"ForAllValues:StringEquals": {"aws:SourceVpce": VPCE}})],
    }
    state = dict.fromkeys(("account_public_access_block", "public_access_block", "acl", "ownership"))
    result = assess({**state, "policy": json.dumps(policy)})
    assert result["public"] is True
    assert result["via"] == ["policy"]


def test_deny_does_not_hide_a_public_allow():
    """EVAL: a Deny with a negated condition limits who gets in, but we never read it as a restriction."""
    deny = stmt("*", {"StringNotEquals": {"aws:SourceVpce": VPCE}}, effect="Deny")
    assert is_public(stmt("*"), deny) is True


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("StringEquals", (None, "stringequals", False)),
        ("ForAllValues:StringLike", ("forallvalues", "stringlike", False)),
        ("ForAnyValue:StringEqualsIfExists", ("foranyvalue", "stringequals", True)),
        ("ipaddressifexists", (None, "ipaddress", True)),
        ("Null", (None, "null", False)),
    ],
)
def test_split_operator(operator, expected):
    assert split_operator(operator) == expected


def test_condition_pins_names_the_entry():
    assert condition_pins({"StringEquals": {"aws:SourceVpce": VPCE}}) == "StringEquals aws:SourceVpce"
    assert condition_pins({"StringEqualsIfExists": {"aws:SourceVpce": VPCE}}) is None
    assert condition_pins("not a dict") is None


# --------------------------------------------------------------------------- properties

PIN_KEYS = [
    "aws:SourceArn",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "aws:SourceOwner",
    "aws:SourceAccount",
    "aws:PrincipalOrgID",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "s3:DataAccessPointAccount",
]
fixed_values = st.lists(st.from_regex(r"[a-z0-9][a-z0-9:/-]{0,20}", fullmatch=True), min_size=1, max_size=3)
pin_operators = st.sampled_from(["StringEquals", "StringLike", "StringEqualsIgnoreCase", "ArnEquals", "ArnLike"])
pinning = st.tuples(pin_operators, st.sampled_from(PIN_KEYS), fixed_values)
non_pinning = st.sampled_from(
    [
        {"Bool": {"aws:SecureTransport": "true"}},
        {"StringNotEquals": {"aws:SourceVpce": VPCE}},
        {"NumericLessThan": {"s3:max-keys": "10"}},
        {"StringLike": {"s3:prefix": "home/*"}},
        {"Null": {"aws:SourceVpce": "false"}},
    ]
)
principals = st.sampled_from(
    ["*", {"AWS": "*"}, {"AWS": ACCOUNT}, {"Service": "s3.amazonaws.com"}, {"Federated": "accounts.google.com"}]
)
any_condition = st.one_of(
    st.none(), non_pinning, pinning.map(lambda p: {p[0]: {p[1]: p[2]}}), st.dictionaries(st.text(), st.text())
)
statements = st.builds(
    lambda principal, condition, effect: stmt(principal, condition, effect),
    principals,
    any_condition,
    st.sampled_from(["Allow", "Deny"]),
)


def _random_case(draw_bools, text: str) -> str:
    return "".join(c.upper() if flip else c.lower() for c, flip in zip(text, draw_bools, strict=False))


@settings(max_examples=150, deadline=None)
@given(st.lists(statements, max_size=4), st.builds(stmt, principals, any_condition, st.just("Deny")))
def test_adding_a_deny_never_changes_the_verdict(policy_statements, deny):
    assert is_public(*policy_statements, deny) == is_public(*policy_statements)


@settings(max_examples=150, deadline=None)
@given(pinning, st.sampled_from(["IfExists", "ForAllValues"]))
def test_absent_key_true_wrappers_unpin_unless_null_false(pin, wrapper):
    operator, key, values = pin
    assert not is_public(stmt("*", {operator: {key: values}}))
    wrapped = f"{operator}IfExists" if wrapper == "IfExists" else f"ForAllValues:{operator}"
    assert is_public(stmt("*", {wrapped: {key: values}}))
    assert not is_public(stmt("*", {wrapped: {key: values}, "Null": {key: "false"}}))
    # ForAnyValue is false for an absent key: it still pins.
    assert not is_public(stmt("*", {f"ForAnyValue:{operator}": {key: values}}))


@settings(max_examples=150, deadline=None)
@given(pinning, non_pinning)
def test_a_pinning_entry_pins_whatever_else_is_anded(pin, other):
    operator, key, values = pin
    condition = {**other, operator: {key: values}} if operator not in other else {operator: {key: values}}
    assert not is_public(stmt("*", condition))


@settings(max_examples=150, deadline=None)
@given(pinning, st.sampled_from(["*", "?", "${aws:username}"]))
def test_one_open_value_among_ored_values_unpins(pin, wildcard):
    operator, key, values = pin
    assert is_public(stmt("*", {operator: {key: [*values, f"x{wildcard}"]}}))


@settings(max_examples=150, deadline=None)
@given(pinning, st.lists(st.booleans(), min_size=60, max_size=60), st.booleans())
def test_operator_and_key_case_do_not_matter(pin, flips, wrap):
    operator, key, values = pin
    operator = f"ForAllValues:{operator}" if wrap else operator
    expected = is_public(stmt("*", {operator: {key: values}}))
    assert is_public(stmt("*", {_random_case(flips, operator): {_random_case(flips[::-1], key): values}})) is expected


@settings(max_examples=100, deadline=None)
@given(st.lists(statements, max_size=4))
def test_never_raises_and_reasons_name_allow_statements_only(policy_statements):
    reasons = policy_public_reasons({"Statement": policy_statements})
    allows = [s for s in policy_statements if s["Effect"] == "Allow"]
    assert len(reasons) <= len(allows)
