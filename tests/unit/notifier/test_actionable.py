"""An email the on-call person can act on (issue 15, item 4) and the allow-tag NOTICE (issue 14, item 3).

The AWS CLI commands chosen by what makes the bucket public, the allow tag named, the account's name beside its
id, no setting names and no "(s)" in the body, shortened records; PutBucketTagging classified from real record
shapes and mailed through the handler (moto) as a NOTICE, other tagging calls ignored.
"""

from __future__ import annotations

import copy
import json
import re

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils.cloudtrail import (
    classify,
    classify_all,
    request_tags,
)
from bucketguard_notifier import message
from bucketguard_notifier.handler import ConfigError, load_config
from bucketguard_notifier.message import BucketReport, build_message, group_changes, severity

from .conftest import load
from .test_handler import (
    ACCOUNT,
    OFF,
    PUBLIC_POLICY,
    REGION,
    aws,  # noqa: F401  (the moto fixture)
    env,
    make_bucket,
    run,
    sent,
)

OWN = load("cloudtrail/bucketguard-records.json")
TAGGING = load("cloudtrail/put-bucket-tagging.json")
ALLOW = ("bucketguard:public", "approved")
PUBLIC_POLICY_STATE = {"public": True, "via": ["policy"], "reasons": ["bucket policy: statement 'PublicRead' allows *"]}
PUBLIC_ACL_STATE = {"public": True, "via": ["acl"], "reasons": ["bucket ACL grants READ to AllUsers"]}
BOTH = {"public": True, "via": ["acl", "policy"], "reasons": ["x"]}
PRIVATE = {"public": False, "via": [], "reasons": ["no public ACL grant and no public bucket policy"]}
SCOPE = "--region eu-west-3 --expected-bucket-owner 111122223333"
BPA = (
    "    $ aws s3api put-public-access-block --bucket bg-site --public-access-block-configuration "
    f"BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true {SCOPE}"
)


def one(index, records=OWN, **kw):
    change = classify(records[index], ALLOW)
    return BucketReport(change.account_id, change.region, change.bucket, [change], **kw)


def commands(note):
    return [line for line in note.body.split("\n") if line.startswith(("    $ ", "    (no command"))]


# --------------------------------------------------------------------------- commands by "through what"


def test_public_policy_gives_block_public_access_and_policy_commands():
    note = build_message([one(4, assessment=PUBLIC_POLICY_STATE)])
    assert commands(note) == [
        BPA,
        f"    $ aws s3api delete-bucket-policy --bucket bg-site {SCOPE}",
        f"    $ aws s3api get-bucket-policy --bucket bg-site --query Policy --output text {SCOPE} > policy.json",
        f"    $ aws s3api put-bucket-policy --bucket bg-site --policy file://policy.json {SCOPE}",
    ]
    assert "put-bucket-acl" not in note.body


def test_public_acl_gives_block_public_access_and_acl_commands():
    note = build_message([one(4, assessment=PUBLIC_ACL_STATE)])
    assert commands(note) == [BPA, f"    $ aws s3api put-bucket-acl --bucket bg-site --acl private {SCOPE}"]


def test_public_through_both_gives_both():
    cmds = commands(build_message([one(4, assessment=BOTH)]))
    assert cmds[0] == BPA and len(cmds) == 5
    assert any("delete-bucket-policy" in c for c in cmds) and any("put-bucket-acl" in c for c in cmds)


def test_unconfirmed_public_request_gives_the_commands_of_the_request():
    acl = next(i for i, r in enumerate(OWN) if r["eventName"] == "PutBucketAcl" and classify(r).request_public)
    report = one(acl, state_error="ACL: AccessDenied")
    assert severity(report) == "CRITICAL"
    cmds = commands(build_message([report]))
    assert cmds[0].startswith("    $ aws s3api put-public-access-block")
    assert cmds[1].startswith(f"    $ aws s3api put-bucket-acl --bucket {report.bucket} --acl private")


def test_public_object_acl_request_gives_the_object_command_with_a_safe_key():
    index = next(i for i, r in enumerate(OWN) if r["eventName"] == "PutObjectAcl" and classify(r).request_public)
    report = one(index, state_error="policy: AccessDenied")
    key = report.changes[0].key
    cmds = commands(build_message([report]))
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9/._-]*", key):
        assert any(f"put-object-acl --bucket bg-site --key {key} --acl private" in c for c in cmds)
    record_ = copy.deepcopy(OWN[index])
    record_["requestParameters"]["key"] = "report $(id).pdf"
    change = classify(record_)
    report = BucketReport(change.account_id, change.region, change.bucket, [change], state_error="policy: x")
    assert "    (no command: object key has characters a shell would read, not quoted in a command)" in commands(
        build_message([report])
    )


def test_loosened_not_public_gives_the_block_public_access_command():
    note = build_message([one(0, assessment=PRIVATE)])  # PutBucketPublicAccessBlock, all off
    assert note.severity == "WARNING"
    assert commands(note) == [BPA]


def test_account_level_warning_gives_the_s3control_command():
    (report,) = group_changes([classify(OWN[17])])
    assert commands(build_message([report])) == [
        "    $ aws s3control put-public-access-block --account-id 111122223333 --public-access-block-configuration "
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
    ]


