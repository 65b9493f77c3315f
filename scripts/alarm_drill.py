#!/usr/bin/env python3
"""Fire drill on LocalStack: change a bucket's exposure and follow the alert to the mailbox.

Used by `make demo` and by the end-to-end Molecule scenario (`molecule/default`). Steps:

1. make the bucket public (``expose``: Block Public Access off + a public-read bucket policy) or lock
   it down again (``lockdown``: all four Block Public Access settings on, policy deleted);
2. write into the trail's log group the CloudTrail records AWS would have delivered for those
   calls — LocalStack's free edition has no CloudTrail, so this script stands in for it, writing
   records in CloudTrail's documented format to the stream CloudTrail uses;
3. wait until the deployed alarm is in ALARM;
4. build the event CloudWatch sends to a Lambda alarm action from the alarm's real state, and run
   the deployed notifier's handler in-process with the deployed function's own environment
   variables (LocalStack cannot execute Lambda functions without Docker);
5. read the email LocalStack delivered for the SNS topic (``GET /_aws/ses``) and print it, with its subject
   (LocalStack's email stand-in puts "SNS-Subscriber-Endpoint" there: the real SNS subject is taken from the
   notifier's ``published`` log line, which is what the email carries on AWS).

``--path fast`` follows the fast path instead of steps 2-4: each record, wrapped as the EventBridge event
"AWS API Call via CloudTrail" that the rule delivers, goes through the notifier at once (one invocation per
event, as on AWS) and the seconds from the calls to the emails are printed; the notifier's log lines are
written to its log group as Lambda would, so a later alarm path leaves those events out. ``--path both``
does the fast path, then steps 2-4 (the alarm path then finds nothing new and says so).

Prints a JSON summary with ``--json`` (for tests) or the emails as a person would read them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[1]
# The notifier and the contract files its package carries (plugins/module_utils, through the collection link).
sys.path[:0] = [str(ROOT / "files" / "lambda"), str(ROOT / ".collections")]

FULL_BLOCK = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
OPEN = {name: False for name in FULL_BLOCK}
ACTOR = "demo-admin"
SOURCE_IP = "203.0.113.10"
USER_AGENT = "[aws-cli/2.17.0 Python/3.12 Linux botocore/2.17.0]"
ALLOW_TAG = "bucketguard:public=approved"  # notifier_lambda_allow_tag's default


def default_endpoint() -> str:
    """BUCKETGUARD_LOCALSTACK_URL, else 127.0.0.1 on BUCKETGUARD_LOCALSTACK_PORT (default 4566): docs/emulators.md."""
    port = os.environ.get("BUCKETGUARD_LOCALSTACK_PORT") or "4566"
    return os.environ.get("BUCKETGUARD_LOCALSTACK_URL") or f"http://127.0.0.1:{port}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--endpoint", default=default_endpoint(), help="LocalStack URL (default: BUCKETGUARD_LOCALSTACK_URL)"
    )
    p.add_argument("--account", required=True, help="12-digit account id (LocalStack access key)")
    p.add_argument("--region", required=True, help="the account's home region (trail log group, alarm)")
    p.add_argument("--prefix", default="bucketguard")
    p.add_argument("--bucket", required=True)
    p.add_argument(
        "--action",
        choices=("expose", "lockdown", "allow-tag"),
        required=True,
        help="allow-tag: tag the bucket with the allow tag (fast path only: the visibility alarm does not count it)",
    )
    p.add_argument(
        "--path",
        choices=("alarm", "fast", "both"),
        default="alarm",
        help="follow the alarm path (default), the EventBridge fast path, or the fast path then the alarm path",
    )
    p.add_argument("--timeout", type=int, default=180, help="seconds to wait for the alarm")
    p.add_argument("--json", action="store_true", help="print a JSON summary instead of the email")
    args = p.parse_args(argv)
    if args.action == "allow-tag" and args.path != "fast":
        p.error("--action allow-tag goes with --path fast (tagging is watched by the fast path only)")
    return args


def session(args: argparse.Namespace) -> boto3.session.Session:
    return boto3.session.Session(aws_access_key_id=args.account, aws_secret_access_key="test", region_name=args.region)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cloudtrail_record(args: argparse.Namespace, event_name: str, request: dict) -> dict:
    """A CloudTrail record shaped as AWS documents it for S3 management events."""
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLEDEMOADMIN",
            "arn": f"arn:aws:iam::{args.account}:user/{ACTOR}",
            "accountId": args.account,
            "accessKeyId": "AKIAEXAMPLEDEMO00001",
            "userName": ACTOR,
        },
        "eventTime": now_iso(),
        "eventSource": "s3.amazonaws.com",
        "eventName": event_name,
        "awsRegion": args.region,
        "sourceIPAddress": SOURCE_IP,
        "userAgent": USER_AGENT,
        "requestParameters": {
            "bucketName": args.bucket,
            "Host": f"{args.bucket}.s3.{args.region}.amazonaws.com",
            **request,
        },
        "responseElements": None,
        "additionalEventData": {"SignatureVersion": "SigV4", "AuthenticationMethod": "AuthHeader"},
        "requestID": uuid.uuid4().hex[:16].upper(),
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "resources": [{"type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{args.bucket}"}],
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": args.account,
        "eventCategory": "Management",
    }


def change_bucket(args: argparse.Namespace, s3) -> list[dict]:
    """Make the calls on the bucket; return the CloudTrail records they would produce."""
    try:
        s3.head_bucket(Bucket=args.bucket)
    except s3.exceptions.ClientError:
        kwargs = (
            {} if args.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": args.region}}
        )
        s3.create_bucket(Bucket=args.bucket, **kwargs)
    pab_xmlns = {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}
    if args.action == "allow-tag":
        key, _, value = ALLOW_TAG.partition("=")
        tags = [{"Key": "team", "Value": "web"}, {"Key": key, "Value": value}]
        s3.put_bucket_tagging(Bucket=args.bucket, Tagging={"TagSet": tags})
        # CloudTrail records the XML body: TagSet.Tag is a list (one object for a single tag).
        return [
            cloudtrail_record(
                args, "PutBucketTagging", {"Tagging": {**pab_xmlns, "TagSet": {"Tag": tags}}, "tagging": ""}
            )
        ]
    if args.action == "expose":
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicRead",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{args.bucket}/*",
                }
            ],
        }
        s3.put_public_access_block(Bucket=args.bucket, PublicAccessBlockConfiguration=OPEN)
        s3.put_bucket_policy(Bucket=args.bucket, Policy=json.dumps(policy))
        return [
            cloudtrail_record(
                args,
                "PutBucketPublicAccessBlock",
                {"publicAccessBlock": "", "PublicAccessBlockConfiguration": {**pab_xmlns, **OPEN}},
            ),
            cloudtrail_record(args, "PutBucketPolicy", {"bucketPolicy": policy, "policy": ""}),
        ]
    s3.put_public_access_block(Bucket=args.bucket, PublicAccessBlockConfiguration=FULL_BLOCK)
    s3.delete_bucket_policy(Bucket=args.bucket)
    return [
        cloudtrail_record(
            args,
            "PutBucketPublicAccessBlock",
            {"publicAccessBlock": "", "PublicAccessBlockConfiguration": {**pab_xmlns, **FULL_BLOCK}},
        ),
        cloudtrail_record(args, "DeleteBucketPolicy", {"policy": ""}),
    ]


def deliver_records(args: argparse.Namespace, logs, records: list[dict]) -> None:
    """Write the records as CloudTrail writes them to CloudWatch Logs (one event per record)."""
    group = f"/{args.prefix}/cloudtrail"
    stream = f"{args.account}_CloudTrail_{args.region}"
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    stamp = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": stamp + i, "message": json.dumps(r)} for i, r in enumerate(records)],
    )


def wait_for_alarm(args: argparse.Namespace, cloudwatch, written_at: datetime) -> dict:
    name = f"{args.prefix}-s3-visibility-change"
    before = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    if not before:
        raise SystemExit(f"alarm {name} not found in {args.account} {args.region}: deploy first")
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        alarm = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
        if alarm["StateValue"] == "ALARM" and alarm["StateUpdatedTimestamp"] >= written_at:
            return alarm
        time.sleep(2)
    alarm = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    raise SystemExit(not_in_alarm_message(name, args.timeout, alarm))


def not_in_alarm_message(name: str, timeout: int, alarm: dict) -> str:
    """Why the drill gave up, and what to check: LocalStack evaluates an alarm every Period x EvaluationPeriods."""
    period = int(alarm.get("Period") or 0)
    evaluations = int(alarm.get("EvaluationPeriods") or 0)
    cycle = period * evaluations
    hint = (
        f"LocalStack evaluates it every Period x EvaluationPeriods = {period} s x {evaluations} = {cycle} s, "
        f"counted from PutMetricAlarm"
    )
    if cycle and cycle >= timeout:
        hint += f": longer than --timeout {timeout} s. Raise --timeout, or lower "
    else:
        hint += ". Check the metric filter's log group and that the records were written; for a faster drill lower "
    hint += (
        "alarm_period and alarm_evaluation_periods in the inventory (inventories/local/group_vars/all.yml uses "
        "10 and 1) and redeploy the alarm (deploy.yml --tags alarm)."
    )
    return (
        f"alarm {name} did not go to ALARM within {timeout} s (state {alarm.get('StateValue')}, "
        f"reason {alarm.get('StateReason', '')!r}). {hint}"
    )


def settle_alarm(args: argparse.Namespace, cloudwatch, name: str) -> str:
    """Wait until the alarm is out of ALARM (from an earlier drill), so the change makes a new transition."""
    deadline = time.monotonic() + args.timeout
    while True:
        alarms = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        if not alarms:
            raise SystemExit(f"alarm {name} not found in {args.account} {args.region}: deploy first")
        state = alarms[0]["StateValue"]
        if state != "ALARM" or time.monotonic() > deadline:
            return state
        time.sleep(2)


def alarm_event(alarm: dict, previous_state: str) -> dict:
    """The event CloudWatch sends to a Lambda alarm action (AWS's documented format)."""
    ts = alarm["StateUpdatedTimestamp"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
    arn = alarm["AlarmArn"]
    return {
        "source": "aws.cloudwatch",
        "alarmArn": arn,
        "accountId": arn.split(":")[4],
        "time": ts,
        "region": arn.split(":")[3],
        "alarmData": {
            "alarmName": alarm["AlarmName"],
            "state": {
                "value": alarm["StateValue"],
                "reason": alarm.get("StateReason", ""),
                "reasonData": alarm.get("StateReasonData", ""),
                "timestamp": ts,
            },
            "previousState": {"value": previous_state},
            "configuration": {
                "description": alarm.get("AlarmDescription", ""),
                "metrics": [
                    {
                        "id": "m1",
                        "metricStat": {
                            "metric": {
                                "namespace": alarm.get("Namespace"),
                                "name": alarm.get("MetricName"),
                                "dimensions": {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])},
                            },
                            "period": alarm.get("Period", 60),
                            "stat": alarm.get("Statistic", "Sum"),
                        },
                        "returnData": True,
                    }
                ],
            },
        },
    }


