"""The notifier's world in moto, in-process: topic, dedup table, buckets, SQS batches, and what was mailed.

Shared by tests/unit/notifier (batch tests), tests/faults and benchmarks/notifier_load.py. Call inside
``moto.mock_aws()``. The shapes follow AWS's documents: CloudTrail records
(https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html),
EventBridge events, SQS event source batches (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html) and
Lambda on-failure destination records (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from typing import Any

import boto3

REGION = "eu-west-3"
TOPIC_REGION = "us-east-1"
TABLE = "bucketguard-reported"
OFF = {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}
ON = dict.fromkeys(OFF, True)
PUBLIC_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
    ],
}


def clients(region: str = REGION):
    """A thread-safe client factory (the notifier reads buckets on several threads)."""
    cache: dict[tuple[str, str | None], Any] = {}
    lock = threading.Lock()

    def factory(service: str, where: str | None) -> Any:
        with lock:
            key = (service, where)
            if key not in cache:
                cache[key] = boto3.client(service, region_name=where or region)
            return cache[key]

    return factory


def make_topic(name: str = "bucketguard-alerts") -> str:
    return boto3.client("sns", region_name=TOPIC_REGION).create_topic(Name=name)["TopicArn"]


def make_table(name: str = TABLE, region: str = REGION) -> str:
    """The dedup table of the shared design: partition key ``id`` (S), on demand, TTL ``expires_at``."""
    ddb = boto3.client("dynamodb", region_name=region)
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    return name


def table_items(name: str = TABLE, region: str = REGION) -> list[dict[str, str]]:
    ddb = boto3.client("dynamodb", region_name=region)
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": name}
    while True:
        page = ddb.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return [{k: next(iter(v.values())) for k, v in item.items()} for item in items]


def make_bucket(name: str, policy=None, pab=None, tags=None, region: str = REGION) -> None:
    s3 = boto3.client("s3", region_name=region)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    if policy:
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    if pab is not None:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=pab)
    if tags:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})


def sent(topic: str, account: str = "123456789012") -> list[dict[str, Any]]:
    """What the topic published: subject, body, attributes (moto keeps every notification)."""
    from moto.sns.models import sns_backends

    notes = sns_backends[account][TOPIC_REGION].topics[topic].sent_notifications
    return [
        {
            "message_id": n[0],
            "body": n[1],
            "subject": n[2],
            "attributes": {k: v.get("Value", v.get("StringValue")) for k, v in (n[3] or {}).items()},
        }
        for n in notes
    ]


def record(
    name: str,
    bucket: str,
    params: dict | None = None,
    event_id: str | None = None,
    when: str = "2025-03-01T10:05:10Z",
    account: str = "123456789012",
    region: str = REGION,
) -> dict[str, Any]:
    """A CloudTrail record in AWS's documented shape for an S3 management call."""
    rp = {"bucketName": bucket, "host": [f"s3.{region}.amazonaws.com"], **(params or {})}
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": f"arn:aws:iam::{account}:user/mallory",
            "accountId": account,
            "userName": "mallory",
        },
        "eventTime": when,
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.23",
        "userAgent": "[aws-cli/2.15.0]",
        "requestParameters": rp,
        "responseElements": None,
        "requestID": "REQ",
        "eventID": event_id or f"id-{name}-{bucket}",
        "eventType": "AwsApiCall",
        "recipientAccountId": account,
    }


def eventbridge(rec: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge "AWS API Call via CloudTrail" event that carries ``rec``."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.s3",
        "account": rec.get("recipientAccountId"),
        "time": rec.get("eventTime"),
        "region": rec.get("awsRegion"),
        "resources": [],
        "detail": rec,
    }


def destination_record(payload: Any) -> dict[str, Any]:
    """A Lambda on-failure destination record (what the dead-letter queue holds) around ``payload``."""
    return {
        "version": "1.0",
        "timestamp": "2025-03-01T10:06:00.000Z",
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"arn:aws:lambda:{REGION}:123456789012:function:bucketguard-notifier:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": payload,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "could not publish", "errorType": "PublishError"},
    }


def sqs_message(body: Any, message_id: str | None = None) -> dict[str, Any]:
    """One SQS record of an event source mapping batch; ``body`` is JSON-encoded unless it is a str."""
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "AQEB" + uuid.uuid4().hex,
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1740823510000"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:bucketguard-fast-path",
        "awsRegion": REGION,
    }


def sqs_batch(*messages: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(messages)}


def env(topic: str, table: str | None = TABLE, **extra: str) -> dict[str, str]:
    base = {"BUCKETGUARD_TOPIC_ARN": topic, "AWS_REGION": REGION}
    if table:
        base["BUCKETGUARD_DEDUP_TABLE"] = table
    return {**base, **{f"BUCKETGUARD_{k.upper()}": v for k, v in extra.items()}}


