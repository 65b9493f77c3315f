"""s3_exposure_audit: verdicts, read-only, thread pool, failures, and the same judgement as the notifier."""

from __future__ import annotations

import random

import pytest
from ansible_collections.bucketguard.visibility.plugins.modules import s3_exposure_audit
from ansible_collections.bucketguard.visibility.plugins.modules.s3_exposure_audit import (
    AccountAudit,
    ReadOnlyClient,
    retry_decorator,
)
from bucketguard_notifier.handler import Config, Notifier
from bucketguard_notifier.message import BucketReport

from tests.lib.module_harness import run_module
from tests.unit.plugins.fake_s3 import (
    OFF,
    ON,
    READ_PREFIXES,
    Bucket,
    FakeAWS,
    private_acl,
    public_acl,
    public_policy,
)

ACCOUNT = "123456789012"
ALLOW = ["www-*"]


def fleet() -> FakeAWS:
    """One bucket per state that decides exposure."""
    b = {
        "policy-public": Bucket(pab=dict(OFF), policy=public_policy("policy-public")),
        "acl-public": Bucket(pab=dict(OFF), acl=public_acl(), ownership="BucketOwnerPreferred"),
        "bpa-neutralised": Bucket(
            pab=dict(ON), acl=public_acl(), ownership="ObjectWriter", policy=public_policy("bpa-neutralised")
        ),
        "ownership-enforced": Bucket(pab=dict(OFF), acl=public_acl(), ownership="BucketOwnerEnforced"),
        "tagged-site": Bucket(
            pab=dict(OFF), policy=public_policy("tagged-site"), tags={"bucketguard:public": "approved", "team": "web"}
        ),
        "www-site-1": Bucket(pab=dict(OFF), policy=public_policy("www-site-1")),
        "policy-denied": Bucket(pab=dict(OFF), fail={"get_bucket_policy": "AccessDenied"}),
        "policy-denied-acl-public": Bucket(
            pab=dict(OFF), acl=public_acl(), ownership=None, fail={"get_bucket_policy": "AccessDenied"}
        ),
        "private": Bucket(),
        "us-bucket": Bucket(region="us-east-1"),
        "vanishing": Bucket(),
    }
    fake = FakeAWS(ACCOUNT, b)
    fake.vanish_after_location = {"vanishing"}
    return fake


def run(fake: FakeAWS, check_mode: bool = False, **args) -> dict:
    params = {"account_id": ACCOUNT, "allowlist": ALLOW, "policy_status": False, "max_workers": 4, **args}
    return run_module(s3_exposure_audit, params, fake, check_mode=check_mode)


def verdicts(result: dict) -> dict[str, tuple]:
    return {b["bucket"]: (b["public"], tuple(b["via"]), b["certain"]) for b in result["buckets"]}


def test_every_state_gets_the_expected_verdict() -> None:
    fake = fleet()
    result = run(fake)
    assert result["changed"] is False
    assert result["complete"] is True
    assert result["errors"] == []
    assert verdicts(result) == {
        "policy-public": (True, ("policy",), True),
        "acl-public": (True, ("acl",), True),
        "bpa-neutralised": (False, (), True),
        "ownership-enforced": (False, (), True),
        "tagged-site": (True, ("policy",), True),
        "www-site-1": (True, ("policy",), True),
        "policy-denied": (None, (), False),  # an unreadable policy could make it public
        "policy-denied-acl-public": (True, ("acl",), True),  # public whatever the policy says
        "private": (False, (), True),
        "us-bucket": (False, (), True),
        "vanishing": (None, (), False),
    }
    by_name = {b["bucket"]: b for b in result["buckets"]}
    assert by_name["tagged-site"]["allowlisted"] == "tagged bucketguard:public=approved"
    assert by_name["www-site-1"]["allowlisted"] == "name matches 'www-*' in the allow-list"
    assert by_name["policy-public"]["allowlisted"] is None
    assert by_name["policy-denied"]["errors"] == ["policy: AccessDenied"]
    assert any("not decided" in r and "policy" in r for r in by_name["policy-denied"]["reasons"])
    assert by_name["vanishing"]["missing"] is True
    assert "no longer exists" in by_name["vanishing"]["reasons"][0]
    assert by_name["us-bucket"]["region"] == "us-east-1"
    assert by_name["acl-public"]["region"] == "eu-west-3"
    assert result["counts"] == {
        "total": 11,
        "public": 5,
        "public_not_allowlisted": 3,
        "allowlisted": 2,
        "undecided": 2,
        "private": 4,
    }
    assert fake.forbidden == []


