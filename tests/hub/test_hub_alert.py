"""Organisation (hub) mode end to end on LocalStack: a hub and member accounts deployed with playbooks/deploy.yml,
a bucket made public in a member's other region, followed to the hub's mailbox (docs/organisation.md).

One deployment (module fixture): hub HUB (eu-west-3), members M1 and M2 and the log account LOG, each with a host in
eu-west-3 (their home region) and us-east-1. LOG holds the organisation trail's log group
(``bucketguard_organization_trail: true``, ``trail_manage: false``). Then, in order:

1. fast path: a bucket of M1 in us-east-1 (M1's other region) gets Block Public Access off and a public-read policy;
   the ``AWS API Call via CloudTrail`` event is put on M1's us-east-1 default bus (LocalStack has no CloudTrail: the
   test puts the event CloudTrail would); LocalStack delivers it, for real, through M1's forwarding rule to the hub's
   default bus in eu-west-3 and the hub's rule to the hub's buffer queue; the test receives that SQS message (the
   probe) and plays Lambda's event source mapping (LocalStack cannot run functions without Docker): the batch goes
   to the deployed notifier's code in-process with the deployed function's environment, which assumes M1's reader
   role to read the bucket; the email LocalStack recorded names M1, the bucket, the actor and "PUBLIC via policy".
2. organisation trail: CloudTrail records for a bucket of M1 and one of M2 written into LOG's log group (as
   scripts/alarm_drill.py writes them); LOG's visibility alarm goes to ALARM (LocalStack evaluates it); LocalStack
   does not put ``CloudWatch Alarm State Change`` events on the bus, so the test puts the one CloudWatch would, built
   from the alarm's real state, on LOG's default bus; LOG's forwarding rule, the hub bus and the hub's alarm rule
   deliver it to the buffer queue (real); the notifier reads the records through LOG's reader role and mails one
   email per member account.
3. M2's reader role deleted: the same as 1 for a bucket of M2; the email still goes out and says it could not read
   the bucket's state in M2 (LocalStack's STS refuses a role that does not exist, as AWS does: scripts/localstack_ext).

The three tests share the deployment and run in this order (the third deletes a role the second uses).

Not testable on LocalStack (docs/emulators.md): trust policies (any account may assume any existing role), the
hub bus policy and the forwarder's RoleArn (LocalStack delivers without them), the alarm's metric filter pattern.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import random
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.hub.inventory import HUB_REGION, ORG_TRAIL_LOG_GROUP, OTHER_REGION, write_hub_inventory
from tests.lib.playbook import ROOT, run_playbook, tail

pytestmark = pytest.mark.hub

PREFIX = "bucketguard"
# Accounts of this run only: a LocalStack that is kept up between runs holds no state of an earlier run's accounts.
_RUN = random.SystemRandom().randrange(10**8)
HUB, M1, M2, LOG = (f"21{4 * _RUN + i:010d}" for i in range(4))
ORG_ID = "o-hubtest0001"
READER = f"{PREFIX}-reader"
ALARM = f"{PREFIX}-s3-visibility-change"
QUEUE = f"{PREFIX}-fast-path"  # notifier_lambda_buffer_queue_name's default


def drill_module():
    """scripts/alarm_drill.py: CloudTrail records, the alarm's event, the mailbox reader."""
    spec = importlib.util.spec_from_file_location("alarm_drill", ROOT / "scripts" / "alarm_drill.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


drill = drill_module()


@dataclass
class Fleet:
    url: str
    port: str
    inventory: Path

    def client(self, service: str, account: str, region: str = HUB_REGION) -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id=account,
            aws_secret_access_key="test",
        )


@pytest.fixture(scope="module")
def fleet(localstack, tmp_path_factory) -> Iterator[Fleet]:
    """Hub + M1, M2, LOG x (eu-west-3, us-east-1), deployed once in hub mode."""
    inventory = write_hub_inventory(
        tmp_path_factory.mktemp("hub") / "inventory",
        hub=HUB,
        members=[M1, M2, LOG],
        regions=(HUB_REGION, OTHER_REGION),
        log_account=LOG,
        # One account gets a fast-path email and then the alarm path's: no digest delay between them.
        extra_vars={"notifier_lambda_digest_window_seconds": 0},
    )
    stand_in = run_playbook(inventory, "scripts/local_trail_stand_in.yml", port=localstack.port)
    assert stand_in.returncode == 0, tail(stand_in)
    started = time.monotonic()
    deploy = run_playbook(inventory, "playbooks/deploy.yml", port=localstack.port, timeout=1800)
    assert deploy.returncode == 0, tail(deploy)
    print(f"hub deploy, 4 accounts x 2 regions: {time.monotonic() - started:.0f} s")
    here = Fleet(localstack.url, localstack.port, inventory)
    stop_event_source_mapping(here)
    yield here