class Context:
    """The part of the Lambda context object the notifier reads."""

    def __init__(self, remaining_ms: int):
        import time

        self._end = time.monotonic() + remaining_ms / 1000

    def get_remaining_time_in_millis(self) -> int:
        import time

        return max(0, int((self._end - time.monotonic()) * 1000))


SECTION = re.compile(r"^== [A-Z]+: s3://(\S+)")
EVENT = re.compile(r"^    event: (\S+)")
MORE = re.compile(r"^  \.\.\. and (\d+) more changes? to this bucket")
SUMMARY = re.compile(r"^  - [A-Z]+: s3://(\S+) \(account [^)]*\): (\d+) changes?$")


def covered(body: str) -> tuple[set[str], dict[str, int]]:
    """What a digest accounts for: event ids listed one by one, and per bucket the changes only counted
    ("... and N more changes to this bucket", or a bucket's one summary line)."""
    ids: set[str] = set()
    counts: dict[str, int] = {}
    bucket = None
    for line in body.splitlines():
        if line.startswith("---- "):  # the records section
            break
        if m := SECTION.match(line):
            bucket = m.group(1)
        elif (m := EVENT.match(line)) and bucket:
            ids.add(m.group(1))
        elif (m := MORE.match(line)) and bucket:
            counts[bucket] = counts.get(bucket, 0) + int(m.group(1))
        elif m := SUMMARY.match(line):
            counts[m.group(1)] = counts.get(m.group(1), 0) + int(m.group(2))
    return ids, counts


# --------------------------------------------------------------------------- organisation (hub) mode

HUB = "123456789012"  # moto's default account: the hub (the notifier's own credentials)
READER = "bucketguard-reader"
VISIBILITY_METRIC = ("Bucketguard", "BucketVisibilityChanges")


def account_client(account: str, service: str, region: str = REGION):
    """A client acting in ``account``: moto's AssumeRole returns credentials scoped to the role's account (the
    role need not exist in moto), so this is how a test creates a member's buckets, roles and log groups."""
    if account == HUB:
        return boto3.client(service, region_name=region)
    creds = boto3.client("sts", region_name=region).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/test-setup", RoleSessionName="test-setup"
    )["Credentials"]
    return boto3.client(
        service,
        region_name=region,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def make_member_bucket(account: str, name: str, policy=None, pab=None, region: str = REGION) -> None:
    s3 = account_client(account, "s3", region)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    if policy:
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    if pab is not None:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=pab)


def make_reader_role(account: str, trusted: str = HUB, name: str = READER) -> str:
    """The member's reader role, trusting ``trusted`` (an account id) as principal; returns its ARN."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{trusted}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam = account_client(account, "iam")
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def _trusts(role_arn: str, caller_account: str) -> tuple[bool, str]:
    """(may the caller's account assume it?, why not): the role must exist and its trust policy must name the
    caller's account (as id or root ARN) for sts:AssumeRole, as AWS requires for a cross-account assume."""
    from moto.iam.models import iam_backends

    parts = role_arn.split(":")
    account, name = parts[4], parts[5].split("/")[-1]
    role = next((r for r in iam_backends[account]["global"].roles.values() if r.name == name), None)
    if role is None:
        return False, "no such role"
    policy = json.loads(role.assume_role_policy_document)
    for statement in policy.get("Statement", []):
        principals = (statement.get("Principal") or {}).get("AWS", [])
        principals = principals if isinstance(principals, list) else [principals]
        actions = statement.get("Action", [])
        actions = actions if isinstance(actions, list) else [actions]
        if (
            statement.get("Effect") == "Allow"
            and "sts:AssumeRole" in actions
            and any(p in (caller_account, f"arn:aws:iam::{caller_account}:root") for p in principals)
        ):
            return True, ""
    return False, "trust policy does not name the caller"


class HubClients:
    """Client factories of a hub-mode test: the notifier's own (``factory``, account HUB) and the ones on
    assumed credentials (``assumed``), with a log of every call made: ``calls`` holds (account, service,
    operation), ``assumed_roles`` the RoleArn of every AssumeRole the notifier made.

    moto 5 does not check that an assumed role exists nor that its trust policy lets the caller in; with
    ``enforce_trust`` (default) the hub's sts:AssumeRole answers AccessDenied, as AWS does, when the role does not
    exist in moto's IAM or its trust policy does not name the hub account."""

    def __init__(self, region: str = REGION, enforce_trust: bool = True, fail_code: str | None = None):
        self.region = region
        self.enforce_trust = enforce_trust
        self.fail_code = fail_code  # every AssumeRole fails with this code (e.g. "Throttling")
        self.calls: list[tuple[str, str, str]] = []
        self.assumed_roles: list[str] = []
        self.assume_requests: list[dict[str, Any]] = []
        self._home = clients(region)
        self._hooked: set[int] = set()
        self._lock = threading.Lock()

    def _hook(self, client: Any, account: str) -> Any:
        with self._lock:
            if id(client) in self._hooked:
                return client
            self._hooked.add(id(client))
        service = client.meta.service_model.service_name

        def record(model, params, **_):  # params: the serialised request (a query protocol's body is a dict)
            self.calls.append((account, service, model.name))
            if service == "sts" and model.name == "AssumeRole":
                body = params.get("body") if isinstance(params.get("body"), dict) else {}
                return self._assume_refused(str(body.get("RoleArn", "")))
            return None

        def request(params, model, **_):  # params: the API call's own parameters
            if model.name == "AssumeRole":
                self.assumed_roles.append(params.get("RoleArn", ""))
                self.assume_requests.append(dict(params))

        event_name = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"before-call.{event_name}.*", record)
        if service == "sts":
            client.meta.events.register(f"before-parameter-build.{event_name}.AssumeRole", request)
        return client

    def _assume_refused(self, role_arn: str):
        from botocore.awsrequest import AWSResponse

        code = self.fail_code
        if code is None and self.enforce_trust:
            ok, _why = _trusts(role_arn, HUB)
            code = None if ok else "AccessDenied"
        if code is None:
            return None
        error = {
            "Code": code,
            "Message": f"User: arn:aws:sts::{HUB}:assumed-role/bucketguard-notifier-role/test is not authorized "
            f"to perform: sts:AssumeRole on resource: {role_arn}",
        }
        status = 400 if code == "Throttling" else 403
        http = AWSResponse(f"https://sts.{self.region}.amazonaws.com/", status, {}, None)
        return http, {"Error": error, "ResponseMetadata": {"HTTPStatusCode": status}}

    def factory(self, service: str, where: str | None) -> Any:
        return self._hook(self._home(service, where), HUB)

    def assumed(self, service: str, where: str | None, credentials) -> Any:
        kwargs = {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }
        account = boto3.client("sts", region_name=where or self.region, **kwargs).get_caller_identity()["Account"]
        return self._hook(boto3.client(service, region_name=where or self.region, **kwargs), account)

    def accounts_of(self, service: str, operation: str) -> list[str]:
        return [a for a, s, o in self.calls if s == service and o == operation]


