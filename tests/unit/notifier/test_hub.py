"""Organisation (hub) mode of the notifier (issue 13): reads through each member's reader role, the failure
line, alarm state-change events from a log account, one email per member account. moto in-process.

moto's AssumeRole returns credentials scoped to the role's account (``test_moto_assumed_credentials_act_in_the_role
s_account`` checks it), so a member's buckets are created with those credentials and live in that account.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from bucketguard_notifier import events, handler, message
from bucketguard_notifier.handler import AccountSessions, ConfigError, load_config, process
from moto import mock_aws

from tests.lib.notifier_moto import (
    HUB,
    OFF,
    PUBLIC_POLICY,
    READER,
    REGION,
    TABLE,
    HubClients,
    account_client,
    alarm_state_change,
    env,
    eventbridge,
    make_bucket,
    make_member_bucket,
    make_reader_role,
    make_table,
    make_topic,
    put_trail_records,
    record,
    sent,
    sqs_batch,
    sqs_message,
)
from tests.unit.notifier.conftest import load

MEMBER = "111122223333"
MEMBER2 = "444455556666"
LOG = "777788889999"
ORG_GROUP = "aws-controltower/CloudTrailLogs"
NOW = datetime.now(UTC).replace(microsecond=0)
TOPIC = f"arn:aws:sns:us-east-1:{HUB}:bucketguard-alerts"


def hub_env(topic: str, table: str | None = TABLE, **extra: str) -> dict[str, str]:
    return env(topic, table, home_account=HUB, reader_role=READER, **extra)


def line(account: str, code: str, role: str = READER) -> str:
    return (
        f"could not read the bucket's state in account {account}: role missing or not trusting the hub "
        f"(arn:aws:iam::{account}:role/{role}: {code})"
    )


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        topic = make_topic()
        make_table()
        yield topic


def run(event, environment, hub: HubClients, sessions: AccountSessions | None = None):
    sessions = sessions or AccountSessions(hub.assumed)
    return process(event, environment, hub.factory, now=lambda: NOW, sessions=sessions)


def _cw(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


# --------------------------------------------------------------------------- configuration


def test_standalone_config_has_no_hub_settings():
    config = load_config({"BUCKETGUARD_TOPIC_ARN": TOPIC})
    assert (config.hub, config.home_account, config.reader_role, dict(config.log_accounts)) == (False, None, None, {})
    assert config.partition == "aws"


def test_hub_config_is_read():
    config = load_config(
        {
            "BUCKETGUARD_TOPIC_ARN": f"arn:aws-cn:sns:cn-north-1:{HUB}:alerts",
            "BUCKETGUARD_HOME_ACCOUNT": HUB,
            "BUCKETGUARD_READER_ROLE": "bucketguard-reader",
            "BUCKETGUARD_LOG_ACCOUNTS": json.dumps({LOG: ORG_GROUP, HUB: "/bucketguard/cloudtrail"}),
        }
    )
    assert config.hub and config.home_account == HUB and config.partition == "aws-cn"
    assert config.log_accounts == {LOG: ORG_GROUP, HUB: "/bucketguard/cloudtrail"}
    assert config.reader_arn(MEMBER) == f"arn:aws-cn:iam::{MEMBER}:role/bucketguard-reader"


def test_log_account_that_is_the_home_account_needs_no_reader_role():
    config = load_config(
        {
            "BUCKETGUARD_TOPIC_ARN": TOPIC,
            "BUCKETGUARD_HOME_ACCOUNT": HUB,
            "BUCKETGUARD_LOG_ACCOUNTS": json.dumps({HUB: ORG_GROUP}),
        }
    )
    assert not config.hub and config.log_accounts == {HUB: ORG_GROUP}


@pytest.mark.parametrize(
    ("extra", "variable"),
    [
        ({"BUCKETGUARD_HOME_ACCOUNT": "12345"}, "BUCKETGUARD_HOME_ACCOUNT"),
        ({"BUCKETGUARD_HOME_ACCOUNT": "12345678901a"}, "BUCKETGUARD_HOME_ACCOUNT"),
        ({"BUCKETGUARD_HOME_ACCOUNT": HUB, "BUCKETGUARD_READER_ROLE": "a" * 65}, "BUCKETGUARD_READER_ROLE"),
        ({"BUCKETGUARD_HOME_ACCOUNT": HUB, "BUCKETGUARD_READER_ROLE": "bad/name"}, "BUCKETGUARD_READER_ROLE"),
        ({"BUCKETGUARD_HOME_ACCOUNT": HUB, "BUCKETGUARD_READER_ROLE": "r\u00e9ader"}, "BUCKETGUARD_READER_ROLE"),
        ({"BUCKETGUARD_READER_ROLE": READER}, "BUCKETGUARD_HOME_ACCOUNT"),
        ({"BUCKETGUARD_HOME_ACCOUNT": HUB, "BUCKETGUARD_LOG_ACCOUNTS": "[1]"}, "BUCKETGUARD_LOG_ACCOUNTS"),
        ({"BUCKETGUARD_HOME_ACCOUNT": HUB, "BUCKETGUARD_LOG_ACCOUNTS": "{nope"}, "BUCKETGUARD_LOG_ACCOUNTS"),
        ({"BUCKETGUARD_HOME_ACCOUNT": HUB, "BUCKETGUARD_LOG_ACCOUNTS": '{"1": "g"}'}, "BUCKETGUARD_LOG_ACCOUNTS"),
        (
            {"BUCKETGUARD_HOME_ACCOUNT": HUB, "BUCKETGUARD_LOG_ACCOUNTS": json.dumps({HUB: "bad group!"})},
            "BUCKETGUARD_LOG_ACCOUNTS",
        ),
        (
            {"BUCKETGUARD_HOME_ACCOUNT": HUB, "BUCKETGUARD_LOG_ACCOUNTS": json.dumps({HUB: 3})},
            "BUCKETGUARD_LOG_ACCOUNTS",
        ),
        (  # another account's log group can only be read through the reader role
            {"BUCKETGUARD_HOME_ACCOUNT": HUB, "BUCKETGUARD_LOG_ACCOUNTS": json.dumps({LOG: ORG_GROUP})},
            "BUCKETGUARD_LOG_ACCOUNTS",
        ),
    ],
)
def test_bad_hub_settings_name_the_variable(extra, variable):
    with pytest.raises(ConfigError, match=variable):
        load_config({"BUCKETGUARD_TOPIC_ARN": TOPIC, **extra})


# --------------------------------------------------------------------------- the alarm state-change event


def test_alarm_state_change_event_of_the_documentation_is_an_alarm():
    """The single metric alarm example of "Alarm events and EventBridge" (CloudWatch User Guide)."""
    parsed = events.parse_event(load("events/alarm-state-change-eventbridge.json"))
    assert parsed.kind == "alarm" and parsed.source == "eventbridge-alarm"
    alarm = parsed.alarm
    assert alarm.name == "ServerCpuTooHigh"
    assert alarm.arn == "arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh"
    assert (alarm.account_id, alarm.region, alarm.state, alarm.previous_state) == (HUB, "us-east-1", "ALARM", "OK")
    assert alarm.period_seconds == 300
    assert alarm.window_start == datetime(2019, 10, 2, 16, 59, tzinfo=UTC)
    assert alarm.window_end == datetime(2019, 10, 2, 17, 9, 40, 989000, tzinfo=UTC)
    assert alarm.description == "Goes into alarm when server CPU utilization is too high!"
    assert alarm.metrics == (("AWS/EC2", "CPUUtilization"),)
    assert alarm.source == "eventbridge"


def test_alarm_state_change_and_lambda_action_give_the_same_alarm(alarm_event):
    """The Lambda alarm action carries the same alarmData as the EventBridge event's detail."""
    action = events.parse_event(alarm_event).alarm
    change = {
        "version": "0",
        "id": "x",
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": alarm_event["accountId"],
        "time": alarm_event["time"],
        "region": alarm_event["region"],
        "resources": [alarm_event["alarmArn"]],
        "detail": alarm_event["alarmData"],
    }
    parsed = events.parse_event(change).alarm
    assert parsed.__class__ is action.__class__
    assert {**vars(parsed), "source": None} == {**vars(action), "source": None}