def local_client_factory(args: argparse.Namespace):
    """Clients for LocalStack. S3 Control puts the account id in the host name
    (`111111111111.s3-control...`), which does not resolve for a local endpoint: strip it."""
    aws = session(args)
    cache: dict = {}

    def strip_account_host(request, **_):
        request.url = request.url.replace(f"//{args.account}.", "//", 1)

    def factory(service: str, region: str | None):
        key = (service, region)
        if key not in cache:
            client = aws.client(service, region_name=region or args.region, endpoint_url=args.endpoint)
            if service == "s3control":
                client.meta.events.register("before-send.s3-control", strip_account_host)
            cache[key] = client
        return cache[key]

    return factory


def eventbridge_event(record: dict) -> dict:
    """The event EventBridge delivers for a CloudTrail record ("AWS API Call via CloudTrail", AWS's format)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.s3",
        "account": record["recipientAccountId"],
        "time": record["eventTime"],
        "region": record["awsRegion"],
        "resources": [],
        "detail": record,
    }


def write_notifier_log(args: argparse.Namespace, logs, env: dict, lines: list[str]) -> None:
    """What Lambda does with the function's stdout: one log event per line in its log group."""
    group = env.get("BUCKETGUARD_NOTIFIER_LOG_GROUP") or f"/aws/lambda/{args.prefix}-notifier"
    stream = datetime.now(UTC).strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    stamp = int(time.time() * 1000)
    events = [{"timestamp": stamp, "message": line} for line in lines if line.strip()]
    if events:
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def subjects(log_lines: list) -> list[str]:
    """The SNS subjects the notifier published, in order (from its ``published`` log lines)."""
    return [e.get("subject", "") for e in log_lines if isinstance(e, dict) and e.get("bucketguard") == "published"]