def test_only_read_calls_reach_aws_and_check_mode_is_the_same() -> None:
    normal, checked = fleet(), fleet()
    first = run(normal, policy_status=True)
    second = run(checked, check_mode=True, policy_status=True)
    assert verdicts(first) == verdicts(second)
    for fake in (normal, checked):
        assert fake.forbidden == []
        names = {name for name, _ in fake.calls}
        assert names and all(n.startswith(READ_PREFIXES) for n in names), names
        assert "get_bucket_policy_status" in names


def test_read_only_client_refuses_writes_before_they_are_sent() -> None:
    fake = FakeAWS(ACCOUNT, {"b": Bucket()})
    client = ReadOnlyClient(fake, retry_decorator())
    with pytest.raises(PermissionError, match="put_public_access_block"):
        _ = client.put_public_access_block
    with pytest.raises(PermissionError):
        _ = client.delete_bucket_policy
    assert fake.forbidden == []  # refused by the wrapper, never reached the client
    assert client.get_bucket_acl(Bucket="b")["Grants"]


def test_throttling_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ansible_collections.amazon.aws.plugins.module_utils.cloud.time.sleep", lambda _s: None)
    fake = fleet()
    fake.throttle = {"get_bucket_acl": 3, "list_buckets": 2}
    assert verdicts(run(fake)) == verdicts(run(fleet()))
    assert [n for n, _ in fake.calls].count("list_buckets") == 3


def test_thread_pool_gives_the_same_results_as_serial() -> None:
    rng = random.Random(17)
    choices = [
        lambda n: Bucket(pab=dict(OFF), policy=public_policy(n)),
        lambda n: Bucket(pab=dict(OFF), acl=public_acl(), ownership="ObjectWriter"),
        lambda n: Bucket(pab=dict(ON), policy=public_policy(n)),
        lambda n: Bucket(region=rng.choice(["us-east-1", "eu-west-1", "ap-south-1"])),
        lambda n: Bucket(pab=dict(OFF), fail={"get_bucket_policy": "AccessDenied"}),
        lambda n: Bucket(pab=dict(OFF), acl=public_acl(), ownership=None, tags={"bucketguard:public": "approved"}),
    ]
    buckets = {f"bucket-{i:04d}": rng.choice(choices)(f"bucket-{i:04d}") for i in range(300)}

    def audit(workers: int) -> dict:
        fake = FakeAWS(ACCOUNT, dict(buckets))
        clients: dict = {}

        def factory(service, region):
            return clients.setdefault((service, region), ReadOnlyClient(fake, retry_decorator()))

        result = AccountAudit(factory, ACCOUNT, ALLOW, "bucketguard:public=approved", max_workers=workers).run()
        assert fake.forbidden == []
        return result

    serial, pooled = audit(1), audit(16)
    assert pooled == serial
    assert [b["bucket"] for b in pooled["buckets"]] == sorted(buckets)
    assert pooled["counts"]["total"] == 300


def test_account_block_public_access_neutralises_and_its_read_failure_makes_public_undecided() -> None:
    fake = fleet()
    fake.account_pab = dict(ON)
    result = verdicts(run(fake))
    assert all(v[0] in (False, None) for v in result.values())
    assert result["policy-public"] == (False, (), True)

    fake = fleet()
    fake.account_fail = {"get_account_pab": "AccessDenied"}
    out = run(fake)
    result = verdicts(out)
    assert out["errors"] == ["account Block Public Access: AccessDenied"]
    assert result["policy-public"] == (None, ("policy",), False)  # account BPA could neutralise it
    assert result["private"] == (False, (), True)  # nothing grants: certain without the account BPA


