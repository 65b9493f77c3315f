"""handler.py against moto in-process: S3, S3 Control, CloudWatch Logs, SNS."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from bucketguard_notifier import handler
from bucketguard_notifier.handler import ConfigError, PublishError, load_config, process
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID as ACCOUNT

from tests.lib.notifier_moto import make_table

from .conftest import load

REGION = "eu-west-3"
TOPIC_REGION = "us-east-1"
TRAIL_GROUP = "/bucketguard/cloudtrail"
NOTIFIER_GROUP = "/aws/lambda/bucketguard-notifier"
# CloudWatch Logs (and moto) reject log events older than 14 days, so the test clock is "now".
NOW = datetime.now(UTC).replace(microsecond=0)
PUBLIC_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
    ],
}


def record(name, bucket, params=None, event_id=None, when="2025-03-01T10:05:10Z"):
    """A CloudTrail record in AWS's documented shape for an S3 management call."""
    rp = {"bucketName": bucket, "host": [f"s3.{REGION}.amazonaws.com"], **(params or {})}
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/mallory",
            "accountId": ACCOUNT,
            "userName": "mallory",
        },
        "eventTime": when,
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": "198.51.100.23",
        "userAgent": "[aws-cli/2.15.0]",
        "requestParameters": rp,
        "responseElements": None,
        "requestID": "REQ",
        "eventID": event_id or f"id-{name}-{bucket}",
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
    }


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        sns = boto3.client("sns", region_name=TOPIC_REGION)
        topic = sns.create_topic(Name="bucketguard-alerts")["TopicArn"]
        logs = boto3.client("logs", region_name=REGION)
        logs.create_log_group(logGroupName=TRAIL_GROUP)
        logs.create_log_stream(logGroupName=TRAIL_GROUP, logStreamName=f"{ACCOUNT}_CloudTrail_{REGION}")
        yield {"topic": topic, "logs": logs, "s3": boto3.client("s3", region_name=REGION)}


def env(topic, **extra):
    base = {"BUCKETGUARD_TOPIC_ARN": topic, "BUCKETGUARD_LOG_GROUP": TRAIL_GROUP, "AWS_REGION": REGION}
    return {**base, **{f"BUCKETGUARD_{k.upper()}": v for k, v in extra.items()}}


def clients():
    cache = {}

    def factory(service, region):
        if (service, region) not in cache:
            cache[(service, region)] = boto3.client(service, region_name=region or REGION)
        return cache[(service, region)]

    return factory


def sent(topic):
    from moto.sns.models import sns_backends

    notes = sns_backends[ACCOUNT][TOPIC_REGION].topics[topic].sent_notifications
    return [{"subject": n[2], "body": n[1], "attributes": n[3]} for n in notes]


def attr(mail, name):
    return mail["attributes"][name]["Value"] if "Value" in mail["attributes"][name] else mail["attributes"][name]


def make_bucket(s3, name, policy=None, acl=None, pab=None, tags=None, ownership=None):
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    if ownership:
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]})
    if acl:
        s3.put_bucket_acl(Bucket=name, ACL=acl)
    if policy:
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    if pab is not None:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=pab)
    if tags:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})


def put_trail(logs, records, when=NOW - timedelta(minutes=2)):
    stream = f"{ACCOUNT}_CloudTrail_{REGION}"
    events = [{"timestamp": int(when.timestamp() * 1000), "message": json.dumps(r)} for r in records]
    for i in range(0, len(events), 5000):
        logs.put_log_events(logGroupName=TRAIL_GROUP, logStreamName=stream, logEvents=events[i : i + 5000])


def _cw_time(value):
    return value.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def alarm_event(state="ALARM"):
    """The fixture alarm event, moved to the test clock: fired one minute ago for the previous minute."""
    event = load("events/alarm-state-alarm.json")
    event["accountId"] = ACCOUNT
    fired = NOW - timedelta(minutes=1)
    event["time"] = _cw_time(fired)
    event["alarmData"]["state"]["value"] = state
    event["alarmData"]["state"]["timestamp"] = _cw_time(fired)
    reason = json.loads(event["alarmData"]["state"]["reasonData"])
    reason["evaluatedDatapoints"][0]["timestamp"] = _cw_time(fired - timedelta(minutes=2))
    event["alarmData"]["state"]["reasonData"] = json.dumps(reason)
    return event


def run(event, environment, now=NOW):
    return process(event, environment, clients(), now=lambda: now)


OFF = {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}


