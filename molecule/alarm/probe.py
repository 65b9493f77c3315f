"""Read what the alarm role made (with the reader verify.yml ships) and try the deployed rule's pattern.

Usage: probe.py CONFIG_JSON. CONFIG: endpoint_url, region, access_key, secret_key, log_group (or
null when this host has no log group), rule_name, records (path of the CloudTrail records file).
Prints JSON: what files/verify/alarm_probe.py reads (metric_filters, rule, targets, errors) and tests -
for each record, the deployed event pattern's TestEventPattern result beside the record's annotation.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "files" / "verify"))

import alarm_probe  # the collection's own reader, found through the path above


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


def main() -> None:
    config = json.loads(sys.argv[1])
    session = alarm_probe.session_from(config)
    out = alarm_probe.probe(config, session)
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
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
