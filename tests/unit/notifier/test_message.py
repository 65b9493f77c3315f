"""message.py: subject rules, severities, digest, size caps, attributes."""

from __future__ import annotations

import json

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils.cloudtrail import classify
from bucketguard_notifier import message
from bucketguard_notifier.events import parse_event
from bucketguard_notifier.message import BucketReport, build_message, build_subject, group_changes, severity

from .conftest import load

OWN = load("cloudtrail/bucketguard-records.json")
PUBLIC = {"public": True, "via": ["policy"], "reasons": ["bucket policy: statement allows Principal *"]}
PRIVATE = {"public": False, "via": [], "reasons": ["no public ACL grant and no public bucket policy"]}


def report(index, assessment=PRIVATE, **kw):
    change = classify(OWN[index])
    return BucketReport(change.account_id, change.region, change.bucket, [change], assessment=assessment, **kw)


@pytest.mark.parametrize(
    ("index", "assessment", "extra", "expected"),
    [
        (4, PUBLIC, {}, "CRITICAL"),
        (0, PRIVATE, {}, "WARNING"),
        (0, None, {}, "WARNING"),
        (1, PRIVATE, {}, "INFO"),
        (5, PRIVATE, {}, "INFO"),
        (4, PUBLIC, {"allowlisted": "tagged"}, "NOTICE"),
        (17, None, {}, "WARNING"),
    ],
)
def test_severity(index, assessment, extra, expected):
    assert severity(report(index, assessment, **extra)) == expected


def test_subject_for_public_bucket():
    note = build_message([report(4, PUBLIC)])
    assert note.subject == "[PUBLIC] s3://bg-site exposed via policy (111122223333 eu-west-3)"
    assert note.sns_attributes()["severity"] == {"DataType": "String", "StringValue": "CRITICAL"}
    assert note.attributes == {
        "severity": "CRITICAL",
        "account": "111122223333",
        "region": "eu-west-3",
        "bucket": "bg-site",
    }


def test_subject_long_bucket_name_is_shortened_and_ascii():
    long_name = "b" * 63
    subject = build_subject("[PUBLIC]", f"s3://{long_name}", "exposed via acl+policy (111122223333 ap-southeast-2)", 12)
    assert len(subject) < 100
    assert subject.isascii()
    assert subject.startswith("[PUBLIC] s3://bbb")
    assert subject.endswith("+12 more")
    assert build_subject("[X]", "", "caf\u00e9\nline").isascii()
    assert "\n" not in build_subject("[X]", "", "caf\u00e9\nline")


def test_account_level_subject_and_body():
    (grouped,) = group_changes([classify(OWN[17])])
    assert (grouped.bucket, grouped.region) == (None, None)
    note = build_message([grouped])
    assert note.subject == "[WARNING] account Block Public Access loosened (111122223333)"
    assert note.attributes["bucket"] == "(account-level)"
    assert "every bucket in the account is affected" in note.body


def test_body_contents():
    note = build_message([report(4, PUBLIC)])
    body = note.body
    assert "who:   role Admin (session alice)" in body
    assert "when:  2025-03-01T10:05:00Z (UTC)" in body
    assert "from:  203.0.113.10" in body
    assert "https://eu-west-3.console.aws.amazon.com/s3/buckets/bg-site?region=eu-west-3&tab=permissions" in body
    assert "cloudtrailv2/home?region=eu-west-3#/events/bg-0005-PutBucketPolicy" in body
    last = json.loads(body.rstrip().rsplit("\n", 1)[1])
    assert last == {
        "eventTime": "2025-03-01T10:05:00Z",
        "eventName": "PutBucketPolicy",
        "eventID": "bg-0005-PutBucketPolicy",
        "userIdentity.arn": OWN[4]["userIdentity"]["arn"],
        "sourceIPAddress": "203.0.113.10",
        "requestParameters": OWN[4]["requestParameters"],
        "link": "https://eu-west-3.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-3"
        "#/events/bg-0005-PutBucketPolicy",
    }
    assert len(json.dumps(last)) < len(json.dumps(OWN[4]))  # shortened: no TLS details, user agent, resources...