def test_alarm_with_public_policy_sends_critical_email(aws):
    make_bucket(aws["s3"], "bg-site", policy=PUBLIC_POLICY, pab=OFF)
    put_trail(aws["logs"], [record("PutBucketPolicy", "bg-site", {"bucketPolicy": PUBLIC_POLICY})])
    result = run(alarm_event(), env(aws["topic"]))
    assert result["status"] == "published"
    assert result["severity"] == "CRITICAL"
    (mail,) = sent(aws["topic"])
    assert mail["subject"] == f"[PUBLIC] s3://bg-site exposed via policy ({ACCOUNT} {REGION})"
    assert len(mail["subject"]) < 100
    body = mail["body"]
    for text in (
        "user mallory",
        "198.51.100.23",
        "2025-03-01T10:05:10Z (UTC)",
        "Verdict now: PUBLIC via policy",
        "tab=permissions",
        "#/events/id-PutBucketPolicy-bg-site",
        "---- CloudTrail records (shortened; the link opens the full record) ----",
        "    $ aws s3api put-public-access-block --bucket bg-site --public-access-block-configuration "
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true "
        f"--region {REGION} --expected-bucket-owner {ACCOUNT}",
        f"    $ aws s3api delete-bucket-policy --bucket bg-site --region {REGION} --expected-bucket-owner {ACCOUNT}",
        "the alarm window and 15 minutes before it, for CloudTrail's delivery delay",
        "add the tag bucketguard:public=approved to the bucket",
    ):
        assert text in body
    assert "BUCKETGUARD_" not in body
    assert "(s)" not in body
    assert attr(mail, "severity") == "CRITICAL"
    assert attr(mail, "bucket") == "bg-site"
    assert attr(mail, "account") == ACCOUNT
    assert attr(mail, "region") == REGION


def test_lock_down_is_reported_as_info_not_exposure(aws):
    on = dict.fromkeys(OFF, True)
    make_bucket(aws["s3"], "bg-locked", pab=on)
    put_trail(aws["logs"], [record("PutBucketPublicAccessBlock", "bg-locked", {"PublicAccessBlockConfiguration": on})])
    run(alarm_event(), env(aws["topic"]))
    (mail,) = sent(aws["topic"])
    assert mail["subject"].startswith("[INFO] s3://bg-locked")
    assert "Verdict now: not public" in mail["body"]


def test_loosened_but_not_public_is_warning(aws):
    make_bucket(aws["s3"], "bg-loose", pab=OFF)
    put_trail(aws["logs"], [record("PutBucketPublicAccessBlock", "bg-loose", {"PublicAccessBlockConfiguration": OFF})])
    run(alarm_event(), env(aws["topic"]))
    (mail,) = sent(aws["topic"])
    assert mail["subject"].startswith("[WARNING] s3://bg-loose protection loosened, not public")


def test_account_block_public_access_hides_public_acl(aws):
    make_bucket(aws["s3"], "bg-acl", acl="public-read", pab=OFF, ownership="ObjectWriter")
    boto3.client("s3control", region_name=REGION).put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration={**OFF, "IgnorePublicAcls": True}
    )
    put_trail(aws["logs"], [record("PutBucketAcl", "bg-acl", {"x-amz-acl": ["public-read"]})])
    run(alarm_event(), env(aws["topic"]))
    (mail,) = sent(aws["topic"])
    assert mail["subject"].startswith("[WARNING] s3://bg-acl")
    assert "IgnorePublicAcls is on at account level" in mail["body"]


def test_public_acl_is_critical(aws):
    make_bucket(aws["s3"], "bg-acl2", acl="public-read", pab=OFF, ownership="ObjectWriter")
    put_trail(aws["logs"], [record("PutBucketAcl", "bg-acl2", {"x-amz-acl": ["public-read"]})])
    run(alarm_event(), env(aws["topic"]))
    (mail,) = sent(aws["topic"])
    assert mail["subject"] == f"[PUBLIC] s3://bg-acl2 exposed via acl ({ACCOUNT} {REGION})"


def test_allowlisted_by_tag_and_by_glob_is_notice(aws):
    make_bucket(aws["s3"], "bg-tagged", policy=PUBLIC_POLICY, pab=OFF, tags={"bucketguard:public": "approved"})
    make_bucket(aws["s3"], "www-site", policy=PUBLIC_POLICY, pab=OFF)
    put_trail(
        aws["logs"],
        [
            record("PutBucketPolicy", "bg-tagged", {"bucketPolicy": PUBLIC_POLICY}),
            record("PutBucketPolicy", "www-site", {"bucketPolicy": PUBLIC_POLICY}),
        ],
    )
    result = run(alarm_event(), env(aws["topic"], allowlist="www-*, other"))
    assert result["severity"] == "NOTICE"
    (mail,) = sent(aws["topic"])
    assert mail["subject"].startswith("[NOTICE]")
    assert "tagged bucketguard:public=approved" in mail["body"]
    assert "name matches 'www-*' in the allow-list" in mail["body"]