def stop_event_source_mapping(fleet: Fleet) -> None:
    """LocalStack cannot run the function, so the test is the event source mapping (receive, invoke, delete).
    LocalStack's own poller would take the messages and fail the invocation (DockerNotAvailable), leaving them
    invisible for the queue's visibility timeout: disable the mapping, and wait out a poll already under way
    (it ends after the batching window), since disabling only stops the next one."""
    lam = fleet.client("lambda", HUB)
    window = 0
    for mapping in lam.list_event_source_mappings(FunctionName=f"{PREFIX}-notifier")["EventSourceMappings"]:
        lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
        window = max(window, mapping.get("MaximumBatchingWindowInSeconds") or 0)
    time.sleep(window + 10)


# --------------------------------------------------------------------------- the steps AWS would take


def make_public(fleet: Fleet, account: str, region: str, bucket: str) -> list[dict]:
    """Block Public Access off + a public-read policy; the CloudTrail records of those calls (drill's shapes)."""
    args = drill.argparse.Namespace(account=account, region=region, bucket=bucket, action="expose")
    return drill.change_bucket(args, fleet.client("s3", account, region))


def put_cloudtrail_events(fleet: Fleet, account: str, region: str, records: list[dict]) -> None:
    """What EventBridge does with CloudTrail's records there (the free LocalStack has no CloudTrail)."""
    events = fleet.client("events", account, region)
    entries = [
        {"Source": "aws.s3", "DetailType": "AWS API Call via CloudTrail", "Detail": json.dumps(r)} for r in records
    ]
    response = events.put_events(Entries=entries)
    assert response["FailedEntryCount"] == 0, response


def receive_from_buffer(fleet: Fleet, wanted: Callable[[dict], bool], count: int, timeout: float = 90) -> dict:
    """Receive the hub buffer queue's messages until ``count`` match ``wanted``: the probe that LocalStack delivered
    them. Returns them as the SQS batch Lambda's event source mapping hands the function (AWS's documented shape)."""
    sqs = fleet.client("sqs", HUB)
    url = sqs.get_queue_url(QueueName=QUEUE)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    found: list[dict] = []
    deadline = time.monotonic() + timeout
    while len(found) < count and time.monotonic() < deadline:
        for m in sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2, AttributeNames=["All"], VisibilityTimeout=120
        ).get("Messages", []):
            if wanted(json.loads(m["Body"])):
                found.append(m)
            else:  # someone else's (an earlier step's retry): back to the queue
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
    assert len(found) == count, f"{len(found)} of {count} events reached the hub's buffer queue within {timeout} s"
    records = [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": m["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": arn,
            "awsRegion": HUB_REGION,
        }
        for m in found
    ]
    return {"Records": records, "_queue_url": url}


def local_clients(fleet: Fleet, account: str) -> Callable[[str, str | None], Any]:
    """The notifier's client factory on LocalStack with the hub account's credentials (as alarm_drill's)."""
    args = drill.argparse.Namespace(account=account, region=HUB_REGION, endpoint=fleet.url)
    return drill.local_client_factory(args)


def assumed_clients(fleet: Fleet) -> Callable[[str, str | None, dict], Any]:
    """Clients on a reader role's credentials (what handler.default_assumed_client makes), on LocalStack; S3
    Control's account host prefix stripped as in alarm_drill's factory (it does not resolve for a local endpoint)."""

    def strip_account_host(request, **_):
        request.url = re.sub(r"//\d{12}\.", "//", request.url, count=1)

    def make(service: str, region: str | None, credentials: dict) -> Any:
        client = boto3.client(
            service,
            region_name=region or HUB_REGION,
            endpoint_url=fleet.url,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
        if service == "s3control":
            client.meta.events.register("before-send.s3-control", strip_account_host)
        return client

    return make


def run_hub_notifier(fleet: Fleet, batch: dict, monkeypatch) -> tuple[dict, list[dict]]:
    """Run the deployed function's code in-process on the batch, with the deployed function's environment, and do
    what the event source mapping does after it: delete the messages it did not report as failed."""
    env = fleet.client("lambda", HUB).get_function_configuration(FunctionName=f"{PREFIX}-notifier")
    env = env.get("Environment", {}).get("Variables", {})
    assert env.get("BUCKETGUARD_READER_ROLE") == READER and env.get("BUCKETGUARD_HOME_ACCOUNT") == HUB, env
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):  # Lambda's own variables
        monkeypatch.setenv(name, HUB_REGION)
    from bucketguard_notifier import handler

    queue_url = batch.pop("_queue_url")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        # A new Lambda environment per batch: no reader credentials carried over from an earlier step.
        sessions = handler.AccountSessions(assumed_client=assumed_clients(fleet))
        result = handler.process(batch, env, local_clients(fleet, HUB), sessions=sessions)
    sys.stdout.write(printed.getvalue())
    failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
    sqs = fleet.client("sqs", HUB)
    for record in batch["Records"]:
        if record["messageId"] not in failed:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=record["receiptHandle"])
    lines = []
    for line in printed.getvalue().splitlines():
        with contextlib.suppress(ValueError):
            lines.append(json.loads(line))
    return result, lines