def test_digest_caps_buckets_and_changes():
    changes = [classify(OWN[6])] * 15 + [classify(r) for r in OWN if r["_bucketguard_expect"]]
    reports = group_changes(changes)
    extra = [
        BucketReport("111122223333", "eu-west-3", f"bucket-{i}", [classify(OWN[6])], assessment=PRIVATE)
        for i in range(30)
    ]
    note = build_message(reports + extra)
    site = next(r for r in reports if r.bucket == "bg-site")
    assert len(site.changes) > message.MAX_CHANGES_PER_BUCKET
    assert f"... and {len(site.changes) - message.MAX_CHANGES_PER_BUCKET} more changes to this bucket" in note.body
    assert note.body.count("\n== ") == message.MAX_BUCKETS_IN_BODY
    hidden = len(reports + extra) - message.MAX_BUCKETS_IN_BODY
    assert f"\n... and {hidden} more: " in note.body
    assert note.subject.endswith(f"+{len(reports + extra) - 1} more")


def test_body_stays_under_sns_limit_and_says_so():
    big = dict(OWN[4], requestParameters={**OWN[4]["requestParameters"], "padding": "x" * 50_000})
    change = classify(big)
    reports = [BucketReport("111122223333", "eu-west-3", "bg-site", [change] * 300, assessment=PUBLIC)]
    note = build_message(reports)
    assert len(note.body.encode("utf-8")) < 256 * 1024
    assert "records left out (size limit)" in note.body


def test_no_records_message():
    alarm = parse_event(load("events/alarm-state-alarm.json")).alarm
    note = message.build_no_records_message(alarm, ["Records read: 0"])
    assert note.severity == "WARNING"
    assert "bucketguard-s3-visibility-change" in note.subject
    assert "Alarm window: 2025-03-01T10:05:00Z .. 2025-03-01T10:07:30Z (UTC)" in note.body


def test_fallback_message_keeps_raw_event():
    note = message.build_fallback_message("boom", {"k": "v" * 300_000})
    assert note.severity == "CRITICAL"
    assert "Error: boom" in note.body
    assert len(note.body.encode()) < 256 * 1024


def test_access_point_change_without_bucket_is_not_called_account_level():
    (grouped,) = group_changes([classify(OWN[21])])  # PutAccessPointPolicy, public policy
    note = build_message([grouped])
    assert note.subject == "[WARNING] access point bg-public-ap changed (111122223333 eu-west-3)"
    assert "names an access point, not a bucket" in note.body
    assert "every bucket in the account" not in note.body


def test_digest_lists_every_bucket_beyond_the_cap_with_its_verdict():
    """The storm case: buckets beyond MAX_BUCKETS_IN_BODY each get one line with severity and change count."""
    public = [
        BucketReport("111122223333", "eu-west-3", f"pub-{i:02d}", [classify(OWN[4])] * 3, assessment=PUBLIC)
        for i in range(22)
    ]
    private = [
        BucketReport("111122223333", "eu-west-3", f"priv-{i:02d}", [classify(OWN[6])], assessment=PRIVATE)
        for i in range(5)
    ]
    body = build_message(public + private).body
    summary = [line for line in body.splitlines() if line.startswith("  - ") and line.endswith((" change", " changes"))]
    assert summary[:2] == [
        f"  - CRITICAL: s3://pub-{i:02d} (account 111122223333, region eu-west-3): 3 changes" for i in (20, 21)
    ]
    assert summary[2:] == [
        f"  - INFO: s3://priv-{i:02d} (account 111122223333, region eu-west-3): 1 change" for i in range(5)
    ]


def test_earlier_line_is_one_line_after_the_notes():
    note = build_message([report(4, PUBLIC)], notes=["a note"], earlier="earlier in this window: 2 change(s)\nX")
    lines = note.body.splitlines()
    assert lines[1] == "a note"
    assert lines[2] == "earlier in this window: 2 change(s)\\nX"  # escaped: it stays one line


def test_partly_unknown_is_said_in_words():
    """A missing second opinion (LocalStack has no GetBucketPolicyStatus) is named for what it is; other reads
    that failed are named by what they are, not by our internal labels."""
    from bucketguard_notifier.message import _partly_unknown

    assert _partly_unknown("policy status: NotImplemented") == (
        "S3's own check of the policy (GetBucketPolicyStatus) gave no answer (NotImplemented); "
        "the verdict above is from bucketguard's rules alone"
    )
    assert _partly_unknown("tags: AccessDenied; policy status: Throttling") == (
        "the bucket's tags could not be read: AccessDenied; the bucket's policy status (GetBucketPolicyStatus) "
        "could not be read: Throttling"
    )