def test_remediation_reenables_block_public_access(aws):
    make_bucket(aws["s3"], "bg-fixme", policy=PUBLIC_POLICY, pab=OFF)
    make_bucket(aws["s3"], "www-keep", policy=PUBLIC_POLICY, pab=OFF)
    put_trail(
        aws["logs"],
        [
            record("PutBucketPolicy", "bg-fixme", {"bucketPolicy": PUBLIC_POLICY}),
            record("PutBucketPolicy", "www-keep", {"bucketPolicy": PUBLIC_POLICY}),
        ],
    )
    run(alarm_event(), env(aws["topic"], remediate="true", allowlist="www-*"))
    config = aws["s3"].get_public_access_block(Bucket="bg-fixme")["PublicAccessBlockConfiguration"]
    assert all(config.values())
    kept = aws["s3"].get_public_access_block(Bucket="www-keep")["PublicAccessBlockConfiguration"]
    assert not any(kept.values())
    (mail,) = sent(aws["topic"])
    assert "re-enabled all four Block Public Access settings" in mail["body"]
    assert "it is no longer public" in mail["body"]


def test_no_remediation_by_default(aws):
    make_bucket(aws["s3"], "bg-left", policy=PUBLIC_POLICY, pab=OFF)
    put_trail(aws["logs"], [record("PutBucketPolicy", "bg-left", {"bucketPolicy": PUBLIC_POLICY})])
    run(alarm_event(), env(aws["topic"]))
    assert not any(aws["s3"].get_public_access_block(Bucket="bg-left")["PublicAccessBlockConfiguration"].values())


def test_deleted_bucket_is_unknown_not_a_crash(aws):
    put_trail(aws["logs"], [record("DeleteBucketPublicAccessBlock", "bg-gone")])
    result = run(alarm_event(), env(aws["topic"]))
    assert result["status"] == "published"
    (mail,) = sent(aws["topic"])
    assert "Verdict now: UNKNOWN" in mail["body"]
    assert "does not exist" in mail["body"]
    assert "state unknown" in mail["subject"]


def test_digest_groups_by_bucket_and_dedups_event_ids(aws):
    for name in ("bg-a", "bg-b"):
        make_bucket(aws["s3"], name, pab=OFF)
    make_bucket(aws["s3"], "bg-c", policy=PUBLIC_POLICY, pab=OFF)
    rec_a = record("DeleteBucketPolicy", "bg-a")
    put_trail(
        aws["logs"],
        [
            rec_a,
            rec_a,
            record("PutBucketPublicAccessBlock", "bg-b", {"PublicAccessBlockConfiguration": OFF}, event_id="b1"),
            record("DeleteBucketPublicAccessBlock", "bg-b", event_id="b2"),
            record("PutBucketPolicy", "bg-c", {"bucketPolicy": PUBLIC_POLICY}),
            record("GetBucketAcl", "bg-a", event_id="read"),
        ],
    )
    run(alarm_event(), env(aws["topic"]))
    (mail,) = sent(aws["topic"])
    assert mail["subject"].startswith("[PUBLIC] s3://bg-c") and mail["subject"].endswith("+2 more")
    body = mail["body"]
    assert body.index("s3://bg-c") < body.index("s3://bg-b") < body.index("s3://bg-a")
    assert body.count("DeleteBucketPolicy:") == 1
    assert "Records read from /bucketguard/cloudtrail: 5, of which 4 can change exposure." in body
    assert body.startswith(
        "bucketguard: exposure-relevant changes to 3 buckets. Public now and not allow-listed: 1 bucket."
    )


def test_alarm_outside_window_records_are_not_fetched(aws):
    put_trail(aws["logs"], [record("DeleteBucketPolicy", "bg-old")], when=NOW - timedelta(hours=3))
    run(alarm_event(), env(aws["topic"]))
    (mail,) = sent(aws["topic"])
    assert "no matching CloudTrail records" in mail["subject"]
    assert "bucketguard-s3-visibility-change" in mail["body"]


def test_alarm_with_no_records_still_mails(aws):
    result = run(alarm_event(), env(aws["topic"]))
    assert result["severity"] == "WARNING"
    (mail,) = sent(aws["topic"])
    assert mail["subject"] == "[WARNING] bucketguard-s3-visibility-change fired, no matching CloudTrail records yet"


@pytest.mark.parametrize("state", ["OK", "INSUFFICIENT_DATA"])
def test_non_alarm_state_is_not_mailed(aws, state):
    assert run(alarm_event(state), env(aws["topic"]))["status"] == "ignored"
    assert sent(aws["topic"]) == []


def test_max_records_bounds_the_fetch(aws):
    put_trail(aws["logs"], [record("DeleteBucketPolicy", f"bg-{i:03d}", event_id=f"e{i}") for i in range(30)])
    run(alarm_event(), env(aws["topic"], max_records="10"))
    (mail,) = sent(aws["topic"])
    assert "The notifier stopped after the first 10 records (its limit per alarm)" in mail["body"]
    assert "Records read from /bucketguard/cloudtrail: 10, of which 10 can change exposure." in mail["body"]
    assert "BUCKETGUARD_" not in mail["body"]