def test_info_and_remediated_give_no_command():
    assert commands(build_message([one(1, assessment=PRIVATE)])) == []
    done = one(4, assessment=PUBLIC_POLICY_STATE, remediation="bucketguard re-enabled ...")
    assert commands(build_message([done])) == []
    failed = one(4, assessment=PUBLIC_POLICY_STATE, remediation=message.remediation_failed("AccessDenied"))
    assert commands(build_message([failed]))[0] == BPA


def test_the_allow_tag_is_named_as_configured():
    note = build_message([one(4, assessment=PUBLIC_POLICY_STATE)], allow_tag="sec:exposed=yes")
    assert "add the tag sec:exposed=yes to the bucket (keep its other tags" in note.body
    assert "bucketguard:public" not in note.body


# --------------------------------------------------------------------------- words, names, records


def test_account_name_beside_the_id_in_subject_and_body():
    note = build_message([one(4, assessment=PUBLIC_POLICY_STATE)], account_names={"111122223333": "prod-web"})
    assert note.subject == "[PUBLIC] s3://bg-site exposed via policy (prod-web 111122223333 eu-west-3)"
    assert "Account 111122223333 (prod-web), region eu-west-3" in note.body
    assert note.attributes["account"] == "111122223333"  # the attribute stays the id (subscription filters)


def test_hostile_account_name_is_escaped():
    names = message.parse_account_names('{"111122223333": "x\\n== INFO: forged"}')  # accepted, shown escaped
    note = build_message([one(4, assessment=PUBLIC_POLICY_STATE)], account_names=names)
    assert "\n== INFO" not in note.body and "\n" not in note.subject


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", {}), ('{"111122223333": "prod-web"}', {"111122223333": "prod-web"}), (" ", {})],
)
def test_parse_account_names(raw, expected):
    assert message.parse_account_names(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "[1]",
        "{",
        '{"1234": "x"}',
        '{"111122223333": ""}',
        json.dumps({"111122223333": "x" * 51}),
        '{"111122223333": 5}',
    ],
)
def test_bad_account_names_are_refused_naming_the_variable(raw):
    with pytest.raises(ConfigError, match="BUCKETGUARD_ACCOUNT_NAMES"):
        load_config({"BUCKETGUARD_TOPIC_ARN": "arn:aws:sns:eu-west-3:111122223333:t", "BUCKETGUARD_ACCOUNT_NAMES": raw})


def test_headline_counts_in_words():
    reports = [one(4, assessment=PUBLIC_POLICY_STATE), *group_changes([classify(OWN[17])])]
    reports.append(BucketReport("111122223333", "eu-west-3", "bg-b", [classify(OWN[1])], assessment=PRIVATE))
    body = build_message(reports).body
    assert body.startswith(
        "bucketguard: exposure-relevant changes to 2 buckets and the account-wide settings of 1 account. "
        "Public now and not allow-listed: 1 bucket.\n"
    )
    assert "(s)" not in body
    assert build_message([one(1, assessment=PRIVATE)]).body.startswith(
        "bucketguard: exposure-relevant changes to 1 bucket. Public now and not allow-listed: none."
    )


def test_notes_say_it_in_words():
    from datetime import UTC, datetime

    texts = [
        message.search_notes("/g", datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, 0, 16, tzinfo=UTC), 15),
        message.search_notes("/g", datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, 0, 1, tzinfo=UTC), 1),
        message.truncated_note(1),
        message.truncated_note(10000),
        message.skipped_note(1),
        message.skipped_note(2),
        message.remediation_done(datetime(2025, 1, 1, tzinfo=UTC), False),
        message.remediation_failed("AccessDenied"),
    ]
    for text in texts:
        assert "BUCKETGUARD_" not in text and "(s)" not in text and "=true" not in text
    assert "and 1 minute before it" in texts[1] and "first 1 record " in texts[2]
    assert texts[4].startswith("1 change was") and texts[5].startswith("2 changes were")


def test_more_changes_line_is_singular_or_plural():
    changes = [classify(OWN[6])] * (message.MAX_CHANGES_PER_BUCKET + 1)
    report = BucketReport("111122223333", "eu-west-3", "bg-site", changes, assessment=PRIVATE)
    assert "  ... and 1 more change to this bucket" in build_message([report]).body


def test_email_is_plain_text_and_says_so_in_the_docs():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[3] / "docs" / "notifier.md").read_text()
    assert "cannot carry HTML" in docs


# --------------------------------------------------------------------------- the allow tag (PutBucketTagging)


@pytest.mark.parametrize("record_", TAGGING, ids=[r["eventID"] for r in TAGGING])
def test_tagging_records_classify_by_the_allow_tag(record_):
    change = classify(record_, ALLOW)
    expected = record_["_bucketguard_allow"]
    if expected is None:
        assert change is None, record_["_bucketguard_note"]
        return
    assert change.allow_tag_value == expected
    assert change.bucket == "bg-site" and change.actor == "user carol" and change.effect == "neutral"
    assert classify(record_) is None  # without the allow tag nothing reads tagging calls (audit, alarm)


