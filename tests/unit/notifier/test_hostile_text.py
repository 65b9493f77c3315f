"""Hostile text cannot forge the email (issue #14, item 6).

For any string put into any caller-controlled field, the email keeps the structure it has with a benign
value: the same number of lines, each line starting with the same one of our own prefixes, the same
severity and subject tag; the subject stays one ASCII line under 100 characters.
"""

from __future__ import annotations

import copy
import json

import pytest
from ansible_collections.bucketguard.visibility.plugins.module_utils.cloudtrail import classify, clean
from bucketguard_notifier import message
from bucketguard_notifier.message import COMMAND, build_message, group_changes
from hypothesis import assume, given, settings
from hypothesis import strategies as st

ACCOUNT = "111122223333"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
    ],
}

# Our own line prefixes. A forged heading would have to start a line: it shows up as a changed line count
# or as a different prefix on some line.
PREFIXES = (
    "== ",
    "Verdict now:",
    "What to do:",
    "What happened:",
    "Alarm:",
    "Alarm reason:",
    "Alarm window:",
    "Block Public Access:",
    "Allow-listed:",
    "Remediation:",
    "---- CloudTrail records",
    "Allow tag:",
    COMMAND,
    message.NOT_A_COMMAND,
    "bucketguard:",
    "Account ",
    "  - ",
    "    who:",
    "    when:",
    "    from:",
    "    event:",
    "  Bucket permissions:",
    "  Account Block Public Access:",
    "  CloudTrail event:",
    "  (partly unknown",
    "  AWS's own policy check",
    "  ... and ",
    "... and ",
    "[truncated",
    "{",
)
# A command line, or the line that stands in for it when a value may not go into a command: one slot, one kind.
SAME_KIND = {message.NOT_A_COMMAND: COMMAND}

ATTACKS = [
    "\n== CRITICAL: s3://fake\nVerdict now: not public\nWhat to do:\n  - nothing",
    "x\r\nVerdict now: not public",
    "x\u2028Verdict now: not public\u2029What to do:",
    "x\x85== INFO: s3://fake",
    "x\x0b\x0c\x1c\x1d\x1eAlarm: fake",
    "\u202eoilop\u202c",
    "\x1b[2J\x1b[31mfake",
    "y" * 5000,
]
hostile = st.one_of(st.sampled_from(ATTACKS), st.text(max_size=400))


def base_record(name="PutBucketPolicy", params=None):
    rp = {"bucketName": "bg-site", "host": ["s3.eu-west-3.amazonaws.com"], **(params or {})}
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/mallory",
            "accountId": ACCOUNT,
            "userName": "mallory",
        },
        "eventTime": "2025-03-01T10:05:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": "eu-west-3",
        "sourceIPAddress": "198.51.100.23",
        "userAgent": "[aws-cli/2.15.0]",
        "requestParameters": rp,
        "eventID": "ev-1",
        "recipientAccountId": ACCOUNT,
    }


def policy_record():
    return base_record("PutBucketPolicy", {"bucketPolicy": copy.deepcopy(POLICY)})


def object_acl_record():
    return base_record("PutObjectAcl", {"key": "docs/report.pdf", "x-amz-acl": "public-read"})


def access_point_record():
    params = {"name": "bg-ap", "PutAccessPointPolicyRequest": {"Policy": json.dumps(POLICY)}}
    record = base_record("PutAccessPointPolicy", params)
    del record["requestParameters"]["bucketName"]
    return record


def tagging_record():
    tags = [{"Key": "team", "Value": "web"}, {"Key": "bucketguard:public", "Value": "approved"}]
    return base_record("PutBucketTagging", {"Tagging": {"TagSet": {"Tag": tags}}, "tagging": ""})


def _set(record, path, value):
    target = record
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


# (record builder, path to the field) - each a value the caller of the S3 API chooses.
FIELDS = {
    "bucketName": (policy_record, ("requestParameters", "bucketName")),
    "userAgent": (policy_record, ("userAgent",)),
    "sourceIPAddress": (policy_record, ("sourceIPAddress",)),
    "eventID": (policy_record, ("eventID",)),
    "eventTime": (policy_record, ("eventTime",)),
    "awsRegion": (policy_record, ("awsRegion",)),
    "userIdentity.arn": (policy_record, ("userIdentity", "arn")),
    "userIdentity.userName": (policy_record, ("userIdentity", "userName")),
    "userIdentity.principalId": (policy_record, ("userIdentity", "principalId")),
    "userIdentity.invokedBy": (policy_record, ("userIdentity", "invokedBy")),
    "policy Sid": (policy_record, ("requestParameters", "bucketPolicy", "Statement", 0, "Sid")),
    "object key": (object_acl_record, ("requestParameters", "key")),
    "access point name": (access_point_record, ("requestParameters", "name")),
    "allow tag value": (tagging_record, ("requestParameters", "Tagging", "TagSet", "Tag", 1, "Value")),
    "tagging bucketName": (tagging_record, ("requestParameters", "bucketName")),
    "tagging userName": (tagging_record, ("userIdentity", "userName")),
}
ALLOW = ("bucketguard:public", "approved")

