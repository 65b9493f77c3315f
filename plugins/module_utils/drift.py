# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Drift: what a role would make, compared with what AWS returned (pure, standard library).

Each function takes the wanted values (the role's own variables) and what the ``*_info`` modules or the
collection's readers returned, and gives one sentence per difference, naming the resource. ``verify.yml``
files reach them through the ``bucketguard.visibility.drift`` filter.
"""

from __future__ import annotations

import json
from typing import Any


def _first(items: Any, key: str, value: Any) -> dict:
    for item in items or []:
        if isinstance(item, dict) and item.get(key) == value:
            return item
    return {}


def rule_findings(found: dict, wanted: dict) -> list[str]:
    """The fast-path rule: present, enabled, the wanted pattern, exactly the wanted target (and role).

    ``found``: the answer of ``bucketguard.visibility.events_rule`` run in check mode (``previous_rule``:
    state/event_pattern, empty when there is none; ``previous_targets``: id/arn/role_arn), or its failure
    (``failed``, ``msg``). ``wanted``: ``name``, ``pattern``, ``target`` (``arn``, optional ``role_arn``),
    ``where`` (what the target is, for the sentence), ``enabled`` (False: the rule must be gone).
    """
    name = wanted["name"]
    if found.get("failed"):
        return [f"could not read the EventBridge rule {name} ({found.get('msg', '')})"]
    rule = found.get("previous_rule") or None
    if not wanted.get("enabled", True):
        return [f"EventBridge rule {name} exists, the fast path is switched off"] if rule else []
    if rule is None:
        return [f"EventBridge rule {name} is missing"]
    out = []
    if rule.get("state") != "ENABLED":
        out.append(f"EventBridge rule {name} is {rule.get('state')}, not ENABLED")
    if rule.get("event_pattern") != wanted["pattern"]:
        out.append(f"EventBridge rule {name} event pattern differs from the role's")
    target = wanted["target"]
    targets = found.get("previous_targets") or []
    found_target = _first(targets, "arn", target["arn"])
    others = [str(t.get("arn")) for t in targets if t.get("arn") != target["arn"]]
    if not found_target:
        sends = ", ".join(others) or "nothing"
        out.append(
            f"EventBridge rule {name} does not reach {wanted.get('where', target['arn'])} ({target['arn']}); "
            f"it sends to {sends}"
        )
        return out
    if target.get("role_arn") and found_target.get("role_arn") != target["role_arn"]:
        out.append(
            f"EventBridge rule {name} forwards with the role {found_target.get('role_arn')}, not {target['role_arn']}"
        )
    if others:
        out.append(f"EventBridge rule {name} also sends to {', '.join(others)}")
    return out


def function_findings(function: dict, wanted: dict) -> list[str]:
    """The notifier function (``lambda_info`` with ``query: policy``) against the role's settings."""
    what = f"function {wanted['name']}"
    if not function.get("function_name"):
        return [f"{what} is missing"]
    out = []
    for key, label in (("runtime", "runtime"), ("handler", "handler")):
        if function.get(key, "") != wanted[key]:
            out.append(f"{what} {label} is {function.get(key, '')}, the role sets {wanted[key]}")
    env = (function.get("environment") or {}).get("variables") or {}
    differ = sorted(k for k in set(env) | set(wanted["environment"]) if env.get(k) != wanted["environment"].get(k))
    if differ:
        out.append(f"{what} environment differs from what the role sets in {', '.join(differ)}")
    if function.get("code_sha256", "") != wanted["code_sha256"]:
        out.append(f"{what} code is not the package of the notifier sources (CodeSha256)")
    sids = {s.get("sid") for s in (function.get("policy") or {}).get("statement") or [] if isinstance(s, dict)}
    missing = [sid for sid in wanted["sids"] if sid not in sids]
    if missing:
        out.append(f"{what} lacks the invoke permission(s) {', '.join(missing)}")
    if wanted.get("invoke_config_differs"):
        out.append(
            f"{what} asynchronous invocation configuration differs from what the role sets "
            "(retries, event age, failure destination)"
        )
    return out


def alarm_findings(alarms: list[dict], wanted: list[dict]) -> list[str]:
    """Alarms (``cloudwatch_metric_alarm_info``): each wanted ``name`` present with its ``actions``;
    ``absent: true`` ones must be gone; ``quiet: true`` ones must not be in ALARM (a finding says so)."""
    out = []
    for want in wanted:
        found = _first(alarms, "alarm_name", want["name"])
        if want.get("absent"):
            if found:
                out.append(f"alarm {want['name']} is left over{want.get('why', '')}")
            continue
        if not found:
            out.append(f"alarm {want['name']} is missing")
            continue
        if "actions" in want and list(found.get("alarm_actions") or []) != list(want["actions"]):
            out.append(
                f"alarm {want['name']} actions are {found.get('alarm_actions')}, the role sets {want['actions']}"
            )
        if want.get("quiet") and found.get("state_value") == "ALARM":
            out.append(f"alarm {want['name']} is in ALARM: {found.get('state_reason', '')}".rstrip(": "))
    return out


def role_findings(roles: list[dict], wanted: list[str]) -> list[str]:
    """IAM roles (``iam_role_info``): every wanted role name exists."""
    names = {r.get("role_name") for r in roles or [] if isinstance(r, dict)}
    return [f"IAM role {name} is missing" for name in wanted if name not in names]


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _normal_statements(policy: Any) -> list:
    """A policy's statements with single values turned into one-element lists, sorted (comparable)."""
    if isinstance(policy, str):
        try:
            policy = json.loads(policy) if policy else {}
        except ValueError:
            return ["unreadable"]
    out = []
    for st in _as_list((policy or {}).get("Statement", [])):
        if not isinstance(st, dict):
            continue
        norm: dict[str, Any] = {}
        for key, value in st.items():
            if key in ("Action", "Resource"):
                norm[key] = sorted(_as_list(value))
            elif key == "Principal" and isinstance(value, dict):
                norm[key] = {k: sorted(_as_list(v)) for k, v in value.items()}
            else:
                norm[key] = value
        out.append(json.dumps(norm, sort_keys=True))
    return sorted(out)


def _queue_name(found: dict) -> str:
    item = found.get("item")
    if isinstance(item, dict):
        return str(item.get("name", ""))
    return str(found.get("name") or item or "")


def queue_findings(found: list[dict], wanted: list[dict]) -> list[str]:
    """SQS queues (``sqs_queue_attributes`` answers, one per queue, as a loop registers them).

    ``wanted``: per queue ``name``, ``what`` (for the sentence), ``retention``, optional ``visibility_timeout``,
    ``redrive`` (``deadLetterTargetArn``, ``maxReceiveCount``), ``policy`` (a policy document), and
    ``report_messages`` (messages waiting are a finding: the dead-letter queue).
    """
    by_name = {_queue_name(r): r for r in found or [] if isinstance(r, dict)}
    out = []
    for want in wanted:
        name, what = want["name"], want.get("what", "queue")
        label = f"SQS {what} {name}"
        queue = by_name.get(name) or {}
        if not queue.get("exists"):
            out.append(f"{label} is missing")
            continue
        attrs = queue.get("attributes") or {}
        if str(attrs.get("SqsManagedSseEnabled", "")).lower() != "true" and not attrs.get("KmsMasterKeyId"):
            out.append(f"{label} is not encrypted (SqsManagedSseEnabled is not true)")
        if "retention" in want and str(attrs.get("MessageRetentionPeriod")) != str(want["retention"]):
            out.append(
                f"{label} keeps messages {attrs.get('MessageRetentionPeriod')} s, the role sets {want['retention']} s"
            )
        if "visibility_timeout" in want and str(attrs.get("VisibilityTimeout")) != str(want["visibility_timeout"]):
            have, need = attrs.get("VisibilityTimeout"), want["visibility_timeout"]
            out.append(f"{label} visibility timeout is {have} s, the role sets {need} s")
        if "redrive" in want:
            try:
                redrive = json.loads(attrs.get("RedrivePolicy") or "{}")
            except ValueError:
                redrive = {}
            have = (redrive.get("deadLetterTargetArn"), str(redrive.get("maxReceiveCount")))
            need = (want["redrive"]["deadLetterTargetArn"], str(want["redrive"]["maxReceiveCount"]))
            if have != need:
                out.append(
                    f"{label} does not send messages received {need[1]} times to {need[0]} "
                    f"(redrive policy: {attrs.get('RedrivePolicy') or 'none'})"
                )
        if "policy" in want and _normal_statements(attrs.get("Policy") or "") != _normal_statements(want["policy"]):
            out.append(f"{label} policy differs from the role's (only the fast-path rule may send to it)")
        waiting = int(queue.get("messages") or 0)
        if want.get("report_messages") and waiting > 0:
            out.append(
                f"{waiting} messages waiting in {name} (the {what}): alerts not reported; "
                "replay them (docs/roles/notifier_lambda.md, Replay the dead-letter queue)"
            )
    return out


def mapping_findings(found: dict, wanted: dict) -> list[str]:
    """The buffer queue's event source mapping: ``lambda_event_source_mapping`` in check mode (its
    ``previous_event_source_mapping`` is what exists, ``event_source_mapping`` what the role sets).
    ``wanted``: ``function``, ``queue`` (names for the sentence)."""
    what = f"event source mapping from {wanted['queue']} to {wanted['function']}"
    before = (found or {}).get("previous_event_source_mapping") or {}
    after = (found or {}).get("event_source_mapping") or {}
    if not before:
        return [f"{what} is missing: the buffered S3 events are not read"]
    differ = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if differ:
        return [f"{what} differs from the role's in {', '.join(differ)}"]
    return []


def table_findings(found: dict, wanted: dict) -> list[str]:
    """The dedup table (``dynamodb_table_info``'s ``table``): present, key ``id`` (S), on demand.
    ``wanted``: ``name``, ``hash_key`` (default ``id``), ``billing_mode`` (default PAY_PER_REQUEST)."""
    name = wanted["name"]
    label = f"DynamoDB table {name}"
    if not found:
        return [f"{label} is missing: the notifier cannot record what it mailed"]
    out = []
    key = wanted.get("hash_key", "id")
    schema = [(k.get("attribute_name"), k.get("key_type")) for k in found.get("key_schema") or []]
    types = {a.get("attribute_name"): a.get("attribute_type") for a in found.get("attribute_definitions") or []}
    if schema != [(key, "HASH")] or types.get(key) != "S":
        out.append(f"{label} key is {schema}, the role sets {key} (string) as its only key")
    billing = wanted.get("billing_mode", "PAY_PER_REQUEST")
    if found.get("billing_mode") != billing:
        out.append(f"{label} billing mode is {found.get('billing_mode')}, the role sets {billing}")
    return out


def fleet_report(hosts: dict[str, Any], alive: list[str]) -> dict[str, Any]:
    """The fleet's verify report: one line per finding (or "OK") per account-region, a headline, the findings.

    ``hosts``: every host of this run -> its variables (``bucketguard_account_id``, ``aws_region``,
    ``bucketguard_drift``); ``alive``: the hosts that did not fail (a failed host is "NOT CHECKED").
    """
    lines: list[str] = []
    findings: list[str] = []
    for host in sorted(hosts):
        hv = hosts[host]
        label = f"{hv.get('bucketguard_account_id')} {hv.get('aws_region')}"
        if host not in alive:
            lines.append(f"{label}: NOT CHECKED (the host failed: see its error above)")
            continue
        drift = list(hv.get("bucketguard_drift") or [])
        findings += [f"{label}: {finding}" for finding in drift]
        lines += [f"{label}: {finding}" for finding in drift] or [f"{label}: OK"]
    bad_hosts = sum(1 for line in lines if not line.endswith(": OK"))
    total = len(hosts)
    if not findings and bad_hosts == 0:
        headline = f"bucketguard fleet healthy: {total} account-region(s) OK."
    else:
        bad = [line for line in lines if not line.endswith(": OK")]
        headline = (
            f"bucketguard fleet DRIFT: {len(bad)} finding(s) on "
            f"{total - sum(1 for line in lines if line.endswith(': OK'))} of {total} account-region(s)."
        )
    return {"headline": headline, "lines": lines, "findings": findings, "not_checked": total - len(alive)}


# --------------------------------------------------------------------------- check mode's diff
# Upstream modules that report "changed" in check mode without a diff (amazon.aws.cloudwatch_metric_alarm,
# amazon.aws.lambda, community.aws.sns_topic): what they would change, from their own check-mode answer
# (and, for the function, lambda_info's), as {"name", "before", "after"} for the compare action.
# A task the module did not report changed (or that was skipped) gives before == after == {}: nothing to show.

_ALARM_KEYS = (
    "description",
    "namespace",
    "metric_name",
    "statistic",
    "extended_statistic",
    "comparison",
    "threshold",
    "unit",
    "period",
    "evaluation_periods",
    "datapoints_to_alarm",
    "treat_missing_data",
    "dimensions",
    "alarm_actions",
    "ok_actions",
    "insufficient_data_actions",
)


def _module_args(result: dict) -> dict:
    return dict(((result or {}).get("invocation") or {}).get("module_args") or {})


def _unchanged(result: dict) -> bool:
    return not result or bool(result.get("skipped")) or not result.get("changed")


def _alarm_value(key: str, value: Any) -> Any:
    if key == "dimensions":
        if isinstance(value, list):
            return {d.get("Name", d.get("name")): d.get("Value", d.get("value")) for d in value}
        return dict(value or {})
    if key == "threshold" and value is not None:
        return float(value)
    return value


def alarm_change(result: dict) -> dict:
    """``amazon.aws.cloudwatch_metric_alarm`` in check mode answers with the alarm as it is (``name`` is
    None when there is none) and echoes the options it was given (``invocation.module_args``)."""
    args = _module_args(result)
    name = args.get("name") or (result or {}).get("name")
    out: dict[str, Any] = {"name": f"alarm {name}", "before": {}, "after": {}}
    if _unchanged(result):
        return out
    if args.get("state") == "absent":
        return {**out, "before": {"name": name}}
    after = {key: _alarm_value(key, args[key]) for key in _ALARM_KEYS if args.get(key) is not None}
    out["after"] = {"name": name, **after}
    if result.get("name") is not None:
        out["before"] = {"name": name, **{key: _alarm_value(key, result.get(key)) for key in after}}
    return out


_LAMBDA_KEYS = ("role", "runtime", "handler", "description", "timeout", "memory_size")


def _sha256_b64(path: str) -> str:
    import base64
    import hashlib

    try:
        with open(path, "rb") as handle:
            return base64.b64encode(hashlib.sha256(handle.read()).digest()).decode()
    except OSError:
        return f"the package {path}"


def lambda_change(result: dict, function: dict | None = None) -> dict:
    """``amazon.aws.lambda`` in check mode: the function as ``lambda_info`` read it (``function``: its
    ``functions[0]``, empty when there is none) against the options the task gave (environment, code...)."""
    args = _module_args(result)
    name = args.get("name") or args.get("function_name")
    out: dict[str, Any] = {"name": f"function {name}", "before": {}, "after": {}}
    if _unchanged(result):
        return out
    if args.get("state") == "absent":
        return {**out, "before": {"name": name}}
    after: dict[str, Any] = {"name": name}
    after.update({key: args[key] for key in _LAMBDA_KEYS if args.get(key) not in (None, "")})
    if args.get("environment_variables") is not None:
        after["environment"] = dict(args["environment_variables"])
    if args.get("architecture"):
        after["architecture"] = args["architecture"]
    if args.get("zip_file"):
        after["code_sha256"] = _sha256_b64(args["zip_file"])
    out["after"] = after
    function = function or {}
    if not function.get("function_name"):
        return out
    current = {
        "name": name,
        "role": function.get("role"),
        "runtime": function.get("runtime"),
        "handler": function.get("handler"),
        "description": function.get("description"),
        "timeout": function.get("timeout"),
        "memory_size": function.get("memory_size"),
        "environment": dict((function.get("environment") or {}).get("variables") or {}),
        "architecture": (function.get("architectures") or [None])[0],
        "code_sha256": function.get("code_sha256"),
    }
    out["before"] = {key: current.get(key) for key in after}
    return out


def sns_topic_change(result: dict) -> dict:
    """``community.aws.sns_topic`` in check mode: the subscriptions its answer found (``sns_topic.subscriptions``)
    against those the task asked for; with ``purge_subscriptions`` the others go, except pending
    confirmations (which the module cannot delete). Its own ``subscriptions_added``/``_deleted`` are always
    empty (community.aws 11 reads them from the module's parameters), so they are not used."""
    args = _module_args(result)
    topic = (result or {}).get("sns_topic") or {}
    name = args.get("name") or topic.get("name")
    out: dict[str, Any] = {"name": f"topic {name}", "before": {}, "after": {}}
    if _unchanged(result):
        return out
    found = topic.get("subscriptions") or []
    current = {f"{s.get('protocol')}:{s.get('endpoint')}" for s in found}
    wanted = {f"{s.get('protocol')}:{s.get('endpoint')}" for s in args.get("subscriptions") or []}
    kept = {
        f"{s.get('protocol')}:{s.get('endpoint')}"
        for s in found
        if not args.get("purge_subscriptions", True) or s.get("subscription_arn") in ("PendingConfirmation", "Deleted")
    }
    out["before"] = {"subscriptions": sorted(current)}
    out["after"] = {"subscriptions": sorted(wanted | kept)}
    if args.get("display_name") is not None:
        out["before"]["display_name"] = topic.get("display_name", "")
        out["after"]["display_name"] = args["display_name"]
    return out


def compare(before: Any, after: Any) -> dict:
    """``changed`` when the two differ; ``differences``: the top-level keys that differ (for dicts)."""
    before = {} if before is None else before
    after = {} if after is None else after
    if isinstance(before, dict) and isinstance(after, dict):
        keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    else:
        keys = [] if before == after else ["(value)"]
    return {"changed": before != after, "differences": keys}


# What each check of an alarm reads from ``cloudwatch_metric_alarm_info``'s answer.
_ALARM_FIELDS = {
    "metric": lambda a: f"{a.get('namespace') or ''}/{a.get('metric_name') or ''}",
    "metric name": lambda a: a.get("metric_name") or "",
    "period": lambda a: a.get("period") or 0,
    "evaluation periods": lambda a: a.get("evaluation_periods") or 0,
    "datapoints to alarm": lambda a: a.get("datapoints_to_alarm") or 0,
    "threshold": lambda a: float(a.get("threshold") or 0),
    "missing data": lambda a: a.get("treat_missing_data") or "",
    "actions": lambda a: list(a.get("alarm_actions") or []),
    "log group": lambda a: next(
        (d.get("value") for d in a.get("dimensions") or [] if d.get("name") == "LogGroupName"), ""
    ),
}


def alarm_role_findings(found: dict, wanted: dict) -> list[str]:
    """The alarm role's metric filters and alarms, compared with what the role would make.

    ``found``: ``filters`` (``cloudwatchlogs_metric_filter_info``'s ``metric_filters``), ``filters_error`` (its
    message when the read failed, else empty), ``alarms`` (``cloudwatch_metric_alarm_info``'s ``metric_alarms``).
    ``wanted``: ``log_group``, ``namespace``, ``filters`` ([{name, pattern, metric}]), ``tamper`` ({prefix, patterns:
    {service: pattern}, metric}, or {} when off: one filter "<prefix>-<service>" each), ``alarms`` ([{name,
    checks: [[label, wanted value], ...]}]; a label is a key of ``_ALARM_FIELDS``, shown as "metric" for
    "metric name").
    """
    out = []
    log_group = wanted["log_group"]
    if found.get("filters_error"):
        out.append(f"could not read the metric filters of {log_group} ({found['filters_error']})")
    filters = {f.get("filter_name"): f for f in found.get("filters") or []}
    tamper = wanted.get("tamper") or {}
    tamper_filters = [
        {"name": f"{tamper['prefix']}-{service}", "pattern": pattern, "metric": tamper["metric"]}
        for service, pattern in (tamper.get("patterns") or {}).items()
    ]
    for want in list(wanted.get("filters") or []) + tamper_filters:
        have = filters.get(want["name"])
        if not have:
            out.append(f"metric filter {want['name']} on {log_group} is missing")
        elif have.get("filter_pattern") != want["pattern"]:
            out.append(
                f"metric filter {want['name']} pattern is not alarm_filter_pattern: "
                f"{json.dumps(have.get('filter_pattern'))}"
            )
        elif f"{have.get('metric_namespace')}/{have.get('metric_name')}" != f"{wanted['namespace']}/{want['metric']}":
            out.append(
                f"metric filter {want['name']} publishes {have.get('metric_namespace')}/{have.get('metric_name')}, "
                f"the role sets {wanted['namespace']}/{want['metric']}"
            )
    for want in wanted.get("alarms") or []:
        alarm = _first(found.get("alarms"), "alarm_name", want["name"])
        if not alarm:
            out.append(f"alarm {want['name']} is missing")
            continue
        for label, value in want["checks"]:
            deployed = _ALARM_FIELDS[label](alarm)
            if deployed != value:
                shown = "metric" if label == "metric name" else label
                verb = "are" if label == "actions" else "is"
                out.append(
                    f"alarm {want['name']} {shown} {verb} {json.dumps(deployed)}, the role sets {json.dumps(value)}"
                )
    return out


def pattern_test_findings(matched: list[int], records: list[dict], object_acl: bool, create_bucket: bool) -> list[str]:
    """Records of the bundled, annotated set that CloudWatch Logs' TestMetricFilter counts wrongly (1-based)."""
    out = []
    for number, record in enumerate(records, start=1):
        expect = record.get("_bucketguard_alarm_expect") or {}
        wanted = bool(
            expect.get("visibility")
            or (expect.get("object_acl") and object_acl)
            or (expect.get("create_bucket") and create_bucket)
        )
        if wanted != (number in matched):
            verb = "misses" if wanted else "counts"
            out.append(
                f"TestMetricFilter: alarm_filter_pattern {verb} record {number} {record.get('eventName')} "
                f"({record.get('_bucketguard_note')})"
            )
    return out