def test_eventbridge_fast_path_mails_and_records_reported(aws):
    make_bucket(aws["s3"], "bg-site", policy=PUBLIC_POLICY, pab=OFF)
    table = make_table()
    event = load("events/eventbridge-put-bucket-policy.json")
    event["detail"]["recipientAccountId"] = ACCOUNT
    result = run(event, env(aws["topic"], **dedup_env(table)))
    assert result["severity"] == "CRITICAL"
    assert len(sent(aws["topic"])) == 1
    (item,) = table_items(table)
    event_id = event["detail"]["eventID"]
    assert item["id"].startswith(f"{event_id}#") and len(item["id"]) == len(event_id) + 17
    assert item["status"] == "reported"
    assert item["path"] == "fast"
    assert item["message_id"] == result["message_id"]
    assert (item["bucket"], item["account"], item["event_name"]) == ("bg-site", ACCOUNT, "PutBucketPolicy")
    assert item["severity"] == "CRITICAL"
    ttl = int(item["expires_at"]) - int(NOW.timestamp())
    assert ttl == 30 * 86400


def test_eventbridge_failed_call_is_not_mailed(aws):
    event = load("events/eventbridge-put-bucket-policy.json")
    event["detail"]["errorCode"] = "AccessDenied"
    assert run(event, env(aws["topic"]))["status"] == "ignored"
    assert sent(aws["topic"]) == []


def dedup_env(table):
    return {"dedup_table": table}


def table_items(table, region=REGION):
    ddb = boto3.client("dynamodb", region_name=region)
    items = ddb.scan(TableName=table)["Items"]
    return sorted(({k: next(iter(v.values())) for k, v in item.items()} for item in items), key=lambda i: i["id"])


def eventbridge(rec):
    return {"version": "0", "detail-type": "AWS API Call via CloudTrail", "source": "aws.s3", "detail": rec}


def test_alarm_path_skips_events_reported_by_fast_path(aws):
    """Issue 15.3: an event mailed by the fast path is not mailed again by the alarm path; one line says so."""
    table = make_table()
    make_bucket(aws["s3"], "bg-x", pab=OFF)
    make_bucket(aws["s3"], "bg-y", pab=OFF)
    seen = record("DeleteBucketPolicy", "bg-x", event_id="seen")
    run(eventbridge(seen), env(aws["topic"], **dedup_env(table)))
    put_trail(aws["logs"], [seen, record("DeleteBucketPolicy", "bg-y", event_id="new-y")])
    run(alarm_event(), env(aws["topic"], fast_path="true", **dedup_env(table)))
    first, second = sent(aws["topic"])
    assert "s3://bg-x" in first["body"]
    assert "s3://bg-y" in second["body"]
    assert "s3://bg-x" not in second["body"]
    assert "event: seen" not in second["body"]
    lines = [line for line in second["body"].splitlines() if "already mailed" in line]
    assert lines == ["earlier in this window: 1 change was already mailed (event ids seen)"]
    assert "#/events/new-y" in second["body"]
    assert {i["id"].split("#")[0]: i["path"] for i in table_items(table)} == {"seen": "fast", "new-y": "alarm"}


def test_fast_path_skips_events_reported_by_alarm_path(aws):
    """Either path first: the EventBridge event arriving after the alarm path mailed it is not mailed again."""
    table = make_table()
    make_bucket(aws["s3"], "bg-x", pab=OFF)
    rec = record("DeleteBucketPolicy", "bg-x", event_id="late")
    put_trail(aws["logs"], [rec])
    run(alarm_event(), env(aws["topic"], **dedup_env(table)))
    result = run(eventbridge(rec), env(aws["topic"], **dedup_env(table)))
    assert result == {"status": "deduplicated", "skipped": 1}
    assert len(sent(aws["topic"])) == 1


def test_lock_down_after_mailed_exposure_lists_only_the_lock_down(aws):
    """The demo's case (issue 15.3): CRITICAL for two loosening events, then the lock-down alone, linked."""
    table = make_table()
    on = dict.fromkeys(OFF, True)
    make_bucket(aws["s3"], "bg-demo", policy=PUBLIC_POLICY, pab=OFF)
    loosen = [
        record(
            "PutBucketPublicAccessBlock",
            "bg-demo",
            {"PublicAccessBlockConfiguration": OFF},
            "ev-1",
            "2025-03-01T10:01:00Z",
        ),
        record("PutBucketPolicy", "bg-demo", {"bucketPolicy": PUBLIC_POLICY}, "ev-2", "2025-03-01T10:02:00Z"),
    ]
    for rec in loosen:
        run(eventbridge(rec), env(aws["topic"], **dedup_env(table)))
    aws["s3"].put_public_access_block(Bucket="bg-demo", PublicAccessBlockConfiguration=on)
    lock = record(
        "PutBucketPublicAccessBlock", "bg-demo", {"PublicAccessBlockConfiguration": on}, "ev-3", "2025-03-01T10:03:00Z"
    )
    put_trail(aws["logs"], [*loosen, lock])
    run(alarm_event(), env(aws["topic"], fast_path="true", **dedup_env(table)))
    mails = sent(aws["topic"])
    assert [m["subject"].split(" ")[0] for m in mails] == ["[PUBLIC]", "[PUBLIC]", "[INFO]"]
    last = mails[-1]["body"]
    assert "event: ev-3" in last
    assert "event: ev-1" not in last and "event: ev-2" not in last
    assert "[loosens]" not in last
    assert "earlier in this window: 2 changes were already mailed (event ids ev-1, ev-2)" in last
    assert "#/events/ev-3" in last and "#/events/ev-1" not in last


