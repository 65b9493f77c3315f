"""Read what the alarm role made that no amazon.aws *_info module reads, and try the deployed rule.

Usage: probe.py CONFIG_JSON. CONFIG: endpoint_url, region, access_key, secret_key, log_group (or
null when this host has no log group), rule_name, records (path of the CloudTrail records file).
Prints JSON: metric_filters (name -> pattern, metric), rule (or null), targets, and tests - for each
record, the deployed event pattern's TestEventPattern result beside the record's annotation.
"""

from __future__ import annotations

import json
import sys

import boto3


def main() -> None:
    config = json.loads(sys.argv[1])
    session = boto3.session.Session(
        aws_access_key_id=config["access_key"],
        aws_secret_access_key=config["secret_key"],
        region_name=config["region"],
    )
    logs = session.client("logs", endpoint_url=config["endpoint_url"])
    events = session.client("events", endpoint_url=config["endpoint_url"])
    out: dict = {"metric_filters": {}, "rule": None, "targets": [], "tests": []}
    if config.get("log_group"):
        for item in logs.describe_metric_filters(logGroupName=config["log_group"])["metricFilters"]:
            transformation = item["metricTransformations"][0]
            out["metric_filters"][item["filterName"]] = {
                "pattern": item["filterPattern"],
                "namespace": transformation["metricNamespace"],
                "metric": transformation["metricName"],
            }
    try:
        rule = events.describe_rule(Name=config["rule_name"])
    except events.exceptions.ResourceNotFoundException:
        rule = None
    if rule:
        out["rule"] = {"state": rule["State"], "pattern": json.loads(rule["EventPattern"])}
        targets = events.list_targets_by_rule(Rule=config["rule_name"])["Targets"]
        out["targets"] = [{"id": t["Id"], "arn": t["Arn"]} for t in targets]
        with open(config["records"], encoding="utf-8") as handle:
            records = json.load(handle)
        for record in records:
            detail = {k: v for k, v in record.items() if not k.startswith("_bucketguard")}
            event = {
                "version": "0",
                "id": record["eventID"],
                "detail-type": "AWS API Call via CloudTrail",
                "source": "aws." + record["eventSource"].split(".")[0],
                "account": record["recipientAccountId"],
                "time": record["eventTime"],
                "region": record["awsRegion"],
                "resources": [],
                "detail": detail,
            }
            result = events.test_event_pattern(EventPattern=rule["EventPattern"], Event=json.dumps(event))["Result"]
            out["tests"].append(
                {
                    "event": record["eventName"],
                    "failed": "errorCode" in record,
                    "expected": record["_bucketguard_alarm_expect"]["visibility"],
                    "matched": result,
                }
            )
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
