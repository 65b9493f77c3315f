"""Read the fast-path rule, try its pattern with TestEventPattern, follow a forwarded event (this scenario's checks).

Usage: probe.py CONFIG_JSON. CONFIG: endpoint_url, region, access_key, secret_key, rule_name, records (path
of the annotated CloudTrail records), and forward_from (this region, when it is not the home region) with
home_region; buffer_queue and ttl_table (home region). Prints JSON: rule (state, pattern) or null,
targets (id, arn, role_arn), errors; tests - for each record, the deployed pattern's TestEventPattern result beside the
record's annotation; forwarded - when forward_from is set, the event a watched call put on this region's bus
became on the home region's bus (read through a temporary rule and SQS queue there, removed afterwards);
buffered - when buffer_queue is set, how many messages the buffer queue counted (visible, in flight or
delayed: the notifier's mapping may be receiving it) after a watched call was put on this region's bus; the
queue is purged afterwards, so teardown finds it empty; ttl - the dedup table's DescribeTimeToLive answer.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from typing import Any

import boto3


def session_from(config: dict[str, Any]) -> Any:
    return boto3.session.Session(
        region_name=config["region"],
        aws_access_key_id=config["access_key"],
        aws_secret_access_key=config["secret_key"],
    )


def read_rule(config: dict[str, Any], session: Any) -> dict[str, Any]:
    """The rule (state, parsed pattern) and its targets, or rule None when there is none."""
    out: dict[str, Any] = {"rule": None, "targets": [], "errors": []}
    events = session.client("events", endpoint_url=config["endpoint_url"])
    try:
        rule = events.describe_rule(Name=config["rule_name"])
    except events.exceptions.ResourceNotFoundException:
        return out
    except Exception as exc:  # reported, the scenario asserts errors == []
        out["errors"].append(f"could not read the rule: {exc}")
        return out
    out["rule"] = {"state": rule.get("State"), "pattern": json.loads(rule.get("EventPattern") or "null")}
    targets = events.list_targets_by_rule(Rule=config["rule_name"]).get("Targets", [])
    out["targets"] = [{"id": t.get("Id"), "arn": t.get("Arn"), "role_arn": t.get("RoleArn")} for t in targets]
    return out


def envelope(record: dict) -> dict:
    """The EventBridge event CloudTrail makes of a record ("AWS API Call via CloudTrail")."""
    return {
        "version": "0",
        "id": record["eventID"],
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws." + record["eventSource"].split(".")[0],
        "account": record["recipientAccountId"],
        "time": record["eventTime"],
        "region": record["awsRegion"],
        "resources": [],
        "detail": {k: v for k, v in record.items() if not k.startswith("_bucketguard")},
    }


def follow_forward(config: dict, session_for) -> dict | None:
    """Put a watched call on this region's bus; return the event that reached the home region's bus."""
    home = session_for(config["home_region"])
    sqs = home.client("sqs", endpoint_url=config["endpoint_url"])
    events_home = home.client("events", endpoint_url=config["endpoint_url"])
    name = f"bucketguard-probe-{uuid.uuid4().hex[:8]}"
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    marker = f"probe-{uuid.uuid4()}"
    try:
        events_home.put_rule(Name=name, EventPattern=json.dumps({"detail": {"eventID": [marker]}}))
        events_home.put_targets(Rule=name, Targets=[{"Id": "probe", "Arn": arn}])
        detail = {
            "eventSource": "s3.amazonaws.com",
            "eventName": "PutBucketPolicy",
            "awsRegion": config["forward_from"],
            "eventID": marker,
            "requestParameters": {"bucketName": "probe-bucket"},
        }
        here = session_for(config["forward_from"]).client("events", endpoint_url=config["endpoint_url"])
        here.put_events(
            Entries=[{"Source": "aws.s3", "DetailType": "AWS API Call via CloudTrail", "Detail": json.dumps(detail)}]
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for message in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=2).get("Messages", []):
                return json.loads(message["Body"])
        return None
    finally:
        events_home.remove_targets(Rule=name, Ids=["probe"])
        events_home.delete_rule(Name=name)
        sqs.delete_queue(QueueUrl=queue)


def buffered(config: dict, session) -> int:
    """Put a watched call on this region's default bus; how many messages the buffer queue counts then."""
    sqs = session.client("sqs", endpoint_url=config["endpoint_url"])
    events = session.client("events", endpoint_url=config["endpoint_url"])
    url = sqs.get_queue_url(QueueName=config["buffer_queue"])["QueueUrl"]
    counters = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    detail = {
        "eventSource": "s3.amazonaws.com",
        "eventName": "PutBucketPolicy",
        "awsRegion": config["region"],
        "eventID": f"probe-{uuid.uuid4()}",
        "requestParameters": {"bucketName": "probe-bucket"},
    }
    events.put_events(
        Entries=[{"Source": "aws.s3", "DetailType": "AWS API Call via CloudTrail", "Detail": json.dumps(detail)}]
    )
    count = 0
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline and count == 0:
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=counters)["Attributes"]
            count = sum(int(attrs.get(name, 0)) for name in counters)
            time.sleep(1)
    finally:
        sqs.purge_queue(QueueUrl=url)
    return count


def main() -> None:
    config = json.loads(sys.argv[1])
    session = session_from(config)
    out = read_rule(config, session)
    out["tests"] = []
    if out["rule"]:
        events = session.client("events", endpoint_url=config["endpoint_url"])
        pattern = json.dumps(out["rule"]["pattern"])
        with open(config["records"], encoding="utf-8") as handle:
            records = json.load(handle)
        for record in records:
            result = events.test_event_pattern(EventPattern=pattern, Event=json.dumps(envelope(record)))["Result"]
            out["tests"].append(
                {
                    "event": record["eventName"],
                    "failed": "errorCode" in record,
                    "expected": record["_bucketguard_alarm_expect"]["visibility"],
                    "matched": result,
                }
            )
    if config.get("buffer_queue"):
        out["buffered"] = buffered(config, session)
    if config.get("ttl_table"):
        dynamodb = session.client("dynamodb", endpoint_url=config["endpoint_url"])
        out["ttl"] = dynamodb.describe_time_to_live(TableName=config["ttl_table"])["TimeToLiveDescription"]
    if config.get("forward_from"):
        out["forwarded"] = follow_forward(config, lambda region: session_from({**config, "region": region}))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