def print_emails(emails: list[dict], subject_list: list[str]) -> None:
    for index, m in enumerate(emails):
        subject = subject_list[index] if index < len(subject_list) else m.get("Subject", "")
        print(f"-- email to {', '.join(m['Destination']['ToAddresses'])}:\n")
        print(f"Subject: {subject}\n")
        print(m["Body"]["text_part"])
        print()


def run_notifier(args: argparse.Namespace, lambda_client, event: dict) -> tuple[dict, list[str]]:
    """Run the deployed function's code in-process, with the deployed function's environment.

    Returns the handler's result and the log lines it printed (one JSON object a line, as in
    CloudWatch Logs). They are captured so that ``--json`` prints one JSON document on stdout."""
    env = function_env(args, lambda_client)
    os.environ.update({"AWS_REGION": args.region, "AWS_DEFAULT_REGION": args.region})
    from bucketguard_notifier import handler

    # handler.process is lambda_handler's body with the clients passed in.
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            result = handler.process(event, env, local_client_factory(args))
    finally:
        if not args.json:
            print(printed.getvalue(), end="", flush=True)
    return result, printed.getvalue().splitlines()


def function_env(args: argparse.Namespace, lambda_client) -> dict:
    function = lambda_client.get_function_configuration(FunctionName=f"{args.prefix}-notifier")
    return function.get("Environment", {}).get("Variables", {})