def emails_naming(fleet: Fleet, since: datetime, *needles: str) -> list[str]:
    """Bodies of the emails LocalStack recorded since ``since`` that contain any of ``needles``."""
    with contextlib.redirect_stdout(io.StringIO()):
        fleet.client("ses", HUB).list_identities()  # loads LocalStack's SES, where SNS's emails are recorded
    mails = drill.read_emails(drill.argparse.Namespace(endpoint=fleet.url), since)
    bodies = [m["Body"]["text_part"] for m in mails]
    return [b for b in bodies if any(n in b for n in needles)]


def bucket_name(tag: str) -> str:
    return f"hubtest-{tag}-{uuid.uuid4().hex[:10]}"


def is_s3_event_for(bucket: str) -> Callable[[dict], bool]:
    def wanted(body: dict) -> bool:
        detail = body.get("detail") or {}
        return (detail.get("requestParameters") or {}).get("bucketName") == bucket

    return wanted


def delete_role(iam: Any, name: str) -> None:
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
    iam.delete_role(RoleName=name)


def wait_for_alarm(cloudwatch: Any, since: datetime, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    alarm: dict = {}
    while time.monotonic() < deadline:
        alarm = cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]
        if alarm["StateValue"] == "ALARM" and alarm["StateUpdatedTimestamp"] >= since:
            return alarm
        time.sleep(2)
    pytest.fail(f"{ALARM} in {LOG} did not go to ALARM within {timeout} s: {alarm.get('StateValue')}")


def alarm_state_change_detail(alarm: dict, previous: str) -> dict:
    """The ``detail`` of CloudWatch's ``CloudWatch Alarm State Change`` event (AWS's documented format: the same
    fields as the Lambda alarm action's ``alarmData``), built from the alarm's real state."""
    return drill.alarm_event(alarm, previous)["alarmData"]


# --------------------------------------------------------------------------- the test


def test_member_other_region_to_the_hub_mailbox(fleet: Fleet, monkeypatch) -> None:
    """Member 1's other region, fast path: the email names M1, the bucket, the actor and "PUBLIC via policy"."""
    started, since = time.monotonic(), datetime.now(UTC)
    bucket1 = bucket_name("m1")
    records = make_public(fleet, M1, OTHER_REGION, bucket1)
    put_cloudtrail_events(fleet, M1, OTHER_REGION, records)
    batch = receive_from_buffer(fleet, is_s3_event_for(bucket1), count=len(records))
    bodies = [json.loads(r["body"]) for r in batch["Records"]]
    assert {(b["account"], b["region"]) for b in bodies} == {(M1, OTHER_REGION)}, bodies
    result, log = run_hub_notifier(fleet, batch, monkeypatch)
    assert not result.get("batchItemFailures"), (result, log)
    assumed = [e for e in log if e.get("bucketguard") == "reader_assumed"]
    assert any(e.get("role") == f"arn:aws:iam::{M1}:role/{READER}" for e in assumed), log
    mails = emails_naming(fleet, since, bucket1)
    assert len(mails) == 1, mails
    body = mails[0]
    assert M1 in body and bucket1 in body and drill.ACTOR in body and "PUBLIC via policy" in body, body
    assert OTHER_REGION in body, body
    assert "could not read" not in body, body
    print(f"fast path, M1 us-east-1: {time.monotonic() - started:.1f} s")