def test_request_tags_reads_a_list_or_a_single_object():
    assert request_tags(TAGGING[0]["requestParameters"]) == {"team": "web", "bucketguard:public": "approved"}
    assert request_tags(TAGGING[1]["requestParameters"]) == {"bucketguard:public": "approved"}
    assert request_tags({"Tagging": {"TagSet": {"Tag": {"Key": "k"}}}}) == {"k": ""}
    assert request_tags({"tagging": ""}) is None


def test_tagging_with_the_allow_tag_is_a_notice_naming_who_the_bucket_and_the_verdict():
    report = one(0, records=TAGGING, assessment=PUBLIC_POLICY_STATE, allowlisted="tagged bucketguard:public=approved")
    note = build_message([report])
    assert note.severity == "NOTICE"
    assert note.subject == "[NOTICE] s3://bg-site allow-listed by tag, public via policy (111122223333 eu-west-3)"
    body = note.body
    assert "== NOTICE: s3://bg-site" in body
    assert (
        "  - PutBucketTagging: allow tag bucketguard:public=approved set: the bucket is allow-listed [neutral]" in body
    )
    assert "    who:   user carol" in body
    assert "Verdict now: PUBLIC via policy" in body
    assert (
        "Allow tag: bucketguard:public=approved set by user carol at 2025-03-01T10:20:00Z (UTC): this bucket is now "
        "allow-listed: future public changes to it are reported as NOTICE, not CRITICAL."
    ) in body
    assert "If allow-listing this bucket was not agreed: remove the tag bucketguard:public" in body
    assert commands(note) == []


def test_tagging_on_a_private_bucket_is_a_notice_too():
    note = build_message([one(1, records=TAGGING, assessment=PRIVATE, allowlisted="tagged x")])
    assert note.severity == "NOTICE"
    assert note.subject.startswith("[NOTICE] s3://bg-site allow-listed by tag, not public")


def test_allow_tag_set_to_another_value_is_a_notice_that_does_not_allow_list():
    note = build_message([one(3, records=TAGGING, assessment=PRIVATE)])
    assert note.severity == "NOTICE"
    assert "allow tag changed, not allow-listed" in note.subject
    assert 'Allow tag: bucketguard:public set to "no" set by user carol' in note.body
    assert 'only "approved" allow-lists, so the tag does not allow-list this bucket.' in note.body


def test_allow_tag_does_not_hide_a_public_bucket_whose_live_tags_do_not_allow_it():
    # The request set the tag, but the tags read now do not carry it (removed since, or unreadable): still CRITICAL.
    report = one(0, records=TAGGING, assessment=PUBLIC_POLICY_STATE)
    assert severity(report) == "CRITICAL"


def test_classify_all_passes_the_allow_tag():
    assert [c.event_id for c in classify_all(TAGGING, ALLOW)] == [
        "tag-0001-list",
        "tag-0002-single",
        "tag-0004-changed",
    ]
    assert classify_all(TAGGING) == []


def _eventbridge(record_):
    detail = {k: v for k, v in record_.items() if not k.startswith("_")}
    detail["requestParameters"]["bucketName"] = "bg-tagged"
    detail["recipientAccountId"] = detail["userIdentity"]["accountId"] = ACCOUNT
    detail["awsRegion"] = REGION
    return {"version": "0", "detail-type": "AWS API Call via CloudTrail", "source": "aws.s3", "detail": detail}


def test_handler_mails_the_allow_tag_as_notice(aws):  # noqa: F811
    make_bucket(aws["s3"], "bg-tagged", policy=PUBLIC_POLICY, pab=OFF, tags={"bucketguard:public": "approved"})
    result = run(_eventbridge(copy.deepcopy(TAGGING[1])), env(aws["topic"], account_names=f'{{"{ACCOUNT}": "prod"}}'))
    assert result["status"] == "published" and result["severity"] == "NOTICE"
    (mail,) = sent(aws["topic"])
    assert (
        mail["subject"] == f"[NOTICE] s3://bg-tagged allow-listed by tag, public via policy (prod {ACCOUNT} {REGION})"
    )
    assert "this bucket is now allow-listed: future public changes to it are reported as NOTICE" in mail["body"]
    assert "who:   user carol" in mail["body"]


def test_handler_ignores_tagging_that_does_not_touch_the_allow_tag(aws, capsys):  # noqa: F811
    make_bucket(aws["s3"], "bg-tagged", pab=OFF)
    result = run(_eventbridge(copy.deepcopy(TAGGING[2])), env(aws["topic"]))
    assert result["status"] == "ignored"
    assert sent(aws["topic"]) == []
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {"bucketguard": "records_ignored", "records": 1, "source": "eventbridge"} in logged


def test_handler_uses_the_configured_allow_tag(aws):  # noqa: F811
    make_bucket(aws["s3"], "bg-tagged", pab=OFF)
    result = run(_eventbridge(copy.deepcopy(TAGGING[1])), env(aws["topic"], allow_tag="sec:open=yes"))
    assert result["status"] == "ignored"  # bucketguard:public is not this notifier's allow tag