def test_an_account_that_cannot_be_listed_finishes_with_the_reason() -> None:
    fake = fleet()
    fake.account_fail = {"list_buckets": "AccessDenied"}
    result = run(fake)
    assert result["complete"] is False
    assert result["buckets"] == []
    assert result["errors"] == ["ListBuckets: AccessDenied"]


def test_credentials_of_another_account_read_nothing() -> None:
    fake = fleet()
    fake.caller_account = "999999999999"
    result = run(fake)
    assert result["complete"] is False
    assert "belong to account 999999999999" in result["errors"][0]
    assert [n for n, _ in fake.calls] == ["get_caller_identity"]


def test_without_sts_the_given_account_is_read() -> None:
    fake = fleet()
    fake.account_fail = {"get_caller_identity": "AccessDenied"}
    result = run(fake)
    assert result["complete"] is True
    assert result["errors"] == ["GetCallerIdentity: AccessDenied"]
    assert result["counts"]["total"] == 11


def test_policy_status_is_a_second_opinion() -> None:
    fake = FakeAWS(
        ACCOUNT,
        {
            "s3-says-public": Bucket(
                pab=dict(OFF),
                policy='{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},'
                '"Action":"s3:GetObject","Resource":"*"}]}',
                policy_status=True,
            ),
            "not-emulated": Bucket(pab=dict(OFF), policy=public_policy("not-emulated"), policy_status=None),
        },
    )
    by_name = {b["bucket"]: b for b in run(fake, policy_status=True)["buckets"]}
    assert by_name["s3-says-public"]["public"] is True
    assert by_name["s3-says-public"]["policy_status_disagrees"] == "s3-public"
    assert by_name["not-emulated"]["public"] is True  # no second opinion changes nothing
    assert by_name["not-emulated"]["errors"] == ["policy status: NotImplemented"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"account_id": "12345"}, "account_id must be 12 digits"),
        ({"allow_tag": "novalue"}, "allow_tag must look like key=value"),
        ({"max_workers": 0}, "max_workers must be between 1 and 64"),
    ],
)
def test_bad_options_fail_naming_the_option(args: dict, message: str) -> None:
    from tests.lib.module_harness import ModuleFail

    with pytest.raises(ModuleFail) as failure:
        run(fleet(), **args)
    assert message in failure.value.result["msg"]


def test_judged_exactly_as_the_notifier_judges() -> None:
    """Notifier.enrich on the same account gives the same verdict, via and allow-list reason - both asking
    S3's GetBucketPolicyStatus for its second opinion, as they do by default."""
    fake = fleet()
    fake.vanish_after_location = set()
    result = run(fake, policy_status=True)
    config = Config(
        topic_arn=f"arn:aws:sns:eu-west-3:{ACCOUNT}:bucketguard-alerts",
        topic_region="eu-west-3",
        log_group=None,
        lookback_minutes=15,
        allowlist=tuple(ALLOW),
        allow_tag_key="bucketguard:public",
        allow_tag_value="approved",
        remediate=False,
        fast_path=False,
        max_records=10,
    )
    notifier = Notifier(config, lambda service, region: fake)
    for entry in result["buckets"]:
        report = BucketReport(account_id=ACCOUNT, region=entry["region"], bucket=entry["bucket"], changes=[])
        notifier.enrich(report)
        assert report.allowlisted == entry["allowlisted"], entry["bucket"]
        if entry["certain"]:
            assert report.assessment is not None
            assert (report.assessment["public"], report.assessment["via"]) == (entry["public"], entry["via"])
            assert report.assessment["reasons"] == entry["reasons"]
        else:
            assert report.assessment is None, entry["bucket"]
    assert fake.forbidden == []


def test_private_acl_helper_is_private() -> None:  # guards the fixture itself
    assert all("URI" not in g["Grantee"] for g in private_acl()["Grants"])
