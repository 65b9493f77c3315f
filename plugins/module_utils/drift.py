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
