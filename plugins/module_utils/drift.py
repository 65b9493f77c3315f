# Copyright: bucketguard contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Drift: what a role would make, compared with what AWS returned (pure, standard library).

Each function takes the wanted values (the role's own variables) and what the ``*_info`` modules or the
collection's readers returned, and gives one sentence per difference, naming the resource. ``verify.yml``
files reach them through the ``bucketguard.visibility.drift`` filter.
"""

from __future__ import annotations

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