def test_alarm_state_change_inside_an_sqs_body_is_an_alarm():
    event = alarm_state_change(LOG, "bucketguard-s3-visibility-change", _cw(NOW), _cw(NOW - timedelta(minutes=2)))
    parsed = events.parse_event(sqs_batch(sqs_message(event, "m1")))
    (msg,) = parsed.messages
    assert msg.error is None and msg.parsed.kind == "alarm"
    assert msg.parsed.alarm.account_id == LOG and msg.parsed.alarm.region == REGION


@pytest.mark.parametrize(
    ("metric", "kind"),
    [
        (("Bucketguard", "BucketVisibilityChanges"), "visibility"),
        (("AWS/Logs", "IncomingLogEvents"), "heartbeat"),
        (("Bucketguard", "BucketguardTamper"), "tamper"),
    ],
)
def test_alarm_kind_from_its_metric(metric, kind):
    event = alarm_state_change(LOG, "a", _cw(NOW), _cw(NOW), metric=metric)
    assert events.alarm_kind(events.parse_event(event).alarm) == kind


# --------------------------------------------------------------------------- moto: accounts


def test_moto_assumed_credentials_act_in_the_roles_account(aws):
    from moto.s3.models import s3_backends

    make_member_bucket(MEMBER, "bg-member-check")
    assert "bg-member-check" in s3_backends[MEMBER]["aws"].buckets
    assert "bg-member-check" not in s3_backends[HUB]["aws"].buckets
    identity = account_client(MEMBER, "sts").get_caller_identity()
    assert identity["Account"] == MEMBER