def put_trail_records(account: str, log_group: str, records: list[dict[str, Any]], when_ms: int, region=REGION):
    """CloudTrail records delivered to ``log_group`` of ``account`` (an organisation trail's log group)."""
    logs = account_client(account, "logs", region)
    if not logs.describe_log_groups(logGroupNamePrefix=log_group)["logGroups"]:
        logs.create_log_group(logGroupName=log_group)
    stream = f"o-example_{account}_CloudTrail_{region}_{uuid.uuid4().hex[:8]}"
    logs.create_log_stream(logGroupName=log_group, logStreamName=stream)
    events = [{"timestamp": when_ms, "message": json.dumps(r)} for r in records]
    logs.put_log_events(logGroupName=log_group, logStreamName=stream, logEvents=events)


def alarm_state_change(
    account: str,
    name: str,
    fired: str,
    evaluated: str,
    state: str = "ALARM",
    metric: tuple[str, str] = VISIBILITY_METRIC,
    region: str = REGION,
) -> dict[str, Any]:
    """An EventBridge "CloudWatch Alarm State Change" event in AWS's documented shape (single metric alarm,
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html);
    ``fired`` and ``evaluated`` are CloudWatch timestamps ("2025-03-01T10:06:00.000+0000")."""
    reason_data = {
        "version": "1.0",
        "queryDate": fired,
        "startDate": evaluated,
        "statistic": "Sum",
        "period": 60,
        "recentDatapoints": [1.0],
        "threshold": 1.0,
        "evaluatedDatapoints": [{"timestamp": evaluated, "sampleCount": 1.0, "value": 1.0}],
    }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch",
        "account": account,
        "time": fired.replace(".000+0000", "Z"),
        "region": region,
        "resources": [f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"],
        "detail": {
            "alarmName": name,
            "configuration": {
                "description": "bucketguard: an exposure-changing S3 call succeeded",
                "metrics": [
                    {
                        "id": "m1",
                        "metricStat": {
                            "metric": {"dimensions": {}, "name": metric[1], "namespace": metric[0]},
                            "period": 60,
                            "stat": "Sum",
                        },
                        "returnData": True,
                    }
                ],
            },
            "previousState": {
                "reason": "Threshold Crossed: no datapoints were received for 1 period",
                "timestamp": evaluated,
                "value": "OK" if state == "ALARM" else "ALARM",
            },
            "state": {
                "reason": "Threshold Crossed: 1 out of the last 5 datapoints [1.0] was >= the threshold (1.0).",
                "reasonData": json.dumps(reason_data),
                "timestamp": fired,
                "value": state,
            },
        },
    }
