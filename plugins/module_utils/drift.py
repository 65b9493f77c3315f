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


def rule_findings(probe: dict, wanted: dict) -> list[str]:
    """The fast-path rule: present, enabled, the wanted pattern, exactly the wanted target (and role).

    ``probe``: ``files/verify/alarm_probe.py``'s answer (``rule``: state/pattern or None, ``targets``:
    id/arn/role_arn, ``errors``). ``wanted``: ``name``, ``pattern``, ``target`` (``arn``, optional ``role_arn``),
    ``where`` (what the target is, for the sentence), ``enabled`` (False: the rule must be gone).
    """
    name = wanted["name"]
    out = list(probe.get("errors") or [])
    rule = probe.get("rule")
    if not wanted.get("enabled", True):
        return out + ([f"EventBridge rule {name} exists, the fast path is switched off"] if rule else [])
    if rule is None:
        return [*out, f"EventBridge rule {name} is missing"]
    if rule.get("state") != "ENABLED":
        out.append(f"EventBridge rule {name} is {rule.get('state')}, not ENABLED")
    if rule.get("pattern") != wanted["pattern"]:
        out.append(f"EventBridge rule {name} event pattern differs from the role's")
    target = wanted["target"]
    targets = probe.get("targets") or []
    found = _first(targets, "arn", target["arn"])
    others = [str(t.get("arn")) for t in targets if t.get("arn") != target["arn"]]
    if not found:
        sends = ", ".join(others) or "nothing"
        out.append(
            f"EventBridge rule {name} does not reach {wanted.get('where', target['arn'])} ({target['arn']}); "
            f"it sends to {sends}"
        )
        return out
    if target.get("role_arn") and found.get("role_arn") != target["role_arn"]:
        out.append(f"EventBridge rule {name} forwards with the role {found.get('role_arn')}, not {target['role_arn']}")
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