def test_member_bucket_public_via_policy_read_through_the_reader_role(aws):
    make_reader_role(MEMBER)
    make_member_bucket(MEMBER, "bg-member-site", policy=PUBLIC_POLICY, pab=OFF)
    hub = HubClients()
    rec = record("PutBucketPolicy", "bg-member-site", {"bucketPolicy": PUBLIC_POLICY}, account=MEMBER)
    names = json.dumps({MEMBER: "prod-web"})
    result = run(eventbridge(rec), hub_env(aws, account_names=names), hub)
    assert result["status"] == "published" and result["severity"] == "CRITICAL"
    (mail,) = sent(aws)
    assert mail["subject"] == f"[PUBLIC] s3://bg-member-site exposed via policy (prod-web {MEMBER} {REGION})"
    assert f"Account {MEMBER} (prod-web), region {REGION}" in mail["body"]
    assert "user mallory" in mail["body"]
    assert "Verdict now: PUBLIC via policy" in mail["body"]
    assert mail["attributes"]["account"] == MEMBER
    # The reads went through the member's reader role, assumed once as documented.
    assert hub.assume_requests == [
        {
            "RoleArn": f"arn:aws:iam::{MEMBER}:role/{READER}",
            "RoleSessionName": "bucketguard-notifier",
            "DurationSeconds": 900,
        }
    ]
    for operation in ("GetBucketPolicy", "GetBucketPolicyStatus", "GetBucketAcl", "GetPublicAccessBlock"):
        assert hub.accounts_of("s3", operation) == [MEMBER], operation
    assert hub.accounts_of("s3control", "GetPublicAccessBlock") == [MEMBER]


