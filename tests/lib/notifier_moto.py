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
