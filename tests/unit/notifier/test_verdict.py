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