def test_missing_reader_role_still_mails_the_requests_verdict(aws):
    """No reader role in the member account: AWS answers AccessDenied (moto would let the assume through,
    HubClients enforces that the role exists and trusts the hub)."""
    hub = HubClients()
    recs = [
        record("PutBucketPolicy", f"bg-nobody-{i}", {"bucketPolicy": PUBLIC_POLICY}, account=MEMBER) for i in range(3)
    ]
    result = run({"Records": recs}, hub_env(aws), hub)
    assert result["status"] == "published" and result["severity"] == "CRITICAL"
    (mail,) = sent(aws)
    assert mail["subject"].startswith("[PUBLIC] s3://bg-nobody-")
    assert "public per request via policy, unconfirmed" in mail["subject"]
    assert f"Verdict now: PUBLIC per the request (not confirmed: {line(MEMBER, 'AccessDenied')})" in mail["body"]
    assert mail["body"].count(line(MEMBER, "AccessDenied")) == 3
    assert len(hub.assumed_roles) == 1  # one attempt per account per invocation, not one per bucket
    assert hub.accounts_of("s3", "GetBucketPolicy") == []


def test_reader_role_not_trusting_the_hub(aws):
    """moto 5 does not evaluate trust policies (its AssumeRole lets any caller in, even to a role that does not
    exist); HubClients answers AccessDenied as AWS does when the role's trust policy does not name the hub."""
    make_reader_role(MEMBER, trusted="999999999999")
    make_member_bucket(MEMBER, "bg-untrusted", policy=PUBLIC_POLICY, pab=OFF)
    hub = HubClients()
    rec = record("PutBucketPolicy", "bg-untrusted", {"bucketPolicy": PUBLIC_POLICY}, account=MEMBER)
    run(eventbridge(rec), hub_env(aws), hub)
    (mail,) = sent(aws)
    assert line(MEMBER, "AccessDenied") in mail["body"]
    assert mail["subject"].startswith("[PUBLIC] s3://bg-untrusted public per request via policy, unconfirmed")


def test_throttled_assume_role_gives_the_line_with_its_code_and_a_not_public_change_stays_unknown(aws):
    hub = HubClients(fail_code="Throttling")
    rec = record("DeleteBucketPolicy", "bg-throttled", account=MEMBER)
    result = run(eventbridge(rec), hub_env(aws), hub)
    assert result["status"] == "published"
    (mail,) = sent(aws)
    assert (
        f"Verdict now: UNKNOWN - the bucket's state could not be read ({line(MEMBER, 'Throttling')})." in (mail["body"])
    )


def test_malformed_account_id_is_not_assumed(aws):
    hub = HubClients()
    rec = record("PutBucketPolicy", "bg-odd", {"bucketPolicy": PUBLIC_POLICY}, account="1234")
    run(eventbridge(rec), hub_env(aws), hub)
    assert hub.assumed_roles == []
    (mail,) = sent(aws)
    assert line("1234", "not a 12-digit account id") in mail["body"]


def test_standalone_makes_no_sts_call(aws):
    """Standalone (no BUCKETGUARD_READER_ROLE): every read with the function's own role, as before hub mode -
    for a record of another account too (S3 Control then refuses the other account's settings, as AWS does)."""
    make_bucket("bg-standalone", policy=PUBLIC_POLICY, pab=OFF)
    make_bucket("bg-standalone-own", policy=PUBLIC_POLICY, pab=OFF)
    hub = HubClients()
    recs = [
        record("PutBucketPolicy", "bg-standalone", {"bucketPolicy": PUBLIC_POLICY}, account=MEMBER),
        record("PutBucketPolicy", "bg-standalone-own", {"bucketPolicy": PUBLIC_POLICY}, account=HUB),
    ]
    result = run({"Records": recs}, env(aws, home_account=HUB), hub)
    assert result["severity"] == "CRITICAL"
    assert not [c for c in hub.calls if c[1] == "sts"] and hub.assumed_roles == []
    assert hub.accounts_of("s3", "GetBucketPolicy") == [HUB, HUB]
    mails = {m["attributes"]["account"]: m["body"] for m in sent(aws)}
    assert "Verdict now: PUBLIC via policy" in mails[HUB]
    assert (
        "Verdict now: PUBLIC per the request (not confirmed: the account's Block Public Access settings could "
        "not be read: AccessDenied)" in mails[MEMBER]
    )
    assert "could not read the bucket's state in account" not in mails[MEMBER]