def test_alarm_path_all_reported_sends_nothing(aws):
    table = make_table()
    rec = record("DeleteBucketPolicy", "bg-x", event_id="seen")
    run(eventbridge(rec), env(aws["topic"], **dedup_env(table)))
    put_trail(aws["logs"], [rec])
    assert run(alarm_event(), env(aws["topic"], fast_path="true", **dedup_env(table))) == {
        "status": "deduplicated",
        "skipped": 1,
    }
    assert len(sent(aws["topic"])) == 1


def test_forged_log_line_or_record_cannot_suppress_the_alert(aws):
    """Issue 14.5: the old log line counts for nothing; a record with the real eventID but other content has
    another id."""
    from bucketguard_notifier import dedup
    from bucketguard_notifier.handler import cloudtrail

    table = make_table()
    rec = record("DeleteBucketPolicy", "bg-x", event_id="real")
    _notifier_log("real")  # the forgery that used to work
    forged = cloudtrail.classify({**rec, "requestParameters": {**rec["requestParameters"], "bucketName": "bg-other"}})
    boto3.client("dynamodb", region_name=REGION).put_item(
        TableName=table, Item={"id": {"S": dedup.record_id(forged)}, "status": {"S": "reported"}}
    )
    put_trail(aws["logs"], [rec])
    run(alarm_event(), env(aws["topic"], fast_path="true", **dedup_env(table)))
    (mail,) = sent(aws["topic"])
    assert "s3://bg-x" in mail["body"]
    assert "already mailed" not in mail["body"]


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "AccessDeniedException", "ServiceUnavailable"]
)
def test_dedup_unavailable_mails_anyway_and_logs(aws, capsys, code):
    table = make_table()
    rec = record("DeleteBucketPolicy", "bg-x", event_id="mine")
    put_trail(aws["logs"], [rec])
    factory = failing("dynamodb", code=code)
    result = process(alarm_event(), env(aws["topic"], **dedup_env(table)), factory, now=lambda: NOW)
    assert result["status"] == "published"
    assert "s3://bg-x" in sent(aws["topic"])[0]["body"]
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "dedup_unavailable" in line]
    assert [line["step"] for line in logged] == ["lookup", "claim"]
    assert {line["error"] for line in logged} == {code}
    assert logged[1]["event_id"] == "mine"


def test_missing_table_mails_anyway(aws, capsys):
    put_trail(aws["logs"], [record("DeleteBucketPolicy", "bg-x", event_id="mine")])
    run(alarm_event(), env(aws["topic"], dedup_table="no-such-table"))
    assert "s3://bg-x" in sent(aws["topic"])[0]["body"]
    assert '"error": "ResourceNotFoundException"' in capsys.readouterr().out


def test_no_table_mails_everything_and_says_so_once(aws, capsys, monkeypatch):
    monkeypatch.setattr(handler, "_DEDUP_DISABLED_LOGGED", False)
    rec = record("DeleteBucketPolicy", "bg-x", event_id="twice")
    run(eventbridge(rec), env(aws["topic"]))
    run(eventbridge(rec), env(aws["topic"]))
    assert len(sent(aws["topic"])) == 2
    assert capsys.readouterr().out.count('"bucketguard": "dedup_disabled"') == 1


def test_publish_failure_gives_the_claim_back_so_the_retry_mails(aws):
    table = make_table()
    rec = record("DeleteBucketPolicy", "bg-x", event_id="retry-me")
    missing_topic = aws["topic"].replace("bucketguard-alerts", "gone")
    with pytest.raises(PublishError):
        run(eventbridge(rec), env(missing_topic, **dedup_env(table)))
    assert table_items(table) == []
    assert run(eventbridge(rec), env(aws["topic"], **dedup_env(table)))["status"] == "published"
    assert [i["status"] for i in table_items(table)] == ["reported"]