def parse_log_lines(lines: list[str]) -> list:
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append(line)
    return out


def read_emails(args: argparse.Namespace, since: datetime) -> list[dict]:
    with urllib.request.urlopen(f"{args.endpoint}/_aws/ses", timeout=10) as response:
        messages = json.load(response).get("messages", [])
    out = []
    for m in messages:
        sent = datetime.fromisoformat(m.get("Timestamp", "1970-01-01T00:00:00")).replace(tzinfo=UTC)
        if sent >= since.replace(microsecond=0):
            out.append(m)
    return out


def follow_fast_path(args: argparse.Namespace, aws, records: list[dict], made_at: float) -> dict:
    """Each record as the EventBridge event the rule delivers, through the notifier at once (one invocation per
    event, as on AWS); the notifier's log lines go to its log group as Lambda writes them."""
    kw = {"endpoint_url": args.endpoint}
    lambda_client, logs = aws.client("lambda", **kw), aws.client("logs", **kw)
    since = datetime.now(UTC)
    results, log_lines = [], []
    for record in records:
        result, lines = run_notifier(args, lambda_client, eventbridge_event(record))
        write_notifier_log(args, logs, function_env(args, lambda_client), lines)
        results.append(result)
        log_lines += lines
    aws.client("ses", **kw).list_identities()  # loads LocalStack's SES, where it records the emails SNS sends
    emails = read_emails(args, since)
    return {
        "results": results,
        "notifier_log": parse_log_lines(log_lines),
        "emails": emails,
        "seconds": round(time.monotonic() - made_at, 1),
    }