def test_hub_accounts_own_bucket_is_read_with_the_own_role_and_remediated(aws):
    make_bucket("bg-hub-own", policy=PUBLIC_POLICY, pab=OFF)
    hub = HubClients()
    rec = record("PutBucketPolicy", "bg-hub-own", {"bucketPolicy": PUBLIC_POLICY}, account=HUB)
    run(eventbridge(rec), hub_env(aws, remediate="true"), hub)
    assert hub.assumed_roles == []
    (mail,) = sent(aws)
    assert "bucketguard re-enabled all four Block Public Access settings" in mail["body"]
    pab = account_client(HUB, "s3").get_public_access_block(Bucket="bg-hub-own")["PublicAccessBlockConfiguration"]
    assert all(pab.values())


def test_member_bucket_is_never_remediated_through_the_reader_role(aws):
    make_reader_role(MEMBER)
    make_member_bucket(MEMBER, "bg-member-open", policy=PUBLIC_POLICY, pab=OFF)
    hub = HubClients()
    rec = record("PutBucketPolicy", "bg-member-open", {"bucketPolicy": PUBLIC_POLICY}, account=MEMBER)
    run(eventbridge(rec), hub_env(aws, remediate="true"), hub)
    (mail,) = sent(aws)
    assert f"Remediation: not done: the bucket is in account {MEMBER}" in mail["body"]
    assert not [c for c in hub.calls if c[1] in ("s3", "s3control") and c[2].startswith("Put")]
    pab = account_client(MEMBER, "s3").get_public_access_block(Bucket="bg-member-open")
    assert not any(pab["PublicAccessBlockConfiguration"].values())


def test_fifty_buckets_of_one_member_take_one_assume_role(aws):
    make_reader_role(MEMBER)
    for i in range(50):
        make_member_bucket(MEMBER, f"bg-many-{i:02d}", policy=PUBLIC_POLICY, pab=OFF)
    hub = HubClients()
    sessions = AccountSessions(hub.assumed)
    msgs = [
        sqs_message(
            eventbridge(record("PutBucketPolicy", f"bg-many-{i:02d}", {"bucketPolicy": PUBLIC_POLICY}, account=MEMBER))
        )
        for i in range(50)
    ]
    result = run(sqs_batch(*msgs), hub_env(aws, digest_window_seconds="0"), hub, sessions)
    assert result == {"batchItemFailures": []}
    assert len(hub.assumed_roles) == 1
    assert len(hub.accounts_of("s3", "GetBucketPolicyStatus")) == 50
    assert set(hub.accounts_of("s3", "GetBucketPolicyStatus")) == {MEMBER}
    (mail,) = sent(aws)
    assert "Public now and not allow-listed: 50 buckets" in mail["body"]
    # A warm function keeps the credentials while they are valid: the next invocation assumes nothing.
    rec = record("PutBucketPolicy", "bg-many-00", {"bucketPolicy": PUBLIC_POLICY}, event_id="again", account=MEMBER)
    run(eventbridge(rec), hub_env(aws), hub, sessions)
    assert len(hub.assumed_roles) == 1 and sessions.assume_calls == 1


def test_credentials_close_to_expiry_are_renewed(aws):
    make_reader_role(MEMBER)
    clock = [NOW]
    hub = HubClients()
    sessions = AccountSessions(hub.assumed, clock=lambda: clock[0])
    sts = hub.factory("sts", REGION)
    arn = f"arn:aws:iam::{MEMBER}:role/{READER}"
    first = sessions.credentials(sts, arn)
    expires = first["Expiration"]
    clock[0] = expires - timedelta(minutes=3)
    assert sessions.credentials(sts, arn) is first
    clock[0] = expires - timedelta(minutes=1)  # renewed 2 minutes before they expire
    assert sessions.credentials(sts, arn) is not first
    assert sessions.assume_calls == 2


# --------------------------------------------------------------------------- the organisation trail's alarm


