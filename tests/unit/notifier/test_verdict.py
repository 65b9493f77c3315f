"""When parts of a bucket's state cannot be read, which verdicts still hold."""

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils.exposure import verdict_is_certain

PUBLIC_POLICY = {"public": True, "via": ["policy"]}
PUBLIC_ACL = {"public": True, "via": ["acl"]}
NOT_PUBLIC = {"public": False, "via": []}


@pytest.mark.parametrize(
    ("result", "errors", "certain"),
    [
        (PUBLIC_POLICY, [], True),
        (NOT_PUBLIC, [], True),
        # The account's Block Public Access could only restrict further: "not public" stands.
        (NOT_PUBLIC, ["account Block Public Access: AccessDenied"], True),
        # ... but it could neutralise a public policy (RestrictPublicBuckets): unknown.
        (PUBLIC_POLICY, ["account Block Public Access: AccessDenied"], False),
        (PUBLIC_POLICY, ["BPA: AccessDenied"], False),
        # An unread policy or ACL could grant public access: "not public" is not certain.
        (NOT_PUBLIC, ["policy: AccessDenied"], False),
        (NOT_PUBLIC, ["ACL: AccessDenied"], False),
        # A public ACL is neutralised by BucketOwnerEnforced: unknown ownership makes it uncertain,
        (PUBLIC_ACL, ["ownership controls: AccessDenied"], False),
        # but it does not matter for a public policy.
        (PUBLIC_POLICY, ["ownership controls: AccessDenied"], True),
        # Tags never change the verdict.
        (PUBLIC_POLICY, ["tags: AccessDenied"], True),
        (NOT_PUBLIC, ["tags: AccessDenied", "ownership controls: AccessDenied"], True),
    ],
)
def test_verdict_is_certain(result, errors, certain):
    assert verdict_is_certain(result, errors) is certain


def _change(effect: str, minute: int):
    from ansible_collections.bucketguard.visibility.plugins.module_utils.cloudtrail import Change

    return Change(
        bucket="b",
        account_level=False,
        event_name="PutBucketPublicAccessBlock",
        event_id=f"e{minute}",
        event_time=f"2026-11-27T09:{minute:02d}:00Z",
        region="eu-west-3",
        account_id="111111111111",
        actor="user alice",
        source_ip="203.0.113.10",
        user_agent="aws-cli",
        effect=effect,
        detail="",
    )


@pytest.mark.parametrize(
    ("effects", "expected_severity", "subject_part"),
    [
        # Opened, then locked down again within the window, not public now: INFO "locked down".
        (["loosens", "tightens"], "INFO", "locked down, not public"),
        # Locked, then opened again, not public (yet): WARNING.
        (["tightens", "loosens"], "WARNING", "protection loosened, not public"),
        # A neutral change after a loosening does not hide it.
        (["loosens", "neutral"], "WARNING", "protection loosened"),
        (["neutral"], "INFO", "changed, not public"),
    ],
)
def test_severity_follows_the_latest_direction(effects, expected_severity, subject_part):
    from bucketguard_notifier import message

    report = message.BucketReport(
        account_id="111111111111",
        region="eu-west-3",
        bucket="b",
        changes=[_change(e, i) for i, e in enumerate(effects)],
        assessment={"public": False, "via": [], "reasons": []},
    )
    assert message.severity(report) == expected_severity
    note = message.build_message([report])
    assert subject_part in note.subject


def _request(name: str, minute: int, *, public: bool = False, effect: str = "neutral", detail: str = "", key=None):
    from ansible_collections.bucketguard.visibility.plugins.module_utils.cloudtrail import Change

    return Change(
        bucket="b",
        account_level=False,
        event_name=name,
        event_id=f"r{minute}",
        event_time=f"2026-11-27T09:{minute:02d}:00Z",
        region="eu-west-3",
        account_id="111111111111",
        actor="user mallory",
        source_ip="203.0.113.10",
        user_agent="aws-cli",
        effect=effect,
        detail=detail,
        key=key,
        request_public=public,
    )