def test_stale_claim_is_taken_over_and_fresh_claim_is_mailed_anyway(aws):
    """A claim left pending by a crashed invocation: after 5 minutes it is taken over; before, the direct
    paths mail anyway (a duplicate beats silence)."""
    from bucketguard_notifier import dedup
    from bucketguard_notifier.handler import cloudtrail

    table = make_table()
    ddb = boto3.client("dynamodb", region_name=REGION)
    fresh = record("DeleteBucketPolicy", "bg-x", event_id="fresh")
    stale = record("DeleteBucketPolicy", "bg-y", event_id="stale")
    for rec, age in ((fresh, 60), (stale, 301)):
        ddb.put_item(
            TableName=table,
            Item={
                "id": {"S": dedup.record_id(cloudtrail.classify(rec))},
                "status": {"S": "pending"},
                "token": {"S": "crashed"},
                "claimed_at": {"N": str(int(NOW.timestamp()) - age)},
            },
        )
    put_trail(aws["logs"], [fresh, stale])
    run(alarm_event(), env(aws["topic"], **dedup_env(table)))
    body = sent(aws["topic"])[0]["body"]
    assert "s3://bg-x" in body and "s3://bg-y" in body
    status = {i["id"].split("#")[0]: (i["status"], i["token"]) for i in table_items(table)}
    assert status["fresh"] == ("pending", "crashed")  # not ours: left for its owner (or to go stale)
    assert status["stale"][0] == "reported" and status["stale"][1] != "crashed"


def failing(service, code="AccessDenied", prefixes=("",)):
    """A client factory whose ``service`` client fails every call starting with one of ``prefixes``."""
    factory = clients()
    from botocore.exceptions import ClientError

    class Failing:
        def __init__(self, real):
            self.real = real

        def __getattr__(self, name):
            if name.startswith(prefixes) and not name.startswith(("_", "meta", "exceptions")):

                def fail(**_):
                    raise ClientError({"Error": {"Code": code, "Message": "injected"}}, name)

                return fail
            return getattr(self.real, name)

    def wrapped(svc, region):
        client = factory(svc, region)
        return Failing(client) if svc == service else client

    return wrapped


def _notifier_log(line_event_id, region=REGION):
    logs = boto3.client("logs", region_name=region)
    logs.create_log_group(logGroupName=NOTIFIER_GROUP)
    logs.create_log_stream(logGroupName=NOTIFIER_GROUP, logStreamName="2025/03/01/[$LATEST]abc")
    message = json.dumps({"bucketguard": "reported", "event_id": line_event_id})
    logs.put_log_events(
        logGroupName=NOTIFIER_GROUP,
        logStreamName="2025/03/01/[$LATEST]abc",
        logEvents=[
            {"timestamp": int((NOW - timedelta(minutes=1)).timestamp() * 1000), "message": "START RequestId: x"},
            {"timestamp": int((NOW - timedelta(minutes=1)).timestamp() * 1000), "message": message + "\n"},
        ],
    )


def test_enrichment_failure_publishes_fallback(aws):
    del_group_env = env(aws["topic"], log_group="/does/not/exist")
    result = run(alarm_event(), del_group_env)
    assert result["status"] == "fallback"
    (mail,) = sent(aws["topic"])
    assert mail["subject"].startswith("[BUCKETGUARD] could not fully process bucketguard-s3-visibility-change")
    assert "ResourceNotFoundException" in mail["body"]
    assert '"alarmName": "bucketguard-s3-visibility-change"' in mail["body"]


def test_invalid_config_with_usable_topic_publishes_fallback(aws):
    result = run(alarm_event(), env(aws["topic"], lookback_minutes="soon"))
    assert result["status"] == "fallback"
    assert "BUCKETGUARD_LOOKBACK_MINUTES must be an integer" in sent(aws["topic"])[0]["body"]


def test_missing_log_group_for_alarm_path_is_named(aws):
    environment = env(aws["topic"])
    del environment["BUCKETGUARD_LOG_GROUP"]
    run(alarm_event(), environment)
    assert "BUCKETGUARD_LOG_GROUP is required" in sent(aws["topic"])[0]["body"]


@pytest.mark.parametrize("topic", [None, "", "arn:aws:sqs:us-east-1:123456789012:q", "not-an-arn"])
def test_missing_or_invalid_topic_raises(topic):
    environment = {} if topic is None else {"BUCKETGUARD_TOPIC_ARN": topic}
    with pytest.raises(ConfigError, match="BUCKETGUARD_TOPIC_ARN"):
        process(alarm_event(), environment, clients())


def test_publish_failure_raises(aws):
    missing_topic = aws["topic"].replace("bucketguard-alerts", "gone")
    with pytest.raises(PublishError):
        run(alarm_event(), env(missing_topic))


def test_unrecognised_event_is_mailed_as_fallback(aws):
    assert run({"hello": "world"}, env(aws["topic"]))["status"] == "fallback"
    assert sent(aws["topic"])[0]["subject"].startswith("[BUCKETGUARD]")


