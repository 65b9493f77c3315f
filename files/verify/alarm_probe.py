"""Read what the alarm role makes that no amazon.aws *_info module reads (playbooks/verify.yml).

Reads a JSON object on stdin - the connection (region, and optionally endpoint_url, profile, access_key,
secret_key, session_token), rule_name, and log_group (empty: this host has no account-level part) - and
prints JSON: metric_filters (name -> pattern, namespace, metric), rule (state, pattern) or null, targets
(id, arn, role_arn), errors (one sentence per read that failed). Read-only: Describe/List calls only. The
connection comes on stdin, not on the command line or in the environment, so it stays out of logs.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _error(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        return f"{error.get('Code', type(exc).__name__)}: {error.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {exc}"


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def probe(config: dict[str, Any], session: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"metric_filters": {}, "rule": None, "targets": [], "errors": []}
    endpoint = config.get("endpoint_url") or None
    logs = session.client("logs", endpoint_url=endpoint)
    events = session.client("events", endpoint_url=endpoint)
    if config.get("log_group"):
        try:
            pages = logs.get_paginator("describe_metric_filters").paginate(logGroupName=config["log_group"])
            for page in pages:
                for item in page.get("metricFilters", []):
                    transformation = (item.get("metricTransformations") or [{}])[0]
                    out["metric_filters"][item["filterName"]] = {
                        "pattern": item.get("filterPattern", ""),
                        "namespace": transformation.get("metricNamespace"),
                        "metric": transformation.get("metricName"),
                    }
        except Exception as exc:  # a missing log group is a finding, not a crash
            if _code(exc) != "ResourceNotFoundException":
                out["errors"].append(f"could not read the metric filters of {config['log_group']} ({_error(exc)})")
    if config.get("rule_name"):
        try:
            rule = events.describe_rule(Name=config["rule_name"])
        except Exception as exc:
            rule = None
            if _code(exc) != "ResourceNotFoundException":
                out["errors"].append(f"could not read the EventBridge rule {config['rule_name']} ({_error(exc)})")
        if rule:
            pattern = rule.get("EventPattern")
            out["rule"] = {"state": rule.get("State"), "pattern": json.loads(pattern) if pattern else None}
            try:
                targets = events.list_targets_by_rule(Rule=config["rule_name"]).get("Targets", [])
                out["targets"] = [
                    {"id": t.get("Id"), "arn": t.get("Arn"), "role_arn": t.get("RoleArn")} for t in targets
                ]
            except Exception as exc:
                out["errors"].append(f"could not read the targets of {config['rule_name']} ({_error(exc)})")
    return out


def session_from(config: dict[str, Any]) -> Any:
    import boto3

    kwargs: dict[str, Any] = {"region_name": config["region"]}
    if config.get("profile"):
        kwargs["profile_name"] = config["profile"]
    if config.get("access_key") and config.get("secret_key"):
        kwargs["aws_access_key_id"] = config["access_key"]
        kwargs["aws_secret_access_key"] = config["secret_key"]
        if config.get("session_token"):
            kwargs["aws_session_token"] = config["session_token"]
    return boto3.session.Session(**kwargs)


def main() -> None:
    config = json.load(sys.stdin)
    try:
        result = probe(config, session_from(config))
    except Exception as exc:  # no credentials, bad profile...: say it, do not crash
        result = {"metric_filters": {}, "rule": None, "targets": [], "errors": [f"could not read ({_error(exc)})"]}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