def test_organisation_trail_alarm_one_email_per_member(fleet: Fleet, monkeypatch) -> None:
    """Records of M1's and M2's buckets in LOG's log group -> LOG's alarm -> the hub: one email per member."""
    started, since = time.monotonic(), datetime.now(UTC)
    bucket3, bucket4 = bucket_name("org-m1"), bucket_name("org-m2")
    org_records = make_public(fleet, M1, HUB_REGION, bucket3) + make_public(fleet, M2, OTHER_REGION, bucket4)
    logs = fleet.client("logs", LOG)
    cloudwatch = fleet.client("cloudwatch", LOG)
    alarms = cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"]
    if not alarms:
        pytest.fail(f"no alarm {ALARM} in the log account {LOG}: deploy.yml made no alarm path on its log group")
    previous = alarms[0]["StateValue"]
    written_at = datetime.now(UTC)
    by_stream: dict[str, list[dict]] = {}
    for r in org_records:  # an organisation trail's stream: <org id>_<account>_CloudTrail_<region>
        by_stream.setdefault(f"{ORG_ID}_{r['recipientAccountId']}_CloudTrail_{r['awsRegion']}", []).append(r)
    stamp = int(time.time() * 1000)
    for stream, recs in by_stream.items():
        logs.create_log_stream(logGroupName=ORG_TRAIL_LOG_GROUP, logStreamName=stream)
        logs.put_log_events(
            logGroupName=ORG_TRAIL_LOG_GROUP,
            logStreamName=stream,
            logEvents=[{"timestamp": stamp + i, "message": json.dumps(r)} for i, r in enumerate(recs)],
        )
    alarm = wait_for_alarm(cloudwatch, written_at)
    assert alarm["AlarmArn"] == f"arn:aws:cloudwatch:{HUB_REGION}:{LOG}:alarm:{ALARM}", alarm
    # CloudWatch would put this event on LOG's default bus itself (LocalStack does not: see the module docstring).
    put = fleet.client("events", LOG).put_events(
        Entries=[
            {
                "Source": "aws.cloudwatch",
                "DetailType": "CloudWatch Alarm State Change",
                "Resources": [alarm["AlarmArn"]],
                "Detail": json.dumps(alarm_state_change_detail(alarm, previous)),
            }
        ]
    )
    assert put["FailedEntryCount"] == 0, put
    event_id = put["Entries"][0]["EventId"]
    batch = receive_from_buffer(fleet, lambda b: b.get("id") == event_id, count=1)
    forwarded = json.loads(batch["Records"][0]["body"])
    assert forwarded["detail-type"] == "CloudWatch Alarm State Change" and forwarded["account"] == LOG, forwarded
    result, log = run_hub_notifier(fleet, batch, monkeypatch)
    assert not result.get("batchItemFailures"), (result, log)
    mails = emails_naming(fleet, since, bucket3, bucket4)
    assert len(mails) == 2, mails  # one email per member account
    (m1_mail,) = [b for b in mails if bucket3 in b]
    (m2_mail,) = [b for b in mails if bucket4 in b]
    assert M1 in m1_mail and bucket4 not in m1_mail and "PUBLIC via policy" in m1_mail, m1_mail
    assert M2 in m2_mail and bucket3 not in m2_mail, m2_mail
    assert "PUBLIC via policy" in m2_mail, m2_mail
    assert "could not read" not in m1_mail + m2_mail, mails
    print(f"organisation trail, LOG's alarm, 2 member accounts: {time.monotonic() - started:.1f} s")


def test_member_without_its_reader_role_is_still_mailed(fleet: Fleet, monkeypatch) -> None:
    """M2's reader role deleted (last: the other tests read M2's buckets): the email still goes out."""
    started, since = time.monotonic(), datetime.now(UTC)
    delete_role(fleet.client("iam", M2), READER)
    bucket2 = bucket_name("m2")
    records = make_public(fleet, M2, OTHER_REGION, bucket2)
    put_cloudtrail_events(fleet, M2, OTHER_REGION, records)
    batch = receive_from_buffer(fleet, is_s3_event_for(bucket2), count=len(records))
    result, log = run_hub_notifier(fleet, batch, monkeypatch)
    assert not result.get("batchItemFailures"), (result, log)
    mails = emails_naming(fleet, since, bucket2)
    assert len(mails) == 1, mails
    body = mails[0]
    assert M2 in body and bucket2 in body, body
    assert f"could not read the bucket's state in account {M2}" in body, body
    assert f"arn:aws:iam::{M2}:role/{READER}" in body and "AccessDenied" in body, body
    print(f"fast path, M2 without its reader role: {time.monotonic() - started:.1f} s")