def test_access_denied_on_reads_is_unknown(aws, monkeypatch):
    make_bucket(aws["s3"], "bg-denied", pab=OFF)
    put_trail(aws["logs"], [record("DeleteBucketPolicy", "bg-denied")])
    factory = clients()

    class Denied:
        def __init__(self, real):
            self.real = real

        def __getattr__(self, name):
            if name.startswith("get_bucket_policy"):
                from botocore.exceptions import ClientError

                def fail(**_):
                    raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, name)

                return fail
            return getattr(self.real, name)

    def wrapped(service, region):
        client = factory(service, region)
        return Denied(client) if service == "s3" else client

    process(alarm_event(), env(aws["topic"]), wrapped, now=lambda: NOW)
    body = sent(aws["topic"])[0]["body"]
    assert "Verdict now: UNKNOWN" in body
    assert "policy: AccessDenied" in body


def test_topic_in_other_region_gets_client_there(aws):
    calls = []
    factory = clients()

    def spy(service, region):
        calls.append((service, region))
        return factory(service, region)

    process(alarm_event(), env(aws["topic"]), spy, now=lambda: NOW)
    assert ("sns", TOPIC_REGION) in calls
    assert ("logs", REGION) in calls


def test_load_config_defaults_and_errors():
    topic = f"arn:aws:sns:eu-west-3:{ACCOUNT}:bucketguard-alerts"
    config = load_config({"BUCKETGUARD_TOPIC_ARN": topic})
    assert (config.lookback_minutes, config.max_records, config.remediate, config.fast_path) == (
        15,
        10000,
        False,
        False,
    )
    assert (config.allow_tag_key, config.allow_tag_value) == ("bucketguard:public", "approved")
    assert (config.dedup_table, config.dedup_ttl_days) == (None, 30)
    assert config.region == "eu-west-3"  # no AWS_REGION: the topic's
    config = load_config(
        {
            "BUCKETGUARD_TOPIC_ARN": topic,
            "BUCKETGUARD_DEDUP_TABLE": "bucketguard-reported",
            "BUCKETGUARD_DEDUP_TTL_DAYS": "7",
            "AWS_REGION": "eu-central-1",
        }
    )
    assert (config.dedup_table, config.dedup_ttl_days, config.region) == ("bucketguard-reported", 7, "eu-central-1")
    for name, value in [
        ("BUCKETGUARD_REMEDIATE", "yes"),
        ("BUCKETGUARD_FAST_PATH", "1"),
        ("BUCKETGUARD_MAX_RECORDS", "0"),
        ("BUCKETGUARD_ALLOW_TAG", "novalue"),
        ("BUCKETGUARD_LOG_GROUP", "bad group name!"),
        ("BUCKETGUARD_DEDUP_TABLE", "no spaces"),
        ("BUCKETGUARD_DEDUP_TABLE", "ab"),
        ("BUCKETGUARD_DEDUP_TTL_DAYS", "0"),
    ]:
        with pytest.raises(ConfigError, match=name):
            load_config({"BUCKETGUARD_TOPIC_ARN": topic, name: value})


def test_lambda_handler_uses_environment(aws, monkeypatch):
    monkeypatch.setenv("BUCKETGUARD_TOPIC_ARN", aws["topic"])
    monkeypatch.setenv("BUCKETGUARD_LOG_GROUP", TRAIL_GROUP)
    monkeypatch.setattr(handler, "_CLIENTS", None)
    result = handler.lambda_handler(copy.deepcopy(alarm_event()), None)
    assert result["status"] == "published"


# ------------------------------------------------------------- issue #14: unreadable state, second opinion


def denying(*prefixes, code="AccessDenied"):
    """A client factory whose S3 client fails every call whose name starts with one of ``prefixes``."""
    factory = clients()

    class Denying:
        def __init__(self, real):
            self.real = real

        def __getattr__(self, name):
            if name.startswith(prefixes):
                from botocore.exceptions import ClientError

                def fail(**_):
                    raise ClientError({"Error": {"Code": code, "Message": "no"}}, name)

                return fail
            return getattr(self.real, name)

    def wrapped(service, region):
        client = factory(service, region)
        return Denying(client) if service == "s3" else client

    return wrapped


def records_event(*records):
    return {"Records": list(records)}


def put_policy(bucket, policy=PUBLIC_POLICY, minute=5):
    return record("PutBucketPolicy", bucket, {"bucketPolicy": policy}, when=f"2025-03-01T10:{minute:02d}:00Z")