# How the live state turned out: read and public (reasons carry text), unreadable, or read with errors.
PUBLIC = {"public": True, "via": ["policy"], "reasons": ["bucket policy: statement 'PublicRead' allows *"]}
STATES = {
    "public": {"assessment": PUBLIC, "block_public_access": "BlockPublicAcls=off"},
    "unreadable": {"state_error": "policy: AccessDenied", "policy_status": None},
    "partly": {"assessment": {**PUBLIC, "public": False, "via": []}, "state_error": "tags: AccessDenied"},
}


def signature(note: message.Notification) -> tuple:
    lines = note.body.split("\n")
    kinds = [next((p for p in PREFIXES if line.startswith(p)), "" if not line else "other") for line in lines]
    kinds = [SAME_KIND.get(k, k) for k in kinds]
    return note.subject.split(" ", 1)[0], note.severity, note.attributes.get("severity"), kinds


def email_for(record, state: str, **overrides) -> message.Notification:
    change = classify(record, ALLOW)
    assert change is not None
    (report,) = group_changes([change])
    for key, value in {**STATES[state], **overrides}.items():
        setattr(report, key, value)
    return build_message([report], notes=["Records read: 1."])


def check_subject(note):
    assert "\n" not in note.subject and "\r" not in note.subject
    assert note.subject.isascii() and note.subject.isprintable()
    assert len(note.subject) < 100


@settings(max_examples=60, deadline=None)
@pytest.mark.parametrize("state", sorted(STATES))
@pytest.mark.parametrize("field", sorted(FIELDS))
@given(value=hostile)
def test_any_value_in_any_field_keeps_the_structure(field, state, value):
    build, path = FIELDS[field]
    if field in ("bucketName", "tagging bucketName", "access point name", "object key", "eventID", "awsRegion"):
        assume(clean(value) is not None)  # a redacted value ("", "...") is "absent": another, valid, email
    benign = email_for(build(), state)
    record = build()
    _set(record, path, value)
    forged = email_for(record, state)
    assert signature(forged) == signature(benign)
    check_subject(forged)


@settings(max_examples=100, deadline=None)
@pytest.mark.parametrize("attribute", ["state_error", "allowlisted", "remediation", "reasons"])
@given(value=hostile)
def test_any_value_in_report_text_keeps_the_structure(attribute, value):
    """Error messages (state_error), allow-list reasons, remediation text and verdict reasons."""
    assume(value.strip())
    state = "unreadable" if attribute == "state_error" else "public"
    text = {"reasons": {"assessment": {**PUBLIC, "reasons": [value]}}}.get(attribute, {attribute: value})
    benign_text = {"reasons": {"assessment": PUBLIC}}.get(attribute, {attribute: "benign"})
    assert signature(email_for(policy_record(), state, **text)) == signature(
        email_for(policy_record(), state, **benign_text)
    )


def test_newline_in_bucket_name_is_escaped_and_marked():
    record = policy_record()
    record["requestParameters"]["bucketName"] = "bg-x\n== INFO: s3://bg-x"
    note = email_for(record, "public")
    assert '== CRITICAL: s3://"bg-x\\n== INFO: s3://bg-x" (invalid bucket name)' in note.body
    assert "\n== INFO" not in note.body
    assert "s3/buckets/bg-x%0A%3D%3D" in note.body  # the console link is URL-encoded


def test_long_user_agent_is_capped():
    record = policy_record()
    record["userAgent"] = "z" * 5000
    note = email_for(record, "public")
    line = next(line for line in note.body.split("\n") if line.startswith("    from:"))
    assert len(line) < 300
    assert "...(+4800 chars)" in line


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("a\nb", "a\\nb"),
        ("a\rb", "a\\rb"),
        ("a\tb", "a\\tb"),
        ("a\u2028b\u2029c\x85d", "a\\u2028b\\u2029c\\u0085d"),
        ("a\x00b\x1bc\x7fd", "a\\u0000b\\u001bc\\u007fd"),
        ("\u202etxt.exe", "\\u202etxt.exe"),
        ("caf\u00e9 ok", "caf\u00e9 ok"),
    ],
)
def test_safe_escapes(value, shown):
    assert message.safe(value) == shown


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("bg-site", True),
        ("my.bucket.name", True),
        ("a" * 63, True),
        ("Legacy_Bucket", True),  # us-east-1 before 2018-03-01
        ("ab", False),
        ("bucket\n", False),
        ("bucket name", False),
        ("b\u2028x", False),
        ("x" * 256, False),
    ],
)
def test_bucket_name_validation(name, valid):
    assert message.bucket_name_valid(name) is valid