PUBLIC_POLICY_PUT = ("PutBucketPolicy", {"public": True, "effect": "loosens", "detail": "new policy is public: ..."})
PUBLIC_ACL_PUT = ("PutBucketAcl", {"public": True, "effect": "loosens", "detail": "canned ACL public-read"})
PRIVATE_POLICY_PUT = ("PutBucketPolicy", {"detail": "new policy is not public"})
UNRECORDED_POLICY_PUT = ("PutBucketPolicy", {"detail": "policy replaced (document not recorded or not valid JSON)"})
POLICY_DELETE = ("DeleteBucketPolicy", {"effect": "tightens", "detail": "policy deleted"})
PRIVATE_ACL_PUT = ("PutBucketAcl", {"effect": "tightens", "detail": "canned ACL private"})
ALL_BPA_ON = ("PutBucketPublicAccessBlock", {"effect": "tightens"})
SOME_BPA_OFF = ("PutBucketPublicAccessBlock", {"effect": "loosens"})
ENFORCED = ("PutBucketOwnershipControls", {"effect": "tightens"})
OWNERSHIP_DELETE = ("DeleteBucketOwnershipControls", {"effect": "loosens"})


@pytest.mark.parametrize(
    ("calls", "standing"),
    [
        ([PUBLIC_POLICY_PUT], ["PutBucketPolicy"]),
        ([PUBLIC_POLICY_PUT, POLICY_DELETE], []),
        ([PUBLIC_POLICY_PUT, PRIVATE_POLICY_PUT], []),
        # A policy put whose document was not recorded might be the same public policy: it undoes nothing.
        ([PUBLIC_POLICY_PUT, UNRECORDED_POLICY_PUT], ["PutBucketPolicy"]),
        ([PUBLIC_POLICY_PUT, ALL_BPA_ON], []),
        # Loosening calls after the public one never undo it (an attacker's way to "move the latest change").
        ([PUBLIC_POLICY_PUT, SOME_BPA_OFF, OWNERSHIP_DELETE], ["PutBucketPolicy"]),
        ([PUBLIC_POLICY_PUT, PRIVATE_ACL_PUT], ["PutBucketPolicy"]),
        ([PUBLIC_ACL_PUT, PRIVATE_ACL_PUT], []),
        ([PUBLIC_ACL_PUT, ENFORCED], []),
        ([PUBLIC_ACL_PUT, PUBLIC_POLICY_PUT, ENFORCED], ["PutBucketPolicy"]),
        ([POLICY_DELETE, PUBLIC_POLICY_PUT], ["PutBucketPolicy"]),
        ([SOME_BPA_OFF], []),
    ],
)
def test_public_requests_the_latest_change_decides(calls, standing):
    from bucketguard_notifier import message

    changes = [_request(name, minute, **kw) for minute, (name, kw) in enumerate(calls)]
    report = message.BucketReport("111111111111", "eu-west-3", "b", changes, state_error="policy: AccessDenied")
    assert [c.event_name for c in message.public_requests(report)] == standing
    assert (message.severity(report) == "CRITICAL") is bool(standing)


def test_public_request_is_not_critical_when_the_state_says_otherwise_or_is_gone():
    from bucketguard_notifier import message

    changes = [_request(PUBLIC_POLICY_PUT[0], 1, **PUBLIC_POLICY_PUT[1])]
    read = message.BucketReport("1", "r", "b", changes, assessment={"public": False, "via": [], "reasons": []})
    assert message.severity(read) == "WARNING"
    gone = message.BucketReport("1", "r", "b", changes, state_error="bucket does not exist", state_missing=True)
    assert message.severity(gone) == "WARNING"
    listed = message.BucketReport("1", "r", "b", changes, state_error="policy: AccessDenied", allowlisted="tagged")
    assert message.severity(listed) == "NOTICE"


def test_unread_reason_names_each_part():
    from bucketguard_notifier import message

    assert message.unread_reason("policy: AccessDenied; BPA: Throttling") == (
        "the bucket's policy could not be read: AccessDenied; "
        "the bucket's Block Public Access settings could not be read: Throttling"
    )
    assert message.unread_reason(None) == "the bucket's state could not be read"
    assert message.unread_reason("RuntimeError: boom\nx") == "RuntimeError: boom\\nx"