@pytest.mark.parametrize("code", ["AccessDenied", "Throttling"])
def test_public_request_with_unreadable_policy_is_critical(aws, code):
    """The attacker's policy denies the notifier GetBucketPolicy (and GetBucketPolicyStatus)."""
    make_bucket(aws["s3"], "bg-hidden", policy=PUBLIC_POLICY, pab=OFF)
    result = process(records_event(put_policy("bg-hidden")), env(aws["topic"]), denying("get_bucket_policy", code=code))
    assert result["severity"] == "CRITICAL"
    (mail,) = sent(aws["topic"])
    assert mail["subject"] == f"[PUBLIC] s3://bg-hidden public per request via policy, unconfirmed ({ACCOUNT} {REGION})"
    assert (
        f"Verdict now: PUBLIC per the request (not confirmed: the bucket's policy could not be read: {code}"
        in mail["body"]
    )
    assert "  - PutBucketPolicy at 2025-03-01T10:05:00Z: new policy is public" in mail["body"]


def test_public_request_then_lock_down_is_not_critical(aws):
    make_bucket(aws["s3"], "bg-closed", pab=dict.fromkeys(OFF, True))
    lock = record(
        "PutBucketPublicAccessBlock",
        "bg-closed",
        {"PublicAccessBlockConfiguration": dict.fromkeys(OFF, True)},
        when="2025-03-01T10:07:00Z",
    )
    result = process(records_event(put_policy("bg-closed"), lock), env(aws["topic"]), denying("get_bucket_policy"))
    assert result["severity"] != "CRITICAL"
    assert "PUBLIC per the request" not in sent(aws["topic"])[0]["body"]


def test_later_loosening_does_not_undo_a_public_request(aws):
    make_bucket(aws["s3"], "bg-open", policy=PUBLIC_POLICY, pab=OFF)
    later = record("DeleteBucketOwnershipControls", "bg-open", when="2025-03-01T10:08:00Z")
    result = process(records_event(put_policy("bg-open"), later), env(aws["topic"]), denying("get_bucket_policy"))
    assert result["severity"] == "CRITICAL"


def test_public_request_on_deleted_bucket_is_not_critical(aws):
    result = process(records_event(put_policy("bg-deleted")), env(aws["topic"]), clients())
    assert result["severity"] != "CRITICAL"
    assert "does not exist" in sent(aws["topic"])[0]["body"]


def test_unreadable_policy_with_public_policy_status_is_confirmed(aws):
    """GetBucketPolicy denied, GetBucketPolicyStatus allowed: S3's own answer confirms the exposure."""
    make_bucket(aws["s3"], "bg-status", policy=PUBLIC_POLICY, pab=OFF)
    wrapped = denying("get_bucket_policy")
    real = wrapped

    def only_policy_denied(service, region):
        client = real(service, region)
        if service == "s3":
            client.get_bucket_policy_status = client.real.get_bucket_policy_status
        return client

    result = process(records_event(put_policy("bg-status")), env(aws["topic"]), only_policy_denied)
    assert result["severity"] == "CRITICAL"
    body = sent(aws["topic"])[0]["body"]
    assert "Verdict now: PUBLIC via policy" in body
    assert "AWS's own policy check (GetBucketPolicyStatus) says it is public" in body


def test_remediation_acts_on_the_request_when_state_is_unreadable(aws):
    make_bucket(aws["s3"], "bg-fix-hidden", policy=PUBLIC_POLICY, pab=OFF)
    process(
        records_event(put_policy("bg-fix-hidden")),
        env(aws["topic"], remediate="true"),
        denying("get_bucket_policy"),
    )
    config = aws["s3"].get_public_access_block(Bucket="bg-fix-hidden")["PublicAccessBlockConfiguration"]
    assert all(config.values())
    assert "re-enabled all four Block Public Access settings" in sent(aws["topic"])[0]["body"]


def test_policy_status_disagreement_is_mailed_and_logged(aws, capsys):
    """moto's GetBucketPolicyStatus calls any statement with a Condition non-public: plumbing only."""
    attack = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "LooksLikeVpceOnly",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::bg-vpce/*",
                "Condition": {"ForAllValues:StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
            }
        ],
    }
    make_bucket(aws["s3"], "bg-vpce", policy=attack, pab=OFF)
    result = process(records_event(put_policy("bg-vpce", attack)), env(aws["topic"]), clients())
    assert result["severity"] == "CRITICAL"
    body = sent(aws["topic"])[0]["body"]
    assert "Verdict now: PUBLIC via policy" in body
    assert "  - AWS's own policy check (GetBucketPolicyStatus) disagrees: it calls the bucket policy not public" in body
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "policy_status_disagrees" in line]
    assert logged == [
        {
            "bucketguard": "policy_status_disagrees",
            "bucket": "bg-vpce",
            "ours": "public",
            "s3": "not public",
            "public": True,
        }
    ]


def test_policy_status_agreeing_is_silent(aws, capsys):
    make_bucket(aws["s3"], "bg-agree", policy=PUBLIC_POLICY, pab=OFF)
    process(records_event(put_policy("bg-agree")), env(aws["topic"]), clients())
    assert "disagrees" not in sent(aws["topic"])[0]["body"]
    assert "policy_status_disagrees" not in capsys.readouterr().out
