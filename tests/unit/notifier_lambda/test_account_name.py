"""The account's name in the emails: bucketguard_account_name -> the function's BUCKETGUARD_ACCOUNT_NAMES."""

from __future__ import annotations

import json

import pytest

from tests.lib.role_vars import render

HOST = {
    "aws_region": "eu-west-3",
    "bucketguard_account_id": "444455556666",
    "bucketguard_name_prefix": "bucketguard",
    "bucketguard_home_region": True,
    "bucketguard_home_region_name": "eu-west-3",
}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [({}, {}), ({"bucketguard_account_name": "prod-web"}, {"444455556666": "prod-web"})],
)
def test_environment_names_the_account(extra, expected):
    environment = render("notifier_lambda", "__notifier_lambda_environment", {**HOST, **extra})
    value = environment["BUCKETGUARD_ACCOUNT_NAMES"]
    assert isinstance(value, str)  # Lambda's type, and what amazon.aws.lambda compares
    assert json.loads(value) == expected
    from bucketguard_notifier import message  # after role_vars has set up Ansible's collection loader

    assert message.parse_account_names(value) == expected  # what the notifier accepts


@pytest.mark.parametrize("name", ["x" * 51, ["prod"]])
def test_a_bad_name_is_refused_naming_the_variable(name):
    checks = render("notifier_lambda", "__notifier_lambda_checks", {**HOST, "bucketguard_account_name": name})
    failed = [c["msg"] for c in checks if not c["ok"]]
    assert any(m.startswith("notifier_lambda_account_name must be a name of at most 50 characters") for m in failed)


def test_a_good_name_passes_the_checks():
    checks = render("notifier_lambda", "__notifier_lambda_checks", {**HOST, "bucketguard_account_name": "prod-web"})
    assert not [c["msg"] for c in checks if not c["ok"] and "account_name" in c["msg"]]