def follow_alarm_path(args: argparse.Namespace, aws, records: list[dict], previous_state: str) -> dict:
    kw = {"endpoint_url": args.endpoint}
    logs, cloudwatch = aws.client("logs", **kw), aws.client("cloudwatch", **kw)
    name = f"{args.prefix}-s3-visibility-change"
    say = (lambda *a: None) if args.json else (lambda *a: print(*a, flush=True))
    since = datetime.now(UTC)
    written_at = datetime.now(UTC)
    deliver_records(args, logs, records)
    waited = time.monotonic()
    say(f"-- CloudTrail records written to /{args.prefix}/cloudtrail (CloudTrail's own delivery takes ~5 minutes)")
    say(f"-- waiting for alarm {name} to go to ALARM (LocalStack evaluates it every period)...")
    alarm = wait_for_alarm(args, cloudwatch, written_at)
    say(
        f"-- alarm {name} is {alarm['StateValue']} since {alarm['StateUpdatedTimestamp']:%H:%M:%S} "
        f"({time.monotonic() - waited:.0f} s after the records); running the notifier"
    )
    result, log_lines = run_notifier(args, aws.client("lambda", **kw), alarm_event(alarm, previous_state))
    aws.client("ses", **kw).list_identities()  # loads LocalStack's SES, where it records the emails SNS sends
    return {"result": result, "notifier_log": parse_log_lines(log_lines), "emails": read_emails(args, since)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    aws = session(args)
    kw = {"endpoint_url": args.endpoint}
    s3, cloudwatch = aws.client("s3", **kw), aws.client("cloudwatch", **kw)
    name = f"{args.prefix}-s3-visibility-change"
    previous_state = settle_alarm(args, cloudwatch, name) if args.path != "fast" else "OK"
    made_at = time.monotonic()
    records = change_bucket(args, s3)
    say = (lambda *a: None) if args.json else (lambda *a: print(*a, flush=True))
    say(f"-- {args.action}: {plural(len(records), 'call')} on s3://{args.bucket}")
    summary: dict = {"action": args.action, "bucket": args.bucket, "path": args.path}
    ok = True
    if args.path in ("fast", "both"):
        fast = follow_fast_path(args, aws, records, made_at)
        summary["fast"] = fast
        ok = ok and all(r.get("status") == "published" for r in fast["results"]) and bool(fast["emails"])
        if not args.json:
            print(
                f"-- fast path: {plural(len(records), 'EventBridge event')} through the notifier, "
                f"{plural(len(fast['emails']), 'email')} {fast['seconds']} s after the calls "
                "(on AWS: EventBridge delivers within seconds; one invocation and one email per event)"
            )
            print_emails(fast["emails"], subjects(fast["notifier_log"]))
    if args.path in ("alarm", "both"):
        followed = follow_alarm_path(args, aws, records, previous_state)
        result, emails = followed["result"], followed["emails"]
        summary.update(notifier=result, notifier_log=followed["notifier_log"], emails=emails)
        wanted = ("published", "deduplicated") if args.path == "both" else ("published",)
        ok = ok and result.get("status") in wanted and (bool(emails) or result.get("status") == "deduplicated")
        if not args.json:
            print(f"-- alarm path: notifier {result}")
            if result.get("status") == "deduplicated":
                print("-- every event in the alarm window was already mailed by the fast path: no second email")
            print_emails(emails[-1:], subjects(followed["notifier_log"])[-1:])
    if args.json:
        print(json.dumps(summary, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