def _org_records():
    when = (NOW - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [
        record("PutBucketPolicy", "bg-m1-site", {"bucketPolicy": PUBLIC_POLICY}, when=when, account=MEMBER),
        record("PutBucketPolicy", "bg-m1-docs", {"bucketPolicy": PUBLIC_POLICY}, when=when, account=MEMBER),
        record("DeleteBucketPolicy", "bg-m2-logs", when=when, account=MEMBER2),
    ]


def _org_world():
    for account in (MEMBER, MEMBER2, LOG):
        make_reader_role(account)
    make_member_bucket(MEMBER, "bg-m1-site", policy=PUBLIC_POLICY, pab=OFF)
    make_member_bucket(MEMBER, "bg-m1-docs", policy=PUBLIC_POLICY, pab=OFF)
    make_member_bucket(MEMBER2, "bg-m2-logs", pab=OFF)
    put_trail_records(LOG, ORG_GROUP, _org_records(), int((NOW - timedelta(minutes=2)).timestamp() * 1000))


def _org_alarm(account: str = LOG, **kwargs):
    return alarm_state_change(
        account,
        "bucketguard-s3-visibility-change",
        _cw(NOW - timedelta(minutes=1)),
        _cw(NOW - timedelta(minutes=3)),
        **kwargs,
    )


def _assert_one_email_per_member(topic, names):
    mails = sent(topic)
    assert len(mails) == 2
    by_account = {m["attributes"]["account"]: m for m in mails}
    assert set(by_account) == {MEMBER, MEMBER2}
    m1, m2 = by_account[MEMBER], by_account[MEMBER2]
    assert f"(prod-web {MEMBER} {REGION})" in m1["subject"] and m1["subject"].endswith("+1 more")
    assert "bg-m1-site" in m1["body"] and "bg-m1-docs" in m1["body"] and "bg-m2-logs" not in m1["body"]
    assert "Verdict now: PUBLIC via policy" in m1["body"]
    assert f"Account {MEMBER2} (data), region {REGION}" in m2["body"] and "bg-m1-" not in m2["body"]
    assert "Verdict now: not public" in m2["body"]
    for mail in mails:
        assert f"Records searched in {ORG_GROUP}" in mail["body"]
        assert f"The window had changes in 2 accounts ({MEMBER} (prod-web), {MEMBER2} (data))" in mail["body"]
        assert "Alarm: bucketguard-s3-visibility-change (ALARM, was OK)" in mail["body"]
    return names


def test_alarm_of_a_log_account_reads_its_log_group_and_mails_one_email_per_member(aws):
    _org_world()
    hub = HubClients()
    names = json.dumps({MEMBER: "prod-web", MEMBER2: "data"})
    environment = hub_env(aws, log_accounts=json.dumps({LOG: ORG_GROUP}), account_names=names)
    result = run(_org_alarm(), environment, hub)
    assert result["status"] == "published" and result["emails"] == 2
    assert result["accounts"] == [MEMBER, MEMBER2] and result["severity"] == "CRITICAL"
    _assert_one_email_per_member(aws, names)
    assert hub.accounts_of("logs", "FilterLogEvents") == [LOG]
    assert sorted(hub.assumed_roles) == [f"arn:aws:iam::{a}:role/{READER}" for a in sorted((MEMBER, MEMBER2, LOG))]
    assert set(hub.accounts_of("s3", "GetBucketPolicyStatus")) == {MEMBER, MEMBER2}


def test_alarm_of_a_log_account_from_the_buffer_queue(aws):
    _org_world()
    hub = HubClients()
    names = json.dumps({MEMBER: "prod-web", MEMBER2: "data"})
    environment = hub_env(aws, log_accounts=json.dumps({LOG: ORG_GROUP}), account_names=names)
    result = run(sqs_batch(sqs_message(_org_alarm(), "alarm-1")), environment, hub)
    assert result == {"batchItemFailures": []}
    _assert_one_email_per_member(aws, names)


def test_alarm_path_dedup_is_per_event_across_member_emails(aws):
    _org_world()
    hub = HubClients()
    environment = hub_env(aws, log_accounts=json.dumps({LOG: ORG_GROUP}))
    run(_org_alarm(), environment, hub)
    result = run(_org_alarm(), environment, hub)
    assert result == {"status": "deduplicated", "skipped": 3, "emails": 0}
    assert len(sent(aws)) == 2


def test_log_account_that_is_the_hub_is_read_with_the_own_role(aws):
    put_trail_records(HUB, ORG_GROUP, _org_records()[:1], int((NOW - timedelta(minutes=2)).timestamp() * 1000))
    make_reader_role(MEMBER)
    make_member_bucket(MEMBER, "bg-m1-site", policy=PUBLIC_POLICY, pab=OFF)
    hub = HubClients()
    run(_org_alarm(HUB), hub_env(aws, log_accounts=json.dumps({HUB: ORG_GROUP})), hub)
    assert hub.accounts_of("logs", "FilterLogEvents") == [HUB]
    assert hub.assumed_roles == [f"arn:aws:iam::{MEMBER}:role/{READER}"]
    (mail,) = sent(aws)
    assert "Verdict now: PUBLIC via policy" in mail["body"]


def test_alarm_of_an_unlisted_account_reads_the_own_log_group(aws):
    put_trail_records(
        HUB, "/bucketguard/cloudtrail", _org_records()[:1], int((NOW - timedelta(minutes=2)).timestamp() * 1000)
    )
    hub = HubClients()
    environment = hub_env(aws, log_group="/bucketguard/cloudtrail", log_accounts=json.dumps({LOG: ORG_GROUP}))
    run(_org_alarm(HUB), environment, hub)
    assert hub.accounts_of("logs", "FilterLogEvents") == [HUB]
    (mail,) = sent(aws)
    assert "Records searched in /bucketguard/cloudtrail" in mail["body"]


def test_log_account_reader_missing_mails_the_alarm_with_the_line(aws):
    hub = HubClients()
    result = run(_org_alarm(), hub_env(aws, log_accounts=json.dumps({LOG: ORG_GROUP})), hub)
    assert result["status"] == "fallback"
    (mail,) = sent(aws)
    assert (
        f"could not read the CloudTrail records of log group {ORG_GROUP} in log account {LOG}: role missing or "
        f"not trusting the hub (arn:aws:iam::{LOG}:role/{READER}: AccessDenied)"
    ) in mail["body"]
    assert "Alarm: bucketguard-s3-visibility-change (ALARM, was OK)" in mail["body"]
    assert mail["subject"] == "[BUCKETGUARD] could not fully process bucketguard-s3-visibility-change"


@pytest.mark.parametrize(
    ("metric", "severity", "words"),
    [
        (("AWS/Logs", "IncomingLogEvents"), "WARNING", "received no CloudTrail events"),
        (("Bucketguard", "BucketguardTamper"), "CRITICAL", "one of bucketguard's own resources"),
    ],
)
def test_heartbeat_and_tamper_alarms_are_mailed_as_they_are(aws, metric, severity, words):
    hub = HubClients()
    event = _org_alarm(metric=metric)
    event["detail"]["alarmName"] = "bucketguard-other"
    result = run(event, hub_env(aws, log_accounts=json.dumps({LOG: ORG_GROUP})), hub)
    assert result["severity"] == severity
    (mail,) = sent(aws)
    assert mail["subject"] == f"[{severity}] bucketguard-other in ALARM (account {LOG})"
    assert words in mail["body"]
    assert hub.calls == [(HUB, "sns", "Publish")]  # no record search, no role assumed


def test_alarm_ok_state_change_is_ignored(aws):
    hub = HubClients()
    result = run(_org_alarm(state="OK"), hub_env(aws, log_accounts=json.dumps({LOG: ORG_GROUP})), hub)
    assert result == {"status": "ignored", "reason": "alarm state OK"}
    assert sent(aws) == []


def test_failure_line_is_escaped():
    text = message.reader_unavailable("1\n2", "arn:x", "Code\u2028")
    assert "\n" not in text and "\u2028" not in text
    assert handler.ReaderUnavailable("1", "arn", "E").code == "E"