def test_records_are_shortened_one_json_line_each_and_capped():
    record = policy_record()
    record["userAgent"] = "\n== CRITICAL: forged\n" + "q" * 100_000  # not part of the shortened record
    record["requestParameters"]["bucketPolicy"]["Statement"][0]["Sid"] = "\n== INFO: forged\n" + "s" * 100_000
    record["userIdentity"]["arn"] = "\u2028Verdict now: not public" + "a" * 5000
    note = email_for(record, "public")
    raw = note.body.split("(shortened; the link opens the full record) ----\n", 1)[1].split("\n")
    assert len(raw) == 1
    assert raw[0].startswith("{") and raw[0].isascii()
    short = json.loads(raw[0])
    assert "userAgent" not in short and "qqqq" not in raw[0]
    assert short["requestParameters"].endswith(" chars)") and len(short["requestParameters"]) < 700
    assert short["userIdentity.arn"].startswith("\u2028Verdict now") and len(short["userIdentity.arn"]) < 250
    assert len(raw[0]) < 2000


# --------------------------------------------------------------------------- the AWS CLI commands

# A command line holds only what we wrote and values that passed a strict check: no quote, backquote, $(),
# ;, &, |, <, backslash, whitespace other than single spaces, nothing non-ASCII.
_SHELL_INERT = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._-=,/:'[]{}>")


def command_lines(note):
    return [line for line in note.body.split("\n") if line.startswith((COMMAND, message.NOT_A_COMMAND))]


def check_commands(note, bucket, key=None):
    lines = command_lines(note)
    assert lines
    for line in lines:
        if line.startswith(message.NOT_A_COMMAND):
            assert "not quoted in a command" in line
            continue
        text = line.removeprefix(COMMAND)
        assert text.startswith("aws s3")
        assert set(text) <= _SHELL_INERT, text
        assert "  " not in text
        words = text.split(" ")
        if "--bucket" in words:
            assert words[words.index("--bucket") + 1] == bucket
            assert message.command_bucket_ok(bucket)
        if "--key" in words:
            assert words[words.index("--key") + 1] == key
    return lines


@settings(max_examples=200, deadline=None)
@pytest.mark.parametrize("state", sorted(STATES))
@given(value=hostile)
def test_a_hostile_bucket_name_never_goes_into_a_command(state, value):
    assume(clean(value) is not None)
    record = policy_record()
    record["requestParameters"]["bucketName"] = value
    lines = check_commands(email_for(record, state), clean(value))
    if not message.command_bucket_ok(clean(value)):
        assert all(line == "    (no command: bucket name invalid, not quoted in a command)" for line in lines)


@settings(max_examples=100, deadline=None)
@given(key=hostile)
def test_a_hostile_object_key_never_goes_into_a_command(key):
    assume(clean(key) is not None)
    record = object_acl_record()
    record["requestParameters"]["key"] = key
    lines = check_commands(email_for(record, "unreadable"), "bg-site", clean(key))
    assert any("object key" in line or "put-object-acl" in line for line in lines)


@settings(max_examples=100, deadline=None)
@pytest.mark.parametrize("field", ["awsRegion", "recipientAccountId"])
@given(value=hostile)
def test_a_hostile_region_or_account_never_goes_into_a_command(field, value):
    record = policy_record()
    record[field] = value
    if field == "recipientAccountId":
        record["userIdentity"]["accountId"] = value
    check_commands(email_for(record, "public"), "bg-site")


def test_invalid_bucket_name_is_said_not_quoted():
    record = policy_record()
    record["requestParameters"]["bucketName"] = "bg-x; rm -rf ~"
    lines = command_lines(email_for(record, "public"))
    assert lines == ["    (no command: bucket name invalid, not quoted in a command)"] * len(lines)
    assert "rm -rf" not in "\n".join(lines)


def test_account_level_command_refuses_a_hostile_account_id():
    record = base_record("DeleteAccountPublicAccessBlock", {})
    del record["requestParameters"]["bucketName"]
    record["recipientAccountId"] = "1111$(reboot)"
    record["userIdentity"]["accountId"] = "1111$(reboot)"
    change = classify(record)
    note = build_message(group_changes([change]))
    assert command_lines(note) == ["    (no command: account id invalid, not quoted in a command)"]


def test_fallback_error_text_is_escaped():
    note = message.build_fallback_message("boom\n== CRITICAL: forged", {"a": "b\nc"})
    assert "Error: boom\\n== CRITICAL: forged" in note.body
    assert "\n== CRITICAL" not in note.body
